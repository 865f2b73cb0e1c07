"""The Ads API's async CSV reports (B8): submit, poll, and the CSV behind ``report_url``.

Owns ``POST /ad_accounts/{id}/async_reports`` (validating the JSON body), the report's status as
the sandbox clock moves (PROCESSING while it is built and for at least the storage's
``processing_s``, then READY, then EXPIRED; FAILED when too big), and building the CSV, which
is written to the storage origin's bucket (``storage.py``) while the report is PROCESSING.
``report_url`` is a signed link to that other origin, as Spotify's points at cloud storage: it
needs no bearer token and refuses one, and a new one is handed out on every status call.
Submitted reports live in the sandbox's state (``ctx.async_reports``). Every handler is marked
``@reporting`` (B11 bucket). Never invents a number: values come from ``AdsData``.
"""

from __future__ import annotations

import csv
import io
import json
import threading
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Response

from ..context import ApiContext, reporting
from ..data import DAY_H, AdAccount, AdsData, Vector, hour_datetime, iso
from ..errors import ads_error, json_response
from .query import ACCOUNT_PREFIX, Query, account_for, bad_request, check_uuid
from .report_common import ancestor_id, entity_vector, hour_of, parse_time

ASYNC_PROCESSING_S = 10.0  # B8: PROCESSING at least this long (sandbox clock), then READY
ASYNC_EXPIRY_S = 24 * 3600.0  # then EXPIRED
ASYNC_MAX_ROWS = 1_000_000  # bigger reports end FAILED


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
# spec: InsightDimensionType and AttributionWindow, optional but validated.
INSIGHT_DIMENSIONS = (
    "ACT_AND_SET",
    "AGE",
    "AUDIENCE",
    "CITY",
    "COUNTRY",
    "FORMAT",
    "GENDER",
    "GENRE",
    "INTERESTS",
    "METRO",
    "PLACEMENT",
    "PLATFORM",
    "PODCAST_EPISODE_TOPIC",
    "REGION",
    "TONE",
)
ATTRIBUTION_WINDOWS = ("IMPRESSION_30_DAY", "IMPRESSION_7_DAY")
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
    first = hour_of(parse_time(start, "report_start")) // DAY_H * DAY_H
    end_dt = parse_time(end, "report_end") if end else None
    if granularity == "DAY":
        for name, dt in (
            ("report_start", parse_time(start, "report_start")),
            ("report_end", end_dt),
        ):
            if dt and (dt.hour or dt.minute or dt.second):
                raise bad_request(f"'{name}' of a DAY report must be a UTC midnight.")
    last = (hour_of(end_dt) // DAY_H + 1) * DAY_H if end_dt else first + DAY_H
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
    granularity = body.get("granularity")
    if granularity is None:  # spec: required, no default
        raise bad_request("'granularity' is required: DAY or LIFETIME.")
    if granularity not in ("DAY", "LIFETIME"):
        raise bad_request("'granularity' must be DAY or LIFETIME.")
    for key, allowed in (
        ("insight_dimension", INSIGHT_DIMENSIONS),
        ("attribution_window", ATTRIBUTION_WINDOWS),
    ):
        value = body.get(key)
        if value is not None and value not in allowed:
            raise bad_request(f"'{key}' must be one of {', '.join(allowed)}.")
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
    if ctx.storage is not None and report.rows <= ASYNC_MAX_ROWS:
        data = ctx.data
        ctx.storage.write_later(object_path(report), lambda: report_csv(data, account, report))
    return json_response({"id": report.id}, status=201)


def object_path(report: AsyncReport) -> str:
    """Return the key of a report's CSV in the storage bucket (``account/report/name.csv``)."""
    return f"{report.account_id}/{report.id}/{report.name}.csv"


def _async_report(ctx: ApiContext, ad_account_id: str, report_id: str) -> AsyncReport:
    account = account_for(ctx, ad_account_id)
    report_id = check_uuid(report_id, "report_id")
    with _async_lock:
        report = ctx.async_reports.get(report_id)
    if not isinstance(report, AsyncReport) or report.account_id != account.id:
        raise ads_error(404, f"Report {report_id} not found.", code="NOT_FOUND")
    return report


def _processing_s(ctx: ApiContext) -> float:
    return float(ctx.storage.processing_s) if ctx.storage is not None else ASYNC_PROCESSING_S


def _async_status(ctx: ApiContext, report: AsyncReport) -> str:
    age = ctx.clock.now() - report.submitted_at
    processing_s = _processing_s(ctx)
    if age < processing_s:
        return "PROCESSING"
    if report.rows > ASYNC_MAX_ROWS:
        return "FAILED"
    if age >= processing_s + ASYNC_EXPIRY_S:
        return "EXPIRED"
    # Done by the sandbox clock: wait for the CSV rather than let the machine's speed decide
    # the status (a report the clock calls done is READY or FAILED).
    if ctx.storage is not None and ctx.storage.state(object_path(report), wait=True) != "written":
        return "FAILED"
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
        done = report.submitted_at + _processing_s(ctx)
        body["completed_at"] = iso(datetime.fromtimestamp(done, tz=UTC))
    if status == "READY" and ctx.storage is not None:
        # B8: a signed storage link, fresh on every call (each one expires on its own).
        body["report_url"] = ctx.storage.signed_url(object_path(report))
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
            items = [e for e in items if ancestor_id(level, e, "CAMPAIGN") in wanted]
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


def _cell(
    data: AdsData,
    vector: Vector,
    metric: str,
    level: str,
    hours: int,
    reach: tuple[int, int] | None,
) -> Any:
    name = ASYNC_METRICS[metric]
    if name == "CPM":
        impressions = data.count(vector, "IMPRESSIONS")
        spend = data.value(vector, "SPEND", level, hours)
        return round(spend / impressions * 1000, 4) if impressions else 0.0
    return data.value(vector, name, level, hours, reach=reach)


def report_csv(data: AdsData, account: AdAccount, report: AsyncReport) -> bytes:
    """Build a report's CSV: the dimensions asked for, START_TIME, END_TIME, the metrics (B8)."""
    entities, buckets = _async_entities(data, account, report)
    out = io.StringIO()
    writer = csv.writer(out)
    dims = [d for d in ASYNC_DIMENSIONS if d in report.dimensions]
    writer.writerow([*dims, "START_TIME", "END_TIME", *report.metrics])
    for level, entity in entities:
        cells = [_dimension(data, account, level, entity, d) for d in dims]
        for bucket in buckets:
            vector, hours, span = entity_vector(data, level, entity, bucket)
            times = bucket or span
            start = iso(hour_datetime(times[0])) if times else ""
            end = iso(hour_datetime(times[1])) if times else ""
            wanted = [ASYNC_METRICS[m] for m in report.metrics]
            reach = data.reach_of(level, entity, bucket, wanted)
            metrics = [_cell(data, vector, m, level, hours, reach) for m in report.metrics]
            writer.writerow([*cells, start, end, *metrics])
    return out.getvalue().encode("utf-8")


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


ROUTES: list[Rule] = [
    Rule(f"{ACCOUNT_PREFIX}/async_reports", endpoint=create_async_report, methods=["POST"]),
    Rule(f"{ACCOUNT_PREFIX}/async_reports/<report_id>", endpoint=get_async_report, methods=["GET"]),
]
"""The async report routes (B8), all in the reporting rate-limit bucket (B11)."""
