"""Sharing a walkthrough: executed, redacted, offline HTML; refuses when a secret survives."""

from __future__ import annotations

import binascii
import html
import logging
import re
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
    assert "Logged in as Alex Analyst (alex.analyst) on the sandbox" in html
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


# -- secrets printed in changed forms (the kernel prints what its own login holds) ---------------

SETUP = """\
import base64, html, json, urllib.parse
from IPython.display import HTML, display
from adstudio_nb.auth import OAuthFlow
from adstudio_nb.config import load_settings
from adstudio_nb.demo import resolve_settings

def reveal(value):
    return value.reveal() if hasattr(value, "reveal") else value

settings = resolve_settings(load_settings())
token = OAuthFlow(settings).token()
cid, secret = settings.client_id, reveal(settings.client_secret)
access, refresh = reveal(token.access_token), reveal(token.refresh_token)
basic = base64.b64encode(f"{cid}:{secret}".encode()).decode()"""


def write_notebook(path: Path, *cells: str) -> Path:
    """Write a notebook whose first cell reads the kernel's login (cell 1), then ``cells``."""
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(source) for source in (SETUP, *cells)]
    )
    nbformat.write(notebook, path)
    return path


def every_encoding(value: str) -> dict[str, str]:
    """Every reversible form a notebook may print a secret in (stdlib only, self-contained)."""
    import base64
    import html
    import json
    import urllib.parse

    raw = value.encode()
    b64, safe = base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()
    return {
        "raw": value,
        "upper case": value.upper(),
        "lower case": value.lower(),
        "URL-encoded": urllib.parse.quote(value, safe=""),
        "URL-encoded (plus)": urllib.parse.quote_plus(value),
        "URL-encoded twice": urllib.parse.quote(urllib.parse.quote(value, safe=""), safe=""),
        "URL-encoded twice (plus)": urllib.parse.quote_plus(urllib.parse.quote_plus(value)),
        "base64": b64,
        "base64 unpadded": b64.rstrip("="),
        "urlsafe base64": safe,
        "urlsafe base64 unpadded": safe.rstrip("="),
        "base64 wrapped": base64.encodebytes(raw).decode(),
        "hex": raw.hex(),
        "hex upper case": raw.hex().upper(),
        "JSON-escaped": json.dumps(value)[1:-1],
        "HTML-escaped": html.escape(value),
    }


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


def page_views(page: str) -> list[str]:
    """What a reader (or a decoder) can get out of a page: the HTML, its text, its images."""
    text = html.unescape(re.sub(r"<[^>]*>", "", re.sub(r"(?s)<style.*?</style>", "", page)))
    images = [
        binascii.a2b_base64(re.sub(r"\s+", "", data)).decode("latin-1")
        for data in re.findall(r"data:[a-z]+/[a-z0-9+.-]+;base64,([A-Za-z0-9+/=\s]+)", page)
    ]
    return [page, text, *images]


def exposed(texts: list[str], secrets: list[str]) -> list[str]:
    """Which secrets show in ``texts`` in any encoding, or by 20 characters of themselves.

    Case and whitespace are ignored. Answers with the encoding's name and the secret's first
    four characters, never with the secret.
    """
    views = [_squeezed(text) for text in texts]
    found = []
    for secret in secrets:
        probes = {f"{name}": _squeezed(form) for name, form in every_encoding(secret).items()}
        probes.update(
            {f"part at {i}": secret[i : i + 20].lower() for i in range(0, len(secret) - 19, 10)}
        )
        for name, probe in probes.items():
            if len(probe) >= 8 and any(probe in view for view in views):
                found.append(f"{secret[:4]}... ({name})")
    return found


REDACTABLE = [
    # cell 2: the Basic value URL-encoded, once and twice
    "print(urllib.parse.quote(basic, safe=''))\n"
    "print(urllib.parse.quote_plus(urllib.parse.quote_plus(basic)))",
    # cell 3: the Basic value line-wrapped by base64.encodebytes
    "print(base64.encodebytes(f'{cid}:{secret}'.encode()).decode())",
    # cell 4: case changed
    "print(secret.upper(), access.lower())",
    # cell 5: base64, standard and urlsafe unpadded, and inside longer data
    "print(base64.b64encode(access.encode()).decode())\n"
    "print(base64.urlsafe_b64encode(refresh.encode()).decode().rstrip('='))\n"
    "print(base64.b64encode(('Authorization: Bearer ' + access).encode()).decode())",
    # cell 6: hex, JSON and HTML escapes
    "print(access.encode().hex().upper(), json.dumps({'token': refresh}))\n"
    "display(HTML(html.escape(f'<b>{secret}</b>')))",
    # cell 7: split across two outputs
    "display({'text/plain': access[:70]}, raw=True)\n"
    "display({'text/plain': access[70:]}, raw=True)",
    # cells 8 and 9: split across two cells
    "print(refresh[:50], end='')",
    "print(refresh[50:])",
]


def test_secrets_printed_in_changed_forms_never_reach_the_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """URL-encoded, wrapped, re-cased, base64, hex, escaped or split secrets are all redacted."""
    issued = record_issued(monkeypatch)
    notebook = write_notebook(tmp_path / "forms.ipynb", *REDACTABLE)
    report = share.share_notebook(notebook, tmp_path / "forms.html")
    page = report.output.read_text()
    assert issued and report.redacted
    assert exposed([*page_views(page), str(report)], issued) == []
    assert share.REDACTED in page and "print(refresh[50:])" in page_views(page)[1]  # code kept


REFUSED = [
    # cells 2-4: the client secret in 11-character pieces, one cell each
    "print(secret[:11], end='')",
    "print(secret[11:22], end='')",
    "print(secret[22:])",
    # cell 5: the refresh token broken up by inline tags every 8 characters
    "display(HTML('<span></span>'.join(refresh[i:i + 8] for i in range(0, len(refresh), 8))))",
    # cell 6: the access token inside data declared as an image
    "display({'image/png': base64.b64encode(b'\\x89PNG\\r\\n\\x1a\\n' + access.encode()).decode()},"
    " raw=True)",
    # cell 7: the Basic value in 10-character outputs
    "for i in range(0, len(basic), 10):\n    display({'text/plain': basic[i:i + 10]}, raw=True)",
]


def test_share_refuses_secrets_in_pieces_tags_or_images_and_says_where(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pieces across cells or outputs, inline tags, image bytes: refused, named, not shown."""
    issued = record_issued(monkeypatch)
    notebook = write_notebook(tmp_path / "pieces.ipynb", *REFUSED)
    out = tmp_path / "pieces.html"
    with pytest.raises(share.ShareRefused) as caught:
        share.share_notebook(notebook, out)
    assert not out.exists()
    findings = caught.value.findings

    def named(label: str, where: str) -> bool:
        return any(w.startswith(label) and place == where for w, place in findings)

    assert named("client secret", "the outputs taken together"), findings
    assert named("refresh token", "the output of cell 5"), findings
    assert named("access token", "the image/png output of cell 6"), findings
    assert named("Basic value", "the output of cell 7"), findings
    assert exposed([str(caught.value), repr(caught.value)], issued) == []


def test_a_failing_cell_is_reported_by_number_and_type_without_its_secret(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """`adstudio-nb share` on a cell raising with secrets: stderr and logs name no secret."""
    from adstudio_nb.cli import main

    issued = record_issued(monkeypatch)
    caplog.set_level(logging.DEBUG)
    notebook = write_notebook(
        tmp_path / "raises.ipynb",
        "raise RuntimeError(\n"
        "    f'refused {access} for {basic.lower()} ({urllib.parse.quote(secret)})'\n"
        ")",
    )
    out = tmp_path / "raises.html"
    status = main(["share", str(notebook), "-o", str(out)])
    said = capsys.readouterr()
    assert status != 0 and not out.exists()
    assert "Cell 2 of raises.ipynb raised RuntimeError" in said.err
    logs = [record.getMessage() for record in caplog.records]
    assert issued and exposed([said.out, said.err, *logs], issued) == []
