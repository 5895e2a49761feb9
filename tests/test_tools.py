"The diagnostic scripts in tools/ still import what they use from avbook and parse their arguments."
import subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
DIAGNOSTICS = ('sfs_depth_epochs.py', 'sfs_sync_diagnostic.py', 'slfm_pose_diagnostic.py')

@pytest.mark.parametrize('name', DIAGNOSTICS)
def test_help_runs(name):
    "`--help` imports the script's avbook names (a renamed function fails here) and prints its usage."
    out = subprocess.run([sys.executable, str(ROOT/'tools'/name), '--help'], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.startswith('usage:'), out.stdout[:500]

def test_heads_mode_needs_a_network():
    "The SLfM diagnostic's heads mode refuses to start without a saved network, before loading any data."
    out = subprocess.run([sys.executable, str(ROOT/'tools'/'slfm_pose_diagnostic.py'), 'heads'], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 2 and '--load-network' in out.stderr, out.stderr[-2000:]
