"""The data set's drafts: unpublished edits of existing campaigns, ad sets and ads.

Owns which objects have a draft (every fourth campaign, in creation order, and with it every
ad set and ad under it: a draft hierarchy), the drafts' ids (derived from the object's id, so
the same object always has the same draft) and their JSON in the spec's ``CampaignDraft``,
``AdSetDraft`` and ``AdDraft``. A draft copies its object and was saved after the object's
last update, never after the data set's reference day. Never does HTTP.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .constants import DAY_S, hour_datetime, id_key, iso
from .generator import AdsObjects
from .objects import Ad, AdSet, Campaign

DRAFT_EVERY = 4
"""One campaign in this many (by creation order) has a draft hierarchy."""


def draft_id(object_id: str) -> str:
    """Return the id of the draft of an object (stable: derived from the object's id)."""
    return str(uuid.UUID(int=id_key(object_id) ^ 0xD4AF7, version=4))


@dataclass(frozen=True, eq=False)
class Draft:
    """A draft of an existing campaign, ad set or ad (``source``)."""

    id: str
    source: Any
    saved_at: datetime

    @property
    def status(self) -> str:
        """The status the draft carries (the object's)."""
        return str(self.source.status)


class Drafts:
    """The drafts of a data set's objects, derived on demand.

    Args:
        objects: the data set's objects.
    """

    def __init__(self, objects: AdsObjects) -> None:
        self.objects = objects

    def has_draft(self, campaign: Campaign) -> bool:
        """Tell whether a campaign (and everything under it) has a draft."""
        return campaign.index % DRAFT_EVERY == 1

    def campaigns(self, ad_account_id: str) -> list[Draft]:
        """Return the account's campaign drafts, campaign creation order."""
        return [self._draft(c) for c in self.objects.campaigns(ad_account_id) if self.has_draft(c)]

    def ad_sets(self, ad_account_id: str) -> list[Draft]:
        """Return the account's ad set drafts."""
        return [
            self._draft(s)
            for c in self.objects.campaigns(ad_account_id)
            if self.has_draft(c)
            for s in self.objects.ad_sets_of(c)
        ]

    def ads(self, ad_account_id: str) -> list[Draft]:
        """Return the account's ad drafts."""
        return [
            self._draft(a)
            for c in self.objects.campaigns(ad_account_id)
            if self.has_draft(c)
            for s in self.objects.ad_sets_of(c)
            for a in self.objects.ads_of(s)
        ]

    def find(self, drafts: list[Draft], wanted: str) -> Draft | None:
        """Return the draft with id ``wanted`` among ``drafts``, or None."""
        return next((d for d in drafts if d.id == wanted), None)

    def _draft(self, source: Campaign | AdSet | Ad) -> Draft:
        reference = datetime.fromtimestamp(
            self.objects.anchor_day * DAY_S, tz=source.updated_at.tzinfo
        )
        saved = source.updated_at + timedelta(hours=1 + id_key(source.id) % 72)
        return Draft(draft_id(source.id), source, max(source.updated_at, min(saved, reference)))

    # -- JSON ------------------------------------------------------------------------------

    def campaign_json(self, draft: Draft) -> dict[str, Any]:
        """Return the spec's ``CampaignDraft``."""
        c: Campaign = draft.source
        return {
            "id": draft.id,
            "created_at": iso(draft.saved_at),
            "updated_at": iso(draft.saved_at),
            "name": c.name,
            "purchase_order": c.purchase_order,
            "objective": c.objective,
            "channel": "UNSET",
            "ad_product": "UNSET",
            "delivery_goal_group": c.delivery_goal_group,
            "status": c.status,
            "needs_advertiser_review": False,
            "ad_account_id": c.account_id,
            "modified_by_role": "ADVERTISER",
            "draft_hierarchy_version": 1,
        }

    def ad_set_json(self, draft: Draft) -> dict[str, Any]:
        """Return the spec's ``AdSetDraft``."""
        s: AdSet = draft.source
        body: dict[str, Any] = {
            "id": draft.id,
            "created_at": iso(draft.saved_at),
            "updated_at": iso(draft.saved_at),
            "campaign_id": s.campaign_id,
            "name": s.name,
            "start_time": iso(hour_datetime(s.start_hour)),
            "frequency_caps": [
                {"frequency_unit": "DAY", "frequency_period": 1, "max_impressions": 5}
            ],
            "category": s.category,
            "cost_model": s.cost_model,
            "budget": {"micro_amount": s.budget_micros, "type": s.budget_type},
            "bid_micro_amount": s.bid_micros,
            "bid_strategy": "MAX_BID",
            "targets": s.targets,
            "pacing": s.pacing,
            "asset_format": s.asset_format,
            "delivery_goal": s.delivery_goal,
            "status": s.status,
            "draft_hierarchy_version": 1,
        }
        if s.end_hour is not None:
            body["end_time"] = iso(hour_datetime(s.end_hour))
        return body

    def ad_json(self, draft: Draft) -> dict[str, Any]:
        """Return the spec's ``AdDraft``."""
        a: Ad = draft.source
        return {
            "id": draft.id,
            "created_at": iso(draft.saved_at),
            "updated_at": iso(draft.saved_at),
            "ad_set_id": a.ad_set_id,
            "name": a.name,
            "advertiser_name": a.advertiser_name,
            "tagline": a.tagline,
            "assets": {
                "asset_id": a.asset_id,
                "companion_asset_id": a.companion_asset_id,
                "logo_asset_id": a.logo_asset_id,
            },
            "call_to_action": {
                "key": "LEARN_MORE",
                "language": "ENGLISH",
                "clickthrough_url": a.clickthrough_url,
            },
            "status": a.status,
            "draft_hierarchy_version": 1,
        }
