"""The sandbox's WSGI application: the door every request goes through.

Owns joining the accounts service (``accounts``), the sandbox's own pages (``home.py``) and the
Ads API's routes (``ads_api``) behind one URL map; refusing requests addressed to a host name
other than this machine; the Ads API's added latency and injected faults; and rendering every
error in the shape Spotify uses on that host: never a 500 for a client's mistake, never a
traceback. It is given the sandbox's state (``state.py``) and never sees the server object;
the bearer check lives in ``bearer.py``, the handlers in their own modules.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Protocol

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map
from werkzeug.wrappers import Request, Response

from . import paths
from .accounts import AccountsService, error_page
from .ads_api import RULES
from .bearer import authorize_api_call
from .context import GENERAL, rate_limit_bucket
from .errors import SandboxHTTPError, ads_error, json_response, oauth_error
from .home import HomePages, is_loopback_host
from .ratelimit import LIMITS, RateDecision
from .state import SandboxState

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

log = logging.getLogger(__name__)

FRAME_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
}


class StateHolder(Protocol):
    """Anything that holds a sandbox's state (a running ``Sandbox`` does)."""

    @property
    def state(self) -> SandboxState:
        """Return the sandbox's state."""
        ...


class _SandboxRequest(Request):
    """Requests with bounded bodies: a huge body is a 413, not a memory problem."""

    max_content_length = 1024 * 1024
    max_form_memory_size = 1024 * 1024
    max_form_parts = 1000


class SandboxApplication:
    """The WSGI callable behind a sandbox, serving from the sandbox's state.

    Args:
        state: the sandbox's state; something that holds one (a ``Sandbox``) is accepted
            too, and only its state is kept.
    """

    def __init__(self, state: SandboxState | StateHolder) -> None:
        self.state = state if isinstance(state, SandboxState) else state.state
        self.accounts = AccountsService(self.state.registry, shapes=self.state.shapes)
        self.url_map = Map(
            [*HomePages(self.state).rules(), *self.accounts.rules()],
            strict_slashes=False,
            merge_slashes=False,
        )
        for rule in RULES:
            self.url_map.add(rule.empty())

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Answer one request."""
        request = _SandboxRequest(environ)
        state = self.state
        is_ads = request.path.startswith(paths.ADS_PREFIXES)
        if not is_loopback_host(request.host, state.port):
            # Sandbox pages: the server binds 127.0.0.1 only, so a request naming any other
            # host came through a name rebound to this machine (DNS rebinding): a web page
            # would otherwise drive the dashboard's forms or the API with the browser's cookies.
            return self._foreign_host_response(request)(environ, start_response)
        fault = None
        if is_ads:
            if state.latency_ms:
                time.sleep(state.latency_ms / 1000)
            faults = state.faults
            fault = faults.draw() if faults else None
            if fault == "drop":
                _drop_connection(environ)
                # werkzeug ends a request quietly on this error (no traceback in its log).
                raise ConnectionAbortedError("injected fault: connection dropped")
            if fault == "slow":
                time.sleep(faults.slow_s if faults else 0)
        try:
            if fault in ("500", "502", "503"):
                raise ads_error(
                    int(fault), "Injected fault: the service is temporarily unavailable."
                )
            if fault == "429":
                raise self._injected_429(request)
            response = self._dispatch(request, is_ads=is_ads)
        except SandboxHTTPError as exc:
            response = self._error_response(exc)
        except HTTPException as exc:
            answer = _http_exception_response(exc, request)
            response = answer if isinstance(answer, Response) else self._error_response(answer)
        except Exception:  # a sandbox bug: say so in Spotify's shape, log it for the developer
            log.exception("sandbox error on %s %s", request.method, request.path)
            response = self._error_response(ads_error(500, "Internal sandbox error."))
        if response.mimetype == "text/html":
            # Sandbox pages: no other site may frame the consent or dashboard forms.
            response.headers.update(FRAME_HEADERS)
        if fault == "truncate":
            return _truncated(response, environ, start_response)
        return response(environ, start_response)

    def _error_response(self, error: SandboxHTTPError) -> Response:
        """Render an error answer, its codes under this sandbox's key (B9)."""
        return json_response(
            self.state.shapes.error_body(error.body), status=error.status, headers=error.headers
        )

    def _dispatch(self, request: Request, *, is_ads: bool) -> Response:
        adapter = self.url_map.bind_to_environ(request.environ)
        if not is_ads:
            endpoint, path_args = adapter.match()
            return endpoint(request, **path_args)
        try:
            endpoint, path_args = adapter.match()
        except HTTPException as exc:
            raise self._routing_error(exc, request) from None
        context, rate_headers = authorize_api_call(self.state, request, endpoint)
        try:
            result = endpoint(context, **path_args)
        except SandboxHTTPError as exc:
            # B11: Spotify's 4xx answers carry the window's X-RateLimit-* headers too.
            exc.headers = {**rate_headers, **exc.headers}
            raise
        response = result if isinstance(result, Response) else json_response(result)
        response.headers.update(rate_headers)
        return response

    def _routing_error(self, exc: HTTPException, request: Request) -> SandboxHTTPError:
        """Return an Ads API 404/405 that, for a valid token, counts and says so (B11)."""
        answer = _http_exception_response(exc, request)
        assert isinstance(answer, SandboxHTTPError)  # an Ads API path: never a page
        try:
            _, rate_headers = authorize_api_call(self.state, request, _unrouted)
        except SandboxHTTPError as refused:
            if refused.status == 429:
                return refused  # past the limit, the limit is the answer
            return answer  # no valid token: the route's own answer, nothing counted
        answer.headers = {**rate_headers, **answer.headers}
        return answer

    def _injected_429(self, request: Request) -> SandboxHTTPError:
        """Return an injected 429 that looks like a real limit (B11): every header Spotify sends."""
        bucket = GENERAL
        with contextlib.suppress(HTTPException):
            endpoint, _ = self.url_map.bind_to_environ(request.environ).match()
            bucket = rate_limit_bucket(endpoint)
        limit = self.state.rate_limiter.limits.get(bucket, LIMITS[bucket])
        headers = RateDecision(False, limit, 0, 1.0).headers()
        return ads_error(429, "Too many requests", code="TOO_MANY_REQUESTS", headers=headers)

    def _foreign_host_response(self, request: Request) -> Response:
        """Refuse a request addressed to another host name, in the shape of the path's host."""
        where = f"http://127.0.0.1:{self.state.port}"
        if request.path.rstrip("/") == paths.TOKEN_ENDPOINT:
            error: SandboxHTTPError = oauth_error(
                400, "invalid_request", f"This sandbox answers only requests addressed to {where}."
            )
        elif request.path.startswith((*paths.ADS_PREFIXES, "/sandbox/")):
            error = ads_error(
                403, f"This sandbox answers only requests addressed to {where}.", code="FORBIDDEN"
            )
        else:
            page = error_page(
                f"This sandbox answers only pages opened at {where}: open that address instead.",
                status=403,
            )
            page.headers.update(FRAME_HEADERS)
            return page
        return self._error_response(error)


def _unrouted() -> None:
    """Stand in for the handler of a path no route matches: the general bucket (B11)."""


def _http_exception_response(exc: HTTPException, request: Request) -> Response | SandboxHTTPError:
    """Render routing and size errors (404, 405, 413, 400) in the host's error shape."""
    status = exc.code or 400
    headers: dict[str, str] = {}
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        headers["Allow"] = ", ".join(sorted(exc.valid_methods))
    if isinstance(exc, NotFound):
        message = f"No such endpoint: {request.method} {request.path}"
    elif isinstance(exc, MethodNotAllowed):
        message = f"Method {request.method} is not allowed on {request.path}"
    else:
        message = exc.description or exc.name
    path = request.path.rstrip("/")
    if path == paths.TOKEN_ENDPOINT:
        error = oauth_error(status, "invalid_request", message)
        error.headers.update(headers)
        return error.to_response()
    if path.startswith(paths.AUTHORIZE):
        # A2: the accounts service answers its pages' errors with pages, not JSON.
        response = error_page(message, status)
        response.headers.update(headers)
        return response
    return ads_error(status, message, headers=headers)


def _drop_connection(environ: WSGIEnvironment) -> None:
    """Close the client's connection without an answer (a "dropped connection" fault)."""
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _truncated(
    response: Response, environ: WSGIEnvironment, start_response: StartResponse
) -> Iterator[bytes]:
    """Send the headers and half the body, then close: a "truncated body" fault."""
    body = response.get_data()
    response.headers["Content-Length"] = str(len(body))
    start_response(response.status, list(response.headers.items()))
    yield body[: len(body) // 2]
    _drop_connection(environ)
