"Same seed, same audio and images, bit for bit, whatever the number of DataLoader workers."
import numpy as np
import torch
from torch.utils.data import Dataset, DataLoader
from avbook.core import item_rng
from avbook.sim.scene import random_room, sample_position, pose_facing_nearest_wall
from avbook.sim.render import render, PinholeCamera
from avbook.sim.ambient import render_ambient, random_room_noise, stereo_recorder_positions
from avbook.sim.acoustics import image_sources, binaural_rir
from avbook.sim.hrtf import load_hrtf

class TinyWorld(Dataset):
    "Item i: a room drawn from item_rng(seed, i), a view of its nearest wall, an ambient recording and a binaural RIR."
    def __init__(self, seed, n=4): self.seed, self.n = seed, n
    def __len__(self): return self.n
    def __getitem__(self, i):
        rng = item_rng(self.seed, 'tiny-world', i)
        room = random_room(rng, 'classroom')
        position = sample_position(room, rng)
        pose = pose_facing_nearest_wall(room, position)
        view = render(room, pose, PinholeCamera(32, 24, hfov_deg=60))
        mics = stereo_recorder_positions(pose.position_m, pose.yaw_deg)
        audio = render_ambient(mics, room.size_m, random_room_noise(rng), 8000, 0.25, seed=int(rng.integers(2**31)), n_waves=None)
        images = image_sources(room.size_m, room.materials, sample_position(room, rng), max_order=3)
        rir = binaural_rir(images, pose, load_hrtf(16000), duration_s=0.05).total
        return torch.from_numpy(view['rgb']), torch.from_numpy(view['depth_m']), torch.from_numpy(audio), torch.as_tensor(rir)

def _collect(seed, workers):
    return [torch.cat([t.flatten().double() for t in item]) for item in DataLoader(TinyWorld(seed), batch_size=None, num_workers=workers)]

def test_workers_do_not_change_the_world():
    serial, parallel = _collect(0, 0), _collect(0, 2)
    assert all(torch.equal(a, b) for a, b in zip(serial, parallel))
    assert not torch.equal(serial[0], _collect(1, 0)[0]), "another seed must give another world"
