"SLfM trained end to end (Table 9) at smoke scale: what moves when fine-tuning, label-free validation, caching, claims."
import copy
import numpy as np
import pandas as pd
import pytest
import torch
import avbook.experiments.slfm_finetune as ft
from avbook.core import DataError
from avbook.experiments.slfm import SLFM_EXPERIMENT_SIZES, load_split
from avbook.reproduce import evaluate_claims, require_simulator

OPTIONS = dict(lambda_geo=5.0, lambda_bin=1.0, lambda_sym=1.0, reflection_invariant=True)
STFT = SLFM_EXPERIMENT_SIZES['smoke']['stft']


@pytest.fixture(scope='module')
def splits(fresh_cache):
    return load_split('train', 'smoke'), load_split('val', 'smoke')


def _encoder_weights(model):
    return {k: v.detach().clone() for n in ('audio_encoder', 'visual_encoder') for k, v in getattr(model, n).named_parameters()}


@pytest.mark.parametrize('freeze', [False, True])
def test_only_fine_tuning_moves_the_encoders(splits, freeze):
    train, valid = splits
    model = ft.slfm_model('ours', 'smoke', device='cpu', freeze_encoders=freeze, train=train)
    before, heads_before = _encoder_weights(model), copy.deepcopy(model.rotation_head.state_dict())
    ft.train_end_to_end(model, train, valid, SLFM_EXPERIMENT_SIZES['smoke'], ft.FINETUNE_SIZES['smoke'], 0, OPTIONS, max_steps=2)
    after = _encoder_weights(model)
    moved = any(not torch.equal(after[k], before[k]) for k in before)
    assert moved != freeze
    assert any(not torch.equal(v, heads_before[k]) for k, v in model.rotation_head.state_dict().items())   # the heads learn either way


def test_validation_reads_no_labels(splits):
    train, valid = splits
    model = ft.slfm_model('random', 'smoke', device='cpu', train=train)
    blind = copy.copy(valid)
    blind.yaw_deg, blind.sound_deg = np.full_like(valid.yaw_deg, np.nan), np.full_like(valid.sound_deg, np.nan)
    assert ft.validation_losses(model, blind, STFT, OPTIONS) == ft.validation_losses(model, valid, STFT, OPTIONS)
    batch = ft.pair_batch(valid, [0, 1], [0, 4], STFT)
    assert not any('deg' in k or 'rad' in k for k in batch)


def test_fit_end_to_end_is_cached_and_scored_like_the_heads(fresh_cache, monkeypatch):
    first = ft.fit_slfm_end_to_end('random', 'smoke', device='cpu')
    monkeypatch.setattr(ft, 'train_end_to_end', lambda *a, **k: (_ for _ in ()).throw(AssertionError("trained again: should come from the cache")))
    second = ft.fit_slfm_end_to_end('random', 'smoke', device='cpu')
    assert np.array_equal(first['camera'], second['camera']) and first['sign'] in (1, -1)
    test = load_split('test', 'smoke')
    assert len(first['camera']) == len(test.yaw_deg) * 3 and len(first['audio']) == int((np.abs(test.sound_deg) <= 90).sum())


def test_claims_fail_on_a_crafted_frame():
    rows = list(ft.TABLE9_ROWS.values())
    good = pd.DataFrame({'audio_mae_deg': [40.0, 38.0, 6.0, 4.0, 3.5], 'camera_mae_deg': [30.0, 29.0, 2.0, 1.0, 1.0]}, index=rows)
    for c in ('audio_mae_deg', 'camera_mae_deg'): good[f"{c}_lo"], good[f"{c}_hi"] = good[c] - 0.4, good[c] + 0.4
    assert all(v.held for v in evaluate_claims(ft.table9_claims(), good))
    bad = good.copy()
    bad.loc['Random (finetune)', ['audio_mae_deg', 'camera_mae_deg']] = [35.0, 28.0]; bad.loc['Random (freeze)', ['audio_mae_deg', 'camera_mae_deg']] = [10.0, 5.0]
    bad.loc['M2B (finetune)', ['camera_mae_deg_lo', 'camera_mae_deg_hi']] = [0.5, 40.0]
    failed = {v.name for v in evaluate_claims(ft.table9_claims(), bad) if not v.held}
    assert "fine-tuning from random features learns (camera, < 0.5 x chance)" in failed
    assert "random frozen features stay near chance (audio, >= 0.8 x chance)" in failed
    assert "M2B frozen camera MAE is at most random fine-tuned's" not in failed
    assert "fine-tuned from M2B beats fine-tuned from random (camera, 95 % intervals separated)" in failed
    assert "fine-tuned from M2B beats fine-tuned from random (audio, 95 % intervals separated)" not in failed


def test_real_data_is_refused(tmp_path):
    with pytest.raises(DataError, match='data_root'): require_simulator(str(tmp_path), 'slfm', 'table9', 'simulator only')
