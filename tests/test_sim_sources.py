"Sound sources: determinism, pitch and onset accuracy, speech rate, engine physics, worker-count independence, errors."
import sys
import numpy as np
import pytest
import torch
from avbook.core import AssetError, Cache, ParameterError
from avbook.sim import sources as S

SR = 16000

def _note(m, t0=0.05, t1=0.85): return S.Notes(np.array([m]), np.array([t0]), np.array([t1]), np.array([100]))

def test_fluidsynth_render_is_bit_identical():
    a = S.render_notes(_note(60), 'clarinet', SR, 1.0)
    assert np.array_equal(a, S.render_notes(_note(60), 'clarinet', SR, 1.0))
    c1, c2 = (S.render_piece(np.random.default_rng(7), ('flute', 'tuba'), 2.0, SR) for _ in range(2))
    assert np.array_equal(c1.stems, c2.stems) and np.array_equal(c1.audio, c2.audio)
    assert not np.array_equal(c1.audio, S.render_piece(np.random.default_rng(8), ('flute', 'tuba'), 2.0, SR).audio)

@pytest.mark.parametrize('name', ['violin', 'cello', 'flute', 'clarinet', 'trumpet', 'tuba', 'saxophone', 'accordion', 'erhu'])
def test_fundamental_matches_midi_pitch(name):
    inst = S.INSTRUMENTS[name]
    for m in (inst.low_midi + 5, inst.high_midi - 5):
        y = S.render_notes(_note(m), name, SR, 0.9)
        f0 = S.median_f0_hz(y[1600:12800], SR, 0.7 * S.midi_to_hz(m), 1.4 * S.midi_to_hz(m))
        assert abs(f0 / S.midi_to_hz(m) - 1) < 0.01, (name, m, f0, float(S.midi_to_hz(m)))

@pytest.mark.parametrize('name', ['xylophone', 'piano', 'harp', 'acoustic_guitar', 'marimba'])
def test_returned_onsets_match_energy_onsets(name):
    "Sharp attacks: the detector finds each returned onset within 20 ms (it may miss a note masked by the previous one)."
    err = np.abs(np.concatenate([S.onset_errors_s(c.stems[0], SR, c.notes[0].onset_s) for c in
                                 (S.render_piece(np.random.default_rng(seed), name, 3.0, SR) for seed in range(3))]))
    assert len(err) >= 10 and np.median(err) < 0.01 and np.mean(err < 0.02) >= 0.9, err

def test_notes_are_snapped_to_fluidsynth_blocks():
    clip = S.render_piece(np.random.default_rng(1), 'violin', 2.0, SR)
    samples = clip.notes[0].onset_s * SR
    np.testing.assert_allclose(samples, np.round(samples / 64) * 64, atol=1e-6)
    first = int(round(clip.notes[0].onset_s[0] * SR))
    assert np.all(clip.stems[0][:first] == 0) and np.any(clip.stems[0][first:first + 64] != 0)

def test_duet_parts_share_tempo_and_are_separate_stems():
    clip = S.render_piece(np.random.default_rng(2), ('violin', 'acoustic_guitar'), 3.0, SR)
    assert clip.stems.shape == (2, 3 * SR) and np.array_equal(clip.audio, clip.stems.sum(0))
    beat = clip.harmony.beat_s
    for notes in clip.notes:   # every onset lies on the shared half-beat grid (within one 64-sample block)
        pos = (notes.onset_s - clip.harmony.start_s) / (beat / 2)
        assert np.all(np.abs(pos - np.round(pos)) * beat / 2 <= 64 / SR + 1e-9)

def test_speech_rate_length_and_envelope():
    native = S.speak('the quick brown fox', 'en-gb-f2', S.ESPEAK_SAMPLE_RATE)
    for sr in (8000, 16000):
        y = S.speak('the quick brown fox', 'en-gb-f2', sr)
        assert y.dtype == np.float32 and len(y) == int(np.ceil(len(native) * sr / S.ESPEAK_SAMPLE_RATE))
    clip = S.speech_clip(np.random.default_rng(0), 'en-us-m5', 2.0, SR, frame_rate_hz=25)
    assert clip.audio.shape == (2 * SR,) and clip.mouth_opening.shape == (50,)
    assert clip.mouth_opening.max() == pytest.approx(1.0) and (clip.mouth_opening > 0.2).sum() >= 10
    assert len(S.speak(clip.text, clip.speaker, SR)) <= 2 * SR   # the text is what is heard
    y16 = S.speak('the quick brown fox', 'en-gb-f2', 16000)   # resampling keeps the level of band-limited speech
    assert np.sqrt(np.mean(y16 ** 2)) == pytest.approx(np.sqrt(np.mean(native ** 2)), rel=0.05)

def test_speaker_table_split_by_speaker():
    names = [s for s in S.SPEAKERS.values() if s.language == 'en']
    assert len(names) >= 40 and len({(s.voice, s.variant, s.pitch, s.speed_wpm) for s in S.SPEAKERS.values()}) == len(S.SPEAKERS)
    train = {s.name for s in S.SPEAKERS.values() if s.split == 'train'}; test = {s.name for s in S.SPEAKERS.values() if s.split == 'test'}
    assert train and test and not train & test and train | test == set(S.SPEAKERS)

def test_non_english_speaker():
    clip = S.speech_clip(np.random.default_rng(0), 'cmn-f2', 1.5, SR)
    assert clip.audio.shape == (int(1.5 * SR),) and np.abs(clip.audio).max() > 0

@pytest.mark.parametrize('rpm,cylinders', [(1800, 4), (900, 4), (4500, 1), (6000, 2), (700, 8)])
def test_engine_fundamental_follows_rpm(rpm, cylinders):
    y = S.engine_sound(np.random.default_rng(0), np.full(2 * SR, float(rpm)), cylinders, SR)
    expected = rpm / 60 * cylinders / 2
    assert abs(S.median_f0_hz(y, SR, 0.6 * expected, 1.6 * expected) / expected - 1) < 0.01

def test_ambient_sounds_deterministic_finite_and_scaled():
    for name in S.AMBIENT_SOUNDS:
        a = S.ambient_sound(name, np.random.default_rng(3), 1.0, 11025)
        assert a.shape == (11025,) and np.isfinite(a).all(), name
        assert np.array_equal(a, S.ambient_sound(name, np.random.default_rng(3), 1.0, 11025)), name
        assert np.sqrt(np.mean(a.astype(np.float64) ** 2)) == pytest.approx(0.1, rel=1e-3), name

def test_hum_has_mains_lines():
    y = S.ambient_sound('hum', np.random.default_rng(0), 2.0, SR)
    spec = np.abs(np.fft.rfft(y)); f = np.fft.rfftfreq(len(y), 1 / SR)
    assert round(f[spec.argmax()]) in (50, 60, 100, 120, 150, 180)

def test_train_clicks_are_periodic():
    rng = np.random.default_rng(0)
    y = S.train_sound(rng, 6.0, SR)
    env = np.abs(y - np.convolve(y, np.ones(161) / 161, 'same'))   # high-passed magnitude shows the clicks
    assert env.max() > 5 * np.median(env)

def test_bank_independent_of_worker_count(tmp_path):
    args = (['xylophone', ('violin', 'cello')], 2, 1.0, 11025)
    one = S.instrument_bank(*args, seed=3, n_workers=1, cache=Cache(tmp_path/'a'))
    two = S.instrument_bank(*args, seed=3, n_workers=2, cache=Cache(tmp_path/'b'))
    assert one.audio.numpy().tobytes() == two.audio.numpy().tobytes() and torch.equal(one.stems, two.stems)
    assert one.meta == two.meta and one.labels == two.labels

def test_bank_is_cached_and_order_free(tmp_path):
    cache = Cache(tmp_path)
    bank = S.speech_bank(['en-us-m1', 'en-gb-f3'], 2, 1.0, 8000, seed=0, cache=cache)
    again = S.speech_bank(['en-us-m1', 'en-gb-f3'], 2, 1.0, 8000, seed=0, cache=cache)
    assert torch.equal(bank.audio, again.audio) and len(cache.entries('speech-bank')) == 1
    swapped = S.speech_bank(['en-gb-f3', 'en-us-m1'], 2, 1.0, 8000, seed=0, cache=cache)
    assert torch.equal(swapped.audio[:2], bank.audio[2:]) and torch.equal(swapped.mouth_opening[2:], bank.mouth_opening[:2])
    assert bank.meta[0]['speaker'] == 'en-us-m1' and bank.mouth_opening.shape == (4, 25)

def test_missing_assets_raise_asset_error(monkeypatch, tmp_path):
    with pytest.raises(AssetError, match='fluid-soundfont-gm'): S.render_notes(_note(60), 'violin', SR, 0.5, soundfont=tmp_path/'none.sf2')
    monkeypatch.setattr(S.shutil, 'which', lambda name: None)
    with pytest.raises(AssetError, match='espeak-ng'): S.speak('hi', 'en-us-m1', SR)
    monkeypatch.setitem(sys.modules, 'fluidsynth', None)   # import fails as if libfluidsynth3 were missing
    with pytest.raises(AssetError, match='libfluidsynth3'): S.render_notes(_note(60), 'violin', SR, 0.5)

def test_bad_arguments_raise_parameter_error(tmp_path):
    cache = Cache(tmp_path)
    cases = [(lambda: S.instrument_bank(['violin', 'kazoo'], 1, 1.0, SR, seed=0, cache=cache), "instrument='kazoo'"),
             (lambda: S.speech_bank(['nobody'], 1, 1.0, SR, seed=0, cache=cache), "speaker='nobody'"),
             (lambda: S.ambient_bank(['thunder'], 1, 1.0, SR, seed=0, cache=cache), "sound='thunder'"),
             (lambda: S.ambient_bank(['rain'], 1, -1.0, SR, seed=0, cache=cache), 'duration_s=-1.0'),
             (lambda: S.ambient_bank(['rain'], 1, 1.0, SR, seed=-2, cache=cache), 'seed=-2'),
             (lambda: S.engine_sound(np.random.default_rng(0), np.array([-5.0]), 4, SR), 'rpm'),
             (lambda: S.render_notes(_note(60), 'violin', 200000, 1.0), 'sample_rate=200000')]
    for make, text in cases:
        with pytest.raises(ParameterError, match=text): make()
    # the error lists the valid names
    with pytest.raises(ParameterError, match='xylophone'): S.get_instrument('kazoo')
