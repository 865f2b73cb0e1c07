"""Frames loaded through 20 % injected faults (500/502/503/429/drop/truncate) over more than
1,000 pages equal the fault-free frames exactly: no row lost, duplicated or reordered. The
client's backoffs and 429 waits run in virtual time: the test waits for no retry."""

from __future__ import annotations

import pandas as pd

from adstudio_nb.ads import Ads
from adstudio_nb.client import RetryPolicy
from adstudio_nb.sandbox import FaultPlan, Sandbox
from adstudio_nb.sandbox.clock import SandboxClock
from tests.helpers import access_token
from tests.test_pacing import VirtualClock

KINDS = ("500", "502", "503", "429", "drop", "truncate")
FIELDS = ["IMPRESSIONS", "CLICKS", "SPEND", "CTR", "LEADS", "PURCHASES"]
# A fixed start far from an hour boundary: both loads see the same "now" (B5 data up to now).
START = 1_780_000_000.0 - 1_780_000_000.0 % 3600 + 5


def _load(
    sb: Sandbox, token: str, clock: VirtualClock
) -> tuple[dict[str, pd.DataFrame], dict[str, float]]:
    retry = RetryPolicy(max_attempts=12, backoff_s=0.01, backoff_max_s=0.1)
    with Ads.from_token(
        sb.api_base_url,
        token,
        pacing=False,
        progress=False,
        page_size=3,
        retry=retry,
        clock=clock,
        sleep=clock.sleep,
    ) as ads:
        account = ads.ad_accounts().iloc[0]
        out = {
            "campaigns": ads.campaigns(account),
            "ad_sets": ads.ad_sets(account),
            "ads": ads.ads(account),
            "report": ads.report(
                account,
                fields=FIELDS,
                start="2026-05-01",
                end="2026-05-20",
                include_parent=True,
            ),
        }
        return out, ads.client.stats.snapshot()


def test_b3_b5_b6_frames_with_and_without_faults_are_equal() -> None:
    with Sandbox(seed=0, rate_limits="off", clock=SandboxClock(start=START)) as sb:
        token = access_token(sb)
        clean, clean_stats = _load(sb, token, VirtualClock())
        sb.faults = FaultPlan(rate=0.2, kinds=KINDS, seed=1)
        clock = VirtualClock()
        faulty, stats = _load(sb, token, clock)
        injected = dict(sb.faults.injected)
    pages = stats["requests"] - sum(injected.values())
    assert pages >= 1000, pages
    assert sum(injected.values()) >= 150 and set(injected) == set(KINDS)
    assert stats["retries"] >= sum(injected.values())
    assert clean_stats["retries"] == 0
    # Every retry waited (a backoff, or the 429's Retry-After of 1 s) through the virtual sleep.
    assert len(clock.slept) == stats["retries"] and stats["waited_s"] == sum(clock.slept)
    for name, frame in clean.items():
        assert len(frame) > 0
        pd.testing.assert_frame_equal(faulty[name], frame, obj=name)
