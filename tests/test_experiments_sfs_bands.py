"Structure from Silence Fig. 8 bands and text claims: the band to mel-band mapping against librosa, bad bands, band limiting, claims."
import numpy as np
import pandas as pd
import pytest
import torch
import avbook.experiments.sfs_bands as bands
from avbook.audio import mel_filterbank
from avbook.core import DataError, ParameterError
from avbook.reproduce import evaluate_claims, require_simulator


def test_mel_centres_match_librosa():
    librosa = pytest.importorskip('librosa')
    expected = librosa.mel_frequencies(n_mels=66, fmin=0.0, fmax=8000.0, htk=True)[1:-1]
    np.testing.assert_allclose(bands.mel_center_frequencies(), expected, rtol=1e-6)


def test_kept_bands_peak_inside_the_range():
    fb = mel_filterbank(16000, 512, 64, 0.0, 8000.0).numpy()          # (64, 257) triangles on the FFT grid
    peak_hz = fb.argmax(1) * 16000 / 512
    for low, high in bands.FIG8_BANDS_HZ.values():
        keep = bands.band_mel_bins(low, high)
        assert keep.any()
        # a triangle's peak sits within one FFT bin (31.25 Hz) of its centre, so kept triangles peak in the range
        assert (peak_hz[keep] >= low - 31.25).all() and (peak_hz[keep] < high + 31.25).all()


def test_band_counts_and_vggish_cut():
    counts = {label: int(bands.band_mel_bins(*band).sum()) for label, band in bands.FIG8_BANDS_HZ.items()}
    assert counts == {'0-125 Hz': 4, '0-1 kHz': 22, '1-2 kHz': 12, '2-4 kHz': 15, '4-8 kHz': 15, '125 Hz-8 kHz': 60, 'full 0-8 kHz': 64}
    assert sum(counts[k] for k in ('0-1 kHz', '1-2 kHz', '2-4 kHz', '4-8 kHz')) == 64   # the paper's ranges tile the spectrum
    centres = bands.mel_center_frequencies()
    assert centres[~bands.band_mel_bins(125, 8000)].max() < 125 < centres[bands.band_mel_bins(125, 8000)].min()


@pytest.mark.parametrize('band, message', [((1000, 500), 'low < high'), ((-10, 500), 'low < high'), ((0, 9000), 'f_max_hz'),
                                           ((0, 20), 'no mel band centre'), ((7700, 8000), 'no mel band centre')])
def test_bad_bands(band, message):
    with pytest.raises(ParameterError, match=message): bands.band_mel_bins(*band)


class _FakeView:
    "Stands in for an audio SfsView: two log-mel inputs and a target."
    modality = 'audio'
    def __init__(self):
        self.dataset = type('D', (), {'logmel': torch.zeros(1, 2, 64, 100)})()
        self.targets = torch.tensor([1.0, 0.0])
    def __len__(self): return 2
    def __getitem__(self, n): return torch.randn(1, 96, 64), torch.randn(1, 96, 64), self.targets[n]


def test_band_limited_view_replaces_only_removed_bands():
    keep, fill = bands.band_mel_bins(0, 1000), np.linspace(-20, -10, 64).astype(np.float32)
    view = bands.BandLimitedView(_FakeView(), keep, fill)
    torch.manual_seed(0); x1, x2, y = view[0]
    torch.manual_seed(0); r1, r2, _ = _FakeView()[0]
    assert torch.equal(x1[..., keep], r1[..., keep]) and torch.equal(x2[..., keep], r2[..., keep])
    assert torch.equal(x1[..., ~keep], torch.from_numpy(fill[~keep]).expand(1, 96, -1))
    assert len(view) == 2 and y == 1.0
    with pytest.raises(ParameterError, match='one per mel band'): bands.BandLimitedView(_FakeView(), keep[:5], fill)
    image_view = _FakeView(); image_view.modality = 'image'
    with pytest.raises(ParameterError, match='audio view'): bands.BandLimitedView(image_view, keep, fill)


def _fig8_frame(**acc):
    base = {'full 0-8 kHz': 84, '0-1 kHz': 83, '1-2 kHz': 70, '2-4 kHz': 60, '4-8 kHz': 52, '0-125 Hz': 75, '125 Hz-8 kHz': 76, 'chance': 50}
    base.update({k.replace('_', ' '): v for k, v in acc.items()})
    return pd.DataFrame({'acc': base, 'acc_lo': {k: v - 2 for k, v in base.items()}, 'acc_hi': {k: v + 2 for k, v in base.items()}})


def test_fig8_claims_hold_and_fail():
    assert all(v.held for v in evaluate_claims(bands.fig8_claims(), _fig8_frame()))
    high_band_good = evaluate_claims(bands.fig8_claims(), _fig8_frame(**{'4-8 kHz': 80}))
    assert not high_band_good[1].held and not high_band_good[2].held
    assert not evaluate_claims(bands.fig8_claims(), _fig8_frame(**{'125 Hz-8 kHz': 85}))[4].held


def test_text_claims_paper_numbers_and_data_root():
    paper = bands.text_claims_paper()
    assert paper.loc[bands.TEXT_ROWS['dense_all']].tolist() == [86.1, 72.9]
    assert paper.loc[bands.TEXT_ROWS['left']].tolist() == [87.2, 81.2]
    for artifact in ('fig8', 'text_claims'):
        with pytest.raises(DataError, match=f"data_root='/nowhere': sfs {artifact} runs on the simulator only: the band-limited.*data_root=None"):
            require_simulator('/nowhere', 'sfs', artifact, bands.BANDS_SIMULATOR_ONLY)


def test_finetune_claim_reads_the_paired_interval():
    "The fine-tuning claim holds only when the paired AP difference's lower bound is above 0, whatever the two rows' own intervals."
    R = bands.TEXT_ROWS
    claim = [c for c in bands.text_claims() if c.name.startswith('fine-tuning AV-Order')]
    assert len(claim) == 1 and not claim[0].weak
    def frame(diff_lo):
        rows = {R['scratch']: dict(ap=80.0, ap_lo=74.0, ap_hi=86.0), R['finetuned']: dict(ap=83.0, ap_lo=77.0, ap_hi=89.0),
                R['finetuned_minus_scratch']: dict(ap=3.0, ap_lo=diff_lo, ap_hi=6.0)}
        return pd.DataFrame.from_dict(rows, orient='index')
    assert evaluate_claims(claim, frame(0.5))[0].held                  # overlapping row intervals, paired difference clear of 0
    assert not evaluate_claims(claim, frame(-0.5))[0].held
