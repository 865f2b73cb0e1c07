"""The Ads API client: one session, timeouts, retries, refresh on 401, pacing, typed errors.

This module owns talking to Spotify's Ads API v3 (B) over HTTP: one ``requests.Session`` per
client with a connection pool sized to its thread pool, a wall-clock budget on every request
(the body included) and a size cap on every body after decompression, retries of
idempotent requests (5xx with exponential backoff and jitter, 429 honouring the rate-limit
headers, dropped connections, truncated bodies, a bounded number of timeouts), one token
refresh on 401 (B10), a :class:`Pacer` that keeps the client under Spotify's rate limits
(B11) instead of bouncing off them (with a total budget for waiting out 429s), the mapping of
HTTP errors to the exception tree in one function (:func:`error_from_response`, B9), and the
paged listings and report fetches built on :mod:`adstudio_nb.paging`: complete, or a typed
error carrying what arrived, and stopped by an interrupt before their next request. It
returns parsed JSON.

It never imports pandas (``frames`` shapes what it returns), never prints, and never puts a
token or a query string into a message, a repr or a log line.

Example:
    >>> from adstudio_nb.sandbox import Sandbox
    >>> from tests.helpers import access_token  # doctest: +SKIP
    >>> with Sandbox(rate_limits="off") as sb:  # doctest: +SKIP
    ...     client = AdsClient(sb.api_base_url, StaticToken(access_token(sb)))
    ...     [b["name"] for b in client.businesses()][:1]
    ['Northwind Audio Agency']
"""

from __future__ import annotations

import contextlib
import heapq
import http.client
import json
import logging
import math
import random
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from typing import Any, Protocol, TypeVar, runtime_checkable
from urllib.parse import quote, urlsplit

import orjson
import requests
import urllib3
from requests.adapters import HTTPAdapter

from . import __version__
from .exceptions import (
    APIError,
    BadRequest,
    IncompleteReport,
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
from .paging import (
    OffsetListing,
    PagingLimits,
    ReportPart,
    items_of,
    iter_continuation_pages,
    ordered_map,
    plan_report_parts,
    walk_offset_listings,
)

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "GENERAL",
    "NOT_ALLOWED_MESSAGE",
    "REPORTING",
    "AdsClient",
    "ClientStats",
    "Pacer",
    "PagingLimits",
    "RateLimitPolicy",
    "RetryPolicy",
    "StaticToken",
    "TokenSource",
    "error_from_response",
    "parse_json",
    "rate_limit_bucket",
]

log = logging.getLogger(__name__)

R = TypeVar("R")

DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024
"""The largest response body a client reads by default, after decompression (64 MiB)."""
_CHUNK_BYTES = 256 * 1024  # decoded bytes per read: bounds what one read can expand to
_DEFAULT_LIMIT = 50  # B3: the page size Spotify uses when no limit is sent

GENERAL = "general"
REPORTING = "reporting"
# B10: what to do about a 403 for a client id that is not allowed yet.
NOT_ALLOWED_MESSAGE = (
    "this client id is not yet allowed for the Ads API: accept the Ads API terms in Ads "
    "Manager; allow-listing can take up to an hour"
)
_REPORTING_SEGMENTS = ("aggregate_reports", "insight_reports", "async_reports")
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


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
        self._token = access_token
        self._refresher = refresher

    def access_token(self) -> str:
        """Return the token."""
        return self._token

    def refresh(self) -> object:
        """Replace the token through the refresher, if there is one; return the token."""
        if self._refresher is not None:
            self._token = self._refresher()
        return self._token

    def __repr__(self) -> str:
        return "StaticToken(<hidden>)"


# -- policies and statistics ----------------------------------------------------------------


@dataclass(frozen=True)
class RateLimitPolicy:
    """Spotify's rate limits as the pacer enforces them (B11).

    Attributes:
        window_s: the window length; 30 s at Spotify. A sandbox with ``rate_limits="scaled"``
            shortens it: pass the same ``window_s`` here.
        general_limit: requests per window in all (1,500).
        reporting_limit: requests per window to reporting endpoints (150); they count against
            the general limit too.
        enabled: pace at all; with False the client only reacts to 429s.
    """

    window_s: float = 30.0
    general_limit: int = 1500
    reporting_limit: int = 150
    enabled: bool = True

    def limit(self, bucket: str) -> int:
        """Return the limit of ``bucket`` (``GENERAL`` or ``REPORTING``)."""
        return self.reporting_limit if bucket == REPORTING else self.general_limit


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


# -- the pacer (B11) ------------------------------------------------------------------------


@dataclass
class _Bucket:
    limit: int
    in_flight: int = 0
    expiries: list[float] = field(default_factory=list)  # a heap of slot release times


class Pacer:
    """Keeps a client's requests under Spotify's rate limits, shared by all its threads (B11).

    Every request takes a slot in its bucket (reporting requests one in each bucket, as they
    count against both limits). A slot stays taken while the request is in flight and for one
    window after its answer arrived. Since the server counted the request somewhere between
    sending and answering, no window of the server can then see more requests than the limit,
    whatever the latency. Headers refine this: an ``X-RateLimit-Remaining`` lower than the
    pacer's own count (another program using the same client id and user) takes the missing
    slots until ``X-RateLimit-Reset``; a lower ``X-RateLimit-Limit`` lowers the limit.

    Args:
        policy: the limits and window.
        clock: monotonic seconds (injectable for tests).
        sleep: how to wait (injectable for tests).
    """

    def __init__(
        self,
        policy: RateLimitPolicy | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.policy = policy or RateLimitPolicy()
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._buckets = {b: _Bucket(self.policy.limit(b)) for b in (GENERAL, REPORTING)}

    @staticmethod
    def buckets_for(bucket: str) -> tuple[str, ...]:
        """Return the buckets a request of ``bucket`` counts against (B11)."""
        return (REPORTING, GENERAL) if bucket == REPORTING else (GENERAL,)

    def try_acquire(self, bucket: str) -> float:
        """Take a slot if one is free and return 0, else return how long to wait first."""
        if not self.policy.enabled:
            return 0.0
        now = self._clock()
        with self._lock:
            wait = 0.0
            for name in self.buckets_for(bucket):
                wait = max(wait, self._wait(self._buckets[name], now))
            if wait > 0:
                return wait
            for name in self.buckets_for(bucket):
                self._buckets[name].in_flight += 1
            return 0.0

    def acquire(self, bucket: str) -> float:
        """Block until a slot of ``bucket`` is free and take it; return the seconds waited."""
        waited = 0.0
        while True:
            wait = self.try_acquire(bucket)
            if wait <= 0:
                return waited
            self._sleep(wait)
            waited += wait

    def release(self, bucket: str) -> None:
        """Mark a request as answered (or failed): its slot frees one window from now."""
        if not self.policy.enabled:
            return
        until = self._clock() + self.policy.window_s
        with self._lock:
            for name in self.buckets_for(bucket):
                state = self._buckets[name]
                state.in_flight = max(0, state.in_flight - 1)
                heapq.heappush(state.expiries, until)

    def observe(
        self,
        bucket: str,
        *,
        limit: int | None = None,
        remaining: int | None = None,
        reset_s: float | None = None,
    ) -> None:
        """Adapt to the ``X-RateLimit-*`` headers of an answer from ``bucket`` (B11).

        The headers describe the first bucket a request counts against (the reporting one for
        reporting endpoints).
        """
        if not self.policy.enabled:
            return
        now = self._clock()
        with self._lock:
            state = self._buckets[self.buckets_for(bucket)[0]]
            if limit is not None and 0 < limit < state.limit:
                state.limit = limit
            if remaining is None or reset_s is None:
                return
            self._purge(state, now)
            free = state.limit - state.in_flight - len(state.expiries)
            # Fewer left than we think: someone else uses this client id and user.
            # B11: a reset never exceeds one window; a larger value (a proxy, a bug) must not
            # park every request of the notebook for hours.
            until = now + min(max(0.0, reset_s), self.policy.window_s)
            for _ in range(max(0, free - max(0, remaining))):
                heapq.heappush(state.expiries, until)

    def hold(self, bucket: str, seconds: float) -> None:
        """Take every free slot of ``bucket`` for ``seconds`` (after a 429 that said so)."""
        self.observe(bucket, remaining=0, reset_s=seconds)

    def in_use(self, bucket: str) -> int:
        """Return how many slots of ``bucket`` are taken now."""
        with self._lock:
            state = self._buckets[bucket]
            self._purge(state, self._clock())
            return state.in_flight + len(state.expiries)

    @staticmethod
    def _purge(state: _Bucket, now: float) -> None:
        while state.expiries and state.expiries[0] <= now:
            heapq.heappop(state.expiries)

    def _wait(self, state: _Bucket, now: float) -> float:
        self._purge(state, now)
        excess = state.in_flight + len(state.expiries) - state.limit + 1
        if excess <= 0:
            return 0.0
        if excess <= len(state.expiries):
            return heapq.nsmallest(excess, state.expiries)[-1] - now
        # Slots still in flight free no earlier than one window from now.
        return self.policy.window_s


def rate_limit_bucket(path: str) -> str:
    """Return the rate-limit bucket of an API path: reporting endpoints have their own (B11)."""
    segments = path.split("?", 1)[0].strip("/").split("/")
    return REPORTING if any(s in _REPORTING_SEGMENTS for s in segments) else GENERAL


# -- errors (B9, B10) -----------------------------------------------------------------------


def parse_json(content: bytes | str) -> Any:
    """Return a JSON document parsed with orjson, falling back to ``json`` where orjson refuses.

    orjson is several times faster on Ads API pages; the few documents it refuses and the
    standard library reads (a byte order mark, ``NaN``, numbers beyond a double) still load
    as before. A document neither reads raises ``ValueError`` (``json.JSONDecodeError``).
    """
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return json.loads(content)


def _error_body(content: bytes) -> dict[str, Any]:
    try:
        body = parse_json(content) if content else {}
    except (ValueError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


def error_from_response(
    status_code: int,
    content: bytes,
    *,
    method: str,
    url: str,
    headers: Mapping[str, str] | None = None,
    redact: Sequence[str] = (),
) -> APIError:
    """Map an Ads API error answer to the exception to raise: the one place that does (B9).

    Args:
        status_code: the HTTP status.
        content: the raw body (B9's ``sp_trace_id``/``messages``/``error_codes``, or
            ``errorCodes``, or the Web API's ``{"error": {...}}`` form for 401s, B10).
        method: the HTTP method.
        url: the request URL; only its path is kept (a query string may hold secrets).
        headers: the answer's headers (``Retry-After``, ``X-RateLimit-Reset``).
        redact: strings never to repeat (the bearer token, should a server echo it).

    Returns:
        An :class:`~adstudio_nb.exceptions.APIError` subclass carrying the trace id, messages,
        error codes, method and path.
    """
    body = _error_body(content)
    raw_trace = body.get("sp_trace_id")
    trace_id = _clean(raw_trace, redact)[:64] if isinstance(raw_trace, str) else None
    raw_messages = body.get("messages")
    if isinstance(raw_messages, str):
        raw_messages = [raw_messages]
    messages = (
        [_clean(m, redact) for m in raw_messages if isinstance(m, str) and m.strip()]
        if isinstance(raw_messages, list)
        else []
    )
    nested = body.get("error")
    if isinstance(nested, dict) and isinstance(nested.get("message"), str):
        messages.append(_clean(nested["message"], redact))
    elif isinstance(nested, str):
        messages.append(_clean(nested, redact))
    raw_codes = body.get("error_codes") or body.get("errorCodes") or []  # B9: both casings
    codes = [c for c in raw_codes if isinstance(c, dict)] if isinstance(raw_codes, list) else []
    path = urlsplit(url).path
    said = "; ".join(messages).rstrip(". ")
    code_names = [_clean(str(c.get("code")), redact)[:80] for c in codes if c.get("code")]
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
        retry_after = _retry_after_s(headers or {})
        wait = f" Spotify asks to wait {retry_after:g} s." if retry_after is not None else ""
        return RateLimited(
            f"{where} stayed rate limited (429) past this client's retry budget.{wait} "
            f"Spotify allows 1,500 requests per 30 s, 150 of them to reports.{trace}",
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


def _clean(text: str, redact: Sequence[str] = ()) -> str:
    """Return server text fit for a one-line message: no secret, no line break, clipped."""
    for secret in redact:
        if secret:
            text = text.replace(secret, "<hidden>")
    return " ".join(text.split())[:300]


def _header_float(headers: Mapping[str, str], name: str) -> float | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _retry_after_s(headers: Mapping[str, str]) -> float | None:
    """Return the wait a 429 asks for: ``X-RateLimit-Reset``, else ``Retry-After`` (B11)."""
    for name in ("X-RateLimit-Reset", "Retry-After"):
        value = _header_float(headers, name)
        if value is not None:
            return max(0.0, value)
    return None


# -- the client -----------------------------------------------------------------------------


class _Retry(Exception):
    """Internal: this attempt failed in a way worth another try."""

    def __init__(self, kind: str, wait_s: float | None, error: Exception) -> None:
        super().__init__(kind)
        self.kind = kind
        self.wait_s = wait_s
        self.error = error


class _Cancelled(TransportError):
    """Internal: work of a call that was interrupted, or of a client that was closed."""

    def __init__(self) -> None:
        super().__init__(
            "The request was not sent: the call was interrupted or the client closed. Run it "
            "again (with a new client if this one was closed)."
        )


def _join(ids: str | Sequence[str] | None) -> list[str] | None:
    if ids is None:
        return None
    return [ids] if isinstance(ids, str) else list(ids)


def _socket_of(raw: Any) -> Any:
    """Return the socket under a urllib3 response while it is being read, or None."""
    connection = getattr(raw, "_connection", None)
    sock = getattr(connection, "sock", None)
    if sock is None:  # http.client's buffered reader over the socket
        fp = getattr(getattr(raw, "_fp", None), "fp", None)
        sock = getattr(getattr(fp, "raw", None), "_sock", None)
    return sock if hasattr(sock, "settimeout") else None


class AdsClient:
    """A client for Spotify's Ads API v3: typed errors, retries, pacing, concurrent paging.

    Every call is bounded: each request has a wall-clock budget (``timeout_s``, the body
    included), each body a size cap after decompression, each call a total wait for rate
    limits (``RetryPolicy.rate_limit_budget_s``), and each listing or report walk caps on
    items, pages and time (:class:`~adstudio_nb.paging.PagingLimits`). A ``KeyboardInterrupt``
    in the caller's thread stops the walk's threads before their next request.

    Args:
        api_base_url: the API base, e.g. ``https://api-partner.spotify.com/ads/v3`` or a
            sandbox's ``sb.api_base_url``.
        token_source: where bearer tokens come from (:class:`TokenSource`).
        session: a ``requests.Session`` to use (one is made otherwise; one per client).
        timeout_s: the budget of every request attempt, from sending to the body's last
            byte; connecting gets at most 10 s of it.
        max_workers: threads for concurrent paging; the connection pool is sized to match.
        pacing: keep under the rate limits with a :class:`Pacer`.
        rate_limits: the limits to pace to (a shorter ``window_s`` for a scaled sandbox).
        retry: the retry budget (:class:`RetryPolicy`).
        page_size: ``limit`` for offset and report paging (1-50).
        seed: seeds the backoff jitter (reproducible runs).
        max_body_bytes: the largest response body accepted, after decompression (64 MiB).
        paging_limits: caps on each listing or report walk (:class:`PagingLimits`).
        clock: monotonic seconds for walk deadlines and the pacer (injectable for tests).
        sleep: how to wait for backoffs, rate limits and pacing (injectable for tests); by
            default a wait that an interrupt or :meth:`close` ends at once.
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
    ) -> None:
        if not 1 <= page_size <= 50:
            raise ValueError(f"page_size must be between 1 and 50, not {page_size}.")
        if max_workers < 1:
            raise ValueError(f"max_workers must be at least 1, not {max_workers}.")
        if not timeout_s > 0:
            raise ValueError(f"timeout_s must be above 0 seconds, not {timeout_s}.")
        if max_body_bytes < 1:
            raise ValueError(f"max_body_bytes must be at least 1, not {max_body_bytes}.")
        self.api_base_url = api_base_url.rstrip("/")
        self.token_source = token_source
        self.timeout_s = timeout_s
        self.max_workers = max_workers
        self.page_size = page_size
        self.max_body_bytes = max_body_bytes
        self.paging_limits = paging_limits or PagingLimits()
        self.retry = retry or RetryPolicy()
        self._clock = clock
        self._sleep = sleep
        policy = rate_limits or RateLimitPolicy()
        if not pacing:
            policy = RateLimitPolicy(
                window_s=policy.window_s,
                general_limit=policy.general_limit,
                reporting_limit=policy.reporting_limit,
                enabled=False,
            )
        self.pacer = Pacer(policy, clock=clock, sleep=sleep or time.sleep)
        self.stats = ClientStats()
        self._rng = random.Random(seed)
        self._rng_lock = threading.Lock()
        self._refresh_lock = threading.Lock()
        self._local = threading.local()  # the cancel event of the walk a thread works for
        self._walks: weakref.WeakSet[threading.Event] = weakref.WeakSet()
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
        """Stop the client's walks and threads and close the session (if this client made it).

        Never waits for a request in flight: queued work is cancelled, running work stops
        before its next request, and a request being answered ends by its own deadline.
        """
        for cancel in list(self._walks):
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
            token = self.token_source.access_token()
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
                        raise self._over_rate_budget(
                            retry.error, method, url, rate_waited, wait
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
                self._pause(pause, cancel)

    def get(
        self, path: str, params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None
    ) -> Any:
        """Send a GET and return the parsed JSON (see :meth:`request`)."""
        return self.request("GET", path, params=params)

    def _over_rate_budget(
        self, error: Exception, method: str, url: str, waited: float, wait: float
    ) -> RateLimited:
        context = error if isinstance(error, APIError) else APIError("")
        budget = self.retry.rate_limit_budget_s
        return RateLimited(
            f"{method} {urlsplit(url).path} is still rate limited after waiting {waited:g} s, "
            f"and Spotify asks for {wait:g} s more, past this client's budget of {budget:g} s "
            f"(rate_limit_budget_s). Wait {math.ceil(wait)} s and run it again. Spotify allows "
            "1,500 requests per 30 s, 150 of them to reports.",
            retry_after_s=wait,
            status_code=429,
            trace_id=context.trace_id,
            messages=context.messages,
            error_codes=context.error_codes,
            method=method,
            url=urlsplit(url).path,
        )

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

    def _refresh(self, used_token: str) -> None:
        with self._refresh_lock:
            # Another thread may have refreshed while this one waited for the lock.
            if self.token_source.access_token() != used_token:
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
            self._pause(wait, cancel)
            waited += wait

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
                raise ResponseTooLarge(
                    f"{where} answered with a body larger than {cap:,} bytes "
                    f"(max_body_bytes), so it was not read. If the answer is genuine, ask "
                    "for less per request (a smaller page or date range) or raise "
                    "max_body_bytes.",
                    max_body_bytes=cap,
                )
            body += chunk

    def _attempt(
        self,
        method: str,
        url: str,
        bucket: str,
        token: str,
        params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None,
        json_body: Any,
        cancel: threading.Event | None = None,
    ) -> Any:
        waited = self._acquire(bucket, cancel)
        if waited:
            self.stats.add(paced=1, paced_s=waited)
        where = f"{method} {urlsplit(url).path}"
        response: requests.Response | None = None
        try:
            if cancel is not None and cancel.is_set():  # after the pacer's wait: not sent
                raise _Cancelled()
            self.stats.add(requests=1)
            deadline = time.monotonic() + self.timeout_s
            response = self.session.request(
                method,
                url,
                params=params,
                json=json_body,
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                timeout=(min(10.0, self.timeout_s), self.timeout_s),
                allow_redirects=False,
                stream=True,
                **self._environment(url),
            )
            content = self._read_body(response, where, deadline)
        except (requests.Timeout, urllib3.exceptions.TimeoutError, TimeoutError) as exc:
            self.stats.add(transport_errors=1, timeouts=1)
            error = TransportError(
                f"{where} timed out: no complete answer within {self.timeout_s:g} s "
                "(timeout_s); the network or Spotify is slow."
            )
            error.__cause__ = exc
            raise _Retry("timeout", None, error) from None
        except (
            requests.ConnectionError,
            requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError,
            urllib3.exceptions.HTTPError,
            http.client.HTTPException,
            ConnectionError,
        ) as exc:
            self.stats.add(transport_errors=1)
            error = TransportError(
                f"{where} failed: the connection was refused, dropped or cut short, or the "
                f"body could not be decoded ({type(exc).__name__})."
            )
            error.__cause__ = exc
            raise _Retry("network", None, error) from None
        except (TransportError, _Retry):
            raise
        except MemoryError as exc:
            raise ResponseTooLarge(
                f"{where} answered with a body too large for the memory left; ask for less "
                "per request or lower max_body_bytes.",
                max_body_bytes=self.max_body_bytes,
            ) from exc
        except (requests.RequestException, OSError, ValueError, TypeError) as exc:
            raise TransportError(f"{where} failed: {type(exc).__name__}.") from exc
        finally:
            self.pacer.release(bucket)
            if response is not None:
                response.close()  # a body not read to its end must not go back to the pool
        headers = response.headers
        self.pacer.observe(
            bucket,
            limit=_int_or_none(headers.get("X-RateLimit-Limit")),
            remaining=_int_or_none(headers.get("X-RateLimit-Remaining")),
            reset_s=_header_float(headers, "X-RateLimit-Reset"),
        )
        status = response.status_code
        if status < 300:
            if not content:
                return None
            try:
                return parse_json(content)
            except (ValueError, UnicodeDecodeError) as exc:
                # A short body that claimed to be complete: treat as a truncated answer.
                self.stats.add(transport_errors=1)
                error = TransportError(f"{where} returned a body that is not complete JSON.")
                error.__cause__ = exc
                raise _Retry("network", None, error) from None
            except (RecursionError, OverflowError, MemoryError) as exc:
                raise MalformedPayload(
                    f"{where} returned JSON too deeply nested or too large to read "
                    f"({type(exc).__name__}); it is not an Ads API answer. Report it to "
                    "Spotify support if it persists.",
                    status_code=status,
                    method=method,
                    url=urlsplit(url).path,
                ) from exc
        api_error = error_from_response(
            status, content, method=method, url=url, headers=headers, redact=(token,)
        )
        if status == 429:
            self.stats.add(rate_limited=1)
            wait = _retry_after_s(headers)
            if wait is None:
                wait = self._backoff(2)
            if wait > self.retry.max_rate_limit_wait_s:
                raise RateLimited(
                    f"{where} is rate limited for {wait:g} s, longer than this client waits "
                    f"(max_rate_limit_wait_s={self.retry.max_rate_limit_wait_s:g}). Wait "
                    f"{math.ceil(wait)} s and run it again, or raise the limit. Spotify "
                    "allows 1,500 requests per 30 s, 150 of them to reports.",
                    retry_after_s=wait,
                    status_code=429,
                    trace_id=api_error.trace_id,
                    messages=api_error.messages,
                    error_codes=api_error.error_codes,
                    method=method,
                    url=urlsplit(url).path,
                )
            if headers.get("X-RateLimit-Remaining") == "0":
                self.pacer.hold(bucket, wait)  # the whole window is spent: all threads wait
            raise _Retry("429", wait, api_error)
        if status >= 500:
            self.stats.add(server_errors=1)
            raise _Retry("5xx", None, api_error)
        raise api_error

    # -- walks -------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _walk(self) -> Iterator[threading.Event]:
        """Give a call its cancel event: set on any error or interrupt, and by :meth:`close`."""
        cancel = threading.Event()
        self._walks.add(cancel)
        try:
            yield cancel
        finally:
            cancel.set()  # whatever ended the call, none of its work may start after it
            self._walks.discard(cancel)

    def _for_walk(self, cancel: threading.Event, fn: Callable[..., R], *args: Any) -> R:
        """Run ``fn`` for the walk of ``cancel``: its requests check the event first."""
        previous = getattr(self._local, "cancel", None)
        self._local.cancel = cancel
        try:
            return fn(*args)
        finally:
            self._local.cancel = previous

    def walk_listings(
        self,
        listings: Sequence[tuple[str, Mapping[str, Any] | None, str, str]],
        *,
        on_page: Callable[[int], None] | None = None,
    ) -> list[list[dict[str, Any]]]:
        """Return the items of offset-paged listings, all walked side by side (B3).

        The one pager of every listing (:func:`~adstudio_nb.paging.walk_offset_listings`):
        a listing ends on a short or empty page, ``total_results`` only tells which pages to
        fetch ahead, duplicates by id are dropped, and the walk is capped by
        :attr:`paging_limits`.

        Args:
            listings: ``(path, params, items_key, what)`` per listing; ``limit`` and
                ``offset`` are set here, ``what`` names it in messages.
            on_page: called with the number of items of each page, for progress bars.

        Raises:
            IncompleteListing: a cap was reached or a server repeated a page; the items that
                arrived are on it.
        """
        with self._walk() as cancel:

            def fetcher(path: str, params: Mapping[str, Any] | None) -> Callable[[int], Any]:
                base = {**(params or {}), "limit": self.page_size}

                def fetch(offset: int) -> Any:
                    return self._for_walk(cancel, self.get, path, {**base, "offset": offset})

                return fetch

            return walk_offset_listings(
                [OffsetListing(fetcher(p, q), key, what) for p, q, key, what in listings],
                page_size=self.page_size,
                executor=self.pool,
                max_in_flight=2 * self.max_workers,
                limits=self.paging_limits,
                clock=self._clock,
                cancel=cancel,
                on_page=on_page,
            )

    def list_items(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        items_key: str,
        what: str | None = None,
        on_page: Callable[[int], None] | None = None,
    ) -> list[dict[str, Any]]:
        """Return every item of one offset-paged listing, in order (B3, :meth:`walk_listings`)."""
        name = what or f"{items_key} at {path}"
        return self.walk_listings([(path, params, items_key, name)], on_page=on_page)[0]

    def _map_ordered(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> Iterator[Any]:
        return ordered_map(self.pool, fn, items, max_in_flight=2 * self.max_workers)

    # -- endpoints (B1, B3) ------------------------------------------------------------------------

    def businesses(self) -> list[dict[str, Any]]:
        """Return the current user's businesses (B1)."""
        return [b for b in items_of(self.get("/businesses"), "businesses") if isinstance(b, dict)]

    @staticmethod
    def _pages_further(first: Any, key: str) -> bool:
        """Tell whether a business's ad accounts answer is one page of several (B1, B3).

        The spec has no paging here; an older sample shows a ``paging`` object (with zeros in
        the published one). An answer with paging and at least a default page of accounts
        (50, B3), or a total above what came, is walked as a listing.
        """
        paging = first.get("paging") if isinstance(first, dict) else None
        if not isinstance(paging, dict):
            return False
        total = paging.get("total_results")
        count = len(items_of(first, key))
        return count >= _DEFAULT_LIMIT or (isinstance(total, int) and total > count)

    def business_ad_accounts(self, business_id: str) -> list[dict[str, Any]]:
        """Return the ad accounts of a business (B1); walks pages if the answer carries paging."""
        path = f"/businesses/{quote(business_id, safe='')}/ad_accounts"
        first = self.get(path)
        if not self._pages_further(first, "ad_accounts"):
            return list(items_of(first, "ad_accounts"))
        what = f"ad accounts of business {business_id}"
        return self.list_items(path, items_key="ad_accounts", what=what)

    def all_ad_accounts(self) -> list[dict[str, Any]]:
        """Return the ad accounts of every business of the user, businesses fetched at once."""
        businesses = self.businesses()
        ids = [b.get("id") or "" for b in businesses]
        if not all(isinstance(i, str) and i for i in ids):
            raise APIError(
                "The Ads API listed a business without an id, so its ad accounts cannot be "
                "found: try again; if it persists, report it to Spotify support.",
                status_code=200,
                url="/businesses",
            )
        paths = [f"/businesses/{quote(str(i), safe='')}/ad_accounts" for i in ids]
        with self._walk() as cancel:
            firsts = list(self._map_ordered(lambda p: self._for_walk(cancel, self.get, p), paths))
        paged = [n for n, first in enumerate(firsts) if self._pages_further(first, "ad_accounts")]
        walked = (
            self.walk_listings(
                [
                    (paths[n], None, "ad_accounts", f"ad accounts of business {ids[n]}")
                    for n in paged
                ]
            )
            if paged
            else []
        )
        chunks = [list(items_of(first, "ad_accounts")) for first in firsts]
        for n, items in zip(paged, walked, strict=True):
            chunks[n] = items
        return [a for chunk in chunks for a in chunk]

    def ad_account(self, ad_account_id: str) -> dict[str, Any]:
        """Return one ad account (B1, B2)."""
        return _object(self.get(f"/ad_accounts/{quote(ad_account_id, safe='')}"))

    def list_objects(
        self,
        ad_account_id: str,
        kind: str,
        params: Mapping[str, Any] | None = None,
        *,
        on_page: Callable[[int], None] | None = None,
    ) -> list[dict[str, Any]]:
        """Return all ``campaigns``, ``ad_sets``, ``ads`` or ``assets`` of an account (B3).

        Args:
            ad_account_id: the ad account.
            kind: the listing (``campaigns``, ``ad_sets``, ``ads``, ``assets``, ``audiences``).
            params: filters and sorting as in the spec (lists are sent as repeated keys, B4).
            on_page: progress callback (items per page).

        Raises:
            IncompleteListing: the listing could not be read to its end (see
                :meth:`walk_listings`).
        """
        return self.list_objects_many([ad_account_id], kind, params, on_page=on_page)[0]

    def list_objects_many(
        self,
        ad_account_ids: Sequence[str],
        kind: str,
        params: Mapping[str, Any] | None = None,
        *,
        on_page: Callable[[int], None] | None = None,
    ) -> list[list[dict[str, Any]]]:
        """Return the ``kind`` objects of several accounts, all pages side by side (B3).

        One walk over every account (:meth:`walk_listings`): first pages go out at once, and
        as each arrives the pages its total promises join the same bounded queue, so the
        client's threads never idle between accounts. The result has one list per account,
        in the accounts' order, items in offset order (duplicates by id dropped).
        """
        listings = [
            (
                f"/ad_accounts/{quote(a, safe='')}/{kind}",
                params,
                kind,
                f"{kind.replace('_', ' ')} of ad account {a}",
            )
            for a in ad_account_ids
        ]
        return self.walk_listings(listings, on_page=on_page)

    # -- reports (B5-B8) ---------------------------------------------------------------------------

    def report_parts(
        self,
        ad_account_id: str,
        parts: Sequence[ReportPart],
        *,
        on_page: Callable[[int], None] | None = None,
    ) -> Iterator[list[dict[str, Any]]]:
        """Fetch report parts concurrently; yield each part's pages, in the parts' order (B5, B6).

        Each part pages sequentially through its continuation tokens; parts run side by side
        on the client's threads, paced under the reporting limit (B11). Every part is capped
        by :attr:`paging_limits` (pages and rows per part, time for the whole report).

        Raises:
            IncompleteReport: a part could not be followed to its end; its ``items`` hold
                the rows of every part up to and including the one that stopped.
        """
        path = f"/ad_accounts/{quote(ad_account_id, safe='')}/aggregate_reports"
        what = f"the report of ad account {ad_account_id}"
        with self._walk() as cancel:
            deadline = self._clock() + self.paging_limits.max_seconds

            def fetch_part(part: ReportPart) -> list[dict[str, Any]]:
                pages = []
                walk = iter_continuation_pages(
                    lambda params: self._for_walk(cancel, self.get, path, params),
                    part.params(self.page_size),
                    what=what,
                    limits=self.paging_limits,
                    clock=self._clock,
                    deadline=deadline,
                )
                for page in walk:
                    if on_page is not None:
                        on_page(len(items_of(page, "rows")))
                    pages.append(page)
                return pages

            rows: list[Any] = []
            try:
                for pages in self._map_ordered(fetch_part, parts):
                    for page in pages:
                        rows.extend(page.get("rows") or [])
                    yield pages
            except IncompleteReport as exc:
                exc.items = rows + exc.items
                raise

    def aggregate_report_pages(
        self,
        ad_account_id: str,
        *,
        entity_type: str,
        fields: Sequence[str],
        granularity: str = "LIFETIME",
        start: str | None = None,
        end: str | None = None,
        entity_ids: Sequence[str] | None = None,
        entity_ids_type: str | None = None,
        statuses: Sequence[str] | None = None,
        entity_status_type: str | None = None,
        include_parent_entity: bool = False,
        split: bool = True,
        on_page: Callable[[int], None] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Yield every page of an aggregate report, split into parts fetched concurrently (B5).

        Times are ISO 8601 UTC strings in whole hours (``2026-01-01T00:00:00Z``); for DAY
        reports the end date is included. Entity ids are batched by 50 and long ranges cut
        into windows Spotify accepts (90 days for DAY); with ``split`` the range is also cut
        into more windows so that parts can run side by side.
        """
        parts = plan_report_parts(
            entity_type=entity_type,
            fields=list(fields),
            granularity=granularity,
            start=start,
            end=end,
            entity_ids=_join(entity_ids),
            entity_ids_type=entity_ids_type,
            statuses=_join(statuses),
            entity_status_type=entity_status_type,
            include_parent_entity=include_parent_entity,
            target_parts=2 * self.max_workers if split else 1,
            page_size=self.page_size,
        )
        for pages in self.report_parts(ad_account_id, parts, on_page=on_page):
            yield from pages

    def aggregate_totals(
        self,
        ad_account_id: str,
        *,
        entity_type: str,
        entity_ids: Sequence[str],
        fields: Sequence[str],
        granularity: str = "LIFETIME",
        start: str | None = None,
        end: str | None = None,
    ) -> dict[str, Any]:
        """Return deduplicated totals over at most 50 entities (B8)."""
        if not 1 <= len(entity_ids) <= 50:
            raise ValueError("Totals take 1 to 50 entity ids; deduplication cannot span more.")
        params: dict[str, Any] = {
            "entity_type": entity_type,
            "entity_ids": list(entity_ids),
            "granularity": granularity,
            "fields": list(fields),
        }
        if start:
            params["report_start"] = start
        if end:
            params["report_end"] = end
        path = f"/ad_accounts/{quote(ad_account_id, safe='')}/aggregate_reports/totals"
        return _object(self.get(path, params))

    def insight_report(
        self,
        ad_account_id: str,
        *,
        dimension: str,
        fields: Sequence[str],
        entity_id: str | None = None,
        entity_ids_type: str = "AD_SET",
        statuses: Sequence[str] | None = None,
    ) -> dict[str, Any]:
        """Return an insight report (lifetime breakdown by ``dimension``, B8).

        Raises:
            UnprocessableReport: Spotify has too little data for it yet (422).
        """
        params: dict[str, Any] = {"insight_dimension": dimension, "fields": list(fields)}
        if entity_id:
            params["entity_ids"] = [entity_id]
            params["entity_ids_type"] = entity_ids_type
        if statuses:
            params["statuses"] = list(statuses)
            params["entity_status_type"] = "AD_SET"
        path = f"/ad_accounts/{quote(ad_account_id, safe='')}/insight_reports"
        return _object(self.get(path, params))


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise APIError(
            f"The Ads API answered with {type(body).__name__} where a JSON object was expected."
        )
    return body


def _int_or_none(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return int(number) if math.isfinite(number) else None
