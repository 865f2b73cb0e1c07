"""The sandbox's Ads API over real HTTP: discovery, paging, reports, tokens, errors (B1-B11, C)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import requests

from adstudio_nb.sandbox import Sandbox
from adstudio_nb.sandbox.ads_api import RULES
from adstudio_nb.sandbox.context import REPORTING, rate_limit_bucket
from tests.helpers import access_token

ZERO_UUID = "00000000-0000-4000-8000-000000000000"
REPORT = "entity_type=AD&fields=CLICKS"


class Api:
    def __init__(self, sandbox: Sandbox, user_id: str = "alex.analyst") -> None:
        self.sandbox = sandbox
        self.base = sandbox.api_base_url
        self.host = self.base.rsplit("/ads/v3", 1)[0]
        self.headers = {"Authorization": f"Bearer {access_token(sandbox, user_id)}"}

    def get(self, path: str, params: Any = None) -> requests.Response:
        return requests.get(self.base + path, headers=self.headers, params=params, timeout=30)

    def ok(self, path: str, params: Any = None) -> Any:
        answer = self.get(path, params)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def report(self, account: str, **params: Any) -> requests.Response:
        return self.get(f"/ad_accounts/{account}/aggregate_reports", params)


def ts(dt: Any) -> str:
    return str(dt.strftime("%Y-%m-%dT%H:%M:%SZ"))


def assert_b9(answer: requests.Response, status: int = 400) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    body: dict[str, Any] = answer.json()
    assert body["sp_trace_id"] and body["messages"]
    return body


@pytest.fixture(scope="module")
def api(shared_sandbox: Sandbox) -> Api:
    return Api(shared_sandbox)


@pytest.fixture(scope="module")
def account(api: Api) -> str:
    business = api.ok("/businesses")["businesses"][0]["id"]
    return str(api.ok(f"/businesses/{business}/ad_accounts")["ad_accounts"][0]["id"])


@pytest.fixture(scope="module")
def midnight(api: Api) -> Any:
    return api.sandbox.clock.now_datetime().replace(hour=0, minute=0, second=0, microsecond=0)


# -- B1 --------------------------------------------------------------


def test_b1_discovery_per_demo_user(shared_sandbox: Sandbox, api: Api) -> None:
    """B1: alex sees every business, sam one, nina an empty list; accounts via businesses."""
    alex = api.ok("/businesses")["businesses"]
    assert len(alex) == 3
    sam = Api(shared_sandbox, "sam.smallbiz")
    assert len(sam.ok("/businesses")["businesses"]) == 1
    nina = Api(shared_sandbox, "nina.newcomer")
    assert nina.ok("/businesses") == {"businesses": []}
    accounts = api.ok(f"/businesses/{alex[0]['id']}/ad_accounts")["ad_accounts"]
    assert accounts and all(a["business_id"] == alex[0]["id"] for a in accounts)
    one = api.ok(f"/ad_accounts/{accounts[0]['id']}")
    assert one["currency_code"] and one["billing_address"]["city"]


def test_b1_users_cannot_see_other_users_objects(shared_sandbox: Sandbox, api: Api) -> None:
    """B1: another business's account is 403, an unknown one 404, nina sees nothing."""
    sam = Api(shared_sandbox, "sam.smallbiz")
    sams = {b["id"] for b in sam.ok("/businesses")["businesses"]}
    other = next(b["id"] for b in api.ok("/businesses")["businesses"] if b["id"] not in sams)
    other_account = api.ok(f"/businesses/{other}/ad_accounts")["ad_accounts"][0]["id"]
    assert_b9(sam.get(f"/ad_accounts/{other_account}"), 403)
    assert_b9(sam.get(f"/ad_accounts/{other_account}/campaigns"), 403)
    assert_b9(sam.get(f"/businesses/{other}/ad_accounts"), 403)
    assert_b9(sam.get(f"/ad_accounts/{ZERO_UUID}"), 404)


# -- B3, B4 --------------------------------------------------------------


@pytest.mark.parametrize("collection", ["campaigns", "ad_sets", "ads", "assets"])
def test_b3_offset_paging_covers_everything_once(api: Api, account: str, collection: str) -> None:
    """B3: limit/offset pages with paging metadata, no overlap and no gap."""
    seen: list[str] = []
    offset = 0
    while True:
        page = api.ok(f"/ad_accounts/{account}/{collection}", {"limit": 7, "offset": offset})
        paging = page["paging"]
        assert paging["page_size"] == 7 and paging["offset"] == offset
        assert paging["current_page"] == offset // 7 + 1
        seen += [item["id"] for item in page[collection]]
        offset += 7
        if offset >= paging["total_results"]:
            break
    assert len(seen) == len(set(seen)) == paging["total_results"]


def test_b3_filters_and_sorting(api: Api, account: str) -> None:
    """B3: statuses filter, name filter, sort_field/sort_direction, ids filter."""
    everything = api.ok(f"/ad_accounts/{account}/campaigns")["paging"]["total_results"]
    active = api.ok(f"/ad_accounts/{account}/campaigns", {"statuses": "ACTIVE"})
    assert all(c["status"] == "ACTIVE" for c in active["campaigns"])
    assert active["paging"]["total_results"] < everything
    by_name = api.ok(
        f"/ad_accounts/{account}/campaigns", {"sort_field": "NAME", "sort_direction": "ASC"}
    )["campaigns"]
    names = [c["name"].casefold() for c in by_name]
    assert names == sorted(names)
    newest = api.ok(f"/ad_accounts/{account}/campaigns")["campaigns"]
    created = [c["created_at"] for c in newest]
    assert created == sorted(created, reverse=True)  # default CREATED_AT DESC
    campaign = newest[0]
    ad_sets = api.ok(f"/ad_accounts/{account}/ad_sets", {"campaign_ids": campaign["id"]})
    assert {s["campaign_id"] for s in ad_sets["ad_sets"]} == {campaign["id"]}
    word = campaign["name"].split()[0].upper()
    named = api.ok(f"/ad_accounts/{account}/campaigns", {"name": word})["campaigns"]
    assert named and all(word.casefold() in c["name"].casefold() for c in named)
    fields = api.ok(f"/ad_accounts/{account}/campaigns/{campaign['id']}", {"fields": "NAME"})
    assert set(fields) == {"id", "name"}


def test_b4_repeated_and_comma_joined_arrays_agree(api: Api, account: str) -> None:
    """B4: fields=A&fields=B and fields=A,B give the same answer."""
    repeated = api.report(account, entity_type="CAMPAIGN", fields=["IMPRESSIONS", "CLICKS"])
    joined = api.report(account, entity_type="CAMPAIGN", fields="IMPRESSIONS,CLICKS")
    assert repeated.json()["rows"] == joined.json()["rows"]
    statuses = api.ok(
        f"/ad_accounts/{account}/ad_sets", [("statuses", "ACTIVE"), ("statuses", "COMPLETED")]
    )
    joined_statuses = api.ok(f"/ad_accounts/{account}/ad_sets", {"statuses": "ACTIVE,COMPLETED"})
    assert statuses == joined_statuses


def test_b2_ad_set_budget_in_micros(api: Api, account: str) -> None:
    """B2: budget.micro_amount is in micros and carries the account currency."""
    currency = api.ok(f"/ad_accounts/{account}")["currency_code"]
    ad_set = api.ok(f"/ad_accounts/{account}/ad_sets", {"limit": 1})["ad_sets"][0]
    assert ad_set["budget"]["micro_amount"] >= 1_000_000
    assert ad_set["budget"]["currency"] == currency
    assert api.ok(f"/ad_accounts/{account}/ad_sets/{ad_set['id']}") == ad_set


# -- B5, B6, B7 --------------------------------------------------------------


def test_b5_day_rows_end_date_inclusive_with_zero_rows(
    api: Api, account: str, midnight: Any
) -> None:
    """B5: DAY end date included, one row per entity per day, zero rows kept."""
    start = midnight - timedelta(days=60)
    body = api.report(
        account,
        entity_type="CAMPAIGN",
        fields="IMPRESSIONS,SPEND",
        granularity="DAY",
        report_start=ts(start),
        report_end=ts(start + timedelta(days=2)),
        limit=50,
    ).json()
    rows = body["rows"]
    assert [r["start_time"] for r in rows[:3]] == [ts(start + timedelta(days=d)) for d in range(3)]
    assert rows[0]["end_time"] == ts(start + timedelta(days=1))
    assert rows[0]["entity_id"] == rows[2]["entity_id"] != rows[3]["entity_id"]
    assert any(r["stats"][0]["field_value"] == 0 for r in rows)
    assert body["report_start"] == ts(start)
    assert body["report_end"] == ts(start + timedelta(days=2))


def test_b5_hour_rows_inclusive_and_within_two_weeks(api: Api, account: str) -> None:
    """B5: HOUR T00-T23 gives 24 buckets; older than 14 days is a 400."""
    now = api.sandbox.clock.now_datetime().replace(minute=0, second=0, microsecond=0)
    day = (now - timedelta(days=2)).replace(hour=0)
    body = api.report(
        account,
        entity_type="AD_ACCOUNT",
        fields="IMPRESSIONS",
        granularity="HOUR",
        report_start=ts(day),
        report_end=ts(day.replace(hour=23)),
    ).json()
    assert len(body["rows"]) == 24
    old = now - timedelta(days=20)
    body = assert_b9(
        api.report(
            account,
            entity_type="AD",
            fields="IMPRESSIONS",
            granularity="HOUR",
            report_start=ts(old),
            report_end=ts(old + timedelta(hours=3)),
        )
    )
    assert "14 days" in body["messages"][0]


def _bad_report_params(midnight: Any) -> list[dict[str, Any]]:
    start = ts(midnight - timedelta(days=3))
    end = ts(midnight)
    return [
        {"fields": "IMPRESSIONS"},  # entity_type required
        {"entity_type": "AD"},  # fields required
        {"entity_type": "AD", "fields": "IMPRESSIONS,NOPE"},
        {"entity_type": "SHOE", "fields": "IMPRESSIONS"},
        {"entity_type": "AD", "fields": "IMPRESSIONS", "granularity": "WEEK"},
        {"entity_type": "AD", "fields": "IMPRESSIONS", "granularity": "DAY"},
        {
            "entity_type": "AD",
            "fields": "IMPRESSIONS",
            "granularity": "DAY",
            "report_start": ts(midnight - timedelta(days=120)),
            "report_end": end,
        },
        {
            "entity_type": "AD",
            "fields": "IMPRESSIONS",
            "granularity": "DAY",
            "report_start": ts(midnight + timedelta(hours=5)),
            "report_end": ts(midnight + timedelta(days=1)),
        },
        {
            "entity_type": "AD",
            "fields": "IMPRESSIONS",
            "granularity": "HOUR",
            "report_start": ts(midnight).replace(":00:00Z", ":30:00Z"),
            "report_end": end,
        },
        {"entity_type": "AD", "fields": "IMPRESSIONS", "report_start": "yesterday"},
        {"entity_type": "AD", "fields": "IMPRESSIONS", "report_start": "2026-01-01T00:00:00+02:00"},
        {
            "entity_type": "AD",
            "fields": "IMPRESSIONS",
            "granularity": "DAY",
            "report_start": end,
            "report_end": start,
        },
        {"entity_type": "AD", "fields": "IMPRESSIONS", "entity_ids": ZERO_UUID},
        {
            "entity_type": "AD",
            "fields": "IMPRESSIONS",
            "entity_ids": "nope",
            "entity_ids_type": "AD",
        },
        {
            "entity_type": "AD",
            "fields": "IMPRESSIONS",
            "entity_ids_type": "AD",
            "entity_ids": ",".join([ZERO_UUID] * 1)
            + ","
            + ",".join(f"00000000-0000-4000-8000-{i:012d}" for i in range(1, 51)),
        },
        {
            "entity_type": "CAMPAIGN",
            "fields": "IMPRESSIONS",
            "entity_ids": ZERO_UUID,
            "entity_ids_type": "AD",
        },
        {
            "entity_type": "AD_ACCOUNT",
            "fields": "IMPRESSIONS",
            "entity_ids": ZERO_UUID,
            "entity_ids_type": "CAMPAIGN",
        },
        {"entity_type": "AD", "fields": "IMPRESSIONS", "statuses": "ACTIVE"},
        {"entity_type": "AD", "fields": "IMPRESSIONS", "include_parent_entity": "maybe"},
        {"entity_type": "AD", "fields": "IMPRESSIONS", "limit": "0"},
        {"entity_type": "AD", "fields": "IMPRESSIONS", "limit": "51"},
        {"entity_type": "AD", "fields": "IMPRESSIONS", "limit": "1e3"},
        {"entity_type": "AD", "fields": "IMPRESSIONS", "limit": "9" * 5000},
        [("entity_type", "AD"), ("entity_type", "CAMPAIGN"), ("fields", "IMPRESSIONS")],
        {"continuation_token": "not-a-token"},
    ]


def test_b5_invalid_report_requests_are_400_with_b9_body(
    api: Api, account: str, midnight: Any
) -> None:
    """B5, B9: every malformed report request is a 400 with sp_trace_id and a message."""
    for params in _bad_report_params(midnight):
        answer = api.get(f"/ad_accounts/{account}/aggregate_reports", params)
        body = assert_b9(answer)
        assert body["error_codes"][0]["code"], params


def test_b6_continuation_tokens_walk_every_row_once(api: Api, account: str, midnight: Any) -> None:
    """B6: follow-up calls send only the token; the last page has none; rows in stable order."""
    params = {
        "entity_type": "AD_SET",
        "fields": "IMPRESSIONS",
        "granularity": "DAY",
        "report_start": ts(midnight - timedelta(days=4)),
        "report_end": ts(midnight),
        "limit": 50,
    }
    first = api.report(account, **params).json()
    ad_sets = api.ok(f"/ad_accounts/{account}/ad_sets")["paging"]["total_results"]
    rows, body = list(first["rows"]), first
    assert first["warnings"] == []
    while "continuation_token" in body:
        body = api.report(account, continuation_token=body["continuation_token"]).json()
        assert body["warnings"] == []
        rows += body["rows"]
    assert len(rows) == ad_sets * 5
    keys = [(r["entity_id"], r["start_time"]) for r in rows]
    assert len(set(keys)) == len(keys)
    assert api.report(account, **params).json()["rows"] == first["rows"]


def test_b6_other_parameters_with_a_token_are_ignored_with_a_warning(
    api: Api, account: str
) -> None:
    """B6: parameters next to a token are ignored and named in warnings; tampering is a 400."""
    first = api.report(account, entity_type="AD", fields="CLICKS", limit=2).json()
    token = first["continuation_token"]
    second = api.report(account, continuation_token=token, entity_type="CAMPAIGN", limit=40).json()
    assert len(second["rows"]) == 2 and second["rows"][0]["entity_type"] == "AD"
    assert "entity_type" in second["warnings"][0] and "limit" in second["warnings"][0]
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert_b9(api.report(account, continuation_token=tampered))


def test_b7_spend_in_units_and_conversion_sentinel(api: Api, account: str, midnight: Any) -> None:
    """B7: SPEND is a float in currency units; small conversion counts are -5."""
    body = api.report(
        account,
        entity_type="AD",
        fields="SPEND,PAGE_VIEWS,LEADS,ADD_TO_CART,PURCHASES,SIGN_UPS",
        granularity="DAY",
        report_start=ts(midnight - timedelta(days=10)),
        report_end=ts(midnight),
        limit=50,
    ).json()
    rows = list(body["rows"])
    while "continuation_token" in body and not any(
        s["field_value"] == -5 for r in rows for s in r["stats"]
    ):
        body = api.report(account, continuation_token=body["continuation_token"]).json()
        rows += body["rows"]
    values = [s["field_value"] for r in rows for s in r["stats"][1:]]
    assert not any(1 <= v <= 4 for v in values)
    assert -5 in values
    spends = [r["stats"][0]["field_value"] for r in rows]
    assert max(spends) < 100_000  # units, not micros


def test_b5_entity_filters_and_parents(api: Api, account: str) -> None:
    """B5: entity_ids with entity_ids_type (a parent level for LIFETIME), statuses, parents."""
    campaign = api.ok(f"/ad_accounts/{account}/campaigns", {"limit": 1})["campaigns"][0]
    body = api.report(
        account,
        entity_type="AD_SET",
        fields="IMPRESSIONS",
        entity_ids=campaign["id"],
        entity_ids_type="CAMPAIGN",
        include_parent_entity="true",
    ).json()
    assert body["rows"]
    assert {r["parent_entity"]["id"] for r in body["rows"]} == {campaign["id"]}
    completed = api.report(
        account,
        entity_type="AD_SET",
        fields="IMPRESSIONS",
        statuses="COMPLETED",
        entity_status_type="AD_SET",
    ).json()
    assert {r["entity_status"] for r in completed["rows"]} == {"COMPLETED"}


def test_b5_levels_agree_over_http(api: Api, account: str) -> None:
    """B5: lifetime account impressions equal the sum over its campaigns."""
    whole = api.report(account, entity_type="AD_ACCOUNT", fields="IMPRESSIONS").json()
    total = whole["rows"][0]["stats"][0]["field_value"]
    rows, params = [], {"entity_type": "CAMPAIGN", "fields": "IMPRESSIONS"}
    body = api.report(account, **params).json()
    rows += body["rows"]
    while "continuation_token" in body:
        body = api.report(account, continuation_token=body["continuation_token"]).json()
        rows += body["rows"]
    assert sum(r["stats"][0]["field_value"] for r in rows) == total


# -- B8 --------------------------------------------------------------


def _ad_sets_by_impressions(api: Api, account: str) -> list[tuple[int, str]]:
    body = api.report(account, entity_type="AD_SET", fields="IMPRESSIONS").json()
    return sorted((r["stats"][0]["field_value"], r["entity_id"]) for r in body["rows"])


def test_b8_totals_deduplicate_reach(api: Api, account: str) -> None:
    """B8: totals sum impressions; reach is deduplicated (below the sum of reaches)."""
    top = [i for _, i in _ad_sets_by_impressions(api, account)[-3:]]
    totals = api.ok(
        f"/ad_accounts/{account}/aggregate_reports/totals",
        {
            "entity_type": "AD_SET",
            "entity_ids": top,
            "granularity": "LIFETIME",
            "fields": "IMPRESSIONS,REACH",
        },
    )
    impressions, reach = (s["field_value"] for s in totals["rows"][0]["stats"])
    separate = api.report(
        account,
        entity_type="AD_SET",
        fields="IMPRESSIONS,REACH",
        entity_ids=top,
        entity_ids_type="AD_SET",
    ).json()["rows"]
    assert impressions == sum(r["stats"][0]["field_value"] for r in separate)
    assert reach < sum(r["stats"][1]["field_value"] for r in separate)
    assert_b9(
        api.get(
            f"/ad_accounts/{account}/aggregate_reports/totals",
            {
                "entity_type": "AD_SET",
                "entity_ids": top,
                "granularity": "HOUR",
                "fields": "IMPRESSIONS",
            },
        )
    )
    assert_b9(
        api.get(
            f"/ad_accounts/{account}/aggregate_reports/totals",
            {
                "entity_type": "AD_SET",
                "entity_ids": top,
                "granularity": "LIFETIME",
                "fields": "SPEND",
            },
        )
    )


def test_b8_insights_and_insufficient_data(api: Api, account: str) -> None:
    """B8: an insight breakdown for a big ad set; 422 INSUFFICIENT_* for a thin one."""
    ranked = _ad_sets_by_impressions(api, account)
    big = ranked[-1][1]
    body = api.ok(
        f"/ad_accounts/{account}/insight_reports",
        {
            "insight_dimension": "GENDER",
            "fields": "IMPRESSIONS,CLICKS",
            "entity_ids": big,
            "entity_ids_type": "AD_SET",
        },
    )
    assert {r["insight_value"] for r in body["rows"]} == {"FEMALE", "MALE", "NON_BINARY", "UNKNOWN"}
    assert sum(r["stats"][0]["field_value"] for r in body["rows"]) == ranked[-1][0]
    thin = ranked[0][1]
    answer = api.get(
        f"/ad_accounts/{account}/insight_reports",
        {
            "insight_dimension": "AGE",
            "fields": "IMPRESSIONS",
            "entity_ids": thin,
            "entity_ids_type": "AD_SET",
        },
    )
    error = assert_b9(answer, 422)
    assert error["error_codes"][0]["code"].startswith("ILLEGAL.INSIGHT_REPORT.INSUFFICIENT_")
    assert_b9(
        api.get(
            f"/ad_accounts/{account}/insight_reports",
            {"insight_dimension": "AGE", "fields": "SPEND"},
        )
    )


def test_b8_async_report_processing_ready_expired(sandbox: Sandbox) -> None:
    """B8: POST 201 {id}; PROCESSING until the clock moves, READY with a CSV URL, EXPIRED later."""
    api = Api(sandbox)
    business = api.ok("/businesses")["businesses"][0]["id"]
    account = api.ok(f"/businesses/{business}/ad_accounts")["ad_accounts"][0]["id"]
    created = requests.post(
        f"{api.base}/ad_accounts/{account}/async_reports",
        headers=api.headers,
        json={
            "name": "Daily campaigns",
            "granularity": "LIFETIME",
            "dimensions": ["CAMPAIGN_NAME", "AD_ACCOUNT_CURRENCY"],
            "metrics": ["IMPRESSIONS_ON_SPOTIFY", "SPEND", "CTR"],
            "statuses": ["ACTIVE", "PAUSED"],
        },
        timeout=30,
    )
    assert created.status_code == 201, created.text
    report_id = created.json()["id"]
    path = f"/ad_accounts/{account}/async_reports/{report_id}"
    assert api.ok(path)["status"] == "PROCESSING"
    sandbox.clock.advance(15)
    ready = api.ok(path)
    assert ready["status"] == "READY" and ready["report_url"]
    csv = requests.get(ready["report_url"], timeout=30)  # a storage link: no bearer
    assert csv.status_code == 200
    lines = csv.text.splitlines()
    assert lines[0].startswith("AD_ACCOUNT_CURRENCY,CAMPAIGN_NAME") and len(lines) > 1
    sandbox.clock.advance(24 * 3600)
    api = Api(sandbox)  # the old access token expired meanwhile (A11)
    assert api.ok(path)["status"] == "EXPIRED"
    assert_b9(api.get(f"/ad_accounts/{account}/async_reports/{ZERO_UUID}"), 404)
    bad = requests.post(
        f"{api.base}/ad_accounts/{account}/async_reports",
        headers=api.headers,
        json={"name": "x", "granularity": "HOUR", "dimensions": [], "metrics": []},
        timeout=30,
    )
    assert_b9(bad)


# -- C --------------------------------------------------------------


def test_c_v1_current_user_ad_accounts(shared_sandbox: Sandbox, api: Api) -> None:
    """C: the original guide's call answers the v1 shape with page_size/offset paging."""
    url = api.host + "/ads-sandbox/v1/currentUser/adAccounts"
    body = requests.get(url, headers=api.headers, timeout=30).json()
    assert body["total_ad_accounts"] == 8 == len(body["ad_accounts"])
    assert set(body["ad_accounts"][0]) == {
        "id",
        "organization_id",
        "name",
        "description",
        "website",
        "industry",
        "tax_id",
        "iso_country_code",
        "created_at",
        "last_modified",
    }
    page = requests.get(
        url, headers=api.headers, params={"page_size": 3, "offset": 6}, timeout=30
    ).json()
    assert len(page["ad_accounts"]) == 2 and page["total_ad_accounts"] == 8
    nina = Api(shared_sandbox, "nina.newcomer")
    assert requests.get(url, headers=nina.headers, timeout=30).json() == {
        "ad_accounts": [],
        "total_ad_accounts": 0,
    }


# -- bad input never 500 (B9), reporting bucket (B11) ----------------------------------------


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/ad_accounts/not-a-uuid/campaigns", ""),
        ("/ad_accounts/{account}/campaigns", "limit=abc"),
        ("/ad_accounts/{account}/campaigns", "limit=100"),
        ("/ad_accounts/{account}/campaigns", "offset=-1"),
        ("/ad_accounts/{account}/campaigns", "statuses=SLEEPING"),
        ("/ad_accounts/{account}/campaigns", "sort_field=COLOR"),
        ("/ad_accounts/{account}/campaigns", "campaign_ids=123"),
        ("/ad_accounts/{account}/campaigns", "limit=5&limit=6"),
        ("/ad_accounts/{account}/campaigns", "name=%ff%fe"),
        ("/ad_accounts/{account}/ads", "ad_set_ids=%00"),
        ("/ad_accounts/{account}/campaigns/{zero}", ""),
        ("/ad_accounts/{account}/ad_sets/xyz", ""),
        ("/ad_accounts/{account}/aggregate_reports", REPORT + "&report_start=9999-99-99T00:00:00Z"),
        ("/ad_accounts/{account}/aggregate_reports", REPORT + "&limit=" + "9" * 5000),
        ("/businesses/{zero}", ""),
        ("/businesses/{zero}/ad_accounts", "type=ROBOT"),
    ],
)
def test_b9_bad_input_is_never_a_500(api: Api, account: str, path: str, query: str) -> None:
    """B9: unknown enums, bad integers, bad UUIDs, repeats, non-UTF-8 give 400/404 bodies."""
    url = api.base + path.format(account=account, zero=ZERO_UUID) + ("?" + query if query else "")
    answer = requests.get(url, headers=api.headers, timeout=30)
    assert answer.status_code in (400, 404), answer.text
    assert_b9(answer, answer.status_code)


def test_b11_reporting_endpoints_use_the_reporting_bucket() -> None:
    """B11: aggregate, totals, insight and async report handlers count as reporting."""
    buckets = {rule.rule: rate_limit_bucket(rule.endpoint) for rule in RULES}  # type: ignore[arg-type]
    reporting = {path for path, bucket in buckets.items() if bucket == REPORTING}
    assert any(p.endswith("/aggregate_reports") for p in reporting)
    assert any(p.endswith("/aggregate_reports/totals") for p in reporting)
    assert any(p.endswith("/insight_reports") for p in reporting)
    assert any(p.endswith("/async_reports") for p in reporting)
    assert buckets["/ads/v3/businesses"] != REPORTING
