"""Property tests: whatever is pasted or configured, only AdStudioError with one-line messages."""

from __future__ import annotations

import dataclasses
import string
from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from adstudio_nb.auth import LoginRequest, OAuthFlow
from adstudio_nb.config import (
    Settings,
    load_settings,
    validate_client_id,
    validate_client_secret,
    validate_scope,
)
from adstudio_nb.exceptions import AdStudioError, AuthorizationDenied, StateMismatch
from adstudio_nb.redirect_uris import compare_redirect_uris, validate_redirect_uri
from adstudio_nb.token_store import MemoryTokenStore

CLIENT_ID = "0123456789abcdef0123456789abcdef"
SECRET = "fedcba9876543210fedcba9876543210"
STATE = "the-state-of-this-login"
FLOW = OAuthFlow(Settings.spotify(CLIENT_ID, SECRET), store=MemoryTokenStore())
LOGIN = LoginRequest(
    url="https://accounts.spotify.com/authorize?x=1",
    redirect_uri="http://127.0.0.1:8888/callback",
    state=STATE,
    code_verifier=None,
    client_id=CLIENT_ID,
    created_at=datetime(2026, 1, 1, tzinfo=UTC),
)
PKCE_LOGIN = dataclasses.replace(LOGIN, code_verifier="v" * 86)
CODE_ALPHABET = string.ascii_letters + string.digits + "-_.~"

anything = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(codec="utf-8")),
    st.binary(),
    st.integers(),
    st.floats(),
    st.none(),
    st.booleans(),
    st.lists(st.text(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3),
    st.text(min_size=5000, max_size=20000),
)
url_like = st.builds(
    lambda scheme, sep, host, port, path, query: f"{scheme}{sep}{host}{port}{path}{query}",
    st.sampled_from(["http", "https", "HTTP", "ftp", "", "javascript"]),
    st.sampled_from(["://", "//", ":", ":///"]),
    st.sampled_from(["127.0.0.1", "localhost", "[::1]", "example.com", "", "[::", "0.0.0.0"]),  # noqa: S104
    st.one_of(st.just(""), st.integers(-5, 70000).map(lambda p: f":{p}"), st.text(max_size=4)),
    st.one_of(st.just("/callback"), st.just(""), st.text(max_size=20)),
    st.one_of(st.just(""), st.text(max_size=20).map(lambda t: "?" + t)),
)


def assert_one_line(error: AdStudioError) -> None:
    message = str(error)
    assert message and len(message.splitlines()) == 1, repr(message)
    assert len(message) < 600


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(anything, url_like))
@example("http//localhost:8888/callback")
@example("http://127.0.0.1:8888/callback?code=\u2028x&state=y")
@example("?code=&code=")
@example("code=AQ" + "a" * 30 + "&state=" + STATE)
@example("\x00")
def test_parse_redirect_accepts_garbage(pasted):
    try:
        code = FLOW.parse_redirect(pasted, LOGIN)
    except AdStudioError as error:
        assert_one_line(error)
    else:
        assert isinstance(code, str) and 16 <= len(code) <= 4096
        assert all(c in CODE_ALPHABET for c in code)


@given(
    code=st.text(alphabet=CODE_ALPHABET, min_size=16, max_size=300),
    extra=st.dictionaries(st.sampled_from(["foo", "scope", "x"]), st.text(max_size=10)),
    host=st.sampled_from(["http://127.0.0.1:8888/callback", "https://app.example/cb", ""]),
)
def test_parse_redirect_finds_every_well_formed_code_A3(code, extra, host):
    query = urlencode({**extra, "code": code, "state": STATE})
    pasted = f"{host}?{query}" if host else query
    assert FLOW.parse_redirect(pasted, LOGIN) == code
    # A3: a bare code has no state; only a PKCE login's verifier ties it to this login.
    assert FLOW.parse_redirect(code, PKCE_LOGIN) == code
    try:
        FLOW.parse_redirect(code, LOGIN)
    except StateMismatch as error:
        assert_one_line(error)
        assert code not in str(error)
    else:
        raise AssertionError("a bare code was accepted without PKCE")


@given(
    code=st.text(alphabet=CODE_ALPHABET, min_size=16, max_size=300),
    extra=st.dictionaries(st.sampled_from(["foo", "scope", "x", "error"]), st.text(max_size=10)),
    blank=st.booleans(),
)
def test_a_redirect_without_state_is_always_refused_A3(code, extra, blank):
    params = {**extra, "code": code}
    if blank:
        params["state"] = ""
    pasted = "http://127.0.0.1:8888/callback?" + urlencode(params)
    try:
        FLOW.parse_redirect(pasted, PKCE_LOGIN)
    except StateMismatch as error:
        assert_one_line(error)
        assert "no state" in str(error) and code not in str(error)
    else:
        raise AssertionError("a redirect without state was accepted")


@given(state=st.text(min_size=1, max_size=50).filter(lambda s: s != STATE))
def test_another_state_is_always_refused_A3(state):
    pasted = "http://127.0.0.1:8888/callback?" + urlencode(
        {"code": "AQ" + "b" * 30, "state": state}
    )
    try:
        FLOW.parse_redirect(pasted, LOGIN)
    except StateMismatch as error:
        assert_one_line(error)
    except AdStudioError as error:  # a state with line breaks is refused earlier
        assert_one_line(error)
    else:
        raise AssertionError("a foreign state was accepted")


@given(st.text(max_size=30))
def test_denials_are_denials_A3(description):
    pasted = "http://127.0.0.1:8888/callback?" + urlencode(
        {"error": "access_denied", "state": STATE, "error_description": description}
    )
    try:
        FLOW.parse_redirect(pasted, LOGIN)
    except AuthorizationDenied as error:
        assert_one_line(error)


@settings(max_examples=300)
@given(st.one_of(anything, url_like))
@example("http://127.0.0.1:8888/callback\n")
@example("http://[::1/callback")
def test_validate_redirect_uri_accepts_garbage_A12(uri):
    try:
        result = validate_redirect_uri(uri)
    except AdStudioError as error:
        assert_one_line(error)
    else:
        assert isinstance(result, str) and result == result.strip()
        assert urlsplit(result).hostname != "localhost"  # A12


@given(st.one_of(anything, url_like), st.one_of(anything, url_like))
def test_compare_redirect_uris_accepts_garbage_A12(sent, registered):
    try:
        explanation = compare_redirect_uris(sent, registered)
    except AdStudioError as error:
        assert_one_line(error)
    else:
        assert explanation is None or len(explanation.splitlines()) == 1
        if sent == registered:
            assert explanation is None


@settings(max_examples=300)
@given(anything, st.sampled_from([None, SECRET, CLIENT_ID]), st.booleans())
def test_credential_checks_accept_garbage_and_never_echo(value, other, lax):
    for check, kwargs in (
        (validate_client_id, {"client_secret": other, "lax": lax}),
        (validate_client_secret, {"client_id": other, "lax": lax}),
    ):
        try:
            check(value, **kwargs)
        except AdStudioError as error:
            assert_one_line(error)
            # (short values may happen to be words of the message itself)
            if isinstance(value, str) and len(value.strip()) >= 20:
                assert value.strip() not in str(error)


@given(anything)
def test_validate_scope_accepts_garbage_A13(scope):
    try:
        validate_scope(scope)
    except AdStudioError as error:
        assert_one_line(error)


field_values = st.one_of(anything, url_like, st.just(CLIENT_ID), st.just(SECRET))


@settings(max_examples=200, deadline=None)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "client_id": field_values,
            "client_secret": field_values,
            "redirect_uri": field_values,
            "scope": field_values,
            "authorize_url": field_values,
            "token_url": field_values,
            "api_base_url": field_values,
            "target": st.one_of(st.sampled_from(["sandbox", "spotify", "custom"]), anything),
            "profile": field_values,
            "token_dir": field_values,
            "use_pkce": field_values,
            "token_storage": field_values,
            "dashboard_url": field_values,
        },
    )
)
def test_settings_accept_garbage(values):
    values.setdefault("client_id", CLIENT_ID)
    try:
        Settings(**values)
    except AdStudioError as error:
        assert_one_line(error)


env_names = st.sampled_from(
    [
        "ADSTUDIO_CLIENT_SECRET",
        "ADSTUDIO_REDIRECT_URI",
        "ADSTUDIO_SCOPE",
        "ADSTUDIO_TARGET",
        "ADSTUDIO_AUTHORIZE_URL",
        "ADSTUDIO_TOKEN_URL",
        "ADSTUDIO_API_BASE_URL",
        "ADSTUDIO_TOKEN_DIR",
        "ADSTUDIO_PROFILE",
        "ADSTUDIO_USE_PKCE",
    ]
)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        env_names, st.one_of(st.text(max_size=60), url_like).filter(lambda v: "\x00" not in v)
    )
)
def test_load_settings_accepts_garbage_environments(tmp_path_factory, environ):
    env_file = tmp_path_factory.getbasetemp() / "empty.env"
    env_file.touch()
    environ = {**environ, "ADSTUDIO_CLIENT_ID": CLIENT_ID}
    if environ.get("ADSTUDIO_TARGET", "").strip().lower() == "sandbox":
        environ["ADSTUDIO_TARGET"] = "spotify"  # the sandbox path starts a server: not here
    try:
        load_settings(environ=environ, env_file=env_file)
    except AdStudioError as error:
        assert_one_line(error)
