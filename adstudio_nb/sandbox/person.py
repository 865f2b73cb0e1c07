"""A scripted person on the sandbox's own login page: log in, click Agree or Cancel.

Used where no human is at hand but a login must happen against the sandbox: the sharing
command's demo login, tests, and benchmarks. It speaks HTTP to the pages like a browser (GET the
authorize page, POST the consent form) and returns where the browser would go next. It works
only with the sandbox's pages, never with Spotify's.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

if TYPE_CHECKING:
    from .registry import SandboxApp
    from .server import Sandbox

_PENDING = re.compile(r'name="pending" value="([^"]+)"')
DEMO_USER = "alex.analyst"
DEMO_PASSWORD = "demo"  # noqa: S105 (the sandbox's published demo password)


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
