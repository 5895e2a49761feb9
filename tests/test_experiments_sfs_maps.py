"Figures 5 and 6 of Structure from Silence: the held-out room, the walk's geometry, cell kinds and the summary statistics (no training)."
import numpy as np
import pandas as pd
import pytest
from avbook.core import DataError, ParameterError
from avbook.data.sfs import make_rooms, sfs_config
from avbook.experiments.sfs_maps import (held_out_room, walk_waypoints, Walk, walk_position_m, walk_yaw_deg, make_walk,
                                         cell_kind, detection_summary, cells_summary, MAPS_SIMULATOR_ONLY, fig5_claims, fig6_claims, _blocked)
from avbook.reproduce import evaluate_claims, require_simulator


@pytest.mark.parametrize('scale', ['smoke', 'full'])
def test_held_out_room_is_not_a_static_training_room(scale):
    room, config = held_out_room(scale), sfs_config(scale)
    seen = {r.room_id for split in ('train', 'val') for r in make_rooms(config, split, 0, 'static')}
    assert room.room_id not in seen and room.split == 'test'


@pytest.mark.parametrize('index', range(9))
def test_walk_stays_inside_and_clear_in_every_full_test_room(index):
    room = make_rooms(sfs_config('full'), 'test', 0, 'static')[index]
    walk = Walk(room, walk_waypoints(room.room, 0.35), 0.5, 1.35)
    points = np.stack([walk_position_m(walk, t) for t in np.linspace(0, walk.duration_s, 300)])
    W, L, _ = room.room.size_m
    assert (points[:, 0] > 0).all() and (points[:, 0] < W).all() and (points[:, 1] > 0).all() and (points[:, 1] < L).all()
    assert not any(_blocked(room.room, p) for p in points)
    wall = np.minimum.reduce([points[:, 0], W - points[:, 0], points[:, 1], L - points[:, 1]])
    assert 0.3 < (wall < 0.5).mean() < 0.7          # about half of the walk is near a wall


def test_walk_heading_follows_the_path():
    walk = make_walk('smoke')
    assert walk_yaw_deg(walk, 1.0) == pytest.approx(180.0)                # first leg: west
    t_south = (np.linalg.norm(np.diff(walk.waypoints[:3], axis=0), axis=1).sum() - 1.0) / walk.speed_m_s
    assert walk_yaw_deg(walk, t_south) == pytest.approx(-90.0)           # second leg: south, along the west wall


def test_bad_wall_offset_and_data_root():
    with pytest.raises(ParameterError, match='wall_offset_m'): walk_waypoints(held_out_room('smoke').room, 10.0)
    for artifact in ('fig5', 'fig6'):
        with pytest.raises(DataError, match=f"data_root='/some/folder': sfs {artifact} runs on the simulator only: Figures 5 and 6 need .*data_root=None"):
            require_simulator('/some/folder', 'sfs', artifact, MAPS_SIMULATOR_ONLY)


def test_cell_kinds_of_a_grid():
    kinds = [cell_kind(ix, iy, 5, 4) for iy in range(4) for ix in range(5)]
    assert kinds.count('corner') == 4 and kinds.count('interior') == 3 * 2 and kinds.count('perimeter') == 20 - 4 - 6


def test_summaries_and_claims_on_an_ideal_detector():
    d = np.linspace(0.2, 4.0, 60); p = 1 / (1 + np.exp(4 * (d - 0.5)))
    s = detection_summary(p, d, 0.5, 50)
    assert s['spearman_rho'] == pytest.approx(-1.0) and s['accuracy'] == pytest.approx(100.0)
    frames = pd.concat([pd.DataFrame(dict(kind='frame', p_near=p, nearest_wall_m=d)), pd.DataFrame([dict(kind='summary', **s)], index=['summary'])])
    assert all(v.held for v in evaluate_claims(fig5_claims(), frames))
    nx, ny = 6, 7
    rows = []
    for iy in range(ny):
        for ix in range(nx):
            cx, cy = ix + 0.5, iy + 0.5
            wall = min(cx, nx - cx, cy, ny - cy)
            rows.append(dict(kind=cell_kind(ix, iy, nx, ny), center_wall_m=wall,
                             p_near=0.2 + 0.3 * (ix in (0, nx - 1)) + 0.3 * (iy in (0, ny - 1))))
    cells = pd.DataFrame(rows)
    table = pd.concat([cells, pd.DataFrame([dict(kind='summary', **cells_summary(cells, 50))], index=['summary'])])
    assert all(v.held for v in evaluate_claims(fig6_claims(), table))
    flat = cells.assign(p_near=0.4)
    flat_table = pd.concat([flat, pd.DataFrame([dict(kind='summary', **cells_summary(flat, 50))], index=['summary'])])
    assert not any(v.held for v in evaluate_claims(fig6_claims(), flat_table))
