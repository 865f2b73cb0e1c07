"""The figures a reliability scenario reports: counts, failures, retries, latency percentiles."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


def percentile(values: list[float], q: float) -> float | None:
    """Return the ``q``-th percentile (0-100, nearest rank) of ``values``, None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass
class Figures:
    """One row of the soak table.

    Attributes:
        scenario: the scenario's name.
        count: how many units of work ran (pages, requests, runs, examples).
        failures: units that failed (what the scenario promises is zero).
        retries: retries the client made (or refreshes, where that is the figure).
        latencies_ms: per-unit latencies, for p50 and p99.
        notes: a short free text (fault mix, what was checked).
        details: machine-readable extras for the JSON artifact.
    """

    scenario: str
    count: int = 0
    failures: int = 0
    retries: int = 0
    latencies_ms: list[float] = field(default_factory=list, repr=False)
    notes: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def p50_ms(self) -> float | None:
        """Return the median latency in milliseconds."""
        return percentile(self.latencies_ms, 50)

    @property
    def p99_ms(self) -> float | None:
        """Return the 99th-percentile latency in milliseconds."""
        return percentile(self.latencies_ms, 99)

    def to_json(self) -> dict[str, Any]:
        """Return the row for ``artifacts/soak.json``."""
        return {
            "scenario": self.scenario,
            "count": self.count,
            "failures": self.failures,
            "retries": self.retries,
            "p50_ms": _round(self.p50_ms),
            "p99_ms": _round(self.p99_ms),
            "notes": self.notes,
            "details": self.details,
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def table(rows: list[Figures]) -> str:
    """Render rows as ``scenario | count | failures | retries | p50 ms | p99 ms | notes``."""
    header = ["scenario", "count", "failures", "retries", "p50 ms", "p99 ms", "notes"]
    body = [
        [
            r.scenario,
            str(r.count),
            str(r.failures),
            str(r.retries),
            "-" if r.p50_ms is None else f"{r.p50_ms:.1f}",
            "-" if r.p99_ms is None else f"{r.p99_ms:.1f}",
            r.notes,
        ]
        for r in rows
    ]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    lines = [
        " | ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True))
        for line in [header, *body]
    ]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)
