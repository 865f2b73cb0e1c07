"""Test helpers that play the browser and the client against the sandbox over real HTTP."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

from adstudio_nb.sandbox import Sandbox, SandboxApp
from adstudio_nb.sandbox.person import consent, token_response

__all__ = ["access_token", "authorize_url", "code_from", "consent", "token_response"]


def authorize_url(sandbox: Sandbox, app: SandboxApp | None = None, **params: str) -> str:
    """Build an authorize URL for ``app`` (the demo app by default) by hand (A1)."""
    app = app or sandbox.demo_app
    query = {
        "client_id": app.client_id,
        "response_type": "code",
        "redirect_uri": app.redirect_uris[0],
        **params,
    }
    return sandbox.authorize_url + "?" + urlencode(query)


def code_from(location: str) -> str:
    """Return the ``code`` of a redirect location."""
    return parse_qs(urlsplit(location).query)["code"][0]


def access_token(
    sandbox: Sandbox, user_id: str = "alex.analyst", *, app: SandboxApp | None = None
) -> str:
    """Return a fresh access token for ``user_id`` obtained over HTTP."""
    return str(token_response(sandbox, user=user_id, app=app)["access_token"])
