"""Fixtures: sandboxes over real HTTP on 127.0.0.1."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from adstudio_nb.sandbox import SHAPES, Sandbox

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"


def pytest_configure(config: pytest.Config) -> None:
    """Before any fixture runs, default stores go to a directory of the run's own."""
    os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="adstudio-test-data-")


@pytest.fixture(autouse=True)
def private_data_dir(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Every test's default stores in a directory of its own, never the user's data directory.

    ``connect()`` keeps what it fetches in a store per profile in ``$XDG_DATA_HOME``; a test
    (and every process it starts) sees only its own, so no test answers from another's data.
    """
    path = tmp_path_factory.mktemp("data")
    monkeypatch.setenv("XDG_DATA_HOME", str(path))
    return path


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


@pytest.fixture(scope="session")
def published_sandbox() -> Iterator[Sandbox]:
    """One read-only sandbox in the shapes of Spotify's published samples, rate limits off.

    Zero paging on offset listings (B3, B1), report walks ending null/absent/"" in turn (B6),
    ``errorCodes`` (B9), an empty token scope (A7); see ``adstudio_nb.sandbox.shapes``.
    """
    with Sandbox(seed=0, rate_limits="off", shapes="published") as sb:
        yield sb


@pytest.fixture(scope="session", params=SHAPES)
def any_shape_sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """One read-only sandbox per answer shape ("spec", "published"), seed 0, rate limits off.

    A test using it runs once per shape: a client right for Spotify passes under each.
    """
    with Sandbox(seed=0, rate_limits="off", shapes=request.param) as sb:
        yield sb
