"""What the sandbox's accounts service remembers: apps, users, grants, codes and tokens.

Pure state and rules, no HTTP: the accounts pages and the token endpoint (``accounts.py``) and
the Ads API's bearer check call into it. Every rule cites its behaviour ID in
``SPOTIFY_ADS.md``. Thread-safe: one lock guards all of it, because the server is threaded.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import secrets
import threading
from dataclasses import dataclass, field
from urllib.parse import SplitResult, urlsplit

from .clock import SandboxClock
from .errors import oauth_error

CODE_LIFETIME_S = 600  # A4: codes last 10 minutes
ACCESS_TOKEN_LIFETIME_S = 3600  # A11
REFRESH_TOKEN_LIFETIME_S = 182 * 86400  # A10: six months after the original authorization
LOOPBACK_HOSTS = ("127.0.0.1", "[::1]")

# A13: the Ads API defines no scopes; the old guide's `streaming` and the Web API's scopes are
# still accepted by the accounts service.
KNOWN_SCOPES = frozenset(
    {
        "streaming",
        "user-read-email",
        "user-read-private",
        "playlist-read-private",
        "user-library-read",
        "user-read-playback-state",
        "user-modify-playback-state",
    }
)


@dataclass
class SandboxApp:
    """An app registered in the sandbox's developer dashboard.

    Attributes:
        client_id: 32 hex characters, as Spotify's.
        client_secret: 32 hex characters.
        name: shown on the consent page.
        redirect_uris: the registered redirect URIs (A12).
        ads_allowed: whether the client id is allowed for the Ads API (B10).
        rotate_refresh_tokens: whether refresh answers carry a new refresh token (A8).
    """

    client_id: str
    client_secret: str = field(repr=False)
    name: str
    redirect_uris: list[str]
    ads_allowed: bool = True
    rotate_refresh_tokens: bool = False


@dataclass(frozen=True)
class SandboxUser:
    """A demo Spotify user who can log in on the sandbox's pages."""

    user_id: str
    display_name: str
    password: str = field(repr=False, default="demo")


@dataclass
class Grant:
    """A user's consent to an app; the dashboard lists and revokes these (D7, A9)."""

    client_id: str
    user_id: str
    scope: str
    granted_at: float
    revoked: bool = False


@dataclass
class _Code:
    client_id: str
    user_id: str
    redirect_uri: str
    scope: str
    issued_at: float
    code_challenge: str | None
    used: bool = False


@dataclass
class _RefreshToken:
    client_id: str
    user_id: str
    scope: str
    authorized_at: float  # A10: the original authorization, not the last refresh
    pkce: bool
    revoked: bool = False


@dataclass
class AccessGrant:
    """Who an access token speaks for: the Ads API authorizes and rate-limits on this (B11)."""

    client_id: str
    user_id: str
    expires_at: float


DEMO_USERS = (
    SandboxUser("alex.analyst", "Alex Analyst"),
    SandboxUser("sam.smallbiz", "Sam Small-Business"),
    SandboxUser("nina.newcomer", "Nina Newcomer"),
)


def _hex_id(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


def redirect_uri_matches(registered: str, requested: str) -> bool:
    """Tell whether ``requested`` matches a ``registered`` redirect URI (A12).

    Exact string match, case and trailing slash included; except that a loopback IP literal
    registered without a port accepts any port.
    """
    if registered == requested:
        return True
    reg, req = urlsplit(registered), urlsplit(requested)
    try:
        reg_port, req_port = reg.port, req.port
    except ValueError:
        return False
    return (
        reg.scheme == req.scheme == "http"
        and reg.netloc in LOOPBACK_HOSTS
        and reg_port is None
        and req_port is not None
        and _loopback_host(req) == reg.netloc
        and (reg.path, reg.query, reg.fragment) == (req.path, req.query, req.fragment)
    )


def _loopback_host(parts: SplitResult) -> str:
    hostname = parts.hostname or ""
    return f"[{hostname}]" if ":" in hostname else hostname


def registration_problem(uri: str) -> str | None:
    """Say why Spotify's dashboard would refuse ``uri`` (A12); None when it is fine."""
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        return "The redirect URI has an invalid port."
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "The redirect URI must be an absolute http(s) URL."
    if parts.hostname == "localhost":
        return "localhost is not allowed as redirect URI; use 127.0.0.1 or [::1]."
    if parts.scheme == "http" and _loopback_host(parts) not in LOOPBACK_HOSTS:
        return "http is only allowed for loopback IP literals; use https."
    if parts.fragment:
        return "The redirect URI must not have a fragment."
    return None


class AccountsRegistry:
    """Apps, users, grants, codes and tokens of the sandbox's accounts service.

    Args:
        clock: the sandbox clock (codes and tokens expire by it).
        seed: seeds the apps' client ids, so ``--seed`` reproduces them.
        fixed_secrets: derive the apps' client secrets from ``seed`` too (reproducible, for
            tests that need that); by default they come from :mod:`secrets`, so nobody can
            compute a sandbox's secrets from its seed.
    """

    def __init__(self, clock: SandboxClock, *, seed: int = 0, fixed_secrets: bool = False) -> None:
        self.clock = clock
        self.fixed_secrets = fixed_secrets
        self._lock = threading.RLock()
        self._rng = random.Random(f"accounts-{seed}")
        self.apps: dict[str, SandboxApp] = {}
        self.users: dict[str, SandboxUser] = {u.user_id: u for u in DEMO_USERS}
        self.grants: dict[tuple[str, str], Grant] = {}
        self._codes: dict[str, _Code] = {}
        self._refresh_tokens: dict[str, _RefreshToken] = {}
        self._access_tokens: dict[str, AccessGrant] = {}
        self._revoked_access_tokens: list[str] = []
        # The demo app's client id follows from the seed, so `--seed` reproduces it.
        self.demo_app = self.register_app(
            "adstudio_nb demo app",
            redirect_uris=["http://127.0.0.1:8888/callback", "http://127.0.0.1/callback"],
        )

    # -- apps ---------------------------------------------------------------------------------

    def register_app(
        self,
        name: str,
        *,
        redirect_uris: list[str],
        ads_allowed: bool = True,
        rotate_refresh_tokens: bool = False,
    ) -> SandboxApp:
        """Register an app as the developer dashboard would, refusing URIs Spotify refuses (A12)."""
        for uri in redirect_uris:
            problem = registration_problem(uri)
            if problem:
                raise ValueError(f"{uri!r}: {problem}")
        with self._lock:
            client_id = _hex_id(self._rng)
            # Drawn either way, so the ids of later apps do not depend on fixed_secrets.
            seeded_secret = _hex_id(self._rng)
            app = SandboxApp(
                client_id=client_id,
                client_secret=seeded_secret if self.fixed_secrets else secrets.token_hex(16),
                name=name,
                redirect_uris=list(redirect_uris),
                ads_allowed=ads_allowed,
                rotate_refresh_tokens=rotate_refresh_tokens,
            )
            self.apps[app.client_id] = app
            return app

    def app_for_redirect(self, client_id: str, redirect_uri: str) -> SandboxApp | None:
        """Return the app when ``redirect_uri`` is registered for it (A12), else None."""
        app = self.apps.get(client_id)
        if app and any(redirect_uri_matches(r, redirect_uri) for r in app.redirect_uris):
            return app
        return None

    # -- the authorize step -------------------------------------------------------------------

    def issue_code(
        self,
        *,
        client_id: str,
        user_id: str,
        redirect_uri: str,
        scope: str,
        code_challenge: str | None,
    ) -> str:
        """Record the user's consent and return a fresh single-use code (A3, A4)."""
        now = self.clock.now()
        with self._lock:
            grant = self.grants.get((client_id, user_id))
            if grant is None or grant.revoked:
                self.grants[(client_id, user_id)] = Grant(client_id, user_id, scope, now)
            code = "AQ" + secrets.token_urlsafe(96)
            self._codes[code] = _Code(client_id, user_id, redirect_uri, scope, now, code_challenge)
            return code

    def has_grant(self, client_id: str, user_id: str) -> bool:
        """Tell whether ``user_id`` has consented to ``client_id`` and not revoked it."""
        grant = self.grants.get((client_id, user_id))
        return grant is not None and not grant.revoked

    def revoke(self, client_id: str, user_id: str) -> bool:
        """Revoke a grant as the dashboard does: its refresh and access tokens stop working (A9)."""
        with self._lock:
            grant = self.grants.get((client_id, user_id))
            if grant is None or grant.revoked:
                return False
            grant.revoked = True
            for rt in self._refresh_tokens.values():
                if rt.client_id == client_id and rt.user_id == user_id:
                    rt.revoked = True
            for token, at in list(self._access_tokens.items()):
                if at.client_id == client_id and at.user_id == user_id:
                    del self._access_tokens[token]
                    self._revoked_access_tokens.append(token)
            return True

    # -- the token endpoint -------------------------------------------------------------------

    def authenticate_client(
        self, client_id: str | None, client_secret: str | None, *, pkce: bool
    ) -> SandboxApp:
        """Check client credentials (A5, A6); a PKCE client sends its id and no secret."""
        app = self.apps.get(client_id or "")
        if app is None:
            raise oauth_error(400, "invalid_client", "Invalid client")
        if pkce and client_secret is None:
            return app
        if client_secret is None or not hmac.compare_digest(
            client_secret.encode("utf-8", "surrogateescape"),
            app.client_secret.encode(),
        ):
            raise oauth_error(400, "invalid_client", "Invalid client secret")
        return app

    def exchange_code(
        self,
        app: SandboxApp,
        *,
        code: str,
        redirect_uri: str | None,
        code_verifier: str | None,
    ) -> dict[str, object]:
        """Turn a code into tokens (A4, A5, A7); a code works once and for 10 minutes."""
        now = self.clock.now()
        with self._lock:
            record = self._codes.get(code)
            if record is None or record.used or record.client_id != app.client_id:
                raise oauth_error(400, "invalid_grant", "Invalid authorization code")
            if now - record.issued_at > CODE_LIFETIME_S:
                raise oauth_error(400, "invalid_grant", "Authorization code expired")
            if redirect_uri != record.redirect_uri:
                raise oauth_error(400, "invalid_grant", "Invalid redirect URI")
            if record.code_challenge is not None:
                if not code_verifier or _s256(code_verifier) != record.code_challenge:
                    raise oauth_error(400, "invalid_grant", "code_verifier was incorrect")
            elif code_verifier is not None:
                raise oauth_error(400, "invalid_grant", "code_verifier was incorrect")
            record.used = True
            if not self.has_grant(app.client_id, record.user_id):
                raise oauth_error(400, "invalid_grant", "Invalid authorization code")
            pkce = record.code_challenge is not None
            refresh = self._new_refresh_token(
                _RefreshToken(app.client_id, record.user_id, record.scope, now, pkce)
            )
            return self._token_body(app.client_id, record.user_id, record.scope, refresh)

    def refresh(self, app: SandboxApp, *, refresh_token: str, pkce: bool) -> dict[str, object]:
        """Answer a refresh (A8-A10): a new access token, maybe a new refresh token."""
        now = self.clock.now()
        with self._lock:
            record = self._refresh_tokens.get(refresh_token)
            if record is None or record.client_id != app.client_id:
                raise oauth_error(400, "invalid_grant", "Invalid refresh token")
            if record.revoked:
                raise oauth_error(400, "invalid_grant", "Refresh token revoked")
            if now - record.authorized_at > REFRESH_TOKEN_LIFETIME_S:
                raise oauth_error(400, "invalid_grant", "Refresh token expired")
            if pkce and not record.pkce:
                # A8: only a PKCE grant may be refreshed without the client secret.
                raise oauth_error(400, "invalid_client", "Invalid client secret")
            rotate = record.pkce or app.rotate_refresh_tokens
            new_refresh = None
            if rotate:
                record.revoked = True  # A8: the old one used again gives "Refresh token revoked"
                new_refresh = self._new_refresh_token(
                    _RefreshToken(
                        record.client_id,
                        record.user_id,
                        record.scope,
                        record.authorized_at,
                        record.pkce,
                    )
                )
            return self._token_body(record.client_id, record.user_id, record.scope, new_refresh)

    def _new_refresh_token(self, record: _RefreshToken) -> str:
        token = "AQ" + secrets.token_urlsafe(96)
        self._refresh_tokens[token] = record
        return token

    def _token_body(
        self, client_id: str, user_id: str, scope: str, refresh_token: str | None
    ) -> dict[str, object]:
        access = "BQ" + secrets.token_urlsafe(112)
        self._access_tokens[access] = AccessGrant(
            client_id, user_id, self.clock.now() + ACCESS_TOKEN_LIFETIME_S
        )
        body: dict[str, object] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": ACCESS_TOKEN_LIFETIME_S,
        }
        if refresh_token is not None:
            body["refresh_token"] = refresh_token
        body["scope"] = scope  # A7: empty for the Ads API
        return body

    def issued_secrets(self) -> dict[str, list[str]]:
        """Return every code and token issued so far, by kind (for leak scans, never display)."""
        with self._lock:
            return {
                "authorization code": list(self._codes),
                "access token": [*self._access_tokens, *self._revoked_access_tokens],
                "refresh token": list(self._refresh_tokens),
            }

    # -- the Ads API's bearer check -----------------------------------------------------------

    def access_grant(self, access_token: str) -> AccessGrant | None:
        """Return who ``access_token`` speaks for (check ``expires_at``), or None when unknown.

        A revoked grant's access tokens are forgotten, so they read as unknown (A9).
        """
        return self._access_tokens.get(access_token)


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
