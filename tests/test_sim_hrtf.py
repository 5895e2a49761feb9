"The KEMAR HRTF against its known interaural cues and Woodworth's spherical-head ITD; lookup, resampling and bad input."
import numpy as np
import pytest
from avbook.core import AssetError, ParameterError
from avbook.sim.hrtf import (hrir, interaural_level_difference_db, interaural_time_difference_s, load_hrtf, read_kemar_sofa,
                             woodworth_itd_s, wrap_azimuth_deg, _resampled_kemar, KEMAR_SOFA_PATH)

RATES = [16000, 44100]


@pytest.mark.parametrize('sample_rate', RATES)
def test_plus_90_is_left_and_minus_90_is_right(sample_rate):
    "A source at +90 deg reaches the left ear ~0.6-0.7 ms earlier and ~12 dB louder; -90 deg is the mirror image."
    pairs = hrir([90, -90], 0, sample_rate)
    itd_ms = interaural_time_difference_s(pairs, sample_rate) * 1e3
    ild_db = interaural_level_difference_db(pairs)
    assert 0.55 < itd_ms[0] < 0.75 and -0.75 < itd_ms[1] < -0.55, itd_ms
    assert 9 < ild_db[0] < 15 and -15 < ild_db[1] < -9, ild_db


# At 16 kHz the responses are band-limited to 8 kHz, which blurs each onset by about one sample (0.06 ms): allow 0.12 ms there.
@pytest.mark.parametrize('sample_rate, tolerance_s', [(44100, 1e-4), (48000, 1e-4), (16000, 1.2e-4)])
def test_itd_follows_woodworth_in_the_front_quadrants(sample_rate, tolerance_s):
    "Onset ITD of every measured horizontal direction with |azimuth| <= 90 within 0.1 ms of (a/c)(theta + sin theta), a = 8.75 cm."
    hrtf = load_hrtf(sample_rate)
    front = (hrtf.elevation_deg == 0) & (np.abs(hrtf.azimuth_deg) <= 90)
    measured = interaural_time_difference_s(hrtf.hrir[front], sample_rate)
    expected = woodworth_itd_s(hrtf.azimuth_deg[front])
    assert front.sum() == 37
    assert np.abs(measured - expected).max() < tolerance_s, np.abs(measured - expected).max()
    assert np.all(np.diff(measured[np.argsort(hrtf.azimuth_deg[front])]) >= -2e-5)  # rises with azimuth (up to sub-sample noise)


def test_left_right_symmetry():
    "Mirroring the direction swaps the ears (the MIT set is left/right symmetric)."
    az = np.arange(-175, 180, 5.0)
    for el in (-30, 0, 40):
        direct, mirrored = hrir(az, el, 44100), hrir(-az, el, 44100)
        np.testing.assert_allclose(direct[..., 0, :], mirrored[..., 1, :], atol=1e-6)
        np.testing.assert_allclose(interaural_level_difference_db(direct), -interaural_level_difference_db(mirrored), atol=1e-3)


def test_sofa_conversion_is_a_wrap():
    "SOFA azimuths [0, 360) counter-clockwise become (-180, 180] positive left; receiver 0 is the left ear."
    kemar = read_kemar_sofa()
    assert kemar['azimuth_deg'].min() > -180 and kemar['azimuth_deg'].max() <= 180
    assert set(np.unique(kemar['elevation_deg'])) == set(range(-40, 91, 10))
    np.testing.assert_array_equal(wrap_azimuth_deg([270, 90, 180, 0]), [-90, 90, 180, 0])


@pytest.mark.parametrize('sample_rate', [8000, 16000, 22050, 44100, 48000, 96000])
def test_resampling_keeps_gain_and_latency(sample_rate):
    hrtf = load_hrtf(sample_rate)
    assert hrtf.hrir.shape == (710, 2, int(np.ceil(512 * sample_rate / 44100)))
    low = lambda h, sr: np.abs(np.fft.rfft(h, n=4096)[..., : int(300 / sr * 4096)]).mean(-1)  # magnitude below 300 Hz
    np.testing.assert_allclose(low(hrtf.hrir[::37], sample_rate), low(load_hrtf(44100).hrir[::37], 44100), rtol=0.05)
    assert abs(hrtf.latency_s - 38 / 44100) < 1.5 / sample_rate + 1 / 44100


@pytest.mark.parametrize('bad', [4000, 100000, 16000.5, '16000', None])
def test_unservable_rates_raise(bad):
    with pytest.raises(ParameterError, match='sample_rate='):
        load_hrtf(bad)


def test_missing_sofa_names_the_debian_package(tmp_path):
    with pytest.raises(AssetError, match='libmysofa1'):
        load_hrtf(16000, tmp_path/'missing.sofa')


def test_elevation_rules():
    "Below -40 deg (not measured) clamps to -40; outside [-90, 90] raises."
    np.testing.assert_array_equal(hrir(30, -90, 16000), hrir(30, -40, 16000))
    np.testing.assert_array_equal(hrir(30, -40.0001, 16000, method='interpolate'), hrir(30, -40, 16000, method='interpolate'))
    with pytest.raises(ParameterError, match='elevation'):
        hrir(0, 91, 16000)


def test_lookup_is_vectorized_and_interpolation_is_exact_on_the_grid():
    hrtf = load_hrtf(16000)
    az = np.array([[0.0, 37.3], [-120.0, 179.0]]); el = np.array([[0.0, 12.0], [-35.0, 60.0]])
    for method in ('nearest', 'interpolate'):
        batch = hrtf.hrir_at(az, el, method)
        assert batch.shape == (2, 2, 2, hrtf.taps)
        for i in np.ndindex(az.shape): np.testing.assert_allclose(batch[i], hrtf.hrir_at(az[i], el[i], method), atol=1e-7)
    np.testing.assert_array_equal(hrtf.hrir_at(hrtf.azimuth_deg, hrtf.elevation_deg, 'interpolate'), hrtf.hrir)
    index, weight = hrtf.lookup(12.0, 5.0, 'interpolate')
    assert index.shape == (3,) and abs(weight.sum() - 1) < 1e-12 and np.all(weight > 0)
    with pytest.raises(ParameterError, match="method='cubic'"):
        hrtf.hrir_at(0, 0, 'cubic')


def test_resampling_is_deterministic():
    a, b = _resampled_kemar(22050, str(KEMAR_SOFA_PATH)), _resampled_kemar(22050, str(KEMAR_SOFA_PATH))
    np.testing.assert_array_equal(a['hrir'], b['hrir'])
    np.testing.assert_array_equal(load_hrtf(22050).hrir, a['hrir'])
