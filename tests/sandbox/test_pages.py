"""Sandbox pages are safe to run: forms act only for their own browser, nothing frames them.

Sandbox pages: the consent and revoke forms are bound to a per-browser cookie (a cross-site
POST does nothing and answers a 403 page), every HTML page forbids framing, the demo app's
description goes only to loopback ``Host`` names, and app secrets are random unless a test
asks for fixed ones.
"""

from __future__ import annotations

import random
import re

import requests

from adstudio_nb.sandbox import Sandbox
from adstudio_nb.sandbox.accounts import BROWSER_COOKIE
from tests.helpers import authorize_url, consent, revoke_in_dashboard, token_response

FRAME_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
}


def _pending(page: requests.Response) -> str:
    match = re.search(r'name="pending" value="([^"]+)"', page.text)
    assert match, page.text[:300]
    return match.group(1)


def _refresh_ok(sandbox: Sandbox, refresh_token: str) -> bool:
    app = sandbox.demo_app
    answer = requests.post(
        sandbox.token_url,
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=(app.client_id, app.client_secret),
        timeout=10,
    )
    return answer.status_code == 200


def _assert_refused(answer: requests.Response) -> None:
    assert answer.status_code == 403, (answer.status_code, answer.text[:300])
    assert answer.headers["Content-Type"].startswith("text/html")
    assert "nothing was done" in answer.text
    assert "Location" not in answer.headers


# -- the revoke form ------------------------------------------------------------------------------


def test_sandbox_pages_cross_site_revoke_is_refused_and_the_grant_lives(sandbox: Sandbox) -> None:
    """Sandbox pages, A9: a revoke POST without the browser's cookie and token does nothing."""
    tokens = token_response(sandbox)
    client_id = sandbox.demo_app.client_id
    form = {"client_id": client_id, "user_id": "alex.analyst"}
    url = sandbox.dashboard_url + "/revoke"
    # Another site's form: no cookie, no token (what a cross-site POST carries).
    _assert_refused(requests.post(url, data=form, timeout=10))
    # A token lifted from one browser's page does not work with another browser's cookie.
    victim, attacker = requests.Session(), requests.Session()
    victim.get(sandbox.dashboard_url, timeout=10)
    page = attacker.get(sandbox.dashboard_url, timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token and victim.cookies.get(BROWSER_COOKIE) != attacker.cookies.get(BROWSER_COOKIE)
    _assert_refused(victim.post(url, data={**form, "csrf_token": token.group(1)}, timeout=10))
    _assert_refused(requests.post(url, data={**form, "csrf_token": token.group(1)}, timeout=10))
    _assert_refused(victim.post(url, data={**form, "csrf_token": "x" * 43}, timeout=10))
    assert sandbox.registry.has_grant(client_id, "alex.analyst")
    assert _refresh_ok(sandbox, str(tokens["refresh_token"]))
    # The dashboard's own form, from its own browser, still revokes (D7).
    assert revoke_in_dashboard(sandbox, client_id, "alex.analyst").status_code == 200
    assert not sandbox.registry.has_grant(client_id, "alex.analyst")
    assert not _refresh_ok(sandbox, str(tokens["refresh_token"]))


# -- the consent form -----------------------------------------------------------------------------


def test_sandbox_pages_cross_site_consent_post_is_refused(sandbox: Sandbox) -> None:
    """Sandbox pages, A3: a consent POST from another site (or browser) issues no code."""
    attacker = requests.Session()
    pending = _pending(attacker.get(authorize_url(sandbox, state="s"), timeout=10))
    form = {"pending": pending, "user": "alex.analyst", "password": "demo", "decision": "agree"}
    decision = sandbox.base_url + "/authorize/decision"
    _assert_refused(requests.post(decision, data=form, allow_redirects=False, timeout=10))
    victim = requests.Session()
    victim.get(authorize_url(sandbox), timeout=10)  # the victim's own browser cookie
    _assert_refused(victim.post(decision, data=form, allow_redirects=False, timeout=10))
    assert sandbox.registry.issued_secrets()["authorization code"] == []
    assert not sandbox.registry.has_grant(sandbox.demo_app.client_id, "alex.analyst")
    # The browser the page was shown to can still use it: the refusals did not spend it.
    ok = attacker.post(decision, data=form, allow_redirects=False, timeout=10)
    assert ok.status_code == 302 and "code=" in ok.headers["Location"]


def test_sandbox_pages_consent_by_a_cookie_jar_client_still_works(sandbox: Sandbox) -> None:
    """Sandbox pages, A3: GET the page with a cookie jar, post its hidden field: a code."""
    location = consent(authorize_url(sandbox, state="jar"))
    assert "code=" in location and "state=jar" in location
    browser = requests.Session()
    page = browser.get(authorize_url(sandbox), timeout=10)
    cookie = page.cookies.get(BROWSER_COOKIE)
    assert cookie and re.fullmatch(r"[A-Za-z0-9_-]{32}", cookie)
    set_cookie = page.headers["Set-Cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie
    again = browser.get(authorize_url(sandbox), timeout=10)
    assert "Set-Cookie" not in again.headers  # one cookie per browser, kept


# -- frames ---------------------------------------------------------------------------------------


def test_sandbox_pages_every_html_page_forbids_framing(sandbox: Sandbox) -> None:
    """Sandbox pages: home, consent, dashboard, error and refusal pages all deny framing."""
    base = sandbox.base_url
    answers = [
        requests.get(base + "/", timeout=10),
        requests.get(authorize_url(sandbox), timeout=10),
        requests.get(base + "/authorize?client_id=nope", timeout=10),  # A2 error page
        requests.get(base + "/authorize/decision", timeout=10),  # 405 page
        requests.get(sandbox.dashboard_url, timeout=10),
        requests.post(base + "/authorize/decision", data={"pending": "gone"}, timeout=10),
        requests.post(sandbox.dashboard_url + "/revoke", data={}, timeout=10),
    ]
    for answer in answers:
        assert answer.headers["Content-Type"].startswith("text/html"), answer.url
        for name, value in FRAME_HEADERS.items():
            assert answer.headers.get(name) == value, (answer.url, answer.status_code, name)


# -- the demo app's description -------------------------------------------------------------------


FOREIGN_HOSTS = (
    "evil.example",
    "evil.example:{port}",
    "127.0.0.1:1",
    "localhost",
    "127.0.0.1.evil.example:{port}",
)
LOOPBACK_HOSTS = ("127.0.0.1:{port}", "localhost:{port}", "[::1]:{port}")


def test_sandbox_pages_demo_app_answers_only_loopback_hosts(sandbox: Sandbox) -> None:
    """Sandbox pages: a rebound or foreign Host gets a 4xx and no secret; loopback the JSON."""
    app = sandbox.demo_app
    for host in FOREIGN_HOSTS + LOOPBACK_HOSTS:
        answer = requests.get(
            sandbox.base_url + "/sandbox/demo-app",
            headers={"Host": host.format(port=sandbox.port)},
            timeout=10,
        )
        if host in FOREIGN_HOSTS:
            assert answer.status_code == 403, host
            assert app.client_secret not in answer.text
            assert answer.json()["sp_trace_id"]
            continue
        assert answer.status_code == 200, host
        assert answer.json() == {  # the shape the client side reads, unchanged
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "redirect_uris": app.redirect_uris,
            "name": app.name,
            "instance_id": sandbox.instance_id,
        }


def test_sandbox_pages_a_rebound_host_name_reaches_no_page_form_or_api(sandbox: Sandbox) -> None:
    """Sandbox pages, A9, B10: a page whose own name was rebound to 127.0.0.1 gets nothing.

    DNS rebinding makes ``evil.example`` resolve to this machine: the attacker's page is then
    same-origin with the sandbox under that name, could read the dashboard's form (its token
    and its cookie) and post it back. Every request naming a foreign host is refused, so the
    grant lives and no API answer goes out.
    """
    tokens = token_response(sandbox)
    client_id = sandbox.demo_app.client_id
    rebound = requests.Session()
    rebound.headers["Host"] = f"evil.example:{sandbox.port}"
    dashboard = rebound.get(sandbox.dashboard_url, timeout=10)
    assert dashboard.status_code == 403
    assert dashboard.headers["Content-Type"].startswith("text/html")
    assert client_id not in dashboard.text and "csrf" not in dashboard.text.lower()
    assert dashboard.headers["X-Frame-Options"] == "DENY"
    revoke = rebound.post(
        sandbox.dashboard_url + "/revoke",
        data={"client_id": client_id, "user_id": "alex.analyst"},
        timeout=10,
    )
    assert revoke.status_code == 403
    assert _refresh_ok(sandbox, tokens["refresh_token"])
    api = rebound.get(
        sandbox.api_base_url + "/businesses",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=10,
    )
    assert api.status_code == 403 and api.json()["sp_trace_id"]
    token = rebound.post(
        sandbox.token_url,
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(client_id, sandbox.demo_app.client_secret),
        timeout=10,
    )
    assert token.status_code == 400 and token.json()["error"] == "invalid_request"
    assert "access_token" not in token.text
    # The same requests addressed to 127.0.0.1 work as before.
    assert requests.get(sandbox.dashboard_url, timeout=10).status_code == 200


# -- secrets ------------------------------------------------------------------------------------


def _seeded_secret(seed: int) -> str:
    """The secret the demo app had when secrets followed from the seed (the second draw)."""
    rng = random.Random(f"accounts-{seed}")
    rng.getrandbits(128)
    return f"{rng.getrandbits(128):032x}"


def test_sandbox_pages_app_secrets_are_random_unless_fixed() -> None:
    """Sandbox pages: same seed, same ids, different secrets; fixed_secrets reproduces them."""
    first, second = Sandbox(seed=0), Sandbox(seed=0)
    assert first.demo_app.client_id == second.demo_app.client_id
    assert first.demo_app.client_secret != second.demo_app.client_secret
    assert first.demo_app.client_secret != _seeded_secret(0)
    assert re.fullmatch(r"[0-9a-f]{32}", first.demo_app.client_secret)
    uris = ["https://example.com/cb"]
    one, two = (
        first.register_app("x", redirect_uris=uris),
        second.register_app("x", redirect_uris=uris),
    )
    assert one.client_id == two.client_id and one.client_secret != two.client_secret
    fixed, fixed_again = Sandbox(seed=0, fixed_secrets=True), Sandbox(seed=0, fixed_secrets=True)
    assert fixed.demo_app.client_secret == fixed_again.demo_app.client_secret == _seeded_secret(0)
    assert fixed.demo_app.client_id == first.demo_app.client_id
    assert fixed.register_app("x", redirect_uris=uris).client_id == one.client_id
