"""Token concurrency: 16 threads and 4 processes share one token file across expiries.

The app rotates refresh tokens (A8), so spending one twice answers ``invalid_grant``. The
file store's lock and the flow's re-read under it must make exactly one refresh request per
access-token expiry (A11), counted at the sandbox, and every participant must end up with the
same working token.
"""

from __future__ import annotations

from pathlib import Path

from tests.reliability.conftest import FigureSink
from tests.reliability.leakguard import LeakGuard
from tests.reliability.scale import scaled
from tests.reliability.scenarios import run_token_concurrency, token_figures


def test_a8_a11_one_refresh_per_expiry_across_threads_and_processes(
    tmp_path: Path, figures: FigureSink, leak_guard: LeakGuard
) -> None:
    """A8/A11: one refresh request per expiry, zero invalid_grant, one token per round."""
    rounds = scaled(3, 20)
    run = run_token_concurrency(
        tmp_path / "tokens", rounds=rounds, threads=16, processes=4, guard=leak_guard
    )
    figures.add(token_figures(run))
    assert run.errors() == []
    assert run.invalid_grants == 0
    assert run.refreshes == [1] * rounds
    assert run.tokens_per_round() == [1] * rounds
