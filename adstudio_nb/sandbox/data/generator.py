"""The data set's object generator: businesses, ad accounts, campaigns, ad sets, ads, assets.

Owns deriving every object on demand from ``(seed, parent id, index)`` through
``random.Random``, cached lightly, so the same seed always gives the same objects and a data set
of 50 ad accounts or 10,000 campaigns costs nothing until asked for; and the demo users'
memberships and roles (B1, B2). Never generates delivery or report values (``delivery.py``,
``metrics.py``), never reads the clock after construction, never does HTTP.
"""

from __future__ import annotations

import functools
import random
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..clock import SandboxClock
from .catalog import GENRES, INTERESTS
from .constants import (
    AD_STATUSES,
    CAMPAIGN_STATUSES,
    DAY_H,
    DAY_S,
    DEMO_ALL_BUSINESSES_USER,
    DEMO_ONE_BUSINESS_USER,
    hour_datetime,
    id_key,
)
from .metrics import METRIC_TREE
from .objects import DELIVERING_AD, Ad, AdAccount, AdSet, Asset, Business, Campaign

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
AUDIENCES_PER_ACCOUNT = 6
TARGETABLE_AUDIENCES = 4  # the first ones are ready to target; the rest still process


def _uuid(rng: random.Random) -> str:
    # B2: ids are UUIDs; drawn from the RNG so they are reproducible per seed.
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


@dataclass
class _AccountTree:
    campaigns: list[Campaign]
    campaigns_by_id: dict[str, Campaign]
    ad_sets_of: dict[str, list[AdSet]] = field(default_factory=dict)


class AdsObjects:
    """The seeded, deterministic objects of the sandbox's data set (B1-B4).

    Args:
        seed: the same seed always gives the same objects.
        scale: multiplies the number of ad accounts and campaigns (1.0: 3 businesses,
            8 ad accounts, a few dozen campaigns per account).
        clock: the sandbox clock; its date at construction is "today" unless ``anchor``.
        businesses: number of businesses (default 3; the last one is sam.smallbiz's).
        accounts_per_business: ad accounts in each business (default 4, 3, 1, ... × scale).
        campaigns_per_account: campaigns in each account (default 12-40 × scale).
        ad_sets_per_campaign: an int or an inclusive ``(low, high)`` range (default 2-6).
        ads_per_ad_set: an int or an inclusive ``(low, high)`` range (default 1-4).
        assets_per_account: assets in each account (default 12).
        anchor: the reference "today" of the generated timeline (default: the clock's date
            at construction); flights lie around it.
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

    def audience_ids(self, ad_account_id: str) -> tuple[str, ...]:
        """Return the ids of an ad account's audiences (``audiences.py`` builds the records)."""
        rng = random.Random(f"{self.seed}:audiences:{ad_account_id}")
        return tuple(_uuid(rng) for _ in range(AUDIENCES_PER_ACCOUNT))

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
        rng = random.Random(id_key(campaign.id) ^ self.seed)
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
            for name, parent, low, high in METRIC_TREE:
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
                        **self._lookup_targets(campaign, i),
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

    def _lookup_targets(self, campaign: Campaign, index: int) -> dict[str, Any]:
        """Return an ad set's audience, genre and interest targets (their own RNG stream).

        Drawn apart from the ad set's own stream so every other field stays as it was; the
        ids are the account's audiences (``audiences.py``) and the catalogue's genres and
        interests (``catalog.py``), so looking an ad set's targets up always finds them.
        """
        rng = random.Random(f"{self.seed}:targets:{campaign.id}:{index}")
        out: dict[str, Any] = {}
        if rng.random() < 0.4:
            audiences = self.audience_ids(campaign.account_id)[:TARGETABLE_AUDIENCES]
            out["audience_ids"] = sorted(rng.sample(audiences, rng.randint(1, 2)))
        if rng.random() < 0.5:
            out["genre_ids"] = sorted(g.id for g in rng.sample(GENRES, rng.randint(1, 3)))
        if rng.random() < 0.3:
            out["interest_ids"] = [rng.choice(INTERESTS).id]
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
        rng = random.Random(id_key(ad_set.id) ^ (self.seed << 1) ^ 0xAD)
        count = rng.randint(*self._ads_range)
        out = []
        for i in range(count):
            status = "ACTIVE" if i == 0 else rng.choice(AD_STATUSES)
            if ad_set.status in ("COMPLETED", "ARCHIVED") and status in ("ACTIVE", "APPROVED"):
                status = "ARCHIVED" if ad_set.status == "ARCHIVED" else "ACTIVE"
            delivering = status in DELIVERING_AD and ad_set.is_delivering
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


def _as_range(value: int | tuple[int, int]) -> tuple[int, int]:
    if isinstance(value, int):
        return (value, value)
    low, high = value
    return (low, high)
