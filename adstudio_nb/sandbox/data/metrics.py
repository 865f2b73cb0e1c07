"""The data set's metrics: count vectors, exact splits, and report values from counts (B5, B7).

Owns the metric tree (every additive count and the parent it is a fraction of), the
:data:`Vector` of counts and its exact splitting and summing, and turning summed counts into
the spec's report values: money in currency units, ratios as percentages, reach and frequency
derived from impressions and the bucket's length, and the privacy sentinel ``-5`` for
conversion counts between 1 and 4 (B7). Pure functions of counts: never generates delivery,
never reads objects or the clock.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from .constants import DAY_H

# The additive counts generated per ad set and day. Order matters: a metric's parent comes first.
# (name, parent, low rate, high rate): the child is a fraction of its parent.
METRIC_TREE: tuple[tuple[str, str | None, float, float], ...] = (
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
BASE_METRICS: tuple[str, ...] = tuple(name for name, *_ in METRIC_TREE)
METRIC_INDEX = {name: i for i, name in enumerate(BASE_METRICS)}
METRIC_PARENT: tuple[int, ...] = tuple(
    -1 if p is None else METRIC_INDEX[p] for _, p, _, _ in METRIC_TREE
)
# Money is split in proportion to its parent but is not a count bounded by it.
UNCAPPED = frozenset({METRIC_INDEX["SPEND_MICROS"], METRIC_INDEX["REVENUE_MICROS"]})
METRIC_COUNT = len(BASE_METRICS)
Vector = tuple[int, ...]
ZERO: Vector = (0,) * METRIC_COUNT

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
# B7: derived metrics divided by a conversion count. Where that count is hidden, the metric is
# hidden too (reported as the sentinel): SPEND / COST_PER_LEAD would otherwise recover LEADS.
_DIVIDED_BY_A_CONVERSION = {
    "COST_PER_LEAD": "LEADS",
    "CUSTOMER_ACQUISITION_COST": "PURCHASES",
    "AVERAGE_ORDER_VALUE": "PURCHASES",
}

_LEVEL_FREQUENCY = {"AD": 1.0, "AD_SET": 1.04, "CAMPAIGN": 1.08, "AD_ACCOUNT": 1.12}


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
    for m in range(METRIC_COUNT):
        parent = METRIC_PARENT[m]
        w: Sequence[float] = weights if parent < 0 else columns[parent]
        columns.append(split(vector[m], w))
    return [tuple(columns[m][i] for m in range(METRIC_COUNT)) for i in range(n)]


def add_vectors(vectors: Iterable[Vector]) -> Vector:
    """Sum stats vectors metric by metric."""
    total = list(ZERO)
    for v in vectors:
        if v is ZERO:
            continue
        for i, x in enumerate(v):
            total[i] += x
    return tuple(total)


def report_values(
    vector: Vector,
    fields: Sequence[str],
    *,
    level: str,
    hours: int,
    entities: int = 1,
    reach: tuple[int, int] | None = None,
) -> list[dict[str, Any]]:
    """Turn counts into the spec's ``stats`` list for the requested fields.

    Args:
        vector: summed counts of the bucket.
        fields: ``ReportFieldType`` names, in the order wanted.
        level: entity level (reach is deduplicated more at higher levels).
        hours: length of the bucket in hours (reach grows sub-linearly with it).
        entities: how many entities the counts were pooled over (B8 totals).
        reach: ``(reach, paid listens reach)`` from ``reach.py``, which keeps reach's
            invariants across levels; None estimates it from the counts alone.

    Returns:
        ``[{"field_type": ..., "field_value": ...}]``; money in currency units and
        conversion counts between 1 and 4 as ``-5`` (B7).
    """
    return [
        {"field_type": f, "field_value": value(vector, f, level, hours, entities, reach)}
        for f in fields
    ]


REACH_FIELDS = frozenset(
    {
        "REACH",
        "FREQUENCY",
        "PAID_LISTENS_REACH",
        "PAID_LISTENS_FREQUENCY",
        "CONVERSION_RATE",
        "NEW_LISTENER_CONVERSION_RATE",
    }
)
"""The report fields that need an entity's reach."""


def value(
    vector: Vector,
    name: str,
    level: str,
    hours: int,
    entities: int = 1,
    reach_pair: tuple[int, int] | None = None,
) -> float:
    """Return one report field's value from summed counts (see :func:`report_values`)."""
    v, ix = vector, METRIC_INDEX
    if name in ix and name not in ("SPEND_MICROS", "REVENUE_MICROS"):
        raw = v[ix[name]]
        if name in CONVERSION_COUNTS and 1 <= raw <= 4:
            return PRIVACY_SENTINEL  # B7
        return raw
    impressions = v[ix["IMPRESSIONS"]]
    spend = v[ix["SPEND_MICROS"]] / 1_000_000
    revenue = v[ix["REVENUE_MICROS"]] / 1_000_000
    if reach_pair is None:
        reach_pair = (
            _reach(impressions, level, hours, entities),
            _reach(v[ix["PAID_LISTENS"]], level, hours, entities),
        )
    reach, paid_reach = reach_pair
    if name == "SPEND":
        return round(spend, 6)  # B7: currency units, not micros
    if name == "REVENUE":
        return round(revenue, 6)
    if name == "REACH":
        return reach
    if name == "FREQUENCY":
        return _ratio(impressions, reach, 2)
    if name == "PAID_LISTENS_REACH":
        return paid_reach
    if name == "PAID_LISTENS_FREQUENCY":
        return _ratio(v[ix["PAID_LISTENS"]], paid_reach, 2)
    ratios = {
        "CTR": (v[ix["CLICKS"]], impressions, 100.0),
        "COMPLETION_RATE": (v[ix["COMPLETES"]], v[ix["STARTS"]], 100.0),
        "VIDEO_EXPAND_RATE": (v[ix["VIDEO_EXPANDS"]], v[ix["VIDEO_VIEWS"]], 100.0),
        "INTENT_RATE": (v[ix["INTENTS"]], impressions, 100.0),
        "CONVERSION_RATE": (v[ix["LISTENERS"]], reach, 100.0),
        "NEW_LISTENER_CONVERSION_RATE": (v[ix["NEW_LISTENERS"]], reach, 100.0),
        "STREAMS_PER_USER": (v[ix["STREAMS"]], v[ix["LISTENERS"]], 1.0),
        "STREAMS_PER_NEW_LISTENER": (
            v[ix["NEW_LISTENER_STREAMS"]],
            v[ix["NEW_LISTENERS"]],
            1.0,
        ),
        "E_CPCL": (spend * 1000, v[ix["COMPLETES"]], 1.0),
        "AVERAGE_ORDER_VALUE": (revenue, v[ix["PURCHASES"]], 1.0),
        "RETURN_ON_AD_SPEND": (revenue, spend, 1.0),
        "CUSTOMER_ACQUISITION_COST": (spend, v[ix["PURCHASES"]], 1.0),
        "COST_PER_LEAD": (spend, v[ix["LEADS"]], 1.0),
    }
    if name in ratios:
        hidden_by = _DIVIDED_BY_A_CONVERSION.get(name)
        if hidden_by is not None and 1 <= v[ix[hidden_by]] <= 4:
            # B7: spend / cost-per-lead would give the hidden count back; suppress it too.
            return PRIVACY_SENTINEL
        top, bottom, factor = ratios[name]
        return _ratio(top * factor, bottom, 4)
    raise KeyError(name)


def count(vector: Vector, name: str) -> int:
    """Return a raw additive count of a vector (no privacy sentinel)."""
    return vector[METRIC_INDEX[name]]


def _ratio(top: float, bottom: float, digits: int) -> float:
    return round(top / bottom, digits) if bottom else 0.0


def _reach(impressions: int, level: str, hours: int, entities: int) -> int:
    """Deduplicated listeners: impressions over a frequency that grows with time and level."""
    if impressions <= 0:
        return 0
    frequency = _LEVEL_FREQUENCY[level] * (1 + 0.45 * math.log1p(max(hours, 1) / DAY_H))
    frequency *= 1 + 0.05 * math.log(max(entities, 1))
    return max(1, min(impressions, int(impressions / frequency)))
