"""The onboarding notebook in a real JupyterLab, driven by a real Chromium (the main job).

A person opens the notebook, runs all cells, clicks "Open Spotify login", logs in and approves
in the new tab; the notebook catches the redirect, exchanges the code and shows the ad accounts.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.lab import jupyterlab, open_and_run_all

pytestmark = pytest.mark.browser
NOTEBOOK = "01_onboarding.ipynb"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with jupyterlab(tmp_path_factory.mktemp("lab"), {NOTEBOOK: NOTEBOOK}) as base:
        yield base


@pytest.fixture(scope="module")
def remote_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A JupyterLab whose kernels do not catch redirects, as on a remote machine."""
    root = tmp_path_factory.mktemp("remote-lab")
    with jupyterlab(root, {NOTEBOOK: NOTEBOOK}, ADSTUDIO_CATCH_REDIRECT="false") as base:
        yield base


def _shot(page: Any, name: str, locator: Any = None) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    target = locator if locator is not None else page
    target.screenshot(path=str(ARTIFACTS / name))


def _login_tab(page: Any) -> Any:
    """Click the notebook's "Open Spotify login" link; return the new tab with the login page."""
    link = page.get_by_role("link", name="Open Spotify login")
    link.wait_for(timeout=90_000)
    with page.context.expect_page() as new_tab:
        link.click()
    tab = new_tab.value
    tab.get_by_role("heading", name="Log in and allow").wait_for(timeout=30_000)
    return tab


def _click_and_read_address_bar(tab: Any, button: str) -> str:
    """Click Agree or Cancel; return the redirect URL the address bar shows (nobody listens)."""
    with tab.expect_request("**/callback?**") as redirect:
        tab.get_by_role("button", name=button).click()
    return str(redirect.value.url)


def test_run_all_login_approve_and_see_the_ad_accounts(browser_page: Any, lab: str) -> None:
    """A1-A7, B1: three clicks from Run All to the ad-accounts table, in a real browser."""
    page = browser_page
    open_and_run_all(page, lab, NOTEBOOK)
    waiting = page.get_by_text("Waiting for authorization").first
    waiting.wait_for(timeout=90_000)  # the cells after the login wait, they do not fail
    _shot(page, "onboarding-before-login.png")

    tab = _login_tab(page)
    _shot(tab, "sandbox-login-tab.png")
    tab.get_by_role("button", name="Agree").click()
    tab.get_by_text("You are logged in").wait_for(timeout=30_000)  # the listener's page

    page.bring_to_front()
    table = page.locator(".jp-OutputArea-output table.dataframe").first
    table.wait_for(timeout=60_000)
    assert "currency_code" in table.inner_text()
    login_panel = page.locator(".adstudio-panel").nth(1)
    login_panel.scroll_into_view_if_needed()
    assert "Logged in as Alex Analyst (alex.analyst)" in login_panel.inner_text()
    _shot(page, "onboarding-login-panel.png", login_panel)
    accounts_panel = page.locator(".adstudio-panel").nth(3)
    accounts_panel.scroll_into_view_if_needed()
    _shot(page, "onboarding-accounts-panel.png", accounts_panel)
    token_panel = page.locator(".adstudio-panel").nth(2)
    token_panel.scroll_into_view_if_needed()
    _shot(page, "onboarding-token-panel.png", token_panel)
    assert "fingerprint" in token_panel.inner_text()


def test_paste_path_and_denied_consent(browser_page: Any, remote_lab: str) -> None:
    """A3: with no listener (remote Jupyter) the pasted address-bar URL logs in; Cancel is
    explained in the panel."""
    page = browser_page
    open_and_run_all(page, remote_lab, NOTEBOOK)
    page.get_by_text("Waiting for authorization").first.wait_for(timeout=90_000)

    tab = _login_tab(page)
    address_bar = _click_and_read_address_bar(tab, "Cancel")
    assert "error=access_denied" in address_bar
    page.bring_to_front()
    address = page.get_by_placeholder("after clicking Agree")
    address.fill(address_bar)
    page.get_by_role("button", name="Exchange code").click()
    page.get_by_text("You clicked Cancel").first.wait_for(timeout=30_000)
    tab.close()

    page.get_by_role("button", name="New login link").click()
    tab = _login_tab(page)
    address_bar = _click_and_read_address_bar(tab, "Agree")
    assert "code=" in address_bar
    page.bring_to_front()
    address.fill(address_bar)
    page.get_by_role("button", name="Exchange code").click()
    page.locator(".jp-OutputArea-output table.dataframe").first.wait_for(timeout=60_000)
    assert address.input_value() == ""  # the code does not linger in the field
