"""Paging logic against fakes: offset pages (B3), continuation tokens (B6), report splitting
(B5), page parsing; the pacer is tested in ``test_pacing``."""

from __future__ import annotations

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from adstudio_nb.exceptions import (
    IncompleteListing,
    IncompleteReport,
    InvalidArgument,
    MalformedPayload,
)
from adstudio_nb.paging import (
    OffsetListing,
    PagingLimits,
    iter_continuation_pages,
    ordered_map,
    parse_utc,
    plan_report_parts,
    walk_offset_listings,
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


def _walk(*fetches: Any, page_size: int = 10, pool: Any = None, **options: Any) -> Any:
    return walk_offset_listings(
        [OffsetListing(f, "items", f"listing {n}") for n, f in enumerate(fetches)],
        page_size=page_size,
        executor=pool,
        max_in_flight=4 if pool else 1,
        **options,
    )


@pytest.mark.parametrize("n", [0, 1, 9, 10, 11, 50, 237])
def test_b3_offset_pages_complete_and_ordered_with_concurrency(n: int) -> None:
    fetch, calls = _listing(n, 10)
    with ThreadPoolExecutor(4) as pool:
        [items] = _walk(fetch, pool=pool)
    assert items == list(range(n))
    # Each page exactly once, up to and including the first short (or empty) one.
    assert sorted(calls) == list(range(0, n // 10 * 10 + 1, 10))


def test_b1_pages_without_total_are_followed_while_full() -> None:
    fetch, calls = _listing(23, 10, with_total=False)
    assert _walk(fetch) == [list(range(23))]
    assert calls == [0, 10, 20]


def test_b3_server_capping_page_size_still_pages_consistently() -> None:
    fetch, _calls = _listing(30, 5)  # the server gives 5 though 10 were asked for
    assert _walk(fetch) == [list(range(30))]


@pytest.mark.parametrize("total", [0, None, 3, 10**12])
def test_b3_the_total_is_a_hint_the_short_page_is_the_end(total: int | None) -> None:
    """B3: zeros (published samples), none, too small or a lie: the items are the truth."""

    def fetch(offset: int) -> dict[str, Any]:
        page: dict[str, Any] = {"items": list(range(offset, min(60, offset + 10)))}
        if total is not None:
            page["paging"] = {"total_results": total, "page_size": 0, "offset": 0}
        return page

    with ThreadPoolExecutor(4) as pool:
        assert _walk(fetch, pool=pool) == [list(range(60))]
    assert _walk(fetch) == [list(range(60))]


def test_b3_many_listings_share_one_bounded_window() -> None:
    fetches = [_listing(n, 10) for n in (0, 35, 100, 7)]
    in_flight = peak = 0
    lock = threading.Lock()

    def counted(fetch: Any) -> Any:
        def wrapped(offset: int) -> Any:
            nonlocal in_flight, peak
            with lock:
                in_flight += 1
                peak = max(peak, in_flight)
            try:
                return fetch(offset)
            finally:
                with lock:
                    in_flight -= 1

        return wrapped

    with ThreadPoolExecutor(8) as pool:
        result = _walk(*(counted(f) for f, _ in fetches), pool=pool)
    assert result == [list(range(n)) for n in (0, 35, 100, 7)]
    assert peak <= 4


def test_b3_caps_end_in_incomplete_listing_with_the_items_that_arrived() -> None:
    def endless(offset: int) -> dict[str, Any]:
        return {"items": [{"id": f"i{n}"} for n in range(offset, offset + 10)]}

    with pytest.raises(IncompleteListing) as caught:
        _walk(endless, limits=PagingLimits(max_pages=5))
    assert caught.value.pages == 5 and len(caught.value.items) == 50
    assert caught.value.what == "listing 0" and "listing 0" in str(caught.value)
    with pytest.raises(IncompleteListing, match="cap of 25 items"):
        _walk(endless, limits=PagingLimits(max_items=25))


def test_b3_time_cap_ends_a_walk() -> None:
    clock = FakeClock()

    def slow(offset: int) -> dict[str, Any]:
        clock.now += 60  # each page "takes" a minute
        return {"items": list(range(offset, offset + 10))}

    with pytest.raises(IncompleteListing) as caught:
        _walk(slow, limits=PagingLimits(max_seconds=200), clock=clock)
    assert caught.value.reason == "max_time"


def test_b3_a_server_repeating_the_same_full_page_is_refused() -> None:
    page = {"items": [{"id": f"i{n}"} for n in range(10)]}
    with pytest.raises(IncompleteListing) as caught:
        _walk(lambda offset: page)
    assert caught.value.reason == "repeated_page" and len(caught.value.items) == 10


def test_b3_a_page_larger_than_the_limit_is_the_whole_listing() -> None:
    calls: list[int] = []

    def fetch(offset: int) -> dict[str, Any]:
        calls.append(offset)
        return {"items": [{"id": f"i{n}"} for n in range(25)]}  # limit 10 ignored

    assert len(_walk(fetch)[0]) == 25 and calls == [0]


def test_b3_a_page_that_is_not_an_object_is_malformed() -> None:
    with pytest.raises(MalformedPayload):
        _walk(lambda offset: [1, 2])


def test_b3_duplicates_across_pages_are_dropped_by_id() -> None:
    pages = {0: [{"id": "a"}, {"id": "b"}], 2: [{"id": "b"}, {"id": "c"}], 4: []}
    assert _walk(lambda o: {"items": pages[o]}, page_size=2) == [
        [{"id": "a"}, {"id": "b"}, {"id": "c"}]
    ]


def test_b3_each_listing_is_handed_over_as_soon_as_it_is_complete() -> None:
    """A short listing reaches ``on_listing`` while a longer one is still being paged."""
    events: list[tuple[Any, ...]] = []

    def traced(n: int, name: int) -> Any:
        fetch, _calls = _listing(n, 10)

        def wrapped(offset: int) -> Any:
            events.append(("fetch", name, offset))
            return fetch(offset)

        return wrapped

    def on_listing(index: int, items: list[Any]) -> None:
        events.append(("done", index, len(items)))

    result = _walk(traced(5, 0), traced(45, 1), traced(0, 2), on_listing=on_listing)
    assert result == [list(range(5)), list(range(45)), []]
    done = [e for e in events if e[0] == "done"]
    assert sorted(done) == [("done", 0, 5), ("done", 1, 45), ("done", 2, 0)]
    # The first listing was handed over before the second one's last page was asked for.
    assert events.index(("done", 0, 5)) < events.index(("fetch", 1, 40))


def test_b3_an_error_in_on_listing_stops_the_walk() -> None:
    fetch, calls = _listing(1000, 10)
    short, _ = _listing(3, 10)

    def on_listing(index: int, items: list[Any]) -> None:
        raise ValueError("shaping failed")

    with pytest.raises(ValueError, match="shaping failed"):
        _walk(short, fetch, on_listing=on_listing)
    assert len(calls) < 5  # the long listing was not paged on after the error


def test_cancel_stops_fetches_that_have_not_started() -> None:
    cancel = threading.Event()
    started: list[int] = []

    def fetch(offset: int) -> dict[str, Any]:
        started.append(offset)
        if offset == 20:
            cancel.set()
            raise KeyboardInterrupt
        return {"items": list(range(offset, offset + 10)), "paging": {"total_results": 10**6}}

    with ThreadPoolExecutor(2) as pool, pytest.raises(KeyboardInterrupt):
        _walk(fetch, pool=pool, cancel=cancel)
    assert cancel.is_set() and len(started) < 12


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
    with pytest.raises(IncompleteReport, match="continuation token it had sent before"):
        list(iter_continuation_pages(lambda p: {"rows": [], "continuation_token": "x"}, {}))


@pytest.mark.parametrize("ending", ["null", "absent", "empty"])
def test_b6_null_absent_and_empty_tokens_all_end_the_walk(ending: str) -> None:
    def fetch(params: dict[str, Any]) -> dict[str, Any]:
        if "continuation_token" not in params:
            return {"rows": [1], "continuation_token": "t1"}
        page: dict[str, Any] = {"rows": [2]}
        if ending != "absent":
            page["continuation_token"] = None if ending == "null" else ""
        return page

    assert [p["rows"] for p in iter_continuation_pages(fetch, {})] == [[1], [2]]


def test_b6_any_earlier_token_is_refused_and_caps_hold() -> None:
    tokens = iter(["a", "b", "c", "a"])
    with pytest.raises(IncompleteReport) as caught:
        list(
            iter_continuation_pages(lambda p: {"rows": [0], "continuation_token": next(tokens)}, {})
        )
    assert caught.value.reason == "repeated_token" and len(caught.value.items) == 4
    counter = itertools.count()
    with pytest.raises(IncompleteReport) as capped:
        list(
            iter_continuation_pages(
                lambda p: {"rows": [0], "continuation_token": str(next(counter))},
                {},
                limits=PagingLimits(max_pages=9),
            )
        )
    assert capped.value.reason == "max_pages" and capped.value.pages == 9


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


@pytest.mark.parametrize("level", ["CAMPAIGN", "AD_ACCOUNT"])
def test_parents_of_top_level_reports_are_refused_before_any_request(level: str) -> None:
    """spec: getAggregateReport: include_parent_entity is not valid for CAMPAIGN/AD_ACCOUNT."""
    with pytest.raises(InvalidArgument, match="no parent entity"):
        plan_report_parts(entity_type=level, fields=["IMPRESSIONS"], include_parent_entity=True)
    assert plan_report_parts(
        entity_type="AD_SET", fields=["IMPRESSIONS"], include_parent_entity=True
    )
