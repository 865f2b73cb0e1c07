"""The sandbox's own pages outside Spotify's hosts: the home page and the demo app's description.

Owns ``GET /`` (the URLs and the demo app, its secret kept off the page) and
``GET /sandbox/demo-app`` (the demo app's credentials for a zero-configuration client on this
machine), and the test of whether a ``Host`` header names this machine. Never reads the server
object: it is given the sandbox's state.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from . import paths
from .accounts import render_index
from .errors import ads_error, json_response
from .state import SandboxState

LOOPBACK_NAMES = frozenset({"127.0.0.1", "::1", "localhost"})


def is_loopback_host(host: str, port: int) -> bool:
    """Tell whether a ``Host`` header names this machine and ``port`` (sandbox pages)."""
    try:
        parts = urlsplit("//" + host)
        named_port = parts.port
    except ValueError:
        return False
    return parts.hostname in LOOPBACK_NAMES and (named_port or 80) == port


class HomePages:
    """The home page and the demo app's description, bound to one sandbox's state.

    Args:
        state: the sandbox's state (its URLs and demo app).
    """

    def __init__(self, state: SandboxState) -> None:
        self.state = state

    def rules(self) -> list[Rule]:
        """Return the URL rules of these pages."""
        return [
            Rule("/", endpoint=self.index, methods=["GET"]),
            Rule(paths.DEMO_APP, endpoint=self.demo_app, methods=["GET"]),
            Rule(paths.WHOAMI, endpoint=self.whoami, methods=["GET"]),
        ]

    def index(self, request: Request) -> Response:
        """Render the home page: URLs and the demo app (its secret stays off the page)."""
        state = self.state
        app = state.demo_app
        try_url = (
            state.authorize_url
            + "?"
            + urlencode(
                {
                    "client_id": app.client_id,
                    "response_type": "code",
                    "redirect_uri": app.redirect_uris[0],
                    "state": "try-me",
                }
            )
        )
        return render_index(
            {
                "authorize_url": state.authorize_url,
                "token_url": state.token_url,
                "api_base_url": state.api_base_url,
                "client_id": app.client_id,
                "redirect_uris": app.redirect_uris,
                "try_url": try_url,
            }
        )

    def whoami(self, request: Request) -> Response:
        """Say which demo user a bearer token speaks for, so a notebook can say who is logged in.

        Sandbox only: Spotify's Ads API names no user. An unknown, revoked or expired token
        gets a 401 in the error shape of the sandbox's own JSON endpoints (B9).
        """
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        registry = self.state.registry
        grant = registry.access_grant(token.strip()) if scheme.lower() == "bearer" else None
        if grant is None or grant.expires_at <= self.state.clock.now():
            raise ads_error(401, "Invalid access token: log in again.")
        user = registry.users.get(grant.user_id)
        name = user.display_name if user else grant.user_id
        return json_response(
            {"user_id": grant.user_id, "display_name": name},
            headers={"Cache-Control": "no-store"},
        )

    def demo_app(self, request: Request) -> Response:
        """Describe the demo app to a zero-configuration client on this machine.

        Only a sandbox does this: it lets a notebook kernel use a stand-alone sandbox
        (``ADSTUDIO_SANDBOX_URL``) without copying its demo secret by hand. The server binds
        127.0.0.1 only, and the answer goes only to a request addressed to a loopback name
        with this sandbox's port: a web page that rebinds its own host name to 127.0.0.1
        reaches the server but not the secret.
        """
        if not is_loopback_host(request.host, self.state.port):
            raise ads_error(
                403,
                "The demo app is described only to requests addressed to this machine "
                f"(http://127.0.0.1:{self.state.port}).",
                code="FORBIDDEN",
            )
        app = self.state.demo_app
        return json_response(
            {
                "client_id": app.client_id,
                "client_secret": app.client_secret,
                "redirect_uris": app.redirect_uris,
                "name": app.name,
                "instance_id": self.state.instance_id,
            },
            headers={"Cache-Control": "no-store"},
        )
