"Evaluating simulator-trained SLfM models on the real HM3D-SoundSpaces format, end to end on the loader's fixture at smoke scale."
import dataclasses
import json
import os
import shutil
from pathlib import Path
import numpy as np
import pytest
import soundfile as sf
import torch
import avbook.experiments.slfm_real as real
from avbook.core import Cache, DataError
from avbook.data.slfm import SlfmConfig, SlfmDataset, slfm_config
from avbook.data.slfm_format import SLFM_DATASET, SLfMPairs, make_slfm_fixture, make_slfm_pairs, make_slfm_sources, wrap_deg
from avbook.experiments.slfm import TEST_PAIRS, load_split, method_features, slfm_result
from avbook.models.slfm import N_ANGLE_BINS, rotation_bin, sound_angle_bin

SMOKE = slfm_config('smoke')


@pytest.fixture(scope='module')
def eight(tmp_path_factory):
    "A real-format data root with 8 test pairs."
    root = tmp_path_factory.mktemp('slfm-real')/'data'
    make_slfm_pairs(root/'AI-Habitat', seed=0, pairs={'train': 1, 'val': 1, 'test': 8}); make_slfm_sources(root/'LibriSpeech', seed=0)
    return root


@pytest.fixture
def fx(tmp_path): return make_slfm_fixture(tmp_path/'data', seed=0)


def known_pair_folder(pairs_root): return next((Path(pairs_root)/'ProcessedData'/SLFM_DATASET).glob('00002-*/pair-0000'))


def test_end_to_end_on_fixture(fresh_cache, eight, tmp_path, monkeypatch):
    cache = Cache(tmp_path/'real-cache')
    table = real.evaluate_on_data_root('ours', eight, scale='smoke', device='cpu', cache=cache)
    assert list(table.index) == ['Chance', 'Ours', real.PROBE_ROW]
    assert table.attrs['data_root'] == str(eight) and table.attrs['split'] == 'test'
    ds = real.real_slfm_dataset(eight, 'test', 'smoke', cache=cache)
    keep_lr = np.abs(np.sin(np.deg2rad(ds.sound_deg))) >= np.sin(np.deg2rad(real.LR_MARGIN_DEG))
    for row in table.index:
        assert table.loc[row, 'camera_mae_deg_n'] == 8 * len(TEST_PAIRS)
        assert table.loc[row, 'audio_mae_deg_n'] == (np.abs(ds.sound_deg) <= 90).sum()
        assert table.loc[row, 'left_right_acc_n'] == keep_lr.sum()
        for m in ('left_right_acc', 'audio_mae_deg', 'camera_mae_deg'):
            assert np.isfinite(table.loc[row, m]) and table.loc[row, f"{m}_lo"] <= table.loc[row, m] <= table.loc[row, f"{m}_hi"]
    assert 0 <= table['left_right_acc'].min() and table['left_right_acc'].max() <= 100
    assert table.loc['Chance', 'left_right_acc'] == pytest.approx(100 * np.mean(ds.sound_deg[keep_lr] < 0))   # 0° is never "left"
    # a second call is served from the caches: no array is rebuilt, no feature recomputed
    monkeypatch.setattr(SLfMPairs, '__getitem__', lambda *a, **k: pytest.fail('a pair was read again'))
    monkeypatch.setattr(real, 'compute_features', lambda *a, **k: pytest.fail('features recomputed'))
    again = real.evaluate_on_data_root('ours', eight, scale='smoke', device='cpu', cache=cache)
    assert again.equals(table)


def test_same_code_path_as_the_simulator(fresh_cache):
    "On the simulated test split, the real-data path reproduces `method_features` and `slfm_result`."
    sim = real.dataset_features('ours', load_split('test', 'smoke'), 'smoke', device='cpu')
    ref = method_features('ours', 'test', 'smoke', device='cpu')
    assert sorted(sim) == sorted(ref) and all(torch.allclose(sim[k].float(), ref[k].float(), atol=1e-5) for k in ref)
    table = real.evaluate_features('ours', ref, 'smoke', device='cpu', probe=False)
    expected = slfm_result('ours', 'ours', 'smoke', device='cpu')
    assert table.loc['Ours', 'audio_mae_deg'] == pytest.approx(expected['audio'].mean(), abs=1e-3)
    assert table.loc['Ours', 'camera_mae_deg'] == pytest.approx(expected['camera'].mean(), abs=1e-3)
    assert table.loc['Ours', 'sign'] == expected['sign']


def test_arrays_match_the_simulator_layout(fx):
    a = real.real_slfm_arrays(fx['pairs'], fx['sources'], SMOKE, 'train')
    n = round(SMOKE.audio_s * SMOKE.sample_rate)
    assert a['audio'].shape == (2, 4, 2, n) and a['audio'].dtype == np.int16
    assert a['rgb'].shape == (2, 4, 3, *SMOKE.image_hw) and a['rgb'].dtype == np.uint8
    assert a['all_sound_deg'].shape == (2, 1, 4) and a['source_m'].shape == (2, 1, 3) and a['elevation_deg'].shape == (2, 1, 4)
    ds = SlfmDataset(a)
    item = ds[0]
    assert item['audio'].shape == (2, 2, ds.n_clip) and item['rgb'].shape == (2, 3, *SMOKE.image_hw)


def test_audio_is_the_loaders_rendering(fx):
    "Each view is the loader's convolution of the RIR with the source excerpt, quantized like the simulator's."
    a = real.real_slfm_arrays(fx['pairs'], fx['sources'], SMOKE, 'val', seed=3)
    item = SLfMPairs(fx['pairs'], 'val', fx['sources'], clip_length_s=SMOKE.audio_s, seed=3)[0]
    np.testing.assert_allclose(a['audio'][0] / 32767, np.clip(item['audio'].numpy(), -1, 1), atol=1 / 32767)
    assert a['source_rms'][0] == item['source_rms'] and a['source_label'][0][0].endswith(Path(item['source_clip']).name)


def test_deterministic_given_seed(fx):
    a, b, c = (real.real_slfm_arrays(fx['pairs'], fx['sources'], SMOKE, 'train', seed=s) for s in (0, 0, 1))
    assert np.array_equal(a['audio'], b['audio']) and np.array_equal(a['rgb'], b['rgb'])
    assert not np.array_equal(a['audio'], c['audio'])
    assert np.array_equal(a['yaw_deg'], c['yaw_deg'])     # labels do not depend on the seed


def test_label_convention_on_a_known_pair(fx):
    "Source 2 m west of a camera at Habitat angles 20, 50, 350, 80 degrees: 70 deg left in view 0, then 70 - rotation."
    real.write_known_pair(known_pair_folder(fx['pairs']))
    ds = SlfmDataset(real.real_slfm_arrays(fx['pairs'], fx['sources'], SMOKE, 'test'))
    np.testing.assert_allclose(ds.yaw_deg[0], [110.0, 140.0, 80.0, 170.0], atol=1e-9)   # avbook yaw = Habitat angle + 90
    rotation = np.array([ds[k]['camera_rotation_deg'].item() for k in range(3)])
    np.testing.assert_allclose(rotation, [30.0, -30.0, 60.0], atol=1e-4)
    np.testing.assert_allclose(ds.sound_deg[0], [70.0, 40.0, 100.0, 10.0], atol=1e-9)
    np.testing.assert_allclose(wrap_deg(ds.sound_deg[0, 1:] - (ds.sound_deg[0, 0] - rotation)), 0, atol=1e-4)


def test_fingerprint_follows_the_files(fx):
    key = real.real_slfm_fingerprint(fx['pairs'], fx['sources'], 'test')
    assert key == real.real_slfm_fingerprint(fx['pairs'], fx['sources'], 'test')
    meta = known_pair_folder(fx['pairs'])/'metadata.json'
    m = json.loads(meta.read_text()); m['scene_id'] = 'edited'; st = meta.stat()
    meta.write_text(json.dumps(m)); os.utime(meta, ns=(st.st_atime_ns, st.st_mtime_ns))   # same mtime, other bytes
    assert key != real.real_slfm_fingerprint(fx['pairs'], fx['sources'], 'test')


def test_probe_bin_centers_invert_the_bins():
    r = dict(sound=(-178.0, 179.5), rotation=(10.2, 59.9))
    assert sound_angle_bin(torch.tensor(real.sound_bin_centers_deg(r)), *r['sound']).tolist() == list(range(N_ANGLE_BINS))
    assert rotation_bin(torch.tensor(real.rotation_bin_centers_deg(r)), *r['rotation']).tolist() == list(range(N_ANGLE_BINS))


def test_left_right_drops_the_median_plane():
    assert real.left_right_correct([30, -30, 170, 10, 2], [60, 60, 120, -3, 178]).tolist() == [True, False, True]


# ---- wrong layouts -------------------------------------------------------------------------------------------------

def _remove_rir(f): (known_pair_folder(f['pairs'])/'binaural_rirs'/'sound_0_camera_2_rir.wav').unlink()
def _remove_csv(f): (f['pairs']/'data-split'/SLFM_DATASET/'test.csv').unlink()
def _remove_pairs(f): shutil.rmtree(f['pairs']/'ProcessedData')
def _remove_sources(f): shutil.rmtree(f['sources'])
def _remove_habitat(f): shutil.rmtree(f['pairs'])
def _drop_meta_key(f):
    p = known_pair_folder(f['pairs'])/'metadata.json'; m = json.loads(p.read_text()); del m['camera_3_angle']; p.write_text(json.dumps(m))
def _mono_rir(f):
    p = known_pair_folder(f['pairs'])/'binaural_rirs'/'sound_0_camera_0_rir.wav'; x, sr = sf.read(p); sf.write(p, x[:, 0], sr, subtype='FLOAT')
def _rate_rir(f):
    p = known_pair_folder(f['pairs'])/'binaural_rirs'/'sound_0_camera_1_rir.wav'; x, _ = sf.read(p); sf.write(p, x, 22050, subtype='FLOAT')
def _wrong_angles(f):
    p = known_pair_folder(f['pairs'])/'metadata.json'; m = json.loads(p.read_text())
    for i in range(4): m[f'relative_angle_between_sound_0_camera_{i}'] *= -1   # right-positive labels
    p.write_text(json.dumps(m))

BAD_LAYOUTS = {
    'missing impulse response': (_remove_rir, 'missing file binaural_rirs/sound_0_camera_2_rir.wav'),
    'missing split list': (_remove_csv, 'missing split list'),
    'missing pair folders': (_remove_pairs, 'missing pair folder'),
    'missing source corpus': (_remove_sources, 'no LibriSpeech/ source corpus'),
    'missing AI-Habitat': (_remove_habitat, 'no AI-Habitat/data-split'),
    'metadata key missing': (_drop_meta_key, "lacks key(s) ['camera_3_angle']"),
    'mono impulse response': (_mono_rir, 'needs 2 channels'),
    'impulse response at 22.05 kHz': (_rate_rir, 'never resamples'),
    'right-positive angles': (_wrong_angles, 'another convention'),
}


@pytest.mark.parametrize('name', list(BAD_LAYOUTS))
def test_bad_layout_raises_a_clear_data_error(fx, tmp_path, name, monkeypatch):
    break_it, text = BAD_LAYOUTS[name]
    break_it(fx)
    monkeypatch.setattr(real, 'dataset_features', lambda *a, **k: pytest.fail('a model ran on a broken data root'))
    with pytest.raises(DataError) as e:
        real.evaluate_on_data_root('ours', fx['pairs'].parent, scale='smoke', device='cpu', cache=Cache(tmp_path/'c'))
    assert text in str(e.value)
    assert 'Expected layout' in str(e.value) or 'data_root' in str(e.value)


def test_missing_data_root_and_unknown_corpus(tmp_path):
    with pytest.raises(DataError, match='is not a folder'): real.slfm_data_roots(tmp_path/'nowhere')
    with pytest.raises(DataError, match='no FMA/ or Free-Music-Archive/'):
        make_slfm_fixture(tmp_path/'data'); real.slfm_data_roots(tmp_path/'data', source_corpus='FMA')


@pytest.mark.parametrize('change, text', [(dict(image_hw=(24, 48)), 'aspect'), (dict(audio_s=5.0, clip_s=2.55), 'shorter than clip_length_s')])
def test_recipe_the_data_cannot_serve(fx, change, text):
    config = SlfmConfig(**{**dataclasses.asdict(SMOKE), **change})
    with pytest.raises(DataError, match=text): real.real_slfm_arrays(fx['pairs'], fx['sources'], config, 'test')


def test_table_record_is_json_safe():
    import pandas as pd
    record = real.table_record(pd.DataFrame({'a': [1.0, np.nan], 'n': [np.int64(3), np.int64(4)]}, index=['x', 'y']))
    assert json.loads(json.dumps(record, allow_nan=False)) == dict(index=['x', 'y'], columns=['a', 'n'], data=[[1.0, 3], [None, 4]])
