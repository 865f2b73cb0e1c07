"""A faithful local emulator of Spotify's accounts service and Ads API, over real HTTP.

It stands in for the other side: it never imports the client code (``auth``, ``client``).
See :class:`Sandbox` for the in-process server and ``adstudio-nb sandbox`` for the stand-alone
one.
"""

from .clock import SandboxClock
from .faults import FAULT_KINDS, FaultPlan
from .registry import SandboxApp, SandboxUser
from .server import Sandbox
from .shapes import SHAPES

__all__ = [
    "FAULT_KINDS",
    "SHAPES",
    "FaultPlan",
    "Sandbox",
    "SandboxApp",
    "SandboxClock",
    "SandboxUser",
]
