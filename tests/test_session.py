"""The one session state: every transition, and what every panel, connect() and the terminal
view show after it (against the sandbox over HTTP, no browser).

The transition matrix runs each scenario once and checks every surface after it: the set-up,
login, token and accounts panels, the terminal text (``describe()``) and what ``connect()`` then
does. A panel that kept its own idea of the login would contradict another surface here.
"""

from __future__ import annotations

import html
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest
import requests

from adstudio_nb import session as session_module
from adstudio_nb import widgets
from adstudio_nb.ads import Ads
from adstudio_nb.auth import OAuthFlow
from adstudio_nb.config import Settings
from adstudio_nb.exceptions import (
    AuthorizationDenied,
    AuthorizationRequired,
    StateMismatch,
    TransportError,
)
from adstudio_nb.sandbox import Sandbox
from adstudio_nb.session import LoginState, Session, SessionView, connect
from adstudio_nb.token_store import MemoryTokenStore, Token
from tests.helpers import consent, issued_secrets, revoke_in_dashboard

SIX_MONTHS_AND_A_BIT_S = 183 * 86400


# -- playing the person ---------------------------------------------------------------------


def _eventually(check: Callable[[], bool], what: str, timeout_s: float = 20.0) -> None:
    """Wait (bounded) for a condition another thread brings about."""
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not reached")
        time.sleep(0.02)


def _text(markup: str) -> str:
    """The text a person reads in a panel's HTML."""
    markup = re.sub(r"<style>.*?</style>", " ", markup, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def _click_link(session: Session, *, approve: bool = True, user: str = "alex.analyst") -> None:
    """Open the login link on show, log in, click Agree (or Cancel); the browser follows the
    redirect to the listener."""
    link = session.view.link
    assert link is not None and link.is_listening, session.view
    location = consent(link.url, approve=approve, user=user)
    page = requests.get(location, timeout=10)  # the browser following the redirect
    assert page.status_code == 200, page.text


def _paste(screen: Screen, *, approve: bool = True) -> None:
    link = screen.session.view.link
    assert link is not None
    screen.login.paste.value = consent(link.url, approve=approve)
    screen.login.exchange_button.click()


@dataclass
class Screen:
    """Every panel of one session, as the onboarding notebook shows them."""

    session: Session
    sandbox: Sandbox
    setup: widgets.SetupPanel = field(init=False)
    login: widgets.LoginPanel = field(init=False)
    tokens: widgets.TokenPanel = field(init=False)
    accounts: widgets.WhenAuthorized = field(init=False)
    listen: bool = True

    def __post_init__(self) -> None:
        self.setup = widgets.setup_panel(self.session)
        self.login = widgets.login_panel(self.session, listen=self.listen)
        self.tokens = widgets.token_panel(self.session)
        self.accounts = widgets.accounts_panel(self.session)

    def texts(self) -> dict[str, str]:
        return {
            "setup": _text(self.setup.static_html()),
            "login": _text(self.login.static_html()),
            "tokens": _text(self.tokens.static_html()),
            "accounts": _text(self.accounts.static_html()),
            "describe": self.session.describe(),
        }

    def log_in(self) -> None:
        _click_link(self.session)
        self.wait_logged_in()

    def wait_logged_in(self) -> None:
        _eventually(
            lambda: self.session.state is LoginState.LOGGED_IN and self.accounts.result is not None,
            "logged in and accounts loaded",
        )


def _session(sandbox: Sandbox, **options: Any) -> Session:
    settings = Settings.for_sandbox(sandbox)
    flow = OAuthFlow(settings, store=MemoryTokenStore(), clock=sandbox.clock.now_datetime)
    return Session(flow=flow, clock=sandbox.clock.now_datetime, **options)


@pytest.fixture
def private_config(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Spotify settings store tokens in the per-user directory: a private one here."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


@pytest.fixture
def screen(sandbox: Sandbox, private_config: None) -> Iterator[Screen]:
    session = _session(sandbox)
    try:
        yield Screen(session, sandbox)
    finally:
        session.close()


# -- the scenarios ----------------------------------------------------------------------------


def _fresh(screen: Screen) -> None:
    """Nothing done yet: the login panel opened a link."""


def _caught(screen: Screen) -> None:
    """A1-A7: the listener catches the redirect; code exchanged, accounts loaded."""
    screen.log_in()


def _pasted(screen: Screen) -> None:
    """A3: the address-bar URL is pasted (no listener)."""
    screen.session.start_login(listen=False)
    _paste(screen)
    screen.wait_logged_in()


def _cancelled(screen: Screen) -> None:
    """A3: Cancel on the consent page; a fresh link replaces the one whose listener closed."""
    before = screen.session.view.link
    _click_link(screen.session, approve=False)
    _eventually(
        lambda: (
            screen.session.view.link not in (None, before)
            and "Cancel" in screen.session.view.message
        ),
        "a fresh link after Cancel",
    )


def _cancel_then_agree(screen: Screen) -> None:
    """A3: Cancel, then follow the hint: open the (fresh) link again and click Agree."""
    _cancelled(screen)
    screen.log_in()


def _timed_out(screen: Screen) -> None:
    """The listener's deadline passes: the session opens a fresh link by itself."""
    screen.session.close()
    session = _session(screen.sandbox, listen_timeout_s=0.3)
    replacement = Screen(session, screen.sandbox)
    screen.session, screen.setup, screen.login = session, replacement.setup, replacement.login
    screen.tokens, screen.accounts = replacement.tokens, replacement.accounts
    first = session.view.link
    _eventually(
        lambda: session.view.link not in (None, first) and "fresh" in session.view.message,
        "a fresh link after the timeout",
    )
    session.listen_timeout_s = 300.0  # the next fresh link waits long enough to be clicked
    shown = session.view.link
    _eventually(lambda: session.view.link not in (None, shown), "a long-lived fresh link")


def _timeout_then_agree(screen: Screen) -> None:
    """After the timeout, clicking the link on show and Agree logs in."""
    _timed_out(screen)
    screen.log_in()


def _refreshed(screen: Screen) -> None:
    """A8: Refresh gets a new access token."""
    screen.log_in()
    screen.tokens.refresh_button.click()
    assert screen.tokens.last_error is None, screen.tokens.last_error


def _refresh_failing(screen: Screen) -> None:
    """The accounts service cannot be reached for a refresh: the login is kept."""
    screen.log_in()
    screen.sandbox.stop()
    screen.tokens.refresh_button.click()
    assert isinstance(screen.tokens.last_error, TransportError)


def _revoked_then_refresh(screen: Screen) -> None:
    """A9, D7: revoked in the dashboard, then Refresh."""
    screen.log_in()
    revoke_in_dashboard(screen.sandbox, screen.sandbox.demo_app.client_id)
    screen.tokens.refresh_button.click()
    assert isinstance(screen.tokens.last_error, AuthorizationRequired)


def _revoked_then_load(screen: Screen) -> None:
    """A9, B10: revoked in the dashboard, then an API call (Load ad accounts)."""
    screen.log_in()
    revoke_in_dashboard(screen.sandbox, screen.sandbox.demo_app.client_id)
    screen.accounts.reload_button.click()
    assert isinstance(screen.accounts.last_error, AuthorizationRequired)


def _revoked_then_log_in_again(screen: Screen) -> None:
    """A9: after the revoke, the link on show logs in again and the data reloads."""
    _revoked_then_load(screen)
    first = screen.accounts.result
    screen.log_in()
    assert screen.accounts.result is not None and screen.accounts.result is not first


def _expired(screen: Screen) -> None:
    """A10: six months after the login, the refresh token is refused."""
    screen.log_in()
    screen.sandbox.clock.advance(SIX_MONTHS_AND_A_BIT_S)
    screen.accounts.reload_button.click()
    assert isinstance(screen.accounts.last_error, AuthorizationRequired)


def _forgotten(screen: Screen) -> None:
    """D7: Forget tokens."""
    screen.log_in()
    screen.tokens.forget_button.click()
    assert screen.tokens.last_error is None, screen.tokens.last_error


def _forgotten_then_log_in_again(screen: Screen) -> None:
    """After Forget, the link on show logs in again and the data reloads."""
    _forgotten(screen)
    screen.log_in()


def _use_this_app(screen: Screen) -> None:
    """'Use this app': switch from the sandbox to a Spotify app."""
    screen.log_in()
    screen.setup.client_id.value = "a" * 32
    screen.setup.client_secret.value = "b" * 32
    screen.setup.redirect_uri.value = "http://127.0.0.1/callback"
    screen.setup.apply_button.click()
    assert screen.setup.last_error is None, screen.setup.last_error


def _no_ad_accounts(screen: Screen) -> None:
    """A user with no ad account (the sandbox's nina.newcomer)."""
    _click_link(screen.session, user="nina.newcomer")
    screen.wait_logged_in()


@dataclass(frozen=True)
class Row:
    """One scenario and what each surface must (and must not) show after it."""

    drive: Callable[[Screen], None]
    state: LoginState
    shows: dict[str, tuple[str, ...]]
    hides: dict[str, tuple[str, ...]] = field(default_factory=dict)
    connect: str = "ads"  # "ads": connect() returns the login's Ads; else the error's words


LOGGED_IN_AS_ALEX = "Logged in as Alex Analyst (alex.analyst)"
WAITING_PANEL = "Waiting for authorization"
STALE = ("Logged in as", "fingerprint", "Loaded")

MATRIX: dict[str, Row] = {
    "fresh": Row(
        _fresh,
        LoginState.WAITING,
        {
            "setup": ("Using the sandbox",),
            "login": ("Open Spotify login", "Waiting for you to log in"),
            "tokens": ("Not logged in yet",),
            "accounts": (WAITING_PANEL,),
            "describe": ("the sandbox", "A login link is open"),
        },
        {"login": STALE, "tokens": STALE, "accounts": STALE},
    ),
    "caught": Row(
        _caught,
        LoginState.LOGGED_IN,
        {
            "login": (LOGGED_IN_AS_ALEX,),
            "tokens": ("as Alex Analyst (alex.analyst) on the sandbox", "fingerprint"),
            "accounts": ("Loaded 8 rows",),
            "describe": (LOGGED_IN_AS_ALEX, "fingerprint"),
        },
        {"login": ("Open Spotify login", "Waiting"), "tokens": ("Not logged in",)},
    ),
    "pasted": Row(
        _pasted,
        LoginState.LOGGED_IN,
        {"login": (LOGGED_IN_AS_ALEX,), "tokens": ("fingerprint",), "accounts": ("Loaded",)},
        {"login": ("Open Spotify login",), "accounts": (WAITING_PANEL,)},
    ),
    "cancelled": Row(
        _cancelled,
        LoginState.WAITING,
        {
            "login": ("You clicked Cancel", "Open Spotify login"),
            "tokens": ("Not logged in yet",),
            "accounts": (WAITING_PANEL,),
            "describe": ("You clicked Cancel", "A login link is open"),
        },
        {"login": STALE, "tokens": STALE, "accounts": STALE},
    ),
    "cancel_then_agree": Row(
        _cancel_then_agree,
        LoginState.LOGGED_IN,
        {"login": (LOGGED_IN_AS_ALEX,), "tokens": ("fingerprint",), "accounts": ("Loaded",)},
        {"login": ("Cancel", "Open Spotify login"), "accounts": (WAITING_PANEL,)},
    ),
    "timed_out": Row(
        _timed_out,
        LoginState.WAITING,
        {
            "login": ("fresh one", "Open Spotify login"),
            "tokens": ("Not logged in yet",),
            "accounts": (WAITING_PANEL,),
            "describe": ("fresh one",),
        },
        {"login": STALE, "tokens": STALE, "accounts": STALE},
    ),
    "timeout_then_agree": Row(
        _timeout_then_agree,
        LoginState.LOGGED_IN,
        {"login": (LOGGED_IN_AS_ALEX,), "tokens": ("fingerprint",), "accounts": ("Loaded",)},
        {"login": ("fresh one", "Open Spotify login"), "accounts": (WAITING_PANEL,)},
    ),
    "refreshed": Row(
        _refreshed,
        LoginState.LOGGED_IN,
        {
            "login": (LOGGED_IN_AS_ALEX, "Refreshed"),
            "tokens": ("Refreshed: new token", "fingerprint"),
            "accounts": ("Loaded",),
        },
        {"tokens": ("Not logged in",)},
    ),
    "refresh_failing": Row(
        _refresh_failing,
        LoginState.REFRESH_FAILING,
        {
            "login": (LOGGED_IN_AS_ALEX, "could not be renewed just now"),
            "tokens": ("fingerprint", "could not be renewed just now"),
            "accounts": ("could not be renewed just now", "Northwind US"),  # the table stays
            "describe": ("could not be renewed just now", "fingerprint"),
        },
        {"tokens": ("Not logged in",), "accounts": (WAITING_PANEL,)},
    ),
    "revoked_then_refresh": Row(
        _revoked_then_refresh,
        LoginState.REVOKED,
        {
            "login": ("Spotify revoked this login", "log in again", "Open Spotify login"),
            "tokens": ("Spotify revoked this login",),
            "accounts": ("Spotify revoked this login", "fills in by itself"),
            "describe": ("Spotify revoked this login",),
        },
        {"login": STALE, "tokens": STALE, "accounts": STALE},
    ),
    "revoked_then_load": Row(
        _revoked_then_load,
        LoginState.REVOKED,
        {
            "login": ("Spotify revoked this login", "Open Spotify login"),
            "tokens": ("Spotify revoked this login",),
            "accounts": ("Spotify revoked this login",),
            "describe": ("Spotify revoked this login",),
        },
        {"login": STALE, "tokens": (*STALE, "in 60 min"), "accounts": ("Loaded",)},
    ),
    "revoked_then_log_in_again": Row(
        _revoked_then_log_in_again,
        LoginState.LOGGED_IN,
        {"login": (LOGGED_IN_AS_ALEX,), "tokens": ("fingerprint",), "accounts": ("Loaded 8",)},
        {"login": ("revoked",), "tokens": ("Not logged in", "revoked"), "accounts": ("revoked",)},
    ),
    "expired": Row(
        _expired,
        LoginState.EXPIRED,
        {
            "login": ("6 months", "Open Spotify login"),
            "tokens": ("6 months",),
            "accounts": ("6 months",),
            "describe": ("6 months",),
        },
        {"login": STALE, "tokens": STALE, "accounts": STALE},
    ),
    "forgotten": Row(
        _forgotten,
        LoginState.FORGOTTEN,
        {
            "login": ("deleted from this computer", "Open Spotify login"),
            "tokens": ("deleted from this computer", "sandbox dashboard"),
            "accounts": ("log in again", "fills in by itself"),
            "describe": ("deleted from this computer",),
        },
        {"login": STALE, "tokens": STALE, "accounts": STALE},
    ),
    "forgotten_then_log_in_again": Row(
        _forgotten_then_log_in_again,
        LoginState.LOGGED_IN,
        {"login": (LOGGED_IN_AS_ALEX,), "tokens": ("fingerprint",), "accounts": ("Loaded 8",)},
        {"login": ("deleted",), "tokens": ("deleted",), "accounts": ("deleted",)},
    ),
    "use_this_app": Row(
        _use_this_app,
        LoginState.WAITING,
        {
            "setup": ("Using Spotify with the app aaaaaa",),
            "login": ("Open Spotify login", "Waiting for you to log in"),
            "tokens": ("Not logged in yet", "developer dashboard"),
            "accounts": (WAITING_PANEL,),
            "describe": ("Spotify (accounts.spotify.com",),
        },
        {
            "login": (*STALE, "sandbox"),
            "tokens": (*STALE, "sandbox"),
            "accounts": STALE,
            "setup": ("Using the sandbox",),
        },
        connect="adstudio-nb login",
    ),
    "no_ad_accounts": Row(
        _no_ad_accounts,
        LoginState.LOGGED_IN,
        {
            "login": ("Logged in as Nina Newcomer (nina.newcomer)",),
            "tokens": ("as Nina Newcomer (nina.newcomer) on the sandbox",),
            "accounts": ("This Spotify user has no ad accounts yet",),
        },
        {"accounts": ("Loaded 0 rows",)},
    ),
}


@pytest.mark.parametrize("name", list(MATRIX))
def test_transition_matrix_every_surface_shows_the_one_state(
    name: str, screen: Screen, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each transition, then every panel, the terminal text and connect() agree."""
    row = MATRIX[name]
    row.drive(screen)
    session = screen.session
    assert session.state is row.state, session.view
    texts = screen.texts()
    for surface, needles in row.shows.items():
        for needle in needles:
            assert needle in texts[surface], f"{surface} lacks {needle!r}: {texts[surface]}"
    for surface, needles in row.hides.items():
        for needle in needles:
            assert needle not in texts[surface], f"{surface} shows {needle!r}: {texts[surface]}"
    # The login panel's button and the data panel's result follow the same state.
    logged_in = session.view.is_logged_in
    ended = row.state in (LoginState.REVOKED, LoginState.EXPIRED, LoginState.FORGOTTEN)
    expected_button = "Log in again" if logged_in or ended else "New login link"
    assert screen.login.new_login_button.description == expected_button
    if not logged_in:
        assert screen.accounts.result is None
        assert screen.login.paste_row.layout.display != "none"  # a link is on show
    else:
        assert isinstance(screen.accounts.result, pd.DataFrame)
    # No secret on any surface.
    if screen.sandbox.is_running:
        issued = issued_secrets(screen.sandbox)
        everything = " ".join(texts.values()) + repr(session.view)
        assert not [secret for secret in issued if secret in everything]
    # Last, as it may log in: connect() reads the same state.
    monkeypatch.setattr(session_module, "_kernel_session", session)
    if row.connect == "ads":
        if not screen.sandbox.is_running:
            return
        ads = connect()
        assert isinstance(ads, Ads) and ads is session.ads()
        assert session.view.is_logged_in
    else:
        with pytest.raises(AuthorizationRequired, match=re.escape(row.connect)):
            connect()


def test_the_matrix_covers_every_state() -> None:
    """Every state but NOT_CONFIGURED and READY (covered below) ends a scenario of the matrix."""
    reached = {row.state for row in MATRIX.values()}
    assert reached == set(LoginState) - {LoginState.NOT_CONFIGURED, LoginState.READY}


# -- the states the matrix does not reach -------------------------------------------------------


def test_settings_that_cannot_work_are_not_configured_and_say_why(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """Settings that cannot load leave the session NOT_CONFIGURED with the fix, no traceback."""
    (tmp_path / "empty.env").write_text("")
    monkeypatch.setenv("ADSTUDIO_ENV_FILE", str(tmp_path / "empty.env"))
    monkeypatch.setenv("ADSTUDIO_TARGET", "spotify")
    monkeypatch.delenv("ADSTUDIO_CLIENT_ID", raising=False)
    session = Session()
    try:
        view = session.view
        assert view.state is LoginState.NOT_CONFIGURED and view.tone == "error"
        assert "ADSTUDIO_CLIENT_ID" in view.message
        login = widgets.login_panel(session)
        assert "ADSTUDIO_CLIENT_ID" in _text(login.static_html())
        assert session.attempt is None
        monkeypatch.setattr(session_module, "_kernel_session", session)
        with pytest.raises(Exception, match="ADSTUDIO_CLIENT_ID"):
            connect()
    finally:
        session.close()


def test_ready_without_a_login_panel_opens_no_listener(sandbox: Sandbox) -> None:
    """A session nobody asked to log in (the command line's status) is READY: no listener."""
    session = _session(sandbox)
    try:
        assert session.state is LoginState.READY and session.attempt is None
        assert "Not logged in yet" in session.describe()
    finally:
        session.close()


def test_spotify_names_no_user_the_login_says_since_when(private_config: None) -> None:
    """On Spotify the Ads API names no user: "Logged in to Spotify, since …"."""
    now = datetime.now(UTC)
    store = MemoryTokenStore()
    store.save(Token("a" * 40, "r" * 40, expires_at=now + timedelta(hours=1), authorized_at=now))
    flow = OAuthFlow(Settings.spotify("a" * 32, "b" * 32), store=store)
    session = Session(flow=flow)
    try:
        assert session.state is LoginState.LOGGED_IN
        assert session.view.message.startswith("Logged in to Spotify, since ")
        assert session.view.who is None
        tokens = widgets.token_panel(session)
        assert "to Spotify" in _text(tokens.static_html())
        assert "a" * 40 not in tokens.static_html() + session.describe()
    finally:
        session.close()


# -- how transitions happen -------------------------------------------------------------------


def test_the_caught_code_is_exchanged_off_the_listeners_request_thread(sandbox: Sandbox) -> None:
    """The code exchange and the first accounts load run on the session's worker thread."""
    session = _session(sandbox)
    seen: list[tuple[LoginState, str]] = []
    session.subscribe(lambda view: seen.append((view.state, threading.current_thread().name)))
    try:
        screen = Screen(session, sandbox)
        screen.log_in()
        threads = {name for state, name in seen if state is LoginState.LOGGED_IN}
        assert threads and all(name.startswith("adstudio-session") for name in threads), seen
    finally:
        session.close()


def test_subscribers_get_every_transition_once_in_order(sandbox: Sandbox) -> None:
    """Each subscriber sees the views in version order, never the same one twice."""
    session = _session(sandbox)
    versions: list[int] = []
    session.subscribe(lambda view: versions.append(view.version))
    try:
        link = session.start_login(listen=False)
        session.finish_login(consent(link.url))
        session.refresh()
        session.forget()
        assert versions == sorted(set(versions)) and len(versions) >= 4
    finally:
        session.close()


def test_one_ads_per_login_and_the_old_client_is_closed(sandbox: Sandbox) -> None:
    """Session.ads() gives one client per login; a new login closes the old one's pool."""
    session = _session(sandbox)
    try:
        session.demo_login()
        first = session.ads()
        assert session.ads() is first
        first.ad_accounts()
        pools = first.client.session.get_adapter(sandbox.api_base_url).poolmanager.pools
        assert len(pools) > 0
        session.forget()
        assert len(pools) == 0  # closed: no connection left open
        session.demo_login()
        second = session.ads()
        assert second is not first and len(second.ad_accounts()) == 8
    finally:
        session.close()


def test_a3_a_paste_of_another_login_keeps_the_link_open(sandbox: Sandbox) -> None:
    """A3: a redirect of another login is refused; the open link still works afterwards."""
    session = _session(sandbox)
    try:
        link = session.start_login(listen=False)
        foreign = OAuthFlow(session.flow.settings, store=MemoryTokenStore()).start_login()
        with pytest.raises(StateMismatch):
            session.finish_login(consent(foreign.url))
        assert session.view.link == link and session.state is LoginState.WAITING
        assert "another login" in session.view.message
        session.finish_login(consent(link.url))
        assert session.state is LoginState.LOGGED_IN
    finally:
        session.close()


def test_a3_a_pasted_cancel_opens_a_fresh_link(sandbox: Sandbox) -> None:
    """A3: a pasted access_denied is explained and a fresh link replaces the used one."""
    session = _session(sandbox)
    try:
        link = session.start_login(listen=False)
        with pytest.raises(AuthorizationDenied):
            session.finish_login(consent(link.url, approve=False))
        fresh = session.view.link
        assert fresh is not None and fresh.url != link.url
        assert "You clicked Cancel" in session.view.message
        session.finish_login(consent(fresh.url))
        assert session.state is LoginState.LOGGED_IN
    finally:
        session.close()


def test_a4_the_same_redirect_pasted_twice_returns_the_same_token(sandbox: Sandbox) -> None:
    """A4: a double click on Exchange does not spend the code twice nor fail."""
    session = _session(sandbox)
    try:
        link = session.start_login(listen=False)
        location = consent(link.url)
        first = session.finish_login(location)
        version = session.view.version
        assert session.finish_login(location) == first
        assert session.view.version == version  # nothing changed, nothing published
    finally:
        session.close()


def test_a_login_made_elsewhere_into_the_same_store_is_picked_up(sandbox: Sandbox) -> None:
    """Another kernel or the command line logs in into the same store: an API call notices."""
    session = _session(sandbox)
    try:
        session.demo_login()
        ads = session.ads()
        session.forget()
        other = OAuthFlow(session.flow.settings, store=session.flow.store)
        login = other.start_login()
        other.complete_login(consent(login.url), login)
        assert len(ads.ad_accounts()) == 8
        assert session.state is LoginState.LOGGED_IN
    finally:
        session.close()


def test_the_view_is_immutable_and_holds_no_secret(sandbox: Sandbox) -> None:
    """The snapshot cannot be changed, and no field, repr or text holds a secret."""
    session = _session(sandbox)
    try:
        session.demo_login()
        view: SessionView = session.view
        with pytest.raises(AttributeError):
            view.state = LoginState.READY  # type: ignore[misc]
        text = repr(view) + view.describe() + repr(session) + session._repr_html_()
        assert not [secret for secret in issued_secrets(sandbox) if secret in text]
    finally:
        session.close()


def test_a8_refresh_before_any_login_the_flow_is_neutral_the_session_names_the_link(
    sandbox: Sandbox,
) -> None:
    """A8: with nothing stored the flow says "log in first"; the session says how, here."""
    flow = OAuthFlow(Settings.for_sandbox(sandbox), store=MemoryTokenStore())
    for ask in (flow.token, flow.refresh):
        with pytest.raises(AuthorizationRequired) as caught:
            ask()
        said = str(caught.value)
        assert "log in first" in said
        assert not re.search(r"start_login|button|Open Spotify login|adstudio-nb", said)
    session = _session(sandbox)
    try:
        with pytest.raises(AuthorizationRequired, match="login link"):
            session.refresh()
        assert session.state is LoginState.READY and "login link" in session.view.message
    finally:
        session.close()


def test_settings_given_to_a_session_are_resolved_to_their_sandbox(
    sandbox: Sandbox, tmp_path: Any
) -> None:
    """Session(settings) and use(settings) find the sandbox that unresolved settings ask for."""
    session = Session(Settings.unresolved_sandbox(sandbox.base_url, token_dir=tmp_path))
    try:
        assert session.state is LoginState.READY, session.view.message
        assert session.settings is not None and session.settings.is_resolved
        assert session.settings.token_url == sandbox.token_url
        with Sandbox() as other:
            session.use(Settings.unresolved_sandbox(other.base_url, token_dir=tmp_path))
            assert session.settings.token_url == other.token_url
    finally:
        session.close()
