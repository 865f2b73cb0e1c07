"""Test helpers that play the browser and the client against the sandbox over real HTTP."""

from __future__ import annotations

import html
import os
import re
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from adstudio_nb.demo import consent, token_response
from adstudio_nb.sandbox import Sandbox, SandboxApp

__all__ = [
    "access_token",
    "authorize_url",
    "code_from",
    "consent",
    "issued_secrets",
    "revoke_in_dashboard",
    "token_response",
    "zero_config_env",
]


def authorize_url(sandbox: Sandbox, app: SandboxApp | None = None, **params: str) -> str:
    """Build an authorize URL for ``app`` (the demo app by default) by hand (A1)."""
    app = app or sandbox.demo_app
    query = {
        "client_id": app.client_id,
        "response_type": "code",
        "redirect_uri": app.redirect_uris[0],
        **params,
    }
    return sandbox.authorize_url + "?" + urlencode(query)


def code_from(location: str) -> str:
    """Return the ``code`` of a redirect location."""
    return parse_qs(urlsplit(location).query)["code"][0]


def access_token(
    sandbox: Sandbox, user_id: str = "alex.analyst", *, app: SandboxApp | None = None
) -> str:
    """Return a fresh access token for ``user_id`` obtained over HTTP."""
    return str(token_response(sandbox, user=user_id, app=app)["access_token"])


def issued_secrets(sandbox: Sandbox) -> list[str]:
    """Return every secret ``sandbox`` handed out: app secrets, codes, access and refresh tokens."""
    issued = [app.client_secret for app in sandbox.registry.apps.values()]
    for values in sandbox.registry.issued_secrets().values():
        issued.extend(values)
    return issued


def revoke_in_dashboard(
    sandbox: Sandbox, client_id: str, user_id: str = "alex.analyst"
) -> requests.Response:
    """Open the dashboard in a fresh browser and click "Revoke" for one grant (D7, A9).

    Posts the form's hidden fields (its CSRF token among them) with the page's cookie, as a
    browser does; follows the redirect back to the dashboard.
    """
    browser = requests.Session()
    page = browser.get(sandbox.dashboard_url, timeout=10)
    for form in re.findall(
        r'<form method="post" action="/dashboard/revoke">(.*?)</form>', page.text, re.S
    ):
        fields = {
            html.unescape(name): html.unescape(value)
            for name, value in re.findall(r'name="([^"]+)" value="([^"]*)"', form)
        }
        if fields.get("client_id") == client_id and fields.get("user_id") == user_id:
            return browser.post(sandbox.dashboard_url + "/revoke", data=fields, timeout=10)
    raise AssertionError(f"The dashboard lists no grant of {user_id} to that app.")


def zero_config_env(root: Path) -> dict[str, str]:
    """The environment with no adstudio_nb setting, private config, data and Jupyter directories.

    The runtime directory is private too, so a stand-alone sandbox started under this
    environment announces itself only to processes using the same one.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADSTUDIO_")}
    (root / "empty.env").write_text("")
    (root / "run").mkdir(mode=0o700, exist_ok=True)
    env.update(
        {
            "ADSTUDIO_ENV_FILE": str(root / "empty.env"),
            "XDG_CONFIG_HOME": str(root / "xdg"),
            "XDG_DATA_HOME": str(root / "data"),
            "XDG_RUNTIME_DIR": str(root / "run"),
            "JUPYTER_CONFIG_DIR": str(root / "cfg"),
            "JUPYTER_RUNTIME_DIR": str(root / "rt"),
            "JUPYTERLAB_SETTINGS_DIR": str(root / "settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(root / "ws"),
        }
    )
    return env
