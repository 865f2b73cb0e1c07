"""Paging logic of the Ads API: offset pages, continuation tokens, and splitting big reports.

This module owns the pure parts of paging: walking offset-paged listings (B3) with the pages
after the first fetched concurrently once ``paging.total_results`` is known, following
continuation tokens (B6, sending only the token), an order-keeping bounded concurrent map,
and :func:`plan_report_parts`, which cuts a large aggregate report (B5) into independent
parts: entity ids in batches of at most 50 and time windows Spotify accepts (90 days for DAY,
14 days for HOUR), further cut so parts can run side by side.

It never does HTTP itself (callers pass a ``fetch`` function; ``client`` does the requests)
and never imports pandas.

Example:
    >>> pages = {0: {"items": [1, 2], "paging": {"total_results": 5}},
    ...          2: {"items": [3, 4]}, 4: {"items": [5]}}
    >>> [i for p in iter_offset_pages(pages.__getitem__, items_key="items", page_size=2)
    ...  for i in p["items"]]
    [1, 2, 3, 4, 5]
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from .exceptions import APIError

__all__ = [
    "MAX_DAY_WINDOW_DAYS",
    "MAX_ENTITY_IDS",
    "MAX_HOUR_WINDOW_HOURS",
    "ReportPart",
    "items_of",
    "iter_continuation_pages",
    "iter_offset_pages",
    "ordered_map",
    "parse_utc",
    "plan_report_parts",
]

T = TypeVar("T")
R = TypeVar("R")

MAX_ENTITY_IDS = 50  # B5: entity_ids takes at most 50 ids
MAX_DAY_WINDOW_DAYS = 90  # B5: DAY ranges at most 90 days (counted inclusively, to be safe)
MAX_HOUR_WINDOW_HOURS = 14 * 24  # B5: HOUR only for the last 14 days


def ordered_map(
    executor: Executor,
    fn: Callable[[T], R],
    items: Iterable[T],
    *,
    max_in_flight: int,
) -> Iterator[R]:
    """Run ``fn`` over ``items`` on ``executor``; yield results in the items' order.

    At most ``max_in_flight`` calls are submitted ahead of the one being yielded, so memory
    stays bounded. On an error the calls not yet started are cancelled and the error raised.
    """
    pending: deque[Future[R]] = deque()
    try:
        for item in items:
            pending.append(executor.submit(fn, item))
            if len(pending) >= max(1, max_in_flight):
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for future in pending:
            future.cancel()


def items_of(page: Any, key: str) -> list[Any]:
    """Return ``page[key]`` as a list (absent: empty); anything else is an ``APIError``."""
    if not isinstance(page, dict):
        raise APIError(
            f"The Ads API answered with {type(page).__name__} where a JSON object with "
            f"'{key}' was expected. Try again; if it persists, quote the request to support."
        )
    items = page.get(key)
    if items is None:
        return []
    if not isinstance(items, list):
        raise APIError(f"The Ads API's '{key}' is {type(items).__name__}, not a list.")
    return items


def _serial_map(fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
    return map(fn, items)


def iter_offset_pages(
    fetch: Callable[[int], dict[str, Any]],
    *,
    items_key: str,
    page_size: int = 50,
    map_ordered: Callable[[Callable[[int], dict[str, Any]], Sequence[int]], Iterator[Any]]
    | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield every page of an offset-paged listing in order (B3).

    The first page tells ``paging.total_results``; the remaining offsets are then fetched
    through ``map_ordered`` (concurrently, in order). A page without a total (B1's
    ``ad_accounts`` has none in the spec) is followed one page at a time while pages are full.

    Args:
        fetch: returns the page at an offset.
        items_key: the key of the items (``campaigns``).
        page_size: the ``limit`` sent (1-50).
        map_ordered: an order-keeping map; serial when omitted.
    """
    mapper = map_ordered or _serial_map
    first = fetch(0)
    yield first
    items = items_of(first, items_key)
    paging = first.get("paging")
    total = paging.get("total_results") if isinstance(paging, dict) else None
    if not isinstance(total, int):
        offset, last = len(items), items
        while len(last) >= page_size:
            page = fetch(offset)
            yield page
            last = items_of(page, items_key)
            offset += len(last)
        return
    # A server that caps the page below our limit still pages consistently by its own size.
    step = len(items) if 0 < len(items) < page_size else page_size
    seen = len(items)
    if seen >= total or not items:
        return
    page = first
    for page in mapper(fetch, range(step, total, step)):
        seen += len(items_of(page, items_key))
        yield page
    # Objects added while paging (B3 totals are a snapshot): walk on until a short page.
    offset = max(total, seen)
    latest = page.get("paging")
    grown = isinstance(latest, dict) and (latest.get("total_results") or 0) > total
    while grown:
        page = fetch(offset)
        got = items_of(page, items_key)
        if not got:
            break
        yield page
        offset += len(got)
        grown = len(got) >= step


def iter_continuation_pages(
    fetch: Callable[[dict[str, Any]], dict[str, Any]], params: dict[str, Any]
) -> Iterator[dict[str, Any]]:
    """Yield report pages by following ``continuation_token`` until it is null or absent (B6).

    The follow-up requests send only the token: Spotify ignores other parameters then and
    answers with a warning (B6).
    """
    page = fetch(params)
    items_of(page, "rows")  # B5: a page is an object with rows
    yield page
    previous = None
    while True:
        token = page.get("continuation_token")
        if not token:
            return
        if not isinstance(token, str):
            raise APIError("The Ads API's continuation_token is not a string (B6).")
        if token == previous:
            raise APIError(
                "The Ads API returned the same continuation token twice; stopping to avoid an "
                "endless loop (B6). Try the report again."
            )
        previous = token
        page = fetch({"continuation_token": token})
        items_of(page, "rows")
        yield page


# -- splitting reports (B5) ---------------------------------------------------------------------


def parse_utc(value: str | date | datetime | None) -> datetime | None:
    """Return ``value`` as an aware UTC datetime (a date is its midnight; naive means UTC).

    Accepts ISO 8601 strings with ``Z`` or an offset, dates, datetimes and pandas Timestamps.
    """
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        dt = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    elif isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime(value.year, value.month, value.day)
    else:
        raise TypeError(f"expected a date, datetime or ISO string, not {type(value).__name__}")
    if hasattr(dt, "to_pydatetime"):
        dt = dt.to_pydatetime()
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class ReportPart:
    """One independent request of an aggregate report: its own id batch and time window (B5).

    Attributes:
        entity_type: ``AD``, ``AD_SET``, ``CAMPAIGN`` or ``AD_ACCOUNT``.
        fields: the metrics.
        granularity: ``LIFETIME``, ``DAY`` or ``HOUR``.
        start: ``report_start`` (ISO, UTC) or None.
        end: ``report_end`` (ISO, UTC; inclusive as Spotify reads it) or None.
        entity_ids: at most 50 ids, or None for all entities.
        entity_ids_type: the level of ``entity_ids``.
        statuses: status filter.
        entity_status_type: the level of ``statuses``.
        include_parent_entity: ask for ``parent_entity``.
    """

    entity_type: str
    fields: tuple[str, ...]
    granularity: str = "LIFETIME"
    start: str | None = None
    end: str | None = None
    entity_ids: tuple[str, ...] | None = None
    entity_ids_type: str | None = None
    statuses: tuple[str, ...] | None = None
    entity_status_type: str | None = None
    include_parent_entity: bool = False

    def params(self, limit: int = 50) -> dict[str, Any]:
        """Return the query parameters; lists go out as repeated keys (B4)."""
        params: dict[str, Any] = {
            "entity_type": self.entity_type,
            "fields": list(self.fields),
            "granularity": self.granularity,
            "limit": limit,
        }
        if self.start:
            params["report_start"] = self.start
        if self.end:
            params["report_end"] = self.end
        if self.entity_ids:
            params["entity_ids"] = list(self.entity_ids)
            params["entity_ids_type"] = self.entity_ids_type or self.entity_type
        if self.statuses:
            params["statuses"] = list(self.statuses)
            params["entity_status_type"] = self.entity_status_type or self.entity_type
        if self.include_parent_entity:
            params["include_parent_entity"] = "true"
        return params


def _windows(
    first: datetime, last: datetime, step: timedelta, per_window: int
) -> list[tuple[datetime, datetime]]:
    """Cut ``first..last`` (both bucket starts, inclusive) into windows of ``per_window``."""
    out = []
    cursor = first
    while cursor <= last:
        end = min(last, cursor + step * (per_window - 1))
        out.append((cursor, end))
        cursor = end + step
    return out


def plan_report_parts(
    *,
    entity_type: str,
    fields: Sequence[str],
    granularity: str = "LIFETIME",
    start: str | date | datetime | None = None,
    end: str | date | datetime | None = None,
    entity_ids: Sequence[str] | None = None,
    entity_ids_type: str | None = None,
    statuses: Sequence[str] | None = None,
    entity_status_type: str | None = None,
    include_parent_entity: bool = False,
    target_parts: int = 1,
    page_size: int = 50,
) -> list[ReportPart]:
    """Cut an aggregate report into parts Spotify accepts and that can run side by side (B5).

    Entity ids go in batches of at most 50. DAY and HOUR ranges are cut into windows of at
    most 90 days or 14 days, and further, evenly, until there are about ``target_parts``
    parts; with ids given, a window then holds a whole number of pages per batch where it can
    (a batch of 50 ids fills a page per day), so splitting costs no extra requests. LIFETIME
    reports are never cut in time: their values (reach, frequency) do not add up across
    windows.

    Returns:
        The parts in a stable order: id batches in the given order, windows in time order.

    Raises:
        ValueError: a range Spotify would refuse and that cannot be cut (LIFETIME over 90
            days), or an end before the start.
    """
    if granularity not in ("LIFETIME", "DAY", "HOUR"):
        raise ValueError(f"granularity must be LIFETIME, DAY or HOUR, not {granularity!r}.")
    ids = list(dict.fromkeys(entity_ids)) if entity_ids else []
    batches: list[tuple[str, ...] | None] = [
        tuple(ids[i : i + MAX_ENTITY_IDS]) for i in range(0, len(ids), MAX_ENTITY_IDS)
    ] or [None]
    first, last = parse_utc(start), parse_utc(end)
    common = {
        "entity_type": entity_type,
        "fields": tuple(fields),
        "granularity": granularity,
        "entity_ids_type": (entity_ids_type or entity_type) if ids else None,
        "statuses": tuple(statuses) if statuses else None,
        "entity_status_type": (entity_status_type or entity_type) if statuses else None,
        "include_parent_entity": include_parent_entity,
    }
    if first is None or last is None or granularity == "LIFETIME":
        if first is not None and last is not None:
            days = (last.date() - first.date()).days
            if days < 0:
                raise ValueError("The report's end is before its start.")
            if days > MAX_DAY_WINDOW_DAYS:
                raise ValueError(
                    f"A LIFETIME report covers at most {MAX_DAY_WINDOW_DAYS} days (B5); its "
                    "reach and frequency cannot be added up from shorter ones. Ask for DAY "
                    "granularity, or a shorter range."
                )
        start_s = _iso(first) if first else None
        end_s = _iso(last) if last else None
        return [ReportPart(start=start_s, end=end_s, entity_ids=b, **common) for b in batches]  # type: ignore[arg-type]
    if granularity == "DAY":
        first = first.replace(hour=0, minute=0, second=0, microsecond=0)
        last = last.replace(hour=0, minute=0, second=0, microsecond=0)
        step, max_window = timedelta(days=1), MAX_DAY_WINDOW_DAYS
    else:
        first = first.replace(minute=0, second=0, microsecond=0)
        last = last.replace(minute=0, second=0, microsecond=0)
        step, max_window = timedelta(hours=1), MAX_HOUR_WINDOW_HOURS
    if last < first:
        raise ValueError("The report's end is before its start.")
    buckets = int((last - first) / step) + 1
    wanted_windows = max(1, math.ceil(max(1, target_parts) / len(batches)))
    per_window = max(1, math.ceil(buckets / wanted_windows))
    if ids:
        # Rows per bucket = batch size; round windows up to whole pages when that still
        # leaves more than one window (no half-empty last page per window).
        batch = len(batches[0] or ())
        whole = page_size // math.gcd(batch, page_size)
        rounded = math.ceil(per_window / whole) * whole
        if rounded < buckets:
            per_window = rounded
    per_window = min(per_window, max_window)
    windows = _windows(first, last, step, per_window)
    return [
        ReportPart(start=_iso(a), end=_iso(b), entity_ids=batch, **common)  # type: ignore[arg-type]
        for batch in batches
        for a, b in windows
    ]
