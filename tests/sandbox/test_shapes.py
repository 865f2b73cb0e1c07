"""The sandbox sends every answer shape Spotify documents: the spec's and the published samples'.

Under ``Sandbox(shapes="published")`` offset listings carry all-zero ``paging`` over real pages
(B3, B1), report walks end with ``continuation_token`` null, absent or ``""`` in turn (B6),
error bodies spell ``errorCodes`` (B9) and the token answer's scope is ``""`` (A7). The default
``"spec"`` shapes stay as they were.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from adstudio_nb.sandbox import SHAPES, Sandbox, SandboxClock
from tests.helpers import access_token, authorize_url, code_from, consent

START = 1_767_225_600.0 + 13 * 3600  # 2026-01-01T13:00:00Z: the same data in every sandbox
ZERO_PAGING = {"page_size": 0, "total_results": 0, "offset": 0, "current_page": 0}
MISSING = object()


class Api:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.headers = {"Authorization": f"Bearer {access_token(sandbox)}"}

    def get(self, path: str, **params: Any) -> requests.Response:
        return requests.get(
            self.sandbox.api_base_url + path, headers=self.headers, params=params, timeout=30
        )

    def ok(self, path: str, **params: Any) -> Any:
        answer = self.get(path, **params)
        assert answer.status_code == 200, answer.text
        return answer.json()


def _sandbox(shapes: str, **options: Any) -> Sandbox:
    return Sandbox(
        seed=0, rate_limits="off", shapes=shapes, clock=SandboxClock(start=START), **options
    )


@pytest.fixture(scope="module")
def apis() -> Iterator[dict[str, Api]]:
    """A spec and a published sandbox over the same seeded data, one API client each."""
    with _sandbox("spec") as spec, _sandbox("published") as published:
        yield {"spec": Api(spec), "published": Api(published)}


@pytest.fixture(scope="module")
def account(apis: dict[str, Api]) -> str:
    business = apis["spec"].ok("/businesses")["businesses"][0]["id"]
    return str(apis["spec"].ok(f"/businesses/{business}/ad_accounts")["ad_accounts"][0]["id"])


def _walk(api: Api, path: str, key: str, **params: Any) -> tuple[list[str], list[Any]]:
    """Page by offset until a short page; return the ids and every page's paging object."""
    ids: list[str] = []
    pagings: list[Any] = []
    for offset in range(0, 100_000, 50):
        page = api.ok(path, offset=offset, limit=50, **params)
        ids += [item["id"] for item in page[key]]
        pagings.append(page.get("paging", MISSING))
        if len(page[key]) < 50:
            return ids, pagings
    raise AssertionError("the listing never ended")


@pytest.mark.parametrize("collection", ["campaigns", "ad_sets", "ads", "assets"])
def test_b3_published_listings_carry_zero_paging_over_the_real_pages(
    apis: dict[str, Api], account: str, collection: str
) -> None:
    """B3: every page says page_size/total_results/offset/current_page 0; items are real."""
    path = f"/ad_accounts/{account}/{collection}"
    spec_ids, spec_pagings = _walk(apis["spec"], path, collection)
    published_ids, published_pagings = _walk(apis["published"], path, collection)
    assert published_ids == spec_ids and len(set(spec_ids)) == len(spec_ids)
    assert all(p == ZERO_PAGING for p in published_pagings)
    assert spec_pagings[0]["total_results"] == len(spec_ids)  # the spec shape is unchanged
    if collection in ("ad_sets", "ads"):
        assert len(spec_pagings) > 1  # more than one page, so truncation would show


def test_b3_published_zero_paging_follows_limit_and_offset(
    apis: dict[str, Api], account: str
) -> None:
    """B3: a page of 7 at offset 3 holds the spec's same 7 items, its paging still all 0."""
    path = f"/ad_accounts/{account}/ad_sets"
    spec = apis["spec"].ok(path, limit=7, offset=3)
    published = apis["published"].ok(path, limit=7, offset=3)
    assert published["ad_sets"] == spec["ad_sets"] and len(spec["ad_sets"]) == 7
    assert published["paging"] == ZERO_PAGING
    assert spec["paging"] == {
        "page_size": 7,
        "total_results": spec["paging"]["total_results"],
        "offset": 3,
        "current_page": 1,
    }


def test_b1_published_business_ad_accounts_page_by_50_with_zero_paging() -> None:
    """B1, B3: a business of 60 ad accounts: 50 then 10, paging 0; the spec sends all 60."""
    options = {"data_options": {"businesses": 1, "accounts_per_business": 60}}
    with _sandbox("spec", **options) as spec_sb, _sandbox("published", **options) as pub_sb:
        spec, published = Api(spec_sb), Api(pub_sb)
        business = spec.ok("/businesses")["businesses"][0]["id"]
        path = f"/businesses/{business}/ad_accounts"
        everything = spec.ok(path)
        assert "paging" not in everything and len(everything["ad_accounts"]) == 60
        first = published.ok(path)
        assert first["paging"] == ZERO_PAGING and len(first["ad_accounts"]) == 50
        ids, pagings = _walk(published, path, "ad_accounts")
        assert ids == [a["id"] for a in everything["ad_accounts"]]
        assert all(p == ZERO_PAGING for p in pagings)


def _report_walk(api: Api, account: str, **params: Any) -> tuple[list[Any], dict[str, Any]]:
    """Walk an aggregate report to its end; return the rows and the last page."""
    body = api.ok(f"/ad_accounts/{account}/aggregate_reports", **params)
    rows = list(body["rows"])
    for _ in range(10_000):
        token = body.get("continuation_token")
        if not token:
            return rows, body
        body = api.ok(f"/ad_accounts/{account}/aggregate_reports", continuation_token=token)
        rows += body["rows"]
    raise AssertionError("the report never ended")


def _ending(last_page: dict[str, Any]) -> str:
    if "continuation_token" not in last_page:
        return "absent"
    return {None: "null", "": "empty"}[last_page["continuation_token"]]


REPORT = {"entity_type": "AD_SET", "fields": ["IMPRESSIONS", "CLICKS"], "limit": 40}


def test_b6_published_report_walks_end_null_absent_empty_in_turn(account: str) -> None:
    """B6: walk after walk ends null, absent, "", null, ...; rows as under the spec shapes."""
    with (
        _sandbox("spec") as spec_sb,
        _sandbox("published") as pub_sb,
        _sandbox("published") as again_sb,
    ):
        spec, published, again = Api(spec_sb), Api(pub_sb), Api(again_sb)
        spec_rows, spec_last = _report_walk(spec, account, **REPORT)
        assert len(spec_rows) > 40 and _ending(spec_last) == "absent"
        endings = []
        for _ in range(4):
            rows, last = _report_walk(published, account, **REPORT)
            assert rows == spec_rows
            endings.append(_ending(last))
        # A one-page report is a walk too; and the same walks give the same endings.
        _, single = _report_walk(published, account, entity_type="AD_ACCOUNT", fields="CLICKS")
        endings.append(_ending(single))
        assert endings == ["null", "absent", "empty", "null", "absent"]
        assert [_ending(_report_walk(again, account, **REPORT)[1]) for _ in range(3)] == endings[:3]


def test_b6_spec_report_walks_always_end_without_a_token(
    apis: dict[str, Api], account: str
) -> None:
    """B6: under the default shapes the last page never carries continuation_token."""
    for _ in range(3):
        _, last = _report_walk(apis["spec"], account, **REPORT)
        assert "continuation_token" not in last


@pytest.mark.parametrize("shapes", SHAPES)
def test_b9_error_bodies_spell_the_codes_key_per_shape(
    apis: dict[str, Api], account: str, shapes: str
) -> None:
    """B9: published error bodies carry errorCodes (never error_codes); the spec's the reverse."""
    answer = apis[shapes].get(f"/ad_accounts/{account}/campaigns", limit="0")
    assert answer.status_code == 400
    body = answer.json()
    key, other = (
        ("errorCodes", "error_codes") if shapes == "published" else ("error_codes", "errorCodes")
    )
    assert other not in body
    assert body[key][0]["code"] == "INVALID_ARGUMENT" and body[key][0]["definition"]
    assert set(body) == {"sp_trace_id", "messages", key}


def _token_body(sandbox: Sandbox, **authorize: str) -> dict[str, Any]:
    app = sandbox.demo_app
    location = consent(authorize_url(sandbox, **authorize))
    answer = requests.post(
        sandbox.token_url,
        data={
            "grant_type": "authorization_code",
            "code": code_from(location),
            "redirect_uri": app.redirect_uris[0],
        },
        auth=(app.client_id, app.client_secret),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


@pytest.mark.parametrize(
    ("shapes", "scope", "answered"),
    [
        ("spec", None, ""),
        ("spec", "streaming", "streaming"),  # A13: the spec shapes echo the requested scope
        ("published", None, ""),
        ("published", "streaming", ""),
    ],
)
def test_a7_token_answer_scope_per_shape(shapes: str, scope: str | None, answered: str) -> None:
    """A7: published shapes answer "scope": "" to code and refresh grants, whatever was asked."""
    with _sandbox(shapes) as sb:
        body = _token_body(sb, **({"scope": scope} if scope else {}))
        assert body["scope"] == answered
        app = sb.demo_app
        refreshed = requests.post(
            sb.token_url,
            data={"grant_type": "refresh_token", "refresh_token": body["refresh_token"]},
            auth=(app.client_id, app.client_secret),
            timeout=10,
        ).json()
        assert refreshed["scope"] == answered


def test_unknown_shapes_name_is_a_clear_error() -> None:
    """A shapes name the sandbox does not know says which ones it does."""
    with pytest.raises(ValueError, match="spec, published"):
        Sandbox(shapes="live")


def test_b9_cli_sandbox_serves_the_published_shapes() -> None:
    """B9: `adstudio-nb sandbox --shapes published` answers errors with errorCodes."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "adstudio_nb.cli",
            "sandbox",
            "--port",
            "0",
            "--shapes",
            "published",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line)
            if line.startswith("Press Ctrl-C"):
                break
        base = re.search(r"running at (http://127\.0\.0\.1:\d+)", "".join(lines))
        assert base, lines
        # A refused demo-app request is an error with a code, no token needed.
        answer = requests.get(
            base.group(1) + "/sandbox/demo-app", headers={"Host": "evil.example"}, timeout=10
        )
        assert answer.status_code == 403
        assert "errorCodes" in answer.json() and "error_codes" not in answer.json()
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
