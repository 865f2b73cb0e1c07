"""The Ads API's lookups: ``/targets/*``, ``/ad_categories`` and ``/podcast_shows``.

Owns the targeting lookups (artists, genres, geos, interests, languages, playlists, podcast
episode topics, sensitive topics), the ad categories and the podcast shows, answered from the
data set's fixed catalogue (``data/catalog.py``), which holds every id the generated ad sets
target. ``ids`` (repeated keys or comma-joined, B4) and the keyword ``q`` (case-insensitive
substring, the spec's "wildcard matching") filter; where the spec says a lookup needs a query
(artists and shows by keyword or id, geos by at least one filter) none is a 400. Never checks
tokens, rate limits or faults: the application does that before calling a handler.
"""

from __future__ import annotations

import re
from typing import Any

from werkzeug.routing import Rule

from ..context import ApiContext
from ..data.catalog import AD_CATEGORIES, GEO_TYPES, GEOS, PODCAST_SHOWS, TARGET_TABLES, Target
from .listing import keyword_filter
from .query import V3, Query, account_for, bad_request

_RESPONSE_KEYS = {
    "artists": "artists",
    "genres": "genres",
    "interests": "interests_with_subtargets",
    "languages": "languages",
    "playlists": "playlists",
    "episode_topics": "episode_topics",
    "sensitive_topics": "sensitive_topics",
}
# The lookups the spec describes as "based on given query parameter": no query, no answer.
_NEEDS_QUERY = frozenset({"artists"})
MAX_GEO_LIMIT = 1000
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")
_LANGUAGE = re.compile(r"^[a-z]{2}$")


def _filtered(query: Query, table: tuple[Target, ...]) -> list[Target]:
    ids = set(query.many("ids"))
    items = [t for t in table if t.id in ids] if ids else list(table)
    return keyword_filter(query, items)


def _target_lookup(kind: str) -> Any:
    def lookup(ctx: ApiContext) -> dict[str, Any]:
        query = Query(ctx.request)
        if kind in _NEEDS_QUERY and not (query.many("ids") or query.one("q")):
            raise bad_request(f"Give 'q' (a keyword) or 'ids' to look up {kind}.")
        if kind == "languages" and query.one("ad_account_id"):
            account_for(ctx, query.one("ad_account_id") or "")
        items = _filtered(query, TARGET_TABLES[kind])
        return {_RESPONSE_KEYS[kind]: [t.to_json() for t in items]}

    lookup.__name__ = f"get_{kind}_targets"
    lookup.__doc__ = f"``GET /targets/{kind}``: the {kind.replace('_', ' ')} catalogue."
    return lookup


def get_geo_targets(ctx: ApiContext) -> dict[str, Any]:
    """``GET /targets/geos``: at least one of country_code, ids, types, q; paged to 1,000."""
    query = Query(ctx.request)
    country = query.one("country_code")
    types = query.many("types")
    limit = query.integer("limit", 50, low=1, high=MAX_GEO_LIMIT)
    offset = query.integer("offset", 0, low=0)
    language = query.one("language")
    if language is not None and not _LANGUAGE.match(language):
        raise bad_request("'language' must be a two-letter ISO 639-1 code such as en.")
    if country is not None and not _COUNTRY.match(country):
        raise bad_request("'country_code' must be an ISO 3166-1 alpha-2 code such as US.")
    wrong = [t for t in types if t not in GEO_TYPES]
    if wrong:
        raise bad_request(f"Invalid geo type '{wrong[0][:40]}'. Allowed: {', '.join(GEO_TYPES)}.")
    if not (country or types or query.many("ids") or query.one("q")):
        raise bad_request("Give at least one of country_code, ids, types or q to look up geos.")
    items = _filtered(query, GEOS)
    if country:
        items = [g for g in items if g.country_code == country.upper()]
    if types:
        items = [g for g in items if g.kind in types]
    page = items[offset : offset + limit]
    return {"offset": offset, "page_size": limit, "geos": [g.to_geo_json() for g in page]}


def get_ad_categories(ctx: ApiContext) -> dict[str, Any]:
    """``GET /ad_categories``: every category, or those whose name matches ``q``."""
    query = Query(ctx.request)
    items = keyword_filter(query, list(AD_CATEGORIES))
    return {
        "categories": [
            {"id": c.id, "parent_category": c.parent_name, "name": c.name} for c in items
        ]
    }


def get_podcast_shows(ctx: ApiContext) -> dict[str, Any]:
    """``GET /podcast_shows``: shows by keyword or id, only those available in ``market``."""
    query = Query(ctx.request)
    market = query.one("market")
    if not market:
        raise bad_request("The parameter 'market' is required (an ISO 3166-1 alpha-2 code).")
    if not _COUNTRY.match(market):
        raise bad_request("'market' must be an ISO 3166-1 alpha-2 country code such as US.")
    if not (query.many("ids") or query.one("q")):
        raise bad_request("Give 'q' (a keyword) or 'ids' to look up podcast shows.")
    items = [s for s in _filtered(query, PODCAST_SHOWS) if market.upper() in s.markets]
    return {"shows": [s.to_json() for s in items]}


ROUTES: list[Rule] = [
    *(
        Rule(f"{V3}/targets/{kind}", endpoint=_target_lookup(kind), methods=["GET"])
        for kind in TARGET_TABLES
    ),
    Rule(f"{V3}/targets/geos", endpoint=get_geo_targets, methods=["GET"]),
    Rule(f"{V3}/ad_categories", endpoint=get_ad_categories, methods=["GET"]),
    Rule(f"{V3}/podcast_shows", endpoint=get_podcast_shows, methods=["GET"]),
]
"""The lookup routes."""
