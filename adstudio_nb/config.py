"""Settings: who the client is, where Spotify (or the sandbox) answers, where tokens live.

This module owns :class:`Settings` (a frozen value), its presets (real Spotify, a running
sandbox), the validation of what users type or paste (with a one-line fix hint each), and the
one place configuration is read from: arguments, then environment variables, then a ``.env``
file, then the zero-configuration default, the embedded sandbox.

Where credentials go is never a ``.env`` file's decision: a ``.env`` gives the app (client id,
secret, redirect URI), the profile, the scope and two switches (PKCE, catching the redirect),
and may choose the ``spotify`` or ``sandbox`` target; the hosts, the token directory, the
sandbox URL and the ``custom`` target come only from arguments or the real environment, and a
``.env`` that sets one is refused with a message naming it. The ``spotify`` target talks only
to Spotify's own https hosts, the ``sandbox`` target only to this machine; anything else is the
``custom`` target, chosen on purpose and announced wherever the settings are shown.

It never does network I/O itself and never mutates ``os.environ``. (Asking the embedded-sandbox
module for its endpoints may start that in-process sandbox or ask a stand-alone one where it
is; that is the sandbox module's business.)

Example:
    >>> from adstudio_nb.config import Settings, compare_redirect_uris
    >>> s = Settings.spotify("0" * 32, "1" * 32, redirect_uri="http://127.0.0.1:8888/callback")
    >>> s.target, s.use_pkce
    ('spotify', False)
    >>> print(compare_redirect_uris("http://127.0.0.1/cb/", "http://127.0.0.1/cb"))
    The redirect URI http://127.0.0.1/cb/ differs from the registered http://127.0.0.1/cb by a \
trailing slash: Spotify compares exactly (A12), use http://127.0.0.1/cb.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, Protocol
from urllib.parse import SplitResult, urlsplit, urlunsplit

from .exceptions import ConfigurationError, RedirectURIError
from .redaction import Secret, basic_value, find_secrets

__all__ = [
    "DEFAULT_REDIRECT_URI",
    "ENV_PREFIX",
    "PORTLESS_REDIRECT_URI",
    "SPOTIFY_ADS_API_V3",
    "SPOTIFY_ADS_SANDBOX_V1",
    "SPOTIFY_API_BASE_URLS",
    "SPOTIFY_AUTHORIZE_URL",
    "SPOTIFY_AUTHORIZE_URLS",
    "SPOTIFY_DASHBOARD_URL",
    "SPOTIFY_TOKEN_URL",
    "Settings",
    "compare_redirect_uris",
    "default_token_dir",
    "load_settings",
    "validate_client_id",
    "validate_client_secret",
    "validate_redirect_uri",
    "validate_scope",
]

SPOTIFY_AUTHORIZE_URL = "https://accounts.spotify.com/authorize"
SPOTIFY_TOKEN_URL = "https://accounts.spotify.com/api/token"  # noqa: S105 (a URL)
SPOTIFY_ADS_API_V3 = "https://api-partner.spotify.com/ads/v3"
# C: the original guide's host; switched off for outside partners, kept selectable on purpose.
SPOTIFY_ADS_SANDBOX_V1 = "https://api-partner.spotify.com/ads-sandbox/v1"
SPOTIFY_DASHBOARD_URL = "https://developer.spotify.com/dashboard"
# A1: the Ads guides write the authorize page with a trailing slash; both are Spotify's.
SPOTIFY_AUTHORIZE_URLS = (SPOTIFY_AUTHORIZE_URL, SPOTIFY_AUTHORIZE_URL + "/")
SPOTIFY_API_BASE_URLS = (SPOTIFY_ADS_API_V3, SPOTIFY_ADS_SANDBOX_V1)
_SPOTIFY_DASHBOARD_PREFIX = "https://developer.spotify.com/"
# D: the guide's `http//localhost:8888/callback`, corrected (colon, and 127.0.0.1 per A12).
DEFAULT_REDIRECT_URI = "http://127.0.0.1:8888/callback"
# A12: registered without a port, a loopback URI accepts any port (8888 is Jupyter's own).
PORTLESS_REDIRECT_URI = "http://127.0.0.1/callback"

ENV_PREFIX = "ADSTUDIO_"
ENV_FILE_VARIABLE = "ADSTUDIO_ENV_FILE"
SANDBOX_URL_VARIABLE = "ADSTUDIO_SANDBOX_URL"
# Set by the sharing command for the kernel it runs: panels render as static HTML.
STATIC_OUTPUTS_VARIABLE = "ADSTUDIO_STATIC_OUTPUTS"

Target = Literal["sandbox", "spotify", "custom"]
TokenStorage = Literal["file", "memory"]
_TARGETS = ("sandbox", "spotify", "custom")
_LOOPBACK_HOSTS = ("127.0.0.1", "::1")
# Shapes of credentials no known value covers: Spotify access tokens (BQ...), refresh tokens and
# codes (AQ...), 32 hex characters (a client secret), long base64 runs (a Basic value).
_TOKEN_SHAPE = re.compile(r"(?:BQ|AQ)[A-Za-z0-9_-]{60,}|[0-9a-fA-F]{32}|[A-Za-z0-9+=_-]{60,}")
_HEX32 = re.compile(r"^[0-9a-fA-F]{32}$")
_PROFILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_SCOPE_ITEM = re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]+$")  # RFC 6749 scope-token characters
_MAX_URI_LENGTH = 2048
_MAX_VALUE_LENGTH = 512
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _show(value: object, limit: int = 80) -> str:
    """Render a non-secret value for a one-line message: escaped, shortened."""
    text = value if isinstance(value, str) else repr(value)
    text = text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe_shape(value: str) -> str:
    """Describe a value that may be secret without showing it: length and kinds of characters."""
    kinds = []
    if any(c.isspace() for c in value):
        kinds.append("spaces")
    if any(not c.isprintable() for c in value):
        kinds.append("control characters")
    if any(not c.isascii() for c in value):
        kinds.append("non-ASCII characters")
    if any(c in "+/=" for c in value):
        kinds.append("base64 characters")
    if any(c.isascii() and c.isalpha() and c.lower() not in "abcdef" for c in value):
        kinds.append("letters beyond a-f")
    what = f" with {', '.join(kinds)}" if kinds else ""
    return f"{len(value)} characters{what}"


# -- validation of what users type or paste -------------------------------------------------------


def validate_redirect_uri(uri: object) -> str:
    """Check a redirect URI against Spotify's rules (A12) and return it stripped.

    Args:
        uri: the redirect URI as typed or configured.

    Returns:
        The URI without surrounding whitespace.

    Raises:
        RedirectURIError: the URI cannot work; the message says the fix and ``suggestion``
            holds a corrected URI when one can be guessed.
    """
    if not isinstance(uri, str):
        raise RedirectURIError(
            f"The redirect URI must be text like {DEFAULT_REDIRECT_URI}, not {type(uri).__name__}.",
            suggestion=DEFAULT_REDIRECT_URI,
        )
    text = uri.strip()
    if not text:
        raise RedirectURIError(
            f"The redirect URI is empty: register one in the developer dashboard, for example "
            f"{DEFAULT_REDIRECT_URI}, and configure exactly the same.",
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
        fixed = _loopback_fix(f"{missing_colon.group(1).lower()}://{missing_colon.group(2)}")
        raise RedirectURIError(
            f"The redirect URI {_show(text)} lacks the colon after http (a typo copied from the "
            f"original guide): use {fixed}.",
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
        fixed = _loopback_fix(text)
        raise RedirectURIError(
            f"The redirect URI {_show(text)} uses localhost, which Spotify no longer accepts "
            f"(A12): register and use {_show(fixed)}.",
            uri=text,
            suggestion=fixed,
        )
    if parts.scheme.lower() == "http" and host not in _LOOPBACK_HOSTS:
        fixed = urlunsplit(parts._replace(scheme="https"))
        raise RedirectURIError(
            f"The redirect URI {_show(text)} uses http on a host that is not 127.0.0.1 or [::1]: "
            f"Spotify only allows https there (A12), use {_show(fixed)}.",
            uri=text,
            suggestion=fixed,
        )
    if port == 0:
        raise RedirectURIError(
            f"The redirect URI {_show(text)} has port 0: leave the port out "
            f"({PORTLESS_REDIRECT_URI}) to let any free port be used (A12).",
            uri=text,
            suggestion=PORTLESS_REDIRECT_URI,
        )
    return text


def _loopback_fix(uri: str) -> str:
    """Return ``uri`` with ``localhost`` replaced by ``127.0.0.1`` (A12), best effort."""
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return DEFAULT_REDIRECT_URI
    if (parts.hostname or "").lower() not in ("localhost", "127.0.0.1"):
        return uri
    netloc = "127.0.0.1" + (f":{port}" if port else "")
    return urlunsplit(("http", netloc, parts.path or "/callback", parts.query, ""))


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
        return f"{head} by a trailing slash: Spotify compares exactly (A12), {use}"
    if comparable.lower() == registered.lower():
        return f"{head} in upper/lower case: Spotify compares exactly (A12), {use}"
    s_host, r_host = (s_parts.hostname or ""), (r_parts.hostname or "")
    if s_host == "localhost" and r_host in _LOOPBACK_HOSTS:
        return f"{head}: Spotify no longer accepts localhost (A12), {use}"
    same_but_port = (s_parts.scheme, s_host, s_parts.path, s_parts.query) == (
        r_parts.scheme,
        r_host,
        r_parts.path,
        r_parts.query,
    )
    if same_but_port and s_port != r_port:
        if r_host in _LOOPBACK_HOSTS and r_port is not None:
            return (
                f"{head} in the port ({s_port} instead of {r_port}): {use} or register "
                f"{_show(urlunsplit(r_parts._replace(netloc=r_parts.netloc.rsplit(':', 1)[0])))} "
                "without a port, which accepts any port (A12)."
            )
        return f"{head} in the port: only loopback IP literals registered without a port " + (
            f"accept any port (A12); {use}"
        )
    return f"{head}: Spotify needs exactly the same string at both steps (A12); {use}"


def _validate_credential(
    value: object, *, what: str, other: str | None, other_what: str, lax: bool
) -> str:
    """Check a client id or secret's shape without ever echoing it."""
    if not isinstance(value, str):
        raise ConfigurationError(
            f"The {what} must be text (32 hexadecimal characters from the developer dashboard), "
            f"not {type(value).__name__}."
        )
    text = value.strip()
    if not text:
        raise ConfigurationError(
            f"The {what} is empty: copy it from your app's page in the developer dashboard."
        )
    if other is not None and text == other.strip():
        # The two have the same shape, so a swap or a double paste only shows as equality.
        raise ConfigurationError(
            f"The {what} equals the {other_what}: one was pasted into the other's field. Copy "
            "both again from your app's page in the developer dashboard."
        )
    if lax:
        if len(text) > _MAX_VALUE_LENGTH or not text.isprintable() or " " in text:
            raise ConfigurationError(
                f"The {what} does not look like one ({_describe_shape(text)}): copy it again."
            )
        return text
    if not _HEX32.match(text):
        hint = ""
        if text.lower().startswith("basic ") or (len(text) >= 40 and text.endswith("=")):
            hint = " That looks like a base64 Basic value, which is as secret as the secret."
        elif text.startswith(("BQ", "AQ")) and len(text) > 60:
            hint = " That looks like a token or an authorization code, not a client credential."
        raise ConfigurationError(
            f"The {what} must be 32 hexadecimal characters (0-9, a-f), as shown in the developer "
            f"dashboard; this one has {_describe_shape(text)}.{hint}"
        )
    return text


def validate_client_id(
    value: object, *, client_secret: str | None = None, lax: bool = False
) -> str:
    """Check that ``value`` is shaped like a Spotify client id and return it stripped.

    Args:
        value: the client id as typed or configured.
        client_secret: the configured secret, to catch the secret pasted into the id field.
        lax: only require a sane string (for custom accounts services).

    Raises:
        ConfigurationError: the value cannot be a client id; the message never shows it.
    """
    return _validate_credential(
        value, what="client id", other=client_secret, other_what="client secret", lax=lax
    )


def validate_client_secret(
    value: object, *, client_id: str | None = None, lax: bool = False
) -> str:
    """Check that ``value`` is shaped like a Spotify client secret and return it stripped.

    Args:
        value: the client secret as typed or configured.
        client_id: the configured client id, to catch the id pasted into the secret field.
        lax: only require a sane string (for custom accounts services).

    Raises:
        ConfigurationError: the value cannot be a client secret; the message never shows it.
    """
    return _validate_credential(
        value, what="client secret", other=client_id, other_what="client id", lax=lax
    )


def validate_scope(scope: object) -> str:
    """Check a space-separated scope string and return it normalised (A13: empty is fine).

    Raises:
        ConfigurationError: the scope holds characters OAuth does not allow.
    """
    if scope is None:
        return ""
    if not isinstance(scope, str):
        raise ConfigurationError(
            f"The scope must be text (usually empty for the Ads API), not {type(scope).__name__}."
        )
    items = scope.split()
    if len(scope) > _MAX_VALUE_LENGTH or not all(_SCOPE_ITEM.match(i) for i in items):
        raise ConfigurationError(
            f"The scope {_show(scope)} is not a space-separated list of scope names: leave it "
            "empty for the Ads API (A13), or use 'streaming' as the original guide did."
        )
    return " ".join(items)


def _validate_service_url(value: object, *, name: str) -> str:
    """Check an accounts or API URL: absolute, https unless on a loopback IP literal."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"The {name} must be an absolute https URL.")
    text = value.strip()
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError:
        raise ConfigurationError(f"The {name} {_show(text)} is not a valid URL.") from None
    if (
        len(text) > _MAX_URI_LENGTH
        or not text.isprintable()
        or any(c.isspace() for c in text)
        or parts.scheme not in ("http", "https")
        or not parts.hostname
    ):
        raise ConfigurationError(f"The {name} {_show(text)} must be an absolute https URL.")
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK_HOSTS:
        raise ConfigurationError(
            f"The {name} {_show(text)} uses http on a remote host: use https (a token sent "
            "over http can be read on the way)."
        )
    if parts.query or parts.fragment:
        raise ConfigurationError(f"The {name} {_show(text)} must not carry a query or fragment.")
    return text


def _refuse_secrets_in_url(value: object, *, name: str, client_id: str, secret: str | None) -> None:
    """Refuse a URL that carries a credential: URLs are shown (reprs, panels, the command line).

    The message never shows the URL, which is the very thing that holds the secret.
    """
    if not isinstance(value, str):
        return  # the URL's own check says what is wrong with it
    try:
        userinfo = urlsplit(value.strip()).netloc.rpartition("@")[0]
    except ValueError:
        userinfo = ""
    known: dict[str, str | Secret] = {}
    if secret:
        known = {"client secret": secret, "Basic value": basic_value(client_id, secret)}
    if userinfo or (known and find_secrets(value, known)) or _TOKEN_SHAPE.search(value):
        raise ConfigurationError(
            f"The {name} holds a password, the client secret or something shaped like a token, "
            "and URLs are shown on screen: use the service's plain address, without credentials."
        )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _check_target_hosts(target: str, urls: Mapping[str, str | None]) -> None:
    """Keep each target to its hosts: Spotify's over https, or this machine for the sandbox."""
    names = {
        "authorize_url": ("authorize URL", "ADSTUDIO_AUTHORIZE_URL", SPOTIFY_AUTHORIZE_URLS),
        "token_url": ("token URL", "ADSTUDIO_TOKEN_URL", (SPOTIFY_TOKEN_URL,)),
        "api_base_url": ("API base URL", "ADSTUDIO_API_BASE_URL", SPOTIFY_API_BASE_URLS),
        "dashboard_url": ("dashboard URL", "", ()),
    }
    for key, url in urls.items():
        if url is None:
            continue
        what, variable, spotify = names[key]
        if target == "sandbox":
            try:
                host = urlsplit(url).hostname
            except ValueError:
                continue  # the URL's own check explains what is wrong with it
            spotify_dashboard = key == "dashboard_url" and url.startswith(_SPOTIFY_DASHBOARD_PREFIX)
            if host not in _LOOPBACK_HOSTS and not spotify_dashboard:
                raise ConfigurationError(
                    f"The sandbox target only talks to a sandbox on this machine, but its {what} "
                    f"is {_show(url)}: use a sandbox on 127.0.0.1 (or unset the hosts), or "
                    "choose the custom target on purpose."
                )
        elif target == "spotify":
            if key == "dashboard_url":
                ok = url.startswith(_SPOTIFY_DASHBOARD_PREFIX)
                expected = SPOTIFY_DASHBOARD_URL
            else:
                # Spotify's exact strings (a trailing slash is dropped from the API base later).
                ok = url in spotify or (key == "api_base_url" and url.rstrip("/") in spotify)
                expected = spotify[0]
            if not ok:
                where = f" ({variable})" if variable else ""
                raise ConfigurationError(
                    f"With the spotify target the {what}{where} must be Spotify's {expected}, "
                    f"not {_show(url)}: unset it, or to send your credentials there on purpose "
                    "choose the custom target (ADSTUDIO_TARGET=custom in the environment)."
                )


def _validate_profile(value: object) -> str:
    if not isinstance(value, str) or not _PROFILE.match(value):
        raise ConfigurationError(
            f"The profile name {_show(value)} must be 1-64 letters, digits, '.', '_' or '-' "
            "(it names a file)."
        )
    return value


def static_outputs(environ: Mapping[str, str] | None = None) -> bool:
    """Tell whether panels should display as static HTML (a shared walkthrough's kernel)."""
    env = os.environ if environ is None else environ
    return env.get(STATIC_OUTPUTS_VARIABLE) == "1"


def default_token_dir() -> Path:
    """Return the per-user directory where token files live (never the working directory)."""
    import platformdirs  # light, but only needed here

    return Path(platformdirs.user_config_dir("adstudio_nb", appauthor=False)) / "tokens"


# -- Settings -------------------------------------------------------------------------------------


class _SandboxLike(Protocol):
    """What :meth:`Settings.for_sandbox` needs of a running sandbox."""

    @property
    def authorize_url(self) -> str: ...

    @property
    def token_url(self) -> str: ...

    @property
    def api_base_url(self) -> str: ...

    @property
    def dashboard_url(self) -> str: ...

    @property
    def demo_app(self) -> Any: ...


@dataclass(frozen=True)
class Settings:
    """Who the client is, where the accounts service and the Ads API answer, where tokens live.

    Every field is checked on construction (``dataclasses.replace`` checks again); a value that
    cannot work raises :class:`ConfigurationError` or :class:`RedirectURIError` with the fix.

    Attributes:
        client_id: the app's client id (32 hex characters at Spotify).
        client_secret: the app's secret; None means a PKCE login without a secret (A5). A
            :class:`~adstudio_nb.redaction.Secret` is accepted too; :attr:`secret` gives it
            back as one. Never shown in ``repr``.
        redirect_uri: exactly the URI registered in the developer dashboard (A12).
        scope: space-separated scopes; empty for the Ads API, ``streaming`` accepted (A13).
        authorize_url: the accounts service's authorize page (A1).
        token_url: the accounts service's token endpoint (A5).
        api_base_url: the Ads API base URL (B).
        target: ``spotify`` (only Spotify's own https hosts), ``sandbox`` (only a sandbox on
            this machine) or ``custom`` (any host, chosen on purpose; see
            :attr:`custom_target_notice`).
        profile: names the token file, so several logins can live side by side.
        token_dir: where token files live; None means the per-user config directory.
        use_pkce: log in with PKCE (S256) instead of the client secret (A1, A5).
        dashboard_url: where the user manages apps and revokes access (D7), if known.
        token_storage: ``file`` (survives restarts) or ``memory`` (dies with the process, used
            for the in-process sandbox whose tokens could not outlive it anyway).
        catch_redirect: catch the login's redirect with a loopback listener; False when the
            browser cannot reach this machine (a remote Jupyter): the redirect is pasted.
    """

    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    redirect_uri: str = DEFAULT_REDIRECT_URI
    scope: str = ""
    authorize_url: str = SPOTIFY_AUTHORIZE_URL
    token_url: str = SPOTIFY_TOKEN_URL
    api_base_url: str = SPOTIFY_ADS_API_V3
    target: Target = "spotify"
    profile: str = "default"
    token_dir: Path | None = None
    use_pkce: bool = False
    dashboard_url: str | None = SPOTIFY_DASHBOARD_URL
    token_storage: TokenStorage = "file"  # noqa: S105 (not a password)
    catch_redirect: bool = True

    def __post_init__(self) -> None:
        if self.target not in _TARGETS:
            raise ConfigurationError(
                f"The target {_show(self.target)} is unknown: use one of {', '.join(_TARGETS)}."
            )
        lax = self.target == "custom"
        secret = self.client_secret
        if isinstance(secret, Secret):
            secret = secret.reveal()
        if secret is not None:
            secret = validate_client_secret(secret, lax=lax)
        client_id = validate_client_id(self.client_id, client_secret=secret, lax=lax)
        if not isinstance(self.use_pkce, bool):
            raise ConfigurationError("use_pkce must be True or False.")
        if not isinstance(self.catch_redirect, bool):
            raise ConfigurationError("catch_redirect must be True or False.")
        if secret is None and not self.use_pkce:
            # A5: without a secret the only way to authenticate is PKCE.
            object.__setattr__(self, "use_pkce", True)
        token_dir = self.token_dir
        if token_dir is not None:
            if not isinstance(token_dir, str | Path) or not str(token_dir).strip():
                raise ConfigurationError("The token directory must be a path.")
            try:
                token_dir = Path(token_dir).expanduser()
                is_cwd = token_dir.resolve() == Path.cwd().resolve()
            except (OSError, ValueError, RuntimeError):
                raise ConfigurationError(
                    f"The token directory {_show(str(token_dir))} is not a usable path."
                ) from None
            if is_cwd:
                raise ConfigurationError(
                    "The token directory is the working directory, where tokens would sit next "
                    "to notebooks (and end up in git): unset ADSTUDIO_TOKEN_DIR to use the "
                    "per-user config directory."
                )
        if self.token_storage not in ("file", "memory"):
            raise ConfigurationError("token_storage must be 'file' or 'memory'.")
        shown = {
            "authorize_url": "authorize URL",
            "token_url": "token URL",
            "api_base_url": "API base URL",
            "dashboard_url": "dashboard URL",
            "redirect_uri": "redirect URI",
        }
        for name, what in shown.items():
            # First, before any message could show the URL.
            _refuse_secrets_in_url(
                getattr(self, name), name=what, client_id=client_id, secret=secret
            )
        _check_target_hosts(
            self.target,
            {
                name: value.strip() if isinstance(value, str) else None
                for name in ("authorize_url", "token_url", "api_base_url", "dashboard_url")
                for value in (getattr(self, name),)
            },
        )
        dashboard_url = self.dashboard_url
        if dashboard_url is not None:
            dashboard_url = _validate_service_url(dashboard_url, name="dashboard URL")
        hosts = {
            "authorize_url": _validate_service_url(self.authorize_url, name="authorize URL"),
            "token_url": _validate_service_url(self.token_url, name="token URL"),
            "api_base_url": _validate_service_url(self.api_base_url, name="API base URL").rstrip(
                "/"
            ),
        }
        values = {
            "client_id": client_id,
            "client_secret": secret,
            "redirect_uri": validate_redirect_uri(self.redirect_uri),
            "scope": validate_scope(self.scope),
            **hosts,
            "dashboard_url": dashboard_url,
            "profile": _validate_profile(self.profile),
            "token_dir": token_dir,
        }
        for name, value in values.items():
            object.__setattr__(self, name, value)

    @classmethod
    def spotify(
        cls,
        client_id: str,
        client_secret: str | None = None,
        *,
        redirect_uri: str = DEFAULT_REDIRECT_URI,
        scope: str = "",
        api_base_url: str = SPOTIFY_ADS_API_V3,
        profile: str = "default",
        token_dir: Path | None = None,
        use_pkce: bool = False,
    ) -> Settings:
        """Return settings for the real Spotify accounts service and Ads API v3.

        Args:
            client_id: the app's client id from the developer dashboard.
            client_secret: its secret; None for a PKCE login.
            redirect_uri: exactly as registered (A12).
            scope: empty for the Ads API (A13).
            api_base_url: ``SPOTIFY_ADS_API_V3``, or ``SPOTIFY_ADS_SANDBOX_V1`` for the
                original guide's host (switched off for outside partners, C).
            profile: names the token file.
            token_dir: where token files live; None for the per-user config directory.
            use_pkce: log in with PKCE even though a secret is configured.
        """
        return cls(
            client_id=client_id,
            client_secret=client_secret,
            redirect_uri=redirect_uri,
            scope=scope,
            api_base_url=api_base_url,
            target="spotify",
            profile=profile,
            token_dir=token_dir,
            use_pkce=use_pkce,
        )

    @classmethod
    def for_sandbox(
        cls,
        sandbox: _SandboxLike,
        *,
        redirect_uri: str | None = None,
        scope: str = "",
        use_pkce: bool = False,
        profile: str = "sandbox",
        token_dir: Path | None = None,
        token_storage: TokenStorage = "memory",  # noqa: S107 (not a password)
    ) -> Settings:
        """Return settings for a running :class:`~adstudio_nb.sandbox.Sandbox`'s demo app.

        Args:
            sandbox: a started sandbox.
            redirect_uri: one of the demo app's redirect URIs; by default the port-less
                ``http://127.0.0.1/callback``, which accepts any port (A12).
            scope: empty by default (A13).
            use_pkce: log in with PKCE instead of the client secret.
            profile: names the token file (with file storage).
            token_dir: where token files live (with file storage).
            token_storage: ``memory`` by default: the sandbox's tokens die with it.
        """
        app = sandbox.demo_app
        uris = list(app.redirect_uris)
        chosen = redirect_uri or (
            PORTLESS_REDIRECT_URI if PORTLESS_REDIRECT_URI in uris else uris[0]
        )
        return cls(
            client_id=app.client_id,
            client_secret=None if use_pkce else app.client_secret,
            redirect_uri=chosen,
            scope=scope,
            authorize_url=sandbox.authorize_url,
            token_url=sandbox.token_url,
            api_base_url=sandbox.api_base_url,
            dashboard_url=sandbox.dashboard_url,
            target="sandbox",
            profile=profile,
            token_dir=token_dir,
            use_pkce=use_pkce,
            token_storage=token_storage,
        )

    @property
    def has_client_secret(self) -> bool:
        """Tell whether a client secret is configured (without showing it)."""
        return self.client_secret is not None

    @property
    def secret(self) -> Secret | None:
        """Return the client secret as a :class:`~adstudio_nb.redaction.Secret` (never prints)."""
        return None if self.client_secret is None else Secret(self.client_secret)

    @property
    def custom_target_notice(self) -> str | None:
        """Say where credentials go when that is not Spotify (the custom target), else None.

        Panels and the command line show this prominently: with the custom target the client
        secret and the tokens go to whatever hosts were configured.
        """
        if self.target != "custom":
            return None
        accounts = {_origin(self.authorize_url), _origin(self.token_url)}
        api = _origin(self.api_base_url)
        if accounts == {api}:
            where = api
        else:
            where = f"{' and '.join(sorted(accounts))} (login and tokens) and {api} (Ads API)"
        return f"Custom target: credentials go to {where}, not to Spotify."


# -- reading configuration (the one place) --------------------------------------------------------

# field name -> environment variable
_ENV_NAMES: dict[str, str] = {
    "client_id": "ADSTUDIO_CLIENT_ID",
    "client_secret": "ADSTUDIO_CLIENT_SECRET",
    "redirect_uri": "ADSTUDIO_REDIRECT_URI",
    "scope": "ADSTUDIO_SCOPE",
    "target": "ADSTUDIO_TARGET",
    "authorize_url": "ADSTUDIO_AUTHORIZE_URL",
    "token_url": "ADSTUDIO_TOKEN_URL",
    "api_base_url": "ADSTUDIO_API_BASE_URL",
    "token_dir": "ADSTUDIO_TOKEN_DIR",
    "profile": "ADSTUDIO_PROFILE",
    "use_pkce": "ADSTUDIO_USE_PKCE",
    "catch_redirect": "ADSTUDIO_CATCH_REDIRECT",
}
# What a .env file may set: the app, the profile and scope, and switches that cannot send a
# credential anywhere new (PKCE sends less; catching the redirect listens on this machine).
_ENV_FILE_FIELDS = (
    "client_id",
    "client_secret",
    "redirect_uri",
    "scope",
    "profile",
    "use_pkce",
    "catch_redirect",
    "target",
)
# Where credentials are sent and where tokens live: the real environment (or arguments) only,
# since anyone who can drop a file next to a notebook could otherwise redirect the secret.
_ENVIRONMENT_ONLY = (
    "ADSTUDIO_AUTHORIZE_URL",
    "ADSTUDIO_TOKEN_URL",
    "ADSTUDIO_API_BASE_URL",
    "ADSTUDIO_DASHBOARD_URL",
    "ADSTUDIO_TOKEN_DIR",
    SANDBOX_URL_VARIABLE,
)


def _read_env_file(
    environ: Mapping[str, str], env_file: str | os.PathLike[str] | None
) -> dict[str, str]:
    """Read a ``.env`` file without touching ``os.environ``; a missing default file is fine."""
    from dotenv import dotenv_values

    explicit = env_file if env_file is not None else environ.get(ENV_FILE_VARIABLE) or None
    path = Path(explicit) if explicit is not None else Path.cwd() / ".env"
    try:
        if not path.is_file():
            if explicit is not None:
                raise ConfigurationError(
                    f"The .env file {_show(str(path))} does not exist: fix {ENV_FILE_VARIABLE} "
                    "or create the file."
                )
            return {}
        # No ${VAR} expansion: it would copy the secret from the environment into any value.
        values = dotenv_values(path, interpolate=False)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        if isinstance(exc, ConfigurationError):
            raise
        raise ConfigurationError(
            f"The .env file {_show(str(path))} cannot be read ({type(exc).__name__}): check "
            "its permissions and encoding."
        ) from None
    found = {k: v for k, v in values.items() if isinstance(v, str)}
    _refuse_environment_only(found, path)
    return found


def _refuse_environment_only(values: Mapping[str, str], path: Path) -> None:
    """Refuse a .env that says where credentials go or tokens live, naming the keys."""
    keys = [k for k in _ENVIRONMENT_ONLY if values.get(k, "").strip()]
    if values.get(_ENV_NAMES["target"], "").strip().lower() == "custom":
        keys.append(f"{_ENV_NAMES['target']}=custom")
    if not keys:
        return
    named = ", ".join(keys)
    raise ConfigurationError(
        f"The .env file {_show(str(path))} sets {named}, which decides where your credentials "
        "go or where tokens are kept: that is read only from the real environment, never from "
        "a .env file. Remove it from the file, or set it in the environment if you mean it."
    )


def _parse_bool(name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ConfigurationError(f"{name} must be true or false, not {_show(value)}.")


def load_settings(
    *,
    environ: Mapping[str, str] | None = None,
    env_file: str | os.PathLike[str] | None = None,
    **overrides: Any,
) -> Settings:
    """Read the settings: arguments, then environment variables, then ``.env``, then the sandbox.

    With no client id anywhere, the result points at the embedded sandbox (zero configuration:
    a stand-alone sandbox when ``ADSTUDIO_SANDBOX_URL`` names one, else one in this process).
    A ``.env`` file gives the app and its switches only; the hosts, ``ADSTUDIO_TOKEN_DIR``,
    ``ADSTUDIO_SANDBOX_URL`` and ``ADSTUDIO_TARGET=custom`` come from the real environment, and
    a ``.env`` setting one of them is refused. Values are read literally (no ``${VAR}``).

    Args:
        environ: the environment to read (``os.environ`` by default; never modified).
        env_file: the ``.env`` file; by default ``ADSTUDIO_ENV_FILE`` or ``./.env``.
        **overrides: field values of :class:`Settings`; None values count as not given.

    Returns:
        Validated settings.

    Raises:
        ConfigurationError: a value cannot work (the message says which and the fix).
    """
    env = os.environ if environ is None else environ
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ConfigurationError(
            f"Unknown setting {_show(unknown[0])}: use one of {', '.join(sorted(known))}."
        )
    file_values = _read_env_file(env, env_file)
    given: dict[str, Any] = {}
    for name, variable in _ENV_NAMES.items():
        sources = (file_values, env) if name in _ENV_FILE_FIELDS else (env,)
        for source in sources:  # later sources win: environment over .env
            raw = source.get(variable)
            if isinstance(raw, str) and raw.strip():
                given[name] = raw.strip()
    given.update({k: v for k, v in overrides.items() if v is not None})

    for flag in ("use_pkce", "catch_redirect"):
        if flag in given:
            given[flag] = _parse_bool(_ENV_NAMES[flag], given[flag])
    if "token_dir" in given and isinstance(given["token_dir"], str):
        given["token_dir"] = Path(given["token_dir"])
    target = given.get("target")
    if target is not None:
        target = str(target).strip().lower()
        if target not in _TARGETS:
            raise ConfigurationError(
                f"{_ENV_NAMES['target']} {_show(target)} is unknown: use sandbox or spotify "
                "(or custom, to send credentials to other hosts on purpose)."
            )
    elif "client_id" not in given:
        target = "sandbox"
    else:
        # Other hosts never make a custom target by themselves: that is chosen on purpose.
        target = "spotify"
    given["target"] = target

    if target == "sandbox":
        sandbox_url = str(env.get(SANDBOX_URL_VARIABLE) or "").strip()
        if sandbox_url:
            _validate_sandbox_url(sandbox_url)
        return _sandbox_settings(given, sandbox_url)
    if "client_id" not in given:
        raise ConfigurationError(
            "No client id is configured: set ADSTUDIO_CLIENT_ID (and ADSTUDIO_CLIENT_SECRET) in "
            "the environment or a .env file, or unset ADSTUDIO_TARGET to use the sandbox."
        )
    return Settings(**given)


def _validate_sandbox_url(url: str) -> None:
    """A stand-alone sandbox hands out credentials and logs in by itself: this machine only."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or parts.hostname not in _LOOPBACK_HOSTS
        or "@" in parts.netloc
        or parts.query
        or parts.fragment
    ):
        raise ConfigurationError(
            f"{SANDBOX_URL_VARIABLE} must name a sandbox on this machine, such as "
            "http://127.0.0.1:8765 (as `adstudio-nb sandbox` prints it): fix it or unset it."
        )


def _sandbox_profile(source: Any) -> str:
    instance = str(getattr(source, "instance_id", "") or "")
    in_process = bool(getattr(source, "in_process", False))
    return f"sandbox-{instance}" if instance.isalnum() and not in_process else "sandbox"


def _sandbox_settings(given: dict[str, Any], sandbox_url: str) -> Settings:
    """Settings for the zero-configuration sandbox, with any explicit values on top.

    A stand-alone sandbox named by ``ADSTUDIO_SANDBOX_URL`` (the real environment only) is
    asked for its endpoints; otherwise the embedded-sandbox module starts one in this process.
    """
    try:
        embedded = importlib.import_module("adstudio_nb.demo")
        source = embedded.sandbox_settings_source(sandbox_url)
    except ConnectionError as exc:
        text = str(exc).splitlines()[0] if str(exc) else ""
        raise ConfigurationError(
            _show(text, 300) or f"No sandbox answers: unset {SANDBOX_URL_VARIABLE}."
        ) from None
    in_process = bool(getattr(source, "in_process", not sandbox_url))
    values: dict[str, Any] = {
        "client_id": source.client_id,
        "client_secret": source.client_secret,
        "redirect_uri": source.redirect_uri,
        "authorize_url": source.authorize_url,
        "token_url": source.token_url,
        "api_base_url": source.api_base_url,
        "dashboard_url": source.dashboard_url,
        # One token file per sandbox run: a restarted kernel finds its login again, while a
        # sandbox started anew (its tokens unknown to it) starts from a clean slate.
        "profile": _sandbox_profile(source),
        # An in-process sandbox forgets its tokens when the kernel stops: so do we.
        "token_storage": "memory" if in_process else "file",
    }
    values.update(given)
    if values.get("use_pkce") and "client_secret" not in given:
        values["client_secret"] = None
    return Settings(**values)
