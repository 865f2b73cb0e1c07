"""The data set the sandbox's Ads API answers from: :class:`AdsData`, objects plus their delivery.

Owns joining the object generator (``generator.py``), the delivery generator (``delivery.py``),
the report values (``metrics.py``) and the objects derived from them (``people.py``,
``measurement.py``, ``audiences.py``, ``drafts.py``, ``history.py``) behind the one object
handlers read. Never does HTTP,
never validates requests: handlers do.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ..clock import SandboxClock
from . import metrics
from .audiences import Audiences
from .delivery import Delivery
from .drafts import Drafts
from .generator import AdsObjects
from .history import ChangeHistory
from .measurement import Measurement
from .metrics import Vector
from .people import People
from .reach import Reach


class AdsData(AdsObjects):
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
        super().__init__(
            seed,
            scale,
            clock,
            businesses=businesses,
            accounts_per_business=accounts_per_business,
            campaigns_per_account=campaigns_per_account,
            ad_sets_per_campaign=ad_sets_per_campaign,
            ads_per_ad_set=ads_per_ad_set,
            assets_per_account=assets_per_account,
            anchor=anchor,
        )
        self.delivery = Delivery(self, self.clock)
        self.reach = Reach(self, self.delivery)
        self.people = People(self)
        self.measurement = Measurement(self, self.delivery)
        self.audiences = Audiences(self, self.measurement)
        self.drafts = Drafts(self)
        self.history = ChangeHistory(self, self.people)

    # -- delivery (B5) ------------------------------------------------------------------------

    def now_hour(self) -> int:
        """Return the index of the current, unfinished hour; earlier hours have stats."""
        return self.delivery.now_hour()

    def flight_hours(self, level: str, entity: Any) -> tuple[int, int] | None:
        """Return ``[first, last)`` hours in which an entity can deliver, or ``None``.

        The end is capped at the clock's current hour: later hours have no stats yet.
        """
        return self.delivery.flight_hours(level, entity)

    def day_vector(self, level: str, entity: Any, day: int) -> Vector:
        """Return an entity's additive counts for UTC ``day`` (days since the epoch)."""
        return self.delivery.day_vector(level, entity, day)

    def hour_vector(self, level: str, entity: Any, hour: int) -> Vector:
        """Return an entity's additive counts for one hour (hours since the epoch)."""
        return self.delivery.hour_vector(level, entity, hour)

    def range_vector(self, level: str, entity: Any, first_day: int, last_day: int) -> Vector:
        """Return an entity's counts summed over days ``first_day..last_day`` inclusive."""
        return self.delivery.range_vector(level, entity, first_day, last_day)

    # -- report values (B5, B7) ---------------------------------------------------------------

    def report_values(
        self,
        vector: Vector,
        fields: Sequence[str],
        *,
        level: str,
        hours: int,
        entities: int = 1,
        reach: tuple[int, int] | None = None,
    ) -> list[dict[str, Any]]:
        """Turn counts into the spec's ``stats`` list (see :func:`.metrics.report_values`)."""
        return metrics.report_values(
            vector, fields, level=level, hours=hours, entities=entities, reach=reach
        )

    def value(
        self,
        vector: Vector,
        name: str,
        level: str,
        hours: int,
        entities: int = 1,
        reach: tuple[int, int] | None = None,
    ) -> float:
        """Return one report field's value from summed counts (see :func:`.metrics.value`)."""
        return metrics.value(vector, name, level, hours, entities, reach)

    def reach_of(
        self, level: str, entity: Any, bucket: tuple[int, int] | None, fields: Sequence[str]
    ) -> tuple[int, int] | None:
        """Return ``(reach, paid reach)`` of an entity in a bucket when ``fields`` need it."""
        if not metrics.REACH_FIELDS.intersection(fields):
            return None
        return self.reach.of(level, entity, bucket)

    def count(self, vector: Vector, name: str) -> int:
        """Return a raw additive count of a vector (no privacy sentinel)."""
        return metrics.count(vector, name)
