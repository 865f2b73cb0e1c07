"""The Ads API's change history (B3): ``GET /ad_accounts/{id}/change_history``.

Owns the spec's filters (entity type, ids and name, change ids, actors, principal type,
change category, creation window), sorting, offset paging, and its access rules: any role on
the account may read; ``actor.email`` is null and ``BILLING`` rows are left out (a
``BILLING`` filter silently ignored) for callers who are not the account's admin; the window
is clamped to the 180-day retention floor. The rows are the data set's (``data/history.py``),
read off the objects' ``created_at``/``updated_at``. Never checks tokens, rate limits or
faults: the application does that before calling a handler.
"""

from __future__ import annotations

from typing import Any

from werkzeug.routing import Rule

from ..context import ApiContext
from ..data.history import CATEGORIES, ENTITY_TYPES
from .listing import paginate, sort_items
from .query import ACCOUNT_PREFIX, Query, account_for, bad_request
from .report_common import parse_time


def get_change_history(ctx: ApiContext, ad_account_id: str) -> dict[str, Any]:
    """``GET /ad_accounts/{id}/change_history``: filtered, newest first by default (B3)."""
    query = Query(ctx.request)
    account = account_for(ctx, ad_account_id)
    entity_type = query.enum("entity_type", ENTITY_TYPES)
    entity_ids = set(query.uuids("entity_ids"))
    entity_name = query.one("entity_name")
    change_ids = set(query.uuids("change_ids"))
    actor_ids = set(query.many("actor_ids"))
    principal = query.enum("principal_type", ("USER", "SERVICE"))
    category = query.enum("change_category", CATEGORIES)
    lte, gte = query.one("created_lte"), query.one("created_gte")
    if entity_name is not None:
        if not 2 <= len(entity_name) <= 255:
            raise bad_request("'entity_name' must be 2 to 255 characters long.")
        if entity_type is None:
            raise bad_request("'entity_name' must be used together with 'entity_type'.")
    is_admin = ctx.data.role_of(ctx.user_id, account) == "AD_ACCOUNT_ADMIN"
    rows = ctx.data.history.rows(account, ctx.clock.now())
    if not is_admin:
        rows = [r for r in rows if "BILLING" not in r.categories]
        if category == "BILLING":
            category = None  # the spec: silently ignored for non-admin callers
    if entity_type:
        rows = [r for r in rows if r.entity_type == entity_type]
    if entity_ids:
        rows = [r for r in rows if r.entity.id in entity_ids]
    if entity_name:
        needle = entity_name.casefold()
        rows = [r for r in rows if needle in r.entity.name.casefold()]
    if change_ids:
        rows = [r for r in rows if r.change_id in change_ids]
    if actor_ids:
        rows = [r for r in rows if r.principal_id in actor_ids]
    if principal:
        rows = [r for r in rows if r.principal_type == principal]
    if category:
        rows = [r for r in rows if category in r.categories]
    if gte:  # clamped to the retention floor: the rows already start there
        floor = parse_time(gte, "created_gte")
        rows = [r for r in rows if r.timestamp >= floor]
    if lte:
        ceiling = parse_time(lte, "created_lte")
        rows = [r for r in rows if r.timestamp <= ceiling]
    rows = sort_items(
        query,
        rows,
        {
            "TIMESTAMP": lambda r: r.timestamp,
            "ENTITY_TYPE": lambda r: r.entity_type,
            "PRINCIPAL_TYPE": lambda r: r.principal_type,
        },
        "TIMESTAMP",
        tie=lambda r: r.change_id,
    )
    page, paging = paginate(ctx, query, rows, lambda r: r.to_json(show_email=is_admin))
    return {"change_history": page, "paging": paging}


ROUTES: list[Rule] = [
    Rule(f"{ACCOUNT_PREFIX}/change_history", endpoint=get_change_history, methods=["GET"]),
]
"""The change history route (B3)."""
