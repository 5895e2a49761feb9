"Moving sources: Doppler, retarded-time arrivals, 1/r and image-source reflections against closed forms."
import math
import numpy as np
import pytest
from scipy.signal import hilbert
from avbook.core import ParameterError
from avbook.sim.motion import (Trajectory, straight_trajectory, render_moving_source, emission_time_s, doppler_frequency_hz,
                               radial_velocity_m_s, trajectory_position_m, street_reflectors, omni_street_rig, Reflector)

C, FS = 343.0, 16000
MIC = np.array([[0.0, 0.0, 1.5]])

def _instantaneous_hz(x, fs, idx, half_window):
    phase = np.unwrap(np.angle(hilbert(x)))
    return (phase[idx + half_window] - phase[idx - half_window]) / (2 * half_window / fs) / (2 * np.pi)

@pytest.mark.parametrize('speed_m_s, tone_hz', [(10.0, 300.0), (25.0, 500.0), (40.0, 1200.0)])
def test_doppler_shift(speed_m_s, tone_hz):
    "Instantaneous frequency = f c / (c - v_r(t_e)) within 1 % while approaching, passing and receding."
    dur = 8.0; x0 = -speed_m_s * dur / 2
    path = straight_trajectory([x0, 6.0, 0.5], [speed_m_s, 0.0, 0.0], dur)
    sig = np.sin(2 * np.pi * tone_hz * np.arange(int(dur * FS)) / FS)
    out = render_moving_source(sig, FS, path, MIC, 6.0, output_start_s=1.0)[0]
    times = np.array([1.5, 2.5, 3.5, 4.0, 4.3, 5.0, 6.5])
    idx = np.searchsorted(1.0 + np.arange(len(out)) / FS, times)
    measured = _instantaneous_hz(out, FS, idx, FS // 100)
    expected = doppler_frequency_hz(tone_hz, path, MIC, times, C)[0]
    v_r = radial_velocity_m_s(path, MIC, emission_time_s(path, MIC, times))[0]
    assert v_r[0] > 0 and v_r[-1] < 0, "the check must cover approach and recession"
    assert np.abs(measured / expected - 1).max() < 0.01

def test_click_arrival_matches_retarded_time():
    "A click emitted at t0 arrives at t0 + |r_s(t0) - r_m| / c, within one sample, for several emission times."
    path = straight_trajectory([-60.0, 4.0, 0.5], [30.0, 0.0, 0.0], 4.0)
    for t0 in [0.5, 1.9, 2.0, 3.1]:
        click = np.zeros(4 * FS); click[int(t0 * FS)] = 1.0
        out = render_moving_source(click, FS, path, MIC, 4.0)[0]
        arrival = t0 + np.linalg.norm(trajectory_position_m(path, t0) - MIC[0]) / C
        assert abs(np.argmax(np.abs(out)) - arrival * FS) <= 1.0

def test_retarded_time_closed_form():
    "Newton solver equals the quadratic root for a straight path, to 1e-9 s."
    p0, v = np.array([-50.0, 3.0, 1.0]), np.array([30.0, 5.0, 0.0])
    path = straight_trajectory(p0, v, 5.0)
    t = np.linspace(0.2, 5.0, 50)
    d0 = p0 - MIC[0]; a = v @ v - C ** 2; b = 2 * (d0 @ v) + 2 * C ** 2 * t; cc = d0 @ d0 - C ** 2 * t ** 2
    expected = (-b + np.sqrt(b ** 2 - 4 * a * cc)) / (2 * a)
    assert np.abs(emission_time_s(path, MIC, t)[0] - expected).max() < 1e-9

def test_sampled_trajectory_curve():
    "A curved sampled path: emission times satisfy the retarded-time equation to 1 ns."
    ts = np.linspace(0, 4, 81); pos = np.stack([20 * np.cos(ts / 2), 20 * np.sin(ts / 2), np.full_like(ts, 1.0)], 1)
    path = Trajectory(ts, pos)
    t = np.linspace(0.5, 4.0, 200)
    te = emission_time_s(path, MIC, t)[0]
    assert np.abs(t - te - np.linalg.norm(trajectory_position_m(path, te) - MIC[0], axis=-1) / C).max() < 1e-9

def test_amplitude_follows_inverse_distance():
    "Static tones at 2, 4, 8 m: rms halves per doubling; a moving tone's envelope x r(t_e) stays 1 within 1 %."
    sig = np.sin(2 * np.pi * 250 * np.arange(FS) / FS)
    rms = [render_moving_source(sig, FS, straight_trajectory([r, 0.0, 1.5], [0, 0, 0], 1.0), MIC, 0.5, output_start_s=0.3)[0].std()
           for r in (2.0, 4.0, 8.0)]
    assert np.allclose(np.array(rms) * [2, 4, 8], 1 / math.sqrt(2), rtol=1e-3)
    path = straight_trajectory([-40.0, 3.0, 1.5], [20.0, 0.0, 0.0], 4.0)
    sig = np.sin(2 * np.pi * 400 * np.arange(4 * FS) / FS)
    t = 0.5 + np.arange(3 * FS) / FS
    out = render_moving_source(sig, FS, path, MIC, 3.0, output_start_s=0.5)[0]
    r = np.linalg.norm(trajectory_position_m(path, emission_time_s(path, MIC, t)[0]) - MIC[0], axis=-1)
    inner = slice(FS // 10, -FS // 10)
    assert np.abs((np.abs(hilbert(out)) * r)[inner] - 1).max() < 0.01

def _pulse(n, at):
    "A Gaussian pulse (sigma 2 samples: band-limited, -85 dB at Nyquist) of unit energy centred on sample `at`."
    g = np.exp(-0.5 * ((np.arange(n) - at) / 2.0) ** 2)
    return g / np.sqrt((g ** 2).sum())

def _arrival(out, expected_sample, half=12):
    "Amplitude (root energy, re the unit-energy pulse) and time (energy centroid, samples) of a pulse near `expected_sample`."
    k = int(round(expected_sample)); idx = np.arange(k - half, k + half + 1); e = out[idx] ** 2
    return math.sqrt(e.sum()), (idx * e).sum() / e.sum()

@pytest.mark.parametrize('height_m, distance_m', [(2.5, 4.0), (3.0, 5.0), (6.0, 20.0)])
def test_ground_reflection_delay_and_gain(height_m, distance_m):
    "Ground image arrives (r_image - r_direct) / c after the direct sound (within one sample), scaled by R r_direct / r_image."
    path = straight_trajectory([distance_m, 0.0, height_m], [0, 0, 0], 1.0)
    impulse = _pulse(FS, 2000)
    out = render_moving_source(impulse, FS, path, MIC, 0.3, reflectors=street_reflectors(0.8), output_start_s=2000 / FS)[0]
    r_d, r_i = math.hypot(distance_m, 1.5 - height_m), math.hypot(distance_m, 1.5 + height_m)
    (a_d, t_d), (a_i, t_i) = _arrival(out, r_d / C * FS), _arrival(out, r_i / C * FS)
    assert abs((t_i - t_d) - (r_i - r_d) / C * FS) <= 1.0
    assert a_d == pytest.approx(1 / r_d, rel=0.03) and a_i / a_d == pytest.approx(0.8 * r_d / r_i, rel=0.03)

def test_facade_images_arrive_at_mirror_distances():
    "Direct, ground, facade and ground x facade images of a static pulse arrive at image distance / c with gain R / r."
    mic = np.array([[0.0, 0.0, 4.0]]); src = np.array([20.0, 2.0, 4.0]); path = straight_trajectory(src, [0, 0, 0], 1.0)
    refl = street_reflectors(0.7, facade_y_m=(8.0,), facade_reflection=0.6)
    impulse = _pulse(FS, 100)
    out = render_moving_source(impulse, FS, path, mic, 0.3, reflectors=refl, output_start_s=100 / FS)[0]
    images = [(src, 1.0), (src * [1, 1, -1], 0.7), (src * [1, -1, 1] + [0, 16, 0], 0.6), (src * [1, -1, -1] + [0, 16, 0], 0.42)]
    for pos, gain in images:
        r = np.linalg.norm(pos - mic[0]); amplitude, at = _arrival(out, r / C * FS)
        assert abs(at - r / C * FS) <= 1.0 and amplitude == pytest.approx(gain / r, rel=0.03)

def test_rig_geometry():
    rig = omni_street_rig([0.0, 0.0, 1.5], yaw_deg=0.0)
    assert rig.shape == (8, 3)
    assert np.allclose(rig[2], [0.0875, 0, 1.5]) and np.allclose(rig[7], [-0.0875, 0, 1.5])   # pair (3, 8) along the front
    assert np.allclose(rig[0], [0, 0.0875, 1.5]) and np.allclose(rig[5], [0, -0.0875, 1.5])   # pair (1, 6) to the left

@pytest.mark.parametrize('call, message', [
    (lambda s, p: render_moving_source(s, FS, p, np.zeros((2, 2)), 1.0), 'expected (n_mics, 3)'),
    (lambda s, p: render_moving_source(s, FS, p, np.zeros(3), 1.0), 'expected (n_mics, 3)'),
    (lambda s, p: render_moving_source(np.zeros((2, 100)), FS, p, MIC, 1.0), 'expected (n_samples,)'),
    (lambda s, p: render_moving_source(s, 0, p, MIC, 1.0), 'sample_rate=0'),
    (lambda s, p: render_moving_source(s, -FS, p, MIC, 1.0), 'sample_rate=-16000'),
    (lambda s, p: render_moving_source(s, FS, straight_trajectory([0, 5, 1], [343.0, 0, 0], 1.0), MIC, 1.0), 'supersonic'),
    (lambda s, p: render_moving_source(s, FS, straight_trajectory([0, 5, 1], [500.0, 0, 0], 1.0), MIC, 1.0), 'supersonic'),
    (lambda s, p: render_moving_source(s, FS, p, MIC, 1.0, speed_of_sound_m_s=0), 'speed_of_sound_m_s=0'),
    (lambda s, p: render_moving_source(s, FS, p, [[0, 0, -1.0]], 1.0, reflectors=street_reflectors()), 'both of its sides'),
    (lambda s, p: Trajectory(np.array([0.0, 1.0]), np.zeros((2, 2))), 'expected (2, 3)'),
    (lambda s, p: Trajectory(np.array([1.0, 0.0]), np.zeros((2, 3))), 'strictly increasing'),
    (lambda s, p: Reflector('z', 0.0, 2.0), 'reflection=2.0'),
])
def test_bad_input(call, message):
    sig = np.zeros(FS); path = straight_trajectory([-10.0, 5.0, 0.5], [10.0, 0, 0], 1.0)
    with pytest.raises(ParameterError, match=message.replace('(', r'\(').replace(')', r'\)')):
        call(sig, path)
