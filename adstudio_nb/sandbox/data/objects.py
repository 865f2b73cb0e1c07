"""The data set's records as the API shows them, from businesses down to ads and assets.

Owns the frozen records the generator builds and their JSON in the spec's response schemas
(``BusinessResponse``, ``AdAccountResponse``, ... and the retired v1 shape). Never generates
anything, never reads the clock, never validates a request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .constants import hour_datetime, iso

NON_DELIVERING_AD_SET = frozenset({"PENDING_APPROVAL", "REJECTED"})
DELIVERING_AD = frozenset({"ACTIVE", "APPROVED", "ARCHIVED"})


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
        return self.status not in NON_DELIVERING_AD_SET

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
