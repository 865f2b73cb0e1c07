"""What the sandbox's WSGI application serves from: :class:`SandboxState`.

Owns the per-sandbox state the application and its handlers read (the accounts registry, the
data set, the clock, the answer shapes, the rate limiter, the fault plan, the added latency,
the async reports submitted so far, the instance id) and the URLs built from the bound port.
:class:`~adstudio_nb.sandbox.server.Sandbox` builds one and hands it to
:class:`~adstudio_nb.sandbox.app.SandboxApplication`, so the application never needs the
server object. Never serves HTTP and never imports the server or the application.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import paths
from .clock import SandboxClock
from .data import AdsData
from .faults import FaultPlan
from .ratelimit import RateLimiter
from .registry import AccountsRegistry, SandboxApp
from .shapes import ResponseShapes
from .storage import ReportStorage


@dataclass(eq=False)
class SandboxState:
    """The live state of one sandbox, shared by the server object and its application.

    The switches (``faults``, ``rate_limiter``, ``latency_ms``) may be replaced while the
    sandbox serves: the application reads them on every request.

    Attributes:
        registry: apps, users, grants, codes and tokens of the accounts service.
        data: the seeded Ads API data set.
        clock: the sandbox clock (expiries, report windows, async report status).
        shapes: the answer shapes this sandbox sends (``shapes.py``).
        rate_limiter: Spotify's rate limits (B11), or a replacement.
        faults: faults injected into Ads API answers, or None.
        latency_ms: added to every Ads API answer.
        instance_id: tells one run of a sandbox from the next.
        host: the loopback address the server binds.
        port: the bound port; 0 until the server has bound one.
        async_reports: submitted async CSV reports by id (B8); they live as long as the sandbox.
        storage: the storage origin's bucket the async reports' CSVs are written to (B8).
    """

    registry: AccountsRegistry
    data: AdsData
    clock: SandboxClock
    shapes: ResponseShapes
    rate_limiter: RateLimiter
    faults: FaultPlan | None = None
    latency_ms: float = 0.0
    instance_id: str = ""
    host: str = "127.0.0.1"
    port: int = 0
    async_reports: dict[str, Any] = field(default_factory=dict)
    storage: ReportStorage | None = None

    def __post_init__(self) -> None:
        if self.storage is None:
            self.storage = ReportStorage(self.clock, host=self.host)

    @property
    def base_url(self) -> str:
        """Return ``http://127.0.0.1:PORT``."""
        return f"http://{self.host}:{self.port}"

    @property
    def authorize_url(self) -> str:
        """Return the authorize page's URL (A1)."""
        return self.base_url + paths.AUTHORIZE

    @property
    def token_url(self) -> str:
        """Return the token endpoint's URL (A5)."""
        return self.base_url + paths.TOKEN_ENDPOINT

    @property
    def api_base_url(self) -> str:
        """Return the Ads API v3 base URL (B)."""
        return self.base_url + paths.API_V3

    @property
    def v1_base_url(self) -> str:
        """Return the original guide's ``ads-sandbox/v1`` base URL (C)."""
        return self.base_url + paths.API_V1

    @property
    def dashboard_url(self) -> str:
        """Return the developer dashboard's URL, where grants are revoked (D7)."""
        return self.base_url + paths.DASHBOARD

    @property
    def demo_app(self) -> SandboxApp:
        """Return the built-in demo app (client id, secret, redirect URIs)."""
        return self.registry.demo_app
