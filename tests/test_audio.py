"avbook.audio against librosa, scipy and torchaudio; batched equals item by item; binaural cue signs; I/O and bad input."
import math
import librosa
import numpy as np
import pytest
import scipy.signal
import soundfile as sf
import torch
import torchaudio
from avbook.core import DataError, ParameterError
from avbook.audio import (PAPER_LOGMEL, PAPER_STFT, LogMel, apply_mask, check_audio, complex_ratio_mask, complex_to_real_imag,
                          compress_mask, decompress_mask, envelope, frame_patches, gcc_phat, ideal_binary_mask, ideal_ratio_mask,
                          ild_db, interaural_cross_correlation, ipd_cos_sin, ipd_rad, istft, itd_gcc_phat, load_audio, log_magnitude,
                          log_mel, mel_filterbank, real_imag_to_complex, resample, save_audio, stft, vggish_patches)

def noise(*shape, seed=0, dtype=np.float32):
    return torch.from_numpy(np.random.default_rng(seed).standard_normal(shape).astype(dtype))

def delayed_noise(delay_samples, n=4000, seed=0):
    "Noise [left, right] with right = left delayed by `delay_samples` (exact band-limited fractional delay)."
    rng, pad = np.random.default_rng(seed), 256
    spectrum = np.fft.rfft(rng.standard_normal(n + 2 * pad))
    freqs = np.fft.rfftfreq(n + 2 * pad)
    left = np.fft.irfft(spectrum, n + 2 * pad)
    right = np.fft.irfft(spectrum * np.exp(-2j * np.pi * freqs * delay_samples), n + 2 * pad)
    return torch.from_numpy(np.stack([left, right])[:, pad:pad + n].astype(np.float32))

def clip_for(cfg):
    "A short clip for one paper setting (at most 1 s or 8 frames' worth, whichever is longer)."
    return min(cfg.clip_samples, max(cfg.sample_rate, 8 * cfg.n_fft))

# ---------------------------------------------------------------- STFT
@pytest.mark.parametrize('name', sorted(PAPER_STFT))
def test_stft_matches_librosa_and_round_trips(name):
    cfg = PAPER_STFT[name]
    wav = noise(2, clip_for(cfg))
    spec = stft(wav, **cfg.stft_kwargs())
    for pad_mode in ['reflect', 'constant']:
        ref = librosa.stft(wav.numpy(), n_fft=cfg.n_fft, hop_length=cfg.hop_length, win_length=cfg.win_length, center=cfg.center, pad_mode=pad_mode)
        ours = stft(wav, **cfg.stft_kwargs(), pad_mode=pad_mode).numpy()
        np.testing.assert_allclose(ours, ref, atol=1e-3 * np.abs(ref).max() / 50 + 1e-4, rtol=0)
    back = istft(spec, **cfg.stft_kwargs(), length=wav.shape[-1])
    assert float((back - wav).abs().max()) < 1e-5

def test_stft_equals_torch_stft_and_keeps_batch_dims():
    wav = noise(2, 3, 2, 8000)
    spec = stft(wav, 512, 160, 400)
    assert spec.shape == (2, 3, 2, 257, 51) and spec.dtype == torch.complex64
    ref = torch.stft(wav[1, 2, 0], 512, 160, 400, torch.hann_window(400), return_complex=True)
    assert torch.equal(spec[1, 2, 0], ref)
    for i in range(2):
        torch.testing.assert_close(spec[i], stft(wav[i], 512, 160, 400), atol=1e-5, rtol=0)

def test_float64_stays_float64_and_matches_librosa_tightly():
    wav = noise(1, 4000, dtype=np.float64)
    spec = stft(wav, 512, 160, 400)
    assert spec.dtype == torch.complex128
    ref = librosa.stft(wav.numpy(), n_fft=512, hop_length=160, win_length=400, pad_mode='reflect')
    np.testing.assert_allclose(spec.numpy(), ref, atol=1e-10)
    assert log_mel(wav, 16000).dtype == torch.float64

def test_paper_shapes():
    for name, cfg in PAPER_STFT.items():
        assert tuple(stft(torch.zeros(1, cfg.clip_samples), **cfg.stft_kwargs()).shape[-2:]) == cfg.shape, name
        assert cfg.win_length <= cfg.n_fft and cfg.source

# ---------------------------------------------------------------- log-mel
def test_mel_filterbank_matches_librosa_and_torchaudio():
    ours = mel_filterbank(16000, 512, 64, 125, 7500, dtype=torch.float64).numpy()
    np.testing.assert_allclose(ours, librosa.filters.mel(sr=16000, n_fft=512, n_mels=64, fmin=125, fmax=7500, htk=True, norm=None, dtype=np.float64), atol=1e-12)
    ta = torchaudio.functional.melscale_fbanks(257, 0.0, 8000.0, 64, 16000, norm=None, mel_scale='htk').T.double().numpy()
    np.testing.assert_allclose(mel_filterbank(16000, 512, 64, 0, 8000, dtype=torch.float64).numpy(), ta, atol=1e-5)  # torchaudio builds it in float32

@pytest.mark.parametrize('name', sorted(PAPER_LOGMEL))
def test_log_mel_matches_librosa(name):
    kw = PAPER_LOGMEL[name]
    wav = 0.1 * noise(3, 1, 16000, seed=1)
    y = np.pad(wav.numpy(), [(0, 0), (0, 0), (56, 56)]) if kw.get('window_frames') and not kw['center'] else wav.numpy()
    ref = np.log(librosa.feature.melspectrogram(y=y, sr=16000, n_fft=kw['n_fft'], hop_length=kw['hop_length'], win_length=kw['win_length'],
                 center=kw['center'], pad_mode='reflect', power=kw['power'], n_mels=kw['n_mels'], fmin=kw['f_min_hz'], fmax=kw['f_max_hz'],
                 htk=True, norm=None) + kw['log_offset'])
    ours = log_mel(wav, 16000, **kw).numpy()
    assert ours.shape == ref.shape
    np.testing.assert_allclose(ours, ref, atol=1e-4, rtol=0)

def test_sfs_log_mel_matches_torchaudio_melspectrogram():
    "SFS's code uses torchaudio's MelSpectrogram (HTK, power 2, no norm) then log(x + 1e-10)."
    wav = 0.1 * noise(2, 1, 15360, seed=2)
    front = torchaudio.transforms.MelSpectrogram(16000, n_fft=512, win_length=400, hop_length=160, f_min=0.0, f_max=8000.0, n_mels=64,
                                                 mel_scale='htk', norm=None, power=2.0)
    ref = torch.log(front(wav) + 1e-10)
    ours = log_mel(wav, 16000, **PAPER_LOGMEL['sfs'])
    assert ours.shape == (2, 1, 64, 97)
    torch.testing.assert_close(ours, ref, atol=1e-4, rtol=0)

def test_vggish_framing_matches_direct_numpy_recipe():
    wav = 0.1 * noise(1, 1, 16000, seed=3)
    frames = np.lib.stride_tricks.sliding_window_view(wav[0, 0].double().numpy(), 400)[::160] * scipy.signal.get_window('hann', 400)
    fb = librosa.filters.mel(sr=16000, n_fft=512, n_mels=64, fmin=125, fmax=7500, htk=True, norm=None, dtype=np.float64)
    direct = np.log(np.abs(np.fft.rfft(frames, 512)) @ fb.T + 0.01).T
    np.testing.assert_allclose(log_mel(wav.double(), 16000)[0, 0].numpy(), direct, atol=1e-10)

def test_log_mel_and_patches_batched_equal_items():
    wav = noise(3, 2, 16000 * 2, seed=4)
    feats = log_mel(wav, 16000)
    patches = vggish_patches(wav, 16000)
    assert patches.shape == (3, 2, 2, 96, 64)
    for i in range(3):
        torch.testing.assert_close(feats[i], log_mel(wav[i], 16000), atol=1e-5, rtol=0)
        torch.testing.assert_close(patches[i], vggish_patches(wav[i], 16000), atol=1e-5, rtol=0)
    torch.testing.assert_close(patches[2, 1, 1], feats[2, 1, :, 96:192].T)  # patch 1 of channel 1: frames 96..191
    assert frame_patches(feats, 96, 10).shape == (3, 11, 2, 96, 64)  # 1 + (198 - 96) // 10 patches

def test_logmel_module_in_sequential():
    model = torch.nn.Sequential(LogMel(16000, **PAPER_LOGMEL['sfs']), torch.nn.Flatten(1))
    assert model(torch.zeros(4, 1, 15360)).shape == (4, 64 * 97)
    assert 'log_offset=1e-10' in repr(model)

# ---------------------------------------------------------------- masks
def test_masks():
    spec = stft(noise(2, 8000, seed=5), 512, 160, 400)
    target, other = spec[0], 0.3 * spec[1]
    mixture = target + other
    torch.testing.assert_close(apply_mask(mixture, complex_ratio_mask(target, mixture, clip=None)), target, atol=1e-3, rtol=1e-3)
    clipped = complex_ratio_mask(target, mixture)
    assert clipped.real.abs().max() <= 5 and clipped.imag.abs().max() <= 5
    torch.testing.assert_close(decompress_mask(compress_mask(clipped)), clipped, atol=1e-3, rtol=0)
    assert compress_mask(torch.tensor(1e6)) <= 10
    irm = ideal_ratio_mask(target, mixture, max_value=5)
    assert 0 <= float(irm.min()) and float(irm.max()) <= 5
    ibm = ideal_binary_mask(target, mixture)
    assert torch.equal(ibm, (target.abs() > other.abs()).float())
    assert torch.equal(real_imag_to_complex(complex_to_real_imag(spec)), spec)
    assert torch.isfinite(log_magnitude(torch.zeros(1, 3, 3, dtype=torch.complex64))).all()

# ---------------------------------------------------------------- envelope
@pytest.mark.parametrize('n', [999, 1000])
def test_envelope_matches_scipy(n):
    x = np.random.default_rng(6).standard_normal((2, 3, n))
    np.testing.assert_allclose(envelope(torch.from_numpy(x)).numpy(), np.abs(scipy.signal.hilbert(x)), atol=1e-10)
    np.testing.assert_allclose(envelope(torch.from_numpy(x).float()).numpy(), np.abs(scipy.signal.hilbert(x)), atol=1e-5)

# ---------------------------------------------------------------- binaural cues
@pytest.mark.parametrize('attenuation_db', [3.0, 6.0, 20.0])
def test_ild_of_attenuated_right_ear(attenuation_db):
    mono = noise(8000, seed=7)
    spec = stft(torch.stack([mono, mono * 10 ** (-attenuation_db / 20)]), 512, 160, 400)
    ild = ild_db(spec)
    torch.testing.assert_close(ild.median(), torch.tensor(attenuation_db), atol=1e-4, rtol=0)
    torch.testing.assert_close(ild, torch.full((257, 51), attenuation_db), atol=0.1, rtol=0)  # eps=1e-10 matters in near-empty bins
    mono64 = mono.double()
    exact = ild_db(stft(torch.stack([mono64, mono64 * 10 ** (-attenuation_db / 20)]), 512, 160, 400), eps=0)
    torch.testing.assert_close(exact, torch.full((257, 51), attenuation_db, dtype=torch.float64), atol=1e-9, rtol=0)

def test_ipd_sign_left_leads():
    t = torch.arange(16000, dtype=torch.float64) / 16000
    delay_s = 1e-4
    pair = torch.stack([torch.sin(2 * math.pi * 1000 * t), torch.sin(2 * math.pi * 1000 * (t - delay_s))])
    spec = stft(pair, 512, 160, 400)
    k = 32  # 1000 Hz
    torch.testing.assert_close(ipd_rad(spec)[k, 5:-5], torch.full((91,), 2 * math.pi * 1000 * delay_s, dtype=torch.float64), atol=1e-6, rtol=0)
    assert ipd_cos_sin(spec).shape == (2, 257, 101)

@pytest.mark.parametrize('delay', [-9.3, -2.0, 0.0, 0.5, 4.25, 11.0])
def test_itd_gcc_phat_recovers_delay(delay):
    pair = delayed_noise(delay)
    coarse = float(itd_gcc_phat(pair[0], pair[1], 16000, upsample=1, interpolate=False)) * 16000
    assert abs(coarse - delay) <= 0.5 + 1e-6, "within one sample without interpolation"
    fine = float(itd_gcc_phat(pair[0], pair[1], 16000)) * 16000
    assert abs(fine - delay) < 0.02, f"sub-sample with upsampling + parabola: {fine} vs {delay}"
    assert abs(float(itd_gcc_phat(pair[1], pair[0], 16000)) * 16000 + delay) < 0.02, "swapping ears flips the sign"

def test_gcc_phat_and_iacc_batched_equal_items():
    batch = torch.stack([delayed_noise(d, seed=i) for i, d in enumerate([-3, 2.5, 6])])  # (3, 2, time)
    lags_s, cc = gcc_phat(batch[:, 0], batch[:, 1], 16000, 1e-3, upsample=4)
    assert lags_s.shape == (2 * 64 + 1,) and cc.shape == (3, 129)
    lags_iacc, rho = interaural_cross_correlation(batch, 16000)
    for i in range(3):
        torch.testing.assert_close(cc[i], gcc_phat(batch[i, 0], batch[i, 1], 16000, 1e-3, upsample=4)[1], atol=1e-5, rtol=0)
        torch.testing.assert_close(rho[i], interaural_cross_correlation(batch[i], 16000)[1], atol=1e-5, rtol=0)
    assert ((lags_iacc[rho.argmax(-1)] * 16000 - torch.tensor([-3., 2.5, 6.])).abs() <= 0.5 + 1e-4).all()
    torch.testing.assert_close(itd_gcc_phat(batch[:, 0], batch[:, 1], 16000) * 16000, torch.tensor([-3., 2.5, 6.]), atol=0.02, rtol=0)

def test_iacc_of_independent_noise_is_small():
    _, rho = interaural_cross_correlation(torch.stack([noise(16000, seed=8), noise(16000, seed=9)]), 16000)
    assert float(rho.abs().max()) < 0.05

@pytest.mark.skipif(not torch.cuda.is_available(), reason='no CUDA device here')
def test_cuda_follows_input_device():
    wav = noise(2, 2, 16000).cuda()
    assert stft(wav, 512, 160, 400).device.type == 'cuda'
    assert log_mel(wav, 16000).device.type == 'cuda'
    assert envelope(wav).device.type == 'cuda'
    assert itd_gcc_phat(wav[:, 0], wav[:, 1], 16000).device.type == 'cuda'
    torch.testing.assert_close(log_mel(wav, 16000).cpu(), log_mel(wav.cpu(), 16000), atol=1e-4, rtol=0)

# ---------------------------------------------------------------- I/O
def test_save_load_round_trip_and_atomicity(tmp_path):
    wav = 0.5 * torch.tanh(noise(3, 4000, seed=10))
    path = save_audio(tmp_path / 'sub' / 'x.wav', wav, 22050)
    loaded, rate = load_audio(path, sample_rate=22050)
    assert rate == 22050 and loaded.dtype == torch.float32 and loaded.is_contiguous()
    assert torch.equal(loaded, wav)
    assert sorted(p.name for p in (tmp_path / 'sub').iterdir()) == ['x.wav'], "no temporary file left behind"
    save_audio(tmp_path / 'x16.wav', wav, 22050, subtype='PCM_16')
    assert sf.info(str(tmp_path / 'x16.wav')).subtype == 'PCM_16'
    torch.testing.assert_close(load_audio(tmp_path / 'x16.wav')[0], wav, atol=2 / 2**15, rtol=0)

def test_load_errors(tmp_path):
    save_audio(tmp_path / 'x.wav', torch.zeros(1, 100), 22050)
    with pytest.raises(DataError, match=r'22050 Hz.*resample\(wav, 22050, 16000\)'): load_audio(tmp_path / 'x.wav', sample_rate=16000)
    (tmp_path / 'bad.flac').write_bytes(b'fLaC' + bytes(50))
    with pytest.raises(DataError, match='bad.flac'): load_audio(tmp_path / 'bad.flac')
    (tmp_path / 'empty.wav').write_bytes(b'')
    with pytest.raises(DataError, match='empty.wav'): load_audio(tmp_path / 'empty.wav')
    with pytest.raises(DataError, match='nope.wav does not exist'): load_audio(tmp_path / 'nope.wav')

def test_resample_tone():
    t44, t16 = np.arange(44100) / 44100, np.arange(16000) / 16000
    out = resample(torch.from_numpy(np.sin(2 * np.pi * 1000 * t44))[None], 44100, 16000)
    assert out.shape == (1, 16000)
    np.testing.assert_allclose(out[0, 500:-500].numpy(), np.sin(2 * np.pi * 1000 * t16)[500:-500], atol=2e-3)

# ---------------------------------------------------------------- bad input
wav = noise(1, 1000)
BAD = [
    (lambda: stft(wav[0], 256, 64), 'wav.ndim=1'),
    (lambda: stft(wav.masked_fill(wav > 2, float('nan')), 256, 64), 'non-finite'),
    (lambda: stft(wav, 2048, 64), 'n_fft=2048 is too large for a signal of length=1000'),
    (lambda: stft(wav, 256, 0), 'hop_length=0'),
    (lambda: stft(wav, 256, -1), 'hop_length=-1'),
    (lambda: stft(wav, 256, 1.5), 'hop_length=1.5'),
    (lambda: stft(wav, 256, 64, 512), 'win_length=512'),
    (lambda: stft(wav.to(torch.int32), 256, 64), 'wav.dtype=torch.int32'),
    (lambda: istft(stft(wav, 256, 64), 512, 64), 'n_fft=512 gives 257'),
    (lambda: log_mel(wav, 0), 'sample_rate=0'),
    (lambda: log_mel(wav, 16000, f_max_hz=9000), 'f_max_hz=9000'),
    (lambda: log_mel(wav, 16000, n_mels=0), 'n_mels=0'),
    (lambda: vggish_patches(wav, 8000), 'sample_rate=8000'),
    (lambda: vggish_patches(wav, 16000), 'fewer than patch_frames=96'),
    (lambda: envelope(torch.tensor([float('inf')])), 'non-finite'),
    (lambda: gcc_phat(wav[0], wav[0, :-1], 16000, 1e-3), 'right.shape=(999,)'),
    (lambda: gcc_phat(wav[0], wav[0], 16000, -1.0), 'max_delay_s=-1.0'),
    (lambda: gcc_phat(wav[0], wav[0], 16000, 1e-3, upsample=0), 'upsample=0'),
    (lambda: ild_db(torch.zeros(3, 5, 5)), 'need 2 channels'),
    (lambda: ipd_rad(torch.zeros(2, 5, 5)), 'needs a complex'),
    (lambda: resample(wav, 16000, -8000), 'new_hz=-8000'),
    (lambda: check_audio('wav', 'a string'), 'got str'),
    (lambda: save_audio('/tmp/never.wav', wav, 16000.5), 'sample_rate=16000.5'),
]

@pytest.mark.parametrize('call,contains', BAD, ids=[c for _, c in BAD])
def test_bad_input_raises_parameter_error(call, contains):
    with pytest.raises(ParameterError) as info: call()
    assert contains in str(info.value)
