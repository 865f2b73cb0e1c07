"""The sandbox as a real HTTP server on 127.0.0.1, in-process or stand-alone.

``with Sandbox() as sb:`` starts a threaded werkzeug server on a free loopback port in a
background thread and stops it on exit. The object exposes the URLs a client needs, the demo
app's credentials, the clock, and the switches (latency, rate limits, faults).

Owns the server's life cycle and the building of the sandbox's state
(:class:`~adstudio_nb.sandbox.state.SandboxState`), which it hands to the WSGI application. Never
answers a request itself, and no other sandbox module imports it (only the client-side
helpers ``embedded.py`` and ``person.py`` do).

Example:
    >>> import requests
    >>> with Sandbox() as sb:
    ...     requests.get(sb.base_url + "/", timeout=5).status_code
    200
"""

from __future__ import annotations

import logging
import threading
import uuid
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .app import SandboxApplication
from .clock import SandboxClock
from .data import AdsData
from .faults import FaultPlan
from .ratelimit import WINDOW_S, RateLimiter
from .registry import AccountsRegistry, SandboxApp
from .shapes import SPEC, ResponseShapes
from .state import SandboxState
from .storage import StorageApplication

log = logging.getLogger(__name__)


class _QuietRequestHandler(WSGIRequestHandler):
    """Log requests at DEBUG, by path only: a query string can hold a code or a token."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # A malformed request line leaves no `path`; never log the query string either.
        path = str(getattr(self, "path", "")).split("?", 1)[0]
        log.debug("%s %s -> %s", getattr(self, "command", "-"), path, code)

    def log_error(self, format: str, *args: Any) -> None:
        # http.server's arguments can quote the raw request line, query (and code) included.
        log.debug("sandbox: refused a malformed or dropped request")


class Sandbox:
    """A local emulator of Spotify's accounts service and Ads API over real HTTP.

    Args:
        port: the TCP port on 127.0.0.1; 0 picks a free one.
        seed: seeds the data set and the apps' client ids.
        scale: multiplies the size of the generated data set.
        latency_ms: added to every Ads API answer.
        rate_limits: ``"on"`` (Spotify's numbers, B11), ``"off"``, or ``"scaled"``.
        rate_limit_window_s: the window length with ``rate_limits="scaled"``.
        faults: faults to inject into Ads API answers.
        clock: the clock (a fresh real-time clock by default).
        data_options: extra keyword arguments for :class:`~adstudio_nb.sandbox.data.AdsData`.
        shapes: ``"spec"`` (the spec's schemas) or ``"published"`` (Spotify's published
            samples: all-zero paging, null/absent/empty report endings, ``errorCodes``, empty
            token scope); see :mod:`adstudio_nb.sandbox.shapes`.
        fixed_secrets: derive app secrets from ``seed`` (reproducible, for tests); by default
            they are random, so a sandbox's secrets cannot be computed from its seed.
        async_processing_s: how long an async report stays PROCESSING at least (B8; scale
            it down with the rate-limit window for benchmarks).
    """

    def __init__(
        self,
        *,
        port: int = 0,
        seed: int = 0,
        scale: float = 1.0,
        latency_ms: float = 0.0,
        rate_limits: str = "on",
        rate_limit_window_s: float = WINDOW_S,
        faults: FaultPlan | None = None,
        clock: SandboxClock | None = None,
        data_options: dict[str, Any] | None = None,
        shapes: str = SPEC,
        fixed_secrets: bool = False,
        async_processing_s: float | None = None,
    ) -> None:
        self.host = "127.0.0.1"
        self.requested_port = port
        self.seed = seed
        clock = clock or SandboxClock()
        self.state = SandboxState(
            registry=AccountsRegistry(clock, seed=seed, fixed_secrets=fixed_secrets),
            data=AdsData(seed=seed, scale=scale, clock=clock, **(data_options or {})),
            clock=clock,
            shapes=ResponseShapes(shapes),
            rate_limiter=RateLimiter(rate_limits, window_s=rate_limit_window_s),
            faults=faults,
            latency_ms=latency_ms,
            # Tells one run of a sandbox from the next: tokens of a previous run mean nothing here.
            instance_id=uuid.uuid4().hex[:12],
            host=self.host,
        )
        if async_processing_s is not None and self.state.storage is not None:
            self.state.storage.processing_s = async_processing_s
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        # B8: async reports download from another origin, as Spotify's come from storage.
        self._storage_server: BaseWSGIServer | None = None
        self._storage_thread: threading.Thread | None = None

    # -- the state, as attributes (the switches may be replaced while serving) -----------------

    @property
    def registry(self) -> AccountsRegistry:
        """Return the accounts service's apps, users, grants, codes and tokens."""
        return self.state.registry

    @property
    def data(self) -> AdsData:
        """Return the seeded Ads API data set."""
        return self.state.data

    @property
    def clock(self) -> SandboxClock:
        """Return the sandbox clock (move it with ``advance`` rather than sleeping)."""
        return self.state.clock

    @property
    def shapes(self) -> ResponseShapes:
        """Return the answer shapes this sandbox sends (``"spec"`` or ``"published"``)."""
        return self.state.shapes

    @property
    def instance_id(self) -> str:
        """Return the id that tells this run of the sandbox from the next."""
        return self.state.instance_id

    @property
    def faults(self) -> FaultPlan | None:
        """Return the faults injected into Ads API answers (settable while serving)."""
        return self.state.faults

    @faults.setter
    def faults(self, plan: FaultPlan | None) -> None:
        self.state.faults = plan

    @property
    def rate_limiter(self) -> RateLimiter:
        """Return the rate limiter of the Ads API (B11; settable while serving)."""
        return self.state.rate_limiter

    @rate_limiter.setter
    def rate_limiter(self, limiter: RateLimiter) -> None:
        self.state.rate_limiter = limiter

    @property
    def latency_ms(self) -> float:
        """Return the latency added to every Ads API answer (settable while serving)."""
        return self.state.latency_ms

    @latency_ms.setter
    def latency_ms(self, value: float) -> None:
        self.state.latency_ms = value

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> Sandbox:
        """Bind the port and serve in a background thread; return self."""
        if self._server is not None:
            return self
        server = make_server(
            self.host,
            self.requested_port,
            SandboxApplication(self.state),
            threaded=True,
            request_handler=_QuietRequestHandler,
        )
        # Set before the first request can arrive: the application checks Host against it.
        self.state.port = int(server.port)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.1},
            daemon=True,
            name=f"sandbox:{server.port}",
        )
        self._thread.start()
        storage = self.state.storage
        if storage is not None:
            storage_server = make_server(
                self.host,
                0,
                StorageApplication(storage),
                threaded=True,
                request_handler=_QuietRequestHandler,
            )
            storage.port = int(storage_server.port)
            self._storage_server = storage_server
            self._storage_thread = threading.Thread(
                target=storage_server.serve_forever,
                kwargs={"poll_interval": 0.1},
                daemon=True,
                name=f"sandbox-storage:{storage_server.port}",
            )
            self._storage_thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        server, self._server = self._server, None
        storage_server, self._storage_server = self._storage_server, None
        for each in (server, storage_server):
            if each is not None:
                each.shutdown()
                each.server_close()
        for thread in (self._thread, self._storage_thread):
            if thread is not None:
                thread.join(timeout=5)
        self._thread = self._storage_thread = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def is_running(self) -> bool:
        """Tell whether the server is serving."""
        return self._server is not None

    # -- what a client needs ------------------------------------------------------------------

    @property
    def port(self) -> int:
        """Return the bound port (start the sandbox first)."""
        return self._serving().port

    @property
    def base_url(self) -> str:
        """Return ``http://127.0.0.1:PORT``."""
        return self._serving().base_url

    @property
    def authorize_url(self) -> str:
        """Return the authorize page's URL (A1)."""
        return self._serving().authorize_url

    @property
    def token_url(self) -> str:
        """Return the token endpoint's URL (A5)."""
        return self._serving().token_url

    @property
    def api_base_url(self) -> str:
        """Return the Ads API v3 base URL (B)."""
        return self._serving().api_base_url

    @property
    def v1_base_url(self) -> str:
        """Return the original guide's ``ads-sandbox/v1`` base URL (C)."""
        return self._serving().v1_base_url

    @property
    def dashboard_url(self) -> str:
        """Return the developer dashboard's URL, where grants are revoked (D7)."""
        return self._serving().dashboard_url

    @property
    def storage_url(self) -> str:
        """Return the storage origin's ``http://127.0.0.1:PORT``, where report CSVs are (B8)."""
        storage = self._serving().storage
        assert storage is not None  # a state always has one
        return storage.base_url

    @property
    def demo_app(self) -> SandboxApp:
        """Return the built-in demo app (client id, secret, redirect URIs)."""
        return self.state.demo_app

    def _serving(self) -> SandboxState:
        """Return the state of a running sandbox; its URLs name the bound port."""
        if self._server is None:
            raise RuntimeError("The sandbox is not running: call start() or use `with Sandbox()`.")
        return self.state

    def register_app(
        self,
        name: str,
        *,
        redirect_uris: list[str],
        ads_allowed: bool = True,
        rotate_refresh_tokens: bool = False,
    ) -> SandboxApp:
        """Register another app, as Spotify's developer dashboard would (A12)."""
        return self.registry.register_app(
            name,
            redirect_uris=redirect_uris,
            ads_allowed=ads_allowed,
            rotate_refresh_tokens=rotate_refresh_tokens,
        )

    def __repr__(self) -> str:
        where = self.base_url if self.is_running else "stopped"
        return f"<Sandbox {where} seed={self.seed} shapes={self.shapes.name}>"
