"""The one bridge between the client side and the sandbox: where it is, and a scripted person.

With nothing configured, adstudio_nb uses a sandbox: a stand-alone one when
``ADSTUDIO_SANDBOX_URL`` names it (``make demo`` starts one, so tokens outlive a kernel
restart), otherwise one started in this process on a free port, once. The variable is read from
the process environment only (never a ``.env`` file) and must name this machine.

This module also plays the person on the sandbox's own login page (log in, click Agree or
Cancel), for the demo login of unattended notebooks, the sharing command, tests and benchmarks.
It works only with the sandbox's pages, never with Spotify's.

No other module outside ``adstudio_nb.sandbox`` imports the sandbox: they come here.
"""

from __future__ import annotations

import atexit
import os
import re
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from .config import SANDBOX_URL_VARIABLE
from .exceptions import ConfigurationError

if TYPE_CHECKING:
    from .auth import OAuthFlow
    from .sandbox import Sandbox, SandboxApp
    from .token_store import Token

SANDBOX_URL_ENV = SANDBOX_URL_VARIABLE
DEMO_APP_PATH = "/sandbox/demo-app"
DEMO_USER = "alex.analyst"
DEMO_PASSWORD = "demo"  # noqa: S105 (the sandbox's published demo password)
_LOOPBACK_HOSTS = ("127.0.0.1", "::1")
_PENDING = re.compile(r'name="pending" value="([^"]+)"')

_lock = threading.Lock()
_embedded: Sandbox | None = None


# -- where the sandbox answers --------------------------------------------------------------------


@dataclass(frozen=True)
class SandboxEndpoints:
    """Where a sandbox answers, and its demo app's credentials."""

    base_url: str
    authorize_url: str
    token_url: str
    api_base_url: str
    dashboard_url: str
    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str
    in_process: bool
    instance_id: str = ""


def embedded_sandbox() -> Sandbox:
    """Return this process's sandbox, starting it on first use (stopped at exit)."""
    global _embedded
    from .sandbox import Sandbox

    with _lock:
        if _embedded is None:
            _embedded = Sandbox().start()
            atexit.register(_embedded.stop)
        return _embedded


def endpoints_of(sandbox: Sandbox) -> SandboxEndpoints:
    """Describe a running in-process sandbox."""
    app = sandbox.demo_app
    return SandboxEndpoints(
        base_url=sandbox.base_url,
        authorize_url=sandbox.authorize_url,
        token_url=sandbox.token_url,
        api_base_url=sandbox.api_base_url,
        dashboard_url=sandbox.dashboard_url,
        client_id=app.client_id,
        client_secret=app.client_secret,
        redirect_uri=_portless(app.redirect_uris),
        in_process=True,
        instance_id=sandbox.instance_id,
    )


def describe_remote(base_url: str, *, timeout_s: float = 5.0) -> SandboxEndpoints:
    """Ask a stand-alone sandbox at ``base_url`` for its URLs and demo app.

    Raises:
        ConnectionError: nothing answers there (start it with ``adstudio-nb sandbox``).
        ValueError: ``base_url`` is not on this machine (a sandbox hands out credentials and
            logs in by itself, so only a loopback one is asked).
    """
    base_url = base_url.rstrip("/")
    try:
        host = urlsplit(base_url).hostname
    except ValueError:
        host = None
    if host not in _LOOPBACK_HOSTS or "@" in base_url:
        raise ValueError(
            f"{SANDBOX_URL_ENV} must name a sandbox on this machine, such as "
            "http://127.0.0.1:8765: fix it or unset it."
        )
    try:
        answer = requests.get(base_url + DEMO_APP_PATH, timeout=timeout_s)
        answer.raise_for_status()
        body = answer.json()
        return SandboxEndpoints(
            base_url=base_url,
            authorize_url=base_url + "/authorize",
            token_url=base_url + "/api/token",
            api_base_url=base_url + "/ads/v3",
            dashboard_url=base_url + "/dashboard",
            client_id=str(body["client_id"]),
            client_secret=str(body["client_secret"]),
            redirect_uri=_portless([str(u) for u in body["redirect_uris"]]),
            in_process=False,
            instance_id=str(body.get("instance_id", "")),
        )
    except (requests.RequestException, ValueError, KeyError, IndexError, TypeError) as exc:
        raise ConnectionError(
            f"No adstudio_nb sandbox answers at {base_url} ({SANDBOX_URL_ENV}). "
            "Start one with `adstudio-nb sandbox`, or unset the variable to use an in-process one."
        ) from exc


def _portless(redirect_uris: list[str]) -> str:
    """Prefer the loopback URI registered without a port: any free port works with it (A12).

    The guide's ``http://127.0.0.1:8888/callback`` collides with Jupyter's own port 8888 (D),
    so a zero-configuration login listens on a free port instead.
    """
    for uri in redirect_uris:
        if uri.startswith("http://127.0.0.1/"):
            return uri
    return redirect_uris[0]


def sandbox_settings_source(sandbox_url: str | None = None) -> SandboxEndpoints:
    """Return the zero-configuration sandbox: the stand-alone one if named, else in-process.

    Args:
        sandbox_url: the stand-alone sandbox's base URL; ``""`` for one in this process; None
            to read ``ADSTUDIO_SANDBOX_URL`` from the process environment (never a ``.env``
            file: which sandbox hands out credentials is not a file's decision).
    """
    url = (os.environ.get(SANDBOX_URL_ENV, "") if sandbox_url is None else sandbox_url).strip()
    if url:
        return describe_remote(url)
    return endpoints_of(embedded_sandbox())


# -- a scripted person on the sandbox's login page ------------------------------------------------


class ConsentPageError(RuntimeError):
    """The authorize URL did not lead to the sandbox's consent form."""


def consent(
    authorize_url: str,
    *,
    user: str = DEMO_USER,
    password: str = DEMO_PASSWORD,
    approve: bool = True,
    session: requests.Session | None = None,
    timeout_s: float = 10.0,
) -> str:
    """Open ``authorize_url``, log in as ``user`` and click Agree (or Cancel).

    Returns:
        The redirect the browser would follow: the app's redirect URI with ``code`` and
        ``state``, or with ``error=access_denied`` (A3). The redirect is not followed.

    Raises:
        ConsentPageError: the page is an error page (A2) or not the sandbox's consent form.
    """
    http = session or requests.Session()
    page = http.get(authorize_url, allow_redirects=False, timeout=timeout_s)
    if page.status_code in (301, 302, 303):
        return page.headers["Location"]  # consented before, no show_dialog (A1)
    match = _PENDING.search(page.text) if page.status_code == 200 else None
    if match is None:
        raise ConsentPageError(
            f"The authorize URL answered {page.status_code} without a consent form."
        )
    parts = urlsplit(authorize_url)
    answer = http.post(
        f"{parts.scheme}://{parts.netloc}/authorize/decision",
        data={
            "pending": match.group(1),
            "user": user,
            "password": password,
            "decision": "agree" if approve else "cancel",
        },
        allow_redirects=False,
        timeout=timeout_s,
    )
    if answer.status_code not in (302, 303):
        raise ConsentPageError(f"The consent form answered {answer.status_code}, not a redirect.")
    return answer.headers["Location"]


def token_response(
    sandbox: Sandbox, *, user: str = DEMO_USER, app: SandboxApp | None = None
) -> dict[str, Any]:
    """Do the guide's whole code flow by hand (D2-D4, A1-A7) and return the token answer."""
    app = app or sandbox.demo_app
    query = {
        "client_id": app.client_id,
        "response_type": "code",
        "redirect_uri": app.redirect_uris[0],
    }
    location = consent(sandbox.authorize_url + "?" + urlencode(query), user=user)
    answer = requests.post(
        sandbox.token_url,
        data={
            "grant_type": "authorization_code",
            "code": parse_qs(urlsplit(location).query)["code"][0],
            "redirect_uri": app.redirect_uris[0],
        },
        auth=(app.client_id, app.client_secret),
        timeout=10,
    )
    answer.raise_for_status()
    body: dict[str, Any] = answer.json()
    return body


def demo_login(flow: OAuthFlow, *, user: str = DEMO_USER) -> Token:
    """Log in to the sandbox as one of its demo users, with no browser (sandbox only).

    Analysis notebooks and shared walkthroughs run unattended on the sandbox; there is no
    person to protect there, so a scripted person consents on the sandbox's own page.

    Raises:
        ConfigurationError: the settings point at Spotify, where only a person may consent.
    """
    if flow.settings.target != "sandbox":
        raise ConfigurationError(
            "Only the sandbox has demo users: log in to Spotify with the login panel or "
            "`adstudio-nb login`."
        )
    login = flow.start_login()
    return flow.complete_login(consent(login.url, user=user), login)


__all__ = [
    "DEMO_APP_PATH",
    "DEMO_PASSWORD",
    "DEMO_USER",
    "SANDBOX_URL_ENV",
    "ConsentPageError",
    "SandboxEndpoints",
    "consent",
    "demo_login",
    "describe_remote",
    "embedded_sandbox",
    "endpoints_of",
    "sandbox_settings_source",
    "token_response",
]
