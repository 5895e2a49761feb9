"Tests of avbook.data.sfs: the simulated Quiet Campus datasets of Structure from Silence."
import dataclasses
import numpy as np
import pytest
import torch
from avbook.core import Cache, ParameterError, seed_everything
from avbook.data.sfs import (SFS_KINDS, SFS_SPLITS, SfsConfig, SfsRoom, sfs_config, make_rooms, record_ambient, static_item,
                             static_dense_item, motion_sequence, build_sfs_arrays, build_sfs_dataset, obstacle_dataset,
                             relative_order_pairs, depth_ratio_pairs, absolute_depth_dataset, mel_band_energies, logistic_probe)
from avbook.evaluation import average_precision
from avbook.sim.ambient import RoomNoise
from avbook.sim.render import center_crop_depth_m
from avbook.sim.scene import Room

TINY = sfs_config('smoke', static_rooms=(2, 1, 1), positions_per_room=(4, 4), clip_duration_s=1.5, dense_rooms=(1, 0, 1),
                  dense_yaws_per_cell=1, dense_clip_duration_s=1.0, motion_hallways=(1, 1, 1), videos_per_hallway=1,
                  motion_duration_s=3.5, video_fps=4.0)


@pytest.fixture(scope='module')
def cache(tmp_path_factory): return Cache(tmp_path_factory.mktemp('sfs-cache'))


def test_item_shapes_dtypes_units():
    room = make_rooms(TINY, 'train', 0)[0]
    it = static_item(TINY, room, 0, 0, seed=0)
    assert it['audio'].shape == (2, int(1.5 * 16000)) and it['audio'].dtype == np.float32
    assert it['rgb'].shape == (3, 24, 32) and it['rgb'].dtype == np.uint8
    assert it['depth'].shape == (24, 32) and it['depth'].dtype == np.float32
    assert 0.2 < it['distance_m'] < 0.6                            # position 0 is a near one; metres
    assert it['room_id'] == room.room_id and it['room_kind'] == 'classroom'
    assert np.abs(it['audio']).max() < 0.1                          # quiet room, digital units (full scale 100 dB SPL)
    hall = make_rooms(TINY, 'train', 0, 'motion')[0]
    v = motion_sequence(TINY, hall, 0, seed=0)
    T = len(v['times_s'])
    assert T == 14 and v['rgb'].shape == (T, 3, 24, 32) and v['depth'].shape == (T, 24, 32) and v['distance_m'].shape == (T,)
    assert v['audio'].shape == (2, int(3.5 * 16000))
    assert v['distance_m'].max() <= TINY.depth_max_m
    dense = make_rooms(TINY, 'test', 0, 'static-dense')[0]
    assert static_dense_item(TINY, dense, 0, 0, seed=0)['audio'].shape == (2, 16000)


def test_determinism():
    room = make_rooms(TINY, 'train', 0)[0]
    a, b = static_item(TINY, room, 1, 1, seed=0), static_item(TINY, room, 1, 1, seed=0)
    for key in ('audio', 'rgb', 'depth'): np.testing.assert_array_equal(a[key], b[key])
    assert not np.array_equal(a['audio'], static_item(TINY, room, 1, 1, seed=1)['audio'])
    hall = make_rooms(TINY, 'val', 0, 'motion')[0]
    np.testing.assert_array_equal(motion_sequence(TINY, hall, 0, 0)['audio'], motion_sequence(TINY, hall, 0, 0)['audio'])


def test_splits_disjoint_by_room_and_building():
    cfg = sfs_config('full')
    static = {s: {r.room_id for r in make_rooms(cfg, s, 0)} for s in SFS_SPLITS}
    assert [len(static[s]) for s in SFS_SPLITS] == [29, 4, 9]
    assert not (static['train'] & static['val'] or static['train'] & static['test'] or static['val'] & static['test'])
    for s in SFS_SPLITS:                                            # static-dense rooms are static rooms of the same split
        assert {r.room_id for r in make_rooms(cfg, s, 0, 'static-dense')} <= static[s]
    halls = {s: make_rooms(cfg, s, 0, 'motion') for s in SFS_SPLITS}
    blds = {s: {r.building for r in halls[s]} for s in SFS_SPLITS}
    assert not (blds['train'] & blds['val'] or blds['train'] & blds['test'] or blds['val'] & blds['test'])
    assert all(r.kind == 'hallway' for s in SFS_SPLITS for r in halls[s])


def _empty_room(size=(6.0, 8.0, 3.0)):
    mats = dict(west='brickwork', east='brickwork', south='brickwork', north='brickwork', floor='concrete_floor', ceiling='plasterboard')
    return SfsRoom('hand-room', 'classroom', 'hand-building', 'train', Room(size, mats), RoomNoise(), np.full((6, 6), 0.05), 2)


def test_label_definition_hand_case():
    depth = np.full((8, 8), 10.0); depth[2:6, 2:6] = 2.0              # centre half crop = rows/cols 2..5 (H/4..3H/4)
    assert center_crop_depth_m(depth) == 2.0
    room = _empty_room()
    cfg = dataclasses.replace(TINY, aim_jitter_deg=0.0, near_distance_m=(0.399, 0.401), far_distance_m=(1.999, 2.001), near_fraction=0.5)
    near, far = static_item(cfg, room, 0, 0, 0), static_item(cfg, room, 1, 1, 0)
    assert near['distance_m'] == pytest.approx(0.4, abs=2e-3) and far['distance_m'] == pytest.approx(2.0, abs=2e-3)
    assert near['distance_m'] == pytest.approx(near['nearest_wall_m'], abs=1e-4)
    assert near['distance_m'] == pytest.approx(float(center_crop_depth_m(near['depth'])))


def test_obstacle_and_pair_labels(cache):
    ds = build_sfs_dataset('static', 'train', config=TINY, seed=0, cache=cache)
    d = ds.distance_m[:, 0].numpy()
    obst = obstacle_dataset(ds)
    dd = d[obst.examples[:, 0]]
    assert ((dd < 0.5) == (obst.targets.numpy() == 1)).all()
    assert not ((dd >= 0.5) & (dd < 1.0)).any()                    # the released splits' gap
    rel = relative_order_pairs(ds)
    d1, d2 = d[rel.examples[:, 0]], d[rel.examples[:, 3]]
    assert (np.abs(d1 - d2) >= 0.1).all() and ((d1 < d2) == (rel.targets.numpy() == 1)).all()
    np.testing.assert_allclose(depth_ratio_pairs(ds).targets.numpy(), np.log(d1 / d2), rtol=1e-5)
    x1, x2, y = rel[0]
    assert x1.shape == (1, 96, 64) and x2.shape == (1, 96, 64) and y.dtype == torch.float32
    motion = build_sfs_dataset('motion', 'train', config=TINY, seed=0, cache=cache)
    pairs = relative_order_pairs(motion, pairs_per_video=20)
    assert len(pairs) > 0 and (np.abs(pairs.examples[:, 1] - pairs.examples[:, 4]) >= TINY.video_fps).all()
    img, aud, y = absolute_depth_dataset(motion, modality='both')[0]
    assert img.shape == (3, 24, 32) and aud.shape == (1, 96, 64)


def test_workers_invariance():
    for kind in ('static', 'motion'):
        one, two = (build_sfs_arrays(kind, 'val', TINY, seed=3, n_workers=n) for n in (1, 2))
        for key in ('logmel', 'rgb', 'depth', 'distance_m'): np.testing.assert_array_equal(one[key], two[key])


def test_cache_roundtrip(cache):
    a = build_sfs_dataset('static-dense', 'test', config=TINY, seed=0, cache=cache)
    b = build_sfs_dataset('static-dense', 'test', config=TINY, seed=0, cache=cache)
    assert torch.equal(a.logmel, b.logmel) and a.logmel.dtype == torch.float16 and a.rgb.dtype == torch.uint8
    from avbook.training import make_dataloaders
    view = obstacle_dataset(a, train=True, exclude_m=None)
    seed_everything(0)
    dls = make_dataloaders(view, obstacle_dataset(a, exclude_m=None), batch_size=4, seed=0, device='cpu')
    x, y = dls.train.one_batch()
    assert x.shape == (4, 1, 96, 64) and y.shape == (4,)


def test_no_leak_anechoic_walls_exact():
    "With R = 0 the recording is the same wherever the recorder stands: the position reaches the audio only through the walls."
    room = _empty_room()
    cfg = dataclasses.replace(TINY, reflection_scale=0.0)
    a = record_ambient(cfg, room, [0.3, 4.0, 1.4], 180.0, 1.0, seed=5, distractor_prob=1.0)
    b = record_ambient(cfg, room, [3.0, 4.0, 1.4], 180.0, 1.0, seed=5, distractor_prob=1.0)
    np.testing.assert_array_equal(a, b)
    c = record_ambient(TINY, room, [3.0, 4.0, 1.4], 180.0, 1.0, seed=5, distractor_prob=1.0)
    assert not np.array_equal(a, c)


def test_no_leak_probe_at_chance(cache):
    "A logistic probe on band energies, trained and tested on disjoint rooms: chance with anechoic walls, above it with walls."
    aps = {}
    for scale in (0.0, 1.0):
        cfg = dataclasses.replace(TINY, reflection_scale=scale, static_rooms=(8, 0, 8), dense_rooms=(0, 0, 0),
                                  positions_per_room=(10, 10), clip_duration_s=1.0)
        tr, te = (build_sfs_dataset('static', s, config=cfg, seed=2, cache=cache) for s in ('train', 'test'))
        ytr, yte = (t.distance_m[:, 0].numpy() < 0.5 for t in (tr, te))
        aps[scale] = average_precision(logistic_probe(mel_band_energies(tr), ytr, mel_band_energies(te)), yte)
        assert abs(yte.mean() - 0.5) < 0.1
    assert aps[0.0] < 0.68, aps
    assert aps[1.0] > 0.75, aps


def test_bad_input():
    with pytest.raises(ParameterError, match='static, static-dense, motion'): build_sfs_dataset('moving', 'train', 'smoke')
    with pytest.raises(ParameterError, match='train, val, test'): build_sfs_dataset('static', 'dev', 'smoke')
    with pytest.raises(ParameterError, match='smoke, full, paper'): build_sfs_dataset('static', 'train', 'huge')
    with pytest.raises(ParameterError, match='train, val, test'): make_rooms(TINY, 'eval', 0)
    with pytest.raises(ParameterError, match='unknown SfsConfig field'): sfs_config('smoke', rooms=3)
    with pytest.raises(ParameterError, match='reflection_scale'): SfsConfig(reflection_scale=-1.0)
    with pytest.raises(ParameterError, match='n_workers'): build_sfs_arrays('static', 'val', TINY, 0, n_workers=0)
