"SLfM pretext-task scoring (Table 7) at smoke scale: the unconditioned U-Net, the distances, the table and its claims."
import copy
import numpy as np
import pandas as pd
import pytest
import torch
import avbook.experiments.slfm_pretext as pt
from avbook.audio import complex_to_real_imag
from avbook.core import DataError, ParameterError
from avbook.experiments.slfm import SLFM_EXPERIMENT_SIZES, load_split, train_pretext, validation_loss
from avbook.losses.slfm import spectrogram_loss
from avbook.models.slfm import binaural_from_prediction
from avbook.reproduce import evaluate_claims, require_simulator

SIZES = SLFM_EXPERIMENT_SIZES['smoke']


@pytest.fixture(scope='module')
def test_split(fresh_cache):
    return load_split('test', 'smoke')


def test_no_condition_network_ignores_everything_but_the_mix(test_split):
    net = pt.table7_network('no_condition', 'smoke', device='cpu')
    assert net.conditioning == 'none' and not net.training
    a = pt.pretext_predictions(net, test_split, [0, 1], SIZES['stft'])
    other = copy.copy(test_split); other.rgb = test_split.rgb.flip(1); other.yaw_deg = test_split.yaw_deg[:, ::-1].copy()
    b = pt.pretext_predictions(net, other, [0, 1], SIZES['stft'])
    torch.testing.assert_close(a['prediction'], b['prediction'])


def test_no_condition_is_trained_on_the_batches_of_ours(fresh_cache):
    fit, ours = pt.train_no_condition('smoke'), train_pretext('ours', 'smoke')
    assert fit['best_epoch'] >= 0 and len(fit['log']) == SIZES['pretext_epochs']
    assert fit['log'][0]['train_loss'] != ours['log'][0]['train_loss']      # a different network on the same batches
    assert pt.train_no_condition('smoke')['log'] == fit['log']               # cached


def test_distances_match_the_training_objective(test_split):
    net = pt.table7_network('ours', 'smoke', device='cpu')
    p = pt.pretext_predictions(net, test_split, np.arange(len(test_split.yaw_deg)), SIZES['stft'], targets=(1, 2))
    d = pt.spectrogram_distances(p['prediction'], p['target'])
    loss = spectrogram_loss(complex_to_real_imag(p['prediction']), complex_to_real_imag(p['target']))
    np.testing.assert_allclose(d['stft_distance'].mean(), float(loss), rtol=1e-5)
    np.testing.assert_allclose(d['stft_distance'].mean(), validation_loss('ours', net, test_split, SIZES, None, 'cpu'), rtol=1e-5)
    ears = binaural_from_prediction(p['input'], p['prediction']) - binaural_from_prediction(p['input'], p['target'])
    np.testing.assert_allclose((ears.abs() ** 2).mean((-2, -1)).sum(-1).mean(1).numpy(), d['stft_euclidean'], rtol=1e-5)


def test_perfect_and_zero_predictions():
    target = torch.randn(3, 2, 8, 8, dtype=torch.complex64)
    zero = pt.spectrogram_distances(target, target)
    assert (zero['stft_distance'] == 0).all() and (zero['stft_euclidean'] == 0).all()
    silent = pt.spectrogram_distances(torch.zeros_like(target), target)
    np.testing.assert_allclose(silent['stft_euclidean'], (target.abs() ** 2).flatten(1).mean(1).numpy() / 2, rtol=1e-5)


def test_table7_smoke(fresh_cache):
    t = pt.table7('smoke', device='cpu')
    assert list(t.index) == [pt.ZERO_DIFFERENCE] + [pt.TABLE7_ROWS[m] for m in pt.TABLE7_METHODS['smoke']]
    assert np.isfinite(t[['stft_distance', 'stft_euclidean']].to_numpy()).all()
    assert (t['stft_distance_lo'] <= t['stft_distance']).all() and (t['stft_distance'] <= t['stft_distance_hi']).all()
    assert t.loc[pt.TABLE7_ROWS['random'], 'best_epoch'] == -1 and t.index[0] == pt.ZERO_DIFFERENCE
    ours, none = t.loc[pt.TABLE7_ROWS['ours']], t.loc[pt.TABLE7_ROWS['no_condition']]
    np.testing.assert_allclose(ours['stft_distance_minus_no_condition'], ours['stft_distance'] - none['stft_distance'], rtol=1e-6)
    assert pt.table7('smoke', device='cpu').equals(t)                       # deterministic and cached
    with pytest.raises(ParameterError, match='method'): pt.table7('smoke', methods=('avsa',))


def test_claims_on_the_paper_numbers():
    paper = [0.368, 0.206, 0.207, 0.161, 0.130, 0.131, 0.125]
    t = pd.DataFrame({'stft_distance': paper}, index=list(pt.TABLE7_ROWS.values()))
    t['stft_distance_lo'], t['stft_distance_hi'] = t['stft_distance'] - 0.005, t['stft_distance'] + 0.005
    def paired(t):
        for w, l in pt.TABLE7_ORDERINGS:
            diff = t.loc[pt.TABLE7_ROWS[w], 'stft_distance'] - t.loc[pt.TABLE7_ROWS[l], 'stft_distance']
            for suffix, shift in (('', 0.0), ('_lo', -0.002), ('_hi', 0.002)): t.loc[pt.TABLE7_ROWS[w], f"stft_distance_minus_{l}{suffix}"] = diff + shift
        return t
    t = paired(t)
    verdicts = evaluate_claims(pt.table7_claims(), t)
    assert all(v.held for v in verdicts), [(v.name, v.detail) for v in verdicts if not v.held]
    assert [v.weak for v in verdicts].count(True) == 1
    t.loc[pt.TABLE7_ROWS['no_audio'], 'stft_distance'] = 0.15                 # vision alone helping would break two claims
    held = {v.name: v.held for v in evaluate_claims(pt.table7_claims(), paired(t))}
    assert not held["vision-only conditioning is no better than none (within 5 %)"]
    assert not held["Audio only (Ours–NoV) has a lower STFT distance than Vision only (Ours–NoA) (paired 95 % interval below 0)"]


def test_data_root_is_refused():
    with pytest.raises(DataError, match='simulator only'):
        require_simulator('/tmp', 'slfm', 'table7', 'the pretext networks are scored on the simulator')
