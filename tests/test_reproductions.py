"Every reproduction notebook runs end to end through papermill at scale=smoke and writes a well-formed result file."
import math
from pathlib import Path
import pytest
from avbook.reproduce import read_result
from avbook.runner import find_reproductions, run_reproductions, default_notebooks_dir

NOTEBOOKS = find_reproductions(default_notebooks_dir())
CASES = [(paper, artifact) for paper, artifacts in NOTEBOOKS.items() for artifact in artifacts]

@pytest.mark.parametrize('paper,artifact', CASES, ids=[f"{p}/{a}" for p, a in CASES])
def test_reproduction_runs_at_smoke_scale(paper, artifact, tmp_path):
    records = run_reproductions(paper, artifact, scale='smoke', seed=0, out_dir=tmp_path, log=lambda m: None)
    result = read_result(records[0].result)
    assert (result.paper, result.artifact, result.scale, result.seed) == (paper, artifact, 'smoke', 0)
    assert result.claims, "a reproduction states its claims"
    values = [v for row in result.table['data'] for v in row if isinstance(v, float)]
    assert values and all(math.isfinite(v) for v in values), "our numbers are finite"

def test_slfm_table2_evaluates_the_real_format(tmp_path):
    "Given data_root in the SLfM processed format, Table 2 also scores its simulator-trained models on those files."
    from avbook.data.slfm_format import make_slfm_fixture
    root = tmp_path/'data'; make_slfm_fixture(root)
    records = run_reproductions('slfm', 'table2', scale='smoke', seed=0, data_root=root, out_dir=tmp_path/'out', log=lambda m: None)
    result = read_result(records[0].result)
    assert result.data_source == str(root)
    real = result.extra['real_data']['table']
    assert real['index'] == ['Chance', 'Ours', 'Supervised (heads)', 'Linear probe (64 bins)']
    assert 'left_right_acc' in real['columns'] and 'camera_mae_deg' in real['columns']

def test_sfs_table1_runs_on_the_real_format(tmp_path):
    "Given data_root in the released Quiet Campus layout, Table 1 trains and tests on those files, not on the simulator."
    from avbook.data.quiet_campus import make_quiet_campus_static, make_quiet_campus_motion
    root = tmp_path/'quiet_campus'
    make_quiet_campus_static(root/'SFS-Static'); make_quiet_campus_motion(root/'SFS-Motion', n_frames=120)   # 8 s: the last valid frames are nearer than 0.5 m
    records = run_reproductions('sfs', 'table1', scale='smoke', seed=0, data_root=root, out_dir=tmp_path/'out', log=lambda m: None)
    result = read_result(records[0].result)
    assert result.data_source == str(root)
    frame = result.frame
    assert frame.loc['Audio / static', 'obstacle_n'] == 2      # the fixture's test room: two clips, one window each
