"""Fixtures: sandboxes over real HTTP on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from adstudio_nb.sandbox import Sandbox

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A fresh sandbox per test (its own apps, grants, tokens and clock), limits as Spotify's."""
    with Sandbox(seed=0) as sb:
        yield sb


@pytest.fixture(scope="session")
def shared_sandbox() -> Iterator[Sandbox]:
    """One sandbox for read-only Ads API tests, rate limits off so suites never trip them."""
    with Sandbox(seed=0, rate_limits="off") as sb:
        yield sb
