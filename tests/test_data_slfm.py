"Tests of avbook.data.slfm: the simulated four-view binaural dataset of Sound Localization from Motion."
import numpy as np
import pytest
import torch
from avbook.audio import itd_gcc_phat
from avbook.core import Cache, ParameterError
from avbook.data.slfm import (SLFM_SPLITS, SLFM_SPEAKERS, SLFM_INSTRUMENTS, SlfmDataset, slfm_config, room_ids, make_rooms,
                              sample_location, rotation_deg, source_bank, binaural_views, simulate_location, build_slfm_arrays,
                              build_slfm_dataset)
from avbook.sim.hrtf import wrap_azimuth_deg
from avbook.sim.scene import Room

TINY = slfm_config('smoke', rooms=(2, 1, 1), locations_per_room=2, bank_labels=(2, 1, 1))


@pytest.fixture(scope='module')
def cache(tmp_path_factory): return Cache(tmp_path_factory.mktemp('slfm-cache'))


@pytest.fixture(scope='module')
def bank(cache): return source_bank(TINY, 'train', 0, cache=cache)


def _ild_db(w): return 10 * np.log10((w[0].astype(float) ** 2).sum() / (w[1].astype(float) ** 2).sum())


def test_location_shapes_dtypes_units(bank):
    room = make_rooms(TINY, 'train', 0)[0]
    it = simulate_location(TINY, room, 'train', 1, 0, bank)
    T = int(round(TINY.audio_s * TINY.sample_rate))
    assert it['audio'].shape == (4, 2, T) and it['audio'].dtype == np.float32
    assert it['rgb'].shape == (4, 3, 24, 32) and it['rgb'].dtype == np.uint8
    assert it['position_m'].shape == (4, 3) and np.allclose(it['position_m'][:, 2], 1.5)        # metres, ear height
    assert it['source_m'].shape == (1, 3) and 0.7 <= it['source_m'][0, 2] <= 1.7
    assert np.all((it['distance_m'] >= 1.0) & (it['distance_m'] <= 3.2))                        # metres (3-D distance)
    assert np.all((it['sound_deg'] > -180) & (it['sound_deg'] <= 180))                          # degrees, (-180, 180]
    assert 0.01 < np.sqrt(np.mean(it['audio'] ** 2)) < 0.5 and np.abs(it['audio']).max() <= 1  # full scale 1
    assert 0.05 < it['rt60_s'] < 5 and np.isnan(it['secondary_snr_db'])
    assert set(it['source_label']) <= set(SLFM_SPEAKERS['train'])


def test_angle_convention():
    "sound_deg = wrap(world azimuth of the source - yaw); sound in view j = sound in view i - rotation(i -> j)."
    for variant in ('rotation', 'translation'):
        cfg = slfm_config('smoke', variant, rotation_deg=(10.0, 90.0))
        room = make_rooms(cfg, 'train', 3)[0]
        for index in range(20):
            loc = sample_location(cfg, room, 'train', index, 3)
            d = loc['source_m'][0, :2] - loc['position_m'][:, :2]
            np.testing.assert_allclose(loc['sound_deg'][0], wrap_azimuth_deg(np.degrees(np.arctan2(d[:, 1], d[:, 0])) - loc['yaw_deg']), atol=1e-9)
            if variant == 'rotation':
                for i in range(4):
                    for j in range(4):
                        expected = wrap_azimuth_deg(loc['sound_deg'][0, i] - rotation_deg(loc['yaw_deg'][i], loc['yaw_deg'][j]))
                        assert abs(wrap_azimuth_deg(loc['sound_deg'][0, j] - expected)) < 1e-9
            else:
                assert np.ptp(loc['position_m'][:, 0]) > 0 and np.all(np.linalg.norm(loc['position_m'] - loc['position_m'].mean(0), axis=1) < 0.5)
    assert rotation_deg(10.0, 40.0) == 30.0 and rotation_deg(170.0, -170.0) == 20.0   # turned left = +
    q = sample_location(slfm_config('smoke', view_mode='quarter'), room, 'train', 0, 0)
    np.testing.assert_allclose(rotation_deg(q['yaw_deg'][0], q['yaw_deg']), [0, 90, 180, -90], atol=1e-9)


def test_left_right_physics():
    "A source at +90° (left) makes the left ear lead and louder; at -90° the right ear."
    room = Room((7.0, 6.0, 3.0), {f: 'plasterboard' for f in ('west', 'east', 'south', 'north', 'floor', 'ceiling')})
    head = np.array([3.5, 3.0, 1.5])
    noise = np.zeros((1, 4000)); noise[0, 100:400] = np.random.default_rng(0).standard_normal(300)
    for yaw in (0.0, 90.0):
        left_dir = np.array([-np.sin(np.radians(yaw)), np.cos(np.radians(yaw)), 0.0])
        for side, sign in ((+1, 1.0), (-1, -1.0)):
            wav, _ = binaural_views(TINY, room, [head], [yaw], (head + 2 * side * left_dir)[None], noise)
            itd = float(itd_gcc_phat(torch.tensor(wav[0, 0]), torch.tensor(wav[0, 1]), TINY.sample_rate))
            assert 0.5e-3 < sign * itd < 0.8e-3, (yaw, side, itd)   # KEMAR: ~0.65-0.75 ms
            assert sign * _ild_db(wav[0]) > 3


def test_louder_ear_follows_labels(bank):
    "Over real locations, the louder ear is on the side the label says (|sin θ| > 0.5), as the head turns by 90°."
    cfg = slfm_config('smoke', view_mode='quarter', bank_labels=(2, 1, 1))
    room = make_rooms(cfg, 'train', 0)[0]
    agree = []
    for index in range(3):
        it = simulate_location(cfg, room, 'train', index, 0, bank)
        for v in range(4):
            s = np.sin(np.radians(it['sound_deg'][0, v]))
            if abs(s) > 0.5: agree.append(np.sign(_ild_db(it['audio'][v])) == np.sign(s))
    assert len(agree) >= 4 and np.mean(agree) >= 0.9


def test_splits_disjoint():
    cfg = slfm_config('full')
    ids = {s: set(room_ids(cfg, s)) for s in SLFM_SPLITS}
    assert [len(ids[s]) for s in SLFM_SPLITS] == list(cfg.rooms)
    assert not (ids['train'] & ids['val']) and not (ids['train'] & ids['test']) and not (ids['val'] & ids['test'])
    sizes = {s: {r.size_m for r in make_rooms(TINY, s, 0)} for s in SLFM_SPLITS}
    assert not (sizes['train'] & sizes['test'])
    for table in (SLFM_SPEAKERS, SLFM_INSTRUMENTS):
        assert not (set(table['train']) & set(table['test'])) and not (set(table['train']) & set(table['val'])) and not (set(table['val']) & set(table['test']))
    assert slfm_config('smoke', 'ood').room_kind == 'hallway'   # the OOD set has rooms of another kind


def test_build_determinism_workers(cache, bank):
    "1 and 2 build workers give bit-identical arrays; item i depends only on (seed, split, i)."
    one = build_slfm_arrays('train', TINY, 0, n_workers=1, cache=cache)
    two = build_slfm_arrays('train', TINY, 0, n_workers=2, cache=cache)
    for key in ('audio', 'rgb', 'yaw_deg', 'all_sound_deg', 'position_m', 'source_m', 'rt60_s'):
        assert one[key].dtype == two[key].dtype and np.array_equal(one[key], two[key]), key
    assert one['audio'].dtype == np.int16 and one['rgb'].dtype == np.uint8 and one['audio'].shape[:3] == (4, 4, 2)
    assert one['source_label'] == two['source_label']
    again = sample_location(TINY, make_rooms(TINY, 'train', 0)[1], 'train', 3, 0)   # location 3 = room 1, computed alone
    np.testing.assert_array_equal(again['yaw_deg'], one['yaw_deg'][3])


def test_dataset_pairs_and_cache(cache):
    ds = build_slfm_dataset('train', config=TINY, cache=cache)
    assert isinstance(ds, SlfmDataset) and len(ds) == 4 * 3
    x = ds[5]                                                       # location 1, pair (0, 3)
    n = int(0.512 * 16000)
    assert x['audio'].shape == (2, 2, n) and x['audio'].dtype == torch.float32 and x['rgb'].shape == (2, 3, 24, 32)
    assert x['location'] == 1 and x['views'].tolist() == [0, 3] and float(x['rgb'].max()) <= 1
    assert abs(float(wrap_azimuth_deg(x['sound_azimuth_deg'][0].item() - x['camera_rotation_deg'].item() - x['sound_azimuth_deg'][1].item()))) < 1e-3
    whole = ds.location(1)                                          # the real-data loader's keys
    assert {'audio', 'rgb', 'sound_azimuth_deg', 'camera_rotation_deg', 'camera_yaw_deg', 'camera_position_m', 'source_position_m'} <= set(whole)
    assert whole['rgb'].shape == (4, 3, 24, 32) and whole['camera_rotation_deg'][3].item() == pytest.approx(x['camera_rotation_deg'].item(), abs=1e-4)
    every = SlfmDataset(ds.arrays, pairs='all')
    assert len(every) == 4 * 12
    batch = next(iter(torch.utils.data.DataLoader(every, batch_size=5)))
    assert batch['audio'].shape == (5, 2, 2, n) and batch['camera_rotation_deg'].shape == (5,)
    sync, unsync = SlfmDataset(ds.arrays, crop='random', time_sync=True), SlfmDataset(ds.arrays, crop='random', time_sync=False)
    assert len(set(sync.starts(0, 4))) == 1 and len(set(unsync.starts(0, 4))) > 1
    assert sync.starts(0, 2) == SlfmDataset(ds.arrays, crop='random').starts(0, 2)      # crops are deterministic per (seed, item, epoch)
    again = build_slfm_dataset('train', config=TINY, cache=cache)                        # from the cache
    assert torch.equal(again.audio, ds.audio)


def test_variants(cache):
    multi = slfm_config('smoke', 'multi_source', rooms=(1, 1, 1), locations_per_room=2, bank_labels=(2, 1, 1))
    arrays = build_slfm_arrays('test', multi, 0, cache=cache)
    assert arrays['all_sound_deg'].shape == (2, 2, 4) and arrays['source_m'].shape == (2, 2, 3)
    assert np.all((arrays['secondary_snr_db'] >= 5) & (arrays['secondary_snr_db'] <= 29))   # evaluation SNRs on the test split
    assert all(len(lab) == 2 for lab in arrays['source_label'])
    ood = slfm_config('smoke', 'ood', rooms=(1, 1, 1), locations_per_room=1, bank_labels=(1, 1, 1))
    arr = build_slfm_arrays('test', ood, 0, cache=cache)
    assert arr['audio'].shape[0] == 1 and arr['config']['hrtf_method'] == 'interpolate' and arr['room_ids'] == ['hallway-002']
    assert set(arr['source_label'][0]) <= set(SLFM_SPEAKERS['test']) | set(SLFM_INSTRUMENTS['test'])


def test_bad_input():
    with pytest.raises(ParameterError, match="split='dev' is not valid; choose one of: train, val, test"): make_rooms(TINY, 'dev', 0)
    with pytest.raises(ParameterError, match="variant='stereo' is not valid; choose one of: rotation, translation, multi_source, ood"): slfm_config('smoke', 'stereo')
    with pytest.raises(ParameterError, match="scale='tiny' is not valid; choose one of: smoke, full, paper"): slfm_config('tiny')
    with pytest.raises(ParameterError, match="view_mode='octant' is not valid; choose one of: paper, quarter"): slfm_config('smoke', view_mode='octant')
    with pytest.raises(ParameterError, match="hrtf_method='cubic' is not valid; choose one of: nearest, interpolate"): slfm_config('smoke', hrtf_method='cubic')
    with pytest.raises(ParameterError, match=r"unknown SlfmConfig field\(s\) \['fov'\]"): slfm_config('smoke', fov=60)
    with pytest.raises(ParameterError, match="n_workers=0"): build_slfm_arrays('train', TINY, 0, n_workers=0)
    with pytest.raises(ParameterError, match="seed=-2"): build_slfm_arrays('train', TINY, -2)
    with pytest.raises(ParameterError, match="rooms="): build_slfm_arrays('val', slfm_config('smoke', rooms=(1, 0, 1)), 0)
    with pytest.raises(ParameterError, match="source_distance_m="): slfm_config('smoke', source_distance_m=(3.0, 1.0))
