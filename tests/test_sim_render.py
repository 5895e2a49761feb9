"""Geometry checks of the scene generators and the ray caster (avbook.sim.scene, avbook.sim.render).

Every expected value is derived analytically in the test's docstring; tolerances are stated per check.
"""
import math
import numpy as np
import pytest
from avbook.core import ParameterError
from avbook.sim.scene import (Pose, Box, Room, Street, Lane, Vehicle, Decal, Texture, SEMANTIC_IDS, ROOM_FACES, random_room,
                              random_street, nearest_wall, pose_facing_nearest_wall, is_inside, sample_position, vehicle_center_m)
from avbook.sim.render import PinholeCamera, EquirectCamera, render, project_points, world_rays, camera_rays

MATERIALS = dict(west='plasterboard', east='plasterboard', south='brickwork', north='plasterboard', floor='carpet_cotton',
                 ceiling='ceiling_plasterboard')
ROOM = Room((6.0, 8.0, 3.0), MATERIALS)


def pixel_grid(camera):
    jj, ii = np.meshgrid(np.arange(camera.width) + 0.5, np.arange(camera.height) + 0.5)
    return jj, ii


@pytest.mark.parametrize('x0', [0.3, 1.7, 4.9])
def test_fronto_parallel_wall_depth(x0):
    """Facing the east wall (x = 6) from x0: z-depth is 6 - x0 on every wall pixel; ray distance is (6 - x0)/cos(angle to axis)."""
    cam = PinholeCamera(48, 40, 80.0)
    v = render(ROOM, Pose([x0, 4.0, 1.5], 0.0), cam)
    wall = v['normal'][..., 0] == -1
    assert wall.sum() > 300
    d = 6.0 - x0
    np.testing.assert_allclose(v['depth_m'][wall], d, rtol=1e-6)
    cos_angle = 1/np.linalg.norm(camera_rays(cam), axis=-1)
    np.testing.assert_allclose(v['distance_m'][wall], (d/cos_angle)[wall], rtol=1e-6)


def test_pinhole_floor_and_ceiling_depth():
    """Level camera at height h: a floor pixel whose ray drops by s per unit forward has z-depth h/s; ceiling (H - h)/s."""
    cam, h = PinholeCamera(32, 64, 40.0), 1.2
    v = render(ROOM, Pose([0.5, 4.0, h], 0.0), cam)
    s = (np.arange(64) + 0.5 - 32)/cam.focal_px  # downward slope per row
    col = v['depth_m'][:, 16]
    floor, ceiling = v['semantic'][:, 16] == SEMANTIC_IDS['floor'], v['semantic'][:, 16] == SEMANTIC_IDS['ceiling']
    assert floor.any() and ceiling.any()
    np.testing.assert_allclose(col[floor], h/s[floor], rtol=1e-6)
    np.testing.assert_allclose(col[ceiling], (3.0 - h)/(-s[ceiling]), rtol=1e-6)


def test_equirect_depth_known_directions():
    """From p inside the room, an equirect pixel at (az, el) hits the east wall at (W - x)/(cos el cos az) and the floor at z/sin(-el)."""
    cam, p = EquirectCamera(96, 48), np.array([2.5, 3.0, 1.4])
    v = render(ROOM, Pose(p, 0.0), cam)
    jj, ii = pixel_grid(cam)
    az, el = np.radians(180 - 360*jj/96), np.radians(90 - 180*ii/48)
    east, floor = v['normal'][..., 0] == -1, v['normal'][..., 2] == 1
    np.testing.assert_allclose(v['depth_m'][east], ((6 - p[0])/(np.cos(el)*np.cos(az)))[east], rtol=1e-6)
    np.testing.assert_allclose(v['depth_m'][floor], (p[2]/np.sin(-el))[floor], rtol=1e-6)
    np.testing.assert_array_equal(v['depth_m'], v['distance_m'])


def test_street_ground_depth_is_h_over_sin_e():
    """Binaural SoundNet notes: a ground pixel at elevation -e seen from height h is at distance h / sin(e)."""
    street = Street(8.0, 3.0, [Lane(0.0, 1)], [])
    cam, h = EquirectCamera(64, 32), 2.0
    v = render(street, Pose([0.0, 5.5, h], -90.0), cam, max_depth_m=1e6)
    _, ii = pixel_grid(cam)
    e = np.radians(180*ii/32 - 90)
    ground = e > 0
    np.testing.assert_allclose(v['distance_m'][ground], (h/np.sin(e))[ground], rtol=1e-6)
    assert set(np.unique(v['semantic'][~ground])) == {SEMANTIC_IDS['sky']}


def test_projection_of_known_point_and_round_trip():
    """A camera-frame point (a, b, c) lands at u = W/2 - f b/a, v = H/2 - f c/a; every pixel ray projects back to its centre."""
    cam, pose = PinholeCamera(320, 240, 65.0), Pose([1.0, 2.0, 1.5], 37.0, -22.5)
    R = np.array([[math.cos(math.radians(-22.5))*math.cos(math.radians(37)), math.cos(math.radians(-22.5))*math.sin(math.radians(37)), math.sin(math.radians(-22.5))],
                  [-math.sin(math.radians(37)), math.cos(math.radians(37)), 0.0]])
    up = np.cross(R[0], R[1])
    point = pose.position_m + 4.0*R[0] - 0.7*R[1] + 0.3*up
    uv, depth = project_points(point, pose, cam)
    np.testing.assert_allclose(uv, [160 + cam.focal_px*0.7/4, 120 - cam.focal_px*0.3/4], atol=1e-9)
    assert abs(depth - 4.0) < 1e-12
    for camera in (cam, EquirectCamera(64, 32)):
        uv, _ = project_points(pose.position_m + 3.0*world_rays(camera, pose), pose, camera)
        jj, ii = pixel_grid(camera)
        np.testing.assert_allclose(uv, np.stack([jj, ii], -1), atol=1e-9)


def test_turning_90_degrees_sees_the_next_wall():
    """Yaw 0/90/180/270 from (2, 5) look at east/north/west/south at 4/3/2/5 m, normals pointing back at the camera."""
    p = [2.0, 5.0, 1.5]
    for yaw, normal, d in ((0, [-1, 0, 0], 4.0), (90, [0, -1, 0], 3.0), (180, [1, 0, 0], 2.0), (270, [0, 1, 0], 5.0)):
        v = render(ROOM, Pose(p, yaw), PinholeCamera(33, 33, 60.0))
        np.testing.assert_allclose(v['normal'][16, 16], normal, atol=1e-12)
        np.testing.assert_allclose(v['depth_m'][16, 16], d, rtol=1e-6)


def test_semantic_labels_at_known_pixels():
    """The pixel through a table's top centre is 'table'; through a whiteboard's centre 'whiteboard'; through a door 'door'."""
    room = Room((6.0, 8.0, 3.0), MATERIALS, furniture=[Box([3.5, 3.5, 0.0], [4.5, 4.5, 0.75], 'table')],
                decals=[Decal('east', 'whiteboard', (3.0, 1.0), (5.0, 2.0)), Decal('east', 'door', (6.0, 0.0), (6.9, 2.1))])
    pose, cam = Pose([1.5, 4.0, 1.5], 0.0, -10.0), PinholeCamera(96, 72, 75.0)
    v = render(room, pose, cam)
    for target, name in (([4.0, 4.0, 0.74], 'table'), ([5.99, 4.0, 1.5], 'whiteboard'), ([5.99, 6.45, 1.2], 'door')):
        (u, vv), _ = project_points(np.array(target), pose, cam)
        assert v['semantic'][int(vv), int(u)] == SEMANTIC_IDS[name], name


def test_vehicle_flow_matches_analytic():
    """A car driving at v along x past a level camera looking across (-y) at distance D: its near side moves du = -f v dt / D, dv = 0."""
    street = Street(8.0, 3.0, [Lane(0.0, 1)], [], [Vehicle('car', 0, 0.0, 12.0)])
    cam, pose = PinholeCamera(96, 64, 70.0), Pose([0.0, 8.0, 1.0], -90.0)
    v = render(street, pose, cam, t_s=0.0, dt_s=0.1)
    side = (v['semantic'] == SEMANTIC_IDS['car']) & (v['normal'][..., 1] == 1)
    assert side.sum() > 100
    expected = -cam.focal_px*12.0*0.1/(8.0 - 0.9)
    np.testing.assert_allclose(v['flow'][side], np.tile([expected, 0.0], (side.sum(), 1)), atol=1e-3)
    assert np.abs(v['flow'][v['semantic'] != SEMANTIC_IDS['car']]).max() == 0


def test_vehicle_flow_at_later_time_and_direction():
    """At t = 0.5 s the car has moved v t; flow sign follows the travel direction (+x: left in the image when looking at -y)."""
    for direction in (1, -1):
        street = Street(8.0, 3.0, [Lane(0.0, direction)], [], [Vehicle('car', 0, -3.0*direction, 6.0)])
        np.testing.assert_allclose(vehicle_center_m(street, 0, 0.5), [0.0, 0.0, 0.75], atol=1e-12)
        v = render(street, Pose([0.0, 8.0, 1.0], -90.0), PinholeCamera(64, 48, 70.0), t_s=0.5, dt_s=0.1)
        car = v['semantic'] == SEMANTIC_IDS['car']
        assert car.any() and np.all(np.sign(v['flow'][car][:, 0]) == -direction)


def test_equirect_flow_wraps_at_seam_and_camera_rotation():
    """A car crossing azimuth 180 moves a few pixels (not ~W); turning a level panorama left by delta shifts it right by delta W/360."""
    street = Street(8.0, 3.0, [Lane(0.0, -1)], [], [Vehicle('car', 0, 0.3, 10.0)])
    v = render(street, Pose([0.0, 6.0, 2.0], 90.0), EquirectCamera(128, 64), dt_s=0.1)
    car = v['semantic'] == SEMANTIC_IDS['car']
    assert car.any() and np.abs(v['flow'][car]).max() < 10
    v = render(ROOM, Pose([3.0, 4.0, 1.5], 10.0), EquirectCamera(64, 32), pose_next=Pose([3.0, 4.0, 1.5], 21.25))
    np.testing.assert_allclose(v['flow'][..., 0], 11.25*64/360, atol=1e-3)
    np.testing.assert_allclose(v['flow'][..., 1], 0.0, atol=1e-3)


def test_pinhole_camera_translation_flow():
    """Moving a camera sideways by s in front of a wall at z-depth d shifts every wall pixel by f s / d."""
    cam = PinholeCamera(40, 30, 60.0)
    v = render(ROOM, Pose([3.0, 4.0, 1.5], 0.0), cam, pose_next=Pose([3.0, 4.2, 1.5], 0.0))
    wall = v['normal'][..., 0] == -1
    np.testing.assert_allclose(v['flow'][wall][:, 0], cam.focal_px*0.2/3.0, atol=1e-3)  # camera moves left (+y), the wall moves right


def test_outputs_shapes_dtypes_and_determinism():
    room, street = random_room(np.random.default_rng(0)), random_street(np.random.default_rng(0))
    pose = Pose(sample_position(room, np.random.default_rng(1)), 45.0, -20.0)
    rig = Pose([0.0, street.road_width_m/2 + 1.0, 2.0], -90.0)
    for scene, p, cam in ((room, pose, PinholeCamera(40, 30, 60.0)), (street, rig, EquirectCamera(64, 32))):
        a, b = render(scene, p, cam, t_s=1.0), render(scene, p, cam, t_s=1.0)
        assert a['rgb'].shape == (cam.height, cam.width, 3) and a['rgb'].dtype == np.float32
        assert a['rgb'].min() >= 0 and a['rgb'].max() <= 1
        assert a['semantic'].dtype == np.int64 and a['flow'].shape == (cam.height, cam.width, 2)
        for key in a: assert a[key].tobytes() == b[key].tobytes(), key
        assert np.isfinite(a['depth_m']).all() and (a['depth_m'] > 0).all()


def test_random_scenes_are_valid_and_seeded():
    for seed in range(5):
        for kind in ('classroom', 'hallway'):
            room = random_room(np.random.default_rng(seed), kind)
            again = random_room(np.random.default_rng(seed), kind)
            assert room.materials == again.materials and len(room.furniture) == len(again.furniture)
            p = sample_position(room, np.random.default_rng(seed), wall_distance_m=(0.27, 0.56))
            face, d = nearest_wall(room, p)
            assert 0.27 <= d <= 0.56 and pose_facing_nearest_wall(room, p).yaw_deg == dict(east=0, north=90, west=180, south=-90)[face]
        street = random_street(np.random.default_rng(seed))
        assert {v.vehicle_class for v in street.vehicles} <= {'car', 'bus', 'motorcycle', 'train'}


def test_bad_input_raises_parameter_error():
    cam = PinholeCamera(16, 16, 60.0)
    with pytest.raises(ParameterError, match='outside the room'): render(ROOM, Pose([6.5, 1.0, 1.0], 0.0), cam)
    with pytest.raises(ParameterError, match='need 3 lengths'): Room((6.0, -1.0, 3.0), MATERIALS)
    with pytest.raises(ParameterError, match='sticks out of the room'): Room((6.0, 8.0, 3.0), MATERIALS, [Box([5, 5, 0], [7, 6, 1], 'table')])
    with pytest.raises(ParameterError, match="valid names: .*brickwork"): Room((6.0, 8.0, 3.0), {**MATERIALS, 'west': 'granite'})
    with pytest.raises(ParameterError, match='pitch_deg'): Pose([1, 1, 1], 0.0, 95.0)
    with pytest.raises(ParameterError, match='hfov_deg'): PinholeCamera(16, 16, 0.0)
    with pytest.raises(ParameterError, match='is outside the room'): nearest_wall(ROOM, [1.0, 9.0, 1.0])
    assert not is_inside(ROOM, [1.0, 1.0, 3.5])


def test_ray_culling_does_not_change_hits():
    """Testing each box only against its candidate rays gives the same nearest hits as testing every ray against every box."""
    from avbook.sim.render import intersect_boxes, candidate_rays, scene_geometry
    street = random_street(np.random.default_rng(3))
    room = random_room(np.random.default_rng(3))
    cases = [(room, Pose(sample_position(room, np.random.default_rng(0), height_m=1.2), a, p)) for a in (0.0, 135.0) for p in (0.0, -30.0)]
    cases += [(street, Pose([3.0, street.road_width_m/2 + 1.0, 2.0], a, p)) for a in (-90.0, 20.0) for p in (0.0, 15.0)]
    for scene, pose in cases:
        g = scene_geometry(scene, 1.0)
        for cam in (PinholeCamera(64, 48, 70.0), EquirectCamera(96, 48)):
            dirs = world_rays(cam, pose).reshape(-1, 3)
            culled = intersect_boxes(pose.position_m, dirs, g.box_min_m, g.box_max_m, candidate_rays(cam, pose, g.box_min_m, g.box_max_m))
            full = intersect_boxes(pose.position_m, dirs, g.box_min_m, g.box_max_m)
            np.testing.assert_array_equal(culled[1], full[1]); np.testing.assert_array_equal(culled[0], full[0])
