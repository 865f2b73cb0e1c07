"""adstudio_nb: Spotify's Ads API onboarding with buttons, and ads data in typed DataFrames.

The package runs against an embedded sandbox (a local emulator of Spotify's accounts service
and Ads API) with no configuration, and against real Spotify when credentials are configured.

Example:
    >>> from adstudio_nb.sandbox import Sandbox
    >>> with Sandbox() as sb:
    ...     sb.api_base_url.endswith("/ads/v3")
    True
"""

__version__ = "0.1.0"
