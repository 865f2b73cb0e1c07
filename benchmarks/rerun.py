"""Scenario: the 90-day report of 500 ad sets again "the next day", with a warm store (B5, B11).

The sandbox runs Spotify's reporting limit with a scaled window (150 requests per window) in a
process of its own, whose clock this scenario moves one day forward between the runs. The cold
run fills an empty store with the last 90 days (900 report pages); the warm run asks for the
last 90 days again a day later and may fetch only the new day and the restatement window's
days (``restatement_days`` = 3: the days fetched less than 3 days after they began).
Both runs use report pages (``method="aggregate"``): the targets are about pages.
"""

from __future__ import annotations

import math
import multiprocessing
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from adstudio_nb.ads import Ads
from adstudio_nb.client import StaticToken
from adstudio_nb.pacing import RateLimitPolicy
from adstudio_nb.sandbox import Sandbox
from adstudio_nb.store import DEFAULT_RESTATEMENT_DAYS, Store

from .common import timed, token
from .report import FIELDS

DAY_S = 86_400


def _serve(conn: Connection, options: dict[str, Any]) -> None:
    """Run a sandbox in this child process; answer "token", ("advance", s) and "stop"."""
    with Sandbox(**options) as sb:
        conn.send({"api_base_url": sb.api_base_url, "now": sb.clock.now_datetime()})
        while True:
            try:
                message = conn.recv()
            except EOFError:
                return
            if message == "stop":
                return
            if message == "token":
                conn.send(token(sb))
            elif isinstance(message, tuple) and message[0] == "advance":
                sb.clock.advance(float(message[1]))
                conn.send(sb.clock.now_datetime())


class ClockedSandbox:
    """A sandbox in another process whose clock this process moves (and follows)."""

    def __init__(self, conn: Connection, info: dict[str, Any]) -> None:
        self._conn = conn
        self.api_base_url: str = info["api_base_url"]
        self._offset = info["now"] - datetime.now(UTC)

    def now(self) -> datetime:
        """The sandbox's time, as its clock (real time plus what was advanced) tells it."""
        return datetime.now(UTC) + self._offset

    def token(self) -> str:
        self._conn.send("token")
        return str(self._conn.recv())

    def advance(self, seconds: float) -> None:
        self._conn.send(("advance", seconds))
        self._offset = self._conn.recv() - datetime.now(UTC)


@contextmanager
def clocked_sandbox(**options: Any) -> Iterator[ClockedSandbox]:
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=_serve, args=(child, options), name="sandbox", daemon=True)
    process.start()
    child.close()
    try:
        if not parent.poll(120):
            raise RuntimeError("The benchmark's sandbox did not start within 120 s.")
        yield ClockedSandbox(parent, parent.recv())
    finally:
        with suppress(BrokenPipeError, OSError):
            parent.send("stop")
        parent.close()
        process.join(timeout=10)
        if process.is_alive():
            process.terminate()
            process.join(timeout=5)


def _last_days(now: datetime, days: int) -> tuple[datetime, datetime]:
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=days), today - timedelta(days=1)


def run(quick: bool = False) -> dict[str, Any]:
    window_s = 1.0 if quick else 2.0
    ad_sets, days = (200, 45) if quick else (500, 90)
    options = {
        "seed": 0,
        "rate_limits": "scaled",
        "rate_limit_window_s": window_s,
        "data_options": {
            "businesses": 1,
            "accounts_per_business": 1,
            "campaigns_per_account": ad_sets // 5,
            "ad_sets_per_campaign": 5,
        },
    }
    pages_per_day = math.ceil(ad_sets / 50)
    with clocked_sandbox(**options) as sb, tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "ads.duckdb", clock=sb.now)
        source = StaticToken(sb.token(), refresher=sb.token)
        ads = Ads.from_token(
            sb.api_base_url,
            source,
            progress=False,
            store=store,
            rate_limits=RateLimitPolicy(window_s=window_s),
        )
        with ads:
            account = ads.ad_accounts().iloc[0]
            start, end = _last_days(sb.now(), days)

            def report() -> Any:
                return ads.report(account, fields=FIELDS, start=start, end=end, method="aggregate")

            before = ads.client.stats.snapshot()["requests"]
            cold_s, cold = timed(report)
            cold_requests = ads.client.stats.snapshot()["requests"] - before
            sb.advance(DAY_S)  # "the next day"
            ads.businesses()  # the token expired overnight: refreshed here, not in the run
            start, end = _last_days(sb.now(), days)
            before = ads.client.stats.snapshot()["requests"]
            warm_s, warm = timed(report)
            warm_requests = ads.client.stats.snapshot()["requests"] - before
            stats = ads.client.stats.snapshot()
    assert len(cold) == len(warm) == ad_sets * days, (len(cold), len(warm))
    allowed = (DEFAULT_RESTATEMENT_DAYS + 1) * pages_per_day
    floor_s = warm_requests / 150 * window_s
    return {
        "scenario": "rerun",
        "size": f"{ad_sets} ad sets x {days} days DAY, next day, window {window_s:g} s",
        "naive_s": cold_s,
        "toolkit_s": warm_s,
        "floor_s": floor_s,
        "speedup_vs_naive": cold_s / warm_s,
        "toolkit_over_floor": warm_s / floor_s if floor_s else float("nan"),
        "cold_requests": cold_requests,
        "warm_requests": warm_requests,
        "warm_requests_allowed": allowed,
        "cold_over_warm_requests": cold_requests / max(1, warm_requests),
        "restatement_days": DEFAULT_RESTATEMENT_DAYS,
        "pages_per_day": pages_per_day,
        "rate_limited_429s": stats["rate_limited"],
        "sandbox": "own process",
        "targets": {
            "warm_requests": f"<= {allowed}",
            "cold_over_warm_requests": ">= 20",
        },
    }
