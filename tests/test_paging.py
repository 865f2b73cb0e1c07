"""Paging logic and the pacer, against fakes: offset pages (B3), continuation tokens (B6),
report splitting (B5) and rate-limit pacing with a fake clock (B11)."""

from __future__ import annotations

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from adstudio_nb.client import GENERAL, REPORTING, Pacer, RateLimitPolicy, rate_limit_bucket
from adstudio_nb.exceptions import APIError
from adstudio_nb.paging import (
    iter_continuation_pages,
    iter_offset_pages,
    ordered_map,
    parse_utc,
    plan_report_parts,
)


class FakeClock:
    """A monotonic clock whose sleep moves time forward instead of waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _listing(n: int, page_size: int, *, with_total: bool = True):
    calls: list[int] = []
    lock = threading.Lock()

    def fetch(offset: int) -> dict[str, Any]:
        with lock:
            calls.append(offset)
        page: dict[str, Any] = {"items": list(range(offset, min(n, offset + page_size)))}
        if with_total:
            page["paging"] = {"total_results": n, "offset": offset, "page_size": page_size}
        return page

    return fetch, calls


# -- B3 offset paging ---------------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, 1, 49, 50, 51, 237])
def test_b3_offset_pages_complete_and_ordered_with_concurrency(n: int) -> None:
    fetch, calls = _listing(n, 10)
    with ThreadPoolExecutor(4) as pool:
        pages = list(
            iter_offset_pages(
                fetch,
                items_key="items",
                page_size=10,
                map_ordered=lambda fn, items: ordered_map(pool, fn, items, max_in_flight=4),
            )
        )
    items = [i for p in pages for i in p["items"]]
    assert items == list(range(n))
    assert sorted(calls) == list(range(0, max(n, 1), 10))  # each page fetched exactly once


def test_b1_pages_without_total_are_followed_while_full() -> None:
    fetch, calls = _listing(23, 10, with_total=False)
    items = [
        i for p in iter_offset_pages(fetch, items_key="items", page_size=10) for i in p["items"]
    ]
    assert items == list(range(23))
    assert calls == [0, 10, 20]


def test_b3_server_capping_page_size_still_pages_consistently() -> None:
    fetch, _calls = _listing(30, 5)  # the server gives 5 though 10 were asked for
    items = [
        i for p in iter_offset_pages(fetch, items_key="items", page_size=10) for i in p["items"]
    ]
    assert items == list(range(30))


# -- B6 continuation tokens ----------------------------------------------------------------------


def test_b6_follow_up_sends_only_the_token() -> None:
    sent: list[dict[str, Any]] = []
    tokens = {None: "t1", "t1": "t2", "t2": None}

    def fetch(params: dict[str, Any]) -> dict[str, Any]:
        sent.append(params)
        page: dict[str, Any] = {"rows": [len(sent)]}
        nxt = tokens[params.get("continuation_token")]
        if nxt:
            page["continuation_token"] = nxt
        return page

    pages = list(iter_continuation_pages(fetch, {"entity_type": "AD", "fields": ["CLICKS"]}))
    assert [p["rows"] for p in pages] == [[1], [2], [3]]
    assert sent[1:] == [{"continuation_token": "t1"}, {"continuation_token": "t2"}]


def test_b6_a_repeated_token_stops_with_an_error() -> None:
    with pytest.raises(APIError, match="same continuation token"):
        list(iter_continuation_pages(lambda p: {"rows": [], "continuation_token": "x"}, {}))


def test_ordered_map_keeps_order_and_raises_first_error() -> None:
    with ThreadPoolExecutor(3) as pool:
        assert list(ordered_map(pool, lambda x: x * 2, range(20), max_in_flight=3)) == [
            x * 2 for x in range(20)
        ]

        def boom(x: int) -> int:
            if x == 5:
                raise ValueError("five")
            return x

        with pytest.raises(ValueError, match="five"):
            list(ordered_map(pool, boom, range(20), max_in_flight=3))


# -- B5 report splitting -------------------------------------------------------------------------


def test_b5_entity_ids_are_batched_by_50_and_day_windows_stay_within_90_days() -> None:
    ids = [f"00000000-0000-4000-8000-{i:012d}" for i in range(120)]
    parts = plan_report_parts(
        entity_type="AD_SET",
        fields=["IMPRESSIONS"],
        granularity="DAY",
        start="2026-01-01T00:00:00Z",
        end="2026-12-31T00:00:00Z",
        entity_ids=ids,
        target_parts=1,
    )
    assert {len(p.entity_ids or ()) for p in parts} == {50, 20}
    batches = list(dict.fromkeys(p.entity_ids for p in parts))
    assert [i for b in batches for i in b or ()] == ids  # every id once, in order
    for batch in batches:
        windows = [(parse_utc(p.start), parse_utc(p.end)) for p in parts if p.entity_ids == batch]
        days = [(b - a).days + 1 for a, b in windows]
        assert max(days) <= 90 and sum(days) == 365  # contiguous, inclusive, no overlap
        for (_, prev_end), (nxt_start, _) in itertools.pairwise(windows):
            assert (nxt_start - prev_end).days == 1
    assert parts[0].params()["entity_ids_type"] == "AD_SET"


def test_b5_split_for_concurrency_wastes_no_page_with_full_batches() -> None:
    ids = [f"00000000-0000-4000-8000-{i:012d}" for i in range(50)]
    parts = plan_report_parts(
        entity_type="AD_SET",
        fields=["CLICKS"],
        granularity="DAY",
        start="2026-01-01",
        end="2026-03-31",
        entity_ids=ids,
        target_parts=16,
    )
    assert len(parts) >= 8
    # 50 ids fill exactly one page per day: splitting costs no extra request.
    assert sum((parse_utc(p.end) - parse_utc(p.start)).days + 1 for p in parts) == 90


def test_b5_hour_windows_and_lifetime_limits() -> None:
    parts = plan_report_parts(
        entity_type="AD",
        fields=["CLICKS"],
        granularity="HOUR",
        start="2026-01-01T00:00:00Z",
        end="2026-01-02T23:00:00Z",
        target_parts=4,
    )
    hours = [(parse_utc(p.end) - parse_utc(p.start)).total_seconds() / 3600 + 1 for p in parts]
    assert sum(hours) == 48 and len(parts) == 4
    with pytest.raises(ValueError, match="LIFETIME"):
        plan_report_parts(
            entity_type="AD",
            fields=["CLICKS"],
            granularity="LIFETIME",
            start="2026-01-01",
            end="2026-06-01",
        )
    lifetime = plan_report_parts(entity_type="AD", fields=["CLICKS"], target_parts=8)
    assert len(lifetime) == 1 and lifetime[0].start is None


# -- B11 pacer -----------------------------------------------------------------------------------


def test_b11_reporting_endpoints_have_their_own_bucket() -> None:
    assert rate_limit_bucket("/ads/v3/ad_accounts/x/aggregate_reports") == REPORTING
    assert rate_limit_bucket("/ads/v3/ad_accounts/x/aggregate_reports/totals") == REPORTING
    assert rate_limit_bucket("/ads/v3/ad_accounts/x/insight_reports") == REPORTING
    assert rate_limit_bucket("/ads/v3/ad_accounts/x/campaigns") == GENERAL


def test_b11_pacer_never_lets_more_than_the_limit_into_one_window() -> None:
    clock = FakeClock()
    pacer = Pacer(RateLimitPolicy(window_s=30, reporting_limit=150), clock=clock, sleep=clock.sleep)
    sent: list[float] = []
    for _ in range(450):
        pacer.acquire(REPORTING)
        sent.append(clock.now)
        clock.now += 0.01  # the answer takes 10 ms
        pacer.release(REPORTING)
    for i, t in enumerate(sent):  # any 30 s window holds at most 150 sends
        assert sum(1 for u in sent[i:] if u < t + 30) <= 150
    # and it runs at the limit, not far below it: 450 requests in about 2 windows
    assert sent[-1] - sent[0] < 2 * 30 + 5


def test_b11_reporting_requests_count_against_the_general_limit_too() -> None:
    clock = FakeClock()
    pacer = Pacer(
        RateLimitPolicy(window_s=10, general_limit=5, reporting_limit=100),
        clock=clock,
        sleep=clock.sleep,
    )
    for _ in range(5):
        assert pacer.try_acquire(REPORTING) == 0
        pacer.release(REPORTING)
    assert pacer.try_acquire(GENERAL) > 0
    assert pacer.in_use(GENERAL) == 5


def test_b11_in_flight_requests_hold_their_slot_until_answered() -> None:
    clock = FakeClock()
    pacer = Pacer(RateLimitPolicy(window_s=10, general_limit=2), clock=clock, sleep=clock.sleep)
    assert pacer.try_acquire(GENERAL) == 0
    assert pacer.try_acquire(GENERAL) == 0
    assert pacer.try_acquire(GENERAL) == pytest.approx(10)  # both still in flight
    clock.now += 3
    pacer.release(GENERAL)
    assert pacer.try_acquire(GENERAL) == pytest.approx(10)  # answered at +3: frees at +13
    clock.now += 10
    assert pacer.try_acquire(GENERAL) == 0


def test_b11_headers_lower_the_budget_when_someone_else_uses_it() -> None:
    clock = FakeClock()
    pacer = Pacer(RateLimitPolicy(window_s=30, general_limit=100), clock=clock, sleep=clock.sleep)
    pacer.acquire(GENERAL)
    pacer.release(GENERAL)
    pacer.observe(GENERAL, limit=100, remaining=3, reset_s=12)
    for _ in range(3):
        assert pacer.try_acquire(GENERAL) == 0
    assert pacer.try_acquire(GENERAL) == pytest.approx(12)
    pacer.observe(GENERAL, limit=50)
    assert pacer.policy.general_limit == 100  # the policy is unchanged; the bucket adapts


def test_b11_hold_after_a_429_stops_every_thread_until_reset() -> None:
    clock = FakeClock()
    pacer = Pacer(RateLimitPolicy(window_s=30), clock=clock, sleep=clock.sleep)
    pacer.hold(REPORTING, 7)
    assert pacer.try_acquire(REPORTING) == pytest.approx(7)
    assert pacer.acquire(REPORTING) == pytest.approx(7)
    assert clock.slept == [pytest.approx(7)]


def test_b11_disabled_pacer_never_waits() -> None:
    clock = FakeClock()
    pacer = Pacer(RateLimitPolicy(general_limit=1, enabled=False), clock=clock, sleep=clock.sleep)
    for _ in range(10):
        assert pacer.try_acquire(GENERAL) == 0
