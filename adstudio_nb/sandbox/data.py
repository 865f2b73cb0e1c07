"""The sandbox's seeded ads data: businesses, ad accounts, campaigns, ad sets, ads, assets, stats.

Owns what the emulated Ads API (``ads_api.py``, ``reports.py``) answers with. Nothing is built
at start-up: every object is derived on demand from ``(seed, parent id, index)`` through
``random.Random`` and cached lightly, so the same seed always gives the same answer and a data
set of 50 ad accounts, 10,000 campaigns or a million report rows costs nothing until asked for.
Never does HTTP, never validates requests: handlers do.

Stats model (B5, B7). Delivery is generated per ad set and UTC day as a vector of additive
counts (:data:`BASE_METRICS`), split exactly across the ad set's ads and, for partial days and
hourly reports, across hours; every child count is split in proportion to its parent count's
split (clicks follow impressions, completes follow third quartiles ...), so an ad never has more
clicks than impressions in any hour. Ad sets are sums of their ads, campaigns of their ad sets,
accounts of their campaigns: the sums hold exactly at every granularity, and a day is exactly
the sum of its hours. Delivery happens only inside an ad set's flight and only in hours that have
ended by the sandbox clock's "now"; moving the clock reveals more data. ``SPEND`` and
``REVENUE`` are kept in integer micros internally and reported in currency units (B7).
Ratios are computed from the summed counts: ``CTR``, ``COMPLETION_RATE``, ``VIDEO_EXPAND_RATE``,
``CONVERSION_RATE``, ``NEW_LISTENER_CONVERSION_RATE`` and ``INTENT_RATE`` are percentages
(0.56 means 0.56 %, as in the spec's example), ``FREQUENCY`` is impressions per reached
listener. Reach is not additive: it is derived from impressions and the length of the bucket,
so it never exceeds impressions. Conversion counts between 1 and 4 are reported as ``-5`` (B7).

Example:
    >>> from adstudio_nb.sandbox.clock import SandboxClock
    >>> data = AdsData(seed=0, clock=SandboxClock(start=1_767_225_600.0))
    >>> [b.name for b in data.businesses_for_user("sam.smallbiz")]
    ['Kvarnen Bike Shop']
    >>> data.businesses_for_user("nina.newcomer")
    []
"""

from __future__ import annotations

import functools
import math
import random
import threading
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .clock import SandboxClock

DAY_H = 24
HOUR_S = 3600
DAY_S = 86400

DEMO_ALL_BUSINESSES_USER = "alex.analyst"
DEMO_ONE_BUSINESS_USER = "sam.smallbiz"
DEMO_NO_BUSINESS_USER = "nina.newcomer"

# The additive counts generated per ad set and day. Order matters: a metric's parent comes first.
# (name, parent, low rate, high rate): the child is a fraction of its parent.
_METRIC_TREE: tuple[tuple[str, str | None, float, float], ...] = (
    ("IMPRESSIONS", None, 0.0, 0.0),
    ("STREAMED_IMPRESSIONS", "IMPRESSIONS", 0.93, 0.99),
    ("OFF_SPOTIFY_IMPRESSIONS", "IMPRESSIONS", 0.0, 0.08),
    ("CLICKS", "IMPRESSIONS", 0.002, 0.012),
    ("STARTS", "IMPRESSIONS", 0.95, 0.995),
    ("FIRST_QUARTILES", "STARTS", 0.85, 0.95),
    ("MIDPOINTS", "FIRST_QUARTILES", 0.82, 0.93),
    ("THIRD_QUARTILES", "MIDPOINTS", 0.85, 0.95),
    ("COMPLETES", "THIRD_QUARTILES", 0.88, 0.97),
    ("SKIPS", "STARTS", 0.01, 0.06),
    ("UNMUTES", "IMPRESSIONS", 0.0, 0.02),
    ("VIDEO_VIEWS", "IMPRESSIONS", 0.0, 0.4),
    ("VIDEO_EXPANDS", "VIDEO_VIEWS", 0.02, 0.1),
    ("PAID_LISTENS", "COMPLETES", 0.8, 0.95),
    ("INTENTS", "IMPRESSIONS", 0.003, 0.02),
    ("STREAMS", "IMPRESSIONS", 0.005, 0.04),
    ("LISTENERS", "STREAMS", 0.45, 0.75),
    ("NEW_LISTENERS", "LISTENERS", 0.1, 0.4),
    ("NEW_LISTENER_STREAMS", "STREAMS", 0.1, 0.35),
    ("PAGE_VIEWS", "IMPRESSIONS", 0.0004, 0.004),
    ("START_CHECKOUT", "PAGE_VIEWS", 0.1, 0.3),
    ("ADD_TO_CART", "PAGE_VIEWS", 0.1, 0.3),
    ("PURCHASES", "ADD_TO_CART", 0.2, 0.5),
    ("PRODUCTS", "PAGE_VIEWS", 0.15, 0.4),
    ("LEADS", "PAGE_VIEWS", 0.02, 0.15),
    ("SIGN_UPS", "PAGE_VIEWS", 0.02, 0.12),
    ("CUSTOM_EVENT_1", "PAGE_VIEWS", 0.0, 0.2),
    ("CUSTOM_EVENT_2", "PAGE_VIEWS", 0.0, 0.15),
    ("CUSTOM_EVENT_3", "PAGE_VIEWS", 0.0, 0.1),
    ("CUSTOM_EVENT_4", "PAGE_VIEWS", 0.0, 0.05),
    ("CUSTOM_EVENT_5", "PAGE_VIEWS", 0.0, 0.05),
    ("SPEND_MICROS", "IMPRESSIONS", 0.0, 0.0),
    ("REVENUE_MICROS", "PURCHASES", 0.0, 0.0),
)
BASE_METRICS: tuple[str, ...] = tuple(name for name, *_ in _METRIC_TREE)
_IX = {name: i for i, name in enumerate(BASE_METRICS)}
_PARENT: tuple[int, ...] = tuple(-1 if p is None else _IX[p] for _, p, _, _ in _METRIC_TREE)
# Money is split in proportion to its parent but is not a count bounded by it.
_UNCAPPED = frozenset({_IX["SPEND_MICROS"], _IX["REVENUE_MICROS"]})
_N = len(BASE_METRICS)
Vector = tuple[int, ...]
ZERO: Vector = (0,) * _N

# B7: conversion counts between 1 and 4 are reported as -5 (privacy sentinel).
CONVERSION_COUNTS = frozenset(
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
PRIVACY_SENTINEL = -5

# The spec's ReportFieldType enum, every value of which the generator can answer.
REPORT_FIELDS: tuple[str, ...] = (
    "CLICKS",
    "COMPLETES",
    "COMPLETION_RATE",
    "CONVERSION_RATE",
    "CTR",
    "E_CPCL",
    "FIRST_QUARTILES",
    "FREQUENCY",
    "IMPRESSIONS",
    "INTENT_RATE",
    "LISTENERS",
    "MIDPOINTS",
    "NEW_LISTENERS",
    "NEW_LISTENER_CONVERSION_RATE",
    "NEW_LISTENER_STREAMS",
    "OFF_SPOTIFY_IMPRESSIONS",
    "PAID_LISTENS",
    "PAID_LISTENS_FREQUENCY",
    "PAID_LISTENS_REACH",
    "REACH",
    "SKIPS",
    "SPEND",
    "STARTS",
    "STREAMS",
    "STREAMS_PER_NEW_LISTENER",
    "STREAMS_PER_USER",
    "THIRD_QUARTILES",
    "VIDEO_VIEWS",
    "VIDEO_EXPANDS",
    "VIDEO_EXPAND_RATE",
    "UNMUTES",
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
    "STREAMED_IMPRESSIONS",
)

ENTITY_LEVELS = ("AD_ACCOUNT", "CAMPAIGN", "AD_SET", "AD")
# Reach is deduplicated within an entity, more so the higher the level (more overlap).
_LEVEL_FREQUENCY = {"AD": 1.0, "AD_SET": 1.04, "CAMPAIGN": 1.08, "AD_ACCOUNT": 1.12}
# Relative delivery by UTC hour of day: quiet at night, peaks at commute and evening.
_DIURNAL = (
    0.35, 0.25, 0.2, 0.18, 0.2, 0.3, 0.55, 0.85, 1.0, 0.95, 0.9, 0.9,
    0.95, 0.95, 0.9, 0.9, 1.0, 1.1, 1.2, 1.25, 1.2, 1.0, 0.75, 0.5,
)  # fmt: skip
_WEEKDAY = (0.95, 1.0, 1.0, 1.02, 1.08, 1.12, 1.05)  # Monday first

# (country, currency, money per USD, city, region, postal code, street, tax prefix)
_LOCALES = (
    ("US", "USD", 1.0, "Los Angeles", "California", "90012", "200 N Spring St", "US"),
    ("SE", "SEK", 10.5, "Stockholm", "Stockholm County", "111 53", "Regeringsgatan 19", "SE"),
    ("GB", "GBP", 0.8, "London", "England", "EC2A 4BX", "1 Curtain Road", "GB"),
    ("DE", "EUR", 0.92, "Berlin", "Berlin", "10117", "Friedrichstr. 68", "DE"),
    ("AU", "AUD", 1.5, "Sydney", "New South Wales", "2000", "1 Martin Place", "AU"),
    ("CA", "CAD", 1.35, "Toronto", "Ontario", "M5V 2T6", "100 King St W", "CA"),
    ("FR", "EUR", 0.92, "Paris", "Ile-de-France", "75002", "10 Rue de la Paix", "FR"),
    ("ES", "EUR", 0.92, "Madrid", "Comunidad de Madrid", "28013", "Gran Via 28", "ES"),
    ("NL", "EUR", 0.92, "Amsterdam", "North Holland", "1017 CE", "Herengracht 500", "NL"),
    ("BR", "BRL", 5.0, "Sao Paulo", "Sao Paulo", "01310-100", "Av. Paulista 1000", "BR"),
)
_DEMO_BUSINESSES = (
    ("Northwind Audio Agency", "AGENCY"),
    ("Fika Foods Group", "ADVERTISER"),
    ("Kvarnen Bike Shop", "ADVERTISER"),
)
_BUSINESS_WORDS = ("Aurora", "Lumen", "Harbor", "Cedar", "Nordic", "Sonic", "Atlas", "Echo")
_INDUSTRIES = (
    "Media & Entertainment",
    "Food & Beverage",
    "Retail",
    "Technology",
    "Travel",
    "Automotive",
    "Finance",
    "Health & Fitness",
)
_ACCOUNT_TYPES = ("AD_AGENCY", "BRAND_ADVERTISER", "MUSIC_LABEL", "CONCERT_PROMOTER", "PUBLISHER")
_BRANDS = ("Summer", "Launch", "Always-on", "Holiday", "Podcast", "Retargeting", "Brand", "Promo")
_AUDIENCES = ("Gen Z", "Commuters", "Runners", "Parents", "Gamers", "Foodies", "Students", "Pros")
_CATEGORIES = ("ADV_21_182", "ADV_15_140", "ADV_29_244", "ADV_32_266", "ADV_34_276", "ADV_1_6")

CAMPAIGN_STATUSES = ("ACTIVE", "PAUSED", "ARCHIVED")
AD_SET_STATUSES = (
    "ACTIVE",
    "APPROVED",
    "ARCHIVED",
    "COMPLETED",
    "PENDING_APPROVAL",
    "READY",
    "REJECTED",
)
AD_STATUSES = ("ACTIVE", "APPROVED", "ARCHIVED", "PENDING", "PENDING_APPROVAL", "REJECTED")
_NON_DELIVERING_AD_SET = frozenset({"PENDING_APPROVAL", "REJECTED"})
_DELIVERING_AD = frozenset({"ACTIVE", "APPROVED", "ARCHIVED"})


def iso(dt: datetime) -> str:
    """Format an aware datetime as the API does: ISO 8601 UTC with ``Z`` (B2)."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def hour_datetime(hour: int) -> datetime:
    """Return the UTC datetime at the start of hour index ``hour`` (hours since the epoch)."""
    return datetime.fromtimestamp(hour * HOUR_S, tz=UTC)


def _uuid(rng: random.Random) -> str:
    # B2: ids are UUIDs; drawn from the RNG so they are reproducible per seed.
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _key(uid: str) -> int:
    return uuid.UUID(uid).int


def split(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` into integers proportional to ``weights`` (largest remainder).

    When ``weights`` are integers summing to at least ``total``, no part exceeds its weight:
    that is what keeps a child count (clicks) below its parent (impressions) after a split.

    Args:
        total: a non-negative integer.
        weights: non-negative weights.

    Returns:
        Parts that sum to ``total`` (all zero when the weights are all zero).
    """
    n = len(weights)
    weight_sum = float(sum(weights))
    if total <= 0 or weight_sum <= 0.0:
        return [0] * n
    raw = [total * w / weight_sum for w in weights]
    parts = [int(x) for x in raw]
    left = total - sum(parts)
    if left > 0:
        order = sorted(range(n), key=lambda i: (parts[i] - raw[i], i))
        for i in order[:left]:
            parts[i] += 1
    return parts


def split_vector(vector: Vector, weights: Sequence[float]) -> list[Vector]:
    """Split a stats vector into parts; child metrics follow their parent's split exactly."""
    n = len(weights)
    columns: list[list[int]] = []
    for m in range(_N):
        parent = _PARENT[m]
        w: Sequence[float] = weights if parent < 0 else columns[parent]
        columns.append(split(vector[m], w))
    return [tuple(columns[m][i] for m in range(_N)) for i in range(n)]


def add_vectors(vectors: Iterable[Vector]) -> Vector:
    """Sum stats vectors metric by metric."""
    total = list(ZERO)
    for v in vectors:
        if v is ZERO:
            continue
        for i, x in enumerate(v):
            total[i] += x
    return tuple(total)


@dataclass(frozen=True, eq=False)
class Business:
    """A business: the top of the account tree (B1)."""

    id: str
    index: int
    name: str
    type: str
    created_at: datetime

    def to_json(self) -> dict[str, Any]:
        """Return the spec's ``BusinessResponse``."""
        return {
            "id": self.id,
            "name": self.name,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.created_at),
            "status": "ACTIVE",
            "type": self.type,
        }


@dataclass(frozen=True, eq=False)
class AdAccount:
    """An ad account of a business, with its currency and billing address (B2)."""

    id: str
    business_id: str
    index: int
    name: str
    currency_code: str
    country_code: str
    money_per_usd: float
    industry: str
    website: str
    billing_address: dict[str, str]
    legal_entity_name: str
    status: str
    tax_id: str
    account_type: str
    created_at: datetime
    updated_at: datetime

    def to_json(self, role: str = "AD_ACCOUNT_VIEWER") -> dict[str, Any]:
        """Return the spec's ``AdAccountResponse`` as seen by a member with ``role``."""
        body: dict[str, Any] = {
            "id": self.id,
            "business_id": self.business_id,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
            "name": self.name,
            "country_code": self.country_code,
            "currency_code": self.currency_code,
            "industry": self.industry,
            "website": self.website,
            "billing_address": dict(self.billing_address),
            "legal_entity_name": self.legal_entity_name,
            "status": self.status,
            "ad_account_role": role,
            "tax_id": self.tax_id,
        }
        if self.status != "ACTIVE":
            body["status_reason"] = "Billing information needs to be reviewed."
        return body

    def to_v1_json(self) -> dict[str, Any]:
        """Return the retired v1 shape of ``/currentUser/adAccounts`` (C)."""
        return {
            "id": self.id,
            "organization_id": self.business_id,
            "name": self.name,
            "description": f"{self.name} ({self.currency_code})",
            "website": self.website,
            "industry": self.industry,
            "tax_id": self.tax_id,
            "iso_country_code": self.country_code,
            "created_at": iso(self.created_at),
            "last_modified": iso(self.updated_at),
        }


@dataclass(frozen=True, eq=False)
class Campaign:
    """A campaign; its flight is the union of its ad sets' flights."""

    id: str
    account_id: str
    index: int
    name: str
    status: str
    objective: str
    delivery_goal_group: str
    purchase_order: str
    created_at: datetime
    updated_at: datetime

    def to_json(self) -> dict[str, Any]:
        """Return the spec's ``CampaignResponse``."""
        return {
            "id": self.id,
            "name": self.name,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
            "purchase_order": self.purchase_order,
            "status": self.status,
            "objective": self.objective,
            "delivery_goal_group": self.delivery_goal_group,
        }


@dataclass(frozen=True, eq=False)
class AdSet:
    """An ad set: flight (whole hours), budget in micros (B2) and delivery rates."""

    id: str
    campaign_id: str
    account_id: str
    index: int
    name: str
    status: str
    start_hour: int
    end_hour: int | None
    budget_type: str
    budget_micros: int
    bid_micros: int
    currency_code: str
    asset_format: str
    cost_model: str
    pacing: str
    delivery_goal: str
    category: str
    targets: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    daily_impressions: float
    cpm_micros: int
    aov_micros: int
    rates: tuple[float, ...]

    @property
    def is_delivering(self) -> bool:
        """Whether the ad set ever delivers (rejected or unapproved ones do not)."""
        return self.status not in _NON_DELIVERING_AD_SET

    def to_json(self) -> dict[str, Any]:
        """Return the spec's ``AdSetResponse``."""
        body: dict[str, Any] = {
            "id": self.id,
            "campaign_id": self.campaign_id,
            "name": self.name,
            "status": self.status,
            "start_time": iso(hour_datetime(self.start_hour)),
            "budget": {
                "micro_amount": self.budget_micros,
                "type": self.budget_type,
                "currency": self.currency_code,
            },
            "bid_micro_amount": self.bid_micros,
            "bid_strategy": "MAX_BID",
            "cost_model": self.cost_model,
            "asset_format": self.asset_format,
            "pacing": self.pacing,
            "delivery": "ON" if self.status in ("ACTIVE", "APPROVED", "READY") else "OFF",
            "delivery_goal": self.delivery_goal,
            "category": self.category,
            "targets": self.targets,
            "frequency_caps": [
                {"frequency_unit": "DAY", "frequency_period": 1, "max_impressions": 5},
                {"frequency_unit": "WEEK", "frequency_period": 1, "max_impressions": 35},
            ],
            "is_paused": False,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
        }
        if self.end_hour is not None:
            body["end_time"] = iso(hour_datetime(self.end_hour))
        if self.status == "REJECTED":
            body["reject_reason"] = "Your ad set wasn't approved. Contact adstudio@spotify.com."
        return body


@dataclass(frozen=True, eq=False)
class Ad:
    """An ad: creative references and its share of the ad set's delivery."""

    id: str
    ad_set_id: str
    campaign_id: str
    account_id: str
    index: int
    position: int
    name: str
    status: str
    asset_id: str
    companion_asset_id: str
    logo_asset_id: str
    advertiser_name: str
    tagline: str
    clickthrough_url: str
    start_hour: int
    end_hour: int | None
    created_at: datetime
    updated_at: datetime
    weight: float

    def to_json(self) -> dict[str, Any]:
        """Return the spec's ``AdResponse``."""
        body: dict[str, Any] = {
            "id": self.id,
            "ad_set_id": self.ad_set_id,
            "name": self.name,
            "status": self.status,
            "delivery": "ON" if self.status in ("ACTIVE", "APPROVED") else "OFF",
            "advertiser_name": self.advertiser_name,
            "tagline": self.tagline,
            "call_to_action": {
                "key": "LEARN_MORE",
                "text": "Learn more",
                "language": "en",
                "clickthrough_url": self.clickthrough_url,
            },
            "assets": {
                "asset_id": self.asset_id,
                "companion_asset_id": self.companion_asset_id,
                "logo_asset_id": self.logo_asset_id,
            },
            "ad_preview_url": f"https://adstudio.spotify.com/campaigns/ads/{self.id}/preview",
            "start_time": iso(hour_datetime(self.start_hour)),
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
        }
        if self.end_hour is not None:
            body["end_time"] = iso(hour_datetime(self.end_hour))
        if self.status == "REJECTED":
            body["reject_reason"] = "Your ad wasn't approved. Create a new ad."
        return body


@dataclass(frozen=True, eq=False)
class Asset:
    """A creative asset (``Image``, ``Audio`` or ``Video`` in the spec)."""

    id: str
    account_id: str
    index: int
    name: str
    asset_type: str
    status: str
    file_type: str
    created_at: datetime
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def audio_type(self) -> str | None:
        """The audio type of an audio asset, else ``None``."""
        value = self.extra.get("audio_type")
        return None if value is None else str(value)

    @property
    def aspect_ratio(self) -> str | None:
        """The aspect ratio of an image or video asset, else ``None``."""
        value = self.extra.get("aspect_ratio")
        return None if value is None else str(value)

    def to_json(self) -> dict[str, Any]:
        """Return the spec's ``AssetResponse`` (one of ``Image``, ``Audio``, ``Video``)."""
        body: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "asset_type": self.asset_type,
            "status": self.status,
            "url": f"https://i.scdn.co/sandbox/{self.id}",
            "created_at": iso(self.created_at),
            "updated_at": iso(self.created_at),
            "file_type": self.file_type,
        }
        body.update(self.extra)
        return body


@dataclass
class _AccountTree:
    campaigns: list[Campaign]
    campaigns_by_id: dict[str, Campaign]
    ad_sets_of: dict[str, list[AdSet]] = field(default_factory=dict)


class AdsData:
    """The seeded, deterministic data behind the sandbox's Ads API (B1-B8).

    Args:
        seed: the same seed always gives the same objects and stats.
        scale: multiplies the number of ad accounts and campaigns (1.0: 3 businesses,
            8 ad accounts, a few dozen campaigns per account).
        clock: the sandbox clock; stats exist only for hours that ended before its "now".
        businesses: number of businesses (default 3; the last one is sam.smallbiz's).
        accounts_per_business: ad accounts in each business (default 4, 3, 1, ... × scale).
        campaigns_per_account: campaigns in each account (default 12-40 × scale).
        ad_sets_per_campaign: an int or an inclusive ``(low, high)`` range (default 2-6).
        ads_per_ad_set: an int or an inclusive ``(low, high)`` range (default 1-4).
        assets_per_account: assets in each account (default 12).
        anchor: the reference "today" of the generated timeline (default: the clock's date
            at construction); flights lie around it.

    Example:
        >>> from adstudio_nb.sandbox.clock import SandboxClock
        >>> big = AdsData(seed=1, clock=SandboxClock(), businesses=1,
        ...               accounts_per_business=20, campaigns_per_account=250)
        >>> len(big.ad_accounts_of(big.businesses()[0].id))
        20
    """

    def __init__(
        self,
        seed: int = 0,
        scale: float = 1.0,
        clock: SandboxClock | None = None,
        *,
        businesses: int | None = None,
        accounts_per_business: int | None = None,
        campaigns_per_account: int | None = None,
        ad_sets_per_campaign: int | tuple[int, int] = (2, 6),
        ads_per_ad_set: int | tuple[int, int] = (1, 4),
        assets_per_account: int = 12,
        anchor: datetime | None = None,
    ) -> None:
        if scale <= 0:
            raise ValueError("scale must be positive.")
        self.seed = seed
        self.scale = scale
        self.clock = clock or SandboxClock()
        self._n_businesses = businesses if businesses is not None else 3
        self._accounts_per_business = accounts_per_business
        self._campaigns_per_account = campaigns_per_account
        self._ad_sets_range = _as_range(ad_sets_per_campaign)
        self._ads_range = _as_range(ads_per_ad_set)
        self._assets_per_account = assets_per_account
        reference = anchor or self.clock.now_datetime()
        self.anchor_day = int(reference.timestamp() // DAY_S)
        self._lock = threading.RLock()
        self._businesses: list[Business] | None = None
        self._accounts: dict[str, AdAccount] | None = None
        self._accounts_of: dict[str, list[AdAccount]] = {}
        # Per-instance caches (functools.lru_cache on methods would pin instances).
        self._tree = functools.lru_cache(maxsize=64)(self._build_tree)
        self._ads_of = functools.lru_cache(maxsize=65536)(self._build_ads)
        self._ad_set_index = functools.lru_cache(maxsize=16)(self._build_ad_set_index)
        self._ads_by_account = functools.lru_cache(maxsize=16)(self._build_account_ads)
        self._assets = functools.lru_cache(maxsize=64)(self._build_assets)
        self._day_split = functools.lru_cache(maxsize=32768)(self._build_day_split)
        self._ad_set_day = functools.lru_cache(maxsize=65536)(self._build_ad_set_day)
        self._hours = functools.lru_cache(maxsize=4096)(self._build_hours)
        self._campaign_day = functools.lru_cache(maxsize=65536)(self._build_campaign_day)
        self._account_day = functools.lru_cache(maxsize=4096)(self._build_account_day)

    # -- time -------------------------------------------------------------------------------

    def now_hour(self) -> int:
        """Return the index of the current, unfinished hour; earlier hours have stats."""
        return int(self.clock.now() // HOUR_S)

    # -- businesses and accounts (B1) --------------------------------------------------------

    def businesses(self) -> list[Business]:
        """Return every business of the data set, in a stable order."""
        with self._lock:
            if self._businesses is None:
                rng = random.Random(f"{self.seed}:businesses")
                out = []
                for i in range(self._n_businesses):
                    if i == self._n_businesses - 1:
                        name, kind = _DEMO_BUSINESSES[-1]  # sam.smallbiz's business
                    elif i < len(_DEMO_BUSINESSES) - 1:
                        name, kind = _DEMO_BUSINESSES[i]
                    else:
                        word = _BUSINESS_WORDS[i % len(_BUSINESS_WORDS)]
                        name, kind = f"{word} Media {i + 1}", rng.choice(("ADVERTISER", "AGENCY"))
                    created = self._day_dt(self.anchor_day - rng.randint(400, 1500))
                    out.append(Business(_uuid(rng), i, name, kind, created))
                self._businesses = out
            return list(self._businesses)

    def businesses_for_user(self, user_id: str) -> list[Business]:
        """Return the businesses ``user_id`` is a member of (B1).

        ``alex.analyst`` belongs to every business, ``sam.smallbiz`` to exactly one (the last),
        ``nina.newcomer`` and unknown users to none.
        """
        everything = self.businesses()
        if user_id == DEMO_ALL_BUSINESSES_USER:
            return everything
        if user_id == DEMO_ONE_BUSINESS_USER:
            return everything[-1:]
        return []

    def business(self, business_id: str) -> Business | None:
        """Return a business by id, or ``None``."""
        return next((b for b in self.businesses() if b.id == business_id), None)

    def ad_accounts_of(self, business_id: str) -> list[AdAccount]:
        """Return the ad accounts of a business (empty for an unknown one)."""
        self._all_accounts()
        return list(self._accounts_of.get(business_id, []))

    def ad_account(self, ad_account_id: str) -> AdAccount | None:
        """Return an ad account by id, or ``None``."""
        return self._all_accounts().get(ad_account_id)

    def ad_accounts_for_user(self, user_id: str) -> list[AdAccount]:
        """Return every ad account of every business of ``user_id``, in a stable order."""
        return [a for b in self.businesses_for_user(user_id) for a in self.ad_accounts_of(b.id)]

    def can_access(self, user_id: str, ad_account_id: str) -> bool:
        """Whether ``user_id`` may see the ad account (member of its business)."""
        account = self.ad_account(ad_account_id)
        if account is None:
            return False
        return any(b.id == account.business_id for b in self.businesses_for_user(user_id))

    def role_of(self, user_id: str, account: AdAccount) -> str:
        """Return the user's ``ad_account_role`` on an account (B2)."""
        if user_id == DEMO_ONE_BUSINESS_USER:
            return "AD_ACCOUNT_ADMIN"
        return ("AD_ACCOUNT_ADMIN", "AD_ACCOUNT_CONTRIBUTOR", "AD_ACCOUNT_VIEWER")[
            account.index % 3
        ]

    def _accounts_in(self, business: Business) -> int:
        if self._accounts_per_business is not None:
            return self._accounts_per_business
        if business.index == self._n_businesses - 1 and self._n_businesses > 1:
            return 1  # sam.smallbiz's business stays small at every scale
        base = (4, 3)[business.index] if business.index < 2 else 3
        return max(1, round(base * self.scale))

    def _all_accounts(self) -> dict[str, AdAccount]:
        with self._lock:
            if self._accounts is None:
                accounts: dict[str, AdAccount] = {}
                index = 0
                for business in self.businesses():
                    rng = random.Random(f"{self.seed}:accounts:{business.id}")
                    listed = []
                    for j in range(self._accounts_in(business)):
                        account = self._make_account(rng, business, index, j)
                        accounts[account.id] = account
                        listed.append(account)
                        index += 1
                    self._accounts_of[business.id] = listed
                self._accounts = accounts
            return self._accounts

    def _make_account(
        self, rng: random.Random, business: Business, index: int, j: int
    ) -> AdAccount:
        country, currency, fx, city, region, postal, street, tax = _LOCALES[
            (business.index * 3 + j) % len(_LOCALES)
        ]
        label = business.name.split()[0]
        name = f"{label} {country} {currency} {j + 1}"
        created = self._day_dt(self.anchor_day - rng.randint(200, 900))
        status = "ACTIVE" if rng.random() > 0.08 or j == 0 else "GREY_LISTED"
        return AdAccount(
            id=_uuid(rng),
            business_id=business.id,
            index=index,
            name=name,
            currency_code=currency,
            country_code=country,
            money_per_usd=fx,
            industry=rng.choice(_INDUSTRIES),
            website=f"https://www.{label.lower()}-{country.lower()}.example.com",
            billing_address={
                "name": f"{business.name} {country}",
                "street": street,
                "city": city,
                "region": region,
                "postal_code": postal,
                "tax_region": country,
            },
            legal_entity_name=f"{business.name} {country} Ltd",
            status=status,
            tax_id=f"{tax}{rng.randint(10**8, 10**9 - 1)}",
            account_type=rng.choice(_ACCOUNT_TYPES),
            created_at=created,
            updated_at=self._day_dt(self.anchor_day - rng.randint(1, 60)),
        )

    # -- campaigns, ad sets, ads, assets ----------------------------------------------------

    def campaigns(self, ad_account_id: str) -> list[Campaign]:
        """Return the campaigns of an ad account in creation order (empty when unknown)."""
        if self.ad_account(ad_account_id) is None:
            return []
        return list(self._tree(ad_account_id).campaigns)

    def campaign(self, ad_account_id: str, campaign_id: str) -> Campaign | None:
        """Return a campaign of an ad account by id, or ``None``."""
        if self.ad_account(ad_account_id) is None:
            return None
        return self._tree(ad_account_id).campaigns_by_id.get(campaign_id)

    def ad_sets_of(self, campaign: Campaign) -> list[AdSet]:
        """Return the ad sets of a campaign in creation order."""
        tree = self._tree(campaign.account_id)
        with self._lock:
            found = tree.ad_sets_of.get(campaign.id)
            if found is None:
                found = self._make_ad_sets(campaign)
                tree.ad_sets_of[campaign.id] = found
            return found

    def ad_sets(self, ad_account_id: str) -> list[AdSet]:
        """Return every ad set of an ad account (campaign order, then creation order)."""
        return [s for c in self.campaigns(ad_account_id) for s in self.ad_sets_of(c)]

    def ad_set(self, ad_account_id: str, ad_set_id: str) -> AdSet | None:
        """Return an ad set of an ad account by id, or ``None``."""
        return self._ad_set_index(ad_account_id).get(ad_set_id)

    def ads_of(self, ad_set: AdSet) -> list[Ad]:
        """Return the ads of an ad set in creation order."""
        return list(self._ads_of(ad_set))

    def ads(self, ad_account_id: str) -> list[Ad]:
        """Return every ad of an ad account (tree order)."""
        return list(self._ads_by_account(ad_account_id)[0])

    def ad(self, ad_account_id: str, ad_id: str) -> Ad | None:
        """Return an ad of an ad account by id, or ``None``."""
        if self.ad_account(ad_account_id) is None:
            return None
        return self._ads_by_account(ad_account_id)[1].get(ad_id)

    def assets(self, ad_account_id: str) -> list[Asset]:
        """Return the assets of an ad account in creation order."""
        if self.ad_account(ad_account_id) is None:
            return []
        return list(self._assets(ad_account_id))

    def asset(self, ad_account_id: str, asset_id: str) -> Asset | None:
        """Return an asset of an ad account by id, or ``None``."""
        return next((a for a in self.assets(ad_account_id) if a.id == asset_id), None)

    def _build_ad_set_index(self, ad_account_id: str) -> dict[str, AdSet]:
        return {s.id: s for s in self.ad_sets(ad_account_id)}

    def _build_tree(self, ad_account_id: str) -> _AccountTree:
        account = self.ad_account(ad_account_id)
        assert account is not None
        rng = random.Random(f"{self.seed}:campaigns:{ad_account_id}")
        if self._campaigns_per_account is not None:
            count = self._campaigns_per_account
        else:
            count = max(1, round(rng.randint(12, 40) * self.scale))
        campaigns = []
        for i in range(count):
            # Older campaigns first: created between ~8 months ago and a few days ahead.
            age_days = max(-3, int(240 * (1 - i / max(count, 1))) - rng.randint(0, 20))
            created = self._day_dt(self.anchor_day - age_days).replace(hour=rng.randint(8, 17))
            status = rng.choices(CAMPAIGN_STATUSES, (0.7, 0.15, 0.15))[0]
            theme = rng.choice(_BRANDS)
            campaigns.append(
                Campaign(
                    id=_uuid(rng),
                    account_id=ad_account_id,
                    index=i,
                    name=f"{theme} {created.strftime('%b %Y')} #{i + 1}",
                    status=status,
                    objective=rng.choice(("REACH", "EVEN_IMPRESSION_DELIVERY", "CLICKS")),
                    delivery_goal_group=rng.choice(("AWARENESS", "WEBSITE_TRAFFIC")),
                    purchase_order=f"PO-{rng.randint(1000, 9999)}",
                    created_at=created,
                    updated_at=created.replace(hour=min(23, created.hour + rng.randint(0, 5))),
                )
            )
        return _AccountTree(campaigns, {c.id: c for c in campaigns})

    def _make_ad_sets(self, campaign: Campaign) -> list[AdSet]:
        account = self.ad_account(campaign.account_id)
        assert account is not None
        rng = random.Random(_key(campaign.id) ^ self.seed)
        count = rng.randint(*self._ad_sets_range)
        start_day = int(campaign.created_at.timestamp() // DAY_S) + rng.randint(0, 2)
        out = []
        for i in range(count):
            start_hour = (start_day + rng.randint(0, 5)) * DAY_H + rng.choice((0, 0, 0, 9, 14))
            flight_days = rng.choice((7, 14, 21, 30, 45, 60, 90))
            end_hour: int | None = start_hour + flight_days * DAY_H
            budget_type = rng.choice(("DAILY", "DAILY", "LIFETIME"))
            if budget_type == "DAILY" and rng.random() < 0.25:
                end_hour = None  # an always-on ad set: delivers until now
            fx = account.money_per_usd
            thin = rng.random() < 0.08  # some ad sets deliver too little for insights (B8)
            daily_usd = rng.uniform(1.0, 4.0) if thin else rng.uniform(20.0, 400.0)
            daily_budget_micros = int(daily_usd * fx) * 1_000_000 or 1_000_000
            budget_micros = daily_budget_micros
            if budget_type == "LIFETIME":
                budget_micros = daily_budget_micros * flight_days
            cpm_micros = int(rng.uniform(6.0, 22.0) * fx * 1_000_000)
            pacing = rng.uniform(0.55, 0.9)
            daily_impressions = daily_budget_micros / cpm_micros * 1000 * pacing
            status = self._ad_set_status(rng, start_hour, end_hour, campaign.status)
            created = min(campaign.created_at, hour_datetime(start_hour))
            asset_format = rng.choice(("AUDIO", "AUDIO", "VIDEO"))
            rates = []
            for name, parent, low, high in _METRIC_TREE:
                if name in ("VIDEO_VIEWS", "VIDEO_EXPANDS", "UNMUTES") and asset_format != "VIDEO":
                    rates.append(0.0)
                else:
                    rates.append(rng.uniform(low, high) if parent else 0.0)
            audience = rng.choice(_AUDIENCES)
            out.append(
                AdSet(
                    id=_uuid(rng),
                    campaign_id=campaign.id,
                    account_id=campaign.account_id,
                    index=i,
                    name=f"{audience} {account.country_code} {asset_format.lower()} {i + 1}",
                    status=status,
                    start_hour=start_hour,
                    end_hour=end_hour,
                    budget_type=budget_type,
                    budget_micros=budget_micros,
                    bid_micros=int(cpm_micros * rng.uniform(1.05, 1.4)),
                    currency_code=account.currency_code,
                    asset_format=asset_format,
                    cost_model="CPM",
                    pacing=rng.choice(("PACING_EVEN", "PACING_EVEN", "PACING_ASAP")),
                    delivery_goal=rng.choice(("IMPRESSIONS", "REACH", "CLICKS")),
                    category=rng.choice(_CATEGORIES),
                    targets={
                        "age_ranges": [{"min": rng.choice((18, 25, 35)), "max": 65}],
                        "genders": ["MALE", "FEMALE", "NON_BINARY"],
                        "geo_targets": {"country_code": account.country_code},
                        "platforms": ["ANDROID", "DESKTOP", "IOS"],
                        "placements": rng.choice((["MUSIC"], ["PODCAST"], ["MUSIC", "PODCAST"])),
                    },
                    created_at=created,
                    updated_at=created,
                    daily_impressions=daily_impressions,
                    cpm_micros=cpm_micros,
                    aov_micros=int(rng.uniform(15.0, 120.0) * fx * 1_000_000),
                    rates=tuple(rates),
                )
            )
        return out

    def _ad_set_status(
        self, rng: random.Random, start_hour: int, end_hour: int | None, campaign_status: str
    ) -> str:
        anchor_hour = self.anchor_day * DAY_H
        if rng.random() < 0.05:
            return "REJECTED"
        if campaign_status == "ARCHIVED":
            return "ARCHIVED"
        if end_hour is not None and end_hour <= anchor_hour:
            return "COMPLETED"
        if start_hour > anchor_hour:
            return rng.choice(("READY", "APPROVED", "PENDING_APPROVAL"))
        return "ACTIVE"

    def _build_ads(self, ad_set: AdSet) -> tuple[Ad, ...]:
        account_assets = self._assets(ad_set.account_id)
        audio = [a for a in account_assets if a.asset_type in ("AUDIO", "VIDEO")]
        images = [a for a in account_assets if a.asset_type == "IMAGE"]
        rng = random.Random(_key(ad_set.id) ^ (self.seed << 1) ^ 0xAD)
        count = rng.randint(*self._ads_range)
        out = []
        for i in range(count):
            status = "ACTIVE" if i == 0 else rng.choice(AD_STATUSES)
            if ad_set.status in ("COMPLETED", "ARCHIVED") and status in ("ACTIVE", "APPROVED"):
                status = "ARCHIVED" if ad_set.status == "ARCHIVED" else "ACTIVE"
            delivering = status in _DELIVERING_AD and ad_set.is_delivering
            creative = audio[rng.randrange(len(audio))] if audio else None
            out.append(
                Ad(
                    id=_uuid(rng),
                    ad_set_id=ad_set.id,
                    campaign_id=ad_set.campaign_id,
                    account_id=ad_set.account_id,
                    index=i,
                    position=i,
                    name=f"{ad_set.name.split()[0]} creative {chr(65 + i % 26)}",
                    status=status,
                    asset_id=creative.id if creative else _uuid(rng),
                    companion_asset_id=images[i % len(images)].id if images else _uuid(rng),
                    logo_asset_id=images[0].id if images else _uuid(rng),
                    advertiser_name=ad_set.name.split()[0][:25].ljust(2, "x"),
                    tagline=rng.choice(("Listen now", "Try it today", "Made for you")),
                    clickthrough_url=f"https://www.example.com/landing/{i + 1}",
                    start_hour=ad_set.start_hour,
                    end_hour=ad_set.end_hour,
                    created_at=ad_set.created_at,
                    updated_at=ad_set.updated_at,
                    weight=rng.uniform(0.5, 2.0) if delivering else 0.0,
                )
            )
        return tuple(out)

    def _build_account_ads(self, ad_account_id: str) -> tuple[list[Ad], dict[str, Ad]]:
        ads = [ad for s in self.ad_sets(ad_account_id) for ad in self._ads_of(s)]
        return ads, {ad.id: ad for ad in ads}

    def _build_assets(self, ad_account_id: str) -> tuple[Asset, ...]:
        rng = random.Random(f"{self.seed}:assets:{ad_account_id}")
        out = []
        for i in range(max(3, self._assets_per_account)):
            kind = ("AUDIO", "IMAGE", "IMAGE", "VIDEO")[i % 4]
            created = self._day_dt(self.anchor_day - rng.randint(1, 300))
            status = "READY" if rng.random() > 0.1 or i < 4 else rng.choice(("PROCESSING", "ERROR"))
            extra: dict[str, Any]
            if kind == "AUDIO":
                file_type = rng.choice(("MP3", "WAV", "OGG"))
                extra = {
                    "audio_type": rng.choice(("USER_UPLOADED_AUDIO", "BACKGROUND_MUSIC")),
                    "duration_ms": rng.choice((15000, 30000)),
                }
                name = f"spot_{i + 1}.{file_type.lower()}"
            elif kind == "IMAGE":
                file_type = rng.choice(("JPEG", "PNG"))
                extra = {"aspect_ratio": "SQUARE", "width": 640, "height": 640}
                name = f"companion_{i + 1}.{'jpg' if file_type == 'JPEG' else 'png'}"
            else:
                file_type = "MP4"
                extra = {
                    "aspect_ratio": rng.choice(("HORIZONTAL_16_9", "VERTICAL_9_16")),
                    "width": 1280,
                    "height": 720,
                    "duration_ms": 30000,
                    "has_audio": True,
                }
                name = f"video_{i + 1}.mp4"
            out.append(
                Asset(_uuid(rng), ad_account_id, i, name, kind, status, file_type, created, extra)
            )
        return tuple(out)

    def _day_dt(self, day: int) -> datetime:
        return datetime.fromtimestamp(day * DAY_S, tz=UTC)

    # -- stats: flights -----------------------------------------------------------------------

    def flight_hours(self, level: str, entity: Any) -> tuple[int, int] | None:
        """Return ``[first, last)`` hours in which an entity can deliver, or ``None``.

        The end is capped at the clock's current hour: later hours have no stats yet.
        """
        now = self.now_hour()
        if level in ("AD_SET", "AD"):
            ad_set = entity if level == "AD_SET" else self._ad_set_of_ad(entity)
            if not ad_set.is_delivering:
                return None
            if level == "AD" and entity.weight <= 0:
                return None
            end = now if ad_set.end_hour is None else min(ad_set.end_hour, now)
            return (ad_set.start_hour, end) if end > ad_set.start_hour else None
        children = self._children(level, entity)
        spans = [s for s in (self.flight_hours(self._child_level(level), c) for c in children) if s]
        if not spans:
            return None
        return min(s[0] for s in spans), max(s[1] for s in spans)

    def _child_level(self, level: str) -> str:
        return ENTITY_LEVELS[ENTITY_LEVELS.index(level) + 1]

    def _children(self, level: str, entity: Any) -> list[Any]:
        if level == "AD_ACCOUNT":
            return self.campaigns(entity.id)
        if level == "CAMPAIGN":
            return self.ad_sets_of(entity)
        if level == "AD_SET":
            return self.ads_of(entity)
        return []

    def _ad_set_of_ad(self, ad: Ad) -> AdSet:
        found = self.ad_set(ad.account_id, ad.ad_set_id)
        assert found is not None
        return found

    # -- stats: generation ----------------------------------------------------------------------

    def _potential(self, ad_set: AdSet, day: int) -> Vector:
        """Return what an ad set would deliver over the whole of ``day`` (before masking)."""
        rng = random.Random((_key(ad_set.id) << 20) ^ day ^ self.seed)
        weekday = _WEEKDAY[(day + 3) % 7]  # 1970-01-01 was a Thursday
        impressions = int(ad_set.daily_impressions * weekday * rng.uniform(0.7, 1.1))
        values = [0] * _N
        values[0] = impressions
        for m in range(1, _N):
            parent = _PARENT[m]
            if m in _UNCAPPED:
                continue
            base = values[parent] * ad_set.rates[m] * rng.uniform(0.85, 1.15)
            values[m] = min(values[parent], int(base + rng.random()))
        values[_IX["SPEND_MICROS"]] = int(
            impressions * ad_set.cpm_micros / 1000 * rng.uniform(0.9, 1.0)
        )
        values[_IX["REVENUE_MICROS"]] = int(
            values[_IX["PURCHASES"]] * ad_set.aov_micros * rng.uniform(0.8, 1.2)
        )
        return tuple(values)

    def _build_day_split(self, ad_set: AdSet, day: int, now_hour: int) -> tuple[Vector, ...]:
        """Return each ad's delivery on ``day`` (only hours in flight and before now)."""
        ads = self._ads_of(ad_set)
        first, last = day * DAY_H, (day + 1) * DAY_H
        end = now_hour if ad_set.end_hour is None else min(ad_set.end_hour, now_hour)
        if not ad_set.is_delivering or end <= first or ad_set.start_hour >= last:
            return tuple(ZERO for _ in ads)
        if ad_set.start_hour <= first and last <= end:
            return tuple(split_vector(self._potential(ad_set, day), [a.weight for a in ads]))
        hours = self._hours(ad_set, day, now_hour)
        return tuple(add_vectors(per_ad) for per_ad in hours)

    def _build_hours(
        self, ad_set: AdSet, day: int, now_hour: int
    ) -> tuple[tuple[Vector, ...], ...]:
        """Return per ad, the 24 hourly vectors of ``day`` (zero outside flight and after now)."""
        ads = self._ads_of(ad_set)
        potential = split_vector(self._potential(ad_set, day), [a.weight for a in ads])
        rng = random.Random((_key(ad_set.id) << 21) ^ day ^ 0x5EED ^ self.seed)
        profile = [w * rng.uniform(0.8, 1.2) for w in _DIURNAL]
        end = now_hour if ad_set.end_hour is None else min(ad_set.end_hour, now_hour)
        out = []
        for ad_day in potential:
            hours = split_vector(ad_day, profile)
            out.append(
                tuple(
                    hours[h] if ad_set.start_hour <= day * DAY_H + h < end else ZERO
                    for h in range(DAY_H)
                )
            )
        return tuple(out)

    def _build_ad_set_day(self, ad_set: AdSet, day: int, now_hour: int) -> Vector:
        first, last = day * DAY_H, (day + 1) * DAY_H
        end = now_hour if ad_set.end_hour is None else min(ad_set.end_hour, now_hour)
        if not ad_set.is_delivering or end <= first or ad_set.start_hour >= last:
            return ZERO
        if ad_set.start_hour <= first and last <= end:
            # A whole day: the ads' split sums back to the potential exactly, skip it.
            if sum(a.weight for a in self._ads_of(ad_set)) <= 0:
                return ZERO
            return self._potential(ad_set, day)
        return add_vectors(self._day_split(ad_set, day, now_hour))

    def _build_campaign_day(self, campaign: Campaign, day: int, now_hour: int) -> Vector:
        return add_vectors(self._ad_set_day(s, day, now_hour) for s in self.ad_sets_of(campaign))

    def _build_account_day(self, account_id: str, day: int, now_hour: int) -> Vector:
        return add_vectors(self._campaign_day(c, day, now_hour) for c in self.campaigns(account_id))

    def day_vector(self, level: str, entity: Any, day: int) -> Vector:
        """Return an entity's additive counts for UTC ``day`` (days since the epoch)."""
        now = min(self.now_hour(), (day + 1) * DAY_H)  # later hours do not matter for this day
        if level == "AD":
            ad_set = self._ad_set_of_ad(entity)
            return self._day_split(ad_set, day, now)[entity.position]
        if level == "AD_SET":
            return self._ad_set_day(entity, day, now)
        if level == "CAMPAIGN":
            return self._campaign_day(entity, day, now)
        return self._account_day(entity.id, day, now)

    def hour_vector(self, level: str, entity: Any, hour: int) -> Vector:
        """Return an entity's additive counts for one hour (hours since the epoch)."""
        day, h = divmod(hour, DAY_H)
        now = min(self.now_hour(), (day + 1) * DAY_H)
        if hour >= now:
            return ZERO
        if level == "AD":
            ad_set = self._ad_set_of_ad(entity)
            if not self._touches(ad_set, hour, hour + 1):
                return ZERO
            return self._hours(ad_set, day, now)[entity.position][h]
        if level == "AD_SET":
            if not self._touches(entity, hour, hour + 1):
                return ZERO
            return add_vectors(per_ad[h] for per_ad in self._hours(entity, day, now))
        return add_vectors(
            self.hour_vector(self._child_level(level), c, hour)
            for c in self._children(level, entity)
        )

    def _touches(self, ad_set: AdSet, first: int, last: int) -> bool:
        end = ad_set.end_hour if ad_set.end_hour is not None else 1 << 40
        return ad_set.is_delivering and ad_set.start_hour < last and first < end

    def range_vector(self, level: str, entity: Any, first_day: int, last_day: int) -> Vector:
        """Return an entity's counts summed over days ``first_day..last_day`` inclusive."""
        span = self.flight_hours(level, entity)
        if span is None:
            return ZERO
        lo = max(first_day, span[0] // DAY_H)
        hi = min(last_day, (span[1] - 1) // DAY_H)
        return add_vectors(self.day_vector(level, entity, d) for d in range(lo, hi + 1))

    # -- stats: report values (B5, B7) ----------------------------------------------------

    def report_values(
        self, vector: Vector, fields: Sequence[str], *, level: str, hours: int, entities: int = 1
    ) -> list[dict[str, Any]]:
        """Turn counts into the spec's ``stats`` list for the requested fields.

        Args:
            vector: summed counts of the bucket.
            fields: ``ReportFieldType`` names, in the order wanted.
            level: entity level (reach is deduplicated more at higher levels).
            hours: length of the bucket in hours (reach grows sub-linearly with it).
            entities: how many entities the counts were pooled over (B8 totals).

        Returns:
            ``[{"field_type": ..., "field_value": ...}]``; money in currency units and
            conversion counts between 1 and 4 as ``-5`` (B7).
        """
        return [
            {"field_type": f, "field_value": self.value(vector, f, level, hours, entities)}
            for f in fields
        ]

    def value(self, vector: Vector, name: str, level: str, hours: int, entities: int = 1) -> float:
        """Return one report field's value from summed counts (see :meth:`report_values`)."""
        v = vector
        if name in _IX and name not in ("SPEND_MICROS", "REVENUE_MICROS"):
            count = v[_IX[name]]
            if name in CONVERSION_COUNTS and 1 <= count <= 4:
                return PRIVACY_SENTINEL  # B7
            return count
        impressions = v[_IX["IMPRESSIONS"]]
        spend = v[_IX["SPEND_MICROS"]] / 1_000_000
        revenue = v[_IX["REVENUE_MICROS"]] / 1_000_000
        reach = _reach(impressions, level, hours, entities)
        if name == "SPEND":
            return round(spend, 6)  # B7: currency units, not micros
        if name == "REVENUE":
            return round(revenue, 6)
        if name == "REACH":
            return reach
        if name == "FREQUENCY":
            return _ratio(impressions, reach, 2)
        if name == "PAID_LISTENS_REACH":
            return _reach(v[_IX["PAID_LISTENS"]], level, hours, entities)
        if name == "PAID_LISTENS_FREQUENCY":
            paid = v[_IX["PAID_LISTENS"]]
            return _ratio(paid, _reach(paid, level, hours, entities), 2)
        ratios = {
            "CTR": (v[_IX["CLICKS"]], impressions, 100.0),
            "COMPLETION_RATE": (v[_IX["COMPLETES"]], v[_IX["STARTS"]], 100.0),
            "VIDEO_EXPAND_RATE": (v[_IX["VIDEO_EXPANDS"]], v[_IX["VIDEO_VIEWS"]], 100.0),
            "INTENT_RATE": (v[_IX["INTENTS"]], impressions, 100.0),
            "CONVERSION_RATE": (v[_IX["LISTENERS"]], reach, 100.0),
            "NEW_LISTENER_CONVERSION_RATE": (v[_IX["NEW_LISTENERS"]], reach, 100.0),
            "STREAMS_PER_USER": (v[_IX["STREAMS"]], v[_IX["LISTENERS"]], 1.0),
            "STREAMS_PER_NEW_LISTENER": (
                v[_IX["NEW_LISTENER_STREAMS"]],
                v[_IX["NEW_LISTENERS"]],
                1.0,
            ),
            "E_CPCL": (spend * 1000, v[_IX["COMPLETES"]], 1.0),
            "AVERAGE_ORDER_VALUE": (revenue, v[_IX["PURCHASES"]], 1.0),
            "RETURN_ON_AD_SPEND": (revenue, spend, 1.0),
            "CUSTOMER_ACQUISITION_COST": (spend, v[_IX["PURCHASES"]], 1.0),
            "COST_PER_LEAD": (spend, v[_IX["LEADS"]], 1.0),
        }
        if name in ratios:
            top, bottom, factor = ratios[name]
            return _ratio(top * factor, bottom, 4)
        raise KeyError(name)

    def count(self, vector: Vector, name: str) -> int:
        """Return a raw additive count of a vector (no privacy sentinel)."""
        return vector[_IX[name]]


def _ratio(top: float, bottom: float, digits: int) -> float:
    return round(top / bottom, digits) if bottom else 0.0


def _reach(impressions: int, level: str, hours: int, entities: int) -> int:
    """Deduplicated listeners: impressions over a frequency that grows with time and level."""
    if impressions <= 0:
        return 0
    frequency = _LEVEL_FREQUENCY[level] * (1 + 0.45 * math.log1p(max(hours, 1) / DAY_H))
    frequency *= 1 + 0.05 * math.log(max(entities, 1))
    return max(1, min(impressions, int(impressions / frequency)))


def _as_range(value: int | tuple[int, int]) -> tuple[int, int]:
    if isinstance(value, int):
        return (value, value)
    low, high = value
    return (low, high)
