"""A hostile server, mode by mode: every call ends bounded, complete or with a typed error.

Against :class:`~tests.reliability.hostile_server.HostileServer` the client meets endless
and alternating continuation tokens (B6), a lying total with empty pages, Spotify's
published all-zero paging (B3), full pages without a total (B1, B3), a gzip bomb, a body
trickled at a byte a second, ``Retry-After: 59`` forever (B11), a body nested past the
parsers' depth, and a Ctrl-C in the middle of a slow listing. Each mode records a
:class:`~tests.reliability.figures.Figures` row: requests made, seconds, the outcome (complete
or the typed error), the memory peak for the bomb; ``failures`` counts modes that did not end
bounded and typed. CI sizes here; ``ADSTUDIO_SOAK=1`` runs the full caps and a 1 GiB bomb.
"""

from __future__ import annotations

import signal
import threading
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from adstudio_nb import endpoints
from adstudio_nb.client import AdsClient, RetryPolicy, StaticToken
from adstudio_nb.exceptions import (
    AdStudioError,
    IncompleteListing,
    IncompleteReport,
    MalformedPayload,
    RateLimited,
    ResponseTooLarge,
    TransportError,
)
from adstudio_nb.paging import PagingLimits
from tests.reliability.conftest import FigureSink
from tests.reliability.figures import Figures
from tests.reliability.hostile_server import ACCOUNT, HostileServer
from tests.reliability.scale import scaled, soak_mode

WORKERS = 4
LIMITS = PagingLimits(max_items=scaled(2_000, 100_000), max_pages=scaled(200, 5_000))
BODY_CAP = scaled(8, 64) * 1024 * 1024
BOMB_BYTES = scaled(128, 1024) * 1024 * 1024
TRICKLE_TIMEOUT_S = scaled(1, 3)


@dataclass
class Expect:
    """What a mode must end with.

    Attributes:
        call: what the client is asked to do.
        outcome: the typed error it must raise, or None for a complete answer.
        check: more about the result or error (True when right).
        max_requests: the bound on requests the call may make.
        options: client options for this mode.
    """

    call: Callable[[AdsClient], Any]
    outcome: type[BaseException] | None
    check: Callable[[Any], bool]
    max_requests: int
    options: dict[str, Any] = field(default_factory=dict)


def _report(client: AdsClient) -> Any:
    pages = endpoints.aggregate_report_pages(client, ACCOUNT, entity_type="AD", fields=["CLICKS"])
    return list(pages)


def _campaigns(client: AdsClient) -> Any:
    return endpoints.list_objects(client, ACCOUNT, "campaigns")


class FakeSleep:
    """Counts the seconds a client would wait, without waiting."""

    def __init__(self) -> None:
        self.total_s = 0.0

    def __call__(self, seconds: float) -> None:
        self.total_s += seconds


WINDOW = 2 * WORKERS
MODES: dict[str, Expect] = {
    "endless_tokens": Expect(
        _report, IncompleteReport, lambda e: e.reason == "max_pages", LIMITS.max_pages
    ),
    "alternating_tokens": Expect(
        _report, IncompleteReport, lambda e: e.reason == "repeated_token", 3
    ),
    "lying_total": Expect(_campaigns, None, lambda r: len(r) == 50, 1 + WINDOW),
    "zero_paging": Expect(_campaigns, None, lambda r: len(r) == 60, 2),
    "no_total": Expect(
        _campaigns,
        IncompleteListing,
        lambda e: e.reason == "max_items" and len(e.items) > LIMITS.max_items,
        LIMITS.max_items // 50 + 2,
    ),
    "gzip_bomb": Expect(
        lambda c: endpoints.businesses(c),
        ResponseTooLarge,
        lambda e: e.max_body_bytes == BODY_CAP,
        1,
        {"max_body_bytes": BODY_CAP},
    ),
    "trickle": Expect(
        lambda c: endpoints.businesses(c),
        TransportError,
        lambda e: "timed out" in str(e),
        2,
        {"timeout_s": TRICKLE_TIMEOUT_S, "retry": RetryPolicy(max_timeouts=1, backoff_s=0.01)},
    ),
    "retry_after": Expect(
        lambda c: endpoints.businesses(c), RateLimited, lambda e: e.retry_after_s == 59, 3
    ),
    "deep_json": Expect(lambda c: endpoints.businesses(c), MalformedPayload, lambda e: True, 1),
    "slow_pages": Expect(
        lambda c: endpoints.list_objects_many(c, [ACCOUNT] * 3, "campaigns"),
        KeyboardInterrupt,
        lambda e: True,
        12 + 2 * WORKERS,  # the interrupt lands at the 12th; in flight then, at most a window
    ),
}


def _run(mode: str, expect: Expect) -> Figures:
    """Run one mode; return its figures row (failures 1 if it ended unbounded or untyped)."""
    main = threading.main_thread().ident
    fired = threading.Event()

    def interrupt_at(count: int) -> None:
        if mode == "slow_pages" and count >= 12 and not fired.is_set() and main is not None:
            fired.set()
            signal.pthread_kill(main, signal.SIGINT)

    sleep = FakeSleep()
    options: dict[str, Any] = {
        "pacing": False,
        "max_workers": WORKERS,
        "retry": RetryPolicy(max_attempts=3, backoff_s=0.01, backoff_max_s=0.05),
        "paging_limits": LIMITS,
        "sleep": sleep,
        **expect.options,
    }
    if mode == "retry_after":
        options["retry"] = RetryPolicy()
    outcome: Any = None
    error: BaseException | None = None
    peak = None
    with HostileServer(mode, slow_s=0.3, bomb_bytes=BOMB_BYTES, on_request=interrupt_at) as server:
        client = AdsClient(server.api_base_url, StaticToken("hostile-token"), **options)
        if mode == "gzip_bomb":
            tracemalloc.start()
        started = time.monotonic()
        try:
            outcome = expect.call(client)
        except (AdStudioError, KeyboardInterrupt) as exc:
            error = exc
        except Exception as exc:  # an untyped failure: recorded as a failure of the mode
            error = exc
        finally:
            if mode == "gzip_bomb":
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
            closing = time.monotonic()
            client.close()
            close_s = time.monotonic() - closing
        seconds = time.monotonic() - started
        if mode == "slow_pages":  # the in-flight answers come back, then nothing more
            deadline = time.monotonic() + 5
            while client.stats.requests != server.count and time.monotonic() < deadline:
                time.sleep(0.05)
        requests_made = server.count
    expected = expect.outcome
    if expected is None:
        typed = error is None and expect.check(outcome)
    else:
        typed = isinstance(error, expected) and expect.check(error)
    bounded = requests_made <= expect.max_requests and close_s < 5
    said = "complete" if error is None else type(error).__name__
    details: dict[str, Any] = {
        "requests": requests_made,
        "seconds": round(seconds, 3),
        "outcome": said,
        "close_s": round(close_s, 3),
        "waited_s": sleep.total_s,
        "bound": expect.max_requests,
    }
    if peak is not None:
        details["memory_peak_bytes"] = peak
        details["expanded_bytes"] = BOMB_BYTES
        bounded = bounded and peak < 3 * BODY_CAP
    notes = f"{said}; {requests_made} requests in {seconds:.1f} s"
    if peak is not None:
        notes += f"; peak {peak / 2**20:.0f} MiB for a {BOMB_BYTES / 2**20:.0f} MiB bomb"
    if error is not None and not isinstance(error, KeyboardInterrupt):
        details["message"] = str(error)[:300]
    return Figures(
        f"hostile server: {mode}",
        count=requests_made,
        failures=0 if typed and bounded else 1,
        retries=int(client.stats.retries),
        latencies_ms=[seconds * 1000],
        notes=notes,
        details=details,
    )


def test_b3_b6_b11_hostile_server_every_mode_ends_bounded_and_typed(
    figures: FigureSink,
) -> None:
    """B1/B3/B6/B11: each hostile mode ends within its request bound, complete or typed."""
    rows = [figures.add(_run(mode, expect)) for mode, expect in MODES.items()]
    failed = {r.scenario: r.details for r in rows if r.failures}
    assert not failed, failed
    if soak_mode():  # the default body cap holds against a 1 GiB bomb
        assert BODY_CAP == 64 * 1024 * 1024
