"""The original guide's retired v1 call (C): ``GET /ads-sandbox/v1/currentUser/adAccounts``.

Owns the v1 answer shape (``ad_accounts`` and ``total_ad_accounts``, ``page_size``/``offset``
paging). Never checks tokens, rate limits or faults: the application does that first.
"""

from __future__ import annotations

from typing import Any

from werkzeug.routing import Rule

from .. import paths
from ..context import ApiContext
from .query import MAX_LIMIT, Query


def list_current_user_ad_accounts_v1(ctx: ApiContext) -> dict[str, Any]:
    """``GET /ads-sandbox/v1/currentUser/adAccounts``: the retired v1 shape (C)."""
    query = Query(ctx.request)
    page_size = query.integer("page_size", MAX_LIMIT, low=1, high=MAX_LIMIT)
    offset = query.integer("offset", 0, low=0)
    accounts = ctx.data.ad_accounts_for_user(ctx.user_id)
    return {
        "ad_accounts": [a.to_v1_json() for a in accounts[offset : offset + page_size]],
        "total_ad_accounts": len(accounts),
    }


ROUTES: list[Rule] = [
    Rule(
        f"{paths.API_V1}/currentUser/adAccounts",
        endpoint=list_current_user_ad_accounts_v1,
        methods=["GET"],
    ),
]
"""The v1 route (C)."""
