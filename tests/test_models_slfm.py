"Tests of the SLfM networks (avbook.models.slfm) and losses (avbook.losses.slfm): shapes, hand-made loss cases, bad input, devices, and a toy training check."
import math
import numpy as np
import pytest
import torch
from torch import nn
from avbook.core import ParameterError, get_device
from avbook.evaluation import mean_angular_error_deg, rotation_sign_correction
from avbook.models.slfm import (SLFM_CPU_STFT, PRETEXT_VARIANTS, slfm_spectrogram, encoder_input, swap_ears, pretext_pair,
                                binaural_from_prediction, iid_per_frame, BinauralEncoder, VisualPoseEncoder, BinauralUNet,
                                CrossViewBinauralizer, make_pretext_model, AVSANet, RotNCENet, AngleHead, SlfmGeometricModel,
                                sound_angle_bin, rotation_bin, bin_center_deg, ProbeNet, angle_mode_deg, prompt_rotation_deg)
from avbook.losses.slfm import (spectrogram_loss, reflect_front_back, geometric_error, geometric_loss, binaural_label, binaural_loss,
                                symmetric_loss, slfm_loss, supervised_angle_loss, info_nce_loss, rotation_positive_mask,
                                multi_positive_nce_loss)

torch.set_num_threads(1)
KW = dict(image_hw=(48, 64), width_multiplier=0.125, feature_dim=16, n_levels=4)
rad = lambda *a: torch.deg2rad(torch.tensor(a, dtype=torch.float32))


@pytest.fixture(scope='module')
def inputs():
    g = torch.Generator().manual_seed(0)
    spec = slfm_spectrogram(torch.randn(2, 2, 8192, generator=g), **SLFM_CPU_STFT)
    mix, diff = pretext_pair(spec)
    ri = torch.stack([mix.real, mix.imag], 1)
    return dict(spec=spec, audio=encoder_input(spec), mix_ri=ri, diff_ri=torch.stack([diff.real, diff.imag], 1),
                image_s=torch.rand(2, 3, 48, 64, generator=g), image_t=torch.rand(2, 3, 48, 64, generator=g))


# ---- shapes -------------------------------------------------------------------------------------------------------
def test_feature_shapes(inputs):
    assert inputs['spec'].shape == (2, 2, 64, 64) and inputs['audio'].shape == (2, 4, 64, 64)
    assert slfm_spectrogram(torch.zeros(1, 2, 40800), 512, 160, 400).shape == (1, 2, 256, 256)   # the paper's size
    assert torch.equal(swap_ears(inputs['audio'])[:, :2], inputs['audio'][:, 2:])


@pytest.mark.parametrize('variant', list(PRETEXT_VARIANTS))
def test_pretext_variants_shapes(inputs, variant):
    model = make_pretext_model(variant, **KW)
    with torch.no_grad():
        one = model(inputs['mix_ri'], inputs['audio'], inputs['image_s'], inputs['image_t'], torch.zeros(2))
        many = model(inputs['mix_ri'][:, None].expand(-1, 3, -1, -1, -1), inputs['audio'], inputs['image_s'],
                     inputs['image_t'][:, None].expand(-1, 3, -1, -1, -1), torch.zeros(2, 3))
    assert one.shape == (2, 2, 64, 64) and many.shape == (2, 3, 2, 64, 64)
    assert torch.isfinite(many).all()


def test_multiview_equals_single_view(inputs):
    model = make_pretext_model('ours', **KW).eval()
    with torch.no_grad():
        single = model(inputs['mix_ri'], inputs['audio'], inputs['image_s'], inputs['image_t'])
        multi = model(torch.stack([inputs['mix_ri'], inputs['mix_ri']], 1), inputs['audio'], inputs['image_s'],
                      torch.stack([inputs['image_t'], inputs['image_s']], 1))
    torch.testing.assert_close(multi[:, 0], single, atol=1e-5, rtol=1e-4)


def test_encoders_heads_probes(inputs):
    audio_enc, visual_enc = BinauralEncoder(0.125, 16), VisualPoseEncoder((48, 64), 0.125, 16)
    assert audio_enc(inputs['audio']).shape == (2, 16)
    assert visual_enc(inputs['image_s'], inputs['image_t']).shape == (2, 16)
    geo = SlfmGeometricModel(audio_enc, visual_enc, hidden_dim=32)
    out = geo(inputs['audio'], inputs['audio'].flip(0), inputs['image_s'], inputs['image_t'])
    assert all(v.shape == (2,) for v in out.values())
    assert out['theta_s'].abs().max() < math.pi and out['phi_st'].abs().max() < math.pi / 2
    assert ProbeNet(audio_enc)(inputs['audio']).shape == (2, 64)
    assert ProbeNet(visual_enc)(inputs['image_s'], inputs['image_t']).shape == (2, 64)
    a, v = AVSANet((48, 64), 0.125, 16, 8)(inputs['audio'], inputs['image_s'], inputs['image_t'])
    assert a.shape == v.shape == (2, 8)
    assert RotNCENet(0.125, 16, 8)(inputs['audio']).shape == (2, 8)


def test_models_run_on_auto_device(inputs):
    device = get_device('auto')
    model = make_pretext_model('ours', **KW).to(device)
    out = model(*(inputs[k].to(device) for k in ('mix_ri', 'audio', 'image_s', 'image_t')))
    spectrogram_loss(out, inputs['diff_ri'].to(device)).backward()
    assert out.device.type == device.type and all(p.grad is not None for p in model.parameters())


def test_same_seed_same_model(inputs):
    outs = []
    for _ in range(2):
        torch.manual_seed(3)
        with torch.no_grad(): outs.append(make_pretext_model('ours', **KW).eval()(inputs['mix_ri'], inputs['audio'], inputs['image_s'], inputs['image_t']))
    assert torch.equal(*outs)


# ---- bad input --------------------------------------------------------------------------------------------------
def test_bad_shapes_raise_parameter_error(inputs):
    model = make_pretext_model('ours', **KW)
    with pytest.raises(ParameterError, match=r'expected \(batch, 4, freq, frame\)'):
        model(inputs['mix_ri'], inputs['mix_ri'], inputs['image_s'], inputs['image_t'])
    with pytest.raises(ParameterError, match=r'expected \(batch, 3, 48, 64\)'):
        model(inputs['mix_ri'], inputs['audio'], inputs['image_s'], torch.rand(2, 3, 60, 80))
    with pytest.raises(ParameterError, match='multiples of 2\\*\\*n_levels=16'):
        BinauralUNet(0, 0.125, 4)(inputs['mix_ri'][..., :40])
    with pytest.raises(ParameterError, match='needs source_audio'):
        model(inputs['mix_ri'], None, inputs['image_s'], inputs['image_t'])
    with pytest.raises(ParameterError, match=r'expected \(batch, 16\)'):
        AngleHead(16)(torch.zeros(2, 15))
    with pytest.raises(ParameterError, match='must be a complex tensor'):
        encoder_input(inputs['audio'])
    with pytest.raises(ParameterError, match="variant"):
        make_pretext_model('imagenet')
    with pytest.raises(ParameterError, match='they must match'):
        spectrogram_loss(inputs['diff_ri'], inputs['diff_ri'][:1])
    with pytest.raises(ParameterError, match='expected the same'):
        geometric_loss(rad(1.0), rad(1.0, 2.0), rad(1.0))


# ---- features and bins --------------------------------------------------------------------------------------------
def test_pretext_pair_roundtrip(inputs):
    for task in ('mix2diff', 'left2right'):
        x, y = pretext_pair(inputs['spec'], task)
        torch.testing.assert_close(binaural_from_prediction(x, y, task), inputs['spec'], atol=1e-5, rtol=1e-5)


def test_bins_round_trip():
    angles = torch.linspace(-179.0, 179.0, 200)
    assert (bin_center_deg(sound_angle_bin(angles), -180, 180) - angles).abs().max() <= 360 / 64 / 2 + 1e-4
    rot = torch.cat([torch.linspace(-89.0, -10.0, 50), torch.linspace(10.0, 89.0, 50)])
    idx = rotation_bin(rot)
    assert idx.min() >= 0 and idx.max() <= 63 and torch.all(idx[:50] < 32) and torch.all(idx[50:] >= 32)
    assert torch.all(idx.diff() >= 0)   # monotonic in the angle
    assert (bin_center_deg(idx, 10, 90, rotation=True) - rot).abs().max() <= 80 / 32 / 2 + 1e-4


# ---- losses on hand-made cases ------------------------------------------------------------------------------------
def test_geometric_loss_cases():
    theta_s, phi = rad(30.0, -120.0), rad(40.0, -25.0)
    theta_t = theta_s - phi
    assert geometric_loss(theta_s, theta_t, phi).item() < 1e-10
    assert geometric_loss(theta_s, reflect_front_back(theta_t), phi).item() < 1e-10
    assert geometric_loss(theta_s, reflect_front_back(theta_t), phi, reflection_invariant=False).item() > 1.0
    off = theta_t + math.radians(30)
    torch.testing.assert_close(geometric_loss(theta_s, off, phi, reflection_invariant=False), torch.tensor(2 * (1 - math.cos(math.radians(30)))))
    # batched = item by item
    many = (rad(10.0, 50.0, -70.0), rad(-5.0, 20.0, 100.0), rad(15.0, -30.0, 45.0))
    per_item = torch.stack([geometric_loss(*(x[i:i+1] for x in many)) for i in range(3)])
    torch.testing.assert_close(geometric_loss(*many), per_item.mean())
    torch.testing.assert_close(geometric_error(rad(0.0), rad(180.0), rad(0.0)), torch.tensor([4.0]))


def test_binaural_and_symmetric_losses():
    spec = torch.ones(2, 2, 3, 5)
    spec[0, 0] *= 3; spec[1, 1] *= 3
    assert binaural_label(spec).tolist() == [1.0, 0.0]
    assert iid_per_frame(spec)[0, 0].item() == pytest.approx(math.log(3), abs=1e-6)
    assert binaural_loss(rad(90.0, -90.0), torch.tensor([1.0, 0.0])).item() < 1e-5
    assert binaural_loss(rad(0.0), torch.tensor([1.0])).item() == pytest.approx(math.log(2), abs=1e-6)
    assert symmetric_loss(rad(20.0), rad(-20.0), rad(5.0), rad(-5.0)).item() == pytest.approx(0.0, abs=1e-7)
    assert symmetric_loss(rad(20.0), rad(0.0)).item() == pytest.approx(math.radians(20), abs=1e-6)
    assert supervised_angle_loss(rad(90.0), rad(-90.0)).item() == pytest.approx(4.0, abs=1e-6)


def test_total_loss_weights():
    o = dict(theta_s=rad(30.0), theta_t=rad(-10.0), theta_s_swapped=rad(-20.0), theta_t_swapped=rad(10.0), phi_st=rad(20.0), phi_ts=rad(-20.0))
    label_s, label_t = torch.tensor([1.0]), torch.tensor([0.0])
    parts = slfm_loss(o, label_s, label_t, lambda_geo=2.0, lambda_bin=3.0, lambda_sym=4.0)
    torch.testing.assert_close(parts['loss'], 2 * parts['geo'] + 3 * parts['bin'] + 4 * parts['sym'])
    torch.testing.assert_close(parts['geo'], torch.tensor(2 * (1 - math.cos(math.radians(20)))))
    torch.testing.assert_close(parts['sym'], torch.tensor(math.radians(10) / 2))


def test_contrastive_losses():
    e = torch.nn.functional.normalize(torch.randn(6, 4, generator=torch.Generator().manual_seed(0)), dim=1)
    assert info_nce_loss(e, e, 0.05) < info_nce_loss(e, e.roll(1, 0), 0.05)
    mask = rotation_positive_mask(torch.tensor([0, 0, 1, 1, 2, 2]), torch.tensor([0.0, 20.0, 0.0, 80.0, 170.0, -170.0]), 30.0)
    assert mask.sum().item() == 4 and not mask.diagonal().any()
    aligned = torch.nn.functional.normalize(torch.tensor([[1.0, 0], [1, 0], [0, 1], [0, 1]]), dim=1)
    m = rotation_positive_mask(torch.tensor([0, 0, 1, 1]), torch.zeros(4), 10.0)
    assert multi_positive_nce_loss(aligned, m, 0.1) < multi_positive_nce_loss(aligned.roll(1, 0), m, 0.1)


# ---- audio prompting with an oracle binauralizer --------------------------------------------------------------------
def test_prompt_rotation_recovers_oracle_rotation():
    """A stub binauralizer that returns exactly the difference spectrogram of a source at θ_p − φ must give back φ."""
    g = torch.Generator().manual_seed(1)
    base = torch.complex(torch.rand(8, 16, generator=g) + 0.1, torch.zeros(8, 16))
    angles = torch.linspace(-90, 90, 181)
    def clip(angle_deg):   # a level-only binaural clip: L = (1 + 0.5 sin a) S, R = (1 − 0.5 sin a) S
        s = math.sin(math.radians(angle_deg))
        return torch.stack([(1 + 0.5 * s) * base, (1 - 0.5 * s) * base])
    database_iid = iid_per_frame(torch.stack([clip(a) for a in angles.tolist()]))
    true_phi = torch.tensor([25.0, -40.0])

    class Oracle(CrossViewBinauralizer):
        def forward(self, target_input, source_audio=None, source_image=None, target_image=None, rotation_rad=None):
            diffs = [clip(-p)[0] - clip(-p)[1] for p in true_phi.tolist()]   # prompt at 0°: target at 0 − φ
            return torch.stack([torch.stack([d.real, d.imag]) for d in diffs])
    model = Oracle('audio+vision', (48, 64), 0.125, 16, 3)
    prompts = torch.stack([clip(0.0)] * 3)
    phi = prompt_rotation_deg(model, torch.rand(2, 3, 48, 64), torch.rand(2, 3, 48, 64), prompts, torch.zeros(3), database_iid, angles)
    torch.testing.assert_close(phi, true_phi, atol=1.0, rtol=0)
    assert angle_mode_deg(torch.tensor([3.0, 4.0, 5.0, 60.0, -70.0])).item() == pytest.approx(4.0)


# ---- toy training: learns with reflection invariance, fails without -------------------------------------------------
class _Lift(nn.Module):
    def __init__(self, seed):
        super().__init__(); g = torch.Generator().manual_seed(seed)
        self.feature_dim, self.w, self.b = 16, nn.Parameter(torch.randn(16, 2, generator=g)), nn.Parameter(0.5 * torch.randn(16, generator=g))
    def forward(self, x): return torch.tanh(x @ self.w.T + self.b)

class _Pair(_Lift):
    def forward(self, yaw_s, yaw_t): return super().forward(torch.stack([(yaw_t - yaw_s).sin(), (yaw_t - yaw_s).cos()], 1))

def _views(n, seed):
    g = torch.Generator().manual_seed(seed)
    theta_s = (2 * torch.rand(n, generator=g) - 1) * math.pi
    phi = torch.deg2rad(10 + 70 * torch.rand(n, generator=g)) * (2 * torch.randint(0, 2, (n,), generator=g) - 1)
    theta_t = torch.remainder(theta_s - phi + math.pi, 2 * math.pi) - math.pi
    ears = lambda th: torch.stack([1 + 0.5 * th.sin(), 1 - 0.5 * th.sin()], 1) + 0.01 * torch.randn(n, 2, generator=g)
    yaw = (2 * torch.rand(n, generator=g) - 1) * math.pi
    return dict(theta_s=theta_s, phi=phi, a_s=ears(theta_s), a_t=ears(theta_t), y_s=yaw, y_t=yaw + phi)

def _train(reflection_invariant, steps=800):
    torch.manual_seed(0)
    model = SlfmGeometricModel(_Lift(1), _Pair(2), hidden_dim=64)
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    tr, label = _views(512, 10), lambda a: (a[:, 0] > a[:, 1]).float()
    losses = []
    for _ in range(steps):
        parts = slfm_loss(model(tr['a_s'], tr['a_t'], tr['y_s'], tr['y_t']), label(tr['a_s']), label(tr['a_t']),
                          lambda_geo=1.0, reflection_invariant=reflection_invariant)
        opt.zero_grad(); parts['loss'].backward(); opt.step(); losses.append(parts['loss'].item())
    te = _views(512, 999)
    with torch.no_grad():
        sound, rot = torch.rad2deg(model.sound_angle_rad(te['a_s'])).numpy(), torch.rad2deg(model.rotation_rad(te['y_s'], te['y_t'])).numpy()
    true_sound, true_rot = torch.rad2deg(te['theta_s']).numpy(), torch.rad2deg(te['phi']).numpy()
    sign = rotation_sign_correction(rot[:12], true_rot[:12])
    return dict(losses=losses, audio=mean_angular_error_deg(sound, true_sound, fold_front=True), camera=mean_angular_error_deg(sign * rot, true_rot),
                audio_chance=mean_angular_error_deg(0 * true_sound, true_sound, fold_front=True), camera_chance=mean_angular_error_deg(0 * true_rot, true_rot))

def test_toy_geometric_stage_needs_reflection_invariance():
    ok, bad = _train(True), _train(False)
    # the loss at the true (front-folded) angles is ~0.215 (L_bin's floor); training closes > 90 % of the gap to it
    assert (ok['losses'][0] - ok['losses'][-1]) / (ok['losses'][0] - 0.215) > 0.9
    assert ok['audio'] < 0.25 * ok['audio_chance'] and ok['camera'] < 0.25 * ok['camera_chance']
    assert bad['camera'] > 0.8 * bad['camera_chance'] and bad['audio'] > 2 * ok['audio']
