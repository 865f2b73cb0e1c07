"""Reach: deduplicated listeners of an entity or a set of entities in a time bucket (B5, B8).

Reach is not additive, but it obeys two invariants at every level, and this module owns
keeping them: a group's reach lies between the largest reach of its members and the sum of
their reaches, and never exceeds its impressions; frequency is then impressions / reach.

* An ad set is the leaf: its reach comes from its impressions in the bucket and the hours it
  delivered (more hours, more repeat listeners).
* A campaign deduplicates its ad sets, an ad account its campaigns, and the totals endpoint
  any set of entities (:func:`combine`): the largest reach, plus the others' reach less the
  share that overlaps it.
* An ad's reach is its share of its ad set's reach, scaled so the ads' reaches overlap
  (:func:`shares`): the largest ad's reach never exceeds the ad set's, and the ads' reaches
  add up to at least the ad set's.

The same holds for ``PAID_LISTENS_REACH`` over paid listens. Pure arithmetic over the
delivery's counts: never builds objects, never does HTTP.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

from .constants import DAY_H
from .delivery import Delivery
from .generator import AdsObjects
from .metrics import count

GROUP_OVERLAP = 0.3
"""The share of a smaller member's reach that a group (campaign, account, totals) dedupes."""
AD_OVERLAP = 0.5
"""The share of an ad's reach that overlaps its siblings' (they target the same listeners)."""
_BASE_FREQUENCY = 1.04


def leaf_reach(impressions: int, hours: int) -> int:
    """Return the reach of ``impressions`` delivered over ``hours`` by one ad set."""
    if impressions <= 0:
        return 0
    frequency = _BASE_FREQUENCY * (1 + 0.45 * math.log1p(max(hours, 1) / DAY_H))
    return max(1, min(impressions, int(impressions / frequency)))


def combine(reaches: Sequence[int], overlap: float = GROUP_OVERLAP) -> int:
    """Return the reach of a group: between ``max(reaches)`` and ``sum(reaches)``."""
    if not reaches:
        return 0
    top = max(reaches)
    return top + int((sum(reaches) - top) * (1 - overlap))


def shares(total: int, counts: Sequence[int], overlap: float = AD_OVERLAP) -> list[int]:
    """Split a group's reach ``total`` across members by their ``counts`` (ads of an ad set).

    Each member gets ``total * share * k``, capped at its own count; ``k`` is chosen so the
    largest member's reach is at most ``total`` and the members' reaches add up to at least
    ``total`` (the caps cannot undo that: the uncapped reaches are proportional to the counts).
    """
    whole = sum(counts)
    if total <= 0 or whole <= 0:
        return [0] * len(counts)
    top = max(counts) / whole
    k = 1 + (1 / top - 1) * (1 - overlap)
    return [min(c, math.ceil(total * (c / whole) * k)) if c else 0 for c in counts]


class Reach:
    """The reach of a data set's entities, by the sandbox clock.

    Args:
        objects: the data set's objects.
        delivery: the data set's delivery (the counts reach is derived from).
    """

    def __init__(self, objects: AdsObjects, delivery: Delivery) -> None:
        self.objects = objects
        self.delivery = delivery
        self._cached = functools.lru_cache(maxsize=65536)(self._compute)

    def of(self, level: str, entity: Any, bucket: tuple[int, int] | None) -> tuple[int, int]:
        """Return ``(reach, paid listens reach)`` of an entity in a bucket (None: its flight)."""
        return self._cached(level, entity, bucket, self.delivery.now_hour())

    def of_group(
        self, level: str, entities: Sequence[Any], bucket: tuple[int, int] | None
    ) -> tuple[int, int]:
        """Return the deduplicated ``(reach, paid listens reach)`` of a set of entities (B8)."""
        pairs = [self.of(level, e, bucket) for e in entities]
        return combine([p[0] for p in pairs]), combine([p[1] for p in pairs])

    def _compute(
        self, level: str, entity: Any, bucket: tuple[int, int] | None, _now: int
    ) -> tuple[int, int]:
        if level == "AD_SET":
            vector, hours, _ = self.delivery.bucket(level, entity, bucket)
            return (
                leaf_reach(count(vector, "IMPRESSIONS"), hours),
                leaf_reach(count(vector, "PAID_LISTENS"), hours),
            )
        if level == "AD":
            ad_set = self.objects.ad_set(entity.account_id, entity.ad_set_id)
            assert ad_set is not None
            total, paid_total = self.of("AD_SET", ad_set, bucket)
            siblings = self.objects.ads_of(ad_set)
            vectors = [self.delivery.bucket("AD", a, bucket)[0] for a in siblings]
            mine = next(i for i, a in enumerate(siblings) if a.id == entity.id)
            reach = shares(total, [count(v, "IMPRESSIONS") for v in vectors])[mine]
            paid = shares(paid_total, [count(v, "PAID_LISTENS") for v in vectors])[mine]
            return reach, paid
        if level == "CAMPAIGN":
            return self.of_group("AD_SET", self.objects.ad_sets_of(entity), bucket)
        return self.of_group("CAMPAIGN", self.objects.campaigns(entity.id), bucket)
