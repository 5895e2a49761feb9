"""Does the SLfM visual pose encoder carry camera rotation? Ridge probes on the validation split while it trains.

Usage (full-scale simulated data, one CPU thread; each run takes minutes):
    python tools/slfm_pose_diagnostic.py supervised --steps 1500 --save-trunk /tmp/rotation_trunk.pt
    python tools/slfm_pose_diagnostic.py scene --steps 1500 --save-trunk /tmp/scene_trunk.pt
    python tools/slfm_pose_diagnostic.py pretext --method ours --steps 1200
    python tools/slfm_pose_diagnostic.py pretext --method ours --steps 600 --init-trunk /tmp/rotation_trunk.pt
    python tools/slfm_pose_diagnostic.py pretext --method gt_rotation --steps 3000 --every 500   # when does the U-Net use φ?
    python tools/slfm_pose_diagnostic.py pretext --method ours --steps 3000 --locations-per-room 200   # 10x the locations
    python tools/slfm_pose_diagnostic.py pretext --method ours --steps 6000 --every 1000 --locations-per-room 200 --heads-at 3000 6000
    python tools/slfm_pose_diagnostic.py pretext --method ours --steps 6000 --every 1000 --locations-per-room 200 --save-network /tmp/ours_6000.pt
    python tools/slfm_pose_diagnostic.py heads --method ours --locations-per-room 200 --load-network /tmp/ours_6000.pt --select score last

`supervised` trains the encoder and a linear head on the signed rotation (an upper bound on what it can learn);
`scene` trains its trunk on dense scene parsing (semantic classes, normals, log depth) of renders of 200 rooms drawn
with another seed than the SLfM splits (a stand-in for ImageNet initialization); `pretext` trains a pretext method of
`avbook.experiments.slfm` and reports, every `--every` steps, its training and validation pretext losses, the
validation MAE (degrees) of a ridge regression of the signed rotation from the frozen pose features, and the error of
a ridge regression of sin(sound azimuth) from the audio features, each next to its chance level. `--heads-at` also
trains the SLfM heads (variant 'ours') on a copy of the network at those steps, after precise BN, and reports their test
audio and camera MAE next to the constant-0° chance, scored as `slfm_result` scores them, once per `--select` rule of
`fit_slfm_heads`. `--save-network` keeps the trained pretext network; `heads` loads one and only trains the heads.
"""
import argparse, copy, time
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from avbook.core import item_rng
from avbook.sim.scene import Pose, random_room, sample_position, ROOM_KINDS, SEMANTIC_CLASSES
from avbook.sim.render import render, PinholeCamera
from avbook.models.slfm import VisualPoseEncoder, encoder_input, slfm_spectrogram
from avbook.experiments.slfm import (SLFM_EXPERIMENT_SIZES, PAIRS, load_split, angle_ranges, make_network, encoders,
                                     pretext_loss, crop_audio, crop_starts, training_batch, pair_rotations_deg,
                                     validation_loss, recalibrate_batchnorm, compute_features, heads_errors, slfm_errors)


def view_pairs(ds):  # (source images, target images (uint8), signed rotation in degrees) of every `PAIRS` pair
    src, tgt = zip(*[(ds.rgb[:, i], ds.rgb[:, j]) for i, j in PAIRS])
    return torch.cat(src), torch.cat(tgt), pair_rotations_deg(ds.yaw_deg).T.ravel()


def unit(images): return images.float() / 255   # uint8 images to [0, 1] floats, one batch at a time


def ridge_mae(x_train, y_train, x_valid, y_valid, penalty=1.0):  # validation MAE of a standardized ridge regression
    mu, sd = x_train.mean(0), x_train.std(0) + 1e-6
    a, b = (x_train - mu) / sd, (x_valid - mu) / sd
    w = np.linalg.solve(a.T @ a + penalty * len(a) * np.eye(a.shape[1]), a.T @ (y_train - y_train.mean()))
    return float(np.abs(b @ w + y_train.mean() - y_valid).mean())


@torch.no_grad()
def pose_features(encoder, pairs, batch=256):  # batch statistics (train mode), as a precise-BN pass would give
    encoder.train(); s, t, _ = pairs
    return torch.cat([encoder(unit(s[k:k + batch]), unit(t[k:k + batch])) for k in range(0, len(s), batch)]).numpy()


@torch.no_grad()
def audio_features(encoder, ds, stft, batch=256):  # (features of every view, sin of its sound azimuth)
    encoder.train(); n = len(ds.yaw_deg)
    locations, views = np.repeat(np.arange(n), 4), np.tile(np.arange(4), n)[:, None]
    spec = slfm_spectrogram(crop_audio(ds, locations, views, crop_starts(ds, len(locations), 1))[:, 0], **stft)
    feats = torch.cat([encoder(encoder_input(spec[k:k + batch])) for k in range(0, len(locations), batch)]).numpy()
    return feats, np.sin(np.deg2rad(ds.sound_deg.reshape(-1)))


def probe_report(audio_enc, pose_enc, data, stft):
    out = {}
    if pose_enc is not None:
        f = {k: pose_features(pose_enc, data[k]['pairs']) for k in ('train', 'val')}
        out |= dict(rotation_mae_deg=ridge_mae(f['train'], data['train']['pairs'][2], f['val'], data['val']['pairs'][2]),
                    rotation_chance_deg=float(np.abs(data['val']['pairs'][2]).mean()))
    if audio_enc is not None:
        (xa, ya), (xv, yv) = (audio_features(audio_enc, data[k]['ds'], stft) for k in ('train', 'val'))
        out |= dict(sin_azimuth_mae=ridge_mae(xa, ya, xv, yv), sin_azimuth_chance=float(np.abs(yv - ya.mean()).mean()))
    return {k: round(v, 3) for k, v in out.items()}


def train_supervised(encoder, data, steps, lr, every):
    head, (s, t, rot), g = nn.Linear(encoder.feature_dim, 1), data['train']['pairs'], torch.Generator().manual_seed(0)
    rot = torch.tensor(rot, dtype=torch.float32)
    opt = torch.optim.AdamW(list(encoder.parameters()) + list(head.parameters()), lr, weight_decay=0.01)
    for step in range(1, steps + 1):
        idx = torch.randint(0, len(rot), (32,), generator=g)
        loss = F.smooth_l1_loss(head(encoder(unit(s[idx]), unit(t[idx])))[:, 0] * 60, rot[idx], beta=5.0)
        opt.zero_grad(); loss.backward(); opt.step()
        if step % every == 0: print(step, f"loss {loss.item():.2f}", probe_report(None, encoder, data, None), flush=True)


def scene_corpus(image_hw, n_rooms=200, views_per_room=12, seed=1000):  # renders of rooms drawn with another seed than the SLfM splits
    camera, images, semantic, normal, log_depth = PinholeCamera(image_hw[1], image_hw[0], 60.0), [], [], [], []
    for r in range(n_rooms):
        kind = ROOM_KINDS[r % len(ROOM_KINDS)]
        room, rng = random_room(item_rng(seed, 'scene-corpus-room', kind, r), kind), item_rng(seed, 'scene-corpus-view', r)
        for _ in range(views_per_room):
            pose = Pose(sample_position(room, rng, rng.uniform(1.0, 1.8), (0.3, np.inf)), float(rng.uniform(-180, 180)), float(rng.uniform(-35, 5)))
            out = render(room, pose, camera)
            images.append(out['rgb'].transpose(2, 0, 1)); semantic.append(out['semantic'])
            normal.append(out['normal'].transpose(2, 0, 1)); log_depth.append(np.log(out['depth_m']))
    return tuple(torch.tensor(np.stack(x), dtype=torch.float32 if i != 1 else torch.long) for i, x in enumerate((images, semantic, normal, log_depth)))


def train_scene(encoder, image_hw, steps, lr, every):
    images, semantic, normal, log_depth = scene_corpus(image_hw)
    n_classes = len(SEMANTIC_CLASSES)
    with torch.no_grad(): channels = encoder.feature_map(images[:1]).shape[1]
    head, g, n_valid = nn.Conv2d(channels, n_classes + 4, 1), torch.Generator().manual_seed(0), len(images) // 10
    opt = torch.optim.AdamW(list(encoder.trunk.parameters()) + list(head.parameters()), lr, weight_decay=0.01)
    def losses(idx):
        out = F.interpolate(head(encoder.feature_map(images[idx])), size=tuple(image_hw), mode='bilinear', align_corners=False)
        return (F.cross_entropy(out[:, :n_classes], semantic[idx]), (1 - F.cosine_similarity(out[:, n_classes:n_classes + 3], normal[idx], dim=1)).mean(),
                (out[:, -1] - log_depth[idx]).abs().mean(), (out[:, :n_classes].argmax(1) == semantic[idx]).float().mean())
    for step in range(1, steps + 1):
        parts = losses(n_valid + torch.randint(0, len(images) - n_valid, (32,), generator=g))
        opt.zero_grad(); sum(parts[:3]).backward(); opt.step()
        if step % every == 0:
            encoder.eval()
            with torch.no_grad(): v = losses(torch.arange(n_valid))
            encoder.train(); print(step, 'validation: cross-entropy, normal, log-depth, pixel accuracy', [round(float(x), 3) for x in v], flush=True)


def heads_report(method, network, data, sizes, seed=0, selects=('score',)):  # test MAE (degrees) of the SLfM heads on the frozen features of `network`, per select rule
    network = recalibrate_batchnorm(method, copy.deepcopy(network), data['train']['ds'], sizes, seed=seed)
    feats = {k: compute_features(*encoders(method, network), data[k]['ds'], sizes['stft']) for k in ('train', 'val', 'test')}
    chance, out = slfm_errors(None, feats['test']), {}
    for select in selects:
        errors = heads_errors(feats, sizes, seed, select)
        out[select] = {f"{k}_mae_deg": (round(float(errors[k].mean()), 2), f"chance {float(chance[k].mean()):.2f}") for k in ('audio', 'camera')} | dict(best_epoch=errors['best_epoch'])
    return out


def train_pretext(method, data, sizes, steps, lr, every, init_trunk, heads_at=(), selects=('score',), save_network=None):
    network = make_network(method, data['train']['ds'].config.image_hw, sizes)
    audio_enc, pose_enc = encoders(method, network)
    if init_trunk: pose_enc.trunk.load_state_dict(torch.load(init_trunk))
    print('before training', probe_report(audio_enc, pose_enc, data, sizes['stft']), flush=True)
    opt = torch.optim.AdamW(network.parameters(), lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, lr, total_steps=steps, pct_start=0.1)
    train, ranges, rng, losses = data['train']['ds'], angle_ranges(data['train']['ds']), np.random.default_rng(0), []
    for step in range(1, steps + 1):
        batch = training_batch(method, train, rng.permutation(len(train.yaw_deg))[:sizes['batch_size']], sizes, rng)
        loss = pretext_loss(method, network.train(), batch, sizes, ranges)
        opt.zero_grad(); loss.backward(); opt.step(); sched.step(); losses.append(loss.item())
        if step % every == 0:
            valid = validation_loss(method, network, data['val']['ds'], sizes, ranges, torch.device('cpu')); network.train()
            print(step, f"pretext loss {np.mean(losses[-every:]):.4f}, validation {valid:.4f}", probe_report(audio_enc, pose_enc, data, sizes['stft']), flush=True)
        if step in heads_at: print(step, 'SLfM heads, test:', heads_report(method, network, data, sizes, selects=selects), flush=True); network.train()
    if save_network: torch.save(network.state_dict(), save_network)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('mode', choices=('supervised', 'scene', 'pretext', 'heads'))
    p.add_argument('--method', default='ours', help="pretext method (avbook.experiments.slfm.PRETEXT_METHODS)")
    p.add_argument('--steps', type=int, default=1000); p.add_argument('--lr', type=float, default=1e-3)
    p.add_argument('--every', type=int, default=250, help='steps between probe reports')
    p.add_argument('--init-trunk', default=None, help='state dict of the visual trunk to start from')
    p.add_argument('--save-trunk', default=None, help='where to save the trained visual trunk')
    p.add_argument('--heads-at', type=int, nargs='*', default=(), help='pretext steps at which to train and score the SLfM heads')
    p.add_argument('--select', nargs='+', default=['score'], choices=('score', 'last'), help="the heads' epoch choice (`fit_slfm_heads`), one report each")
    p.add_argument('--save-network', default=None, help='pretext: where to save the trained pretext network (state dict)')
    p.add_argument('--load-network', default=None, help='heads: the saved pretext network to train the heads on')
    p.add_argument('--locations-per-room', type=int, default=None, help="4-view locations per room (default: the full scale's)")
    args = p.parse_args()
    if args.mode == 'heads' and not args.load_network: p.error("heads needs --load-network (a network saved by pretext --save-network)")
    torch.set_num_threads(1); torch.manual_seed(0)
    sizes = SLFM_EXPERIMENT_SIZES['full']
    overrides = {} if args.locations_per_room is None else dict(locations_per_room=args.locations_per_room)
    data = {s: dict(ds=(ds := load_split(s, 'full', **overrides)), pairs=view_pairs(ds) if args.mode != 'heads' else None) for s in ('train', 'val')}   # pairs: the probes'
    if args.heads_at or args.mode == 'heads': data['test'] = dict(ds=load_split('test', 'full', **overrides))
    print('training locations', len(data['train']['ds'].yaw_deg), flush=True)
    image_hw = data['train']['ds'].config.image_hw
    encoder = VisualPoseEncoder(image_hw, sizes['width_multiplier'], sizes['feature_dim'])
    t0 = time.time()
    if args.mode == 'supervised': train_supervised(encoder, data, args.steps, args.lr, args.every)
    elif args.mode == 'scene': train_scene(encoder, image_hw, args.steps, args.lr, args.every)
    elif args.mode == 'pretext': train_pretext(args.method, data, sizes, args.steps, args.lr, args.every, args.init_trunk, set(args.heads_at), args.select, args.save_network)
    else:
        network = make_network(args.method, image_hw, sizes)
        network.load_state_dict(torch.load(args.load_network))
        print('SLfM heads, test:', heads_report(args.method, network, data, sizes, selects=args.select), flush=True)
    if args.save_trunk and args.mode in ('supervised', 'scene'): torch.save(encoder.trunk.state_dict(), args.save_trunk)
    print(f"{time.time() - t0:.0f} s")


if __name__ == '__main__': main()
