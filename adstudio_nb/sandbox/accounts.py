"""The sandbox's accounts service: login and consent pages, token endpoint, developer dashboard.

HTTP only: the rules live in ``registry.py``. Pages are Jinja2 templates (autoescaped) under
``templates/``. Behaviour IDs are those of ``SPOTIFY_ADS.md`` section A.

The two forms (consent and revoke) only act for the browser that opened them: every page with
a form gives the browser a random ``sandbox_browser`` cookie (HttpOnly, SameSite=Lax). The
consent form's ``pending`` field is a single-use id remembered together with that cookie; the
revoke form carries a ``csrf_token`` that is an HMAC of the cookie under a key of this
sandbox. A POST whose cookie does not match answers a 403 page and changes nothing, so another
web site cannot approve a login or revoke a grant in the user's name.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from jinja2 import Environment, PackageLoader, select_autoescape
from werkzeug.routing import Rule
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from .errors import json_response, oauth_error
from .registry import KNOWN_SCOPES, AccountsRegistry
from .shapes import ResponseShapes

_templates = Environment(
    loader=PackageLoader("adstudio_nb.sandbox", "templates"),
    autoescape=select_autoescape(["html"]),
)
_PKCE_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # base64url of a SHA-256 digest
USER_COOKIE = "sandbox_user"
BROWSER_COOKIE = "sandbox_browser"
_BROWSER_ID = re.compile(r"^[A-Za-z0-9_-]{32}$")
_PENDING_LIMIT = 10_000
_FOREIGN_FORM = (
    "This form was not sent from a page this browser opened on the sandbox, so nothing was "
    "done. Open the page again and use its buttons."
)


@dataclass(frozen=True)
class _PendingAuthorization:
    client_id: str
    redirect_uri: str
    scope: str
    state: str | None
    code_challenge: str | None
    browser: str  # the sandbox_browser cookie of the browser the form was shown to


class AccountsService:
    """Handlers of the accounts service, bound to one registry.

    Args:
        registry: apps, users, grants and tokens.
        base_url: unused, kept for callers that pass it.
        shapes: the answer shapes of the sandbox (``shapes.py``): the token answer's scope.
    """

    def __init__(
        self,
        registry: AccountsRegistry,
        *,
        base_url: str = "",
        shapes: ResponseShapes | None = None,
    ) -> None:
        self.registry = registry
        self.base_url = base_url
        self.shapes = shapes or ResponseShapes()
        self._pending: dict[str, _PendingAuthorization] = {}
        self._lock = threading.Lock()
        # Signs the revoke form's token; random per sandbox, never derived from the seed.
        self._form_key = secrets.token_bytes(32)

    def rules(self) -> list[Rule]:
        """Return the URL rules of the accounts service."""
        return [
            Rule("/authorize", endpoint=self.authorize, methods=["GET"]),
            Rule("/authorize/", endpoint=self.authorize, methods=["GET"]),
            Rule("/authorize/decision", endpoint=self.decide, methods=["POST"]),
            Rule("/api/token", endpoint=self.token, methods=["POST"]),
            Rule("/dashboard", endpoint=self.dashboard, methods=["GET"]),
            Rule("/dashboard/revoke", endpoint=self.dashboard_revoke, methods=["POST"]),
        ]

    # -- authorize (A1-A3) ----------------------------------------------------------------------

    def authorize(self, request: Request) -> Response:
        """Show the login and consent page, or an error page for a bad request (A1, A2)."""
        args = request.args
        client_id = args.get("client_id")
        if not client_id:
            return error_page("Missing required parameter: client_id")
        redirect_uri = args.get("redirect_uri", "")
        app = self.registry.apps.get(client_id)
        if app is None:
            return error_page("INVALID_CLIENT: Invalid client")
        if not redirect_uri or self.registry.app_for_redirect(client_id, redirect_uri) is None:
            return error_page("INVALID_CLIENT: Invalid redirect URI")
        if args.get("response_type") != "code":
            return error_page("unsupported_response_type: response_type must be code")
        state = args.get("state")
        scope = " ".join(args.get("scope", "").split())
        unknown = [s for s in scope.split() if s not in KNOWN_SCOPES]
        if unknown:
            # A13: unknown scopes come back to the app as an OAuth error redirect.
            return _redirect_with(redirect_uri, {"error": "invalid_scope"}, state)
        challenge = args.get("code_challenge")
        pkce_asked = challenge is not None or "code_challenge_method" in args
        if pkce_asked and (
            args.get("code_challenge_method") != "S256"
            or not _PKCE_CHALLENGE.match(challenge or "")
        ):
            return _redirect_with(
                redirect_uri,
                {
                    "error": "invalid_request",
                    "error_description": "code_challenge must be S256",
                },
                state,
            )
        browser, is_new_browser = _browser_of(request)
        pending = _PendingAuthorization(client_id, redirect_uri, scope, state, challenge, browser)
        user_id = request.cookies.get(USER_COOKIE)
        show_dialog = args.get("show_dialog", "").lower() == "true"
        if (
            user_id in self.registry.users
            and self.registry.has_grant(client_id, user_id)
            and not show_dialog
        ):
            # A1: consent was given before and show_dialog is not set: straight back.
            return self._approve(pending, user_id)
        pending_id = self._remember(pending)
        html = _templates.get_template("authorize.html").render(
            app_name=app.name,
            users=list(self.registry.users.values()),
            selected=user_id,
            pending_id=pending_id,
            scope=scope,
            redirect_uri=redirect_uri,
        )
        response = Response(html, mimetype="text/html")
        if is_new_browser:
            _set_browser_cookie(response, browser)
        return response

    def decide(self, request: Request) -> Response:
        """Handle Agree or Cancel on the consent page (A3); only from the browser shown it."""
        pending_id = request.form.get("pending", "")
        with self._lock:
            pending = self._pending.get(pending_id)
            if pending is None:
                expired = True
            elif not _same_browser(request, pending.browser):
                # Sandbox pages: a form posted by another site (or another browser) is refused
                # and the real one keeps working.
                return error_page(_FOREIGN_FORM, 403)
            else:
                expired = False
                del self._pending[pending_id]
        if expired or pending is None:
            return error_page(
                "This login page has expired or was already used. Open the authorize URL again.",
            )
        if request.form.get("decision") != "agree":
            return _redirect_with(pending.redirect_uri, {"error": "access_denied"}, pending.state)
        user_id = request.form.get("user", "")
        user = self.registry.users.get(user_id)
        if user is None or request.form.get("password", "") != user.password:
            with self._lock:
                self._pending[pending_id] = pending
            app = self.registry.apps[pending.client_id]
            html = _templates.get_template("authorize.html").render(
                app_name=app.name,
                users=list(self.registry.users.values()),
                selected=user_id,
                pending_id=pending_id,
                scope=pending.scope,
                redirect_uri=pending.redirect_uri,
                login_error="Wrong user name or password (every demo user's password is demo).",
            )
            return Response(html, status=200, mimetype="text/html")
        response = self._approve(pending, user_id)
        response.set_cookie(USER_COOKIE, user_id, httponly=True, samesite="Lax")
        return response

    def _approve(self, pending: _PendingAuthorization, user_id: str) -> Response:
        code = self.registry.issue_code(
            client_id=pending.client_id,
            user_id=user_id,
            redirect_uri=pending.redirect_uri,
            scope=pending.scope,
            code_challenge=pending.code_challenge,
        )
        return _redirect_with(pending.redirect_uri, {"code": code}, pending.state)

    def _remember(self, pending: _PendingAuthorization) -> str:
        pending_id = secrets.token_urlsafe(16)
        with self._lock:
            if len(self._pending) >= _PENDING_LIMIT:  # bounded: abandoned pages are forgotten
                self._pending.pop(next(iter(self._pending)))
            self._pending[pending_id] = pending
        return pending_id

    # -- token endpoint (A4-A10) -----------------------------------------------------------------

    def token(self, request: Request) -> Response:
        """Answer the code and refresh grants (A4-A10)."""
        if request.mimetype != "application/x-www-form-urlencoded":
            # A5: a JSON (or any non-form) body reads as no grant type at all.
            raise oauth_error(400, "unsupported_grant_type", "grant_type parameter is missing")
        form = request.form
        repeated = sorted(k for k in form if len(form.getlist(k)) > 1)
        if repeated:
            raise oauth_error(400, "invalid_request", f"Duplicate parameter: {repeated[0]}")
        grant_type = form.get("grant_type")
        if not grant_type:
            raise oauth_error(400, "unsupported_grant_type", "grant_type parameter is missing")
        if grant_type not in ("authorization_code", "refresh_token"):
            raise oauth_error(
                400,
                "unsupported_grant_type",
                "grant_type must be client_credentials, authorization_code or refresh_token",
            )
        client_id, client_secret = _client_credentials(request)
        pkce = client_secret is None and ("code_verifier" in form or grant_type == "refresh_token")
        app = self.registry.authenticate_client(client_id, client_secret, pkce=pkce)
        if grant_type == "authorization_code":
            code = form.get("code")
            if not code:
                raise oauth_error(400, "invalid_request", "code must be supplied")
            body = self.registry.exchange_code(
                app,
                code=code,
                redirect_uri=form.get("redirect_uri"),
                code_verifier=form.get("code_verifier"),
            )
        else:
            refresh_token = form.get("refresh_token")
            if not refresh_token:
                raise oauth_error(400, "invalid_request", "refresh_token must be supplied")
            body = self.registry.refresh(app, refresh_token=refresh_token, pkce=pkce)
        if self.shapes.empty_token_scope:
            body["scope"] = ""  # A7: for the Ads API the scope comes back empty
        return json_response(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    # -- developer dashboard (D7, A9) ------------------------------------------------------------

    def dashboard(self, request: Request) -> Response:
        """List apps and the users who granted them, with a revoke button each (D7)."""
        apps = list(self.registry.apps.values())
        grants = [g for g in self.registry.grants.values() if not g.revoked]
        browser, is_new_browser = _browser_of(request)
        html = _templates.get_template("dashboard.html").render(
            apps=apps,
            grants=grants,
            users=self.registry.users,
            revoked=request.args.get("revoked"),
            csrf_token=self._revoke_token(browser),
        )
        response = Response(html, mimetype="text/html")
        if is_new_browser:
            _set_browser_cookie(response, browser)
        return response

    def _revoke_token(self, browser: str) -> str:
        digest = hmac.new(self._form_key, b"revoke:" + browser.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def dashboard_revoke(self, request: Request) -> Response:
        """Revoke one user's grant of one app; its refresh tokens then fail (A9).

        Only the dashboard page of the same browser can: the form's ``csrf_token`` must match
        the browser's cookie (sandbox pages), else a 403 page and nothing is revoked.
        """
        browser = request.cookies.get(BROWSER_COOKIE, "")
        sent = request.form.get("csrf_token", "")
        if not _BROWSER_ID.match(browser) or not hmac.compare_digest(
            sent.encode("utf-8", "surrogateescape"), self._revoke_token(browser).encode()
        ):
            return error_page(_FOREIGN_FORM, 403)
        client_id = request.form.get("client_id", "")
        user_id = request.form.get("user_id", "")
        done = self.registry.revoke(client_id, user_id)
        return redirect(f"/dashboard?{urlencode({'revoked': user_id if done else ''})}", 303)


def _browser_of(request: Request) -> tuple[str, bool]:
    """Return the browser's ``sandbox_browser`` cookie, or a fresh one (and True when fresh)."""
    value = request.cookies.get(BROWSER_COOKIE, "")
    if _BROWSER_ID.match(value):
        return value, False
    return secrets.token_urlsafe(24), True


def _set_browser_cookie(response: Response, browser: str) -> None:
    response.set_cookie(BROWSER_COOKIE, browser, httponly=True, samesite="Lax", path="/")


def _same_browser(request: Request, browser: str) -> bool:
    """Tell whether the request carries the ``sandbox_browser`` cookie ``browser``."""
    sent = request.cookies.get(BROWSER_COOKIE, "")
    return hmac.compare_digest(sent.encode("utf-8", "surrogateescape"), browser.encode())


def _client_credentials(request: Request) -> tuple[str | None, str | None]:
    """Read client credentials from Basic auth (documented) or the body (A5)."""
    header = request.headers.get("Authorization", "")
    if header:
        auth = request.authorization
        if auth is None or auth.type != "basic" or auth.username is None:
            raise oauth_error(400, "invalid_client", "Invalid client")
        return auth.username, auth.password
    return request.form.get("client_id"), request.form.get("client_secret")


def _redirect_with(redirect_uri: str, params: dict[str, str], state: str | None) -> Response:
    """Send the browser back to the app with ``params`` (and ``state`` when sent) (A3)."""
    if state is not None:
        params = {**params, "state": state}
    parts = urlsplit(redirect_uri)
    query = "&".join(filter(None, [parts.query, urlencode(params)]))
    location = urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
    return redirect(location, code=302)


def error_page(message: str, status: int = 400) -> Response:
    """Render an accounts error page: A2 errors are pages, not redirects."""
    html = _templates.get_template("error.html").render(message=message)
    return Response(html, status=status, mimetype="text/html")


def render_index(context: dict[str, Any]) -> Response:
    """Render the sandbox's home page: its URLs and the demo app's credentials."""
    html = _templates.get_template("index.html").render(**context)
    return Response(html, mimetype="text/html")
