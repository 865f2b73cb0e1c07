"""The one-shot loopback listener that catches Spotify's redirect after login (A3, A12).

This module owns :class:`CallbackListener`: a tiny HTTP server bound only to the loopback
address of a redirect URI (``127.0.0.1`` or ``[::1]``), serving in a background thread until
one redirect carrying our ``state`` arrives (a code, or the user's refusal), or until it times
out. It answers the browser with a "you can close this tab" page and hands the redirect URL
over; unrelated requests (favicon, probes, other paths) get a 404 and are otherwise ignored.

It answers only requests addressed to its own loopback address and port (the ``Host``
header), so a web page whose name was rebound to 127.0.0.1 cannot deliver a redirect. Each
connection has a read timeout, at most a few threads serve connections at once, and when
the listener finishes every open connection is closed so that no thread outlives it.

It never does OAuth logic (the code is exchanged by :mod:`adstudio_nb.auth`), never binds a
non-loopback address, and never logs a code, a state or a query string.

Example:
    >>> import requests
    >>> listener = CallbackListener("http://127.0.0.1/callback").start()  # picks a free port
    >>> listener.expected_state = "s1"  # the login's state, once started with redirect_uri
    >>> url = listener.redirect_uri + "?code=AQexamplecode12345&state=s1"
    >>> page = requests.get(url, timeout=5)
    >>> listener.wait().code
    'AQexamplecode12345'
"""

from __future__ import annotations

import contextlib
import errno
import hmac
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler
from werkzeug.wrappers import Request, Response

from .exceptions import CallbackError, CallbackPortInUse, CallbackTimeout
from .redirect_uris import PORTLESS_REDIRECT_URI, _show

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = ["CallbackListener", "CallbackResult"]

log = logging.getLogger(__name__)

_LOOPBACK = {"127.0.0.1": socket.AF_INET, "::1": socket.AF_INET6}
_POLL_S = 0.1
# A browser sends its request at once; a connection silent this long is dropped.
_READ_TIMEOUT_S = 5.0
# A browser opens a few connections (page, favicon, preconnects); more at once are not one.
_MAX_CONNECTION_THREADS = 16
# How long a connection past the cap waits for a free thread before it is closed.
_SLOT_WAIT_S = 1.0
# How long stop() and wait() wait for connection threads to end (they end at once normally).
_JOIN_S = 5.0
_SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    # The page's URL holds the code: never send it on as a Referer.
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
}


@dataclass(frozen=True, repr=False)
class CallbackResult:
    """The redirect that reached the listener: a code, or an error such as ``access_denied``.

    Attributes:
        url: the full redirect URL as the browser sent it (holds the code: keep private);
            pass it to :meth:`adstudio_nb.auth.OAuthFlow.complete_login`.
        code: the authorization code, or None.
        state: the state that came back (it matched the expected one).
        error: the OAuth error (``access_denied`` when the user clicked Cancel), or None.
        error_description: the error's description, if any.
    """

    url: str
    code: str | None
    state: str | None
    error: str | None = None
    error_description: str | None = None

    @property
    def ok(self) -> bool:
        """Tell whether a code arrived."""
        return self.code is not None and self.error is None

    def __repr__(self) -> str:
        what = "code received" if self.ok else f"error={_show(self.error or '', 40)}"
        return f"<CallbackResult {what}>"


class _QuietHandler(WSGIRequestHandler):
    """Log by path only and at DEBUG: a query string holds the code and the state."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # A malformed request line leaves no `path` (nor `command`): never crash on logging it.
        path = getattr(self, "path", None)
        shown = urlsplit(path).path if isinstance(path, str) else "(malformed request)"
        log.debug("callback listener: %s %s -> %s", getattr(self, "command", "-"), shown, code)

    def log_error(self, format: str, *args: Any) -> None:
        log.debug("callback listener: a connection failed")  # args may quote the request line

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("callback listener: message suppressed")


class _BoundedServer(ThreadedWSGIServer):
    """Werkzeug's threaded server with a cap on connection threads and a way to end them all.

    Each accepted connection gets a thread while fewer than ``max_threads`` run; a connection
    past the cap waits up to ``slot_wait_s`` for one and is otherwise closed unanswered.
    :meth:`close_connections` shuts every open connection down, so that the threads blocked
    reading from them return at once instead of at their read timeout.
    """

    daemon_threads = True
    block_on_close = False  # the listener joins its threads itself, with a bound

    def __init__(
        self,
        *args: Any,
        max_threads: int,
        slot_wait_s: float,
        is_finished: Callable[[], bool],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._slots = threading.BoundedSemaphore(max_threads)
        self._slot_wait_s = slot_wait_s
        self._is_finished = is_finished
        self._connections: set[socket.socket] = set()
        self._connection_threads: set[threading.Thread] = set()
        self._connections_lock = threading.Lock()
        self._closing = False

    def process_request(self, request: Any, client_address: Any) -> None:
        """Serve ``request`` in a thread of the bounded set, or close it when none frees up."""
        if not self._acquire_slot():
            log.debug("callback listener: closed a connection past the thread cap")
            self.shutdown_request(request)
            return
        thread = threading.Thread(
            target=self._serve_connection,
            args=(request, client_address),
            name=f"adstudio-callback-connection:{self.port}",
            daemon=True,
        )
        with self._connections_lock:
            started = not self._closing
            if started:
                self._connections.add(request)
                self._connection_threads.add(thread)
        if started:
            try:
                thread.start()
            except RuntimeError:  # no thread can be started now: refuse this connection
                log.debug("callback listener: could not start a connection thread")
                with self._connections_lock:
                    self._connection_threads.discard(thread)
                started = False
        if not started:
            self._slots.release()
            self.shutdown_request(request)

    def _acquire_slot(self) -> bool:
        """Wait up to ``slot_wait_s`` for a free thread slot, giving up when the listener ends."""
        for _ in range(max(1, round(self._slot_wait_s / _POLL_S))):
            if self._closing or self._is_finished():
                return False
            if self._slots.acquire(timeout=_POLL_S):
                return True
        return False

    def _serve_connection(self, request: Any, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)  # closes the request
        finally:
            with self._connections_lock:
                self._connection_threads.discard(threading.current_thread())
            self._slots.release()

    def shutdown_request(self, request: Any) -> None:
        """Close one connection (under the lock, so that no close races a shutdown)."""
        with self._connections_lock:
            self._connections.discard(request)
            super().shutdown_request(request)

    def close_connections(self) -> list[threading.Thread]:
        """Stop taking connections, shut down the open ones; return the threads still running."""
        with self._connections_lock:
            self._closing = True
            for connection in self._connections:
                with contextlib.suppress(OSError):  # already closed by the peer
                    connection.shutdown(socket.SHUT_RDWR)
            return list(self._connection_threads)


class CallbackListener:
    """Catch one OAuth redirect on a loopback address, in a background thread.

    Args:
        redirect_uri: the redirect URI of the login: ``http://127.0.0.1[:port]/path`` or
            ``http://[::1][:port]/path``. Without a port a free one is picked and
            :attr:`redirect_uri` gives the URI to use (A12 lets a port-less registration take
            any port).
        expected_state: the login's ``state``; a redirect with another one is refused and the
            listener keeps waiting. When the port is picked at :meth:`start`, the login is
            started after it (with :attr:`redirect_uri`): set :attr:`expected_state` then,
            before opening the browser. Until it is set every redirect is refused.
        timeout_s: how long to wait for the redirect once started.
        read_timeout_s: how long a connection may stay silent before it is dropped.
        on_result: called once, from a background thread, when the listener finishes
            (code, refusal, timeout); read :attr:`result` and :attr:`error` there.

    Raises:
        CallbackError: the redirect URI is not a loopback http URI.
    """

    def __init__(
        self,
        redirect_uri: str,
        *,
        expected_state: str | None = None,
        timeout_s: float = 300.0,
        read_timeout_s: float = _READ_TIMEOUT_S,
        on_result: Callable[[CallbackListener], None] | None = None,
    ) -> None:
        try:
            parts = urlsplit(redirect_uri)
            port = parts.port
        except (ValueError, TypeError, AttributeError):
            raise CallbackError(
                f"The redirect URI {_show(redirect_uri)} is not a valid URL: use "
                f"{PORTLESS_REDIRECT_URI}, or paste the address-bar URL instead."
            ) from None
        host = parts.hostname or ""
        if parts.scheme != "http" or host not in _LOOPBACK:
            raise CallbackError(
                f"The loopback listener can only catch http://127.0.0.1 or http://[::1] redirect "
                f"URIs, not {_show(redirect_uri)}: paste the browser's address-bar URL after "
                "clicking Agree instead."
            )
        self._parts = parts
        self._host = host
        self._requested_port = port or 0
        self._path = parts.path or "/"
        self._expected_state: str | None = None
        self.expected_state = expected_state
        self.timeout_s = float(timeout_s)
        self.read_timeout_s = float(read_timeout_s)
        self.on_result = on_result
        self._server: _BoundedServer | None = None
        self._allowed_hosts: frozenset[str] = frozenset()
        self._thread: threading.Thread | None = None
        self._finished = threading.Event()
        self._finish_lock = threading.Lock()
        self._result: CallbackResult | None = None
        self._error: CallbackError | None = None
        self._port: int | None = port
        self._deadline = 0.0

    # -- what callers read --------------------------------------------------------------------

    @property
    def port(self) -> int | None:
        """Return the port listened on (known after :meth:`start` when none was given)."""
        return self._port

    @property
    def redirect_uri(self) -> str:
        """Return the redirect URI to use at the authorize step, with the actual port (A12)."""
        if self._port is None:
            return urlunsplit(self._parts)
        netloc = f"[{self._host}]" if ":" in self._host else self._host
        return urlunsplit(self._parts._replace(netloc=f"{netloc}:{self._port}"))

    @property
    def expected_state(self) -> str | None:
        """Return the state a redirect must carry (the login's), or None until it is known."""
        return self._expected_state

    @expected_state.setter
    def expected_state(self, state: str | None) -> None:
        if state is not None and (not isinstance(state, str) or not state):
            raise CallbackError("The expected state must be the login's state (text).")
        self._expected_state = state

    @property
    def done(self) -> bool:
        """Tell whether the listener has finished (code, refusal, timeout or stop)."""
        return self._finished.is_set()

    @property
    def result(self) -> CallbackResult | None:
        """Return the redirect that arrived, or None (yet, or after a timeout)."""
        return self._result

    @property
    def error(self) -> CallbackError | None:
        """Return the :class:`CallbackTimeout` when the listener timed out, else None."""
        return self._error

    # -- life cycle -----------------------------------------------------------------------------

    def start(self) -> CallbackListener:
        """Bind the loopback port and serve in a background thread; return self.

        Raises:
            CallbackPortInUse: the port is taken (Jupyter itself uses 8888).
            CallbackError: the port cannot be bound for another reason.
        """
        if self._server is not None or self._finished.is_set():
            return self
        family = _LOOPBACK[self._host]
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            if os.name == "nt":  # Windows' SO_REUSEADDR would let us steal a bound port
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)  # type: ignore[attr-defined,unused-ignore]
            else:  # allow a port in TIME_WAIT from a previous login, not a listening one
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self._host, self._requested_port))
            sock.listen(16)
            port = int(sock.getsockname()[1])
            # A handler class per listener: its read timeout is this listener's.
            handler = type("_Handler", (_QuietHandler,), {"timeout": self.read_timeout_s})
            server = _BoundedServer(
                self._host,
                port,
                self._application,
                handler,
                fd=sock.fileno(),
                max_threads=_MAX_CONNECTION_THREADS,
                slot_wait_s=_SLOT_WAIT_S,
                is_finished=self._finished.is_set,
            )
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", -1)):
                raise CallbackPortInUse(
                    f"Port {self._requested_port} on {self._host} is taken by another program "
                    f"(Jupyter itself uses 8888): register {PORTLESS_REDIRECT_URI} in the "
                    "developer dashboard (without a port, Spotify accepts any port) and "
                    "use it, or paste the browser's address-bar URL after clicking Agree.",
                    port=self._requested_port,
                ) from None
            raise CallbackError(
                f"Cannot listen on {self._host}:{self._requested_port} "
                f"({exc.strerror or type(exc).__name__}): use {PORTLESS_REDIRECT_URI}, or paste "
                "the browser's address-bar URL after clicking Agree.",
            ) from None
        finally:
            sock.close()  # werkzeug serves on its own duplicate of the socket
        server.timeout = _POLL_S
        self._allowed_hosts = self._hosts_for(port)
        self._server = server
        self._port = port
        self._deadline = time.monotonic() + self.timeout_s
        self._thread = threading.Thread(
            target=self._serve, name=f"adstudio-callback:{port}", daemon=True
        )
        self._thread.start()
        log.debug("callback listener started on %s port %s", self._host, port)
        return self

    def _serve(self) -> None:
        server = self._server
        assert server is not None
        try:
            while not self._finished.is_set():
                if time.monotonic() >= self._deadline:
                    self._finish(
                        error=CallbackTimeout(
                            f"No redirect arrived within {self.timeout_s:.0f} s: open the "
                            "Spotify login again, or paste the browser's address-bar URL after "
                            "clicking Agree."
                        )
                    )
                    break
                server.handle_request()
        except Exception:  # never let the thread die noisily; the caller sees `done`
            log.debug("callback listener stopped after an internal error")
            self._finish(error=CallbackError("The callback listener failed: paste the URL."))
        finally:
            server.server_close()
            server.close_connections()  # the threads reading from them return now
            log.debug("callback listener closed")

    def _join(self) -> None:
        """Wait (bounded) for the serving thread and every connection thread to end."""
        current = threading.current_thread()
        if self._thread is not None and self._thread is not current:
            self._thread.join(timeout=_JOIN_S)
        if self._server is not None:
            for thread in self._server.close_connections():
                if thread is not current:  # an on_result hook may call stop()
                    thread.join(timeout=_JOIN_S)

    def _hosts_for(self, port: int) -> frozenset[str]:
        """Return the ``Host`` values a redirect to this listener can carry (lower case).

        A browser sends the host and port of the redirect URI: ``127.0.0.1:PORT`` or
        ``[::1]:PORT`` (the port is the bound one when the URI was registered without one,
        A12), without the port when it is 80.
        """
        bare = {"127.0.0.1", "[::1]"}
        registered = self._parts.netloc.rpartition("@")[2].lower()
        if self._parts.port is None:
            bare.add(registered)
        hosts = {f"{host}:{port}" for host in bare}
        if self._parts.port is not None:
            hosts.add(registered)
        if port == 80:
            hosts |= bare
        return frozenset(hosts)

    def wait(self, timeout_s: float | None = None) -> CallbackResult:
        """Block until the redirect arrives and return it (for the CLI; widgets poll ``done``).

        Args:
            timeout_s: give up after this many seconds (stops the listener); by default wait
                until the listener's own deadline.

        Raises:
            CallbackTimeout: no redirect arrived in time.
            CallbackError: the listener was not started, or was stopped.
        """
        if self._server is None and not self._finished.is_set():
            raise CallbackError("The listener is not running: call start() first.")
        if not self._finished.wait(timeout_s):
            self._finish(
                error=CallbackTimeout(
                    f"No redirect arrived within {timeout_s:.0f} s: open the Spotify login "
                    "again, or paste the browser's address-bar URL after clicking Agree."
                )
            )
        self._join()
        if self._result is not None:
            return self._result
        raise self._error or CallbackError("The listener was stopped before a redirect arrived.")

    def stop(self) -> None:
        """Stop listening (nothing happens if it already finished)."""
        self._finish(error=CallbackError("The listener was stopped before a redirect arrived."))
        self._join()

    def __enter__(self) -> CallbackListener:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "done" if self.done else ("listening" if self._server else "not started")
        return f"<CallbackListener {self.redirect_uri} {state}>"

    def _finish(
        self, *, result: CallbackResult | None = None, error: CallbackError | None = None
    ) -> None:
        """Record the outcome once, wake waiters, call the hook."""
        with self._finish_lock:
            if self._finished.is_set():
                return
            self._result = result
            self._error = None if result is not None else error
            self._finished.set()
        if self.on_result is not None:
            try:
                self.on_result(self)
            except Exception as exc:  # a widget's hook must not kill the listener thread
                log.warning("callback listener: on_result hook raised %s", type(exc).__name__)

    # -- the WSGI side ------------------------------------------------------------------------

    def _application(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        try:
            response = self._respond(Request(environ))
        except Exception:
            log.debug("callback listener: request failed")
            response = _page(500, "Something went wrong", "Paste the address-bar URL instead.")
        return response(environ, start_response)

    def _respond(self, request: Request) -> Response:
        # DNS rebinding: a page at evil.example whose name now resolves to 127.0.0.1 reaches
        # this port with "Host: evil.example". Only a browser sent to the redirect URI names
        # our address; compared exactly (werkzeug's trusted-host check ignores the port).
        if request.environ.get("HTTP_HOST", "").lower() not in self._allowed_hosts:
            log.debug("callback listener: refused a request for another host")
            return _page(
                400,
                "Wrong address",
                "This page only answers at the loopback address the login sent the browser "
                "to. Start the login again from the notebook.",
            )
        if request.path != self._path or request.method not in ("GET", "HEAD"):
            return _page(404, "Not found", "This address only receives the Spotify login.")
        if self._finished.is_set():
            return _page(
                410, "Login already handled", "This login is finished: you can close this tab."
            )
        args = request.args
        if any(len(args.getlist(key)) > 1 for key in ("state", "code", "error")):
            # A3: Spotify sends each once; two states or codes are not its redirect (parameter
            # pollution), and the code would be refused at the next step anyway.
            log.debug("callback listener: refused a redirect with repeated parameters")
            return _page(
                400,
                "This address is not a Spotify redirect",
                "It repeats a parameter. Start the login again from the notebook.",
            )
        state, code, error = args.get("state"), args.get("code"), args.get("error")
        expected = self._expected_state
        if (
            state is None
            or expected is None
            or not hmac.compare_digest(
                state.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")
            )
        ):
            log.debug("callback listener: refused a redirect with a foreign state")
            return _page(
                400,
                "This login is not the one in progress",
                "The address does not belong to the login the notebook is waiting for. Start "
                "the login again from the notebook.",
            )
        if error:
            result = CallbackResult(
                url=request.url,
                code=None,
                state=state,
                error=error,
                error_description=args.get("error_description"),
            )
            if error == "access_denied":
                response = _page(
                    200,
                    "Access not given",
                    "You clicked Cancel, so no access was given. You can close this tab "
                    "and start the login again.",
                )
            else:
                response = _page(
                    200,
                    "Spotify refused the login",
                    f"Spotify answered {_show(error, 40)}. You can close this tab; the "
                    "notebook says what to do next.",
                )
        elif code:
            result = CallbackResult(url=request.url, code=code, state=state)
            response = _page(
                200,
                "Login complete",
                "You are logged in. You can close this tab and go back to the notebook.",
            )
        else:
            return _page(400, "No code in this address", "Start the login again from the notebook.")
        # Finish once the page has been sent, so the browser gets it before the server stops.
        response.call_on_close(lambda: self._finish(result=result))
        log.debug("callback listener: redirect received (%s)", "error" if error else "code")
        return response


def _page(status: int, title: str, text: str) -> Response:
    """Render a small self-contained HTML page (no external resources)."""
    html = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>body{{font-family:sans-serif;margin:3em;"
        "max-width:40em}</style></head>"
        f"<body><h1>{escape(title)}</h1><p>{escape(text)}</p></body></html>"
    )
    return Response(html, status=status, mimetype="text/html", headers=_SECURITY_HEADERS)
