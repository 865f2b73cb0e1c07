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
        dtype: ``"string"``, ``"Int64"``, ``"Float64"``, ``"boolean"``, ``"datetime"`` (UTC)
            or an enum name of :data:`STATUS_DTYPES` (a categorical).
    """

    name: str
    path: tuple[str, ...]
    dtype: str


def _c(name: str, dtype: str = "string", *path: str) -> Column:
    return Column(name, path or (name,), dtype)


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
) -> pd.DataFrame:
    """Return a typed frame of API objects following a column spec.

    Args:
        items: the objects (parsed JSON).
        spec: the columns.
        paths: per-column overrides of the JSON path (for older shapes).
        constants: per-column values filled into every row (e.g. the ad account id).
    """
    rows = list(items)
    data = {}
    for col in spec:
        if constants and col.name in constants:
            values: list[Any] = [constants[col.name]] * len(rows)
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


@_readable
def ad_sets_frame(data: Any, *, ad_account_id: str | None = None) -> pd.DataFrame:
    """Return ad sets as a typed frame: budget in micros (Int64) and in currency units (B2)."""
    return objects_frame(
        _items(data, "ad_sets"), AD_SET_COLUMNS, constants={"ad_account_id": ad_account_id}
    )


@_readable
def ads_frame(data: Any, *, ad_account_id: str | None = None) -> pd.DataFrame:
    """Return ads (B2, B3) as a typed frame, assets and call to action flattened."""
    return objects_frame(
        _items(data, "ads"), AD_COLUMNS, constants={"ad_account_id": ad_account_id}
    )


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
        keys: Iterable[Any] | None = None
        if self._fast is not None:
            try:
                keys = list(map(self._fast, rows))
            except KeyError:
                keys = None
        if keys is None:
            keys = map(self._key, rows)
        index = self.index
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
        try:
            self._values.extend(flat)
        except TypeError:  # a null or non-number value: convert one by one
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
            if field_name in CONVERSION_METRICS:
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
    """Return an insight report (B8) as a typed frame, one row per entity and insight value."""
    builder = ReportFrameBuilder(fields, kind="insight")
    builder.add_page(data)
    return builder.frame()
