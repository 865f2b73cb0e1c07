"""Settings: who the client is, where Spotify (or the sandbox) answers, where tokens live.

This module owns :class:`Settings` (a frozen value), its presets (real Spotify, a running
sandbox), the validation of what users type or paste (with a one-line fix hint each; the
redirect-URI rules live in :mod:`adstudio_nb.redirect_uris`), and the one place configuration is
read from: arguments, then environment variables, then a ``.env`` file, then the
zero-configuration default, a sandbox.

Where credentials go is never a ``.env`` file's decision: a ``.env`` gives the app (client id,
secret, redirect URI), the profile, the scope and two switches (PKCE, catching the redirect),
and may choose the ``spotify`` or ``sandbox`` target; the hosts, the token directory, the
sandbox URL and the ``custom`` target come only from arguments or the real environment, and a
``.env`` that sets one is refused with a message naming it. The ``spotify`` target talks only
to Spotify's own https hosts, the ``sandbox`` target only to this machine; anything else is the
``custom`` target, chosen on purpose and announced wherever the settings are shown.

It is hermetic: no network, no sandbox, and no process state beyond what it is told to read.
:func:`load_settings` reads ``os.environ`` and the default ``./.env`` only when no
``environ`` is given; ``load_settings(environ={}, env_file=None)`` touches neither the process
environment nor the file system. With nothing configured, the result *asks for* a sandbox
rather than starting one: ``Settings(target="sandbox", sandbox_url=...)`` whose client id,
hosts and redirect URI are still empty (:attr:`Settings.is_resolved` is False).
:func:`adstudio_nb.demo.resolve_settings` finds or starts that sandbox and fills them in;
callers that are about to log in or call the API pass settings through it (it returns Spotify
and custom settings unchanged).

Example:
    >>> from adstudio_nb.config import Settings, load_settings
    >>> s = Settings.spotify("0" * 32, "1" * 32)
    >>> s.target, s.use_pkce, s.redirect_uri
    ('spotify', False, 'http://127.0.0.1/callback')
    >>> wanted = load_settings(environ={})
    >>> wanted.target, wanted.is_resolved, wanted.sandbox_url
    ('sandbox', False, None)
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

from .exceptions import ConfigurationError
from .redaction import Secret, basic_value, find_secrets
from .redirect_uris import (
    DEFAULT_REDIRECT_URI,
    PORTLESS_REDIRECT_URI,
    _show,
    validate_redirect_uri,
)

__all__ = [
    "DEFAULT_REDIRECT_URI",
    "ENV_FILE_VARIABLE",
    "ENV_PREFIX",
    "PORTLESS_REDIRECT_URI",
    "SANDBOX_URL_VARIABLE",
    "SPOTIFY_ADS_API_V3",
    "SPOTIFY_ADS_SANDBOX_V1",
    "SPOTIFY_API_BASE_URLS",
    "SPOTIFY_AUTHORIZE_URL",
    "SPOTIFY_AUTHORIZE_URLS",
    "SPOTIFY_DASHBOARD_URL",
    "SPOTIFY_TOKEN_URL",
    "Settings",
    "default_token_dir",
    "load_settings",
    "validate_client_id",
    "validate_client_secret",
    "validate_sandbox_url",
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
ENV_PREFIX = "ADSTUDIO_"
ENV_FILE_VARIABLE = "ADSTUDIO_ENV_FILE"
# The one name of the stand-alone sandbox's URL (read from the real environment only).
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
            "empty for the Ads API, or use 'streaming' as the original guide did."
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


def _validate_token_dir(value: object) -> Path:
    if not isinstance(value, str | Path) or not str(value).strip():
        raise ConfigurationError("The token directory must be a path.")
    try:
        token_dir = Path(value).expanduser()
        is_cwd = token_dir.resolve() == Path.cwd().resolve()
    except (OSError, ValueError, RuntimeError):
        raise ConfigurationError(
            f"The token directory {_show(str(value))} is not a usable path."
        ) from None
    if is_cwd:
        raise ConfigurationError(
            "The token directory is the working directory, where tokens would sit next "
            "to notebooks (and end up in git): unset ADSTUDIO_TOKEN_DIR to use the "
            "per-user config directory."
        )
    return token_dir


def validate_sandbox_url(url: object) -> str:
    """Check a stand-alone sandbox's base URL and return it without a trailing slash.

    A stand-alone sandbox hands out its demo credentials and logs in by itself, so only one on
    this machine is accepted.

    Raises:
        ConfigurationError: the URL is not a plain http(s) address on 127.0.0.1 or [::1].
    """
    text = url.strip() if isinstance(url, str) else ""
    try:
        parts = urlsplit(text)
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
        or not text.isprintable()
    ):
        raise ConfigurationError(
            f"{SANDBOX_URL_VARIABLE} must name a sandbox on this machine, such as "
            "http://127.0.0.1:8765 (as `adstudio-nb sandbox` prints it): fix it or unset it."
        )
    return text.rstrip("/")


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
        sandbox_url: with the sandbox target, the stand-alone sandbox's base URL (as
            ``ADSTUDIO_SANDBOX_URL`` names it, or as found); None for "any sandbox".

    Settings that still wait for their sandbox (see :meth:`unresolved_sandbox` and
    :attr:`is_resolved`) hold empty hosts, and an empty client id, redirect URI or profile
    where the sandbox is to decide; :func:`adstudio_nb.demo.resolve_settings` fills them in.
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
    sandbox_url: str | None = None

    def __post_init__(self) -> None:
        if self.target not in _TARGETS:
            raise ConfigurationError(
                f"The target {_show(self.target)} is unknown: use one of {', '.join(_TARGETS)}."
            )
        if self.sandbox_url is not None:
            if self.target != "sandbox":
                raise ConfigurationError(
                    f"A sandbox URL goes only with the sandbox target, not {self.target}: "
                    f"unset {SANDBOX_URL_VARIABLE} or the client id."
                )
            object.__setattr__(self, "sandbox_url", validate_sandbox_url(self.sandbox_url))
        if self.target == "sandbox" and not (
            self.authorize_url or self.token_url or self.api_base_url
        ):
            self._check_unresolved()
            return
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
        token_dir = None if self.token_dir is None else _validate_token_dir(self.token_dir)
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

    def _check_unresolved(self) -> None:
        """Check what settings waiting for their sandbox already hold (explicit values only)."""
        if self.dashboard_url is not None:
            raise ConfigurationError(
                "Settings waiting for their sandbox take its dashboard too: leave it unset."
            )
        secret = self.client_secret
        if isinstance(secret, Secret):
            secret = secret.reveal()
        if secret is not None:
            secret = validate_client_secret(secret)
        values: dict[str, Any] = {"client_secret": secret}
        if self.client_id != "":
            values["client_id"] = validate_client_id(self.client_id, client_secret=secret)
        elif secret is not None:
            raise ConfigurationError(
                "A client secret without a client id: give both for your own sandbox app, or "
                "neither for the sandbox's demo app."
            )
        if self.redirect_uri != "":
            values["redirect_uri"] = validate_redirect_uri(self.redirect_uri)
        if self.profile != "":
            values["profile"] = _validate_profile(self.profile)
        values["scope"] = validate_scope(self.scope)
        for flag in ("use_pkce", "catch_redirect"):
            if not isinstance(getattr(self, flag), bool):
                raise ConfigurationError(f"{flag} must be True or False.")
        if self.token_storage not in ("file", "memory"):
            raise ConfigurationError("token_storage must be 'file' or 'memory'.")
        if self.token_dir is not None:
            values["token_dir"] = _validate_token_dir(self.token_dir)
        for name, value in values.items():
            object.__setattr__(self, name, value)

    @classmethod
    def unresolved_sandbox(
        cls,
        sandbox_url: str | None = None,
        *,
        client_id: str = "",
        client_secret: str | None = None,
        redirect_uri: str = "",
        scope: str = "",
        profile: str = "",
        token_dir: Path | None = None,
        use_pkce: bool = False,
        token_storage: TokenStorage = "file",  # noqa: S107 (not a password)
        catch_redirect: bool = True,
    ) -> Settings:
        """Return settings that ask for a sandbox without finding or starting one.

        :func:`adstudio_nb.demo.resolve_settings` turns them into usable settings: the
        stand-alone sandbox at ``sandbox_url``, or (None) the one ``adstudio-nb sandbox`` or
        ``make demo`` runs, else one in this process. Empty values are the sandbox's to fill
        in (its demo app, its port-less redirect URI, a token profile per sandbox run).

        Args:
            sandbox_url: the stand-alone sandbox's base URL on this machine, or None.
            client_id: an app registered in that sandbox; empty for its demo app.
            client_secret: that app's secret (None for the demo app's, or PKCE).
            redirect_uri: one of the app's redirect URIs; empty for the port-less one.
            scope: empty by default (A13).
            profile: names the token file; empty for one per sandbox run.
            token_dir: where token files live; None for the per-user config directory.
            use_pkce: log in with PKCE instead of the client secret.
            token_storage: ``file`` for a stand-alone sandbox's tokens (a sandbox in this
                process always keeps them in memory: they die with it), or ``memory``.
            catch_redirect: catch the redirect with a loopback listener.
        """
        return cls(
            client_id=client_id,
            client_secret=client_secret,
            redirect_uri=redirect_uri,
            scope=scope,
            authorize_url="",
            token_url="",
            api_base_url="",
            target="sandbox",
            profile=profile,
            token_dir=token_dir,
            use_pkce=use_pkce,
            dashboard_url=None,
            token_storage=token_storage,
            catch_redirect=catch_redirect,
            sandbox_url=sandbox_url,
        )

    @property
    def is_resolved(self) -> bool:
        """Tell whether these settings can log in and call the API (their hosts are known).

        False only for sandbox settings still waiting for
        :func:`adstudio_nb.demo.resolve_settings` to find their sandbox.
        """
        return self.target != "sandbox" or bool(self.api_base_url)

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
    environ: Mapping[str, str],
    env_file: str | os.PathLike[str] | None,
    *,
    default_file: bool,
) -> dict[str, str]:
    """Read a ``.env`` file without touching ``os.environ``; a missing default file is fine.

    The file is ``env_file``, else the environment's ``ADSTUDIO_ENV_FILE``, else (only when
    ``default_file``) ``./.env``; with none of them, no file is opened.
    """
    explicit = env_file if env_file is not None else environ.get(ENV_FILE_VARIABLE) or None
    if explicit is None and not default_file:
        return {}
    from dotenv import dotenv_values

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

    With no client id anywhere the result asks for a sandbox (zero configuration): the
    stand-alone one ``ADSTUDIO_SANDBOX_URL`` names, or with the variable unset whichever
    :func:`adstudio_nb.demo.resolve_settings` finds or starts. Those settings are not usable
    until resolved (:attr:`Settings.is_resolved`). A ``.env`` file gives the app and its
    switches only; the hosts, ``ADSTUDIO_TOKEN_DIR``, ``ADSTUDIO_SANDBOX_URL`` and
    ``ADSTUDIO_TARGET=custom`` come from the real environment, and a ``.env`` setting one of
    them is refused. Values are read literally (no ``${VAR}``).

    Hermetic: no network, no sandbox. With ``environ`` given, nothing outside it is read: the
    ``.env`` file is ``env_file`` or the mapping's ``ADSTUDIO_ENV_FILE``, and none otherwise.

    Args:
        environ: the environment to read; None for ``os.environ`` (never modified), which
            also makes ``./.env`` the default ``.env`` file.
        env_file: the ``.env`` file; by default ``ADSTUDIO_ENV_FILE`` (or, reading
            ``os.environ``, ``./.env``).
        **overrides: field values of :class:`Settings`; None values count as not given.

    Returns:
        Validated settings; for the sandbox, possibly still to be resolved.

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
    file_values = _read_env_file(env, env_file, default_file=environ is None)
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
        return _sandbox_wanted(given, env)
    given.pop("sandbox_url", None)  # a sandbox URL means nothing to Spotify or a custom host
    if "client_id" not in given:
        raise ConfigurationError(
            "No client id is configured: set ADSTUDIO_CLIENT_ID (and ADSTUDIO_CLIENT_SECRET) in "
            "the environment or a .env file, or unset ADSTUDIO_TARGET to use the sandbox."
        )
    return Settings(**given)


_SANDBOX_DECIDES = ("authorize_url", "token_url", "api_base_url", "dashboard_url")


def _sandbox_wanted(given: dict[str, Any], env: Mapping[str, str]) -> Settings:
    """Settings asking for the zero-configuration sandbox, with the explicit values kept.

    A stand-alone sandbox named by ``ADSTUDIO_SANDBOX_URL`` (the real environment only, or an
    argument) is recorded, never asked: :func:`adstudio_nb.demo.resolve_settings` does that.
    """
    hosts = [name for name in _SANDBOX_DECIDES if given.get(name)]
    if hosts:
        named = ", ".join(_ENV_NAMES.get(h, h) for h in hosts)
        raise ConfigurationError(
            f"With the sandbox target the sandbox gives its own addresses, so {named} cannot "
            f"be set: unset it, name a stand-alone sandbox with {SANDBOX_URL_VARIABLE}, or "
            "choose the custom target on purpose."
        )
    sandbox_url = given.pop("sandbox_url", None) or str(env.get(SANDBOX_URL_VARIABLE) or "")
    given.pop("target")
    return Settings.unresolved_sandbox(sandbox_url.strip() or None, **given)
