"""Room acoustics and echoes against physics: direct-path delay and 1/r, reverberation time against Eyring, binaural direction
cues, head rotation, the direct/reverberant split, per-band damping, echo arrival times, determinism and bad input."""
import math
import dataclasses
import numpy as np
import pytest
import torch
from avbook.core import ParameterError
from avbook.sim.hrtf import load_hrtf, onset_index, interaural_level_difference_db
from avbook.sim.acoustics import (ImageSources, binaural_array_rir, binaural_rir, eyring_rt60_s, head_axes, image_order_for_duration,
                                  image_sources, measure_rt60_s, omni_rir, render_image_sources, rt60_check, sabine_rt60_s)
from avbook.sim.echoes import echo_responses, first_echo_times_s, linear_sweep

C = 343.0
ROOM = (6.0, 5.0, 3.0)
MATERIALS = dict(west='brickwork', east='plasterboard', south='hard_surface', north='rough_concrete', floor='carpet_cotton', ceiling=0.4)


@pytest.mark.parametrize('sample_rate', [16000, 44100])
@pytest.mark.parametrize('distance_m', [0.7, 1.3, 2.9])
def test_direct_path_delay_and_inverse_distance(sample_rate, distance_m):
    "Omni: the direct peak sits at r/c (within one sample) and r x amplitude is constant; binaural (ahead): onsets at r/c."
    listener = np.array([2.0, 2.5, 1.5])
    source = listener + [distance_m, 0, 0]
    images = image_sources(ROOM, 0.5, source, 0)
    omni = omni_rir(images, listener, sample_rate, 0.03).direct[0]
    assert abs(np.abs(omni).argmax() - distance_m / C * sample_rate) <= 1.0
    energy_times_r2 = (omni.astype(float) ** 2).sum() * distance_m ** 2
    reference = omni_rir(image_sources(ROOM, 0.5, listener + [1.0, 0, 0], 0), listener, sample_rate, 0.03).direct[0]
    assert abs(energy_times_r2 / (reference.astype(float) ** 2).sum() - 1) < 0.01
    binaural = binaural_rir(images, (listener, 0.0), load_hrtf(sample_rate), 0.03).direct
    assert np.all(np.abs(onset_index(binaural) - distance_m / C * sample_rate) <= 1.0)


def test_rt60_is_close_to_eyring():
    """T20 (2 kHz octave) of an image-source response in a shoebox with uniform flat absorption is within 25 % of Eyring.

    Eyring assumes a diffuse field; specular reflections in an empty shoebox are not diffuse (near-axial paths meet fewer walls),
    which makes the decay 10-15 % slower than Eyring here. 25 % allows for that bias plus the fit's spread."""
    for size, absorption in [((5.0, 4.0, 3.0), 0.45), ((4.0, 3.5, 2.8), 0.6)]:
        check = rt60_check(size, absorption, (1.3, 1.1, 1.2), (3.1, 2.4, 1.6), sample_rate=8000)
        assert abs(check['measured'] / check['eyring'] - 1) < 0.25, check
        assert check['eyring'] < check['sabine']


def test_sabine_and_eyring_formulas():
    assert abs(sabine_rt60_s((10, 7.5, 3.5), 0.2) - 0.776) < 1e-3
    v, s = 6 * 5 * 3, 2 * (30 + 15 + 18)
    assert abs(eyring_rt60_s((6, 5, 3), 0.3) - 0.161 * v / (-s * math.log(0.7)) ) < 0.002
    per_face = dict(west=0.1, east=0.1, south=0.1, north=0.1, floor=0.5, ceiling=0.5)
    alpha = (0.1 * 2 * (15 + 18) + 0.5 * 2 * 30) / s
    assert abs(sabine_rt60_s((6, 5, 3), per_face) - sabine_rt60_s((6, 5, 3), alpha)) < 1e-12


@pytest.mark.parametrize('side, yaw_deg', [('left', 0.0), ('right', 0.0), ('left', 90.0)])
def test_source_on_one_side_reaches_that_ear_first(side, yaw_deg):
    "Direct sound from the left reaches the left ear first and louder (also in a reverberant room)."
    listener = np.array([3.0, 2.5, 1.5])
    left = head_axes(yaw_deg)[1]
    source = listener + (1.5 if side == 'left' else -1.5) * left
    rir = binaural_rir(image_sources(ROOM, MATERIALS, source, 6), (listener, yaw_deg), load_hrtf(16000), 0.1)
    onset, ild = onset_index(rir.direct), interaural_level_difference_db(rir.direct)
    if side == 'left': assert onset[0] < onset[1] and ild > 6
    else: assert onset[1] < onset[0] and ild < -6


@pytest.mark.parametrize('yaw_deg', [25.0, 90.0, -140.0])
def test_turning_the_head_equals_rotating_the_room_the_other_way(yaw_deg):
    "Yaw by delta with the room's images fixed == yaw 0 with every image rotated by -delta about the head (full BRIR)."
    hrtf, listener = load_hrtf(16000), np.array([3.0, 2.5, 1.5])
    images = image_sources(ROOM, MATERIALS, (4.5, 3.9, 1.2), 5)
    turned = binaural_rir(images, (listener, yaw_deg), hrtf, 0.08)
    a = math.radians(-yaw_deg)
    rotation = np.array([[math.cos(a), -math.sin(a), 0], [math.sin(a), math.cos(a), 0], [0, 0, 1]])
    rotated = dataclasses.replace(images, positions_m=(images.positions_m - listener) @ rotation.T + listener)
    moved = binaural_rir(rotated, (listener, 0.0), hrtf, 0.08)
    np.testing.assert_allclose(turned.direct, moved.direct, atol=1e-5)
    np.testing.assert_allclose(turned.reverberant, moved.reverberant, atol=1e-5)


def test_direct_plus_reverberant_is_total_and_deterministic():
    hrtf = load_hrtf(16000)
    images = image_sources(ROOM, MATERIALS, (1.0, 4.0, 1.6), 6)
    first = binaural_rir(images, ((3.0, 2.0, 1.5), 30.0), hrtf, 0.2)
    second = binaural_rir(image_sources(ROOM, MATERIALS, (1.0, 4.0, 1.6), 6), ((3.0, 2.0, 1.5), 30.0), hrtf, 0.2)
    np.testing.assert_array_equal(first.total, first.direct + first.reverberant)
    np.testing.assert_array_equal(first.direct, second.direct)
    np.testing.assert_array_equal(first.reverberant, second.reverberant)
    np.testing.assert_array_equal(first.mix(0.0), first.direct)
    assert np.abs(first.reverberant).max() > 0.05 * np.abs(first.direct).max()


def test_one_solve_serves_every_orientation_and_array():
    "Four heads from one solve equal four separate simulations; omni arrays give one row per microphone."
    hrtf, position = load_hrtf(16000), np.array([2.5, 2.0, 1.5])
    images = image_sources(ROOM, MATERIALS, (4.2, 3.6, 1.1), 5)
    heads = binaural_array_rir(images, [(position, yaw) for yaw in (0, 90, 180, 270)], hrtf, 0.1)
    assert heads.total.shape == (4, 2, 1600)
    for i, yaw in enumerate((0, 90, 180, 270)):
        alone = binaural_rir(image_sources(ROOM, MATERIALS, (4.2, 3.6, 1.1), 5), (position, yaw), hrtf, 0.1)
        np.testing.assert_array_equal(heads.total[i], alone.total)
    mics = position + np.array([[0, 0, 0], [0.05, 0, 0], [0, 0.05, 0], [0, 0, 0.05]])
    omni = omni_rir(images, mics, 16000, 0.1)
    assert omni.total.shape == (4, 1600)
    np.testing.assert_array_equal(omni.total[1], omni_rir(images, mics[1], 16000, 0.1).total[0])


def test_band_damping_shapes_the_spectrum():
    "A reflection with per-band gains has exactly those gains at the octave centres (interpolated in log-frequency between)."
    centers = np.array([125., 250, 500, 1000, 2000, 4000, 8000])
    gains = np.array([[0.9, 0.8, 0.5, 0.3, 0.6, 0.7, 0.7]])
    ir = render_image_sources(np.array([0.01]), gains, centers, 32000, 8192)[0]
    spectrum = np.abs(np.fft.rfft(ir))
    freqs = np.fft.rfftfreq(len(ir), 1 / 32000)
    np.testing.assert_allclose(np.interp(centers[:6], freqs, spectrum), gains[0, :6], rtol=0.01)


def test_named_material_absorbs_per_band():
    images = image_sources(ROOM, dict(MATERIALS, floor='carpet_cotton'), (3.0, 2.5, 1.5), 1)
    floor = np.flatnonzero(np.all(np.isclose(images.positions_m, [3.0, 2.5, -1.5]), axis=1))[0]
    np.testing.assert_allclose(images.damping[floor] ** 2, 1 - np.array([0.07, 0.31, 0.49, 0.81, 0.66, 0.54, 0.48]), rtol=1e-5)


def test_image_order_for_duration_covers_every_arrival():
    order = image_order_for_duration(ROOM, 0.04)
    complete = image_sources(ROOM, 0.3, (1.0, 1.0, 1.0), order)
    more = image_sources(ROOM, 0.3, (1.0, 1.0, 1.0), order + 3)
    count = lambda im: int((np.linalg.norm(im.positions_m - [1.0, 1.0, 1.0], axis=1) < C * 0.04).sum())
    assert count(complete) == count(more)


@pytest.mark.parametrize('position, yaw_deg', [((4.2, 1.5, 1.5), 0.0), ((1.1, 2.0, 1.4), 180.0), ((2.5, 0.9, 1.5), -90.0)])
def test_first_echo_arrives_at_twice_the_wall_distance_over_c(position, yaw_deg):
    "Facing the nearest wall (distance d), the first echo's onset at both ears is 2d/c, within one sample; nothing precedes it."
    echoes = echo_responses((5.0, 4.0, 3.0), 0.2, position, yaw_deg, 44100)
    expected = min(first_echo_times_s((5.0, 4.0, 3.0), position).values()) * 44100
    assert np.all(np.abs(onset_index(echoes.brir) - expected) <= 1.0), (onset_index(echoes.brir), expected)
    assert echoes.echo.shape == (2, 2646)
    assert np.abs(echoes.brir[:, : int(expected) - 20]).max() < 1e-3 * np.abs(echoes.brir).max()


def test_echo_sweep_and_orientations():
    sweep = linear_sweep(44100)
    assert len(sweep) == 132 and np.abs(sweep).max() <= 1.0
    echoes = echo_responses((5.0, 4.0, 3.0), 'brickwork', (2.0, 1.2, 1.5), [0, 90, 180, 270], 44100)
    assert echoes.echo.shape == (4, 2, 2646)
    assert not np.allclose(echoes.echo[0], echoes.echo[2])
    again = echo_responses((5.0, 4.0, 3.0), 'brickwork', (2.0, 1.2, 1.5), [0, 90, 180, 270], 44100)
    np.testing.assert_array_equal(again.echo, echoes.echo)


@pytest.mark.parametrize('call, message', [
    (lambda: image_sources(ROOM, 0.3, (6.5, 1, 1), 2), 'source_m=[6.5, 1.0, 1.0] is outside the room [0, 6] x [0, 5] x [0, 3]'),
    (lambda: image_sources((6, -5, 3), 0.3, (1, 1, 1), 2), 'room_size_m=[6, -5, 3]'),
    (lambda: image_sources(ROOM, 'marble', (1, 1, 1), 2), "is not a pyroomacoustics material; valid names:"),
    (lambda: image_sources(ROOM, dict(west=0.3), (1, 1, 1), 2), 'need exactly'),
    (lambda: image_sources(ROOM, 1.2, (1, 1, 1), 2), 'energy absorption in [0, 1]'),
    (lambda: image_sources(ROOM, 0.3, (1, 1, 1), 2.5), 'max_order=2.5'),
    (lambda: binaural_rir(image_sources(ROOM, 0.3, (1, 1, 1), 1), ((1, 1, -0.2), 0), load_hrtf(16000), 0.1), 'is outside the room'),
    (lambda: binaural_rir(image_sources(ROOM, 0.3, (1, 1, 1), 1), ((2, 2, 1), 0), load_hrtf(16000), -0.1), 'duration_s=-0.1'),
    (lambda: omni_rir(image_sources(ROOM, 0.3, (1, 1, 1), 1), (2, 2, 1), 16000, 0.1, speed_of_sound_m_s=-343), 'speed_of_sound_m_s=-343'),
    (lambda: measure_rt60_s(np.ones(100), 16000, octave_band_hz=9000), 'octave_band_hz=9000'),
    (lambda: sabine_rt60_s((6, 5, 3), 0.0), 'must be in (0, 1]'),
    (lambda: image_order_for_duration(ROOM, -1), 'duration_s=-1'),
    (lambda: linear_sweep(22050), 'f_stop_hz=20000.0'),
])
def test_bad_input_raises_a_clear_error(call, message):
    with pytest.raises(ParameterError) as error:
        call()
    assert message in str(error.value), str(error.value)


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_cuda_matches_cpu():
    hrtf, images = load_hrtf(16000), image_sources(ROOM, MATERIALS, (4.2, 3.6, 1.1), 4)
    cpu = binaural_rir(images, ((2, 2, 1.5), 10), hrtf, 0.1, device='cpu').total
    gpu = binaural_rir(images, ((2, 2, 1.5), 10), hrtf, 0.1, device='cuda').total
    np.testing.assert_allclose(cpu, gpu, atol=1e-4)
