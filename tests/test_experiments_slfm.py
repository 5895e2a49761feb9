"Sound Localization from Motion experiments at smoke scale: batches, caching (a second call trains nothing), evaluation rules, claims."
import numpy as np
import pytest
import torch
import avbook.experiments.slfm as slfm
from avbook.core import DataError
from avbook.reproduce import evaluate_claims


def _no_training(*args, **kwargs): raise AssertionError("fit_pretext was called: the network should have come from the cache")


def test_pretext_batch_uses_view_0_as_source(fresh_cache):
    ds = slfm.load_split('train', 'smoke')
    batch = slfm.pretext_batch(ds, np.arange(4), 3, slfm.SLFM_EXPERIMENT_SIZES['smoke']['stft'], np.random.default_rng(0))
    assert (batch['views'][:, 0] == 0).all() and (batch['views'][:, 1:] > 0).all()
    assert all(len(set(v)) == 3 for v in batch['views'].tolist())
    assert batch['spec'].is_complex() and batch['spec'].shape[:3] == (4, 3, 2)


def test_train_pretext_is_cached(fresh_cache, monkeypatch):
    first = slfm.train_pretext('ours', 'smoke', seed=0, device='cpu')
    monkeypatch.setattr(slfm, 'fit_pretext', _no_training)
    again = slfm.train_pretext('ours', 'smoke', seed=0, device='cpu')
    assert all(torch.equal(first['state'][k], again['state'][k]) for k in first['state'])


def test_chance_and_folding():
    test = dict(sound_deg=torch.tensor([[30.0, 150.0, -100.0, -20.0]]), rotation_deg=torch.tensor([[10.0, -20.0, 30.0, -10.0, 20.0, -30.0]]))
    chance = slfm.slfm_errors(None, test)
    np.testing.assert_allclose(chance['audio'], [30.0, 20.0])           # |θ| > 90° is not scored
    np.testing.assert_allclose(chance['camera'], [10.0, 20.0, 30.0])    # pairs (0, j) only
    mirrored = dict(sound_deg=np.array([[150.0, 0.0, 0.0, -160.0]]), rotation_deg=-test['rotation_deg'].numpy())
    errors = slfm.slfm_errors(mirrored, test, sign_pred=np.array([-5.0, 5.0, -5.0]), sign_true=np.array([5.0, -5.0, 5.0]))
    np.testing.assert_allclose(errors['audio'], [0.0, 0.0], atol=1e-9)  # front/back folding
    np.testing.assert_allclose(errors['camera'], 0.0, atol=1e-9)        # global sign fixed on the validation pairs
    assert errors['sign'] == -1


def test_table2_smoke_and_claims(fresh_cache):
    ours = slfm.table2('smoke', seed=0, device='cpu')
    assert list(ours.index) == list(slfm.TABLE2_ROWS.values())
    assert np.isfinite(ours['audio_mae_deg']).all()
    verdicts = evaluate_claims(slfm.table2_claims(), ours)
    assert not any(v.detail.startswith('could not') for v in verdicts)


def test_real_data_is_refused_clearly():
    from avbook.reproduce import require_simulator
    with pytest.raises(DataError, match=r"slfm table6 runs on the simulator only: its models are trained and scored on the simulated rooms.*slfm table2 \(read by avbook.experiments.slfm_real\)"):
        require_simulator('/nonexistent/hm3d-ss', 'slfm', 'table6', slfm.SLFM_SIMULATOR_ONLY)


def test_eval_variant_featurizes_another_split_with_the_same_network(fresh_cache):
    moved = slfm.method_features('ours', 'test', 'smoke', device='cpu', variant='translation', eval_variant='rotation')
    rotation_only = slfm.load_split('test', 'smoke')
    np.testing.assert_allclose(moved['sound_deg'].numpy(), rotation_only.sound_deg, atol=1e-4)   # the rotation-only split's labels
    own = slfm.method_features('ours', 'test', 'smoke', device='cpu', variant='translation')
    assert not torch.equal(moved['audio'], own['audio'])                                         # other recordings, same network
    same = slfm.method_features('ours', 'test', 'smoke', device='cpu', variant='translation', eval_variant='translation')
    assert torch.equal(same['audio'], own['audio'])
    scored = slfm.slfm_result('ours', 'ours', 'smoke', device='cpu', variant='translation', test_variant='rotation')
    assert len(scored['audio']) == len(slfm.chance_result('smoke')['audio'])
