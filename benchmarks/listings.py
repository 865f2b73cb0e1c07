"""Scenario 1: 20 ad accounts x 250 campaigns with 50 ms added latency (B1, B3)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import requests

from adstudio_nb.ads import Ads
from adstudio_nb.sandbox import Sandbox

from .common import naive_get, timed, token

LATENCY_MS = 50.0


def naive(sb: Sandbox, tok: str) -> pd.DataFrame:
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


def run(quick: bool = False) -> dict[str, Any]:
    accounts, campaigns = (10, 100) if quick else (20, 250)
    options = {
        "businesses": 1,
        "accounts_per_business": accounts,
        "campaigns_per_account": campaigns,
    }
    with Sandbox(seed=0, latency_ms=LATENCY_MS, rate_limits="on", data_options=options) as sb:
        tok = token(sb)
        naive_s, naive_df = timed(lambda: naive(sb, tok))
        ads = Ads.from_token(sb.api_base_url, tok, progress=False)
        with ads:

            def toolkit() -> pd.DataFrame:
                return ads.campaigns(ads.ad_accounts())

            toolkit_s, toolkit_df = timed(toolkit)
            requests_sent = ads.client.stats.requests
            workers = ads.client.max_workers
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
        "floor_s": floor_s,
        "speedup_vs_naive": naive_s / toolkit_s,
        "toolkit_over_floor": toolkit_s / floor_s,
        "requests": requests_sent,
        "concurrency": workers,
        "targets": {"speedup_vs_naive": ">= 8", "toolkit_over_floor": "<= 1.3"},
    }
