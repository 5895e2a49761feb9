"SLfM Table 2's remaining rows: the tilted rotation-only homography, the scored test pairs, the alignment, prompting and L2R rows, the whole table and its claims."
import numpy as np
import pandas as pd
import pytest
from avbook.core import ParameterError
from avbook.evaluation import angular_error_deg
from avbook.sim.render import PinholeCamera, render
from avbook.sim.scene import Pose
from avbook.data.slfm import slfm_config
from avbook.experiments.slfm import TABLE2_ROWS, TEST_PAIRS, chance_result, load_split
from avbook.experiments.slfm_music import MUSIC_PREFIX, music_overrides
from avbook.experiments.slfm_panorama import panorama_room, align_rotation_deg
from avbook.experiments.slfm_baselines import (BASELINE_SIZES, TABLE2_BASELINE_ROWS, TABLE2_ORDER, MUSIC_BASELINES, scored_camera_pairs,
                                               camera_pair_alignment, camera_pair_prompts, table2_baselines, table2_complete,
                                               table2_complete_row_map, table2_baseline_claims)
from avbook.papers import paper_table
from avbook.reproduce import evaluate_claims

TILT = slfm_config('full').pitch_deg


@pytest.mark.parametrize('psi,delta', [(30.0, 25.0), (-80.0, -40.0), (150.0, 12.0)])
def test_the_tilted_homography_recovers_the_turn_of_two_renders(psi, delta):
    scene, cam = panorama_room(0), PinholeCamera(160, 120, 60.0)
    src, tgt = (render(scene['room'], Pose(scene['position_m'], yaw, TILT), cam)['rgb'] for yaw in (psi, psi + delta))
    tilted, level = align_rotation_deg(src, tgt, cam, pitch_deg=TILT), align_rotation_deg(src, tgt, cam, pitch_deg=0.0)
    assert tilted['rotation_deg'] == pytest.approx(delta, abs=0.1) and tilted['ncc'] > 0.85
    assert level['ncc'] < tilted['ncc'] - 0.2                         # ignoring the tilt breaks the model


def test_scored_pairs_are_the_pairs_of_slfm_errors():
    pairs = scored_camera_pairs('smoke')
    ds = load_split('test', 'smoke')
    assert pairs['rgb'].shape == (len(ds.yaw_deg) * len(TEST_PAIRS), 2, 3, *slfm_config('smoke').image_hw)
    np.testing.assert_allclose(angular_error_deg(np.zeros(len(pairs['rotation_deg'])), pairs['rotation_deg']), chance_result('smoke')['camera'])
    np.testing.assert_array_equal(pairs['rgb'][len(TEST_PAIRS) + 1, 1], ds.rgb[1, 2].numpy())   # location 1, pair (0, 2)
    assert pairs['pitch_deg'] == TILT


def test_alignment_solves_most_smoke_pairs_and_is_cached():
    pairs = scored_camera_pairs('smoke')
    first = camera_pair_alignment('smoke')
    assert np.median(angular_error_deg(first, pairs['rotation_deg'])) < 2.0
    np.testing.assert_array_equal(camera_pair_alignment('smoke'), first)


def test_baseline_rows_at_smoke_scale():
    t = table2_baselines('smoke')
    assert list(t.index) == list(TABLE2_BASELINE_ROWS.values())
    n = len(scored_camera_pairs('smoke')['rotation_deg'])
    assert (t['camera_mae_deg_n'] == n).all() and np.isnan(t.loc['Ours–Prompt', 'audio_mae_deg'])
    assert camera_pair_prompts('smoke')['votes'].shape == (n, BASELINE_SIZES['smoke']['n_prompts'])
    assert (t['camera_mae_deg_lo'] <= t['camera_mae_deg']).all() and (t['camera_mae_deg'] <= t['camera_mae_deg_hi']).all()


def test_prompting_refuses_the_music_data():
    with pytest.raises(ParameterError, match="drop 'prompt'"): table2_baselines('smoke', **music_overrides())
    with pytest.raises(ParameterError, match='row'): table2_baselines('smoke', rows=('superglue',))


def test_the_whole_table_follows_the_paper():
    t = table2_complete('smoke')
    labels = TABLE2_ROWS | TABLE2_BASELINE_ROWS
    assert list(t.index) == [labels[k] for k in TABLE2_ORDER] + [MUSIC_PREFIX + labels[k] for k in TABLE2_ORDER if k != 'prompt']
    row_map, paper = table2_complete_row_map(), set(paper_table('slfm', 'table2').frame.index)
    assert all(tuple(row_map[r].split(' / ', 1)) in paper for r in t.index)
    verdicts = evaluate_claims(table2_baseline_claims(), t)
    assert len(verdicts) == 1 + 2 * len(MUSIC_BASELINES) and all(v.detail for v in verdicts)


def frame(prompt, ours=1.0, chance=30.0, alignment=10.0, l2r=(1.0, 1.0)):
    rows = {'Chance': (40.0, chance), 'Ours': (3.0, ours), 'Direct alignment (SIFT stand-in)': (np.nan, alignment),
            'Ours–Prompt': (np.nan, prompt), 'Ours–L2R': (3.0 + l2r[0], l2r[1])}
    rows |= {MUSIC_PREFIX + k: v for k, v in rows.items() if 'Prompt' not in k}
    return pd.DataFrame.from_dict(rows, orient='index', columns=['audio_mae_deg', 'camera_mae_deg'])


@pytest.mark.parametrize('prompt,held', [(9.0, True), (0.5, False), (30.0, False), (35.0, False)])
def test_the_prompt_claim_asks_for_between_ours_and_chance(prompt, held):
    assert evaluate_claims(table2_baseline_claims()[:1], frame(prompt))[0].held == held


def test_the_weak_claims_can_fail():
    good, bad = evaluate_claims(table2_baseline_claims(), frame(9.0)), evaluate_claims(table2_baseline_claims(), frame(9.0, ours=12.0, l2r=(8.0, 1.0)))
    assert all(v.held for v in good) and not any(v.held for v in bad[1:])
