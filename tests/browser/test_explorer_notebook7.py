"""The report explorer in a real Jupyter Notebook 7 and Chromium, driven like a user.

Click two accounts (two currencies), pick the ad-set level, click two metrics, type two dates,
click Run: the table holds the report's first rows, the chart is drawn, the CSV and Parquet
downloads hold every row of the same report fetched here from the same sandbox, and the
``ads.report(...)`` call to copy is the one that gives it. No traceback or error output anywhere
on the page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from adstudio_nb import widgets
from adstudio_nb.sandbox import Sandbox
from tests.browser.conftest import ARTIFACTS
from tests.browser.notebook7 import (
    Picks,
    account_labels,
    expected_report,
    explorer_env,
    explorer_notebook,
    notebook7,
    open_and_run_all,
    pick_and_run,
    same_rows,
    table_rows,
)

pytestmark = pytest.mark.browser

TABLE_ROWS = 200  # the explorer shows the first rows; the downloads hold every row


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed=0, rate_limits="off") as sb:
        yield sb


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, sandbox: Sandbox) -> Iterator[str]:
    pytest.importorskip("notebook", reason="Jupyter Notebook 7 is not installed (make venv)")
    root = tmp_path_factory.mktemp("explorer-notebook7")
    env = explorer_env(root, sandbox.base_url)
    with notebook7(root, explorer_notebook(root / "explorer.ipynb"), env) as base:
        yield base


def test_b5_b7_pick_run_shows_the_right_rows_chart_csv_and_call(
    browser_page: Any, server: str, sandbox: Sandbox, tmp_path: Path
) -> None:
    """B5/B7 in Notebook 7: what is clicked and typed is what is fetched, shown and saved."""
    page = browser_page
    open_and_run_all(page, server, "explorer.ipynb")
    panel = page.locator(".adstudio-panel").first
    labels = account_labels(panel)
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
    assert len(expected) > TABLE_ROWS  # the table shows a part, the CSV all of it

    pick_and_run(panel, picks)
    table = panel.locator("table.adstudio-table")
    table.wait_for(timeout=120_000)
    status = panel.get_by_text(f"{len(expected):,} rows (the first {TABLE_ROWS} of")
    status.wait_for(timeout=30_000)
    panel.get_by_text("Money is in EUR, USD").wait_for(timeout=30_000)  # both, per currency

    # The call to copy says exactly what was picked.
    call = panel.locator("pre.adstudio-call").inner_text()
    for text in (
        "ads.report(",
        *(repr(i) for i in ids),
        "level='AD_SET'",
        "fields=['CLICKS', 'SPEND']",
        "start='2026-05-01'",
        "end='2026-05-03'",
        "granularity='DAY'",
    ):
        assert text in call, call
    assert call == widgets.report_call(
        ids, level="AD_SET", fields=["CLICKS", "SPEND"], start=picks.start, end=picks.end,
        granularity="DAY",
    )  # fmt: skip

    # The CSV download holds every row of the report.
    link = panel.get_by_role("link", name="Download CSV")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "report.csv"
    saved = tmp_path / "report.csv"
    download.value.save_as(saved)
    got = pd.read_csv(saved, dtype={"entity_id": str})
    same_rows(got, expected)
    with page.expect_download() as parquet:
        panel.get_by_role("link", name="Download Parquet").click()
    assert parquet.value.suggested_filename == "report.parquet"
    parquet.value.save_as(tmp_path / "report.parquet")
    same_rows(pd.read_parquet(tmp_path / "report.parquet"), expected)

    # The table shows the first rows of that same frame, column by column.
    header, rows = table_rows(table)
    assert len(rows) == TABLE_ROWS
    assert "ad_account_id" not in header
    assert {"entity_name", "clicks", "spend", "currency_code", "start_time"} <= set(header)
    shown = got.head(TABLE_ROWS)
    for column in ("entity_id", "entity_name", "start_time", "clicks", "currency_code"):
        cells = [row[header.index(column)] for row in rows]
        assert cells == [str(v) for v in shown[column]], column

    # The chart is a decoded image, not an empty placeholder.
    chart = panel.locator("img").last
    chart.wait_for(timeout=30_000)
    assert chart.evaluate("img => img.complete && img.naturalWidth > 100")

    assert panel.get_by_role("button", name="Run").is_enabled()
    notebook_text = page.locator(".jp-Notebook").inner_text()
    assert "Traceback" not in notebook_text
    stderr = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert stderr.count() == 0, stderr.all_inner_texts()
    assert not re.search(r"\b\w+Error\b", panel.inner_text())
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "explorer-notebook7.png"), full_page=True)
