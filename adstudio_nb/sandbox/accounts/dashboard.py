"""The sandbox's developer dashboard (D7, A9): apps, the users who granted them, revoke buttons.

Owns listing the grants and revoking one. The revoke form carries a ``csrf_token`` that is an
HMAC of the browser's ``sandbox_browser`` cookie under a key of this sandbox (random, never
derived from the seed): a POST whose token does not match answers a 403 page and revokes
nothing. The rules (what a revocation does to tokens) live in ``registry.py``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from urllib.parse import urlencode

from werkzeug.routing import Rule
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from .. import paths
from ..registry import AccountsRegistry
from .browser import BROWSER_COOKIE, BROWSER_ID, FOREIGN_FORM, browser_of, set_browser_cookie
from .pages import TEMPLATES, error_page


class Dashboard:
    """The developer dashboard, bound to one registry.

    Args:
        registry: apps, users and grants.
    """

    def __init__(self, registry: AccountsRegistry) -> None:
        self.registry = registry
        # Signs the revoke form's token; random per sandbox, never derived from the seed.
        self._form_key = secrets.token_bytes(32)

    def rules(self) -> list[Rule]:
        """Return the URL rules of the dashboard."""
        return [
            Rule(paths.DASHBOARD, endpoint=self.dashboard, methods=["GET"]),
            Rule(paths.DASHBOARD_REVOKE, endpoint=self.dashboard_revoke, methods=["POST"]),
        ]

    # -- developer dashboard (D7, A9) ------------------------------------------------------------

    def dashboard(self, request: Request) -> Response:
        """List apps and the users who granted them, with a revoke button each (D7)."""
        apps = list(self.registry.apps.values())
        grants = [g for g in self.registry.grants.values() if not g.revoked]
        browser, is_new_browser = browser_of(request)
        html = TEMPLATES.get_template("dashboard.html").render(
            apps=apps,
            grants=grants,
            users=self.registry.users,
            revoked=request.args.get("revoked"),
            csrf_token=self._revoke_token(browser),
        )
        response = Response(html, mimetype="text/html")
        if is_new_browser:
            set_browser_cookie(response, browser)
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
        if not BROWSER_ID.match(browser) or not hmac.compare_digest(
            sent.encode("utf-8", "surrogateescape"), self._revoke_token(browser).encode()
        ):
            return error_page(FOREIGN_FORM, 403)
        client_id = request.form.get("client_id", "")
        user_id = request.form.get("user_id", "")
        done = self.registry.revoke(client_id, user_id)
        return redirect(f"{paths.DASHBOARD}?{urlencode({'revoked': user_id if done else ''})}", 303)
