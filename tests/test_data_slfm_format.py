"Tests of avbook.data.slfm_format: the loader of the processed Sound Localization from Motion format, on tiny fixtures."
import json
import math
import shutil
import matplotlib.pyplot as plt
import numpy as np
import pytest
import soundfile as sf
import torch
from avbook.core import DataError, ParameterError
from avbook.data.slfm_format import (SLFM_DATASET, SLfMPairs, azimuth_from_positions_deg, camera_rotation_deg,
                                     habitat_angle_to_yaw_deg, habitat_to_world_m, make_slfm_fixture, make_slfm_pairs,
                                     read_viridis_depth, render_binaural, wrap_deg)


@pytest.fixture(scope='module')
def fx(tmp_path_factory): return make_slfm_fixture(tmp_path_factory.mktemp('slfm'), seed=0)


@pytest.fixture
def fresh(tmp_path): return make_slfm_fixture(tmp_path, seed=0)


def pair0(root): return root/'ProcessedData'/SLFM_DATASET/'00000-Scene0XXXXXX'/'pair-0000'
def load(f, split='train', **kw): return SLfMPairs(f['pairs'], split, f['sources'], **kw)


def edit_meta(root, fn):
    p = pair0(root)/'metadata.json'; m = json.loads(p.read_text()); fn(m); p.write_text(json.dumps(m))


# ---- conventions ---------------------------------------------------------------------------------------------------

def test_wrap_range():
    x = np.linspace(-1000, 1000, 2001)
    w = wrap_deg(x)
    assert (w > -180).all() and (w <= 180).all()
    assert np.allclose(np.mod(w - x, 360) % 360, 0) | np.allclose(np.mod(w - x, 360), 360)
    assert wrap_deg(-180) == 180 and wrap_deg(540) == 180


def test_habitat_frame_and_yaw():
    for a in (0.0, 37.0, 90.0, 200.0, 359.0):
        r = math.radians(a)
        forward_h = np.array([-math.sin(r), 0.0, -math.cos(r)])             # Habitat camera's forward after rotating by a about +y
        f = habitat_to_world_m(forward_h)
        yaw = math.radians(habitat_angle_to_yaw_deg(a))
        assert np.allclose(f, [math.cos(yaw), math.sin(yaw), 0.0], atol=1e-12)
    assert np.allclose(habitat_to_world_m([1.0, 2.0, 3.0]), [1.0, -3.0, 2.0])   # up stays up, right-handed


def test_authors_example_pair_matches_convention():
    "Numbers from the authors' released example metadata (00009-vLpv2VX547B/pair-0000)."
    angles = [5.695647424760262, 317.99019283409154, 347.3424169734188, 334.59740414775405]
    cam = [-3.664463520050049, 1.610099196434021, 3.332679271697998]
    sources = {0: ([-4.02232551574707, 1.223901629447937, 3.254539728164673], [71.98708198617481, 119.69253489243705, 90.34031181463264, 103.08532421420847]),
               1: ([-3.2516417503356934, 1.3969535827636719, 3.332354784011841], [-95.65061165623924, -47.945156440758204, -77.29738100245844, -64.55236802048086])}
    yaw = habitat_angle_to_yaw_deg(angles)
    for src, stored in sources.values():
        az = azimuth_from_positions_deg(habitat_to_world_m(src), habitat_to_world_m(cam), yaw)
        assert np.allclose(az, stored, atol=1e-3)
        assert np.allclose(wrap_deg(np.array(stored) - (stored[0] - camera_rotation_deg(angles))), 0, atol=1e-3)


def test_sound_angle_equals_source_angle_minus_camera_rotation(fx):
    for split in ('train', 'val', 'test'):
        ds = load(fx, split)
        for i in range(len(ds)):
            it = ds[i]
            th, ph = it['sound_azimuth_deg'].numpy(), it['camera_rotation_deg'].numpy()
            assert ph[0] == 0 and np.all((np.abs(ph[1:]) >= 10) & (np.abs(ph[1:]) < 90))
            assert np.allclose(wrap_deg(th - (th[0] - ph)), 0, atol=1e-9)
            az = azimuth_from_positions_deg(it['source_position_m'].numpy(), it['camera_position_m'].numpy(), it['camera_yaw_deg'].numpy())
            assert np.allclose(wrap_deg(az - th), 0, atol=1e-6)
            assert np.all((th > -180) & (th <= 180))


def test_source_index_selects_labels_and_rirs(fx):
    a, b = load(fx, source_index=0)[0], load(fx, source_index=1)[0]
    assert not torch.allclose(a['sound_azimuth_deg'], b['sound_azimuth_deg'])
    assert torch.equal(a['camera_rotation_deg'], b['camera_rotation_deg'])
    assert not torch.equal(a['audio'], b['audio'])


# ---- loading -------------------------------------------------------------------------------------------------------

def test_item_shapes_dtypes(fx):
    ds = load(fx, load_depth=True)
    assert len(ds) == 2 and len(ds.sources) == 2
    it = ds[1]
    assert it['audio'].shape == (4, 2, 40800) and it['audio'].dtype == torch.float32 and it['sample_rate'] == 16000
    assert it['rgb'].shape == (4, 3, 12, 16) and it['rgb'].dtype == torch.float32
    assert it['depth_rel'].shape == (4, 12, 16) and it['depth_rel'].min() == 0 and it['depth_rel'].max() == 1
    assert it['camera_position_m'].shape == (4, 3) and it['source_position_m'].shape == (3,)
    assert it['audio'].abs().max() <= 1.5 and torch.isfinite(it['audio']).all()
    two = load(fx, n_views=2, clip_length_s=1.0)[1]
    assert two['audio'].shape == (2, 2, 16000) and two['rgb'].shape == (2, 3, 12, 16)


def test_audio_is_source_convolved_with_rir(fx):
    ds = load(fx, 'val')
    it = ds[0]
    src, _ = sf.read(it['source_clip'] + '/audio.wav', dtype='float32', always_2d=True)
    x = src[:40800].mean(1); x = np.clip(x*it['source_rms']/np.sqrt(np.mean(x**2)), -1, 1)
    for i in range(4):
        rir, _ = sf.read(f"{it['pair']}/binaural_rirs/sound_0_camera_{i}_rir.wav", dtype='float32', always_2d=True)
        ref = np.stack([np.convolve(x, rir[:, c])[:40800] for c in range(2)])
        assert np.allclose(it['audio'][i].numpy(), ref, atol=1e-5)
    assert it['source_start_s'] == 0.0 and 0.07 <= it['source_rms'] <= 0.13


def test_mixed_rirs_equal_full(fx):
    full, mixed = load(fx)[0]['audio'], load(fx, rir='mixed')[0]['audio']
    assert torch.allclose(full, mixed, atol=1e-5)
    dry = load(fx, rir='mixed', indirect_ratio=0.0)[0]['audio']
    assert not torch.allclose(full, dry, atol=1e-5)


def test_louder_ear_follows_azimuth(fx):
    for split in ('train', 'val', 'test'):
        it = load(fx, split)[0]
        ild_db = 10*torch.log10(it['audio'][:, 0].pow(2).mean(-1)/it['audio'][:, 1].pow(2).mean(-1))
        s = torch.sin(torch.deg2rad(it['sound_azimuth_deg']))
        strong = s.abs() > 0.2
        assert torch.equal(torch.sign(ild_db[strong]), torch.sign(s[strong]).float())


def test_viridis_depth_roundtrip(tmp_path):
    depth = np.random.default_rng(1).uniform(0.3, 9.0, (10, 14))
    plt.imsave(tmp_path/'d.png', np.clip(depth, 0, 10)/10)                    # the generator's own writer
    rel = read_viridis_depth(tmp_path/'d.png').numpy()
    assert np.allclose(rel, (depth - depth.min())/(depth.max() - depth.min()), atol=1/255 + 1e-6)


def test_render_binaural_delay_and_gain():
    rir = np.zeros((2, 16)); rir[0, 2] = 1.0; rir[1, 5] = 0.25
    x = np.random.default_rng(0).standard_normal(100)
    y = render_binaural(x, rir)
    assert y.shape == (2, 100) and y.dtype == np.float32
    assert np.allclose(y[0, 2:], x[:98], atol=1e-6) and np.allclose(y[1, 5:], 0.25*x[:95], atol=1e-6)


# ---- determinism ---------------------------------------------------------------------------------------------------

def test_determinism_and_order_independence(fx):
    a, b = load(fx, seed=7), load(fx, seed=7)
    x1, x0 = a[1], a[0]                                                      # access order reversed on purpose
    y0, y1 = b[0], b[1]
    for p, q in ((x0, y0), (x1, y1)):
        assert torch.equal(p['audio'], q['audio']) and p['source_clip'] == q['source_clip'] and p['source_rms'] == q['source_rms']
    c = load(fx, seed=8)[0]
    assert c['source_rms'] != x0['source_rms']


def test_fixture_builder_is_deterministic(tmp_path):
    a, b = make_slfm_pairs(tmp_path/'a', seed=2), make_slfm_pairs(tmp_path/'b', seed=2)
    files = sorted(p.relative_to(a) for p in a.rglob('*') if p.is_file())
    assert files == sorted(p.relative_to(b) for p in b.rglob('*') if p.is_file())
    for f in files:                                  # float WAV headers carry a PEAK-chunk timestamp: compare samples
        if f.suffix == '.wav': assert np.array_equal(sf.read(a/f)[0], sf.read(b/f)[0])
        else: assert (a/f).read_bytes() == (b/f).read_bytes()


# ---- bad layouts ---------------------------------------------------------------------------------------------------

def _error(f, split='train', **kw):
    with pytest.raises(DataError) as e: load(f, split, **kw)
    assert 'Expected layout:' in str(e.value)
    return str(e.value)


def test_missing_roots(tmp_path, fresh):
    assert 'dataset root does not exist' in _error({'pairs': tmp_path/'none', 'sources': fresh['sources']})
    assert 'dataset root does not exist' in _error({'pairs': fresh['pairs'], 'sources': tmp_path/'none'})


def test_missing_pair_folder(fresh):
    shutil.rmtree(pair0(fresh['pairs']))
    msg = _error(fresh)
    assert 'missing pair folder' in msg and 'pair-0000' in msg


def test_missing_metadata(fresh):
    (pair0(fresh['pairs'])/'metadata.json').unlink()
    assert 'missing JSON file' in _error(fresh)


def test_malformed_metadata(fresh):
    (pair0(fresh['pairs'])/'metadata.json').write_text('{"camera_0_angle": 12.0, ')
    assert 'malformed JSON' in _error(fresh)


def test_metadata_missing_key(fresh):
    edit_meta(fresh['pairs'], lambda m: m.pop('relative_angle_between_sound_0_camera_3'))
    assert "lacks key(s) ['relative_angle_between_sound_0_camera_3']" in _error(fresh)
    assert load(fresh, n_views=3)[0]['audio'].shape[0] == 3                  # 3 views need no camera_3 key


def test_metadata_wrong_convention(fresh):
    def right_positive(m):
        for i in range(4): m[f'relative_angle_between_sound_0_camera_{i}'] = -m[f'relative_angle_between_sound_0_camera_{i}']
    edit_meta(fresh['pairs'], right_positive)
    assert 'disagree with the positions' in _error(fresh)
    assert len(load(fresh, geometry_tol_deg=None)) == 2                      # the check can be switched off


def test_missing_image(fresh):
    (pair0(fresh['pairs'])/'camera_2_rgb.png').unlink()
    assert 'missing file camera_2_rgb.png' in _error(fresh)


def test_missing_depth_only_when_requested(fresh):
    (pair0(fresh['pairs'])/'camera_1_depth.png').unlink()
    assert len(load(fresh)) == 2
    assert 'missing file camera_1_depth.png' in _error(fresh, load_depth=True)


@pytest.mark.parametrize('folder', ['binaural_rirs_direct', 'binaural_rirs_indirect'])
def test_missing_rir(fresh, folder):
    (pair0(fresh['pairs'])/folder/'sound_0_camera_2_rir.wav').unlink()
    assert len(load(fresh)) == 2                                             # rir='full' does not need them
    assert f'missing file {folder}/sound_0_camera_2_rir.wav' in _error(fresh, rir='mixed')


def test_rir_wrong_rate(fresh):
    sf.write(pair0(fresh['pairs'])/'binaural_rirs'/'sound_0_camera_0_rir.wav', np.zeros((1600, 2)), 44100)
    assert 'sample rate 44100 Hz, expected 16000 Hz' in _error(fresh)


def test_rir_not_binaural(fresh):
    sf.write(pair0(fresh['pairs'])/'binaural_rirs'/'sound_0_camera_0_rir.wav', np.zeros(1600), 16000)
    assert 'needs 2 channels' in _error(fresh)


def test_corrupt_rir(fresh):
    (pair0(fresh['pairs'])/'binaural_rirs'/'sound_0_camera_1_rir.wav').write_bytes(b'RIFF1234WAVEnonsense')
    assert 'corrupt audio file' in _error(fresh)
    ds = load(fresh, check_audio_headers=False)                              # found at load time instead
    with pytest.raises(DataError, match='corrupt audio file'): ds[0]


def test_source_problems(fresh):
    src = fresh['sources']
    clip = next(p.parent for p in sorted((src/'ProcessedData').rglob('meta.json')) if '19-227-' in str(p))
    meta = json.loads((clip/'meta.json').read_text())
    (clip/'meta.json').write_text(json.dumps(meta | {'audio_sample_rate': 44100}))
    assert 'audio_sample_rate=44100' in _error(fresh)
    (clip/'meta.json').write_text(json.dumps(meta | {'audio_length': 1.0}))
    assert 'shorter than clip_length_s=2.55' in _error(fresh)
    (clip/'meta.json').unlink()
    assert 'missing JSON file' in _error(fresh)


def test_source_wav_rate_mismatch(fresh):
    clip = next(p.parent for p in sorted((fresh['sources']/'ProcessedData').rglob('meta.json')) if '19-227-' in str(p))
    sf.write(clip/'audio.wav', np.zeros(3*22050), 22050)
    assert 'sample rate 22050 Hz' in _error(fresh)


def test_empty_and_missing_splits(fresh):
    (fresh['pairs']/'data-split'/SLFM_DATASET/'val.csv').write_text('"path"\n')
    assert 'split list is empty' in _error(fresh, 'val')
    assert 'missing split list' in _error(fresh, source_corpus='FMA')        # no data-split/FMA/ in the fixture
    (fresh['sources']/'data-split'/'LibriSpeech'/'test.csv').write_text('"path"\n')
    assert 'split list is empty' in _error(fresh, 'test')


def test_bad_arguments(fx):
    with pytest.raises(ParameterError, match="rir='wet'"): load(fx, rir='wet')
    with pytest.raises(ParameterError, match="split='dev'"): load(fx, 'dev')
    with pytest.raises(ParameterError, match='n_views=0'): load(fx, n_views=0)
