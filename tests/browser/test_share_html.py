"""The shared walkthrough opens offline in a real browser with every network request blocked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from adstudio_nb.share import share_notebook
from tests.browser.conftest import ARTIFACTS
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.browser


def _open_offline(chromium: Any, path: Path) -> tuple[Any, list[str]]:
    context = chromium.new_context(viewport={"width": 1100, "height": 1400})
    blocked: list[str] = []

    def only_the_file(route: Any) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_the_file)
    page = context.new_page()
    page.goto(path.as_uri())
    return page, blocked


def test_shared_onboarding_shows_the_accounts_table_offline(chromium: Any, tmp_path: Path) -> None:
    """The page needs no network: the accounts table is there and nothing was requested."""
    out = share_notebook(REPO_ROOT / "notebooks" / "01_onboarding.ipynb", tmp_path / "tour.html")
    page, blocked = _open_offline(chromium, out.output)
    try:
        table = page.locator("table.dataframe").first
        table.scroll_into_view_if_needed()
        assert "currency_code" in table.inner_text()
        assert page.get_by_text("Logged in as Alex Analyst").first.is_visible()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "shared-walkthrough.png"))
        assert blocked == []
    finally:
        page.context.close()


def test_shared_notebook_with_plots_shows_a_plot_offline(chromium: Any, tmp_path: Path) -> None:
    """A shared analysis notebook carries its plots inline (no network)."""
    candidates = sorted((REPO_ROOT / "notebooks").glob("0[23]_*.ipynb"))
    if not candidates:
        pytest.skip("no analysis notebook with plots in this repository yet")
    out = share_notebook(candidates[-1], tmp_path / "analysis.html", hide_code=True)
    page, blocked = _open_offline(chromium, out.output)
    try:
        images = page.locator("img[src^='data:image/png']")
        assert images.count() >= 1
        assert images.first.evaluate("img => img.naturalWidth") > 100
        assert blocked == []
    finally:
        page.context.close()
