"""The sandbox's URL paths, in one place: the routes mount them and the URLs are built from them.

Owns the path of every page and endpoint family a client is told about (authorize page, token
endpoint, dashboard, the Ads API's v3 and v1 bases, the demo app's description). Never imports
another sandbox module: everything may import this one.
"""

from __future__ import annotations

AUTHORIZE = "/authorize"
"""The login and consent page (A1)."""
AUTHORIZE_DECISION = "/authorize/decision"
"""Where the consent page's form posts Agree or Cancel (A3)."""
TOKEN_ENDPOINT = "/api/token"  # noqa: S105 (a path, not a secret)
"""The token endpoint (A5)."""
DASHBOARD = "/dashboard"
"""The developer dashboard, where grants are revoked (D7)."""
DASHBOARD_REVOKE = "/dashboard/revoke"
"""Where the dashboard's revoke buttons post (A9)."""
DEMO_APP = "/sandbox/demo-app"
"""The demo app's description for a zero-configuration client on this machine."""
WHOAMI = "/sandbox/whoami"
"""Which demo user a bearer token speaks for (sandbox only: Spotify's Ads API names no user)."""
API_V3 = "/ads/v3"
"""The Ads API v3 base path (B)."""
API_V1 = "/ads-sandbox/v1"
"""The original guide's retired v1 base path (C)."""
ADS_PREFIXES = ("/ads/", "/ads-sandbox/")
"""Paths behind the Ads API's door: bearer check, rate limits, latency and faults."""
