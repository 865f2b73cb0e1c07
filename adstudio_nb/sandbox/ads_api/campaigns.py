"""The Ads API's campaigns (B2-B4): the offset listing and one campaign.

Owns the campaign filters (ids, statuses, the statuses of their ad sets, purchase order,
name), sorting, paging and the ``fields`` projection. Never checks tokens, rate limits or
faults: the application does that before calling a handler.
"""

from __future__ import annotations

from typing import Any

from werkzeug.routing import Rule

from ..context import ApiContext
from .enums import AD_SET_STATUS_ENUM, CAMPAIGN_STATUS_ENUM
from .listing import COMMON_SORT_KEYS, name_filter, only_fields, paginate, sort_items
from .query import ACCOUNT_PREFIX, Query, account_for, check_uuid, found

# The `fields` parameters: spec enum value -> response key (None: not in the response schema).
CAMPAIGN_FIELDS: dict[str, str | None] = {
    "ID": "id",
    "NAME": "name",
    "CREATED_AT": "created_at",
    "UPDATED_AT": "updated_at",
    "STATUS": "status",
    "PURCHASE_ORDER": "purchase_order",
    "OBJECTIVE": "objective",
    "DELIVERY_GOAL_GROUP": "delivery_goal_group",
    "MEASUREMENT_METADATA": None,
    "DELIVERY": None,
    "DERIVED_STATUS": None,
}


def list_campaigns(ctx: ApiContext, ad_account_id: str) -> dict[str, Any]:
    """``GET /ad_accounts/{id}/campaigns`` with filters, sorting and offset paging (B3, B4)."""
    query = Query(ctx.request)
    account = account_for(ctx, ad_account_id)
    ids = set(query.uuids("campaign_ids"))
    statuses = set(query.enums("statuses", CAMPAIGN_STATUS_ENUM))
    ad_set_statuses = set(query.enums("ad_set_statuses", AD_SET_STATUS_ENUM))
    fields = query.enums("fields", CAMPAIGN_FIELDS)
    order = query.one("salesforce_sales_order")
    items = ctx.data.campaigns(account.id)
    if ids:
        items = [c for c in items if c.id in ids]
    if statuses:
        items = [c for c in items if c.status in statuses]
    if order:
        items = [c for c in items if c.purchase_order == order]
    if ad_set_statuses:
        items = [
            c for c in items if any(s.status in ad_set_statuses for s in ctx.data.ad_sets_of(c))
        ]
    items = sort_items(
        query,
        name_filter(query, items),
        {**COMMON_SORT_KEYS, "ID": lambda o: o.id},
        "CREATED_AT",
    )
    page, paging = paginate(
        ctx, query, items, lambda c: only_fields(c.to_json(), fields, CAMPAIGN_FIELDS)
    )
    return {"campaigns": page, "paging": paging}


def get_campaign(ctx: ApiContext, ad_account_id: str, campaign_id: str) -> dict[str, Any]:
    """``GET /ad_accounts/{id}/campaigns/{campaign_id}`` (B2)."""
    query = Query(ctx.request)
    account = account_for(ctx, ad_account_id)
    fields = query.enums("fields", CAMPAIGN_FIELDS)
    campaign = found(
        ctx.data.campaign(account.id, check_uuid(campaign_id, "campaign_id")),
        "Campaign",
        campaign_id,
    )
    return only_fields(campaign.to_json(), fields, CAMPAIGN_FIELDS)


ROUTES: list[Rule] = [
    Rule(f"{ACCOUNT_PREFIX}/campaigns", endpoint=list_campaigns, methods=["GET"]),
    Rule(f"{ACCOUNT_PREFIX}/campaigns/<campaign_id>", endpoint=get_campaign, methods=["GET"]),
]
"""The campaign routes (B2-B4)."""
