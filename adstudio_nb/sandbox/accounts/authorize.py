"""The accounts service's authorize step (A1-A3, A13): the login and consent page and its form.

Owns validating the authorize URL (bad ones are error pages, A2; unknown scopes and bad PKCE
come back to the app as OAuth errors), skipping the page when consent was given before (A1),
and the Agree/Cancel form (A3). The form's ``pending`` field is a single-use id remembered
together with the browser's ``sandbox_browser`` cookie; a POST from another browser answers a
403 page and changes nothing. The rules (codes, grants) live in ``registry.py``.
"""

from __future__ import annotations

import re
import secrets
import threading
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit, urlunsplit

from werkzeug.routing import Rule
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from .. import paths
from ..registry import KNOWN_SCOPES, AccountsRegistry
from .browser import FOREIGN_FORM, browser_of, same_browser, set_browser_cookie
from .pages import TEMPLATES, error_page

_PKCE_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # base64url of a SHA-256 digest
USER_COOKIE = "sandbox_user"
_PENDING_LIMIT = 10_000


@dataclass(frozen=True)
class _PendingAuthorization:
    client_id: str
    redirect_uri: str
    scope: str
    state: str | None
    code_challenge: str | None
    browser: str  # the sandbox_browser cookie of the browser the form was shown to


class AuthorizePages:
    """The authorize page and its consent form, bound to one registry.

    Args:
        registry: apps, users, grants and codes.
    """

    def __init__(self, registry: AccountsRegistry) -> None:
        self.registry = registry
        self._pending: dict[str, _PendingAuthorization] = {}
        self._lock = threading.Lock()

    def rules(self) -> list[Rule]:
        """Return the URL rules of the authorize step."""
        return [
            Rule(paths.AUTHORIZE, endpoint=self.authorize, methods=["GET"]),
            Rule(paths.AUTHORIZE + "/", endpoint=self.authorize, methods=["GET"]),
            Rule(paths.AUTHORIZE_DECISION, endpoint=self.decide, methods=["POST"]),
        ]

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
        browser, is_new_browser = browser_of(request)
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
        html = TEMPLATES.get_template("authorize.html").render(
            app_name=app.name,
            users=list(self.registry.users.values()),
            selected=user_id,
            pending_id=pending_id,
            scope=scope,
            redirect_uri=redirect_uri,
        )
        response = Response(html, mimetype="text/html")
        if is_new_browser:
            set_browser_cookie(response, browser)
        return response

    def decide(self, request: Request) -> Response:
        """Handle Agree or Cancel on the consent page (A3); only from the browser shown it."""
        pending_id = request.form.get("pending", "")
        with self._lock:
            pending = self._pending.get(pending_id)
            if pending is None:
                expired = True
            elif not same_browser(request, pending.browser):
                # Sandbox pages: a form posted by another site (or another browser) is refused
                # and the real one keeps working.
                return error_page(FOREIGN_FORM, 403)
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
            html = TEMPLATES.get_template("authorize.html").render(
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


def _redirect_with(redirect_uri: str, params: dict[str, str], state: str | None) -> Response:
    """Send the browser back to the app with ``params`` (and ``state`` when sent) (A3)."""
    if state is not None:
        params = {**params, "state": state}
    parts = urlsplit(redirect_uri)
    query = "&".join(filter(None, [parts.query, urlencode(params)]))
    location = urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
    return redirect(location, code=302)
