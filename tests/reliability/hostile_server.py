"""A small hostile Ads API on 127.0.0.1: the ways a broken or malicious server can misbehave.

:class:`HostileServer` is a threaded ``http.server`` answering the paths the client uses
(``/businesses``, ``/ad_accounts/{id}`` and its listings and ``aggregate_reports``) in one
:data:`MODES` mode at a time:

``endless_tokens``      every report page carries a continuation token never seen before (B6)
``alternating_tokens``  report tokens ``a``, ``b``, ``a``, ``b``, ... (B6)
``lying_total``         a first page of 50 items with ``total_results`` 10**12, then empty pages
``zero_paging``         60 items with Spotify's published all-zero ``paging`` object (B3)
``no_total``            full pages of new items forever, without ``paging`` (B1, B3)
``gzip_bomb``           a small gzip body that expands past any sensible size
``trickle``             a body sent one byte per second
``retry_after``         429 with ``Retry-After: 59`` forever (B11)
``slow_pages``          an endless listing (total 10**12) whose pages each take ``slow_s``
``deep_json``           a body of JSON arrays nested 100,000 deep

It records every request (arrival time, path, query) so a test can count what the client
sent, and when. Every loop of the server is bounded and stops when the server does.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["MODES", "HostileServer", "Received", "gzip_bomb"]

MODES = (
    "endless_tokens",
    "alternating_tokens",
    "lying_total",
    "zero_paging",
    "no_total",
    "gzip_bomb",
    "trickle",
    "retry_after",
    "slow_pages",
    "deep_json",
)
ACCOUNT = "6d5a2f0e-8a1b-4c2d-9e3f-0a1b2c3d4e5f"
BUSINESS = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
ZERO_PAGING = {"page_size": 0, "total_results": 0, "offset": 0, "current_page": 0}
_TRICKLE_MAX_BYTES = 600  # a trickle ends by itself after ten minutes at most
_BOMBS: dict[int, bytes] = {}
_BOMB_LOCK = threading.Lock()


def gzip_bomb(expanded_bytes: int) -> bytes:
    """Return a gzip body of a JSON object padded to ``expanded_bytes`` (cached per size)."""
    with _BOMB_LOCK:
        if expanded_bytes not in _BOMBS:
            packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip framing
            head, tail = b'{"businesses": [], "pad": "', b'"}'
            parts = [packer.compress(head)]
            block = b"0" * (1 << 20)
            left = max(0, expanded_bytes - len(head) - len(tail))
            while left > 0:
                parts.append(packer.compress(block[: min(left, len(block))]))
                left -= len(block)
            parts.append(packer.compress(tail))
            parts.append(packer.flush())
            _BOMBS[expanded_bytes] = b"".join(parts)
        return _BOMBS[expanded_bytes]


@dataclass(frozen=True)
class Received:
    """One request as the server saw it.

    Attributes:
        at: ``time.monotonic()`` at arrival.
        path: the path.
        query: the query parameters (first value of each).
    """

    at: float
    path: str
    query: dict[str, str]


def _item(n: int) -> dict[str, Any]:
    return {"id": f"00000000-0000-4000-8000-{n:012d}", "name": f"Campaign {n}"}


def _row(n: int) -> dict[str, Any]:
    return {
        "entity_type": "AD_ACCOUNT",
        "entity_id": ACCOUNT,
        "entity_name": "Hostile",
        "start_time": "2026-01-01T00:00:00Z",
        "end_time": "2026-01-02T00:00:00Z",
        "stats": [{"field_type": "CLICKS", "field_value": n}],
    }


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out at once: no delayed-ACK stalls

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output quiet."""

    def do_GET(self) -> None:
        """Answer as the server's mode says."""
        split = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(split.query).items()}
        hostile = self.server.owner
        hostile.record(Received(time.monotonic(), split.path, query))
        # The client may give up on an answer: that is what a bounded client does.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            hostile.answer(self, split.path, query)

    def send_json(self, body: Any, *, status: int = 200, headers: dict[str, str] | None = None):
        """Send ``body`` as JSON."""
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: HostileServer


class HostileServer:
    """A threaded HTTP server on 127.0.0.1 that misbehaves in one of :data:`MODES`.

    Args:
        mode: the misbehaviour.
        slow_s: how long each page takes in ``slow_pages``.
        bomb_bytes: what the ``gzip_bomb`` body expands to.
        on_request: called (in the server's thread) with the number of requests so far.

    Use as a context manager; :attr:`api_base_url` is what the client gets.
    """

    def __init__(
        self,
        mode: str,
        *,
        slow_s: float = 0.3,
        bomb_bytes: int = 256 * 1024 * 1024,
        on_request: Callable[[int], None] | None = None,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        self.mode = mode
        self.slow_s = slow_s
        self.bomb_bytes = bomb_bytes
        self.on_request = on_request
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._token_count = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def api_base_url(self) -> str:
        """Return the API base of the running server."""
        assert self._server is not None, "start the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/ads/v3"

    def start(self) -> HostileServer:
        """Start serving in a background thread."""
        if self.mode == "gzip_bomb":
            gzip_bomb(self.bomb_bytes)  # built before the clock of any test starts
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; trickles and slow pages end at once."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def record(self, request: Received) -> None:
        """Note one request and tell ``on_request``."""
        with self._lock:
            self.received.append(request)
            count = len(self.received)
        if self.on_request is not None:
            self.on_request(count)

    def requests_after(self, moment: float) -> int:
        """Return how many requests arrived after ``moment`` (``time.monotonic()``)."""
        with self._lock:
            return sum(1 for r in self.received if r.at > moment)

    @property
    def count(self) -> int:
        """Return how many requests arrived so far."""
        with self._lock:
            return len(self.received)

    # -- answers -----------------------------------------------------------------------------

    def answer(self, handler: _Handler, path: str, query: dict[str, str]) -> None:
        """Answer one request in this server's mode."""
        mode = self.mode
        if mode == "retry_after":
            handler.send_json(
                {"sp_trace_id": "hostile", "messages": ["Too many requests"]},
                status=429,
                headers={"Retry-After": "59"},
            )
            return
        if mode == "gzip_bomb":
            data = gzip_bomb(self.bomb_bytes)
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Encoding", "gzip")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
            return
        if mode == "deep_json":
            data = b"[" * 100_000 + b"]" * 100_000
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
            return
        if mode == "trickle":
            body = json.dumps({"businesses": [], "pad": " " * _TRICKLE_MAX_BYTES}).encode()
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            for byte in body:
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
                if self._stopping.wait(1.0):
                    return
            return
        if path.endswith("/aggregate_reports"):
            self._report(handler, query)
            return
        if path.endswith("/businesses"):
            handler.send_json({"businesses": [{"id": BUSINESS, "name": "Hostile"}]})
            return
        if path.endswith("/ad_accounts"):
            handler.send_json({"ad_accounts": [{"id": ACCOUNT, "name": "Hostile"}]})
            return
        self._listing(handler, int(query.get("offset", 0)), int(query.get("limit", 50)))

    def _listing(self, handler: _Handler, offset: int, limit: int) -> None:
        mode = self.mode
        if mode == "slow_pages" and self._stopping.wait(self.slow_s):
            return
        if mode == "zero_paging":
            items = [_item(n) for n in range(offset, min(60, offset + limit))]
            handler.send_json({"campaigns": items, "paging": dict(ZERO_PAGING)})
            return
        if mode == "lying_total":
            items = [_item(n) for n in range(limit)] if offset == 0 else []
            paging = {"page_size": limit, "total_results": 10**12, "offset": offset}
            handler.send_json({"campaigns": items, "paging": paging})
            return
        # no_total and slow_pages: full pages of new items without end
        items = [_item(n) for n in range(offset, offset + limit)]
        body: dict[str, Any] = {"campaigns": items}
        if mode == "slow_pages":
            body["paging"] = {"page_size": limit, "total_results": 10**12, "offset": offset}
        handler.send_json(body)

    def _report(self, handler: _Handler, query: dict[str, str]) -> None:
        with self._lock:
            self._token_count += 1
            n = self._token_count
        # alternating_tokens: a, b, a, ...; endless_tokens (and any other mode): all new
        alternating = self.mode == "alternating_tokens"
        token = ("a" if n % 2 else "b") if alternating else f"token-{n}"
        handler.send_json({"rows": [_row(n)], "continuation_token": token})
