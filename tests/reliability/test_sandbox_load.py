"""The sandbox under load: many concurrent clients, only injected errors, limits per pair (B11).

64 clients x 500 requests (CI: 16 x 100), each client its own app + user pair, with 5 % of
the answers faulted on purpose: every answer other than 200 must be one of the injected
faults. Then one pair is pushed past Spotify's limits (150 reporting and 1,500 requests per
30 s, B11): it gets 429s with the B11 headers, while other pairs of the same app or the same
user are unaffected, and the window resets after 30 s (the limiter's clock is frozen and moved
by hand, so nothing depends on the test's speed).
"""

from __future__ import annotations

import json
import uuid

from tests.reliability.conftest import FigureSink
from tests.reliability.scale import scaled
from tests.reliability.scenarios import limit_figures, load_figures, run_load, run_rate_limits


def test_b11_concurrent_clients_see_only_injected_errors(figures: FigureSink) -> None:
    """B11: 64 x 500 requests (CI: 16 x 100) from distinct pairs: no error but injected ones."""
    run = run_load(scaled(16, 64), scaled(100, 500), fault_rate=0.05)
    figures.add(load_figures(run))
    assert run.not_injected() == {}, run.outcomes
    assert sum(run.outcomes.values()) == run.requests
    assert run.outcomes["200"] == run.requests - sum(run.injected.values())
    assert run.latencies_ms  # reported as p50/p99 by the soak table, not asserted


def test_b11_limits_apply_per_client_and_user(figures: FigureSink) -> None:
    """B11: one pair past 150 reporting / 1,500 general gets 429s; other pairs do not."""
    run = run_rate_limits()
    figures.add(limit_figures(run))
    assert run.pushed["reporting"] == {200: 150, 429: 20}
    assert run.pushed["general"] == {200: 1350, 429: 50}  # reporting counted against both
    for bucket, headers in run.headers_429.items():
        assert headers["X-RateLimit-Limit"] == ("150" if bucket == "reporting" else "1500")
        assert headers["X-RateLimit-Remaining"] == "0"
        assert 1 <= int(headers["X-RateLimit-Reset"]) <= 30
        assert headers["Retry-After"] == headers["X-RateLimit-Reset"]
        body = json.loads(headers["body"])
        uuid.UUID(body["sp_trace_id"])  # B9
        assert body["messages"]
    assert run.others == {
        "same app, other user (general)": 200,
        "same app, other user (reporting)": 200,
        "other app, same user (general)": 200,
        "other app, same user (reporting)": 200,
    }
    assert run.after_reset == 200
