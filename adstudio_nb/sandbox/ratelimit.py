"""Spotify's rate limits, as the sandbox enforces them (B11).

Per client id + user, in a 30-second window: 1,500 requests in all, 150 to reporting
endpoints. A refused request gets 429 with ``Retry-After`` and ``X-RateLimit-*`` headers.
``mode="scaled"`` keeps the counts and shortens the window, so benchmarks see the same shape
of limit in less time; ``mode="off"`` disables the limits.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from .context import GENERAL, REPORTING

WINDOW_S = 30.0
LIMITS = {GENERAL: 1500, REPORTING: 150}
MODES = ("on", "off", "scaled")


@dataclass(frozen=True)
class RateDecision:
    """Whether a request may proceed, and the headers that describe the window."""

    allowed: bool
    limit: int
    remaining: int
    reset_s: float

    def headers(self) -> dict[str, str]:
        """Return the ``X-RateLimit-*`` headers, plus ``Retry-After`` when refused (B11)."""
        reset = str(max(1, math.ceil(self.reset_s)))
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": reset,
        }
        if not self.allowed:
            headers["Retry-After"] = reset
        return headers


class RateLimiter:
    """Fixed 30-second windows per (client id, user, bucket), counted under one lock.

    Args:
        mode: ``"on"`` (Spotify's numbers), ``"off"``, or ``"scaled"`` (same counts,
            window of ``window_s``).
        window_s: the window length; 30 s unless scaled.
        monotonic: the time source (seconds), injectable for tests.
    """

    def __init__(
        self,
        mode: str = "on",
        *,
        window_s: float = WINDOW_S,
        limits: dict[str, int] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"rate-limit mode must be one of {', '.join(MODES)}, not {mode!r}")
        self.mode = mode
        self.window_s = WINDOW_S if mode == "on" else window_s
        self.limits = dict(LIMITS if limits is None else limits)
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, str, str], tuple[float, int]] = {}

    def check(self, client_id: str, user_id: str, bucket: str) -> RateDecision | None:
        """Count one request; return the decision, or None when limits are off.

        A reporting request counts against both the reporting and the general limit.
        """
        if self.mode == "off":
            return None
        buckets = [GENERAL] if bucket == GENERAL else [bucket, GENERAL]
        now = self._monotonic()
        with self._lock:
            states = [self._window(client_id, user_id, b, now) for b in buckets]
            for b, (start, count) in zip(buckets, states, strict=True):
                if count >= self.limits[b]:
                    return RateDecision(False, self.limits[b], 0, start + self.window_s - now)
            decision = None
            for b, (start, count) in zip(buckets, states, strict=True):
                self._windows[(client_id, user_id, b)] = (start, count + 1)
                if decision is None:
                    remaining = self.limits[b] - count - 1
                    decision = RateDecision(
                        True, self.limits[b], remaining, start + self.window_s - now
                    )
            assert decision is not None
            return decision

    def _window(self, client_id: str, user_id: str, bucket: str, now: float) -> tuple[float, int]:
        start, count = self._windows.get((client_id, user_id, bucket), (now, 0))
        if now - start >= self.window_s:
            return now, 0
        return start, count
