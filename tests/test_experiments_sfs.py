"Structure from Silence Table 1 experiment at smoke scale: shapes, caching (a second call trains nothing), claims."
import numpy as np
import pytest
import torch
import avbook.experiments.sfs as sfs
from avbook.core import DataError
from avbook.reproduce import evaluate_claims


def _no_training(*args, **kwargs): raise AssertionError("fit_task_model was called: the model should have come from the cache")


def test_train_model_is_cached(fresh_cache, monkeypatch):
    first = sfs.train_model('relative_order', 'audio', 'static', 'smoke', seed=0, device='cpu')
    assert set(first) >= {'state', 'best_epoch', 'best_valid', 'log_csv'}
    assert all(v.device.type == 'cpu' for v in first['state'].values())
    monkeypatch.setattr(sfs, 'fit_task_model', _no_training)
    again = sfs.train_model('relative_order', 'audio', 'static', 'smoke', seed=0, device='cpu')
    assert all(torch.equal(first['state'][k], again['state'][k]) for k in first['state'])


def test_table1_smoke_shape_and_cache(fresh_cache, monkeypatch):
    ours = sfs.table1('smoke', seed=0, device='cpu')
    assert list(ours.index) == list(sfs.table1_row_map())
    assert ours.shape == (8, 14)
    values = ours[list(sfs.TABLE1_COLUMNS)].to_numpy()
    assert np.isfinite(values).all() and (values >= 0).all() and (values <= 100).all()
    for c in sfs.TABLE1_COLUMNS: assert (ours[f'{c}_lo'] <= ours[c] + 1e-9).all() and (ours[c] <= ours[f'{c}_hi'] + 1e-9).all()
    monkeypatch.setattr(sfs, 'fit_task_model', _no_training)
    again = sfs.table1('smoke', seed=0, device='cpu')   # every model and the pretrained encoder come from the cache
    np.testing.assert_allclose(again.to_numpy(), ours.to_numpy())
    verdicts = evaluate_claims(sfs.table1_claims(), ours)
    assert len(verdicts) == 16 and not any(v.detail.startswith('could not') for v in verdicts)


def test_test_items_do_not_depend_on_the_training_seed(fresh_cache):
    a = sfs.task_views('relative_order', 'audio', 'motion', 'smoke', seed=0)['test']
    b = sfs.task_views('relative_order', 'audio', 'motion', 'smoke', seed=3)['test']
    np.testing.assert_array_equal(a.examples, b.examples)


def test_a_wrong_data_root_is_refused_clearly(tmp_path):
    with pytest.raises(DataError, match='is not a folder'): sfs.check_data_root('/nonexistent/quiet-campus')
    (tmp_path/'SFS-Static').mkdir()
    with pytest.raises(DataError, match='missing split list'): sfs.check_data_root(tmp_path)
    from avbook.data.quiet_campus import make_quiet_campus_static
    make_quiet_campus_static(tmp_path/'SFS-Static')
    with pytest.raises(DataError, match='no SFS-Motion/ folder'): sfs.check_data_root(tmp_path)
