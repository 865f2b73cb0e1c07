"""Paging logic of the Ads API: offset pages, continuation tokens, and splitting big reports.

This module owns the pure parts of paging. :func:`walk_offset_listings` is the one pager of
offset-paged listings (B3), one or many side by side: a listing ends only on a short or empty
page, ``paging.total_results`` is a hint that lets the pages after the first be fetched
ahead concurrently (never the truth: Spotify's own samples carry all zeros), items are
deduplicated by id, and every walk has caps (:class:`PagingLimits`) past which it raises
:class:`~adstudio_nb.exceptions.IncompleteListing` with what did arrive.
:func:`iter_continuation_pages` follows continuation tokens (B6, sending only the token)
until one is null, ``""`` or absent, refusing any token seen before in the walk.
:func:`ordered_map` is an order-keeping bounded concurrent map, :func:`parse_json` and
:func:`items_of` read a page, and :func:`plan_report_parts` cuts a large aggregate report
(B5) into independent parts: entity ids in batches of at most 50 and time windows Spotify
accepts (90 days for DAY, 14 days for HOUR), further cut so parts can run side by side.

It never does HTTP itself (callers pass ``fetch`` functions; ``client`` does the requests,
``endpoints`` says which) and never imports ``requests`` or pandas.

Example:
    >>> pages = {0: {"items": [1, 2], "paging": {"total_results": 5}},
    ...          2: {"items": [3, 4]}, 4: {"items": [5]}}
    >>> walk_offset_listings([OffsetListing(pages.__getitem__, "items")], page_size=2)
    [[1, 2, 3, 4, 5]]
"""

from __future__ import annotations

import json
import logging
import math
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import orjson

from .exceptions import IncompleteListing, IncompleteReport, InvalidArgument, MalformedPayload

__all__ = [
    "MAX_DAY_WINDOW_DAYS",
    "MAX_ENTITY_IDS",
    "MAX_HOUR_WINDOW_HOURS",
    "OffsetListing",
    "PagingLimits",
    "ReportPart",
    "dedupe_by_id",
    "items_of",
    "iter_continuation_pages",
    "ordered_map",
    "parse_json",
    "parse_utc",
    "plan_report_parts",
    "utc_text",
    "walk_offset_listings",
]

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

MAX_ENTITY_IDS = 50  # B5: entity_ids takes at most 50 ids
MAX_DAY_WINDOW_DAYS = 90  # B5: DAY ranges at most 90 days (counted inclusively, to be safe)
MAX_HOUR_WINDOW_HOURS = 14 * 24  # B5: HOUR only for the last 14 days
_POLL_S = 0.2  # how often a waiting walk looks at its deadline (and lets Ctrl-C in)


@dataclass(frozen=True)
class PagingLimits:
    """Caps on one listing or report walk, far above any real account.

    A walk past a cap stops with :class:`~adstudio_nb.exceptions.IncompleteListing` (or
    ``IncompleteReport``) carrying what arrived, instead of paging without end through a
    server that never says "last page".

    Attributes:
        max_items: items (listings) or rows (reports) of one walk.
        max_pages: pages (requests that succeeded) of one walk.
        max_seconds: wall-clock seconds of one call, all its walks together.
    """

    max_items: int = 100_000
    max_pages: int = 5_000
    max_seconds: float = 30 * 60.0

    def __post_init__(self) -> None:
        if self.max_items < 1 or self.max_pages < 1 or not self.max_seconds > 0:
            raise InvalidArgument("PagingLimits need max_items, max_pages and max_seconds above 0.")


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


def parse_json(content: bytes | str) -> Any:
    """Return a JSON document parsed with orjson, falling back to ``json`` where orjson refuses.

    orjson is several times faster on Ads API pages; the few documents it refuses and the
    standard library reads (a byte order mark, ``NaN``, numbers beyond a double) still load
    as before. A document neither reads raises ``ValueError`` (``json.JSONDecodeError``).
    """
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return json.loads(content)


def items_of(page: Any, key: str) -> list[Any]:
    """Return ``page[key]`` as a list (absent: empty); anything else is ``MalformedPayload``."""
    if not isinstance(page, dict):
        raise MalformedPayload(
            f"The Ads API answered with {type(page).__name__} where a JSON object with "
            f"'{key}' was expected. Try again; if it persists, quote the request to support."
        )
    items = page.get(key)
    if items is None:
        return []
    if not isinstance(items, list):
        raise MalformedPayload(f"The Ads API's '{key}' is {type(items).__name__}, not a list.")
    return items


def dedupe_by_id(items: Iterable[Any]) -> list[Any]:
    """Return ``items`` in order without repeats of an id seen before (B3).

    An object can shift across pages while a listing is paged (B3): it then arrives twice.
    Only text ids count: an item without one (or with an odd one) is always kept.
    """
    seen: set[str] = set()
    out = []
    for item in items:
        key = item.get("id") if isinstance(item, dict) else None
        if isinstance(key, str):
            if key in seen:
                continue
            seen.add(key)
        out.append(item)
    return out


@dataclass
class OffsetListing:
    """One offset-paged listing for :func:`walk_offset_listings` (B3).

    Attributes:
        fetch: returns the page at an offset (the caller sends ``limit`` and ``offset``).
        items_key: the key of the items in a page (``campaigns``).
        what: the listing in words, for messages (``campaigns of ad account 1f0c...``).
    """

    fetch: Callable[[int], Any]
    items_key: str
    what: str = "the listing"


@dataclass
class _Walk:
    """The state of one listing's walk."""

    listing: OffsetListing
    index: int
    step: int = 0  # the server's page size, known from the first page
    plan_end: int = 0  # offsets below it are fetched ahead (from the total hint)
    next_offset: int = 0  # the next offset not yet sent
    end: int | None = None  # the offset of the first short page: the walk's last page
    pages: dict[int, list[Any]] = field(default_factory=dict)
    contiguous: int = 0  # pages from offset 0 on that arrived without a gap
    contiguous_items: int = 0
    seen_ids: set[str] = field(default_factory=set)
    in_flight: int = 0

    @property
    def done(self) -> bool:
        return self.end is not None and self.contiguous * self.step > self.end

    def prefix(self) -> list[Any]:
        """Return the items of the pages from offset 0 on without a gap (what surely arrived)."""
        if not self.step:
            return []
        out: list[Any] = []
        for n in range(self.contiguous):
            out.extend(self.pages[n * self.step])
        return dedupe_by_id(out)


def _page_total(page: Any) -> int | None:
    paging = page.get("paging") if isinstance(page, dict) else None
    total = paging.get("total_results") if isinstance(paging, Mapping) else None
    return total if isinstance(total, int) and not isinstance(total, bool) else None


def walk_offset_listings(
    listings: Sequence[OffsetListing],
    *,
    page_size: int = 50,
    executor: Executor | None = None,
    max_in_flight: int = 1,
    limits: PagingLimits | None = None,
    clock: Callable[[], float] = time.monotonic,
    cancel: threading.Event | None = None,
    on_page: Callable[[int], None] | None = None,
    on_listing: Callable[[int, list[Any]], None] | None = None,
) -> list[list[Any]]:
    """Walk offset-paged listings to their ends; return each one's items, deduplicated (B3).

    A listing ends on its first short (or empty) page, never on ``paging.total_results``:
    Spotify's samples carry zeros there, and objects added while paging make any total a
    snapshot. The total is a hint only: the offsets it promises are fetched ahead, side by
    side with the other listings' pages, at most ``max_in_flight`` at a time; past the
    hint a listing goes on one page at a time while its pages are full. A hint larger than
    what arrives costs at most ``max_in_flight`` spare requests.

    A server that caps pages below ``page_size`` pages by its own size (the first page's);
    one that answers more than ``page_size`` items does not page at all, so its first page
    is the whole listing.

    Args:
        listings: the listings to walk.
        page_size: the ``limit`` the fetch functions send.
        executor: runs the fetches concurrently; None fetches one page at a time here.
        max_in_flight: pages requested and not yet handled, over all listings.
        limits: the caps of each walk (:class:`PagingLimits`).
        clock: monotonic seconds, for ``limits.max_seconds``.
        cancel: set by the caller (or set here on any error or interrupt): no fetch starts
            once it is set, and the fetches already queued are cancelled.
        on_page: called with the number of items of each page as it is handled.
        on_listing: called with a listing's index and its items (what the walk returns for
            it) as soon as that listing is complete, in the caller's thread, while the other
            listings may still be paging: a caller can shape each one as it arrives instead
            of all at the end. An error it raises stops the walk and is raised.

    Returns:
        One list per listing, in the listings' order, items in offset order.

    Raises:
        IncompleteListing: a cap was reached, or a server repeated a whole page; it carries
            the items that arrived (``items``) and how many pages (``pages``).
        MalformedPayload: a page that is not an object with a list of items.
    """
    limits = limits or PagingLimits()
    cancel = cancel or threading.Event()
    deadline = clock() + limits.max_seconds
    walks = [_Walk(listing, i) for i, listing in enumerate(listings)]
    results: queue.SimpleQueue[tuple[_Walk, int, Any, BaseException | None]] = queue.SimpleQueue()
    futures: dict[tuple[int, int], Future[None]] = {}
    window = max(1, max_in_flight)
    ready: deque[tuple[_Walk, int]] = deque()  # requests waiting for room in the window
    in_flight = 0
    finished: dict[int, list[Any]] = {}  # the items of each complete listing, by index

    def run(walk: _Walk, offset: int) -> None:
        if cancel.is_set():
            results.put((walk, offset, None, _Cancelled()))
            return
        try:
            page = walk.listing.fetch(offset)
        except BaseException as exc:  # handed to the caller's thread, raised there
            results.put((walk, offset, None, exc))
        else:
            results.put((walk, offset, page, None))

    def send() -> None:
        nonlocal in_flight
        while ready and in_flight < window:
            walk, offset = ready.popleft()
            if walk.end is not None and offset > walk.end:
                walk.in_flight -= 1  # queued ahead, now known to lie past the end
                continue
            in_flight += 1
            if executor is None:
                run(walk, offset)
            else:
                futures[(walk.index, offset)] = executor.submit(run, walk, offset)

    def plan(walk: _Walk) -> None:
        """Queue the offsets this walk may fetch now (``walk.in_flight`` counts queued ones)."""
        while walk.end is None and walk.step:
            offset = walk.next_offset
            if offset // walk.step >= limits.max_pages or offset >= limits.max_items + walk.step:
                return  # the cap check in handle() raises once the pages before it are in
            # Past the hint: one page at a time, once every page before it arrived full.
            if offset >= walk.plan_end and (walk.in_flight or walk.contiguous * walk.step < offset):
                return
            ready.append((walk, offset))
            walk.in_flight += 1
            walk.next_offset += walk.step

    def incomplete(walk: _Walk, reason: str, detail: str) -> IncompleteListing:
        items = walk.prefix()
        return IncompleteListing(
            f"Paging {walk.listing.what} stopped after {walk.contiguous} pages and "
            f"{len(items)} items: {detail} The result would be incomplete, so none is "
            "returned; the items that arrived are on this error's .items.",
            what=walk.listing.what,
            pages=walk.contiguous,
            items=items,
            reason=reason,
        )

    def handle(walk: _Walk, offset: int, page: Any) -> None:
        items = items_of(page, walk.listing.items_key)
        if on_page is not None:
            on_page(len(items))
        if offset == 0:
            total = _page_total(page)
            walk.step = page_size
            if 0 < len(items) < page_size and total is not None and total > len(items):
                # A short first page while the total says more: the server caps pages below
                # our limit, and pages consistently by its own size.
                walk.step = len(items)
            if len(items) > page_size:  # no paging by limit here: this is the whole listing
                walk.step = len(items)
                walk.end = 0
            if total is not None and total > len(items) and walk.end is None:
                # Hint: the pages up to the total, and the one after (which must be short).
                last = min(total, limits.max_items)
                walk.plan_end = (last // walk.step + 1) * walk.step
            walk.next_offset = walk.step
        if walk.end is not None and offset > walk.end:
            return  # past the end: a page fetched ahead that is not part of the listing
        if offset % walk.step:
            return  # cannot happen with our own offsets; ignore rather than mis-file
        if len(items) < walk.step and (walk.end is None or offset < walk.end):
            walk.end = offset
        walk.pages[offset] = items
        while walk.contiguous * walk.step in walk.pages:
            got = walk.pages[walk.contiguous * walk.step]
            fresh = [i for i in got if not _seen(walk.seen_ids, i)]
            if got and not fresh and len(got) >= walk.step and walk.contiguous:
                raise incomplete(
                    walk,
                    "repeated_page",
                    f"the page at offset {walk.contiguous * walk.step} repeated objects "
                    "already listed, so the server is not paging by offset.",
                )
            walk.contiguous += 1
            walk.contiguous_items += len(got)
        if walk.end is None or walk.contiguous * walk.step <= walk.end:
            if walk.contiguous_items > limits.max_items:
                raise incomplete(
                    walk, "max_items", f"it passed the cap of {limits.max_items:,} items."
                )
            if walk.contiguous >= limits.max_pages:
                raise incomplete(
                    walk, "max_pages", f"it reached the cap of {limits.max_pages:,} pages."
                )

    try:
        for walk in walks:
            ready.append((walk, 0))
            walk.in_flight += 1
        send()
        while in_flight:
            remaining = deadline - clock()
            if remaining <= 0:
                walk = next(w for w in walks if not w.done)
                raise incomplete(
                    walk,
                    "max_time",
                    f"the listings took longer than {limits.max_seconds:g} s "
                    "(PagingLimits.max_seconds).",
                )
            try:
                walk, offset, page, error = results.get(timeout=min(_POLL_S, remaining))
            except queue.Empty:
                continue
            in_flight -= 1
            walk.in_flight -= 1
            futures.pop((walk.index, offset), None)
            if error is not None:
                if walk.end is not None and offset > walk.end:
                    continue  # a page past the end failed: it does not matter
                raise error
            handle(walk, offset, page)
            if walk.done and walk.index not in finished:
                # Pages past the end are ignored from now on: these items are final.
                finished[walk.index] = walk.prefix()
                if on_listing is not None:
                    on_listing(walk.index, finished[walk.index])
            if walk.end is not None:
                hint = walk.plan_end > walk.end + walk.step
                if hint and offset == walk.end:
                    log.debug(
                        "%s: the total said more than arrived; the listing ends at %d items",
                        walk.listing.what,
                        walk.end + len(walk.pages.get(walk.end, [])),
                    )
            plan(walk)
            send()
    except BaseException:
        cancel.set()
        for future in futures.values():
            future.cancel()
        raise
    finally:
        cancel.set()  # nothing more of this walk may start, whatever happens next
    for walk in walks:
        if not walk.done:  # every page arrived but the end was not seen: a cap (checked above)
            raise incomplete(walk, "max_pages", "no short page arrived before the caps.")
    return [finished[w.index] for w in walks]


def _seen(seen: set[str], item: Any) -> bool:
    key = item.get("id") if isinstance(item, dict) else None
    if not isinstance(key, str):
        return False
    if key in seen:
        return True
    seen.add(key)
    return False


class _Cancelled(Exception):
    """Internal: a fetch skipped because its walk was cancelled."""


def iter_continuation_pages(
    fetch: Callable[[dict[str, Any]], Any],
    params: dict[str, Any],
    *,
    what: str = "the report",
    limits: PagingLimits | None = None,
    clock: Callable[[], float] = time.monotonic,
    deadline: float | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield report pages by following ``continuation_token`` to the end (B6).

    The walk ends on a token that is null, ``""`` or absent. The follow-up requests send only
    the token: Spotify ignores other parameters then and answers with a warning (B6).

    Args:
        fetch: returns the page for some query parameters.
        params: the first request's parameters.
        what: the report in words, for messages.
        limits: caps on pages and rows (:class:`PagingLimits`).
        clock: monotonic seconds, for the deadline.
        deadline: a ``clock`` time after which the walk stops (default: ``max_seconds`` on).

    Raises:
        IncompleteReport: a token seen before in this walk (any earlier one), or a cap; it
            carries the rows that arrived.
        MalformedPayload: a page that is not an object with ``rows``, or a token not text.
    """
    limits = limits or PagingLimits()
    if deadline is None:
        deadline = clock() + limits.max_seconds
    rows: list[Any] = []
    seen: set[str] = set()
    pages = 0

    def stop(reason: str, detail: str) -> IncompleteReport:
        return IncompleteReport(
            f"Paging {what} stopped after {pages} pages and {len(rows)} rows: {detail} The "
            "report would be incomplete; the rows that arrived are on this error's .items. "
            "Try the report again.",
            what=what,
            pages=pages,
            items=rows,
            reason=reason,
        )

    page = fetch(params)
    while True:
        rows.extend(items_of(page, "rows"))  # B5: a page is an object with rows
        pages += 1
        yield page
        token = page.get("continuation_token")
        if token is None or token == "":
            return
        if not isinstance(token, str):
            raise MalformedPayload(
                f"The Ads API's continuation_token is {type(token).__name__}, not text, so "
                f"{what} cannot be followed. Try again; if it persists, report it to support."
            )
        if token in seen:
            raise stop(
                "repeated_token",
                "the server sent a continuation token it had sent before, which would loop "
                "without end.",
            )
        seen.add(token)
        if pages >= limits.max_pages:
            raise stop("max_pages", f"it reached the cap of {limits.max_pages:,} pages.")
        if len(rows) > limits.max_items:
            raise stop("max_items", f"it passed the cap of {limits.max_items:,} rows.")
        if clock() >= deadline:
            raise stop(
                "max_time",
                f"it took longer than {limits.max_seconds:g} s (PagingLimits.max_seconds).",
            )
        page = fetch({"continuation_token": token})


# -- splitting reports (B5) ---------------------------------------------------------------------


def parse_utc(value: str | date | datetime | None) -> datetime | None:
    """Return ``value`` as an aware UTC datetime (a date is its midnight; naive means UTC).

    Accepts ISO 8601 strings with ``Z`` or an offset, dates, datetimes and pandas Timestamps.

    Raises:
        InvalidArgument: anything else, or a string that is not an ISO 8601 date or time.
    """
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            dt = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
        except ValueError:
            raise InvalidArgument(
                f"{value!r} is not a date or time the Ads API can use: write it in ISO 8601, "
                "such as '2026-05-01' or '2026-05-01T13:00:00Z' (UTC), or pass a date."
            ) from None
    elif isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime(value.year, value.month, value.day)
    else:
        raise InvalidArgument(
            f"{value!r} ({type(value).__name__}) is not a date: pass a date, a datetime or "
            "text in ISO 8601, such as '2026-05-01'."
        )
    if hasattr(dt, "to_pydatetime"):
        dt = dt.to_pydatetime()
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_text(value: str | date | datetime) -> str:
    """Return ``value`` as the Ads API writes times: ISO 8601 UTC with ``Z`` (B5).

    Example:
        >>> utc_text("2026-01-02T03:00:00+01:00"), utc_text(date(2026, 1, 2))
        ('2026-01-02T02:00:00Z', '2026-01-02T00:00:00Z')
    """
    dt = parse_utc(value)
    assert dt is not None  # only None parses to None
    return _iso(dt)


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
        InvalidArgument: a range Spotify would refuse and that cannot be cut (LIFETIME over
            90 days), an end before the start, a time that is not one, or parents asked
            for at the CAMPAIGN or AD_ACCOUNT level.
    """
    if granularity not in ("LIFETIME", "DAY", "HOUR"):
        raise InvalidArgument(f"granularity must be LIFETIME, DAY or HOUR, not {granularity!r}.")
    if include_parent_entity and entity_type in ("CAMPAIGN", "AD_ACCOUNT"):
        # spec: getAggregateReport: include_parent_entity is not valid for CAMPAIGN or
        # AD_ACCOUNT (Spotify answers 400); refuse before spending a request.
        raise InvalidArgument(
            f"A {entity_type} report has no parent entity to include: ask for parents with "
            "AD_SET or AD reports, or leave include_parent off."
        )
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
                raise InvalidArgument("The report's end is before its start: swap them.")
            if days > MAX_DAY_WINDOW_DAYS:
                raise InvalidArgument(
                    f"A LIFETIME report covers at most {MAX_DAY_WINDOW_DAYS} days; its "
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
        raise InvalidArgument("The report's end is before its start: swap them.")
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
