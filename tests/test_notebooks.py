"Notebook hygiene that nbdev relies on: title first, and imports never mixed with other code in a cell."
import json, re
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT/'nbs').glob('*.ipynb')) + sorted((ROOT/'reproductions').rglob('*.ipynb'))
TOP_LEVEL_IMPORT = re.compile(r'^(import |from \S+ import )')

def _code_lines(cell):
    "Top-level code lines of a cell, without comments, directives, blank lines and continuation lines."
    return [l for l in ''.join(cell['source']).splitlines() if l.strip() and not l.startswith(('#', ' ', '\t', ')'))]

@pytest.mark.parametrize('path', NOTEBOOKS, ids=[str(p.relative_to(ROOT)) for p in NOTEBOOKS])
def test_imports_stand_alone(path):
    "nbdev's docs build runs import cells and shows committed outputs for the rest, so an import cell must hold only imports."
    cells = json.loads(path.read_text())['cells']
    mixed = [i for i, c in enumerate(cells) if c['cell_type'] == 'code'
             and any(TOP_LEVEL_IMPORT.match(l) for l in _code_lines(c)) and not all(TOP_LEVEL_IMPORT.match(l) for l in _code_lines(c))]
    assert not mixed, f"cells {mixed} of {path.name} mix imports with other code: move the imports to the imports cell"

@pytest.mark.parametrize('path', NOTEBOOKS, ids=[str(p.relative_to(ROOT)) for p in NOTEBOOKS])
def test_title_and_summary_first(path):
    first = json.loads(path.read_text())['cells'][0]
    lines = ''.join(first['source']).splitlines()
    assert first['cell_type'] == 'markdown' and lines[0].startswith('# '), f"{path.name} must open with an H1 title"
    if path.parent.name == 'nbs': assert any(l.startswith('> ') for l in lines[1:4]), f"{path.name}: a one-line '> summary' follows the title"
