"""Offset listings of the Ads API (B3): paging, sorting, the name filter, the ``fields`` filter.

Owns the ``limit``/``offset`` slice and its ``paging`` object (under the published shapes
every paging number is 0, ``shapes.py``), ``sort_field``/``sort_direction`` with ties broken by
id so pages never overlap, the ``name`` substring filter and the ``fields`` projection. Never
defines a route; imports only ``query.py`` of this package.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..context import ApiContext
from .query import MAX_LIMIT, Query

SORT_DIRECTIONS = ("ASC", "DESC")


def paginate(
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
COMMON_SORT_KEYS: dict[str, Callable[[Any], Any]] = {
    "CREATED_AT": lambda o: o.created_at,
    "UPDATED_AT": lambda o: o.updated_at,
    "NAME": lambda o: o.name.casefold(),
    "STATUS": lambda o: o.status,
}


def sort_items(
    query: Query,
    items: list[Any],
    keys: dict[str, Callable[[Any], Any]],
    default: str,
    *,
    tie: Callable[[Any], Any] = lambda o: o.id,
) -> list[Any]:
    """Sort by ``sort_field`` (one of ``keys``, else ``default``) and ``sort_direction`` (B3).

    Ties fall back to ``tie`` (the id) so that pages never overlap or skip.
    """
    field = query.enum("sort_field", tuple(keys), default) or default
    direction = query.enum("sort_direction", SORT_DIRECTIONS, "DESC")
    key = keys[field]
    return sorted(items, key=lambda o: (key(o), tie(o)), reverse=direction == "DESC")


def name_filter(query: Query, items: list[Any]) -> list[Any]:
    """Keep the items whose name contains the ``name`` parameter, ignoring case."""
    name = query.one("name")
    if not name:
        return items
    needle = name.casefold()
    return [o for o in items if needle in o.name.casefold()]


def only_fields(
    body: dict[str, Any], wanted: list[str], mapping: dict[str, str | None]
) -> dict[str, Any]:
    """Keep the ``id`` and the keys of the ``fields`` asked for (``mapping``: enum to key)."""
    if not wanted:
        return body
    keys = {"id"} | {mapping[f] for f in wanted if mapping[f]}
    return {k: v for k, v in body.items() if k in keys}


def whole_listing(ctx: ApiContext, items: Sequence[Any]) -> dict[str, int]:
    """Return the ``paging`` object of a listing the spec gives no ``limit``/``offset`` (B3).

    Such a listing answers every item at once; an unknown ``limit`` is ignored like any other
    unknown parameter.
    """
    paging = {
        "page_size": len(items),
        "total_results": len(items),
        "offset": 0,
        "current_page": 1,
    }
    return ctx.shapes.paging(paging)


def keyword_filter(query: Query, items: list[Any], name: str = "q") -> list[Any]:
    """Keep the items whose name contains the keyword parameter ``name``, ignoring case."""
    keyword = query.one(name)
    if not keyword:
        return items
    needle = keyword.casefold()
    return [o for o in items if needle in o.name.casefold()]
