"""The sandbox's WSGI application: routing, the Ads API's bearer check, rate limits and faults.

It joins the accounts service (``accounts.py``) and the Ads API handlers (``ads_api.py``) behind
one URL map and renders every error in the shape Spotify uses on that host: never a 500 for a
client's mistake, never a traceback.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from . import ads_api
from .accounts import AccountsService, error_page, render_index
from .context import ApiContext, rate_limit_bucket
from .errors import SandboxHTTPError, ads_error, json_response, oauth_error, web_api_error

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

    from .server import Sandbox

log = logging.getLogger(__name__)

ADS_PREFIXES = ("/ads/", "/ads-sandbox/")
LOOPBACK_NAMES = frozenset({"127.0.0.1", "::1", "localhost"})
FRAME_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
}


class _SandboxRequest(Request):
    """Requests with bounded bodies: a huge body is a 413, not a memory problem."""

    max_content_length = 1024 * 1024
    max_form_memory_size = 1024 * 1024
    max_form_parts = 1000


class SandboxApplication:
    """The WSGI callable behind a :class:`~adstudio_nb.sandbox.server.Sandbox`."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.accounts = AccountsService(sandbox.registry, shapes=sandbox.shapes)
        self.url_map = Map(
            [
                Rule("/", endpoint=self.index, methods=["GET"]),
                Rule("/sandbox/demo-app", endpoint=self.demo_app, methods=["GET"]),
                *self.accounts.rules(),
            ],
            strict_slashes=False,
            merge_slashes=False,
        )
        for rule in ads_api.RULES:
            self.url_map.add(rule.empty())

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Answer one request."""
        request = _SandboxRequest(environ)
        is_ads = request.path.startswith(ADS_PREFIXES)
        if not _is_loopback_host(request.host, self.sandbox.port):
            # Sandbox pages: the server binds 127.0.0.1 only, so a request naming any other
            # host came through a name rebound to this machine (DNS rebinding): a web page
            # would otherwise drive the dashboard's forms or the API with the browser's cookies.
            return _foreign_host_response(request, self.sandbox)(environ, start_response)
        fault = None
        if is_ads:
            if self.sandbox.latency_ms:
                time.sleep(self.sandbox.latency_ms / 1000)
            fault = self.sandbox.faults.draw() if self.sandbox.faults else None
            if fault == "drop":
                _drop_connection(environ)
                # werkzeug ends a request quietly on this error (no traceback in its log).
                raise ConnectionAbortedError("injected fault: connection dropped")
            if fault == "slow":
                time.sleep(self.sandbox.faults.slow_s if self.sandbox.faults else 0)
        try:
            if fault in ("500", "502", "503"):
                raise ads_error(
                    int(fault), "Injected fault: the service is temporarily unavailable."
                )
            if fault == "429":
                raise ads_error(429, "Too many requests", headers={"Retry-After": "1"})
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
            self.sandbox.shapes.error_body(error.body), status=error.status, headers=error.headers
        )

    def _dispatch(self, request: Request, *, is_ads: bool) -> Response:
        adapter = self.url_map.bind_to_environ(request.environ)
        endpoint, path_args = adapter.match()
        if not is_ads:
            return endpoint(request, **path_args)
        context, rate_headers = self._authorize_api_call(request, endpoint)
        result = endpoint(context, **path_args)
        response = result if isinstance(result, Response) else json_response(result)
        response.headers.update(rate_headers)
        return response

    def _authorize_api_call(
        self, request: Request, endpoint: Callable[..., Any]
    ) -> tuple[ApiContext, dict[str, str]]:
        """Check the bearer token (B10) and count the request against the limits (B11)."""
        header = request.headers.get("Authorization")
        if not header:
            raise web_api_error(401, "No token provided")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise web_api_error(401, "Only valid bearer authentication supported")
        grant = self.sandbox.registry.access_grant(token.strip())
        if grant is None:
            raise web_api_error(401, "Invalid access token")
        if grant.expires_at <= self.sandbox.clock.now():
            raise web_api_error(401, "The access token expired")
        app = self.sandbox.registry.apps.get(grant.client_id)
        if app is None or not app.ads_allowed:
            raise ads_error(
                403,
                "This client id is not allowed to use the Ads API yet. Accept the Ads API terms "
                "for it in Ads Manager; allow-listing can take up to an hour.",
                code="FORBIDDEN.CLIENT_NOT_ALLOWED",
            )
        decision = self.sandbox.rate_limiter.check(
            grant.client_id, grant.user_id, rate_limit_bucket(endpoint)
        )
        headers = decision.headers() if decision else {}
        if decision is not None and not decision.allowed:
            raise ads_error(429, "Too many requests", headers=headers)
        context = ApiContext(
            request=request,
            client_id=grant.client_id,
            user_id=grant.user_id,
            data=self.sandbox.data,
            clock=self.sandbox.clock,
            shapes=self.sandbox.shapes,
        )
        return context, headers

    def index(self, request: Request) -> Response:
        """Render the home page: URLs and the demo app (its secret stays off the page)."""
        sb = self.sandbox
        app = sb.demo_app
        try_url = (
            sb.authorize_url
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
                "authorize_url": sb.authorize_url,
                "token_url": sb.token_url,
                "api_base_url": sb.api_base_url,
                "client_id": app.client_id,
                "redirect_uris": app.redirect_uris,
                "try_url": try_url,
            }
        )

    def demo_app(self, request: Request) -> Response:
        """Describe the demo app to a zero-configuration client on this machine.

        Only a sandbox does this: it lets a notebook kernel use a stand-alone sandbox
        (``ADSTUDIO_SANDBOX_URL``) without copying its demo secret by hand. The server binds
        127.0.0.1 only, and the answer goes only to a request addressed to a loopback name
        with this sandbox's port: a web page that rebinds its own host name to 127.0.0.1
        reaches the server but not the secret.
        """
        if not _is_loopback_host(request.host, self.sandbox.port):
            raise ads_error(
                403,
                "The demo app is described only to requests addressed to this machine "
                f"(http://127.0.0.1:{self.sandbox.port}).",
                code="FORBIDDEN",
            )
        app = self.sandbox.demo_app
        return json_response(
            {
                "client_id": app.client_id,
                "client_secret": app.client_secret,
                "redirect_uris": app.redirect_uris,
                "name": app.name,
                "instance_id": self.sandbox.instance_id,
            },
            headers={"Cache-Control": "no-store"},
        )


def _foreign_host_response(request: Request, sandbox: Sandbox) -> Response:
    """Refuse a request addressed to another host name, in the shape of the path's host."""
    where = f"http://127.0.0.1:{sandbox.port}"
    if request.path.rstrip("/") == "/api/token":
        error: SandboxHTTPError = oauth_error(
            400, "invalid_request", f"This sandbox answers only requests addressed to {where}."
        )
    elif request.path.startswith((*ADS_PREFIXES, "/sandbox/")):
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
    return json_response(
        sandbox.shapes.error_body(error.body), status=error.status, headers=error.headers
    )


def _is_loopback_host(host: str, port: int) -> bool:
    """Tell whether a ``Host`` header names this machine and ``port`` (sandbox pages)."""
    try:
        parts = urlsplit("//" + host)
        named_port = parts.port
    except ValueError:
        return False
    return parts.hostname in LOOPBACK_NAMES and (named_port or 80) == port


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
    if path == "/api/token":
        error = oauth_error(status, "invalid_request", message)
        error.headers.update(headers)
        return error.to_response()
    if path.startswith("/authorize"):
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
