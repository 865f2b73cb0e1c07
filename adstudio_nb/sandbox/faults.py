"""Faults the sandbox injects on purpose: latency, 5xx answers, 429s, drops, truncation, stalls.

Used by the reliability tests and the benchmarks. A :class:`FaultPlan` says how often and which
kinds; the application asks :meth:`FaultPlan.draw` once per Ads API request. Draws come from a
seeded generator under a lock, so a run's fault count is reproducible.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field

FAULT_KINDS = ("500", "502", "503", "429", "drop", "truncate", "slow")


@dataclass
class FaultPlan:
    """How often the Ads API misbehaves, and how.

    Attributes:
        rate: the fraction of Ads API requests that get a fault (0 to 1).
        kinds: which faults to draw from (``FAULT_KINDS``).
        slow_s: how long a ``slow`` answer stalls before answering normally.
        seed: seeds the draws.
    """

    rate: float = 0.0
    kinds: tuple[str, ...] = FAULT_KINDS
    slow_s: float = 5.0
    seed: int = 0
    injected: dict[str, int] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        if not 0 <= self.rate <= 1:
            raise ValueError(f"fault rate must be between 0 and 1, not {self.rate}")
        unknown = [k for k in self.kinds if k not in FAULT_KINDS]
        if unknown or not self.kinds:
            raise ValueError(f"unknown fault kinds {unknown}; choose from {', '.join(FAULT_KINDS)}")
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()

    @classmethod
    def parse(cls, spec: str) -> FaultPlan:
        """Parse the CLI form ``rate=0.2,kinds=500+502+drop,slow_s=3,seed=1``."""
        values: dict[str, str] = {}
        for part in filter(None, (p.strip() for p in spec.split(","))):
            key, sep, value = part.partition("=")
            if not sep or key not in ("rate", "kinds", "slow_s", "seed"):
                raise ValueError(
                    f"cannot read fault setting {part!r}; "
                    "write for example rate=0.2,kinds=500+502+drop,slow_s=3,seed=1"
                )
            values[key] = value
        try:
            return cls(
                rate=float(values.get("rate", 0.1)),
                kinds=tuple(values["kinds"].split("+")) if "kinds" in values else FAULT_KINDS,
                slow_s=float(values.get("slow_s", 5.0)),
                seed=int(values.get("seed", 0)),
            )
        except (TypeError, ValueError) as exc:
            raise ValueError(f"cannot read fault settings {spec!r}: {exc}") from exc

    def draw(self) -> str | None:
        """Return the fault for the next request, or None for a normal answer."""
        if self.rate <= 0:
            return None
        with self._lock:
            if self._rng.random() >= self.rate:
                return None
            kind = self._rng.choice(self.kinds)
            self.injected[kind] = self.injected.get(kind, 0) + 1
            return kind

    @property
    def total_injected(self) -> int:
        """Return how many faults were injected so far."""
        with self._lock:
            return sum(self.injected.values())
