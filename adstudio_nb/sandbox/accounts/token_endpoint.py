"""The accounts service's token endpoint (A4-A10): ``POST /api/token``.

Owns reading the token request exactly as Spotify does (a form body; Basic or body client
credentials; PKCE clients without a secret) and answering the code and refresh grants in the
spec's shape, with ``Cache-Control: no-store``. The rules (codes, tokens, expiry, rotation)
live in ``registry.py``; errors are the OAuth body of ``errors.py``.
"""

from __future__ import annotations

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from .. import paths
from ..errors import json_response, oauth_error
from ..registry import AccountsRegistry
from ..shapes import ResponseShapes


class TokenEndpoint:
    """The token endpoint, bound to one registry.

    Args:
        registry: apps, codes and tokens.
        shapes: the answer shapes of the sandbox (``shapes.py``): the token answer's scope.
    """

    def __init__(self, registry: AccountsRegistry, shapes: ResponseShapes) -> None:
        self.registry = registry
        self.shapes = shapes

    def rules(self) -> list[Rule]:
        """Return the URL rule of the token endpoint."""
        return [Rule(paths.TOKEN_ENDPOINT, endpoint=self.token, methods=["POST"])]

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


def _client_credentials(request: Request) -> tuple[str | None, str | None]:
    """Read client credentials from Basic auth (documented) or the body (A5)."""
    header = request.headers.get("Authorization", "")
    if header:
        auth = request.authorization
        if auth is None or auth.type != "basic" or auth.username is None:
            raise oauth_error(400, "invalid_client", "Invalid client")
        return auth.username, auth.password
    return request.form.get("client_id"), request.form.get("client_secret")
