"""The sandbox's accounts service: login and consent pages, token endpoint, developer dashboard.

HTTP only: the rules live in ``registry.py``. Behaviour IDs are those of ``SPOTIFY_ADS.md``
section A. Layout:

* ``pages.py``: the Jinja2 templates (autoescaped), the error page, the home page.
* ``browser.py``: the ``sandbox_browser`` cookie that ties a form to the browser shown it.
* ``authorize.py``: the authorize page and the consent form (A1-A3, A13).
* ``token_endpoint.py``: ``POST /api/token`` (A4-A10).
* ``dashboard.py``: the developer dashboard and its revoke form (D7, A9).

The two forms (consent and revoke) only act for the browser that opened them, so another web
site cannot approve a login or revoke a grant in the user's name. Never serves the Ads API.
"""

from __future__ import annotations

from werkzeug.routing import Rule

from ..registry import AccountsRegistry
from ..shapes import ResponseShapes
from .authorize import USER_COOKIE, AuthorizePages
from .browser import BROWSER_COOKIE
from .dashboard import Dashboard
from .pages import error_page, render_index
from .token_endpoint import TokenEndpoint

__all__ = [
    "BROWSER_COOKIE",
    "USER_COOKIE",
    "AccountsService",
    "AuthorizePages",
    "Dashboard",
    "TokenEndpoint",
    "error_page",
    "render_index",
]


class AccountsService:
    """The accounts service of one sandbox: its pages and its token endpoint.

    Args:
        registry: apps, users, grants, codes and tokens.
        shapes: the answer shapes of the sandbox (``shapes.py``): the token answer's scope.
    """

    def __init__(self, registry: AccountsRegistry, *, shapes: ResponseShapes | None = None) -> None:
        self.registry = registry
        self.shapes = shapes or ResponseShapes()
        self.authorize = AuthorizePages(registry)
        self.token = TokenEndpoint(registry, self.shapes)
        self.dashboard = Dashboard(registry)

    def rules(self) -> list[Rule]:
        """Return the URL rules of the accounts service."""
        return [*self.authorize.rules(), *self.token.rules(), *self.dashboard.rules()]
