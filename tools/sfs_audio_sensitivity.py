"""How much of the simulated audio's edge comes from a room noise that never drifts, or from the strength of the wall's reflection? Table 1's audio models retrained on altered recordings.

Usage (full-scale simulated static recordings; prints one line per setting, seed and task):
    python tools/sfs_audio_sensitivity.py --drift-db 0 1 2 4 --seeds 0 1
    python tools/sfs_audio_sensitivity.py --drift-db 0 --shape-db 1 2 4 --seeds 0 1 2
    python tools/sfs_audio_sensitivity.py --drift-db 0 --reflection-scale 0.7 0.5 0.3 --seeds 0 1 2

In the simulator a classroom's ambient noise has one spectrum and one level for every recording made in it, so two
clips of a room differ only by where the recorder stood. A real room's noise drifts between recordings made minutes
apart. This tool gives every recording (train, validation and test alike) a fixed broadband level offset drawn from a
normal distribution with standard deviation `--drift-db` (a property of the recording, the same for all its windows),
retrains Table 1's audio model of each static task with `full`'s recipe and seed, and scores it on the test split
exactly as Table 1 does. With `--shape-db` every recording gets instead (or as well) a smooth random spectral shape: an
offset per mel band made of the first three cosines across the 64 bands, with random weights, whose standard deviation
per band is the given value. With `--reflection-scale` the static recordings are simulated again with every wall's
pressure reflection multiplied by that factor (`SfsConfig.reflection_scale`; 1 is the recipe, 0 removes the near-wall
cue), as scattering walls would weaken the coherent reflection. Drift 0, shape 0 and scale 1 reproduce Table 1's audio
rows. Nothing here changes a table: it measures how
sensitive the audio rows are to a nuisance the simulator leaves out. The models go to a throwaway folder.
"""
import argparse, math, tempfile, time
from pathlib import Path
import numpy as np
import torch
from torch.utils.data import Dataset
from avbook.core import Cache, item_rng
from avbook.data.sfs import build_sfs_dataset, sfs_config
from avbook.models.sfs import task_loss, pos_weight_from_labels
from avbook.experiments.sfs import (EXPERIMENT_SIZES, task_views, views_from_datasets, init_task_model, fit_task_model, predict,
                                    ap_percent, accuracy_percent)


def spectral_shapes_db(n_clips:int, n_bands:int, shape_db:float, split:str, data_seed:int=0)->np.ndarray:  # (n_clips, n_bands) dB
    "One smooth random spectral offset per recording: three cosines across the bands, standard deviation `shape_db` per band."
    b = np.arange(n_bands) / (n_bands - 1)
    basis = np.stack([np.cos(np.pi * k * b) for k in (1, 2, 3)])                     # (3, bands)
    basis = basis / np.sqrt((basis ** 2).sum(0))                                     # unit variance in every band
    weights = np.stack([item_rng(data_seed, 'sfs-shape-drift', split, c).normal(0.0, 1.0, 3) for c in range(n_clips)])
    return weights @ basis * shape_db


class DriftedView(Dataset):
    "An audio `SfsView` whose every clip carries a fixed level offset and spectral shape (dB) added to its log-mel windows."
    def __init__(self, view, drift_db:float, data_seed:int=0, shape_db:float=0.0):
        self.view, self.targets = view, view.targets
        n_clips, split, n_bands = len(view.dataset), view.dataset.split, view.dataset.logmel.shape[2]
        offsets_db = np.array([item_rng(data_seed, 'sfs-level-drift', split, c).normal(0.0, 1.0) for c in range(n_clips)]) * drift_db
        shapes_db = offsets_db[:, None] + spectral_shapes_db(n_clips, n_bands, shape_db, split, data_seed)
        self.offset_ln_power = torch.as_tensor(shapes_db * math.log(10) / 10, dtype=torch.float32)   # (clip, band): dB -> natural log of power
    def __len__(self): return len(self.view)
    def __getitem__(self, n):
        item, clips = self.view[n], self.view.examples[n][::3]   # clip index of each input (1 for single clips, 2 for pairs)
        return tuple(x + self.offset_ln_power[c] for x, c in zip(item[:-1], clips)) + (item[-1],)


def static_recordings(reflection_scale:float, cache:Cache, data_seed:int=0)->dict|None:  # split -> SfsDataset; None: the recipe's
    "The full-scale static recordings simulated with every wall's pressure reflection scaled by `reflection_scale`."
    if reflection_scale == 1.0: return None
    config = sfs_config('full', reflection_scale=reflection_scale)
    return {split: build_sfs_dataset('static', split, config=config, seed=data_seed, cache=cache) for split in ('train', 'val', 'test')}


def drifted_test_ap(task:str, drift_db:float, seed:int, data_seed:int=0, shape_db:float=0.0,
                    datasets:dict|None=None)->dict:  # datasets: split -> static SfsDataset (None: the recipe's)
    "Train Table 1's static audio model of `task` on drifted recordings; test AP and accuracy (%)."
    sizes = EXPERIMENT_SIZES['full']
    base = task_views(task, 'audio', 'static', 'full', seed, data_seed) if datasets is None else views_from_datasets(task, 'audio', datasets, 'full', seed, data_seed)
    views = {k: DriftedView(v, drift_db, data_seed, shape_db) for k, v in base.items()}
    pos_weight = pos_weight_from_labels(views['train'].targets.numpy()) if task == 'obstacle' else 1.0
    model = init_task_model(task, 'audio', sizes, seed)
    with tempfile.TemporaryDirectory() as run_dir:
        out = fit_task_model(model, views, task_loss(task, pos_weight=pos_weight), sizes, seed, "cpu", Path(run_dir), sizes["epochs"])
    model.load_state_dict(out['state'])
    scores, labels = predict(model, views['test'], sizes['batch_size'] * 4, 'cpu'), views['test'].targets.numpy()
    return dict(ap=round(ap_percent(scores, labels), 1), acc=round(accuracy_percent(scores, labels), 1), best_epoch=out['best_epoch'])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--drift-db', type=float, nargs='+', default=[0.0, 1.0, 2.0, 4.0])
    p.add_argument('--shape-db', type=float, nargs='+', default=[0.0])
    p.add_argument('--reflection-scale', type=float, nargs='+', default=[1.0])
    p.add_argument('--seeds', type=int, nargs='+', default=[0])
    p.add_argument('--tasks', nargs='+', default=['obstacle', 'relative_order'], choices=('obstacle', 'relative_order'))
    args = p.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as cache_dir:   # re-simulated recordings are thrown away at the end
        for scale in args.reflection_scale:
            datasets = static_recordings(scale, Cache(cache_dir))
            for drift_db in args.drift_db:
                for shape_db in args.shape_db:
                    for seed in args.seeds:
                        for task in args.tasks:
                            t0 = time.time()
                            out = drifted_test_ap(task, drift_db, seed, shape_db=shape_db, datasets=datasets)
                            print(f"reflection x{scale:g}, level drift {drift_db:g} dB, spectral shape {shape_db:g} dB, seed {seed}, {task}:",
                                  out, f"{time.time() - t0:.0f} s", flush=True)


if __name__ == '__main__': main()
