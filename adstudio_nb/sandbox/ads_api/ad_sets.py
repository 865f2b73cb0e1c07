"""The Ads API's ad sets (B2-B4): the offset listing and one ad set, budgets in micros.

Owns the ad set filters (campaign ids, statuses, name), sorting (budget and flight included)
and paging. Never checks tokens, rate limits or faults: the application does that before
calling a handler.
"""

from __future__ import annotations

from typing import Any

from werkzeug.routing import Rule

from ..context import ApiContext
from .enums import AD_SET_STATUS_ENUM
from .listing import COMMON_SORT_KEYS, name_filter, paginate, sort_items
from .query import ACCOUNT_PREFIX, Query, account_for, check_uuid, found


def list_ad_sets(ctx: ApiContext, ad_account_id: str) -> dict[str, Any]:
    """``GET /ad_accounts/{id}/ad_sets`` with filters, sorting and offset paging (B3, B4)."""
    query = Query(ctx.request)
    account = account_for(ctx, ad_account_id)
    campaign_ids = set(query.uuids("campaign_ids"))
    statuses = set(query.enums("statuses", AD_SET_STATUS_ENUM))
    if campaign_ids:
        items = [
            s
            for c in ctx.data.campaigns(account.id)
            if c.id in campaign_ids
            for s in ctx.data.ad_sets_of(c)
        ]
    else:
        items = ctx.data.ad_sets(account.id)
    if statuses:
        items = [s for s in items if s.status in statuses]
    items = sort_items(
        query,
        name_filter(query, items),
        {
            **COMMON_SORT_KEYS,
            "BUDGET": lambda s: s.budget_micros,
            "START_DATE_TIME": lambda s: s.start_hour,
            "END_DATE_TIME": lambda s: s.end_hour if s.end_hour is not None else 1 << 40,
        },
        "CREATED_AT",
    )
    page, paging = paginate(ctx, query, items, lambda s: s.to_json())
    return {"ad_sets": page, "paging": paging}


def get_ad_set(ctx: ApiContext, ad_account_id: str, ad_set_id: str) -> dict[str, Any]:
    """``GET /ad_accounts/{id}/ad_sets/{ad_set_id}``: budget in micros (B2)."""
    Query(ctx.request)
    account = account_for(ctx, ad_account_id)
    ad_set = found(
        ctx.data.ad_set(account.id, check_uuid(ad_set_id, "ad_set_id")), "Ad set", ad_set_id
    )
    return ad_set.to_json()


ROUTES: list[Rule] = [
    Rule(f"{ACCOUNT_PREFIX}/ad_sets", endpoint=list_ad_sets, methods=["GET"]),
    Rule(f"{ACCOUNT_PREFIX}/ad_sets/<ad_set_id>", endpoint=get_ad_set, methods=["GET"]),
]
"""The ad set routes (B2-B4)."""
