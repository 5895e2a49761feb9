"""Can the AV-Sync pretext be learned on the simulated motion videos? Train it with a larger budget, either fusion.

Usage (full-scale simulated videos; each run takes minutes):
    python tools/sfs_sync_diagnostic.py --examples-per-video 20 --epochs 5     # the `full` recipe
    python tools/sfs_sync_diagnostic.py --examples-per-video 200 --epochs 10 --fusion concat
    python tools/sfs_sync_diagnostic.py --oracle      # is the pretext learnable from the clip's band levels and the true distance?

Prints the distance gap (m) between the frame and the audio of the negative examples, then every epoch's training
loss and validation accuracy, and the test AP and accuracy of the epoch with the best validation accuracy.
`--fusion agreement` is the model of `avbook.experiments.sfs_probes` (a cosine between projected embeddings);
`concat` is the paper's (the two embeddings concatenated, then an MLP).
`--oracle` replaces the networks by gradient-boosted trees on the audio window's 64 mean log-mel levels plus the
frame's true wall distance (an upper bound on what the image side can give), and a regression of the distance from
the levels alone; both are fitted on the training buildings and scored on the test buildings, overall and by range.
"""
import argparse, time
import numpy as np
import torch
import torch.nn.functional as F
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from avbook.core import item_seed
from avbook.evaluation import average_precision, binary_accuracy
from avbook.models.sfs import AVSyncNet
from avbook.experiments.sfs_probes import (AVSyncExamples, motion_split, pretext_network, probe_sizes, fit_epochs, pretext_scores,
                                           sync_examples)


def negative_gaps_m(ds, examples):  # |distance at the frame - distance at the audio's frame| of every negative, m
    neg = examples[examples[:, 3] == 0]
    return np.abs(ds.distance_m[neg[:, 0], neg[:, 1]].numpy() - ds.distance_m[neg[:, 0], neg[:, 2]].numpy())


def oracle_inputs(ds, examples, train:bool, seed=0):  # (n, 65): the audio window's 64 mean log-mel levels + true distance at the frame
    rng, rows = np.random.default_rng(seed), []
    for v, f, g, _ in examples.tolist():
        gain_ln = float(np.log(0.5 + rng.random())) if train else 0.0   # the pretext's training gain augmentation
        levels = ds.audio(v, ds.center_frame(g), gain_ln)[0].mean(0).numpy()
        rows.append(np.concatenate([levels, [float(ds.distance_m[v, f])]]))
    return np.array(rows)


def oracle(splits, examples_per_video, seed):
    train, test = sync_examples(splits['train'], examples_per_video, seed), sync_examples(splits['test'], probe_sizes('full')['eval_pairs_per_video'], 0)
    x, xt = oracle_inputs(splits['train'], train, True), oracle_inputs(splits['test'], test, False)
    y, yt = train[:, 3], test[:, 3]
    p = HistGradientBoostingClassifier(max_iter=300, random_state=0).fit(x, y).predict_proba(xt)[:, 1]
    far = (splits['test'].distance_m[test[:, 0], test[:, 1]] >= 0.5) & (splits['test'].distance_m[test[:, 0], test[:, 2]] >= 0.5)
    print(f"oracle sync (audio levels + true distance): test AP {100 * average_precision(p, yt):.1f} %, accuracy "
          f"{100 * binary_accuracy(p, yt):.1f} %; {100 * far.float().mean():.0f} % of test examples pair two frames beyond 0.5 m")
    a, at = x[y == 1], xt[yt == 1]                       # aligned: the levels belong to the frame's distance
    near, near_t = a[:, 64] < 0.5, at[:, 64] < 0.5
    p = HistGradientBoostingClassifier(max_iter=300, random_state=0).fit(a[:, :64], near).predict_proba(at[:, :64])[:, 1]
    print(f"wall within 0.5 m from audio levels: test AP {100 * average_precision(p, near_t):.1f} % (chance {100 * near_t.mean():.1f} %)")
    d_hat = HistGradientBoostingRegressor(max_iter=300, random_state=0).fit(a[:, :64], a[:, 64]).predict(at[:, :64])
    print(f"distance from audio levels: Pearson r {np.corrcoef(d_hat, at[:, 64])[0, 1]:.2f}, MAE {np.abs(d_hat - at[:, 64]).mean():.2f} m "
          f"(the training mean: {np.abs(a[:, 64].mean() - at[:, 64]).mean():.2f} m)")
    db = 10 / np.log(10)                                  # log-mel levels are natural logs of power
    for lo, hi in ((0.0, 0.5), (0.5, 1.0), (1.0, 2.0), (2.0, 4.0)):
        m = (at[:, 64] >= lo) & (at[:, 64] < hi)
        print(f"test frames at {lo}-{hi} m ({m.sum()}): mean level of mel bands 0-3 {db * at[m, :4].mean():.1f} dB, "
              f"bands 32-63 {db * at[m, 32:64].mean():.1f} dB")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--examples-per-video', type=int, default=20); p.add_argument('--epochs', type=int, default=5)
    p.add_argument('--fusion', choices=('agreement', 'concat'), default='agreement')
    p.add_argument('--lr', type=float, default=None, help="default: the full scale's pretext learning rate")
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--oracle', action='store_true', help='fit the tree oracle instead of training the networks')
    args = p.parse_args()
    torch.set_num_threads(1)
    sizes, seed = probe_sizes('full'), args.seed
    splits = {s: motion_split(s, 'full') for s in ('train', 'val', 'test')}
    gaps = negative_gaps_m(splits['train'], sync_examples(splits['train'], args.examples_per_video, seed))
    print(f"negative gaps (train): median {np.median(gaps):.2f} m, 10th percentile {np.percentile(gaps, 10):.2f} m, {len(gaps)} negatives", flush=True)
    if args.oracle: return oracle(splits, args.examples_per_video, seed)
    model = pretext_network('av_sync', 'full', seed, 'cpu')
    if args.fusion == 'concat': model = AVSyncNet(model.audio_encoder, model.image_encoder)
    train = lambda epoch: AVSyncExamples(splits['train'], True, args.examples_per_video, item_seed(seed, 'sfs-pretext-epoch', epoch) % 2**31)
    valid, test = (AVSyncExamples(splits[s], False, sizes['pretext_valid_per_video' if s == 'val' else 'eval_pairs_per_video'], 0) for s in ('val', 'test'))
    accuracy = lambda logits, targets: binary_accuracy(logits, targets, threshold=0.0)   # on logits
    t0 = time.time()
    out = fit_epochs(model, train, valid, F.binary_cross_entropy_with_logits, accuracy, args.epochs, sizes['pretext_batch_size'],
                     args.lr or sizes['pretext_lr'], sizes['wd'], seed, 'cpu', progress=True)
    model.load_state_dict(out['state'])
    scores, labels = pretext_scores('av_sync', model, test, torch.device('cpu'))
    print(f"best epoch {out['best_epoch']}: test AP {100 * average_precision(scores, labels):.1f} %, "
          f"accuracy {100 * binary_accuracy(scores, labels):.1f} % ({len(labels)} examples), {time.time() - t0:.0f} s")


if __name__ == '__main__': main()
