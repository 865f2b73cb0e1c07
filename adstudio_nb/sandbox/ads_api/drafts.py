"""The Ads API's drafts (B3): draft campaigns, ad sets and ads of an ad account.

Owns the three draft listings (offset paging, their filters, campaign drafts' sorting) and
getting one draft by id. The drafts are the data set's (``data/drafts.py``): unpublished
edits of existing objects. An unknown draft id is a 404 like every unknown id of the API
(the spec lists only 400 for these reads; a 404 is what every other read answers). Never
checks tokens, rate limits or faults: the application does that before calling a handler.
"""

from __future__ import annotations

from typing import Any

from werkzeug.routing import Rule

from ..context import ApiContext
from ..data.drafts import Draft
from ..errors import ads_error
from .enums import AD_SET_STATUS_ENUM, AD_STATUS_ENUM, CAMPAIGN_STATUS_ENUM
from .listing import paginate, sort_items
from .query import ACCOUNT_PREFIX, Query, account_for, check_uuid

CAMPAIGN_CHANNELS = ("UNSET", "UNKNOWN")
_DRAFT_SORT_KEYS = {
    "ID": lambda d: d.id,
    "NAME": lambda d: d.source.name.casefold(),
    "CREATED_AT": lambda d: d.saved_at,
    "UPDATED_AT": lambda d: d.saved_at,
    "STATUS": lambda d: d.status,
}


def list_campaign_drafts(ctx: ApiContext, ad_account_id: str) -> dict[str, Any]:
    """``GET /ad_accounts/{id}/drafts/campaigns``: filters, sorting, offset paging (B3)."""
    query = Query(ctx.request)
    account = account_for(ctx, ad_account_id)
    ids = set(query.uuids("campaign_ids"))
    channels = set(query.enums("channel", CAMPAIGN_CHANNELS))
    statuses = set(query.enums("statuses", CAMPAIGN_STATUS_ENUM))
    items = ctx.data.drafts.campaigns(account.id)
    if ids:
        items = [d for d in items if d.id in ids or d.source.id in ids]
    if channels and "UNSET" not in channels:
        items = []  # every draft's channel is UNSET
    if statuses:
        items = [d for d in items if d.status in statuses]
    items = sort_items(query, items, _DRAFT_SORT_KEYS, "CREATED_AT")
    page, paging = paginate(ctx, query, items, ctx.data.drafts.campaign_json)
    return {"campaign_drafts": page, "paging": paging}


def list_ad_set_drafts(ctx: ApiContext, ad_account_id: str) -> dict[str, Any]:
    """``GET /ad_accounts/{id}/drafts/ad_sets``: campaign and status filters (B3)."""
    query = Query(ctx.request)
    account = account_for(ctx, ad_account_id)
    campaign_ids = set(query.uuids("campaign_ids"))
    statuses = set(query.enums("statuses", AD_SET_STATUS_ENUM))
    items = ctx.data.drafts.ad_sets(account.id)
    if campaign_ids:
        items = [d for d in items if d.source.campaign_id in campaign_ids]
    if statuses:
        items = [d for d in items if d.status in statuses]
    page, paging = paginate(ctx, query, items, ctx.data.drafts.ad_set_json)
    return {"ad_set_drafts": page, "paging": paging}


def list_ad_drafts(ctx: ApiContext, ad_account_id: str) -> dict[str, Any]:
    """``GET /ad_accounts/{id}/drafts/ads``: ad set and status filters (B3)."""
    query = Query(ctx.request)
    account = account_for(ctx, ad_account_id)
    ad_set_ids = set(query.uuids("ad_set_ids"))
    statuses = set(query.enums("statuses", AD_STATUS_ENUM))
    items = ctx.data.drafts.ads(account.id)
    if ad_set_ids:
        items = [d for d in items if d.source.ad_set_id in ad_set_ids]
    if statuses:
        items = [d for d in items if d.status in statuses]
    page, paging = paginate(ctx, query, items, ctx.data.drafts.ad_json)
    return {"ad_drafts": page, "paging": paging}


def _one(drafts: list[Draft], draft_id: str, name: str, label: str) -> Draft:
    wanted = check_uuid(draft_id, name)
    found = next((d for d in drafts if d.id == wanted), None)
    if found is None:
        raise ads_error(404, f"{label} {wanted} not found in this ad account.", code="NOT_FOUND")
    return found


def get_campaign_draft(ctx: ApiContext, ad_account_id: str, draft_campaign_id: str) -> Any:
    """``GET /ad_accounts/{id}/drafts/campaigns/{draft_campaign_id}``."""
    Query(ctx.request)
    account = account_for(ctx, ad_account_id)
    drafts = ctx.data.drafts.campaigns(account.id)
    return ctx.data.drafts.campaign_json(
        _one(drafts, draft_campaign_id, "draft_campaign_id", "Draft campaign")
    )


def get_ad_set_draft(ctx: ApiContext, ad_account_id: str, draft_ad_set_id: str) -> Any:
    """``GET /ad_accounts/{id}/drafts/ad_sets/{draft_ad_set_id}``."""
    Query(ctx.request)
    account = account_for(ctx, ad_account_id)
    drafts = ctx.data.drafts.ad_sets(account.id)
    return ctx.data.drafts.ad_set_json(
        _one(drafts, draft_ad_set_id, "draft_ad_set_id", "Draft ad set")
    )


def get_ad_draft(ctx: ApiContext, ad_account_id: str, draft_ad_id: str) -> Any:
    """``GET /ad_accounts/{id}/drafts/ads/{draft_ad_id}``."""
    Query(ctx.request)
    account = account_for(ctx, ad_account_id)
    drafts = ctx.data.drafts.ads(account.id)
    return ctx.data.drafts.ad_json(_one(drafts, draft_ad_id, "draft_ad_id", "Draft ad"))


_DRAFTS = f"{ACCOUNT_PREFIX}/drafts"
ROUTES: list[Rule] = [
    Rule(f"{_DRAFTS}/campaigns", endpoint=list_campaign_drafts, methods=["GET"]),
    Rule(f"{_DRAFTS}/campaigns/<draft_campaign_id>", endpoint=get_campaign_draft, methods=["GET"]),
    Rule(f"{_DRAFTS}/ad_sets", endpoint=list_ad_set_drafts, methods=["GET"]),
    Rule(f"{_DRAFTS}/ad_sets/<draft_ad_set_id>", endpoint=get_ad_set_draft, methods=["GET"]),
    Rule(f"{_DRAFTS}/ads", endpoint=list_ad_drafts, methods=["GET"]),
    Rule(f"{_DRAFTS}/ads/<draft_ad_id>", endpoint=get_ad_draft, methods=["GET"]),
]
"""The draft routes (B3)."""
