"""The notebook panels, clicked in plain pytest against the sandbox (no browser)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pandas as pd
import pytest
import requests

from adstudio_nb import widgets
from adstudio_nb.auth import OAuthFlow
from adstudio_nb.config import Settings
from adstudio_nb.exceptions import (
    AuthorizationRequired,
    RedirectParseError,
    StateMismatch,
)
from adstudio_nb.sandbox import Sandbox
from adstudio_nb.session import Session
from adstudio_nb.token_store import MemoryTokenStore
from tests.helpers import consent


@pytest.fixture
def session(sandbox: Sandbox) -> Iterator[Session]:
    flow = OAuthFlow(Settings.for_sandbox(sandbox), store=MemoryTokenStore())
    session = Session(flow=flow)
    yield session
    session.close()


def _eventually(check: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def _login_by_listener(panel: widgets.LoginPanel, *, approve: bool = True) -> None:
    """Play the person: open the link, log in, click Agree; the browser hits the listener."""
    assert panel.attempt is not None and panel.attempt.listener is not None
    location = consent(panel.attempt.url, approve=approve)
    page = requests.get(location, timeout=10)  # the browser following the redirect
    assert page.status_code == 200


def test_a1_a7_b1_clicking_through_in_order(session: Session) -> None:
    """A1-A7, B1: login link, caught redirect, exchange, token status, accounts table."""
    login = widgets.login_panel(session)
    tokens = widgets.token_panel(session)
    accounts = widgets.accounts_panel(session)
    assert "Open Spotify login" in login.link.value
    assert "Waiting for authorization" in accounts.status.value
    assert "Not logged in" in tokens.details.value

    _login_by_listener(login)
    _eventually(lambda: session.is_authorized and accounts.result is not None)

    assert login.last_error is None, login.last_error
    assert "Logged in" in login.status.value
    assert "fingerprint" in tokens.details.value
    frame = accounts.result
    assert isinstance(frame, pd.DataFrame) and len(frame) > 0
    assert {"id", "name", "currency_code"} <= set(frame.columns)
    # No token is visible anywhere in the panels.
    token = session.flow.store.load()
    assert token is not None
    for panel in (login, tokens, accounts):
        for child in panel.children:
            assert token.access_token not in str(getattr(child, "value", ""))


def test_a3_pasting_the_address_bar_url(session: Session) -> None:
    """A3: the paste path (remote Jupyter): the address-bar URL is exchanged; field cleared."""
    login = widgets.login_panel(session, listen=False)
    assert login.attempt is not None and login.attempt.listener is None
    assert "paste" in login.how.value.lower()
    login.paste.value = consent(login.attempt.url)
    login.exchange_button.click()
    assert login.last_error is None, login.last_error
    assert session.is_authorized and login.paste.value == ""


def test_a4_double_click_on_exchange_does_not_burn_the_code(session: Session) -> None:
    """A4: exchanging the same redirect twice returns the same token, no invalid_grant."""
    login = widgets.login_panel(session, listen=False)
    assert login.attempt is not None
    location = consent(login.attempt.url)
    login.paste.value = location
    login.exchange_button.click()
    first = session.flow.store.load()
    login.paste.value = location  # the second click, same redirect
    login.exchange_button.click()
    assert login.last_error is None, login.last_error
    assert session.flow.store.load() == first


def test_exchange_before_login_with_nothing_pasted(session: Session) -> None:
    """Clicking Exchange with an empty field says what to paste, in the panel."""
    login = widgets.login_panel(session, listen=False)
    login.exchange_button.click()
    assert isinstance(login.last_error, RedirectParseError)
    assert "adstudio-error" in login.status.value


def test_a3_denied_consent_is_explained(session: Session) -> None:
    """A3: Cancel on the consent page shows AuthorizationDenied's message, no traceback."""
    login = widgets.login_panel(session)
    used = login.attempt
    _login_by_listener(login, approve=False)
    _eventually(lambda: "You clicked Cancel" in login.status.value)
    assert not session.is_authorized and login.attempt is not used  # a fresh link, at once
    assert "Open Spotify login" in login.link.value
    login.new_login_button.click()  # and a new login can start
    assert login.last_error is None and "Open Spotify login" in login.link.value


def test_pasting_another_logins_redirect_is_refused(session: Session) -> None:
    """A3: a redirect whose state belongs to another login is refused (CSRF guard)."""
    login = widgets.login_panel(session, listen=False)
    other = OAuthFlow(session.flow.settings, store=MemoryTokenStore()).start_login()
    login.paste.value = consent(other.url)
    login.exchange_button.click()
    assert isinstance(login.last_error, StateMismatch)


def test_a8_refresh_with_no_token_then_with_one(session: Session) -> None:
    """A8: Refresh before login says to log in; after login it refreshes."""
    tokens = widgets.token_panel(session)
    tokens.refresh_button.click()
    assert isinstance(tokens.last_error, AuthorizationRequired)
    login = widgets.login_panel(session, listen=False)
    assert login.attempt is not None
    login.paste.value = consent(login.attempt.url)
    login.exchange_button.click()
    before = session.flow.store.load()
    tokens.refresh_button.click()
    assert tokens.last_error is None
    after = session.flow.store.load()
    assert before is not None and after is not None
    assert after.fingerprint != before.fingerprint and after.fingerprint in tokens.details.value


def test_forget_tokens_puts_waiting_panels_back(session: Session) -> None:
    """Forget tokens: the accounts panel waits again; a new login fills it in again."""
    login = widgets.login_panel(session, listen=False)
    accounts = widgets.accounts_panel(session)
    tokens = widgets.token_panel(session)
    assert login.attempt is not None
    login.paste.value = consent(login.attempt.url)
    login.exchange_button.click()
    assert accounts.result is not None
    tokens.forget_button.click()
    assert not session.is_authorized and accounts.result is None
    assert "fills in by itself once you log in again" in accounts.status.value
    login.new_login_button.click()
    assert login.attempt is not None
    login.paste.value = consent(login.attempt.url)
    login.exchange_button.click()
    assert accounts.result is not None


def test_a9_revoked_access_says_log_in_again(sandbox: Sandbox, session: Session) -> None:
    """A9, D7: after revocation in the dashboard, Refresh says to log in again."""
    login = widgets.login_panel(session, listen=False)
    tokens = widgets.token_panel(session)
    assert login.attempt is not None
    login.paste.value = consent(login.attempt.url)
    login.exchange_button.click()
    assert "dashboard" in tokens.dashboard.value
    sandbox.registry.revoke(sandbox.demo_app.client_id, "alex.analyst")
    tokens.refresh_button.click()
    assert isinstance(tokens.last_error, AuthorizationRequired)
    assert "log in again" in str(tokens.last_error).lower()


def test_login_panel_after_login_reuses_the_stored_token(session: Session) -> None:
    """A re-run login cell (or a restarted kernel with a stored token) does not log in again."""
    first = widgets.login_panel(session, listen=False)
    assert first.attempt is not None
    first.paste.value = consent(first.attempt.url)
    first.exchange_button.click()
    again = widgets.login_panel(session)
    assert again.attempt is None and "Logged in" in again.status.value


def test_setup_panel_live_validation_hints(session: Session) -> None:
    """A12: the guide's broken redirect URI gets a fix hint as it is typed."""
    setup = widgets.setup_panel(session)
    assert "sandbox" in setup.hosts.value
    setup.redirect_uri.value = "http//localhost:8888/callback"
    assert "127.0.0.1" in setup.hint.value
    setup.redirect_uri.value = "http://127.0.0.1:8888/callback"
    assert setup.hint.value == ""
    setup.client_id.value = "not-a-client-id"
    assert setup.hint.value


def test_setup_panel_switches_to_real_spotify(session: Session) -> None:
    """Entering an app switches the hosts to Spotify's; a bad secret is shown, not raised."""
    setup = widgets.setup_panel(session)
    setup.client_id.value = "a" * 32
    setup.client_secret.value = "b" * 32
    setup.redirect_uri.value = "http://127.0.0.1/callback"
    setup.apply_button.click()
    assert setup.last_error is None, setup.last_error
    assert session.settings.target == "spotify"
    assert "accounts.spotify.com" in setup.hosts.value
    assert "b" * 32 not in setup.status.value


def test_when_authorized_runs_any_loader(session: Session) -> None:
    """A waiting panel runs its loader once a token arrives, with the Ads layer."""
    panel = widgets.when_authorized(lambda ads: ads.businesses(), session=session)
    assert panel.result is None
    login = widgets.login_panel(session, listen=False)
    assert login.attempt is not None
    login.paste.value = consent(login.attempt.url)
    login.exchange_button.click()
    assert isinstance(panel.result, pd.DataFrame) and len(panel.result) == 3


def test_a_restarted_kernel_reuses_the_stored_login(sandbox: Sandbox, tmp_path) -> None:
    """A new kernel (a new Onboarding over the same token file) is logged in, no new login."""
    from adstudio_nb.config import load_settings
    from adstudio_nb.demo import resolve_settings

    (tmp_path / "empty.env").write_text("")
    env = {
        "ADSTUDIO_SANDBOX_URL": sandbox.base_url,
        "ADSTUDIO_ENV_FILE": str(tmp_path / "empty.env"),
        "ADSTUDIO_TOKEN_DIR": str(tmp_path / "tokens"),
    }
    before = Session(resolve_settings(load_settings(environ=env)))
    login = widgets.login_panel(before, listen=False)
    assert login.attempt is not None
    login.paste.value = consent(login.attempt.url)
    login.exchange_button.click()
    assert before.is_authorized

    after = Session(resolve_settings(load_settings(environ=env)))  # the restarted kernel
    again = widgets.login_panel(after)
    accounts = widgets.accounts_panel(after)
    assert again.attempt is None and "Logged in" in again.status.value
    assert accounts.result is not None and len(accounts.result) == 8


def test_onboarding_says_where_it_connects_without_secrets(session: Session) -> None:
    """The first cell's output names the host and the login state, never the secret."""
    text = session._repr_html_()
    assert "sandbox" in text and "Not logged in yet" in text
    assert session.settings.client_secret is not None
    assert session.settings.client_secret not in text and session.settings.client_id not in text


def _custom_session(sandbox: Sandbox) -> Session:
    """A custom target chosen on purpose: here the sandbox's hosts, as any other service's."""
    app = sandbox.demo_app
    settings = Settings(
        client_id=app.client_id,
        client_secret=app.client_secret,
        redirect_uri="http://127.0.0.1/callback",
        authorize_url=sandbox.authorize_url,
        token_url=sandbox.token_url,
        api_base_url=sandbox.api_base_url,
        dashboard_url=sandbox.dashboard_url,
        target="custom",
    )
    return Session(flow=OAuthFlow(settings, store=MemoryTokenStore()))


def test_a_custom_target_is_announced_on_every_panel(sandbox: Sandbox) -> None:
    """Setup, login, tokens, accounts: each says where credentials go when that is not Spotify."""
    session = _custom_session(sandbox)
    banner = f"Custom target: credentials go to {sandbox.base_url}, not to Spotify."
    panels = {
        "setup": widgets.setup_panel(session),
        "login": widgets.login_panel(session, listen=False),
        "tokens": widgets.token_panel(session),
        "accounts": widgets.accounts_panel(session),
    }
    for name, panel in panels.items():
        assert banner in panel.static_html(), name
    assert banner in session._repr_html_()
    login = panels["login"]
    assert "Open Spotify login" not in login.link.value  # the link says where it goes
    assert login.attempt is not None
    login.paste.value = consent(login.attempt.url)
    login.exchange_button.click()
    assert login.last_error is None, login.last_error
    assert panels["accounts"].result is not None  # logged in: the banner stays
    for name, panel in panels.items():
        assert banner in panel.static_html(), name
    secret = session.settings.client_secret
    assert secret is not None
    assert not [n for n, p in panels.items() if secret in p.static_html()]


def test_spotify_and_sandbox_panels_carry_no_custom_banner(session: Session) -> None:
    """The banner is for the custom target only: the sandbox and Spotify are named as such."""
    for panel in (widgets.setup_panel(session), widgets.login_panel(session, listen=False)):
        assert "Custom target" not in panel.static_html()
    settings = Settings.spotify("a" * 32, "b" * 32)
    spotify = Session(flow=OAuthFlow(settings, store=MemoryTokenStore()))
    assert "Custom target" not in widgets.token_panel(spotify).static_html()
