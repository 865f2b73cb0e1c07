"""Spotify-shaped error answers of the sandbox.

Three shapes, as Spotify sends them: the Ads API body of B9 (``sp_trace_id``, ``messages``,
``error_codes``), the accounts service's OAuth body of A4-A9 (``error``, ``error_description``),
and the Web API form used for 401s on the Ads host (B10). Handlers raise
:class:`SandboxHTTPError`; the application renders it.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from werkzeug.wrappers import Response


class SandboxHTTPError(Exception):
    """An error answer a handler wants sent: status, JSON body and extra headers."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None):
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body
        self.headers = dict(headers or {})

    def to_response(self) -> Response:
        """Render as a JSON response."""
        return json_response(self.body, status=self.status, headers=self.headers)


def json_response(
    body: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """Return ``body`` as a compact JSON response."""
    payload = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    return Response(payload, status=status, headers=headers, mimetype="application/json")


STATUS_CODES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    422: "UNPROCESSABLE_ENTITY",
    429: "TOO_MANY_REQUESTS",
    500: "INTERNAL_ERROR",
    502: "BAD_GATEWAY",
    503: "SERVICE_UNAVAILABLE",
}
"""The generic code of an Ads API error by status, when a handler names none (B9)."""


def ads_error(
    status: int,
    message: str,
    *,
    code: str | None = None,
    definition: str | None = None,
    headers: dict[str, str] | None = None,
) -> SandboxHTTPError:
    """Build an Ads API error (B9) with a fresh ``sp_trace_id``.

    Every body carries its codes (the status's generic one when ``code`` is not given), so
    the key they go under (``error_codes`` or ``errorCodes``, ``shapes.py``) always shows.
    """
    body: dict[str, Any] = {"sp_trace_id": str(uuid.uuid4()), "messages": [message]}
    code = code or STATUS_CODES.get(status, "ERROR")
    body["error_codes"] = [{"code": code, "definition": definition or message}]
    return SandboxHTTPError(status, body, headers)


def oauth_error(status: int, error: str, description: str) -> SandboxHTTPError:
    """Build an accounts-service token error (A4-A9), texts verbatim."""
    return SandboxHTTPError(status, {"error": error, "error_description": description})


def web_api_error(status: int, message: str) -> SandboxHTTPError:
    """Build the Web API error form, the stand-in for the Ads host's 401 (B10)."""
    headers = {"WWW-Authenticate": 'Bearer realm="spotify"'} if status == 401 else None
    return SandboxHTTPError(status, {"error": {"status": status, "message": message}}, headers)
