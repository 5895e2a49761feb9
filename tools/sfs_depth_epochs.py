"""How many epochs do the Table 2/3 depth models need? Validation losses of each output against the training length.

Usage (full-scale simulated recordings, seed 0; validation split only, the test split is never read):
    python tools/sfs_depth_epochs.py --modality audio --epochs 6 20 40
    python tools/sfs_depth_epochs.py --modality image --settings single --epochs 6 12

For every setting and training length it trains the row's network from scratch with `full`'s sizes (only the number
of epochs changed; the one-cycle schedule stretches with it) and prints the lowest validation L1 of the regression
column and the lowest validation cross-entropy of the bins, with the epochs where they occur, as `train_depth_model`
selects them. Nothing is cached.
"""
import argparse, tempfile, time
from pathlib import Path
import torch
from avbook.data.sfs import sfs_config
from avbook.experiments.sfs import fit_task_model, pretrain_image_encoder
from avbook.experiments.sfs_depth import DEPTH_SETTINGS, depth_sizes, depth_views, depth_bin_centers, depth_loss, depth_model


def validation_curve(setting, modality, epochs, seed=0, data_seed=0):  # output -> (best epoch, best validation loss)
    sizes = depth_sizes('full', setting, modality) | dict(epochs=epochs)
    views, centers = depth_views(setting, modality, 'full', seed, data_seed), depth_bin_centers(setting, 'full', data_seed)
    loss = depth_loss(setting, centers, sfs_config('full').depth_max_m)
    encoder_state = pretrain_image_encoder('full', seed, 'cpu') if modality == 'image_pretrained' else None
    with tempfile.TemporaryDirectory() as run_dir:
        out = fit_task_model(depth_model(setting, modality, sizes, seed, encoder_state), views, loss, sizes, seed, 'cpu',
                             Path(run_dir), epochs, 'valid_loss', (loss.regression_loss, loss.bin_loss))
    return {k: (v['epoch'], round(float(v['value']), 4)) for k, v in out['kept'].items()}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--modality', default='audio', choices=('audio', 'image', 'image_pretrained'))
    p.add_argument('--settings', nargs='+', default=list(DEPTH_SETTINGS), choices=DEPTH_SETTINGS)
    p.add_argument('--epochs', type=int, nargs='+', default=[6, 20, 40])
    p.add_argument('--seed', type=int, default=0)
    args = p.parse_args()
    torch.set_num_threads(1)
    for setting in args.settings:
        for epochs in args.epochs:
            t0 = time.time()
            print(setting, args.modality, f"{epochs} epochs:", validation_curve(setting, args.modality, epochs, args.seed), f"{time.time() - t0:.0f} s", flush=True)


if __name__ == '__main__': main()
