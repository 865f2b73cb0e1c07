"""The login choreography shared by the panels and the CLI."""

from __future__ import annotations

import sys
import types
from urllib.parse import parse_qs, urlsplit

import pytest

from adstudio_nb.auth import OAuthFlow
from adstudio_nb.config import Settings
from adstudio_nb.demo import consent, demo_login
from adstudio_nb.exceptions import ConfigurationError, StateMismatch
from adstudio_nb.login import begin_login, remote_kernel_reason
from adstudio_nb.redaction import Secret
from adstudio_nb.sandbox import Sandbox
from adstudio_nb.token_store import MemoryTokenStore


def test_remote_kernels_are_recognised() -> None:
    """Colab and JupyterHub kernels cannot receive the browser's redirect."""
    assert remote_kernel_reason({}, {}) is None
    assert "Colab" in (remote_kernel_reason({"google.colab": object()}, {}) or "")
    assert "JupyterHub" in (remote_kernel_reason({}, {"JUPYTERHUB_SERVICE_PREFIX": "/u/"}) or "")


def test_a3_on_colab_the_login_asks_for_a_paste(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A3: no listener is started where it cannot work; the reason is given."""
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    flow = OAuthFlow(Settings.for_sandbox(sandbox), store=MemoryTokenStore())
    attempt = begin_login(flow)
    assert attempt.listener is None and "Colab" in (attempt.listener_problem or "")


def test_a12_port_less_redirect_listens_on_a_free_port(sandbox: Sandbox) -> None:
    """A12: the port-less loopback registration lets the listener take any free port."""
    flow = OAuthFlow(Settings.for_sandbox(sandbox), store=MemoryTokenStore())
    attempt = begin_login(flow)
    try:
        assert attempt.listener is not None and attempt.is_listening
        assert f":{attempt.listener.port}/callback" in attempt.login.redirect_uri
    finally:
        attempt.close()
    assert not attempt.is_listening


def test_demo_login_is_for_the_sandbox_only(sandbox: Sandbox) -> None:
    """Only the sandbox has demo users; a Spotify app must be logged in by a person."""
    flow = OAuthFlow(Settings.for_sandbox(sandbox), store=MemoryTokenStore())
    assert demo_login(flow).fingerprint
    spotify = OAuthFlow(Settings.spotify("a" * 32, "b" * 32), store=MemoryTokenStore())
    with pytest.raises(ConfigurationError, match="demo users"):
        demo_login(spotify)


def test_a3_a_paste_without_state_is_refused_and_the_listener_keeps_waiting(
    sandbox: Sandbox,
) -> None:
    """A3: a cut or forged paste is refused; the real redirect can still arrive afterwards."""
    flow = OAuthFlow(
        Settings.for_sandbox(sandbox), store=MemoryTokenStore(), clock=sandbox.clock.now_datetime
    )
    attempt = begin_login(flow)
    try:
        location = consent(attempt.url)
        code = parse_qs(urlsplit(location).query)["code"][0]
        for pasted in (f"{attempt.login.redirect_uri}?code={code}", code):
            with pytest.raises(StateMismatch, match="whole address"):
                attempt.finish_with_redirect(pasted)
            assert attempt.is_listening and attempt.token is None
        token = attempt.finish_with_redirect(Secret(location))
        assert attempt.token == token and not attempt.is_listening
    finally:
        attempt.close()
