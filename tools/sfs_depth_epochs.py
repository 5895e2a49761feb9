"""How many epochs do the Table 2/3 depth models need? Validation losses of each output against the training length.

Usage (full-scale simulated recordings, seed 0; validation split only, the test split is never read):
    python tools/sfs_depth_epochs.py --modality audio --epochs 6 20 40
    python tools/sfs_depth_epochs.py --modality image --settings single --epochs 6 12

For every setting and training length it trains the row's network from scratch with `train_depth_model` and `full`'s
sizes (only the number of epochs changed; the one-cycle schedule stretches with it) and prints the lowest validation
L1 of the regression column and the lowest validation cross-entropy of the bins, with the epochs where they occur, as
`train_depth_model` selects them. The trained models go to a throwaway cache (with the image encoder's pretraining,
when a row needs it); the simulated datasets come from the usual one.
"""
import argparse, tempfile, time
import torch
from avbook.core import Cache
from avbook.experiments.sfs_depth import DEPTH_SETTINGS, train_depth_model


def validation_curve(setting, modality, epochs, seed=0, data_seed=0):  # output -> (best epoch, best validation loss)
    with tempfile.TemporaryDirectory() as cache_dir:   # a throwaway cache: nothing is kept
        out = train_depth_model(setting, modality, 'full', seed, 'cpu', data_seed, Cache(cache_dir), epochs)
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
