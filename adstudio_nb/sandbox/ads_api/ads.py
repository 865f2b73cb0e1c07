"""The Ads API's ads (B2-B4): the offset listing and one ad.

Owns the ad filters (ad set ids, asset ids, statuses, name), sorting, paging and the
``fields`` projection. Never checks tokens, rate limits or faults: the application does that
before calling a handler.
"""

from __future__ import annotations

from typing import Any

from werkzeug.routing import Rule

from ..context import ApiContext
from .enums import AD_STATUS_ENUM
from .listing import COMMON_SORT_KEYS, name_filter, only_fields, paginate, sort_items
from .query import ACCOUNT_PREFIX, Query, account_for, check_uuid, found

AD_FIELDS: dict[str, str | None] = {
    "ID": "id",
    "NAME": "name",
    "AD_SET_ID": "ad_set_id",
    "ADVERTISER_NAME": "advertiser_name",
    "AD_PREVIEW_URL": "ad_preview_url",
    "ASSETS": "assets",
    "CALL_TO_ACTION": "call_to_action",
    "CREATED_AT": "created_at",
    "UPDATED_AT": "updated_at",
    "DELIVERY": "delivery",
    "START_TIME": "start_time",
    "END_TIME": "end_time",
    "REJECT_REASON": "reject_reason",
    "REJECT_REASONS": "reject_reasons",
    "STATUS": "status",
    "TAGLINE": "tagline",
    **dict.fromkeys(
        (
            "AD_ACCOUNT_ID",
            "ASSET_FORMAT",
            "CAMPAIGN_ID",
            "EXTERNAL_ID",
            "THIRD_PARTY_TRACKING",
            "DV_CLIENT_CODE",
            "WEIGHT",
            "ASSET_URI",
            "CATALOG",
            "METADATAS",
            "SLOT_POSITIONS",
            "SURVEY",
            "NOTARY_METADATA",
            "VERSION",
        )
    ),
}


def list_ads(ctx: ApiContext, ad_account_id: str) -> dict[str, Any]:
    """``GET /ad_accounts/{id}/ads`` with filters, sorting and offset paging (B3, B4)."""
    query = Query(ctx.request)
    account = account_for(ctx, ad_account_id)
    ad_set_ids = set(query.uuids("ad_set_ids"))
    asset_ids = set(query.uuids("asset_ids"))
    statuses = set(query.enums("statuses", AD_STATUS_ENUM))
    fields = query.enums("fields", AD_FIELDS)
    items = ctx.data.ads(account.id)
    if ad_set_ids:
        items = [a for a in items if a.ad_set_id in ad_set_ids]
    if asset_ids:
        items = [
            a for a in items if asset_ids & {a.asset_id, a.companion_asset_id, a.logo_asset_id}
        ]
    if statuses:
        items = [a for a in items if a.status in statuses]
    items = sort_items(
        query,
        name_filter(query, items),
        {**COMMON_SORT_KEYS, "ID": lambda o: o.id},
        "CREATED_AT",
    )
    page, paging = paginate(
        ctx, query, items, lambda a: only_fields(a.to_json(), fields, AD_FIELDS)
    )
    return {"ads": page, "paging": paging}


def get_ad(ctx: ApiContext, ad_account_id: str, ad_id: str) -> dict[str, Any]:
    """``GET /ad_accounts/{id}/ads/{ad_id}`` (B2)."""
    query = Query(ctx.request)
    account = account_for(ctx, ad_account_id)
    fields = query.enums("fields", AD_FIELDS)
    ad = found(ctx.data.ad(account.id, check_uuid(ad_id, "ad_id")), "Ad", ad_id)
    return only_fields(ad.to_json(), fields, AD_FIELDS)


ROUTES: list[Rule] = [
    Rule(f"{ACCOUNT_PREFIX}/ads", endpoint=list_ads, methods=["GET"]),
    Rule(f"{ACCOUNT_PREFIX}/ads/<ad_id>", endpoint=get_ad, methods=["GET"]),
]
"""The ad routes (B2-B4)."""
