"""The one login state of a kernel (or of a command-line profile), and :func:`connect`.

This module owns :class:`Session`: which settings are in use, whether someone is logged in and
as whom, the login attempt that is open (its link, its listener, its deadline), and every change
of that state. A change happens only through the session's methods (start a login, finish it with
a pasted redirect, the listener caught a redirect or timed out, a refresh worked or failed, an API
call found the login revoked, forget the tokens, use other settings); each one builds a new
immutable :class:`SessionView` and hands it to every subscriber, from whatever thread it happened
on. The notebook panels, :func:`connect`, the command line and the app view all render that one
view, so they cannot contradict each other.

Network work that a redirect sets off (the code exchange, asking the sandbox who logged in) runs
on the session's own worker thread, never on the listener's request thread. A listener that
timed out, and a login refused with Cancel, are replaced by a fresh attempt at once, so the link
on show always works.

It never shows widgets and never prints: presentation reads :attr:`Session.view`.

Example:
    >>> from adstudio_nb.config import Settings
    >>> from adstudio_nb.sandbox import Sandbox
    >>> from adstudio_nb.demo import consent
    >>> with Sandbox() as sb:
    ...     session = Session(Settings.for_sandbox(sb))
    ...     link = session.start_login(listen=False)
    ...     _ = session.finish_login(consent(link.url))
    ...     print(session.view.state.name, session.view.who)
    ...     session.close()
    LOGGED_IN Alex Analyst (alex.analyst)
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
import logging
import re
import threading
import warnings
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias
from urllib.parse import urlsplit

import requests

from .auth import AuthStatus, OAuthFlow
from .config import Settings, load_settings
from .exceptions import (
    AdStudioError,
    AuthError,
    AuthorizationDenied,
    AuthorizationRequired,
    CallbackTimeout,
    ConfigurationError,
    InvalidArgument,
    InvalidGrant,
    RedirectParseError,
    StateMismatch,
    StoreError,
    TokenRequestError,
    TransportError,
)
from .login import DEFAULT_LISTEN_TIMEOUT_S, LoginAttempt, begin_login, explain
from .token_store import REFRESH_TOKEN_LIFETIME, Token

if TYPE_CHECKING:
    from .ads import Ads
    from .store import Store

__all__ = [
    "KEEP_STORE",
    "LoginLink",
    "LoginState",
    "Session",
    "SessionView",
    "StoreChoice",
    "connect",
    "default_store_of",
    "onboarding",
    "set_login_presenter",
]

log = logging.getLogger(__name__)

# A10: a login this close to its 6-month horizon ended because of it (calendar months and the
# two clocks make "6 months" a little fuzzy, hence the margin), whatever Spotify's text says.
_HORIZON_MARGIN = timedelta(days=2)
# A10: Spotify's own text names the 6-month horizon.
_SAYS_SIX_MONTHS = re.compile(r"\b(?:6|six)[ -]?months?\b|\b18[0-4] ?days\b", re.IGNORECASE)
# The sandbox says which demo user a token speaks for (Spotify's Ads API names no user).
_WHOAMI_PATH = "/sandbox/whoami"
_WHOAMI_TIMEOUT_S = (2.0, 5.0)
_NAME = re.compile(r"^[\w .'()-]{1,80}$")

# A string, so that importing the session does not import the store (and pandas) with it.
StoreChoice: TypeAlias = "Store | str | Path | bool | None"
"""Where an :class:`~adstudio_nb.ads.Ads` keeps what it fetches: a Store, a DuckDB file path,
True for the default store of the settings (:func:`default_store_of`), False or None for none."""


class _Keep(enum.Enum):
    KEEP = "keep"


KEEP_STORE = _Keep.KEEP
"""Keep the session's store choice (the default store until told otherwise)."""


def default_store_of(settings: Settings) -> Path:
    """Return the default store of ``settings``: one DuckDB file per profile and data source.

    Spotify's data goes to ``<profile>.duckdb`` in the user's data directory; the sandbox's
    (one per seed, named by its demo app) and a custom host's go to stores of their own, so
    that no other data is ever answered for Spotify's.
    """
    from .store import default_store_path  # pandas and DuckDB only once data is asked for

    if settings.target == "spotify":
        return default_store_path(settings.profile)
    source = settings.client_id if settings.target == "sandbox" else settings.api_base_url
    digest = hashlib.sha256(source.encode()).hexdigest()[:12]
    return default_store_path(settings.profile, namespace=f"{settings.target}-{digest}")


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _stamp(when: datetime | None) -> str:
    return f"{when:%Y-%m-%d %H:%M} UTC" if when is not None else "an unknown time"


class LoginState(enum.Enum):
    """Where the login stands; every panel and command reads the same one."""

    NOT_CONFIGURED = "not configured"
    """The settings cannot work; the view's message says why and what to fix."""
    READY = "ready"
    """Configured, nobody logged in, no login link open."""
    WAITING = "waiting"
    """A login link is open (its listener may catch the redirect, or it is pasted)."""
    LOGGED_IN = "logged in"
    """A login is stored and works."""
    REFRESH_FAILING = "refresh failing"
    """The network or the accounts service failed a refresh: the login is kept, try again."""
    REVOKED = "revoked"
    """Spotify refused the refresh token (access removed, A9): log in again."""
    EXPIRED = "expired"
    """The login reached its 6-month horizon (A10): log in again."""
    FORGOTTEN = "forgotten"
    """The tokens were deleted here (the grant may live on at Spotify, D7): log in again."""


_NOT_LOGGED_IN = (LoginState.READY, LoginState.WAITING)
_LOG_IN_FIRST = "Not logged in yet: open the login link, log in and click Agree first."
_ENDED = (LoginState.REVOKED, LoginState.EXPIRED, LoginState.FORGOTTEN)


@dataclass(frozen=True)
class LoginLink:
    """The open login attempt, as a person sees it: a link and how its redirect comes back.

    Attributes:
        url: the authorize URL to open (A1).
        redirect_uri: where the browser is sent after Agree.
        is_listening: a loopback listener on this machine catches the redirect.
        deadline: when the listener gives up (a fresh link then replaces this one), or None.
        paste_reason: why the redirect must be pasted instead (no listener), or None.
    """

    url: str = field(repr=False)
    redirect_uri: str
    is_listening: bool
    deadline: datetime | None
    paste_reason: str | None


@dataclass(frozen=True)
class SessionView:
    """An immutable snapshot of the session: everything a panel or command shows, no secret.

    Attributes:
        state: where the login stands.
        message: one or two sentences for a person: the state, and what happened last.
        tone: ``ok``, ``wait``, ``hint`` or ``error``: how to colour the message.
        who: who is logged in (the demo user on the sandbox), or None when unknown: Spotify's
            Ads API names no user.
        logged_in_at: when the stored login was made (A10 counts its 6 months from then).
        link: the open login attempt, or None.
        token: the token's status (a fingerprint and times, never a token), or None.
        target: ``sandbox``, ``spotify`` or ``custom``; None when not configured.
        where: where the session connects, in words.
        custom_notice: the warning to show when credentials go elsewhere than Spotify.
        dashboard_url: where access is revoked (D7), if known.
        settings: the settings in use (their repr hides the secret), or None.
        login_serial: changes with every new login or settings switch: data panels reload.
        version: grows with every transition.
    """

    state: LoginState
    message: str
    tone: str
    who: str | None
    logged_in_at: datetime | None
    link: LoginLink | None
    token: AuthStatus | None
    target: str | None
    where: str
    custom_notice: str | None
    dashboard_url: str | None
    settings: Settings | None = field(repr=False)
    login_serial: int
    version: int

    @property
    def is_logged_in(self) -> bool:
        """Tell whether a stored login can be used (a failing refresh keeps it)."""
        return self.state in (LoginState.LOGGED_IN, LoginState.REFRESH_FAILING)

    def describe(self) -> str:
        """Return the view as plain text lines, for a terminal (no secret)."""
        lines = []
        if self.custom_notice:
            lines.append(f"WARNING: {self.custom_notice}")
        lines.append(f"Connects to {self.where}.")
        lines.append(self.message)
        token = self.token
        if token is not None and token.logged_in and self.is_logged_in:
            lines.append(
                f"Access token {token.fingerprint}… (a fingerprint, not the token) expires "
                f"{_stamp(token.expires_at)}; log in again before "
                f"{_stamp(token.refresh_expires_at)}."
            )
            lines.append(f"Tokens are stored in {token.store_location}.")
        if self.link is not None and not self.is_logged_in:
            how = (
                "a listener on this computer catches the redirect"
                if self.link.is_listening
                else (self.link.paste_reason or "paste the address-bar URL after Agree")
            )
            lines.append(f"A login link is open ({how}).")
        return "\n".join(lines)


class _Subscriber:
    """A callback and the last version it was given.

    A bound method is held weakly: a panel that went away is not kept alive by the session.
    """

    __slots__ = ("_ref", "version")

    def __init__(self, callback: Callable[[SessionView], None]) -> None:
        self._ref: Callable[[], Callable[[SessionView], None] | None]
        if hasattr(callback, "__self__") and hasattr(callback, "__func__"):
            self._ref = weakref.WeakMethod(callback)
        else:
            self._ref = lambda: callback
        self.version = -1

    def resolve(self) -> Callable[[SessionView], None] | None:
        return self._ref()


class _SessionTokens:
    """The token source an :class:`~adstudio_nb.ads.Ads` of the session uses (B10).

    It hands out the flow's tokens and tells the session what a call found: a refreshed token,
    a refresh that failed, or a login that ended (revoked, expired, forgotten elsewhere), so
    every panel shows it.
    """

    def __init__(self, session: Session, flow: OAuthFlow) -> None:
        self._session = session
        self._flow = flow

    def access_token(self) -> str:
        """Return a usable access token, refreshing it when it is about to expire."""
        try:
            token = self._flow.token()
        except AuthorizationRequired as exc:
            self._session._login_lost(self._flow, exc)
            raise
        except (TransportError, TokenRequestError) as exc:
            self._session._refresh_failed(self._flow, exc)
            raise
        self._session._token_seen(self._flow, token)
        return token.access_token

    def refresh(self) -> object:
        """Get a new access token now (after a 401)."""
        try:
            token = self._flow.refresh()
        except AuthorizationRequired as exc:
            self._session._login_lost(self._flow, exc)
            raise
        except (TransportError, TokenRequestError) as exc:
            self._session._refresh_failed(self._flow, exc)
            raise
        self._session._token_seen(self._flow, token)
        return token

    def __repr__(self) -> str:
        return f"<session tokens {self._flow!r}>"


class Session:
    """The login state of one kernel or one command-line profile, and its transitions.

    Args:
        settings: the settings to use; by default :func:`~adstudio_nb.config.load_settings`
            (the sandbox when nothing is configured). Settings that cannot be loaded leave the
            session :attr:`LoginState.NOT_CONFIGURED`, with the reason as its message.
        flow: the OAuth flow to use (its settings then win); by default one on ``settings``.
        listen: catch the redirect with a loopback listener; by default as the settings say.
        listen_timeout_s: how long one login link's listener waits before a fresh link
            replaces it.
        clock: the current aware UTC time (a sandbox test passes its clock's ``now_datetime``).
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        flow: OAuthFlow | None = None,
        listen: bool | None = None,
        listen_timeout_s: float = DEFAULT_LISTEN_TIMEOUT_S,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.listen_timeout_s = float(listen_timeout_s)
        self._listen = listen
        self._clock = clock or _utc_now
        self._lock = threading.RLock()
        self._publish_lock = threading.RLock()
        self._pending_lock = threading.Lock()
        self._pending = False
        self._subscribers: list[_Subscriber] = []
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="adstudio-session")
        self._closed = False
        self._settings: Settings | None = None
        self._flow: OAuthFlow | None = None
        self._problem = ""
        self._state = LoginState.NOT_CONFIGURED
        self._reason = ""  # why the login ended or a refresh failed
        self._notice: tuple[str, str] | None = None  # (tone, text) of the last event
        self._attempt: LoginAttempt | None = None
        self._attempt_deadline: datetime | None = None
        self._last_attempt: LoginAttempt | None = None
        self._keep_link = False
        self._who: str | None = None
        self._demo_user: str | None = None
        self._login_serial = 0
        self._version = 0
        self._ads: Ads | None = None
        self._ads_serial = -1
        self._store_choice: StoreChoice = True
        self._view: SessionView
        try:
            if flow is not None:
                self._adopt(flow.settings, flow)
            else:
                chosen = settings if settings is not None else _load_settings()
                self._adopt(_resolved(chosen), None)
        except AdStudioError as exc:
            self._settings, self._flow = None, None
            self._state = LoginState.NOT_CONFIGURED
            self._problem = explain(exc)
        with self._lock:
            self._view = self._build_view()

    # -- reading ----------------------------------------------------------------------------------

    @property
    def view(self) -> SessionView:
        """Return the current snapshot of the session."""
        return self._view

    @property
    def state(self) -> LoginState:
        """Return where the login stands."""
        return self._view.state

    @property
    def settings(self) -> Settings | None:
        """Return the settings in use, or None when not configured."""
        return self._settings

    @property
    def flow(self) -> OAuthFlow:
        """Return the OAuth flow of the settings in use.

        Raises:
            ConfigurationError: the session is not configured (the message says why).
        """
        return self._require_flow()

    @property
    def attempt(self) -> LoginAttempt | None:
        """Return the open login attempt, or None."""
        return self._attempt

    @property
    def is_authorized(self) -> bool:
        """Tell whether a usable login is stored."""
        return self._view.is_logged_in

    def describe(self) -> str:
        """Return the session's state as plain text lines, for a terminal (no secret)."""
        return self._view.describe()

    def __repr__(self) -> str:
        view = self._view
        return f"<Session {view.target or 'not configured'} {view.state.name}>"

    def _repr_html_(self) -> str:
        """Say where this notebook connects and whether it is logged in (no secret)."""
        lines = self.describe().splitlines()
        return "".join(f"<div>{escape(line)}</div>" for line in lines)

    def subscribe(self, callback: Callable[[SessionView], None]) -> Callable[[], None]:
        """Call ``callback(view)`` after every transition, from the thread it happened on.

        A bound method is held weakly: a panel that is gone stops being called. Returns a
        function that unsubscribes.
        """
        subscriber = _Subscriber(callback)
        with self._lock:
            self._subscribers.append(subscriber)
            subscriber.version = self._view.version  # it renders the current view itself

        def unsubscribe() -> None:
            with self._lock:
                if subscriber in self._subscribers:
                    self._subscribers.remove(subscriber)

        return unsubscribe

    # -- transitions --------------------------------------------------------------------------

    def start_login(self, *, show_dialog: bool = False, listen: bool | None = None) -> LoginLink:
        """Open a fresh login link (closing the previous one), with a listener where possible.

        From then on the session keeps a working link open whenever nobody is logged in: a
        link whose listener timed out, or whose login was cancelled, is replaced by itself.

        Args:
            show_dialog: show the consent page even if the user agreed before (A1), for
                example to log in as another user.
            listen: catch the redirect on this machine (remembered); by default as before,
                else as the settings say.

        Raises:
            ConfigurationError: the session is not configured.
            RedirectURIError: the configured redirect URI cannot work.
        """
        self._require_flow()
        with self._lock:
            self._keep_link = True
            if listen is not None:
                self._listen = listen
        self._open_attempt(show_dialog=show_dialog, notice=None)
        link = self._view.link
        if link is None:  # pragma: no cover - _open_attempt raises instead
            raise AuthorizationRequired("No login link could be opened: try again.")
        return link

    def ensure_login_link(self, *, listen: bool | None = None) -> None:
        """Open a login link unless someone is logged in or a working one is open."""
        if self._settings is None or self._view.is_logged_in:
            return
        attempt = self._attempt
        if attempt is not None and (attempt.listener is None or not attempt.listener.done):
            with self._lock:
                self._keep_link = True
            return
        self.start_login(listen=listen)

    def finish_login(self, pasted: object) -> Token:
        """Finish the open login with the pasted address-bar URL (or, for PKCE, a bare code).

        Pasting the same redirect again after a success returns the stored token.

        Raises:
            AuthorizationRequired: no login is open.
            AuthorizationDenied: the address says Cancel was clicked (a fresh link is opened).
            StateMismatch: the address belongs to another login (the link stays open).
            RedirectParseError: there is no code in what was pasted (the link stays open).
            AuthError: the token endpoint refused the code (a fresh link is opened).
            TransportError: the accounts service could not be reached (the link stays open).
        """
        with self._lock:
            attempt = self._attempt or self._last_attempt
        if attempt is None:
            raise AuthorizationRequired(
                "There is no login in progress: open a new login link first."
            )
        try:
            token = attempt.finish_with_redirect(pasted)
        except (StateMismatch, RedirectParseError, TransportError) as exc:
            self._note(attempt, "error", explain(exc))
            raise
        except AuthError as exc:
            self._renew(attempt, "error", explain(exc))
            raise
        self._logged_in(attempt, token)
        return token

    def demo_login(self, user: str = "alex.analyst") -> Token:
        """Log in to the sandbox as one of its demo users, with no browser (sandbox only).

        Raises:
            ConfigurationError: the settings point at Spotify, where only a person may consent.
        """
        from .demo import demo_login

        flow = self._require_flow()
        token = demo_login(flow, user=user)
        with self._lock:
            self._demo_user = user
        self._logged_in(None, token)
        return token

    def refresh(self) -> Token:
        """Get a new access token with the stored refresh token now (A8).

        Raises:
            AuthorizationRequired: nobody is logged in, or Spotify refused the refresh token
                (the session is then revoked or expired).
            TransportError: the accounts service could not be reached (the login is kept).
            TokenRequestError: the accounts service failed the request (the login is kept).
        """
        flow = self._require_flow()
        try:
            token = flow.refresh()
        except AuthorizationRequired as exc:
            with self._lock:
                nobody = self._state in _NOT_LOGGED_IN
            self._login_lost(flow, exc)
            if nobody:  # the flow's words name no way to log in: the login link is this one
                raise AuthorizationRequired(_LOG_IN_FIRST) from None
            raise
        except (TransportError, TokenRequestError) as exc:
            self._refresh_failed(flow, exc)
            raise
        self._token_seen(flow, token, notice=f"Refreshed: new access token {token.fingerprint}….")
        return token

    def forget(self) -> None:
        """Delete the stored tokens here; the app keeps its access at Spotify until revoked (D7).

        Raises:
            ConfigurationError: the session is not configured.
        """
        flow = self._require_flow()
        flow.logout()
        with self._lock:
            was_logged_in = self._state not in (*_NOT_LOGGED_IN, LoginState.NOT_CONFIGURED)
            self._state = LoginState.FORGOTTEN if was_logged_in else self._idle_state()
            self._reason = ""
            self._notice = None
            self._who = None
            self._last_attempt = None
            old = self._detach_ads()
        _close_ads(old)
        self._after_login_ended()

    def use(self, settings: Settings, *, flow: OAuthFlow | None = None) -> None:
        """Switch to other settings (another app, or Spotify instead of the sandbox).

        The open link is closed, the old API client too; the new settings' stored login is used
        when there is one, else a fresh link is opened where one was on show.
        """
        if not isinstance(settings, Settings):
            raise ConfigurationError("use() needs a Settings object (see load_settings()).")
        self._adopt(_resolved(settings), flow)
        self._publish()
        with self._lock:
            wants_link = self._keep_link and self._state in _NOT_LOGGED_IN
        if wants_link:
            self._try_open_attempt(notice=None)

    def close(self) -> None:
        """Close the open link's listener, the API client and the worker thread (idempotent)."""
        with self._lock:
            self._closed = True
            attempt, self._attempt = self._attempt, None
            old = self._detach_ads()
        if attempt is not None:
            attempt.close()
        _close_ads(old)
        self._worker.shutdown(wait=False, cancel_futures=True)

    # -- the API client -------------------------------------------------------------------------

    def ads(self, *, store: StoreChoice | _Keep = KEEP_STORE) -> Ads:
        """Return the :class:`~adstudio_nb.ads.Ads` of the current login (one per login).

        A new login, Forget, a revoked login or other settings close the previous client.
        What it fetches is kept in the session's store: the default store of the settings
        (:func:`default_store_of`) until ``store`` names another (kept for later logins too).

        Args:
            store: a :class:`~adstudio_nb.store.Store`, a DuckDB file path, True for the
                default store, False or None for none; :data:`KEEP_STORE` keeps the choice.

        Raises:
            ConfigurationError: the session is not configured.
            StoreError: the store named by a path cannot be used (the default store that
                cannot is left out, with a warning).
        """
        from .ads import Ads
        from .client import AdsClient

        flow = self._require_flow()
        with self._lock:
            previous = self._store_choice
            if isinstance(store, _Keep):
                chose = False
            else:
                self._store_choice, chose = store, True
            choice = self._store_choice
            if self._ads is not None and self._ads_serial == self._login_serial:
                ads, old, fresh = self._ads, None, False
            else:
                old = self._detach_ads()
                settings = flow.settings
                # Progress bars as Ads decides: in a notebook, not in a terminal (the CLI).
                ads = self._ads = Ads(AdsClient(settings.api_base_url, _SessionTokens(self, flow)))
                self._ads_serial = self._login_serial
                chose = fresh = True
        _close_ads(old)
        if chose:
            try:
                _use_store(ads, choice, flow.settings)
            except AdStudioError:
                # A store that cannot be used is not kept as the choice: this Ads, the next
                # call and the next login keep the one before.
                with self._lock:
                    if self._store_choice is choice:
                        self._store_choice = previous
                if fresh:  # a failed attempt leaves an Ads's store as it was; a new one has none
                    with contextlib.suppress(AdStudioError):
                        _use_store(ads, previous, flow.settings)
                raise
        return ads

    # -- internals: state changes ---------------------------------------------------------------

    def _require_flow(self) -> OAuthFlow:
        flow = self._flow
        if flow is None:
            raise ConfigurationError(self._problem or "The settings cannot work.")
        return flow

    def _idle_state(self) -> LoginState:
        return LoginState.WAITING if self._attempt is not None else LoginState.READY

    def _adopt(self, settings: Settings, flow: OAuthFlow | None) -> None:
        """Take ``settings`` (and ``flow``) as the current ones: state from the stored login."""
        flow = flow or OAuthFlow(settings)
        stored = flow.store.load()  # TokenStoreError: the caller decides
        who = self._lookup_who(settings, stored) if stored is not None else None
        with self._lock:
            attempt, self._attempt = self._attempt, None
            self._last_attempt = None
            old = self._detach_ads()
            self._settings, self._flow = settings, flow
            self._problem = ""
            self._reason = ""
            self._notice = None
            self._who = who
            self._demo_user = None
            self._login_serial += 1
            self._state = LoginState.LOGGED_IN if stored is not None else LoginState.READY
            if hasattr(self, "_view"):
                self._view = self._build_view()
        if attempt is not None:
            attempt.close()
        _close_ads(old)

    def _open_attempt(self, *, show_dialog: bool = False, notice: tuple[str, str] | None) -> None:
        """Replace the open attempt by a fresh one and publish; raise if none can be opened."""
        flow = self._require_flow()
        with self._lock:
            old, self._attempt = self._attempt, None
            listen = self._listen
        if old is not None:
            old.close()  # first: a fixed redirect port must be free for the new listener
        if listen is None:
            listen = flow.settings.catch_redirect
        try:
            attempt = begin_login(
                flow,
                show_dialog=show_dialog,
                listen=listen,
                timeout_s=self.listen_timeout_s,
                on_redirect=self._listener_finished_soon,
            )
        except AdStudioError as exc:
            with self._lock:
                if self._state is LoginState.WAITING:
                    self._state = LoginState.READY
                self._notice = ("error", explain(exc))
            self._publish()
            raise
        with self._lock:
            if self._closed or self._flow is not flow:
                attempt.close()
                return
            self._attempt = attempt
            self._attempt_deadline = (
                self._clock() + timedelta(seconds=self.listen_timeout_s)
                if attempt.listener is not None
                else None
            )
            if self._state is LoginState.READY or (notice is not None and self._state in _ENDED):
                # A login attempt's outcome (Cancel, a timeout) is now the news, not the old end.
                self._state = LoginState.WAITING
            self._notice = notice
        self._publish()

    def _try_open_attempt(self, *, notice: tuple[str, str] | None) -> None:
        """Open a fresh attempt; a failure is on show in the view (never raised here)."""
        try:
            self._open_attempt(notice=notice)
        except AdStudioError as exc:
            log.debug("no fresh login link could be opened: %s", type(exc).__name__)

    def _listener_finished_soon(self, attempt: LoginAttempt) -> None:
        """Hand the listener's outcome to the worker (runs on the listener's thread)."""
        try:
            self._worker.submit(self._listener_finished, attempt)
        except RuntimeError:  # the session was closed
            log.debug("a redirect arrived after the session was closed")

    def _listener_finished(self, attempt: LoginAttempt) -> None:
        """Exchange a caught redirect, or replace a timed-out link (on the worker thread)."""
        try:
            with self._lock:
                if attempt is not self._attempt or self._closed:
                    return  # replaced or closed on purpose: nothing to do
            listener = attempt.listener
            if listener is None:
                return
            if listener.result is None:
                if isinstance(listener.error, CallbackTimeout):
                    minutes = max(1, round(self.listen_timeout_s / 60))
                    self._renew(
                        attempt,
                        "hint",
                        f"The login link waited {minutes} min without a login, so it was "
                        "replaced: the link above is a fresh one. Click it, log in and click "
                        "Agree.",
                    )
                return
            try:
                token = attempt.finish_with_listener()
            except AuthorizationDenied as exc:
                self._renew(attempt, "hint", explain(exc))
                return
            except AdStudioError as exc:
                self._renew(attempt, "error", explain(exc))
                return
            self._logged_in(attempt, token)
        except Exception as exc:  # the worker must go on; the panels say what happened
            log.warning("a caught login could not be finished: %s", type(exc).__name__)
            self._note(attempt, "error", explain(exc))

    def _renew(self, attempt: LoginAttempt, tone: str, text: str) -> None:
        """Replace ``attempt`` (if still current) by a fresh one, with ``text`` on show."""
        with self._lock:
            if attempt is not self._attempt or self._closed:
                return
        self._try_open_attempt(notice=(tone, text))

    def _note(self, attempt: LoginAttempt | None, tone: str, text: str) -> None:
        """Put ``text`` on show without changing the state."""
        with self._lock:
            if attempt is not None and attempt is not self._attempt:
                return
            self._notice = (tone, text)
        self._publish()

    def _logged_in(self, attempt: LoginAttempt | None, token: Token) -> None:
        flow = self._require_flow()
        with self._lock:
            same = (
                self._state is LoginState.LOGGED_IN
                and self._view.token is not None
                and self._view.token.fingerprint == token.fingerprint
            )
        if same:
            return  # the same redirect pasted twice: nothing changed
        who = self._lookup_who(flow.settings, token)
        with self._lock:
            current, self._attempt = self._attempt, None
            if attempt is not None:
                self._last_attempt = attempt
            old = self._detach_ads()
            self._state = LoginState.LOGGED_IN
            self._reason = ""
            self._notice = None
            self._who = who
            self._login_serial += 1
        if current is not None and current is not attempt:
            current.close()
        _close_ads(old)
        self._publish()

    def _token_seen(self, flow: OAuthFlow, token: Token, *, notice: str | None = None) -> None:
        """A call got a token: after a refresh (or another kernel's), show the new one."""
        with self._lock:
            if flow is not self._flow:
                return
            shown = self._view.token
            unchanged = (
                self._state is LoginState.LOGGED_IN
                and shown is not None
                and shown.fingerprint == token.fingerprint
            )
            if unchanged and notice is None:
                return
            if self._state not in (LoginState.LOGGED_IN, LoginState.REFRESH_FAILING):
                # Logged in elsewhere (another kernel, the command line) into the same store.
                self._login_serial += 1
                self._last_attempt = None
            self._state = LoginState.LOGGED_IN
            self._reason = ""
            self._notice = ("ok", notice) if notice else None
        self._publish()

    def _refresh_failed(self, flow: OAuthFlow, exc: AdStudioError) -> None:
        """The network or the accounts service failed a refresh: the login is kept."""
        with self._lock:
            if flow is not self._flow or self._state not in (
                LoginState.LOGGED_IN,
                LoginState.REFRESH_FAILING,
            ):
                return
            self._state = LoginState.REFRESH_FAILING
            self._reason = f"The login could not be renewed just now, and is kept: {explain(exc)}"
            self._notice = None
        self._publish()

    def _login_lost(self, flow: OAuthFlow, exc: AuthorizationRequired) -> None:
        """A refresh or an API call found no usable login: revoked, expired or deleted."""
        with self._lock:
            if flow is not self._flow:
                return
            was = self._state
            if was not in (LoginState.LOGGED_IN, LoginState.REFRESH_FAILING):
                if was in _ENDED or was is LoginState.NOT_CONFIGURED:
                    return
                self._notice = ("error", _LOG_IN_FIRST)  # e.g. Refresh before any login
                publish_only = True
            else:
                publish_only = False
                cause = exc.__cause__
                if isinstance(cause, InvalidGrant):
                    self._state = (
                        LoginState.EXPIRED if self._past_horizon(cause) else LoginState.REVOKED
                    )
                else:  # the stored tokens were deleted elsewhere (another kernel, the CLI)
                    self._state = LoginState.FORGOTTEN
                self._reason = explain(exc)
                self._notice = None
                self._who = None
                self._last_attempt = None
                old = self._detach_ads()
        if publish_only:
            self._publish()
            return
        # Closed from another thread: a call of this client may be what found the loss.
        _close_ads(old)
        self._after_login_ended()

    def _past_horizon(self, cause: InvalidGrant) -> bool:
        """Tell whether a refused refresh token ended at its 6-month horizon (A10)."""
        token = self._view.token
        authorized_at = token.authorized_at if token is not None else None
        horizon = authorized_at + REFRESH_TOKEN_LIFETIME if authorized_at is not None else None
        if horizon is not None and self._clock() >= horizon - _HORIZON_MARGIN:
            return True
        said = cause.error_description or cause.error or ""
        return bool(_SAYS_SIX_MONTHS.search(said))

    def _after_login_ended(self) -> None:
        """Publish the ended login; open a fresh link where one was on show."""
        self._publish()
        with self._lock:
            wants_link = self._keep_link and not self._closed and self._attempt is None
        if wants_link:
            self._try_open_attempt(notice=None)

    def _detach_ads(self) -> Ads | None:
        old, self._ads = self._ads, None
        self._ads_serial = -1
        return old

    # -- internals: who is logged in ------------------------------------------------------------

    def _lookup_who(self, settings: Settings, token: Token | None) -> str | None:
        """Ask the sandbox which demo user ``token`` speaks for; None elsewhere or unknown."""
        if token is None or settings.target != "sandbox":
            return None
        parts = urlsplit(settings.authorize_url)
        url = f"{parts.scheme}://{parts.netloc}{_WHOAMI_PATH}"
        try:
            answer = requests.get(
                url,
                headers={"Authorization": f"Bearer {token.access_token}"},
                timeout=_WHOAMI_TIMEOUT_S,
                allow_redirects=False,
            )
            body = answer.json() if answer.status_code == 200 else None
        except (requests.RequestException, ValueError):
            body = None
        if isinstance(body, dict):
            user_id, name = body.get("user_id"), body.get("display_name")
            if isinstance(user_id, str) and _NAME.match(user_id):
                if isinstance(name, str) and _NAME.match(name) and name != user_id:
                    return f"{name} ({user_id})"
                return user_id
        # A sandbox that cannot say: the demo user this session logged in as, if it did.
        return self._demo_user

    # -- internals: the view ---------------------------------------------------------------------

    def _build_view(self) -> SessionView:
        """Build the snapshot of the current state (call with the lock held)."""
        settings, flow = self._settings, self._flow
        token: AuthStatus | None = None
        if flow is not None:
            try:
                token = flow.status()
            except AdStudioError as exc:  # a damaged token file: say which and how to fix
                self._notice = ("error", explain(exc))
        state = self._state
        link = self._link_of(self._attempt)
        message, tone = self._message(state, token)
        self._version += 1
        return SessionView(
            state=state,
            message=message,
            tone=tone,
            who=self._who if state in (LoginState.LOGGED_IN, LoginState.REFRESH_FAILING) else None,
            logged_in_at=token.authorized_at if token is not None and token.logged_in else None,
            link=link,
            token=token,
            target=settings.target if settings is not None else None,
            where=_where(settings),
            custom_notice=settings.custom_target_notice if settings is not None else None,
            dashboard_url=settings.dashboard_url if settings is not None else None,
            settings=settings,
            login_serial=self._login_serial,
            version=self._version,
        )

    def _link_of(self, attempt: LoginAttempt | None) -> LoginLink | None:
        if attempt is None:
            return None
        return LoginLink(
            url=attempt.url,
            redirect_uri=attempt.login.redirect_uri,
            is_listening=attempt.is_listening,
            deadline=self._attempt_deadline if attempt.listener is not None else None,
            paste_reason=attempt.listener_problem,
        )

    def _message(self, state: LoginState, token: AuthStatus | None) -> tuple[str, str]:
        settings = self._settings
        if state is LoginState.NOT_CONFIGURED or settings is None:
            return self._problem or "The settings cannot work.", "error"
        if state is LoginState.LOGGED_IN or state is LoginState.REFRESH_FAILING:
            text = _logged_in_line(settings, self._who, token)
            if state is LoginState.REFRESH_FAILING:
                return f"{text} {self._reason}", "hint"
            if self._notice is not None:
                tone, note = self._notice
                return f"{text} {note}", "error" if tone == "error" else "ok"
            return text, "ok"
        if state in _ENDED:
            text = self._reason if state is not LoginState.FORGOTTEN else _forgotten_line(settings)
            if state is LoginState.FORGOTTEN and self._reason:
                text = self._reason
            if self._notice is not None:
                text = f"{text} {self._notice[1]}"
            return text, "error" if state is not LoginState.FORGOTTEN else "hint"
        if self._notice is not None:
            tone, note = self._notice
            return note, tone
        if state is LoginState.WAITING:
            return "Waiting for you to log in and click Agree…", "wait"
        return "Not logged in yet.", "wait"

    # -- internals: telling subscribers -----------------------------------------------------------

    def _publish(self) -> None:
        """Rebuild the view and deliver the newest one to every subscriber.

        Deliveries never overlap: a transition on another thread while a subscriber runs is
        delivered by the thread already delivering (never waited for, so a panel loading data
        whose worker threads find the login revoked cannot deadlock).
        """
        with self._lock:
            self._view = self._build_view()
        with self._pending_lock:
            self._pending = True
        while True:
            if not self._publish_lock.acquire(blocking=False):
                return  # the delivering thread sees the pending flag and delivers this too
            try:
                while True:
                    with self._pending_lock:
                        if not self._pending:
                            break
                        self._pending = False
                    self._deliver()
            finally:
                self._publish_lock.release()
            with self._pending_lock:
                if not self._pending:
                    return

    def _deliver(self) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            view = self._view  # the newest: a subscriber may have caused a transition
            if subscriber.version >= view.version:
                continue
            callback = subscriber.resolve()
            if callback is None:
                with self._lock:
                    if subscriber in self._subscribers:
                        self._subscribers.remove(subscriber)
                continue
            subscriber.version = view.version
            try:
                callback(view)
            except Exception as exc:  # one broken panel must not silence the others
                log.warning("a panel failed to update: %s", type(exc).__name__)


def _use_store(ads: Ads, choice: StoreChoice, settings: Settings) -> None:
    """Give ``ads`` the store ``choice`` names (unchanged when it already has that one)."""
    if choice is True:
        path = default_store_of(settings)
    elif isinstance(choice, (str, Path)):
        path = Path(choice).expanduser().resolve()
    else:
        ads.use_store(choice)  # a Store, or none
        return
    if ads.store is not None and ads.store.path == path:
        return
    if choice is not True:
        ads.use_store(path)  # StoreError: the user named it, so the user hears of it
        return
    try:
        ads.use_store(path)
    except (StoreError, InvalidArgument) as exc:
        # The default store is a convenience: without it every report is fetched in full.
        ads.use_store(None)
        message = (
            f"The local store cannot be used ({exc}). Reports are fetched in full each time; "
            "pass another store to connect(store=...) to keep them."
        )
        log.warning("%s", message)
        warnings.warn(message, RuntimeWarning, stacklevel=3)


def _close_ads(ads: Ads | None) -> None:
    if ads is not None:
        try:
            ads.close()
        except Exception as exc:  # closing must never break a transition
            log.debug("closing the API client failed: %s", type(exc).__name__)


def _where(settings: Settings | None) -> str:
    if settings is None:
        return "nothing yet (the settings cannot work)"
    if settings.target == "sandbox":
        parts = urlsplit(settings.authorize_url)
        return f"the sandbox (a local stand-in for Spotify) at {parts.scheme}://{parts.netloc}"
    if settings.target == "custom":
        return (
            f"a custom target (login at {settings.authorize_url}, Ads API {settings.api_base_url})"
        )
    return f"Spotify ({urlsplit(settings.authorize_url).netloc}, Ads API {settings.api_base_url})"


def _logged_in_line(settings: Settings, who: str | None, token: AuthStatus | None) -> str:
    since = _stamp(token.authorized_at if token is not None else None)
    if settings.target == "sandbox":
        if who:
            return f"Logged in as {who} on the sandbox, since {since}."
        return f"Logged in to the sandbox, since {since}."
    if settings.target == "custom":
        return f"Logged in at {urlsplit(settings.authorize_url).netloc}, since {since}."
    # Spotify's Ads API names no user: say where and since when.
    return f"Logged in to Spotify, since {since}."


def _forgotten_line(settings: Settings) -> str:
    where = "the sandbox dashboard" if settings.target == "sandbox" else "your Spotify account"
    return (
        "The tokens were deleted from this computer: log in again to continue. The app keeps "
        f"its access until you remove it in {where}."
    )


def _load_settings() -> Settings:
    """Read the configured settings (the sandbox when nothing is configured)."""
    return load_settings()


def _resolved(settings: Settings) -> Settings:
    """Find or start the sandbox that zero-configuration settings ask for (else a no-op)."""
    from .demo import resolve_settings

    return resolve_settings(settings)


# -- one session per kernel ------------------------------------------------------------------------

_kernel_session: Session | None = None
_kernel_lock = threading.Lock()
_login_presenter: Callable[[Session], bool] | None = None


def onboarding(
    settings: Settings | None = None, *, listen_timeout_s: float | None = None
) -> Session:
    """Return this kernel's :class:`Session`, creating it on first use.

    Args:
        settings: use these settings (switching to them if others are in use).
        listen_timeout_s: how long a login link's listener waits before a fresh link
            replaces it (five minutes by default).
    """
    global _kernel_session
    with _kernel_lock:
        session = _kernel_session
        if session is None or session._closed:
            session = _kernel_session = Session(
                settings,
                listen_timeout_s=DEFAULT_LISTEN_TIMEOUT_S
                if listen_timeout_s is None
                else listen_timeout_s,
            )
            return session
    if listen_timeout_s is not None:
        session.listen_timeout_s = float(listen_timeout_s)
    if settings is not None and settings != session.settings:
        session.use(settings)
    return session


def set_login_presenter(presenter: Callable[[Session], bool] | None) -> None:
    """Set how :func:`connect` shows a login in a notebook.

    ``presenter(session)`` returns whether it showed one; the package wires the notebook
    panels here, so that this module needs no widget.
    """
    global _login_presenter
    _login_presenter = presenter


def connect(
    *,
    settings: Settings | None = None,
    demo_user: str = "alex.analyst",
    store: StoreChoice | _Keep = KEEP_STORE,
) -> Ads:
    """Return the Ads API as DataFrames (an :class:`~adstudio_nb.ads.Ads`) for this login.

    The one way in, for notebooks, scripts and the command line. On the sandbox, a run with
    nobody logged in logs in as a demo user by itself (unattended notebooks, shared
    walkthroughs). On Spotify it uses the stored login (from the onboarding notebook or
    ``adstudio-nb login``); without one, a notebook shows the login panel and a terminal is told
    which command logs in.

    What the Ads fetches is kept in a local DuckDB store (:mod:`adstudio_nb.store`), by
    default one per profile in the user's data directory (:func:`default_store_of`): a report
    asked for again fetches only the days the store lacks and the last few, which Spotify may
    still restate.

    Args:
        settings: the settings to use; by default the configured ones (the sandbox when
            nothing is configured).
        demo_user: the sandbox demo user to log in as (``alex.analyst`` sees every demo
            business, ``nina.newcomer`` has no ad account).
        store: where to keep what is fetched: a :class:`~adstudio_nb.store.Store`, a DuckDB
            file path, True for the default store, False or None for none. By default the
            session's current choice (the default store until told otherwise).

    Raises:
        ConfigurationError: the settings cannot work (the message says what to fix).
        AuthorizationRequired: not logged in to Spotify yet.
        StoreError: the store named by a path cannot be used.
    """
    session = onboarding(settings)
    view = session.view
    if view.state is LoginState.NOT_CONFIGURED:
        raise ConfigurationError(view.message)
    if view.is_logged_in:
        return session.ads(store=store)
    if view.target == "sandbox":
        session.demo_login(demo_user)
        return session.ads(store=store)
    presenter = _login_presenter
    shown = presenter(session) if presenter is not None else False
    if shown:
        raise AuthorizationRequired(
            "Not logged in to Spotify yet: log in with the panel above, then run this cell again."
        )
    raise AuthorizationRequired(
        "Not logged in to Spotify yet: run `adstudio-nb login` in a terminal (or log in with "
        "the onboarding notebook), then run this again."
    )
