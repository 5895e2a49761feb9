"SLfM Table 3a: GCC-PHAT, the IID rules, the out-of-distribution split and the left/right table at smoke scale."
import numpy as np
import pandas as pd
import pytest
from avbook.core import ParameterError
from avbook.experiments.slfm import SLFM_EXPERIMENT_SIZES
from avbook.experiments.slfm_ood import (TABLE3A_ROWS, TABLE3A_PAPER_ROWS, gcc_phat_tdoa_s, iid_decisions, tdoa_vs_azimuth, ood_split,
                                         ood_clips, source_kind, handcrafted_predictions, accuracy_row, table3a, table3a_claims)
from avbook.papers import paper_table
from avbook.reproduce import evaluate_claims

STFT = SLFM_EXPERIMENT_SIZES['smoke']['stft']


def noise(n=16000, seed=0): return np.random.default_rng(seed).standard_normal(n)


@pytest.mark.parametrize('delay', [-9, -3, 0, 4, 10])
def test_gcc_phat_finds_an_integer_delay_and_its_side(delay):
    x = noise()
    right = np.roll(x, delay)           # right = left delayed by `delay` samples: a source on the left when delay > 0
    assert gcc_phat_tdoa_s(np.stack([x, right]), 16000) == pytest.approx(delay / 16000, abs=1e-9)


def test_gcc_phat_is_insensitive_to_level_and_spectrum():
    x = noise()
    coloured = np.convolve(x, [1.0, 0.9, 0.5], mode='same')
    pair = np.stack([coloured * 5, np.roll(coloured, 6) * 0.2])
    assert gcc_phat_tdoa_s(pair, 16000) == pytest.approx(6 / 16000, abs=1e-9)


def test_gcc_phat_rejects_a_mono_signal():
    with pytest.raises(ParameterError, match='expected'): gcc_phat_tdoa_s(noise(), 16000)
    with pytest.raises(ParameterError, match='upsample'): gcc_phat_tdoa_s(np.stack([noise(), noise()]), 16000, upsample=0)


def test_kemar_tdoa_rises_to_the_side():
    "Physics: on anechoic KEMAR audio the TDOA grows with |θ| up to 90°, about 0.7 ms at the side, with the source's sign."
    t = tdoa_vs_azimuth(np.arange(-180, 181, 10))['tdoa_ms']
    front = t.loc[0:90].to_numpy()
    assert np.all(np.diff(front) >= 0) and front[-1] - front[0] > 0.5
    assert 0.6 <= t.loc[90.0] <= 0.75 and t.abs().max() <= 0.8
    side = np.sin(np.deg2rad(t.index.to_numpy()))
    assert np.all(np.sign(t.to_numpy()[np.abs(side) > 0.05]) == np.sign(side[np.abs(side) > 0.05]))


def test_iid_rules_mean_and_majority():
    x = noise(8192)
    louder_left = np.stack([x * 2, x])
    d = iid_decisions(np.stack([louder_left, louder_left[::-1]]), STFT)
    assert d['iid_mean'].tolist() == [1, -1] and d['iid_majority'].tolist() == [1, -1]
    burst = np.stack([x * 0.9, x]); burst[0, :128] *= 1000        # one very loud frame on the left, the rest louder on the right
    d = iid_decisions(burst, STFT)
    assert (int(d['iid_mean']), int(d['iid_majority'])) == (1, -1)


def test_ood_split_is_the_shifted_variant():
    ds = ood_split('smoke')
    c = ds.config
    assert (c.room_kind, c.reverb_gain, c.hrtf_method, c.noise_snr_db, c.ear_gain_db) == ('hallway', 0.5, 'interpolate', (10.0, 30.0), 1.0)
    wav, sound = ood_clips(ds)
    assert wav.shape == (len(ds.yaw_deg), c.n_views, 2, ds.n_clip) and sound.shape == wav.shape[:2]
    assert wav.size // (2 * ds.n_clip) >= 100
    assert set(source_kind(ds)) == {'speech', 'music'}
    hand = handcrafted_predictions(ds, STFT)
    assert all(set(np.unique(v)) <= {-90.0, 90.0} and v.shape == sound.shape for v in hand.values())


def test_accuracy_row_interval():
    row = accuracy_row(np.r_[np.ones(80, bool), np.zeros(20, bool)], 200, 0)
    assert row['left_right_acc'] == pytest.approx(80.0) and row['left_right_acc_lo'] < 80 < row['left_right_acc_hi'] and row['left_right_acc_n'] == 100


def test_claims_hold_on_the_paper_numbers_and_fail_on_a_collapse():
    paper = paper_table('slfm', 'table3a').frame['acc']
    table = pd.DataFrame(dict(left_right_acc=[paper[TABLE3A_PAPER_ROWS[r]] for r in TABLE3A_ROWS.values()]), index=list(TABLE3A_ROWS.values()))
    assert all(v.held for v in evaluate_claims(table3a_claims(), table))
    table.loc['Ours', 'left_right_acc'] = 55.0
    failed = {v.name for v in evaluate_claims(table3a_claims(), table) if not v.held}
    assert failed == {'Ours left/right accuracy is above 60 %', 'Ours is at least as accurate as IID-mean', 'Ours is within 10 points of the best row'}


def test_table3a_at_smoke_scale():
    t = table3a('smoke', seed=0, device='cpu')
    assert list(t.index) == list(TABLE3A_ROWS.values())
    assert t['left_right_acc'].between(0, 100).all() and (t['left_right_acc_n'] == t['left_right_acc_n'].iloc[0]).all()
    assert t['left_right_acc_n'].iloc[0] >= 80
    with pytest.raises(ParameterError, match='stereocrw'): table3a('smoke', methods=('stereocrw',))
