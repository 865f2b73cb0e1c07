"""Spotify's redirect-URI rules: check one, compare two, and say the fix in one sentence.

This module owns the A12 rules as the project applies them to what people type: an exact
string match (case and trailing slash included), ``http`` only on the loopback IP literals
``127.0.0.1`` and ``[::1]``, no ``localhost``, and a loopback URI registered *without* a port
accepting any port. Every hint gives the same advice for a login on this computer: register
``http://127.0.0.1/callback`` without a port, since the guide's port 8888 is Jupyter's own and a
notebook's listener cannot take it while Jupyter runs there.

It does no I/O and holds no settings; ``config`` and ``auth`` use it.

Example:
    >>> from adstudio_nb.redirect_uris import compare_redirect_uris, validate_redirect_uri
    >>> validate_redirect_uri(" http://127.0.0.1/callback ")
    'http://127.0.0.1/callback'
    >>> print(compare_redirect_uris("http://127.0.0.1/cb/", "http://127.0.0.1/cb"))
    The redirect URI http://127.0.0.1/cb/ differs from the registered http://127.0.0.1/cb by a \
trailing slash: Spotify compares them exactly, use http://127.0.0.1/cb.
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult, urlsplit, urlunsplit

from .exceptions import RedirectURIError

__all__ = [
    "DEFAULT_REDIRECT_URI",
    "GUIDE_REDIRECT_URI",
    "PORTLESS_REDIRECT_URI",
    "compare_redirect_uris",
    "validate_redirect_uri",
]

# A12: registered without a port, a loopback URI accepts any port, so a listener can take a free
# one: the advice everywhere, and the default.
PORTLESS_REDIRECT_URI = "http://127.0.0.1/callback"
DEFAULT_REDIRECT_URI = PORTLESS_REDIRECT_URI
# D: the guide's `http//localhost:8888/callback` with its colon and host fixed. Spotify accepts
# it, but port 8888 is Jupyter's own: kept only to recognise and explain it.
GUIDE_REDIRECT_URI = "http://127.0.0.1:8888/callback"
_JUPYTER_PORT = 8888

_LOOPBACK_HOSTS = ("127.0.0.1", "::1")
_MAX_URI_LENGTH = 2048
_ANY_PORT = (
    "registered without a port, Spotify accepts it on any port, so the login can listen on a "
    "free one"
)


def _show(value: object, limit: int = 80) -> str:
    """Render a non-secret value for a one-line message: escaped, shortened."""
    text = value if isinstance(value, str) else repr(value)
    text = text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _port_note(port: int | None) -> str:
    """Say why the port goes: 8888 is Jupyter's; any port works without one."""
    if port == _JUPYTER_PORT:
        return f" (port {_JUPYTER_PORT} is Jupyter's own; {_ANY_PORT})"
    return f" ({_ANY_PORT})"


def validate_redirect_uri(uri: object) -> str:
    """Check a redirect URI against Spotify's rules (A12) and return it stripped.

    Args:
        uri: the redirect URI as typed or configured.

    Returns:
        The URI without surrounding whitespace.

    Raises:
        RedirectURIError: the URI cannot work; the message says the fix and ``suggestion``
            holds a corrected URI when one can be guessed (for this computer, always the
            port-less loopback form).
    """
    if not isinstance(uri, str):
        raise RedirectURIError(
            f"The redirect URI must be text like {DEFAULT_REDIRECT_URI}, not {type(uri).__name__}.",
            suggestion=DEFAULT_REDIRECT_URI,
        )
    text = uri.strip()
    if not text:
        raise RedirectURIError(
            f"The redirect URI is empty: register {DEFAULT_REDIRECT_URI} in the developer "
            "dashboard and configure exactly the same.",
            suggestion=DEFAULT_REDIRECT_URI,
        )
    if len(text) > _MAX_URI_LENGTH:
        raise RedirectURIError(
            f"The redirect URI is {len(text)} characters long: use a short one such as "
            f"{DEFAULT_REDIRECT_URI}.",
            suggestion=DEFAULT_REDIRECT_URI,
        )
    if not text.isprintable() or any(c.isspace() for c in text):
        raise RedirectURIError(
            f"The redirect URI {_show(text)} contains spaces or control characters: copy it "
            "again from the developer dashboard.",
            uri=_show(text),
        )
    missing_colon = re.match(r"^(https?)//(.*)$", text, re.IGNORECASE)
    if missing_colon:
        # D: the guide prints `http//localhost:8888/callback`, without the colon.
        fixed_text = f"{missing_colon.group(1).lower()}://{missing_colon.group(2)}"
        fixed, port = _loopback_fix(fixed_text)
        note = _port_note(port) if fixed != fixed_text else ""
        raise RedirectURIError(
            f"The redirect URI {_show(text)} lacks the colon after http (a typo copied from the "
            f"original guide): register and use {_show(fixed)}{note}.",
            uri=text,
            suggestion=fixed,
        )
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise RedirectURIError(
            f"The redirect URI {_show(text)} is not a valid URL (check the host and port): "
            f"use something like {DEFAULT_REDIRECT_URI}.",
            uri=text,
            suggestion=DEFAULT_REDIRECT_URI,
        ) from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise RedirectURIError(
            f"The redirect URI {_show(text)} must be an absolute http(s) URL such as "
            f"{DEFAULT_REDIRECT_URI}.",
            uri=text,
            suggestion=DEFAULT_REDIRECT_URI,
        )
    if parts.fragment:
        fixed = urlunsplit(parts._replace(fragment=""))
        raise RedirectURIError(
            f"The redirect URI {_show(text)} must not contain a '#' fragment: use {_show(fixed)}.",
            uri=text,
            suggestion=fixed,
        )
    host = parts.hostname.lower()
    if host == "localhost":
        # A12: the name localhost is refused since 2025-11-27; the IP literal works.
        fixed, port = _loopback_fix(text)
        raise RedirectURIError(
            f"The redirect URI {_show(text)} uses localhost, which Spotify no longer accepts: "
            f"register and use {_show(fixed)}{_port_note(port)}.",
            uri=text,
            suggestion=fixed,
        )
    if parts.scheme.lower() == "http" and host not in _LOOPBACK_HOSTS:
        fixed = urlunsplit(parts._replace(scheme="https"))
        raise RedirectURIError(
            f"The redirect URI {_show(text)} uses http on a host that is not 127.0.0.1 or [::1]: "
            f"Spotify allows only https there, use {_show(fixed)}.",
            uri=text,
            suggestion=fixed,
        )
    if port == 0:
        fixed, _ = _loopback_fix(text)
        raise RedirectURIError(
            f"The redirect URI {_show(text)} has port 0: leave the port out ({_show(fixed)}); "
            f"{_ANY_PORT}.",
            uri=text,
            suggestion=fixed,
        )
    return text


def _loopback_fix(uri: str) -> tuple[str, int | None]:
    """Return ``uri`` on ``127.0.0.1`` without a port (A12), and the port it had.

    Other hosts are returned as they are. Best effort: an unreadable URI gives the default.
    """
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return DEFAULT_REDIRECT_URI, None
    if (parts.hostname or "").lower() not in ("localhost", "127.0.0.1"):
        return uri, port
    return urlunsplit(("http", "127.0.0.1", parts.path or "/callback", parts.query, "")), port


def _matches(sent: SplitResult, registered: SplitResult, sent_text: str, reg_text: str) -> bool:
    """Apply A12's rule: exact match, or a port-less loopback registration with any port."""
    if sent_text == reg_text:
        return True
    try:
        reg_port, sent_port = registered.port, sent.port
    except ValueError:
        return False
    return (
        registered.scheme == sent.scheme == "http"
        and registered.netloc in ("127.0.0.1", "[::1]")
        and reg_port is None
        and sent_port is not None
        and sent.hostname == registered.hostname
        and (registered.path, registered.query, registered.fragment)
        == (sent.path, sent.query, sent.fragment)
    )


def compare_redirect_uris(sent: object, registered: object) -> str | None:
    """Explain why Spotify would refuse ``sent`` for a ``registered`` redirect URI, or None.

    Spotify compares redirect URIs exactly, case and trailing slash included, except that a
    loopback IP literal registered without a port accepts any port (A12).

    Args:
        sent: the redirect URI a login uses.
        registered: the redirect URI registered in the developer dashboard.

    Returns:
        None when Spotify accepts ``sent``; otherwise a one-line explanation with the fix.

    Raises:
        RedirectURIError: one of the values is not text.
    """
    if not isinstance(sent, str) or not isinstance(registered, str):
        raise RedirectURIError(
            "Both redirect URIs must be text, for example "
            f"{DEFAULT_REDIRECT_URI} (got {type(sent).__name__} and {type(registered).__name__})."
        )
    if sent == registered:
        return None
    head = f"The redirect URI {_show(sent)} differs from the registered {_show(registered)}"
    use = f"use {_show(registered)}."
    try:
        s_parts, r_parts = urlsplit(sent), urlsplit(registered)
    except ValueError:
        return f"{head}: one of them is not a valid URL; {use}"
    if _matches(s_parts, r_parts, sent, registered):
        return None
    try:
        s_port, r_port = s_parts.port, r_parts.port
    except ValueError:
        return f"{head}: it has an invalid port; {use}"
    comparable = sent
    if r_port is None and s_port is not None and r_parts.netloc in ("127.0.0.1", "[::1]"):
        # A12: the port is free here, so compare the rest.
        comparable = urlunsplit(s_parts._replace(netloc=s_parts.netloc.rsplit(":", 1)[0]))
    if comparable.rstrip("/") == registered.rstrip("/"):
        return f"{head} by a trailing slash: Spotify compares them exactly, {use}"
    if comparable.lower() == registered.lower():
        return f"{head} in upper/lower case: Spotify compares them exactly, {use}"
    s_host, r_host = (s_parts.hostname or ""), (r_parts.hostname or "")
    if s_host == "localhost" and r_host in _LOOPBACK_HOSTS:
        return f"{head}: Spotify no longer accepts localhost, {use}"
    same_but_port = (s_parts.scheme, s_host, s_parts.path, s_parts.query) == (
        r_parts.scheme,
        r_host,
        r_parts.path,
        r_parts.query,
    )
    if same_but_port and s_port != r_port:
        if r_host in _LOOPBACK_HOSTS and r_port is not None:
            portless = urlunsplit(r_parts._replace(netloc=r_parts.netloc.rsplit(":", 1)[0]))
            return (
                f"{head} in the port ({s_port} instead of {r_port}): register "
                f"{_show(portless)} without a port in the developer dashboard and use it"
                f"{_port_note(r_port)}."
            )
        return (
            f"{head} in the port: only loopback IP literals registered without a port accept "
            f"any port; {use}"
        )
    return f"{head}: Spotify needs exactly the same string at both steps; {use}"
