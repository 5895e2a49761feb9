"Cache behaviour across processes, and determinism of seeding: what a notebook cell cannot show."
import json, multiprocessing as mp, os, signal, subprocess, sys, textwrap, time
from pathlib import Path
import numpy as np
import pytest
import torch
from avbook.core import Cache, cached, cache_main, item_rng, seed_everything, get_scale, ScaleTable, ParameterError

def _build_counting(root, counter):
    "Build one entry slowly, recording each real build in `counter` (run in a child process)."
    def make():
        with open(counter, 'a') as f: f.write('built\n')
        time.sleep(1.0)
        return torch.arange(5)
    return cached('concurrent', dict(n=5), make, version='t', cache=Cache(root), verbose=False).tolist()

def test_two_processes_build_once(tmp_path):
    counter = tmp_path/'count.txt'
    with mp.get_context('spawn').Pool(2) as pool:
        results = pool.starmap(_build_counting, [(str(tmp_path/'c'), str(counter))]*2)
    assert results == [[0, 1, 2, 3, 4]]*2
    assert counter.read_text().count('built') == 1, "the second process must wait for the first and reuse its entry"

def test_killed_build_leaves_no_entry_and_is_rebuilt(tmp_path):
    root = tmp_path/'c'
    script = textwrap.dedent(f"""
        import time, torch
        from avbook.core import Cache, cached
        def make(): time.sleep(30); return torch.zeros(1)
        cached('killed', dict(a=1), make, version='t', cache=Cache({str(root)!r}), verbose=False)
    """)
    proc = subprocess.Popen([sys.executable, '-c', script])
    deadline = time.time() + 60
    while time.time() < deadline and not list((root/'killed').glob('.*tmp*')): time.sleep(0.2)
    proc.send_signal(signal.SIGKILL); proc.wait()
    assert not [e for e in Cache(root).entries('killed') if e.valid]
    value = cached('killed', dict(a=1), lambda: torch.ones(1), version='t', cache=Cache(root), verbose=False)
    assert value.tolist() == [1.0]
    assert [e.valid for e in Cache(root).entries('killed')] == [True]

def test_entry_with_missing_file_is_rebuilt(tmp_path):
    cache, calls = Cache(tmp_path), []
    def build(folder): calls.append(1); (folder/'a.bin').write_bytes(b'x'); (folder/'b.bin').write_bytes(b'y')
    path = cache.get_or_build('r', {}, build, version='t')
    (path/'b.bin').unlink()
    cache.get_or_build('r', {}, build, version='t')
    assert len(calls) == 2

def test_build_writing_nothing_is_an_error(tmp_path):
    with pytest.raises(Exception, match='wrote no files'):
        Cache(tmp_path).get_or_build('r', {}, lambda folder: None, version='t')

def test_cache_command(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv('AVBOOK_CACHE', str(tmp_path))
    cached('shown', dict(k=1), lambda: torch.zeros(3), verbose=False)
    assert cache_main(['show']) == 0
    assert 'shown' in capsys.readouterr().out
    assert cache_main(['clear']) == 0 and Cache().entries() == []

def test_seeding_is_deterministic_across_processes():
    code = "from avbook.core import seed_everything; import torch; seed_everything(7); print(torch.randn(3).tolist())"
    outs = {subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True).stdout for _ in range(2)}
    assert len(outs) == 1

def test_item_rng_does_not_depend_on_order():
    forward = [item_rng(0, 'ds', i).random() for i in range(5)]
    backward = [item_rng(0, 'ds', i).random() for i in reversed(range(5))][::-1]
    assert forward == backward

def test_bad_seed_and_scale():
    with pytest.raises(ParameterError, match='seed=-1'): seed_everything(-1)
    with pytest.raises(ParameterError, match='smoke, full, paper'): get_scale('medium')
    with pytest.raises(ParameterError, match='unknown scale'): ScaleTable(smoke={}, full={}, paper={}, huge={})
