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

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple
from urllib.parse import quote

from .client import AdsClient, Call
from .exceptions import APIError, IncompleteReport, InvalidArgument, MalformedPayload
from .paging import (
    OffsetListing,
    ReportPart,
    dedupe_by_id,
    items_of,
    iter_continuation_pages,
    plan_report_parts,
    utc_text,
    walk_offset_listings,
)

__all__ = [
    "GET_OPERATIONS",
    "MAX_TOTALS_IDS",
    "TARGET_ITEMS_KEYS",
    "Listing",
    "Operation",
    "account_object",
    "account_report_parts",
    "ad_account",
    "ad_account_members_many",
    "ad_categories",
    "aggregate_report_pages",
    "aggregate_report_pages_of_accounts",
    "aggregate_totals",
    "all_ad_accounts",
    "async_report_status",
    "business",
    "business_ad_accounts",
    "business_listings",
    "businesses",
    "create_async_report",
    "get_object",
    "insight_report",
    "list_account_items_many",
    "list_items",
    "list_objects",
    "list_objects_many",
    "operations_markdown",
    "podcast_shows",
    "raw",
    "report_parts",
    "target_lookup",
    "target_names",
    "walk_listings",
    "whole_listings",
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


def _walk(
    call: Call,
    listings: Sequence[Listing],
    on_page: OnPage | None,
    on_listing: Callable[[int, list[Any]], None] | None = None,
) -> list[list[Any]]:
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
        on_listing=on_listing,
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
    on_listing: Callable[[int, list[dict[str, Any]]], None] | None = None,
) -> list[list[dict[str, Any]]]:
    """Return the ``kind`` objects of several accounts, all pages side by side (B3).

    One walk over every account (:func:`walk_listings`): first pages go out at once, and as
    each arrives the pages its total promises join the same bounded queue, so the client's
    threads never idle between accounts. The result has one list per account, in the
    accounts' order, items in offset order (duplicates by id dropped). ``on_listing`` is
    called with an account's index and objects as soon as its listing is complete, so the
    caller can shape it while the other accounts' pages are still arriving.
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
    with client.call() as call:
        return _walk(call, listings, on_page, on_listing)


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


# -- async CSV reports (B8) ----------------------------------------------------------------------


def create_async_report(client: AdsClient, ad_account_id: str, body: Mapping[str, Any]) -> str:
    """Submit an async CSV report (``CreateAsyncReportRequest``); return its id (B8).

    Raises:
        MalformedPayload: the answer carries no report id.
    """
    path = f"/ad_accounts/{_segment(ad_account_id)}/async_reports"
    answer = _object(client.request("POST", path, json_body=dict(body)), "a created report")
    report_id = answer.get("id")
    if not isinstance(report_id, str) or not report_id:
        raise MalformedPayload(
            "The Ads API created an async report but named no id for it, so it cannot be "
            "followed. Try again; if it persists, report it to Spotify support.",
            method="POST",
            url=path,
        )
    return report_id


def async_report_status(client: AdsClient, ad_account_id: str, report_id: str) -> dict[str, Any]:
    """Return an async report's status: ``PROCESSING``, ``READY`` (+ ``report_url``), ... (B8)."""
    path = f"/ad_accounts/{_segment(ad_account_id)}/async_reports/{_segment(report_id)}"
    return _object(client.get(path), "an async report's status")


# -- the rest of the read surface: objects, people, drafts, lookups, history (B2, B3) -------------


class Operation(NamedTuple):
    """One GET operation of Spotify's Ads API spec and how the toolkit reaches it.

    Attributes:
        operation_id: the spec's ``operationId``.
        path: the spec's path template.
        method: the :class:`~adstudio_nb.ads.Ads` method that wraps it as a frame, or None:
            reachable with ``Ads.raw("GET", path)`` (paged, paced and retried all the same).
    """

    operation_id: str
    path: str
    method: str | None


_A = "/ad_accounts/{ad_account_id}"
_B = "/businesses/{business_id}"
GET_OPERATIONS: tuple[Operation, ...] = (
    Operation("getBusinesses", "/businesses", "businesses"),
    Operation("getBusiness", _B, "business"),
    Operation("getAdAccountsInBusiness", f"{_B}/ad_accounts", "ad_accounts"),
    Operation("getAdAccount", _A, "ad_account"),
    Operation("getCampaigns", f"{_A}/campaigns", "campaigns"),
    Operation("getCampaign", f"{_A}/campaigns/{{campaign_id}}", "campaign"),
    Operation("getAdSetsByAdAccountId", f"{_A}/ad_sets", "ad_sets"),
    Operation("getAdSetById", f"{_A}/ad_sets/{{ad_set_id}}", "ad_set"),
    Operation("getAds", f"{_A}/ads", "ads"),
    Operation("getAd", f"{_A}/ads/{{ad_id}}", "ad"),
    Operation("getAssetsByAdAccount", f"{_A}/assets", "assets"),
    Operation("getAsset", f"{_A}/assets/{{asset_id}}", "asset"),
    Operation("batchGetAudiences", f"{_A}/audiences", "audiences"),
    Operation("getAudience", f"{_A}/audiences/{{audience_id}}", "audience"),
    Operation("getAudienceEligibleDatasets", f"{_A}/audiences/datasets", None),
    Operation("getCampaignDraftsV3", f"{_A}/drafts/campaigns", "campaign_drafts"),
    Operation("getCampaignDraft", f"{_A}/drafts/campaigns/{{draft_campaign_id}}", None),
    Operation("getAdSetDrafts", f"{_A}/drafts/ad_sets", "ad_set_drafts"),
    Operation("getAdSetDraft", f"{_A}/drafts/ad_sets/{{draft_ad_set_id}}", None),
    Operation("getAdDrafts", f"{_A}/drafts/ads", "ad_drafts"),
    Operation("getAdDraft", f"{_A}/drafts/ads/{{draft_ad_id}}", None),
    Operation("getChangeHistory", f"{_A}/change_history", "change_history"),
    Operation("getAdAccountMembers", f"{_A}/members", "ad_account_members"),
    Operation("getExperimentAvailability", f"{_A}/experiment_availability", None),
    Operation("getBusinessMembers", f"{_B}/members", "business_members"),
    Operation("getBusinessMember", f"{_B}/members/{{member_id}}", None),
    Operation("getAdAccountsForBusinessMember", f"{_B}/members/{{member_id}}/ad_accounts", None),
    Operation("getPendingInvitations", f"{_B}/invitations", "invitations"),
    Operation("getDatasetsByBusinessId", f"{_B}/datasets", "datasets"),
    Operation("getDatasetById", f"{_B}/datasets/{{dataset_id}}", None),
    Operation("getDatasetsByAdAccountId", f"{_B}/ad_accounts/{{ad_account_id}}/datasets", None),
    Operation("getDiagnosticsByDatasetId", f"{_B}/datasets/{{dataset_id}}/diagnostics", None),
    Operation("getPixelsByBusinessId", f"{_B}/pixels", "pixels"),
    Operation("getPixelById", f"{_B}/pixels/{{pixel_id}}", None),
    Operation("getCapiIntegrationById", f"{_B}/capi/{{capi_connection_id}}", None),
    Operation("getCapiAuthTokens", f"{_B}/capi/{{capi_connection_id}}/tokens", None),
    Operation("getMobileAppsByBusinessId", f"{_B}/mobile_apps", "mobile_apps"),
    Operation("getMobileAppByBusinessAndId", f"{_B}/mobile_apps/{{mobile_app_id}}", None),
    Operation(
        "getMobileAppsByBusinessIdAndAdAccountId",
        f"{_B}/ad_accounts/{{ad_account_id}}/mobile_apps",
        None,
    ),
    Operation("getArtistTargets", "/targets/artists", "targets"),
    Operation("getGenreTargets", "/targets/genres", "targets"),
    Operation("getGeoTargets", "/targets/geos", "targets"),
    Operation("getInterestTargets", "/targets/interests", "targets"),
    Operation("getLanguageTargets", "/targets/languages", "targets"),
    Operation("getPlaylistTargets", "/targets/playlists", "targets"),
    Operation("getEpisodeTopicTargets", "/targets/episode_topics", "targets"),
    Operation("getSensitiveTopicTargets", "/targets/sensitive_topics", "targets"),
    Operation("getAdCategories", "/ad_categories", "ad_categories"),
    Operation("getPodcastShows", "/podcast_shows", "podcast_shows"),
    Operation("getAggregateReport", f"{_A}/aggregate_reports", "report"),
    Operation("getAggregatedTotals", f"{_A}/aggregate_reports/totals", "totals"),
    Operation("getAudienceInsightReport", f"{_A}/insight_reports", "insights"),
    Operation("getAsyncReport", f"{_A}/async_reports/{{report_id}}", None),
)
"""Every GET operation of the spec (53 in commit 55be029), and the ``Ads`` method or raw call.

``README.md``'s table "What the toolkit wraps" is :func:`operations_markdown` of it (a test
checks both against the spec).
"""


def operations_markdown() -> str:
    """Return :data:`GET_OPERATIONS` as the Markdown table of README's "What the toolkit wraps"."""
    lines = ["| operationId | path | `Ads` method |", "|---|---|---|"]
    for op in GET_OPERATIONS:
        how = f"`ads.{op.method}()`" if op.method else 'raw call: `ads.raw("GET", ...)`'
        lines.append(f"| `{op.operation_id}` | `{op.path}` | {how} |")
    return "\n".join(lines) + "\n"


def get_object(client: AdsClient, path: str, what: str) -> dict[str, Any]:
    """Return the JSON object at ``path`` (one campaign, one asset, ...; B2).

    Raises:
        NotFound: no such object (404).
        MalformedPayload: the answer is not a JSON object.
    """
    return _object(client.get(path), what)


def account_object(
    client: AdsClient, ad_account_id: str, collection: str, object_id: str
) -> dict[str, Any]:
    """Return one object of an ad account: ``/ad_accounts/{id}/{collection}/{object_id}``."""
    path = f"/ad_accounts/{_segment(ad_account_id)}/{collection}/{_segment(object_id)}"
    return get_object(client, path, f"one of {collection.replace('_', ' ')}")


def business(client: AdsClient, business_id: str) -> dict[str, Any]:
    """Return one business (``GET /businesses/{business_id}``, B1)."""
    return get_object(client, f"/businesses/{_segment(business_id)}", "a business")


def list_account_items_many(
    client: AdsClient,
    ad_account_ids: Sequence[str],
    suffix: str,
    items_key: str,
    params: Mapping[str, Any] | None = None,
    *,
    on_page: OnPage | None = None,
) -> list[list[dict[str, Any]]]:
    """Return an offset-paged listing of several ad accounts, all pages side by side (B3).

    As :func:`list_objects_many` for any listing below ``/ad_accounts/{id}/``: ``suffix``
    is its path (``drafts/campaigns``), ``items_key`` the key of its items
    (``campaign_drafts``). One list per account, in the accounts' order.

    Raises:
        IncompleteListing: a listing could not be read to its end.
    """
    listings = [
        Listing(
            f"/ad_accounts/{_segment(a)}/{suffix}",
            params,
            items_key,
            f"{items_key.replace('_', ' ')} of ad account {a}",
        )
        for a in ad_account_ids
    ]
    return walk_listings(client, listings, on_page=on_page)


def whole_listings(
    client: AdsClient,
    paths: Sequence[str],
    items_key: str,
    params: Mapping[str, Any] | None = None,
) -> list[list[dict[str, Any]]]:
    """Return listings the spec gives no ``limit``/``offset`` (members, invitations), at once.

    One request per path, side by side. An answer that does carry ``paging`` and says it
    holds more than came (as B1's older sample does) is walked with the one pager, so a
    listing is complete or loud either way.

    Raises:
        IncompleteListing: an answer said there was more and its pages could not be read.
    """
    listings = [
        Listing(p, params, items_key, f"{items_key.replace('_', ' ')} at {p}") for p in paths
    ]
    with client.call() as call:
        firsts = list(call.map(lambda x: call.get(x.path, x.params), listings))
        paged = [n for n, first in enumerate(firsts) if _pages_further(first, items_key)]
        walked = _walk(call, [listings[n] for n in paged], None) if paged else []
    chunks = [list(items_of(first, items_key)) for first in firsts]
    for n, items in zip(paged, walked, strict=True):
        chunks[n] = items
    return chunks


def ad_account_members_many(
    client: AdsClient, ad_account_ids: Sequence[str]
) -> list[list[dict[str, Any]]]:
    """Return the members of several ad accounts (``GET /ad_accounts/{id}/members``), at once."""
    paths = [f"/ad_accounts/{_segment(a)}/members" for a in ad_account_ids]
    return whole_listings(client, paths, "ad_account_members")


def business_listings(
    client: AdsClient,
    business_ids: Sequence[str],
    suffix: str,
    items_key: str,
    params: Mapping[str, Any] | None = None,
    *,
    paged: bool,
) -> list[list[dict[str, Any]]]:
    """Return a listing below ``/businesses/{id}/`` for several businesses, one list each.

    Args:
        client: the client.
        business_ids: the businesses.
        suffix: the listing's path below the business (``members``).
        items_key: the key of its items (``members``).
        params: filters as in the spec.
        paged: the spec pages it by ``limit``/``offset`` (pixels): walked with the one pager
            (B3); otherwise one request each (:func:`whole_listings`).
    """
    paths = [f"/businesses/{_segment(b)}/{suffix}" for b in business_ids]
    if not paged:
        return whole_listings(client, paths, items_key, params)
    listings = [
        Listing(p, params, items_key, f"{suffix} of business {p.split('/')[2]}") for p in paths
    ]
    return walk_listings(client, listings)


TARGET_ITEMS_KEYS: dict[str, str] = {
    "artists": "artists",
    "genres": "genres",
    "geos": "geos",
    "interests": "interests_with_subtargets",
    "languages": "languages",
    "playlists": "playlists",
    "episode_topics": "episode_topics",
    "sensitive_topics": "sensitive_topics",
}
"""Each targeting lookup (``GET /targets/{kind}``) and the key of its items."""
_IDS_BATCH = 50  # ids per lookup request: Spotify names no cap; 50 is the API's usual one


def target_lookup(
    client: AdsClient,
    kind: str,
    *,
    ids: Sequence[str] | None = None,
    q: str | None = None,
    params: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Return the entries of a targeting lookup: by ``ids``, by keyword ``q``, or all.

    Geos page by ``limit``/``offset`` (the one pager, B3); the other lookups answer at once.
    ``ids`` go as repeated keys (B4), 50 per request.

    Args:
        client: the client.
        kind: ``artists``, ``genres``, ``geos``, ``interests``, ``languages``, ``playlists``,
            ``episode_topics`` or ``sensitive_topics``.
        ids: only these entries.
        q: a keyword (case-insensitive, part of the name).
        params: the lookup's other parameters as in the spec (``country_code``, ``types``
            and ``language`` for geos, ``ad_account_id`` for languages).

    Raises:
        InvalidArgument: an unknown kind, or artists (and geos) asked without a query, which
            Spotify refuses.
    """
    key = TARGET_ITEMS_KEYS.get(kind)
    if key is None:
        raise InvalidArgument(
            f"There is no '{kind}' targeting lookup: ask for one of {', '.join(TARGET_ITEMS_KEYS)}."
        )
    base: dict[str, Any] = dict(params or {})
    if q:
        base["q"] = q
    if kind == "artists" and not (ids or q):
        raise InvalidArgument(
            "Spotify looks artists up by keyword or id: pass q='...' or ids=[...]."
        )
    if kind == "geos" and not (ids or q or base.get("country_code") or base.get("types")):
        raise InvalidArgument(
            "Spotify looks geos up by country, type, keyword or id: pass country_code='US', "
            "types=[...], q='...' or ids=[...]."
        )
    path = f"/targets/{kind}"
    batches = (
        [list(ids)[i : i + _IDS_BATCH] for i in range(0, len(ids), _IDS_BATCH)] if ids else [None]
    )
    queries = [{**base, "ids": batch} if batch else base for batch in batches]
    if kind == "geos":
        listings = [Listing(path, p, key, f"geo targets {n + 1}") for n, p in enumerate(queries)]
        chunks = walk_listings(client, listings)
    else:
        with client.call() as call:
            chunks = [
                items_of(page, key) for page in call.map(lambda p: call.get(path, p), queries)
            ]
    return dedupe_by_id([item for chunk in chunks for item in chunk if isinstance(item, dict)])


def podcast_shows(
    client: AdsClient, *, market: str, ids: Sequence[str] | None = None, q: str | None = None
) -> list[dict[str, Any]]:
    """Return podcast shows available in ``market`` (a country code), by keyword or id.

    Raises:
        InvalidArgument: neither ``q`` nor ``ids``, or no market: Spotify refuses those.
    """
    if not market:
        raise InvalidArgument(
            "Podcast shows are looked up in a market: pass market='US' (a country code)."
        )
    if not (ids or q):
        raise InvalidArgument(
            "Spotify looks podcast shows up by keyword or id: pass q='...' or ids=[...]."
        )
    base: dict[str, Any] = {"market": market, **({"q": q} if q else {})}
    batches = (
        [list(ids)[i : i + _IDS_BATCH] for i in range(0, len(ids), _IDS_BATCH)] if ids else [None]
    )
    with client.call() as call:
        pages = list(
            call.map(
                lambda b: call.get("/podcast_shows", {**base, "ids": b} if b else base), batches
            )
        )
    return dedupe_by_id(
        [s for page in pages for s in items_of(page, "shows") if isinstance(s, dict)]
    )


def ad_categories(client: AdsClient, q: str | None = None) -> list[dict[str, Any]]:
    """Return the ad categories (``GET /ad_categories``), or those whose name matches ``q``."""
    page = client.get("/ad_categories", {"q": q} if q else None)
    return [c for c in items_of(page, "categories") if isinstance(c, dict)]


# The lookup that names a target type's values (frames.ad_set_targets_frame's target_type).
_NAMES_FROM: dict[str, str] = {
    "ARTIST": "artists",
    "GENRE": "genres",
    "INTEREST": "interests",
    "PLAYLIST": "playlists",
    "PODCAST_EPISODE_TOPIC": "episode_topics",
    "SENSITIVE_TOPIC_EXCLUSION": "sensitive_topics",
    "LANGUAGE": "languages",
    "COUNTRY": "geos",
    "REGION": "geos",
    "CITY": "geos",
    "POSTAL_CODE": "geos",
}


def target_names(
    client: AdsClient, wanted: Mapping[str, Iterable[str]]
) -> dict[tuple[str, str], str]:
    """Return display names of targeted values by ``(target_type, value_id)``.

    Args:
        client: the client.
        wanted: ids by target type (``{"GENRE": ["pop"], "COUNTRY": ["US"]}``); types no
            lookup names (ages, genders, platforms, ...) are skipped.

    Interests are named with their subtargets (an ad set may target a subtarget's id).
    """
    by_kind: dict[str, set[str]] = {}
    for target_type, ids in wanted.items():
        kind = _NAMES_FROM.get(target_type)
        if kind:
            by_kind.setdefault(kind, set()).update(str(i) for i in ids if i)
    names: dict[str, dict[str, str]] = {}
    for kind, ids in by_kind.items():
        if not ids:
            continue
        entries = target_lookup(client, kind, ids=sorted(ids))
        found: dict[str, str] = {}
        for entry in entries:
            if isinstance(entry.get("id"), str) and isinstance(entry.get("name"), str):
                found[entry["id"]] = entry["name"]
            for sub in entry.get("subtargets") or ():
                if isinstance(sub, dict) and isinstance(sub.get("id"), str):
                    found[sub["id"]] = str(sub.get("name"))
        names[kind] = found
    out: dict[tuple[str, str], str] = {}
    for target_type, ids in wanted.items():
        kind = _NAMES_FROM.get(target_type)
        for value in ids:
            name = names.get(kind or "", {}).get(str(value))
            if name is not None:
                out[(target_type, str(value))] = name
    return out


# -- the raw call: any endpoint, paged, paced and retried ------------------------------------------


def _list_keys(page: Mapping[str, Any]) -> list[str]:
    keys = [k for k, v in page.items() if isinstance(v, list) and k != "warnings"]
    objects = [k for k in keys if any(isinstance(v, dict) for v in page[k])]
    return objects or keys


def _items_key_of(page: Mapping[str, Any], items_key: str | None, path: str) -> str | None:
    if items_key:
        return items_key
    keys = _list_keys(page)
    if len(keys) > 1:
        raise InvalidArgument(
            f"The answer of {path} holds several lists ({', '.join(keys)}), so which one pages "
            "is not clear: pass items_key= naming it."
        )
    return keys[0] if keys else None


def _offset_paging(page: Mapping[str, Any]) -> tuple[int | None, int | None] | None:
    """Return ``(page_size, total)`` of an offset-paged answer (B3, or geos' form), else None."""
    paging = page.get("paging")
    if isinstance(paging, Mapping):
        size, total = paging.get("page_size"), paging.get("total_results")
    elif "offset" in page and "page_size" in page:  # /targets/geos: offset and page_size only
        size, total = page.get("page_size"), None
    else:
        return None

    def number(value: Any) -> int | None:
        whole = isinstance(value, int) and not isinstance(value, bool)
        return value if whole and value > 0 else None

    return number(size), number(total)


def raw(
    client: AdsClient,
    method: str,
    path: str,
    params: Mapping[str, Any] | None = None,
    *,
    items_key: str | None = None,
    json_body: Any = None,
) -> Any:
    """Call any Ads API endpoint; a GET whose answer pages is followed to its end (B3, B6).

    Every request is paced, retried (429, 5xx, dropped connections) and refreshed on 401 by
    the client, and errors are typed as for every other call (B9). How a GET pages is read
    from its first answer: a ``continuation_token`` key (B6: followed, sending only the
    token), a ``paging`` object or ``offset``/``page_size`` keys (B3: pages fetched by
    ``offset`` with the one pager, side by side when the total is known, until a short
    page). A paged answer gives the list of every page's items (the one list of objects in
    the answer, or ``items_key``); an answer that does not page gives its JSON as it came,
    or its ``items_key`` list when one is named.

    Args:
        client: the client.
        method: ``GET`` (paged), or ``POST``, ``PATCH``, ... (sent once, never paged).
        path: below the API base with its ids filled in (``/ad_accounts/<id>/members``); a
            full URL is refused, so the token goes only to the Ads API.
        params: query parameters (lists as repeated keys, B4); ``limit`` sets the page size.
        items_key: the key of the items, when the answer holds several lists.
        json_body: the JSON body of a method other than GET.

    Raises:
        InvalidArgument: a full URL, a path with ``{placeholders}`` or ``?``, or a paged
            answer with several lists and no ``items_key``.
        APIError: as for every call (``NotFound``, ``BadRequest``, ``RateLimited`` ...).
        IncompleteResult: the pages could not be read to the end; ``items`` has what came.
    """
    verb = method.upper() if isinstance(method, str) else ""
    if not verb.isalpha():
        raise InvalidArgument(f"method must be an HTTP method such as 'GET', not {method!r}.")
    if not isinstance(path, str) or not path.startswith("/") or path.startswith("//"):
        raise InvalidArgument(
            "raw() takes a path below the Ads API base, such as '/ad_accounts/<id>/members', "
            "not a full URL: the login's token is sent only to the Ads API."
        )
    if "{" in path or "}" in path:
        raise InvalidArgument(
            f"The path {path[:80]} still has a {{placeholder}}: fill in the id, e.g. "
            "f'/ad_accounts/{account_id}/members'."
        )
    if "?" in path or "#" in path:
        raise InvalidArgument("Put query parameters in params={...}, not in the path.")
    if verb != "GET":
        return client.request(verb, path, params=params, json_body=json_body)
    if json_body is not None:
        raise InvalidArgument("A GET has no body: put its parameters in params={...}.")
    query = dict(params or {})
    with client.call() as call:
        first = call.get(path, query or None)
        if not isinstance(first, dict):
            return first
        offset_paging = _offset_paging(first)
        if "continuation_token" not in first and offset_paging is None:
            return items_of(first, items_key) if items_key else first  # it does not page
        key = _items_key_of(first, items_key, path)
        if key is None:  # paged, and no items in this answer
            return []
        if offset_paging is None:  # B6
            pages = iter_continuation_pages(
                lambda p: first if p is query else call.get(path, p),
                query,
                what=f"the answer of {path}",
                limits=client.paging_limits,
                clock=client.clock,
            )
            return [item for page in pages for item in items_of(page, key)]
        size, total = offset_paging
        items = items_of(first, key)
        step = _int_or_none(query.get("limit")) or size or _DEFAULT_LIMIT
        more = (total is not None and total > len(items)) or (total is None and len(items) >= step)
        if not more:
            return list(items)

        def fetch(offset: int) -> Any:
            if offset == 0:
                return first
            return call.get(path, {**query, "limit": step, "offset": offset})

        return walk_offset_listings(
            [OffsetListing(fetch, key, f"the answer of {path}")],
            page_size=step,
            executor=call.executor,
            max_in_flight=call.max_in_flight,
            limits=client.paging_limits,
            clock=client.clock,
            cancel=call.cancel,
        )[0]


def _int_or_none(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None
