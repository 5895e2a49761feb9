"Physics of the diffuse ambient field near walls, checked with more plane waves and realizations than the notebook."
import math
import numpy as np
import pytest
from avbook.core import ParameterError
from avbook.sim.ambient import (RoomNoise, render_ambient, near_wall_gain_theory, near_wall_level_db, band_mean_square,
                                random_room_noise, room_noise_psd, face_reflection, random_face_absorption, P_REF_PA)

OCTAVES_HZ = np.array([[22.1, 44.2], [44.2, 88.4], [88.4, 177], [177, 354], [354, 500]])   # octave bands 31.5-500 Hz
DISTANCES_M = np.array([0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0, 1.4, 2.0, 3.0, 4.0, 6.0])
N_WAVES, SEEDS = 256, range(6)   # 256 plane waves x 6 realizations x 8 s at 1 kHz: sampling error ~0.1-0.2 dB per band
TOLERANCE_DB = 0.5

@pytest.fixture(scope='module')
def levels():
    return {R: near_wall_level_db(DISTANCES_M, OCTAVES_HZ, R, 1000, 8.0, N_WAVES, SEEDS) for R in (1.0, 0.5)}

@pytest.mark.parametrize('R', [1.0, 0.7])
def test_many_wave_limit_matches_theory(R):
    "`n_waves=None` (exact cross-spectral synthesis) follows 1 + R sinc(2kx) within 0.5 dB with 6 realizations."
    sim, theory = near_wall_level_db(DISTANCES_M, OCTAVES_HZ, R, 1000, 8.0, None, SEEDS)
    assert np.abs(sim - theory).max() < TOLERANCE_DB

@pytest.mark.parametrize('n_waves', [256, None])
def test_diffuse_coherence(n_waves):
    "Two mics 0.3 m apart far from walls: real coherence = sinc(kd) (mean |error| < 0.05 over 30-1500 Hz)."
    from scipy.signal import csd, welch
    flat = RoomNoise(tilt_db_per_octave=0.0, lowpass_hz=1e5, highpass_hz=1.0, hum_db=(), fan_hz=(), fan_db=(), mic_noise_db=-np.inf)
    rec = render_ambient([[25.0, 25.0, 25.0], [25.3, 25.0, 25.0]], (50, 50, 50), flat, 4000, 16.0, seed=2, reflection=0.0, n_waves=n_waves)
    f, s01 = csd(rec[0], rec[1], fs=4000, nperseg=256); _, s00 = welch(rec[0], fs=4000, nperseg=256); _, s11 = welch(rec[1], fs=4000, nperseg=256)
    band = (f > 30) & (f < 1500)
    err = np.abs(np.real(s01[band]) / np.sqrt(s00[band] * s11[band]) - np.sinc(2 * f[band] * 0.3 / 343.0))
    assert err.mean() < 0.05, err.mean()

@pytest.mark.parametrize('R', [1.0, 0.5])
def test_level_vs_distance_matches_theory(levels, R):
    "Band level vs distance from one wall within 0.5 dB of the band-averaged 1 + R sinc(2kx), 31.5-500 Hz octaves."
    sim, theory = levels[R]
    err = np.abs(sim - theory)
    assert err.max() < TOLERANCE_DB, f"R={R}: max error {err.max():.2f} dB at {np.unravel_index(err.argmax(), err.shape)}"

@pytest.mark.parametrize('R', [1.0, 0.5])
def test_level_at_wall(levels, R):
    "At the wall every band is 10 log10(1 + R) above the far field: +3.01 dB rigid, +1.76 dB for R = 0.5."
    sim, _ = levels[R]
    assert np.abs(sim[0] - 10 * math.log10(1 + R)).max() < TOLERANCE_DB

def test_far_field_flat(levels):
    "Far from the wall (>= 3 m) bands above 88 Hz are within 0.5 dB of 0 dB, in simulation and in theory."
    sim, theory = levels[1.0]
    far = DISTANCES_M >= 3.0
    assert np.abs(theory[far][:, 2:]).max() < 0.2
    assert np.abs(sim[far][:, 2:]).max() < TOLERANCE_DB

def test_theory_limits():
    "x -> 0 gives 1 + R, x -> infinity gives 1, and the 1-kHz value at 0.1 m is the notes' -0.64 dB."
    assert np.allclose(near_wall_gain_theory(0.0, [10.0, 1000.0], [1.0, 0.3]), [2.0, 1.3])
    assert abs(near_wall_gain_theory(100.0, 500.0) - 1) < 1e-3
    assert abs(10 * np.log10(near_wall_gain_theory(0.1, 1000.0)) + 0.64) < 0.01

def test_corners_and_edges():
    "Rigid nearest faces: +9 dB in a corner, +6 dB on an edge, +3 dB on a wall (100-900 Hz, where the far faces' terms are small)."
    flat = RoomNoise(tilt_db_per_octave=0.0, lowpass_hz=1e5, highpass_hz=1.0, hum_db=(), fan_hz=(), fan_db=(), mic_noise_db=-np.inf)
    spots = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 1.5], [0.0, 3.0, 1.5], [3.0, 4.0, 1.5]])
    rec = render_ambient(spots, (6.0, 8.0, 3.0), flat, 2000, 4.0, seed=3, n_waves=128)
    f = np.fft.rfftfreq(8000, 1 / 2000); band = (f >= 100) & (f < 900)
    level_db = 10 * np.log10(band_mean_square(rec, 2000, [[100, 900]])[:, 0] / (room_noise_psd(flat, f)[band].sum() * (f[1] - f[0])))
    assert np.abs(level_db - [9.0, 6.0, 3.0, 0.0]).max() < TOLERANCE_DB, level_db

def test_overall_level_and_mic_noise():
    "Far-field broadband level equals `level_db`; mic self-noise alone has the SPL `mic_noise_db` scaled to the band rendered."
    noise = RoomNoise(level_db=45.0, mic_noise_db=-np.inf, lowpass_hz=1500.0)
    rec = render_ambient([[4.0, 5.0, 1.5]], (8.0, 10.0, 3.0), noise, 16000, 4.0, seed=0, reflection=0.0)
    assert abs(20 * np.log10(rec.std() / P_REF_PA) - 45.0) < 0.5
    quiet = RoomNoise(level_db=-200.0, mic_noise_db=30.0)
    rec = render_ambient([[4.0, 5.0, 1.5]], (8.0, 10.0, 3.0), quiet, 16000, 2.0, seed=0)
    expected_db = 30.0 + 10 * np.log10(8000 / 19980)   # white over 20 Hz-20 kHz, rendered up to 8 kHz
    assert abs(20 * np.log10(rec.std() / P_REF_PA) - expected_db) < 0.1

def test_determinism_and_seeds():
    "Same seed -> bit-identical; different seeds differ; independent of the other microphones rendered."
    noise = random_room_noise(np.random.default_rng(1))
    walls = face_reflection(np.fft.rfftfreq(8000, 1 / 8000), random_face_absorption(np.random.default_rng(1)))
    mics = [[0.3, 2.0, 1.2], [0.4, 2.0, 1.2]]
    a = render_ambient(mics, (5.0, 6.0, 3.0), noise, 8000, 1.0, seed=4, reflection=walls)
    b = render_ambient(mics, (5.0, 6.0, 3.0), noise, 8000, 1.0, seed=4, reflection=walls)
    c = render_ambient(mics, (5.0, 6.0, 3.0), noise, 8000, 1.0, seed=5, reflection=walls)
    one = render_ambient(mics[:1], (5.0, 6.0, 3.0), noise, 8000, 1.0, seed=4, reflection=walls)
    assert np.array_equal(a, b)
    assert not np.allclose(a, c)
    assert np.allclose(one[0], a[0], atol=1e-5 * np.abs(a).max())

def test_random_rooms_are_reproducible():
    assert random_room_noise(np.random.default_rng(9)) == random_room_noise(np.random.default_rng(9))
    assert random_room_noise(np.random.default_rng(9)) != random_room_noise(np.random.default_rng(10))

@pytest.mark.parametrize('kwargs, message', [
    (dict(mic_positions_m=[[6.0, 1.0, 1.0]]), 'outside the room'),
    (dict(mic_positions_m=[[1.0, -0.1, 1.0]]), 'outside the room'),
    (dict(mic_positions_m=[1.0, 1.0, 1.0]), 'expected (n_mics, 3)'),
    (dict(sample_rate=0), 'sample_rate=0'),
    (dict(sample_rate=-8000), 'sample_rate=-8000'),
    (dict(duration_s=0.0), 'duration_s=0.0'),
    (dict(room_size_m=(5.0, 6.0)), 'room_size_m'),
    (dict(reflection=-1.5), 'reflection=-1.5'),
    (dict(faces=('west', 'east')), 'at most one face per axis'),
    (dict(n_waves=0), 'n_waves=0'),
])
def test_bad_input(kwargs, message):
    args = dict(mic_positions_m=[[1.0, 1.0, 1.0]], room_size_m=(5.0, 6.0, 3.0), noise=RoomNoise(), sample_rate=8000, duration_s=0.5, seed=0)
    with pytest.raises(ParameterError, match=message.replace('(', r'\(').replace(')', r'\)')):
        render_ambient(**(args | kwargs))

def test_theory_bad_input():
    with pytest.raises(ParameterError, match='distance_m=-1.0'): near_wall_gain_theory(-1.0, 100.0)
    with pytest.raises(ParameterError, match='frequency_hz'): near_wall_gain_theory(1.0, -100.0)

def test_limit_mode_determinism_and_corner():
    "Many-wave limit: same seed bit-identical; rigid corner +9 dB (broadband, exact for every bin's covariance)."
    flat = RoomNoise(tilt_db_per_octave=0.0, lowpass_hz=1e5, highpass_hz=1.0, hum_db=(), fan_hz=(), fan_db=(), mic_noise_db=-np.inf)
    a = render_ambient([[0.0, 0.0, 0.0], [3.0, 4.0, 1.5]], (6.0, 8.0, 3.0), flat, 2000, 4.0, seed=1, n_waves=None)
    assert np.array_equal(a, render_ambient([[0.0, 0.0, 0.0], [3.0, 4.0, 1.5]], (6.0, 8.0, 3.0), flat, 2000, 4.0, seed=1, n_waves=None))
    f = np.fft.rfftfreq(8000, 1 / 2000); band = (f >= 100) & (f < 900)
    level_db = 10 * np.log10(band_mean_square(a, 2000, [[100, 900]])[:, 0] / (room_noise_psd(flat, f)[band].sum() * (f[1] - f[0])))
    assert np.abs(level_db - [9.0, 0.0]).max() < TOLERANCE_DB, level_db
