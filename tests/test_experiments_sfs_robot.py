"Kinematics, collisions and bookkeeping of the simulated wall-following robot (Structure from Silence, Fig. 9); no trained models."
import math
import numpy as np
import pandas as pd
import pytest
from avbook.core import ParameterError, DataError
from avbook.experiments.sfs_robot import (RobotConfig, robot_tracks, collides, clearance_m, track_progress_m, run_policy, trial_plan,
                                          oracle_predictor, choose_heading, sensor_poses, fig9_table, fig9_claims, POLICY_NAMES,
                                          ROBOT_SIMULATOR_ONLY)
from avbook.reproduce import evaluate_claims, require_simulator


@pytest.fixture(scope='module')
def track(): return robot_tracks('smoke', RobotConfig(), 1)[0]


def _first_hit_m(track, start, heading_deg, radius_m, max_m=10.0, step_m=1e-3):
    u = np.array([math.cos(math.radians(heading_deg)), math.sin(math.radians(heading_deg))])
    for s in np.arange(0, max_m, step_m):
        if collides(track, np.asarray(start) + s * u, radius_m): return s
    return math.inf


@pytest.mark.parametrize('offset_m', [0.4, 0.8, 1.2])
def test_straight_robot_hits_the_wall_where_geometry_says(track, offset_m):
    c = RobotConfig()
    hit = _first_hit_m(track, (track.x_start_m, offset_m), -30.0, c.radius_m)
    assert hit == pytest.approx((offset_m - c.radius_m) / math.sin(math.radians(30)), abs=2e-3)


def test_forward_robot_stops_at_the_end_wall_of_the_first_leg(track):
    c = RobotConfig(); W = track.size_m[0]
    hit = _first_hit_m(track, (track.x_start_m, 0.8), 0.0, c.radius_m)
    assert hit == pytest.approx(W - c.radius_m - track.x_start_m, abs=2e-3)


def test_lane_open_side_is_a_boundary(track):
    c = RobotConfig()
    hit = _first_hit_m(track, (track.x_start_m, 0.8), 90.0, c.radius_m)
    assert hit == pytest.approx(c.lane_width_m - c.radius_m - 0.8, abs=2e-3)
    assert clearance_m(track, (track.x_start_m + 1.0, c.lane_width_m + 0.5)) < 0


def test_progress_runs_along_the_centre_line(track):
    line = track.centerline_m_xy
    s = [track_progress_m(track, line[0] + f * (line[1] - line[0])) for f in np.linspace(0, 1, 11)]
    assert np.all(np.diff(s) > 0) and s[-1] == pytest.approx(track.first_leg_m)
    assert track_progress_m(track, line[2]) == pytest.approx(RobotConfig().track_length_m)


def test_sensor_poses_sit_beside_the_robot():
    left, right = sensor_poses((3.0, 1.0), 90.0, RobotConfig(sensor_offset_m=0.2))
    np.testing.assert_allclose(left.position_m[:2], [2.8, 1.0], atol=1e-12)
    np.testing.assert_allclose(right.position_m[:2], [3.2, 1.0], atol=1e-12)


def test_policy_turns_away_from_the_nearer_side():
    c = RobotConfig()
    assert choose_heading(0.1, 0.9, 0.0, c)[1] > 0 > choose_heading(0.9, 0.1, 0.0, c)[1]
    assert choose_heading(0.1, 0.1, 20.0, c) == (20.0, 20.0)


def test_perfect_detector_beats_straight_line_and_turns_the_corner(track):
    c = RobotConfig(); plan = trial_plan(1, c, 2)
    follow = run_policy('audio', [track], oracle_predictor([track]), c, plan, 0, 40)
    straight = run_policy('straight', [track], None, c, plan, 0, 40)
    assert np.mean([t.progress_m for t in follow]) > np.mean([t.progress_m for t in straight])
    assert any(t.progress_m >= track.corner_progress_m for t in follow)
    assert not any(t.progress_m >= track.corner_progress_m for t in straight)
    assert all(t.probs == [] for t in straight)


def test_motion_noise_is_reproducible(track):
    c = RobotConfig(); plan = trial_plan(1, c, 1)
    a = run_policy('audio', [track], oracle_predictor([track]), c, plan, 3, 10)
    b = run_policy('audio', [track], oracle_predictor([track]), c, plan, 3, 10)
    assert [t.path for t in a] == [t.path for t in b]


def test_fig9_table_pairs_trials_and_claims_evaluate():
    rng = np.random.default_rng(0); rows = []
    for p, mean in dict(random=0.5, straight=2.0, audio=4.0, vision=5.0).items():
        for i in range(18):
            rows.append(dict(policy=p, trial=i, start_heading_deg=[30.0, 0.0, -30.0][i % 3], progress_m=mean + rng.normal(0, 0.3) + (2 if p == 'straight' and i % 3 == 1 else 0),
                             collided=True, passed_corner=p in ('audio', 'vision') and i % 2 == 0))
    table = fig9_table(pd.DataFrame(rows), 200)
    assert np.isfinite(table.to_numpy(float)).all()
    assert table.loc[POLICY_NAMES['straight'], 'audio_gain_m_lo'] > 0
    verdicts = evaluate_claims(fig9_claims(), table)
    assert all(v.held for v in verdicts), [v for v in verdicts if not v.held]


def test_bad_input():
    with pytest.raises(ParameterError, match='start_offsets_m'): RobotConfig(start_offsets_m=(0.1,))
    with pytest.raises(ParameterError, match='windows'): RobotConfig(windows=0)
    with pytest.raises(ParameterError, match='n_rooms'): robot_tracks('smoke', RobotConfig(), 50)
    with pytest.raises(DataError, match="data_root='/data/quiet-campus': sfs fig9 runs on the simulator only: the robot drives in simulated classrooms.*data_root=None"):
        require_simulator('/data/quiet-campus', 'sfs', 'fig9', ROBOT_SIMULATOR_ONLY)
