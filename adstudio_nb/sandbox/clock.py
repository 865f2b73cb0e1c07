"""The sandbox's clock: real time plus an offset that tests move forward.

Codes expire after 10 minutes and access tokens after an hour (A4, A11); tests call
:meth:`SandboxClock.advance` instead of sleeping.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime


class SandboxClock:
    """Wall-clock time that can be moved forward (never backward) for tests.

    Example:
        >>> clock = SandboxClock()
        >>> before = clock.now()
        >>> clock.advance(600)
        >>> clock.now() - before >= 600
        True
    """

    def __init__(self, *, start: float | None = None) -> None:
        self._offset_s = 0.0 if start is None else start - time.time()
        self._lock = threading.Lock()

    def now(self) -> float:
        """Return the current sandbox time as POSIX seconds."""
        with self._lock:
            return time.time() + self._offset_s

    def now_datetime(self) -> datetime:
        """Return the current sandbox time as an aware UTC datetime."""
        return datetime.fromtimestamp(self.now(), tz=UTC)

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds`` (codes and tokens age accordingly)."""
        if seconds < 0:
            raise ValueError("The sandbox clock only moves forward.")
        with self._lock:
            self._offset_s += seconds
