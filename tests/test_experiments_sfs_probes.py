"Structure from Silence Tables 4-5 building blocks: VGGish-preprocessing conversion, linear probe, agreement fusion, feature caching."
import math
import numpy as np
import pytest
import torch
import avbook.experiments.sfs_probes as probes
from avbook.core import DataError
from avbook.reproduce import require_simulator
from avbook.audio import log_mel, PAPER_LOGMEL
from avbook.models.vggish import VGGish
from avbook.models.sfs import ImageEncoder


def test_sfs_to_vggish_logmel_matches_direct_vggish_front_end():
    g = torch.Generator().manual_seed(1)
    wav = torch.randn(1, 16000 * 2, generator=g) * 0.02
    direct = log_mel(wav, 16000, **PAPER_LOGMEL['vggish'])[0].T
    derived = probes.sfs_to_vggish_logmel(log_mel(wav, 16000, **PAPER_LOGMEL['sfs'])[0].T)
    n = min(len(direct), len(derived))
    assert (derived[:n].mean(0) - direct[:n].mean(0)).abs().max() < 0.15


def test_linear_probe_separates_and_is_deterministic():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 4)); y = (x[:, 1] > 0).astype(int)
    a, b = probes.fit_linear_probe(x, y, 2, 1e-3), probes.fit_linear_probe(x, y, 2, 1e-3)
    np.testing.assert_allclose(a(x), b(x))
    assert (a(x).argmax(1) == y).mean() > 0.95


def test_agreement_av_order_flips_with_either_order():
    torch.manual_seed(0)
    net = probes.AgreementAVOrderNet(VGGish(0.0625, embedding_dim=8), ImageEncoder(0.125, embedding_dim=8), 8, 8).eval()
    a1, a2, i1, i2 = torch.randn(3, 1, 96, 64), torch.randn(3, 1, 96, 64), torch.randn(3, 3, 24, 32), torch.randn(3, 3, 24, 32)
    z = net(a1, a2, i1, i2) - net.bias
    torch.testing.assert_close(z[:, 0], -z[:, 1]); torch.testing.assert_close(z[:, 0], z[:, 3])
    torch.testing.assert_close(net(a2, a1, i1, i2) - net.bias, (z[:, [1, 0, 3, 2]]))


def test_sync_examples_are_balanced_and_offset():
    ds = probes.motion_split('train', 'smoke')
    ex = probes.sync_examples(ds, 6, 0)
    assert ex[:, 3].mean() == 0.5
    dt = np.abs(ds.frame_times_s[ex[:, 1]] - ds.frame_times_s[ex[:, 2]])
    assert (dt[ex[:, 3] == 0] >= probes.SYNC_MIN_OFFSET_S - 1e-6).all()

def test_real_data_root_is_refused_clearly():
    for artifact in ('table4', 'table5'):
        require_simulator(None, 'sfs', artifact, probes.PROBES_SIMULATOR_ONLY)
        with pytest.raises(DataError, match=f"data_root='/data/quiet-campus': sfs {artifact} runs on the simulator only: .*linear probes.*data_root=None"):
            require_simulator('/data/quiet-campus', 'sfs', artifact, probes.PROBES_SIMULATOR_ONLY)
