"Structure from Silence models: shapes, the VGGish parameter count, k-means bins, overfitting sanity, devices, bad input."
import numpy as np
import pytest
import torch
import torchvision
from avbook.core import ParameterError, get_device
from avbook.models.common import (count_parameters, resnet18_encoder, freeze, LinearProbe, SiameseHead, mlp,
                                  fit_kmeans_bins, to_bin, bin_centers_to_value)
from avbook.models.vggish import VGGish
from avbook.models.sfs import (ImageEncoder, SingleClipNet, PairNet, ConditionalDepthNet, AVSyncNet, AVOrderNet, LinearProbeNet,
                               NoInput, binary_loss, l1_loss, class_loss, binned_regression_loss, av_order_loss, make_task_model,
                               task_loss, TASKS, fit_batch, tiny_task_setups, bin_metrics, regression_metrics)

torch.set_num_threads(1)   # 2 shared cores: one intra-op thread avoids oversubscription

def _audio(n=4, channels=1): return torch.randn(n, channels, 96, 64)
def _images(n=4, size=32): return torch.randn(n, 3, size, size)
def _vggish(): return VGGish(0.0625, embedding_dim=16)
def _resnet(): return ImageEncoder(0.125, embedding_dim=16)

def test_vggish_width_one_matches_the_published_parameter_count():
    assert count_parameters(VGGish(batch_norm=False)) == 72_141_184
    assert count_parameters(VGGish()) == 72_141_184 + 3_456   # BatchNorm after each of the 6 convolutions

def test_vggish_shapes_and_channels():
    net = VGGish(0.125, embedding_dim=32)
    assert net(_audio()).shape == (4, 32)
    assert net.features(_audio()).shape == (4, 64)
    assert VGGish(0.0625, in_channels=2)(_audio(3, channels=2)).shape == (3, 128)

def test_resnet_trunk_is_torchvision_resnet18_at_width_one():
    reference = torchvision.models.resnet18(weights=None).eval()
    encoder = resnet18_encoder(3, 1.0, reference.state_dict()).eval()
    reference.fc = torch.nn.Identity()
    x = _images(2, 64)
    with torch.no_grad(): assert torch.allclose(encoder(x), reference(x), atol=1e-5)

@pytest.mark.parametrize('task', TASKS)
def test_task_model_output_shapes(task):
    model = make_task_model(task, _vggish(), n_bins=7)
    inputs = [_audio()] if task in ('obstacle', 'depth_regression', 'depth_bins') else [_audio(), _audio()]
    if task.startswith('conditional'): inputs.append(torch.zeros(4))
    assert model(*inputs).shape == ((4, 7) if task.endswith('_bins') else (4,))

def test_self_supervised_and_probe_shapes():
    assert AVSyncNet(_vggish(), _resnet())(_audio(), _images()).shape == (4,)
    assert AVOrderNet(_vggish(), _resnet(), 16, 16)(_audio(), _audio(), _images(), _images()).shape == (4, 4)
    assert LinearProbeNet(1, _vggish(), _resnet(), n_clips=2)(_audio(), _audio(), _images(), _images()).shape == (4,)
    assert LinearProbeNet(5, image_encoder=_resnet())(_images()).shape == (4, 5)
    assert SingleClipNet(_resnet())(_images()).shape == (4,)

def test_linear_probe_trains_only_its_layer_and_keeps_batchnorm_fixed():
    audio = _vggish()
    probe = LinearProbeNet(1, audio, n_clips=2).train()
    before = {k: v.clone() for k, v in audio.state_dict().items()}
    loss = binary_loss(probe(_audio(), _audio()), torch.ones(4)); loss.backward()
    assert count_parameters(probe, trainable_only=True) == 2*32 + 1
    assert all(torch.equal(before[k], v) for k, v in audio.state_dict().items())

def test_kmeans_bins_are_deterministic_and_monotone():
    values = np.random.default_rng(3).normal(0, 0.7, 3000)
    centers = fit_kmeans_bins(values, 10, seed=0)
    assert np.array_equal(centers, fit_kmeans_bins(values, 10, seed=0))
    assert np.all(np.diff(centers) > 0)
    bins = to_bin(np.sort(values), centers)
    assert np.all(np.diff(bins) >= 0) and set(bins) == set(range(10))
    # every value is assigned to its nearest centre
    assert np.array_equal(bins, np.abs(np.sort(values)[:, None] - centers[None]).argmin(1))

def test_bin_centers_to_value_round_trip():
    centers = fit_kmeans_bins(np.random.default_rng(0).uniform(-2, 2, 500), 8, seed=1)
    logits = 30*torch.nn.functional.one_hot(to_bin(torch.tensor(centers), centers), 8).double()
    assert torch.allclose(bin_centers_to_value(logits, centers), torch.tensor(centers))
    assert torch.allclose(bin_centers_to_value(logits, centers, 'expected'), torch.tensor(centers), atol=1e-6)
    assert np.allclose(bin_centers_to_value(logits.numpy(), centers), centers)

def test_metrics_of_a_perfect_prediction():
    centers = np.array([-1.0, 0.0, 1.0])
    values = np.array([-1.1, 0.1, 0.9, 0.0])
    assert bin_metrics(np.eye(3)[to_bin(values, centers)], values, centers)['top1'] == 1.0
    assert regression_metrics(values, values)['mae'] == 0.0

HEADS = ['obstacle', 'relative order', 'ratio L1', 'ratio bins', 'conditional depth', 'image obstacle', 'AV-Sync', 'AV-Order', 'linear probe']

@pytest.fixture(scope='module')
def setups(): return tiny_task_setups(get_device('auto'), n=16, seed=0)

def test_setups_cover_every_head(setups): assert list(setups) == HEADS

@pytest.mark.parametrize('name', HEADS)
def test_each_head_overfits_16_examples(setups, name):
    model, inputs, target, loss_func, lr = setups[name]
    losses = fit_batch(model, inputs, target, loss_func, 100, lr)
    assert losses[-1] < 0.1*losses[0], f"{name}: loss {losses[0]:.3f} -> {losses[-1]:.3f}"

def test_models_follow_device_auto():
    device = get_device('auto')
    model = PairNet(_vggish(), 5).to(device)
    out = model(_audio().to(device), _audio().to(device))
    assert out.device.type == device.type
    centers = np.linspace(-1, 1, 5)
    assert binned_regression_loss(out, torch.zeros(4, device=device), centers).device.type == device.type
    assert bin_centers_to_value(out, centers).device.type == device.type
    av = AVOrderNet(_vggish(), _resnet(), 16, 16).to(device)
    assert av_order_loss(av(*[x.to(device) for x in (_audio(), _audio(), _images(), _images())])).device.type == device.type

def test_no_input_ignores_its_inputs():
    model = NoInput(SingleClipNet(_vggish())).eval()
    with torch.no_grad(): assert torch.equal(model(_audio()), model(_audio()))

@pytest.mark.parametrize('call, message', [
    (lambda: _vggish()(torch.randn(4, 1, 64, 96)), 'expected (batch, 1, 96, 64)'),
    (lambda: _vggish()(torch.randn(4, 96, 64)), 'expected (batch, 1, 96, 64)'),
    (lambda: VGGish(0.0625, in_channels=2)(_audio()), 'expected (batch, 2, 96, 64)'),
    (lambda: _resnet()(torch.randn(4, 1, 32, 32)), 'expected (batch, 3, height, width)'),
    (lambda: PairNet(_vggish())(_audio(4), _audio(3)), 'must have the same shape'),
    (lambda: ConditionalDepthNet(_vggish())(_audio(), _audio(), torch.zeros(4, 1)), 'expected (4,)'),
    (lambda: AVSyncNet(_vggish(), _resnet())(_audio(4), _images(2)), 'audio has 4 items but image has 2'),
    (lambda: LinearProbeNet(1, _vggish(), n_clips=2)(_audio()), 'takes 2 inputs (audio_1, audio_2), got 1'),
    (lambda: LinearProbe(8, 1)(torch.randn(4, 6)), 'expected (batch, 8)'),
    (lambda: SiameseHead(8, 1)(torch.randn(4, 8), torch.randn(4, 7)), 'expected (batch, 8)'),
    (lambda: binary_loss(torch.zeros(4, 1), torch.zeros(4)), 'must match'),
    (lambda: l1_loss(torch.zeros(4), torch.zeros(3)), 'must match'),
    (lambda: class_loss(torch.zeros(4, 3), torch.zeros(4)), 'integer class indices'),
    (lambda: av_order_loss(torch.zeros(4, 3)), 'expected (batch, 4)'),
    (lambda: task_loss('depth_bins'), 'needs the k-means bin centres'),
    (lambda: fit_kmeans_bins([1.0, 1.0, 2.0], 3, seed=0), 'fewer than n_bins=3'),
    (lambda: VGGish(-1), 'width_multiplier=-1'),
    (lambda: mlp(4, [0], 1), 'integers >= 1'),
])
def test_bad_input_raises_parameter_error(call, message):
    with pytest.raises(ParameterError) as info: call()
    assert message in str(info.value)
