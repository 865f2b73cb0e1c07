"""The OAuth steps against the sandbox over real HTTP (A1-A13, D)."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import inspect
import json
import re
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from adstudio_nb.auth import AuthStatus, LoginRequest, OAuthFlow, Token
from adstudio_nb.callback import CallbackListener
from adstudio_nb.config import Settings
from adstudio_nb.exceptions import (
    AdStudioError,
    AuthError,
    AuthorizationDenied,
    AuthorizationRequired,
    CodeExpired,
    CodeInvalid,
    CodeVerifierMismatch,
    InvalidClient,
    RedirectParseError,
    RedirectURIError,
    RedirectURIMismatch,
    StateMismatch,
    TokenRequestError,
    TransportError,
    UnsupportedGrantType,
)
from adstudio_nb.redaction import Secret
from adstudio_nb.sandbox import Sandbox
from adstudio_nb.token_store import MemoryTokenStore
from tests.helpers import code_from, consent, revoke_in_dashboard


def make_flow(sb: Sandbox, **settings: Any) -> OAuthFlow:
    """A flow on the sandbox's demo app with its own memory store and the sandbox's clock."""
    return OAuthFlow(
        Settings.for_sandbox(sb, **settings), store=MemoryTokenStore(), clock=sb.clock.now_datetime
    )


def login(flow: OAuthFlow, **kwargs: Any) -> tuple[LoginRequest, str]:
    """Start a login and play the browser: return it and the redirect location (A1-A3)."""
    request = flow.start_login(**kwargs)
    return request, consent(request.url)


@pytest.fixture
def flow(sandbox: Sandbox) -> OAuthFlow:
    return make_flow(sandbox)


def count_calls(monkeypatch: pytest.MonkeyPatch, obj: Any, name: str) -> list[dict[str, Any]]:
    """Record the keyword arguments of every call of ``obj.name`` (the sandbox's side)."""
    calls: list[dict[str, Any]] = []
    original = getattr(obj, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return original(*args, **kwargs)

    monkeypatch.setattr(obj, name, wrapper)
    return calls


# -- the whole way -------------------------------------------------------------------------------


def test_full_flow_listener_refresh_revoke_and_log_in_again_A1_A3_A5_A7_A8_A9_D7(sandbox):
    flow = make_flow(sandbox)
    assert not flow.status().logged_in
    with pytest.raises(AuthorizationRequired, match="Not logged in"):
        flow.access_token()

    # The demo app registers http://127.0.0.1/callback without a port: any port works (A12).
    with CallbackListener(flow.settings.redirect_uri) as listener:
        request = flow.start_login(redirect_uri=listener.redirect_uri)
        listener.expected_state = request.state
        location = consent(request.url)
        assert location.startswith(listener.redirect_uri + "?")
        page = requests.get(location, timeout=10)  # the browser follows the redirect (A3)
        assert page.status_code == 200 and "close this tab" in page.text
        result = listener.wait(10)
    token = flow.complete_login(result.url, request)
    assert token.scope == ""  # A7: empty for the Ads API
    assert token.refresh_token
    assert token.expires_in_s(sandbox.clock.now_datetime()) == pytest.approx(3600, abs=5)  # A11
    assert flow.access_token() == token.access_token
    status = flow.status()
    assert isinstance(status, AuthStatus) and status.logged_in
    assert status.fingerprint == token.fingerprint

    # The token answers the Ads API's bearer check (D6).
    assert sandbox.registry.access_grant(token.access_token) is not None

    # An hour later the access token refreshes by itself; the 6-month horizon stays (A8, A10).
    sandbox.clock.advance(3601)
    fresh = flow.access_token()
    assert fresh != token.access_token
    refreshed = flow.store.load()
    assert refreshed is not None
    assert refreshed.authorized_at == token.authorized_at
    assert refreshed.refresh_token == token.refresh_token  # demo app does not rotate (A8)

    # The user is removed in the developer dashboard (D7): the refresh token dies (A9).
    answer = revoke_in_dashboard(sandbox, flow.settings.client_id, "alex.analyst")
    assert answer.status_code == 200  # the dashboard page after its 303
    sandbox.clock.advance(3601)
    with pytest.raises(AuthorizationRequired, match="log in again") as info:
        flow.access_token()
    assert "revoked" in str(info.value)
    assert not flow.status().logged_in  # a dead login is forgotten

    # Logging in again works; show_dialog forces the consent page again (A1).
    request, location = login(flow, show_dialog=True)
    assert "show_dialog=true" in request.url
    again = flow.complete_login(location, request)
    assert again.authorized_at > token.authorized_at


def test_authorize_url_carries_the_documented_parameters_A1_A13(sandbox):
    flow = make_flow(sandbox)
    request = flow.start_login()
    query = parse_qs(urlsplit(request.url).query)
    assert request.url.startswith(sandbox.authorize_url + "?")
    assert query["client_id"] == [sandbox.demo_app.client_id]
    assert query["response_type"] == ["code"]
    assert query["redirect_uri"] == ["http://127.0.0.1/callback"]
    assert query["state"] == [request.state] and len(request.state) >= 20
    assert "scope" not in query  # A13: the Ads API defines no scopes
    assert "show_dialog" not in query and "code_challenge" not in query
    assert flow.start_login().state != request.state  # fresh every time
    assert request.state not in repr(request)

    streaming = make_flow(sandbox, scope="streaming")  # the old guide's scope still works (A13)
    request, location = login(streaming)
    assert parse_qs(urlsplit(request.url).query)["scope"] == ["streaming"]
    assert streaming.complete_login(location, request).scope == "streaming"


def test_pkce_login_sends_an_s256_challenge_and_no_secret_A1_A5(sandbox, monkeypatch):
    flow = make_flow(sandbox, use_pkce=True)
    assert flow.settings.client_secret is None
    request, location = login(flow)
    query = parse_qs(urlsplit(request.url).query)
    verifier = request.code_verifier
    assert verifier and 43 <= len(verifier) <= 128
    digest = hashlib.sha256(verifier.encode()).digest()
    assert query["code_challenge"] == [base64.urlsafe_b64encode(digest).rstrip(b"=").decode()]
    assert query["code_challenge_method"] == ["S256"]
    assert verifier not in repr(request)
    seen = count_calls(monkeypatch, sandbox.registry, "authenticate_client")
    token = flow.complete_login(location, request)
    assert token.refresh_token
    assert seen[-1]["pkce"] is True  # no secret travelled (A5)


# -- the paste path (D2) -------------------------------------------------------------------------


def test_paste_path_whole_url_or_query_A3_D2(sandbox):
    flow = make_flow(sandbox)
    request, location = login(flow)
    assert flow.parse_redirect("  " + location + "\n", request) == code_from(location)
    assert flow.parse_redirect(urlsplit(location).query, request) == code_from(location)
    assert flow.parse_redirect("?" + urlsplit(location).query, request) == code_from(location)
    token = flow.exchange_code(flow.parse_redirect(location, request), request)
    assert flow.status().fingerprint == token.fingerprint


def test_paste_path_refusal_and_forgery_A3(sandbox):
    flow = make_flow(sandbox)
    request, location = login(flow)
    other = flow.start_login()
    with pytest.raises(StateMismatch, match="another login"):
        flow.parse_redirect(location, other)
    denied_request = flow.start_login(show_dialog=True)
    denied = consent(denied_request.url, approve=False)
    assert "error=access_denied" in denied
    with pytest.raises(AuthorizationDenied, match="Cancel"):
        flow.parse_redirect(denied, denied_request)
    with pytest.raises(RedirectParseError, match="login address itself"):
        flow.parse_redirect(request.url, request)
    for junk in ["", "   ", "hello", "http://127.0.0.1/callback?state=" + request.state, "a b c"]:
        with pytest.raises(RedirectParseError):
            flow.parse_redirect(junk, request)
    with pytest.raises(AuthError, match="invalid_scope"):
        flow.parse_redirect(f"http://x/cb?error=invalid_scope&state={request.state}", request)


# -- code errors (A4, A5) ------------------------------------------------------------------------


def test_expired_code_A4(sandbox):
    flow = make_flow(sandbox)
    request, location = login(flow)
    sandbox.clock.advance(601)
    with pytest.raises(CodeExpired) as info:
        flow.complete_login(location, request)
    assert str(info.value) == (
        "The authorization code expired: codes last 10 minutes. Open the Spotify login again."
    )
    assert info.value.error == "invalid_grant"
    assert info.value.error_description == "Authorization code expired"
    assert info.value.status_code == 400


def test_code_works_once_and_run_all_is_safe_A4(sandbox, monkeypatch):
    flow = make_flow(sandbox)
    request, location = login(flow)
    calls = count_calls(monkeypatch, sandbox.registry, "exchange_code")
    token = flow.complete_login(location, request)
    # Run All runs the cell again: the same code returns the stored token, no request.
    assert flow.complete_login(location, request) == token
    assert len(calls) == 1
    # Another client object (another kernel) spending the same code is refused (A4).
    other = make_flow(sandbox)
    with pytest.raises(CodeInvalid, match="already used") as info:
        other.complete_login(location, request)
    assert info.value.error_description == "Invalid authorization code"


def test_wrong_redirect_uri_at_the_token_step_A5(sandbox):
    flow = make_flow(sandbox)
    request, location = login(flow)
    moved = dataclasses.replace(request, redirect_uri="http://127.0.0.1:8888/callback")
    with pytest.raises(RedirectURIMismatch) as info:
        flow.complete_login(location, moved)
    assert info.value.sent == "http://127.0.0.1:8888/callback"
    message = str(info.value)
    assert "http://127.0.0.1:8888/callback" in message
    assert "exactly the one registered" in message and "authorize step" in message


def test_pkce_wrong_verifier_A5(sandbox):
    flow = make_flow(sandbox, use_pkce=True)
    request, location = login(flow)
    wrong = dataclasses.replace(request, code_verifier="x" * 64)
    with pytest.raises(CodeVerifierMismatch, match="verifier"):
        flow.complete_login(location, wrong)


# -- client errors (A2, A6) ----------------------------------------------------------------------


def test_wrong_secret_A6(sandbox):
    flow = make_flow(sandbox)
    request, location = login(flow)
    bad = OAuthFlow(
        dataclasses.replace(flow.settings, client_secret="0" * 32), store=MemoryTokenStore()
    )
    with pytest.raises(InvalidClient, match="client secret") as info:
        bad.complete_login(location, request)
    assert info.value.error == "invalid_client"
    assert info.value.error_description == "Invalid client secret"
    assert "ADSTUDIO_CLIENT_SECRET" in str(info.value)


def test_unknown_client_A2_A6(sandbox):
    settings = dataclasses.replace(Settings.for_sandbox(sandbox), client_id="f" * 32)
    flow = OAuthFlow(settings, store=MemoryTokenStore())
    request = flow.start_login()
    page = requests.get(request.url, timeout=10)  # A2: an error page, not a redirect
    assert page.status_code == 400 and "INVALID_CLIENT: Invalid client" in page.text
    with pytest.raises(InvalidClient, match="does not know this client id"):
        flow.exchange_code("AQ" + "x" * 40, request)


def test_unregistered_redirect_uri_is_an_error_page_A2(sandbox):
    flow = make_flow(sandbox, redirect_uri="https://example.com/callback")
    page = requests.get(flow.start_login().url, timeout=10, allow_redirects=False)
    assert page.status_code == 400 and "INVALID_CLIENT: Invalid redirect URI" in page.text


# -- refreshing (A8-A10, D5) ---------------------------------------------------------------------


def test_refresh_keeps_the_old_refresh_token_when_none_comes_back_A8(sandbox):
    flow = make_flow(sandbox)
    request, location = login(flow)
    first = flow.complete_login(location, request)
    second = flow.refresh()
    assert second.access_token != first.access_token
    assert second.refresh_token == first.refresh_token
    assert flow.store.load() == second


def test_refresh_replaces_a_rotated_refresh_token_A8(sandbox):
    app = sandbox.register_app(
        "rotating", redirect_uris=["http://127.0.0.1/callback"], rotate_refresh_tokens=True
    )
    settings = dataclasses.replace(
        Settings.for_sandbox(sandbox), client_id=app.client_id, client_secret=app.client_secret
    )
    flow = OAuthFlow(settings, store=MemoryTokenStore(), clock=sandbox.clock.now_datetime)
    request, location = login(flow)
    first = flow.complete_login(location, request)
    second = flow.refresh()
    assert second.refresh_token != first.refresh_token
    third = flow.refresh()  # the stored (new) refresh token is the one used
    assert third.refresh_token != second.refresh_token
    old = requests.post(
        sandbox.token_url,
        data={"grant_type": "refresh_token", "refresh_token": first.refresh_token},
        auth=(app.client_id, app.client_secret),
        timeout=10,
    )
    assert old.json()["error_description"] == "Refresh token revoked"


def test_pkce_refresh_rotates_and_sends_client_id_A8(sandbox, monkeypatch):
    flow = make_flow(sandbox, use_pkce=True)
    request, location = login(flow)
    first = flow.complete_login(location, request)
    seen = count_calls(monkeypatch, sandbox.registry, "refresh")
    second = flow.refresh()
    assert seen[0]["pkce"] is True  # client_id in the body, no secret (A8)
    assert second.refresh_token != first.refresh_token  # PKCE refresh tokens rotate (A8)
    assert flow.refresh().access_token != second.access_token


def test_refresh_never_takes_the_access_token_D5(sandbox, monkeypatch):
    assert list(inspect.signature(OAuthFlow.refresh).parameters) == ["self"]
    flow = make_flow(sandbox)
    request, location = login(flow)
    token = flow.complete_login(location, request)
    seen = count_calls(monkeypatch, sandbox.registry, "refresh")
    flow.refresh()
    assert seen[0]["refresh_token"] == token.refresh_token != token.access_token


def test_refresh_token_expires_six_months_after_login_A10(sandbox):
    flow = make_flow(sandbox)
    request, location = login(flow)
    token = flow.complete_login(location, request)
    assert token.refresh_expires_at == token.authorized_at + timedelta(days=182)
    sandbox.clock.advance(100 * 86400)
    assert flow.refresh().authorized_at == token.authorized_at  # refreshing does not extend it
    sandbox.clock.advance(83 * 86400)
    with pytest.raises(AuthorizationRequired, match="6 months") as info:
        flow.access_token()
    assert "log in again" in str(info.value)


def test_refresh_with_unknown_refresh_token_A9(sandbox):
    flow = make_flow(sandbox)
    now = sandbox.clock.now_datetime()
    flow.store.save(Token("BQ-not-a-token", "AQ-unknown", now - timedelta(seconds=1), now))
    with pytest.raises(AuthorizationRequired, match="log in again"):
        flow.access_token()
    assert flow.store.load() is None


def test_refresh_without_a_login_or_refresh_token_A9(sandbox):
    flow = make_flow(sandbox)
    with pytest.raises(AuthorizationRequired, match="Not logged in"):
        flow.refresh()
    now = sandbox.clock.now_datetime()
    flow.store.save(Token("BQ", None, now - timedelta(seconds=1), now))
    with pytest.raises(AuthorizationRequired, match="no refresh token"):
        flow.access_token()


def test_access_token_refreshes_within_the_last_minute(sandbox):
    flow = make_flow(sandbox)
    request, location = login(flow)
    token = flow.complete_login(location, request)
    sandbox.clock.advance(3600 - 120)
    assert flow.access_token() == token.access_token  # two minutes left: kept
    sandbox.clock.advance(90)
    assert flow.access_token() != token.access_token  # 30 s left: refreshed first


def test_logout_forgets_the_tokens(sandbox):
    flow = make_flow(sandbox)
    request, location = login(flow)
    flow.complete_login(location, request)
    flow.logout()
    assert flow.store.load() is None and not flow.status().logged_in
    with pytest.raises(AuthorizationRequired):
        flow.access_token()


# -- a third-party client against the sandbox (A1-A7) ---------------------------------------------


def test_requests_oauthlib_completes_the_code_flow_unchanged_A1_A7(sandbox, monkeypatch):
    from requests_oauthlib import OAuth2Session

    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the sandbox is http on 127.0.0.1
    app = sandbox.demo_app
    with OAuth2Session(app.client_id, redirect_uri=app.redirect_uris[0]) as oauth:
        url, state = oauth.authorization_url(sandbox.authorize_url)
        location = consent(url)
        token = oauth.fetch_token(
            sandbox.token_url, authorization_response=location, client_secret=app.client_secret
        )
        assert token["token_type"] == "Bearer" and token["expires_in"] == 3600
        assert token["refresh_token"] and sandbox.registry.access_grant(token["access_token"])
        again = oauth.refresh_token(
            sandbox.token_url, auth=(app.client_id, app.client_secret), timeout=10
        )
        assert again["access_token"] != token["access_token"]
    assert state in location


# -- odd answers and the network -----------------------------------------------------------------


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: Any) -> None:
        pass


@pytest.fixture
def odd_accounts() -> Iterator[Callable[[Callable[[Request], Response]], str]]:
    """Serve a hand-written token endpoint; return its URL."""
    servers: list[Any] = []

    def serve(handler: Callable[[Request], Response]) -> str:
        def app(environ: Any, start_response: Any) -> Any:
            return handler(Request(environ))(environ, start_response)

        server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
        thread.daemon = True
        thread.start()
        servers.append((server, thread))
        return f"http://127.0.0.1:{server.port}/api/token"

    yield serve
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _odd_flow(sandbox: Sandbox, token_url: str) -> tuple[OAuthFlow, LoginRequest]:
    settings = dataclasses.replace(Settings.for_sandbox(sandbox), token_url=token_url)
    flow = OAuthFlow(settings, store=MemoryTokenStore())
    return flow, flow.start_login()


@pytest.mark.parametrize(
    ("status", "body", "expected", "text"),
    [
        (503, "<html>down</html>", TokenRequestError, "HTTP 503"),
        (429, "{}", TokenRequestError, "too many"),
        (200, "not json", TokenRequestError, "HTTP 200"),
        (200, '{"token_type": "Bearer"}', TokenRequestError, "without an access token"),
        (
            400,
            '{"error":"unsupported_grant_type",'
            '"error_description":"grant_type parameter is missing"}',
            UnsupportedGrantType,
            "malformed",
        ),
        (400, '{"error":"server_error"}', TokenRequestError, "server_error"),
    ],
)
def test_odd_token_answers_map_to_typed_errors_A5(
    sandbox, odd_accounts, status, body, expected, text
):
    url = odd_accounts(lambda request: Response(body, status=status, mimetype="application/json"))
    flow, request = _odd_flow(sandbox, url)
    with pytest.raises(expected, match=text) as info:
        flow.exchange_code("AQ" + "x" * 40, request)
    assert info.value.status_code == status
    assert "\n" not in str(info.value)


def test_an_echoed_secret_is_scrubbed_from_messages(sandbox, odd_accounts):
    secret = sandbox.demo_app.client_secret
    code = "AQ" + "y" * 40
    url = odd_accounts(
        lambda request: Response(
            f'{{"error":"invalid_request","error_description":"bad {secret} {code}"}}',
            status=400,
            mimetype="application/json",
        )
    )
    flow, request = _odd_flow(sandbox, url)
    with pytest.raises(TokenRequestError) as info:
        flow.exchange_code(code, request)
    assert secret not in str(info.value) and code not in str(info.value)
    assert secret not in str(info.value.error_description)


def test_network_failure_is_a_transport_error_without_secrets(sandbox):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = dataclasses.replace(
        Settings.for_sandbox(sandbox), token_url=f"http://127.0.0.1:{port}/api/token"
    )
    flow = OAuthFlow(settings, store=MemoryTokenStore(), timeout_s=2)
    with pytest.raises(TransportError, match="Could not reach") as info:
        flow.exchange_code("AQ" + "z" * 40, flow.start_login())
    assert settings.client_secret and settings.client_secret not in str(info.value)
    assert "z" * 40 not in str(info.value)


def test_a_custom_requests_session_is_used_for_the_transport(sandbox):
    hits: list[str] = []

    class CountingAdapter(requests.adapters.HTTPAdapter):
        def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
            hits.append(request.method)
            assert kwargs["timeout"] is not None  # timeouts are always set
            return super().send(request, **kwargs)

    with requests.Session() as session:
        session.mount("http://", CountingAdapter())
        flow = OAuthFlow(
            Settings.for_sandbox(sandbox),
            store=MemoryTokenStore(),
            session=session,
            clock=sandbox.clock.now_datetime,
        )
        request, location = login(flow)
        flow.complete_login(location, request)
        flow.refresh()
    assert hits == ["POST", "POST"]


# -- the values ------------------------------------------------------------------------------------


def test_token_value_hides_tokens_and_round_trips_A10():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    token = Token("BQ-secret-access", "AQ-secret-refresh", now + timedelta(hours=1), now)
    for text in (repr(token), str(token), token._repr_html_()):
        assert "secret" not in text and token.fingerprint in text
    assert len(token.fingerprint) == 8
    assert Token.from_dict(token.to_dict()) == token
    assert token.refresh_expires_at == now + timedelta(days=182)
    assert not token.is_expired(now) and token.is_expired(now + timedelta(minutes=59), leeway_s=60)
    assert token.expires_in_s(now) == 3600
    naive = Token("a", None, datetime(2026, 1, 1, 1), datetime(2026, 1, 1))
    assert naive.expires_at.tzinfo is not None


def test_status_is_displayable(sandbox):
    flow = make_flow(sandbox)
    assert "Not logged in" in str(flow.status())
    request, location = login(flow)
    token = flow.complete_login(location, request)
    status = flow.status()
    assert token.fingerprint in str(status) and token.fingerprint in status._repr_html_()
    assert token.access_token not in repr(status)


def test_bad_arguments_raise_only_our_errors(sandbox):
    flow = make_flow(sandbox)
    request = flow.start_login()
    with pytest.raises(RedirectURIError):
        flow.start_login(redirect_uri="http://localhost:9999/callback")
    # A12: a listener's URI may add a port to the port-less registration, nothing else.
    assert flow.start_login(redirect_uri="http://127.0.0.1:5555/callback").redirect_uri
    with pytest.raises(RedirectURIError, match="trailing slash") as info:
        flow.start_login(redirect_uri="http://127.0.0.1:5555/callback/")
    assert info.value.suggestion == "http://127.0.0.1/callback"
    with pytest.raises(AdStudioError):
        flow.exchange_code(12345, request)  # type: ignore[arg-type]
    with pytest.raises(AdStudioError):
        flow.exchange_code("AQ" + "x" * 40, "not a login")  # type: ignore[arg-type]
    with pytest.raises(AdStudioError):
        flow.parse_redirect(None, request)
    with pytest.raises(AdStudioError):
        OAuthFlow("settings")  # type: ignore[arg-type]
    other = OAuthFlow(dataclasses.replace(flow.settings, client_id="e" * 32))
    with pytest.raises(AdStudioError, match="another client id"):
        other.exchange_code("AQ" + "x" * 40, request)


def test_authorize_url_with_trailing_slash_as_in_the_ads_guides(sandbox):
    settings = dataclasses.replace(
        Settings.for_sandbox(sandbox), authorize_url=sandbox.authorize_url + "/"
    )
    flow = OAuthFlow(settings, store=MemoryTokenStore(), clock=sandbox.clock.now_datetime)
    request = flow.start_login()
    assert request.url.startswith(sandbox.authorize_url + "/?")
    token = flow.complete_login(consent(request.url), request)
    assert token.access_token


def test_exchange_form_is_urlencoded_with_basic_auth_A5(sandbox, odd_accounts):
    seen: list[dict[str, Any]] = []

    def handler(request: Request) -> Response:
        auth = request.authorization
        seen.append(
            {
                "mimetype": request.mimetype,
                "form": dict(request.form),
                "auth": (auth.type, auth.username, auth.password) if auth else None,
            }
        )
        body = '{"access_token":"BQ1","expires_in":3600,"refresh_token":"AQ1"}'
        return Response(body, mimetype="application/json")

    flow, request = _odd_flow(sandbox, odd_accounts(handler))
    flow.exchange_code("AQ" + "x" * 40, request)
    sent = seen[0]
    assert sent["mimetype"] == "application/x-www-form-urlencoded"
    assert sent["form"] == {
        "grant_type": "authorization_code",
        "code": "AQ" + "x" * 40,
        "redirect_uri": request.redirect_uri,
    }
    app = sandbox.demo_app
    assert sent["auth"] == ("basic", app.client_id, app.client_secret)


# -- the state is required, on every path (A3) ---------------------------------------------------


def _without_state(location: str) -> str:
    """Return ``location`` with its ``state`` parameter taken out (a forged or cut redirect)."""
    parts = urlsplit(location)
    return f"{parts.scheme}://{parts.netloc}{parts.path}?code={code_from(location)}"


def test_a_pasted_redirect_without_state_is_refused_A3(sandbox, monkeypatch):
    """A3: the CSRF guard cannot be skipped by leaving ``state`` out of a pasted address."""
    flow = make_flow(sandbox)
    request, location = login(flow)
    cut = _without_state(location)
    calls = count_calls(monkeypatch, sandbox.registry, "exchange_code")
    for pasted in (cut, urlsplit(cut).query, "?" + urlsplit(cut).query):
        with pytest.raises(StateMismatch, match="no state") as info:
            flow.complete_login(pasted, request)
        assert "whole address" in str(info.value) and "\n" not in str(info.value)
    denied = f"{request.redirect_uri}?error=access_denied"
    with pytest.raises(StateMismatch, match="no state"):
        flow.parse_redirect(denied, request)
    assert calls == []  # nothing reached the token endpoint
    assert flow.complete_login(location, request).access_token  # the real redirect still works


def test_a_bare_code_needs_pkce_to_stand_for_the_state_A3_D2(sandbox):
    """A3, D2: a code pasted alone carries no state; only PKCE ties it to this login."""
    flow = make_flow(sandbox)
    request, location = login(flow)
    with pytest.raises(StateMismatch, match="whole address") as info:
        flow.complete_login(code_from(location), request)
    assert code_from(location) not in str(info.value)
    assert flow.complete_login(location, request).access_token

    pkce = make_flow(sandbox, use_pkce=True)
    request, location = login(pkce)
    bare = code_from(location)
    assert pkce.parse_redirect(bare, request) == bare
    assert pkce.complete_login(bare, request).access_token
    # An attacker's code, issued for another login's PKCE challenge, fails the verifier (A5).
    victim = pkce.start_login()
    _, attacker_location = login(make_flow(sandbox, use_pkce=True))
    with pytest.raises(CodeVerifierMismatch):
        pkce.complete_login(code_from(attacker_location), victim)


# -- no secret in any part, in any encoding (A5, A6, D3) ------------------------------------------


def _runs(value: str, size: int = 12) -> set[str]:
    """Every run of ``size`` characters of ``value``: what a partial echo could show."""
    return {value[i : i + size] for i in range(len(value) - size + 1)}


def _error_texts(error: BaseException | None) -> list[str]:
    """Every text of ``error`` and its chain, as a traceback or a display would show them."""
    texts: list[str] = []
    while error is not None:
        texts += [str(error), repr(error), *map(str, error.args)]
        texts += [str(v) for v in vars(error).values()]
        error = error.__cause__ or error.__context__
    return texts


def _assert_no_part_of(values: list[str], texts: list[str]) -> None:
    for value in values:
        for run in _runs(value):
            leaks = [t for t in texts if run in t]
            assert not leaks, (
                f"12 characters of a secret leaked into {leaks[0].replace(run, '<RUN>')!r}"
            )


def test_a_token_error_echoing_the_basic_value_or_parts_of_secrets_is_redacted_A5(
    sandbox, odd_accounts
):
    """A5: an answer that echoes the Authorization header, or pieces of the code, shows neither."""
    app = sandbox.demo_app
    code = "AQ" + "k7Zp2" * 12

    def echo(request: Request) -> Response:
        header = request.headers.get("Authorization", "")
        said = (
            f"bad header {header}; code {code[:20]}...{code[-20:]} secret {app.client_secret[3:19]}"
        )
        return Response(
            json.dumps({"error": "invalid_request", "error_description": said}),
            status=400,
            mimetype="application/json",
        )

    flow, request = _odd_flow(sandbox, odd_accounts(echo))
    with pytest.raises(TokenRequestError) as info:
        flow.exchange_code(code, request)
    basic = base64.b64encode(f"{app.client_id}:{app.client_secret}".encode()).decode()
    texts = _error_texts(info.value)
    assert "bad header Basic" in str(info.value)  # what Spotify said is still shown, redacted
    _assert_no_part_of([basic, app.client_secret, code], texts)


def test_a_refresh_error_echoing_part_of_the_refresh_token_is_redacted_A9(sandbox, odd_accounts):
    """A9: a refusal quoting a piece of the refresh token shows no part of it."""
    refresh = "AQ" + "r9Qx" * 20

    def refuse(request: Request) -> Response:
        said = f"Invalid refresh token {refresh[5:40]}"
        return Response(
            json.dumps({"error": "invalid_grant", "error_description": said}),
            status=400,
            mimetype="application/json",
        )

    flow, _ = _odd_flow(sandbox, odd_accounts(refuse))
    now = datetime.now(UTC)
    flow.store.save(Token("BQ" + "a" * 40, refresh, now - timedelta(seconds=1), now))
    with pytest.raises(AuthorizationRequired, match="log in again") as info:
        flow.access_token()
    _assert_no_part_of([refresh], _error_texts(info.value))


# -- an honest reason for each refusal of a refresh token (A8-A10) --------------------------------


def _refused_refresh(
    sandbox: Sandbox, odd_accounts: Any, description: str, *, login_age: timedelta
) -> AuthorizationRequired:
    """Refresh a login ``login_age`` old against an endpoint that says ``description``."""

    def refuse(request: Request) -> Response:
        return Response(
            json.dumps({"error": "invalid_grant", "error_description": description}),
            status=400,
            mimetype="application/json",
        )

    flow, _ = _odd_flow(sandbox, odd_accounts(refuse))
    now = datetime.now(UTC)
    flow.store.save(
        Token("BQ" + "a" * 40, "AQ" + "b" * 40, now - timedelta(seconds=1), now - login_age)
    )
    with pytest.raises(AuthorizationRequired) as info:
        flow.refresh()
    assert flow.store.load() is None  # a dead login is forgotten
    message = str(info.value)
    assert "\n" not in message and "log in again" in message.lower()
    assert not re.search(r"\bA\d+\b", message)  # no behaviour ids for people
    return info.value


def test_an_expired_answer_for_a_fresh_login_is_not_called_the_six_month_limit_A10(
    sandbox, odd_accounts
):
    """A10: "expired" about a login 1 s old says what Spotify said, not "more than 6 months"."""
    error = _refused_refresh(
        sandbox, odd_accounts, "Refresh token expired", login_age=timedelta(seconds=1)
    )
    message = str(error)
    assert "6 months" not in message and "more than" not in message
    assert "Refresh token expired" in message


@pytest.mark.parametrize(
    ("description", "age_days", "expected", "not_expected"),
    [
        ("Refresh token expired", 183, "6 months", "revoked"),  # A10 by the stored login's age
        ("Invalid refresh token", 183, "6 months", "revoked"),  # A10 whatever the text
        ("Refresh token revoked", 1, "revoked", "6 months"),  # A8, A9
        ("Refresh token revoked", 183, "revoked", "Invalid"),  # A9 says more than the age
        ("Invalid refresh token", 1, "does not recognise", "6 months"),  # A9
        ("Refresh token expired after 6 months", 1, "6 months", "revoked"),  # says so itself
        ("Something new", 1, "Something new", "6 months"),  # an unknown text, quoted
    ],
)
def test_each_refresh_refusal_gets_its_own_message_A8_A9_A10(
    sandbox, odd_accounts, description, age_days, expected, not_expected
):
    error = _refused_refresh(sandbox, odd_accounts, description, login_age=timedelta(days=age_days))
    assert expected in str(error) and not_expected not in str(error)


def test_the_sandbox_refresh_texts_map_to_their_messages_A8_A9_A10(sandbox):
    """A8-A10 over the sandbox: revoked by a rotation, unknown, and past the horizon."""
    flow = make_flow(sandbox, use_pkce=True)  # PKCE refresh tokens rotate (A8)
    request, location = login(flow)
    first = flow.complete_login(location, request)
    flow.refresh()
    flow.store.save(first)  # the old, rotated-away refresh token comes back
    sandbox.clock.advance(3601)
    with pytest.raises(AuthorizationRequired, match="revoked") as info:
        flow.access_token()
    assert info.value.__cause__.error_description == "Refresh token revoked"
    assert "6 months" not in str(info.value)

    now = sandbox.clock.now_datetime()
    flow.store.save(Token("BQ-unknown", "AQ-unknown-to-the-sandbox", now, now))
    with pytest.raises(AuthorizationRequired, match="does not recognise") as info:
        flow.access_token()
    assert info.value.__cause__.error_description == "Invalid refresh token"
    assert "6 months" not in str(info.value) and flow.store.load() is None


def test_a_client_secret_held_as_a_secret_logs_in_and_refreshes_A5_A8(sandbox, monkeypatch):
    """Settings may hold the client secret as a ``Secret``: Basic auth still gets the value."""
    settings = Settings.for_sandbox(sandbox)
    # Settings may keep the secret wrapped; the OAuth steps must work either way.
    object.__setattr__(settings, "client_secret", Secret(sandbox.demo_app.client_secret))
    flow = OAuthFlow(settings, store=MemoryTokenStore(), clock=sandbox.clock.now_datetime)
    request, location = login(flow)
    token = flow.complete_login(Secret(location), request)  # a pasted Secret works too
    sandbox.clock.advance(3601)
    assert flow.access_token() != token.access_token
    wrong = OAuthFlow(
        dataclasses.replace(settings, client_secret=Secret("f" * 32)), store=MemoryTokenStore()
    )
    request, location = login(flow)
    with pytest.raises(InvalidClient, match="client secret") as info:
        wrong.complete_login(location, request)
    assert "f" * 12 not in str(info.value)
