"""The data set's change history: who created and changed each object of an ad account, when.

Owns the change-history rows of an ad account, read off the objects themselves: each ad
account, campaign, ad set and ad (``CREATIVE``) has a ``CREATED`` row at its ``created_at``,
and an object whose ``updated_at`` is later has a ``CHANGED`` row then, so an object's newest
row is always at its ``updated_at``. Actors are the business's members who may edit the
account (admins and contributors, ``people.py``), or the API integration for some ads.
Rows lie in Spotify's rolling 180-day retention window and never after the clock's "now".
Never does HTTP.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .constants import HOUR_S, hour_datetime, id_key, iso
from .generator import AdsObjects
from .objects import AdAccount
from .people import Member, People

RETENTION_DAYS = 180
ENTITY_TYPES = ("CAMPAIGN", "AD_SET", "AD_ACCOUNT", "BUSINESS", "CREATIVE")
CATEGORIES = ("STATUS", "BUDGET", "TARGETING", "CREATIVE", "SCHEDULING", "SETTINGS", "BILLING")
_API_PRINCIPAL = ("adstudio-api-client", "Ads API integration")


@dataclass(frozen=True, eq=False)
class Change:
    """One change-history row: one logical save of one object."""

    change_id: str
    timestamp: datetime
    entity_type: str
    entity: Any
    operation: str
    categories: tuple[str, ...]
    actor: Member | None  # None: the API integration

    @property
    def principal_id(self) -> str:
        """The actor's principal id."""
        return self.actor.member_id if self.actor else _API_PRINCIPAL[0]

    @property
    def principal_type(self) -> str:
        """``USER`` or ``SERVICE``."""
        return "USER" if self.actor else "SERVICE"

    def to_json(self, *, show_email: bool) -> dict[str, Any]:
        """Return the spec's ``ChangeHistoryRow``; ``actor.email`` only for admins."""
        actor: dict[str, Any] = {
            "principal_id": self.principal_id,
            "principal_type": self.principal_type,
            "name": self.actor.name if self.actor else _API_PRINCIPAL[1],
            "email": self.actor.email if (self.actor and show_email) else None,
            "category": "ADVERTISER_USER" if self.actor else "API_INTEGRATION",
        }
        return {
            "change_id": self.change_id,
            "timestamp": iso(self.timestamp),
            "entity_type": self.entity_type,
            "entity_id": self.entity.id,
            "entity_name": self.entity.name,
            "operation": self.operation,
            "actor": actor,
            "changes": [self._field(c) for c in self.categories],
        }

    def _field(self, category: str) -> dict[str, Any]:
        e = self.entity
        created = self.operation == "CREATED"
        if category == "STATUS":
            before = None if created else ("PAUSED" if e.status == "ACTIVE" else "ACTIVE")
            return _change("status", "Status", category, before, e.status)
        if category == "BUDGET":
            after = {
                "micro_amount": e.budget_micros,
                "currency": e.currency_code,
                "type": e.budget_type,
            }
            return _change("budget", "Budget", category, None, after)
        if category == "TARGETING":
            return _change("targets", "Targeting", category, None, e.targets)
        if category == "SCHEDULING":
            return _change(
                "start_time", "Start time", category, None, iso(hour_datetime(e.start_hour))
            )
        if category == "CREATIVE":
            return _change("assets", "Creative", category, None, {"asset_id": e.asset_id})
        if category == "BILLING":
            return _change("billing_address", "Billing address", category, None, e.billing_address)
        return _change("name", "Name", category, None, e.name)


def _change(field: str, label: str, category: str, before: Any, after: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "field_type": field,
        "display_label": label,
        "change_category": category,
    }
    if before is not None:
        body["before"] = {"value": before}
    body["after"] = after if isinstance(after, dict) else {"value": after}
    return body


class ChangeHistory:
    """The change history of a data set's ad accounts, read off its objects.

    Args:
        objects: the data set's objects.
        people: who may have made the changes.
    """

    def __init__(self, objects: AdsObjects, people: People) -> None:
        self.objects = objects
        self.people = people
        self._rows = functools.lru_cache(maxsize=16)(self._build)

    def rows(self, account: AdAccount, now: float) -> list[Change]:
        """Return the account's rows inside the retention window up to ``now``, newest first."""
        first = now - RETENTION_DAYS * 24 * HOUR_S
        return [r for r in self._rows(account) if first <= r.timestamp.timestamp() <= now]

    def _build(self, account: AdAccount) -> tuple[Change, ...]:
        objects = self.objects
        editors = [
            m
            for m in self.people.account_members(account)
            if m.role_on(account.id) != "AD_ACCOUNT_VIEWER"
        ]
        out: list[Change] = []

        def add(
            kind: str,
            entity: Any,
            operation: str,
            when: datetime,
            cats: tuple[str, ...],
            api: bool = False,
        ) -> None:
            key = id_key(entity.id)
            actor = None if api or not editors else editors[key % len(editors)]
            change_id = str(uuid.UUID(int=key ^ (0xC4A96E << (operation == "CHANGED")), version=4))
            out.append(Change(change_id, when, kind, entity, operation, cats, actor))

        add("AD_ACCOUNT", account, "CREATED", account.created_at, ("SETTINGS",))
        if account.updated_at > account.created_at:
            add("AD_ACCOUNT", account, "CHANGED", account.updated_at, ("BILLING",))
        for campaign in objects.campaigns(account.id):
            add("CAMPAIGN", campaign, "CREATED", campaign.created_at, ("SETTINGS", "STATUS"))
            if campaign.updated_at > campaign.created_at:
                add("CAMPAIGN", campaign, "CHANGED", campaign.updated_at, ("STATUS",))
            for ad_set in objects.ad_sets_of(campaign):
                add("AD_SET", ad_set, "CREATED", ad_set.created_at,
                    ("SETTINGS", "BUDGET", "TARGETING", "SCHEDULING"))  # fmt: skip
                for ad in objects.ads_of(ad_set):
                    add(
                        "CREATIVE",
                        ad,
                        "CREATED",
                        ad.created_at,
                        ("CREATIVE",),
                        api=ad.index % 3 == 2,
                    )
        out.sort(key=lambda r: (r.timestamp, r.change_id), reverse=True)
        return tuple(out)
