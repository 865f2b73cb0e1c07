"""The Ads API's ad accounts (B1, B2): a business's ad accounts and one ad account.

Owns ``GET /businesses/{business_id}/ad_accounts`` (no paging in the spec; paged with the
published shapes), ``GET /ad_accounts/{ad_account_id}`` with the user's role, and the
account's experiment availability. Never checks
tokens, rate limits or faults: the application does that before calling a handler.
"""

from __future__ import annotations

from typing import Any

from werkzeug.routing import Rule

from ..context import ApiContext
from .listing import paginate
from .query import V3, Query, account_for, business_for

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


def list_business_ad_accounts(ctx: ApiContext, business_id: str) -> dict[str, Any]:
    """``GET /businesses/{business_id}/ad_accounts``: no paging, as in the spec (B1).

    Under the published shapes it pages by ``limit``/``offset`` like the other listings and
    carries the published samples' all-zero ``paging`` object (B1, B3).
    """
    query = Query(ctx.request)
    kind = query.enum("type", ACCOUNT_TYPES)
    business = business_for(ctx, business_id)
    accounts = ctx.data.ad_accounts_of(business.id)
    if kind:
        accounts = [a for a in accounts if a.account_type == kind]
    if ctx.shapes.pages_business_ad_accounts:
        page, paging = paginate(
            ctx, query, accounts, lambda a: a.to_json(ctx.data.role_of(ctx.user_id, a))
        )
        return {"ad_accounts": page, "paging": paging}
    return {"ad_accounts": [a.to_json(ctx.data.role_of(ctx.user_id, a)) for a in accounts]}


def get_ad_account(ctx: ApiContext, ad_account_id: str) -> dict[str, Any]:
    """``GET /ad_accounts/{ad_account_id}`` (B1, B2)."""
    Query(ctx.request)
    account = account_for(ctx, ad_account_id)
    return account.to_json(ctx.data.role_of(ctx.user_id, account))


def get_experiment_availability(ctx: ApiContext, ad_account_id: str) -> dict[str, Any]:
    """``GET /ad_accounts/{ad_account_id}/experiment_availability``: which tests it may start."""
    Query(ctx.request)
    return ctx.data.measurement.experiment_availability(account_for(ctx, ad_account_id))


ROUTES: list[Rule] = [
    Rule(
        f"{V3}/businesses/<business_id>/ad_accounts",
        endpoint=list_business_ad_accounts,
        methods=["GET"],
    ),
    Rule(f"{V3}/ad_accounts/<ad_account_id>", endpoint=get_ad_account, methods=["GET"]),
    Rule(
        f"{V3}/ad_accounts/<ad_account_id>/experiment_availability",
        endpoint=get_experiment_availability,
        methods=["GET"],
    ),
]
"""The ad account routes (B1, B2)."""
