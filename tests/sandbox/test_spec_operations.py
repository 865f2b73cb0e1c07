"""Every GET operation of Spotify's spec is answered by the sandbox as the spec says (B1-B9).

The operations are read from ``../shared/spotify-ads-v3/openapi.yaml`` (never copied into the
repository): a GET the spec gains is tested the day the spec file changes. For each one a valid
request is built from the spec's own parameters (required ones filled in from the spec's
types, path ids taken from the sandbox's generated data over HTTP), sent under each answer
shape, and must come back 200 with a body that validates against the operation's own 200
schema. An id that exists nowhere must come back 404 with the ``ErrorResponse`` body.
Unknown query parameters are ignored, as Spotify's API gateway does ("spec: unknown query
parameters").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import pytest
import requests
import yaml

from adstudio_nb.sandbox import Sandbox
from tests.helpers import access_token
from tests.sandbox.test_spec_conformance import SPEC_PATH, assert_valid

ZERO_UUID = "00000000-0000-4000-8000-000000000000"


def _load_spec() -> dict[str, Any] | None:
    if not SPEC_PATH.exists():
        return None
    loaded: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    return loaded


SPEC = _load_spec()


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    assert SPEC is not None
    while "$ref" in node:
        target: Any = SPEC
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def _get_operations() -> list[tuple[str, str, dict[str, Any]]]:
    if SPEC is None:
        return []
    return [
        (item["get"]["operationId"], path, item["get"])
        for path, item in SPEC["paths"].items()
        if "get" in item
    ]


OPERATIONS = _get_operations()


class Api:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.base = sandbox.api_base_url
        self.headers = {"Authorization": f"Bearer {access_token(sandbox)}"}

    def get(self, path: str, params: Any = None) -> requests.Response:
        return requests.get(self.base + path, headers=self.headers, params=params, timeout=60)

    def ok(self, path: str, params: Any = None) -> Any:
        answer = self.get(path, params)
        assert answer.status_code == 200, f"GET {path}: {answer.status_code} {answer.text[:300]}"
        return answer.json()


class Ids:
    """Path ids for the spec's operations, looked up over HTTP in the generated data."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self._cache: dict[str, str] = {}

    def __getitem__(self, name: str) -> str:
        if name not in self._cache:
            self._cache[name] = self._LOOKUPS[name](self)
        return self._cache[name]

    def _first(self, path: str, key: str, field: str = "id", **params: Any) -> str:
        items = self.api.ok(path, params or None)[key]
        assert items, f"GET {path} listed no {key}: the generated data should hold some"
        return str(items[0][field])

    def business_id(self) -> str:
        return self._first("/businesses", "businesses")

    def ad_account_id(self) -> str:
        return self._first(f"/businesses/{self['business_id']}/ad_accounts", "ad_accounts")

    def _in_account(self, collection: str, **params: Any) -> str:
        return self._first(f"/ad_accounts/{self['ad_account_id']}/{collection}", **params)

    def _in_business(self, collection: str, key: str, field: str = "id") -> str:
        return self._first(f"/businesses/{self['business_id']}/{collection}", key, field)

    def report_id(self) -> str:
        created = requests.post(
            f"{self.api.base}/ad_accounts/{self['ad_account_id']}/async_reports",
            headers=self.api.headers,
            json={
                "name": "spec operations",
                "granularity": "LIFETIME",
                "dimensions": ["CAMPAIGN_NAME"],
                "metrics": ["IMPRESSIONS_ON_SPOTIFY"],
            },
            timeout=60,
        )
        assert created.status_code == 201, created.text
        return str(created.json()["id"])

    _LOOKUPS: ClassVar[dict[str, Callable[[Ids], str]]] = {
        "business_id": business_id,
        "ad_account_id": ad_account_id,
        "campaign_id": lambda s: s._in_account("campaigns", key="campaigns"),
        "ad_set_id": lambda s: s._in_account("ad_sets", key="ad_sets"),
        "ad_id": lambda s: s._in_account("ads", key="ads"),
        "asset_id": lambda s: s._in_account("assets", key="assets"),
        "audience_id": lambda s: s._in_account("audiences", key="audiences"),
        "draft_campaign_id": lambda s: s._in_account("drafts/campaigns", key="campaign_drafts"),
        "draft_ad_set_id": lambda s: s._in_account("drafts/ad_sets", key="ad_set_drafts"),
        "draft_ad_id": lambda s: s._in_account("drafts/ads", key="ad_drafts"),
        "member_id": lambda s: s._in_business("members", "members", "member_id"),
        "mobile_app_id": lambda s: s._in_business("mobile_apps", "mobile_apps"),
        "pixel_id": lambda s: s._in_business("pixels", "pixels"),
        "dataset_id": lambda s: s._in_business("datasets", "datasets"),
        "capi_connection_id": lambda s: str(
            s.api.ok(f"/businesses/{s['business_id']}/datasets")["datasets"][0]["capi_integration"][
                "capi_connection_id"
            ]
        ),
        "report_id": report_id,
    }


# Operations whose valid request needs more than the spec's required parameters: the spec says
# these are "required if continuation_token is not set" (reports), or "at least one query
# parameter must be provided" (geos), or the lookup is by keyword (artists, podcast shows).
EXTRA_PARAMS: dict[str, dict[str, Any]] = {
    "getAggregateReport": {"entity_type": "CAMPAIGN", "fields": ["IMPRESSIONS", "REACH"]},
    "getAggregatedTotals": {
        "entity_type": "CAMPAIGN",
        "granularity": "LIFETIME",
        "fields": ["IMPRESSIONS", "REACH", "FREQUENCY"],
    },
    "getAudienceInsightReport": {"insight_dimension": "AGE", "fields": ["IMPRESSIONS"]},
    "getGeoTargets": {"country_code": "US"},
    "getArtistTargets": {"q": "a"},
    "getPodcastShows": {"q": "a"},
}


def _sample(schema: dict[str, Any]) -> Any:
    """Return a valid value for a required query parameter, from its schema."""
    schema = _resolve(schema)
    if schema.get("type") == "array":
        return [_sample(schema["items"])]
    if "enum" in schema:
        return schema["enum"][0]
    if schema.get("type") == "integer":
        return schema.get("default", schema.get("minimum", 1))
    if schema.get("type") == "boolean":
        return "false"
    return "US"  # the spec's only required free-text GET parameter is a market


def _params(operation_id: str, operation: dict[str, Any], ids: Ids) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for raw in operation.get("parameters", []):
        parameter = _resolve(raw)
        if parameter["in"] == "query" and parameter.get("required"):
            params[parameter["name"]] = _sample(parameter["schema"])
    params.update(EXTRA_PARAMS.get(operation_id, {}))
    if operation_id == "getAggregatedTotals":
        params["entity_ids"] = [ids["campaign_id"]]
    return params


def _path(path: str, ids: Ids, override: dict[str, str] | None = None) -> str:
    out = path
    for name in [p[1:-1] for p in path.split("/") if p.startswith("{")]:
        value = (override or {}).get(name) or ids[name]
        out = out.replace("{" + name + "}", value)
    return out


def _schema_name(operation: dict[str, Any], status: str) -> str | None:
    response = _resolve(operation["responses"].get(status, {}))
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    ref = schema.get("$ref")
    return str(ref).rsplit("/", 1)[-1] if ref else None


@pytest.fixture(scope="module")
def api(any_shape_sandbox: Sandbox) -> Iterator[Api]:
    if SPEC is None:
        pytest.skip(f"Spotify's Ads API spec is not at {SPEC_PATH}; nothing to enumerate.")
    yield Api(any_shape_sandbox)


@pytest.fixture(scope="module")
def ids(api: Api) -> Ids:
    return Ids(api)


def test_the_spec_has_the_53_get_operations_this_suite_was_written_for() -> None:
    """spec: the enumeration reads every GET operation (53 in commit 55be029 of the spec)."""
    if SPEC is None:
        pytest.skip(f"Spotify's Ads API spec is not at {SPEC_PATH}.")
    assert len(OPERATIONS) == 53
    assert len({op_id for op_id, _, _ in OPERATIONS}) == 53


@pytest.mark.parametrize(
    ("operation_id", "path", "operation"), OPERATIONS, ids=[o[0] for o in OPERATIONS]
)
def test_every_spec_get_operation_answers_200_with_a_spec_valid_body(
    api: Api, ids: Ids, operation_id: str, path: str, operation: dict[str, Any]
) -> None:
    """spec: a valid request built from the spec's parameters gets 200 and a valid body."""
    assert SPEC is not None
    params = _params(operation_id, operation, ids)
    answer = api.get(_path(path, ids), params)
    assert answer.status_code == 200, f"{operation_id}: {answer.status_code} {answer.text[:400]}"
    schema = _schema_name(operation, "200")
    assert schema, f"{operation_id}: the spec names no 200 schema"
    body = answer.json()
    assert_valid(SPEC, schema, body)
    # The generated data fills every listing a valid request asks for (an empty one proves
    # nothing about the items' shape).
    empty = [k for k, v in body.items() if isinstance(v, list) and not v and k != "warnings"]
    assert not empty, f"{operation_id}: empty {empty}"


@pytest.mark.parametrize(
    ("operation_id", "path", "operation"), OPERATIONS, ids=[o[0] for o in OPERATIONS]
)
def test_every_spec_get_operation_ignores_unknown_query_parameters(
    api: Api, ids: Ids, operation_id: str, path: str, operation: dict[str, Any]
) -> None:
    """spec: unknown query parameters are ignored, never a 400 (Spotify's gateway ignores them)."""
    params = {**_params(operation_id, operation, ids), "utm_source": "notebook", "_": "17"}
    answer = api.get(_path(path, ids), params)
    assert answer.status_code == 200, f"{operation_id}: {answer.status_code} {answer.text[:400]}"


def _last_id_param(path: str) -> str | None:
    names = [p[1:-1] for p in path.split("/") if p.startswith("{")]
    return names[-1] if names else None


ID_OPERATIONS = [o for o in OPERATIONS if _last_id_param(o[1])]


@pytest.mark.parametrize(
    ("operation_id", "path", "operation"), ID_OPERATIONS, ids=[o[0] for o in ID_OPERATIONS]
)
def test_every_spec_get_operation_answers_an_unknown_id_with_an_error_body(
    api: Api, ids: Ids, operation_id: str, path: str, operation: dict[str, Any]
) -> None:
    """B9: an id that names nothing is a 404 with the ErrorResponse body, on every operation.

    The spec lists no 404 for a few reads by id (ads, drafts); the sandbox answers those as
    every other read by id does.
    """
    assert SPEC is not None
    last = _last_id_param(path)
    assert last is not None
    params = _params(operation_id, operation, ids)
    answer = api.get(_path(path, ids, {last: ZERO_UUID}), params)
    assert answer.status_code == 404, f"{operation_id}: {answer.status_code} {answer.text}"
    assert_valid(SPEC, "ErrorResponse", answer.json())
