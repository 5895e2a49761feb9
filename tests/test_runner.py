"The papermill runner on a real (tiny) reproduction notebook, including its error paths."
import json, shutil, subprocess, sys
from pathlib import Path
import nbformat
import pytest
from avbook.core import DataError, ParameterError
from avbook.reproduce import read_result
from avbook.runner import run_reproductions, main, ReproductionFailed, find_reproductions
from avbook.report import write_report

FIXTURES = Path(__file__).parent/'fixtures'/'reproductions'

@pytest.fixture
def notebooks(tmp_path):
    "A copy of the fixture reproductions, which a test may edit."
    dst = tmp_path/'reproductions'
    shutil.copytree(FIXTURES, dst)
    return dst

def _edit(path, fn):
    nb = nbformat.read(path, as_version=4); fn(nb); nbformat.write(nb, path)

def test_runs_and_is_deterministic(notebooks, tmp_path):
    tables = []
    for run in range(2):
        out = tmp_path/f'results{run}'
        records = run_reproductions('demo', scale='smoke', seed=3, out_dir=out, notebooks_dir=notebooks, log=lambda m: None)
        result = read_result(records[0].result)
        assert (result.scale, result.seed, result.counts()) == ('smoke', 3, (1, 1))
        assert records[0].executed.exists() and records[0].executed.parent == out/'notebooks'/'demo'
        tables.append(result.table)
    assert tables[0] == tables[1]
    page = write_report(tmp_path/'results0', tmp_path/'report.md').read_text()
    assert '| table1 | 1 / 1 ✓ | smoke | 3 |' in page

def test_papermill_command_line(tmp_path):
    out = tmp_path/'res'
    subprocess.run([sys.executable, '-m', 'papermill', str(FIXTURES/'demo'/'table1.ipynb'), str(tmp_path/'out.ipynb'),
                    '-p', 'scale', 'smoke', '-p', 'out_dir', str(out), '-k', 'python3'], check=True, capture_output=True)
    assert read_result(out/'demo'/'table1.json').counts() == (1, 1)

def test_failing_cell_is_named_and_leaves_no_result(notebooks, tmp_path):
    def add_failure(nb): nb.cells.insert(3, nbformat.v4.new_code_cell("raise RuntimeError('simulated failure in the compute cell')"))
    _edit(notebooks/'demo'/'table1.ipynb', add_failure)
    with pytest.raises(ReproductionFailed, match=r"table1.ipynb failed in cell 3 .*raise RuntimeError.*RuntimeError: simulated failure") as err:
        run_reproductions('demo', 'table1', scale='smoke', out_dir=tmp_path/'r', notebooks_dir=notebooks, log=lambda m: None)
    assert (tmp_path/'r'/'notebooks'/'demo'/'table1.failed.ipynb').exists()
    assert not (tmp_path/'r'/'demo'/'table1.json').exists()
    assert not list((tmp_path/'r'/'notebooks'/'demo').glob('.*running*'))

def test_missing_parameters_cell(notebooks, tmp_path):
    def untag(nb):
        for c in nb.cells: c.metadata.pop('tags', None)
    _edit(notebooks/'demo'/'table1.ipynb', untag)
    with pytest.raises(DataError, match="lacks the papermill parameter"):
        run_reproductions('demo', scale='smoke', out_dir=tmp_path/'r', notebooks_dir=notebooks, log=lambda m: None)

def test_notebook_without_result_file(notebooks, tmp_path):
    def drop_finish(nb): nb.cells = nb.cells[:-1]
    _edit(notebooks/'demo'/'table1.ipynb', drop_finish)
    with pytest.raises(ReproductionFailed, match="wrote no result file"):
        run_reproductions('demo', scale='smoke', out_dir=tmp_path/'r', notebooks_dir=notebooks, log=lambda m: None)

def test_command_line_errors(notebooks, capsys):
    assert main(['--paper', 'nope', '--notebooks-dir', str(notebooks)]) == 2
    assert 'choose one of: ambient, bsn, demo, gao, sfs, slfm' in capsys.readouterr().err
    assert main(['--paper', 'demo', '--artifact', 'table9', '--notebooks-dir', str(notebooks)]) == 2
    assert 'choose one of: table1' in capsys.readouterr().err
    assert main(['--scale', 'huge', '--notebooks-dir', str(notebooks)]) == 2
    assert 'choose one of: smoke, full, paper' in capsys.readouterr().err
    assert main(['--paper', 'sfs', '--notebooks-dir', str(notebooks)]) == 0
    assert 'nothing to reproduce' in capsys.readouterr().out
    assert main(['--notebooks-dir', '/no/such/dir']) == 2

def test_nothing_to_reproduce(tmp_path, capsys):
    (tmp_path/'empty').mkdir()
    assert main(['--notebooks-dir', str(tmp_path/'empty'), '--out-dir', str(tmp_path/'r')]) == 0
    assert 'nothing to reproduce' in capsys.readouterr().out

def test_figures_survive_an_agg_backend(notebooks, tmp_path, monkeypatch):
    "Executed pages keep their figures even when the caller exported MPLBACKEND=agg (as `make` does)."
    def add_figure(nb):
        nb.cells.append(nbformat.v4.new_code_cell("import matplotlib.pyplot as plt\nplt.plot([0, 1], [1, 0]);"))
    _edit(notebooks/'demo'/'table1.ipynb', add_figure)
    monkeypatch.setenv('MPLBACKEND', 'agg')
    records = run_reproductions('demo', scale='smoke', out_dir=tmp_path/'out', notebooks_dir=notebooks, log=lambda m: None)
    executed = nbformat.read(records[0].executed, as_version=4)
    assert any('image/png' in o.get('data', {}) for c in executed.cells for o in c.get('outputs', []))
    import os; assert os.environ['MPLBACKEND'] == 'agg'      # the caller's setting is restored
