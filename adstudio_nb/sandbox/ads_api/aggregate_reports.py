"""The Ads API's aggregate reports (B5-B7): ``GET /ad_accounts/{id}/aggregate_reports``.

Owns validating an aggregate report request into a :class:`ReportSpec`, the stateless
continuation tokens that carry it from page to page (B6), and the rows: one entity per time
bucket, zero rows included (B5), with the privacy sentinel and currency units of the data set
(B7). The handler is marked ``@reporting`` (B11 bucket). Never invents a number: values come
from ``AdsData``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import weakref
from dataclasses import asdict, dataclass
from typing import Any

from werkzeug.routing import Rule

from ..context import ApiContext, reporting
from ..data import DAY_H, ENTITY_LEVELS, AdAccount, AdsData, hour_datetime, iso
from ..shapes import ENDING_EMPTY, ENDING_NULL, REPORT_ENDINGS
from .query import ACCOUNT_PREFIX, Query, account_for, bad_request
from .report_common import (
    GRANULARITIES,
    MAX_ENTITY_IDS,
    REPORT_STATUSES,
    ancestor_id,
    entity_vector,
    report_fields,
    report_range,
    report_status,
    status_at,
)


def _warn_others(query: Query) -> list[str]:
    others = [n for n in query.names() if n != "continuation_token"]
    if not others:
        return []
    # B6: a follow-up call sends only the token; anything else is ignored, and said so.
    return [
        "Parameters other than continuation_token are ignored when a continuation_token is "
        f"supplied: {', '.join(others)}."
    ]


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


def parse_report_spec(query: Query, data: AdsData, account_id: str) -> ReportSpec:
    """Validate an aggregate report request (B5) and return its spec."""
    entity_type = query.enum("entity_type", ENTITY_LEVELS)
    if entity_type is None:
        raise bad_request("The parameter 'entity_type' is required without a continuation_token.")
    fields = report_fields(query)
    granularity = query.enum("granularity", GRANULARITIES, "LIFETIME") or "LIFETIME"
    first, last = report_range(query, granularity, data.now_hour())
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
    include_parent = query.boolean("include_parent_entity", False)
    if include_parent and entity_type in ("AD_ACCOUNT", "CAMPAIGN"):
        # spec: "not valid for AD_ACCOUNT and CAMPAIGN entity_type requests, as they are
        # already considered top-level types".
        raise bad_request(
            f"include_parent_entity is not valid for {entity_type} reports: they are top-level "
            "types. Use it with AD_SET or AD."
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
        include_parent=include_parent,
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
        items = [e for e in items if ancestor_id(level, e, spec.entity_ids_type) in ids]
    if spec.entity_status_type:
        wanted = set(spec.statuses)
        items = [e for e in items if status_at(data, level, e, spec.entity_status_type) in wanted]
    with _cache_lock:
        if len(cache) > 64:
            cache.clear()
        cache[key] = items
    return items


def _buckets(data: AdsData, spec: ReportSpec) -> list[tuple[int, int]] | None:
    if spec.first_hour is None or spec.last_hour is None:
        return None  # LIFETIME over each entity's flight
    if spec.granularity == "HOUR":
        return [(h, h + 1) for h in range(spec.first_hour, spec.last_hour)]
    if spec.granularity == "DAY":
        return [(h, h + DAY_H) for h in range(spec.first_hour, spec.last_hour, DAY_H)]
    return [(spec.first_hour, spec.last_hour)]


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
    status = report_status(parent.status)
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
    vector, hours, span = entity_vector(data, level, entity, bucket)
    row: dict[str, Any] = {"entity_type": level, "entity_id": entity.id, "entity_name": entity.name}
    status = report_status(entity.status)
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
    reach = data.reach_of(level, entity, bucket, spec.fields)  # B5: deduplicated per level
    row["stats"] = data.report_values(vector, spec.fields, level=level, hours=hours, reach=reach)
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


ROUTES: list[Rule] = [
    Rule(f"{ACCOUNT_PREFIX}/aggregate_reports", endpoint=aggregate_report, methods=["GET"]),
]
"""The aggregate report route (B5-B7), in the reporting rate-limit bucket (B11)."""
