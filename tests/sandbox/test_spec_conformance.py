"""Every JSON body of the sandbox's Ads API validates against Spotify's OpenAPI spec (B2-B9).

The spec is read from ``../shared/spotify-ads-v3/openapi.yaml`` (never copied into the repo);
the tests skip with a reason when it is absent. Every test runs under each answer shape of the
sandbox (``any_shape_sandbox``): the spec's and the published samples'.

One documented disagreement: the spec's ``AggregateReportResponse`` marks
``continuation_token`` ``nullable: false`` while its own description says "If null, no more
pages are available" (B6). A null token on a last page is accepted as exactly that and nothing
else; the rest of such a body must validate.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from openapi_schema_validator import OAS30Validator

from adstudio_nb.sandbox import Sandbox
from tests.helpers import access_token

SPEC_PATH = (
    Path(__file__).resolve().parents[2].parent / "shared" / "spotify-ads-v3" / "openapi.yaml"
)


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    if not SPEC_PATH.exists():
        pytest.skip(f"Spotify's Ads API spec is not at {SPEC_PATH}; nothing to validate against.")
    loaded: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    return loaded


def assert_valid(spec: dict[str, Any], schema_name: str, body: Any) -> None:
    schema = {"components": spec["components"], "$ref": f"#/components/schemas/{schema_name}"}
    validator = OAS30Validator(schema, format_checker=OAS30Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
    if schema_name == "AggregateReportResponse" and body.get("continuation_token", "") is None:
        # B6: the description's "If null, no more pages" against the schema's nullable: false.
        assert [list(e.path) for e in errors if e.validator == "type"][:1] == [
            ["continuation_token"]
        ], errors
        errors = [e for e in errors if list(e.path) != ["continuation_token"]]
    if schema_name == "ErrorResponse" and isinstance(body, dict) and "errorCodes" in body:
        # B9: the live casing carries the same ErrorCode items as the spec's error_codes.
        assert "error_codes" not in body, body
        renamed = {("error_codes" if k == "errorCodes" else k): v for k, v in body.items()}
        assert_valid(spec, schema_name, renamed)
    assert not errors, f"{schema_name}: " + "; ".join(
        f"{list(e.path)}: {e.message[:200]}" for e in errors[:5]
    )


class Api:
    def __init__(self, sandbox: Sandbox, token: str) -> None:
        self.sandbox = sandbox
        self.base = sandbox.api_base_url
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, **params: Any) -> requests.Response:
        return requests.get(self.base + path, headers=self.headers, params=params, timeout=30)


@pytest.fixture(scope="module")
def api(any_shape_sandbox: Sandbox) -> Iterator[Api]:
    yield Api(any_shape_sandbox, access_token(any_shape_sandbox))


@pytest.fixture(scope="module")
def account_id(api: Api) -> str:
    business = api.get("/businesses").json()["businesses"][0]["id"]
    return str(api.get(f"/businesses/{business}/ad_accounts").json()["ad_accounts"][0]["id"])


def test_b1_discovery_bodies_match_spec(spec: dict[str, Any], api: Api) -> None:
    """B1, B2: businesses, a business, its ad accounts and one ad account."""
    businesses = api.get("/businesses").json()
    assert_valid(spec, "GetBusinessesResponse", businesses)
    for business in businesses["businesses"]:
        assert_valid(spec, "BusinessResponse", api.get(f"/businesses/{business['id']}").json())
        accounts = api.get(f"/businesses/{business['id']}/ad_accounts").json()
        assert_valid(spec, "BusinessAdAccountsResponse", accounts)
        for account in accounts["ad_accounts"]:
            body = api.get(f"/ad_accounts/{account['id']}").json()
            assert_valid(spec, "AdAccountResponse", body)


@pytest.mark.parametrize(
    ("collection", "list_schema", "item_schema"),
    [
        ("campaigns", "CampaignsListResponse", "CampaignResponse"),
        ("ad_sets", "AdSetsResponse", "AdSetResponse"),
        ("ads", "AdsListResponse", "AdResponse"),
        ("assets", "AssetsResponse", "AssetResponse"),
    ],
)
def test_b3_object_lists_and_gets_match_spec(
    spec: dict[str, Any],
    api: Api,
    account_id: str,
    collection: str,
    list_schema: str,
    item_schema: str,
) -> None:
    """B2, B3: every listed object, the paging object and the get-by-id body."""
    for offset in range(0, 100_000, 50):
        page = api.get(f"/ad_accounts/{account_id}/{collection}", offset=offset).json()
        assert_valid(spec, list_schema, page)
        if len(page[collection]) < 50:  # not total_results: published paging says 0 (B3)
            break
    first = page[collection][0]
    one = api.get(f"/ad_accounts/{account_id}/{collection}/{first['id']}").json()
    assert_valid(spec, item_schema, one)


@pytest.mark.parametrize("granularity", ["LIFETIME", "DAY", "HOUR"])
@pytest.mark.parametrize("entity_type", ["AD_ACCOUNT", "CAMPAIGN", "AD_SET", "AD"])
def test_b5_aggregate_report_pages_match_spec(
    spec: dict[str, Any], api: Api, account_id: str, entity_type: str, granularity: str
) -> None:
    """B5, B6, B7: every field of the enum, parents included, first and follow-up pages."""
    from adstudio_nb.sandbox.data import REPORT_FIELDS

    now = api.sandbox.clock.now_datetime().replace(minute=0, second=0, microsecond=0)
    params: dict[str, Any] = {
        "entity_type": entity_type,
        "fields": list(REPORT_FIELDS),
        "granularity": granularity,
        "limit": 20,
    }
    if entity_type in ("AD_SET", "AD"):  # not valid for the top-level types (spec)
        params["include_parent_entity"] = "true"
    if granularity == "DAY":
        params["report_start"] = (now.replace(hour=0) - _days(10)).strftime("%Y-%m-%dT%H:%M:%SZ")
        params["report_end"] = now.replace(hour=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    elif granularity == "HOUR":
        params["report_start"] = (now - _days(2)).strftime("%Y-%m-%dT%H:%M:%SZ")
        params["report_end"] = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    body = api.get(f"/ad_accounts/{account_id}/aggregate_reports", **params).json()
    assert_valid(spec, "AggregateReportResponse", body)
    if body.get("continuation_token"):
        follow = api.get(
            f"/ad_accounts/{account_id}/aggregate_reports",
            continuation_token=body["continuation_token"],
            limit=5,
        ).json()
        assert_valid(spec, "AggregateReportResponse", follow)
        assert follow["warnings"]


def test_b6_every_report_page_to_the_last_matches_spec(
    spec: dict[str, Any], api: Api, account_id: str
) -> None:
    """B6: three walks to the end (under published shapes: null, absent and "" endings)."""
    endings = set()
    for _ in range(3):
        body = api.get(
            f"/ad_accounts/{account_id}/aggregate_reports",
            entity_type="AD",
            fields=["IMPRESSIONS", "SPEND"],
            limit=50,
        ).json()
        for _page in range(1000):
            assert_valid(spec, "AggregateReportResponse", body)
            if not body.get("continuation_token"):
                break
            body = api.get(
                f"/ad_accounts/{account_id}/aggregate_reports",
                continuation_token=body["continuation_token"],
            ).json()
        endings.add(repr(body.get("continuation_token", "absent")))
    published = api.sandbox.shapes.name == "published"
    assert endings == ({"None", "'absent'", "''"} if published else {"'absent'"})


def _days(n: int) -> Any:
    from datetime import timedelta

    return timedelta(days=n)


def test_b8_totals_insights_async_match_spec(
    spec: dict[str, Any], api: Api, account_id: str
) -> None:
    """B8: totals (LIFETIME and DAY), an insight report and the async report bodies."""
    report = api.get(
        f"/ad_accounts/{account_id}/aggregate_reports",
        entity_type="AD_SET",
        fields="IMPRESSIONS",
        limit=50,
    ).json()
    delivered = [r["entity_id"] for r in report["rows"] if r["stats"][0]["field_value"] > 100_000]
    assert delivered
    totals = api.get(
        f"/ad_accounts/{account_id}/aggregate_reports/totals",
        entity_type="AD_SET",
        entity_ids=delivered[:5],
        granularity="LIFETIME",
        fields=["IMPRESSIONS", "CLICKS", "CTR", "REACH", "FREQUENCY"],
    ).json()
    assert_valid(spec, "AggregatedTotalsResponse", totals)
    now = api.sandbox.clock.now_datetime().replace(hour=0, minute=0, second=0, microsecond=0)
    daily = api.get(
        f"/ad_accounts/{account_id}/aggregate_reports/totals",
        entity_type="AD_SET",
        entity_ids=delivered[:5],
        granularity="DAY",
        report_start=(now - _days(5)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        report_end=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        fields="IMPRESSIONS,REACH",
    ).json()
    assert_valid(spec, "AggregatedTotalsResponse", daily)
    insight = api.get(
        f"/ad_accounts/{account_id}/insight_reports",
        insight_dimension="AGE",
        fields="IMPRESSIONS,CLICKS,CTR,REACH,PURCHASES",
        entity_ids=delivered[0],
        entity_ids_type="AD_SET",
    )
    assert insight.status_code == 200, insight.text
    assert_valid(spec, "AudienceInsightResponse", insight.json())
    created = requests.post(
        f"{api.base}/ad_accounts/{account_id}/async_reports",
        headers=api.headers,
        json={
            "name": "spec check",
            "granularity": "LIFETIME",
            "dimensions": ["CAMPAIGN_NAME"],
            "metrics": ["IMPRESSIONS_ON_SPOTIFY", "SPEND"],
        },
        timeout=30,
    )
    assert created.status_code == 201
    assert_valid(spec, "CreateAsyncReportResponse", created.json())
    status = api.get(f"/ad_accounts/{account_id}/async_reports/{created.json()['id']}").json()
    assert_valid(spec, "AsyncReportResponse", status)


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/ad_accounts/not-a-uuid", {}),
        ("/ad_accounts/00000000-0000-4000-8000-000000000000", {}),
        ("/ad_accounts/{account}/campaigns", {"limit": "0"}),
        ("/ad_accounts/{account}/aggregate_reports", {"entity_type": "AD"}),
        ("/ad_accounts/{account}/insight_reports", {"insight_dimension": "SHOE_SIZE"}),
    ],
)
def test_b9_error_bodies_match_spec(
    spec: dict[str, Any], api: Api, account_id: str, path: str, params: dict[str, str]
) -> None:
    """B9: 400 and 404 answers carry the ErrorResponse body."""
    answer = api.get(path.format(account=account_id), **params)
    assert answer.status_code in (400, 404)
    assert_valid(spec, "ErrorResponse", answer.json())
