"""Scenario 1: 20 ad accounts x 250 campaigns with 50 ms added latency (B1, B3).

The sandbox serves from its own process (:func:`~benchmarks.common.served_sandbox`); the
naive loop runs once (about a hundred sequential requests average out a busy moment), the
toolkit seven times with a fresh client each time, and its median is compared.

Beside the floor (latency alone), a measured reference: a bare client that is handed every
address the toolkit asks for in advance (the pages and each listing's confirming page) and
fetches them on as many threads with plain ``requests``, parsing nothing. It shows what this
machine's HTTP costs on top of the latency, which no client can avoid.
"""

from __future__ import annotations

import math
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pandas as pd
import requests

from adstudio_nb.ads import Ads

from .common import ServedSandbox, median_of, naive_get, served_sandbox, timed

LATENCY_MS = 50.0
TOOLKIT_RUNS = 7  # with the naive pass, under the sandbox's 1500 requests per 30 s (B11)
BARE_RUNS = 3  # 1 + 7 + 3 passes of 122 requests stay under those 1500


def naive(sb: ServedSandbox, tok: str) -> pd.DataFrame:
    """requests + pandas.json_normalize, one page at a time, as the guide suggests."""
    session = requests.Session()
    base = sb.api_base_url
    frames = []
    for business in naive_get(session, f"{base}/businesses", tok)["businesses"]:
        accounts = naive_get(session, f"{base}/businesses/{business['id']}/ad_accounts", tok)
        for account in accounts["ad_accounts"]:
            offset = 0
            while True:
                page = naive_get(
                    session,
                    f"{base}/ad_accounts/{account['id']}/campaigns",
                    tok,
                    {"limit": 50, "offset": offset},
                )
                df = pd.json_normalize(page["campaigns"])
                df["ad_account_id"] = account["id"]
                frames.append(df)
                offset += 50
                if offset >= page["paging"]["total_results"]:
                    break
    return pd.concat(frames, ignore_index=True)


def bare(sb: ServedSandbox, tok: str, account_ids: list[str], pages: int, workers: int) -> int:
    """Fetch every address a complete listing asks for, all known in advance; parse nothing.

    The two discovery calls first (as any client must), then ``pages`` offsets per account,
    the last being the confirming page past the last full one, on ``workers`` threads with
    one ``requests.Session`` each. Returns the number of requests.
    """
    base = sb.api_base_url
    headers = {"Authorization": f"Bearer {tok}"}
    local = threading.local()

    def get(url: str, params: dict[str, Any] | None = None) -> bytes:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        answer = session.get(url, headers=headers, params=params, timeout=30)
        answer.raise_for_status()
        return answer.content

    business = naive_get(requests.Session(), f"{base}/businesses", tok)["businesses"][0]["id"]
    get(f"{base}/businesses/{business}/ad_accounts")
    jobs = [
        (f"{base}/ad_accounts/{account}/campaigns", {"limit": 50, "offset": 50 * n})
        for account in account_ids
        for n in range(pages)
    ]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(lambda job: get(*job), jobs))
    return 2 + len(jobs)


def run(quick: bool = False) -> dict[str, Any]:
    accounts, campaigns = (10, 100) if quick else (20, 250)
    options = {
        "businesses": 1,
        "accounts_per_business": accounts,
        "campaigns_per_account": campaigns,
    }
    with served_sandbox(
        seed=0, latency_ms=LATENCY_MS, rate_limits="on", data_options=options
    ) as sb:
        tok = sb.token
        naive_s, naive_df = timed(lambda: naive(sb, tok))

        def toolkit() -> tuple[pd.DataFrame, int, int]:
            with Ads.from_token(sb.api_base_url, tok, progress=False) as ads:
                frame = ads.campaigns(ads.ad_accounts())
                return frame, ads.client.stats.requests, ads.client.max_workers

        toolkit_s, toolkit_runs, (toolkit_df, requests_sent, workers) = median_of(
            TOOLKIT_RUNS, toolkit
        )
        account_ids = list(dict.fromkeys(toolkit_df["ad_account_id"]))
        asked = campaigns // 50 + 1  # full pages, then the short (or confirming empty) one
        bare_s, bare_runs, bare_requests = median_of(
            BARE_RUNS, lambda: bare(sb, tok, account_ids, asked, workers)
        )
    assert len(toolkit_df) == len(naive_df) == accounts * campaigns
    assert set(toolkit_df["id"]) == set(naive_df["id"])
    pages = accounts * math.ceil(campaigns / 50)
    # Floor: every page at the allowed concurrency, each costing the added latency; the two
    # discovery calls (businesses, then ad accounts) come first and cannot overlap.
    floor_s = (2 + math.ceil(pages / workers)) * LATENCY_MS / 1000
    return {
        "scenario": "listings",
        "size": f"{accounts} accounts x {campaigns} campaigns, {LATENCY_MS:g} ms latency",
        "naive_s": naive_s,
        "toolkit_s": toolkit_s,
        "toolkit_runs_s": toolkit_runs,
        "floor_s": floor_s,
        "bare_s": bare_s,
        "bare_runs_s": bare_runs,
        "bare_requests": bare_requests,
        "bare_over_floor": bare_s / floor_s,
        "toolkit_over_bare": toolkit_s / bare_s,
        "speedup_vs_naive": naive_s / toolkit_s,
        "toolkit_over_floor": toolkit_s / floor_s,
        "requests": requests_sent,
        "concurrency": workers,
        "sandbox": "own process",
        "targets": {"speedup_vs_naive": ">= 8", "toolkit_over_floor": "<= 1.3"},
    }
