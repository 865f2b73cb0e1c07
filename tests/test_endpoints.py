"""The API calls to JSON (B1-B8), over a real client: listings of one account and of many
side by side (B3), account discovery (B1), reports split and followed to their end (B5, B6),
totals and insights (B8); complete, or a typed error carrying what arrived, against the
sandbox and against hostile servers. Waits run in virtual time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from adstudio_nb import endpoints
from adstudio_nb.client import AdsClient, RetryPolicy, StaticToken
from adstudio_nb.exceptions import (
    APIError,
    IncompleteListing,
    IncompleteReport,
    MalformedPayload,
    NotFound,
)
from adstudio_nb.paging import PagingLimits
from adstudio_nb.sandbox import Sandbox
from tests.helpers import access_token
from tests.reliability import hostile_server
from tests.reliability.hostile_server import HostileServer
from tests.test_pacing import VirtualClock

FAST_RETRY = RetryPolicy(max_attempts=10, backoff_s=0.01, backoff_max_s=0.05)
MISSING = "00000000-0000-4000-8000-000000000000"


@pytest.fixture(scope="module")
def client(shared_sandbox: Sandbox) -> Iterator[AdsClient]:
    token = access_token(shared_sandbox)
    with AdsClient(shared_sandbox.api_base_url, StaticToken(token), pacing=False) as c:
        yield c


@pytest.fixture(scope="module")
def account(client: AdsClient) -> str:
    return str(endpoints.all_ad_accounts(client)[0]["id"])


# -- against the sandbox (B1-B8) ----------------------------------------------------------------


def test_b1_discovery_through_businesses(client: AdsClient, account: str) -> None:
    found = endpoints.businesses(client)
    assert found and all(isinstance(b["id"], str) for b in found)
    every = endpoints.all_ad_accounts(client)
    per_business = [a for b in found for a in endpoints.business_ad_accounts(client, b["id"])]
    assert [a["id"] for a in every] == [a["id"] for a in per_business]
    assert endpoints.ad_account(client, account)["id"] == account


def test_b9_an_unknown_ad_account_is_not_found_with_its_trace_id(client: AdsClient) -> None:
    with pytest.raises(NotFound) as caught:
        endpoints.ad_account(client, MISSING)
    assert caught.value.trace_id and caught.value.url and caught.value.url.endswith(MISSING)


@pytest.mark.parametrize("kind", ["campaigns", "ad_sets", "ads"])
def test_b3_a_listing_holds_every_object_once(client: AdsClient, account: str, kind: str) -> None:
    items = endpoints.list_objects(client, account, kind)
    total = client.get(f"/ad_accounts/{account}/{kind}", {"limit": 1})["paging"]["total_results"]
    assert len(items) == total and len({i["id"] for i in items}) == total


def test_b5_b6_a_split_report_equals_the_unsplit_one(client: AdsClient, account: str) -> None:
    """B5/B6: cut into parts run side by side, the report's rows are those of one walk."""
    common: dict[str, Any] = {
        "entity_type": "AD_SET",
        "fields": ["IMPRESSIONS", "CLICKS"],
        "granularity": "DAY",
        "start": date(2026, 5, 1),
        "end": datetime(2026, 5, 20, tzinfo=UTC),
    }
    split = [
        r for p in endpoints.aggregate_report_pages(client, account, **common) for r in p["rows"]
    ]
    whole = [
        r
        for p in endpoints.aggregate_report_pages(client, account, split=False, **common)
        for r in p["rows"]
    ]
    key = lambda r: (r["entity_id"], r["start_time"])  # noqa: E731
    assert sorted(split, key=key) == sorted(whole, key=key) and len(split) > 50
    assert {r["start_time"][:10] for r in split} == {f"2026-05-{d:02d}" for d in range(1, 21)}


def test_b8_totals_take_1_to_50_ids_and_dates_in_any_form(client: AdsClient, account: str) -> None:
    ids = [a["id"] for a in endpoints.list_objects(client, account, "ad_sets")[:3]]
    body = endpoints.aggregate_totals(
        client,
        account,
        entity_type="AD_SET",
        entity_ids=ids,
        fields=["REACH"],
        granularity="DAY",
        start="2026-05-01",
        end=date(2026, 5, 3),
    )
    assert isinstance(body, dict)
    for wrong in ([], [MISSING] * 51):
        with pytest.raises(ValueError, match="1 to 50"):
            endpoints.aggregate_totals(
                client, account, entity_type="AD_SET", entity_ids=wrong, fields=["REACH"]
            )


def test_b1_a_business_without_an_id_is_a_typed_error(monkeypatch: pytest.MonkeyPatch) -> None:
    with AdsClient("http://127.0.0.1:9/ads/v3", StaticToken("t"), pacing=False) as c:
        monkeypatch.setattr(c, "get", lambda path, params=None: {"businesses": [{"name": "x"}]})
        with pytest.raises(APIError, match="without an id"):
            endpoints.all_ad_accounts(c)
        monkeypatch.setattr(c, "get", lambda path, params=None: [1, 2])
        with pytest.raises(MalformedPayload):
            endpoints.ad_account(c, "a")


# -- many accounts side by side (B3) ----------------------------------------------------------


def _fake_listing(sizes: dict[str, int], *, with_total: bool) -> Any:
    """A ``get`` answering ``/ad_accounts/<id>/campaigns`` from made-up accounts."""
    calls: list[tuple[str, int]] = []

    def get(path: str, params: Any = None) -> dict[str, Any]:
        account = path.split("/")[2]
        offset, limit = params["offset"], params["limit"]
        calls.append((account, offset))
        items = [
            {"id": f"{account}-{i}"} for i in range(offset, min(offset + limit, sizes[account]))
        ]
        page: dict[str, Any] = {"campaigns": items}
        if with_total:
            page["paging"] = {"total_results": sizes[account], "page_size": limit}
        return page

    get.calls = calls  # type: ignore[attr-defined]
    return get


@pytest.mark.parametrize("with_total", [True, False])
def test_b3_many_accounts_are_complete_and_in_order(
    monkeypatch: pytest.MonkeyPatch, with_total: bool
) -> None:
    sizes = {"a": 120, "b": 0, "c": 50, "d": 7, "e": 260}
    with AdsClient("https://example.invalid/ads/v3", StaticToken("t"), max_workers=3) as c:
        fake = _fake_listing(sizes, with_total=with_total)
        monkeypatch.setattr(c, "get", fake)
        seen: list[int] = []
        chunks = endpoints.list_objects_many(c, list(sizes), "campaigns", on_page=seen.append)
    for account, chunk in zip(sizes, chunks, strict=True):
        assert [i["id"] for i in chunk] == [f"{account}-{n}" for n in range(sizes[account])]
    if with_total:  # every page exactly once; the walk without totals re-reads first pages
        assert sorted(fake.calls) == sorted(set(fake.calls))
        assert sum(seen) == sum(sizes.values())


def test_b3_an_error_on_a_later_page_of_many_accounts_is_raised(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with AdsClient("https://example.invalid/ads/v3", StaticToken("t"), max_workers=2) as c:
        fake = _fake_listing({"a": 200, "b": 300}, with_total=True)

        def get(path: str, params: Any = None) -> dict[str, Any]:
            if params["offset"] == 150:
                raise NotFound("gone")
            return fake(path, params)  # type: ignore[no-any-return]

        monkeypatch.setattr(c, "get", get)
        with pytest.raises(NotFound):
            endpoints.list_objects_many(c, ["a", "b"], "campaigns")
        assert c.get("/ad_accounts/a/campaigns", {"offset": 0, "limit": 50})  # still usable


def test_b3_listing_dedupe_survives_odd_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    """B3: duplicates across pages are dropped by id; an id that is not text cannot crash it."""
    pages = {
        0: {"campaigns": [{"id": ["odd"]}, {"id": "a"}]},
        2: {"campaigns": [{"id": "a"}, {"id": "b"}]},
        4: {"campaigns": []},
    }
    with AdsClient("http://127.0.0.1:9", StaticToken("t"), pacing=False, page_size=2) as client:
        monkeypatch.setattr(client, "get", lambda path, params: pages[params["offset"]])
        items = endpoints.list_items(client, "/ad_accounts/x/campaigns", items_key="campaigns")
    assert items == [{"id": ["odd"]}, {"id": "a"}, {"id": "b"}]


# -- complete or loud, and bounded, against a hostile server (B3, B6, B11) ------------------------

ACCOUNT = hostile_server.ACCOUNT
ACCOUNT_CLICKS: dict[str, Any] = {"entity_type": "AD_ACCOUNT", "fields": ["CLICKS"]}


def _hostile_client(server: HostileServer, **options: Any) -> AdsClient:
    defaults: dict[str, Any] = {"pacing": False, "max_workers": 4, "retry": FAST_RETRY}
    clock = VirtualClock()
    defaults.update(clock=clock, sleep=clock.sleep)
    return AdsClient(server.api_base_url, StaticToken("hostile"), **{**defaults, **options})


def test_b3_published_zero_paging_lists_all_60_campaigns() -> None:
    """B3: Spotify's published samples carry paging zeros; 60 campaigns are 60, not 50."""
    with HostileServer("zero_paging") as server, _hostile_client(server) as c:
        items = endpoints.list_objects(c, ACCOUNT, "campaigns")
        many = endpoints.list_objects_many(c, [ACCOUNT, ACCOUNT], "campaigns")
    assert [i["id"] for i in items] == [hostile_server._item(n)["id"] for n in range(60)]
    assert [len(m) for m in many] == [60, 60]


def test_b3_full_pages_without_total_end_in_incomplete_listing_with_the_items() -> None:
    """B1/B3: full pages of new items forever end at the item cap, typed, items attached."""
    limits = PagingLimits(max_items=500)
    with (
        HostileServer("no_total") as server,
        _hostile_client(server, paging_limits=limits) as c,
        pytest.raises(IncompleteListing) as caught,
    ):
        endpoints.list_objects(c, ACCOUNT, "campaigns")
    error = caught.value
    assert error.reason == "max_items" and len(error.items) > 500 and error.pages > 10
    assert f"campaigns of ad account {ACCOUNT}" in str(error) and "items" in str(error)
    assert isinstance(error, APIError) and server.count <= error.pages + 1


def test_b3_a_page_cap_also_ends_a_walk() -> None:
    """B3: the page cap holds whatever the item cap."""
    with (
        HostileServer("no_total") as server,
        _hostile_client(server, paging_limits=PagingLimits(max_pages=7)) as c,
        pytest.raises(IncompleteListing) as caught,
    ):
        endpoints.list_objects(c, ACCOUNT, "campaigns")
    assert caught.value.reason == "max_pages" and caught.value.pages == 7
    assert server.count == 7


def test_b3_a_lying_total_with_empty_pages_costs_a_bounded_number_of_requests() -> None:
    """B3: total_results 10**12 then empty pages: the first empty page ends the walk."""
    with HostileServer("lying_total") as server, _hostile_client(server) as c:
        items = endpoints.list_objects(c, ACCOUNT, "campaigns")
        sent = server.count
        many = endpoints.list_objects_many(c, [ACCOUNT] * 5, "campaigns")
        sent_many = server.count - sent
    assert len(items) == 50 and [len(m) for m in many] == [50] * 5
    window = 2 * c.max_workers  # pages fetched ahead at most, per listing
    assert sent <= 1 + window and sent_many <= 5 * (1 + window)


def test_b6_ever_new_continuation_tokens_end_in_incomplete_report() -> None:
    """B6: a server that never stops handing out new tokens is stopped by the page cap."""
    with (
        HostileServer("endless_tokens") as server,
        _hostile_client(server, paging_limits=PagingLimits(max_pages=30)) as c,
        pytest.raises(IncompleteReport) as caught,
    ):
        list(
            endpoints.aggregate_report_pages(
                c, ACCOUNT, entity_type="AD_ACCOUNT", fields=["CLICKS"]
            )
        )
    assert caught.value.reason == "max_pages" and len(caught.value.items) == 30
    assert server.count == 30


def test_b6_a_token_seen_before_is_refused_not_only_the_previous_one() -> None:
    """B6: tokens a, b, a, b...: the third page's token was seen two pages earlier."""
    with (
        HostileServer("alternating_tokens") as server,
        _hostile_client(server) as c,
        pytest.raises(IncompleteReport) as caught,
    ):
        list(
            endpoints.aggregate_report_pages(
                c, ACCOUNT, entity_type="AD_ACCOUNT", fields=["CLICKS"]
            )
        )
    assert caught.value.reason == "repeated_token" and server.count == 3
    assert len(caught.value.items) == 3
