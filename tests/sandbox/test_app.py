"""The Ads API's door: bearer checks (B10), rate limits (B11), error bodies (B9), faults."""

from __future__ import annotations

import uuid

import pytest
import requests

from adstudio_nb.sandbox import FaultPlan, Sandbox
from adstudio_nb.sandbox.ratelimit import RateLimiter
from tests.helpers import access_token


def _get(sandbox: Sandbox, path: str, token: str | None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(sandbox.api_base_url + path, headers=headers, timeout=10)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "No token provided"),
        ("Basic Zm9vOmJhcg==", "Only valid bearer authentication supported"),
        ("Bearer ", "Only valid bearer authentication supported"),
        ("Bearer BQ-not-a-token", "Invalid access token"),
    ],
)
def test_b10_missing_or_malformed_token_is_401(
    sandbox: Sandbox, header: str | None, message: str
) -> None:
    """B10: missing, malformed or unknown tokens answer 401 in the Web API error form."""
    headers = {"Authorization": header} if header else {}
    answer = requests.get(sandbox.api_base_url + "/businesses", headers=headers, timeout=10)
    assert answer.status_code == 401
    assert answer.json() == {"error": {"status": 401, "message": message}}


def test_b10_app_not_allowed_for_the_ads_api_is_403(sandbox: Sandbox) -> None:
    """B10: a client id not yet allowed for the Ads API gets 403 with a B9 body."""
    app = sandbox.register_app(
        "pending approval", redirect_uris=["http://127.0.0.1:8888/callback"], ads_allowed=False
    )
    answer = _get(sandbox, "/businesses", access_token(sandbox, app=app))
    assert answer.status_code == 403
    body = answer.json()
    uuid.UUID(body["sp_trace_id"])  # B9: a trace id users can quote
    assert "not allowed" in body["messages"][0]


def test_b9_error_bodies_carry_a_fresh_trace_id(sandbox: Sandbox) -> None:
    """B9: every error body has sp_trace_id, messages and error codes; trace ids differ."""
    first = requests.get(sandbox.base_url + "/ads/v3/nothing-here", timeout=10).json()
    second = requests.get(sandbox.base_url + "/ads/v3/nothing-here", timeout=10).json()
    assert first["sp_trace_id"] != second["sp_trace_id"]
    assert isinstance(first["messages"], list) and first["messages"]


def test_b11_general_limit_answers_429_with_both_headers(sandbox: Sandbox) -> None:
    """B11: past the limit a 429 carries Retry-After and X-RateLimit-* headers."""
    sandbox.rate_limiter.limits = {"general": 3, "reporting": 2}
    token = access_token(sandbox)
    answers = [_get(sandbox, "/businesses", token) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[0].headers["X-RateLimit-Limit"] == "3"
    assert answers[0].headers["X-RateLimit-Remaining"] == "2"
    refused = answers[3]
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert 1 <= int(refused.headers["Retry-After"]) <= 30
    assert refused.headers["X-RateLimit-Reset"] == refused.headers["Retry-After"]
    assert "sp_trace_id" in refused.json()


def test_b11_limits_are_per_client_and_user(sandbox: Sandbox) -> None:
    """B11: one user's spent window does not limit another user of the same app."""
    sandbox.rate_limiter.limits = {"general": 2, "reporting": 1}
    alex, sam = access_token(sandbox, "alex.analyst"), access_token(sandbox, "sam.smallbiz")
    assert [_get(sandbox, "/businesses", alex).status_code for _ in range(3)] == [200, 200, 429]
    assert _get(sandbox, "/businesses", sam).status_code == 200


def test_b11_windows_reset_and_reporting_counts_against_both() -> None:
    """B11: a window resets after 30 s; a reporting call counts against both limits."""
    now = [0.0]
    limiter = RateLimiter("on", limits={"general": 3, "reporting": 2}, monotonic=lambda: now[0])
    assert limiter.check("c", "u", "reporting").allowed
    assert limiter.check("c", "u", "reporting").allowed
    refused = limiter.check("c", "u", "reporting")
    assert not refused.allowed and refused.limit == 2 and refused.reset_s == 30
    assert limiter.check("c", "u", "general").allowed  # general: 3rd of 3
    assert not limiter.check("c", "u", "general").allowed
    now[0] = 30.0
    assert limiter.check("c", "u", "reporting").allowed


def test_b11_scaled_and_off_modes() -> None:
    """B11: 'scaled' keeps the counts in a shorter window; 'off' never refuses."""
    now = [0.0]
    scaled = RateLimiter(
        "scaled", window_s=3, limits={"general": 1, "reporting": 1}, monotonic=lambda: now[0]
    )
    assert scaled.check("c", "u", "general").allowed
    assert not scaled.check("c", "u", "general").allowed
    now[0] = 3.0
    assert scaled.check("c", "u", "general").allowed
    assert RateLimiter("off").check("c", "u", "general") is None
    with pytest.raises(ValueError, match="one of"):
        RateLimiter("sometimes")


@pytest.mark.parametrize("kind", ["500", "502", "503", "429"])
def test_faults_status_answers(kind: str) -> None:
    """Injected 5xx and 429 faults answer with that status and a B9 body."""
    with Sandbox(faults=FaultPlan(rate=1.0, kinds=(kind,))) as sb:
        token = access_token(sb)
        answer = _get(sb, "/businesses", token)
        assert answer.status_code == int(kind)
        assert "sp_trace_id" in answer.json()
        if kind == "429":
            assert answer.headers["Retry-After"] == "1"
        assert sb.faults is not None and sb.faults.injected == {kind: 1}


def test_faults_drop_closes_the_connection() -> None:
    """A dropped-connection fault closes the socket without an answer."""
    with Sandbox(faults=FaultPlan(rate=1.0, kinds=("drop",))) as sb:
        token = access_token(sb)
        with pytest.raises(requests.ConnectionError):
            _get(sb, "/businesses", token)


def test_faults_truncate_sends_half_a_body() -> None:
    """A truncated-body fault announces the full length and sends half of it."""
    with Sandbox(faults=FaultPlan(rate=1.0, kinds=("truncate",))) as sb:
        token = access_token(sb)
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            _get(sb, "/businesses", token)


def test_faults_slow_answers_outlast_a_short_timeout() -> None:
    """A slow fault stalls longer than a client's timeout."""
    with Sandbox(faults=FaultPlan(rate=1.0, kinds=("slow",), slow_s=1.0)) as sb:
        token = access_token(sb)
        with pytest.raises(requests.Timeout):
            requests.get(
                sb.api_base_url + "/businesses",
                headers={"Authorization": f"Bearer {token}"},
                timeout=0.2,
            )


def test_faults_leave_the_accounts_service_alone() -> None:
    """Faults are for the Ads API; logging in keeps working."""
    with Sandbox(faults=FaultPlan(rate=1.0, kinds=("500",))) as sb:
        assert access_token(sb)


def test_fault_plan_parse_and_validation() -> None:
    """The CLI's fault spec parses; nonsense is refused with a hint."""
    plan = FaultPlan.parse("rate=0.2,kinds=500+drop,slow_s=2,seed=7")
    assert (plan.rate, plan.kinds, plan.slow_s, plan.seed) == (0.2, ("500", "drop"), 2.0, 7)
    for bad in ("rate=2", "kinds=500+boom", "nonsense", "rate=abc"):
        with pytest.raises(ValueError):
            FaultPlan.parse(bad)


def test_fault_draws_are_reproducible() -> None:
    """The same seed gives the same faults in the same order."""
    plan_a, plan_b = FaultPlan(rate=0.5, seed=3), FaultPlan(rate=0.5, seed=3)
    assert [plan_a.draw() for _ in range(50)] == [plan_b.draw() for _ in range(50)]


def test_home_page_lists_urls_and_not_the_secret(sandbox: Sandbox) -> None:
    """The home page shows the URLs and the demo client id, never the client secret."""
    page = requests.get(sandbox.base_url + "/", timeout=10)
    assert page.status_code == 200
    assert sandbox.demo_app.client_id in page.text
    assert sandbox.demo_app.client_secret not in page.text


def test_latency_is_added_to_ads_api_answers() -> None:
    """--latency-ms delays Ads API answers (used by the benchmarks)."""
    with Sandbox(latency_ms=150) as sb:
        token = access_token(sb)
        answer = _get(sb, "/businesses", token)
        assert answer.ok and answer.elapsed.total_seconds() >= 0.15
