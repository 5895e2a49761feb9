"Bad input to the Structure from Silence Table 2/3 experiment code fails early with a message that says how to fix it."
import numpy as np
import pytest
import torch
from avbook.core import ParameterError, DataError
from avbook.data.sfs import build_sfs_dataset, absolute_depth_dataset
from avbook.reproduce import require_simulator
from avbook.experiments.sfs_depth import (ReferenceDepthView, JointDepthLoss, DEPTH_SIMULATOR_ONLY, depth_higher_is_better, conditional_view,
                                          depth_loss, depth_views, depth_predictions, reference_frames, no_input_outputs)

def test_unknown_setting_modality_and_row():
    with pytest.raises(ParameterError, match='setting'): depth_views('stereo', 'audio', 'smoke')
    with pytest.raises(ParameterError, match='modality'): depth_views('ratio', 'radar', 'smoke')
    with pytest.raises(ParameterError, match='row'): depth_predictions('ratio', 'oracle', 'smoke')
    with pytest.raises(ParameterError, match='scale'): depth_views('ratio', 'audio', 'huge')

def test_reference_needs_motion_and_a_long_enough_video():
    static = absolute_depth_dataset(build_sfs_dataset('static', 'test', 'smoke'))
    with pytest.raises(ParameterError, match='motion'): reference_frames(static, 0)
    motion = absolute_depth_dataset(build_sfs_dataset('motion', 'test', 'smoke'))
    with pytest.raises(ParameterError, match='min_gap_s'): reference_frames(motion, 0, min_gap_s=1e3)

def test_reference_view_lengths_must_match():
    view = conditional_view(absolute_depth_dataset(build_sfs_dataset('motion', 'test', 'smoke')), 0)
    with pytest.raises(ParameterError, match='reference_depth_m'): ReferenceDepthView(view.pairs, view.reference_depth_m[:-1])

def test_loss_checks_the_output_width():
    loss = depth_loss('single', np.linspace(0.5, 3, 10), 3.0766)
    with pytest.raises(ParameterError, match='expected'): loss(torch.zeros(4, 10), torch.ones(4))
    assert torch.isfinite(loss(torch.zeros(4, 11), torch.ones(4)))
    with pytest.raises(ParameterError, match='setting'): depth_loss('absolute', np.linspace(0.5, 3, 10), 3.0766)

def test_no_input_is_the_median_and_the_prior():
    targets, centers = np.array([0.5, 0.6, 0.7, 2.0, 2.1]), np.array([0.6, 2.05])
    out = no_input_outputs(targets, centers, 3)
    assert out.shape == (3, 3) and np.allclose(out[:, 0], 0.7) and np.allclose(np.exp(out[0, 1:]), [0.6, 0.4], atol=1e-5)

def test_real_data_root_is_refused_clearly():
    for artifact in ('table2', 'table3'):
        require_simulator(None, 'sfs', artifact, DEPTH_SIMULATOR_ONLY)
        with pytest.raises(DataError, match=f"data_root='/data/quiet-campus': sfs {artifact} runs on the simulator only: .*not wired to them yet.*"
                                            r"sfs table1 \(read by avbook.data.sfs_real\).*data_root=None"):
            require_simulator('/data/quiet-campus', 'sfs', artifact, DEPTH_SIMULATOR_ONLY)

def test_claim_column_must_be_known():
    with pytest.raises(ParameterError, match='column'): depth_higher_is_better('auc')
    assert [depth_higher_is_better(c) for c in ('mae', 'median_error', 'r2', 'top1', 'top5', 'avg_dist')] == [False, False, True, True, True, False]
