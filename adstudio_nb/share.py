"""Sharing a walkthrough: run a notebook, redact every secret, write one offline HTML file.

:func:`share_notebook` executes a notebook in a fresh kernel (on a private sandbox by default,
or on the configured Spotify account with ``live=True``) with widget state not stored and panels
rendered as static HTML, then writes a self-contained HTML page: prose, code (optionally
hidden), tables and plots, with no script and nothing loaded from the network.

Secrets (client secret, access and refresh tokens, authorization codes, the Basic value) are
kept out in three layers:

1. The kernel hides them at the source: a guard installed at its start rewrites every output
   message it sends (streams, displays, results, errors and the error in the execute reply),
   replacing each known secret in every reversible form (:mod:`adstudio_nb.redaction`) and
   every token-shaped string, so the values never reach the notebook client or its logs.
2. The executed notebook is redacted again with every secret known once the run is over
   (tokens refreshed during the run included): outputs and cell sources.
3. Before anything is written, the walkthrough is scanned as a whole: the page, the page with
   all tags removed, each cell's source and outputs, all outputs taken together (a secret
   printed in pieces), the decoded bytes of every image and of every base64 or hex payload, and
   the URL-decoded text (two levels deep: hex of base64, quote of base64), each also with all
   whitespace removed. If any form of any secret survives, nothing is written and
   :class:`ShareRefused` names what was found where (never the value).

Its own messages never show a secret either: a failing cell is reported by its number and
exception type, with the exception's text redacted.

Example:
    >>> report = share_notebook("notebooks/01_onboarding.ipynb", "tour.html")  # doctest: +SKIP
    >>> print(report)  # doctest: +SKIP
"""

from __future__ import annotations

import binascii
import contextlib
import html as html_text
import json
import logging
import os
import re
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from .config import STATIC_OUTPUTS_VARIABLE
from .exceptions import AdStudioError, ConfigurationError
from .redaction import Secret, SecretMatcher, basic_value

if TYPE_CHECKING:
    from .demo import Sandbox

__all__ = [
    "REDACTED",
    "TOKEN_SHAPES",
    "CellFailed",
    "ShareRefused",
    "ShareReport",
    "execute_notebook",
    "redact_notebook",
    "scan_walkthrough",
    "share_notebook",
    "to_offline_html",
]

REDACTED = "[redacted]"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# Plots must land in the outputs as images, whatever backend the caller's environment names.
INLINE_PLOTS = "module://matplotlib_inline.backend_inline"

# Shapes of Spotify secrets that no known value covers: access tokens (BQ...), refresh tokens
# and codes (AQ...), 32-hex client secrets, Basic headers.
TOKEN_SHAPES = re.compile(
    r"\b(?:BQ|AQ)[A-Za-z0-9_-]{60,}|\b[0-9a-f]{32}\b|Basic\s+[A-Za-z0-9+/=]{20,}"
)
_IMAGE_URI = re.compile(r"data:image/(?!svg)[a-z+.-]+;base64,[A-Za-z0-9+/=\s]+")
_DATA_URI = re.compile(r"data:[a-z]+/[a-z0-9+.-]+;base64,(?P<data>[A-Za-z0-9+/=\s]+)", re.I)
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.DOTALL | re.IGNORECASE)
_STYLE = re.compile(r"<style\b[^>]*>.*?</style>", re.DOTALL | re.IGNORECASE)
_REMOTE_LINK = re.compile(r"<link\b[^>]*href=[\"']https?://[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# Base64 in text: one run, or lines of it as base64.encodebytes wraps them.
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/_-]{16,}={0,2}")
_BASE64_LINES = re.compile(r"(?:[A-Za-z0-9+/]{16,}={0,2}[ \t]*\r?\n[ \t]*)+[A-Za-z0-9+/]+={0,2}")
_HEX_RUN = re.compile(r"[0-9A-Fa-f]{16,}")
_SPACE = re.compile(r"\s+")
# How deep base64 inside base64 is unwrapped.
_DECODE_DEPTH = 2
# Kernel messages that carry what ends up in the walkthrough (the reply repeats the error).
_GUARDED_MESSAGES = frozenset(
    {"stream", "display_data", "update_display_data", "execute_result", "error", "execute_reply"}
)
_KERNEL_HIDDEN = "secret hidden in the kernel"


class ShareRefused(AdStudioError):
    """The walkthrough still held something secret after redaction: nothing was written.

    Attributes:
        findings: what was found where, as ``(what, where)`` names, never values, e.g.
            ``("access token (base64)", "the image/png output of cell 4")``.
    """

    def __init__(self, findings: list[tuple[str, str]]) -> None:
        self.findings = findings
        shown = "; ".join(f"{what} in {where}" for what, where in findings[:6])
        if len(findings) > 6:
            shown += f"; and {len(findings) - 6} more"
        super().__init__(
            f"Something secret survived redaction ({shown}), so no walkthrough was written: "
            "remove the output that shows it, then share again."
        )


class CellFailed(AdStudioError):
    """A cell raised while the notebook ran for the walkthrough; nothing was written.

    The message names the cell and the exception type; the exception's text is redacted.

    Attributes:
        notebook: the notebook's file name.
        cell: the cell's number (1 is the first cell), or None when unknown.
        ename: the exception type's name (``ValueError``).
        detail: the exception's text, redacted and shortened.
    """

    def __init__(self, notebook: str, cell: int | None, ename: str, detail: str) -> None:
        self.notebook, self.cell, self.ename, self.detail = notebook, cell, ename, detail
        where = f"Cell {cell}" if cell else "A cell"
        said = f" ({detail})" if detail else ""
        super().__init__(
            f"{where} of {notebook} raised {ename}{said} while running for the walkthrough: "
            "fix it, or run the notebook yourself to see the traceback."
        )

    def redacted(self, scrub: Callable[[str], str]) -> CellFailed:
        """Return the same failure with ``scrub`` applied to its text once more."""
        return CellFailed(self.notebook, self.cell, self.ename, scrub(self.detail))


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

    kinds: dict[str, set[str]] = field(default_factory=dict)

    def add(self, kind: str, *values: str | Secret | None) -> None:
        for value in values:
            text = value.reveal() if isinstance(value, Secret) else value
            if text:
                self.kinds.setdefault(kind, set()).add(text)

    def add_client(self, client_id: str, client_secret: str | Secret | None) -> None:
        if client_secret:
            self.add("client secret", client_secret)
            self.add("Basic value", basic_value(client_id, client_secret))

    def by_kind(self) -> dict[str, list[str]]:
        return {kind: sorted(values) for kind, values in self.kinds.items()}


class _Scrubber:
    """Replaces known secrets (every form) and token-shaped strings; counts them by kind."""

    def __init__(self, matcher: SecretMatcher, counts: Counter[str] | None = None) -> None:
        self.matcher = matcher
        self.counts: Counter[str] = Counter() if counts is None else counts

    def text(self, text: str) -> str:
        text = self.matcher.redact(text, placeholder=REDACTED, counts=self.counts)

        def shape(match: re.Match[str]) -> str:
            self.counts["token-shaped string"] += 1
            return REDACTED

        return TOKEN_SHAPES.sub(shape, text)

    def node(self, node: Any, key: str = "") -> Any:
        if isinstance(node, str):
            # Images are base64 data, not text: token shapes occur in them by chance. The scan
            # decodes them instead, and refuses if a secret is inside.
            return node if _is_binary(key) else self.text(node)
        if isinstance(node, list):
            return [self.node(item, key) for item in node]
        if isinstance(node, dict):
            return {k: self.node(v, k) for k, v in node.items()}
        return node


def _is_binary(mime: str) -> bool:
    return mime.startswith(("image/", "application/pdf")) and mime != "image/svg+xml"


def _matcher(secrets: Mapping[str, str] | SecretMatcher) -> SecretMatcher:
    if isinstance(secrets, SecretMatcher):
        return secrets
    by_kind: dict[str, list[str]] = {}
    for value, kind in secrets.items():  # value -> kind, as ShareReport counts them
        by_kind.setdefault(kind, []).append(value)
    return SecretMatcher(by_kind)


def redact_notebook(notebook: Any, secrets: SecretMatcher | Mapping[str, str]) -> Counter[str]:
    """Redact outputs and cell sources, drop live-widget views, in place; return counts by kind.

    Args:
        notebook: an executed notebook (``nbformat`` node).
        secrets: a compiled :class:`~adstudio_nb.redaction.SecretMatcher`, or a mapping of
            value -> kind.
    """
    counts: Counter[str] = Counter()
    scrub = _Scrubber(_matcher(secrets), counts)
    for cell in notebook.cells:
        cell["source"] = scrub.text(cell.get("source", ""))
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
            hidden = sum(text.count(REDACTED) for text in _output_texts(output))
            if hidden:
                counts[_KERNEL_HIDDEN] += hidden
            kept.append(type(output)(scrub.node(dict(output))))
        cell["outputs"] = kept
    notebook.metadata.pop("widgets", None)
    return counts


def _output_texts(output: Mapping[str, Any]) -> list[str]:
    """Every text an output shows, in order; markup also without its tags."""
    texts: list[str] = []
    kind = output.get("output_type")
    if kind == "stream":
        texts.append(_joined(output.get("text", "")))
    elif kind == "error":
        texts += [str(output.get("ename", "")), ": ", str(output.get("evalue", ""))]
        texts += [_joined(line) for line in output.get("traceback", [])]
    for mime, value in (output.get("data") or {}).items():
        if _is_binary(mime):
            continue
        if not isinstance(value, str | list):
            texts.append(json.dumps(value))  # JSON outputs (application/json, widget views)
            continue
        texts.append(_joined(value))
        if "html" in mime or "svg" in mime or "xml" in mime:
            texts.append(_markup_text(_joined(value)))
    return [stripped for text in texts for stripped in _with_ansi_removed(text)]


def _joined(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _with_ansi_removed(text: str) -> list[str]:
    plain = _ANSI.sub("", text)
    return [text] if plain == text else [text, plain]


def _markup_text(markup: str) -> str:
    """The text of HTML as a reader sees it: no style, no tags, entities decoded."""
    return html_text.unescape(_TAG.sub("", _STYLE.sub("", markup)))


def _decode_base64(run: str) -> bytes:
    data = _SPACE.sub("", run).replace("-", "+").replace("_", "/").rstrip("=")
    if len(data) % 4 == 1:
        data = data[:-1]
    try:
        return binascii.a2b_base64(data + "=" * (-len(data) % 4))
    except (binascii.Error, ValueError):
        return b""


def _base64_payloads(text: str) -> Iterator[bytes]:
    """The bytes of every base64 payload in ``text``: data URIs, wrapped lines, and runs.

    A run found in text may not start on a group of four: each of the four starts is tried.
    """
    for match in _DATA_URI.finditer(text):
        yield _decode_base64(match["data"])
    rest = _DATA_URI.sub(" ", text)
    for match in _BASE64_LINES.finditer(rest):
        yield _decode_base64(match.group())
    for match in _BASE64_RUN.finditer(rest):
        run = match.group()
        for start in range(4):
            yield _decode_base64(run[start:])


def _hex_payloads(text: str) -> Iterator[bytes]:
    """The bytes of every run of 16 or more hex digits in ``text``, at both digit alignments."""
    for match in _HEX_RUN.finditer(text):
        run = match.group()
        for start in (0, 1):
            digits = run[start : start + (len(run) - start) // 2 * 2]
            yield bytes.fromhex(digits)


class _Scan:
    """Looks for every form of every secret in the texts and bytes of a walkthrough."""

    def __init__(self, matcher: SecretMatcher) -> None:
        self.matcher = matcher
        self.found: dict[tuple[str, str], None] = {}

    def text(self, text: str, where: str, depth: int = _DECODE_DEPTH) -> None:
        if not text:
            return
        for what in self.matcher.find(text):
            self.found[(what, where)] = None
        if depth > 0:
            # All payloads at once, NUL between them: no form of a secret holds a NUL.
            payloads = b"\0".join(p for p in _base64_payloads(text) if len(p) >= 8)
            self.data(payloads, f"{where} (base64 data)", depth - 1)
            hexes = b"\0".join(_hex_payloads(text))
            self.data(hexes, f"{where} (hex data)", depth - 1)
            if "%" in text:  # a secret encoded on top of another encoding (quote of base64)
                plain = unquote_plus(_DATA_URI.sub(" ", text))
                if plain != text:
                    self.text(plain, f"{where} (URL-decoded)", depth - 1)

    def data(self, data: bytes, where: str, depth: int = _DECODE_DEPTH) -> None:
        if len(data) >= 8:  # bytes as characters: every ASCII form is found as it is
            self.text(data.decode("latin-1"), where, depth)


def scan_walkthrough(
    notebook: Any, page: str, secrets: SecretMatcher | Mapping[str, str]
) -> list[tuple[str, str]]:
    """Return what secret survives in a redacted notebook and its page, as (what, where) names.

    Looks at each cell's source, attachments and outputs (texts, markup without tags, decoded
    images), all outputs taken together, the page, and the page's text without tags; in each
    also at the decoded bytes of base64 payloads, and (through the matcher) with all
    whitespace removed. Token-shaped strings in the page outside images count too.

    Args:
        notebook: the redacted notebook.
        page: the HTML about to be written.
        secrets: a compiled matcher, or a mapping of value -> kind.
    """
    scan = _Scan(_matcher(secrets))
    everything: list[str] = []
    for number, cell in enumerate(notebook.cells, 1):
        scan.text(cell.get("source", ""), f"the source of cell {number}")
        for attachment in (cell.get("attachments") or {}).values():
            for value in attachment.values():
                scan.data(_decode_base64(_joined(value)), f"an attachment of cell {number}")
        texts: list[str] = []
        for output in cell.get("outputs", []):
            texts += _output_texts(output)
            for mime, value in (output.get("data") or {}).items():
                if _is_binary(mime):
                    scan.data(_decode_base64(_joined(value)), f"the {mime} output of cell {number}")
        joined = "".join(texts)
        scan.text(joined, f"the output of cell {number}")
        everything.append(joined)
    scan.text("".join(everything), "the outputs taken together")
    scan.text(page, "the page")
    scan.text(_markup_text(page), "the page's text")
    if TOKEN_SHAPES.search(_IMAGE_URI.sub("", page)):
        scan.found[("a token-shaped string", "the page")] = None
    return list(scan.found)


def leftovers(html: str, secrets: SecretMatcher | Mapping[str, str]) -> int:
    """Count the secret forms and token-shaped strings still found in ``html``."""
    found = _matcher(secrets).find(html)
    return len(found) + len(TOKEN_SHAPES.findall(_IMAGE_URI.sub("", html)))


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


# -- the kernel's guard ------------------------------------------------------------------------


def _guard_kernel(handover: str) -> None:
    """Make this kernel hide known secrets in every output message it sends (run at its start).

    ``handover`` is a private file holding the secrets :func:`share_notebook` knows, by kind;
    it is deleted once read. Each string of a guarded message (not image data) is redacted
    before the message leaves the kernel. Anything the guard misses, the scan catches.
    """
    path = Path(handover)
    try:
        known = json.loads(path.read_text(encoding="utf-8"))
    finally:
        path.unlink(missing_ok=True)
    from IPython import get_ipython

    session = getattr(getattr(get_ipython(), "kernel", None), "session", None)
    if session is None:
        return
    scrub = _Scrubber(SecretMatcher(known))
    send = session.send

    def guarded_send(stream: Any, msg_or_type: Any, content: Any = None, *a: Any, **k: Any) -> Any:
        if isinstance(msg_or_type, dict):
            kind = msg_or_type.get("msg_type") or msg_or_type.get("header", {}).get("msg_type")
            if kind in _GUARDED_MESSAGES and "content" in msg_or_type:
                msg_or_type = {**msg_or_type, "content": scrub.node(msg_or_type["content"])}
        elif msg_or_type in _GUARDED_MESSAGES and content is not None:
            content = scrub.node(content)
        return send(stream, msg_or_type, content, *a, **k)

    session.send = guarded_send


def _guard_arguments(handover: Path) -> list[str]:
    # Runs before the first cell and outside the history, so cell numbers start at 1. Only the
    # path goes on the command line (which may be logged), never a secret.
    code = (
        "try:\n"
        f"    __import__('adstudio_nb.share').share._guard_kernel({str(handover)!r})\n"
        "except Exception as exc:\n"
        "    print('adstudio_nb: the output guard is off:', type(exc).__name__)\n"
    )
    return [f"--IPKernelApp.exec_lines={code}"]


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(text)


class _QuietLog(logging.LoggerAdapter[logging.Logger]):
    """The notebook client's log: warnings and errors only, redacted.

    The client logs every message's content and every cell's source at DEBUG; none of that
    may reach a log, whatever the level the application configured.
    """

    def __init__(self, scrub: _Scrubber) -> None:
        super().__init__(logging.getLogger(__name__), {})
        self.scrub = scrub

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        if level < logging.WARNING:
            return
        try:
            text = str(msg) % args if args else str(msg)
        except (TypeError, ValueError):
            text = str(msg)
        self.logger.log(level, "%s", self.scrub.text(text))

    def isEnabledFor(self, level: int) -> bool:
        return level >= logging.WARNING and self.logger.isEnabledFor(level)


def _first_failed_cell(notebook: Any) -> int | None:
    for number, cell in enumerate(notebook.cells, 1):
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return number
    return None


def execute_notebook(
    path: Path,
    *,
    env: Mapping[str, str],
    timeout_s: float = 600,
    secrets: Mapping[str, list[str]] | None = None,
) -> Any:
    """Run ``path`` top to bottom in a fresh kernel with ``env``; widget state not stored.

    Args:
        path: the notebook.
        env: the kernel's environment.
        timeout_s: the longest a cell may run.
        secrets: known secret values by kind; when given, the kernel hides them (every form)
            and token-shaped strings from every output it sends.

    Raises:
        CellFailed: a cell raised (the message names the cell and the exception type, its
            text redacted; never the traceback).
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    notebook = nbformat.read(path, as_version=4)
    scrub = _Scrubber(SecretMatcher(secrets or {}))
    failure: CellFailed | None = None
    with tempfile.TemporaryDirectory(prefix="adstudio-run-") as private:
        arguments: list[str] = []
        if secrets is not None:
            handover = Path(private) / "guard.json"
            _write_private(handover, json.dumps(dict(secrets)))
            arguments = _guard_arguments(handover)
        client = NotebookClient(
            notebook,
            timeout=int(timeout_s),
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
            store_widget_state=False,  # a password field's value must not reach the file
            extra_arguments=arguments,
            log=_QuietLog(scrub),
        )
        try:
            client.execute(env=dict(env))
        except CellExecutionError as exc:
            # Only the type and the redacted text leave: the traceback and the raw text do not.
            ename = str(getattr(exc, "ename", "") or "an error")
            detail = _SPACE.sub(" ", scrub.text(str(getattr(exc, "evalue", "") or ""))).strip()
            failure = CellFailed(path.name, _first_failed_cell(notebook), ename, detail[:200])
    if failure is not None:
        raise failure  # outside the except block: the raw error is not its context
    return notebook


# -- where the notebook runs ---------------------------------------------------------------------


@contextlib.contextmanager
def _sandbox_run(secrets: _Secrets, tmp: Path) -> Iterator[tuple[dict[str, str], str]]:
    """A private stand-alone sandbox, logged in as the demo user, for the kernel to use."""
    from .auth import OAuthFlow
    from .config import SANDBOX_URL_VARIABLE, load_settings
    from .demo import demo_login, resolve_settings, start_sandbox

    def remember(sandbox: Sandbox) -> None:
        for app in sandbox.registry.apps.values():
            secrets.add_client(app.client_id, app.client_secret)
        for kind, values in sandbox.registry.issued_secrets().items():
            secrets.add(kind, *values)

    with start_sandbox() as sandbox:
        env = _kernel_env(tmp)
        env[SANDBOX_URL_VARIABLE] = sandbox.base_url
        settings = resolve_settings(load_settings(environ=env, env_file=env["ADSTUDIO_ENV_FILE"]))
        demo_login(OAuthFlow(settings))
        remember(sandbox)  # what the kernel is told to hide
        try:
            yield env, "sandbox"
        finally:
            remember(sandbox)  # and what it was handed meanwhile


@contextlib.contextmanager
def _live_run(secrets: _Secrets, tmp: Path) -> Iterator[tuple[dict[str, str], str]]:
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
        CellFailed: a cell raised; nothing was written.
        ShareRefused: a secret survived redaction; nothing was written.
    """
    path = Path(notebook)
    if path.suffix != ".ipynb" or not path.is_file():
        raise ConfigurationError(f"{path} is not a notebook file (.ipynb): check the path.")
    target_file = Path(output) if output is not None else path.with_suffix(".html")
    secrets = _Secrets()
    run = _live_run if live else _sandbox_run
    failure: CellFailed | None = None
    with (
        tempfile.TemporaryDirectory(prefix="adstudio-share-") as tmp,
        run(secrets, Path(tmp)) as (env, target),
    ):
        try:
            executed = execute_notebook(
                path.resolve(), env=env, timeout_s=timeout_s, secrets=secrets.by_kind()
            )
        except CellFailed as exc:
            failure = exc
    matcher = SecretMatcher(secrets.by_kind())  # every secret, those issued during the run too
    if failure is not None:
        raise failure.redacted(_Scrubber(matcher).text)
    counts = redact_notebook(executed, matcher)
    html = to_offline_html(executed, hide_code=hide_code)
    findings = scan_walkthrough(executed, html, matcher)
    if findings:
        raise ShareRefused(findings)
    target_file.parent.mkdir(parents=True, exist_ok=True)
    target_file.write_text(html, encoding="utf-8")
    return ShareReport(target_file, target, counts, len(executed.cells))
