"""The sandbox's accounts service behaves as Spotify's does (SPOTIFY_ADS.md section A)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from adstudio_nb.sandbox import Sandbox
from adstudio_nb.sandbox.registry import redirect_uri_matches, registration_problem
from tests.helpers import authorize_url, code_from, consent, revoke_in_dashboard, token_response


def _query(location: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(location).query)


def _token(sandbox: Sandbox, data: dict[str, str], *, auth: tuple[str, str] | None = None):
    return requests.post(sandbox.token_url, data=data, auth=auth, timeout=10)


def _exchange(sandbox: Sandbox, code: str, redirect_uri: str | None = None):
    app = sandbox.demo_app
    return _token(
        sandbox,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri or app.redirect_uris[0],
        },
        auth=(app.client_id, app.client_secret),
    )


def _refresh(sandbox: Sandbox, refresh_token: str, app=None):
    app = app or sandbox.demo_app
    return _token(
        sandbox,
        {"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=(app.client_id, app.client_secret),
    )


# -- A1-A3: the authorize page ----------------------------------------------------------------


def test_a1_authorize_page_shows_the_app_and_accepts_both_paths(sandbox: Sandbox) -> None:
    """A1: /authorize and /authorize/ (the guide's form) both show the consent page."""
    for path in ("/authorize", "/authorize/"):
        url = authorize_url(sandbox).replace("/authorize?", path + "?")
        page = requests.get(url, timeout=10)
        assert page.status_code == 200
        assert sandbox.demo_app.name in page.text
        assert "Agree" in page.text and "Cancel" in page.text


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"response_type": "code", "redirect_uri": "http://127.0.0.1:8888/callback"},
            "Missing required parameter: client_id",
        ),
        (
            {
                "client_id": "0" * 32,
                "response_type": "code",
                "redirect_uri": "http://127.0.0.1:8888/callback",
            },
            "INVALID_CLIENT: Invalid client",
        ),
        (
            {"response_type": "code", "redirect_uri": "http://127.0.0.1:9999/elsewhere"},
            "INVALID_CLIENT: Invalid redirect URI",
        ),
        (
            {"response_type": "token", "redirect_uri": "http://127.0.0.1:8888/callback"},
            "unsupported_response_type",
        ),
    ],
)
def test_a2_authorize_errors_are_pages_not_redirects(
    sandbox: Sandbox, params: dict[str, str], message: str
) -> None:
    """A2: a bad client, redirect URI or response type is an error page, never a redirect."""
    query = {"client_id": sandbox.demo_app.client_id, **params}
    if "client_id" not in params and message.startswith("Missing"):
        query.pop("client_id")
    page = requests.get(
        sandbox.authorize_url + "?" + urlencode(query), allow_redirects=False, timeout=10
    )
    assert page.status_code == 400
    assert "Location" not in page.headers
    assert message in page.text


def test_a3_consent_redirects_with_code_and_state(sandbox: Sandbox) -> None:
    """A3: Agree sends the browser to redirect_uri?code=...&state=..."""
    location = consent(authorize_url(sandbox, state="xyz-123"))
    assert location.startswith("http://127.0.0.1:8888/callback?")
    query = _query(location)
    assert query["state"] == ["xyz-123"]
    assert len(query["code"][0]) > 100


def test_a3_cancel_redirects_with_access_denied(sandbox: Sandbox) -> None:
    """A3: Cancel sends error=access_denied and the state back."""
    location = consent(authorize_url(sandbox, state="s1"), approve=False)
    assert _query(location) == {"error": ["access_denied"], "state": ["s1"]}


def test_a3_no_state_in_redirect_when_none_was_sent(sandbox: Sandbox) -> None:
    """A3: state is echoed only if it was sent."""
    assert "state" not in _query(consent(authorize_url(sandbox)))


def test_a1_show_dialog_forces_consent_again(sandbox: Sandbox) -> None:
    """A1: a browser that consented before skips the page, unless show_dialog."""
    browser = requests.Session()
    consent(authorize_url(sandbox), session=browser)
    again = browser.get(authorize_url(sandbox, state="2"), allow_redirects=False, timeout=10)
    assert again.status_code == 302 and "code" in _query(again.headers["Location"])
    forced = browser.get(
        authorize_url(sandbox, show_dialog="true"), allow_redirects=False, timeout=10
    )
    assert forced.status_code == 200 and "Agree" in forced.text


def test_a1_wrong_password_shows_the_form_again(sandbox: Sandbox) -> None:
    """A1: the login part refuses a wrong password without losing the request."""
    http = requests.Session()
    page = http.get(authorize_url(sandbox), timeout=10)
    pending = page.text.split('name="pending" value="')[1].split('"')[0]
    answer = http.post(
        sandbox.base_url + "/authorize/decision",
        data={"pending": pending, "user": "alex.analyst", "password": "nope", "decision": "agree"},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 200 and "Wrong user name or password" in answer.text
    assert consent  # the same pending request still works with the right password
    ok = http.post(
        sandbox.base_url + "/authorize/decision",
        data={"pending": pending, "user": "alex.analyst", "password": "demo", "decision": "agree"},
        allow_redirects=False,
        timeout=10,
    )
    assert ok.status_code == 302 and "code=" in ok.headers["Location"]


# -- A4-A7: the code exchange -----------------------------------------------------------------


def test_a7_success_body(sandbox: Sandbox) -> None:
    """A7: access_token, token_type Bearer, expires_in 3600, refresh_token, empty scope."""
    body = token_response(sandbox)
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token", "scope"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600  # A11
    assert body["scope"] == ""


def test_a4_code_works_once(sandbox: Sandbox) -> None:
    """A4: a used code answers invalid_grant / Invalid authorization code."""
    code = code_from(consent(authorize_url(sandbox)))
    assert _exchange(sandbox, code).status_code == 200
    again = _exchange(sandbox, code)
    assert again.status_code == 400
    assert again.json() == {
        "error": "invalid_grant",
        "error_description": "Invalid authorization code",
    }


def test_a4_code_expires_after_ten_minutes(sandbox: Sandbox) -> None:
    """A4: after 10 minutes: invalid_grant / Authorization code expired."""
    code = code_from(consent(authorize_url(sandbox)))
    sandbox.clock.advance(601)
    answer = _exchange(sandbox, code)
    assert answer.json() == {
        "error": "invalid_grant",
        "error_description": "Authorization code expired",
    }


def test_a4_code_still_valid_just_before_ten_minutes(sandbox: Sandbox) -> None:
    """A4: a code is valid for 10 minutes."""
    code = code_from(consent(authorize_url(sandbox)))
    sandbox.clock.advance(590)
    assert _exchange(sandbox, code).status_code == 200


def test_a4_unknown_code(sandbox: Sandbox) -> None:
    """A4: an unknown code answers Invalid authorization code."""
    answer = _exchange(sandbox, "AQ-not-a-code")
    assert answer.json()["error_description"] == "Invalid authorization code"


def test_a5_json_body_is_refused(sandbox: Sandbox) -> None:
    """A5: only form bodies; JSON gives unsupported_grant_type / grant_type parameter is missing."""
    app = sandbox.demo_app
    answer = requests.post(
        sandbox.token_url,
        json={"grant_type": "authorization_code", "code": "x"},
        auth=(app.client_id, app.client_secret),
        timeout=10,
    )
    assert answer.status_code == 400
    assert answer.json() == {
        "error": "unsupported_grant_type",
        "error_description": "grant_type parameter is missing",
    }


def test_a5_redirect_uri_must_equal_the_authorize_one(sandbox: Sandbox) -> None:
    """A5: a different redirect_uri in the token request: invalid_grant / Invalid redirect URI."""
    code = code_from(consent(authorize_url(sandbox)))
    answer = _exchange(sandbox, code, redirect_uri="http://127.0.0.1:8888/callback/")
    assert answer.json() == {"error": "invalid_grant", "error_description": "Invalid redirect URI"}


def test_a5_client_credentials_in_the_body_also_work(sandbox: Sandbox) -> None:
    """A5: client_id and client_secret in the body work in practice."""
    app = sandbox.demo_app
    code = code_from(consent(authorize_url(sandbox)))
    answer = _token(
        sandbox,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": app.redirect_uris[0],
            "client_id": app.client_id,
            "client_secret": app.client_secret,
        },
    )
    assert answer.status_code == 200 and "access_token" in answer.json()


def _pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(64)[:96]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def test_a5_pkce_code_flow_and_a8_rotation(sandbox: Sandbox) -> None:
    """A5: PKCE sends client_id + code_verifier, no secret; A8: PKCE refresh tokens rotate."""
    app = sandbox.demo_app
    verifier, challenge = _pkce_pair()
    location = consent(
        authorize_url(sandbox, code_challenge_method="S256", code_challenge=challenge)
    )
    first = _token(
        sandbox,
        {
            "grant_type": "authorization_code",
            "code": code_from(location),
            "redirect_uri": app.redirect_uris[0],
            "client_id": app.client_id,
            "code_verifier": verifier,
        },
    ).json()
    assert "access_token" in first
    refreshed = _token(
        sandbox,
        {
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
            "client_id": app.client_id,
        },
    ).json()
    assert refreshed["refresh_token"] != first["refresh_token"]
    reused = _token(
        sandbox,
        {
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
            "client_id": app.client_id,
        },
    ).json()
    assert reused == {"error": "invalid_grant", "error_description": "Refresh token revoked"}


def test_a5_pkce_wrong_verifier(sandbox: Sandbox) -> None:
    """A5: a wrong verifier gives invalid_grant / code_verifier was incorrect."""
    app = sandbox.demo_app
    _, challenge = _pkce_pair()
    location = consent(
        authorize_url(sandbox, code_challenge_method="S256", code_challenge=challenge)
    )
    answer = _token(
        sandbox,
        {
            "grant_type": "authorization_code",
            "code": code_from(location),
            "redirect_uri": app.redirect_uris[0],
            "client_id": app.client_id,
            "code_verifier": _pkce_pair()[0],
        },
    )
    assert answer.json() == {
        "error": "invalid_grant",
        "error_description": "code_verifier was incorrect",
    }


def test_a6_wrong_secret_and_unknown_client(sandbox: Sandbox) -> None:
    """A6: wrong secret: Invalid client secret; unknown client: Invalid client."""
    app = sandbox.demo_app
    code = code_from(consent(authorize_url(sandbox)))
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": app.redirect_uris[0]}
    wrong = _token(sandbox, data, auth=(app.client_id, "f" * 32))
    assert wrong.status_code == 400
    assert wrong.json() == {"error": "invalid_client", "error_description": "Invalid client secret"}
    unknown = _token(sandbox, data, auth=("e" * 32, "f" * 32))
    assert unknown.json() == {"error": "invalid_client", "error_description": "Invalid client"}
    # The refused attempts did not burn the code.
    assert _exchange(sandbox, code).status_code == 200


# -- A8-A11: refresh, revocation, lifetimes ---------------------------------------------------


def test_a8_refresh_without_rotation_keeps_the_refresh_token(sandbox: Sandbox) -> None:
    """A8: by default no new refresh token comes back; the old one keeps working."""
    first = token_response(sandbox)
    for _ in range(2):
        body = _refresh(sandbox, str(first["refresh_token"])).json()
        assert "refresh_token" not in body
        assert body["access_token"] != first["access_token"]
        assert body["expires_in"] == 3600


def test_a8_rotation_switch_per_app(sandbox: Sandbox) -> None:
    """A8: with rotation on, refresh answers carry a new refresh token; the old one is revoked."""
    app = sandbox.register_app(
        "rotating", redirect_uris=["http://127.0.0.1/callback"], rotate_refresh_tokens=True
    )
    first = token_response(sandbox, app=app)
    body = _refresh(sandbox, str(first["refresh_token"]), app).json()
    assert body["refresh_token"] != first["refresh_token"]
    old = _refresh(sandbox, str(first["refresh_token"]), app).json()
    assert old == {"error": "invalid_grant", "error_description": "Refresh token revoked"}
    assert _refresh(sandbox, body["refresh_token"], app).status_code == 200


def test_a9_unknown_refresh_token_and_the_guides_step5_mistake(sandbox: Sandbox) -> None:
    """A9 and D5: refreshing with the access token (the guide's mistake) is an invalid token."""
    first = token_response(sandbox)
    answer = _refresh(sandbox, str(first["access_token"]))
    assert answer.status_code == 400
    assert answer.json() == {"error": "invalid_grant", "error_description": "Invalid refresh token"}


def test_a9_dashboard_revocation(sandbox: Sandbox) -> None:
    """A9, D7: revoking in the dashboard makes refresh answer Refresh token revoked."""
    first = token_response(sandbox)
    page = requests.get(sandbox.dashboard_url, timeout=10)
    assert "alex.analyst" in page.text
    revoked = revoke_in_dashboard(sandbox, sandbox.demo_app.client_id, "alex.analyst")
    assert revoked.status_code == 200 and "revoked" in revoked.text
    answer = _refresh(sandbox, str(first["refresh_token"]))
    assert answer.json() == {"error": "invalid_grant", "error_description": "Refresh token revoked"}
    api = requests.get(
        sandbox.api_base_url + "/businesses",
        headers={"Authorization": f"Bearer {first['access_token']}"},
        timeout=10,
    )
    assert api.status_code == 401


def test_a10_refresh_token_expires_six_months_after_authorization(sandbox: Sandbox) -> None:
    """A10: refreshing does not extend the 6-month life; expiry answers invalid_grant."""
    first = token_response(sandbox)
    sandbox.clock.advance(170 * 86400)
    assert _refresh(sandbox, str(first["refresh_token"])).status_code == 200
    sandbox.clock.advance(13 * 86400)
    answer = _refresh(sandbox, str(first["refresh_token"]))
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"


def test_a11_access_token_lasts_an_hour(sandbox: Sandbox) -> None:
    """A11: the Ads API accepts the token for 3600 s, then answers 401 (B10)."""
    token = token_response(sandbox)["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    sandbox.clock.advance(3590)
    assert requests.get(sandbox.api_base_url + "/businesses", headers=headers, timeout=10).ok
    sandbox.clock.advance(20)
    expired = requests.get(sandbox.api_base_url + "/businesses", headers=headers, timeout=10)
    assert expired.status_code == 401
    assert expired.json() == {"error": {"status": 401, "message": "The access token expired"}}


# -- A12-A13: redirect URIs and scopes ---------------------------------------------------------


@pytest.mark.parametrize(
    ("registered", "requested", "matches"),
    [
        ("http://127.0.0.1:8888/callback", "http://127.0.0.1:8888/callback", True),
        ("http://127.0.0.1:8888/callback", "http://127.0.0.1:8888/callback/", False),
        ("http://127.0.0.1:8888/callback", "http://127.0.0.1:8888/Callback", False),
        ("http://127.0.0.1:8888/callback", "http://127.0.0.1:8889/callback", False),
        ("http://127.0.0.1/callback", "http://127.0.0.1:53682/callback", True),
        ("http://[::1]/callback", "http://[::1]:53682/callback", True),
        ("http://127.0.0.1/callback", "http://127.0.0.1:53682/other", False),
        ("https://example.com/cb", "https://example.com:8443/cb", False),
        ("http://127.0.0.1/callback", "http://localhost:53682/callback", False),
    ],
)
def test_a12_redirect_uri_matching(registered: str, requested: str, matches: bool) -> None:
    """A12: exact match, except any port for a loopback IP literal registered without one."""
    assert redirect_uri_matches(registered, requested) is matches


@pytest.mark.parametrize(
    ("uri", "problem"),
    [
        ("http://localhost:8888/callback", "localhost"),
        ("http://example.com/callback", "http is only allowed"),
        ("http//localhost:8888/callback", "absolute"),
        ("https://example.com/callback", None),
        ("http://127.0.0.1:8888/callback", None),
        ("http://[::1]/callback", None),
    ],
)
def test_a12_registration_rules(uri: str, problem: str | None) -> None:
    """A12: localhost is refused; http only for loopback IP literals."""
    found = registration_problem(uri)
    assert (found is None) if problem is None else (problem in (found or ""))


def test_a12_any_port_loopback_registration_over_http(sandbox: Sandbox) -> None:
    """A12: the demo app's portless loopback registration accepts any port end to end."""
    app = sandbox.demo_app
    location = consent(
        authorize_url(sandbox, redirect_uri="http://127.0.0.1:49152/callback", state="p")
    )
    assert location.startswith("http://127.0.0.1:49152/callback?")
    answer = _exchange(sandbox, code_from(location), "http://127.0.0.1:49152/callback")
    assert answer.status_code == 200, answer.text
    assert app.redirect_uris[1] == "http://127.0.0.1/callback"


def test_a12_localhost_redirect_is_refused_at_authorize(sandbox: Sandbox) -> None:
    """A12: localhost is not a registered (or registrable) redirect URI any more."""
    page = requests.get(
        authorize_url(sandbox, redirect_uri="http://localhost:8888/callback"), timeout=10
    )
    assert page.status_code == 400 and "Invalid redirect URI" in page.text
    with pytest.raises(ValueError, match="localhost"):
        sandbox.register_app("bad", redirect_uris=["http://localhost:8888/callback"])


@pytest.mark.parametrize("scope", ["", "streaming"])
def test_a13_no_scope_and_streaming_both_work(sandbox: Sandbox, scope: str) -> None:
    """A13: the Ads API needs no scope; the old guide's scope=streaming works too."""
    params = {"scope": scope} if scope else {}
    location = consent(authorize_url(sandbox, **params))
    body = _exchange(sandbox, code_from(location)).json()
    assert body["scope"] == scope


def test_a13_unknown_scope_is_an_error_redirect(sandbox: Sandbox) -> None:
    """A13: an unknown scope comes back as error=invalid_scope."""
    page = requests.get(
        authorize_url(sandbox, scope="ads-manage-everything", state="s"),
        allow_redirects=False,
        timeout=10,
    )
    assert page.status_code == 302
    assert _query(page.headers["Location"]) == {"error": ["invalid_scope"], "state": ["s"]}


# -- a third-party client, unchanged ------------------------------------------------------------


def test_a1_to_a7_requests_oauthlib_completes_the_code_flow(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A1-A8: requests-oauthlib's OAuth2Session works against the sandbox unchanged."""
    from requests_oauthlib import OAuth2Session

    # oauthlib insists on https unless told that plain http on loopback is intended.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")

    app = sandbox.demo_app
    session = OAuth2Session(app.client_id, redirect_uri=app.redirect_uris[0])
    url, state = session.authorization_url(sandbox.authorize_url)
    location = consent(url)
    token = session.fetch_token(
        sandbox.token_url, authorization_response=location, client_secret=app.client_secret
    )
    assert token["token_type"] == "Bearer" and _query(location)["state"] == [state]
    businesses = session.get(sandbox.api_base_url + "/businesses", timeout=10)
    assert businesses.status_code == 200
    refreshed = session.refresh_token(sandbox.token_url, auth=(app.client_id, app.client_secret))
    assert refreshed["access_token"] != token["access_token"]
    # A8: the library keeps the old refresh token when none comes back.
    assert refreshed["refresh_token"] == token["refresh_token"]


# -- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"grant_type=authorization_code&grant_type=refresh_token", None),
        (b"\xff\xfe\xfd=\x80\x81", None),
        (b"grant_type=" + b"x" * 2_000_000, None),
        (b"{not json", "application/json"),
        (b"", None),
        (b"grant_type=password&username=a&password=b", None),
    ],
)
def test_a5_token_endpoint_bad_input_is_a_4xx_oauth_error(
    sandbox: Sandbox, body: bytes, content_type: str | None
) -> None:
    """A5: malformed token requests get a 4xx OAuth error body, never a 500."""
    answer = requests.post(
        sandbox.token_url,
        data=body,
        headers={"Content-Type": content_type or "application/x-www-form-urlencoded"},
        auth=(sandbox.demo_app.client_id, sandbox.demo_app.client_secret),
        timeout=10,
    )
    assert 400 <= answer.status_code < 500, answer.text
    assert set(answer.json()) == {"error", "error_description"}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/token", 405),
        ("PUT", "/authorize", 405),
        ("GET", "/nope", 404),
        ("DELETE", "/ads/v3/businesses", 405),
        ("GET", "/ads/v3/no/such/thing", 404),
    ],
)
def test_wrong_methods_and_paths_are_4xx_with_a_body(
    sandbox: Sandbox, method: str, path: str, status: int
) -> None:
    """A2, B9: unknown paths and wrong methods answer 404/405 in the host's error shape."""
    answer = requests.request(method, sandbox.base_url + path, timeout=10)
    assert answer.status_code == status
    if path.startswith("/authorize"):
        assert answer.headers["Content-Type"].startswith("text/html")  # A2: pages
        assert "Something went wrong" in answer.text
        return
    body = answer.json()
    assert ("error" in body) if path == "/api/token" else ("sp_trace_id" in body)


def test_authorize_with_non_utf8_and_huge_values_is_an_error_page(sandbox: Sandbox) -> None:
    """A2: garbage in the authorize query gives an error page, never a 500."""
    for query in ("client_id=%FF%FE&response_type=code", "client_id=" + "a" * 50_000):
        page = requests.get(sandbox.authorize_url + "?" + query, timeout=10)
        assert 400 <= page.status_code < 500


def test_expired_consent_form_is_a_clear_page(sandbox: Sandbox) -> None:
    """A3: posting a consent form twice says the page expired (the code is not issued twice)."""
    answer = requests.post(
        sandbox.base_url + "/authorize/decision",
        data={"pending": "gone", "decision": "agree"},
        timeout=10,
    )
    assert answer.status_code == 400 and "expired" in answer.text
