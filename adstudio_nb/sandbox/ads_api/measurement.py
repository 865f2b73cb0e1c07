"""The Ads API's measurement: a business's datasets, pixels, CAPI integrations and mobile apps.

Owns ``/businesses/{id}/datasets`` (one, a dataset's diagnostics, those shared with an ad
account), ``/businesses/{id}/pixels`` (events and hourly history on request, offset paging),
``/businesses/{id}/capi/{id}`` and its tokens (masked: a listing never shows a live
credential), and ``/businesses/{id}/mobile_apps`` (one, those shared with an ad account).
The objects are the data set's (``data/measurement.py``), whose event counts follow the ad
accounts' delivery. Never checks tokens, rate limits or faults: the application does that
before calling a handler.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from werkzeug.routing import Rule

from ..context import ApiContext
from ..data import DAY_H, HOUR_S, split
from ..data.measurement import Dataset
from ..data.objects import AdAccount, Business
from ..errors import ads_error
from .listing import paginate, whole_listing
from .query import V3, Query, account_for, bad_request, business_for, check_uuid, found

_BUSINESS = f"{V3}/businesses/<business_id>"
MAX_HISTORY_DAYS = 31
DIAGNOSTIC_GRANULARITIES = ("DAILY", "HOURLY")
_DAILY_POINTS = 7
_HOURLY_POINTS = 24


def _account_in(ctx: ApiContext, business: Business, ad_account_id: str) -> AdAccount:
    account = account_for(ctx, ad_account_id)
    if account.business_id != business.id:
        raise ads_error(
            404, f"Ad account {account.id} not found in this business.", code="NOT_FOUND"
        )
    return account


def _dataset(ctx: ApiContext, business: Business, dataset_id: str) -> Dataset:
    wanted = check_uuid(dataset_id, "dataset_id")
    return found(ctx.data.measurement.dataset(business, wanted), "Dataset", wanted)


# -- datasets ----------------------------------------------------------------------------------


def list_datasets(ctx: ApiContext, business_id: str) -> dict[str, Any]:
    """``GET /businesses/{id}/datasets``."""
    Query(ctx.request)
    business = business_for(ctx, business_id)
    datasets = ctx.data.measurement.datasets(business)
    body = [ctx.data.measurement.dataset_json(d) for d in datasets]
    return {"datasets": body, "paging": whole_listing(ctx, datasets)}


def get_dataset(ctx: ApiContext, business_id: str, dataset_id: str) -> dict[str, Any]:
    """``GET /businesses/{id}/datasets/{dataset_id}``."""
    Query(ctx.request)
    business = business_for(ctx, business_id)
    return ctx.data.measurement.dataset_json(_dataset(ctx, business, dataset_id))


def list_account_datasets(ctx: ApiContext, business_id: str, ad_account_id: str) -> dict[str, Any]:
    """``GET /businesses/{id}/ad_accounts/{ad_account_id}/datasets``: those shared with it."""
    Query(ctx.request)
    business = business_for(ctx, business_id)
    account = _account_in(ctx, business, ad_account_id)
    datasets = ctx.data.measurement.datasets_of_account(account)
    body = [ctx.data.measurement.dataset_json(d) for d in datasets]
    return {"datasets": body, "paging": whole_listing(ctx, datasets)}


def get_diagnostics(ctx: ApiContext, business_id: str, dataset_id: str) -> dict[str, Any]:
    """``GET /businesses/{id}/datasets/{dataset_id}/diagnostics``: events per datasource."""
    query = Query(ctx.request)
    granularities = query.enums("granularities", DIAGNOSTIC_GRANULARITIES)
    if not granularities:
        raise bad_request("The parameter 'granularities' is required (DAILY, HOURLY or both).")
    wanted = set(query.many("datasource_ids"))
    business = business_for(ctx, business_id)
    dataset = _dataset(ctx, business, dataset_id)
    measurement = ctx.data.measurement
    now_hour = ctx.data.now_hour()
    sources = [("PIXEL", dataset.pixel_id, 0), ("CAPI", dataset.capi_connection_id, 1)]
    out = []
    for kind, source_id, share in sources:
        if wanted and source_id not in wanted:
            continue
        for granularity in granularities:
            if granularity == "DAILY":
                today = now_hour // DAY_H
                points = [
                    (d * DAY_H * HOUR_S, measurement.events_on(dataset, d))
                    for d in range(today - _DAILY_POINTS, today)
                ]
            else:
                points = []
                for hour in range(now_hour - _HOURLY_POINTS, now_hour):
                    counts = measurement.hourly_events(dataset, hour // DAY_H)[hour % DAY_H]
                    points.append((hour * HOUR_S, counts))
            series = []
            for start_s, counts in points:
                # The browser pixel sees about 70 % of the events, the server integration the rest.
                mine = {e: split(n, (7, 3))[share] for e, n in counts.items()}
                series.append(
                    {
                        "timestamp": start_s * 1000,
                        "total": sum(mine.values()),
                        "event_counts": [
                            {"name": e, "event_count": n, "last_activity_ms": start_s * 1000}
                            for e, n in mine.items()
                        ],
                    }
                )
            out.append(
                {
                    "datasource_type": kind,
                    "datasource_id": source_id,
                    "granularity": granularity,
                    "timeseries": series,
                }
            )
    return {"dataset_id": dataset.id, "datasources": out}


# -- pixels and CAPI ---------------------------------------------------------------------------


def _history_days(query: Query) -> tuple[int, int] | None:
    if not query.boolean("include_historical_events", False):
        return None
    start, end = query.one("historical_events_start_date"), query.one("historical_events_end_date")
    if not (start and end):
        raise bad_request(
            "historical_events_start_date and historical_events_end_date are required when "
            "include_historical_events is true."
        )
    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError:
        raise bad_request("Historical event dates must be ISO 8601 dates (yyyy-MM-dd).") from None
    if last < first:
        raise bad_request("historical_events_end_date must not be before the start date.")
    if (last - first).days >= MAX_HISTORY_DAYS:
        raise bad_request(f"Historical events cover at most {MAX_HISTORY_DAYS} days.")
    epoch = date(1970, 1, 1)
    return (first - epoch).days, (last - epoch).days


def list_pixels(ctx: ApiContext, business_id: str) -> dict[str, Any]:
    """``GET /businesses/{id}/pixels``: events and hourly history on request, offset paging."""
    query = Query(ctx.request)
    include_events = query.boolean("include_events", False)
    history = _history_days(query)
    business = business_for(ctx, business_id)
    measurement = ctx.data.measurement
    page, paging = paginate(
        ctx,
        query,
        measurement.datasets(business),
        lambda d: measurement.pixel_json(d, include_events=include_events, history_days=history),
    )
    return {"pixels": page, "paging": paging}


def get_pixel(ctx: ApiContext, business_id: str, pixel_id: str) -> dict[str, Any]:
    """``GET /businesses/{id}/pixels/{pixel_id}``."""
    Query(ctx.request)
    business = business_for(ctx, business_id)
    dataset = found(
        ctx.data.measurement.dataset_by_pixel(business, pixel_id), "Pixel", pixel_id[:60]
    )
    return ctx.data.measurement.pixel_json(dataset, include_events=True)


def _capi(ctx: ApiContext, business_id: str, connection_id: str) -> Dataset:
    business = business_for(ctx, business_id)
    wanted = check_uuid(connection_id, "capi_connection_id")
    return found(ctx.data.measurement.dataset_by_capi(business, wanted), "CAPI integration", wanted)


def get_capi_integration(ctx: ApiContext, business_id: str, capi_connection_id: str) -> Any:
    """``GET /businesses/{id}/capi/{capi_connection_id}``."""
    Query(ctx.request)
    return ctx.data.measurement.capi_json(_capi(ctx, business_id, capi_connection_id))


def get_capi_tokens(ctx: ApiContext, business_id: str, capi_connection_id: str) -> Any:
    """``GET /businesses/{id}/capi/{capi_connection_id}/tokens``: masked."""
    Query(ctx.request)
    return ctx.data.measurement.capi_tokens_json(_capi(ctx, business_id, capi_connection_id))


# -- mobile apps -------------------------------------------------------------------------------


def list_mobile_apps(ctx: ApiContext, business_id: str) -> dict[str, Any]:
    """``GET /businesses/{id}/mobile_apps``."""
    Query(ctx.request)
    apps = ctx.data.measurement.mobile_apps(business_for(ctx, business_id))
    return {"mobile_apps": [a.to_json() for a in apps], "paging": whole_listing(ctx, apps)}


def get_mobile_app(ctx: ApiContext, business_id: str, mobile_app_id: str) -> dict[str, Any]:
    """``GET /businesses/{id}/mobile_apps/{mobile_app_id}``."""
    Query(ctx.request)
    business = business_for(ctx, business_id)
    wanted = check_uuid(mobile_app_id, "mobile_app_id")
    return found(ctx.data.measurement.mobile_app(business, wanted), "Mobile app", wanted).to_json()


def list_account_mobile_apps(ctx: ApiContext, business_id: str, ad_account_id: str) -> Any:
    """``GET /businesses/{id}/ad_accounts/{ad_account_id}/mobile_apps``: those shared with it."""
    Query(ctx.request)
    business = business_for(ctx, business_id)
    account = _account_in(ctx, business, ad_account_id)
    apps = [a for a in ctx.data.measurement.mobile_apps(business) if account in a.shared]
    return {"mobile_apps": [a.to_json() for a in apps], "paging": whole_listing(ctx, apps)}


ROUTES: list[Rule] = [
    Rule(f"{_BUSINESS}/datasets", endpoint=list_datasets, methods=["GET"]),
    Rule(f"{_BUSINESS}/datasets/<dataset_id>", endpoint=get_dataset, methods=["GET"]),
    Rule(
        f"{_BUSINESS}/datasets/<dataset_id>/diagnostics", endpoint=get_diagnostics, methods=["GET"]
    ),
    Rule(
        f"{_BUSINESS}/ad_accounts/<ad_account_id>/datasets",
        endpoint=list_account_datasets,
        methods=["GET"],
    ),
    Rule(f"{_BUSINESS}/pixels", endpoint=list_pixels, methods=["GET"]),
    Rule(f"{_BUSINESS}/pixels/<pixel_id>", endpoint=get_pixel, methods=["GET"]),
    Rule(f"{_BUSINESS}/capi/<capi_connection_id>", endpoint=get_capi_integration, methods=["GET"]),
    Rule(
        f"{_BUSINESS}/capi/<capi_connection_id>/tokens", endpoint=get_capi_tokens, methods=["GET"]
    ),
    Rule(f"{_BUSINESS}/mobile_apps", endpoint=list_mobile_apps, methods=["GET"]),
    Rule(f"{_BUSINESS}/mobile_apps/<mobile_app_id>", endpoint=get_mobile_app, methods=["GET"]),
    Rule(
        f"{_BUSINESS}/ad_accounts/<ad_account_id>/mobile_apps",
        endpoint=list_account_mobile_apps,
        methods=["GET"],
    ),
]
"""The measurement routes."""
