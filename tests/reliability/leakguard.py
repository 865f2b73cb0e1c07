"""The secrets canary: capture every log line and error text, then look for secrets in them.

A :class:`LeakGuard` puts the root logger (and urllib3, werkzeug, authlib, adstudio_nb) at
DEBUG and keeps every record, formatted with its traceback; tests hand it the texts users
would see (exception messages and reprs, a subprocess's stderr). At the end it harvests every
secret the sandboxes it saw ever issued (client secrets and their Basic values, authorization
codes, access and refresh tokens) plus any the test registered, and reports where one shows
up, whole or in part (a message that cuts a token to 80 characters still leaks it).
DESIGN.md section 4: messages, reprs and logs never contain a secret, token, code or Basic
header.
"""

from __future__ import annotations

import base64
import logging
import threading
import traceback
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from adstudio_nb.sandbox import Sandbox

# Loggers that may set their own level (werkzeug does on first use): forced to DEBUG too.
NAMED_LOGGERS = ("urllib3", "werkzeug", "authlib", "requests", "filelock", "adstudio_nb")
_PROBE = 20  # characters of a secret that identify it (random, so no false positives)
_MAX_TEXTS = 200_000


class _Capture(logging.Handler):
    """Keeps every record as text (message and traceback), thread-safe."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self._formatter = logging.Formatter()
        self._lines_lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = f"{record.name}: {record.getMessage()}"
        except Exception:  # a record whose arguments do not format: keep both parts
            text = f"{record.name}: {record.msg!r} {record.args!r}"
        if record.exc_info:
            text += "\n" + self._formatter.formatException(record.exc_info)
        with self._lines_lock:
            self.lines.append(text)


@dataclass(frozen=True)
class Leak:
    """A secret found where it must not be."""

    kind: str
    where: str
    excerpt: str

    def __str__(self) -> str:
        return f"{self.kind} leaked in {self.where}: ...{self.excerpt}..."


def probes(secret: str) -> set[str]:
    """Return the substrings that give a secret away: itself, or 20 characters of it."""
    if len(secret) <= _PROBE:
        return {secret}
    middle = len(secret) // 2 - _PROBE // 2
    return {secret[:_PROBE], secret[-_PROBE:], secret[middle : middle + _PROBE]}


def basic_value(client_id: str, client_secret: str) -> str:
    """Return the base64 of ``client_id:client_secret`` (as secret as the secret, D)."""
    return base64.b64encode(f"{client_id}:{client_secret}".encode()).decode("ascii")


def sandbox_secrets(sandbox: Sandbox) -> dict[str, str]:
    """Return every secret a sandbox issued: value -> kind.

    Reads the registry's private maps: the canary needs the codes and tokens the sandbox
    handed out, including those a client under test never showed the test.
    """
    registry = sandbox.registry
    found: dict[str, str] = {}
    for app in list(registry.apps.values()):
        found[app.client_secret] = "client secret"
        found[basic_value(app.client_id, app.client_secret)] = "Basic value"
    for name, kind in (
        ("_codes", "authorization code"),
        ("_refresh_tokens", "refresh token"),
        ("_access_tokens", "access token"),
    ):
        for value in list(getattr(registry, name, {})):
            found[value] = kind
    return found


def text_of(exc: BaseException) -> str:
    """Return what a user may see of an exception: message, repr and its chain."""
    parts = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts.append(f"{type(current).__name__}: {current}\n{current!r}")
        current = current.__cause__ or current.__context__
    parts.append("".join(traceback.format_exception_only(type(exc), exc)))
    return "\n".join(parts)


class LeakGuard:
    """Captures logs and texts during a test and finds secrets in them."""

    def __init__(self) -> None:
        self.capture = _Capture()
        self.texts: list[str] = []
        self.secrets: dict[str, str] = {}
        self.sandboxes: list[Sandbox] = []
        self._lock = threading.Lock()

    # -- feeding ------------------------------------------------------------------------------

    def add_secret(self, value: str | None, kind: str = "secret") -> None:
        """Register a secret the test knows of (a PKCE verifier, a fake canary credential)."""
        if value:
            with self._lock:
                self.secrets[value] = kind

    def note(self, item: BaseException | str | object) -> None:
        """Keep an exception (message, repr, chain) or a text a user could see."""
        text = text_of(item) if isinstance(item, BaseException) else str(item)
        with self._lock:
            if len(self.texts) < _MAX_TEXTS:
                self.texts.append(text)

    def watch(self, sandbox: Sandbox) -> Sandbox:
        """Harvest ``sandbox``'s secrets at the end; return it."""
        with self._lock:
            if all(s is not sandbox for s in self.sandboxes):
                self.sandboxes.append(sandbox)
        return sandbox

    @contextmanager
    def logging_at_debug(self) -> Iterator[LeakGuard]:
        """Route every logger to the capture at DEBUG for the block; restore levels after."""
        root = logging.getLogger()
        saved = [(root, root.level)] + [
            (logging.getLogger(n), logging.getLogger(n).level) for n in NAMED_LOGGERS
        ]
        root.addHandler(self.capture)
        root.setLevel(logging.DEBUG)
        for name in NAMED_LOGGERS:
            logging.getLogger(name).setLevel(logging.DEBUG)
        try:
            yield self
        finally:
            root.removeHandler(self.capture)
            for logger, level in saved:
                logger.setLevel(level)

    # -- checking -----------------------------------------------------------------------------

    def all_secrets(self) -> dict[str, str]:
        """Return the registered secrets plus every watched sandbox's."""
        found = dict(self.secrets)
        for sandbox in self.sandboxes:
            found.update(sandbox_secrets(sandbox))
        return found

    def leaks(self) -> list[Leak]:
        """Return every secret found in the captured logs or the noted texts."""
        with self.capture._lines_lock:
            log_text = "\n".join(self.capture.lines)
        with self._lock:
            noted = "\n".join(self.texts)
        found: list[Leak] = []
        for secret, kind in self.all_secrets().items():
            for where, text in (("logs", log_text), ("messages", noted)):
                hit = _first_hit(text, probes(secret))
                if hit is not None:
                    found.append(Leak(kind, where, text[max(0, hit - 60) : hit + 30]))
        return found

    @property
    def log_lines(self) -> int:
        """Return how many log records were captured."""
        return len(self.capture.lines)

    def summary(self) -> str:
        """Say how much was scanned."""
        return (
            f"{self.log_lines} log records, {len(self.texts)} messages, "
            f"{len(self.all_secrets())} secrets"
        )


def _first_hit(text: str, needles: Iterable[str]) -> int | None:
    hits = [i for i in (text.find(n) for n in needles) if i >= 0]
    return min(hits) if hits else None
