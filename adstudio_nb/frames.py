"""Ads API JSON to typed pandas DataFrames; the column specs are constants of this module.

This module owns the shapes analysts get: one loader per object kind (businesses, ad accounts
with the billing address flattened, campaigns, ad sets with budgets in micros and in currency
units, ads) and per report kind (aggregate reports with one column per metric, totals,
insight reports), each with a fixed column spec so that an empty result still has the right
columns and dtypes. Times are tz-aware UTC, statuses are categoricals over the spec's enums,
counts are nullable ``Int64`` and ratios and money nullable ``Float64``. The privacy sentinel
``-5`` of conversion counts (B7) becomes NA with a ``<metric>_suppressed`` flag, so it is
never summed as a number.

Report pages are shaped in one pass over the parsed rows: columns are built directly from
lists (strings and times dictionary-encoded, metric values collected into a flat array of
doubles), never with per-row pandas operations; a page shaped as Spotify sends it (every
row's stats in the requested order) is read with a handful of C-level ``map`` calls and no
Python code per row. Raw pages are parsed with orjson (``paging.parse_json``). That is what
keeps a million rows fast.

It never does HTTP (``client`` fetches) and never prints.

Example:
    >>> page = {"rows": [{"entity_type": "AD_SET", "entity_id": "7f4c1cc9-9a1d-4b65-b05c-46e5e33b6705",
    ...     "entity_name": "My Ad Set", "entity_status": "ACTIVE",
    ...     "start_time": "2021-01-23T00:00:00Z", "end_time": "2021-01-24T00:00:00Z",
    ...     "stats": [{"field_type": "CLICKS", "field_value": 100},
    ...               {"field_type": "LEADS", "field_value": -5}]}]}
    >>> df = report_frame([page])
    >>> [str(v) for v in df.loc[0, ["clicks", "leads", "leads_suppressed"]]]
    ['100', '<NA>', 'True']
"""  # noqa: E501

from __future__ import annotations

import functools
import json
import math
from array import array
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, repeat
from operator import itemgetter
from typing import Any, ParamSpec, TypeVar

import numpy as np
import pandas as pd

from .exceptions import AdStudioError, MalformedPayload
from .paging import parse_json

P = ParamSpec("P")
R = TypeVar("R")

__all__ = [
    "AD_ACCOUNT_COLUMNS",
    "AD_COLUMNS",
    "AD_SET_COLUMNS",
    "BUSINESS_COLUMNS",
    "CAMPAIGN_COLUMNS",
    "CONVERSION_METRICS",
    "COUNT_METRICS",
    "INSIGHT_KEY_COLUMNS",
    "REPORT_KEY_COLUMNS",
    "SENTINEL_METRICS",
    "STATUS_DTYPES",
    "UTC_DATETIME",
    "Column",
    "ReportFrameBuilder",
    "ad_accounts_frame",
    "ad_sets_frame",
    "ads_frame",
    "businesses_frame",
    "campaigns_frame",
    "empty_report_frame",
    "insights_frame",
    "metric_column",
    "objects_frame",
    "report_frame",
    "totals_frame",
]

UTC_DATETIME = pd.DatetimeTZDtype("ns", "UTC")
STRING = pd.StringDtype()

# Spec enums (openapi.yaml): categories are fixed so frames concatenate and empty frames are
# typed; a value Spotify adds later is appended to the categories rather than lost.
_ENUMS: dict[str, tuple[str, ...]] = {
    "business_status": ("ACTIVE",),
    "business_type": ("ADVERTISER", "AGENCY", "MUSIC_ARTIST_CONCERT_PROMOTER", "PODCAST_PROMOTER"),
    "ad_account_status": (
        "ACTIVE",
        "INACTIVE",
        "GREY_LISTED",
        "PENDING_MARKET",
        "SUSPEND_LISTED",
        "BLACKLISTED",
    ),
    "ad_account_role": ("AD_ACCOUNT_ADMIN", "AD_ACCOUNT_CONTRIBUTOR", "AD_ACCOUNT_VIEWER"),
    "campaign_status": (
        "UNSET",
        "ACTIVE",
        "PAUSED",
        "ARCHIVED",
        "AGENT_CONTROLLED",
        "ACTIVE_RESTRICTED",
        "PENDING_ADVERTISER_REVIEW",
        "UNRECOGNIZED",
    ),
    "objective": (
        "UNSET",
        "REACH",
        "EVEN_IMPRESSION_DELIVERY",
        "CLICKS",
        "VIDEO_VIEWS",
        "PODCAST_STREAMS",
        "APP_INSTALLS",
        "WEBSITE_VISITS",
    ),
    "delivery_goal_group": (
        "UNSET",
        "AWARENESS",
        "WEBSITE_TRAFFIC",
        "APP_PROMOTION",
        "ENGAGEMENT_ON_SPOTIFY",
        "LEAD_GEN",
    ),
    "ad_set_status": (
        "ACTIVE",
        "ACTIVE_RESTRICTED",
        "APPROVED",
        "ARCHIVED",
        "COMPLETED",
        "PENDING_APPROVAL",
        "READY",
        "REJECTED",
    ),
    "ad_status": (
        "ACTIVE",
        "APPROVED",
        "ARCHIVED",
        "FAILED",
        "PENDING",
        "PENDING_APPROVAL",
        "REJECTED",
        "UNRECOGNIZED",
    ),
    "delivery": ("ON", "OFF"),
    "budget_type": ("DAILY", "LIFETIME"),
    "cost_model": ("CPM", "CPCL"),
    "asset_format": ("AUDIO", "VIDEO", "IMAGE", "CATALOG"),
    "pacing": ("PACING_ASAP", "PACING_EVEN"),
    "delivery_goal": (
        "UNSET",
        "IMPRESSIONS",
        "REACH",
        "VIDEO_VIEWS",
        "CLICKS",
        "PAGE_VIEWS",
        "APP_INSTALLS",
        "STREAMS",
        "LEADS",
    ),
    "entity_type": ("AD", "AD_SET", "CAMPAIGN", "AD_ACCOUNT"),
    "report_status": (
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
    ),
    "insight_dimension": (
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
    ),
    "asset_type": ("AUDIO", "IMAGE", "VIDEO"),
    "asset_status": ("ERROR", "PROCESSING", "READY", "WAITING_UPLOAD"),
    "asset_file_type": ("JPEG", "PNG", "MP3", "OGG", "WAV", "MP4", "QUICKTIME"),
    "audio_type": (
        "ADSTUDIO_SUPPLIED_AUDIO",
        "BACKGROUND_MUSIC",
        "STOCK_BACKGROUND_MUSIC",
        "USER_UPLOADED_AUDIO",
    ),
    "aspect_ratio": (
        "HORIZONTAL_16_9",
        "HORIZONTAL_1_91_1",
        "HORIZONTAL_1_2_1",
        "SQUARE",
        "VERTICAL_9_16",
    ),
    "audience_type": ("CUSTOM", "LOOKALIKE"),
    "audience_subtype": ("CUSTOMER_LIST", "WEB_EVENT", "AD_ENGAGEMENT", "LIVERAMP"),
    "audience_status": ("ARCHIVED", "PROCESSING", "EMPTY", "LEARNING", "BOOKABLE", "LIVE"),
    "exposure_type": ("IMPRESSIONS", "CLICKS"),
    "business_role": ("BUSINESS_ADMIN", "BUSINESS_MEMBER"),
    "invitation_status": ("ACCEPTED", "PENDING", "CANCELLED"),
    "change_entity_type": ("CAMPAIGN", "AD_SET", "AD_ACCOUNT", "BUSINESS", "CREATIVE"),
    "change_operation": ("CREATED", "CHANGED", "REMOVED"),
    "actor_category": ("ADVERTISER_USER", "SUPPORT", "API_INTEGRATION", "SYSTEM", "UNKNOWN"),
    "change_category": (
        "STATUS",
        "BUDGET",
        "TARGETING",
        "CREATIVE",
        "SCHEDULING",
        "SETTINGS",
        "BILLING",
    ),
    "target_type": (
        "AGE_RANGE",
        "GENDER",
        "COUNTRY",
        "REGION",
        "CITY",
        "POSTAL_CODE",
        "PLATFORM",
        "PLACEMENT",
        "LANGUAGE",
        "ARTIST",
        "GENRE",
        "INTEREST",
        "PLAYLIST",
        "PODCAST_EPISODE_TOPIC",
        "SENSITIVE_TOPIC_EXCLUSION",
        "AUDIENCE",
        "AUDIENCE_EXCLUSION",
        "DAY_PART",
    ),
    "mobile_platform": ("IOS", "ANDROID"),
}
STATUS_DTYPES: dict[str, pd.CategoricalDtype] = {
    name: pd.CategoricalDtype(list(values)) for name, values in _ENUMS.items()
}
"""The categorical dtypes of enum columns, by enum name."""

# B7: conversion counts between 1 and 4 are reported as -5.
CONVERSION_METRICS = frozenset(
    {
        "PAGE_VIEWS",
        "LEADS",
        "ADD_TO_CART",
        "PURCHASES",
        "START_CHECKOUT",
        "PRODUCTS",
        "SIGN_UPS",
        "CUSTOM_EVENT_1",
        "CUSTOM_EVENT_2",
        "CUSTOM_EVENT_3",
        "CUSTOM_EVENT_4",
        "CUSTOM_EVENT_5",
    }
)
# B7: the metrics that can carry the privacy sentinel: the conversion counts, and the metrics
# derived from one of them (SPEND / COST_PER_LEAD would otherwise give back a hidden LEADS). A
# cost or an order value is never negative, so -5 there can only mean "hidden".
SENTINEL_METRICS = CONVERSION_METRICS | {
    "COST_PER_LEAD",
    "CUSTOMER_ACQUISITION_COST",
    "AVERAGE_ORDER_VALUE",
}
# ReportFieldType values that are counts (Int64); every other metric is a ratio or money.
COUNT_METRICS = frozenset(
    {
        "CLICKS",
        "COMPLETES",
        "FIRST_QUARTILES",
        "IMPRESSIONS",
        "LISTENERS",
        "MIDPOINTS",
        "NEW_LISTENERS",
        "NEW_LISTENER_STREAMS",
        "OFF_SPOTIFY_IMPRESSIONS",
        "PAID_LISTENS",
        "PAID_LISTENS_REACH",
        "REACH",
        "SKIPS",
        "STARTS",
        "STREAMS",
        "THIRD_QUARTILES",
        "VIDEO_VIEWS",
        "VIDEO_EXPANDS",
        "UNMUTES",
        "STREAMED_IMPRESSIONS",
        *CONVERSION_METRICS,
    }
)
PRIVACY_SENTINEL = -5


@dataclass(frozen=True)
class Column:
    """One column of a frame spec.

    Attributes:
        name: the column name.
        path: keys into the JSON object (``("billing_address", "city")``).
        dtype: ``"string"``, ``"Int64"``, ``"Float64"``, ``"boolean"``, ``"datetime"`` (UTC),
            ``"list"`` (a list of ids or enum values as one comma-joined string) or an enum
            name of :data:`STATUS_DTYPES` (a categorical).
    """

    name: str
    path: tuple[str, ...]
    dtype: str


def _c(name: str, dtype: str = "string", *path: str) -> Column:
    return Column(name, path or (name,), dtype)


FREQUENCY_UNITS: tuple[str, ...] = ("DAY", "WEEK", "MONTH")
"""The units of an ad set's frequency caps (``FrequencyCap.frequency_unit``)."""


def _frequency_cap_columns() -> tuple[Column, ...]:
    out = []
    for unit in FREQUENCY_UNITS:
        name = f"frequency_cap_{unit.lower()}"
        out.append(Column(f"{name}_impressions", ("frequency_caps",), "Int64"))
        out.append(Column(f"{name}_period", ("frequency_caps",), "Int64"))
    return tuple(out)


BUSINESS_COLUMNS: tuple[Column, ...] = (
    _c("id"),
    _c("name"),
    _c("type", "business_type"),
    _c("status", "business_status"),
    _c("created_at", "datetime"),
    _c("updated_at", "datetime"),
)
AD_ACCOUNT_COLUMNS: tuple[Column, ...] = (
    _c("id"),
    _c("business_id"),
    _c("name"),
    _c("status", "ad_account_status"),
    _c("status_reason"),
    _c("ad_account_role", "ad_account_role"),
    _c("currency_code"),
    _c("country_code"),
    _c("industry"),
    _c("website"),
    _c("legal_entity_name"),
    _c("tax_id"),
    _c("billing_name", "string", "billing_address", "name"),
    _c("billing_street", "string", "billing_address", "street"),
    _c("billing_city", "string", "billing_address", "city"),
    _c("billing_region", "string", "billing_address", "region"),
    _c("billing_postal_code", "string", "billing_address", "postal_code"),
    _c("billing_region_geo_id", "string", "billing_address", "region_geo_id"),
    _c("billing_tax_region", "string", "billing_address", "tax_region"),
    _c("created_at", "datetime"),
    _c("updated_at", "datetime"),
)
# C: the retired v1 listing, mapped onto the v3 columns (organization_id is the business).
_AD_ACCOUNT_V1_PATHS = {
    "business_id": ("organization_id",),
    "country_code": ("iso_country_code",),
    "updated_at": ("last_modified",),
}
CAMPAIGN_COLUMNS: tuple[Column, ...] = (
    _c("id"),
    _c("ad_account_id"),
    _c("name"),
    _c("status", "campaign_status"),
    _c("objective", "objective"),
    _c("delivery_goal_group", "delivery_goal_group"),
    _c("purchase_order"),
    _c("created_at", "datetime"),
    _c("updated_at", "datetime"),
)
AD_SET_COLUMNS: tuple[Column, ...] = (
    _c("id"),
    _c("ad_account_id"),
    _c("campaign_id"),
    _c("name"),
    _c("status", "ad_set_status"),
    _c("delivery", "delivery"),
    _c("is_paused", "boolean"),
    _c("start_time", "datetime"),
    _c("end_time", "datetime"),
    _c("budget_type", "budget_type", "budget", "type"),
    # B2: budgets are micro units (15000000 = 15.00); kept exact, plus the amount.
    _c("budget_micros", "Int64", "budget", "micro_amount"),
    _c("budget_amount", "Float64", "budget", "micro_amount"),
    _c("currency_code", "string", "budget", "currency"),
    _c("bid_micros", "Int64", "bid_micro_amount"),
    _c("bid_amount", "Float64", "bid_micro_amount"),
    _c("bid_strategy"),
    _c("cost_model", "cost_model"),
    _c("asset_format", "asset_format"),
    _c("pacing", "pacing"),
    _c("delivery_goal", "delivery_goal"),
    _c("category"),
    _c("reject_reason"),
    # Frequency caps as columns: one cap per unit (DAY, WEEK, MONTH) at most, else loud.
    *_frequency_cap_columns(),
    _c("created_at", "datetime"),
    _c("updated_at", "datetime"),
)
_MICRO_AMOUNTS = frozenset({"budget_amount", "bid_amount"})
AD_COLUMNS: tuple[Column, ...] = (
    _c("id"),
    _c("ad_account_id"),
    _c("ad_set_id"),
    _c("name"),
    _c("status", "ad_status"),
    _c("delivery", "delivery"),
    _c("advertiser_name"),
    _c("tagline"),
    _c("call_to_action", "string", "call_to_action", "key"),
    _c("call_to_action_text", "string", "call_to_action", "text"),
    _c("clickthrough_url", "string", "call_to_action", "clickthrough_url"),
    _c("asset_id", "string", "assets", "asset_id"),
    _c("companion_asset_id", "string", "assets", "companion_asset_id"),
    _c("logo_asset_id", "string", "assets", "logo_asset_id"),
    _c("canvas_asset_id", "string", "assets", "canvas_asset_id"),
    _c("ad_preview_url"),
    _c("start_time", "datetime"),
    _c("end_time", "datetime"),
    _c("reject_reason"),
    _c("created_at", "datetime"),
    _c("updated_at", "datetime"),
)
REPORT_KEY_COLUMNS: tuple[Column, ...] = (
    _c("entity_type", "entity_type"),
    _c("entity_id"),
    _c("entity_name"),
    _c("entity_status", "report_status"),
    _c("start_time", "datetime"),
    _c("end_time", "datetime"),
)
REPORT_PARENT_COLUMNS: tuple[Column, ...] = (
    _c("parent_id", "string", "parent_entity", "id"),
    _c("parent_name", "string", "parent_entity", "name"),
    _c("parent_status", "report_status", "parent_entity", "status"),
)
INSIGHT_KEY_COLUMNS: tuple[Column, ...] = (
    _c("entity_id", "string", "id"),
    _c("entity_name", "string", "name"),
    _c("entity_status", "report_status", "status"),
    _c("insight_value"),
)
TOTALS_KEY_COLUMNS: tuple[Column, ...] = (
    _c("start_time", "datetime"),
    _c("end_time", "datetime"),
)


def _readable(loader: Callable[P, R]) -> Callable[P, R]:
    """Turn a payload that is not shaped like the Ads API's into ``MalformedPayload``.

    The message names the loader and the kind of damage, never the payload's values (they
    could hold anything).
    """

    @functools.wraps(loader)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return loader(*args, **kwargs)
        except AdStudioError:
            raise
        except (
            ValueError,
            TypeError,
            KeyError,
            AttributeError,
            IndexError,
            OverflowError,
            RecursionError,
            MemoryError,
        ) as exc:
            raise MalformedPayload(
                f"{loader.__name__} could not read this payload ({type(exc).__name__}): it is "
                "not shaped like the Ads API's answer, or it was cut short. Fetch it again."
            ) from exc

    return wrapper


# -- typed columns from Python lists ----------------------------------------------------------


def _typed(values: Sequence[Any] | np.ndarray, dtype: str) -> pd.api.extensions.ExtensionArray:
    """Return ``values`` (Python objects, None for missing) as an array of ``dtype``."""
    if dtype == "string":
        return pd.array([None if v is None else str(v) for v in values], dtype=STRING)
    if dtype == "datetime":
        texts = [v if isinstance(v, str) else None for v in values]  # B2: ISO strings only
        parsed = pd.to_datetime(
            pd.Series(texts, dtype=object), utc=True, format="ISO8601", errors="coerce"
        )
        return parsed.astype(UTC_DATETIME).array
    if dtype == "Int64":
        return pd.array([_int_or_none(v) for v in values], dtype="Int64")
    if dtype == "Float64":
        return pd.array([_float_or_none(v) for v in values], dtype="Float64")
    if dtype == "boolean":
        return pd.array([None if v is None else bool(v) for v in values], dtype="boolean")
    if dtype == "list":  # a JSON list of scalars: its values joined by commas (NA: none)
        return pd.array([_joined(v) for v in values], dtype=STRING)
    return _categorical([None if v is None else str(v) for v in values], STATUS_DTYPES[dtype])


@functools.lru_cache(maxsize=64)
def _category_codes(categories: tuple[str, ...]) -> dict[str | None, int]:
    # Keyed by the categories in order: unordered CategoricalDtypes with the same categories
    # in another order compare (and hash) equal, and would get the wrong codes.
    return {c: i for i, c in enumerate(categories)}


def _categorical(values: Sequence[str | None], dtype: pd.CategoricalDtype) -> pd.Categorical:
    known = _category_codes(tuple(dtype.categories))
    extra = sorted({v for v in values if v is not None and v not in known})
    if extra:  # a value the spec does not list yet: keep it rather than turn it into NaN
        dtype = pd.CategoricalDtype([*dtype.categories, *extra])
        known = _category_codes(tuple(dtype.categories))
    # Codes straight from a dict: pandas' own matching costs more than the values themselves
    # on the small listings pages (B3) that arrive one per account.
    codes = np.fromiter(map(known.get, values, repeat(-1)), dtype=np.int32, count=len(values))
    return pd.Categorical.from_codes(codes, dtype=dtype, validate=False)


def _joined(value: Any) -> str | None:
    if not isinstance(value, list) or not value:
        return None
    return ",".join(str(v) for v in value if v is not None and not isinstance(v, (dict, list)))


def _int_or_none(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return None


def _float_or_none(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _dig(item: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = item
    for key in path:
        if type(value) is not dict and not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _column_values(rows: list[Mapping[str, Any]], path: tuple[str, ...]) -> list[Any]:
    """Return the value at ``path`` of every row (None where it is absent)."""
    if len(path) == 1 and all(type(r) is dict for r in rows):
        return list(map(dict.get, rows, repeat(path[0])))  # type: ignore[arg-type]
    return [_dig(r, path) for r in rows]


def _empty(spec: Sequence[Column]) -> pd.DataFrame:
    return pd.DataFrame({c.name: _typed([], c.dtype) for c in spec})


@_readable
def objects_frame(
    items: Iterable[Mapping[str, Any]],
    spec: Sequence[Column],
    *,
    paths: Mapping[str, tuple[str, ...]] | None = None,
    constants: Mapping[str, Any] | None = None,
    columns: Mapping[str, Sequence[Any]] | None = None,
) -> pd.DataFrame:
    """Return a typed frame of API objects following a column spec.

    Args:
        items: the objects (parsed JSON).
        spec: the columns.
        paths: per-column overrides of the JSON path (for older shapes).
        constants: per-column values filled into every row (e.g. the ad account id).
        columns: per-column values computed elsewhere, one per object, in order.
    """
    rows = list(items)
    data = {}
    for col in spec:
        if constants and col.name in constants:
            values: list[Any] = [constants[col.name]] * len(rows)
        elif columns and col.name in columns:
            values = list(columns[col.name])
        else:
            values = _column_values(rows, (paths or {}).get(col.name, col.path))
        if col.name in _MICRO_AMOUNTS:
            values = [None if v is None else int(v) / 1_000_000 for v in values]
        data[col.name] = _typed(values, col.dtype)
    return pd.DataFrame(data, index=pd.RangeIndex(len(rows)))


def _refuse(key: str, found: str) -> MalformedPayload:
    return MalformedPayload(
        f"Expected {key} as the Ads API sends them (a {{'{key}': [...]}} page, one object, or "
        f"a list of either), but got {found}. Pass the parsed answer of the {key} request."
    )


def _objects_in(value: Any, key: str) -> list[Mapping[str, Any]]:
    """Return a page's list of objects (null: none); anything else is refused."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise _refuse(key, f"'{key}' holding {type(value).__name__}")
    for entry in value:
        if not isinstance(entry, Mapping):
            raise _refuse(key, f"'{key}' holding {type(entry).__name__} items")
    return value


def _items(data: Any, key: str) -> list[Mapping[str, Any]]:
    """Return the objects of a page, of one object, or of a list of pages or objects.

    A page is a mapping with ``key`` (``{"campaigns": [...], "paging": ...}``); one object
    (``GET /ad_accounts/{id}``, B1) is a mapping with an ``id``. Anything else (a mapping
    with neither, a list of numbers, a number) is refused: loading it as an empty frame
    would hide the mistake.
    """
    if isinstance(data, (bytes, str)):
        data = parse_json(data)
    if isinstance(data, Mapping):
        if key in data and "id" not in data:
            return list(_objects_in(data.get(key), key))
        if "id" in data:
            return [data]
        raise _refuse(key, "an object with neither a list of them nor an 'id'")
    if data is None or not isinstance(data, Iterable):
        raise _refuse(key, type(data).__name__)
    out: list[Mapping[str, Any]] = []
    for entry in data:
        if isinstance(entry, (bytes, str)):
            entry = parse_json(entry)
        if not isinstance(entry, Mapping):
            raise _refuse(key, f"a list holding {type(entry).__name__}")
        if key in entry and "id" not in entry:
            out.extend(_objects_in(entry.get(key), key))
        else:
            out.append(entry)
    return out


@_readable
def businesses_frame(data: Any) -> pd.DataFrame:
    """Return businesses (``GET /businesses``, B1) as a typed frame.

    Args:
        data: a ``{"businesses": [...]}`` page, a list of such pages, or a list of objects.
    """
    return objects_frame(_items(data, "businesses"), BUSINESS_COLUMNS)


@_readable
def ad_accounts_frame(data: Any) -> pd.DataFrame:
    """Return ad accounts as a typed frame, the billing address flattened into columns (B2).

    A v1 ``/currentUser/adAccounts`` payload (C) loads too: ``organization_id`` becomes
    ``business_id``, ``iso_country_code`` ``country_code`` and ``last_modified``
    ``updated_at``; the columns v1 lacks are NA.
    """
    items = _items(data, "ad_accounts")
    is_v1 = any("organization_id" in i or "iso_country_code" in i for i in items)
    return objects_frame(items, AD_ACCOUNT_COLUMNS, paths=_AD_ACCOUNT_V1_PATHS if is_v1 else None)


@_readable
def campaigns_frame(data: Any, *, ad_account_id: str | None = None) -> pd.DataFrame:
    """Return campaigns (B2, B3) as a typed frame; ``ad_account_id`` fills that column."""
    return objects_frame(
        _items(data, "campaigns"), CAMPAIGN_COLUMNS, constants={"ad_account_id": ad_account_id}
    )


def _frequency_cap_values(items: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]]:
    """Return the frequency cap columns of ad sets (or ad set drafts), one value per item.

    Raises:
        MalformedPayload: an ad set with two caps of one unit, which columns cannot hold.
    """
    out: dict[str, list[Any]] = {c.name: [] for c in _frequency_cap_columns()}
    for item in items:
        caps = item.get("frequency_caps")
        by_unit: dict[str, Mapping[str, Any]] = {}
        for cap in caps if isinstance(caps, list) else ():
            if not isinstance(cap, Mapping):
                continue
            unit = str(cap.get("frequency_unit") or "").upper()
            if unit not in FREQUENCY_UNITS:
                # No column can hold a cap without a known unit; the long frame
                # (ad_set_frequency_caps_frame) keeps it as it came.
                continue
            if unit in by_unit:
                raise MalformedPayload(
                    f"Ad set {str(item.get('id'))[:40]} has more than one frequency cap per "
                    f"{unit}, which the frequency_cap_* columns cannot hold. Load its caps "
                    "with frames.ad_set_frequency_caps_frame, which keeps every cap."
                )
            by_unit[unit] = cap
        for unit in FREQUENCY_UNITS:
            cap = by_unit.get(unit) or {}
            name = f"frequency_cap_{unit.lower()}"
            out[f"{name}_impressions"].append(cap.get("max_impressions"))
            out[f"{name}_period"].append(cap.get("frequency_period"))
    return out


@_readable
def ad_sets_frame(data: Any, *, ad_account_id: str | None = None) -> pd.DataFrame:
    """Return ad sets as a typed frame: budget in micros (Int64) and in currency units (B2).

    Frequency caps are columns, one pair per unit: ``frequency_cap_day_impressions`` (the
    most impressions per person) and ``frequency_cap_day_period`` (per how many days), and
    the same for ``week`` and ``month``; NA where the ad set has no cap of that unit. The
    targets are a long frame of their own (:func:`ad_set_targets_frame`).

    Raises:
        MalformedPayload: an ad set with two caps of the same unit (load those with
            :func:`ad_set_frequency_caps_frame`).
    """
    items = _items(data, "ad_sets")
    return objects_frame(
        items,
        AD_SET_COLUMNS,
        constants={"ad_account_id": ad_account_id},
        columns=_frequency_cap_values(items),
    )


@_readable
def ads_frame(data: Any, *, ad_account_id: str | None = None) -> pd.DataFrame:
    """Return ads (B2, B3) as a typed frame, assets and call to action flattened."""
    return objects_frame(
        _items(data, "ads"), AD_COLUMNS, constants={"ad_account_id": ad_account_id}
    )


# -- more objects: assets, audiences, people, drafts, lookups, history, measurement ------------

ASSET_COLUMNS: tuple[Column, ...] = (
    _c("id"),
    _c("ad_account_id"),
    _c("name"),
    _c("asset_type", "asset_type"),
    _c("status", "asset_status"),
    _c("url"),
    _c("file_type", "asset_file_type"),
    # Type-specific columns: NA where the asset's type has no such field (B2).
    _c("audio_type", "audio_type"),  # audio
    _c("duration_ms", "Int64"),  # audio, video
    _c("aspect_ratio", "aspect_ratio"),  # image, video
    _c("width", "Int64"),  # image, video
    _c("height", "Int64"),  # image, video
    _c("has_audio", "boolean"),  # video
    _c("thumbnail_url"),  # video
    _c("created_at", "datetime"),
    _c("updated_at", "datetime"),
)
AUDIENCE_COLUMNS: tuple[Column, ...] = (
    _c("id"),
    _c("ad_account_id"),
    _c("name"),
    _c("description"),
    _c("type", "audience_type"),
    _c("subtype", "audience_subtype"),
    _c("status", "audience_status"),
    _c("size_min", "Int64", "size", "min"),
    _c("size_max", "Int64", "size", "max"),
    _c("sources", "list"),
    _c("seed_audience_id"),
    _c("seed_audience_name"),
    _c("lookalike_audience_ids", "list"),
    _c("included_events", "list"),
    _c("excluded_events", "list"),
    _c("lookback_days", "Int64"),
    _c("campaign_ids", "list"),
    _c("ad_set_ids", "list"),
    _c("exposure_type", "exposure_type"),
    _c("audience_category"),
    _c("created_at", "datetime"),
    _c("updated_at", "datetime"),
)
AD_ACCOUNT_MEMBER_COLUMNS: tuple[Column, ...] = (
    _c("ad_account_id"),
    _c("member_id"),
    _c("name"),
    _c("email_address"),
    _c("role", "ad_account_role"),
    _c("created_at", "datetime"),
    _c("updated_at", "datetime"),
)
BUSINESS_MEMBER_COLUMNS: tuple[Column, ...] = (
    _c("business_id"),
    _c("id"),
    _c("member_id"),
    _c("name"),
    _c("email_address"),
    _c("role", "business_role"),
    _c("permission_status", "invitation_status"),
    _c("assigned_ad_accounts", "Int64"),
    _c("has_marketing_opt_in", "boolean"),
    _c("created_at", "datetime"),
    _c("updated_at", "datetime"),
)
INVITATION_COLUMNS: tuple[Column, ...] = (
    _c("business_id"),
    _c("business_invitation_id"),
    _c("email_address"),
    _c("role", "business_role"),
    # Long: one row per ad account the invitation grants (NA when it grants none).
    _c("ad_account_id"),
    _c("ad_account_role", "ad_account_role"),
)
CAMPAIGN_DRAFT_COLUMNS: tuple[Column, ...] = (
    _c("id"),
    _c("ad_account_id"),
    _c("name"),
    _c("status", "campaign_status"),
    _c("objective", "objective"),
    _c("delivery_goal_group", "delivery_goal_group"),
    _c("purchase_order"),
    _c("channel"),
    _c("ad_product"),
    _c("salesforce_opportunity"),
    _c("salesforce_sales_order"),
    _c("media_plan_id"),
    _c("needs_advertiser_review", "boolean"),
    _c("modified_by_role"),
    _c("draft_hierarchy_version", "Int64"),
    _c("created_at", "datetime"),
    _c("updated_at", "datetime"),
)
AD_SET_DRAFT_COLUMNS: tuple[Column, ...] = (
    _c("id"),
    _c("ad_account_id"),
    _c("campaign_id"),
    _c("name"),
    _c("status", "ad_set_status"),
    _c("start_time", "datetime"),
    _c("end_time", "datetime"),
    _c("budget_type", "budget_type", "budget", "type"),
    _c("budget_micros", "Int64", "budget", "micro_amount"),
    _c("budget_amount", "Float64", "budget", "micro_amount"),
    _c("bid_micros", "Int64", "bid_micro_amount"),
    _c("bid_amount", "Float64", "bid_micro_amount"),
    _c("bid_strategy"),
    _c("cost_model", "cost_model"),
    _c("asset_format", "asset_format"),
    _c("pacing", "pacing"),
    _c("delivery_goal", "delivery_goal"),
    _c("category"),
    _c("reservation_id"),
    _c("mobile_app_id"),
    _c("dataset_id"),
    *_frequency_cap_columns(),
    _c("draft_hierarchy_version", "Int64"),
    _c("created_at", "datetime"),
    _c("updated_at", "datetime"),
)
AD_DRAFT_COLUMNS: tuple[Column, ...] = (
    _c("id"),
    _c("ad_account_id"),
    _c("ad_set_id"),
    _c("name"),
    _c("status", "ad_status"),
    _c("advertiser_name"),
    _c("tagline"),
    _c("asset_format", "asset_format"),
    _c("call_to_action", "string", "call_to_action", "key"),
    _c("call_to_action_language", "string", "call_to_action", "language"),
    _c("clickthrough_url", "string", "call_to_action", "clickthrough_url"),
    _c("asset_id", "string", "assets", "asset_id"),
    _c("companion_asset_id", "string", "assets", "companion_asset_id"),
    _c("logo_asset_id", "string", "assets", "logo_asset_id"),
    _c("canvas_asset_id", "string", "assets", "canvas_asset_id"),
    _c("weight", "Int64"),
    _c("draft_hierarchy_version", "Int64"),
    _c("created_at", "datetime"),
    _c("updated_at", "datetime"),
)
TARGET_COLUMNS: tuple[Column, ...] = (_c("id"), _c("name"))
"""Genres, languages, playlists, podcast episode topics, sensitive topics (``TargetBase``)."""
IMAGE_TARGET_COLUMNS: tuple[Column, ...] = (
    _c("id"),
    _c("name"),
    # The largest of the images Spotify lists (the one to show).
    _c("image_url"),
    _c("image_width", "Int64"),
    _c("image_height", "Int64"),
)
"""Artists and podcast shows (``ContentPromotionBase``)."""
GEO_TARGET_COLUMNS: tuple[Column, ...] = (
    _c("id"),
    _c("name"),
    _c("type"),
    _c("country_code"),
    _c("parent_geo_name"),
)
INTEREST_TARGET_COLUMNS: tuple[Column, ...] = (
    # Long: each interest, then its subtargets with the interest as their parent.
    _c("id"),
    _c("name"),
    _c("parent_id"),
    _c("parent_name"),
)
TARGET_KINDS: dict[str, str] = {
    "artists": "artists",
    "genres": "genres",
    "geos": "geos",
    "interests": "interests_with_subtargets",
    "languages": "languages",
    "playlists": "playlists",
    "episode_topics": "episode_topics",
    "sensitive_topics": "sensitive_topics",
}
"""Each ``/targets/{kind}`` lookup and the key of its items in the answer."""
AD_CATEGORY_COLUMNS: tuple[Column, ...] = (_c("id"), _c("name"), _c("parent_category"))
AD_SET_TARGET_COLUMNS: tuple[Column, ...] = (
    _c("ad_set_id"),
    _c("ad_account_id"),
    _c("target_type", "target_type"),
    _c("value_id"),
    _c("value_name"),
    _c("value_min", "Int64"),
    _c("value_max", "Int64"),
    _c("filter_option"),
)
"""The long frame of ad set targets: one row per ad set and targeted value."""
FREQUENCY_CAP_COLUMNS: tuple[Column, ...] = (
    _c("ad_set_id"),
    _c("ad_account_id"),
    _c("frequency_unit"),
    _c("frequency_period", "Int64"),
    _c("max_impressions", "Int64"),
)
CHANGE_HISTORY_COLUMNS: tuple[Column, ...] = (
    # Long: one row per field change of a change (a change with none: one row, fields NA).
    _c("change_id"),
    _c("ad_account_id"),
    _c("timestamp", "datetime"),
    _c("entity_type", "change_entity_type"),
    _c("entity_id"),
    _c("entity_name"),
    _c("operation", "change_operation"),
    _c("actor_id", "string", "actor", "principal_id"),
    _c("actor_type", "string", "actor", "principal_type"),
    _c("actor_name", "string", "actor", "name"),
    _c("actor_email", "string", "actor", "email"),
    _c("actor_category", "actor_category", "actor", "category"),
    _c("field_type", "string", "change", "field_type"),
    _c("display_label", "string", "change", "display_label"),
    _c("change_category", "change_category", "change", "change_category"),
    _c("before", "string", "change", "before"),
    _c("after", "string", "change", "after"),
)
DATASET_COLUMNS: tuple[Column, ...] = (
    _c("business_id"),
    _c("id"),
    _c("name"),
    _c("pixel_id", "string", "pixel", "id"),
    _c("pixel_domain", "string", "pixel", "domain"),
    _c("capi_connection_id", "string", "capi_integration", "capi_connection_id"),
    _c("ad_set_count", "Int64"),
    _c("is_archived", "boolean"),
    _c("is_receiving_events", "boolean"),
    _c("is_receiving_lead_events", "boolean"),
    _c("shared_ad_account_ids", "list", "shared_ad_account_ids"),
)
PIXEL_COLUMNS: tuple[Column, ...] = (
    _c("business_id"),
    _c("id"),
    _c("name"),
    _c("domain"),
    _c("dataset_id"),
    _c("integration_id"),
    _c("aam_opt_in", "boolean"),
    _c("aam_fields", "list"),
    _c("cookie_opt_in", "boolean"),
    _c("events_received", "list", "events_received_types"),
    _c("created_at", "datetime"),
)
MOBILE_APP_COLUMNS: tuple[Column, ...] = (
    _c("business_id"),
    _c("id"),
    _c("name"),
    _c("platform", "mobile_platform"),
    _c("platform_app_id"),
    _c("ad_type"),
    _c("mobile_measurement_partner"),
    _c("dataset_id"),
    _c("integration_id"),
    _c("ios_app_id"),
    _c("apple_app_url"),
    _c("android_app_url"),
    _c("google_play_url"),
    _c("ad_set_count", "Int64"),
    _c("is_skad_network", "boolean"),
    _c("shared_ad_account_ids", "list", "shared_ad_account_ids"),
)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _keyed(data: Any, key: str) -> list[Mapping[str, Any]]:
    """Return the objects of a page, or of a list of pages or objects, for items without ids.

    Like :func:`_items`, for the answers whose objects carry no ``id`` (members, invitations,
    change history rows): a mapping must be a page holding ``key``.
    """
    if isinstance(data, (bytes, str)):
        data = parse_json(data)
    if isinstance(data, Mapping):
        if key not in data:
            raise _refuse(key, f"an object without '{key}'")
        return list(_objects_in(data.get(key), key))
    return _items(data, key)


@_readable
def assets_frame(data: Any, *, ad_account_id: str | None = None) -> pd.DataFrame:
    """Return assets (images, audio, video; B2, B3) as one typed frame.

    Every asset has the common columns (``asset_type``, ``status``, ``url``, ``file_type``,
    times); the type-specific ones are NA where the type has no such field: ``audio_type``
    (audio), ``duration_ms`` (audio and video), ``aspect_ratio``, ``width``, ``height``
    (image and video), ``has_audio`` and ``thumbnail_url`` (video).
    """
    return objects_frame(
        _items(data, "assets"), ASSET_COLUMNS, constants={"ad_account_id": ad_account_id}
    )


@_readable
def audiences_frame(data: Any, *, ad_account_id: str | None = None) -> pd.DataFrame:
    """Return audiences (B2, B3) as a typed frame; lists of ids or events are comma-joined."""
    return objects_frame(
        _items(data, "audiences"), AUDIENCE_COLUMNS, constants={"ad_account_id": ad_account_id}
    )


@_readable
def ad_account_members_frame(data: Any, *, ad_account_id: str | None = None) -> pd.DataFrame:
    """Return an ad account's members (``GET /ad_accounts/{id}/members``) as a typed frame."""
    items = _keyed(data, "ad_account_members")
    constants = {"ad_account_id": ad_account_id} if ad_account_id else None
    return objects_frame(items, AD_ACCOUNT_MEMBER_COLUMNS, constants=constants)


@_readable
def business_members_frame(data: Any, *, business_id: str | None = None) -> pd.DataFrame:
    """Return a business's members (``GET /businesses/{id}/members``) as a typed frame."""
    constants = {"business_id": business_id} if business_id else None
    return objects_frame(_keyed(data, "members"), BUSINESS_MEMBER_COLUMNS, constants=constants)


@_readable
def invitations_frame(data: Any, *, business_id: str | None = None) -> pd.DataFrame:
    """Return a business's pending invitations, one row per ad account each one grants.

    An invitation that grants no ad account is one row with ``ad_account_id`` NA.
    """
    rows: list[dict[str, Any]] = []
    for invitation in _keyed(data, "business_invitations"):
        grants = invitation.get("ad_account_invitations")
        grants = [g for g in grants if isinstance(g, Mapping)] if isinstance(grants, list) else []
        for grant in grants or [{}]:
            rows.append(
                {
                    **invitation,
                    "ad_account_id": grant.get("ad_account_id"),
                    "ad_account_role": grant.get("role"),
                }
            )
    return objects_frame(rows, INVITATION_COLUMNS, constants={"business_id": business_id})


@_readable
def campaign_drafts_frame(data: Any, *, ad_account_id: str | None = None) -> pd.DataFrame:
    """Return draft campaigns (``GET /ad_accounts/{id}/drafts/campaigns``) as a typed frame."""
    items = _items(data, "campaign_drafts")
    constants = {"ad_account_id": ad_account_id} if ad_account_id else None
    return objects_frame(items, CAMPAIGN_DRAFT_COLUMNS, constants=constants)


@_readable
def ad_set_drafts_frame(data: Any, *, ad_account_id: str | None = None) -> pd.DataFrame:
    """Return draft ad sets as a typed frame: budgets and frequency caps as for ad sets."""
    items = _items(data, "ad_set_drafts")
    return objects_frame(
        items,
        AD_SET_DRAFT_COLUMNS,
        constants={"ad_account_id": ad_account_id},
        columns=_frequency_cap_values(items),
    )


@_readable
def ad_drafts_frame(data: Any, *, ad_account_id: str | None = None) -> pd.DataFrame:
    """Return draft ads (``GET /ad_accounts/{id}/drafts/ads``) as a typed frame."""
    return objects_frame(
        _items(data, "ad_drafts"), AD_DRAFT_COLUMNS, constants={"ad_account_id": ad_account_id}
    )


def _largest_image(item: Mapping[str, Any]) -> Mapping[str, Any]:
    images = item.get("images")
    found = [i for i in images if isinstance(i, Mapping)] if isinstance(images, list) else []
    if not found:
        return {}
    return max(found, key=lambda i: _int_or_none(i.get("width")) or 0)


def _with_image(items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for item in items:
        image = _largest_image(item)
        out.append(
            {
                **item,
                "image_url": image.get("url"),
                "image_width": image.get("width"),
                "image_height": image.get("height"),
            }
        )
    return out


@_readable
def targets_frame(data: Any, kind: str) -> pd.DataFrame:
    """Return a targeting lookup (``GET /targets/{kind}``) as a typed frame.

    Args:
        data: the answer (or a list of answers, or of their items).
        kind: a key of :data:`TARGET_KINDS`: ``artists`` (with the largest image),
            ``geos`` (``type``, ``country_code``, ``parent_geo_name``), ``interests`` (each
            interest, then its subtargets with ``parent_id``/``parent_name``), or
            ``genres``, ``languages``, ``playlists``, ``episode_topics``,
            ``sensitive_topics`` (``id`` and ``name``).
    """
    key = TARGET_KINDS.get(kind)
    if key is None:
        raise ValueError(f"kind must be one of {', '.join(TARGET_KINDS)}, not {kind!r}.")
    items = _keyed(data, key)
    if kind == "artists":
        return objects_frame(_with_image(items), IMAGE_TARGET_COLUMNS)
    if kind == "geos":
        return objects_frame(items, GEO_TARGET_COLUMNS)
    if kind == "interests":
        rows: list[dict[str, Any]] = []
        for interest in items:
            rows.append({"id": interest.get("id"), "name": interest.get("name")})
            subs = interest.get("subtargets")
            for sub in subs if isinstance(subs, list) else ():
                if isinstance(sub, Mapping):
                    rows.append(
                        {
                            "id": sub.get("id"),
                            "name": sub.get("name"),
                            "parent_id": interest.get("id"),
                            "parent_name": interest.get("name"),
                        }
                    )
        return objects_frame(rows, INTEREST_TARGET_COLUMNS)
    return objects_frame(items, TARGET_COLUMNS)


@_readable
def podcast_shows_frame(data: Any) -> pd.DataFrame:
    """Return podcast shows (``GET /podcast_shows``) as a typed frame, the largest image kept."""
    return objects_frame(_with_image(_keyed(data, "shows")), IMAGE_TARGET_COLUMNS)


@_readable
def ad_categories_frame(data: Any) -> pd.DataFrame:
    """Return the ad categories (``GET /ad_categories``) as a typed frame."""
    return objects_frame(_keyed(data, "categories"), AD_CATEGORY_COLUMNS)


# Targets keys holding lists of ids or enum values, and their target_type.
_TARGET_LISTS: dict[str, str] = {
    "genders": "GENDER",
    "platforms": "PLATFORM",
    "placements": "PLACEMENT",
    "artist_ids": "ARTIST",
    "genre_ids": "GENRE",
    "interest_ids": "INTEREST",
    "playlist_ids": "PLAYLIST",
    "podcast_episode_topic_ids": "PODCAST_EPISODE_TOPIC",
    "audience_ids": "AUDIENCE",
    "audience_ids_exclusions": "AUDIENCE_EXCLUSION",
}
_GEO_LISTS = {"region_ids": "REGION", "city_ids": "CITY", "postal_code_ids": "POSTAL_CODE"}


def _target_rows(ad_set: Mapping[str, Any]) -> Iterable[dict[str, Any]]:
    """Yield one row per targeted value of an ad set's ``targets`` (``Targets`` in the spec)."""
    targets = ad_set.get("targets")
    if not isinstance(targets, Mapping):
        return
    for key, value in targets.items():
        if key == "age_ranges":
            for age in value if isinstance(value, list) else ():
                if isinstance(age, Mapping):
                    low, high = age.get("min"), age.get("max")
                    label = f"{low}-{high}" if high is not None else f"{low}+"
                    yield {
                        "target_type": "AGE_RANGE",
                        "value_id": label,
                        "value_min": low,
                        "value_max": high,
                    }
        elif key == "geo_targets" and isinstance(value, Mapping):
            if value.get("country_code"):
                yield {"target_type": "COUNTRY", "value_id": value["country_code"]}
            for geo_key, kind in _GEO_LISTS.items():
                ids = value.get(geo_key)
                for geo_id in ids if isinstance(ids, list) else ():
                    yield {"target_type": kind, "value_id": geo_id}
        elif key == "language":
            if value:
                yield {"target_type": "LANGUAGE", "value_id": value}
        elif key == "sensitive_topic_exclusions" and isinstance(value, Mapping):
            overall = value.get("filter_option")
            topics = value.get("topics")
            topics = [t for t in _list(topics) if isinstance(t, Mapping)]
            for topic in topics:
                yield {
                    "target_type": "SENSITIVE_TOPIC_EXCLUSION",
                    "value_id": topic.get("id"),
                    "filter_option": topic.get("filter_option") or overall,
                }
            if not topics and overall:
                yield {"target_type": "SENSITIVE_TOPIC_EXCLUSION", "filter_option": overall}
        elif key == "user_day_parts":
            for part in value if isinstance(value, list) else ():
                if not isinstance(part, Mapping):
                    continue
                hours = [h for h in part.get("hour_of_day") or () if isinstance(h, Mapping)]
                for day in part.get("day_of_week") or ():
                    for hour in hours or [{}]:
                        yield {
                            "target_type": "DAY_PART",
                            "value_id": day,
                            "value_min": hour.get("min"),
                            "value_max": hour.get("max"),
                        }
        elif isinstance(value, list):
            # A list Spotify adds later is kept under its own key, upper case.
            kind = _TARGET_LISTS.get(key, key.upper())
            for entry in value:
                if entry is not None and not isinstance(entry, (dict, list)):
                    yield {"target_type": kind, "value_id": entry}


@_readable
def ad_set_targets_frame(
    data: Any,
    *,
    ad_account_id: str | None = None,
    names: Mapping[tuple[str, str], str] | None = None,
) -> pd.DataFrame:
    """Return ad sets' ``targets`` as a long typed frame: one row per ad set and value.

    Long rather than wide: an ad set targets any number of genres, audiences, geos, ...,
    so columns would hold lists; in the long frame a target is a row that filters, groups
    and joins (``value_id`` against ``ads.targets("genres")["id"]``). Columns:
    ``ad_set_id``, ``ad_account_id``, ``target_type`` (``AGE_RANGE``, ``GENDER``,
    ``COUNTRY``, ``REGION``, ``CITY``, ``POSTAL_CODE``, ``PLATFORM``, ``PLACEMENT``,
    ``LANGUAGE``, ``ARTIST``, ``GENRE``, ``INTEREST``, ``PLAYLIST``,
    ``PODCAST_EPISODE_TOPIC``, ``SENSITIVE_TOPIC_EXCLUSION``, ``AUDIENCE``,
    ``AUDIENCE_EXCLUSION``, ``DAY_PART``; a key Spotify adds later under its own name),
    ``value_id`` (the id, code or enum value; ``18-65`` for an age range, the weekday for a
    day part), ``value_name`` (from ``names``), ``value_min``/``value_max`` (ages, hours of
    a day part) and ``filter_option`` (sensitive topics).

    Args:
        data: ad sets (or ad set drafts) as the API sends them.
        ad_account_id: fills that column.
        names: display names by ``(target_type, value_id)``, e.g. from the lookups.
    """
    if isinstance(data, Mapping) and "ad_set_drafts" in data:
        items = _items(data, "ad_set_drafts")
    else:
        items = _items(data, "ad_sets")
    rows = []
    for ad_set in items:
        for row in _target_rows(ad_set):
            row["ad_set_id"] = ad_set.get("id")
            if names:
                row["value_name"] = names.get((row["target_type"], str(row.get("value_id"))))
            rows.append(row)
    constants = {"ad_account_id": ad_account_id} if ad_account_id else None
    return objects_frame(rows, AD_SET_TARGET_COLUMNS, constants=constants)


@_readable
def ad_set_frequency_caps_frame(data: Any, *, ad_account_id: str | None = None) -> pd.DataFrame:
    """Return every frequency cap of ad sets as a long typed frame, one row per cap.

    :func:`ad_sets_frame` has the caps as columns (one per unit); this frame holds any
    number of caps per unit.
    """
    rows = []
    for ad_set in _items(data, "ad_sets"):
        caps = ad_set.get("frequency_caps")
        for cap in caps if isinstance(caps, list) else ():
            if isinstance(cap, Mapping):
                rows.append({**cap, "ad_set_id": ad_set.get("id")})
    constants = {"ad_account_id": ad_account_id} if ad_account_id else None
    return objects_frame(rows, FREQUENCY_CAP_COLUMNS, constants=constants)


def _change_value(value: Any) -> str | None:
    """Return a field change's ``before``/``after`` as text.

    The spec's example is ``{"value": "Summer Promo"}``: such an object gives its value
    (``Summer Promo``); any other object is kept whole as JSON text.
    """
    if value is None:
        return None
    if isinstance(value, Mapping) and set(value) == {"value"}:
        inner = value["value"]
        if inner is None or not isinstance(inner, (dict, list)):
            return None if inner is None else str(inner)
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


@_readable
def change_history_frame(data: Any, *, ad_account_id: str | None = None) -> pd.DataFrame:
    """Return an ad account's change history as a long typed frame, one row per field change.

    Long because a change (one save by one actor) changes any number of fields: each field
    change is a row carrying its change's id, time, entity and actor, so filtering by
    ``change_category`` or ``field_type`` needs no unnesting. A change without field changes
    is one row with the field columns NA. ``before`` and ``after`` are text: the ``value`` of
    ``{"value": ...}`` (the spec's form), any other object as JSON.
    """
    rows: list[dict[str, Any]] = []
    for change in _keyed(data, "change_history"):
        fields = change.get("changes")
        fields = [f for f in fields if isinstance(f, Mapping)] if isinstance(fields, list) else []
        for field in fields or [None]:
            entry = dict(field) if field is not None else None
            if entry is not None:
                entry["before"] = _change_value(entry.get("before"))
                entry["after"] = _change_value(entry.get("after"))
            rows.append({**change, "change": entry})
    constants = {"ad_account_id": ad_account_id} if ad_account_id else None
    return objects_frame(rows, CHANGE_HISTORY_COLUMNS, constants=constants)


def _shared_ids(items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for item in items:
        shared = item.get("shared_ad_accounts")
        ids = [s.get("id") for s in _list(shared) if isinstance(s, Mapping)]
        out.append({**item, "shared_ad_account_ids": ids})
    return out


@_readable
def datasets_frame(data: Any, *, business_id: str | None = None) -> pd.DataFrame:
    """Return a business's measurement datasets (``GET /businesses/{id}/datasets``)."""
    items = _shared_ids(_items(data, "datasets"))
    return objects_frame(items, DATASET_COLUMNS, constants={"business_id": business_id})


@_readable
def pixels_frame(data: Any, *, business_id: str | None = None) -> pd.DataFrame:
    """Return a business's pixels (``GET /businesses/{id}/pixels``); event types comma-joined."""
    items = []
    for pixel in _items(data, "pixels"):
        received = pixel.get("events_received")
        types = (
            [e.get("event_type") for e in received if isinstance(e, Mapping)]
            if isinstance(received, list)
            else []
        )
        items.append({**pixel, "events_received_types": types})
    return objects_frame(items, PIXEL_COLUMNS, constants={"business_id": business_id})


@_readable
def mobile_apps_frame(data: Any, *, business_id: str | None = None) -> pd.DataFrame:
    """Return a business's mobile apps (``GET /businesses/{id}/mobile_apps``)."""
    items = _shared_ids(_items(data, "mobile_apps"))
    return objects_frame(items, MOBILE_APP_COLUMNS, constants={"business_id": business_id})


# -- reports (B5-B8) ------------------------------------------------------------------------------


def metric_column(field: str) -> str:
    """Return the column name of a ``ReportFieldType``: lower case (``custom_event_1``)."""
    return field.lower()


def _metric_dtype(field: str) -> str:
    return "Int64" if field in COUNT_METRICS else "Float64"


_STATS = itemgetter("stats")
_FIELD_TYPE = itemgetter("field_type")
_FIELD_VALUE = itemgetter("field_value")


class _Encoder:
    """Dictionary-encodes a group of key columns, read from each row as one (tuple) key."""

    def __init__(self, columns: Sequence[Column]):
        self.columns = tuple(columns)
        self.index: dict[Any, int] = {}
        self.codes = array("i")
        paths = [c.path for c in self.columns]
        # Flat keys: one C-level itemgetter call per row; absent optional keys (entity_status,
        # LIFETIME times) send the page to the per-row getter.
        self._fast = itemgetter(*(p[0] for p in paths)) if all(len(p) == 1 for p in paths) else None
        self._paths = paths

    def _key(self, row: Mapping[str, Any]) -> Any:
        values = tuple(_dig(row, p) for p in self._paths)
        return values if len(values) > 1 else values[0]

    def add(self, rows: list[Mapping[str, Any]]) -> None:
        """Append the codes of ``rows``' keys, giving new keys the next code."""
        keys: list[Any] | None = None
        if self._fast is not None:
            try:
                keys = list(map(self._fast, rows))
            except KeyError:
                keys = None
        if keys is None:
            keys = list(map(self._key, rows))
        index = self.index
        if keys and keys.count(keys[0]) == len(keys):
            # Every row of the page has the same key (one entity's days): one lookup.
            self.codes.extend(repeat(index.setdefault(keys[0], len(index)), len(keys)))
            return
        # setdefault(key, len(index)): an existing key keeps its code, a new one gets the next;
        # map() evaluates len(index) just before each call, so this is the usual encoding
        # loop run entirely in C.
        self.codes.extend(map(index.setdefault, keys, map(len, repeat(index))))

    def finish(self, order: np.ndarray | None) -> dict[str, Any]:
        codes = np.frombuffer(self.codes, dtype=np.int32) if len(self.codes) else np.empty(0, "i4")
        if order is not None:
            codes = codes[order]
        uniques = list(self.index)
        out = {}
        for i, col in enumerate(self.columns):
            values = [u[i] for u in uniques] if len(self.columns) > 1 else uniques
            typed = pd.Series(_typed(values, col.dtype))
            out[col.name] = typed.take(codes).array if len(codes) else typed.iloc[:0].array
        return out


class ReportFrameBuilder:
    """Builds a report frame from pages or rows, one pass, columns straight from lists (B5-B8).

    Feed pages as they arrive (:meth:`add_page`) and call :meth:`frame` at the end; only the
    columns are kept in memory, not the parsed pages.

    Args:
        fields: the requested metrics, in order (``ReportFieldType`` names). None: taken from
            the first row's stats; metrics appearing later still get columns.
        kind: ``"aggregate"`` (B5), ``"insight"`` or ``"totals"`` (B8).
        include_parent: add ``parent_id``, ``parent_name``, ``parent_status`` (aggregate).
    """

    def __init__(
        self,
        fields: Sequence[str] | None = None,
        *,
        kind: str = "aggregate",
        include_parent: bool = False,
    ) -> None:
        if kind == "aggregate":
            groups = [REPORT_KEY_COLUMNS[:4]]
            if include_parent:
                groups.append(REPORT_PARENT_COLUMNS)
            groups.append(REPORT_KEY_COLUMNS[4:])
        elif kind == "insight":
            groups = [INSIGHT_KEY_COLUMNS[:3], INSIGHT_KEY_COLUMNS[3:]]
        elif kind == "totals":
            groups = [TOTALS_KEY_COLUMNS]
        else:
            raise ValueError(f"kind must be aggregate, insight or totals, not {kind!r}.")
        self.kind = kind
        self._encoders = [_Encoder(g) for g in groups]
        self._fields: list[str] = list(dict.fromkeys(fields)) if fields else []
        self._position = {f: i for i, f in enumerate(self._fields)}
        self._values = array("d")  # row-major: rows x len(fields)
        self._extra: dict[str, tuple[array[int], array[float]]] = {}
        self.rows = 0

    @property
    def fields(self) -> list[str]:
        """Return the metrics seen or requested, in column order."""
        return [*self._fields, *self._extra]

    def add_page(self, page: Mapping[str, Any] | bytes | str) -> int:
        """Add a page (parsed JSON, or its raw bytes); return the number of rows added.

        Raises:
            MalformedPayload: not an object with a list of ``rows`` (B5, B8).
        """
        if isinstance(page, (bytes, str)):
            try:
                page = parse_json(page)
            except (ValueError, RecursionError) as exc:
                raise MalformedPayload(
                    "A report page is not complete JSON: it was cut short. Fetch it again."
                ) from exc
        if not isinstance(page, Mapping) or "rows" not in page:
            raise MalformedPayload(
                "A report page must be an object with 'rows' as the Ads API sends it, not "
                f"{type(page).__name__ if not isinstance(page, Mapping) else 'one without rows'}."
            )
        rows = page.get("rows")
        if rows is not None and not isinstance(rows, list):
            raise MalformedPayload(f"A report page's 'rows' is {type(rows).__name__}, not a list.")
        return self.add_rows(rows or [])

    def add_rows(self, rows: Sequence[Mapping[str, Any]]) -> int:
        """Add report rows (``AggregateReportRow``, insight or totals rows); return the count."""
        if not rows:
            return 0
        rows = rows if isinstance(rows, list) else list(rows)
        if not self._fields:
            first = next((r.get("stats") for r in rows if r.get("stats")), None)
            if not first:
                self._learn_later(rows)
                return len(rows)
            self._fields = [str(s.get("field_type")) for s in first]
            self._position = {f: i for i, f in enumerate(self._fields)}
            # Rows seen before any stats arrived get NA for every metric.
            self._values.extend([math.nan] * (self.rows * len(self._fields)))
        expected = self._fields
        width = len(expected)
        for enc in self._encoders:
            enc.add(rows)
        if self._add_page_values(rows, width):
            self.rows += len(rows)
            return len(rows)
        flat: list[Any] = []
        base = self.rows
        for n, row in enumerate(rows):
            stats = row.get("stats") or ()
            # Row by row: the stats in the requested order still take the short way.
            if len(stats) == width and list(map(_FIELD_TYPE, stats)) == expected:
                flat.extend(map(_FIELD_VALUE, stats))
            else:
                flat.extend(self._slow_row(stats, base + n))
        mark = len(self._values)
        try:
            self._values.extend(flat)
        except TypeError:  # a null or non-number value: convert one by one
            # extend() keeps what it took before the failing value: drop it, then redo.
            del self._values[mark:]
            self._values.extend(_to_double(v) for v in flat)
        self.rows += len(rows)
        return len(rows)

    def _add_page_values(self, rows: list[Mapping[str, Any]], width: int) -> bool:
        """Add the metric values of a page shaped as Spotify sends it; False for any other.

        The shape: every row has ``stats`` with exactly the requested metrics, in order (B5),
        and every value is a number. It is checked on the whole page at once (stats lengths,
        then the field types against the requested ones repeated) and the values go straight
        into a buffer of doubles, so no Python code runs per row; any other page (nothing of
        it added) goes row by row.
        """
        try:
            per_row = list(map(_STATS, rows))
            if list(map(len, per_row)) != [width] * len(rows):
                return False
            stats = list(chain.from_iterable(per_row))
            if list(map(_FIELD_TYPE, stats)) != self._fields * len(rows):
                return False
            values = np.fromiter(map(_FIELD_VALUE, stats), dtype=np.float64, count=len(stats))
        except (KeyError, TypeError, ValueError, OverflowError):
            # A row without stats, a stat that is no object, a null or a text value.
            return False
        self._values.frombytes(values.tobytes())
        return True

    def _learn_later(self, rows: list[Mapping[str, Any]]) -> None:
        for enc in self._encoders:
            enc.add(rows)
        self.rows += len(rows)

    def _slow_row(self, stats: Sequence[Mapping[str, Any]], row_number: int) -> list[float]:
        values = [math.nan] * len(self._fields)
        for stat in stats:
            name = str(stat.get("field_type"))
            value = _to_double(stat.get("field_value"))
            position = self._position.get(name)
            if position is not None:
                values[position] = value
            else:
                rows_of, values_of = self._extra.setdefault(name, (array("q"), array("d")))
                rows_of.append(row_number)
                values_of.append(value)
        return values

    def frame(self, *, sort: bool = False) -> pd.DataFrame:
        """Return the typed frame.

        Args:
            sort: order rows by entity (first seen first) then start time: a stable order
                that does not depend on how a report was split into parts.
        """
        n = self.rows
        width = len(self._fields)
        matrix = np.frombuffer(self._values, dtype=np.float64) if width and n else np.empty(0)
        matrix = matrix.reshape(n, width) if width and n else np.empty((n, width))
        order = self._sort_order() if sort and n else None
        columns: dict[str, Any] = {}
        for enc in self._encoders:
            columns.update(enc.finish(order))
        if order is not None:
            matrix = matrix[order]
        flags: dict[str, Any] = {}
        metric_arrays: list[tuple[str, np.ndarray]] = [
            (f, matrix[:, i]) for i, f in enumerate(self._fields)
        ]
        for name, (rows_of, values_of) in self._extra.items():
            column = np.full(n, np.nan)
            column[np.frombuffer(rows_of, dtype=np.int64)] = np.frombuffer(values_of, np.float64)
            if order is not None:
                column = column[order]
            metric_arrays.append((name, column))
        for field_name, values in metric_arrays:
            name = metric_column(field_name)
            missing = np.isnan(values)
            if field_name in SENTINEL_METRICS:
                # B7: -5 means "between 1 and 4": not a number to add up.
                suppressed = values == PRIVACY_SENTINEL
                flags[f"{name}_suppressed"] = pd.arrays.BooleanArray(
                    suppressed, np.zeros(n, dtype=bool)
                )
                missing = missing | suppressed
            columns[name] = _metric_array(values, missing, _metric_dtype(field_name))
        columns.update(flags)
        return pd.DataFrame(columns, index=pd.RangeIndex(n), copy=False)

    def _sort_order(self) -> np.ndarray:
        entity = self._encoders[0]
        times = next((e for e in self._encoders if e.columns[0].name == "start_time"), None)
        entity_codes = np.frombuffer(entity.codes, dtype=np.int32)
        if times is None:
            return np.argsort(entity_codes, kind="stable")
        starts = [u[0] if isinstance(u, tuple) else u for u in times.index]
        parsed = pd.to_datetime(pd.Series(starts, dtype=object), utc=True, format="ISO8601")
        rank = parsed.rank(method="dense", na_option="bottom").to_numpy(dtype=np.int64)
        time_rank = rank[np.frombuffer(times.codes, dtype=np.int32)]
        return np.lexsort((time_rank, entity_codes))


def _to_double(value: Any) -> float:
    # The same reading as the page-at-once path (numpy's): null is NA, a number or numeric
    # text its value, a boolean 1 or 0; anything else NA. A value never depends on its page.
    if value is None:
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _metric_array(
    values: np.ndarray, missing: np.ndarray, dtype: str
) -> pd.api.extensions.ExtensionArray:
    if dtype == "Int64":
        clean = np.where(missing, 0, values)
        if np.array_equal(clean, np.trunc(clean)) and not np.any(np.abs(clean) >= 2**63):
            return pd.arrays.IntegerArray(clean.astype(np.int64), missing.copy())
    return pd.arrays.FloatingArray(np.where(missing, 0.0, values), missing.copy())


@_readable
def empty_report_frame(
    fields: Sequence[str], *, kind: str = "aggregate", include_parent: bool = False
) -> pd.DataFrame:
    """Return the frame a report with no rows gives: every column, typed (B5)."""
    return ReportFrameBuilder(fields, kind=kind, include_parent=include_parent).frame()


@_readable
def report_frame(
    pages: Iterable[Mapping[str, Any] | bytes | str],
    fields: Sequence[str] | None = None,
    *,
    include_parent: bool = False,
    sort: bool = False,
) -> pd.DataFrame:
    """Return an aggregate report (B5) as a typed frame, one column per metric.

    Args:
        pages: report pages as parsed JSON or raw bytes (``{"rows": [...], ...}``).
        fields: the requested metrics in order; None takes them from the rows.
        include_parent: add the parent entity's columns (``include_parent_entity``).
        sort: order by entity then start time (see :meth:`ReportFrameBuilder.frame`).

    Returns:
        Columns ``entity_type``, ``entity_id``, ``entity_name``, ``entity_status``
        (categorical), ``start_time``, ``end_time`` (UTC), then one column per metric in
        lower case (``Int64`` counts, ``Float64`` ratios and money; ``SPEND`` in currency
        units, B7) and a ``<metric>_suppressed`` flag for each conversion count (B7).
    """
    builder = ReportFrameBuilder(fields, include_parent=include_parent)
    for page in pages:
        builder.add_page(page)
    return builder.frame(sort=sort)


@_readable
def totals_frame(
    data: Mapping[str, Any] | bytes | str, fields: Sequence[str] | None = None
) -> pd.DataFrame:
    """Return aggregated totals (B8) as a typed frame: one row (LIFETIME) or one per day."""
    builder = ReportFrameBuilder(fields, kind="totals")
    builder.add_page(data)
    return builder.frame()


@_readable
def insights_frame(
    data: Mapping[str, Any] | bytes | str, fields: Sequence[str] | None = None
) -> pd.DataFrame:
    """Return an insight report (B8) as a typed frame, one row per entity and insight value.

    The breakdown's dimension (``AGE``, ``PLATFORM``, ...) is the ``dimension`` column
    (categorical, before ``insight_value``), so frames of several dimensions concatenate
    into one. The report's ``summary_totals`` (the metrics over every row, deduplicated by
    Spotify where a metric is reach-like, so not the column sums) are on
    ``frame.attrs["summary_totals"]``: a dict from metric column (``impressions``) to its
    value, None for a privacy-suppressed count (B7). A dict rather than a second frame: it
    travels with the frame it describes, and Parquet keeps it (``export.to_parquet``).
    """
    if isinstance(data, (bytes, str)):
        data = parse_json(data)
    builder = ReportFrameBuilder(fields, kind="insight")
    builder.add_page(data)
    frame = builder.frame()
    dimension = data.get("insight") if isinstance(data, Mapping) else None
    values = [dimension] * len(frame)
    frame.insert(3, "dimension", pd.Series(_typed(values, "insight_dimension"), index=frame.index))
    frame.attrs["summary_totals"] = _summary_totals(data)
    return frame


def _summary_totals(data: Any) -> dict[str, float | int | None]:
    """Return an insight report's ``summary_totals`` by metric column (B8); B7 gives None."""
    totals = data.get("summary_totals") if isinstance(data, Mapping) else None
    out: dict[str, float | int | None] = {}
    for entry in totals if isinstance(totals, list) else ():
        if not isinstance(entry, Mapping) or not entry.get("stat"):
            continue
        field = str(entry["stat"])
        value = _float_or_none(entry.get("value"))
        if value is not None and field in SENTINEL_METRICS and value == PRIVACY_SENTINEL:
            value = None  # B7: "between 1 and 4", not a number
        if value is not None and field in COUNT_METRICS and value.is_integer():
            out[metric_column(field)] = int(value)
        else:
            out[metric_column(field)] = value
    return out
