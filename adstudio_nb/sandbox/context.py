"""What an Ads API handler of the sandbox receives: the request and who is asking.

The application (``app.py``, with ``bearer.py``) checks the bearer token (B10), applies rate
limits (B11) and faults, then calls a handler with an :class:`ApiContext`. Handlers return a
JSON-able value (sent as 200) or a ``werkzeug`` ``Response``, and raise ``SandboxHTTPError``
(see ``errors.py``) for Spotify-shaped errors.

Owns the context and the rate-limit bucket marker (:func:`reporting`). Never imports a handler
module or the application: handlers and the application both import this one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from werkzeug.wrappers import Request

from .clock import SandboxClock
from .shapes import ResponseShapes

if TYPE_CHECKING:
    from .data import AdsData

Handler = TypeVar("Handler", bound=Callable[..., Any])

GENERAL = "general"
REPORTING = "reporting"


@dataclass(frozen=True)
class ApiContext:
    """One authorized Ads API request.

    Attributes:
        request: the werkzeug request (query in ``request.args``, a MultiDict).
        client_id: the app the access token was issued to.
        user_id: the Spotify user the access token speaks for.
        data: the seeded data set.
        clock: the sandbox clock (report windows and "now" come from it).
        shapes: the answer shapes this sandbox sends (``shapes.py``).
        async_reports: the sandbox's submitted async CSV reports by id (B8).
        storage: the storage origin's bucket (``storage.ReportStorage``) report CSVs go to.
    """

    request: Request
    client_id: str
    user_id: str
    data: AdsData
    clock: SandboxClock
    shapes: ResponseShapes = field(default_factory=ResponseShapes)
    async_reports: dict[str, Any] = field(default_factory=dict)
    storage: Any = None


def reporting(handler: Handler) -> Handler:
    """Mark a handler as a reporting endpoint: 150 requests per 30 s (B11)."""
    handler.rate_limit_bucket = REPORTING  # type: ignore[attr-defined]
    return handler


def rate_limit_bucket(handler: Callable[..., Any]) -> str:
    """Return the rate-limit bucket of a handler (B11)."""
    return str(getattr(handler, "rate_limit_bucket", GENERAL))
