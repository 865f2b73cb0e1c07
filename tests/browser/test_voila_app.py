"""The onboarding app view (Voila): no code, the buttons work as in JupyterLab."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.lab import free_port, serve, zero_config_env
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.browser


@pytest.fixture
def voila(tmp_path: Path) -> Iterator[str]:
    pytest.importorskip("voila", reason="voila is not installed (make test installs it)")
    port = free_port()
    notebook = REPO_ROOT / "notebooks" / "01_onboarding.ipynb"
    command = [sys.executable, "-m", "voila", str(notebook), "--no-browser", f"--port={port}",
               "--Voila.ip=127.0.0.1"]  # fmt: skip
    with serve(command, env=zero_config_env(tmp_path), port=port, log_path=tmp_path / "voila.log"):
        yield f"http://127.0.0.1:{port}/"


def test_app_view_login_and_accounts(browser_page: Any, voila: str) -> None:
    """A1-A7, B1 in the app view: no code shown; log in through the button; table appears."""
    page = browser_page
    page.goto(voila, timeout=90_000)
    link = page.get_by_role("link", name="Open Spotify login")
    link.wait_for(timeout=90_000)
    assert page.get_by_text("widgets.login_panel()").count() == 0  # code is hidden
    with page.context.expect_page() as new_tab:
        link.click()
    tab = new_tab.value
    tab.get_by_role("button", name="Agree").click()
    tab.get_by_text("You are logged in").wait_for(timeout=30_000)
    page.bring_to_front()
    table = page.locator("table.dataframe").first
    table.wait_for(timeout=60_000)
    assert "currency_code" in table.inner_text()
    # The app ends with the report explorer, filled in by the login: the accounts by name.
    explorer = page.locator(".adstudio-panel", has_text="Report explorer")
    options = explorer.locator("select[multiple]").first.locator("option")
    options.first.wait_for(timeout=60_000)
    labels = options.all_inner_texts()
    assert any(label.strip().endswith("(USD)") for label in labels), labels
    assert any(label.strip().endswith("(EUR)") for label in labels), labels
    assert page.get_by_text("widgets.report_explorer()").count() == 0  # code is hidden
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "voila-app.png"), full_page=True)
