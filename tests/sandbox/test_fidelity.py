"""Where the sandbox was friendlier than Spotify, it now answers as Spotify does (B5-B11, spec).

Each test names the behaviour it holds the sandbox to: a SPOTIFY_ADS.md id, or the spec's
operation where that file has none ("spec: getAggregateReport").
"""

from __future__ import annotations

import random
from typing import Any

import pytest
import requests

from adstudio_nb.sandbox import FaultPlan, Sandbox
from tests.helpers import access_token


class Api:
    def __init__(self, sandbox: Sandbox) -> None:
        self.base = sandbox.api_base_url
        self.headers = {"Authorization": f"Bearer {access_token(sandbox)}"}

    def get(self, path: str, **params: Any) -> requests.Response:
        return requests.get(self.base + path, headers=self.headers, params=params, timeout=60)

    def ok(self, path: str, **params: Any) -> Any:
        answer = self.get(path, **params)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def post(self, path: str, body: Any) -> requests.Response:
        return requests.post(self.base + path, headers=self.headers, json=body, timeout=60)


@pytest.fixture(scope="module")
def api(shared_sandbox: Sandbox) -> Api:
    return Api(shared_sandbox)


@pytest.fixture(scope="module")
def account(api: Api) -> str:
    business = api.ok("/businesses")["businesses"][0]["id"]
    return str(api.ok(f"/businesses/{business}/ad_accounts")["ad_accounts"][0]["id"])


def _stats(row: dict[str, Any]) -> dict[str, Any]:
    return {s["field_type"]: s["field_value"] for s in row["stats"]}


def _rows(api: Api, account: str, level: str, fields: list[str], **params: Any) -> list[Any]:
    rows: list[Any] = []
    body = api.ok(
        f"/ad_accounts/{account}/aggregate_reports",
        entity_type=level,
        fields=fields,
        limit=50,
        **params,
    )
    for _ in range(1000):
        rows.extend(body["rows"])
        if not body.get("continuation_token"):
            return rows
        body = api.ok(
            f"/ad_accounts/{account}/aggregate_reports",
            continuation_token=body["continuation_token"],
        )
    raise AssertionError("the report did not end within 1000 pages")


# -- include_parent_entity ----------------------------------------------------------------------


@pytest.mark.parametrize("level", ["CAMPAIGN", "AD_ACCOUNT"])
def test_include_parent_entity_is_refused_for_top_level_reports(
    api: Api, account: str, level: str
) -> None:
    """spec: getAggregateReport, include_parent_entity is not valid for AD_ACCOUNT and CAMPAIGN."""
    answer = api.get(
        f"/ad_accounts/{account}/aggregate_reports",
        entity_type=level,
        fields="IMPRESSIONS",
        include_parent_entity="true",
    )
    assert answer.status_code == 400, answer.text
    assert "include_parent_entity" in answer.json()["messages"][0]
    # false is the default, and saying so stays valid.
    assert (
        api.get(
            f"/ad_accounts/{account}/aggregate_reports",
            entity_type=level,
            fields="IMPRESSIONS",
            include_parent_entity="false",
        ).status_code
        == 200
    )


def test_include_parent_entity_still_works_below_the_campaign(api: Api, account: str) -> None:
    """spec: getAggregateReport, AD_SET and AD rows carry their parent on request."""
    body = api.ok(
        f"/ad_accounts/{account}/aggregate_reports",
        entity_type="AD_SET",
        fields="IMPRESSIONS",
        include_parent_entity="true",
        limit=5,
    )
    assert all("parent_entity" in row for row in body["rows"])


def test_include_parent_entity_is_refused_on_insight_reports(api: Api, account: str) -> None:
    """spec: getAudienceInsightReport, include_parent_entity is only valid for aggregates."""
    answer = api.get(
        f"/ad_accounts/{account}/insight_reports",
        insight_dimension="AGE",
        fields="IMPRESSIONS",
        include_parent_entity="true",
    )
    assert answer.status_code == 400, answer.text


# -- reach and frequency (B5, B8) ----------------------------------------------------------------

REACH_FIELDS = ["IMPRESSIONS", "REACH", "FREQUENCY", "PAID_LISTENS", "PAID_LISTENS_REACH"]


def _check_group(total: dict[str, Any], parts: list[dict[str, Any]], what: str) -> None:
    for count, reach in (("IMPRESSIONS", "REACH"), ("PAID_LISTENS", "PAID_LISTENS_REACH")):
        reaches = [p[reach] for p in parts]
        if not any(reaches):
            assert total[reach] == 0, what
            continue
        assert max(reaches) <= total[reach] <= sum(reaches), (what, reach, total[reach], reaches)
        assert total[reach] <= total[count], what


def test_b8_totals_reach_lies_between_the_largest_single_reach_and_the_sum(
    api: Api, account: str
) -> None:
    """spec: getAggregatedTotals, deduplicated reach of 12 random sets, at every level."""
    rng = random.Random(12)
    for level in ("CAMPAIGN", "AD_SET", "AD"):
        rows = [r for r in _rows(api, account, level, REACH_FIELDS) if _stats(r)["IMPRESSIONS"]]
        singles = {r["entity_id"]: _stats(r) for r in rows}
        for _ in range(4):
            chosen = rng.sample(sorted(singles), min(len(singles), rng.randint(2, 8)))
            body = api.ok(
                f"/ad_accounts/{account}/aggregate_reports/totals",
                entity_type=level,
                entity_ids=chosen,
                granularity="LIFETIME",
                fields=["IMPRESSIONS", "REACH", "FREQUENCY"],
            )
            total = {s["field_type"]: s["field_value"] for s in body["rows"][0]["stats"]}
            reaches = [singles[i]["REACH"] for i in chosen]
            assert max(reaches) <= total["REACH"] <= sum(reaches), (level, total, reaches)
            assert total["IMPRESSIONS"] == sum(singles[i]["IMPRESSIONS"] for i in chosen)
            assert total["FREQUENCY"] == round(total["IMPRESSIONS"] / total["REACH"], 2)


@pytest.mark.parametrize(
    ("parent", "child", "key"),
    [
        ("AD_ACCOUNT", "CAMPAIGN", None),
        ("CAMPAIGN", "AD_SET", "CAMPAIGN"),
        ("AD_SET", "AD", "AD_SET"),
    ],
)
def test_b5_a_parents_reach_lies_between_its_childrens_largest_reach_and_their_sum(
    api: Api, account: str, parent: str, child: str, key: str | None
) -> None:
    """B5: reach deduplicates children at every level; frequency is impressions / reach."""
    parents = _rows(api, account, parent, REACH_FIELDS)
    extra = {"include_parent_entity": "true"} if key else {}  # not valid for CAMPAIGN rows
    children = _rows(api, account, child, REACH_FIELDS, **extra)
    by_parent: dict[str, list[dict[str, Any]]] = {}
    for row in children:
        owner = row["parent_entity"]["id"] if key else account
        by_parent.setdefault(owner, []).append(_stats(row))
    checked = 0
    for row in parents:
        stats = _stats(row)
        if stats["REACH"]:
            assert stats["FREQUENCY"] == round(stats["IMPRESSIONS"] / stats["REACH"], 2)
        _check_group(stats, by_parent.get(row["entity_id"], []), f"{parent} {row['entity_id']}")
        checked += bool(stats["REACH"])
    assert checked


def test_b5_daily_reach_obeys_the_same_invariants(
    api: Api, account: str, shared_sandbox: Sandbox
) -> None:
    """B5: per DAY bucket too, an ad set's reach lies between its ads' largest and their sum."""
    today = shared_sandbox.clock.now_datetime().replace(hour=0, minute=0, second=0, microsecond=0)
    from datetime import timedelta

    window = {
        "granularity": "DAY",
        "report_start": (today - timedelta(days=6)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "report_end": (today - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    sets = _rows(api, account, "AD_SET", REACH_FIELDS, **window)
    ads = _rows(api, account, "AD", REACH_FIELDS, include_parent_entity="true", **window)
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in ads:
        groups.setdefault((row["parent_entity"]["id"], row["start_time"]), []).append(_stats(row))
    for row in sets:
        _check_group(_stats(row), groups.get((row["entity_id"], row["start_time"]), []), "day")


# -- the privacy sentinel (B7) --------------------------------------------------------------------


def test_b7_no_derived_metric_reveals_a_count_hidden_by_the_sentinel(api: Api) -> None:
    """B7: with LEADS or PURCHASES -5, cost-per and per-order metrics are suppressed too."""
    fields = [
        "SPEND",
        "REVENUE",
        "LEADS",
        "PURCHASES",
        "COST_PER_LEAD",
        "CUSTOMER_ACQUISITION_COST",
        "AVERAGE_ORDER_VALUE",
    ]
    hidden = {
        "LEADS": ["COST_PER_LEAD"],
        "PURCHASES": ["CUSTOMER_ACQUISITION_COST", "AVERAGE_ORDER_VALUE"],
    }
    seen = dict.fromkeys(hidden, 0)
    for business in api.ok("/businesses")["businesses"]:
        for acct in api.ok(f"/businesses/{business['id']}/ad_accounts")["ad_accounts"]:
            for row in _rows(api, acct["id"], "AD", fields):
                stats = _stats(row)
                for count, derived in hidden.items():
                    if stats[count] != -5:
                        continue
                    seen[count] += 1
                    for name in derived:
                        assert stats[name] == -5, (count, name, stats)
    assert all(seen.values()), seen  # the data set has hidden counts of both kinds


# -- async reports (B8) -------------------------------------------------------------------------

VALID_ASYNC = {
    "name": "fidelity",
    "granularity": "LIFETIME",
    "dimensions": ["CAMPAIGN_NAME"],
    "metrics": ["IMPRESSIONS_ON_SPOTIFY"],
}


@pytest.mark.parametrize(
    ("change", "word"),
    [
        ({"granularity": None}, "granularity"),
        ({"insight_dimension": "SHOE_SIZE"}, "insight_dimension"),
        ({"attribution_window": "CLICK_1_DAY"}, "attribution_window"),
    ],
)
def test_create_async_report_validates_like_the_spec(
    api: Api, account: str, change: dict[str, Any], word: str
) -> None:
    """spec: createAsyncReport, granularity is required; insight_dimension and attribution_window
    must be values of their enums."""
    body = {k: v for k, v in {**VALID_ASYNC, **change}.items() if v is not None}
    answer = api.post(f"/ad_accounts/{account}/async_reports", body)
    assert answer.status_code == 400, answer.text
    assert word in answer.json()["messages"][0]


def test_create_async_report_accepts_the_spec_enums(api: Api, account: str) -> None:
    """spec: createAsyncReport, valid insight_dimension and attribution_window are accepted."""
    body = {**VALID_ASYNC, "insight_dimension": "AGE", "attribution_window": "IMPRESSION_7_DAY"}
    assert api.post(f"/ad_accounts/{account}/async_reports", body).status_code == 201


# -- rate-limit headers and error codes (B9, B11) -------------------------------------------------

RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


def test_b11_client_errors_carry_the_rate_limit_headers(sandbox: Sandbox) -> None:
    """B11: 400, 403, 404 and 422 answers count and say so in X-RateLimit-*, like Spotify."""
    api = Api(sandbox)
    paths = [
        ("/ad_accounts/not-a-uuid", {}),
        ("/ad_accounts/00000000-0000-4000-8000-000000000000", {}),
        ("/no/such/endpoint", {}),
    ]
    remaining = []
    for path, params in paths:
        answer = api.get(path, **params)
        assert 400 <= answer.status_code < 500, answer.text
        assert all(h in answer.headers for h in RATE_HEADERS), (path, dict(answer.headers))
        remaining.append(int(answer.headers["X-RateLimit-Remaining"]))
    assert remaining == sorted(remaining, reverse=True) and len(set(remaining)) == len(remaining)


@pytest.mark.parametrize("shapes", ["spec", "published"])
def test_b11_injected_429s_carry_retry_after_and_the_rate_limit_headers(shapes: str) -> None:
    """B11: a 429 fault looks like a real limit: Retry-After and X-RateLimit-*, remaining 0."""
    with Sandbox(faults=FaultPlan(rate=1.0, kinds=("429",)), shapes=shapes) as sb:
        answer = Api(sb).get("/businesses")
        assert answer.status_code == 429
        assert answer.headers["Retry-After"] == answer.headers["X-RateLimit-Reset"]
        assert answer.headers["X-RateLimit-Remaining"] == "0"
        assert answer.headers["X-RateLimit-Limit"] == "1500"
        key = "errorCodes" if shapes == "published" else "error_codes"
        assert answer.json()[key][0]["code"]


@pytest.mark.parametrize("shapes", ["spec", "published"])
def test_b9_every_error_body_carries_its_codes_under_the_shapes_key(shapes: str) -> None:
    """B9: routing, fault and handler errors all carry codes: ``error_codes`` under the spec's
    shapes (its ErrorResponse), ``errorCodes`` under the published ones (live answers)."""
    key, other = (
        ("errorCodes", "error_codes") if shapes == "published" else ("error_codes", "errorCodes")
    )
    with Sandbox(shapes=shapes, rate_limits="off") as sb:
        api = Api(sb)
        for path in ("/no/such/endpoint", "/ad_accounts/not-a-uuid"):
            body = api.get(path).json()
            assert body[key][0]["code"] and other not in body, body
        sb.faults = FaultPlan(rate=1.0, kinds=("503",))
        body = api.get("/businesses").json()
        assert body[key][0]["code"] and other not in body, body
