"""The sandbox's reporting endpoints: aggregate reports, totals, insights, async CSV reports.

Owns B5-B8: validating report requests exactly (400 with a B9 body and a clear message),
stateless continuation tokens (B6), rows of one entity per time bucket with zero rows included
(B5), the privacy sentinel and currency units (B7, via ``data.py``), deduplicated totals,
insight breakdowns with 422 when data is too thin, and async CSV reports driven by the sandbox
clock (B8). Every handler is marked ``@reporting`` (B11 bucket). Numbers come from
``AdsData``; this module never invents a value.

Time ranges, as read from the spec's ``report_start``/``report_end`` text:

* Times are ISO 8601 UTC with ``Z`` (``+00:00`` is accepted) in whole hours.
* ``HOUR``: both ends are hour starts and both hours are included (``T00:00Z``-``T23:00Z`` is
  24 rows); ``report_start`` must lie within the last 14 days and ``report_end`` no later than
  24 hours after the current hour.
* ``DAY``: both ends must be UTC midnights; the end *date* is included (``2026-01-01`` to
  ``2026-01-03`` is 3 rows); the two dates may be at most 90 days apart.
* ``LIFETIME``: times are truncated to midnight, the end date is included, at most 90 days
  apart; without a range each entity's whole flight up to now is reported.

A row's ``end_time`` is exclusive (a DAY row runs from midnight to the next midnight).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import json
import random
import threading
import uuid
import weakref
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Response

from .ads_api import V3, Query, account_for, bad_request, check_uuid
from .context import ApiContext, reporting
from .data import (
    DAY_H,
    ENTITY_LEVELS,
    HOUR_S,
    REPORT_FIELDS,
    ZERO,
    AdAccount,
    AdsData,
    Vector,
    add_vectors,
    hour_datetime,
    iso,
    split_vector,
)
from .errors import ads_error, json_response
from .shapes import ENDING_EMPTY, ENDING_NULL, REPORT_ENDINGS

MAX_DAY_RANGE_DAYS = 90
HOUR_LOOKBACK_DAYS = 14
MAX_ENTITY_IDS = 50
REPORT_STATUSES = (
    "ACTIVE",
    "APPROVED",
    "ARCHIVED",
    "PENDING_APPROVAL",
    "REJECTED",
    "PENDING_ADVERTISER_APPROVAL",
    "PAUSED",
    "COMPLETED",
    "READY",
    "PENDING",
)
GRANULARITIES = ("DAY", "HOUR", "LIFETIME")
TOTALS_FIELDS = ("IMPRESSIONS", "CLICKS", "CTR", "REACH", "FREQUENCY")
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
ASYNC_PROCESSING_S = 10.0  # B8: PROCESSING for this long (sandbox clock), then READY
ASYNC_EXPIRY_S = 24 * 3600.0  # then EXPIRED
ASYNC_MAX_ROWS = 1_000_000  # bigger reports end FAILED


def _warn_others(query: Query) -> list[str]:
    others = [n for n in query.names() if n != "continuation_token"]
    if not others:
        return []
    # B6: a follow-up call sends only the token; anything else is ignored, and said so.
    return [
        "Parameters other than continuation_token are ignored when a continuation_token is "
        f"supplied: {', '.join(others)}."
    ]


# -- time parsing ------------------------------------------------------------------------------


def parse_time(value: str, name: str) -> datetime:
    """Parse an ISO 8601 UTC time (``Z`` or ``+00:00``), or raise a 400 (B5)."""
    text = value.strip()
    example = "2026-01-23T00:00:00Z"
    if len(text) > 40 or "T" not in text:
        raise bad_request(f"'{name}' must be an ISO 8601 UTC date-time such as {example}.")
    try:
        parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        raise bad_request(
            f"'{name}' must be an ISO 8601 UTC date-time such as {example}."
        ) from None
    if parsed.tzinfo is None or parsed.utcoffset() != UTC.utcoffset(None):
        raise bad_request(f"'{name}' must be in UTC with a zero offset (Z), e.g. {example}.")
    return parsed.astimezone(UTC)


def _hour_of(dt: datetime) -> int:
    return int(dt.timestamp()) // HOUR_S


def _whole_hour(dt: datetime, name: str) -> None:
    if dt.minute or dt.second or dt.microsecond:
        raise bad_request(f"'{name}' must be a whole hour (minutes and seconds 0).")


@dataclass(frozen=True)
class ReportSpec:
    """A validated aggregate report request; what a continuation token carries (B6)."""

    account_id: str
    entity_type: str
    fields: tuple[str, ...]
    granularity: str
    first_hour: int | None  # first hour of the range, None: each entity's whole flight
    last_hour: int | None  # exclusive end of the range
    entity_ids: tuple[str, ...]
    entity_ids_type: str | None
    statuses: tuple[str, ...]
    entity_status_type: str | None
    include_parent: bool
    limit: int


def _range(
    query: Query, granularity: str, now_hour: int, *, max_days: int = MAX_DAY_RANGE_DAYS
) -> tuple[int | None, int | None]:
    """Return ``[first, last)`` hours of the requested range (see the module docstring)."""
    start_text, end_text = query.one("report_start"), query.one("report_end")
    if granularity in ("DAY", "HOUR") and not (start_text and end_text):
        raise bad_request(f"report_start and report_end are required for {granularity} reports.")
    if not start_text:
        if end_text:
            raise bad_request("report_start is required when report_end is given.")
        return None, None
    start = parse_time(start_text, "report_start")
    end = parse_time(end_text, "report_end") if end_text else hour_datetime(now_hour)
    if granularity == "HOUR":
        _whole_hour(start, "report_start")
        _whole_hour(end, "report_end")
        first, last = _hour_of(start), _hour_of(end) + 1  # B5: the end hour is included
        if first < (now_hour // DAY_H - HOUR_LOOKBACK_DAYS) * DAY_H:
            raise bad_request(
                f"HOUR reports only cover the last {HOUR_LOOKBACK_DAYS} days: report_start "
                f"must be on or after {iso(hour_datetime(now_hour - HOUR_LOOKBACK_DAYS * 24))}."
            )
        if last > now_hour + DAY_H + 1:
            raise bad_request("report_end of an HOUR report must not be more than a day ahead.")
    else:
        if granularity == "DAY":
            for name, dt in (("report_start", start), ("report_end", end_text and end)):
                if dt and (dt.hour or dt.minute or dt.second or dt.microsecond):
                    raise bad_request(
                        f"'{name}' of a DAY report must be a UTC midnight (T00:00:00Z)."
                    )
        # LIFETIME truncates to midnight; both: the end date is included (B5).
        first = _hour_of(start) // DAY_H * DAY_H
        last = (_hour_of(end) // DAY_H + 1) * DAY_H
        if (last - first) // DAY_H - 1 > max_days:
            raise bad_request(
                f"report_start and report_end must be at most {max_days} days apart for "
                f"{granularity} reports."
            )
    if last <= first:
        raise bad_request("report_end must not be before report_start.")
    return first, last


def _fields(query: Query, allowed: tuple[str, ...] = REPORT_FIELDS) -> tuple[str, ...]:
    fields = query.enums("fields", REPORT_FIELDS)
    if not fields:
        raise bad_request("The parameter 'fields' is required (one or more ReportFieldType).")
    wrong = [f for f in fields if f not in allowed]
    if wrong:
        raise bad_request(
            f"Field {wrong[0]} is not supported here. Supported: {', '.join(allowed)}."
        )
    return tuple(fields)


def parse_report_spec(query: Query, data: AdsData, account_id: str) -> ReportSpec:
    """Validate an aggregate report request (B5) and return its spec."""
    entity_type = query.enum("entity_type", ENTITY_LEVELS)
    if entity_type is None:
        raise bad_request("The parameter 'entity_type' is required without a continuation_token.")
    fields = _fields(query)
    granularity = query.enum("granularity", GRANULARITIES, "LIFETIME") or "LIFETIME"
    first, last = _range(query, granularity, data.now_hour())
    ids = query.uuids("entity_ids", max_items=MAX_ENTITY_IDS)
    ids_type = query.enum("entity_ids_type", ENTITY_LEVELS)
    statuses = query.enums("statuses", REPORT_STATUSES)
    status_type = query.enum("entity_status_type", ENTITY_LEVELS)
    level = ENTITY_LEVELS.index(entity_type)
    if entity_type == "AD_ACCOUNT" and (ids or ids_type or statuses or status_type):
        raise bad_request(
            "entity_ids, entity_ids_type, statuses and entity_status_type are not valid for "
            "AD_ACCOUNT reports: the id comes from the ad account."
        )
    if ids and not ids_type:
        raise bad_request("entity_ids_type is required when entity_ids is set.")
    if ids_type and not ids:
        raise bad_request("entity_ids is required when entity_ids_type is set.")
    if ids_type:
        if ids_type == "AD_ACCOUNT" or ENTITY_LEVELS.index(ids_type) > level:
            raise bad_request(
                f"entity_ids_type {ids_type} must be {entity_type} or a level above it."
            )
        if granularity != "LIFETIME" and ids_type != entity_type:
            raise bad_request(
                f"For {granularity} reports entity_ids_type must equal entity_type ({entity_type})."
            )
    if statuses and not status_type:
        raise bad_request("entity_status_type is required when statuses is set.")
    if status_type and (status_type == "AD_ACCOUNT" or ENTITY_LEVELS.index(status_type) > level):
        raise bad_request(
            f"entity_status_type {status_type} must be {entity_type} or a level above it."
        )
    return ReportSpec(
        account_id=account_id,
        entity_type=entity_type,
        fields=fields,
        granularity=granularity,
        first_hour=first,
        last_hour=last,
        entity_ids=tuple(ids),
        entity_ids_type=ids_type,
        statuses=tuple(statuses) if status_type else (),
        entity_status_type=status_type if statuses else None,
        include_parent=query.boolean("include_parent_entity", False),
        limit=query.integer("limit", 50, low=1, high=50),
    )


# -- continuation tokens (B6) ------------------------------------------------------------------


def _token_key(data: AdsData) -> bytes:
    return hashlib.sha256(f"adstudio-nb sandbox continuation {data.seed}".encode()).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_token(data: AdsData, spec: ReportSpec, position: int, ending: str | None = None) -> str:
    """Return an opaque, HMAC-signed continuation token for the page starting at ``position``.

    Stateless (B6): the token is base64url of a compact JSON of the validated query and the
    position (and, under the published shapes, how the walk ends), plus a signature, so any
    sandbox with the same seed can continue it.
    """
    state: dict[str, Any] = {"v": 1, "q": asdict(spec), "p": position}
    if ending is not None:
        state["e"] = ending
    payload = json.dumps(state, separators=(",", ":")).encode()
    signature = hmac.new(_token_key(data), payload, hashlib.sha256).digest()[:16]
    return f"{_b64(payload)}.{_b64(signature)}"


def decode_token(data: AdsData, token: str, account_id: str) -> tuple[ReportSpec, int, str | None]:
    """Return the spec, position and walk ending a token carries, or raise a 400 (B6)."""
    invalid = bad_request(
        "The continuation_token is invalid. Send it exactly as received from the previous page."
    )
    try:
        body, _, signature = token.partition(".")
        payload = _unb64(body)
        expected = hmac.new(_token_key(data), payload, hashlib.sha256).digest()[:16]
        if not hmac.compare_digest(expected, _unb64(signature)):
            raise invalid
        decoded = json.loads(payload)
        values: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in decoded["q"].items()
        }
        spec = ReportSpec(**values)
        position = int(decoded["p"])
        ending = decoded.get("e")
        if ending is not None and ending not in REPORT_ENDINGS:
            raise invalid
    except (ValueError, KeyError, TypeError, IndexError, AttributeError):
        raise invalid from None
    if spec.account_id != account_id:
        raise bad_request("The continuation_token belongs to another ad account.")
    return spec, position, ending


# -- rows (B5) ------------------------------------------------------------------------------------

_entity_cache: weakref.WeakKeyDictionary[AdsData, dict[Any, list[Any]]] = (
    weakref.WeakKeyDictionary()
)
_cache_lock = threading.Lock()


def _ancestor_id(level: str, entity: Any, wanted: str) -> str:
    if wanted == level:
        return str(entity.id)
    if wanted == "CAMPAIGN":
        return str(entity.campaign_id)
    if wanted == "AD_SET":
        return str(entity.ad_set_id)
    return str(entity.account_id)


def entities_of(data: AdsData, account: AdAccount, spec: ReportSpec) -> list[Any]:
    """Return the report's entities in a stable order (tree order), filters applied."""
    key = (
        account.id,
        spec.entity_type,
        spec.entity_ids,
        spec.entity_ids_type,
        spec.statuses,
        spec.entity_status_type,
    )
    with _cache_lock:
        cache = _entity_cache.setdefault(data, {})
        if key in cache:
            return cache[key]
    level = spec.entity_type
    items: list[Any]
    if level == "AD_ACCOUNT":
        items = [account]
    elif level == "CAMPAIGN":
        items = data.campaigns(account.id)
    elif level == "AD_SET":
        items = data.ad_sets(account.id)
    else:
        items = data.ads(account.id)
    if spec.entity_ids_type:
        ids = set(spec.entity_ids)
        items = [e for e in items if _ancestor_id(level, e, spec.entity_ids_type) in ids]
    if spec.entity_status_type:
        wanted = set(spec.statuses)
        items = [e for e in items if _status_at(data, level, e, spec.entity_status_type) in wanted]
    with _cache_lock:
        if len(cache) > 64:
            cache.clear()
        cache[key] = items
    return items


def _status_at(data: AdsData, level: str, entity: Any, wanted: str) -> str | None:
    if wanted == level:
        return str(entity.status)
    if wanted == "CAMPAIGN":
        campaign = data.campaign(entity.account_id, entity.campaign_id)
        return campaign.status if campaign else None
    ad_set = data.ad_set(entity.account_id, entity.ad_set_id)
    return ad_set.status if ad_set else None


def _buckets(data: AdsData, spec: ReportSpec) -> list[tuple[int, int]] | None:
    if spec.first_hour is None or spec.last_hour is None:
        return None  # LIFETIME over each entity's flight
    if spec.granularity == "HOUR":
        return [(h, h + 1) for h in range(spec.first_hour, spec.last_hour)]
    if spec.granularity == "DAY":
        return [(h, h + DAY_H) for h in range(spec.first_hour, spec.last_hour, DAY_H)]
    return [(spec.first_hour, spec.last_hour)]


def _vector(
    data: AdsData, level: str, entity: Any, bucket: tuple[int, int] | None
) -> tuple[Vector, int, tuple[int, int] | None]:
    """Return counts, delivered hours and the delivered span of an entity in a bucket."""
    span = data.flight_hours(level, entity)
    if bucket is None:
        if span is None:
            return ZERO, 1, None
        vector = data.range_vector(level, entity, span[0] // DAY_H, (span[1] - 1) // DAY_H)
        return vector, span[1] - span[0], span
    first, last = bucket
    hours = 1 if span is None else max(1, min(last, span[1]) - max(first, span[0]))
    if span is None or span[1] <= first or span[0] >= last:
        return ZERO, hours, span
    if last - first == 1:
        return data.hour_vector(level, entity, first), 1, span
    if last - first == DAY_H:
        return data.day_vector(level, entity, first // DAY_H), hours, span
    return data.range_vector(level, entity, first // DAY_H, last // DAY_H - 1), hours, span


def _status(value: str) -> str | None:
    return value if value in REPORT_STATUSES else None


def _parent(data: AdsData, account: AdAccount, level: str, entity: Any) -> dict[str, Any] | None:
    if level == "AD":
        parent: Any = data.ad_set(account.id, entity.ad_set_id)
    elif level == "AD_SET":
        parent = data.campaign(account.id, entity.campaign_id)
    elif level == "CAMPAIGN":
        parent = account
    else:
        return None
    body = {"id": parent.id, "name": parent.name}
    status = _status(parent.status)
    if status:
        body["status"] = status
    return body


def report_row(
    data: AdsData,
    account: AdAccount,
    spec: ReportSpec,
    entity: Any,
    bucket: tuple[int, int] | None,
) -> dict[str, Any]:
    """Build one ``AggregateReportRow`` (B5, B7)."""
    level = spec.entity_type
    vector, hours, span = _vector(data, level, entity, bucket)
    row: dict[str, Any] = {"entity_type": level, "entity_id": entity.id, "entity_name": entity.name}
    status = _status(entity.status)
    if status:
        row["entity_status"] = status
    if spec.include_parent:
        parent = _parent(data, account, level, entity)
        if parent:
            row["parent_entity"] = parent
    times = bucket or span
    if times:
        row["start_time"] = iso(hour_datetime(times[0]))
        row["end_time"] = iso(hour_datetime(times[1]))
    row["stats"] = data.report_values(vector, spec.fields, level=level, hours=hours)
    return row


def run_report(
    data: AdsData,
    account: AdAccount,
    spec: ReportSpec,
    position: int,
    warnings: list[str],
    ending: str | None = None,
) -> dict[str, Any]:
    """Answer one page of an aggregate report (B5, B6).

    ``ending`` says how the walk's last page marks the end: None or ``"absent"`` leaves the
    token out (the spec's schema), ``"null"`` sends null, ``"empty"`` sends ``""`` (the
    published shapes, ``shapes.py``). The token of every earlier page carries it along.
    """
    entities = entities_of(data, account, spec)
    buckets = _buckets(data, spec)
    per_entity = len(buckets) if buckets is not None else 1
    total = len(entities) * per_entity
    rows = []
    for p in range(position, min(total, position + spec.limit)):
        entity = entities[p // per_entity]
        bucket = buckets[p % per_entity] if buckets is not None else None
        rows.append(report_row(data, account, spec, entity, bucket))
    body: dict[str, Any] = {"granularity": spec.granularity}
    if spec.first_hour is not None and spec.last_hour is not None:
        body["report_start"] = iso(hour_datetime(spec.first_hour))
        end = spec.last_hour - (1 if spec.granularity == "HOUR" else DAY_H)
        body["report_end"] = iso(hour_datetime(end))
    body["rows"] = rows
    body["warnings"] = warnings
    next_position = position + spec.limit
    if next_position < total:  # B6: absent on the last page (the spec says non-nullable)
        body["continuation_token"] = encode_token(data, spec, next_position, ending)
    elif ending == ENDING_NULL:  # B6: "If null, no more pages are available."
        body["continuation_token"] = None
    elif ending == ENDING_EMPTY:  # B6: "the continuation_token will be empty"
        body["continuation_token"] = ""
    return body


@reporting
def aggregate_report(ctx: ApiContext, ad_account_id: str) -> dict[str, Any]:
    """``GET /ad_accounts/{id}/aggregate_reports`` (B5, B6, B7)."""
    query = Query(ctx.request)
    account = account_for(ctx, ad_account_id)
    token = query.one("continuation_token")
    if token:
        spec, position, ending = decode_token(ctx.data, token, account.id)
        return run_report(ctx.data, account, spec, position, _warn_others(query), ending)
    spec = parse_report_spec(query, ctx.data, account.id)
    return run_report(ctx.data, account, spec, 0, [], ctx.shapes.next_report_ending())


# -- totals (B8) --------------------------------------------------------------------------------


def _entities_by_id(data: AdsData, account: AdAccount, level: str, ids: list[str]) -> list[Any]:
    found: list[Any]
    if level == "CAMPAIGN":
        found = [data.campaign(account.id, i) for i in ids]
    elif level == "AD_SET":
        found = [data.ad_set(account.id, i) for i in ids]
    else:
        found = [data.ad(account.id, i) for i in ids]
    missing = [i for i, e in zip(ids, found, strict=True) if e is None]
    if missing:
        raise bad_request(f"entity_ids not found in this ad account as {level}: {missing[0]}.")
    return [e for e in found if e is not None]


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
    fields = _fields(query, TOTALS_FIELDS)
    first, last = _range(query, granularity, ctx.data.now_hour())
    entities = _entities_by_id(ctx.data, account, level, ids)
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
        row["stats"] = data.report_values(
            vector, fields, level=level, hours=hours, entities=len(entities)
        )
        rows.append(row)
    return {"granularity": granularity, "rows": rows}


def _zero_stats(data: AdsData, fields: tuple[str, ...]) -> list[dict[str, Any]]:
    return data.report_values(ZERO, fields, level="AD_SET", hours=1)


# -- insights (B8) ------------------------------------------------------------------------------


@reporting
def insight_report(ctx: ApiContext, ad_account_id: str) -> dict[str, Any]:
    """``GET /ad_accounts/{id}/insight_reports``: lifetime breakdowns, 422 when thin (B8)."""
    query = Query(ctx.request)
    account = account_for(ctx, ad_account_id)
    data = ctx.data
    dimension = query.enum("insight_dimension", tuple(INSIGHT_VALUES))
    if dimension is None:
        raise bad_request("The parameter 'insight_dimension' is required.")
    fields = _fields(query, tuple(f for f in REPORT_FIELDS if f not in NOT_FOR_INSIGHTS))
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
    entities = _entities_by_id(data, account, level, ids) if ids else data.ad_sets(account.id)
    if statuses:
        entities = [e for e in entities if _status_at(data, level, e, "AD_SET") in statuses]
    needs_listeners = bool(_LISTENER_FIELDS & set(fields)) or dimension == "GENRE"
    rows: list[dict[str, Any]] = []
    pooled: list[Vector] = []
    problem: tuple[str, str] | None = None
    for entity in entities:
        vector, hours, _ = _vector(data, level, entity, None)
        found = _thin(data, vector, level, hours, needs_listeners)
        if found:
            problem = problem or found
            continue
        values = INSIGHT_VALUES[dimension]
        rng = random.Random(f"{data.seed}:{entity.id}:{dimension}")
        parts = split_vector(vector, [rng.uniform(0.3, 1.0) for _ in values])
        for value, part in zip(values, parts, strict=True):
            pooled.append(part)
            row: dict[str, Any] = {"id": entity.id, "name": entity.name, "insight_value": value}
            status = _status(entity.status)
            if status:
                row["status"] = status
            row["stats"] = data.report_values(part, fields, level=level, hours=hours)
            rows.append(row)
    if not rows:
        code, message = problem or (
            "ILLEGAL.INSIGHT_REPORT.INSUFFICIENT_IMPRESSIONS",
            "No entity has delivered enough impressions for an insight report yet.",
        )
        raise ads_error(422, message, code=code, definition=message)
    total = add_vectors(pooled)
    summary = [{"stat": f, "value": data.value(total, f, level, 24)} for f in fields]
    return {
        "granularity": "LIFETIME",
        "entity": level,
        "insight": dimension,
        "rows": rows,
        "summary_totals": summary,
    }


def _thin(
    data: AdsData, vector: Vector, level: str, hours: int, needs_listeners: bool
) -> tuple[str, str] | None:
    impressions = data.count(vector, "IMPRESSIONS")
    if impressions < MIN_INSIGHT_IMPRESSIONS:
        return (
            "ILLEGAL.INSIGHT_REPORT.INSUFFICIENT_IMPRESSIONS",
            f"Insight reports need at least {MIN_INSIGHT_IMPRESSIONS} impressions; "
            f"this entity has {impressions}. Try again after more delivery (poll at most daily).",
        )
    if data.value(vector, "REACH", level, hours) < MIN_INSIGHT_REACH:
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


# -- async CSV reports (B8) ------------------------------------------------------------------------

ASYNC_DIMENSIONS = (
    "AD_ACCOUNT_NAME",
    "AD_ACCOUNT_CURRENCY",
    "CAMPAIGN_NAME",
    "CAMPAIGN_STATUS",
    "CAMPAIGN_OBJECTIVE",
    "AD_SET_NAME",
    "AD_SET_STATUS",
    "AD_SET_BUDGET",
    "AD_SET_COST_MODEL",
    "AD_NAME",
)
# Async metric -> the report field it is computed as.
ASYNC_METRICS: dict[str, str] = {
    "AD_COMPLETES": "COMPLETES",
    "AVG_STREAMS_PER_LISTENER": "STREAMS_PER_USER",
    "AVG_STREAMS_PER_NEW_LISTENER": "STREAMS_PER_NEW_LISTENER",
    "CLICKS": "CLICKS",
    "COMPLETION_RATE": "COMPLETION_RATE",
    "CPCL": "E_CPCL",
    "CPM": "CPM",
    "CTR": "CTR",
    "FREQUENCY": "FREQUENCY",
    "FREQUENCY_OF_AD_COMPLETES": "PAID_LISTENS_FREQUENCY",
    "IMPRESSIONS_OFF_SPOTIFY": "OFF_SPOTIFY_IMPRESSIONS",
    "IMPRESSIONS_ON_SPOTIFY": "IMPRESSIONS",
    "INTENT_RATE": "INTENT_RATE",
    "LISTENERS": "LISTENERS",
    "LISTENER_CONVERSION_RATE": "CONVERSION_RATE",
    "NEW_LISTENERS": "NEW_LISTENERS",
    "NEW_LISTENER_CONVERSION_RATE": "NEW_LISTENER_CONVERSION_RATE",
    "PLAYED_TO_100": "COMPLETES",
    "PLAYED_TO_25": "FIRST_QUARTILES",
    "PLAYED_TO_50": "MIDPOINTS",
    "PLAYED_TO_75": "THIRD_QUARTILES",
    "REACH": "REACH",
    "REACH_OF_AD_COMPLETES": "PAID_LISTENS_REACH",
    "SPEND": "SPEND",
    "STARTS": "STARTS",
    "STREAMS": "STREAMS",
    "UNMUTES": "UNMUTES",
    "VIDEO_VIEWS": "VIDEO_VIEWS",
    "VIDEO_EXPANDS": "VIDEO_EXPANDS",
    "VIDEO_EXPAND_RATE": "VIDEO_EXPAND_RATE",
    "SKAD_APP_INSTALLS": "CUSTOM_EVENT_4",
    "KOCHAVA_APP_INSTALLS": "CUSTOM_EVENT_5",
    "APPSFLYER_APP_INSTALLS": "CUSTOM_EVENT_5",
    **{
        f"{prefix}{name}": name
        for prefix in ("", "MODELED_", "UNMODELED_")
        for name in ("ADD_TO_CART", "LEADS", "PAGE_VIEWS", "PURCHASES")
    },
    **{
        name: name
        for name in (
            "REVENUE",
            "AVERAGE_ORDER_VALUE",
            "RETURN_ON_AD_SPEND",
            "CUSTOMER_ACQUISITION_COST",
            "COST_PER_LEAD",
            "START_CHECKOUT",
            "PRODUCTS",
            "SIGN_UPS",
            "CUSTOM_EVENT_1",
            "CUSTOM_EVENT_2",
            "CUSTOM_EVENT_3",
            "CUSTOM_EVENT_4",
            "CUSTOM_EVENT_5",
        )
    },
}
ASYNC_STATUSES = ("ACTIVE", "COMPLETED", "STOPPED", "PAUSED", "PENDING_APPROVAL", "REJECTED")
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-")
_async_lock = threading.Lock()


@dataclass(frozen=True)
class AsyncReport:
    """A submitted CSV report; its status follows the sandbox clock (B8)."""

    id: str
    account_id: str
    name: str
    granularity: str
    dimensions: tuple[str, ...]
    metrics: tuple[str, ...]
    statuses: tuple[str, ...]
    campaign_ids: tuple[str, ...]
    first_hour: int | None
    last_hour: int | None
    submitted_at: float
    rows: int


def _list_of(
    body: dict[str, Any], name: str, allowed: tuple[str, ...], required: bool
) -> list[str]:
    value = body.get(name)
    if value is None:
        if required:
            raise bad_request(f"'{name}' is required.")
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad_request(f"'{name}' must be an array of strings.")
    wrong = [v for v in value if v not in allowed]
    if wrong:
        raise bad_request(f"Invalid value '{wrong[0][:60]}' in '{name}'.")
    if required and not value:
        raise bad_request(f"'{name}' must not be empty.")
    return list(dict.fromkeys(value))


def _async_range(body: dict[str, Any], granularity: str) -> tuple[int | None, int | None]:
    start, end = body.get("report_start"), body.get("report_end")
    for name, value in (("report_start", start), ("report_end", end)):
        if value is not None and not isinstance(value, str):
            raise bad_request(f"'{name}' must be a date-time string.")
    if granularity == "DAY" and not (start and end):
        raise bad_request("report_start and report_end are required for DAY reports.")
    if not start:
        return None, None
    first = _hour_of(parse_time(start, "report_start")) // DAY_H * DAY_H
    end_dt = parse_time(end, "report_end") if end else None
    if granularity == "DAY":
        for name, dt in (
            ("report_start", parse_time(start, "report_start")),
            ("report_end", end_dt),
        ):
            if dt and (dt.hour or dt.minute or dt.second):
                raise bad_request(f"'{name}' of a DAY report must be a UTC midnight.")
    last = (_hour_of(end_dt) // DAY_H + 1) * DAY_H if end_dt else first + DAY_H
    if last <= first:
        raise bad_request("report_end must not be before report_start.")
    if (last - first) // DAY_H - 1 > 365:
        raise bad_request("report_start and report_end must be at most 365 days apart.")
    return first, last


@reporting
def create_async_report(ctx: ApiContext, ad_account_id: str) -> Response:
    """``POST /ad_accounts/{id}/async_reports``: 201 ``{"id"}`` (B8)."""
    account = account_for(ctx, ad_account_id)
    try:
        body = json.loads(ctx.request.get_data(cache=True) or b"null")
    except (ValueError, UnicodeDecodeError):
        raise bad_request("The request body must be JSON.") from None
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object (CreateAsyncReportRequest).")
    name = body.get("name")
    if not isinstance(name, str) or not 2 <= len(name) <= 120 or set(name) - _NAME_CHARS:
        raise bad_request(
            "'name' is required: 2 to 120 characters, letters, digits, spaces, '_' and '-'."
        )
    granularity = body.get("granularity", "LIFETIME")
    if granularity not in ("DAY", "LIFETIME"):
        raise bad_request("'granularity' must be DAY or LIFETIME.")
    dimensions = _list_of(body, "dimensions", ASYNC_DIMENSIONS, True)
    metrics = _list_of(body, "metrics", tuple(ASYNC_METRICS), True)
    statuses = _list_of(body, "statuses", ASYNC_STATUSES, False) or ["ACTIVE"]
    raw_ids = body.get("campaign_ids") or []
    if not isinstance(raw_ids, list) or not all(isinstance(i, str) for i in raw_ids):
        raise bad_request("'campaign_ids' must be an array of UUIDs.")
    campaign_ids = [check_uuid(i, "campaign_ids") for i in raw_ids]
    first, last = _async_range(body, granularity)
    report = AsyncReport(
        id=str(uuid.uuid4()),
        account_id=account.id,
        name=name,
        granularity=granularity,
        dimensions=tuple(dimensions),
        metrics=tuple(metrics),
        statuses=tuple(statuses),
        campaign_ids=tuple(campaign_ids),
        first_hour=first,
        last_hour=last,
        submitted_at=ctx.clock.now(),
        rows=0,
    )
    entities, days = _async_entities(ctx.data, account, report)
    report = AsyncReport(**{**asdict(report), "rows": len(entities) * max(1, len(days))})
    with _async_lock:
        ctx.async_reports[report.id] = report
    return json_response({"id": report.id}, status=201)


def _async_report(ctx: ApiContext, ad_account_id: str, report_id: str) -> AsyncReport:
    account = account_for(ctx, ad_account_id)
    report_id = check_uuid(report_id, "report_id")
    with _async_lock:
        report = ctx.async_reports.get(report_id)
    if not isinstance(report, AsyncReport) or report.account_id != account.id:
        raise ads_error(404, f"Report {report_id} not found.", code="NOT_FOUND")
    return report


def _async_status(ctx: ApiContext, report: AsyncReport) -> str:
    age = ctx.clock.now() - report.submitted_at
    if age < ASYNC_PROCESSING_S:
        return "PROCESSING"
    if report.rows > ASYNC_MAX_ROWS:
        return "FAILED"
    if age >= ASYNC_PROCESSING_S + ASYNC_EXPIRY_S:
        return "EXPIRED"
    return "READY"


@reporting
def get_async_report(ctx: ApiContext, ad_account_id: str, report_id: str) -> dict[str, Any]:
    """``GET /ad_accounts/{id}/async_reports/{report_id}``: PROCESSING, READY, EXPIRED (B8)."""
    Query(ctx.request)
    report = _async_report(ctx, ad_account_id, report_id)
    status = _async_status(ctx, report)
    body: dict[str, Any] = {
        "status": status,
        "submitted_at": iso(datetime.fromtimestamp(report.submitted_at, tz=UTC)),
    }
    if status != "PROCESSING":
        done = report.submitted_at + ASYNC_PROCESSING_S
        body["completed_at"] = iso(datetime.fromtimestamp(done, tz=UTC))
    if status == "READY":
        base = ctx.request.host_url.rstrip("/")
        body["report_url"] = (
            f"{base}{V3}/ad_accounts/{report.account_id}/async_reports/{report.id}/report.csv"
        )
    return body


def _async_entities(
    data: AdsData, account: AdAccount, report: AsyncReport
) -> tuple[list[Any], list[tuple[int, int] | None]]:
    dims = set(report.dimensions)
    items: list[Any]
    if "AD_NAME" in dims:
        level, items = "AD", data.ads(account.id)
    elif dims & {"AD_SET_NAME", "AD_SET_STATUS", "AD_SET_BUDGET", "AD_SET_COST_MODEL"}:
        level, items = "AD_SET", data.ad_sets(account.id)
    elif dims & {"CAMPAIGN_NAME", "CAMPAIGN_STATUS", "CAMPAIGN_OBJECTIVE"}:
        level, items = "CAMPAIGN", data.campaigns(account.id)
    else:
        level, items = "AD_ACCOUNT", [account]
    if level != "AD_ACCOUNT":
        if report.campaign_ids:
            wanted = set(report.campaign_ids)
            items = [e for e in items if _ancestor_id(level, e, "CAMPAIGN") in wanted]
        statuses = set(report.statuses)
        items = [e for e in items if e.status in statuses]
    days: list[tuple[int, int] | None]
    if report.first_hour is None or report.last_hour is None:
        days = [None]
    elif report.granularity == "DAY":
        days = [(h, h + DAY_H) for h in range(report.first_hour, report.last_hour, DAY_H)]
    else:
        days = [(report.first_hour, report.last_hour)]
    return [(level, e) for e in items], days


def _cell(data: AdsData, vector: Vector, metric: str, level: str, hours: int) -> Any:
    name = ASYNC_METRICS[metric]
    if name == "CPM":
        impressions = data.count(vector, "IMPRESSIONS")
        spend = data.value(vector, "SPEND", level, hours)
        return round(spend / impressions * 1000, 4) if impressions else 0.0
    return data.value(vector, name, level, hours)


@reporting
def download_async_report(ctx: ApiContext, ad_account_id: str, report_id: str) -> Response:
    """Serve a READY async report's CSV (the sandbox's stand-in for the storage URL, B8)."""
    report = _async_report(ctx, ad_account_id, report_id)
    if _async_status(ctx, report) != "READY":
        raise ads_error(404, "The report is not ready or has expired.", code="NOT_FOUND")
    account = account_for(ctx, ad_account_id)
    data = ctx.data
    entities, buckets = _async_entities(data, account, report)
    out = io.StringIO()
    writer = csv.writer(out)
    dims = [d for d in ASYNC_DIMENSIONS if d in report.dimensions]
    writer.writerow([*dims, "START_TIME", "END_TIME", *report.metrics])
    for level, entity in entities:
        cells = [_dimension(data, account, level, entity, d) for d in dims]
        for bucket in buckets:
            vector, hours, span = _vector(data, level, entity, bucket)
            times = bucket or span
            start = iso(hour_datetime(times[0])) if times else ""
            end = iso(hour_datetime(times[1])) if times else ""
            metrics = [_cell(data, vector, m, level, hours) for m in report.metrics]
            writer.writerow([*cells, start, end, *metrics])
    headers = {"Content-Disposition": f'attachment; filename="{report.name}.csv"'}
    return Response(out.getvalue(), mimetype="text/csv", headers=headers)


def _dimension(data: AdsData, account: AdAccount, level: str, entity: Any, name: str) -> Any:
    if name.startswith("AD_ACCOUNT"):
        return account.name if name == "AD_ACCOUNT_NAME" else account.currency_code
    if name.startswith("CAMPAIGN"):
        if level == "AD_ACCOUNT":
            return ""
        campaign = entity if level == "CAMPAIGN" else data.campaign(account.id, entity.campaign_id)
        if campaign is None:
            return ""
        return {"CAMPAIGN_NAME": campaign.name, "CAMPAIGN_STATUS": campaign.status}.get(
            name, campaign.objective
        )
    if name.startswith("AD_SET"):
        if level not in ("AD_SET", "AD"):
            return ""
        ad_set = entity if level == "AD_SET" else data.ad_set(account.id, entity.ad_set_id)
        if ad_set is None:
            return ""
        return {
            "AD_SET_NAME": ad_set.name,
            "AD_SET_STATUS": ad_set.status,
            "AD_SET_BUDGET": ad_set.budget_micros / 1_000_000,
        }.get(name, ad_set.cost_model)
    return entity.name if level == "AD" else ""


_PREFIX = f"{V3}/ad_accounts/<ad_account_id>"
RULES: list[Rule] = [
    Rule(f"{_PREFIX}/aggregate_reports", endpoint=aggregate_report, methods=["GET"]),
    Rule(f"{_PREFIX}/aggregate_reports/totals", endpoint=aggregate_totals, methods=["GET"]),
    Rule(f"{_PREFIX}/insight_reports", endpoint=insight_report, methods=["GET"]),
    Rule(f"{_PREFIX}/async_reports", endpoint=create_async_report, methods=["POST"]),
    Rule(f"{_PREFIX}/async_reports/<report_id>", endpoint=get_async_report, methods=["GET"]),
    Rule(
        f"{_PREFIX}/async_reports/<report_id>/report.csv",
        endpoint=download_async_report,
        methods=["GET"],
    ),
]
"""The reporting routes (B5-B8), all in the reporting rate-limit bucket (B11)."""
