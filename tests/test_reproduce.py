"Claims over 95 % intervals and the simulator-only refusal, shared by every reproduction (avbook.reproduce)."
import math
import pandas as pd
import pytest
from avbook.core import DataError
from avbook.reproduce import claim_ci_separated, evaluate_claims, require_simulator

def _frame(**rows):   # row -> (estimate, low, high) of column 'm'
    return pd.DataFrame({'m': [v[0] for v in rows.values()], 'm_lo': [v[1] for v in rows.values()],
                         'm_hi': [v[2] for v in rows.values()]}, index=list(rows))

def _held(claim, frame): return evaluate_claims([claim], frame)[0].held

def test_higher_is_better_needs_separated_intervals():
    apart, touching = _frame(a=(80, 75, 85), b=(60, 55, 70)), _frame(a=(80, 70, 85), b=(60, 55, 70))
    assert _held(claim_ci_separated('a beats b', 'a', 'b', 'm'), apart)
    assert not _held(claim_ci_separated('a beats b', 'a', 'b', 'm'), touching)      # 70 > 70 is false: the intervals meet
    assert not _held(claim_ci_separated('b beats a', 'b', 'a', 'm'), apart)

def test_lower_is_better_compares_the_other_bounds():
    errors = _frame(a=(0.5, 0.45, 0.55), b=(0.9, 0.8, 1.0))
    assert _held(claim_ci_separated('a has the lower error', 'a', 'b', 'm', higher_is_better=False), errors)
    assert not _held(claim_ci_separated('a has the higher score', 'a', 'b', 'm'), errors)

def test_several_losers_must_each_be_beaten():
    t = _frame(a=(80, 75, 85), b=(60, 55, 70), c=(74, 72, 76))
    assert _held(claim_ci_separated('a beats b', 'a', ['b'], 'm'), t)
    assert not _held(claim_ci_separated('a beats b and c', 'a', ['b', 'c'], 'm'), t)
    assert evaluate_claims([claim_ci_separated('x', 'a', ['b', 'c'], 'm')], t)[0].detail == \
        'm (higher is better): a 80 [75, 85] vs b 60 [55, 70]; c 74 [72, 76]'

def test_missing_or_nan_bounds_fail():
    t = _frame(a=(80, math.nan, 85), b=(60, 55, 70))
    assert not _held(claim_ci_separated('a beats b', 'a', 'b', 'm'), t)
    verdict = evaluate_claims([claim_ci_separated('a beats z', 'a', 'z', 'm', weak=True)], t)[0]
    assert not verdict.held and verdict.weak and verdict.detail.startswith('could not be evaluated')

def test_require_simulator_says_what_why_where_and_how():
    require_simulator(None, 'sfs', 'fig5', 'a walk through a held-out room is needed')
    with pytest.raises(DataError) as e: require_simulator('/data/qc', 'sfs', 'fig5', 'a walk through a held-out room is needed')
    msg = str(e.value)
    assert msg.startswith("data_root='/data/qc': sfs fig5 runs on the simulator only: a walk through a held-out room is needed.")
    assert 'sfs table1 (read by avbook.data.sfs_real)' in msg and msg.endswith('Pass data_root=None to run sfs fig5 on the simulator.')
