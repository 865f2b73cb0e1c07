"""The original guide's curl commands (SPOTIFY_ADS.md section D) work against the sandbox.

Only the host is replaced: ``https://accounts.spotify.com`` and ``https://api-partner.spotify.com``
become the sandbox's base URL.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from adstudio_nb.sandbox import Sandbox
from tests.helpers import authorize_url, code_from, consent

pytestmark = pytest.mark.skipif(
    shutil.which("curl") is None or shutil.which("base64") is None,
    reason="the guide's commands need curl and base64 on the PATH",
)


def _sh(command: str) -> str:
    done = subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, timeout=30, check=True
    )
    return done.stdout


def _basic(sandbox: Sandbox) -> str:
    app = sandbox.demo_app
    # D3: echo -n client_id:client_secret | base64
    return _sh(f"echo -n {app.client_id}:{app.client_secret} | base64 -w0").strip()


def _step3(sandbox: Sandbox, basic: str) -> dict[str, object]:
    app = sandbox.demo_app
    code = code_from(consent(authorize_url(sandbox, scope="streaming")))
    out = _sh(
        f'curl -s -H "Authorization: Basic {basic}" -d grant_type=authorization_code '
        f"-d code={code} -d redirect_uri={app.redirect_uris[0]} {sandbox.base_url}/api/token"
    )
    return dict(json.loads(out))


def test_d3_d5_d6_the_guides_commands_with_the_host_replaced(sandbox: Sandbox) -> None:
    """D3, D5, D6 (A5, A7, A8, C): token by curl, refresh by curl, the v1 call by curl."""
    basic = _basic(sandbox)
    tokens = _step3(sandbox, basic)
    assert tokens["token_type"] == "Bearer" and tokens["scope"] == "streaming"  # A13

    refreshed = json.loads(
        _sh(
            f'curl -s -H "Authorization: Basic {basic}" -d grant_type=refresh_token '
            f"-d refresh_token={tokens['refresh_token']} {sandbox.base_url}/api/token"
        )
    )
    assert refreshed["access_token"] != tokens["access_token"]

    accounts = json.loads(
        _sh(
            f'curl -s -H "Authorization: Bearer {refreshed["access_token"]}" '
            f"{sandbox.base_url}/ads-sandbox/v1/currentUser/adAccounts"
        )
    )
    assert accounts["total_ad_accounts"] == len(accounts["ad_accounts"]) > 0  # C


def test_d5_the_guides_mistake_answers_as_spotify_would(sandbox: Sandbox) -> None:
    """D5 (A9): the guide's refresh command with the access token gives Invalid refresh token."""
    basic = _basic(sandbox)
    tokens = _step3(sandbox, basic)
    out = _sh(
        f'curl -s -w "\\n%{{http_code}}" -H "Authorization: Basic {basic}" '
        f"-d grant_type=refresh_token -d refresh_token={tokens['access_token']} "
        f"{sandbox.base_url}/api/token"
    )
    body, status = out.rsplit("\n", 1)
    assert status == "400"
    assert json.loads(body) == {
        "error": "invalid_grant",
        "error_description": "Invalid refresh token",
    }
