"""Sharing a walkthrough: executed, redacted, offline HTML; refuses when a secret survives."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import nbformat
import pytest

from adstudio_nb import share
from adstudio_nb.exceptions import ConfigurationError
from adstudio_nb.sandbox import Sandbox
from tests.conftest import REPO_ROOT
from tests.helpers import issued_secrets

ONBOARDING = REPO_ROOT / "notebooks" / "01_onboarding.ipynb"
pytestmark = pytest.mark.notebook


def record_issued(patch: pytest.MonkeyPatch) -> list[str]:
    """Collect every secret each sandbox handed out, as it stops (the share's is private)."""
    issued: list[str] = []
    real_exit = Sandbox.__exit__

    def remember(self: Sandbox, *exc: object) -> None:
        issued.extend(issued_secrets(self))
        real_exit(self, *exc)

    patch.setattr(Sandbox, "__exit__", remember)
    return issued


@pytest.fixture(scope="module")
def shared_walkthrough(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """Share the onboarding notebook once; remember every secret the sandbox handed out."""
    out = tmp_path_factory.mktemp("share") / "walkthrough.html"
    with pytest.MonkeyPatch.context() as patch:
        issued = record_issued(patch)
        report = share.share_notebook(ONBOARDING, out)
    assert report.output == out and report.target == "sandbox"
    assert len(issued) >= 4  # app secret, code, access and refresh token at least
    return out, issued


def test_walkthrough_has_prose_panels_and_the_accounts_table(shared_walkthrough) -> None:
    """The page reads well offline: prose, the logged-in panel, the accounts table."""
    html = shared_walkthrough[0].read_text()
    assert "Spotify Ads API onboarding" in html
    assert "Logged in (sandbox" in html
    assert "<table" in html and "currency_code" in html
    assert "<script" not in html.lower()


def test_canary_no_issued_secret_reaches_the_page(shared_walkthrough) -> None:
    """Secrets: no client secret, code, access or refresh token, Basic value in the HTML."""
    path, issued = shared_walkthrough
    html = path.read_text()
    assert not [s for s in issued if s in html]
    assert not share.TOKEN_SHAPES.search(html)


def _notebook_with_output(text: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(
        "print(...)", outputs=[nbformat.v4.new_output("stream", name="stdout", text=text)]
    )
    view = nbformat.v4.new_output(
        "display_data",
        data={share.WIDGET_VIEW: {"model_id": "x"}, "text/plain": "Panel"},
    )
    cell.outputs.append(view)
    notebook = nbformat.v4.new_notebook(cells=[cell])
    notebook.metadata["widgets"] = {"state": {"password": "hunter2-secret"}}
    return notebook


def test_redaction_counts_known_secrets_and_token_shapes() -> None:
    """Known values and token-shaped strings are replaced and counted by kind."""
    secret = "c" * 8 + "0123456789abcdef0123456789abcdef"[8:]
    access = "BQ" + "x" * 80
    notebook = _notebook_with_output(f"secret={secret} token={access} other=AQ{'y' * 70}")
    counts = share.redact_notebook(notebook, {secret: "client secret", access: "access token"})
    text = notebook.cells[0].outputs[0]["text"]
    assert secret not in text and access not in text and "AQ" + "y" * 70 not in text
    assert counts == Counter({"client secret": 1, "access token": 1, "token-shaped string": 1})
    assert "widgets" not in notebook.metadata  # saved widget state never reaches the page
    assert share.WIDGET_VIEW not in notebook.cells[0].outputs[1]["data"]


def test_share_refuses_when_a_secret_survives(tmp_path: Path, monkeypatch) -> None:
    """If redaction missed something, nothing is written and the message names no secret."""
    monkeypatch.setattr(share, "redact_notebook", lambda notebook, secrets: Counter())
    monkeypatch.setattr(share, "to_offline_html", lambda notebook, hide_code=False: "BQ" + "z" * 90)
    out = tmp_path / "never.html"
    with pytest.raises(share.ShareRefused) as caught:
        share.share_notebook(ONBOARDING, out)
    assert not out.exists()
    assert "BQ" not in str(caught.value)


def test_share_a_missing_notebook_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="not a notebook"):
        share.share_notebook(tmp_path / "nope.ipynb")


def test_share_live_without_an_app_says_what_to_do(monkeypatch, tmp_path: Path) -> None:
    """--live needs a configured Spotify app; the sandbox default says so."""
    for name in [k for k in __import__("os").environ if k.startswith("ADSTUDIO_")]:
        monkeypatch.delenv(name)
    (tmp_path / "empty.env").write_text("")
    monkeypatch.setenv("ADSTUDIO_ENV_FILE", str(tmp_path / "empty.env"))
    with pytest.raises(ConfigurationError, match="--live"):
        share.share_notebook(ONBOARDING, tmp_path / "x.html", live=True)


def test_share_command_hides_code_on_request(tmp_path: Path) -> None:
    """`adstudio-nb share --hide-code` writes the page without the code cells."""
    out = tmp_path / "tour.html"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "adstudio_nb.cli",
            "share",
            str(ONBOARDING),
            "-o",
            str(out),
            "--hide-code",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "redacted" in done.stdout and out.exists()
    html = out.read_text()
    assert "widgets.login_panel()" not in html and "Your ad accounts" in html


def test_share_live_uses_the_configured_app_and_its_stored_login(
    monkeypatch, tmp_path: Path, sandbox: Sandbox
) -> None:
    """--live: the configured app's stored login is used; its secrets never reach the page."""
    import os

    from adstudio_nb.auth import OAuthFlow
    from adstudio_nb.config import load_settings
    from tests.helpers import consent

    app = sandbox.register_app("Live app", redirect_uris=["http://127.0.0.1/callback"])
    for name in [k for k in os.environ if k.startswith("ADSTUDIO_")]:
        monkeypatch.delenv(name)
    (tmp_path / "empty.env").write_text("")
    settings_env = {
        "ADSTUDIO_ENV_FILE": str(tmp_path / "empty.env"),
        "ADSTUDIO_TARGET": "custom",
        "ADSTUDIO_CLIENT_ID": app.client_id,
        "ADSTUDIO_CLIENT_SECRET": app.client_secret,
        "ADSTUDIO_REDIRECT_URI": "http://127.0.0.1/callback",
        "ADSTUDIO_AUTHORIZE_URL": sandbox.authorize_url,
        "ADSTUDIO_TOKEN_URL": sandbox.token_url,
        "ADSTUDIO_API_BASE_URL": sandbox.api_base_url,
        "ADSTUDIO_TOKEN_DIR": str(tmp_path / "tokens"),
    }
    for name, value in settings_env.items():
        monkeypatch.setenv(name, value)
    flow = OAuthFlow(load_settings())
    login = flow.start_login()
    flow.complete_login(consent(login.url), login)

    report = share.share_notebook(ONBOARDING, tmp_path / "live.html", live=True)
    html = report.output.read_text()
    assert report.target == "custom" and "currency_code" in html
    assert not [s for s in issued_secrets(sandbox) if s in html]


NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("notebook", NOTEBOOKS[1:], ids=lambda p: p.name)
def test_canary_every_notebook_shared_leaks_nothing(
    notebook: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch
) -> None:
    """Secrets: sharing each analysis notebook leaks no issued secret into HTML or logs."""
    import logging

    issued = record_issued(monkeypatch)
    caplog.set_level(logging.DEBUG)
    report = share.share_notebook(notebook, tmp_path / "out.html", hide_code=True)
    produced = report.output.read_text() + "\n".join(r.getMessage() for r in caplog.records)
    assert issued and not [s for s in issued if s in produced]
    assert "<table" in produced  # the analysis notebooks carry their tables inline
