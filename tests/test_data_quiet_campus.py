"Tests of avbook.data.quiet_campus: loaders of the real Quiet Campus (Structure from Silence) on-disk format, on tiny fixtures."
import json
import shutil
import numpy as np
import pytest
import soundfile as sf
import torch
from PIL import Image
from avbook.core import DataError, ParameterError
from avbook.data.quiet_campus import (MOTION_DEPTH_MAX_M, MOTION_DEPTH_SCALE_M, PROCESSED_DIR, SPLIT_TASK, QuietCampusMotion,
                                      QuietCampusStatic, center_crop_distance_m, make_quiet_campus_fixture,
                                      make_quiet_campus_motion, make_quiet_campus_static, resolve_data_path)


@pytest.fixture(scope='module')
def roots(tmp_path_factory): return make_quiet_campus_fixture(tmp_path_factory.mktemp('qc'), seed=0)


def fresh_static(tmp_path): return make_quiet_campus_static(tmp_path/'SFS-Static', seed=0)
def fresh_motion(tmp_path): return make_quiet_campus_motion(tmp_path/'SFS-Motion', seed=0)
def clip0(root): return root/PROCESSED_DIR/'RoomA-101'/'clip-000'
def scene0(root): return root/PROCESSED_DIR/'scene-0000'


# ---- loading: shapes, dtypes, units -------------------------------------------------------------------------------

def test_static_item_shapes_dtypes_units(roots):
    ds = QuietCampusStatic(roots['static'], 'train')
    assert len(ds) == 4
    for i in range(len(ds)):
        it = ds[i]
        assert it['audio'].shape == (2, 15360) and it['audio'].dtype == torch.float32 and it['sample_rate'] == 16000
        assert it['rgb'].shape == (3, 12, 16) and it['rgb'].dtype == torch.float32 and 0 <= it['rgb'].min() and it['rgb'].max() <= 1
        assert it['depth_m'].shape == (12, 16) and it['depth_m'].dtype == torch.float32
        expected = 0.3 if it['clip'].endswith('clip-000') else 1.5           # the fixture's wall distances
        assert it['distance_m'] == pytest.approx(expected, abs=8/2**16)
        assert it['obstacle'] == int(expected < 0.5)
        assert it['annotation_depth_m'] == expected and it['max_depth_m'] == 8.0 and it['audio_length_s'] == 1.5
        assert 0 <= it['start_s'] <= 1.5 - 0.96


def test_static_whole_file_and_val_start(roots):
    it = QuietCampusStatic(roots['static'], 'val', clip_length_s=None)[0]
    assert it['audio'].shape == (2, 24000) and it['start_s'] == 0.0
    wav, rate = sf.read(it['clip'] + '/sound.wav', dtype='float32', always_2d=True)
    assert rate == 16000 and torch.equal(it['audio'], torch.from_numpy(wav.T))   # no resampling, no mixing, no gain


def test_static_start_second_column(tmp_path):
    root = fresh_static(tmp_path)
    csv = root/'data-split'/SPLIT_TASK/'test.csv'
    csv.write_text(csv.read_text().replace('"0","1"', '"0.5","1"'))             # start second 0.5 for the obstacle clip
    ds = QuietCampusStatic(root, 'test')
    it = ds[0]
    assert it['start_s'] == 0.5
    wav, _ = sf.read(it['clip'] + '/sound.wav', dtype='float32', always_2d=True)
    assert torch.equal(it['audio'], torch.from_numpy(wav[8000:8000 + 15360].T.copy()))


def test_motion_item_timestamps_and_labels(roots):
    ds = QuietCampusMotion(roots['motion'], 'train')
    starts = [ds[i]['start_frame'] for i in range(len(ds))]
    assert starts == [0, 20, 25]
    for i in range(len(ds)):
        it = ds[i]
        assert it['audio'].shape == (2, 15360) and it['audio'].dtype == torch.float32
        assert it['label_frame'] == it['start_frame'] + 7 and it['label_time_s'] == pytest.approx(it['label_frame']/15)
        assert it['audio_start_s'] == (it['start_frame']*16000//15)/16000
        wall = 4.5 - 4.3*it['label_frame']/39
        assert it['distance_m'] == pytest.approx(min(wall, MOTION_DEPTH_MAX_M), abs=MOTION_DEPTH_SCALE_M)
        assert it['obstacle'] == int(wall < 0.5)
    assert ds[0]['distance_m'] == MOTION_DEPTH_MAX_M                          # 3.73 m wall clipped at depth_max


def test_motion_audio_is_aligned_window(roots):
    it = QuietCampusMotion(roots['motion'], 'val')[1]
    wav, _ = sf.read(it['video'] + '/Audio/sound.wav', dtype='float32', always_2d=True)
    a0 = it['start_frame']*16000//15
    assert torch.equal(it['audio'], torch.from_numpy(wav[a0:a0 + 15360].T.copy()))


def test_motion_all_frames(roots):
    one, all_ = QuietCampusMotion(roots['motion'], 'test')[1], QuietCampusMotion(roots['motion'], 'test', all_frames=True)[1]
    assert all_['rgb'].shape == (14, 3, 12, 16) and all_['depth_m'].shape == (14, 12, 16)
    assert torch.allclose(all_['frame_times_s'], (one['start_frame'] + torch.arange(14, dtype=torch.float64))/15)
    assert torch.equal(all_['rgb'][7], one['rgb']) and torch.equal(all_['depth_m'][7], one['depth_m'])
    assert all_['distance_m'] == one['distance_m']


# ---- labels on hand-made cases ------------------------------------------------------------------------------------

def test_center_crop_matches_paper_definition():
    rng = np.random.default_rng(0)
    for H, W in ((480, 640), (13, 17), (4, 4)):
        d = torch.from_numpy(rng.uniform(0.2, 9, (H, W)))
        assert center_crop_distance_m(d).item() == pytest.approx(d[H//4:3*(H//4), W//4:3*(W//4)].mean().item())
    d = torch.full((480, 640), 7.0); d[120:360, 160:480] = 0.42
    assert center_crop_distance_m(d).item() == pytest.approx(0.42, abs=1e-6)   # float32 mean
    d[119, :] = 100.0; d[:, 159] = 100.0; d[360, :] = 100.0; d[:, 480] = 100.0  # just outside the crop: no effect
    assert center_crop_distance_m(d).item() == pytest.approx(0.42, abs=1e-6)   # float32 mean
    assert center_crop_distance_m(torch.ones(3, 8, 8)).shape == (3,)
    with pytest.raises(ParameterError, match='H, W >= 4'): center_crop_distance_m(torch.ones(3, 3))


def test_static_depth_png_decoding(tmp_path):
    root = fresh_static(tmp_path)
    raw = np.full((12, 16), 1000, np.uint16); raw[3:9, 4:12] = 4096          # 4096 * 8 / 65536 = 0.5 m in the crop
    Image.fromarray(raw).save(clip0(root)/'Depth.png')
    it = QuietCampusStatic(root, 'train')[0]
    assert it['distance_m'] == pytest.approx(0.5)
    assert it['depth_m'][0, 0].item() == pytest.approx(1000*8/2**16)


def test_resolve_data_path(tmp_path):
    assert resolve_data_path(tmp_path, './data/SFS-Motion/ProcessedData/scene-0001') == tmp_path/'ProcessedData'/'scene-0001'
    assert resolve_data_path(tmp_path, 'x/y') == tmp_path/'x'/'y'


# ---- determinism ---------------------------------------------------------------------------------------------------

def test_static_determinism(roots):
    a, b = QuietCampusStatic(roots['static'], 'train', seed=3), QuietCampusStatic(roots['static'], 'train', seed=3)
    for i in reversed(range(len(a))):                                        # order of access does not matter
        x, y = a[i], b[i]
        assert x['start_s'] == y['start_s'] and torch.equal(x['audio'], y['audio'])
    other = QuietCampusStatic(roots['static'], 'train', seed=4)
    assert [other[i]['start_s'] for i in range(4)] != [a[i]['start_s'] for i in range(4)]


def test_fixture_builder_is_deterministic(tmp_path):
    a, b = make_quiet_campus_fixture(tmp_path/'a', seed=5), make_quiet_campus_fixture(tmp_path/'b', seed=5)
    for kind in ('static', 'motion'):
        files_a = sorted(p.relative_to(a[kind]) for p in a[kind].rglob('*') if p.is_file())
        assert files_a == sorted(p.relative_to(b[kind]) for p in b[kind].rglob('*') if p.is_file())
        for rel in files_a:
            assert (a[kind]/rel).read_bytes() == (b[kind]/rel).read_bytes()


# ---- bad layouts ---------------------------------------------------------------------------------------------------

def _static_error(root, split='train'):
    with pytest.raises(DataError) as e: QuietCampusStatic(root, split)
    assert 'Expected layout:' in str(e.value) and 'annotation.json' in str(e.value)
    return str(e.value)


def test_static_missing_root(tmp_path):
    assert 'dataset root does not exist' in _static_error(tmp_path/'nowhere')


def test_static_missing_csv(tmp_path):
    root = fresh_static(tmp_path); (root/'data-split'/SPLIT_TASK/'train.csv').unlink()
    msg = _static_error(root)
    assert 'missing split list' in msg and 'train.csv' in msg


def test_static_csv_missing_column(tmp_path):
    root = fresh_static(tmp_path); (root/'data-split'/SPLIT_TASK/'train.csv').write_text('"path","depth"\n"./x","1"\n')
    assert "lacks column(s) ['IfObstacle']" in _static_error(root)


def test_static_empty_split(tmp_path):
    root = fresh_static(tmp_path); (root/'data-split'/SPLIT_TASK/'val.csv').write_text('"path","depth","start second","IfObstacle"\n')
    assert 'split list is empty' in _static_error(root, 'val')


def test_static_missing_clip_folder(tmp_path):
    root = fresh_static(tmp_path); shutil.rmtree(clip0(root))
    msg = _static_error(root)
    assert 'missing clip folder' in msg and 'RoomA-101/clip-000' in msg


@pytest.mark.parametrize('name', ['RGB.png', 'Depth.png', 'sound.wav', 'annotation.json'])
def test_static_missing_file(tmp_path, name):
    root = fresh_static(tmp_path); (clip0(root)/name).unlink()
    msg = _static_error(root)
    assert f'missing file {name}' in msg and str(clip0(root)/name) in msg


def test_static_malformed_annotation(tmp_path):
    root = fresh_static(tmp_path); (clip0(root)/'annotation.json').write_text('{"depth": 0.3, "Max depth')
    assert 'malformed JSON' in _static_error(root)


def test_static_annotation_missing_key(tmp_path):
    root = fresh_static(tmp_path); (clip0(root)/'annotation.json').write_text(json.dumps({'depth': 0.3, 'Audio Length': 1.5}))
    assert "lacks key(s) ['Max depth in map']" in _static_error(root)


def test_static_annotation_not_numeric(tmp_path):
    root = fresh_static(tmp_path)
    (clip0(root)/'annotation.json').write_text(json.dumps({'depth': 'far', 'Max depth in map': 8, 'Audio Length': 1.5}))
    assert "['depth'] must be finite numbers" in _static_error(root)


def test_static_wrong_sample_rate(tmp_path):
    root = fresh_static(tmp_path); sf.write(clip0(root)/'sound.wav', np.zeros((44100, 2)), 44100)
    msg = _static_error(root)
    assert 'sample rate 44100 Hz, expected 16000 Hz' in msg and 'sound.wav' in msg


def test_static_corrupt_wav(tmp_path):
    root = fresh_static(tmp_path); (clip0(root)/'sound.wav').write_bytes(b'RIFF\x00\x00\x00\x00WAVEfmt garbage')
    assert 'corrupt audio file' in _static_error(root)


def test_static_wav_too_short(tmp_path):
    root = fresh_static(tmp_path); sf.write(clip0(root)/'sound.wav', np.zeros((8000, 2)), 16000)
    assert 'too short' in _static_error(root)


def test_static_8bit_depth_png(tmp_path):
    root = fresh_static(tmp_path); Image.fromarray(np.zeros((12, 16), np.uint8)).save(clip0(root)/'Depth.png')
    ds = QuietCampusStatic(root, 'train')
    with pytest.raises(DataError, match='expected a 16-bit grayscale depth PNG'): ds[0]


def test_static_bad_arguments(roots):
    with pytest.raises(ParameterError, match="split='dev'"): QuietCampusStatic(roots['static'], 'dev')
    with pytest.raises(ParameterError, match='clip_length_s=0'): QuietCampusStatic(roots['static'], 'train', clip_length_s=0)


def _motion_error(root, split='train'):
    with pytest.raises(DataError) as e: QuietCampusMotion(root, split)
    assert 'Expected layout:' in str(e.value) and 'Audio/sound.wav' in str(e.value)
    return str(e.value)


def test_motion_missing_audio_folder(tmp_path):
    root = fresh_motion(tmp_path); shutil.rmtree(scene0(root)/'Audio')
    assert 'missing folder Audio/' in _motion_error(root)


def test_motion_missing_frame(tmp_path):
    root = fresh_motion(tmp_path); (scene0(root)/'RGB'/'c027.png').unlink()   # label frame of the clip starting at 20
    msg = _motion_error(root)
    assert 'missing frame 27' in msg and 'c027.png' in msg


def test_motion_bad_frame_name(tmp_path):
    root = fresh_motion(tmp_path); csv = root/'data-split'/SPLIT_TASK/'train.csv'
    csv.write_text(csv.read_text().replace('d000.png', 'frame0.png'))
    assert "depth_path_1='frame0.png' is not a frame name" in _motion_error(root)


def test_motion_audio_too_short(tmp_path):
    root = fresh_motion(tmp_path); sf.write(scene0(root)/'Audio'/'sound.wav', np.zeros((20000, 2)), 16000)
    assert 'the clip at frame 20 needs samples' in _motion_error(root)


def test_motion_wrong_rate_and_empty_split(tmp_path):
    root = fresh_motion(tmp_path); sf.write(scene0(root)/'Audio'/'sound.wav', np.zeros((96000*3, 2)), 96000)
    assert 'sample rate 96000 Hz' in _motion_error(root)
    (root/'data-split'/SPLIT_TASK/'test.csv').write_text('"path","depth_path_1","IfObstacle"\n')
    assert 'split list is empty' in _motion_error(root, 'test')
