"""adstudio_nb: Spotify's Ads API onboarding with buttons, and ads data in typed DataFrames.

The package runs against a sandbox (a local emulator of Spotify's accounts service and Ads API)
with no configuration, and against real Spotify when credentials are configured. Its public
surface is small: :func:`connect` gives the Ads API as DataFrames (an :class:`Ads`),
:func:`onboarding` gives the kernel's login :class:`~adstudio_nb.session.Session` that the
notebook panels render, :class:`Settings` says who the client is and where it connects, and every
error is an :class:`AdStudioError`. The names load on first use, so ``import adstudio_nb`` stays
light (pandas loads with :class:`Ads`).

Example:
    >>> import adstudio_nb
    >>> sorted(adstudio_nb.__all__)
    ['AdStudioError', 'Ads', 'Settings', '__version__', 'connect', 'onboarding']
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .ads import Ads
    from .config import Settings
    from .exceptions import AdStudioError
    from .session import Session, connect, onboarding

__all__ = ["AdStudioError", "Ads", "Settings", "__version__", "connect", "onboarding"]

# Public name -> the module that owns it.
_HOMES = {
    "Ads": ".ads",
    "AdStudioError": ".exceptions",
    "Settings": ".config",
    "connect": ".session",
    "onboarding": ".session",
}


def _present_login(session: Session) -> bool:
    """Show the login panel in a notebook (the presentation layer, loaded when needed)."""
    from .widgets import _present_login as present

    return present(session)


def __getattr__(name: str) -> Any:
    """Load a public name from its module on first use."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'adstudio_nb' has no attribute {name!r}")
    module = importlib.import_module(home, __name__)
    if home == ".session" and module._login_presenter is None:
        # connect() in a notebook shows the login panel: the widgets load only then.
        module.set_login_presenter(_present_login)
    value = getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
