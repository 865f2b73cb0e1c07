"""Spotify's rate limits on the client's side: the pacer, its policy, buckets and headers (B11).

This module owns keeping a client under Spotify's rate limits instead of bouncing off them:
:class:`RateLimitPolicy` (1,500 requests per 30 s window, 150 of them to reporting
endpoints), :func:`rate_limit_bucket` (which limit a path counts against), :class:`Pacer`
(slots per bucket, shared by all of a client's threads, refined by the ``X-RateLimit-*``
headers of every answer) and :func:`retry_after_s` (the wait a 429 asks for). Time comes
from an injected clock and every wait goes through an injected sleep, so tests run in
virtual time.

It never does HTTP (``client`` sends the requests and hands the headers over) and never
imports ``requests`` or pandas.

Example:
    >>> clock = [0.0]
    >>> pacer = Pacer(RateLimitPolicy(window_s=30, reporting_limit=2), clock=lambda: clock[0])
    >>> bucket = rate_limit_bucket("/ad_accounts/1/aggregate_reports")
    >>> for _ in range(2):
    ...     pacer.try_acquire(bucket), pacer.release(bucket)
    (0.0, None)
    (0.0, None)
    >>> pacer.try_acquire(bucket)  # the third waits until the first slot frees
    30.0
"""

from __future__ import annotations

import heapq
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

__all__ = [
    "GENERAL",
    "REPORTING",
    "Pacer",
    "RateLimitPolicy",
    "header_number",
    "rate_limit_bucket",
    "retry_after_s",
]

GENERAL = "general"
REPORTING = "reporting"
_REPORTING_SEGMENTS = ("aggregate_reports", "insight_reports", "async_reports")


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


def rate_limit_bucket(path: str) -> str:
    """Return the rate-limit bucket of an API path: reporting endpoints have their own (B11)."""
    segments = path.split("?", 1)[0].strip("/").split("/")
    return REPORTING if any(s in _REPORTING_SEGMENTS for s in segments) else GENERAL


def header_number(headers: Mapping[str, str], name: str) -> float | None:
    """Return a header as a finite number, or None when absent or not a number."""
    value = headers.get(name)
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def retry_after_s(headers: Mapping[str, str]) -> float | None:
    """Return the wait a 429 asks for: ``X-RateLimit-Reset``, else ``Retry-After`` (B11)."""
    for name in ("X-RateLimit-Reset", "Retry-After"):
        value = header_number(headers, name)
        if value is not None:
            return max(0.0, value)
    return None


def _whole(value: float | None) -> int | None:
    return None if value is None else int(value)


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
        sleep: how :meth:`acquire` waits (injectable for tests).
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
        """Adapt to the ``X-RateLimit-*`` values of an answer from ``bucket`` (B11).

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

    def observe_headers(self, bucket: str, headers: Mapping[str, str]) -> None:
        """Adapt to an answer's ``X-RateLimit-Limit``/``-Remaining``/``-Reset`` headers (B11)."""
        if not self.policy.enabled:
            return
        self.observe(
            bucket,
            limit=_whole(header_number(headers, "X-RateLimit-Limit")),
            remaining=_whole(header_number(headers, "X-RateLimit-Remaining")),
            reset_s=header_number(headers, "X-RateLimit-Reset"),
        )

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
