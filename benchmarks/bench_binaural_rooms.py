"""Binaural room impulse responses for 4 head orientations at one position (as in Sound Localization from Motion's 4 views,
VisualEchoes' 4 orientations, Binaural SoundNet's 4 heads): one image-source solve shared by all orientations, against
re-running the whole acoustic simulation (image sources + rendering) per orientation. One run, prints the times and ratios.

    python benchmarks/bench_binaural_rooms.py
"""
import time
import numpy as np
from avbook.sim.hrtf import load_hrtf
from avbook.sim.acoustics import binaural_array_rir, binaural_rir, image_sources

ROOM_M = (6.0, 5.0, 3.0)
MATERIALS = dict(west='brickwork', east='plasterboard', south='hard_surface', north='rough_concrete', floor='carpet_cotton', ceiling=0.4)
SOURCE_M, LISTENER_M = (4.6, 3.9, 1.2), (2.5, 2.0, 1.5)
YAWS_DEG = (0.0, 90.0, 180.0, 270.0)
SAMPLE_RATE, DURATION_S, MAX_ORDER = 16000, 0.3, 10


def per_orientation_simulation():
    "Baseline: the full simulation (image-source solve + rendering) again for every orientation."
    hrtf = load_hrtf(SAMPLE_RATE)
    return np.stack([binaural_rir(image_sources(ROOM_M, MATERIALS, SOURCE_M, MAX_ORDER), (LISTENER_M, yaw), hrtf, DURATION_S).total
                     for yaw in YAWS_DEG])


def one_solve_per_orientation_render():
    "One image-source solve, then `binaural_rir` per orientation."
    hrtf, images = load_hrtf(SAMPLE_RATE), image_sources(ROOM_M, MATERIALS, SOURCE_M, MAX_ORDER)
    return np.stack([binaural_rir(images, (LISTENER_M, yaw), hrtf, DURATION_S).total for yaw in YAWS_DEG])


def one_solve_shared_render():
    "One image-source solve, and `binaural_array_rir` sharing every image's delay/damping spectrum across the 4 heads."
    hrtf, images = load_hrtf(SAMPLE_RATE), image_sources(ROOM_M, MATERIALS, SOURCE_M, MAX_ORDER)
    return binaural_array_rir(images, [(LISTENER_M, yaw) for yaw in YAWS_DEG], hrtf, DURATION_S).total


def timed(fn):
    start = time.perf_counter(); out = fn(); return out, time.perf_counter() - start


if __name__ == '__main__':
    load_hrtf(SAMPLE_RATE); one_solve_shared_render()  # warm-up: HRTF cache, torch initialisation
    n_images = len(image_sources(ROOM_M, MATERIALS, SOURCE_M, MAX_ORDER).orders)
    _, solve_s = timed(lambda: image_sources(ROOM_M, MATERIALS, SOURCE_M, MAX_ORDER))
    baseline, baseline_s = timed(per_orientation_simulation)
    reused, reused_s = timed(one_solve_per_orientation_render)
    shared, shared_s = timed(one_solve_shared_render)
    assert np.array_equal(baseline, reused) and np.allclose(baseline, shared, atol=1e-5), "all three must give the same responses"
    print(f"room {ROOM_M} m, image order {MAX_ORDER} ({n_images} images), {SAMPLE_RATE} Hz, {DURATION_S} s, 4 orientations")
    print(f"one image-source solve:                          {solve_s * 1e3:8.1f} ms")
    print(f"re-run the simulation per orientation (baseline): {baseline_s * 1e3:8.1f} ms")
    print(f"one solve, binaural_rir per orientation:          {reused_s * 1e3:8.1f} ms   speed-up {baseline_s / reused_s:.2f}x")
    print(f"one solve, binaural_array_rir (shared spectra):   {shared_s * 1e3:8.1f} ms   speed-up {baseline_s / shared_s:.2f}x")
