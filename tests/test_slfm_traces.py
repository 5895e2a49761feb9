"Physics and packing checks of the rotating-camera sequence of `avbook.experiments.slfm_traces`."
import dataclasses
import numpy as np
import pytest
import scipy.signal
from avbook.core import ParameterError
from avbook.sim.acoustics import image_sources, binaural_array_rir
from avbook.sim.hrtf import load_hrtf, wrap_azimuth_deg
from avbook.experiments.slfm_traces import (TRACE_RECIPE, camera_yaw_deg, crossfade_windows, time_varying_binaural, block_ild_db,
                                            rotating_sequence, sequence_dataset)

@pytest.fixture(scope='module')
def seq(): return rotating_sequence('smoke')

def test_crossfade_windows_partition_unity():
    for n, b in ((1, 1), (999, 160), (1600, 160), (1601, 160)):
        w = crossfade_windows(n, b)
        np.testing.assert_allclose(w.sum(0), 1.0, atol=1e-12)
        assert w.min() >= 0 and np.allclose(w[np.arange(len(w))[:-1], np.minimum(np.arange(len(w) - 1) * b, n - 1)], 1.0)
    with pytest.raises(ParameterError): crossfade_windows(10, 0)

def test_static_yaw_equals_fixed_brir(seq):
    "A head that never turns: the block-wise rendering equals one convolution with the fixed BRIR."
    c, sr = seq['config'], seq['sample_rate']
    images = image_sources(seq['room'].size_m, seq['room'].materials, seq['source_m'], c.max_order)
    brir = binaural_array_rir(images, [(seq['position_m'], seq['yaw0_deg'], 0.0)], load_hrtf(sr), c.rir_s).mix(c.reverb_gain)[0]
    dry, block_n = seq['dry'][:sr], int(round(TRACE_RECIPE['block_s'] * sr))
    blocks = np.repeat(brir[None], len(crossfade_windows(len(dry), block_n)), 0)
    fixed = scipy.signal.fftconvolve(dry[None], brir, axes=-1)[:, :len(dry)]
    np.testing.assert_allclose(time_varying_binaural(dry, blocks, block_n), fixed, atol=1e-6 * np.abs(fixed).max())
    static = rotating_sequence('smoke', duration_s=1.0, static=True)
    np.testing.assert_allclose(static['audio'], np.clip(scipy.signal.fftconvolve(static['dry'][None], brir, axes=-1)[:, :static['audio'].shape[-1]], -1, 1), atol=1e-6 * np.abs(static['audio']).max())

def test_ild_sign_follows_the_source_side(seq):
    ild = block_ild_db(seq['audio'], seq['sample_rate'], TRACE_RECIPE['block_s'])
    mid = seq['audio_start_s'] + (np.arange(len(ild)) + 0.5) * TRACE_RECIPE['block_s']
    true = wrap_azimuth_deg(seq['sound_deg'][0] - camera_yaw_deg(mid))
    n = int(round(TRACE_RECIPE['block_s'] * seq['sample_rate']))
    loud = np.square(seq['audio']).sum(0)[:len(ild) * n].reshape(len(ild), n).mean(1) > 1e-5   # speech, not a pause's reverberant tail
    side = loud & (np.abs(true) > 15) & (mid > 0)
    assert side.sum() >= 10 and np.sign(true[side]).min() < 0 < np.sign(true[side]).max()   # the source crosses the midline
    assert np.mean(np.sign(ild[side]) == np.sign(true[side])) >= 0.9

def test_truth_and_packing(seq):
    np.testing.assert_allclose(seq['sound_deg'], wrap_azimuth_deg(seq['sound_deg'][0] - seq['yaw_deg']), atol=1e-6)   # θ_t = θ_0 − φ_{0,t}
    ds = sequence_dataset(seq)
    idx = ds.arrays['frame_index']
    assert (idx[:, 0] == 0).all() and set(idx[:, 1:].ravel()) == set(range(1, len(seq['frame_s'])))
    np.testing.assert_array_equal(ds.rgb.numpy(), seq['frames'][idx])
    k = 5; n, v = np.argwhere(idx == k)[0]
    start = int(round((seq['frame_s'][k] - seq['config'].clip_s / 2 - seq['audio_start_s']) * seq['sample_rate']))
    np.testing.assert_allclose(ds.audio[n, v].numpy() / 32767, seq['audio'][:, start:start + ds.n_clip], atol=1 / 32767)
