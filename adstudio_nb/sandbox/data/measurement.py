"""The data set's measurement objects: datasets, pixels, CAPI integrations, mobile apps.

Owns each business's datasets (one pixel and one Conversions API integration each, shared
with some of the business's ad accounts), its mobile apps, the event counts the pixels and
integrations report, and each ad account's experiment availability. Event counts are the
conversions the shared ad accounts' delivery attributes (``PAGE_VIEWS``, ``LEADS``,
``PURCHASES``, ``ADD_TO_CART``, read from ``delivery.py``) plus seeded organic traffic, so a
site never reports fewer events than the ads drove, and an attributed count hidden in reports
(B7) cannot be read back from a pixel. Derived on demand from ``(seed, business id)``; never
does HTTP.
"""

from __future__ import annotations

import functools
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .constants import DAY_H, HOUR_S, hour_datetime, iso
from .delivery import Delivery
from .generator import AdsObjects
from .metrics import count, split
from .objects import AdAccount, Business

# Pixel event type -> the delivery count it follows.
EVENT_METRICS = {
    "PAGE_VIEW": "PAGE_VIEWS",
    "LEAD": "LEADS",
    "PURCHASE": "PURCHASES",
    "ADD_TO_CART": "ADD_TO_CART",
}
SIGNAL_EVENTS = ("VIEW", "ADDTOCART", "PURCHASE", "LEAD")
_DIURNAL = (1, 1, 1, 1, 1, 2, 3, 4, 5, 5, 5, 5, 5, 5, 5, 5, 6, 6, 7, 7, 6, 5, 3, 2)


@dataclass(frozen=True, eq=False)
class Dataset:
    """A dataset: one pixel, one CAPI integration, the ad accounts it is shared with."""

    id: str
    business_id: str
    index: int
    name: str
    pixel_id: str
    pixel_integration_id: str
    capi_connection_id: str
    capi_integration_id: str
    capi_token_id: str
    domain: str
    created_at: datetime
    shared: tuple[AdAccount, ...]


@dataclass(frozen=True, eq=False)
class MobileApp:
    """A business's mobile app, shared with some of its ad accounts."""

    id: str
    business_id: str
    name: str
    platform: str
    store_id: str
    partner: str
    dataset_id: str
    integration_id: str
    shared: tuple[AdAccount, ...]

    def to_json(self) -> dict[str, Any]:
        """Return the spec's ``MobileApp``."""
        body: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "platform": self.platform,
            "platform_app_id": self.store_id,
            "ad_type": "VIEW_THROUGH",
            "mobile_measurement_partner": self.partner,
            "dataset_id": self.dataset_id,
            "integration_id": self.integration_id,
            "is_skad_network": self.platform == "IOS",
            "shared_ad_accounts": [{"id": a.id, "name": a.name} for a in self.shared],
        }
        if self.platform == "IOS":
            body["ios_app_id"] = self.store_id
            body["apple_app_url"] = f"https://apps.apple.com/app/id{self.store_id}"
        else:
            body["android_app_url"] = (
                f"https://play.google.com/store/apps/details?id={self.store_id}"
            )
            body["google_play_url"] = body["android_app_url"]
        return body


class Measurement:
    """The datasets, pixels, integrations and apps of a data set's businesses.

    Args:
        objects: the data set's objects.
        delivery: the data set's delivery (conversions the pixels see).
    """

    def __init__(self, objects: AdsObjects, delivery: Delivery) -> None:
        self.objects = objects
        self.delivery = delivery
        self._datasets = functools.lru_cache(maxsize=256)(self._build_datasets)
        self._apps = functools.lru_cache(maxsize=256)(self._build_apps)

    # -- datasets, pixels, CAPI --------------------------------------------------------------

    def datasets(self, business: Business) -> list[Dataset]:
        """Return a business's datasets in creation order."""
        return list(self._datasets(business))

    def datasets_of_account(self, account: AdAccount) -> list[Dataset]:
        """Return the datasets shared with an ad account."""
        business = self.objects.business(account.business_id)
        if business is None:
            return []
        return [d for d in self._datasets(business) if account in d.shared]

    def dataset(self, business: Business, dataset_id: str) -> Dataset | None:
        """Return a dataset of a business by id, or None."""
        return next((d for d in self._datasets(business) if d.id == dataset_id), None)

    def dataset_by_pixel(self, business: Business, pixel_id: str) -> Dataset | None:
        """Return the dataset whose pixel has ``pixel_id``, or None."""
        return next((d for d in self._datasets(business) if d.pixel_id == pixel_id), None)

    def dataset_by_capi(self, business: Business, connection_id: str) -> Dataset | None:
        """Return the dataset whose CAPI integration has ``connection_id``, or None."""
        found = (d for d in self._datasets(business) if d.capi_connection_id == connection_id)
        return next(found, None)

    def events_on(self, dataset: Dataset, day: int) -> dict[str, int]:
        """Return a dataset's events of UTC ``day`` by pixel event type (attributed + organic)."""
        rng = random.Random(f"{self.objects.seed}:pixel:{dataset.id}:{day}")
        out = {}
        for event, metric in EVENT_METRICS.items():
            attributed = sum(
                count(self.delivery.day_vector("AD_ACCOUNT", a, day), metric)
                for a in dataset.shared
            )
            organic = int(rng.uniform(5, 60) * (8 if event == "PAGE_VIEW" else 1))
            out[event] = attributed + organic
        return out

    def hourly_events(self, dataset: Dataset, day: int) -> list[dict[str, int]]:
        """Return the 24 hours of ``day``: each event type's count (hours not ended: 0)."""
        now = self.delivery.now_hour()
        daily = self.events_on(dataset, day)
        columns = {e: split(n, _DIURNAL) for e, n in daily.items()}
        return [
            {e: (columns[e][h] if day * DAY_H + h < now else 0) for e in EVENT_METRICS}
            for h in range(DAY_H)
        ]

    def pixel_json(
        self,
        dataset: Dataset,
        *,
        include_events: bool = False,
        history_days: tuple[int, int] | None = None,
    ) -> dict[str, Any]:
        """Return the spec's ``Pixel``; events and hourly history on request."""
        body: dict[str, Any] = {
            "id": dataset.pixel_id,
            "integration_id": dataset.pixel_integration_id,
            "domain": dataset.domain,
            "name": f"{dataset.name} pixel",
            "created_at": iso(dataset.created_at),
            "dataset_id": dataset.id,
            "aam_opt_in": dataset.index == 0,
            "aam_fields": ["EMAIL", "PHONE"] if dataset.index == 0 else [],
            "cookie_opt_in": True,
            "events_received": self._events_received(dataset),
        }
        if include_events:
            body["events"] = self._events(dataset)
        if history_days is not None:
            rows = []
            for day in range(history_days[0], history_days[1] + 1):
                for h, counts in enumerate(self.hourly_events(dataset, day)):
                    hour = hour_datetime(day * DAY_H + h)
                    for event, n in counts.items():
                        if n:
                            rows.append({"type": event, "hour_partition": iso(hour), "count": n})
            body["historical_events"] = rows
        return body

    def capi_json(self, dataset: Dataset) -> dict[str, Any]:
        """Return the spec's ``CapiIntegration``."""
        return {
            "capi_connection_id": dataset.capi_connection_id,
            "integration_id": dataset.capi_integration_id,
            "name": f"{dataset.name} server events",
            "dataset_id": dataset.id,
            "events_received": self._events_received(dataset),
        }

    def capi_tokens_json(self, dataset: Dataset) -> dict[str, Any]:
        """Return the spec's ``CapiGetAuthTokenResponse``, the token masked."""
        return {
            "data": [
                {
                    "capi_auth_token_id": dataset.capi_token_id,
                    # A listing never shows a live credential again; only its last characters.
                    "capi_auth_token": "****" + dataset.capi_token_id[-4:],
                    "created_at": iso(dataset.created_at + timedelta(days=1)),
                }
            ]
        }

    def dataset_json(self, dataset: Dataset) -> dict[str, Any]:
        """Return the spec's ``Dataset``."""
        today = self.delivery.now_hour() // DAY_H
        return {
            "id": dataset.id,
            "name": dataset.name,
            "pixel": self.pixel_json(dataset),
            "capi_integration": self.capi_json(dataset),
            "is_archived": False,
            "is_receiving_events": any(self.events_on(dataset, today - 1).values()),
            "is_receiving_lead_events": self.events_on(dataset, today - 1)["LEAD"] > 0,
            "shared_ad_accounts": [{"id": a.id, "name": a.name} for a in dataset.shared],
        }

    def _events(self, dataset: Dataset) -> list[dict[str, Any]]:
        last = iso(hour_datetime(self.delivery.now_hour() - 1))
        return [
            {
                "id": f"{dataset.pixel_id}-{event.lower()}",
                "type": event,
                "created_at": iso(dataset.created_at),
                "last_activity_at": last,
            }
            for event in EVENT_METRICS
        ]

    def _events_received(self, dataset: Dataset) -> list[dict[str, str]]:
        first = iso(dataset.created_at + timedelta(hours=2))
        return [{"event_type": e, "first_event_time": first} for e in SIGNAL_EVENTS]

    def _build_datasets(self, business: Business) -> tuple[Dataset, ...]:
        rng = random.Random(f"{self.objects.seed}:datasets:{business.id}")
        accounts = tuple(self.objects.ad_accounts_of(business.id))
        label = business.name.split()[0]
        out = []
        for i in range(1 + (business.index % 2 == 0 and len(accounts) > 1)):
            shared = accounts if i == 0 else accounts[:1]
            out.append(
                Dataset(
                    id=_uuid(rng),
                    business_id=business.id,
                    index=i,
                    name=f"{label} {'web' if i == 0 else 'shop'} events",
                    pixel_id=f"{rng.getrandbits(64):016x}",
                    pixel_integration_id=_uuid(rng),
                    capi_connection_id=_uuid(rng),
                    capi_integration_id=_uuid(rng),
                    capi_token_id=_uuid(rng),
                    domain=f"https://www.{label.lower()}{'-shop' if i else ''}.example.com",
                    created_at=business.created_at + timedelta(days=30 + 40 * i),
                    shared=shared,
                )
            )
        return tuple(out)

    # -- mobile apps ------------------------------------------------------------------------

    def mobile_apps(self, business: Business) -> list[MobileApp]:
        """Return a business's mobile apps."""
        return list(self._apps(business))

    def mobile_app(self, business: Business, app_id: str) -> MobileApp | None:
        """Return a mobile app of a business by id, or None."""
        return next((m for m in self._apps(business) if m.id == app_id), None)

    def _build_apps(self, business: Business) -> tuple[MobileApp, ...]:
        rng = random.Random(f"{self.objects.seed}:apps:{business.id}")
        accounts = tuple(self.objects.ad_accounts_of(business.id))
        datasets = self._datasets(business)
        label = business.name.split()[0]
        out = []
        for i, platform in enumerate(("IOS", "ANDROID")[: 2 - business.index % 2]):
            store = (
                str(rng.randint(10**8, 10**9)) if platform == "IOS" else f"com.{label.lower()}.app"
            )
            out.append(
                MobileApp(
                    id=_uuid(rng),
                    business_id=business.id,
                    name=f"{label} for {'iPhone' if platform == 'IOS' else 'Android'}",
                    platform=platform,
                    store_id=store,
                    partner=rng.choice(("KOCHAVA", "APPS_FLYER", "ADJUST", "BRANCH")),
                    dataset_id=datasets[0].id,
                    integration_id=_uuid(rng),
                    shared=accounts if i == 0 else accounts[:1],
                )
            )
        return tuple(out)

    # -- experiments -------------------------------------------------------------------------

    def experiment_availability(self, account: AdAccount) -> dict[str, Any]:
        """Return the spec's ``GetExperimentAvailabilityResponse`` for an ad account."""
        active = account.status == "ACTIVE"
        running = ["AB_TEST"] if active and account.index % 3 == 0 else []
        return {
            "ad_account_id": account.id,
            "can_create_cls": active and account.currency_code in ("USD", "GBP", "EUR"),
            "can_create_sbl": active,
            "can_create_ab_test": active and not running,
            "active_experiments": running,
        }


def day_of(dt: datetime) -> int:
    """Return the UTC day index of ``dt``."""
    return int(dt.timestamp()) // (DAY_H * HOUR_S)


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))
