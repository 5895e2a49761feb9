"""Offline docs check: every page of the site renders, with its figures.

Quarto cannot be installed everywhere, so this proves the content instead: `nbdev-proc-nbs` applies nbdev's
processors (what `nbdev-docs` feeds Quarto) into `_proc/`, then each processed notebook is converted to HTML with
nbconvert. A page fails when conversion raises, when it is empty, or when it loses a figure its notebook has.
Markdown pages (`*.md`, `*.qmd`) must be non-empty and start with a title.
"""
import subprocess, sys
from pathlib import Path
import nbformat
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parent.parent
CELL_KEYS = {'cell_type', 'execution_count', 'id', 'metadata', 'outputs', 'source', 'attachments'}

def n_figures(nb) -> int:
    return sum(1 for c in nb.cells if c.cell_type == 'code' for o in c.get('outputs', [])
               if any(k.startswith('image/') for k in o.get('data', {})))

def main() -> int:
    proc = subprocess.run(['nbdev-proc-nbs'], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode: print(proc.stdout, proc.stderr); print("nbdev-proc-nbs failed", file=sys.stderr); return 1
    proc_dir, problems, pages = ROOT/'_proc', [], 0
    exporter = HTMLExporter(template_name='classic')
    for src in sorted((ROOT/'nbs').rglob('*.ipynb')):
        if '.ipynb_checkpoints' in src.parts or any(p.startswith(('_', '.')) for p in src.relative_to(ROOT/'nbs').parts): continue
        rel = src.relative_to(ROOT/'nbs'); processed = proc_dir/rel
        if not processed.exists(): problems.append(f"{rel}: nbdev-proc-nbs did not produce it"); continue
        nb = nbformat.read(processed, as_version=4)
        for cell in nb.cells:  # nbdev's processors leave bookkeeping keys (e.g. `has_sd`) that Quarto ignores but nbformat rejects
            for key in set(cell) - CELL_KEYS: del cell[key]
            cell.metadata.pop('execution', None)
        try: html, _ = exporter.from_notebook_node(nb)
        except Exception as e: problems.append(f"{rel}: does not render: {type(e).__name__}: {e}"); continue
        want, got = n_figures(nbformat.read(src, as_version=4)), html.count('<img')
        if len(html) < 1000: problems.append(f"{rel}: rendered page is empty")
        if got < want: problems.append(f"{rel}: {want} figure(s) in the notebook, {got} in the page")
        pages += 1
        print(f"  ok  {rel}  ({want} figures)")
    for md in sorted(list((ROOT/'nbs').rglob('*.md')) + list((ROOT/'nbs').rglob('*.qmd'))):
        if any(p.startswith(('_', '.')) for p in md.relative_to(ROOT/'nbs').parts): continue
        text = md.read_text()
        if not text.lstrip().startswith(('#', '---')): problems.append(f"{md.relative_to(ROOT)}: page has no title")
        else: pages += 1; print(f"  ok  {md.relative_to(ROOT/'nbs')}")
    for p in problems: print(f"  FAIL {p}", file=sys.stderr)
    print(f"{pages} pages render, {len(problems)} problems")
    return 1 if problems else 0

if __name__ == '__main__': sys.exit(main())
