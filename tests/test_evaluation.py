"Cross-checks of avbook.evaluation against reference implementations and brute-force definitions."
import math
import numpy as np
import pytest
import torch
import librosa, scipy.signal, scipy.stats, sklearn.metrics
import torchmetrics.functional as tmf
from avbook.core import ParameterError
from avbook import evaluation as ev


@pytest.fixture
def rng(): return np.random.default_rng(2024)


# ---- classification / retrieval -------------------------------------------------------------------------------------------

def brute_force_ap(scores, labels):
    "Mean over positives of the precision at that positive's score (threshold >=): the step-wise AP, ties included."
    pos = np.flatnonzero(labels == 1)
    return np.mean([labels[scores >= scores[i]].sum() / (scores >= scores[i]).sum() for i in pos])

def brute_force_voc07(scores, labels):
    "VOC devkit loop: rank, precision/recall per sample, 11 recall levels."
    order = np.argsort(-scores, kind='stable')
    tp = fp = 0; precision, recall = [], []
    for i in order:
        tp += labels[i]; fp += 1 - labels[i]
        precision.append(tp / (tp + fp)); recall.append(tp / labels.sum())
    precision, recall = np.array(precision), np.array(recall)
    return sum(max([p for p, r in zip(precision, recall) if r >= t / 10], default=0) for t in range(11)) / 11

@pytest.mark.parametrize('n_levels', [4, 50, None])
def test_average_precision_matches_brute_force_and_sklearn(rng, n_levels):
    for _ in range(20):
        n = int(rng.integers(2, 60))
        scores = rng.integers(0, n_levels, n) / n_levels if n_levels else rng.random(n)
        labels = rng.integers(0, 2, n); labels[0] = 1
        ap = ev.average_precision(scores, labels)
        assert abs(ap - brute_force_ap(scores, labels)) < 1e-12
        assert abs(ap - sklearn.metrics.average_precision_score(labels, scores)) < 1e-12
        assert abs(ap - float(tmf.average_precision(torch.tensor(scores), torch.tensor(labels), task='binary'))) < 1e-6

def test_voc07_matches_devkit_loop(rng):
    for _ in range(20):
        n = int(rng.integers(2, 80))
        scores, labels = rng.random(n), rng.integers(0, 2, n); labels[-1] = 1
        assert abs(ev.voc07_average_precision(scores, labels) - brute_force_voc07(scores, labels)) < 1e-12

def test_map_and_topk_match_references(rng):
    scores, labels = rng.random((80, 6)), rng.integers(0, 2, (80, 6))
    assert abs(ev.mean_average_precision(scores, labels) - sklearn.metrics.average_precision_score(labels, scores)) < 1e-12
    target = rng.integers(0, 6, 80)
    for k in (1, 2, 5):
        tm = float(tmf.accuracy(torch.tensor(scores), torch.tensor(target), task='multiclass', num_classes=6, top_k=k, average='micro'))
        assert abs(ev.top_k_accuracy(scores, target, k) - tm) < 1e-6
    assert ev.accuracy(scores.argmax(1), target) == ev.top_k_accuracy(scores, target, 1)


def test_auc_eer_match_sklearn(rng):
    import scipy.optimize
    for _ in range(10):
        scores = np.round(rng.normal(size=120), 1)                           # ties included
        labels = (scores + rng.normal(size=120) > 0).astype(int)
        assert abs(ev.roc_auc(scores, labels) - sklearn.metrics.roc_auc_score(labels, scores)) < 1e-12
        fpr, tpr, _ = sklearn.metrics.roc_curve(labels, scores)
        eer = scipy.optimize.brentq(lambda x: 1 - x - np.interp(x, fpr, tpr), 0, 1)
        assert abs(ev.equal_error_rate(scores, labels) - eer) < 1e-9


# ---- regression -----------------------------------------------------------------------------------------------------------

def test_regression_match_references(rng):
    pred, target = rng.standard_normal(200), rng.standard_normal(200)
    assert abs(ev.mean_absolute_error(pred, target) - sklearn.metrics.mean_absolute_error(target, pred)) < 1e-12
    assert abs(ev.median_absolute_error(pred, target) - sklearn.metrics.median_absolute_error(target, pred)) < 1e-12
    assert abs(ev.r2_score(pred, target) - sklearn.metrics.r2_score(target, pred)) < 1e-12
    assert abs(ev.r2_score(torch.tensor(pred), torch.tensor(target)) - float(tmf.r2_score(torch.tensor(pred), torch.tensor(target)))) < 1e-10

def test_average_bin_distance_two_conventions(rng):
    scores, target = rng.random((50, 9)), rng.integers(0, 9, 50)
    centers = np.linspace(-1, 1, 9)                     # uniform bins: paper value = code value x bin width
    assert abs(ev.average_bin_distance(scores, target, centers) - 0.25 * ev.average_bin_distance(scores, target)) < 1e-12


# ---- angles ---------------------------------------------------------------------------------------------------------------

def test_angles_torch_and_folding(rng):
    pred, target = rng.uniform(-400, 400, 500), rng.uniform(-180, 180, 500)
    slfm = np.degrees(np.arccos(np.clip(np.cos(np.radians(pred - target)), -1, 1)))
    assert np.abs(ev.angular_error_deg(torch.tensor(pred), torch.tensor(target)) - slfm).max() < 1e-5
    wrapped = ev.wrap_angle_deg(pred)
    assert wrapped.min() > -180 and wrapped.max() <= 180
    folded = ev.fold_front_deg(pred)
    assert np.all(np.abs(folded) <= 90)
    assert np.abs(np.sin(np.radians(folded)) - np.sin(np.radians(pred))).max() < 1e-9   # same side, same interaural cue
    assert np.array_equal(ev.fold_front_deg(folded), folded)
    assert abs(ev.median_angular_error_deg(pred, target) - np.median(slfm)) < 1e-5


# ---- separation -----------------------------------------------------------------------------------------------------------

def test_bss_eval_backends_agree(rng):
    worst = 0.
    for n_src, n in [(2, 3000), (3, 2000)]:
        ref = rng.standard_normal((n_src, n))
        est = ref + 0.3 * rng.standard_normal((n_src, n)) + 0.2 * ref[::-1]
        a = ev.bss_eval(ref, est)
        b = ev.bss_eval(ref, est, backend='fast_bss_eval')
        worst = max(worst, *(abs(x - y) for k in ('sdr', 'sir', 'sar') for x, y in zip(a[f'{k}_per_source'], b[f'{k}_per_source'])))
        perm = rng.permutation(n_src)
        c = ev.bss_eval(ref, est[perm], compute_permutation=True, backend='fast_bss_eval')
        assert abs(c['sdr'] - a['sdr']) < 1e-6 and np.array_equal(perm[c['permutation']], np.arange(n_src))
    assert worst < 1e-6, worst

def test_si_sdr_batched_equals_items(rng):
    ref, est = rng.standard_normal((2, 3, 2000)), rng.standard_normal((2, 3, 2000))
    batched = ev.si_sdr(ref, est, reduction='none')
    assert batched.shape == (2, 3)
    items = np.array([[ev.si_sdr(r, e) for r, e in zip(rr, ee)] for rr, ee in zip(ref, est)])
    assert np.abs(batched - items).max() < 1e-12
    tm = tmf.audio.scale_invariant_signal_distortion_ratio(torch.tensor(est), torch.tensor(ref), zero_mean=True).numpy()
    assert np.abs(batched - tm).max() < 1e-8


# ---- spatial audio --------------------------------------------------------------------------------------------------------

def reference_distances(pred, target):
    "evaluate.py's two definitions written out with librosa (reflect padding, as librosa < 0.10) and scipy."
    stft_total = env_total = 0.
    for ch in range(pred.shape[0]):
        P, T = [librosa.stft(x[ch], n_fft=512, hop_length=160, win_length=400, center=True, pad_mode='reflect') for x in (pred, target)]
        stft_total += np.mean((np.stack([P.real, P.imag]) - np.stack([T.real, T.imag]))**2)
        env_total += np.sqrt(np.mean((np.abs(scipy.signal.hilbert(target[ch])) - np.abs(scipy.signal.hilbert(pred[ch])))**2))
    return stft_total, env_total

def test_spatial_distances_match_transcription(rng):
    pred, target = 0.1 * rng.standard_normal((3, 2, 4000)), 0.1 * rng.standard_normal((3, 2, 4000))
    stft = ev.stft_distance(torch.tensor(pred), torch.tensor(target), reduction='none')
    env = ev.envelope_distance(pred, target, reduction='none')
    ref = np.array([reference_distances(p, t) for p, t in zip(pred, target)])
    assert np.abs(stft - ref[:, 0]).max() < 1e-12 and np.abs(env - ref[:, 1]).max() < 1e-12
    assert abs(ev.stft_distance(pred, target) - ref[:, 0].mean()) < 1e-12

def test_paper_definition_is_euclidean_norm(rng):
    pred, target = rng.standard_normal((2, 4000)), rng.standard_normal((2, 4000))
    expected = sum(np.linalg.norm(librosa.stft(pred[c], n_fft=512, hop_length=160, win_length=400, pad_mode='reflect')
                                  - librosa.stft(target[c], n_fft=512, hop_length=160, win_length=400, pad_mode='reflect')) for c in range(2))
    assert abs(ev.stft_distance(pred, target, definition='paper') - expected) < 1e-9
    env = sum(np.linalg.norm(np.abs(scipy.signal.hilbert(pred[c])) - np.abs(scipy.signal.hilbert(target[c]))) for c in range(2))
    assert abs(ev.envelope_distance(pred, target, definition='paper') - env) < 1e-9


# ---- depth, segmentation, motion ------------------------------------------------------------------------------------------

def monodepth_errors(gt, pred):
    "The usual compute_errors over already-masked pixels."
    thresh = np.maximum(gt / pred, pred / gt)
    return dict(abs_rel=np.mean(np.abs(gt - pred) / gt), sq_rel=np.mean((gt - pred)**2 / gt), rmse=np.sqrt(np.mean((gt - pred)**2)),
                rmse_log=np.sqrt(np.mean((np.log(gt) - np.log(pred))**2)), log10=np.mean(np.abs(np.log10(gt) - np.log10(pred))),
                mae=np.mean(np.abs(gt - pred)), delta_1=np.mean(thresh < 1.25), delta_2=np.mean(thresh < 1.25**2), delta_3=np.mean(thresh < 1.25**3))

def test_depth_matches_per_image_loop(rng):
    target = rng.uniform(0.2, 12, (3, 16, 16)); target[:, :2] = 0           # missing rows
    pred = target * rng.uniform(0.6, 1.6, target.shape) + rng.uniform(-0.5, 0.5, target.shape)
    got = ev.depth_metrics(torch.tensor(pred), torch.tensor(target), min_depth_m=0.1, max_depth_m=10.)
    rows = []
    for p, t in zip(pred, target):
        m = (t > 0.1) & (t < 10.)
        rows.append(monodepth_errors(t[m], np.clip(p, 0.1, 10.)[m]))
    for k in rows[0]: assert abs(got[k] - np.mean([r[k] for r in rows])) < 1e-12, k

def test_miou_with_ignore_matches_sklearn(rng):
    pred, target = rng.integers(0, 5, (4, 20, 20)), rng.integers(0, 5, (4, 20, 20))
    target[:, :3] = 255
    keep = target != 255
    got = ev.mean_iou(pred, target, 5, ignore_index=255)
    ref = sklearn.metrics.jaccard_score(target[keep], pred[keep], average=None)
    assert np.abs(np.array(got['iou']) - ref).max() < 1e-12 and abs(got['miou'] - ref.mean()) < 1e-12
    assert abs(ev.mean_iou(pred, target, 5, 255, classes=[1, 2, 3])['miou'] - ref[1:4].mean()) < 1e-12

def test_epe_matches_torch_norm(rng):
    pred, target = rng.standard_normal((2, 2, 8, 8)), rng.standard_normal((2, 2, 8, 8))
    assert abs(ev.end_point_error(pred, target) - float(torch.linalg.vector_norm(torch.tensor(pred - target), dim=1).mean())) < 1e-12


def test_surface_normals_and_spl(rng):
    pred, target = rng.normal(size=(2, 3, 6, 6)), rng.normal(size=(2, 3, 6, 6))
    cos = (pred * target).sum(1) / np.linalg.norm(pred, axis=1) / np.linalg.norm(target, axis=1)
    err = np.degrees(np.arccos(np.clip(cos, -1, 1)))
    got = ev.surface_normal_errors(torch.tensor(pred), torch.tensor(target))
    assert abs(got['mean_deg'] - err.mean()) < 1e-9 and abs(got['within_30'] - np.mean(err < 30)) < 1e-12
    success, shortest, taken = rng.integers(0, 2, 50), rng.uniform(1, 10, 50), rng.uniform(0, 20, 50)
    assert abs(ev.spl(success, shortest, taken) - np.mean([s * l / max(p, l) for s, l, p in zip(success, shortest, taken)])) < 1e-12


# ---- bootstrap ------------------------------------------------------------------------------------------------------------

def test_bootstrap_deterministic_and_matches_scipy(rng):
    values = rng.standard_normal(60)
    a, b = ev.bootstrap_ci(values, np.median, seed=3), ev.bootstrap_ci(values, np.median, seed=3)
    assert a == b and a != ev.bootstrap_ci(values, np.median, seed=4)
    sp = scipy.stats.bootstrap((values,), np.median, n_resamples=1000, method='percentile', rng=np.random.default_rng(3), vectorized=False)
    assert abs(a['low'] - sp.confidence_interval.low) < 1e-12 and abs(a['high'] - sp.confidence_interval.high) < 1e-12

def test_bootstrap_coverage_of_mean(rng):
    "A 95% interval of a normal mean should cover the true mean about 95% of the time."
    covered = 0
    for i in range(100):
        ci = ev.bootstrap_ci(rng.standard_normal(50), n_resamples=300, seed=i)
        covered += ci['low'] <= 0 <= ci['high']
    assert 85 <= covered <= 100, covered

def test_paired_bootstrap_is_deterministic(rng):
    scores, labels = rng.random(100), rng.integers(0, 2, 100)
    args = ((scores + 0.2 * labels, labels), (scores, labels), ev.average_precision)
    a, b = ev.paired_bootstrap_ci(*args, n_resamples=100, seed=5), ev.paired_bootstrap_ci(*args, n_resamples=100, seed=5)
    assert a == b and a['low'] > 0


# ---- bad input ------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('call, message', [
    (lambda: ev.mean_absolute_error(torch.tensor([1., float('nan')]), torch.tensor([1., 2.])), 'non-finite'),
    (lambda: ev.stft_distance(np.zeros((2, 1000)), np.zeros((2, 999))), 'must match'),
    (lambda: ev.si_sdr([], []), 'is empty'),
    (lambda: ev.pesq_score(np.ones(8000), np.ones(8000), 8000, mode='wb'), 'not supported by PESQ'),
    (lambda: ev.top_k_accuracy(np.ones((2, 3)), [0, 7], k=1), 'outside [0, 2]'),
])
def test_bad_input_raises_parameter_error(call, message):
    with pytest.raises(ParameterError) as info: call()
    assert message in str(info.value)

@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda_tensors_accepted():
    x = torch.rand(10, device='cuda'); y = (torch.rand(10, device='cuda') > 0.5).long(); y[0] = 1
    assert 0 <= ev.average_precision(x, y) <= 1
