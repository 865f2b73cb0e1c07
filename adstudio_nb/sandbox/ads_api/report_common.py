"""What the Ads API's report families share: time ranges, fields, statuses, an entity's counts.

Owns reading ``report_start``/``report_end``/``granularity``/``fields`` exactly (400 with a B9
body and a clear message), the report status filter values, and the counts of one entity in one
time bucket (read from the data set; this module never invents a value). Used by
``aggregate_reports.py``, ``totals.py``, ``insights.py`` and ``async_reports.py``; never defines a
route and never imports a family module.

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

from datetime import UTC, datetime
from typing import Any

from ..data import (
    DAY_H,
    HOUR_S,
    REPORT_FIELDS,
    AdAccount,
    AdsData,
    Vector,
    hour_datetime,
    iso,
)
from .query import Query, bad_request

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


def hour_of(dt: datetime) -> int:
    """Return the hour index (hours since the epoch) of ``dt``."""
    return int(dt.timestamp()) // HOUR_S


def _whole_hour(dt: datetime, name: str) -> None:
    if dt.minute or dt.second or dt.microsecond:
        raise bad_request(f"'{name}' must be a whole hour (minutes and seconds 0).")


def report_range(
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
        first, last = hour_of(start), hour_of(end) + 1  # B5: the end hour is included
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
        first = hour_of(start) // DAY_H * DAY_H
        last = (hour_of(end) // DAY_H + 1) * DAY_H
        if (last - first) // DAY_H - 1 > max_days:
            raise bad_request(
                f"report_start and report_end must be at most {max_days} days apart for "
                f"{granularity} reports."
            )
    if last <= first:
        raise bad_request("report_end must not be before report_start.")
    return first, last


def report_fields(query: Query, allowed: tuple[str, ...] = REPORT_FIELDS) -> tuple[str, ...]:
    """Return the requested ``fields`` (required), each one of ``allowed`` (B5)."""
    fields = query.enums("fields", REPORT_FIELDS)
    if not fields:
        raise bad_request("The parameter 'fields' is required (one or more ReportFieldType).")
    wrong = [f for f in fields if f not in allowed]
    if wrong:
        raise bad_request(
            f"Field {wrong[0]} is not supported here. Supported: {', '.join(allowed)}."
        )
    return tuple(fields)


def ancestor_id(level: str, entity: Any, wanted: str) -> str:
    """Return the id of ``entity`` (at ``level``) or of its ancestor at level ``wanted``."""
    if wanted == level:
        return str(entity.id)
    if wanted == "CAMPAIGN":
        return str(entity.campaign_id)
    if wanted == "AD_SET":
        return str(entity.ad_set_id)
    return str(entity.account_id)


def status_at(data: AdsData, level: str, entity: Any, wanted: str) -> str | None:
    """Return the status of ``entity`` or of its ancestor at level ``wanted``."""
    if wanted == level:
        return str(entity.status)
    if wanted == "CAMPAIGN":
        campaign = data.campaign(entity.account_id, entity.campaign_id)
        return campaign.status if campaign else None
    ad_set = data.ad_set(entity.account_id, entity.ad_set_id)
    return ad_set.status if ad_set else None


def entity_vector(
    data: AdsData, level: str, entity: Any, bucket: tuple[int, int] | None
) -> tuple[Vector, int, tuple[int, int] | None]:
    """Return counts, delivered hours and the delivered span of an entity in a bucket."""
    return data.delivery.bucket(level, entity, bucket)


def report_status(value: str) -> str | None:
    """Return ``value`` when it is a report status value, else None (left out of rows)."""
    return value if value in REPORT_STATUSES else None


def entities_by_id(data: AdsData, account: AdAccount, level: str, ids: list[str]) -> list[Any]:
    """Return the entities of ``level`` with ``ids`` in the account, or raise a 400 (B8)."""
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
