"""AdsClient against the sandbox over real HTTP: errors (B9, B10), refresh (B10), rate limits
(B11), retries; and the one error-mapping function on sample bodies."""

from __future__ import annotations

import json
import math
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from adstudio_nb.client import (
    NOT_ALLOWED_MESSAGE,
    AdsClient,
    PagingLimits,
    RateLimitPolicy,
    RetryPolicy,
    StaticToken,
    error_from_response,
    parse_json,
)
from adstudio_nb.exceptions import (
    APIError,
    BadRequest,
    IncompleteListing,
    IncompleteReport,
    MalformedPayload,
    NotAllowedForAdsAPI,
    NotFound,
    RateLimited,
    ResponseTooLarge,
    ServerError,
    TransportError,
    Unauthorized,
    UnprocessableReport,
)
from adstudio_nb.sandbox import FaultPlan, Sandbox
from tests.helpers import access_token
from tests.reliability import hostile_server
from tests.reliability.hostile_server import HostileServer

MISSING = "00000000-0000-4000-8000-000000000000"
FAST_RETRY = RetryPolicy(max_attempts=10, backoff_s=0.01, backoff_max_s=0.05)


@pytest.fixture(scope="module")
def token(shared_sandbox: Sandbox) -> str:
    return access_token(shared_sandbox)


@pytest.fixture
def client(shared_sandbox: Sandbox, token: str) -> Iterator[AdsClient]:
    with AdsClient(shared_sandbox.api_base_url, StaticToken(token), pacing=False) as c:
        yield c


# -- B9 error bodies --------------------------------------------------------------------------


@pytest.mark.parametrize("codes_key", ["error_codes", "errorCodes"])
def test_b9_trace_id_messages_and_codes_in_both_casings(codes_key: str) -> None:
    body = {
        "sp_trace_id": "800c5a14-b8fd-4dc0-a4fa-38184111f67a",
        "messages": ["Custom Error Message"],
        codes_key: [{"code": "INVALID_ARGUMENT", "definition": "bad"}],
    }
    error = error_from_response(
        400,
        json.dumps(body).encode(),
        method="GET",
        url="https://api-partner.spotify.com/ads/v3/businesses?secret=s3cr3t",
    )
    assert isinstance(error, BadRequest)
    assert error.trace_id == "800c5a14-b8fd-4dc0-a4fa-38184111f67a"
    assert error.error_codes == [{"code": "INVALID_ARGUMENT", "definition": "bad"}]
    assert "800c5a14-b8fd-4dc0-a4fa-38184111f67a" in str(error)
    assert "Custom Error Message" in str(error)
    assert "s3cr3t" not in str(error) and error.url == "/ads/v3/businesses"


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequest),
        (401, Unauthorized),
        (403, NotAllowedForAdsAPI),
        (404, NotFound),
        (422, UnprocessableReport),
        (429, RateLimited),
        (500, ServerError),
        (503, ServerError),
        (418, APIError),
    ],
)
def test_b9_statuses_map_to_one_exception_each(status: int, cls: type[APIError]) -> None:
    error = error_from_response(status, b"not json", method="GET", url="http://x/ads/v3/y")
    assert type(error) is cls and error.status_code == status


def test_b10_web_api_401_body_and_b11_retry_after() -> None:
    error = error_from_response(
        401,
        b'{"error": {"status": 401, "message": "Invalid access token"}}',
        method="GET",
        url="/a",
    )
    assert error.messages == ["Invalid access token"]
    limited = error_from_response(429, b"{}", method="GET", url="/a", headers={"Retry-After": "7"})
    assert isinstance(limited, RateLimited) and limited.retry_after_s == 7


# -- against the sandbox ----------------------------------------------------------------------


def test_b9_not_found_carries_the_trace_id(client: AdsClient) -> None:
    with pytest.raises(NotFound) as caught:
        client.ad_account(MISSING)
    assert caught.value.trace_id and caught.value.trace_id in str(caught.value)
    assert caught.value.url and caught.value.url.endswith(MISSING)


def test_b10_403_for_a_client_id_not_allowed_yet(shared_sandbox: Sandbox) -> None:
    app = shared_sandbox.register_app(
        "Not yet allowed", redirect_uris=["http://127.0.0.1:8765/callback"], ads_allowed=False
    )
    token = access_token(shared_sandbox, app=app)
    with (
        AdsClient(shared_sandbox.api_base_url, StaticToken(token), pacing=False) as c,
        pytest.raises(NotAllowedForAdsAPI) as caught,
    ):
        c.businesses()
    message = str(caught.value)
    assert message.startswith(NOT_ALLOWED_MESSAGE)
    assert "allow-listing can take up to an hour" in message
    assert caught.value.trace_id and token not in message


def test_b10_401_refreshes_once_then_retries(shared_sandbox: Sandbox, token: str) -> None:
    source = StaticToken("expired-token", refresher=lambda: token)
    with AdsClient(shared_sandbox.api_base_url, source, pacing=False) as c:
        assert c.businesses()
        assert c.stats.refreshes == 1


def test_b10_a_second_401_is_unauthorized_without_the_token(shared_sandbox: Sandbox) -> None:
    refreshes: list[int] = []

    def refresher() -> str:
        refreshes.append(1)
        return "still-not-a-token"

    source = StaticToken("not-a-token", refresher=refresher)
    with (
        AdsClient(shared_sandbox.api_base_url, source, pacing=False) as c,
        pytest.raises(Unauthorized) as caught,
    ):
        c.businesses()
    assert refreshes == [1]
    assert "not-a-token" not in str(caught.value) and "still" not in repr(caught.value)


def test_b4_b5_bad_report_request_is_a_bad_request(client: AdsClient, token: str) -> None:
    account = client.all_ad_accounts()[0]["id"]
    with pytest.raises(BadRequest) as caught:
        client.get(f"/ad_accounts/{account}/aggregate_reports", {"entity_type": "AD"})
    assert "fields" in str(caught.value) and caught.value.trace_id


def test_b11_429_longer_than_the_cap_raises_rate_limited_at_once() -> None:
    with Sandbox(seed=0, rate_limits="on") as sb:
        policy = RetryPolicy(max_rate_limit_wait_s=0.5)
        with AdsClient(
            sb.api_base_url, StaticToken(access_token(sb)), pacing=False, retry=policy
        ) as c:
            account = c.all_ad_accounts()[0]["id"]
            path = f"/ad_accounts/{account}/aggregate_reports"
            params = {"entity_type": "AD_ACCOUNT", "fields": ["CLICKS"]}
            with pytest.raises(RateLimited) as caught:
                for _ in range(200):
                    c.get(path, params)
            assert caught.value.retry_after_s and caught.value.retry_after_s > 0.5
            assert "max_rate_limit_wait_s" in str(caught.value)
            assert c.stats.rate_limited == 1


def test_b11_paced_client_receives_no_429_under_the_reporting_limit() -> None:
    """B11: 400 report requests against a 1 s scaled window: all answered, none refused."""
    with Sandbox(seed=0, rate_limits="scaled", rate_limit_window_s=1.0) as sb:
        policy = RateLimitPolicy(window_s=1.0)
        with AdsClient(
            sb.api_base_url, StaticToken(access_token(sb)), rate_limits=policy, max_workers=4
        ) as c:
            account = c.all_ad_accounts()[0]["id"]
            path = f"/ad_accounts/{account}/aggregate_reports"
            params = {"entity_type": "AD_ACCOUNT", "fields": ["CLICKS"]}
            answers = list(c.pool.map(lambda _: c.get(path, params), range(400)))
            assert len(answers) == 400
            assert c.stats.rate_limited == 0
            assert c.stats.paced > 0


def test_retries_5xx_drops_and_truncation_then_gives_up_with_typed_errors() -> None:
    kinds = ("500", "502", "503", "drop", "truncate")
    with Sandbox(seed=0, rate_limits="off", faults=FaultPlan(rate=0.3, kinds=kinds, seed=3)) as sb:
        token = access_token(sb)
        with AdsClient(sb.api_base_url, StaticToken(token), pacing=False, retry=FAST_RETRY) as c:
            for _ in range(30):
                assert c.businesses()
            stats = c.stats.snapshot()
            assert stats["retries"] > 0 and stats["server_errors"] + stats["transport_errors"] > 0
        sb.faults = FaultPlan(rate=1.0, kinds=("503",), seed=1)
        with AdsClient(sb.api_base_url, StaticToken(token), pacing=False, retry=FAST_RETRY) as c:
            with pytest.raises(ServerError) as caught:
                c.businesses()
            assert caught.value.trace_id and c.stats.requests == FAST_RETRY.max_attempts
        sb.faults = FaultPlan(rate=1.0, kinds=("drop",), seed=1)
        with (
            AdsClient(sb.api_base_url, StaticToken(token), pacing=False, retry=FAST_RETRY) as c,
            pytest.raises(TransportError),
        ):
            c.businesses()


def test_timeouts_are_retried_a_bounded_number_of_times() -> None:
    plan = FaultPlan(rate=1.0, kinds=("slow",), slow_s=0.3, seed=1)
    with Sandbox(seed=0, rate_limits="off", faults=plan) as sb:
        token = access_token(sb)
        policy = RetryPolicy(max_timeouts=2, backoff_s=0.01)
        with AdsClient(
            sb.api_base_url, StaticToken(token), pacing=False, timeout_s=0.1, retry=policy
        ) as c:
            with pytest.raises(TransportError, match="timed out"):
                c.businesses()
            assert c.stats.timeouts == 3
        plan.rate = 0.3
        with AdsClient(sb.api_base_url, StaticToken(token), pacing=False, timeout_s=0.1) as c:
            for _ in range(5):
                assert c.businesses()


def test_repr_and_messages_never_show_the_token(client: AdsClient, token: str) -> None:
    assert token not in repr(client) and token not in repr(client.token_source)


# -- parsing and the session's environment ----------------------------------------------------


def test_parse_json_reads_what_the_standard_library_reads() -> None:
    page = {"rows": [{"entity_id": "é", "stats": [{"field_value": -5}]}], "paging": None}
    assert parse_json(json.dumps(page).encode()) == page
    assert parse_json(json.dumps(page)) == page  # text too
    # orjson refuses these; the standard library's reading still applies.
    assert parse_json(b"\xef\xbb\xbf{}") == {}
    assert math.isnan(parse_json(b'{"v": NaN}')["v"])
    assert parse_json(b'{"v": 1e400}')["v"] == math.inf
    with pytest.raises(ValueError):
        parse_json(b'{"rows": [')


def test_owned_session_reads_the_environment_once_per_host(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/example.pem")
    with AdsClient("https://api-partner.spotify.com/ads/v3", StaticToken("t")) as c:
        assert c.session.trust_env is False
        settings = c._environment("https://api-partner.spotify.com/ads/v3/businesses")
        assert settings["proxies"].get("https") == "http://proxy.example:3128"
        assert settings["verify"] == "/etc/ssl/certs/example.pem"
        assert c._environment("http://127.0.0.1:9/ads/v3/x")["proxies"] == {}  # NO_PROXY
        monkeypatch.setenv("HTTPS_PROXY", "http://other.example:1")
        again = c._environment("https://api-partner.spotify.com/ads/v3/ad_accounts/x")
        assert again is settings  # cached per host: no environment scan per request


def test_a_session_passed_in_is_used_as_configured() -> None:
    session = requests.Session()
    with AdsClient(
        "https://api-partner.spotify.com/ads/v3", StaticToken("t"), session=session
    ) as c:
        assert c.session is session and session.trust_env is True
        assert c._environment("https://api-partner.spotify.com/ads/v3/businesses") == {}


def test_a_netrc_entry_never_replaces_the_bearer_token(
    shared_sandbox: Sandbox, token: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # requests' trust_env would send Basic credentials from ~/.netrc instead of the token.
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password something\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    with AdsClient(shared_sandbox.api_base_url, StaticToken(token), pacing=False) as c:
        assert c.businesses()


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
        chunks = c.list_objects_many(list(sizes), "campaigns", on_page=seen.append)
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
            c.list_objects_many(["a", "b"], "campaigns")
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
        items = client.list_items("/ad_accounts/x/campaigns", items_key="campaigns")
    assert items == [{"id": ["odd"]}, {"id": "a"}, {"id": "b"}]


# -- complete or loud, and bounded, against a hostile server (B3, B6, B11) ------------------------

ACCOUNT = hostile_server.ACCOUNT


class FakeSleep:
    """Records waits instead of waiting."""

    def __init__(self) -> None:
        self.slept: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.slept.append(seconds)


def _hostile_client(server: HostileServer, **options: Any) -> AdsClient:
    defaults: dict[str, Any] = {"pacing": False, "max_workers": 4, "retry": FAST_RETRY}
    return AdsClient(server.api_base_url, StaticToken("hostile"), **{**defaults, **options})


def test_b3_published_zero_paging_lists_all_60_campaigns() -> None:
    """B3: Spotify's published samples carry paging zeros; 60 campaigns are 60, not 50."""
    with HostileServer("zero_paging") as server, _hostile_client(server) as c:
        items = c.list_objects(ACCOUNT, "campaigns")
        many = c.list_objects_many([ACCOUNT, ACCOUNT], "campaigns")
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
        c.list_objects(ACCOUNT, "campaigns")
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
        c.list_objects(ACCOUNT, "campaigns")
    assert caught.value.reason == "max_pages" and caught.value.pages == 7
    assert server.count == 7


def test_b3_a_lying_total_with_empty_pages_costs_a_bounded_number_of_requests() -> None:
    """B3: total_results 10**12 then empty pages: the first empty page ends the walk."""
    with HostileServer("lying_total") as server, _hostile_client(server) as c:
        items = c.list_objects(ACCOUNT, "campaigns")
        sent = server.count
        many = c.list_objects_many([ACCOUNT] * 5, "campaigns")
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
        list(c.aggregate_report_pages(ACCOUNT, entity_type="AD_ACCOUNT", fields=["CLICKS"]))
    assert caught.value.reason == "max_pages" and len(caught.value.items) == 30
    assert server.count == 30


def test_b6_a_token_seen_before_is_refused_not_only_the_previous_one() -> None:
    """B6: tokens a, b, a, b...: the third page's token was seen two pages earlier."""
    with (
        HostileServer("alternating_tokens") as server,
        _hostile_client(server) as c,
        pytest.raises(IncompleteReport) as caught,
    ):
        list(c.aggregate_report_pages(ACCOUNT, entity_type="AD_ACCOUNT", fields=["CLICKS"]))
    assert caught.value.reason == "repeated_token" and server.count == 3
    assert len(caught.value.items) == 3


def test_a_gzip_bomb_is_refused_past_the_body_cap() -> None:
    """A body that expands past max_body_bytes is a typed error, never a MemoryError."""
    with (
        HostileServer("gzip_bomb", bomb_bytes=64 * 1024 * 1024) as server,
        _hostile_client(server, max_body_bytes=4 * 1024 * 1024) as c,
        pytest.raises(ResponseTooLarge) as caught,
    ):
        c.businesses()
    assert caught.value.max_body_bytes == 4 * 1024 * 1024
    assert "max_body_bytes" in str(caught.value) and isinstance(caught.value, TransportError)


def test_a_trickled_body_ends_at_the_request_deadline() -> None:
    """timeout_s bounds the whole request: one byte a second never keeps a call alive."""
    retry = RetryPolicy(max_timeouts=1, backoff_s=0.01)
    with (
        HostileServer("trickle") as server,
        _hostile_client(server, timeout_s=1.0, retry=retry) as c,
        pytest.raises(TransportError, match="timed out") as caught,
    ):
        c.businesses()
    assert "timeout_s" in str(caught.value)
    assert server.count == 2 and c.stats.timeouts == 2


def test_b11_retry_after_59_forever_stops_at_the_wait_budget() -> None:
    """B11: Retry-After 59 on every answer: two waits fit the 120 s budget, the third not."""
    sleep = FakeSleep()
    with (
        HostileServer("retry_after") as server,
        _hostile_client(server, sleep=sleep, retry=RetryPolicy()) as c,
        pytest.raises(RateLimited) as caught,
    ):
        c.businesses()
    assert sleep.slept == [59, 59] and server.count == 3
    assert caught.value.retry_after_s == 59
    assert "59 s" in str(caught.value) and "rate_limit_budget_s" in str(caught.value)


def test_deeply_nested_json_is_a_typed_error() -> None:
    """A body nested past the parsers' depth is a MalformedPayload, not a RecursionError."""
    with (
        HostileServer("deep_json") as server,
        _hostile_client(server) as c,
        pytest.raises(MalformedPayload),
    ):
        c.businesses()


def test_an_interrupt_stops_every_worker_and_close_does_not_hang() -> None:
    """Ctrl-C during a listing: no request starts after it, the threads end, close() returns."""
    main = threading.main_thread().ident
    assert main == threading.get_ident(), "signals reach the main thread only"
    fired = threading.Event()

    def interrupt_at(count: int) -> None:
        if count >= 12 and not fired.is_set():
            fired.set()
            signal.pthread_kill(main, signal.SIGINT)  # what Jupyter's interrupt button sends

    with HostileServer("slow_pages", slow_s=0.3, on_request=interrupt_at) as server:
        client = _hostile_client(server)
        pool = client.pool
        try:
            with pytest.raises(KeyboardInterrupt):
                client.list_objects_many([ACCOUNT] * 3, "campaigns")
            sent_at_interrupt = client.stats.requests
            closer = threading.Thread(target=client.close, daemon=True)
            closer.start()
            closer.join(timeout=10)
            assert not closer.is_alive(), "close() hung"
            for thread in list(getattr(pool, "_threads", ())):
                thread.join(timeout=10)  # in-flight answers arrive within slow_s
                assert not thread.is_alive(), "a worker thread kept running"
        finally:
            client.close()
        late = client.stats.requests - sent_at_interrupt
        # At most a request per thread that had passed its check as the interrupt landed.
        assert late <= client.max_workers, late
        assert server.count == client.stats.requests
