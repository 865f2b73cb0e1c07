"""How big the reliability runs are: small in CI, full in soak mode (``ADSTUDIO_SOAK=1``)."""

from __future__ import annotations

import os

SOAK_ENV = "ADSTUDIO_SOAK"


def soak_mode() -> bool:
    """Tell whether the full (soak) counts are asked for."""
    return os.environ.get(SOAK_ENV, "").strip().lower() not in ("", "0", "false", "no")


def scaled(ci: int, soak: int) -> int:
    """Return ``soak`` in soak mode, else ``ci``."""
    return soak if soak_mode() else ci


def property_examples() -> int:
    """Return the examples per hypothesis property: about 200 in CI, 10,000 in soak mode."""
    return scaled(200, 10_000)
