"""Off the main path, in a real JupyterLab and Chromium: the panels follow the one login state.

Forget, a revoke in the dashboard, Cancel and a listener's timeout each end with the person
logging in again through the link on show, and the ad accounts table coming back.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

from tests.browser.lab import jupyterlab, open_and_run_all
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.browser
ONBOARDING = REPO_ROOT / "notebooks" / "01_onboarding.ipynb"
TIMEOUT_S = 4


def _with_short_listener(root: Path) -> Path:
    """A copy of the onboarding notebook whose first login link waits only a few seconds.

    The cell after the login panel sets the usual wait again, so the link that replaces the
    timed-out one waits long enough for the test to click it.
    """
    notebook = nbformat.read(ONBOARDING, as_version=4)
    first = next(cell for cell in notebook.cells if "onboarding()" in cell.source)
    first.source = first.source.replace("onboarding()", f"onboarding(listen_timeout_s={TIMEOUT_S})")
    at = next(i for i, cell in enumerate(notebook.cells) if "login_panel()" in cell.source)
    notebook.cells.insert(at + 1, nbformat.v4.new_code_cell("onboarding().listen_timeout_s = 300"))
    for number, cell in enumerate(notebook.cells):
        cell.id = str(number)
    path = root / "short.ipynb"
    nbformat.write(notebook, path)
    return path


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("session-lab")
    notebooks: dict[str, str | Path] = {
        "forget.ipynb": ONBOARDING.name,
        "revoke.ipynb": ONBOARDING.name,
        "cancel.ipynb": ONBOARDING.name,
        "timeout.ipynb": _with_short_listener(root),
    }
    with jupyterlab(root, notebooks) as base:
        yield base


def _panel(page: Any, index: int) -> Any:
    """The onboarding notebook's panels: 0 set-up, 1 login, 2 tokens, 3 accounts."""
    return page.locator(".adstudio-panel").nth(index)


def _open_login(page: Any) -> Any:
    """Click the login panel's link; return the new tab."""
    link = _panel(page, 1).get_by_role("link", name="Open Spotify login")
    link.wait_for(timeout=60_000)
    with page.context.expect_page() as new_tab:
        link.click()
    return new_tab.value


def _agree(tab: Any) -> None:
    """Agree on the consent page (skipped when consent is remembered); the listener answers."""
    agree = tab.get_by_role("button", name="Agree")
    done = tab.get_by_text("You are logged in")
    agree.or_(done).first.wait_for(timeout=30_000)
    if agree.count():
        agree.click()
    done.wait_for(timeout=30_000)
    tab.close()


def _logged_in_with_table(page: Any) -> None:
    page.bring_to_front()
    _panel(page, 1).get_by_text("Logged in as Alex Analyst").wait_for(timeout=60_000)
    _panel(page, 3).locator("table.dataframe").wait_for(timeout=60_000)
    assert "Not logged in" not in _panel(page, 2).inner_text()
    assert "fingerprint" in _panel(page, 2).inner_text()


def _start(page: Any, lab: str, notebook: str) -> None:
    open_and_run_all(page, lab, notebook)
    _panel(page, 3).get_by_text("Waiting for authorization").wait_for(timeout=90_000)
    _agree(_open_login(page))
    _logged_in_with_table(page)


def test_forget_then_log_in_again(browser_page: Any, lab: str) -> None:
    """Forget tokens: every panel says so at once; the link on show logs in again."""
    page = browser_page
    _start(page, lab, "forget.ipynb")
    _panel(page, 2).get_by_role("button", name="Forget tokens").click()
    _panel(page, 1).get_by_text("deleted from this computer").wait_for(timeout=30_000)
    assert "Logged in as" not in _panel(page, 1).inner_text()
    assert "fingerprint" not in _panel(page, 2).inner_text()
    assert _panel(page, 3).locator("table.dataframe").count() == 0
    _agree(_open_login(page))
    _logged_in_with_table(page)


def test_revoke_in_the_dashboard_then_log_in_again(browser_page: Any, lab: str) -> None:
    """A9, D7: revoked in the dashboard; Load says so on every panel; logging in again works."""
    page = browser_page
    _start(page, lab, "revoke.ipynb")
    with page.context.expect_page() as new_tab:
        _panel(page, 2).get_by_role("link", name="sandbox dashboard").click()
    dashboard = new_tab.value
    dashboard.get_by_role("button", name="Revoke access of alex.analyst").click()
    dashboard.wait_for_url("**/dashboard?revoked=alex.analyst")
    dashboard.close()
    page.bring_to_front()
    _panel(page, 3).get_by_role("button", name="Load ad accounts").click()
    _panel(page, 1).get_by_text("Spotify revoked this login").wait_for(timeout=30_000)
    assert "Spotify revoked this login" in _panel(page, 2).inner_text()
    assert _panel(page, 3).locator("table.dataframe").count() == 0
    assert _panel(page, 1).get_by_role("button", name="Log in again").count() == 1
    _agree(_open_login(page))
    _logged_in_with_table(page)


def test_cancel_then_agree(browser_page: Any, lab: str) -> None:
    """A3: Cancel, then follow the hint: the link on show is a fresh one and Agree works."""
    page = browser_page
    open_and_run_all(page, lab, "cancel.ipynb")
    _panel(page, 3).get_by_text("Waiting for authorization").wait_for(timeout=90_000)
    tab = _open_login(page)
    tab.get_by_role("button", name="Cancel").click()
    tab.get_by_text("You clicked Cancel").wait_for(timeout=30_000)  # the listener's page
    tab.close()
    page.bring_to_front()
    _panel(page, 1).get_by_text("You clicked Cancel").wait_for(timeout=30_000)
    _agree(_open_login(page))
    _logged_in_with_table(page)


def test_listener_timeout_then_agree(browser_page: Any, lab: str) -> None:
    """A link whose listener timed out is replaced by itself: the one on show works."""
    page = browser_page
    open_and_run_all(page, lab, "timeout.ipynb")
    _panel(page, 1).get_by_text("was replaced").wait_for(timeout=90_000)
    _agree(_open_login(page))
    _logged_in_with_table(page)
