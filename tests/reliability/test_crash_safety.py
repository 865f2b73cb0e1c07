"""Crash safety: a process SIGKILLed while saving tokens never leaves a broken token file.

``FileTokenStore.save`` writes a 0600 temporary file, fsyncs it and renames it over the old
one under the file lock (DESIGN.md: token_store owns "0600, atomic replace, locked"). Killed
at any instant, the file holds the old token or the new one (a lost refresh token means a new
login, A8/A10), and readers in other processes never see half a file.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.reliability.conftest import FigureSink
from tests.reliability.scale import scaled
from tests.reliability.scenarios import crash_figures, run_crashes

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL and POSIX file modes")


def test_a8_sigkill_during_save_leaves_old_or_new_token(
    tmp_path: Path, figures: FigureSink
) -> None:
    """A8: 200 kills (CI: 30) mid-save: always readable, always the old or the new token."""
    run = run_crashes(tmp_path / "tokens", runs=scaled(30, 200))
    figures.add(crash_figures(run))
    assert run.problems == []
    assert run.unreadable == 0 and run.wrong == 0 and run.bad_reads == 0
    assert run.runs == scaled(30, 200)
    assert run.saves > 0, "the workers never finished a save: the kills came too early"
    assert run.leftovers_after_save == 0
    assert run.file_mode == 0o600
