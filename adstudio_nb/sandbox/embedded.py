"""The sandbox a zero-configuration notebook talks to.

With nothing configured, adstudio_nb uses a sandbox: a stand-alone one when
``ADSTUDIO_SANDBOX_URL`` names it (``make demo`` starts one, so tokens outlive a kernel
restart), otherwise one started in this process on a free port, once. The variable is read from
the process environment only (never a ``.env`` file) and must name this machine.
"""

from __future__ import annotations

import atexit
import os
import threading
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests

from .server import Sandbox

SANDBOX_URL_ENV = "ADSTUDIO_SANDBOX_URL"
DEMO_APP_PATH = "/sandbox/demo-app"
_LOOPBACK_HOSTS = ("127.0.0.1", "::1")

_lock = threading.Lock()
_embedded: Sandbox | None = None


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
