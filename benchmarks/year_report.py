"""Scenario: 500 ad sets x 365 days at DAY, cold, under Spotify's reporting limit (B5, B8, B11).

Aggregate reports page 50 rows a request: 182,500 rows are 3,650 reporting requests, and at 150
requests per window the paging floor is 3,650 / 150 windows. ``ads.report(..., method="auto")``
counts that against the async path (the listings that name the ad sets, one async report of
365 days: create, polls, the CSV from its storage link) and takes async. Every time constant
is scaled by the same factor (the rate-limit window, the sandbox's PROCESSING time, the
client's poll intervals), so the comparison is Spotify's, only faster. The sandbox serves from
its own process; nothing is stored before the run (cold).

The 500 ad sets are picked by id among those an async report can select (ACTIVE, COMPLETED,
PENDING_APPROVAL, REJECTED, B8), as an analyst picks them from ``ads.ad_sets()``.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from adstudio_nb.ads import Ads
from adstudio_nb.async_reports import ASYNC_STATUSES, AsyncPolicy
from adstudio_nb.pacing import RateLimitPolicy

from .common import median_of, served_sandbox

FIELDS = [
    "IMPRESSIONS",
    "CLICKS",
    "SPEND",
    "CTR",
    "REACH",
    "FREQUENCY",
    "COMPLETES",
    "STREAMS",
    "LEADS",
    "PURCHASES",
]
SPOTIFY_WINDOW_S = 30.0
REPORTING_PER_WINDOW = 150


def run(quick: bool = False) -> dict[str, Any]:
    window_s = 5.0 if quick else 10.0
    scale = window_s / SPOTIFY_WINDOW_S
    ad_sets, days = (200, 365) if quick else (500, 365)
    options = {
        "businesses": 1,
        "accounts_per_business": 1,
        # More ad sets than the report's: some have statuses an async report cannot select.
        "campaigns_per_account": math.ceil(ad_sets * 1.4 / 5),
        "ad_sets_per_campaign": 5,
    }
    with served_sandbox(
        seed=0,
        rate_limits="scaled",
        rate_limit_window_s=window_s,
        async_processing_s=10.0 * scale,
        data_options=options,
    ) as sb:
        today = sb.now.replace(hour=0, minute=0, second=0, microsecond=0)
        first = today - timedelta(days=days)
        start = first.strftime("%Y-%m-%dT%H:%M:%SZ")
        end = (first + timedelta(days=days - 1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        with Ads.from_token(sb.api_base_url, sb.token, progress=False) as probe:
            account = str(probe.ad_accounts().iloc[0]["id"])
            listed = probe.ad_sets(account)
        selectable = listed[listed["status"].isin(ASYNC_STATUSES["AD_SET"])]
        ids = list(selectable["id"][:ad_sets])
        assert len(ids) == ad_sets, f"only {len(ids)} selectable ad sets"

        def cold_run() -> tuple[Any, dict[str, float]]:
            # A new Ads each run: nothing kept from the run before (no store, no pool).
            ads = Ads.from_token(
                sb.api_base_url,
                sb.token,
                progress=False,
                rate_limits=RateLimitPolicy(window_s=window_s),
            )
            ads.async_policy = AsyncPolicy().scaled(scale)
            with ads:
                frame = ads.report(
                    account,
                    level="AD_SET",
                    fields=FIELDS,
                    start=start,
                    end=end,
                    entity_ids=ids,
                    method="auto",
                )
                return frame, ads.client.stats.snapshot()

        # The machine is shared: the median of three cold runs, each run reported.
        toolkit_s, runs_s, (df, stats) = median_of(1 if quick else 3, cold_run)
    rows = ad_sets * days
    assert len(df) == rows, (len(df), rows)
    assert df["entity_id"].nunique() == ad_sets
    paging_requests = math.ceil(rows / 50)
    floor_s = paging_requests / REPORTING_PER_WINDOW * window_s
    return {
        "scenario": "year_report",
        "size": (
            f"{ad_sets} ad sets x {days} days DAY, cold, window {window_s:g} s "
            f"({REPORTING_PER_WINDOW} reports per window; time scaled x{scale:.3g}); "
            "naive = the aggregate paging floor"
        ),
        "naive_s": floor_s,
        "toolkit_s": toolkit_s,
        "toolkit_runs_s": runs_s,
        "floor_s": floor_s,
        "speedup_vs_naive": floor_s / toolkit_s,
        "toolkit_over_floor": toolkit_s / floor_s,
        "requests": stats["requests"],
        "requests_needed": paging_requests,
        "requests_over_paging": stats["requests"] / paging_requests,
        "toolkit_429s": stats["rate_limited"],
        "naive_429s": 0,
        "sandbox": "own process",
        "targets": {"requests_over_paging": "<= 0.01", "toolkit_over_floor": "<= 0.05"},
    }
