"""The Ads API's audiences (B2, B3): an ad account's audiences and its eligible datasets.

Owns ``/ad_accounts/{id}/audiences`` (ids, types and keyword filters, sorting, offset
paging), one audience, and ``/ad_accounts/{id}/audiences/datasets`` (the datasets shared with
the account that a custom audience can be built on). The audiences are the data set's
(``data/audiences.py``), the very ones its ad sets target. Never checks tokens, rate limits
or faults: the application does that before calling a handler.
"""

from __future__ import annotations

from typing import Any

from werkzeug.routing import Rule

from ..context import ApiContext
from ..data.measurement import EVENT_METRICS
from .listing import keyword_filter, paginate, sort_items
from .query import ACCOUNT_PREFIX, MAX_LIMIT, Query, account_for, check_uuid, found

AUDIENCE_TYPES = ("CUSTOM", "LOOKALIKE")


def list_audiences(ctx: ApiContext, ad_account_id: str) -> dict[str, Any]:
    """``GET /ad_accounts/{id}/audiences``: filters, sorting and offset paging (B3)."""
    query = Query(ctx.request)
    account = account_for(ctx, ad_account_id)
    ids = set(query.uuids("audience_ids"))
    types = set(query.enums("audience_types", AUDIENCE_TYPES))
    items = ctx.data.audiences.of(account)
    if ids:
        items = [a for a in items if a.id in ids]
    if types:
        items = [a for a in items if a.type in types]
    items = sort_items(
        query,
        keyword_filter(query, items),
        {"NAME": lambda a: a.name.casefold(), "UPDATED_AT": lambda a: a.updated_at},
        "UPDATED_AT",
    )
    page, paging = paginate(ctx, query, items, lambda a: a.to_json())
    return {"audiences": page, "paging": paging}


def get_audience(ctx: ApiContext, ad_account_id: str, audience_id: str) -> dict[str, Any]:
    """``GET /ad_accounts/{id}/audiences/{audience_id}`` (B2)."""
    Query(ctx.request)
    account = account_for(ctx, ad_account_id)
    wanted = check_uuid(audience_id, "audience_id")
    return found(ctx.data.audiences.get(account, wanted), "Audience", wanted).to_json()


def list_eligible_datasets(ctx: ApiContext, ad_account_id: str) -> dict[str, Any]:
    """``GET /ad_accounts/{id}/audiences/datasets``: datasets shared with the account."""
    query = Query(ctx.request)
    account = account_for(ctx, ad_account_id)
    limit = query.integer("limit", MAX_LIMIT, low=1, high=MAX_LIMIT)
    items = keyword_filter(query, ctx.data.measurement.datasets_of_account(account))
    page = [{"id": d.id, "name": d.name, "events": list(EVENT_METRICS)} for d in items[:limit]]
    paging = {"page_size": limit, "total_results": len(items), "offset": 0, "current_page": 1}
    return {"datasets": page, "paging": ctx.shapes.paging(paging)}


ROUTES: list[Rule] = [
    Rule(f"{ACCOUNT_PREFIX}/audiences", endpoint=list_audiences, methods=["GET"]),
    Rule(f"{ACCOUNT_PREFIX}/audiences/datasets", endpoint=list_eligible_datasets, methods=["GET"]),
    Rule(f"{ACCOUNT_PREFIX}/audiences/<audience_id>", endpoint=get_audience, methods=["GET"]),
]
"""The audience routes (B2, B3)."""
