"""Canary: no secret, token, code, state or Basic value in any repr, str, log or message (D)."""

from __future__ import annotations

import base64
import dataclasses
import json
import logging
import socket
import threading
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from IPython.core.ultratb import VerboseTB
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from adstudio_nb.auth import OAuthFlow
from adstudio_nb.callback import CallbackListener
from adstudio_nb.config import Settings, load_settings
from adstudio_nb.exceptions import (
    AdStudioError,
    AuthorizationRequired,
    CodeExpired,
    CodeInvalid,
    ConfigurationError,
    InvalidClient,
    RedirectParseError,
    StateMismatch,
    TokenRequestError,
    TransportError,
)
from adstudio_nb.login import begin_login
from adstudio_nb.redaction import basic_value, find_secrets
from adstudio_nb.token_store import FileTokenStore, MemoryTokenStore
from tests.helpers import code_from, consent, revoke_in_dashboard

FAKE_SECRET = "c0ffee00c0ffee00c0ffee00c0ffee00"  # a known fake secret for the refusal paths


def basic_values(client_id: str, secret: str) -> set[str]:
    raw = f"{client_id}:{secret}".encode()
    return {base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()}


class Canary:
    """Collects every text the auth code produced, and every value that must not be in it."""

    def __init__(self, caplog: pytest.LogCaptureFixture) -> None:
        self.caplog = caplog
        self.secrets: set[str] = set()
        self.texts: list[str] = []
        self.browser_windows: list[tuple[int, int]] = []

    def secret(self, *values: str | None) -> None:
        self.secrets.update(v for v in values if v)

    def show(self, *objects: Any) -> None:
        for obj in objects:
            self.texts += [repr(obj), str(obj)]
            html = getattr(obj, "_repr_html_", None)
            if callable(html):
                self.texts.append(html())

    def expect(self, kind: type[AdStudioError], call: Callable[[], Any]) -> AdStudioError:
        with pytest.raises(kind) as info:
            call()
        error: BaseException | None = info.value
        while error is not None:  # the whole chain, as a traceback would show it
            self.texts += [str(error), repr(error), *map(str, error.args)]
            self.texts += [str(v) for v in vars(error).values()]
            error = error.__cause__ or error.__context__
        return info.value

    def browser(self, call: Callable[[], Any]) -> Any:
        """Run a step the *browser* does (the test's HTTP client logs its URLs, not us)."""
        start = len(self.caplog.records)
        try:
            return call()
        finally:
            self.browser_windows.append((start, len(self.caplog.records)))

    def check(self, capsys: pytest.CaptureFixture[str]) -> None:
        for index, record in enumerate(self.caplog.records):
            in_browser = any(a <= index < b for a, b in self.browser_windows)
            if in_browser and record.name.startswith(("urllib3", "requests")):
                continue
            self.texts.append(record.getMessage())
            if record.exc_text:
                self.texts.append(record.exc_text)
        out, err = capsys.readouterr()
        self.texts += [out, err]
        assert len(self.secrets) >= 10
        for secret in self.secrets:
            leaks = [t for t in self.texts if secret in t]
            shown = leaks[0].replace(secret, "<SECRET>")[:300] if leaks else ""
            assert not leaks, f"a secret of length {len(secret)} leaked into: {shown!r}"


@pytest.mark.parametrize("use_pkce", [False, True], ids=["basic", "pkce"])
def test_no_secret_anywhere(sandbox, caplog, capsys, tmp_path, use_pkce):
    caplog.set_level(logging.DEBUG)
    for name in ("urllib3", "authlib", "requests", "werkzeug", "adstudio_nb", "filelock"):
        caplog.set_level(logging.DEBUG, logger=name)
    canary = Canary(caplog)
    app = sandbox.demo_app
    canary.secret(app.client_secret, FAKE_SECRET, *basic_values(app.client_id, app.client_secret))
    canary.secret(*basic_values(app.client_id, FAKE_SECRET))

    settings = Settings.for_sandbox(sandbox, use_pkce=use_pkce)
    store = FileTokenStore(tmp_path, "canary", client_id=app.client_id, token_url=sandbox.token_url)
    flow = OAuthFlow(settings, store=store, clock=sandbox.clock.now_datetime)
    canary.show(settings, flow, store, flow.status())

    # Log in through the loopback listener.
    with CallbackListener(settings.redirect_uri) as listener:
        login = flow.start_login(redirect_uri=listener.redirect_uri)
        listener.expected_state = login.state
        canary.secret(login.state, login.code_verifier)
        location = canary.browser(lambda: consent(login.url))
        canary.browser(lambda: requests.get(location, timeout=10))
        result = listener.wait(10)
    canary.secret(result.code)
    token = flow.complete_login(result.url, login)
    canary.secret(token.access_token, token.refresh_token)
    canary.show(login, result, listener, token, flow.status(), flow)
    canary.show(flow.complete_login(result.url, login))  # Run All: the same code again

    # The code again from another kernel; a foreign state; junk around a code.
    other = OAuthFlow(settings, store=MemoryTokenStore())
    canary.expect(CodeInvalid, lambda: other.exchange_code(result.code or "", login))
    canary.expect(StateMismatch, lambda: flow.parse_redirect(result.url, flow.start_login()))
    canary.expect(RedirectParseError, lambda: flow.parse_redirect(f"{result.code} x", login))

    # Refresh by the clock, and explicitly.
    sandbox.clock.advance(3601)
    canary.secret(flow.access_token())
    refreshed = flow.refresh()
    canary.secret(refreshed.access_token, refreshed.refresh_token)
    canary.show(refreshed, flow.status())

    # A code that expired, and a wrong secret.
    late = flow.start_login(show_dialog=True)
    canary.secret(late.state, late.code_verifier)
    late_location = canary.browser(lambda: consent(late.url))
    late_code = flow.parse_redirect(late_location, late)
    canary.secret(late_code)
    sandbox.clock.advance(601)
    canary.expect(CodeExpired, lambda: flow.exchange_code(late_code, late))
    wrong = OAuthFlow(
        dataclasses.replace(settings, client_secret=FAKE_SECRET, use_pkce=False),
        store=MemoryTokenStore(),
    )
    canary.show(wrong.settings)
    canary.expect(InvalidClient, lambda: wrong.exchange_code(late_code, late))

    # Revoked in the dashboard (D7, A9): "log in again".
    canary.browser(lambda: revoke_in_dashboard(sandbox, app.client_id, "alex.analyst"))
    sandbox.clock.advance(3601)
    canary.expect(AuthorizationRequired, flow.access_token)

    # The network fails.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/api/token"
    offline = OAuthFlow(dataclasses.replace(settings, token_url=closed), store=MemoryTokenStore())
    canary.expect(TransportError, lambda: offline.exchange_code(late_code, late))

    # Mis-pasted credentials in the configuration.
    empty_env = tmp_path / "empty.env"
    empty_env.touch()
    swapped = {"ADSTUDIO_CLIENT_ID": app.client_secret, "ADSTUDIO_CLIENT_SECRET": app.client_secret}
    canary.expect(ConfigurationError, lambda: load_settings(environ=swapped, env_file=empty_env))
    basic = next(iter(basic_values(app.client_id, app.client_secret)))
    canary.expect(ConfigurationError, lambda: Settings.spotify(basic, app.client_secret))

    flow.logout()
    canary.show(flow.status())
    canary.check(capsys)


# -- verbose tracebacks (%xmode Verbose) show frame locals: none may hold a secret ----------------

TESTS_DIR = str(Path(__file__).resolve().parent)


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: Any) -> None:
        pass


@pytest.fixture
def echo_accounts() -> Iterator[str]:
    """A token endpoint that refuses every request, quoting its Authorization header and form."""

    def app(environ: Any, start_response: Any) -> Any:
        request = Request(environ)
        said = f"bad {request.headers.get('Authorization', '')} {dict(request.form)}"
        grant = request.form.get("grant_type", "")
        error = "invalid_grant" if grant == "refresh_token" else "invalid_request"
        body = json.dumps({"error": error, "error_description": said})
        return Response(body, status=400, mimetype="application/json")(environ, start_response)

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    yield f"http://127.0.0.1:{server.port}/api/token"
    server.shutdown()
    server.server_close()
    thread.join(5)


def traceback_texts(error: BaseException) -> list[str]:
    """Format ``error`` as ``%xmode Verbose`` and ``capture_locals`` do, from the package down.

    The test's own frames are left out: they hold the values the test passes in, as a notebook
    cell holds what the user pasted; the frames of adstudio_nb and the libraries it calls are
    what these formats would show of the package.
    """
    tb = error.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(TESTS_DIR):
        tb = tb.tb_next
    assert tb is not None, "the error was raised in the test itself"
    verbose = VerboseTB(theme_name="nocolor", include_vars=True)
    shown = "\n".join(verbose.structured_traceback(type(error), error, tb, context=5))
    captured = traceback.TracebackException(type(error), error, tb, capture_locals=True)
    return [shown, "".join(captured.format())]


def expect_failure(kind: type[AdStudioError], call: Callable[[], Any]) -> AdStudioError:
    with pytest.raises(kind) as info:
        call()
    return info.value


@pytest.mark.parametrize("use_pkce", [False, True], ids=["basic", "pkce"])
def test_verbose_tracebacks_of_failed_oauth_steps_hold_no_secret(sandbox, echo_accounts, use_pkce):
    """With ``%xmode Verbose`` a failed exchange, refresh or paste shows no secret in any frame."""
    app = sandbox.demo_app
    settings = Settings.for_sandbox(sandbox, use_pkce=use_pkce)
    secrets: dict[str, str] = {
        "client secret": app.client_secret,
        "fake secret": FAKE_SECRET,
        "Basic value": basic_value(app.client_id, app.client_secret),
        "fake Basic value": basic_value(app.client_id, FAKE_SECRET),
    }
    failures: list[AdStudioError] = []

    def remember(name: str, value: str | None) -> None:
        if value:
            secrets[f"{name} {len(secrets)}"] = value

    def logged_in(flow: OAuthFlow) -> Any:
        login = flow.start_login(show_dialog=True)
        location = consent(login.url)
        remember("state", login.state)
        remember("verifier", login.code_verifier)
        remember("code", code_from(location))
        return login, location

    flow = OAuthFlow(settings, store=MemoryTokenStore(), clock=sandbox.clock.now_datetime)

    # An expired code, pasted as the whole address; a paste from another login.
    login, location = logged_in(flow)
    sandbox.clock.advance(601)
    failures.append(expect_failure(CodeExpired, lambda: flow.complete_login(location, login)))
    failures.append(
        expect_failure(StateMismatch, lambda: flow.parse_redirect(location, flow.start_login()))
    )
    failures.append(
        expect_failure(
            RedirectParseError,
            lambda: flow.complete_login(location.replace("code=", "code=!"), login),
        )
    )

    # A wrong secret, and a token endpoint that echoes the Basic value and the form.
    login, location = logged_in(flow)
    wrong = OAuthFlow(
        dataclasses.replace(settings, client_secret=FAKE_SECRET, use_pkce=False),
        store=MemoryTokenStore(),
    )
    failures.append(expect_failure(InvalidClient, lambda: wrong.complete_login(location, login)))
    echo = OAuthFlow(
        dataclasses.replace(settings, token_url=echo_accounts), store=MemoryTokenStore()
    )
    failures.append(expect_failure(TokenRequestError, lambda: echo.complete_login(location, login)))

    # The network fails during an exchange.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/api/token"
    offline = OAuthFlow(dataclasses.replace(settings, token_url=closed), store=MemoryTokenStore())
    failures.append(expect_failure(TransportError, lambda: offline.complete_login(location, login)))

    # Logged in, then refreshes fail: revoked in the dashboard; an echoing endpoint (A9).
    token = flow.complete_login(location, login)
    remember("access token", token.access_token)
    remember("refresh token", token.refresh_token)
    echo.store.save(token)
    sandbox.clock.advance(3601)
    failures.append(expect_failure(AuthorizationRequired, echo.refresh))
    revoke_in_dashboard(sandbox, app.client_id, "alex.analyst")
    failures.append(expect_failure(AuthorizationRequired, flow.access_token))

    # The onboarding path: the listener catches the redirect, the code has expired meanwhile.
    attempt = begin_login(flow, show_dialog=True)
    try:
        remember("state", attempt.login.state)
        remember("verifier", attempt.login.code_verifier)
        caught = consent(attempt.url)
        remember("code", code_from(caught))
        requests.get(caught, timeout=10)
        assert attempt.listener is not None
        attempt.listener.wait(10)
        sandbox.clock.advance(601)
        failures.append(expect_failure(CodeExpired, attempt.finish_with_listener))
        failures.append(expect_failure(CodeExpired, lambda: attempt.finish_with_redirect(caught)))
    finally:
        attempt.close()

    assert len(failures) == 10 and len(secrets) >= 12
    for error in failures:
        for text in traceback_texts(error):
            assert type(error).__name__ in text
            found = find_secrets(text, secrets)
            assert not found, f"{type(error).__name__}'s traceback shows {found}"
