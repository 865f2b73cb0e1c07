"""The Ads API's door: the bearer check (B10), the Ads API allow-list and the rate limits (B11).

Owns turning an Ads API request into an :class:`~adstudio_nb.sandbox.context.ApiContext`, or
refusing it with the answer Spotify gives: 401 in the Web API form for a missing, malformed,
unknown or expired token, 403 for a client id not allowed for the Ads API, 429 past a limit.
Never routes, never renders, never answers for the handlers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Request

from .context import ApiContext, rate_limit_bucket
from .errors import ads_error, web_api_error
from .state import SandboxState


def authorize_api_call(
    state: SandboxState, request: Request, endpoint: Callable[..., Any]
) -> tuple[ApiContext, dict[str, str]]:
    """Check the bearer token (B10) and count the request against the limits (B11).

    Returns:
        The handler's context and the ``X-RateLimit-*`` headers for the answer.

    Raises:
        SandboxHTTPError: the request is refused (401, 403 or 429).
    """
    header = request.headers.get("Authorization")
    if not header:
        raise web_api_error(401, "No token provided")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise web_api_error(401, "Only valid bearer authentication supported")
    grant = state.registry.access_grant(token.strip())
    if grant is None:
        raise web_api_error(401, "Invalid access token")
    if grant.expires_at <= state.clock.now():
        raise web_api_error(401, "The access token expired")
    app = state.registry.apps.get(grant.client_id)
    if app is None or not app.ads_allowed:
        raise ads_error(
            403,
            "This client id is not allowed to use the Ads API yet. Accept the Ads API terms "
            "for it in Ads Manager; allow-listing can take up to an hour.",
            code="FORBIDDEN.CLIENT_NOT_ALLOWED",
        )
    decision = state.rate_limiter.check(grant.client_id, grant.user_id, rate_limit_bucket(endpoint))
    headers = decision.headers() if decision else {}
    if decision is not None and not decision.allowed:
        raise ads_error(429, "Too many requests", headers=headers)
    context = ApiContext(
        request=request,
        client_id=grant.client_id,
        user_id=grant.user_id,
        data=state.data,
        clock=state.clock,
        shapes=state.shapes,
        async_reports=state.async_reports,
        storage=state.storage,
    )
    return context, headers
