"""Run every benchmark once and write their printed results to benchmarks/RESULTS.md (quoted by the docs).

Each benchmark measures a ratio against a baseline within one run, so the ratios mean something on any machine;
the absolute times depend on the machine and its load, which the file records.

    python benchmarks/run_all.py
"""
import os, platform, subprocess, sys, time
from pathlib import Path

HERE = Path(__file__).resolve().parent

def main() -> int:
    sections = []
    for script in sorted(HERE.glob('bench_*.py')):
        doc = ' '.join(script.read_text().split('"""')[1].strip().split('\n\n')[0].split())
        proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=HERE.parent)
        if proc.returncode:
            print(proc.stderr, file=sys.stderr); print(f"{script.name} failed", file=sys.stderr); return 1
        sections.append(f"### `{script.name}`\n\n{doc}\n\n```\n{proc.stdout.strip()}\n```\n")
        print(proc.stdout)
    load = os.getloadavg()[0]
    header = (f"## Benchmarks\n\nMeasured {time.strftime('%Y-%m-%d')} on {platform.machine()}, {os.cpu_count()} CPU cores, "
              f"Python {platform.python_version()}, load average {load:.1f} when the run ended "
              f"(`python benchmarks/run_all.py`). Ratios compare two ways of doing the same work in one run.\n\n")
    (HERE/'RESULTS.md').write_text(header + '\n'.join(sections))
    return 0

if __name__ == '__main__': sys.exit(main())
