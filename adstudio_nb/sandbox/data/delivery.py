"""The data set's delivery generator: each entity's counts per hour and day, up to "now" (B5).

Owns generating delivery per ad set and UTC day as a vector of additive counts, split exactly
across the ad set's ads and, for partial days and hourly reports, across hours; every child count
is split in proportion to its parent count's split (clicks follow impressions, completes follow
third quartiles ...), so an ad never has more clicks than impressions in any hour. Ad sets are
sums of their ads, campaigns of their ad sets, accounts of their campaigns: the sums hold exactly
at every granularity, and a day is exactly the sum of its hours. Delivery happens only inside an
ad set's flight and only in hours that have ended by the sandbox clock's "now"; moving the clock
reveals more data. Never turns counts into report values (``metrics.py``) and never builds
objects (``generator.py``).
"""

from __future__ import annotations

import functools
import random
from typing import Any

from ..clock import SandboxClock
from .constants import DAY_H, ENTITY_LEVELS, HOUR_S, id_key
from .generator import AdsObjects
from .metrics import (
    METRIC_COUNT,
    METRIC_INDEX,
    METRIC_PARENT,
    UNCAPPED,
    ZERO,
    Vector,
    add_vectors,
    split_vector,
)
from .objects import Ad, AdSet, Campaign

# Relative delivery by UTC hour of day: quiet at night, peaks at commute and evening.
_DIURNAL = (
    0.35, 0.25, 0.2, 0.18, 0.2, 0.3, 0.55, 0.85, 1.0, 0.95, 0.9, 0.9,
    0.95, 0.95, 0.9, 0.9, 1.0, 1.1, 1.2, 1.25, 1.2, 1.0, 0.75, 0.5,
)  # fmt: skip
_WEEKDAY = (0.95, 1.0, 1.0, 1.02, 1.08, 1.12, 1.05)  # Monday first


class Delivery:
    """The delivery of one data set's objects, by the sandbox clock.

    Args:
        objects: the data set's objects.
        clock: the sandbox clock; hours that have not ended have no delivery yet.
    """

    def __init__(self, objects: AdsObjects, clock: SandboxClock) -> None:
        self.objects = objects
        self.clock = clock
        self.seed = objects.seed
        # Per-instance caches (functools.lru_cache on methods would pin instances).
        self._day_split = functools.lru_cache(maxsize=32768)(self._build_day_split)
        self._ad_set_day = functools.lru_cache(maxsize=65536)(self._build_ad_set_day)
        self._hours = functools.lru_cache(maxsize=4096)(self._build_hours)
        self._campaign_day = functools.lru_cache(maxsize=65536)(self._build_campaign_day)
        self._account_day = functools.lru_cache(maxsize=4096)(self._build_account_day)

    def now_hour(self) -> int:
        """Return the index of the current, unfinished hour; earlier hours have delivery."""
        return int(self.clock.now() // HOUR_S)

    # -- flights -----------------------------------------------------------------------

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
            return self.objects.campaigns(entity.id)
        if level == "CAMPAIGN":
            return self.objects.ad_sets_of(entity)
        if level == "AD_SET":
            return self.objects.ads_of(entity)
        return []

    def _ad_set_of_ad(self, ad: Ad) -> AdSet:
        found = self.objects.ad_set(ad.account_id, ad.ad_set_id)
        assert found is not None
        return found

    # -- generation ----------------------------------------------------------------------

    def _potential(self, ad_set: AdSet, day: int) -> Vector:
        """Return what an ad set would deliver over the whole of ``day`` (before masking)."""
        rng = random.Random((id_key(ad_set.id) << 20) ^ day ^ self.seed)
        weekday = _WEEKDAY[(day + 3) % 7]  # 1970-01-01 was a Thursday
        impressions = int(ad_set.daily_impressions * weekday * rng.uniform(0.7, 1.1))
        values = [0] * METRIC_COUNT
        values[0] = impressions
        for m in range(1, METRIC_COUNT):
            parent = METRIC_PARENT[m]
            if m in UNCAPPED:
                continue
            base = values[parent] * ad_set.rates[m] * rng.uniform(0.85, 1.15)
            values[m] = min(values[parent], int(base + rng.random()))
        values[METRIC_INDEX["SPEND_MICROS"]] = int(
            impressions * ad_set.cpm_micros / 1000 * rng.uniform(0.9, 1.0)
        )
        values[METRIC_INDEX["REVENUE_MICROS"]] = int(
            values[METRIC_INDEX["PURCHASES"]] * ad_set.aov_micros * rng.uniform(0.8, 1.2)
        )
        return tuple(values)

    def _build_day_split(self, ad_set: AdSet, day: int, now_hour: int) -> tuple[Vector, ...]:
        """Return each ad's delivery on ``day`` (only hours in flight and before now)."""
        ads = self.objects.ads_of(ad_set)
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
        ads = self.objects.ads_of(ad_set)
        potential = split_vector(self._potential(ad_set, day), [a.weight for a in ads])
        rng = random.Random((id_key(ad_set.id) << 21) ^ day ^ 0x5EED ^ self.seed)
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
            if sum(a.weight for a in self.objects.ads_of(ad_set)) <= 0:
                return ZERO
            return self._potential(ad_set, day)
        return add_vectors(self._day_split(ad_set, day, now_hour))

    def _build_campaign_day(self, campaign: Campaign, day: int, now_hour: int) -> Vector:
        return add_vectors(
            self._ad_set_day(s, day, now_hour) for s in self.objects.ad_sets_of(campaign)
        )

    def _build_account_day(self, account_id: str, day: int, now_hour: int) -> Vector:
        return add_vectors(
            self._campaign_day(c, day, now_hour) for c in self.objects.campaigns(account_id)
        )

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

    def bucket(
        self, level: str, entity: Any, bucket: tuple[int, int] | None
    ) -> tuple[Vector, int, tuple[int, int] | None]:
        """Return counts, delivered hours and delivered span of an entity in a time bucket.

        ``bucket`` is ``[first, last)`` hours, or None for the entity's whole flight to now.
        """
        span = self.flight_hours(level, entity)
        if bucket is None:
            if span is None:
                return ZERO, 1, None
            vector = self.range_vector(level, entity, span[0] // DAY_H, (span[1] - 1) // DAY_H)
            return vector, span[1] - span[0], span
        first, last = bucket
        hours = 1 if span is None else max(1, min(last, span[1]) - max(first, span[0]))
        if span is None or span[1] <= first or span[0] >= last:
            return ZERO, hours, span
        if last - first == 1:
            return self.hour_vector(level, entity, first), 1, span
        if last - first == DAY_H:
            return self.day_vector(level, entity, first // DAY_H), hours, span
        return self.range_vector(level, entity, first // DAY_H, last // DAY_H - 1), hours, span

    def range_vector(self, level: str, entity: Any, first_day: int, last_day: int) -> Vector:
        """Return an entity's counts summed over days ``first_day..last_day`` inclusive."""
        span = self.flight_hours(level, entity)
        if span is None:
            return ZERO
        lo = max(first_day, span[0] // DAY_H)
        hi = min(last_day, (span[1] - 1) // DAY_H)
        return add_vectors(self.day_vector(level, entity, d) for d in range(lo, hi + 1))
