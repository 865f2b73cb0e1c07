"""The sandbox's Ads API v3 handlers for accounts and objects, and the retired v1 listing.

Owns the routes of B1-B4 and C (businesses, ad accounts, campaigns, ad sets, ads, assets,
``/ads-sandbox/v1/currentUser/adAccounts``), the strict reading of query parameters every
handler shares (:class:`Query`), and :data:`RULES`, the list the application mounts. Report
routes (B5-B8) live in ``reports.py``. Never checks tokens, rate limits or faults: the
application (``app.py``) does that before calling a handler. Bad input never gives a 500:
every parse error is a 400 with the B9 body.

Example:
    With a token from the sandbox's accounts service (``sb.token_url``)::

        with Sandbox(seed=0) as sb:
            requests.get(sb.api_base_url + "/businesses",
                         headers={"Authorization": f"Bearer {token}"}).json()
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.routing import Rule
from werkzeug.wrappers import Request

from .context import ApiContext
from .data import AD_SET_STATUSES, AD_STATUSES, AdAccount, Business
from .errors import SandboxHTTPError, ads_error

V3 = "/ads/v3"
MAX_LIMIT = 50
INVALID_ARGUMENT = "INVALID_ARGUMENT"

CAMPAIGN_STATUS_ENUM = (
    "UNSET",
    "ACTIVE",
    "PAUSED",
    "ARCHIVED",
    "AGENT_CONTROLLED",
    "ACTIVE_RESTRICTED",
    "PENDING_ADVERTISER_REVIEW",
    "UNRECOGNIZED",
)
AD_SET_STATUS_ENUM = (*AD_SET_STATUSES, "ACTIVE_RESTRICTED")
AD_STATUS_ENUM = (*AD_STATUSES, "FAILED", "UNRECOGNIZED")
SORT_DIRECTIONS = ("ASC", "DESC")
ACCOUNT_TYPES = (
    "AD_AGENCY",
    "BRAND_ADVERTISER",
    "MUSIC_LABEL",
    "CONCERT_PROMOTER",
    "ARTIST",
    "MANAGER",
    "PUBLISHER",
    "PUBLISHER_PROMOS",
)
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


def _business_for(ctx: ApiContext, business_id: str) -> Business:
    business_id = check_uuid(business_id, "business_id")
    business = ctx.data.business(business_id)
    if business is None:
        raise ads_error(404, f"Business {business_id} not found.", code="NOT_FOUND")
    if business not in ctx.data.businesses_for_user(ctx.user_id):
        raise ads_error(403, "The current user is not a member of this business.", code="FORBIDDEN")
    return business


def _page(
    ctx: ApiContext,
    query: Query,
    items: Sequence[Any],
    render: Callable[[Any], dict[str, Any]],
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Slice ``items`` by ``limit``/``offset`` and build the ``paging`` object (B3).

    Under the published shapes the items are the same real page but every paging number is 0,
    as in Spotify's published samples (``shapes.py``).
    """
    limit = query.integer("limit", MAX_LIMIT, low=1, high=MAX_LIMIT)
    offset = query.integer("offset", 0, low=0)
    page = [render(item) for item in items[offset : offset + limit]]
    # current_page counts from 1; page_size echoes the limit as in the spec's examples.
    paging = {
        "page_size": limit,
        "total_results": len(items),
        "offset": min(offset, 2**31 - 1),
        "current_page": min(offset // limit + 1, 2**31 - 1),
    }
    return page, ctx.shapes.paging(paging)


# B3: the sort fields that campaigns, ad sets and ads share.
_COMMON_SORT_KEYS: dict[str, Callable[[Any], Any]] = {
    "CREATED_AT": lambda o: o.created_at,
    "UPDATED_AT": lambda o: o.updated_at,
    "NAME": lambda o: o.name.casefold(),
    "STATUS": lambda o: o.status,
}


def _found(obj: Any, label: str, object_id: str) -> Any:
    """Return ``obj``, or answer 404 when the account has no such object (B2)."""
    if obj is None:
        raise ads_error(404, f"{label} {object_id} not found.", code="NOT_FOUND")
    return obj


def _sorted(
    query: Query, items: list[Any], keys: dict[str, Callable[[Any], Any]], default: str
) -> list[Any]:
    field = query.enum("sort_field", tuple(keys), default) or default
    direction = query.enum("sort_direction", SORT_DIRECTIONS, "DESC")
    key = keys[field]
    # Ties fall back to the id so that pages never overlap or skip (B3).
    return sorted(items, key=lambda o: (key(o), o.id), reverse=direction == "DESC")


def _name_filter(query: Query, items: list[Any]) -> list[Any]:
    name = query.one("name")
    if not name:
        return items
    needle = name.casefold()
    return [o for o in items if needle in o.name.casefold()]


def _only_fields(
    body: dict[str, Any], wanted: list[str], mapping: dict[str, str | None]
) -> dict[str, Any]:
    if not wanted:
        return body
    keys = {"id"} | {mapping[f] for f in wanted if mapping[f]}
    return {k: v for k, v in body.items() if k in keys}


# -- B1: discovery ---------------------------------------------------------------------------


def list_businesses(ctx: ApiContext) -> dict[str, Any]:
    """``GET /businesses``: the current user's businesses only (B1)."""
    Query(ctx.request)
    return {"businesses": [b.to_json() for b in ctx.data.businesses_for_user(ctx.user_id)]}


def get_business(ctx: ApiContext, business_id: str) -> dict[str, Any]:
    """``GET /businesses/{business_id}`` (B1)."""
    Query(ctx.request)
    return _business_for(ctx, business_id).to_json()


def list_business_ad_accounts(ctx: ApiContext, business_id: str) -> dict[str, Any]:
    """``GET /businesses/{business_id}/ad_accounts``: no paging, as in the spec (B1).

    Under the published shapes it pages by ``limit``/``offset`` like the other listings and
    carries the published samples' all-zero ``paging`` object (B1, B3).
    """
    query = Query(ctx.request)
    kind = query.enum("type", ACCOUNT_TYPES)
    business = _business_for(ctx, business_id)
    accounts = ctx.data.ad_accounts_of(business.id)
    if kind:
        accounts = [a for a in accounts if a.account_type == kind]
    if ctx.shapes.pages_business_ad_accounts:
        page, paging = _page(
            ctx, query, accounts, lambda a: a.to_json(ctx.data.role_of(ctx.user_id, a))
        )
        return {"ad_accounts": page, "paging": paging}
    return {"ad_accounts": [a.to_json(ctx.data.role_of(ctx.user_id, a)) for a in accounts]}


def get_ad_account(ctx: ApiContext, ad_account_id: str) -> dict[str, Any]:
    """``GET /ad_accounts/{ad_account_id}`` (B1, B2)."""
    Query(ctx.request)
    account = account_for(ctx, ad_account_id)
    return account.to_json(ctx.data.role_of(ctx.user_id, account))


# -- B3: campaigns, ad sets, ads, assets --------------------------------------------------------


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
    items = _sorted(
        query,
        _name_filter(query, items),
        {**_COMMON_SORT_KEYS, "ID": lambda o: o.id},
        "CREATED_AT",
    )
    page, paging = _page(
        ctx, query, items, lambda c: _only_fields(c.to_json(), fields, CAMPAIGN_FIELDS)
    )
    return {"campaigns": page, "paging": paging}


def get_campaign(ctx: ApiContext, ad_account_id: str, campaign_id: str) -> dict[str, Any]:
    """``GET /ad_accounts/{id}/campaigns/{campaign_id}`` (B2)."""
    query = Query(ctx.request)
    account = account_for(ctx, ad_account_id)
    fields = query.enums("fields", CAMPAIGN_FIELDS)
    campaign = _found(
        ctx.data.campaign(account.id, check_uuid(campaign_id, "campaign_id")),
        "Campaign",
        campaign_id,
    )
    return _only_fields(campaign.to_json(), fields, CAMPAIGN_FIELDS)


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
    items = _sorted(
        query,
        _name_filter(query, items),
        {
            **_COMMON_SORT_KEYS,
            "BUDGET": lambda s: s.budget_micros,
            "START_DATE_TIME": lambda s: s.start_hour,
            "END_DATE_TIME": lambda s: s.end_hour if s.end_hour is not None else 1 << 40,
        },
        "CREATED_AT",
    )
    page, paging = _page(ctx, query, items, lambda s: s.to_json())
    return {"ad_sets": page, "paging": paging}


def get_ad_set(ctx: ApiContext, ad_account_id: str, ad_set_id: str) -> dict[str, Any]:
    """``GET /ad_accounts/{id}/ad_sets/{ad_set_id}``: budget in micros (B2)."""
    Query(ctx.request)
    account = account_for(ctx, ad_account_id)
    ad_set = _found(
        ctx.data.ad_set(account.id, check_uuid(ad_set_id, "ad_set_id")), "Ad set", ad_set_id
    )
    return ad_set.to_json()


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
    items = _sorted(
        query,
        _name_filter(query, items),
        {**_COMMON_SORT_KEYS, "ID": lambda o: o.id},
        "CREATED_AT",
    )
    page, paging = _page(ctx, query, items, lambda a: _only_fields(a.to_json(), fields, AD_FIELDS))
    return {"ads": page, "paging": paging}


def get_ad(ctx: ApiContext, ad_account_id: str, ad_id: str) -> dict[str, Any]:
    """``GET /ad_accounts/{id}/ads/{ad_id}`` (B2)."""
    query = Query(ctx.request)
    account = account_for(ctx, ad_account_id)
    fields = query.enums("fields", AD_FIELDS)
    ad = _found(ctx.data.ad(account.id, check_uuid(ad_id, "ad_id")), "Ad", ad_id)
    return _only_fields(ad.to_json(), fields, AD_FIELDS)


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
    items = _sorted(
        query,
        _name_filter(query, items),
        {"CREATED_AT": lambda a: a.created_at, "NAME": lambda a: a.name.casefold()},
        "CREATED_AT",
    )
    page, paging = _page(ctx, query, items, lambda a: a.to_json())
    return {"assets": page, "paging": paging}


def get_asset(ctx: ApiContext, ad_account_id: str, asset_id: str) -> dict[str, Any]:
    """``GET /ad_accounts/{id}/assets/{asset_id}`` (B2)."""
    Query(ctx.request)
    account = account_for(ctx, ad_account_id)
    asset = _found(ctx.data.asset(account.id, check_uuid(asset_id, "asset_id")), "Asset", asset_id)
    return asset.to_json()


# -- C: the original guide's call ------------------------------------------------------------------


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


_OBJECT_RULES = [
    Rule(f"{V3}/businesses", endpoint=list_businesses, methods=["GET"]),
    Rule(f"{V3}/businesses/<business_id>", endpoint=get_business, methods=["GET"]),
    Rule(
        f"{V3}/businesses/<business_id>/ad_accounts",
        endpoint=list_business_ad_accounts,
        methods=["GET"],
    ),
    Rule(f"{V3}/ad_accounts/<ad_account_id>", endpoint=get_ad_account, methods=["GET"]),
    Rule(f"{V3}/ad_accounts/<ad_account_id>/campaigns", endpoint=list_campaigns, methods=["GET"]),
    Rule(
        f"{V3}/ad_accounts/<ad_account_id>/campaigns/<campaign_id>",
        endpoint=get_campaign,
        methods=["GET"],
    ),
    Rule(f"{V3}/ad_accounts/<ad_account_id>/ad_sets", endpoint=list_ad_sets, methods=["GET"]),
    Rule(
        f"{V3}/ad_accounts/<ad_account_id>/ad_sets/<ad_set_id>",
        endpoint=get_ad_set,
        methods=["GET"],
    ),
    Rule(f"{V3}/ad_accounts/<ad_account_id>/ads", endpoint=list_ads, methods=["GET"]),
    Rule(f"{V3}/ad_accounts/<ad_account_id>/ads/<ad_id>", endpoint=get_ad, methods=["GET"]),
    Rule(f"{V3}/ad_accounts/<ad_account_id>/assets", endpoint=list_assets, methods=["GET"]),
    Rule(
        f"{V3}/ad_accounts/<ad_account_id>/assets/<asset_id>",
        endpoint=get_asset,
        methods=["GET"],
    ),
    Rule(
        "/ads-sandbox/v1/currentUser/adAccounts",
        endpoint=list_current_user_ad_accounts_v1,
        methods=["GET"],
    ),
]

# The report routes use the helpers above, so they are imported once those exist.
from . import reports  # noqa: E402

RULES: list[Rule] = [*_OBJECT_RULES, *reports.RULES]
"""Every Ads API route of the sandbox; ``app.py`` mounts them behind the bearer check."""
