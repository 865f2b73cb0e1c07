"""The secrets canary: every flow run with known secrets, then no log or message holds one.

A sandbox app is registered and its (fake but real-looking) client secret noted; a login with
the secret, a PKCE login, refreshes with rotating refresh tokens, refusals of every kind
(expired, reused and foreign codes, a wrong secret, a revoked grant, a foreign state), the
callback listener, and Ads API calls through faults all run with every logger at DEBUG
(urllib3, werkzeug, authlib, filelock and adstudio_nb included). Every exception's message,
repr and chain, and the repr of every object a notebook would display, are collected too.
None may contain the client secret, its Basic value, an authorization code, a PKCE verifier,
or an access or refresh token, whole or in part (DESIGN.md section 4; D: the Basic value is as
secret as the secret). The autouse guard in ``conftest.py`` applies the same scan to every
other test of this suite, and the soak table reports their totals.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import pytest

from adstudio_nb.ads import Ads
from adstudio_nb.auth import OAuthFlow
from adstudio_nb.callback import CallbackListener
from adstudio_nb.client import AdsClient, RetryPolicy, StaticToken
from adstudio_nb.config import Settings
from adstudio_nb.exceptions import AdStudioError
from adstudio_nb.sandbox import FaultPlan, Sandbox
from adstudio_nb.token_store import FileTokenStore, MemoryTokenStore
from tests.helpers import access_token, consent
from tests.reliability.conftest import FigureSink
from tests.reliability.figures import Figures
from tests.reliability.leakguard import LeakGuard, basic_value
from tests.reliability.rawhttp import request

REDIRECT_URI = "http://127.0.0.1/callback"


def _settings(sb: Sandbox, app: object, tmp: Path, **changes: object) -> Settings:
    values: dict[str, object] = {
        "client_id": app.client_id,  # type: ignore[attr-defined]
        "client_secret": app.client_secret,  # type: ignore[attr-defined]
        "redirect_uri": REDIRECT_URI,
        "authorize_url": sb.authorize_url,
        "token_url": sb.token_url,
        "api_base_url": sb.api_base_url,
        "dashboard_url": sb.dashboard_url,
        "target": "sandbox",
        "token_dir": tmp,
        "token_storage": "file",
    }
    values.update(changes)
    return Settings(**values)  # type: ignore[arg-type]


def _expect_error(guard: LeakGuard, call: object) -> AdStudioError:
    try:
        call()  # type: ignore[operator]
    except AdStudioError as exc:
        guard.note(exc)
        return exc
    raise AssertionError("expected an AdStudioError")


def test_canary_flows_leak_no_secret(
    tmp_path: Path, leak_guard: LeakGuard, figures: FigureSink
) -> None:
    """D/A1-A10/B9-B11: no secret, code or token in any DEBUG log, message or repr."""
    guard = leak_guard
    with Sandbox(seed=11, faults=FaultPlan(rate=0.0, seed=3)) as sb:
        app = sb.register_app(
            "canary app", redirect_uris=[REDIRECT_URI], rotate_refresh_tokens=True
        )
        guard.add_secret(app.client_secret, "canary client secret")
        guard.add_secret(basic_value(app.client_id, app.client_secret), "canary Basic value")
        settings = _settings(sb, app, tmp_path / "tokens")
        flow = OAuthFlow(settings, clock=sb.clock.now_datetime)

        # A1-A7: a login caught by the loopback listener, over a raw socket (the browser).
        login = flow.start_login()
        location = consent(login.url)
        with CallbackListener(REDIRECT_URI, expected_state=login.state) as listener:
            caught = location.replace(REDIRECT_URI, listener.redirect_uri, 1)
            target = caught.split(str(listener.port), 1)[1].encode()
            assert request(listener.port or 0, b"GET", target).status == 200
            result = listener.wait(30)
            guard.note(repr(result))
            guard.note(repr(listener))
        token = flow.complete_login(result.url, login)
        for shown in (token, login, flow, settings, flow.status(), flow.store):
            guard.note(repr(shown))
            guard.note(str(shown))
        guard.note(token._repr_html_())
        guard.note(flow.status()._repr_html_())

        # A4: the same code in a fresh flow (already used), and an expired one.
        reused = OAuthFlow(settings, store=MemoryTokenStore(), clock=sb.clock.now_datetime)
        _expect_error(guard, lambda: reused.complete_login(result.url, login))
        late = reused.start_login()
        late_location = consent(late.url)
        sb.clock.advance(601)
        _expect_error(guard, lambda: reused.complete_login(late_location, late))
        # A3: a foreign state; a denial.
        _expect_error(
            guard, lambda: flow.parse_redirect(caught.replace(login.state, "forged-state"), login)
        )
        denied = flow.start_login()
        _expect_error(
            guard, lambda: flow.complete_login(consent(denied.url, approve=False), denied)
        )
        # A6: a wrong secret (the canary with one digit changed).
        wrong = app.client_secret[:-1] + ("0" if app.client_secret[-1] != "0" else "1")
        guard.add_secret(wrong, "wrong client secret")
        bad = OAuthFlow(
            _settings(sb, app, tmp_path / "bad", client_secret=wrong, profile="bad"),
            clock=sb.clock.now_datetime,
        )
        attempt = bad.start_login()
        _expect_error(guard, lambda: bad.complete_login(consent(attempt.url), attempt))

        # A5/A8: PKCE login (the verifier is secret) and refreshes with rotation.
        pkce_settings = _settings(
            sb, app, tmp_path / "pkce", client_secret=None, use_pkce=True, profile="pkce"
        )
        pkce = OAuthFlow(pkce_settings, clock=sb.clock.now_datetime)
        pkce_login = pkce.start_login()
        guard.add_secret(pkce_login.code_verifier, "PKCE verifier")
        guard.note(repr(pkce_login))
        pkce.complete_login(consent(pkce_login.url), pkce_login)
        for _ in range(2):
            sb.clock.advance(3700)
            guard.note(repr(flow.token()))
            guard.note(repr(pkce.token()))

        # B9-B11: API calls, errors and faults, with the flow as token source.
        with Ads(
            AdsClient(sb.api_base_url, flow, retry=RetryPolicy(backoff_s=0.01)), progress=False
        ) as ads:
            accounts = ads.ad_accounts()
            guard.note(repr(ads))
            guard.note(repr(ads.client))
            _expect_error(guard, lambda: ads.campaigns("00000000-0000-4000-8000-000000000000"))
            sb.faults = FaultPlan(
                rate=0.5, slow_s=0.0, seed=5, kinds=("500", "503", "429", "drop", "truncate")
            )
            ads.campaigns(accounts.iloc[0])
            sb.faults = None
        # B10: a token the API does not know, refreshed once, then refused.
        stale = AdsClient(
            sb.api_base_url,
            StaticToken("BQ-unknown-token-" + "x" * 40),
            retry=RetryPolicy(backoff_s=0.01),
        )
        guard.note(repr(stale.token_source))
        _expect_error(guard, lambda: stale.get("/businesses"))
        stale.close()

        # A9: the user revokes the app in the dashboard; the stored login becomes useless.
        sb.registry.revoke(app.client_id, "alex.analyst")
        sb.clock.advance(3700)
        _expect_error(guard, lambda: flow.token())

        # The token file is allowed to hold tokens; its name and the store's repr are not.
        stored = FileTokenStore(
            tmp_path / "pkce", "pkce", client_id=app.client_id, token_url=sb.token_url
        )
        guard.note(repr(stored))
        guard.note(repr(dataclasses.replace(settings, profile="shown")))

    leaks = guard.leaks()
    figures.add(
        Figures(
            "secrets canary (flows)",
            count=len(guard.all_secrets()),
            failures=len(leaks),
            notes=guard.summary(),
        )
    )
    assert len(guard.all_secrets()) >= 10  # codes, tokens, secrets and the verifier were seen
    assert guard.log_lines > 0
    assert leaks == [], "\n".join(str(leak) for leak in leaks)


@pytest.mark.parametrize("where", ["logs", "messages"])
@pytest.mark.parametrize("kind", ["client secret", "Basic value", "access token"])
def test_the_canary_catches_a_planted_leak(kind: str, where: str) -> None:
    """The scan is not vacuous: a secret cut to its first 24 characters is still found.

    The planted record goes straight to this guard's capture (not through the root logger),
    so the suite's own guard around this test does not see it.
    """
    guard = LeakGuard()
    with Sandbox(seed=1) as sb:
        secret = access_token(sb) if kind == "access token" else ""
        guard.watch(sb)
        secret = secret or {v: k for k, v in guard.all_secrets().items()}[kind]
    planted = f"oops: {secret[:24]}..."
    if where == "logs":
        guard.capture.emit(logging.makeLogRecord({"name": "planted", "msg": planted}))
    else:
        guard.note(RuntimeError(planted))
    assert [(leak.kind, leak.where) for leak in guard.leaks()] == [(kind, where)]
