"""The Ads API's insight reports (B8): ``GET /ad_accounts/{id}/insight_reports``.

Owns validating an insight request, the breakdown values of each insight dimension, splitting
an entity's lifetime counts across them, and the 422 answers when an entity has delivered too
little. The handler is marked ``@reporting`` (B11 bucket). Never invents a count: the
breakdown splits the data set's counts exactly.
"""

from __future__ import annotations

import random
from typing import Any

from werkzeug.routing import Rule

from ..context import ApiContext, reporting
from ..data import ENTITY_LEVELS, REPORT_FIELDS, AdsData, Vector, add_vectors, split, split_vector
from ..data.metrics import count
from ..data.reach import combine
from ..errors import ads_error
from .query import ACCOUNT_PREFIX, Query, account_for, bad_request
from .report_common import (
    REPORT_STATUSES,
    entities_by_id,
    entity_vector,
    report_fields,
    report_status,
    status_at,
)

NOT_FOR_INSIGHTS = frozenset(
    {
        "E_CPCL",
        "FREQUENCY",
        "OFF_SPOTIFY_IMPRESSIONS",
        "PAID_LISTENS_FREQUENCY",
        "SKIPS",
        "SPEND",
        "STARTS",
        "UNMUTES",
    }
)
INSIGHT_VALUES: dict[str, tuple[str, ...]] = {
    "AGE": ("18-24", "25-34", "35-44", "45-54", "55+"),
    "GENDER": ("FEMALE", "MALE", "NON_BINARY", "UNKNOWN"),
    "PLATFORM": ("ANDROID", "IOS", "DESKTOP"),
    "COUNTRY": ("US", "GB", "SE", "DE", "CA"),
    "REGION": ("North", "South", "East", "West"),
    "CITY": ("Capital", "Harbour City", "Lakeside", "Hilltown"),
    "METRO": ("Metro A", "Metro B", "Metro C"),
    "GENRE": ("pop", "hip-hop", "rock", "indie", "electronic", "latin"),
    "INTERESTS": ("Fitness", "Gaming", "Travel", "Food", "Tech"),
    "PLACEMENT": ("MUSIC", "PODCAST"),
    "FORMAT": ("AUDIO", "VIDEO"),
    "ACT_AND_SET": ("Workout", "Commute", "Party", "Focus"),
    "AUDIENCE": ("Broad", "Custom", "Lookalike"),
    "PODCAST_EPISODE_TOPIC": ("news-and-politics", "sports", "technology-and-computing"),
    "TONE": ("Upbeat", "Chill", "Intense"),
}
# B8: below these an insight report answers 422 with the matching code.
MIN_INSIGHT_IMPRESSIONS = 1000
MIN_INSIGHT_REACH = 500
MIN_INSIGHT_LISTENERS = 50
_LISTENER_FIELDS = frozenset(
    {"LISTENERS", "NEW_LISTENERS", "STREAMS", "NEW_LISTENER_STREAMS", "STREAMS_PER_USER"}
)


@reporting
def insight_report(ctx: ApiContext, ad_account_id: str) -> dict[str, Any]:
    """``GET /ad_accounts/{id}/insight_reports``: lifetime breakdowns, 422 when thin (B8)."""
    query = Query(ctx.request)
    account = account_for(ctx, ad_account_id)
    data = ctx.data
    if query.boolean("include_parent_entity", False):
        # spec: "only valid for aggregate requests and not audience insight requests".
        raise bad_request("include_parent_entity is only valid for aggregate reports.")
    dimension = query.enum("insight_dimension", tuple(INSIGHT_VALUES))
    if dimension is None:
        raise bad_request("The parameter 'insight_dimension' is required.")
    fields = report_fields(query, tuple(f for f in REPORT_FIELDS if f not in NOT_FOR_INSIGHTS))
    ids = query.uuids("entity_ids")
    if len(ids) > 1:
        raise bad_request("Insight reports accept a single entity id in entity_ids.")
    ids_type = query.enum("entity_ids_type", ENTITY_LEVELS)
    if ids and ids_type not in ("AD_SET", "CAMPAIGN"):
        raise bad_request("entity_ids_type must be AD_SET or CAMPAIGN for insight reports.")
    statuses = set(query.enums("statuses", REPORT_STATUSES))
    status_type = query.enum("entity_status_type", ENTITY_LEVELS)
    if statuses and status_type != "AD_SET":
        raise bad_request("entity_status_type must be AD_SET when statuses are set.")
    level = ids_type if ids else "AD_SET"
    assert level is not None
    entities = entities_by_id(data, account, level, ids) if ids else data.ad_sets(account.id)
    if statuses:
        entities = [e for e in entities if status_at(data, level, e, "AD_SET") in statuses]
    needs_listeners = bool(_LISTENER_FIELDS & set(fields)) or dimension == "GENRE"
    rows: list[dict[str, Any]] = []
    pooled: list[Vector] = []
    reaches: list[tuple[int, int]] = []
    problem: tuple[str, str] | None = None
    for entity in entities:
        vector, hours, _ = entity_vector(data, level, entity, None)
        reach = data.reach.of(level, entity, None)
        found = _thin(data, vector, reach[0], needs_listeners)
        if found:
            problem = problem or found
            continue
        values = INSIGHT_VALUES[dimension]
        rng = random.Random(f"{data.seed}:{entity.id}:{dimension}")
        parts = split_vector(vector, [rng.uniform(0.3, 1.0) for _ in values])
        # A listener falls in one bucket of a breakdown: the buckets' reaches add up to the
        # entity's, each at most its impressions (B5).
        part_reach = split(reach[0], [count(p, "IMPRESSIONS") for p in parts])
        part_paid = split(reach[1], [count(p, "PAID_LISTENS") for p in parts])
        reaches.append(reach)
        for i, (value, part) in enumerate(zip(values, parts, strict=True)):
            pooled.append(part)
            row: dict[str, Any] = {"id": entity.id, "name": entity.name, "insight_value": value}
            status = report_status(entity.status)
            if status:
                row["status"] = status
            row["stats"] = data.report_values(
                part, fields, level=level, hours=hours, reach=(part_reach[i], part_paid[i])
            )
            rows.append(row)
    if not rows:
        code, message = problem or (
            "ILLEGAL.INSIGHT_REPORT.INSUFFICIENT_IMPRESSIONS",
            "No entity has delivered enough impressions for an insight report yet.",
        )
        raise ads_error(422, message, code=code, definition=message)
    total = add_vectors(pooled)
    pooled_reach = (combine([r[0] for r in reaches]), combine([r[1] for r in reaches]))
    summary = [
        {"stat": f, "value": data.value(total, f, level, 24, reach=pooled_reach)} for f in fields
    ]
    return {
        "granularity": "LIFETIME",
        "entity": level,
        "insight": dimension,
        "rows": rows,
        "summary_totals": summary,
    }


def _thin(
    data: AdsData, vector: Vector, reach: int, needs_listeners: bool
) -> tuple[str, str] | None:
    impressions = data.count(vector, "IMPRESSIONS")
    if impressions < MIN_INSIGHT_IMPRESSIONS:
        return (
            "ILLEGAL.INSIGHT_REPORT.INSUFFICIENT_IMPRESSIONS",
            f"Insight reports need at least {MIN_INSIGHT_IMPRESSIONS} impressions; "
            f"this entity has {impressions}. Try again after more delivery (poll at most daily).",
        )
    if reach < MIN_INSIGHT_REACH:
        return (
            "ILLEGAL.INSIGHT_REPORT.INSUFFICIENT_REACH",
            f"Insight reports need a reach of at least {MIN_INSIGHT_REACH} listeners.",
        )
    if needs_listeners and data.count(vector, "LISTENERS") < MIN_INSIGHT_LISTENERS:
        return (
            "ILLEGAL.INSIGHT_REPORT.INSUFFICIENT_LISTENERS",
            f"Insight reports on streams need at least {MIN_INSIGHT_LISTENERS} listeners.",
        )
    return None


ROUTES: list[Rule] = [
    Rule(f"{ACCOUNT_PREFIX}/insight_reports", endpoint=insight_report, methods=["GET"]),
]
"""The insight report route (B8), in the reporting rate-limit bucket (B11)."""
