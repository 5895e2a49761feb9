"SLfM Table 3b: panorama crops, the rotation-only homography, the alignment baseline, prompting inputs and the table at smoke scale."
import numpy as np
import pytest
from avbook.core import ParameterError
from avbook.sim.render import PinholeCamera, render
from avbook.sim.scene import Pose
from avbook.experiments.slfm_panorama import (TABLE3B_ROWS, TABLE3B_PAPER_ROWS, PANORAMA_SIZES, panorama_room, render_panorama,
                                              panorama_coordinates, bilinear_sample, crop_panorama, yaw_homography_coordinates,
                                              align_rotation_deg, panorama_pairs, prompt_database, table3b, table3b_claims)
from avbook.papers import paper_table
from avbook.reproduce import evaluate_claims

CAMERA = PinholeCamera(80, 60, 60.0)


def corr(a, b):
    a, b = np.ravel(a) - np.mean(a), np.ravel(b) - np.mean(b)
    return float(a @ b / np.sqrt((a @ a) * (b @ b)))


@pytest.fixture(scope='module')
def scene_and_panorama():
    scene = panorama_room(3)
    return scene, render_panorama(scene, 1024)


def test_panorama_coordinates_follow_the_equirect_convention():
    col, row = panorama_coordinates(np.array([[1.0, 0, 0], [0, 1.0, 0], [0, -1.0, 0], [0, 0, 1.0]]), 360, 180)
    np.testing.assert_allclose(col[:3], [180, 90, 270]); np.testing.assert_allclose(row[:3], 90); assert row[3] == pytest.approx(0)


def test_bilinear_sample_is_exact_at_pixel_centres_and_wraps():
    img = np.arange(12, dtype=float).reshape(3, 4, 1)
    assert bilinear_sample(img, np.array([1.5]), np.array([2.5]))[0, 0] == 9
    assert bilinear_sample(img, np.array([4.0]), np.array([0.5]))[0, 0] == pytest.approx((3 + 0) / 2)   # halfway across the seam


@pytest.mark.parametrize('yaw', [-120.0, 10.0, 95.0])
def test_a_crop_equals_the_direct_pinhole_render(scene_and_panorama, yaw):
    scene, pano = scene_and_panorama
    crop = crop_panorama(pano, yaw, CAMERA)
    direct = render(scene['room'], Pose(scene['position_m'], yaw, 0.0), CAMERA, **scene['light'])['rgb']
    assert np.abs(crop - direct).mean() < 0.05 and corr(crop, direct) > 0.9


@pytest.mark.parametrize('psi,delta', [(0.0, 20.0), (-60.0, -30.0), (150.0, 12.0)])
def test_the_homography_warp_matches_the_turned_crop(scene_and_panorama, psi, delta):
    _, pano = scene_and_panorama
    big = PinholeCamera(160, 120, 60.0)
    src, tgt = crop_panorama(pano, psi, big), crop_panorama(pano, psi + delta, big)
    u, v, ok = yaw_homography_coordinates(big, [delta])
    warped = bilinear_sample(src, u[0], v[0], wrap=False)
    assert ok[0].mean() > 0.3 and corr(warped[ok[0]], tgt[ok[0]]) > 0.9
    assert align_rotation_deg(src, tgt, big)['rotation_deg'] == pytest.approx(delta, abs=1.0)


def test_no_overlap_gives_no_answer():
    rng = np.random.default_rng(0)
    out = align_rotation_deg(rng.random((60, 80)), rng.random((60, 80)), CAMERA, search_deg=5.0, min_overlap=1.01)
    assert out['rotation_deg'] == 0.0 and out['overlap'] == 0.0
    with pytest.raises(ParameterError, match='same shape'): align_rotation_deg(np.zeros((60, 80)), np.zeros((60, 79)), CAMERA)


def test_pairs_are_fixed_and_in_range():
    a, b = panorama_pairs('smoke'), panorama_pairs('smoke')
    np.testing.assert_array_equal(a['rotation_deg'], b['rotation_deg'])
    d = np.abs(a['rotation_deg'])
    assert ((d >= 10) & (d < 60)).all() and a['rgb'].dtype == np.uint8


def test_prompt_database_iid_has_the_source_side():
    db = prompt_database('smoke', 1)
    side = db['database_iid'][0].mean(-1).numpy()
    assert side[180] > 0 > side[0]          # +90° louder in the left ear, −90° in the right


def test_table3b_at_smoke_scale():
    t = table3b('smoke', in_distribution=False)
    assert list(t.index) == list(TABLE3B_ROWS.values()) and (t['n_pairs'] == 50).all()
    assert (t['rot_err_mean_deg_lo'] <= t['rot_err_mean_deg']).all() and (t['rot_err_mean_deg'] <= t['rot_err_mean_deg_hi']).all()
    assert t.loc[TABLE3B_ROWS['alignment'], 'rot_err_median_deg'] < 5
    assert set(TABLE3B_PAPER_ROWS.values()) <= set(paper_table('slfm', 'table3b').frame.index)
    assert len(evaluate_claims(table3b_claims(), t)) == 3
