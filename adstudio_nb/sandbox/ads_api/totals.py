"""The Ads API's deduplicated totals (B8): ``GET /ad_accounts/{id}/aggregate_reports/totals``.

Owns validating a totals request and pooling the entities' counts per bucket, reach
deduplicated across them. The handler is marked ``@reporting`` (B11 bucket). Never invents a
number: values come from ``AdsData``.
"""

from __future__ import annotations

from typing import Any

from werkzeug.routing import Rule

from ..context import ApiContext, reporting
from ..data import DAY_H, ENTITY_LEVELS, ZERO, AdsData, add_vectors, hour_datetime, iso
from .query import ACCOUNT_PREFIX, Query, account_for, bad_request
from .report_common import (
    GRANULARITIES,
    MAX_ENTITY_IDS,
    entities_by_id,
    report_fields,
    report_range,
)

TOTALS_FIELDS = ("IMPRESSIONS", "CLICKS", "CTR", "REACH", "FREQUENCY")


@reporting
def aggregate_totals(ctx: ApiContext, ad_account_id: str) -> dict[str, Any]:
    """``GET /ad_accounts/{id}/aggregate_reports/totals``: deduplicated reach (B8)."""
    query = Query(ctx.request)
    account = account_for(ctx, ad_account_id)
    level = query.enum("entity_type", ENTITY_LEVELS)
    if level is None:
        raise bad_request("The parameter 'entity_type' is required.")
    if level == "AD_ACCOUNT":
        raise bad_request(
            "AD_ACCOUNT is not supported for totals; use aggregate_reports for account totals."
        )
    ids = query.uuids("entity_ids", max_items=MAX_ENTITY_IDS)
    if not ids:
        raise bad_request("The parameter 'entity_ids' is required (1 to 50 ids).")
    granularity = query.enum("granularity", GRANULARITIES)
    if granularity is None:
        raise bad_request("The parameter 'granularity' is required (LIFETIME or DAY).")
    if granularity == "HOUR":
        raise bad_request("HOUR is not supported for aggregated totals; use LIFETIME or DAY.")
    fields = report_fields(query, TOTALS_FIELDS)
    first, last = report_range(query, granularity, ctx.data.now_hour())
    entities = entities_by_id(ctx.data, account, level, ids)
    data = ctx.data
    spans = [s for s in (data.flight_hours(level, e) for e in entities) if s]
    if first is None or last is None:
        if not spans:
            return {"granularity": granularity, "rows": [{"stats": _zero_stats(data, fields)}]}
        first = min(s[0] for s in spans) // DAY_H * DAY_H
        last = (max(s[1] for s in spans) - 1) // DAY_H * DAY_H + DAY_H
    step = DAY_H if granularity == "DAY" else last - first
    rows = []
    for start in range(first, last, step):
        end = start + step
        vector = add_vectors(
            data.range_vector(level, e, start // DAY_H, end // DAY_H - 1) for e in entities
        )
        hours = max(
            1, sum(max(0, min(end, s[1]) - max(start, s[0])) for s in spans) // max(1, len(spans))
        )
        row: dict[str, Any] = {}
        if granularity == "DAY":
            row["start_time"] = iso(hour_datetime(start))
            row["end_time"] = iso(hour_datetime(end))
        # B8: reach deduplicated across the entities, between the largest one and the sum.
        reach = data.reach.of_group(level, entities, (start, end))
        row["stats"] = data.report_values(
            vector, fields, level=level, hours=hours, entities=len(entities), reach=reach
        )
        rows.append(row)
    return {"granularity": granularity, "rows": rows}


def _zero_stats(data: AdsData, fields: tuple[str, ...]) -> list[dict[str, Any]]:
    return data.report_values(ZERO, fields, level="AD_SET", hours=1)


ROUTES: list[Rule] = [
    Rule(f"{ACCOUNT_PREFIX}/aggregate_reports/totals", endpoint=aggregate_totals, methods=["GET"]),
]
"""The totals route (B8), in the reporting rate-limit bucket (B11)."""
