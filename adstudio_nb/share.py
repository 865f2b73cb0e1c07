"""Sharing a walkthrough: run a notebook, redact every secret, write one offline HTML file.

:func:`share_notebook` executes a notebook in a fresh kernel (on a private sandbox by default,
or on the configured Spotify account with ``live=True``) with widget state not stored and panels
rendered as static HTML, then scans every output for each secret it knows (client secret, access
and refresh tokens, authorization codes, the Basic value) and for token-shaped strings, redacts
them, and writes a self-contained HTML page: prose, code (optionally hidden), tables and plots,
with no script and nothing loaded from the network. If anything secret survives into the page,
nothing is written.

Example:
    >>> report = share_notebook("notebooks/01_onboarding.ipynb", "tour.html")  # doctest: +SKIP
    >>> print(report)  # doctest: +SKIP
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import STATIC_OUTPUTS_VARIABLE
from .exceptions import AdStudioError, ConfigurationError

REDACTED = "[redacted]"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# Plots must land in the outputs as images, whatever backend the caller's environment names.
INLINE_PLOTS = "module://matplotlib_inline.backend_inline"

# Shapes of Spotify secrets that no known value covers: access tokens (BQ...), refresh tokens
# and codes (AQ...), 32-hex client secrets, Basic headers.
TOKEN_SHAPES = re.compile(
    r"\b(?:BQ|AQ)[A-Za-z0-9_-]{60,}|\b[0-9a-f]{32}\b|Basic\s+[A-Za-z0-9+/=]{20,}"
)
_DATA_URI = re.compile(r"data:image/(?!svg)[a-z+.-]+;base64,[A-Za-z0-9+/=\s]+")
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.DOTALL | re.IGNORECASE)
_REMOTE_LINK = re.compile(r"<link\b[^>]*href=[\"']https?://[^>]*>", re.IGNORECASE)


class ShareRefused(AdStudioError):
    """The walkthrough still held something secret after redaction: nothing was written."""


@dataclass
class ShareReport:
    """What :func:`share_notebook` did.

    Attributes:
        output: the HTML file written.
        target: where the notebook ran (``sandbox`` or ``spotify``).
        redacted: how many strings of each kind were replaced by ``[redacted]``.
        cells: how many cells the walkthrough has.
    """

    output: Path
    target: str
    redacted: Counter[str] = field(default_factory=Counter)
    cells: int = 0

    def __str__(self) -> str:
        what = (
            ", ".join(f"{n} {kind}" for kind, n in sorted(self.redacted.items()))
            if self.redacted
            else "nothing"
        )
        return (
            f"Wrote {self.output} ({self.cells} cells, run on the {self.target}); redacted: {what}."
        )


@dataclass
class _Secrets:
    """Known secret values by kind (never printed; only counted)."""

    values: dict[str, str] = field(default_factory=dict)  # value -> kind

    def add(self, kind: str, *values: str | None) -> None:
        for value in values:
            if value and len(value) >= 8:
                self.values[value] = kind

    def add_client(self, client_id: str, client_secret: str | None) -> None:
        if client_secret:
            self.add("client secret", client_secret)
            basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
            self.add("Basic value", basic)


def redact_text(text: str, secrets: Mapping[str, str], counts: Counter[str]) -> str:
    """Replace every known secret and token-shaped string in ``text``; count by kind."""
    for value in sorted(secrets, key=len, reverse=True):  # longest first: Basic before secret
        if value in text:
            counts[secrets[value]] += text.count(value)
            text = text.replace(value, REDACTED)

    def shape(match: re.Match[str]) -> str:
        counts["token-shaped string"] += 1
        return REDACTED

    return TOKEN_SHAPES.sub(shape, text)


def _redact(node: Any, secrets: Mapping[str, str], counts: Counter[str]) -> Any:
    if isinstance(node, str):
        return redact_text(node, secrets, counts)
    if isinstance(node, list):
        return [_redact(item, secrets, counts) for item in node]
    if isinstance(node, dict):
        return {
            # Images are base64 data, not text: token shapes occur in them by chance.
            key: value if _is_binary(key) else _redact(value, secrets, counts)
            for key, value in node.items()
        }
    return node


def _is_binary(mime: str) -> bool:
    return mime.startswith(("image/", "application/pdf")) and mime != "image/svg+xml"


def redact_notebook(notebook: Any, secrets: Mapping[str, str]) -> Counter[str]:
    """Redact outputs and drop live-widget views in place; return the counts by kind."""
    counts: Counter[str] = Counter()
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.get("outputs", []):
            data = output.get("data")
            if isinstance(data, dict) and WIDGET_VIEW in data:
                # A live widget cannot render offline; static panels carry the content.
                data.pop(WIDGET_VIEW)
                if not data:
                    continue
            kept.append(type(output)(_redact(dict(output), secrets, counts)))
        cell["outputs"] = kept
    notebook.metadata.pop("widgets", None)
    return counts


def leftovers(html: str, secrets: Mapping[str, str]) -> int:
    """Count known secrets and token-shaped strings still present in ``html``.

    Known values are looked for everywhere; token shapes outside inline images only (base64
    image data holds such shapes by chance).
    """
    found = sum(html.count(value) for value in secrets)
    return found + len(TOKEN_SHAPES.findall(_DATA_URI.sub("", html)))


def to_offline_html(notebook: Any, *, hide_code: bool = False) -> str:
    """Export an executed notebook as one HTML page with no script and no remote resource."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="lab",
        embed_images=True,
        exclude_input=hide_code,
        exclude_input_prompt=hide_code,
        exclude_output_prompt=hide_code,
    )
    html, _ = exporter.from_notebook_node(notebook)
    html = _SCRIPT.sub("", html)  # the walkthrough is static: no JavaScript, no CDN
    return _REMOTE_LINK.sub("", html)


@contextlib.contextmanager
def _sandbox_run(secrets: _Secrets) -> Iterator[tuple[dict[str, str], str]]:
    """A private stand-alone sandbox, logged in as the demo user, for the kernel to use."""
    from .auth import OAuthFlow
    from .config import load_settings
    from .onboarding import sandbox_demo_login
    from .sandbox import Sandbox
    from .sandbox.embedded import SANDBOX_URL_ENV

    with tempfile.TemporaryDirectory(prefix="adstudio-share-") as tmp, Sandbox() as sandbox:
        env = _kernel_env(Path(tmp))
        env[SANDBOX_URL_ENV] = sandbox.base_url
        settings = load_settings(environ=env, env_file=env["ADSTUDIO_ENV_FILE"])
        sandbox_demo_login(OAuthFlow(settings))
        try:
            yield env, "sandbox"
        finally:
            for app in sandbox.registry.apps.values():
                secrets.add_client(app.client_id, app.client_secret)
            for kind, values in sandbox.registry.issued_secrets().items():
                secrets.add(kind, *values)


@contextlib.contextmanager
def _live_run(secrets: _Secrets) -> Iterator[tuple[dict[str, str], str]]:
    """The configured Spotify account, with its stored login."""
    from .auth import OAuthFlow
    from .config import load_settings

    settings = load_settings()
    if settings.target == "sandbox":
        raise ConfigurationError(
            "--live needs a configured Spotify app (ADSTUDIO_CLIENT_ID and friends); without "
            "one, share on the sandbox (leave out --live)."
        )
    flow = OAuthFlow(settings)
    token = flow.token()  # AuthorizationRequired tells the user to log in first
    secrets.add_client(settings.client_id, settings.client_secret)
    secrets.add("access token", token.access_token)
    secrets.add("refresh token", token.refresh_token)
    env = {**os.environ, STATIC_OUTPUTS_VARIABLE: "1", "MPLBACKEND": INLINE_PLOTS}
    try:
        yield env, settings.target
    finally:
        latest = flow.store.load()  # the kernel may have refreshed meanwhile
        if latest is not None:
            secrets.add("access token", latest.access_token)
            secrets.add("refresh token", latest.refresh_token)


def _kernel_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADSTUDIO_")}
    empty = tmp / "empty.env"
    empty.write_text("")
    env.update(
        {
            "ADSTUDIO_ENV_FILE": str(empty),
            "ADSTUDIO_TOKEN_DIR": str(tmp / "tokens"),
            STATIC_OUTPUTS_VARIABLE: "1",
            "MPLBACKEND": INLINE_PLOTS,
        }
    )
    return env


def execute_notebook(path: Path, *, env: Mapping[str, str], timeout_s: float = 600) -> Any:
    """Run ``path`` top to bottom in a fresh kernel with ``env``; widget state not stored.

    Raises:
        AdStudioError: a cell failed (the message names the error, not the traceback).
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=int(timeout_s),
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        store_widget_state=False,  # a password field's value must not reach the file
    )
    try:
        client.execute(env=dict(env))
    except CellExecutionError as exc:
        first_line = str(exc).strip().splitlines()[-1] if str(exc).strip() else "an error"
        raise AdStudioError(
            f"A cell of {path.name} failed while running for the walkthrough "
            f"({first_line[:200]}): fix it, or run the notebook yourself to see where."
        ) from None
    return notebook


def share_notebook(
    notebook: str | os.PathLike[str],
    output: str | os.PathLike[str] | None = None,
    *,
    live: bool = False,
    hide_code: bool = False,
    timeout_s: float = 600,
) -> ShareReport:
    """Run ``notebook`` and write a redacted, self-contained HTML walkthrough.

    Args:
        notebook: the ``.ipynb`` file.
        output: the HTML file; by default next to the notebook with ``.html``.
        live: run on the configured Spotify account (its stored login) instead of a sandbox.
        hide_code: leave the code cells out of the page.
        timeout_s: the longest a cell may run.

    Returns:
        What was written and what was redacted.

    Raises:
        ConfigurationError: the notebook is missing, or --live without a configured app.
        AuthorizationRequired: --live without a stored login (log in first).
        ShareRefused: a secret survived redaction; nothing was written.
    """
    path = Path(notebook)
    if path.suffix != ".ipynb" or not path.is_file():
        raise ConfigurationError(f"{path} is not a notebook file (.ipynb): check the path.")
    target_file = Path(output) if output is not None else path.with_suffix(".html")
    secrets = _Secrets()
    run = _live_run if live else _sandbox_run
    with run(secrets) as (env, target):
        executed = execute_notebook(path.resolve(), env=env, timeout_s=timeout_s)
    counts = redact_notebook(executed, secrets.values)
    html = to_offline_html(executed, hide_code=hide_code)
    left = leftovers(html, secrets.values)
    if left:
        raise ShareRefused(
            f"{left} secret-looking strings survived redaction, so no walkthrough was written: "
            "report this with the notebook's name."
        )
    target_file.parent.mkdir(parents=True, exist_ok=True)
    target_file.write_text(html, encoding="utf-8")
    return ShareReport(target_file, target, counts, len(executed.cells))
