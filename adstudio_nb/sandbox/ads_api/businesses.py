"""The Ads API's businesses (B1): ``GET /businesses`` and ``GET /businesses/{business_id}``.

Owns the current user's businesses only, as the spec's ``BusinessResponse``. Never checks
tokens, rate limits or faults: the application does that before calling a handler.
"""

from __future__ import annotations

from typing import Any

from werkzeug.routing import Rule

from ..context import ApiContext
from .query import V3, Query, business_for


def list_businesses(ctx: ApiContext) -> dict[str, Any]:
    """``GET /businesses``: the current user's businesses only (B1)."""
    Query(ctx.request)
    return {"businesses": [b.to_json() for b in ctx.data.businesses_for_user(ctx.user_id)]}


def get_business(ctx: ApiContext, business_id: str) -> dict[str, Any]:
    """``GET /businesses/{business_id}`` (B1)."""
    Query(ctx.request)
    return business_for(ctx, business_id).to_json()


ROUTES: list[Rule] = [
    Rule(f"{V3}/businesses", endpoint=list_businesses, methods=["GET"]),
    Rule(f"{V3}/businesses/<business_id>", endpoint=get_business, methods=["GET"]),
]
"""The business routes (B1)."""
