"""The Ads API's assets (B2-B4): the offset listing and one asset (image, audio or video).

Owns the asset filters (ids, types, audio subtypes, statuses, aspect ratios, name), sorting
and paging. Never checks tokens, rate limits or faults: the application does that before
calling a handler.
"""

from __future__ import annotations

from typing import Any

from werkzeug.routing import Rule

from ..context import ApiContext
from .listing import name_filter, paginate, sort_items
from .query import ACCOUNT_PREFIX, Query, account_for, check_uuid, found

_AUDIO_SUBTYPES = {
    "AUDIO_AD": ("USER_UPLOADED_AUDIO", "ADSTUDIO_SUPPLIED_AUDIO"),
    "BACKGROUND_MUSIC": ("BACKGROUND_MUSIC", "STOCK_BACKGROUND_MUSIC"),
}
_ASPECT_RATIOS = (
    "HORIZONTAL_16_9",
    "HORIZONTAL_1_91_1",
    "HORIZONTAL_1_2_1",
    "SQUARE",
    "VERTICAL_9_16",
)


def list_assets(ctx: ApiContext, ad_account_id: str) -> dict[str, Any]:
    """``GET /ad_accounts/{id}/assets`` with filters, sorting and offset paging (B3, B4)."""
    query = Query(ctx.request)
    account = account_for(ctx, ad_account_id)
    ids = set(query.uuids("asset_ids"))
    types = set(query.enums("asset_types", ("AUDIO", "IMAGE", "VIDEO")))
    subtypes = query.enums("asset_subtypes", tuple(_AUDIO_SUBTYPES))
    statuses = set(query.enums("statuses", ("ERROR", "PROCESSING", "READY", "WAITING_UPLOAD")))
    ratios = set(query.enums("aspect_ratios", _ASPECT_RATIOS))
    items = ctx.data.assets(account.id)
    if ids:
        items = [a for a in items if a.id in ids]
    if types:
        items = [a for a in items if a.asset_type in types]
    if subtypes:
        audio_types = {t for s in subtypes for t in _AUDIO_SUBTYPES[s]}
        items = [a for a in items if a.audio_type in audio_types]
    if statuses:
        items = [a for a in items if a.status in statuses]
    if ratios:
        items = [a for a in items if a.aspect_ratio in ratios]
    items = sort_items(
        query,
        name_filter(query, items),
        {"CREATED_AT": lambda a: a.created_at, "NAME": lambda a: a.name.casefold()},
        "CREATED_AT",
    )
    page, paging = paginate(ctx, query, items, lambda a: a.to_json())
    return {"assets": page, "paging": paging}


def get_asset(ctx: ApiContext, ad_account_id: str, asset_id: str) -> dict[str, Any]:
    """``GET /ad_accounts/{id}/assets/{asset_id}`` (B2)."""
    Query(ctx.request)
    account = account_for(ctx, ad_account_id)
    asset = found(ctx.data.asset(account.id, check_uuid(asset_id, "asset_id")), "Asset", asset_id)
    return asset.to_json()


ROUTES: list[Rule] = [
    Rule(f"{ACCOUNT_PREFIX}/assets", endpoint=list_assets, methods=["GET"]),
    Rule(f"{ACCOUNT_PREFIX}/assets/<asset_id>", endpoint=get_asset, methods=["GET"]),
]
"""The asset routes (B2-B4)."""
