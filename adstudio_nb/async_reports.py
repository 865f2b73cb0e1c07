"""Async CSV reports (B8): a year of daily rows in a handful of requests, as the same typed frame.

An aggregate report pages 50 rows per request under the reporting limit (B5, B11): 500 ad sets
over a year of days is 3,650 requests, twelve minutes on Spotify. ``createAsyncReport`` takes
DAY ranges of up to 365 days for a whole account and answers with one CSV. This module owns
that path, end to end:

* the choice (:func:`choose_method`): the aggregate report's cost counted from its plan
  (:func:`~adstudio_nb.paging.plan_report_parts`, pages per part) against the async cost
  (the listings that name the entities, then create + polls + download per report of at most
  365 days, plus the aggregate pages of any entity the CSV cannot hold), async only when it is
  ``AsyncPolicy.min_savings`` times cheaper, or when asked for;
* the run (:func:`async_report_frame`): create, poll with a growing interval up to a cap
  through the client's injectable sleep, within a total deadline
  (:class:`~adstudio_nb.exceptions.AsyncReportTimeout` names the report id), download the
  signed ``report_url`` with a plain session and **no** ``Authorization`` header (it is a
  storage link, B8), ask for a fresh link when one expired, and fetch through aggregate
  reports the entities whose status the async vocabulary cannot select (an archived ad set);
* the CSV (:func:`csv_report_frame`): read by its header (names normalised: ``Ad set name``
  is ``AD_SET_NAME``), metrics mapped from the async vocabulary to ``ReportFieldType``
  (``IMPRESSIONS_ON_SPOTIFY`` is ``IMPRESSIONS``, ``AD_COMPLETES`` is ``COMPLETES``, ...),
  entities resolved to their ids through the listings (by their names down the tree, or an
  id column where the CSV has one), into the **same** columns and dtypes as
  :func:`~adstudio_nb.frames.report_frame` (the ``-5`` sentinel of B7 included); columns it
  does not know are kept under their own names (lower case), and a CSV with nothing
  recognisable is :class:`~adstudio_nb.exceptions.UnreadableReport`.

It speaks HTTP only for the download (the API calls go through ``endpoints`` and the client);
it never prints and never shows a signed link's query (it is a credential) in a message.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
import requests

from . import endpoints, frames
from .client import AdsClient
from .exceptions import (
    AsyncReportError,
    AsyncReportTimeout,
    InvalidArgument,
    UnreadableReport,
)
from .paging import parse_utc, plan_report_parts

__all__ = [
    "ASYNC_METRIC_OF",
    "ASYNC_STATUSES",
    "MAX_ASYNC_DAYS",
    "METHODS",
    "AsyncPolicy",
    "Choice",
    "Entity",
    "ReportRequest",
    "aggregate_requests",
    "async_report_frame",
    "async_windows",
    "choose_method",
    "csv_report_frame",
    "list_entities",
    "unsupported_reason",
]

log = logging.getLogger(__name__)

METHODS = ("auto", "aggregate", "async")
"""How ``Ads.report`` fetches: pick the cheaper, aggregate pages only, or one async CSV."""
MAX_ASYNC_DAYS = 365  # B8: an async DAY report spans at most 365 days

# ReportFieldType (aggregate reports, B5) -> AsyncReportMetric (the CSV's vocabulary, B8).
ASYNC_METRIC_OF: dict[str, str] = {
    "IMPRESSIONS": "IMPRESSIONS_ON_SPOTIFY",
    "OFF_SPOTIFY_IMPRESSIONS": "IMPRESSIONS_OFF_SPOTIFY",
    "COMPLETES": "AD_COMPLETES",
    "FIRST_QUARTILES": "PLAYED_TO_25",
    "MIDPOINTS": "PLAYED_TO_50",
    "THIRD_QUARTILES": "PLAYED_TO_75",
    "E_CPCL": "CPCL",
    "CONVERSION_RATE": "LISTENER_CONVERSION_RATE",
    "STREAMS_PER_USER": "AVG_STREAMS_PER_LISTENER",
    "STREAMS_PER_NEW_LISTENER": "AVG_STREAMS_PER_NEW_LISTENER",
    "PAID_LISTENS_FREQUENCY": "FREQUENCY_OF_AD_COMPLETES",
    "PAID_LISTENS_REACH": "REACH_OF_AD_COMPLETES",
    **{
        name: name
        for name in (
            "CLICKS",
            "COMPLETION_RATE",
            "CTR",
            "FREQUENCY",
            "INTENT_RATE",
            "LISTENERS",
            "NEW_LISTENERS",
            "NEW_LISTENER_CONVERSION_RATE",
            "REACH",
            "SPEND",
            "STARTS",
            "STREAMS",
            "UNMUTES",
            "VIDEO_VIEWS",
            "VIDEO_EXPANDS",
            "VIDEO_EXPAND_RATE",
            "PAGE_VIEWS",
            "LEADS",
            "ADD_TO_CART",
            "PURCHASES",
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
# A CSV header -> the ReportFieldType it is; PLAYED_TO_100 is the CSV's other name for completes.
_FIELD_OF_HEADER = {a: f for f, a in ASYNC_METRIC_OF.items()} | {"PLAYED_TO_100": "COMPLETES"}

# spec (CreateAsyncReportRequest.statuses): the statuses each primary entity can be selected by.
ASYNC_STATUSES: dict[str, tuple[str, ...]] = {
    "AD": ("ACTIVE", "PENDING_APPROVAL", "REJECTED"),
    "AD_SET": ("ACTIVE", "COMPLETED", "PENDING_APPROVAL", "REJECTED"),
    "CAMPAIGN": ("ACTIVE", "COMPLETED", "PAUSED", "PENDING_APPROVAL", "REJECTED", "STOPPED"),
    "AD_ACCOUNT": (),
}
# The name dimensions from the account down to each level: the primary entity is the lowest.
_NAME_PATH = {
    "AD_ACCOUNT": ("AD_ACCOUNT_NAME",),
    "CAMPAIGN": ("CAMPAIGN_NAME",),
    "AD_SET": ("CAMPAIGN_NAME", "AD_SET_NAME"),
    "AD": ("CAMPAIGN_NAME", "AD_SET_NAME", "AD_NAME"),
}
_ID_COLUMN = {level: f"{level}_ID" for level in _NAME_PATH}
_TIME_COLUMNS = ("START_TIME", "END_TIME", "DATE", "DAY")
_REPORT_STATUSES = frozenset(frames.STATUS_DTYPES["report_status"].categories)
_SORTED = {"sort_field": "CREATED_AT", "sort_direction": "ASC"}
_CHUNK_BYTES = 1024 * 1024


@dataclass(frozen=True)
class AsyncPolicy:
    """How async reports are chosen, polled and downloaded (B8).

    Attributes:
        min_savings: ``auto`` picks async when it needs this many times fewer requests.
        poll_first_s: the wait before the first status call.
        poll_factor: each wait is this much longer than the one before...
        poll_max_s: ...up to this cap.
        deadline_s: the longest a report may stay PROCESSING; past it ``AsyncReportTimeout``.
        expected_processing_s: how long Spotify usually takes, to count the polls in advance.
        max_link_renewals: fresh ``report_url`` links asked for when one has expired.
        download_timeout_s: the budget of one download, connecting included.
        max_csv_bytes: the largest CSV accepted.
    """

    min_savings: float = 10.0
    poll_first_s: float = 2.0
    poll_factor: float = 1.5
    poll_max_s: float = 30.0
    deadline_s: float = 30 * 60.0
    expected_processing_s: float = 10.0
    max_link_renewals: int = 2
    download_timeout_s: float = 300.0
    max_csv_bytes: int = 2 * 1024**3

    def scaled(self, factor: float) -> AsyncPolicy:
        """Return this policy with every wait times ``factor`` (for a sandbox's scaled window)."""
        return replace(
            self,
            poll_first_s=self.poll_first_s * factor,
            poll_max_s=self.poll_max_s * factor,
            deadline_s=self.deadline_s * factor,
            expected_processing_s=self.expected_processing_s * factor,
        )

    def intervals(self) -> Iterator[float]:
        """Yield the waits between status calls: growing by ``poll_factor`` up to the cap."""
        wait = self.poll_first_s
        while True:
            yield min(wait, self.poll_max_s)
            wait *= self.poll_factor

    def expected_polls(self) -> int:
        """Return the status calls a report of ``expected_processing_s`` usually takes."""
        waited, polls = 0.0, 0
        for wait in self.intervals():
            waited += wait
            polls += 1
            if waited >= self.expected_processing_s or polls >= 100:
                return polls
        return polls  # pragma: no cover - intervals() never ends


@dataclass(frozen=True)
class ReportRequest:
    """One ``Ads.report`` request, as both paths read it.

    Attributes:
        account: the ad account id.
        level: ``AD_ACCOUNT``, ``CAMPAIGN``, ``AD_SET`` or ``AD``.
        fields: ``ReportFieldType`` metrics, in order.
        granularity: ``DAY``, ``HOUR`` or ``LIFETIME``.
        start: the first day (as given: parsed by the planner).
        end: the last day, included.
        entity_ids: only these entities (of ``level``), or None for all.
        statuses: only entities with these statuses, or None.
        include_parent: add the parent entity's columns.
    """

    account: str
    level: str
    fields: tuple[str, ...]
    granularity: str = "DAY"
    start: Any = None
    end: Any = None
    entity_ids: tuple[str, ...] | None = None
    statuses: tuple[str, ...] | None = None
    include_parent: bool = False


@dataclass(frozen=True)
class Entity:
    """One entity of a report's level, as the listings name it.

    Attributes:
        id: its id.
        name: its name.
        status: its status as reports carry it (None where reports leave it out).
        listed_status: its status as the listing gives it.
        key: the names from its campaign down to it (how a CSV without ids names it).
        campaign_id: its campaign (None at the account level).
        parent_id: its parent's id (``include_parent``), or None.
        parent_name: its parent's name.
        parent_status: its parent's status as reports carry it.
    """

    id: str
    name: str | None
    status: str | None
    listed_status: str | None
    key: tuple[str | None, ...]
    campaign_id: str | None = None
    parent_id: str | None = None
    parent_name: str | None = None
    parent_status: str | None = None


@dataclass(frozen=True)
class Choice:
    """Which path a report takes, and why (the figures ``auto`` compared).

    Attributes:
        method: ``"aggregate"`` or ``"async"``.
        reason: in words, for logs and progress text.
        aggregate_requests: requests the aggregate report needs (its plan's pages), or
            None when the choice was clear without counting.
        async_requests: requests the async path needs (None when it cannot serve the report).
        entities: the report's entities, when they had to be listed for the choice.
    """

    method: str
    reason: str
    aggregate_requests: int | None = None
    async_requests: int | None = None
    entities: tuple[Entity, ...] | None = None


# -- what async can serve -------------------------------------------------------------------------


def unsupported_reason(request: ReportRequest) -> str | None:
    """Return why the async path cannot serve ``request``, or None when it can (B8)."""
    if request.granularity not in ("DAY", "LIFETIME"):
        return f"async reports have DAY and LIFETIME granularity, not {request.granularity}"
    missing = [f for f in request.fields if f not in ASYNC_METRIC_OF]
    if missing:
        return f"async reports have no {', '.join(missing)}"
    if request.level not in _NAME_PATH:
        return f"async reports have no level {request.level}"
    if request.include_parent and request.level in ("AD_ACCOUNT", "CAMPAIGN"):
        return f"{request.level} reports have no parent entity"
    if request.granularity == "DAY" and (request.start is None or request.end is None):
        return "a DAY report needs a start and an end"
    return None


def async_windows(request: ReportRequest) -> list[tuple[str | None, str | None]]:
    """Cut the request's range into async reports of at most 365 days (B8).

    Raises:
        InvalidArgument: an end before the start, or a LIFETIME range over 365 days (its
            reach cannot be added up from shorter ones).
    """
    first, last = parse_utc(request.start), parse_utc(request.end)
    if first is None or last is None:
        return [(None, None)]
    first = first.replace(hour=0, minute=0, second=0, microsecond=0)
    last = last.replace(hour=0, minute=0, second=0, microsecond=0)
    if last < first:
        raise InvalidArgument("The report's end is before its start: swap them.")
    days = (last - first).days + 1
    if request.granularity == "LIFETIME":
        if days > MAX_ASYNC_DAYS:
            raise InvalidArgument(
                f"A LIFETIME report covers at most {MAX_ASYNC_DAYS} days; ask for DAY "
                "granularity, or a shorter range."
            )
        return [(_iso(first), _iso(last))]
    out: list[tuple[str | None, str | None]] = []
    cursor = first
    while cursor <= last:
        end = min(last, cursor + timedelta(days=MAX_ASYNC_DAYS - 1))
        out.append((_iso(cursor), _iso(end)))
        cursor = end + timedelta(days=1)
    return out


def _iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


# -- counting requests ----------------------------------------------------------------------------


def _buckets(granularity: str, start: str | None, end: str | None) -> int:
    if granularity == "LIFETIME" or start is None or end is None:
        return 1
    first, last = parse_utc(start), parse_utc(end)
    assert first is not None and last is not None
    step = timedelta(days=1) if granularity == "DAY" else timedelta(hours=1)
    return int((last - first) / step) + 1


def aggregate_requests(
    request: ReportRequest,
    entities: int,
    *,
    page_size: int = 50,
    target_parts: int = 1,
    entity_ids: Sequence[str] | None = None,
) -> int:
    """Return the requests an aggregate report needs: every part's pages (B5, B6).

    Args:
        request: the report.
        entities: how many entities a part without ids holds.
        page_size: rows per page.
        target_parts: as the aggregate path plans it (``2 * max_workers``).
        entity_ids: the ids to plan with (default: the request's).
    """
    ids = list(entity_ids if entity_ids is not None else request.entity_ids or ())
    parts = plan_report_parts(
        entity_type=request.level,
        fields=list(request.fields),
        granularity=request.granularity,
        start=request.start,
        end=request.end,
        entity_ids=ids or None,
        entity_ids_type=request.level if ids else None,
        target_parts=target_parts,
        page_size=page_size,
    )
    total = 0
    for part in parts:
        rows = (len(part.entity_ids) if part.entity_ids else entities) * _buckets(
            part.granularity, part.start, part.end
        )
        total += max(1, math.ceil(rows / page_size))
    return total


def _listing_requests(level: str, counts: Mapping[str, int], page_size: int) -> int:
    kinds = {"AD_ACCOUNT": (), "CAMPAIGN": ("campaigns",), "AD_SET": ("campaigns", "ad_sets")}
    wanted = kinds.get(level, ("campaigns", "ad_sets", "ads"))
    return sum(counts.get(k, 0) // page_size + 1 for k in wanted) or 1


# -- the entities of a level ----------------------------------------------------------------------


def _report_status(value: Any) -> str | None:
    return value if isinstance(value, str) and value in _REPORT_STATUSES else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def list_entities(client: AdsClient, account: str, level: str) -> list[Entity]:
    """Return the entities of ``level`` in an account, named down from their campaign (B3).

    The listings walk side by side (general bucket, B11): campaigns for their names, and the
    ad sets and ads of the level below.
    """
    if level == "AD_ACCOUNT":
        body = endpoints.ad_account(client, account)
        name = _text(body.get("name"))
        status = _text(body.get("status"))
        return [Entity(account, name, _report_status(status), status, (name,))]
    kinds = ["campaigns"] + (["ad_sets"] if level in ("AD_SET", "AD") else [])
    kinds += ["ads"] if level == "AD" else []
    listings = [
        endpoints.Listing(f"/ad_accounts/{account}/{k}", _SORTED, k, f"{k} of ad account {account}")
        for k in kinds
    ]
    found = dict(zip(kinds, endpoints.walk_listings(client, listings), strict=True))
    campaigns = {c.get("id"): c for c in found["campaigns"] if isinstance(c, dict)}
    if level == "CAMPAIGN":
        return [
            Entity(
                str(c["id"]),
                _text(c.get("name")),
                _report_status(c.get("status")),
                _text(c.get("status")),
                (_text(c.get("name")),),
                campaign_id=str(c["id"]),
            )
            for c in campaigns.values()
        ]
    ad_sets = {s.get("id"): s for s in found["ad_sets"] if isinstance(s, dict)}

    def ad_set_entity(s: Mapping[str, Any]) -> Entity:
        campaign = campaigns.get(s.get("campaign_id")) or {}
        return Entity(
            str(s["id"]),
            _text(s.get("name")),
            _report_status(s.get("status")),
            _text(s.get("status")),
            (_text(campaign.get("name")), _text(s.get("name"))),
            campaign_id=_text(s.get("campaign_id")),
            parent_id=_text(s.get("campaign_id")),
            parent_name=_text(campaign.get("name")),
            parent_status=_report_status(campaign.get("status")),
        )

    if level == "AD_SET":
        return [ad_set_entity(s) for s in ad_sets.values()]
    out = []
    for ad in found["ads"]:
        if not isinstance(ad, dict):
            continue
        parent = ad_set_entity(ad_sets.get(ad.get("ad_set_id")) or {"id": ""})
        out.append(
            Entity(
                str(ad["id"]),
                _text(ad.get("name")),
                _report_status(ad.get("status")),
                _text(ad.get("status")),
                (*parent.key, _text(ad.get("name"))),
                campaign_id=parent.campaign_id,
                parent_id=_text(ad.get("ad_set_id")),
                parent_name=parent.name,
                parent_status=parent.status,
            )
        )
    return out


def _wanted(request: ReportRequest, entities: Sequence[Entity]) -> list[Entity]:
    """The entities the report covers: the ids asked for, with the statuses asked for."""
    chosen = list(entities)
    if request.entity_ids:
        by_id = {e.id: e for e in chosen}
        # An id the listing does not know stays in: the aggregate fallback asks for it, so
        # the answer is what Spotify says about it.
        chosen = [by_id.get(i) or Entity(i, None, None, None, ()) for i in request.entity_ids]
    if request.statuses:
        allowed = set(request.statuses)
        chosen = [e for e in chosen if e.listed_status in allowed or e.name is None]
    return chosen


def _selectable(request: ReportRequest, entity: Entity) -> bool:
    """Tell whether an async report can hold the entity: its status can be asked for (B8)."""
    if request.level == "AD_ACCOUNT":
        return True
    return entity.listed_status in ASYNC_STATUSES[request.level]


# -- the choice -----------------------------------------------------------------------------------


def choose_method(
    client: AdsClient,
    request: ReportRequest,
    *,
    method: str = "auto",
    policy: AsyncPolicy | None = None,
) -> Choice:
    """Pick the aggregate or the async path for a report, counting the requests of each (B8).

    ``auto`` lists the level's entities only when the async path could pay off (a DAY range
    of more than ten days); the listings cost general-bucket requests, ten times cheaper
    than the reporting ones (B11).

    Raises:
        InvalidArgument: an unknown ``method``, or ``"async"`` for a report async reports
            cannot serve (HOUR granularity, a metric they lack).
    """
    if method not in METHODS:
        raise InvalidArgument(f"method must be one of {', '.join(METHODS)}, not {method!r}.")
    policy = policy or AsyncPolicy()
    parts = 2 * client.max_workers
    page = client.page_size
    known = len(request.entity_ids) if request.entity_ids else 1
    # The cheap answers come first and count nothing: the aggregate path reads the dates itself.
    if method == "aggregate":
        return Choice("aggregate", "asked for", None)
    reason = unsupported_reason(request)
    if reason is not None:
        if method == "async":
            raise InvalidArgument(f"This report cannot be an async CSV report: {reason}.")
        return Choice("aggregate", reason, None)
    if method == "auto" and request.granularity != "DAY":
        return Choice("aggregate", "one row per entity: nothing to save", None)
    windows = async_windows(request)
    per_report = 2 + policy.expected_polls()  # create, polls, download
    if method == "auto":
        total_days = sum(_buckets(request.granularity, a, b) for a, b in windows)
        if total_days <= 10:
            return Choice("aggregate", f"{total_days} days per entity: too few to save", None)
        if request.entity_ids:
            cost = aggregate_requests(request, known, page_size=page, target_parts=parts)
            best = len(windows) * per_report + math.ceil(known / page)
            if cost < policy.min_savings * best:
                return Choice("aggregate", "few entities", cost, best)
    entities = tuple(list_entities(client, request.account, request.level))
    wanted = _wanted(request, entities)
    left = [e.id for e in wanted if not _selectable(request, e)]
    counts = {"campaigns": len({e.campaign_id for e in entities}), "ad_sets": len(entities)}
    if request.level == "AD":
        counts = {**counts, "ad_sets": len({e.parent_id for e in entities}), "ads": len(entities)}
    async_cost = _listing_requests(request.level, counts, page) + len(windows) * per_report
    if left:
        async_cost += aggregate_requests(request, 0, page_size=page, entity_ids=left)
    aggregate_cost = aggregate_requests(
        request, max(1, len(wanted)), page_size=page, target_parts=parts
    )
    if method == "async" or aggregate_cost >= policy.min_savings * async_cost:
        why = f"{aggregate_cost} aggregate requests against {async_cost} async"
        return Choice("async", why, aggregate_cost, async_cost, entities)
    why = f"{aggregate_cost} aggregate requests against {async_cost} async: too few saved"
    return Choice("aggregate", why, aggregate_cost, async_cost, entities)


# -- one async report: create, poll, download ------------------------------------------------------


def _body(
    request: ReportRequest, window: tuple[str | None, str | None], wanted: Sequence[Entity]
) -> dict[str, Any]:
    level = request.level
    first, last = window
    label = f"{first[:10]} to {last[:10]}" if first and last else "lifetime"
    body: dict[str, Any] = {
        "name": f"adstudio-nb {level.lower()} {label}",
        "granularity": request.granularity,
        "dimensions": list(_NAME_PATH[level]),
        "metrics": list(dict.fromkeys(ASYNC_METRIC_OF[f] for f in request.fields)),
    }
    if ASYNC_STATUSES[level]:
        # Every status the level can be selected by: the default would be ACTIVE only (B8).
        body["statuses"] = list(ASYNC_STATUSES[level])
    if request.entity_ids and level != "AD_ACCOUNT":
        campaigns = sorted({e.campaign_id for e in wanted if e.campaign_id})
        if campaigns:
            body["campaign_ids"] = campaigns
    if first and last:
        body["report_start"], body["report_end"] = first, last
    return body


def _await_link(
    client: AdsClient, account: str, report_id: str, policy: AsyncPolicy, *, first: bool
) -> str:
    """Poll a report until it is READY; return its ``report_url`` (B8)."""
    deadline = client.clock() + policy.deadline_s
    waits = policy.intervals()
    wait = next(waits) if first else 0.0
    status = "PROCESSING"
    while True:
        if wait > 0:
            remaining = deadline - client.clock()
            if remaining <= 0:
                raise AsyncReportTimeout(
                    f"The async report {report_id} was still {status} after "
                    f"{policy.deadline_s:g} s (AsyncPolicy.deadline_s). Spotify may still "
                    "finish it: look for it under Reports in Ads Manager, or run the report "
                    "again later.",
                    report_id=report_id,
                    status=status,
                )
            client.sleep(min(wait, remaining), "Spotify to build the CSV report")
        answer = endpoints.async_report_status(client, account, report_id)
        status = str(answer.get("status") or "PROCESSING")
        url = answer.get("report_url")
        if status == "READY" and isinstance(url, str) and url:
            return url
        if status in ("FAILED", "EXPIRED"):
            hint = (
                "Spotify could not build it (too large?): ask for a shorter range or fewer "
                "entities, or method='aggregate'."
                if status == "FAILED"
                else "its download link is no longer kept: run the report again."
            )
            raise AsyncReportError(
                f"The async report {report_id} is {status}: {hint}",
                report_id=report_id,
                status=status,
            )
        wait = next(waits)


# What cloud storage answers for a signed link that expired or no longer matches its key.
_LINK_REFUSED = frozenset({"ExpiredToken", "AccessDenied", "SignatureDoesNotMatch"})


class _LinkExpired(Exception):
    """Internal: the storage refused a signed link that expired (or no longer matches)."""


def _storage_code(content: bytes) -> str:
    match = re.search(rb"<Code>([^<]{1,80})</Code>", content[:4096])
    return match.group(1).decode("ascii", "replace") if match else ""


def _download(client: AdsClient, url: str, report_id: str, policy: AsyncPolicy) -> bytes:
    """Download a signed storage link with a plain session: no bearer, no netrc (B8)."""
    where = urlsplit(url)
    shown = f"{where.scheme}://{where.netloc}{where.path}"  # never the query: it is the key
    session = requests.Session()
    # Not the client's session: no Authorization header, no cookies, no netrc credentials.
    session.trust_env = False
    failures = 0
    try:
        while True:
            client.stats.add(requests=1)
            try:
                response = session.get(
                    url,
                    headers={"Accept": "text/csv, */*"},
                    timeout=(min(10.0, policy.download_timeout_s), policy.download_timeout_s),
                    stream=True,
                    proxies=requests.utils.get_environ_proxies(url),
                    verify=os.environ.get("REQUESTS_CA_BUNDLE") or True,
                )
                with response:
                    status = response.status_code
                    if status == 200:
                        body = bytearray()
                        for chunk in response.iter_content(_CHUNK_BYTES):
                            body += chunk
                            if len(body) > policy.max_csv_bytes:
                                raise AsyncReportError(
                                    f"The CSV of async report {report_id} is larger than "
                                    f"{policy.max_csv_bytes:,} bytes (AsyncPolicy."
                                    "max_csv_bytes): ask for a shorter range or fewer "
                                    "entities.",
                                    report_id=report_id,
                                    status="READY",
                                )
                        return bytes(body)
                    content = response.raw.read(4096, decode_content=True) or b""
            except (requests.RequestException, OSError) as exc:
                status, content = 0, type(exc).__name__.encode()
            code = _storage_code(content)
            if (status in (400, 403) and code in _LINK_REFUSED) or (status == 403 and not code):
                raise _LinkExpired(code or "HTTP 403")
            if (status == 0 or status >= 500) and failures < 3:
                failures += 1
                client.sleep(min(8.0, 0.5 * 2**failures), "a retry of the CSV download")
                continue
            detail = f" ({code})" if code else ""
            raise AsyncReportError(
                f"Downloading the CSV of async report {report_id} from {shown} failed with "
                f"HTTP {status or 'no answer'}{detail}. Run the report again.",
                report_id=report_id,
                status="READY",
                status_code=status or None,
                url=where.path,
            )
    finally:
        session.close()


def _fetch_csv(
    client: AdsClient, request: ReportRequest, body: Mapping[str, Any], policy: AsyncPolicy
) -> tuple[str, bytes]:
    report_id = endpoints.create_async_report(client, request.account, body)
    url = _await_link(client, request.account, report_id, policy, first=True)
    for renewal in range(policy.max_link_renewals + 1):
        try:
            return report_id, _download(client, url, report_id, policy)
        except _LinkExpired as exc:
            if renewal == policy.max_link_renewals:
                raise AsyncReportError(
                    f"The storage refused every download link of async report {report_id} "
                    f"({exc}): the links expired before the download. Run the report again.",
                    report_id=report_id,
                    status="READY",
                ) from None
            log.info("async report %s: the download link expired; asking for a new one", report_id)
            url = _await_link(client, request.account, report_id, policy, first=False)
    raise AssertionError("unreachable")  # pragma: no cover


# -- the CSV to the report frame ------------------------------------------------------------------


def _header_name(text: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", text.strip().upper()).strip("_")


def _metric_array(values: np.ndarray, field: str) -> pd.api.extensions.ExtensionArray:
    """Return a metric column as ``frames`` types it: Int64 counts when whole, else Float64."""
    missing = np.isnan(values)
    if field in frames.SENTINEL_METRICS:
        missing = missing | (values == frames.PRIVACY_SENTINEL)  # B7
    if field in frames.COUNT_METRICS:
        clean = np.where(missing, 0, values)
        if np.array_equal(clean, np.trunc(clean)) and not np.any(np.abs(clean) >= 2**63):
            return pd.arrays.IntegerArray(clean.astype(np.int64), missing)
    return pd.arrays.FloatingArray(np.where(missing, 0.0, values), missing)


def _numbers(column: pd.Series) -> np.ndarray:
    return pd.to_numeric(column.replace("", None), errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )


def _times(column: pd.Series) -> pd.api.extensions.ExtensionArray:
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    texts = pd.Series(np.asarray(uniques, dtype=object)).replace("", None)
    parsed = pd.to_datetime(texts, utc=True, format="ISO8601", errors="coerce")
    typed = pd.Series(parsed.astype(frames.UTC_DATETIME).array)
    return typed.take(codes).array if len(codes) else typed.iloc[:0].array


@dataclass
class _Parsed:
    """One CSV read into the report's columns, and which entities it held."""

    frame: pd.DataFrame
    found: set[str]


def csv_report_frame(
    content: bytes | str,
    *,
    level: str,
    fields: Sequence[str],
    entities: Sequence[Entity],
    include_parent: bool = False,
    report_id: str = "",
    granularity: str = "DAY",
) -> pd.DataFrame:
    """Return an async report's CSV as the typed frame of :func:`~adstudio_nb.frames.report_frame`.

    Read by its header: entity names (or ids) resolve through ``entities``; START_TIME and
    END_TIME (or a DATE column) become the times; the metrics map to their
    ``ReportFieldType`` columns; any other column is kept under its own name in lower case
    (numbers as ``Float64``, text as ``string``). Rows of entities not in ``entities``, or
    whose names two entities share, are left out (see :func:`async_report_frame`).

    Raises:
        UnreadableReport: the CSV is empty or cut short, has none of the columns asked for,
            lacks a metric or the entity or time columns, or is not CSV.
    """
    return _read_csv(
        content,
        level=level,
        fields=fields,
        entities=entities,
        include_parent=include_parent,
        report_id=report_id,
        granularity=granularity,
    ).frame


def _unreadable(report_id: str, detail: str) -> UnreadableReport:
    name = f"async report {report_id}" if report_id else "the async report"
    return UnreadableReport(
        f"The CSV of {name} cannot be read as a report: {detail} Run it again with "
        "method='aggregate'.",
        report_id=report_id,
        status="READY",
    )


def _read_csv(
    content: bytes | str,
    *,
    level: str,
    fields: Sequence[str],
    entities: Sequence[Entity],
    include_parent: bool,
    report_id: str,
    granularity: str,
) -> _Parsed:
    text = content.decode("utf-8-sig", "replace") if isinstance(content, bytes) else content
    first_line = text.split("\n", 1)[0].strip()
    if not first_line:
        raise _unreadable(report_id, "it is empty.")
    header = next(csv.reader([first_line]))
    names = [_header_name(h) for h in header]
    fields = list(dict.fromkeys(fields))
    metric_of: dict[int, str] = {}
    for n, name in enumerate(names):
        field = _FIELD_OF_HEADER.get(name) or (name if name in ASYNC_METRIC_OF else None)
        if field in fields and field not in metric_of.values():
            metric_of[n] = field
    path = [c for c in _NAME_PATH[level] if c in names]
    id_column = _ID_COLUMN[level] if _ID_COLUMN[level] in names else None
    times = [c for c in _TIME_COLUMNS if c in names]
    if not metric_of and not path and not id_column and not times:
        shown = ", ".join(header[:8]) + (", ..." if len(header) > 8 else "")
        raise _unreadable(report_id, f"none of its columns ({shown}) is one asked for.")
    missing = [f for f in fields if f not in metric_of.values()]
    if missing:
        raise _unreadable(report_id, f"it has no column for {', '.join(missing)}.")
    own = _NAME_PATH[level][-1]
    if id_column is None and own not in path:
        raise _unreadable(report_id, f"it names no {level.lower().replace('_', ' ')}.")
    if granularity == "DAY" and not times:
        raise _unreadable(report_id, "it has no START_TIME or DATE column for its days.")
    try:
        raw = pd.read_csv(
            io.StringIO(text),
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            header=0,
            names=names,
            engine="c",
        )
    except (ValueError, pd.errors.ParserError, csv.Error) as exc:
        raise _unreadable(report_id, f"it is not well-formed CSV ({type(exc).__name__}).") from exc
    # -- which entity each row is ------------------------------------------------------------
    if id_column is not None:
        lookup = {e.id: i for i, e in enumerate(entities)}
        keys = raw[id_column]
    else:
        positions = [_NAME_PATH[level].index(c) for c in path]
        counted: dict[tuple[Any, ...], list[int]] = {}
        for i, e in enumerate(entities):
            counted.setdefault(
                tuple(e.key[p] if p < len(e.key) else None for p in positions), []
            ).append(i)
        lookup = {"\x1f".join(map(str, k)): v[0] for k, v in counted.items() if len(v) == 1}
        shared = sum(len(v) for v in counted.values() if len(v) > 1)
        if shared:
            log.info("%d entities share their names: they come from aggregate reports", shared)
        keys = raw[path[0]]
        for column in path[1:]:
            keys = keys.str.cat(raw[column], sep="\x1f")
    codes, uniques = pd.factorize(keys)
    of_unique = np.array([lookup.get(u, -1) for u in uniques], dtype=np.int64)
    row_entity = of_unique[codes] if len(codes) else np.empty(0, dtype=np.int64)
    keep = row_entity >= 0
    if not keep.all():
        log.info("%d CSV rows name no entity of the report; left out", int((~keep).sum()))
    raw = raw.loc[keep].reset_index(drop=True)
    row_entity = row_entity[keep]
    # -- times, then the order of frames.report_frame(sort=True): entity, start time ---------
    if "START_TIME" in raw:
        start = _times(raw["START_TIME"])
        end = _times(raw["END_TIME"]) if "END_TIME" in raw else None
    elif times:
        start = pd.Series(_times(raw[times[0]])).dt.floor("D").array
        end = None
    else:
        start = pd.array([pd.NaT] * len(raw), dtype=frames.UTC_DATETIME)
        end = start
    if end is None:
        end = (pd.Series(start) + pd.Timedelta(days=1)).array
    entity_rank = pd.factorize(row_entity)[0]
    start_ns = pd.Series(start).to_numpy(dtype="datetime64[ns]").astype(np.int64)
    order = np.lexsort((start_ns, entity_rank))
    raw = raw.take(order).reset_index(drop=True)
    row_entity = row_entity[order]
    start = start.take(order)
    end = end.take(order)
    # -- the columns, typed as frames types them ---------------------------------------------
    n_rows = len(raw)

    def per_entity(values: list[Any], dtype: Any) -> Any:
        typed = pd.Series(pd.array(values, dtype=dtype))
        return typed.take(row_entity).array if n_rows else typed.iloc[:0].array

    status_dtype = frames.STATUS_DTYPES["report_status"]
    columns: dict[str, Any] = {
        "entity_type": pd.Categorical([level] * n_rows, dtype=frames.STATUS_DTYPES["entity_type"]),
        "entity_id": per_entity([e.id for e in entities], frames.STRING),
        "entity_name": per_entity([e.name for e in entities], frames.STRING),
        "entity_status": per_entity([e.status for e in entities], status_dtype),
    }
    if include_parent:
        columns["parent_id"] = per_entity([e.parent_id for e in entities], frames.STRING)
        columns["parent_name"] = per_entity([e.parent_name for e in entities], frames.STRING)
        columns["parent_status"] = per_entity([e.parent_status for e in entities], status_dtype)
    columns["start_time"] = start
    columns["end_time"] = end
    flags: dict[str, Any] = {}
    by_field = {f: names[n] for n, f in metric_of.items()}
    for field in fields:
        values = _numbers(raw[by_field[field]])
        name = frames.metric_column(field)
        columns[name] = _metric_array(values, field)
        if field in frames.SENTINEL_METRICS:
            suppressed = values == frames.PRIVACY_SENTINEL  # B7: between 1 and 4
            flags[f"{name}_suppressed"] = pd.arrays.BooleanArray(suppressed, np.zeros(n_rows, bool))
    used = {*path, *times, *([id_column] if id_column else []), *(names[n] for n in metric_of)}
    for name in names:
        if name in used or name.lower() in columns:
            continue
        cells = raw[name]
        numbers = _numbers(cells)
        filled = cells != ""
        if bool(np.all(~np.isnan(numbers) | ~filled.to_numpy())):
            columns[name.lower()] = pd.arrays.FloatingArray(
                np.nan_to_num(numbers), np.isnan(numbers)
            )
        else:
            columns[name.lower()] = cells.where(filled, None).astype(frames.STRING).array
    columns.update(flags)
    frame = pd.DataFrame(columns, index=pd.RangeIndex(n_rows), copy=False)
    found = {entities[i].id for i in np.unique(row_entity)}
    return _Parsed(frame, found)


# -- the whole report -----------------------------------------------------------------------------


def _aggregate_frame(
    client: AdsClient,
    request: ReportRequest,
    ids: Sequence[str],
    window: tuple[str | None, str | None],
) -> pd.DataFrame:
    builder = frames.ReportFrameBuilder(list(request.fields), include_parent=request.include_parent)
    for page in endpoints.aggregate_report_pages(
        client,
        request.account,
        entity_type=request.level,
        fields=list(request.fields),
        granularity=request.granularity,
        start=window[0],
        end=window[1],
        entity_ids=list(ids),
        entity_ids_type=request.level,
        include_parent_entity=request.include_parent,
    ):
        builder.add_page(page)
    return builder.frame(sort=True)


def _concat(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate report frames keeping every column's dtype (categories unioned)."""
    parts = [p for p in parts if p is not None]
    if len(parts) == 1:
        return parts[0]
    columns: list[str] = list(dict.fromkeys(c for p in parts for c in p.columns))
    filled = []
    for part in parts:
        extra = {}
        for column in columns:
            if column not in part:
                like = next(p[column] for p in parts if column in p)
                # NA of the column's own dtype, whatever it is.
                extra[column] = like.iloc[:0].reindex(range(len(part))).array
        filled.append(part.assign(**extra)[columns] if extra else part[columns])
    out: dict[str, Any] = {}
    for column in columns:
        series = [p[column] for p in filled]
        if all(isinstance(s.dtype, pd.CategoricalDtype) for s in series):
            out[column] = pd.api.types.union_categoricals([s.array for s in series])
        else:
            out[column] = pd.concat(series, ignore_index=True).array
    return pd.DataFrame(out)


def async_report_frame(
    client: AdsClient,
    request: ReportRequest,
    *,
    entities: Sequence[Entity] | None = None,
    policy: AsyncPolicy | None = None,
    on_report: Callable[[str, str], None] | None = None,
) -> pd.DataFrame:
    """Return a report through async CSV reports, as the aggregate path's typed frame (B8).

    One async report per 365 days; each is created, polled (a growing interval up to
    ``policy.poll_max_s``, within ``policy.deadline_s``), downloaded from its storage link
    without the bearer token, and read by :func:`csv_report_frame`. Entities the CSV does not
    hold (a status async reports cannot select, names two entities share) come from aggregate
    reports of their ids, so the result is complete; rows are ordered by entity, then time.

    Args:
        client: the client (its ``sleep`` and ``clock`` pace the polls).
        request: the report.
        entities: the level's entities, when already listed (:func:`choose_method`).
        policy: polling and download settings.
        on_report: told ``(report_id, what)`` as each report is created and downloaded.

    Raises:
        AsyncReportTimeout: a report was still PROCESSING at the deadline (its id is on it).
        AsyncReportError: a report FAILED or EXPIRED, or its download failed.
        UnreadableReport: a CSV without the columns asked for.
    """
    policy = policy or AsyncPolicy()
    reason = unsupported_reason(request)
    if reason is not None:
        raise InvalidArgument(f"This report cannot be an async CSV report: {reason}.")
    if entities is None:
        entities = list_entities(client, request.account, request.level)
    wanted = _wanted(request, entities)
    wanted_ids = {e.id for e in wanted}
    known = [e for e in wanted if e.name is not None or request.level == "AD_ACCOUNT"]
    parts: list[pd.DataFrame] = []
    for window in async_windows(request):
        if not known:
            break
        body = _body(request, window, wanted)
        report_id, content = _fetch_csv(client, request, body, policy)
        if on_report is not None:
            on_report(report_id, "downloaded")
        parsed = _read_csv(
            content,
            level=request.level,
            fields=request.fields,
            entities=entities,  # all of them: names two entities share resolve to neither
            include_parent=request.include_parent,
            report_id=report_id,
            granularity=request.granularity,
        )
        frame = parsed.frame
        if len(frame):
            frame = frame[frame["entity_id"].isin(wanted_ids).to_numpy()].reset_index(drop=True)
        parts.append(frame)
        left = [e.id for e in wanted if e.id not in parsed.found]
        if left:
            log.info(
                "async report %s: %d entities come from aggregate reports", report_id, len(left)
            )
            parts.append(_aggregate_frame(client, request, left, window))
    if not known:  # nothing the listings know: ask the aggregate report about the ids as given
        for window in async_windows(request):
            parts.append(_aggregate_frame(client, request, [e.id for e in wanted], window))
    if not parts:
        return frames.empty_report_frame(
            list(request.fields), include_parent=request.include_parent
        )
    frame = _concat(parts)
    if len(parts) > 1 and len(frame):
        rank = pd.factorize(frame["entity_id"])[0]
        start = frame["start_time"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
        frame = frame.take(np.lexsort((start, rank))).reset_index(drop=True)
    return frame
