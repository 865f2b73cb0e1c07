"""Which of Spotify's documented answer shapes the sandbox sends where the sources disagree.

Spotify's OpenAPI schemas and Spotify's own published samples and live answers do not always
agree. Two sets of shapes, chosen per sandbox with ``Sandbox(shapes=...)`` or
``adstudio-nb sandbox --shapes``:

* ``"spec"`` (the default): what the spec's schemas describe. Offset listings carry real
  ``paging`` numbers (B3); an aggregate report's last page has no ``continuation_token`` (B6);
  error bodies use ``error_codes`` (B9); the token answer's ``scope`` echoes the requested
  scope (A7, A13).
* ``"published"``: what Spotify's published samples and live answers show. Offset listings
  (and a business's ad accounts, which then page, B1) carry ``paging`` with every number 0
  while the items are the real page (B3); an aggregate report's last page ends with
  ``continuation_token`` null, absent or ``""``, rotating from one report walk to the next
  (B6); error bodies spell the key ``errorCodes`` (B9); the token answer's ``scope`` is
  ``""`` (A7).

A client that is right for Spotify is right under both. This module only describes the shapes
and keeps the per-sandbox count of report walks; the handlers apply them.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

SPEC = "spec"
PUBLISHED = "published"
SHAPES = (SPEC, PUBLISHED)
"""Every shape set the sandbox can send, the default first."""

# B6: how the last page of an aggregate report says "no more pages".
ENDING_NULL = "null"
ENDING_ABSENT = "absent"
ENDING_EMPTY = "empty"
REPORT_ENDINGS = (ENDING_NULL, ENDING_ABSENT, ENDING_EMPTY)

ZERO_PAGING = {"page_size": 0, "total_results": 0, "offset": 0, "current_page": 0}


@dataclass
class ResponseShapes:
    """The answer shapes of one sandbox, and its count of report walks (B3, B6, B9, A7).

    Args:
        name: ``"spec"`` or ``"published"`` (see the module docstring).

    Raises:
        ValueError: ``name`` is not one of :data:`SHAPES`.
    """

    name: str = SPEC
    _walks: itertools.count[int] = field(default_factory=itertools.count, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.name not in SHAPES:
            raise ValueError(
                f"Unknown sandbox shapes {self.name!r}: choose one of {', '.join(SHAPES)}."
            )

    @property
    def is_published(self) -> bool:
        """Tell whether this sandbox sends the published samples' shapes."""
        return self.name == PUBLISHED

    @property
    def zero_paging(self) -> bool:
        """Tell whether offset listings carry ``paging`` with every number 0 (B3)."""
        return self.is_published

    @property
    def pages_business_ad_accounts(self) -> bool:
        """Tell whether a business's ad accounts page by ``limit``/``offset`` (B1)."""
        return self.is_published

    @property
    def error_codes_key(self) -> str:
        """Return the key error bodies carry their codes under (B9)."""
        return "errorCodes" if self.is_published else "error_codes"

    @property
    def empty_token_scope(self) -> bool:
        """Tell whether the token answer's ``scope`` is always ``""`` (A7)."""
        return self.is_published

    def next_report_ending(self) -> str | None:
        """Return how the report walk starting now ends (B6); None: the spec's way (absent).

        Under the published shapes the walks of one sandbox end null, absent, ``""``, null, ...
        in the order they start, so the same requests give the same endings every run.
        """
        if not self.is_published:
            return None
        with self._lock:
            walk = next(self._walks)
        return REPORT_ENDINGS[walk % len(REPORT_ENDINGS)]

    def paging(self, paging: dict[str, int]) -> dict[str, int]:
        """Return the ``paging`` object an offset listing sends (B3)."""
        return dict(ZERO_PAGING) if self.zero_paging else paging

    def error_body(self, body: dict[str, Any]) -> dict[str, Any]:
        """Return an error body with its codes under this shape's key (B9)."""
        key = self.error_codes_key
        if key == "error_codes" or "error_codes" not in body:
            return body
        return {(key if k == "error_codes" else k): v for k, v in body.items()}
