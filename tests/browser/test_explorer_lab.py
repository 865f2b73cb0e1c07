"""The report explorer in a real JupyterLab and Chromium: pick two accounts and two metrics,
click Run, and the table and the ads.report(...) call to copy appear (the kernel stays free)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.lab import jupyterlab, open_and_run_all
from tests.browser.notebook7 import explorer_notebook

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("explorer-lab")
    with jupyterlab(root, {"explorer.ipynb": explorer_notebook(root / "explorer.ipynb")}) as base:
        yield base


def test_b5_pick_two_accounts_and_two_metrics_run_shows_the_table_and_the_call(
    browser_page: Any, lab: str
) -> None:
    page = browser_page
    open_and_run_all(page, lab, "explorer.ipynb")
    panel = page.locator(".adstudio-panel").first
    panel.get_by_text("ad accounts: pick some, then click Run").wait_for(timeout=90_000)
    accounts, metrics = (
        panel.locator("select[multiple]").nth(0),
        panel.locator("select[multiple]").nth(1),
    )
    labels = [t.strip() for t in accounts.locator("option").all_inner_texts()]
    usd = next(t for t in labels if t.endswith("(USD)"))
    eur = next(t for t in labels if t.endswith("(EUR)"))
    accounts.select_option(label=[usd, eur])
    metrics.select_option(label=["IMPRESSIONS (count)", "SPEND (currency)"])
    panel.get_by_text("Money spent").wait_for(timeout=30_000)  # the metrics' meanings
    panel.get_by_role("button", name="Run").click()
    table = panel.locator("table.adstudio-table")
    table.wait_for(timeout=120_000)
    call = panel.locator("pre.adstudio-call")
    call.wait_for(timeout=30_000)
    text = call.inner_text()
    assert text.startswith("ads.report(") and "fields=['IMPRESSIONS', 'SPEND']" in text
    assert text.count("'") >= 8  # two account ids among the arguments
    header = table.locator("thead").inner_text()
    assert "impressions" in header and "spend" in header and "currency_code" in header
    # Option labels keep their spacing with no-break spaces; the table uses plain ones.
    first_name = " ".join(usd.replace("\xa0", " ").rsplit(" (", 1)[0].split())
    assert first_name in table.locator("tbody").inner_text()  # the first account
    panel.get_by_text("Money is in EUR, USD").wait_for(timeout=30_000)  # both, per currency
    assert panel.get_by_role("link", name="Download CSV").count() == 1
    assert "Traceback" not in panel.inner_text()
