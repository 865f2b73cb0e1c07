"""The sandbox's storage origin (B8): report CSVs on another port, signed links, no bearer.

Spotify's ``report_url`` points at cloud storage: the link itself is the authorization, a
request that also carries a bearer is refused, and the link stops working at its expiry.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import requests

from adstudio_nb.sandbox import Sandbox
from tests.helpers import access_token


@pytest.fixture
def ready() -> Iterator[tuple[Sandbox, str, dict[str, str]]]:
    """A sandbox with one READY async report: (sandbox, report_url, bearer headers)."""
    with Sandbox(seed=1, rate_limits="off") as sb:
        headers = {"Authorization": f"Bearer {access_token(sb)}"}
        business = requests.get(f"{sb.api_base_url}/businesses", headers=headers, timeout=30)
        business_id = business.json()["businesses"][0]["id"]
        accounts = requests.get(
            f"{sb.api_base_url}/businesses/{business_id}/ad_accounts", headers=headers, timeout=30
        )
        account = accounts.json()["ad_accounts"][0]["id"]
        created = requests.post(
            f"{sb.api_base_url}/ad_accounts/{account}/async_reports",
            headers=headers,
            json={
                "name": "storage check",
                "granularity": "LIFETIME",
                "dimensions": ["CAMPAIGN_NAME"],
                "metrics": ["IMPRESSIONS_ON_SPOTIFY", "SPEND"],
            },
            timeout=30,
        )
        assert created.status_code == 201, created.text
        path = f"{sb.api_base_url}/ad_accounts/{account}/async_reports/{created.json()['id']}"
        first = requests.get(path, headers=headers, timeout=30).json()
        assert first["status"] == "PROCESSING" and "report_url" not in first
        sb.clock.advance(11)
        body = requests.get(path, headers=headers, timeout=30).json()
        assert body["status"] == "READY"
        yield sb, body["report_url"], headers


def test_b8_the_report_url_is_on_another_origin_and_needs_no_bearer(
    ready: tuple[Sandbox, str, dict[str, str]],
) -> None:
    """B8: ``report_url`` is the storage origin (not the API's), and a plain GET gets the CSV."""
    sb, url, _ = ready
    assert urlsplit(url).netloc == urlsplit(sb.storage_url).netloc
    assert urlsplit(url).netloc != urlsplit(sb.api_base_url).netloc
    answer = requests.get(url, timeout=30)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/csv")
    header = "CAMPAIGN_NAME,START_TIME,END_TIME,IMPRESSIONS_ON_SPOTIFY,SPEND"
    assert answer.text.splitlines()[0] == header


def test_b8_the_storage_refuses_a_request_that_carries_a_bearer(
    ready: tuple[Sandbox, str, dict[str, str]],
) -> None:
    """B8: a signed link plus an Authorization header is two ways in: 400 InvalidArgument."""
    _, url, headers = ready
    answer = requests.get(url, headers=headers, timeout=30)
    assert answer.status_code == 400
    assert "<Code>InvalidArgument</Code>" in answer.text
    assert headers["Authorization"].split()[1] not in answer.text


def test_b8_a_link_expires_and_a_new_status_call_hands_out_a_fresh_one(
    ready: tuple[Sandbox, str, dict[str, str]],
) -> None:
    """B8: past its lifetime a link answers 400 ExpiredToken (storage XML); a new one works."""
    sb, url, _ = ready
    storage = sb.state.storage
    assert storage is not None
    sb.clock.advance(storage.url_lifetime_s + 1)
    expired = requests.get(url, timeout=30)
    assert expired.status_code == 400 and "<Code>ExpiredToken</Code>" in expired.text
    assert expired.headers["Content-Type"].startswith("application/xml")
    status_url = url  # the status call is on the API: find it from the report id in the path
    report_id = urlsplit(status_url).path.split("/")[3]
    account = urlsplit(status_url).path.split("/")[2]
    fresh = requests.get(
        f"{sb.api_base_url}/ad_accounts/{account}/async_reports/{report_id}",
        headers={"Authorization": f"Bearer {access_token(sb)}"},
        timeout=30,
    ).json()["report_url"]
    assert fresh != url and requests.get(fresh, timeout=30).status_code == 200


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"X-Goog-Signature": "0" * 64}, 403, "SignatureDoesNotMatch"),
        ({"X-Goog-Expires": "999999"}, 403, "SignatureDoesNotMatch"),
        ({"X-Goog-Signature": None}, 403, "AccessDenied"),
    ],
    ids=["forged-signature", "stretched-expiry", "unsigned"],
)
def test_b8_a_link_that_is_not_signed_by_the_sandbox_is_refused(
    ready: tuple[Sandbox, str, dict[str, str]],
    change: dict[str, str | None],
    status: int,
    code: str,
) -> None:
    """B8: the signature covers the path and the expiry; anything else is refused."""
    _, url, _ = ready
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    for key, value in change.items():
        if value is None:
            query.pop(key)
        else:
            query[key] = value
    answer = requests.get(parts._replace(query=urlencode(query)).geturl(), timeout=30)
    assert answer.status_code == status and f"<Code>{code}</Code>" in answer.text


def test_b8_another_object_path_with_a_valid_query_is_refused(
    ready: tuple[Sandbox, str, dict[str, str]],
) -> None:
    """B8: a link signs one object: the same query on another path does not match."""
    _, url, _ = ready
    parts = urlsplit(url)
    other = parts._replace(path=parts.path.replace(".csv", "-other.csv")).geturl()
    assert requests.get(other, timeout=30).status_code == 403


def test_b8_the_storage_records_the_headers_it_received(
    ready: tuple[Sandbox, str, dict[str, str]],
) -> None:
    """B8: tests can see what a download sent (the client's test asserts no bearer)."""
    sb, url, headers = ready
    requests.get(url, timeout=30)
    requests.get(url, headers=headers, timeout=30)
    storage = sb.state.storage
    assert storage is not None
    seen = [("authorization" in r.headers) for r in storage.requests]
    assert seen[-2:] == [False, True]
