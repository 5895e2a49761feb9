"Train a small linear regression with avbook.training; used by tests/test_training.py (also under torchrun)."
import argparse, json, os, time
from pathlib import Path
import torch
from torch import nn
from fastai.basics import Callback
from avbook.core import seed_everything
from avbook.training import make_dataloaders, make_learner, fit_resumable, distributed, world_size

def toy_regression(n, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 8, generator=g)
    return list(zip(x, x @ torch.linspace(-1, 1, 8)[:, None] + 0.05*torch.randn(n, 1, generator=g)))

class SlowEpochs(Callback):
    "Sleep after each epoch, so a test can kill the run between epochs."
    order = 100
    def __init__(self, seconds): self.seconds = seconds
    def after_epoch(self): time.sleep(self.seconds)

if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('run_dir'); ap.add_argument('--epochs', type=int, default=6); ap.add_argument('--sleep', type=float, default=0)
    ap.add_argument('--n-train', type=int, default=512)
    args = ap.parse_args()
    seed_everything(0)
    batch_size = 32 // world_size()   # per process, so the effective batch (and the number of steps) is the same for any world size
    dls = make_dataloaders(toy_regression(args.n_train, 0), toy_regression(128, 1), batch_size=batch_size, seed=0, device='cpu')
    learn = make_learner(dls, nn.Linear(8, 1), nn.MSELoss(), args.run_dir, run_config=dict(task='toy'), show_progress=False)
    if args.sleep: learn.add_cb(SlowEpochs(args.sleep))
    with distributed(learn): fit_resumable(learn, args.epochs, 0.1)
    valid_loss = float(learn.validate()[0])   # every rank takes part: fastai gathers the losses across processes
    if int(os.environ.get('RANK', '0')) == 0:
        torch.save(learn.model.state_dict(), Path(args.run_dir)/'final.pt')
        (Path(args.run_dir)/'final.json').write_text(json.dumps(dict(valid_loss=valid_loss)))
