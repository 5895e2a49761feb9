import numpy as np
import pytest
import torch
from avbook.core import ParameterError, seed_everything
from avbook.models.slfm import make_pretext_model
from avbook.models.slfm_attention import AttentionBinauralizer, CrossAttentionBlock, make_attention_model
import avbook.experiments.slfm as slfm
import avbook.experiments.slfm_attention as sa
from avbook.reproduce import evaluate_claims


def _smoke_net(variant='ours'):
    seed_everything(0)
    return make_attention_model(variant, image_hw=(24, 32), width_multiplier=0.125, feature_dim=32, n_levels=4).eval()


def test_attention_weights_are_a_distribution_over_tokens():
    block = CrossAttentionBlock(channels=16, token_dim=8, n_heads=4)
    _, w = block.attend(torch.randn(2, 16, 3, 3), torch.randn(2, 3, 8))
    assert w.shape == (2, 4, 9, 3)
    torch.testing.assert_close(w.sum(-1), torch.ones(2, 4, 9))


def test_binauralizer_matches_the_2_5d_interface():
    net, ref = _smoke_net(), make_pretext_model('ours', (24, 32), 0.125, 32, 4).eval()
    mix, audio = torch.randn(3, 2, 2, 64, 64), torch.randn(3, 4, 64, 64)
    src, tgt = torch.rand(3, 3, 24, 32), torch.rand(3, 2, 3, 24, 32)
    with torch.no_grad():
        out, expected = net(mix, audio, src, tgt), ref(mix, audio, src, tgt)
        single = torch.stack([net(mix[:, k], audio, src, tgt[:, k]) for k in range(2)], 1)
    assert out.shape == expected.shape == mix.shape
    torch.testing.assert_close(out, single, atol=1e-5, rtol=1e-4)   # multi-target = one target at a time
    for name in ('task', 'uses_audio', 'uses_vision', 'uses_rotation', 'feature_dim', 'conditioning'):
        assert getattr(net, name) == getattr(ref, name)


def test_output_depends_on_the_tokens_and_batches_are_independent():
    net = _smoke_net()
    mix, audio, src, tgt = torch.randn(2, 2, 64, 64), torch.randn(2, 4, 64, 64), torch.rand(2, 3, 24, 32), torch.rand(2, 3, 24, 32)
    with torch.no_grad():
        out = net(mix, audio, src, tgt)
        assert (net(mix, audio.flip(0), src, tgt) - out).abs().max() > 1e-4
        tokens = net.tokens(1, audio, src, tgt)
        torch.testing.assert_close(net.unet(mix, tokens), out)
        torch.testing.assert_close(net(mix[:1], audio[:1], src[:1], tgt[:1]), out[:1], atol=1e-5, rtol=1e-4)


def test_bad_configurations_are_refused():
    with pytest.raises(ParameterError, match='variant'): make_attention_model('no_condition')
    with pytest.raises(ParameterError, match='n_heads=3'): make_attention_model('ours', (24, 32), 0.125, 32, 4, n_heads=3)
    with pytest.raises(ParameterError, match='n_levels=1'): make_attention_model('ours', (24, 32), 0.125, 32, 1)
    with pytest.raises(ParameterError, match='conditioning'): AttentionBinauralizer(conditioning='none')


def test_one_training_step_reaches_both_encoders():
    net, sizes = _smoke_net().train(), slfm.SLFM_EXPERIMENT_SIZES['smoke']
    train = slfm.load_split('train', 'smoke')
    batch = slfm.training_batch(sa.BASELINE_METHOD, train, np.arange(4), sizes, np.random.default_rng(0))
    loss = slfm.pretext_loss(sa.BASELINE_METHOD, net, batch, sizes, slfm.angle_ranges(train))
    loss.backward()
    assert torch.isfinite(loss)
    for enc in (net.audio_encoder, net.visual_encoder): assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in enc.parameters())


def test_table10_smoke_is_cached_and_deterministic(fresh_cache):
    t = sa.table10('smoke', device='cpu')
    assert list(t.index) == list(sa.TABLE10_ROWS.values())
    for m in sa.TABLE10_METRICS: assert np.isfinite(t[m]).all()
    assert sa.table10('smoke', device='cpu').equals(t)
    verdicts = evaluate_claims(sa.table10_claims(), t)
    assert len(verdicts) == 3 and all(v.weak for v in verdicts)
