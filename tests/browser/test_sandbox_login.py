"""A person opens the sandbox's authorize URL in a browser, logs in, approves, gets a code."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from adstudio_nb.sandbox import Sandbox
from tests.browser.conftest import ARTIFACTS
from tests.helpers import authorize_url

pytestmark = pytest.mark.browser


def test_a1_a3_login_and_approve_in_a_real_browser(browser_page, sandbox: Sandbox) -> None:
    """A1, A3: the printed try-login link leads to the redirect URI with a code and state."""
    page = browser_page
    caught: list[str] = []
    # Nothing listens on the redirect URI here: answer it as a 404 page, as in the guide (D2).
    page.route(
        "http://127.0.0.1:8888/**",
        lambda route: (caught.append(route.request.url), route.fulfill(status=404, body="404")),
    )
    page.goto(sandbox.base_url + "/")
    page.get_by_role("link", name="Try the login").click()
    page.get_by_role("heading", name="Log in and allow").wait_for()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "sandbox-consent.png"))
    page.get_by_role("button", name="Agree").click()
    page.wait_for_url("http://127.0.0.1:8888/callback?*")
    query = parse_qs(urlsplit(page.url).query)
    assert query["state"] == ["try-me"] and len(query["code"][0]) > 100
    assert caught and caught[0] == page.url


def test_a3_cancel_in_a_real_browser(browser_page, sandbox: Sandbox) -> None:
    """A3: Cancel leads to error=access_denied."""
    page = browser_page
    page.route("http://127.0.0.1:8888/**", lambda route: route.fulfill(status=404, body="404"))
    page.goto(authorize_url(sandbox, state="c"))
    page.get_by_role("button", name="Cancel").click()
    page.wait_for_url("http://127.0.0.1:8888/callback?*")
    assert parse_qs(urlsplit(page.url).query) == {"error": ["access_denied"], "state": ["c"]}


def test_a2_bad_client_is_an_error_page_in_a_real_browser(browser_page, sandbox: Sandbox) -> None:
    """A2: an unknown client shows INVALID_CLIENT on the page, no redirect."""
    page = browser_page
    page.goto(sandbox.authorize_url + "?client_id=nope&response_type=code&redirect_uri=x")
    assert "INVALID_CLIENT: Invalid client" in page.locator("#error-message").inner_text()
