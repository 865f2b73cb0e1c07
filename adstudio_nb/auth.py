"""The OAuth steps of Spotify's authorization code flow, and the :class:`Token` value.

This module owns the protocol steps: building the authorize URL (with ``state`` and, for PKCE,
an S256 challenge), reading a redirect (pasted or caught by the loopback listener), exchanging
a code, refreshing, and mapping every refusal of the accounts service (A4-A10) to a typed
exception whose message says what to do next. Authlib's requests client does the generic
OAuth mechanics; what is Spotify-specific is here.

It never shows widgets, never prints, and never blocks waiting for input: a widget, the CLI or
a notebook cell drives it. Logs say which step ran, never a secret, token, code, state or Basic
value. Error texts from the accounts service are redacted (every encoding of every secret the
request carried, and any long piece of one) before they reach a message. Inside the steps the
client secret, the code, the verifier and the tokens are held as :class:`~adstudio_nb.redaction.
Secret` and revealed only in the frame that hands them to the HTTP library; our errors are raised
after that frame is gone, so a verbose traceback (``%xmode Verbose``) shows no secret in its
locals.

Example (against the sandbox; the consent click is what a browser does):
    >>> from adstudio_nb.sandbox import Sandbox
    >>> from adstudio_nb.config import Settings
    >>> from tests.helpers import consent
    >>> with Sandbox() as sb:
    ...     flow = OAuthFlow(Settings.for_sandbox(sb))
    ...     login = flow.start_login()
    ...     token = flow.complete_login(consent(login.url), login)
    ...     flow.status().logged_in
    True
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn
from urllib.parse import parse_qs, urlsplit, urlunsplit

import requests

from .config import Settings
from .exceptions import (
    AdStudioError,
    AuthError,
    AuthorizationDenied,
    AuthorizationRequired,
    CodeExpired,
    CodeInvalid,
    CodeVerifierMismatch,
    ConfigurationError,
    InvalidClient,
    InvalidGrant,
    RedirectParseError,
    RedirectURIError,
    RedirectURIMismatch,
    StateMismatch,
    TokenRequestError,
    TransportError,
    UnsupportedGrantType,
)
from .redaction import Secret, basic_value, redact
from .redirect_uris import _show, compare_redirect_uris, validate_redirect_uri
from .token_store import REFRESH_TOKEN_LIFETIME, Token, TokenStore, open_token_store

__all__ = [
    "NOT_LOGGED_IN",
    "REFRESH_LEEWAY_S",
    "AuthStatus",
    "LoginRequest",
    "OAuthFlow",
    "Token",
]

log = logging.getLogger(__name__)

REFRESH_LEEWAY_S = 60.0  # refresh when less than a minute is left
NOT_LOGGED_IN = "Not logged in: log in first."
"""What the flow says when asked for a token with nothing stored.

It names no way of logging in: the surface that catches it (a panel, the command line) knows
its own and says it.
"""
DEFAULT_TIMEOUT_S = (5.0, 30.0)  # connect, read: a token request never hangs a kernel
_ACCESS_TOKEN_LIFETIME_S = 3600  # A11, used only when expires_in is missing
_CODE_PATTERN = re.compile(r"^[A-Za-z0-9._~-]{16,4096}$")  # base64url-ish, as Spotify's codes
_MAX_PASTE = 16_384
# A10: a login this old is at its 6-month horizon, whatever Spotify's text (calendar months and
# the two clocks make "6 months" a little fuzzy, hence a 2-day margin below 182 days).
_ABOUT_SIX_MONTHS = REFRESH_TOKEN_LIFETIME - timedelta(days=2)
# A10: Spotify's text itself names the 6-month horizon.
_SAYS_SIX_MONTHS = re.compile(r"\b(?:6|six)[ -]?months?\b|\b18[0-4] ?days\b", re.IGNORECASE)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _digest(value: Secret) -> str:
    return hashlib.sha256(value.reveal().encode("utf-8", "surrogatepass")).hexdigest()


def _hidden(value: object) -> object:
    """Return pasted text as a :class:`Secret` (a Secret stays one); other values as they are."""
    return Secret(value) if isinstance(value, str | Secret) else value


def _as_code(value: object) -> Secret | None:
    """Return ``value`` as a Secret if it is shaped like an authorization code, else None."""
    if isinstance(value, str | Secret) and _CODE_PATTERN.match(Secret(value).reveal()):
        return Secret(value)
    return None


@dataclass(frozen=True, repr=False)
class LoginRequest:
    """One login attempt: the URL to open, and what must come back (state, PKCE verifier).

    Attributes:
        url: the authorize URL to open in a browser (A1).
        redirect_uri: the redirect URI this login uses; the token request sends the same (A5).
        state: the random value the redirect must echo (CSRF guard, A3).
        code_verifier: the PKCE verifier, kept private; None without PKCE (A1, A5).
        client_id: the client this login is for.
        created_at: when the login was started.
        show_dialog: whether the consent screen is forced again.
    """

    url: str
    redirect_uri: str
    state: str
    code_verifier: str | None
    client_id: str
    created_at: datetime
    show_dialog: bool = False

    @property
    def uses_pkce(self) -> bool:
        """Tell whether this login uses PKCE."""
        return self.code_verifier is not None

    def __repr__(self) -> str:
        host = urlsplit(self.url).netloc
        return (
            f"<LoginRequest at {host} redirect_uri={self.redirect_uri} "
            f"pkce={self.uses_pkce} show_dialog={self.show_dialog}>"
        )


@dataclass(frozen=True)
class AuthStatus:
    """What a notebook shows about the login: no token, only a fingerprint and times.

    Attributes:
        logged_in: whether a token is stored.
        target: ``sandbox``, ``spotify`` or ``custom``.
        profile: the token profile.
        store_location: the token file, or ``memory``.
        fingerprint: 8 hex characters of the access token's SHA-256.
        expires_at: when the access token expires.
        expires_in_s: seconds left on the access token (negative once expired).
        authorized_at: when the user logged in (A10's horizon counts from it).
        refresh_expires_at: when the refresh token stops working (A10).
        scope: the granted scope.
    """

    logged_in: bool
    target: str
    profile: str
    store_location: str
    fingerprint: str | None = None
    expires_at: datetime | None = None
    expires_in_s: float | None = None
    authorized_at: datetime | None = None
    refresh_expires_at: datetime | None = None
    scope: str = ""

    def __str__(self) -> str:
        if not self.logged_in:
            return f"Not logged in ({self.target}, profile {self.profile})."
        minutes = int((self.expires_in_s or 0) // 60)
        state = f"expires in {minutes} min" if minutes >= 0 else "expired (refreshes on use)"
        return (
            f"Logged in ({self.target}, profile {self.profile}): token {self.fingerprint}, "
            f"{state}; log in again before {self.refresh_expires_at:%Y-%m-%d}."
        )

    def _repr_html_(self) -> str:
        """Show the login state as a small table."""
        from html import escape

        return f"<p class='adstudio-status'>{escape(str(self))}</p>"


class _Answer:
    """A token endpoint's success body (A7); its repr hides it, for it holds the tokens."""

    __slots__ = ("_body",)

    def __init__(self, body: dict[str, Any]) -> None:
        self._body = body

    def __repr__(self) -> str:
        return "<token answer>"

    def token(self, *, now: datetime, authorized_at: datetime, previous: Token | None) -> Token:
        """Build the stored token; ``previous`` is the token a refresh replaces (A8, A10)."""
        body = self._body
        refresh = body.get("refresh_token")
        if not isinstance(refresh, str) or not refresh:
            # A8: keep the old refresh token when none comes back, replace it when one does.
            refresh = previous.refresh_token if previous is not None else None
        return Token(
            access_token=str(body["access_token"]),
            refresh_token=refresh,
            expires_at=now + timedelta(seconds=_expires_in(body)),
            authorized_at=authorized_at,
            scope=str(body.get("scope") or (previous.scope if previous else "") or ""),
            token_type=str(body.get("token_type") or "Bearer"),
        )


@dataclass(repr=False)
class _Exchange:
    """One token request: what it needs to explain a refusal, and what came back."""

    grant: str
    redirect_uri: str | None = None
    secrets: tuple[Secret, ...] = ()
    answer: _Answer | None = None
    refusal: AdStudioError | None = None

    def __repr__(self) -> str:
        return f"<token request grant_type={self.grant}>"


class _Refused(Exception):
    """Stops Authlib once our check has refused an answer; the refusal travels separately."""


class OAuthFlow:
    """Spotify's authorization code flow, step by step, with tokens kept in a store.

    The flow is passive: :meth:`start_login` returns a URL to open, :meth:`complete_login` (or
    :meth:`parse_redirect` then :meth:`exchange_code`) turns the redirect into a token, and
    :meth:`access_token` returns a usable token, refreshing it when less than a minute is left.

    Args:
        settings: the client and the hosts.
        store: where tokens live; by default the store ``settings`` ask for.
        session: a ``requests.Session`` whose adapters, proxies and TLS settings the token
            requests use (for example a corporate CA bundle); by default a fresh one per request.
        clock: returns the current aware UTC time (a sandbox test passes its clock's
            ``now_datetime``).
        timeout_s: the token requests' timeout (seconds, or a (connect, read) pair).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        store: TokenStore | None = None,
        session: requests.Session | None = None,
        clock: Callable[[], datetime] | None = None,
        timeout_s: float | tuple[float, float] = DEFAULT_TIMEOUT_S,
    ) -> None:
        if not isinstance(settings, Settings):
            raise ConfigurationError("OAuthFlow needs a Settings object (see load_settings()).")
        if not settings.is_resolved:
            raise ConfigurationError(
                "These settings still ask for a sandbox: pass them through "
                "adstudio_nb.demo.resolve_settings() first, which finds or starts it."
            )
        self.settings = settings
        self.store: TokenStore = store if store is not None else open_token_store(settings)
        self._session = session
        self._clock = clock or _utc_now
        self.timeout_s = timeout_s
        self._lock = threading.RLock()
        self._token: Token | None = None
        self._used_codes: set[str] = set()  # sha256 of codes already exchanged (Run-All safety)

    def __repr__(self) -> str:
        s = self.settings
        return f"<OAuthFlow {s.target} profile={s.profile} pkce={s.use_pkce}>"

    # -- step 1: the authorize URL (A1) ---------------------------------------------------------

    def start_login(
        self, *, show_dialog: bool = False, redirect_uri: str | None = None
    ) -> LoginRequest:
        """Return a new login: the authorize URL to open, with a fresh ``state`` (A1).

        Args:
            show_dialog: force Spotify's consent screen even if the user agreed before.
            redirect_uri: the redirect URI to use instead of the configured one, for example
                the loopback listener's actual URI when the registered one has no port (A12).

        Raises:
            RedirectURIError: ``redirect_uri`` cannot work, or differs from the configured
                (registered) one by more than a port (A12).
        """
        uri = self.settings.redirect_uri
        if redirect_uri:
            uri = validate_redirect_uri(redirect_uri)
            # A12: the URI must match the registered one (the configured redirect_uri); only a
            # port may be added to a loopback URI registered without one.
            problem = compare_redirect_uris(uri, self.settings.redirect_uri)
            if problem:
                raise RedirectURIError(problem, uri=uri, suggestion=self.settings.redirect_uri)
        state = secrets.token_urlsafe(24)
        verifier = secrets.token_urlsafe(64) if self.settings.use_pkce else None  # 86 chars
        extra: dict[str, str] = {}
        if self.settings.scope:
            extra["scope"] = self.settings.scope  # A13: none by default
        if show_dialog:
            extra["show_dialog"] = "true"
        with self._oauth_session() as oauth:
            url, _ = oauth.create_authorization_url(
                self.settings.authorize_url,
                state=state,
                code_verifier=verifier,
                redirect_uri=uri,
                **extra,
            )
        log.debug("login started (pkce=%s, show_dialog=%s)", verifier is not None, show_dialog)
        return LoginRequest(
            url=url,
            redirect_uri=uri,
            state=state,
            code_verifier=verifier,
            client_id=self.settings.client_id,
            created_at=self._clock(),
            show_dialog=show_dialog,
        )

    # -- step 2: the redirect (A3) ----------------------------------------------------------------

    def parse_redirect(self, url_or_code: object, login: LoginRequest) -> str:
        """Return the authorization code from a pasted redirect URL or query (A3).

        The redirect must carry this login's ``state``: an address without one is refused, as
        the loopback listener refuses it. A code pasted on its own carries no state, so it is
        accepted only for a PKCE login, whose verifier ties the code to this login at the token
        step; otherwise the whole address-bar URL is needed.

        Args:
            url_or_code: the whole address-bar URL after consent (text or a ``Secret``), its
                query, or, for a PKCE login, just the code.
            login: the login this redirect answers; its ``state`` must come back.

        Raises:
            AuthorizationDenied: the user clicked Cancel (``error=access_denied``).
            StateMismatch: the redirect carries another login's state, or none.
            RedirectParseError: there is no code in what was pasted.
            AuthError: Spotify answered the login with another error.
        """
        pasted = _hidden(url_or_code)
        del url_or_code  # from here on only the hidden form is in this frame
        return _code_in(pasted, login).reveal()

    # -- step 3: code for token (A4-A7) --------------------------------------------------------

    def exchange_code(self, code: str | Secret, login: LoginRequest) -> Token:
        """Exchange an authorization code for tokens, store them and return the token (A5, A7).

        The same code again after a success returns the stored token instead of spending
        a request that must fail (a notebook's "Run All" runs this cell twice).

        Args:
            code: the authorization code (text or a ``Secret``).
            login: the login that produced it (its redirect URI and PKCE verifier).

        Raises:
            CodeExpired: the code is older than 10 minutes (A4).
            CodeInvalid: the code is unknown or was already used (A4).
            RedirectURIMismatch: the redirect URI is not the authorize step's (A5).
            CodeVerifierMismatch: PKCE verifier refused (A5).
            InvalidGrant: Spotify refused the code for another reason (its words are quoted).
            InvalidClient: wrong client id or secret (A6).
            TransportError: the accounts service could not be reached.
        """
        secret_code = _as_code(code)
        del code  # from here on only the hidden form is in this frame
        if secret_code is None:
            raise RedirectParseError(
                "That is not an authorization code: paste the whole address from the browser's "
                "address bar after clicking Agree."
            )
        return self._exchange(secret_code, login)

    def complete_login(self, url_or_code: object, login: LoginRequest) -> Token:
        """Parse a redirect (pasted or caught) and exchange its code: steps 2 and 3 together.

        Raises:
            AuthError: any error of :meth:`parse_redirect` or :meth:`exchange_code`.
            TransportError: the accounts service could not be reached.
        """
        pasted = _hidden(url_or_code)
        del url_or_code  # from here on only the hidden form is in this frame
        return self._exchange(_code_in(pasted, login), login)

    def _exchange(self, code: Secret, login: LoginRequest) -> Token:
        if not isinstance(login, LoginRequest):
            raise ConfigurationError("exchange_code needs the LoginRequest from start_login().")
        if login.client_id != self.settings.client_id:
            raise ConfigurationError(
                "This login was started for another client id: start a new login with these "
                "settings."
            )
        with self._lock:
            key = _digest(code)
            if key in self._used_codes:
                stored = self.store.load()
                if stored is not None:
                    log.debug("code already exchanged by this flow: returning the stored token")
                    self._token = stored
                    return stored
            form: dict[str, str | Secret] = {"code": code, "redirect_uri": login.redirect_uri}
            if login.code_verifier is not None:
                form["code_verifier"] = Secret(login.code_verifier)
            exchange = _Exchange(
                "authorization_code",
                redirect_uri=login.redirect_uri,
                secrets=tuple(v for v in form.values() if isinstance(v, Secret)),
            )
            log.debug("exchanging an authorization code at the token endpoint")
            answer = self._token_request(form, exchange)
            now = self._clock()
            # A10: the horizon starts at this authorization.
            token = answer.token(now=now, authorized_at=now, previous=None)
            self.store.save(token)
            self._used_codes.add(key)
            self._token = token
            log.debug("logged in: token %s", token.fingerprint)
            return token

    # -- refreshing (A8-A10) ------------------------------------------------------------------

    def refresh(self) -> Token:
        """Get a new access token with the stored refresh token; store and return it (A8).

        Under the store's lock the token is read again: when another process (another kernel)
        refreshed meanwhile and its token is still valid, that one is used and no request is
        made, so a rotating refresh token is never spent twice. There is no token argument: the
        refresh token comes from the store, so the original guide's mistake of refreshing with
        the access token (D5) cannot happen.

        Raises:
            AuthorizationRequired: nothing is stored, or the refresh token was revoked or
                expired (A9, A10): log in again.
            InvalidClient: wrong client id or secret (A6).
            TransportError: the accounts service could not be reached.
        """
        with self._lock:
            seen = self._token or self.store.load()
            with self.store.locked():
                current = self.store.load()
                if current is None:
                    self._token = None
                    raise AuthorizationRequired(NOT_LOGGED_IN)
                now = self._clock()
                if (
                    seen is not None
                    and current.access_token != seen.access_token
                    and not current.is_expired(now, leeway_s=REFRESH_LEEWAY_S)
                ):
                    log.debug(
                        "token was refreshed by another process: using %s", current.fingerprint
                    )
                    self._token = current
                    return current
                token = self._refresh_with(current, now)
                self.store.save(token)
                self._token = token
                log.debug("refreshed: token %s", token.fingerprint)
                return token

    def _refresh_with(self, current: Token, now: datetime) -> Token:
        if not current.refresh_token:
            raise AuthorizationRequired("The stored login has no refresh token: log in again.")
        refresh_token = Secret(current.refresh_token)
        exchange = _Exchange("refresh_token", secrets=(refresh_token,))
        log.debug("refreshing the access token")
        try:
            answer = self._token_request({"refresh_token": refresh_token}, exchange)
        except InvalidGrant as exc:
            # A9, A10: the refresh token is dead; a stored token that cannot refresh is useless.
            self.store.clear()
            self._token = None
            raise AuthorizationRequired(_refresh_refusal(exc, current, now)) from exc
        # A10: refreshing does not extend the horizon: the original authorization stays.
        return answer.token(
            now=self._clock(), authorized_at=current.authorized_at, previous=current
        )

    def token(self) -> Token:
        """Return a usable token, refreshing it first when less than a minute is left.

        Raises:
            AuthorizationRequired: not logged in, or the login can no longer be refreshed.
        """
        with self._lock:
            token = self.store.load()
            if token is None:
                self._token = None
                raise AuthorizationRequired(NOT_LOGGED_IN)
            self._token = token
            if token.is_expired(self._clock(), leeway_s=REFRESH_LEEWAY_S):
                return self.refresh()
            return token

    def access_token(self) -> str:
        """Return a usable access token for the ``Authorization: Bearer`` header (D6).

        Raises:
            AuthorizationRequired: not logged in, or the login can no longer be refreshed.
        """
        return self.token().access_token

    def logout(self) -> None:
        """Forget the stored tokens (Spotify has no revocation endpoint: see the dashboard, D7)."""
        with self._lock:
            self.store.clear()
            self._token = None
            self._used_codes.clear()
        log.debug("logged out")

    def status(self) -> AuthStatus:
        """Return the login state for display: a fingerprint and times, never a token."""
        token = self.store.load()
        s = self.settings
        if token is None:
            return AuthStatus(False, s.target, s.profile, self.store.location)
        return AuthStatus(
            logged_in=True,
            target=s.target,
            profile=s.profile,
            store_location=self.store.location,
            fingerprint=token.fingerprint,
            expires_at=token.expires_at,
            expires_in_s=token.expires_in_s(self._clock()),
            authorized_at=token.authorized_at,
            refresh_expires_at=token.refresh_expires_at,
            scope=token.scope,
        )

    # -- HTTP ---------------------------------------------------------------------------------

    def _oauth_session(self) -> Any:
        """Return an Authlib session for one step (closed by its ``with`` block)."""
        from authlib.integrations.requests_client import OAuth2Session

        s = self.settings
        oauth = OAuth2Session(
            client_id=s.client_id,
            # The secret is revealed straight into Authlib: no local of ours holds it.
            client_secret=None
            if s.use_pkce or s.client_secret is None
            else Secret(s.client_secret).reveal(),
            # A5: Basic client auth is the documented way; PKCE sends client_id in the body.
            token_endpoint_auth_method="none" if s.use_pkce else "client_secret_basic",
            code_challenge_method="S256" if s.use_pkce else None,
            redirect_uri=s.redirect_uri,
            default_timeout=self.timeout_s,
        )
        if self._session is not None:
            _adopt_transport(oauth, self._session)
        return oauth

    def _token_request(self, form: dict[str, str | Secret], exchange: _Exchange) -> _Answer:
        """Run one token request through Authlib; map every failure to our exceptions.

        Our errors are raised here, after Authlib's call has returned or failed, and without
        a chained library error: the frames of Authlib and requests (which hold the form, the
        Basic header and the answer) are in no traceback we raise.
        """
        settings = self.settings

        def check(response: requests.Response) -> requests.Response:
            try:
                exchange.answer = _check_token_response(response, exchange, settings)
            except AdStudioError as refusal:
                exchange.refusal = refusal
                raise _Refused from None
            return response

        failure: AdStudioError | None = None
        with self._oauth_session() as oauth:
            oauth.register_compliance_hook("access_token_response", check)
            oauth.register_compliance_hook("refresh_token_response", check)
            try:
                _send(oauth, settings.token_url, exchange.grant, form, self.timeout_s)
            except _Refused:
                pass
            except requests.RequestException as exc:
                failure = TransportError(
                    "Could not reach the accounts service at "
                    f"{_without_query(settings.token_url)} ({type(exc).__name__}): check "
                    "the network connection and try again."
                )
            except Exception as exc:  # Authlib's own errors, after our check passed
                failure = TokenRequestError(
                    f"The accounts service's answer could not be used ({type(exc).__name__}): "
                    "try again; if it persists, report it."
                )
        if exchange.refusal is not None:
            # Raised afresh: its traceback starts here, not in the library's frames.
            raise exchange.refusal.with_traceback(None)
        if failure is not None:
            raise failure
        if exchange.answer is None:
            raise TokenRequestError(
                "The accounts service's answer could not be used (no answer was checked): try "
                "again; if it persists, report it."
            )
        return exchange.answer


def _send(
    oauth: Any,
    url: str,
    grant_type: str,
    form: dict[str, str | Secret],
    timeout_s: float | tuple[float, float],
) -> None:
    """Post one token request (A5, A8): the form's secrets are revealed only in this frame.

    No error of ours is raised while this frame is alive, so it (and the library frames below
    it, holding the form and the Basic header) never show in a traceback with its locals.
    """
    fields = {k: v.reveal() if isinstance(v, Secret) else v for k, v in form.items()}
    if grant_type == "refresh_token":
        oauth.refresh_token(url, allow_redirects=False, timeout=timeout_s, **fields)
    else:
        oauth.fetch_token(
            url, grant_type=grant_type, allow_redirects=False, timeout=timeout_s, **fields
        )


def _adopt_transport(oauth: requests.Session, session: requests.Session) -> None:
    """Use ``session``'s adapters, proxies and TLS settings for ``oauth``'s requests."""
    for prefix, adapter in session.adapters.items():
        oauth.mount(prefix, adapter)
    oauth.proxies = dict(session.proxies)
    oauth.verify = session.verify
    oauth.cert = session.cert
    oauth.trust_env = session.trust_env


def _without_query(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _expires_in(body: dict[str, Any]) -> int:
    value = body.get("expires_in")
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 10**7:
        return int(value)
    if isinstance(value, str) and value.isdigit() and 0 < int(value) < 10**7:
        return int(value)
    return _ACCESS_TOKEN_LIFETIME_S  # A11


def _request_secrets(exchange: _Exchange, settings: Settings) -> list[Secret]:
    """Every secret one token request carried: code, verifier or refresh token, and the client's."""
    hidden = list(exchange.secrets)
    if settings.client_secret is not None:
        secret = Secret(settings.client_secret)
        hidden += [secret, Secret(basic_value(settings.client_id, secret))]
    return hidden


def _scrub(text: str, hidden: list[Secret]) -> str:
    """Shorten a server text to one line without any form or long piece of a secret we sent."""
    return _show(redact(text, hidden), 160)


def _check_token_response(
    response: requests.Response, exchange: _Exchange, settings: Settings
) -> _Answer:
    """Return a token answer's body, or raise the typed error for a refusal (A4-A9)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    status = response.status_code
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        hidden = _request_secrets(exchange, settings)
        error = _scrub(body["error"], hidden)
        raw_description = body.get("error_description")
        description = _scrub(raw_description, hidden) if isinstance(raw_description, str) else ""
        _raise_token_error(status, error, description, exchange, settings)
    if status >= 400 or not isinstance(body, dict):
        if status == 429:
            hint = "too many token requests: wait a minute and try again."
        elif status >= 500:
            hint = "the service failed on its side: try again in a minute."
        else:
            hint = "unexpected answer: check the token URL in the settings."
        raise TokenRequestError(
            f"The accounts service at {_without_query(settings.token_url)} answered HTTP "
            f"{status}: {hint}",
            status_code=status,
        )
    access = body.get("access_token")
    if not isinstance(access, str) or not access:
        raise TokenRequestError(
            "The accounts service answered without an access token: check the token URL in the "
            "settings.",
            status_code=status,
        )
    return _Answer(body)


def _known(description: str) -> str:
    """Return Spotify's text folded for comparison with the documented ones (A4-A10)."""
    return " ".join(description.split()).rstrip(".").casefold()


def _raise_token_error(
    status: int, error: str, description: str, exchange: _Exchange, settings: Settings
) -> NoReturn:
    """Raise the exception for one of Spotify's token errors (A4-A9); texts say what to do."""
    context: dict[str, Any] = {
        "status_code": status,
        "error": error,
        "error_description": description,
    }
    said = f' (Spotify said: "{description or error}")'
    lowered = description.lower()
    if error == "invalid_client":
        if "secret" in lowered:
            raise InvalidClient(
                "Spotify refused the client secret: copy it again from your app's page in the "
                f"developer dashboard (ADSTUDIO_CLIENT_SECRET){said}.",
                **context,
            )
        raise InvalidClient(
            "Spotify does not know this client id: copy it again from the developer dashboard "
            f"(ADSTUDIO_CLIENT_ID){said}.",
            **context,
        )
    if error == "invalid_grant":
        if exchange.grant == "refresh_token":
            raise InvalidGrant(f"Spotify refused the refresh token{said}.", **context)
        known = _known(description)
        if known == "authorization code expired":  # A4
            raise CodeExpired(
                "The authorization code expired: codes last 10 minutes. Open the Spotify login "
                "again.",
                **context,
            )
        if known == "invalid authorization code":  # A4
            raise CodeInvalid(
                "The authorization code is unknown or was already used (a code works once). "
                f"Open the Spotify login again{said}.",
                **context,
            )
        if known == "invalid redirect uri":  # A5
            sent = exchange.redirect_uri or settings.redirect_uri
            raise RedirectURIMismatch(
                f"Spotify refused the redirect URI {_show(sent)}: it must be exactly the one "
                "registered in the developer dashboard and the one used at the authorize step. "
                "Open the Spotify login again.",
                sent=sent,
                **context,
            )
        if known == "code_verifier was incorrect":  # A5
            raise CodeVerifierMismatch(
                "Spotify refused the PKCE code verifier: finish a login with the LoginRequest "
                "that opened it, or open the Spotify login again.",
                **context,
            )
        # A text we do not know: say what Spotify said rather than guess from a keyword.
        raise InvalidGrant(
            f"Spotify refused the authorization code{said}: open the Spotify login again.",
            **context,
        )
    if error == "unsupported_grant_type":
        raise UnsupportedGrantType(
            f"The token request was malformed{said}: this is a bug in adstudio_nb, please "
            "report it.",
            **context,
        )
    raise TokenRequestError(
        f"The accounts service refused the token request (HTTP {status}, {error}){said}.",
        **context,
    )


def _refresh_refusal(exc: InvalidGrant, current: Token, now: datetime) -> str:
    """Say why a refresh token stopped working and what to do (A8-A10), honestly.

    The 6-month horizon is named only when the stored login really is that old, or when
    Spotify's text says so; otherwise the message says what Spotify said.
    """
    description = exc.error_description or exc.error or "invalid_grant"
    known = _known(description)
    made = f"{current.authorized_at:%Y-%m-%d}"
    quoted = f'Spotify said: "{description}"'
    if known == "refresh token revoked":  # A8, A9
        return (
            f"Spotify revoked this login ({quoted}): access was removed in the Spotify account "
            "or the developer dashboard, or another copy of this login already used its "
            "refresh token; log in again."
        )
    if now - current.authorized_at >= _ABOUT_SIX_MONTHS:  # A10, by the login's own age
        return (
            f"This login was made on {made}, about 6 months ago, and Spotify ends a login 6 "
            f"months after it was made ({quoted}): log in again."
        )
    if _SAYS_SIX_MONTHS.search(description):  # A10, in Spotify's own words
        return (
            f"Spotify says this login reached its 6-month limit ({quoted}), though it was made "
            f"on {made}: log in again."
        )
    if known == "invalid refresh token":  # A9
        return (
            f"Spotify does not recognise the stored refresh token ({quoted}), so this login "
            "cannot be renewed: log in again."
        )
    if "expired" in known:
        return (
            f"Spotify says the stored refresh token expired ({quoted}), though this login was "
            f"made only on {made}: log in again."
        )
    return f"Spotify no longer accepts the stored refresh token ({quoted}): log in again."


# -- reading a redirect (A3) ----------------------------------------------------------------------


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(
        a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass")
    )


def _code_in(pasted: object, login: LoginRequest) -> Secret:
    """Return the code in a pasted redirect; see :meth:`OAuthFlow.parse_redirect`.

    The reading happens in :func:`_read_redirect`, which returns its refusal instead of raising
    it: the frame that held the pasted text in the clear is gone when the error is raised.
    """
    found = _read_redirect(pasted, login)
    if isinstance(found, AdStudioError):
        raise found
    return found


def _read_redirect(pasted: object, login: LoginRequest) -> Secret | AdStudioError:
    """Return the code in ``pasted`` (a Secret), or the error to raise."""
    if not isinstance(login, LoginRequest):
        return RedirectParseError("parse_redirect needs the LoginRequest from start_login().")
    if not isinstance(pasted, Secret):
        return RedirectParseError(
            "Paste the whole address from the browser's address bar after clicking Agree "
            f"(got {type(pasted).__name__}, not text)."
        )
    text = pasted.reveal().strip()
    if not text:
        return RedirectParseError(
            "Nothing was pasted: paste the whole address from the browser's address bar after "
            "clicking Agree."
        )
    if len(text) > _MAX_PASTE or not text.isprintable():
        return RedirectParseError(
            "What was pasted is not an address (too long, or with line breaks or control "
            "characters): copy the address bar again."
        )
    if not any(mark in text for mark in ("://", "?", "=", "&")):
        if not _CODE_PATTERN.match(text):
            return RedirectParseError(
                "That is neither an address nor an authorization code: copy the whole address "
                "from the browser's address bar after clicking Agree."
            )
        if login.code_verifier is None:
            # A3: a bare code carries no state, and nothing else ties it to this login.
            return StateMismatch(
                "A code pasted on its own cannot be checked against the login you opened (the "
                "check needs the state in the whole address): paste the whole address from "
                "the browser's address bar after clicking Agree."
            )
        # A3, A5: with PKCE the token endpoint checks the code against this login's verifier,
        # which ties a bare code to this login as the state would.
        return Secret(text)
    try:
        parts = urlsplit(text) if ("://" in text or text.startswith("?")) else None
        query = (parts.query or parts.fragment) if parts is not None else text.lstrip("?")
        params = parse_qs(query, keep_blank_values=True, max_num_fields=64)
    except ValueError:
        return RedirectParseError(
            "The pasted address cannot be read: copy the whole address bar again."
        )
    if "code" not in params and "error" not in params and "client_id" in params:
        return RedirectParseError(
            "That is the login address itself: open it, click Agree, then paste the address "
            "the browser lands on (it contains code=...)."
        )
    states = [s for s in params.get("state", []) if s]
    if ("code" in params or "error" in params) and not states:
        # A3: we always send a state and Spotify echoes it; without it the CSRF guard would be
        # skipped, so an address without one is refused (as the loopback listener does).
        return StateMismatch(
            "The pasted address has no state, so it cannot be checked against the login you "
            "opened (it may be cut short or forged): paste the whole address from the browser's "
            "address bar after clicking Agree, or open the Spotify login again."
        )
    if states and (len(states) != 1 or not _same(states[0], login.state)):
        # A3: Spotify echoes our state; another value means another login (or a forgery).
        return StateMismatch(
            "The pasted address belongs to another login (its state does not match): paste the "
            "address from the login you opened last, or open the Spotify login again."
        )
    errors = params.get("error")
    if errors:
        if errors[0] == "access_denied":
            return AuthorizationDenied(
                "You clicked Cancel on Spotify's page, so no access was given: open the Spotify "
                "login again and click Agree."
            )
        return AuthError(
            f"Spotify refused the login ({_show(errors[0], 40)}): check the settings (scope, "
            "redirect URI) and open the Spotify login again."
        )
    codes = params.get("code")
    if not codes:
        return RedirectParseError(
            "The pasted address holds no code=...: paste the address the browser shows after "
            "clicking Agree on Spotify's page."
        )
    if len(codes) != 1 or not _CODE_PATTERN.match(codes[0]):
        return RedirectParseError(
            "The code in the pasted address is damaged (cut short, or doubled): copy the whole "
            "address bar again."
        )
    return Secret(codes[0])
