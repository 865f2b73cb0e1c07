"""Faults: a load survives 20 % injected faults with frames identical to a fault-free run.

The sandbox injects 500, 502, 503 (retried with backoff), 429 (B11: waited out as the
headers say), dropped connections, truncated JSON bodies and answers slower than the client's
timeout. Offset paging (B3) and continuation-token report paging (B6) must neither lose nor
duplicate a row.
"""

from __future__ import annotations

import pandas as pd

from tests.reliability.conftest import FigureSink
from tests.reliability.leakguard import LeakGuard
from tests.reliability.scale import scaled
from tests.reliability.scenarios import fault_figures, run_faults


def test_b3_b6_b11_frames_survive_20_percent_faults(
    figures: FigureSink, leak_guard: LeakGuard
) -> None:
    """B3/B6/B11: 1,000 pages (CI: 200) with 20 % faults load identical frames; lost = dup = 0."""
    run = run_faults(scaled(200, 1000), rate=0.2, seed=1, guard=leak_guard)
    row = figures.add(fault_figures(run))
    assert run.error is None, f"the faulty load raised {type(run.error).__name__}: {run.error}"
    assert run.lost() == 0
    assert run.duplicated() == 0
    for name, frame in run.clean.items():
        pd.testing.assert_frame_equal(run.faulty[name], frame, check_exact=True)
    # Every kind of fault was exercised, and each one cost at least one retry.
    assert set(run.injected) == {"500", "502", "503", "429", "drop", "truncate", "slow"}, row.notes
    assert run.stats["retries"] >= sum(run.injected.values())
    assert run.stats["timeouts"] >= run.injected["slow"]
