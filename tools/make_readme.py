"""Write README.md from nbs/index.ipynb (what nbdev-readme does with Quarto, done offline with nbconvert).

Cells marked `#| hide` are left out, `#| echo: false` cells show only their output, directive lines (`#| ...`) are dropped; outputs that are plain text or
markdown are kept. `--check` exits 1 if README.md differs from what would be written.
"""
import argparse, copy, sys
from pathlib import Path
import nbformat
from nbconvert import MarkdownExporter
from traitlets.config import Config

ROOT = Path(__file__).resolve().parent.parent
HEADER = "<!-- This file is generated from nbs/index.ipynb by tools/make_readme.py: edit the notebook, not this file. -->\n\n"

def _is_hidden(cell) -> bool:
    lines = cell.source.splitlines()
    return any(l.strip().replace(' ', '') in ('#|hide', '#|include:false') for l in lines if l.strip().startswith('#|'))

def readme_text(index_nb: Path) -> str:
    "README markdown for the notebook `index_nb`."
    nb = nbformat.read(index_nb, as_version=4)
    nb = copy.deepcopy(nb)
    nb.cells = [c for c in nb.cells if not _is_hidden(c)]
    for c in nb.cells:
        if c.cell_type == 'code':
            if any(l.replace(' ', '') == '#|echo:false' for l in c.source.splitlines()): c.metadata['tags'] = ['remove_input']
            c.source = '\n'.join(l for l in c.source.splitlines() if not l.strip().startswith('#|'))
            c.outputs = [o for o in c.get('outputs', []) if o.get('output_type') in ('stream', 'execute_result', 'display_data')
                         and ('text/plain' in o.get('data', {}) or 'text/markdown' in o.get('data', {}) or o.get('output_type') == 'stream')]
    nb.cells = [c for c in nb.cells if c.source.strip()]
    config = Config(TagRemovePreprocessor=dict(remove_input_tags=('remove_input',), enabled=True))
    body, _ = MarkdownExporter(config=config).from_notebook_node(nb)
    return HEADER + body.strip() + '\n'

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--check', action='store_true', help='exit 1 if README.md is out of date, without writing')
    args = ap.parse_args(argv)
    text, readme = readme_text(ROOT/'nbs'/'index.ipynb'), ROOT/'README.md'
    if args.check:
        if not readme.exists() or readme.read_text() != text:
            print("README.md is out of date with nbs/index.ipynb: run `python tools/make_readme.py`", file=sys.stderr); return 1
        return 0
    if not readme.exists() or readme.read_text() != text: readme.write_text(text)
    return 0

if __name__ == '__main__': sys.exit(main())
