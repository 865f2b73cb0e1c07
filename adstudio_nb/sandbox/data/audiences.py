"""The data set's audiences: each ad account's custom and lookalike audiences.

Owns the audience records behind the ids the generator gives every ad account
(``AdsObjects.audience_ids``), which its ad sets target (``targets.audience_ids``): a customer
list, a website audience on a dataset shared with the account (``measurement.py``), an ad
engagement audience on the account's first campaigns, a lookalike of the customer list, and
two that are still being built and that no ad set targets. Never does HTTP.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .constants import iso
from .generator import AdsObjects
from .measurement import Measurement
from .objects import AdAccount


@dataclass(frozen=True, eq=False)
class Audience:
    """An audience an ad account can target."""

    id: str
    account_id: str
    index: int
    name: str
    type: str
    subtype: str | None
    status: str
    size: tuple[int, int]
    created_at: datetime
    updated_at: datetime
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Return the spec's ``AudienceResponse``."""
        body: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "description": f"{self.name} ({self.type.lower()})",
            "type": self.type,
            "status": self.status,
            "size": {"min": self.size[0], "max": self.size[1]},
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
        }
        if self.subtype:
            body["subtype"] = self.subtype
        body.update(self.extra)
        return body


class Audiences:
    """The audiences of a data set's ad accounts, built on demand.

    Args:
        objects: the data set's objects.
        measurement: the datasets a website audience is built on.
    """

    def __init__(self, objects: AdsObjects, measurement: Measurement) -> None:
        self.objects = objects
        self.measurement = measurement
        self._audiences = functools.lru_cache(maxsize=64)(self._build)

    def of(self, account: AdAccount) -> list[Audience]:
        """Return an ad account's audiences in creation order."""
        return list(self._audiences(account))

    def get(self, account: AdAccount, audience_id: str) -> Audience | None:
        """Return one of an ad account's audiences by id, or None."""
        return next((a for a in self._audiences(account) if a.id == audience_id), None)

    def _build(self, account: AdAccount) -> tuple[Audience, ...]:
        ids = self.objects.audience_ids(account.id)
        rng = random.Random(f"{self.objects.seed}:audience-records:{account.id}")
        datasets = self.measurement.datasets_of_account(account)
        campaigns = self.objects.campaigns(account.id)[:3]
        dataset_refs = [{"id": d.id, "name": d.name} for d in datasets[:1]]
        web: dict[str, Any] = {"sources": ["PIXEL"], "datasets": dataset_refs}
        plan: list[tuple[str, str, str | None, str, dict[str, Any]]] = [
            ("Newsletter subscribers", "CUSTOM", "CUSTOMER_LIST", "LIVE",
             {"sources": ["CUSTOMER_LIST"]}),
            ("Site visitors 30 days", "CUSTOM", "WEB_EVENT", "LIVE",
             {**web, "included_events": ["PAGE_VIEW"], "lookback_days": 30}),
            ("Ad listeners", "CUSTOM", "AD_ENGAGEMENT", "LIVE",
             {"sources": ["AD_ENGAGEMENT"], "campaign_ids": [c.id for c in campaigns],
              "exposure_type": "IMPRESSIONS", "lookback_days": 90}),
            ("Subscribers lookalike", "LOOKALIKE", None, "BOOKABLE",
             {"sources": ["AUDIENCE"], "seed_audience_id": ids[0],
              "seed_audience_name": "Newsletter subscribers"}),
            ("Purchasers 90 days", "CUSTOM", "WEB_EVENT", "LEARNING",
             {**web, "included_events": ["PURCHASE"], "excluded_events": ["LEAD"],
              "lookback_days": 90}),
            ("Partner segment", "CUSTOM", "LIVERAMP", "PROCESSING", {"sources": ["LIVERAMP"]}),
        ]  # fmt: skip
        out = []
        for i, (name, kind, subtype, status, extra) in enumerate(plan):
            if i == 0:
                extra = {**extra, "lookalike_audience_ids": [ids[3]]}
            low = rng.randint(20, 400) * 1000 if status != "PROCESSING" else 0
            created = account.created_at + timedelta(days=3 * (i + 1), hours=rng.randint(8, 17))
            out.append(
                Audience(
                    id=ids[i],
                    account_id=account.id,
                    index=i,
                    name=name,
                    type=kind,
                    subtype=subtype,
                    status=status,
                    size=(low, int(low * 1.25)),
                    created_at=created,
                    updated_at=created + timedelta(days=rng.randint(0, 20)),
                    extra=extra,
                )
            )
        return tuple(out)
