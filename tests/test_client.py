"""The transport against the sandbox and hostile servers over real HTTP: errors (B9, B10),
refresh (B10), rate limits (B11), retries, budgets and caps; the one error-mapping function
on sample bodies; and the one-way imports of the data-access modules. Every wait of the
client (backoff, 429, pacing) runs in virtual time here; only socket deadlines are real."""

from __future__ import annotations

import ast
import json
import math
import signal
import socket
import threading
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from IPython.core.ultratb import VerboseTB
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

import adstudio_nb
from adstudio_nb import endpoints
from adstudio_nb.client import (
    NOT_ALLOWED_MESSAGE,
    AdsClient,
    RetryPolicy,
    StaticToken,
    error_from_response,
    parse_json,
)
from adstudio_nb.exceptions import (
    APIError,
    BadRequest,
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
from adstudio_nb.pacing import RateLimitPolicy
from adstudio_nb.sandbox import FaultPlan, Sandbox
from adstudio_nb.sandbox.ratelimit import RateLimiter
from tests.helpers import access_token
from tests.reliability import hostile_server
from tests.reliability.hostile_server import HostileServer
from tests.test_pacing import VirtualClock

MISSING = "00000000-0000-4000-8000-000000000000"
FAST_RETRY = RetryPolicy(max_attempts=10, backoff_s=0.01, backoff_max_s=0.05)
PACKAGE = Path(adstudio_nb.__file__).parent
TESTS = Path(__file__).parent


@pytest.fixture(scope="module")
def token(shared_sandbox: Sandbox) -> str:
    return access_token(shared_sandbox)


@pytest.fixture
def client(shared_sandbox: Sandbox, token: str) -> Iterator[AdsClient]:
    with AdsClient(shared_sandbox.api_base_url, StaticToken(token), pacing=False) as c:
        yield c


def _virtual(**options: Any) -> dict[str, Any]:
    """Client options that make every wait virtual; ``clock`` is the VirtualClock."""
    clock = VirtualClock()
    return {"clock": clock, "sleep": clock.sleep, **options}


# -- the import direction of the data-access layer --------------------------------------------


def _imports(module: str) -> set[str]:
    """Return every module ``adstudio_nb.<module>`` imports, at any depth of its source."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from . import x / from .x import y
                base = "adstudio_nb" + (f".{node.module}" if node.module else "")
                found.add(base)
                if not node.module:
                    found |= {f"adstudio_nb.{alias.name}" for alias in node.names}
            else:
                found.add(node.module or "")
    return found


@pytest.mark.parametrize(
    ("module", "never"),
    [
        ("client", {"pandas", "numpy", "adstudio_nb.endpoints", "adstudio_nb.frames"}),
        ("endpoints", {"pandas", "numpy", "requests", "urllib3", "adstudio_nb.frames"}),
        ("pacing", {"requests", "urllib3", "pandas", "adstudio_nb.client"}),
        ("paging", {"requests", "urllib3", "pandas", "adstudio_nb.client"}),
        ("frames", {"requests", "urllib3", "adstudio_nb.client", "adstudio_nb.endpoints"}),
        ("export", {"requests", "urllib3", "adstudio_nb.client", "adstudio_nb.endpoints"}),
    ],
)
def test_data_access_modules_import_one_way(module: str, never: set[str]) -> None:
    """client knows no endpoint nor pandas; endpoints no pandas; pacing/paging no HTTP."""
    imported = _imports(module)
    bad = {name for name in imported for banned in never if name.split(".")[0] == banned}
    bad |= imported & never
    assert not bad, f"adstudio_nb.{module} imports {sorted(bad)}"


def test_the_import_reader_sees_nested_and_relative_imports() -> None:
    """The reader above would catch an import hidden in a function."""
    imported = _imports("ads")
    assert {"pandas", "adstudio_nb.endpoints", "adstudio_nb.client"} <= imported
    assert "adstudio_nb.tqdm" not in imported and "tqdm.auto" in imported


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


def test_b9_a_server_echoing_the_token_in_any_form_never_gets_it_into_the_message() -> None:
    """B9: messages and codes are redacted for every form of the token, not just the raw one.

    The one redaction helper (``redaction.redact``) is used: upper case, URL-encoded and
    base64 forms and a long piece of the token are hidden too.
    """
    import base64

    token = "BQ" + "Zx9-token_" * 8
    forms = [
        token.upper(),
        requests.utils.quote(token, safe=""),
        base64.b64encode(token.encode()).decode(),
        token[10:40],
    ]
    body = {
        "sp_trace_id": "t-1",
        "messages": [f"bad token {f}" for f in forms],
        "error_codes": [{"code": f"X_{token}"}],
    }
    error = error_from_response(
        400, json.dumps(body).encode(), method="GET", url="/a", secrets=[token]
    )
    text = f"{error} {error!r} {error.messages}"
    assert all(f not in text for f in [token, *forms]), text
    assert "<hidden>" in str(error) and "\n" not in str(error)


# -- against the sandbox ----------------------------------------------------------------------


def test_b9_not_found_carries_the_trace_id(client: AdsClient) -> None:
    with pytest.raises(NotFound) as caught:
        client.get(f"/ad_accounts/{MISSING}")
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
        c.get("/businesses")
    message = str(caught.value)
    assert message.startswith(NOT_ALLOWED_MESSAGE)
    assert "allow-listing can take up to an hour" in message
    assert caught.value.trace_id and token not in message


def test_b10_401_refreshes_once_then_retries(shared_sandbox: Sandbox, token: str) -> None:
    source = StaticToken("expired-token", refresher=lambda: token)
    with AdsClient(shared_sandbox.api_base_url, source, pacing=False) as c:
        assert c.get("/businesses")["businesses"]
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
        c.get("/businesses")
    assert refreshes == [1]
    assert "not-a-token" not in str(caught.value) and "still" not in repr(caught.value)


def test_b10_threads_hitting_401_together_refresh_once(shared_sandbox: Sandbox, token: str) -> None:
    """B10: eight threads get a 401 on the same old token; one refresh serves them all."""
    refreshed: list[int] = []

    def refresher() -> str:
        refreshed.append(1)
        return token

    source = StaticToken("expired-token-" + "x" * 20, refresher=refresher)
    with AdsClient(shared_sandbox.api_base_url, source, pacing=False, max_workers=8) as c:
        answers = list(c.pool.map(lambda _: c.get("/businesses"), range(8)))
    assert all(a["businesses"] for a in answers)
    assert refreshed == [1] and c.stats.refreshes == 1


def test_b4_b5_bad_report_request_is_a_bad_request(client: AdsClient) -> None:
    account = endpoints.all_ad_accounts(client)[0]["id"]
    with pytest.raises(BadRequest) as caught:
        client.get(f"/ad_accounts/{account}/aggregate_reports", {"entity_type": "AD"})
    assert "fields" in str(caught.value) and caught.value.trace_id


def _report_request(c: AdsClient) -> tuple[str, dict[str, Any]]:
    account = endpoints.all_ad_accounts(c)[0]["id"]
    return f"/ad_accounts/{account}/aggregate_reports", {
        "entity_type": "AD_ACCOUNT",
        "fields": ["CLICKS"],
    }


def test_b11_429_longer_than_the_cap_raises_rate_limited_at_once() -> None:
    with Sandbox(seed=0, rate_limits="on") as sb:
        clock = VirtualClock()
        sb.rate_limiter = RateLimiter("on", monotonic=clock)
        policy = RetryPolicy(max_rate_limit_wait_s=0.5)
        with AdsClient(
            sb.api_base_url,
            StaticToken(access_token(sb)),
            pacing=False,
            retry=policy,
            clock=clock,
            sleep=clock.sleep,
        ) as c:
            path, params = _report_request(c)
            with pytest.raises(RateLimited) as caught:
                for _ in range(200):
                    c.get(path, params)
            assert caught.value.retry_after_s and caught.value.retry_after_s > 0.5
            assert "max_rate_limit_wait_s" in str(caught.value)
            assert c.stats.rate_limited == 1 and clock.slept == []


def test_b11_a_429_is_waited_out_in_virtual_time_and_the_call_succeeds() -> None:
    """B11: past the reporting limit the client waits ``X-RateLimit-Reset`` through its sleep.

    The sandbox counts Spotify's real 30 s windows on the same virtual clock: the client's
    waits move it, so 200 report requests finish without a second of real waiting.
    """
    with Sandbox(seed=0, rate_limits="on") as sb:
        clock = VirtualClock()
        sb.rate_limiter = RateLimiter("on", monotonic=clock)
        with AdsClient(
            sb.api_base_url,
            StaticToken(access_token(sb)),
            pacing=False,
            clock=clock,
            sleep=clock.sleep,
        ) as c:
            path, params = _report_request(c)
            answers = [c.get(path, params) for _ in range(200)]
    assert len(answers) == 200 and all("rows" in a for a in answers)
    assert c.stats.rate_limited >= 1 and sum(clock.slept) >= 1
    assert c.stats.waited_s == pytest.approx(sum(clock.slept))


def test_b11_paced_client_receives_no_429_under_the_reporting_limit() -> None:
    """B11: 400 report requests from 4 threads at Spotify's own limits: none refused.

    Spotify's 150 per 30 s window, on a virtual clock shared by the sandbox's counter and the
    client's pacer: about three windows pass, and no test time.
    """
    with Sandbox(seed=0, rate_limits="on") as sb:
        clock = VirtualClock()
        sb.rate_limiter = RateLimiter("on", monotonic=clock)
        with AdsClient(
            sb.api_base_url,
            StaticToken(access_token(sb)),
            rate_limits=RateLimitPolicy(window_s=30.0),
            max_workers=4,
            clock=clock,
            sleep=clock.sleep,
        ) as c:
            path, params = _report_request(c)
            answers = list(c.pool.map(lambda _: c.get(path, params), range(400)))
            assert len(answers) == 400
            assert c.stats.rate_limited == 0
            assert c.stats.paced > 0 and clock() - 1000.0 >= 2 * 30


def test_retries_5xx_drops_and_truncation_then_gives_up_with_typed_errors() -> None:
    kinds = ("500", "502", "503", "drop", "truncate")
    with Sandbox(seed=0, rate_limits="off", faults=FaultPlan(rate=0.3, kinds=kinds, seed=3)) as sb:
        token = access_token(sb)
        options = _virtual(pacing=False, retry=FAST_RETRY)
        with AdsClient(sb.api_base_url, StaticToken(token), **options) as c:
            for _ in range(30):
                assert c.get("/businesses")["businesses"]
            stats = c.stats.snapshot()
            assert stats["retries"] > 0 and stats["server_errors"] + stats["transport_errors"] > 0
            # Every backoff went through the injected sleep, none longer than the policy's cap.
            slept = options["clock"].slept
            assert len(slept) == stats["retries"] and max(slept) <= FAST_RETRY.backoff_max_s
        sb.faults = FaultPlan(rate=1.0, kinds=("503",), seed=1)
        with AdsClient(sb.api_base_url, StaticToken(token), **_virtual(pacing=False)) as c:
            with pytest.raises(ServerError) as caught:
                c.get("/businesses")
            assert caught.value.trace_id and c.stats.requests == c.retry.max_attempts
        sb.faults = FaultPlan(rate=1.0, kinds=("drop",), seed=1)
        with (
            AdsClient(sb.api_base_url, StaticToken(token), **_virtual(pacing=False)) as c,
            pytest.raises(TransportError),
        ):
            c.get("/businesses")


def test_timeouts_are_retried_a_bounded_number_of_times() -> None:
    plan = FaultPlan(rate=1.0, kinds=("slow",), slow_s=0.3, seed=1)
    with Sandbox(seed=0, rate_limits="off", faults=plan) as sb:
        token = access_token(sb)
        policy = RetryPolicy(max_timeouts=2)
        options = _virtual(pacing=False, timeout_s=0.1, retry=policy)
        with AdsClient(sb.api_base_url, StaticToken(token), **options) as c:
            with pytest.raises(TransportError, match="timed out"):
                c.get("/businesses")
            assert c.stats.timeouts == 3 and len(options["clock"].slept) == 2
        plan.rate = 0.3
        with AdsClient(
            sb.api_base_url, StaticToken(token), **_virtual(pacing=False, timeout_s=0.1)
        ) as c:
            for _ in range(5):
                assert c.get("/businesses")


def test_repr_and_messages_never_show_the_token(client: AdsClient, token: str) -> None:
    assert token not in repr(client) and token not in repr(client.token_source)
    assert token not in repr(vars(client.token_source))


# -- verbose tracebacks (%xmode Verbose) hold no token ------------------------------------------


def _verbose(error: BaseException) -> str:
    """Format ``error`` as ``%xmode Verbose`` and ``capture_locals`` do, from the package down.

    The test's own frames are left out: they hold what the test passes in, as a notebook cell
    holds what the user typed.
    """
    tb = error.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(str(TESTS)):
        tb = tb.tb_next
    assert tb is not None, "the error was raised in the test itself"
    shown = "\n".join(
        VerboseTB(theme_name="nocolor", include_vars=True).structured_traceback(
            type(error), error, tb, context=5
        )
    )
    captured = "".join(
        traceback.TracebackException(type(error), error, tb, capture_locals=True).format()
    )
    return shown + captured


@pytest.fixture
def echo_server() -> Iterator[str]:
    """An API that answers 401 quoting the Authorization header it got."""

    def app(environ: Any, start_response: Any) -> Any:
        request = Request(environ)
        said = f"bad {request.headers.get('Authorization', '')}"
        body = json.dumps({"sp_trace_id": "t", "messages": [said]})
        return Response(body, status=401, mimetype="application/json")(environ, start_response)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    yield f"http://127.0.0.1:{server.port}/ads/v3"
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_b10_verbose_traceback_of_a_refused_refresh_shows_no_token(echo_server: str) -> None:
    """B10: the 401 after the one refresh: no frame of ours holds the old or new raw token.

    The refresh compares tokens as Secrets, the request holds its token as a Secret, and the
    echoed body is not kept in a frame's locals.
    """
    old, new = "BQ" + "OldToken-Canary_" * 5, "BQ" + "NewToken-Canary_" * 5
    source = StaticToken(old, refresher=lambda: new)
    with (
        AdsClient(echo_server, source, **_virtual(pacing=False)) as c,
        pytest.raises(Unauthorized) as caught,
    ):
        c.get("/businesses")
    text = _verbose(caught.value)
    assert "in request" in text and "token = " in text  # our frames, with their locals
    assert old not in text and new not in text and old[2:30] not in text


def test_verbose_traceback_of_a_refused_connection_shows_no_token() -> None:
    """A failure inside requests is raised afresh: no chain back to frames holding headers."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/ads/v3"
    token = "BQ" + "DropToken-Canary_" * 5
    with (
        AdsClient(closed, StaticToken(token), **_virtual(pacing=False, retry=FAST_RETRY)) as c,
        pytest.raises(TransportError, match="refused") as caught,
    ):
        c.get("/businesses")
    text = _verbose(caught.value)
    assert "in request" in text and c.stats.transport_errors == FAST_RETRY.max_attempts
    assert "Bearer" not in text and token not in text and token[2:30] not in text


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
        assert c.get("/businesses")["businesses"]


# -- bounded against a hostile server -----------------------------------------------------------

ACCOUNT = hostile_server.ACCOUNT


def _hostile_client(server: HostileServer, **options: Any) -> AdsClient:
    defaults: dict[str, Any] = {"pacing": False, "max_workers": 4, "retry": FAST_RETRY}
    return AdsClient(
        server.api_base_url, StaticToken("hostile"), **{**_virtual(**defaults), **options}
    )


def test_a_gzip_bomb_is_refused_past_the_body_cap() -> None:
    """A body that expands past max_body_bytes is a typed error, never a MemoryError."""
    with (
        HostileServer("gzip_bomb", bomb_bytes=64 * 1024 * 1024) as server,
        _hostile_client(server, max_body_bytes=4 * 1024 * 1024) as c,
        pytest.raises(ResponseTooLarge) as caught,
    ):
        c.get("/businesses")
    assert caught.value.max_body_bytes == 4 * 1024 * 1024
    assert "max_body_bytes" in str(caught.value) and isinstance(caught.value, TransportError)


def test_a_trickled_body_ends_at_the_request_deadline() -> None:
    """timeout_s bounds the whole request in real time, even when the client's clock is virtual.

    One byte a second never keeps a call alive; the virtual clock (which nothing moves here)
    does not stretch the socket deadline.
    """
    retry = RetryPolicy(max_timeouts=1)
    with (
        HostileServer("trickle") as server,
        _hostile_client(server, timeout_s=0.5, retry=retry) as c,
        pytest.raises(TransportError, match="timed out") as caught,
    ):
        c.get("/businesses")
    assert "timeout_s" in str(caught.value)
    assert server.count == 2 and c.stats.timeouts == 2


def test_b11_retry_after_59_forever_stops_at_the_wait_budget() -> None:
    """B11: Retry-After 59 on every answer: two waits fit the 120 s budget, the third not."""
    clock = VirtualClock()
    with (
        HostileServer("retry_after") as server,
        _hostile_client(server, clock=clock, sleep=clock.sleep, retry=RetryPolicy()) as c,
        pytest.raises(RateLimited) as caught,
    ):
        c.get("/businesses")
    assert clock.slept == [59, 59] and server.count == 3
    assert caught.value.retry_after_s == 59
    assert "59 s" in str(caught.value) and "rate_limit_budget_s" in str(caught.value)
    assert caught.value.url == "/ads/v3/businesses" and caught.value.status_code == 429


def test_deeply_nested_json_is_a_typed_error() -> None:
    """A body nested past the parsers' depth is a MalformedPayload, not a RecursionError."""
    with (
        HostileServer("deep_json") as server,
        _hostile_client(server) as c,
        pytest.raises(MalformedPayload),
    ):
        c.get("/businesses")


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
                endpoints.list_objects_many(client, [ACCOUNT] * 3, "campaigns")
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


def test_close_cancels_a_call_waiting_out_a_429() -> None:
    """close() from another thread ends a call's real 429 wait at once (no injected sleep)."""
    with HostileServer("retry_after") as server:
        client = AdsClient(server.api_base_url, StaticToken("hostile"), pacing=False)
        outcome: list[BaseException] = []

        def run() -> None:
            try:
                with client.call() as call:
                    call.get("/businesses")
            except BaseException as exc:
                outcome.append(exc)

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        for _ in range(200):  # wait (bounded) until the first 429 has arrived
            if client.stats.rate_limited:
                break
            threading.Event().wait(0.02)
        client.close()
        worker.join(timeout=10)
        assert not worker.is_alive(), "the 59 s wait was not cut short"
    assert outcome and isinstance(outcome[0], TransportError)
    assert "interrupted or the client closed" in str(outcome[0]) and server.count == 1
