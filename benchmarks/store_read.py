"""Scenario: 1,000,000 report rows from the local store into the typed frame (B5, B7).

The store is filled through its own write path (report pages shaped like the sandbox's, read
into report frames and kept part by part), then ``ads.report(...)`` answers the whole range
from it without a request. The floor is DuckDB's own ``fetchdf()`` of the same table on an
open connection; the comparison is fetching the rows from the sandbox with no rate limits,
measured on 500 ad sets x 90 days (45,000 rows, its own process) and scaled linearly to the
store's rows, which the result says.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from adstudio_nb.ads import Ads
from adstudio_nb.frames import report_frame
from adstudio_nb.store import Store

from .common import median_of, served_sandbox, timed
from .report import FIELDS
from .shaping import make_pages

ACCOUNT = {"id": "4f1c2e9a-0000-4000-8000-000000000001", "name": "Store", "currency_code": "USD"}
FIRST_DAY = datetime(2025, 1, 1, tzinfo=UTC)  # the first day of shaping.make_pages


def fill(store: Store, rows: int, *, chunks: int = 10) -> int:
    """Keep ``rows`` rows of 500 ad sets (50 per part) through the store's write path."""
    per_chunk = rows // chunks
    entities = 500 // chunks
    days = per_chunk // entities
    kept = 0
    for n in range(chunks):
        frame = report_frame(make_pages(per_chunk, entities=entities, seed=n), FIELDS)
        last = n == chunks - 1  # coverage once, when every entity is in
        kept += store.keep_report(
            frame,
            account_id=ACCOUNT["id"],
            level="AD_SET",
            granularity="DAY",
            fields=FIELDS,
            start=FIRST_DAY if last else None,
            end=FIRST_DAY + timedelta(days=days - 1) if last else None,
        )
    return kept


def from_sandbox(ad_sets: int, days: int) -> tuple[float, int]:
    """Seconds to fetch ``ad_sets`` x ``days`` DAY rows from a sandbox with no limits."""
    options = {
        "businesses": 1,
        "accounts_per_business": 1,
        "campaigns_per_account": ad_sets // 5,
        "ad_sets_per_campaign": 5,
    }
    with served_sandbox(seed=0, rate_limits="off", data_options=options) as sb:
        today = sb.now.replace(hour=0, minute=0, second=0, microsecond=0)
        start, end = today - timedelta(days=days), today - timedelta(days=1)
        with Ads.from_token(sb.api_base_url, sb.token, progress=False, pacing=False) as ads:
            account = ads.ad_accounts().iloc[0]
            seconds, frame = timed(
                lambda: ads.report(account, fields=FIELDS, start=start, end=end, method="aggregate")
            )
    return seconds, len(frame)


def run(quick: bool = False) -> dict[str, Any]:
    rows = 200_000 if quick else 1_000_000
    days = rows // 500
    with tempfile.TemporaryDirectory() as tmp:
        # The store's clock stands long after the last day: every day is settled.
        store = Store(Path(tmp) / "ads.duckdb", clock=lambda: datetime(2031, 1, 1, tzinfo=UTC))
        fill_s, kept = timed(lambda: fill(store, rows))
        with duckdb.connect(str(store.path)) as con:
            floor_s, floor_runs, floor = median_of(
                3, lambda: con.execute("SELECT * FROM reports").fetchdf()
            )
        assert len(floor) == kept == rows, (len(floor), kept)
        del floor
        end = FIRST_DAY + timedelta(days=days - 1)
        # An unreachable API: a request would fail the run; none is made.
        with Ads.from_token("http://127.0.0.1:9/v3", "unused", progress=False, store=store) as ads:
            toolkit_s, runs, frame = median_of(
                3,
                lambda: ads.report(
                    ACCOUNT, fields=FIELDS, start=FIRST_DAY, end=end, method="aggregate"
                ),
            )
            requests = ads.client.stats.snapshot()["requests"]
        assert len(frame) == rows and requests == 0, (len(frame), requests)
        read_s, _, _ = median_of(
            3,
            lambda: store.report(
                ads.client,
                ACCOUNT["id"],
                level="AD_SET",
                fields=FIELDS,
                granularity="DAY",
                start=FIRST_DAY,
                end=end,
            ),
        )
        dtypes = {str(t) for t in frame.dtypes}
    measured_ad_sets, measured_days = (200, 45) if quick else (500, 90)
    sandbox_s, sandbox_rows = from_sandbox(measured_ad_sets, measured_days)
    sandbox_scaled_s = sandbox_s * rows / sandbox_rows
    return {
        "scenario": "store_read",
        "size": f"{rows:,} rows x {len(FIELDS)} metrics (500 ad sets x {days} days) from DuckDB",
        "naive_s": sandbox_scaled_s,
        "toolkit_s": toolkit_s,
        "toolkit_runs_s": runs,
        "floor_s": floor_s,
        "floor": "duckdb fetchdf() of the whole table on an open connection",
        "floor_runs_s": floor_runs,
        "store_read_s": read_s,
        "speedup_vs_naive": sandbox_scaled_s / toolkit_s,
        "toolkit_over_floor": toolkit_s / floor_s,
        "sandbox_measured_s": sandbox_s,
        "sandbox_measured_rows": sandbox_rows,
        "sandbox_scaled_linearly": True,
        "fill_s": fill_s,
        "requests": requests,
        "frame_dtypes": sorted(dtypes),
        "targets": {"toolkit_over_floor": "<= 2", "speedup_vs_naive": ">= 20"},
    }
