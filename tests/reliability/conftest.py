"""Fixtures of the reliability suite: the secrets guard around every test, and figures.

Every test here runs under a :class:`~tests.reliability.leakguard.LeakGuard`: all loggers at
DEBUG into a capture, every sandbox the test starts watched, and at teardown no secret those
sandboxes issued (nor any the test registered) may appear in a log record or a noted message
(DESIGN.md section 4). Tests record :class:`~tests.reliability.figures.Figures`; with
``ADSTUDIO_FIGURES_FILE`` set they are written there as JSON at the end of the session, which
is how ``python -m tests.reliability.soak`` builds its table.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from adstudio_nb.sandbox import Sandbox
from tests.reliability.figures import Figures
from tests.reliability.leakguard import LeakGuard

FIGURES_ENV = "ADSTUDIO_FIGURES_FILE"


class FigureSink:
    """The figures recorded during a session, plus the canary's running totals."""

    def __init__(self) -> None:
        self.rows: list[Figures] = []
        self.canary = Figures(
            "secrets canary (all tests)", notes="DEBUG logs + error texts of every test"
        )
        self.canary.details = {"log_records": 0, "messages": 0, "secrets": 0, "leaks": []}

    def add(self, figures: Figures) -> Figures:
        """Record one row; return it."""
        self.rows.append(figures)
        return figures

    def write(self, path: Path) -> None:
        """Write every row (the canary last) as JSON."""
        rows = [*self.rows, self.canary] if self.canary.count else self.rows
        path.write_text(json.dumps([r.to_json() for r in rows], indent=2), encoding="utf-8")


_SINK = FigureSink()


@pytest.fixture(scope="session")
def figures() -> FigureSink:
    """The session's figure sink."""
    return _SINK


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write the figures where the soak runner asked for them."""
    target = os.environ.get(FIGURES_ENV)
    if target:
        _SINK.write(Path(target))


@pytest.fixture(autouse=True)
def leak_guard(monkeypatch: pytest.MonkeyPatch) -> Iterator[LeakGuard]:
    """Capture DEBUG logs, watch every sandbox started, and fail on any secret found."""
    guard = LeakGuard()
    original_start = Sandbox.start

    def watched_start(self: Sandbox) -> Sandbox:
        guard.watch(self)
        return original_start(self)

    monkeypatch.setattr(Sandbox, "start", watched_start)
    with guard.logging_at_debug():
        yield guard
    leaks = guard.leaks()
    canary = _SINK.canary
    canary.count += 1
    canary.failures += len(leaks)
    canary.details["log_records"] += guard.log_lines
    canary.details["messages"] += len(guard.texts)
    canary.details["secrets"] += len(guard.all_secrets())
    canary.details["leaks"].extend(str(leak)[:300] for leak in leaks[:5])
    assert not leaks, "secrets leaked:\n" + "\n".join(str(leak) for leak in leaks[:10])
