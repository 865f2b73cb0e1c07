"""Test helpers that play the browser and the client against the sandbox over real HTTP."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from adstudio_nb.sandbox import Sandbox, SandboxApp

_HIDDEN_PENDING = re.compile(r'name="pending" value="([^"]+)"')


def consent(
    authorize_url: str,
    *,
    user: str = "alex.analyst",
    password: str = "demo",
    approve: bool = True,
    session: requests.Session | None = None,
) -> str:
    """Open ``authorize_url`` like a browser, log in, click Agree or Cancel; return the redirect.

    The redirect is not followed: the returned string is the ``Location`` the browser would go
    to (the app's redirect URI with ``code`` or ``error``).
    """
    http = session or requests.Session()
    page = http.get(authorize_url, allow_redirects=False, timeout=10)
    if page.status_code in (301, 302, 303):
        return page.headers["Location"]  # already consented: straight back (A1)
    assert page.status_code == 200, page.text
    match = _HIDDEN_PENDING.search(page.text)
    assert match, "no consent form on the authorize page"
    base = "{0.scheme}://{0.netloc}".format(urlsplit(authorize_url))
    answer = http.post(
        base + "/authorize/decision",
        data={
            "pending": match.group(1),
            "user": user,
            "password": password,
            "decision": "agree" if approve else "cancel",
        },
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code in (302, 303), answer.text
    return answer.headers["Location"]


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


def token_response(
    sandbox: Sandbox, *, user: str = "alex.analyst", app: SandboxApp | None = None
) -> dict[str, object]:
    """Do the whole code flow over HTTP by hand (A1-A7) and return the token answer."""
    app = app or sandbox.demo_app
    location = consent(authorize_url(sandbox, app), user=user)
    answer = requests.post(
        sandbox.token_url,
        data={
            "grant_type": "authorization_code",
            "code": code_from(location),
            "redirect_uri": app.redirect_uris[0],
        },
        auth=(app.client_id, app.client_secret),
        timeout=10,
    )
    answer.raise_for_status()
    body: dict[str, object] = answer.json()
    return body


def access_token(
    sandbox: Sandbox, user_id: str = "alex.analyst", *, app: SandboxApp | None = None
) -> str:
    """Return a fresh access token for ``user_id`` obtained over HTTP."""
    return str(token_response(sandbox, user=user_id, app=app)["access_token"])
