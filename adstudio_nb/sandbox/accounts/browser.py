"""Which browser a sandbox form was shown to: the ``sandbox_browser`` cookie (sandbox pages).

Every page with a form gives the browser a random ``sandbox_browser`` cookie (HttpOnly,
SameSite=Lax). A form that acts (consent, revoke) is honoured only from the browser that opened
it, so another web site cannot approve a login or revoke a grant in the user's name. Owns the
cookie, the comparison and the refusal's wording; never renders a page.
"""

from __future__ import annotations

import hmac
import re
import secrets

from werkzeug.wrappers import Request, Response

BROWSER_COOKIE = "sandbox_browser"
BROWSER_ID = re.compile(r"^[A-Za-z0-9_-]{32}$")
FOREIGN_FORM = (
    "This form was not sent from a page this browser opened on the sandbox, so nothing was "
    "done. Open the page again and use its buttons."
)


def browser_of(request: Request) -> tuple[str, bool]:
    """Return the browser's ``sandbox_browser`` cookie, or a fresh one (and True when fresh)."""
    value = request.cookies.get(BROWSER_COOKIE, "")
    if BROWSER_ID.match(value):
        return value, False
    return secrets.token_urlsafe(24), True


def set_browser_cookie(response: Response, browser: str) -> None:
    """Give the browser its ``sandbox_browser`` cookie (HttpOnly, SameSite=Lax)."""
    response.set_cookie(BROWSER_COOKIE, browser, httponly=True, samesite="Lax", path="/")


def same_browser(request: Request, browser: str) -> bool:
    """Tell whether the request carries the ``sandbox_browser`` cookie ``browser``."""
    sent = request.cookies.get(BROWSER_COOKIE, "")
    return hmac.compare_digest(sent.encode("utf-8", "surrogateescape"), browser.encode())
