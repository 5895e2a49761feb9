"SLfM with music sources: the instrument split of the music data, the source statistics, and the Table 8 / Table 2 FreeMusic claims."
import numpy as np
import pandas as pd
import pytest
from avbook.core import ParameterError
from avbook.data.slfm import SLFM_INSTRUMENTS
from avbook.experiments.slfm import SLFM_EXPERIMENT_SIZES, TABLE1_ROWS, TABLE1_PAPER_ROWS, TABLE2_ROWS, load_split, table2_claims
from avbook.experiments.slfm_music import (TABLE8_METHODS, TABLE2_MUSIC_ROWS, MUSIC_PREFIX, music_overrides, load_music_split,
                                           source_statistics, table8_claims, table8_row_map, table2_music_claims, table2_music_row_map,
                                           music_block)
from avbook.papers import paper_table
from avbook.reproduce import evaluate_claims

STFT = SLFM_EXPERIMENT_SIZES['smoke']['stft']


@pytest.mark.parametrize('split', ['train', 'val', 'test'])
def test_music_splits_hear_only_their_own_instruments(fresh_cache, split):
    ds = load_music_split(split, 'smoke')
    heard = {label for labels in ds.arrays['source_label'] for label in labels}
    assert heard and heard <= set(SLFM_INSTRUMENTS[split])
    others = {i for s in ('train', 'val', 'test') if s != split for i in SLFM_INSTRUMENTS[s]}
    assert not heard & others


def test_music_data_share_the_speech_geometry(fresh_cache):
    music, speech = load_music_split('test', 'smoke'), load_split('test', 'smoke')
    np.testing.assert_array_equal(music.yaw_deg, speech.yaw_deg)
    np.testing.assert_array_equal(music.sound_deg, speech.sound_deg)
    np.testing.assert_array_equal(music.rgb.numpy(), speech.rgb.numpy())
    assert not np.array_equal(music.audio.numpy(), speech.audio.numpy())


def test_source_statistics_are_bounded_and_per_view(fresh_cache):
    ds = load_music_split('val', 'smoke')
    stats = source_statistics(ds, STFT)
    for key in ('sounding_fraction', 'peak_energy_share'):
        assert stats[key].shape == ds.sound_deg.shape and np.all((stats[key] > 0) & (stats[key] <= 1))
    assert np.all((stats['centroid_hz'] > 0) & (stats['centroid_hz'] < ds.config.sample_rate / 2))
    assert np.all(stats['abs_iid_db'] >= 0)


def test_music_overrides_refuse_other_sources():
    assert music_overrides(reverb_gain=0.5) == dict(reverb_gain=0.5, source_types=('music',))
    with pytest.raises(ParameterError, match='source_types='): music_overrides(source_types=('speech', 'music'))


def test_table8_claims_are_table1_orderings_and_pass_on_table1_paper_numbers():
    methods = TABLE8_METHODS['full']
    paper = paper_table('slfm', 'table1').frame
    ours = pd.DataFrame({c: [paper.loc[('LibriSpeech', TABLE1_PAPER_ROWS[m]), c] for m in methods]
                         for c in ('audio_loc_acc', 'camera_rot_acc')}, index=[TABLE1_ROWS[m] for m in methods])
    for c in ('audio_loc_acc', 'camera_rot_acc'): ours[f"{c}_lo"], ours[f"{c}_hi"] = ours[c] - 0.5, ours[c] + 0.5
    verdicts = evaluate_claims(table8_claims(methods), ours)
    assert len(verdicts) == 5 and all(v.held for v in verdicts)
    swapped = ours.copy(); swapped.loc[TABLE1_ROWS['ours'], ['audio_loc_acc', 'audio_loc_acc_lo', 'audio_loc_acc_hi']] = [1.0, 0.5, 1.5]
    assert [v.held for v in evaluate_claims(table8_claims(methods), swapped)] == [True, True, False, False, False]
    assert table8_row_map(methods) == {}


def test_table2_music_claims_read_only_the_music_rows():
    paper = paper_table('slfm', 'table2').frame
    rows = {v: paper.loc[tuple(table2_music_row_map()[v].split(' / '))] for v in TABLE2_MUSIC_ROWS.values()}
    music = pd.DataFrame(rows).T.astype(float)
    for c in ('audio_mae_deg', 'camera_mae_deg'): music[f"{c}_lo"], music[f"{c}_hi"] = music[c] - 0.1, music[c] + 0.1
    broken_speech = music_block(music).copy()              # a LibriSpeech block where every claim fails
    for key, audio in dict(chance=10.0, ours=50.0, no_reflect=1.0, front=1.0, gt_rotation=60.0, supervised=70.0).items():
        broken_speech.loc[TABLE2_ROWS[key], ['audio_mae_deg', 'camera_mae_deg']] = [audio, np.nan if key == 'gt_rotation' else audio]
    both = pd.concat([broken_speech, music])
    assert all(v.held for v in evaluate_claims(table2_music_claims(), both))     # the paper's FreeMusic numbers pass
    assert not any(v.held for v in evaluate_claims(table2_claims(), both))
    assert all(v.name.startswith(MUSIC_PREFIX) for v in evaluate_claims(table2_music_claims(), both))
    assert list(music_block(both).index) == list(TABLE2_ROWS.values())
