"The diagnostic scripts in tools/ still import what they use from avbook and parse their arguments."
import subprocess, sys
import numpy as np
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
DIAGNOSTICS = ('sfs_audio_sensitivity.py', 'sfs_depth_epochs.py', 'sfs_probe_diagnostic.py', 'sfs_sync_diagnostic.py', 'slfm_pose_diagnostic.py')

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

def test_level_drift_is_one_offset_per_recording(monkeypatch):
    "The drift tool shifts both windows of a pair by their own recordings' offsets (dB as natural-log power); zero drift changes nothing."
    import math, torch
    from avbook.experiments.sfs import task_views
    monkeypatch.syspath_prepend(str(ROOT/'tools'))
    import sfs_audio_sensitivity
    test = task_views('relative_order', 'audio', 'static', 'smoke')['test']
    drifted, undrifted = sfs_audio_sensitivity.DriftedView(test, 4.0), sfs_audio_sensitivity.DriftedView(test, 0.0)
    for n in range(4):
        (a1, a2, y), (b1, b2, z) = test[n], drifted[n]
        clip1, clip2 = int(test.examples[n][0]), int(test.examples[n][3])
        assert torch.allclose(b1 - a1, drifted.offset_ln_power[clip1].expand_as(a1), atol=1e-5)
        assert torch.allclose(b2 - a2, drifted.offset_ln_power[clip2].expand_as(a2), atol=1e-5)
        assert y == z and all(torch.equal(u, v) for u, v in zip(test[n], undrifted[n]))
    offsets_db = drifted.offset_ln_power.numpy() * 10 / math.log(10)           # (recording, mel band)
    assert np.allclose(offsets_db, offsets_db[:, :1])                            # a level drift is the same in every band
    assert 1.5 < offsets_db[:, 0].std() < 8 and len(set(offsets_db[:, 0].round(6))) == len(offsets_db)   # one draw per recording, about 4 dB

def test_spectral_shapes_are_smooth_with_the_asked_spread(monkeypatch):
    "The tool's spectral drift has the asked standard deviation per band and changes slowly from band to band."
    monkeypatch.syspath_prepend(str(ROOT/'tools'))
    import sfs_audio_sensitivity
    shapes_db = sfs_audio_sensitivity.spectral_shapes_db(4000, 64, 3.0, 'train')
    assert np.allclose(shapes_db.std(0), 3.0, rtol=0.1)                          # 3 dB in every band
    neighbours = [np.corrcoef(shapes_db[:, j], shapes_db[:, j + 1])[0, 1] for j in range(63)]
    assert min(neighbours) > 0.95                                                # neighbouring bands move together: a smooth shape
    assert not np.allclose(shapes_db[0], shapes_db[1])                           # a different shape per recording

def test_probe_learning_curve_tells_memorised_from_general_features(monkeypatch):
    "A feature tied to the training videos fits the training split but not the held-out ones; a general one holds up and gains from more videos."
    monkeypatch.syspath_prepend(str(ROOT/'tools'))
    import sfs_probe_diagnostic as diag
    rng = np.random.default_rng(0)
    def split(first_video, n_videos, general):   # 60 dims: dim 0 carries the label (general) or each video's own dim does (memorised)
        video = np.repeat(np.arange(first_video, first_video + n_videos), 20); y = rng.integers(0, 2, len(video))
        x = rng.normal(0, 0.1, (len(y), 60)); x[np.arange(len(y)), 0 if general else video] += 2 * (2 * y - 1) + rng.normal(0, 1, len(y))
        return x, y, video
    splits = lambda general: dict(train=split(0, 40, general), val=split(40, 10, general), test=split(50, 10, general))
    for general in (True, False):
        data = splits(general)
        table = diag.penalty_table(data, 'relative_order')
        train_ap, val_ap = table[0][1], table[0][2]
        if general: assert train_ap > 80 and val_ap > 80
        else: assert train_ap > 95 and val_ap < 70                                   # fits the training videos only
    curve = diag.learning_curve(splits(True), 'relative_order', (2, 40), 0)
    assert set(curve) == {2, 40} and all(wd in diag.probes.probe_sizes('full')['probe_weight_decays'] for _, _, wd in curve.values())
    assert curve[40][0] > curve[2][0] + 5                                             # a general feature gains from more training videos

def test_pretext_budget_changes_one_scale_for_this_process(monkeypatch):
    "The diagnostic's pretext budget replaces the epochs and examples of one scale and leaves the others alone."
    monkeypatch.syspath_prepend(str(ROOT/'tools'))
    import sfs_probe_diagnostic as diag
    monkeypatch.setattr(diag.probes, 'PROBE_SIZES', diag.probes.PROBE_SIZES)
    smoke = diag.probes.probe_sizes('smoke')
    diag.set_pretext_budget('full', 10, 60)
    full = diag.probes.probe_sizes('full')
    assert (full['pretext_epochs'], full['pretext_examples_per_video']) == (10, 60)
    assert diag.probes.probe_sizes('smoke') == smoke
