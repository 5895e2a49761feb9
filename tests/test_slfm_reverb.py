"SLfM under reverberation: the levels, the reverberation measured on regenerated BRIRs, and claims that can fail."
import numpy as np
import pandas as pd
import pyroomacoustics as pra
import pytest
from avbook.core import ParameterError
from avbook.data.slfm import slfm_config, make_rooms, sample_location, binaural_views
from avbook.reproduce import evaluate_claims
from avbook.sim.acoustics import measure_rt60_s
import avbook.experiments.slfm_reverb as rv

LEVELS = (0.0, 0.2, 0.5, 1.0)


@pytest.fixture(scope='module')
def brirs():
    return rv.sample_brirs('smoke', 3)


def test_levels():
    assert rv.reverb_levels('smoke') == (0.0, 1.0)
    full = rv.reverb_levels('full')
    assert full == LEVELS and all(np.diff(full) > 0)
    assert rv.level_overrides(0.2) == {}                      # the default level shares Table 1/2's data and models
    assert rv.level_overrides(0.5) == {'reverb_gain': 0.5}
    with pytest.raises(ParameterError, match='reverb_gain=-0.1'): rv.level_overrides(-0.1)


def test_regenerated_brirs_are_the_datasets(brirs):
    config = slfm_config('smoke')
    room = make_rooms(config, 'test', 0)[0]
    geo = sample_location(config, room, 'test', int(brirs['locations'][0]), 0)
    impulse = np.zeros((1, int(config.rir_s * config.sample_rate))); impulse[0, 0] = 1.0
    rendered, _ = binaural_views(config, room, geo['position_m'], geo['yaw_deg'], geo['source_m'], impulse)
    np.testing.assert_allclose(rendered, brirs['rirs'][0].mix(config.reverb_gain), atol=1e-6)


def test_reverberation_increases_with_the_reflections_gain(brirs):
    m = {rho: rv.level_measures(brirs['rirs'], rho, brirs['sample_rate']) for rho in LEVELS}
    edt = [m[rho]['edt_s'].mean() for rho in LEVELS]
    assert all(np.diff(edt) > 0), edt
    t20 = [m[rho]['rt60_s'].mean() for rho in LEVELS]
    assert min(t20[1:]) > 3 * t20[0], t20                     # any reflections: a room decay instead of the HRIR's few ms
    np.testing.assert_allclose(m[0.5]['drr_db'] - m[1.0]['drr_db'], 20 * np.log10(2), atol=1e-6)
    assert np.isinf(m[0.0]['drr_db']).all()


def test_t20_matches_pyroomacoustics(brirs):
    mix = brirs['rirs'][1].mix(0.5).reshape(-1, brirs['rirs'][1].direct.shape[-1])
    ours = measure_rt60_s(mix, brirs['sample_rate'], 20)
    theirs = np.array([pra.experimental.measure_rt60(h, fs=brirs['sample_rate'], decay_db=20) for h in mix])
    # Both fit Schroeder's curve from its first sample below -5 dB; pyroomacoustics stops 20 dB below that sample, avbook at -25 dB.
    # They coincide on smooth decays and differ by up to ~10 % when a sparse early reflection makes the curve step past -5 dB.
    np.testing.assert_allclose(ours, theirs, rtol=0.15)
    assert abs(ours.mean() / theirs.mean() - 1) < 0.05


def test_edt_of_an_exponential_decay():
    rt60_s, fs = 0.4, 16000
    noise = np.random.default_rng(1).standard_normal(fs) * np.exp(-3 * np.log(10) * np.arange(fs) / fs / rt60_s)
    assert abs(rv.early_decay_time_s(noise, fs) - rt60_s) < 0.05
    with pytest.raises(ParameterError, match='all zeros'): rv.early_decay_time_s(np.zeros(10), fs)


def test_level_reverberation_frame():
    frame = rv.level_reverberation('smoke', (0.0, 1.0), n_locations=2)
    assert list(frame.index) == [0.0, 1.0]
    assert (frame['rt60_s_lo'] <= frame['rt60_s']).all() and (frame['rt60_s'] <= frame['rt60_s_hi']).all()
    assert frame['edt_s'].is_monotonic_increasing


def _frame(audio_mae, audio_acc, edt=(0.0, 0.07, 0.18, 0.24), t20=(0.02, 0.32, 0.32, 0.31)):
    return pd.DataFrame(dict(edt_s=edt, rt60_s=t20, audio_mae_deg=audio_mae, camera_mae_deg=[30.0] * 4, audio_loc_acc=audio_acc,
                             camera_rot_acc=[2.0, 2.0, 2.0, 2.0]), index=pd.Index(LEVELS, name='reverb_gain'))


def test_claims_can_fail():
    better_when_wet = _frame([40.0, 30.0, 20.0, 10.0], [10.0, 20.0, 30.0, 40.0])
    for claims in (rv.fig8_claims(), rv.table11_claims()):
        held = [v.held for v in evaluate_claims(claims, better_when_wet)]
        assert held[1:3] == [False, False]
    worse_when_wet = _frame([10.0, 20.0, 30.0, 40.0], [40.0, 30.0, 20.0, 10.0], t20=(0.02, 0.30, 0.32, 0.34))
    for claims in (rv.fig8_claims(), rv.table11_claims()):
        assert all(v.held for v in evaluate_claims(claims[:3], worse_when_wet))


def test_t20_claim_needs_t20_to_rank_the_levels():
    "With the T20 flat-to-falling for rho >= 0.2 (the truncated responses), an error that follows rho fails the T20 claim."
    follows_rho = _frame([10.0, 20.0, 30.0, 40.0], [40.0, 30.0, 20.0, 10.0])
    held = {v.name: v.held for v in evaluate_claims(rv.fig8_claims(), follows_rho)}
    assert held["audio MAE increases with reverberation (EDT; Spearman >= 0.8)"]
    assert not held["audio MAE increases with the measured RT60 (T20; Spearman >= 0.8)"]


def test_edt_claim_fails_when_edt_does_not_rank_the_levels():
    frame = _frame([10.0, 20.0, 30.0, 40.0], [40.0, 30.0, 20.0, 10.0], edt=(0.0, 0.2, 0.1, 0.3))
    assert not evaluate_claims([rv.claim_edt_ranks_levels()], frame)[0].held


def test_spearman():
    assert rv.spearman([1, 2, 3], [3, 5, 9]) == pytest.approx(1.0)
    assert np.isnan(rv.spearman([1, 1, 1], [1, 2, 3]))
    with pytest.raises(ParameterError, match='same length'): rv.spearman([1, 2], [1])
