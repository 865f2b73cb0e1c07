"""The Ads API's calls, as functions from an :class:`~adstudio_nb.client.AdsClient` to JSON.

This module owns what to ask Spotify's Ads API v3 for and how the answers page: account
discovery through businesses (B1), one ad account (B2), offset-paged listings of campaigns,
ad sets, ads, assets and audiences for one account or many side by side (B3), aggregate
reports split into parts and followed through their continuation tokens (B5, B6), totals and
insight reports (B8). Every listing goes through the one pager
(:func:`~adstudio_nb.paging.walk_offset_listings`) and every report through
:func:`~adstudio_nb.paging.iter_continuation_pages` and
:func:`~adstudio_nb.paging.plan_report_parts`; each function runs as one
:meth:`~adstudio_nb.client.AdsClient.call`, so an error, a Ctrl-C or ``close()`` stops all its
requests. Results are complete, or a typed error carries what arrived.

It returns parsed JSON (lists and dicts): it never imports pandas (``frames`` shapes the
JSON) and never touches HTTP itself (``client`` sends, retries and paces).

Example:
    >>> from adstudio_nb.sandbox import Sandbox
    >>> from adstudio_nb.client import AdsClient, StaticToken
    >>> from tests.helpers import access_token  # doctest: +SKIP
    >>> with Sandbox(rate_limits="off") as sb:  # doctest: +SKIP
    ...     with AdsClient(sb.api_base_url, StaticToken(access_token(sb))) as client:
    ...         account = all_ad_accounts(client)[0]["id"]
    ...         len(list_objects(client, account, "campaigns")) > 0
    True
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple
from urllib.parse import quote

from .client import AdsClient, Call
from .exceptions import APIError, IncompleteReport, InvalidArgument, MalformedPayload
from .paging import (
    OffsetListing,
    ReportPart,
    items_of,
    iter_continuation_pages,
    plan_report_parts,
    utc_text,
    walk_offset_listings,
)

__all__ = [
    "MAX_TOTALS_IDS",
    "Listing",
    "account_report_parts",
    "ad_account",
    "aggregate_report_pages",
    "aggregate_report_pages_of_accounts",
    "aggregate_totals",
    "all_ad_accounts",
    "business_ad_accounts",
    "businesses",
    "insight_report",
    "list_items",
    "list_objects",
    "list_objects_many",
    "report_parts",
    "walk_listings",
]

TimeLike = str | date | datetime
OnPage = Callable[[int], None]

MAX_TOTALS_IDS = 50  # B8: deduplicated totals span at most 50 entities
_DEFAULT_LIMIT = 50  # B3: the page size Spotify uses when no limit is sent


class Listing(NamedTuple):
    """One offset-paged listing to walk (B3).

    Attributes:
        path: the path below the API base (``/ad_accounts/{id}/campaigns``).
        params: filters and sorting; ``limit`` and ``offset`` are set by the walk.
        items_key: the key of the items in a page (``campaigns``).
        what: the listing in words, for messages.
    """

    path: str
    params: Mapping[str, Any] | None
    items_key: str
    what: str


def _segment(value: str) -> str:
    return quote(value, safe="")


def _object(body: Any, what: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise MalformedPayload(
            f"The Ads API answered with {type(body).__name__} where {what} (a JSON object) "
            "was expected. Try again; if it persists, report it to Spotify support."
        )
    return body


def _ids(values: str | Sequence[str] | None) -> list[str] | None:
    if values is None:
        return None
    return [values] if isinstance(values, str) else list(values)


# -- listings (B3) ------------------------------------------------------------------------------


def _walk(call: Call, listings: Sequence[Listing], on_page: OnPage | None) -> list[list[Any]]:
    client = call.client

    def fetcher(path: str, params: Mapping[str, Any] | None) -> Callable[[int], Any]:
        base = {**(params or {}), "limit": client.page_size}
        return lambda offset: call.get(path, {**base, "offset": offset})

    return walk_offset_listings(
        [OffsetListing(fetcher(x.path, x.params), x.items_key, x.what) for x in listings],
        page_size=client.page_size,
        executor=call.executor,
        max_in_flight=call.max_in_flight,
        limits=client.paging_limits,
        clock=client.clock,
        cancel=call.cancel,
        on_page=on_page,
    )


def walk_listings(
    client: AdsClient,
    listings: Sequence[Listing | tuple[str, Mapping[str, Any] | None, str, str]],
    *,
    on_page: OnPage | None = None,
) -> list[list[dict[str, Any]]]:
    """Return the items of offset-paged listings, all walked side by side (B3).

    The one pager of every listing (:func:`~adstudio_nb.paging.walk_offset_listings`): a
    listing ends on a short or empty page, ``total_results`` only tells which pages to fetch
    ahead, duplicates by id are dropped, and the walk is capped by the client's
    ``paging_limits``.

    Args:
        client: the client.
        listings: the listings (:class:`Listing` or its tuple).
        on_page: called with the number of items of each page, for progress bars.

    Raises:
        IncompleteListing: a cap was reached or a server repeated a page; the items that
            arrived are on it.
    """
    with client.call() as call:
        return _walk(call, [Listing(*x) for x in listings], on_page)


def list_items(
    client: AdsClient,
    path: str,
    params: Mapping[str, Any] | None = None,
    *,
    items_key: str,
    what: str | None = None,
    on_page: OnPage | None = None,
) -> list[dict[str, Any]]:
    """Return every item of one offset-paged listing, in order (B3, :func:`walk_listings`)."""
    listing = Listing(path, params, items_key, what or f"{items_key} at {path}")
    return walk_listings(client, [listing], on_page=on_page)[0]


def list_objects(
    client: AdsClient,
    ad_account_id: str,
    kind: str,
    params: Mapping[str, Any] | None = None,
    *,
    on_page: OnPage | None = None,
) -> list[dict[str, Any]]:
    """Return all ``campaigns``, ``ad_sets``, ``ads``, ``assets`` or ``audiences`` of an account.

    Args:
        client: the client.
        ad_account_id: the ad account.
        kind: the listing (``campaigns``, ``ad_sets``, ``ads``, ``assets``, ``audiences``).
        params: filters and sorting as in the spec (lists are sent as repeated keys, B4).
        on_page: progress callback (items per page).

    Raises:
        IncompleteListing: the listing could not be read to its end (see
            :func:`walk_listings`).
    """
    return list_objects_many(client, [ad_account_id], kind, params, on_page=on_page)[0]


def list_objects_many(
    client: AdsClient,
    ad_account_ids: Sequence[str],
    kind: str,
    params: Mapping[str, Any] | None = None,
    *,
    on_page: OnPage | None = None,
) -> list[list[dict[str, Any]]]:
    """Return the ``kind`` objects of several accounts, all pages side by side (B3).

    One walk over every account (:func:`walk_listings`): first pages go out at once, and as
    each arrives the pages its total promises join the same bounded queue, so the client's
    threads never idle between accounts. The result has one list per account, in the
    accounts' order, items in offset order (duplicates by id dropped).
    """
    listings = [
        Listing(
            f"/ad_accounts/{_segment(a)}/{kind}",
            params,
            kind,
            f"{kind.replace('_', ' ')} of ad account {a}",
        )
        for a in ad_account_ids
    ]
    return walk_listings(client, listings, on_page=on_page)


# -- account discovery (B1, B2) -----------------------------------------------------------------


def businesses(client: AdsClient) -> list[dict[str, Any]]:
    """Return the current user's businesses (B1)."""
    return [b for b in items_of(client.get("/businesses"), "businesses") if isinstance(b, dict)]


def _pages_further(first: Any, key: str) -> bool:
    """Tell whether a business's ad accounts answer is one page of several (B1, B3).

    The spec has no paging here; an older sample shows a ``paging`` object (with zeros in the
    published one). An answer with paging and at least a default page of accounts (50, B3),
    or a total above what came, is walked as a listing.
    """
    paging = first.get("paging") if isinstance(first, dict) else None
    if not isinstance(paging, dict):
        return False
    total = paging.get("total_results")
    count = len(items_of(first, key))
    return count >= _DEFAULT_LIMIT or (isinstance(total, int) and total > count)


def _accounts_listing(business_id: str) -> Listing:
    path = f"/businesses/{_segment(business_id)}/ad_accounts"
    return Listing(path, None, "ad_accounts", f"ad accounts of business {business_id}")


def business_ad_accounts(client: AdsClient, business_id: str) -> list[dict[str, Any]]:
    """Return the ad accounts of a business (B1); walks pages if the answer carries paging."""
    listing = _accounts_listing(business_id)
    with client.call() as call:
        first = call.get(listing.path)
        if not _pages_further(first, listing.items_key):
            return list(items_of(first, listing.items_key))
        return _walk(call, [listing], None)[0]


def all_ad_accounts(client: AdsClient) -> list[dict[str, Any]]:
    """Return the ad accounts of every business of the user, businesses fetched at once (B1)."""
    found = businesses(client)
    ids = [b.get("id") or "" for b in found]
    if not all(isinstance(i, str) and i for i in ids):
        raise APIError(
            "The Ads API listed a business without an id, so its ad accounts cannot be "
            "found: try again; if it persists, report it to Spotify support.",
            status_code=200,
            url="/businesses",
        )
    listings = [_accounts_listing(str(i)) for i in ids]
    with client.call() as call:
        firsts = list(call.map(lambda x: call.get(x.path), listings))
        paged = [n for n, first in enumerate(firsts) if _pages_further(first, "ad_accounts")]
        walked = _walk(call, [listings[n] for n in paged], None) if paged else []
    chunks = [list(items_of(first, "ad_accounts")) for first in firsts]
    for n, items in zip(paged, walked, strict=True):
        chunks[n] = items
    return [a for chunk in chunks for a in chunk]


def ad_account(client: AdsClient, ad_account_id: str) -> dict[str, Any]:
    """Return one ad account (B1, B2)."""
    return _object(client.get(f"/ad_accounts/{_segment(ad_account_id)}"), "an ad account")


# -- reports (B5-B8) ----------------------------------------------------------------------------


def report_parts(
    client: AdsClient,
    ad_account_id: str,
    parts: Sequence[ReportPart],
    *,
    on_page: OnPage | None = None,
) -> Iterator[list[dict[str, Any]]]:
    """Fetch report parts concurrently; yield each part's pages, in the parts' order (B5, B6).

    Each part pages sequentially through its continuation tokens; parts run side by side on
    the client's threads, paced under the reporting limit (B11). Every part is capped by the
    client's ``paging_limits`` (pages and rows per part, time for the whole report).

    Raises:
        IncompleteReport: a part could not be followed to its end; its ``items`` hold the
            rows of every part up to and including the one that stopped.
    """
    jobs = [(ad_account_id, part) for part in parts]
    for _account, pages in account_report_parts(client, jobs, on_page=on_page):
        yield pages


def account_report_parts(
    client: AdsClient,
    jobs: Sequence[tuple[str, ReportPart]],
    *,
    on_page: OnPage | None = None,
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Fetch the report parts of several ad accounts side by side; yield ``(account, pages)``.

    As :func:`report_parts`, for ``(ad_account_id, part)`` jobs of any accounts: every part
    of every account shares the client's threads and the reporting limit (B11), and each
    job's pages come back in the jobs' order.

    Raises:
        IncompleteReport: a part could not be followed to its end; its ``items`` hold the
            rows of every job up to and including the one that stopped.
    """
    limits = client.paging_limits
    with client.call() as call:
        deadline = client.clock() + limits.max_seconds

        def fetch_part(job: tuple[str, ReportPart]) -> tuple[str, list[dict[str, Any]]]:
            account, part = job
            path = f"/ad_accounts/{_segment(account)}/aggregate_reports"
            pages = []
            walk = iter_continuation_pages(
                lambda params: call.get(path, params),
                part.params(client.page_size),
                what=f"the report of ad account {account}",
                limits=limits,
                clock=client.clock,
                deadline=deadline,
            )
            for page in walk:
                if on_page is not None:
                    on_page(len(items_of(page, "rows")))
                pages.append(page)
            return account, pages

        rows: list[Any] = []
        try:
            for account, pages in call.map(fetch_part, jobs):
                for page in pages:
                    rows.extend(page.get("rows") or [])
                yield account, pages
        except IncompleteReport as exc:
            exc.items = rows + exc.items
            raise


def aggregate_report_pages(
    client: AdsClient,
    ad_account_id: str,
    *,
    entity_type: str,
    fields: Sequence[str],
    granularity: str = "LIFETIME",
    start: TimeLike | None = None,
    end: TimeLike | None = None,
    entity_ids: Sequence[str] | None = None,
    entity_ids_type: str | None = None,
    statuses: Sequence[str] | None = None,
    entity_status_type: str | None = None,
    include_parent_entity: bool = False,
    split: bool = True,
    on_page: OnPage | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield every page of an aggregate report, split into parts fetched concurrently (B5).

    Times are dates, datetimes or ISO 8601 strings, read as UTC (naive ones too) and sent in
    whole hours (``2026-01-01T00:00:00Z``); for DAY reports the end date is included. Entity
    ids are batched by 50 and long ranges cut into windows Spotify accepts (90 days for DAY);
    with ``split`` the range is also cut into more windows so that parts can run side by
    side.
    """
    for _account, page in aggregate_report_pages_of_accounts(
        client,
        [ad_account_id],
        entity_type=entity_type,
        fields=fields,
        granularity=granularity,
        start=start,
        end=end,
        entity_ids=entity_ids,
        entity_ids_type=entity_ids_type,
        statuses=statuses,
        entity_status_type=entity_status_type,
        include_parent_entity=include_parent_entity,
        split=split,
        on_page=on_page,
    ):
        yield page


def aggregate_report_pages_of_accounts(
    client: AdsClient,
    ad_account_ids: Sequence[str],
    *,
    entity_type: str,
    fields: Sequence[str],
    granularity: str = "LIFETIME",
    start: TimeLike | None = None,
    end: TimeLike | None = None,
    entity_ids: Sequence[str] | None = None,
    entity_ids_type: str | None = None,
    statuses: Sequence[str] | None = None,
    entity_status_type: str | None = None,
    include_parent_entity: bool = False,
    split: bool = True,
    on_page: OnPage | None = None,
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield ``(ad_account_id, page)`` for the same aggregate report of several accounts (B5).

    The report is planned once (as :func:`aggregate_report_pages`) and every account's parts
    are fetched side by side under the reporting limit (B11); the pages come account by
    account, in the accounts' order.
    """
    accounts = list(ad_account_ids)
    target = 2 * client.max_workers
    parts = plan_report_parts(
        entity_type=entity_type,
        fields=list(fields),
        granularity=granularity,
        start=start,
        end=end,
        entity_ids=_ids(entity_ids),
        entity_ids_type=entity_ids_type,
        statuses=_ids(statuses),
        entity_status_type=entity_status_type,
        include_parent_entity=include_parent_entity,
        # The threads are shared by all accounts: fewer windows each when there are many.
        target_parts=max(1, -(-target // max(1, len(accounts)))) if split else 1,
        page_size=client.page_size,
    )
    jobs = [(account, part) for account in accounts for part in parts]
    for account, pages in account_report_parts(client, jobs, on_page=on_page):
        for page in pages:
            yield account, page


def aggregate_totals(
    client: AdsClient,
    ad_account_id: str,
    *,
    entity_type: str,
    entity_ids: Sequence[str],
    fields: Sequence[str],
    granularity: str = "LIFETIME",
    start: TimeLike | None = None,
    end: TimeLike | None = None,
) -> dict[str, Any]:
    """Return deduplicated totals over at most 50 entities (B8).

    Raises:
        InvalidArgument: no entity id, or more than 50.
    """
    if not 1 <= len(entity_ids) <= MAX_TOTALS_IDS:
        raise InvalidArgument(
            f"Totals take 1 to {MAX_TOTALS_IDS} entity ids, not {len(entity_ids)}; "
            "deduplication cannot span more."
        )
    params: dict[str, Any] = {
        "entity_type": entity_type,
        "entity_ids": list(entity_ids),
        "granularity": granularity,
        "fields": list(fields),
    }
    if start is not None:
        params["report_start"] = utc_text(start)
    if end is not None:
        params["report_end"] = utc_text(end)
    path = f"/ad_accounts/{_segment(ad_account_id)}/aggregate_reports/totals"
    return _object(client.get(path, params), "totals")


def insight_report(
    client: AdsClient,
    ad_account_id: str,
    *,
    dimension: str,
    fields: Sequence[str],
    entity_id: str | None = None,
    entity_ids_type: str = "AD_SET",
    statuses: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Return an insight report (lifetime breakdown by ``dimension``, B8).

    Raises:
        UnprocessableReport: Spotify has too little data for it yet (422).
    """
    params: dict[str, Any] = {"insight_dimension": dimension, "fields": list(fields)}
    if entity_id:
        params["entity_ids"] = [entity_id]
        params["entity_ids_type"] = entity_ids_type
    if statuses:
        params["statuses"] = list(statuses)
        params["entity_status_type"] = "AD_SET"
    path = f"/ad_accounts/{_segment(ad_account_id)}/insight_reports"
    return _object(client.get(path, params), "an insight report")
