"""The strict reading of Ads API requests every endpoint family shares (B2, B4, B9).

Owns :class:`Query` (scalar, array, enum, integer, boolean and UUID parameters; repeated keys
and comma-joined values, B4), :func:`bad_request` (the 400 with a B9 body), :func:`check_uuid`,
the access checks on an ad account or a business (400 bad id, 404 unknown, 403 not a member),
and the path prefixes the families mount under. Bad input never gives a 500: every parse error
is a 400 with the B9 body. Never defines a route, and imports no other module of ``ads_api``:
every family imports this one, so it can import none of them back.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.wrappers import Request

from .. import paths
from ..context import ApiContext
from ..data import AdAccount, Business
from ..errors import SandboxHTTPError, ads_error

V3 = paths.API_V3
"""The Ads API v3 base path every v3 route starts with."""
ACCOUNT_PREFIX = f"{V3}/ad_accounts/<ad_account_id>"
"""The path of one ad account, under which its objects and reports live."""
MAX_LIMIT = 50
INVALID_ARGUMENT = "INVALID_ARGUMENT"


def bad_request(message: str) -> SandboxHTTPError:
    """Return a 400 with the B9 body."""
    return ads_error(400, message, code=INVALID_ARGUMENT, definition=message)


class Query:
    """Strict reading of a request's query string (B4, and no 500 on bad input).

    Args:
        request: the werkzeug request.
    """

    def __init__(self, request: Request) -> None:
        raw = request.query_string.decode("latin-1")
        try:  # werkzeug replaces bad bytes silently; the API answers 400 instead
            parse_qsl(raw, keep_blank_values=True, encoding="utf-8", errors="strict")
        except UnicodeDecodeError:
            raise bad_request("The query string is not valid UTF-8.") from None
        except ValueError as exc:  # too many fields and the like
            raise bad_request(f"The query string could not be parsed: {exc}.") from None
        self.args = request.args

    def names(self) -> list[str]:
        """Return the parameter names present, in order, once each."""
        return list(dict.fromkeys(self.args.keys()))

    def one(self, name: str) -> str | None:
        """Return a scalar parameter; repeating it is a 400."""
        values = self.args.getlist(name)
        if len(values) > 1:
            raise bad_request(f"The parameter '{name}' must be given at most once.")
        return values[0] if values else None

    def many(self, name: str) -> list[str]:
        """Return an array parameter: repeated keys and comma-joined values both work (B4)."""
        out: list[str] = []
        for value in self.args.getlist(name):
            out.extend(part.strip() for part in value.split(",") if part.strip())
        return list(dict.fromkeys(out))

    def enum(self, name: str, allowed: Sequence[str], default: str | None = None) -> str | None:
        """Return a scalar enum parameter, or ``default`` when absent."""
        value = self.one(name)
        if value is None or value == "":
            return default
        if value not in allowed:
            raise bad_request(
                f"Invalid value '{_clip(value)}' for '{name}'. Allowed: {', '.join(allowed)}."
            )
        return value

    def enums(self, name: str, allowed: Iterable[str]) -> list[str]:
        """Return an array enum parameter (B4)."""
        allowed = tuple(allowed)
        values = self.many(name)
        wrong = [v for v in values if v not in allowed]
        if wrong:
            raise bad_request(
                f"Invalid value '{_clip(wrong[0])}' for '{name}'. Allowed: {', '.join(allowed)}."
            )
        return values

    def integer(self, name: str, default: int, *, low: int, high: int | None = None) -> int:
        """Return an integer parameter within ``[low, high]``."""
        value = self.one(name)
        if value is None or value == "":
            return default
        try:
            number = int(value.strip()) if value.strip().lstrip("+-").isdigit() else None
        except ValueError:  # more digits than Python converts
            number = None
        if number is None:
            raise bad_request(f"The parameter '{name}' must be an integer, got '{_clip(value)}'.")
        if number < low or (high is not None and number > high):
            bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise bad_request(f"The parameter '{name}' must be {bounds}, got {_clip(value)}.")
        return number

    def boolean(self, name: str, default: bool) -> bool:
        """Return a boolean parameter (``true`` or ``false``)."""
        value = self.one(name)
        if value is None or value == "":
            return default
        if value.lower() not in ("true", "false"):
            raise bad_request(f"The parameter '{name}' must be true or false.")
        return value.lower() == "true"

    def uuids(self, name: str, *, max_items: int | None = None) -> list[str]:
        """Return an array of UUIDs (B2, B4)."""
        values = [check_uuid(v, name) for v in self.many(name)]
        if max_items is not None and len(values) > max_items:
            raise bad_request(
                f"At most {max_items} values are allowed for '{name}', got {len(values)}."
            )
        return values


def _clip(value: str, size: int = 60) -> str:
    return value if len(value) <= size else value[:size] + "..."


def check_uuid(value: str, name: str) -> str:
    """Return ``value`` as a canonical lower-case UUID string, or raise a 400 (B2)."""
    try:
        parsed = uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        raise bad_request(f"'{_clip(str(value))}' is not a valid UUID for '{name}'.") from None
    if len(value) != 36:
        raise bad_request(f"'{_clip(value)}' is not a valid UUID for '{name}'.")
    return str(parsed)


def account_for(ctx: ApiContext, ad_account_id: str) -> AdAccount:
    """Return the ad account if the user may see it: 400 bad id, 404 unknown, 403 not a member."""
    ad_account_id = check_uuid(ad_account_id, "ad_account_id")
    account = ctx.data.ad_account(ad_account_id)
    if account is None:
        raise ads_error(404, f"Ad account {ad_account_id} not found.", code="NOT_FOUND")
    if not ctx.data.can_access(ctx.user_id, ad_account_id):
        raise ads_error(
            403,
            "The current user does not have access to this ad account.",
            code="FORBIDDEN",
        )
    return account


def business_for(ctx: ApiContext, business_id: str) -> Business:
    """Return the business if the user is a member: 400 bad id, 404 unknown, 403 not a member."""
    business_id = check_uuid(business_id, "business_id")
    business = ctx.data.business(business_id)
    if business is None:
        raise ads_error(404, f"Business {business_id} not found.", code="NOT_FOUND")
    if business not in ctx.data.businesses_for_user(ctx.user_id):
        raise ads_error(403, "The current user is not a member of this business.", code="FORBIDDEN")
    return business


def found(obj: Any, label: str, object_id: str) -> Any:
    """Return ``obj``, or answer 404 when the account has no such object (B2)."""
    if obj is None:
        raise ads_error(404, f"{label} {object_id} not found.", code="NOT_FOUND")
    return obj
