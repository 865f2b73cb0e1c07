"""The Ads API transport: one session, budgets, retries, refresh on 401, pacing, typed errors.

This module owns talking HTTP to Spotify's Ads API v3 (B): one ``requests.Session`` per
client with a connection pool sized to its thread pool, a wall-clock budget on every request
(the body included) and a size cap on every body after decompression, retries of
idempotent requests (5xx with exponential backoff and jitter, 429 honouring the rate-limit
headers within a total budget, dropped connections, truncated bodies, a bounded number of
timeouts), one token refresh on 401 (B10), pacing under Spotify's rate limits through a
:class:`~adstudio_nb.pacing.Pacer` (B11), the mapping of HTTP errors to the exception tree
in one function (:func:`error_from_response`, B9), and the thread pool and cancel events
that let a call (:meth:`AdsClient.call`) run requests side by side and stop them all on an
error, a Ctrl-C or :meth:`AdsClient.close`. Every wait (backoff, 429, pacing) goes through
an injectable ``sleep``, and pacing and call deadlines read an injectable ``clock``.

It knows no endpoint (``endpoints`` does), never imports pandas (``frames`` shapes what
comes back), never prints, and never puts a token or a query string into a message, a repr
or a log line; the token is held as a :class:`~adstudio_nb.redaction.Secret` in its frames.

Example:
    >>> from adstudio_nb.sandbox import Sandbox
    >>> from tests.helpers import access_token  # doctest: +SKIP
    >>> with Sandbox(rate_limits="off") as sb:  # doctest: +SKIP
    ...     client = AdsClient(sb.api_base_url, StaticToken(access_token(sb)))
    ...     [b["name"] for b in client.get("/businesses")["businesses"]][:1]
    ['Northwind Audio Agency']
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import math
import random
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from typing import Any, Protocol, TypeVar, runtime_checkable
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter

from . import __version__
from .exceptions import (
    APIError,
    BadRequest,
    InvalidArgument,
    MalformedPayload,
    NotAllowedForAdsAPI,
    NotFound,
    RateLimited,
    ResponseTooLarge,
    ServerError,
    TransportError,
    Unauthorized,
    UnprocessableReport,
)
from .pacing import (
    GENERAL,
    REPORTING,
    Pacer,
    RateLimitPolicy,
    rate_limit_bucket,
    retry_after_s,
)
from .paging import PagingLimits, ordered_map, parse_json
from .redaction import Secret, SecretMatcher

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "NOT_ALLOWED_MESSAGE",
    "WAIT_REASONS",
    "AdsClient",
    "Call",
    "ClientStats",
    "PagingLimits",
    "RateLimitPolicy",
    "RetryPolicy",
    "StaticToken",
    "TokenSource",
    "error_from_response",
    "parse_json",
]

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024
"""The largest response body a client reads by default, after decompression (64 MiB)."""
_CHUNK_BYTES = 256 * 1024  # decoded bytes per read: bounds what one read can expand to

# B10: what to do about a 403 for a client id that is not allowed yet.
NOT_ALLOWED_MESSAGE = (
    "this client id is not yet allowed for the Ads API: accept the Ads API terms in Ads "
    "Manager; allow-listing can take up to an hour"
)
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_LIMITS_SENTENCE = "Spotify allows 1,500 requests per 30 s, 150 of them to reports."

# Why a client waits, by pacer bucket or retry kind: each completes "waiting 12 s for ...".
WAIT_REASONS: dict[str, str] = {
    REPORTING: "Spotify's reporting limit",
    GENERAL: "Spotify's rate limit",
    "429": "Spotify's rate limit (it answered: too many requests)",
    "5xx": "a retry after a Spotify server error",
    "network": "a retry after a network failure",
    "timeout": "a retry after a timeout",
}
"""Why a client waits, as handed to ``on_wait``: by pacer bucket (B11) or retry kind."""


# -- tokens ---------------------------------------------------------------------------------


@runtime_checkable
class TokenSource(Protocol):
    """Where the client gets its bearer token; ``auth.OAuthFlow`` is one (B10)."""

    def access_token(self) -> str:
        """Return a current access token (refreshing first if it is about to expire)."""
        ...

    def refresh(self) -> object:
        """Get a new access token now (after a 401); raise ``AuthorizationRequired`` if none."""
        ...


class StaticToken:
    """A fixed access token, for tests, benchmarks and tokens obtained elsewhere.

    Args:
        access_token: the bearer token.
        refresher: called by :meth:`refresh` to get a new token; without it a refresh keeps
            the same token (and a second 401 then raises ``Unauthorized``).
    """

    def __init__(self, access_token: str, *, refresher: Callable[[], str] | None = None) -> None:
        self._token = Secret(access_token)
        self._refresher = refresher

    def access_token(self) -> str:
        """Return the token."""
        return self._token.reveal()

    def refresh(self) -> object:
        """Replace the token through the refresher, if there is one; return None."""
        if self._refresher is not None:
            self._token = Secret(self._refresher())
        return None

    def __repr__(self) -> str:
        return "StaticToken(<hidden>)"


# -- policies and statistics ----------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """How hard the client tries before it raises.

    Attributes:
        max_attempts: attempts per request for 5xx answers, dropped connections and truncated
            bodies (the first try included).
        max_timeouts: timeouts tolerated per request before ``TransportError``.
        max_rate_limited: 429 answers tolerated per request before ``RateLimited``.
        backoff_s: the first backoff after a 5xx or a network failure; doubles each time.
        backoff_max_s: the longest backoff.
        max_rate_limit_wait_s: the longest a 429's ``X-RateLimit-Reset``/``Retry-After`` may
            ask for; a longer wait raises ``RateLimited`` at once (B11).
        rate_limit_budget_s: the longest one request waits for rate limits in all, over
            every 429 it gets; past it ``RateLimited`` says how long Spotify still asks for.
    """

    max_attempts: int = 6
    max_timeouts: int = 3
    max_rate_limited: int = 8
    backoff_s: float = 0.25
    backoff_max_s: float = 8.0
    max_rate_limit_wait_s: float = 60.0
    rate_limit_budget_s: float = 120.0

    def backoff(self, failures: int, rng: random.Random) -> float:
        """Return the wait after ``failures`` consecutive failures: exponential, full jitter."""
        ceiling = min(self.backoff_max_s, self.backoff_s * 2 ** max(0, failures - 1))
        # Half fixed, half random: spreads retries of many threads without waiting 0 s.
        return ceiling / 2 + rng.uniform(0, ceiling / 2)


@dataclass
class ClientStats:
    """What happened on the wire, for reliability figures; updated under a lock.

    Attributes:
        requests: HTTP requests sent (every attempt).
        retries: attempts after the first one of a request.
        rate_limited: 429 answers received (B11).
        server_errors: 5xx answers received.
        transport_errors: dropped connections, truncated or unreadable bodies, timeouts.
        timeouts: of which timeouts.
        refreshes: token refreshes after a 401 (B10).
        paced: requests the pacer held back.
        paced_s: seconds spent held back by the pacer, summed over threads.
        waited_s: seconds spent in backoffs and 429 waits, summed over threads.
    """

    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    server_errors: int = 0
    transport_errors: int = 0
    timeouts: int = 0
    refreshes: int = 0
    paced: int = 0
    paced_s: float = 0.0
    waited_s: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **deltas: float) -> None:
        """Add to counters by name."""
        with self._lock:
            for name, delta in deltas.items():
                setattr(self, name, getattr(self, name) + delta)

    def snapshot(self) -> dict[str, float]:
        """Return the counters as a plain dict."""
        with self._lock:
            return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "_lock"}


# -- errors (B9, B10) -----------------------------------------------------------------------


def _error_body(content: bytes) -> dict[str, Any]:
    try:
        body = parse_json(content) if content else {}
    except (ValueError, UnicodeDecodeError, RecursionError, OverflowError):
        return {}
    return body if isinstance(body, dict) else {}


def error_from_response(
    status_code: int,
    content: bytes,
    *,
    method: str,
    url: str,
    headers: Mapping[str, str] | None = None,
    secrets: Sequence[str | Secret] = (),
) -> APIError:
    """Map an Ads API error answer to the exception to raise: the one place that does (B9).

    Args:
        status_code: the HTTP status.
        content: the raw body (B9's ``sp_trace_id``/``messages``/``error_codes``, or
            ``errorCodes``, or the Web API's ``{"error": {...}}`` form for 401s, B10).
        method: the HTTP method.
        url: the request URL; only its path is kept (a query string may hold secrets).
        headers: the answer's headers (``Retry-After``, ``X-RateLimit-Reset``).
        secrets: values never to repeat in any form (the bearer token, should a server echo
            it); see :func:`adstudio_nb.redaction.redact`.

    Returns:
        An :class:`~adstudio_nb.exceptions.APIError` subclass carrying the trace id, messages,
        error codes, method and path.
    """
    body = _error_body(content)
    hidden = SecretMatcher(list(secrets))

    def clean(text: str) -> str:
        """Server text fit for a one-line message: no secret, no line break, clipped."""
        return " ".join(hidden.redact(text).split())[:300]

    raw_trace = body.get("sp_trace_id")
    trace_id = clean(raw_trace)[:64] if isinstance(raw_trace, str) else None
    raw_messages = body.get("messages")
    if isinstance(raw_messages, str):
        raw_messages = [raw_messages]
    messages = (
        [clean(m) for m in raw_messages if isinstance(m, str) and m.strip()]
        if isinstance(raw_messages, list)
        else []
    )
    nested = body.get("error")
    if isinstance(nested, dict) and isinstance(nested.get("message"), str):
        messages.append(clean(nested["message"]))
    elif isinstance(nested, str):
        messages.append(clean(nested))
    raw_codes = body.get("error_codes") or body.get("errorCodes") or []  # B9: both casings
    codes = [c for c in raw_codes if isinstance(c, dict)] if isinstance(raw_codes, list) else []
    path = urlsplit(url).path
    said = "; ".join(messages).rstrip(". ")
    code_names = [clean(str(c.get("code")))[:80] for c in codes if c.get("code")]
    trace = f" sp_trace_id {trace_id} (quote it to Spotify support)." if trace_id else ""
    where = f"{method} {path}"
    context: dict[str, Any] = {
        "status_code": status_code,
        "trace_id": str(trace_id) if trace_id else None,
        "messages": messages,
        "error_codes": codes,
        "method": method,
        "url": path,
    }
    detail = f" Spotify said: {said}." if said else ""
    if code_names:
        detail += f" ({', '.join(code_names)})"
    if status_code == 400:
        return BadRequest(f"{where} was refused as a bad request (400).{detail}{trace}", **context)
    if status_code == 401:
        return Unauthorized(
            f"{where} was refused: the access token is not valid even after a refresh (401)."
            f"{detail} Log in again.{trace}",
            **context,
        )
    if status_code == 403:
        other_reason = code_names and not any("CLIENT" in c for c in code_names)
        if other_reason:  # a 403 that names another cause (e.g. not a member of this account)
            return APIError(f"{where} was refused (403).{detail}{trace}", **context)
        return NotAllowedForAdsAPI(f"{NOT_ALLOWED_MESSAGE} (403 on {where}).{trace}", **context)
    if status_code == 404:
        return NotFound(
            f"{where} found nothing (404): the object does not exist or this user cannot see "
            f"it.{detail}{trace}",
            **context,
        )
    if status_code == 422:
        return UnprocessableReport(
            f"{where} has too little data behind it for this report yet (422).{detail} "
            f"Try again later (at most once a day) or pick a broader entity.{trace}",
            **context,
        )
    if status_code == 429:
        retry_after = retry_after_s(headers or {})
        wait = f" Spotify asks to wait {retry_after:g} s." if retry_after is not None else ""
        return RateLimited(
            f"{where} stayed rate limited (429) past this client's retry budget.{wait} "
            f"{_LIMITS_SENTENCE}{trace}",
            retry_after_s=retry_after,
            **context,
        )
    if status_code >= 500:
        return ServerError(
            f"{where} kept failing on Spotify's side ({status_code}).{detail} Try again "
            f"later.{trace}",
            **context,
        )
    return APIError(f"{where} failed with HTTP {status_code}.{detail}{trace}", **context)


def _rate_limited(api_error: APIError, message: str, wait: float) -> RateLimited:
    """Return a ``RateLimited`` with ``message``, the wait and the 429's context (B11)."""
    return RateLimited(
        f"{message} {_LIMITS_SENTENCE}",
        retry_after_s=wait,
        status_code=429,
        trace_id=api_error.trace_id,
        messages=api_error.messages,
        error_codes=api_error.error_codes,
        method=api_error.method,
        url=api_error.url,
    )


# -- the client -----------------------------------------------------------------------------


class _Retry(Exception):
    """Internal: this attempt failed in a way worth another try."""

    def __init__(self, kind: str, wait_s: float | None, error: APIError | TransportError) -> None:
        super().__init__(kind)
        self.kind = kind
        self.wait_s = wait_s
        self.error = error


class _Answer:
    """Internal: one answer's status, headers and body; its repr never shows the body."""

    __slots__ = ("content", "headers", "status")

    def __init__(self, status: int, headers: Mapping[str, str], content: bytes) -> None:
        self.status = status
        self.headers = headers
        self.content = content

    def take(self) -> bytes:
        """Return the body and forget it: no traceback frame keeps what a server echoed."""
        content, self.content = self.content, b""
        return content

    def __repr__(self) -> str:
        return f"<answer {self.status}, {len(self.content)} bytes>"


class _Cancelled(TransportError):
    """Internal: work of a call that was interrupted, or of a client that was closed."""

    def __init__(self) -> None:
        super().__init__(
            "The request was not sent: the call was interrupted or the client closed. Run it "
            "again (with a new client if this one was closed)."
        )


def _socket_of(raw: Any) -> Any:
    """Return the socket under a urllib3 response while it is being read, or None."""
    connection = getattr(raw, "_connection", None)
    sock = getattr(connection, "sock", None)
    if sock is None:  # http.client's buffered reader over the socket
        fp = getattr(getattr(raw, "_fp", None), "fp", None)
        sock = getattr(getattr(fp, "raw", None), "_sock", None)
    return sock if hasattr(sock, "settimeout") else None


_TIMEOUTS = (requests.Timeout, urllib3.exceptions.TimeoutError, TimeoutError)
_DROPS = (
    requests.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
    urllib3.exceptions.HTTPError,
    http.client.HTTPException,
    ConnectionError,
)


class Call:
    """One call's share of a client: its cancel event, its requests and its threads.

    Made by :meth:`AdsClient.call`. Requests sent through :meth:`get` (from any thread)
    check the call's cancel event first, so once the call ends, however it ends (an error,
    a Ctrl-C, :meth:`AdsClient.close`), none of its requests starts.

    Attributes:
        client: the client.
        cancel: set when the call ends or is cancelled.
    """

    def __init__(self, client: AdsClient, cancel: threading.Event) -> None:
        self.client = client
        self.cancel = cancel

    def get(
        self, path: str, params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None
    ) -> Any:
        """Send a GET for this call and return the parsed JSON (see :meth:`AdsClient.request`)."""
        return self.client._for_call(self.cancel, self.client.get, path, params)

    @property
    def executor(self) -> Executor:
        """Return the client's thread pool, for pagers that run fetches side by side."""
        return self.client.pool

    @property
    def max_in_flight(self) -> int:
        """Return how many requests this call may have queued or running at once."""
        return 2 * self.client.max_workers

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        """Run ``fn`` over ``items`` on the client's threads; yield results in their order."""
        return ordered_map(self.executor, fn, items, max_in_flight=self.max_in_flight)

    def __repr__(self) -> str:
        return f"<Call of {self.client!r}{' cancelled' if self.cancel.is_set() else ''}>"


class AdsClient:
    """A client for Spotify's Ads API v3: bounded requests, retries, pacing, typed errors.

    Every request is bounded: a wall-clock budget per attempt (``timeout_s``, the body
    included), a size cap on each body after decompression, and a total wait for rate limits
    (``RetryPolicy.rate_limit_budget_s``). Listings and reports (:mod:`adstudio_nb.endpoints`)
    run as a :meth:`call` on the client's threads, capped by :attr:`paging_limits`; a
    ``KeyboardInterrupt`` in the caller's thread stops them before their next request.

    Args:
        api_base_url: the API base, e.g. ``https://api-partner.spotify.com/ads/v3`` or a
            sandbox's ``sb.api_base_url``.
        token_source: where bearer tokens come from (:class:`TokenSource`).
        session: a ``requests.Session`` to use (one is made otherwise; one per client).
        timeout_s: the budget of every request attempt, from sending to the body's last
            byte; connecting gets at most 10 s of it. It bounds real socket reads, so it runs
            on the real monotonic clock whatever ``clock`` is.
        max_workers: threads for concurrent paging; the connection pool is sized to match.
        pacing: keep under the rate limits with a :class:`~adstudio_nb.pacing.Pacer`.
        rate_limits: the limits to pace to (a shorter ``window_s`` for a scaled sandbox).
        retry: the retry budget (:class:`RetryPolicy`).
        page_size: ``limit`` for offset and report paging (1-50).
        seed: seeds the backoff jitter (reproducible runs).
        max_body_bytes: the largest response body accepted, after decompression (64 MiB).
        paging_limits: caps on each listing or report walk (:class:`PagingLimits`).
        clock: monotonic seconds for the pacer and call deadlines (injectable for tests).
        sleep: how to wait for backoffs, rate limits and pacing (injectable for tests); by
            default a wait that an interrupt or :meth:`close` ends at once.
        on_wait: called as ``on_wait(seconds, reason)`` before every wait (pacing, a 429,
            a backoff), from the thread that waits; ``reason`` completes "waiting 12 s
            for ..." (:data:`WAIT_REASONS`). Progress bars show it; it must not block.
    """

    def __init__(
        self,
        api_base_url: str,
        token_source: TokenSource,
        *,
        session: requests.Session | None = None,
        timeout_s: float = 30.0,
        max_workers: int = 16,
        pacing: bool = True,
        rate_limits: RateLimitPolicy | None = None,
        retry: RetryPolicy | None = None,
        page_size: int = 50,
        seed: int | None = None,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        paging_limits: PagingLimits | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] | None = None,
        on_wait: Callable[[float, str], None] | None = None,
    ) -> None:
        if not 1 <= page_size <= 50:
            raise InvalidArgument(f"page_size must be between 1 and 50, not {page_size}.")
        if max_workers < 1:
            raise InvalidArgument(f"max_workers must be at least 1, not {max_workers}.")
        if not timeout_s > 0:
            raise InvalidArgument(f"timeout_s must be above 0 seconds, not {timeout_s}.")
        if max_body_bytes < 1:
            raise InvalidArgument(f"max_body_bytes must be at least 1, not {max_body_bytes}.")
        self.api_base_url = api_base_url.rstrip("/")
        self.token_source = token_source
        self.timeout_s = timeout_s
        self.max_workers = max_workers
        self.page_size = page_size
        self.max_body_bytes = max_body_bytes
        self.paging_limits = paging_limits or PagingLimits()
        self.retry = retry or RetryPolicy()
        self.clock = clock
        self._sleep = sleep
        self.on_wait = on_wait
        policy = rate_limits or RateLimitPolicy()
        if not pacing:
            policy = RateLimitPolicy(
                window_s=policy.window_s,
                general_limit=policy.general_limit,
                reporting_limit=policy.reporting_limit,
                enabled=False,
            )
        # The pacer's own sleep is unused here (the client waits in _pause); given anyway so
        # that pacer.acquire() never waits in real time under a fake clock.
        self.pacer = Pacer(policy, clock=clock, sleep=sleep or time.sleep)
        self.stats = ClientStats()
        self._rng = random.Random(seed)
        self._rng_lock = threading.Lock()
        self._refresh_lock = threading.Lock()
        self._local = threading.local()  # the cancel event of the call a thread works for
        self._calls: weakref.WeakSet[threading.Event] = weakref.WeakSet()
        self._owns_session = session is None
        self.session = session or requests.Session()
        # The pool holds a connection per thread (plus the caller's), so concurrent pages
        # never wait for a connection nor open throw-away ones.
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=max_workers + 2, max_retries=0)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        # With trust_env, requests re-reads the environment on every request: it scans
        # os.environ twice for proxies and looks for ~/.netrc, a good part of the client's CPU
        # per page when 16 threads share the GIL. A session made here reads the proxies and
        # CA bundle once per host instead (:meth:`_environment`); ~/.netrc is left out on
        # purpose, since an entry for the API's host would replace the bearer token with
        # Basic credentials. A session passed in is used as configured.
        self._env_settings: dict[str, dict[str, Any]] | None = None
        if self._owns_session:
            self._env_settings = {}
            self.session.trust_env = False
        self.session.headers.setdefault("User-Agent", f"adstudio_nb/{__version__}")
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    # -- life cycle ------------------------------------------------------------------------------

    def close(self) -> None:
        """Stop the client's calls and threads and close the session (if this client made it).

        Never waits for a request in flight: queued work is cancelled, running work stops
        before its next request, and a request being answered ends by its own deadline.
        """
        for cancel in list(self._calls):
            cancel.set()
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        if self._owns_session:
            self.session.close()

    def __enter__(self) -> AdsClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<AdsClient {self.api_base_url} workers={self.max_workers}>"

    @property
    def pool(self) -> ThreadPoolExecutor:
        """Return the client's thread pool (made on first use)."""
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.max_workers, thread_name_prefix="adstudio")
            return self._pool

    @contextlib.contextmanager
    def call(self) -> Iterator[Call]:
        """Open one call (a listing, a report): its requests stop together when it ends.

        The call's cancel event is set when the ``with`` block ends, whatever ended it, and
        by :meth:`close`; a request of the call checks it before it is sent and before each
        retry, so no work of the call starts after that.

        Example:
            >>> with client.call() as call:  # doctest: +SKIP
            ...     pages = list(call.map(lambda p: call.get(p), paths))
        """
        cancel = threading.Event()
        self._calls.add(cancel)
        try:
            yield Call(self, cancel)
        finally:
            cancel.set()  # whatever ended the call, none of its work may start after it
            self._calls.discard(cancel)

    def _for_call(self, cancel: threading.Event, fn: Callable[..., R], *args: Any) -> R:
        """Run ``fn`` for the call of ``cancel``: its requests check the event first."""
        previous = getattr(self._local, "cancel", None)
        self._local.cancel = cancel
        try:
            return fn(*args)
        finally:
            self._local.cancel = previous

    # -- one request -----------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None,
        json_body: Any = None,
    ) -> Any:
        """Send one API request with pacing, retries and refresh; return the parsed JSON body.

        Args:
            method: ``GET``, ``POST``, ...; only idempotent methods are retried after a 5xx
                or a network failure (429 and 401 are retried for all: nothing was done).
            path: the path below the API base (``/businesses``) or a full URL.
            params: query parameters; lists become repeated keys (B4).
            json_body: a JSON body.

        Raises:
            APIError: a subclass per status (:func:`error_from_response`).
            RateLimited: rate limited for longer than ``RetryPolicy.rate_limit_budget_s`` in
                all; ``retry_after_s`` says how long to wait.
            TransportError: the network kept failing, an attempt passed ``timeout_s``, or a
                body passed ``max_body_bytes`` (``ResponseTooLarge``).
        """
        method = method.upper()
        url = path if path.startswith(("http://", "https://")) else self.api_base_url + path
        bucket = rate_limit_bucket(urlsplit(url).path)
        retryable = method in _IDEMPOTENT
        cancel: threading.Event | None = getattr(self._local, "cancel", None)
        refreshed = False
        failures = timeouts = limited = 0
        rate_waited = 0.0
        attempt = 0
        while True:
            if cancel is not None and cancel.is_set():
                raise _Cancelled()
            if attempt:
                self.stats.add(retries=1)
            attempt += 1
            # Held as a Secret: a verbose traceback shows this frame's locals.
            token = Secret(self.token_source.access_token())
            try:
                return self._attempt(method, url, bucket, token, params, json_body, cancel)
            except Unauthorized:
                if refreshed:
                    raise
                refreshed = True
                self._refresh(token)  # B10: refresh once, then retry
                continue
            except _Retry as retry:
                if retry.kind == "429":
                    limited += 1
                    if limited >= self.retry.max_rate_limited:
                        raise retry.error from None
                    wait = retry.wait_s or 0.0
                    budget = self.retry.rate_limit_budget_s
                    if rate_waited + wait > budget:
                        context = retry.error if isinstance(retry.error, APIError) else None
                        raise _rate_limited(
                            context or APIError("", method=method, url=urlsplit(url).path),
                            f"{method} {urlsplit(url).path} is still rate limited after "
                            f"waiting {rate_waited:g} s, and Spotify asks for {wait:g} s more, "
                            f"past this client's budget of {budget:g} s (rate_limit_budget_s). "
                            f"Wait {math.ceil(wait)} s and run it again.",
                            wait,
                        ) from None
                    rate_waited += wait
                elif retry.kind == "timeout":
                    timeouts += 1
                    if not retryable or timeouts > self.retry.max_timeouts:
                        raise retry.error from None
                else:
                    failures += 1
                    if not retryable or failures >= self.retry.max_attempts:
                        raise retry.error from None
                pause = retry.wait_s
                if pause is None:  # exponential backoff with jitter
                    pause = self._backoff(max(failures, timeouts))
                self._announce_wait(pause, WAIT_REASONS[retry.kind])
                self._pause(pause, cancel)
                self.stats.add(waited_s=pause)

    def get(
        self, path: str, params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None
    ) -> Any:
        """Send a GET and return the parsed JSON (see :meth:`request`)."""
        return self.request("GET", path, params=params)

    def sleep(self, seconds: float, reason: str) -> None:
        """Wait as the client waits between retries: announced, through the injectable sleep.

        For callers that poll (async reports, B8): ``reason`` completes "waiting 12 s for
        ...", and an interrupt or :meth:`close` ends a real wait at once.
        """
        cancel: threading.Event | None = getattr(self._local, "cancel", None)
        self._announce_wait(seconds, reason)
        self._pause(seconds, cancel)

    def _pause(self, seconds: float, cancel: threading.Event | None) -> None:
        """Wait ``seconds``; an interrupt or :meth:`close` ends a real wait at once."""
        if seconds > 0:
            if self._sleep is not None:
                self._sleep(seconds)
            elif cancel is not None:
                cancel.wait(seconds)
            else:
                time.sleep(seconds)
        if cancel is not None and cancel.is_set():
            raise _Cancelled()

    def _backoff(self, failures: int) -> float:
        with self._rng_lock:
            return self.retry.backoff(failures, self._rng)

    def _refresh(self, used: Secret) -> None:
        """Refresh the token after a 401, unless another thread already replaced ``used``."""
        with self._refresh_lock:
            # Compared as Secrets (in constant time): no raw token in this frame's locals.
            if Secret(self.token_source.access_token()) != used:
                return
            self.token_source.refresh()
            self.stats.add(refreshes=1)

    def _environment(self, url: str) -> dict[str, Any]:
        """Return the proxies and CA bundle the environment sets for ``url``'s origin, cached.

        Empty for a session passed in (requests reads its environment as configured).
        """
        cache = self._env_settings
        if cache is None:
            return {}
        scheme, netloc, *_ = urlsplit(url)
        origin = f"{scheme}://{netloc}/"
        settings = cache.get(origin)
        if settings is None:
            # requests' own reading of HTTP(S)_PROXY, NO_PROXY and REQUESTS_CA_BUNDLE.
            probe = requests.Session()
            try:
                found = probe.merge_environment_settings(origin, {}, None, None, None)
            finally:
                probe.close()
            settings = cache[origin] = {"proxies": found["proxies"], "verify": found["verify"]}
        return settings

    def _acquire(self, bucket: str, cancel: threading.Event | None) -> float:
        """Take a pacer slot, waiting as :meth:`_pause` does; return the seconds waited."""
        waited = 0.0
        while True:
            wait = self.pacer.try_acquire(bucket)
            if wait <= 0:
                return waited
            self._announce_wait(wait, WAIT_REASONS[bucket])
            self._pause(wait, cancel)
            waited += wait

    def _announce_wait(self, seconds: float, reason: str) -> None:
        """Tell :attr:`on_wait` about a wait; a failing callback never fails the request."""
        hook = self.on_wait
        if hook is None or seconds <= 0:
            return
        try:
            hook(seconds, reason)
        except Exception:  # a display problem must not stop the data
            log.warning("The on_wait callback failed", exc_info=True)

    def _read_body(self, response: requests.Response, where: str, deadline: float) -> bytes:
        """Read a streamed body, decoded, within the deadline and the size cap."""
        raw = response.raw
        body = bytearray()
        cap = self.max_body_bytes
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise requests.Timeout("the body did not arrive within the request's budget")
            sock = _socket_of(raw)
            if sock is not None:
                # One read never outlasts the budget, however slowly the bytes trickle.
                with contextlib.suppress(OSError):
                    sock.settimeout(max(0.01, remaining))
            # read1 returns what one socket read brings, decoded in pieces of at most the
            # amount asked for: a compressed bomb never expands past the cap in memory.
            chunk = raw.read1(_CHUNK_BYTES, decode_content=True)
            if not chunk:
                return bytes(body)
            if len(body) + len(chunk) > cap:
                del body, chunk  # not kept alive (nor shown) by the error's traceback
                raise ResponseTooLarge(
                    f"{where} answered with a body larger than {cap:,} bytes "
                    f"(max_body_bytes), so it was not read. If the answer is genuine, ask "
                    "for less per request (a smaller page or date range) or raise "
                    "max_body_bytes.",
                    max_body_bytes=cap,
                )
            body += chunk

    def _send(
        self,
        method: str,
        url: str,
        token: Secret,
        params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None,
        json_body: Any,
    ) -> _Answer:
        """Send one attempt and read its body: the token is revealed only in this call."""
        deadline = time.monotonic() + self.timeout_s  # real time: it bounds socket reads
        response = self.session.request(
            method,
            url,
            params=params,
            json=json_body,
            headers={"Authorization": "Bearer " + token.reveal(), "Accept": "application/json"},
            timeout=(min(10.0, self.timeout_s), self.timeout_s),
            allow_redirects=False,
            stream=True,
            **self._environment(url),
        )
        try:
            content = self._read_body(response, f"{method} {urlsplit(url).path}", deadline)
        finally:
            response.close()  # a body not read to its end must not go back to the pool
        return _Answer(response.status_code, response.headers, content)

    def _attempt(
        self,
        method: str,
        url: str,
        bucket: str,
        token: Secret,
        params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None,
        json_body: Any,
        cancel: threading.Event | None = None,
    ) -> Any:
        """Send one attempt under the pacer; return its JSON or raise a typed error or _Retry.

        Library exceptions (and a Ctrl-C during the request) are raised afresh here, after
        their ``except`` block ended: neither a cause nor a context leads back to the
        library's frames, whose locals hold the request's headers.
        """
        waited = self._acquire(bucket, cancel)
        if waited:
            self.stats.add(paced=1, paced_s=waited)
        where = f"{method} {urlsplit(url).path}"
        failure: BaseException | None = None
        answer: _Answer | None = None
        try:
            if cancel is not None and cancel.is_set():  # after the pacer's wait: not sent
                raise _Cancelled()
            self.stats.add(requests=1)
            answer = self._send(method, url, token, params, json_body)
        except _TIMEOUTS:
            self.stats.add(transport_errors=1, timeouts=1)
            failure = _Retry(
                "timeout",
                None,
                TransportError(
                    f"{where} timed out: no complete answer within {self.timeout_s:g} s "
                    "(timeout_s); the network or Spotify is slow."
                ),
            )
        except _DROPS as exc:
            self.stats.add(transport_errors=1)
            failure = _Retry(
                "network",
                None,
                TransportError(
                    f"{where} failed: the connection was refused, dropped or cut short, or "
                    f"the body could not be decoded ({type(exc).__name__})."
                ),
            )
        except TransportError as exc:  # ours: cancelled, or a body past the cap
            failure = exc.with_traceback(None)
        except MemoryError:
            failure = ResponseTooLarge(
                f"{where} answered with a body too large for the memory left; ask for less "
                "per request or lower max_body_bytes.",
                max_body_bytes=self.max_body_bytes,
            )
        except (requests.RequestException, OSError, ValueError, TypeError) as exc:
            failure = TransportError(f"{where} failed: {type(exc).__name__}.")
        except KeyboardInterrupt:
            failure = KeyboardInterrupt()
        finally:
            self.pacer.release(bucket)
        if failure is not None or answer is None:
            raise failure or TransportError(f"{where} failed: no answer.")
        self.pacer.observe_headers(bucket, answer.headers)
        return self._answer(method, url, bucket, token, answer)

    def _answer(self, method: str, url: str, bucket: str, token: Secret, answer: _Answer) -> Any:
        """Return an answer's JSON, or raise its typed error (``_Retry`` when worth a retry)."""
        where = f"{method} {urlsplit(url).path}"
        status, headers = answer.status, answer.headers
        if status < 300:
            if not answer.content:
                return None
            failure: Exception
            try:
                return parse_json(answer.content)
            except (ValueError, UnicodeDecodeError):
                # A short body that claimed to be complete: treat as a truncated answer.
                self.stats.add(transport_errors=1)
                failure = _Retry(
                    "network",
                    None,
                    TransportError(f"{where} returned a body that is not complete JSON."),
                )
            except (RecursionError, OverflowError, MemoryError) as exc:
                failure = MalformedPayload(
                    f"{where} returned JSON too deeply nested or too large to read "
                    f"({type(exc).__name__}); it is not an Ads API answer. Report it to "
                    "Spotify support if it persists.",
                    status_code=status,
                    method=method,
                    url=urlsplit(url).path,
                )
            answer.take()
            raise failure
        api_error = error_from_response(
            status, answer.take(), method=method, url=url, headers=headers, secrets=(token,)
        )
        if status == 429:
            self.stats.add(rate_limited=1)
            wait = retry_after_s(headers)
            if wait is None:
                wait = self._backoff(2)
            if wait > self.retry.max_rate_limit_wait_s:
                raise _rate_limited(
                    api_error,
                    f"{where} is rate limited for {wait:g} s, longer than this client waits "
                    f"(max_rate_limit_wait_s={self.retry.max_rate_limit_wait_s:g}). Wait "
                    f"{math.ceil(wait)} s and run it again, or raise the limit.",
                    wait,
                )
            if headers.get("X-RateLimit-Remaining") == "0":
                self.pacer.hold(bucket, wait)  # the whole window is spent: all threads wait
            raise _Retry("429", wait, api_error)
        if status >= 500:
            self.stats.add(server_errors=1)
            raise _Retry("5xx", None, api_error)
        raise api_error
