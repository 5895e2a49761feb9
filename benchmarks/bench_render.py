"""Frames per second of `avbook.sim.render.render` on a random classroom and a random street.

Run: `python benchmarks/bench_render.py [--repeats N]`. Prints one line per (scene, camera, resolution): median milliseconds per
frame over N renders (after one warm-up) and frames per second. Single process; numbers depend on machine load.
"""
import argparse, time
import numpy as np
from avbook.sim.scene import Pose, random_room, random_street, sample_position
from avbook.sim.render import PinholeCamera, EquirectCamera, render


def time_render(scene, pose, camera, repeats:int, **kwargs)->float:
    "Median seconds per `render` call."
    render(scene, pose, camera, **kwargs)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter(); render(scene, pose, camera, **kwargs); times.append(time.perf_counter() - t0)
    return float(np.median(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--repeats', type=int, default=10)
    args = parser.parse_args()
    room, street = random_room(np.random.default_rng(1), 'classroom'), random_street(np.random.default_rng(4))
    room_pose = Pose(sample_position(room, np.random.default_rng(0), height_m=1.5), 30.0, -22.5)
    rig = Pose([0.0, street.road_width_m/2 + 1.5, 2.0], -90.0)
    print(f"classroom {room.size_m} with {len(room.furniture)} boxes; street with {len(street.buildings)} buildings, {len(street.vehicles)} vehicles")
    print(f"{'scene':10s} {'camera':8s} {'H x W':>9s} {'ms/frame':>9s} {'fps':>7s}")
    for name, scene, pose in (('classroom', room, room_pose), ('street', street, rig)):
        for (h, w) in ((64, 64), (240, 320)):
            for cam_name, camera in (('pinhole', PinholeCamera(w, h, 60.0)), ('equirect', EquirectCamera(w, h))):
                s = time_render(scene, pose, camera, args.repeats, t_s=1.0)
                print(f"{name:10s} {cam_name:8s} {h:>4d} x {w:<3d} {1e3*s:9.1f} {1/s:7.1f}")


if __name__ == '__main__':
    main()
