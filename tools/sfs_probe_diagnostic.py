"""Why does a Table 4 probe on audio and image features together not beat audio alone? Measure where the probes generalise.

Usage (full-scale simulated motion videos; features come from the cache Table 4 fills):
    python tools/sfs_probe_diagnostic.py                                   # AV-Order, relative order: AP per penalty, per split
    python tools/sfs_probe_diagnostic.py --videos 10 20 40 60              # learning curve over training videos
    python tools/sfs_probe_diagnostic.py --buildings 2 4 7                 # ... over training buildings
    python tools/sfs_probe_diagnostic.py --pretext-epochs 10 --pretext-examples-per-video 60   # a larger pretext budget

For each input group (Audio, Visual, Both) the probe of `avbook.experiments.sfs_probes` is fitted on the training
videos at every L2 penalty and scored on the training, validation and test splits (AP, %): a probe that fits the
training buildings but not the held-out ones shows a large train-validation gap. `--videos` refits it on the first
n training videos (in a seeded random order) with the penalty picked on validation, as Table 4 picks it: if the gap
came from too few training videos, the held-out AP would rise with n. `--buildings` does the same with whole
buildings (every video of the first n training buildings), which tells too few videos from too few buildings. `--pretext-epochs` and
`--pretext-examples-per-video` retrain the pretext model with another budget (stored in the cache under its own
key), print its training log and test accuracy, and probe its features.
"""
import argparse
import numpy as np
import torch
import avbook.experiments.sfs_probes as probes
from avbook.core import ScaleTable
from avbook.experiments.sfs import metric_ci

GROUPS = ('Audio', 'Visual', 'Both')
PENALTIES = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0)


def probe_data(task, group, feature, scale, seed, by='video'):  # split -> (features, 0/1 targets, video or building of each example)
    out = {}
    for split in ('train', 'val', 'test'):
        rows, y = probes.probe_examples(task, split, scale, seed)
        tables = [probes.frame_features(m, feature, split, scale, seed, 'cpu') for m in probes.MODALITY_SETS[group]]
        video = rows[:, 0, 0]
        if by == 'building':
            ds = probes.motion_split(split, scale)
            video = np.array([ds.arrays['buildings'][ds.room_index[v]] for v in video])
        out[split] = (probes.gather_features(tables, rows), y.astype(int), video)
    return out


def ap(fit, x, y) -> float:  # test AP (%) of a fitted probe
    s = fit(x)
    return metric_ci(s[:, 1] - s[:, 0], y, 'ap', 1)['estimate']


def penalty_table(data, task):  # penalty -> AP per split
    balanced = task == 'obstacle'
    rows = []
    for wd in PENALTIES:
        fit = probes.fit_linear_probe(data['train'][0], data['train'][1], 2, wd, balanced=balanced)
        rows.append((wd, *(ap(fit, *data[s][:2]) for s in ('train', 'val', 'test'))))
    return rows


def learning_curve(data, task, n_groups, seed):  # n -> (val AP, test AP, penalty), the probe fitted on n training groups (videos or buildings)
    groups = np.random.default_rng(seed).permutation(np.unique(data['train'][2]))
    out = {}
    for n in n_groups:
        if n > len(groups): raise SystemExit(f"asked for {n} training groups; the training split has {len(groups)}")
        keep = np.isin(data['train'][2], groups[:n])
        fits = {wd: probes.fit_linear_probe(data['train'][0][keep], data['train'][1][keep], 2, wd, balanced=task == 'obstacle')
                for wd in probes.probe_sizes('full')['probe_weight_decays']}
        best = max(fits, key=lambda wd: ap(fits[wd], *data['val'][:2]))
        out[n] = (ap(fits[best], *data['val'][:2]), ap(fits[best], *data['test'][:2]), best)
    return out


def set_pretext_budget(scale, epochs, examples_per_video):  # replace the pretext sizes of `scale` for this process
    rows = {s: probes.PROBE_SIZES[s] for s in ('smoke', 'full', 'paper')}
    if epochs: rows[scale]['pretext_epochs'] = epochs
    if examples_per_video: rows[scale]['pretext_examples_per_video'] = examples_per_video
    probes.PROBE_SIZES = ScaleTable(**rows)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--task', default='relative_order', choices=('obstacle', 'relative_order'))
    p.add_argument('--feature', default='av_order', choices=('scratch', 'av_sync', 'av_order'))
    p.add_argument('--scale', default='full')
    p.add_argument('--seed', type=int, default=0, help='training seed of the pretext model and the probes')
    curve = p.add_mutually_exclusive_group()
    curve.add_argument('--videos', type=int, nargs='*', help='learning curve: numbers of training videos')
    curve.add_argument('--buildings', type=int, nargs='*', help='learning curve: numbers of training buildings')
    p.add_argument('--pretext-epochs', type=int, help='retrain the pretext model for this many epochs')
    p.add_argument('--pretext-examples-per-video', type=int, help='... drawing this many training examples per video each epoch')
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    if a.pretext_epochs or a.pretext_examples_per_video:
        if a.feature == 'scratch': p.error('--pretext-* needs --feature av_sync or av_order')
        set_pretext_budget(a.scale, a.pretext_epochs, a.pretext_examples_per_video)
        sizes = probes.probe_sizes(a.scale)
        print(f"pretext {a.feature}: {sizes['pretext_epochs']} epochs x {sizes['pretext_examples_per_video']} examples per video")
        out = probes.pretrain_av_model(a.feature, a.scale, a.seed, 'cpu')
        for row in out['log']: print(f"  epoch {row['epoch']}: train loss {row['train_loss']:.3f}, validation accuracy {100 * row['valid_acc']:.1f} %")
        print(f"  kept epoch {out['best_epoch']}; test accuracy {out['test_acc']:.1f} % [{out['test_acc_lo']:.1f}, {out['test_acc_hi']:.1f}], "
              f"AP {out['test_ap']:.1f} %")
    for group in GROUPS:
        data = probe_data(a.task, group, a.feature, a.scale, a.seed, 'building' if a.buildings else 'video')
        print(f"{group} / {a.feature}, {a.task}: {data['train'][0].shape[1]} features, "
              f"{len(data['train'][1])} / {len(data['val'][1])} / {len(data['test'][1])} train / val / test examples")
        if a.videos or a.buildings:
            unit = 'buildings' if a.buildings else 'videos'
            for n, (val, test, wd) in learning_curve(data, a.task, a.buildings or a.videos, a.seed).items():
                print(f"  {n:3d} training {unit}: AP validation {val:.1f}, test {test:.1f} (penalty {wd:g})")
        else:
            for wd, tr, val, test in penalty_table(data, a.task):
                print(f"  penalty {wd:g}: AP train {tr:.1f}, validation {val:.1f}, test {test:.1f}")


if __name__ == '__main__':
    main()
