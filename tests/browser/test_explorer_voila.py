"""The report explorer in the app view (Voila) and Chromium, driven like a user.

The same clicks and typing as in Notebook 7: two accounts in two currencies, the ad-set level,
two metrics, two dates, Run. The table holds the first rows of the CSV download, the CSV every
row of the same report fetched here from the same sandbox, the chart is drawn, and neither the
page nor Voila's log shows an error.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from adstudio_nb import widgets
from adstudio_nb.sandbox import Sandbox
from tests.browser.conftest import ARTIFACTS
from tests.browser.lab import free_port, serve
from tests.browser.notebook7 import (
    Picks,
    account_labels,
    expected_report,
    explorer_env,
    explorer_notebook,
    pick_and_run,
    same_rows,
    table_rows,
)

pytestmark = pytest.mark.browser

TABLE_ROWS = 200  # the explorer shows the first rows; the downloads hold every row


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed=0, rate_limits="off") as sb:
        yield sb


@pytest.fixture
def voila(tmp_path: Path, sandbox: Sandbox) -> Iterator[tuple[str, Path]]:
    """Voila serving the explorer notebook; yields its URL and its log file."""
    pytest.importorskip("voila", reason="voila is not installed (make venv installs it)")
    notebook = explorer_notebook(tmp_path / "explorer.ipynb")
    port = free_port()
    command = [sys.executable, "-m", "voila", str(notebook), "--no-browser", f"--port={port}",
               "--Voila.ip=127.0.0.1"]  # fmt: skip
    log = tmp_path / "voila.log"
    # Ready when the port opens: each GET of the page runs the notebook once more.
    with serve(command, env=explorer_env(tmp_path, sandbox.base_url), port=port, log_path=log):
        yield f"http://127.0.0.1:{port}/", log


def test_b5_b7_app_view_pick_run_shows_the_right_rows_chart_and_csv(
    browser_page: Any, voila: tuple[str, Path], sandbox: Sandbox, tmp_path: Path
) -> None:
    """B5/B7 in the app view: no code shown; what is picked is what is fetched and saved."""
    page = browser_page
    url, log = voila
    page.goto(url, timeout=90_000)
    panel = page.locator(".adstudio-panel").first
    labels = account_labels(panel)
    assert page.get_by_text("widgets.report_explorer()").count() == 0  # code is hidden
    usd = next(t for t in labels if t.endswith("(USD)"))
    eur = next(t for t in labels if t.endswith("(EUR)"))
    picks = Picks(
        accounts=[usd, eur],
        level_label="Ad sets",
        level="AD_SET",
        fields=["CLICKS", "SPEND"],
        start=date(2026, 5, 1),
        end=date(2026, 5, 3),
    )
    ids, expected = expected_report(sandbox, picks)
    assert len(expected) > TABLE_ROWS

    pick_and_run(panel, picks)
    table = panel.locator("table.adstudio-table")
    table.wait_for(timeout=120_000)
    panel.get_by_text(f"{len(expected):,} rows (the first {TABLE_ROWS} of").wait_for(timeout=30_000)
    panel.get_by_text("Money is in EUR, USD").wait_for(timeout=30_000)
    # The call to copy is the one that gives this report, and reads as code.
    call = panel.locator("pre.adstudio-call")
    assert call.inner_text() == widgets.report_call(
        ids, level="AD_SET", fields=["CLICKS", "SPEND"], start=picks.start, end=picks.end,
        granularity="DAY",
    )  # fmt: skip
    assert "monospace" in call.evaluate("pre => getComputedStyle(pre).fontFamily")

    with page.expect_download() as download:
        panel.get_by_role("link", name="Download CSV").click()
    saved = tmp_path / "report.csv"
    download.value.save_as(saved)
    got = pd.read_csv(saved, dtype={"entity_id": str})
    same_rows(got, expected)

    header, rows = table_rows(table)
    assert len(rows) == TABLE_ROWS
    shown = got.head(TABLE_ROWS)
    for column in ("entity_id", "start_time", "clicks"):
        cells = [row[header.index(column)] for row in rows]
        assert cells == [str(v) for v in shown[column]], column

    chart = panel.locator("img").last
    chart.wait_for(timeout=30_000)
    assert chart.evaluate("img => img.complete && img.naturalWidth > 100")

    assert panel.get_by_role("button", name="Run").is_enabled()
    page_text = page.locator("body").inner_text()
    assert "Traceback" not in page_text
    assert not re.search(r"\b\w+Error\b", page_text)
    assert "Traceback" not in log.read_text()  # Voila hides tracebacks from the page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "explorer-voila.png"), full_page=True)
