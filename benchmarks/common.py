"""Helpers shared by the scenarios: timing, tokens and a naive 429-aware GET."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import requests

from adstudio_nb.sandbox import Sandbox
from adstudio_nb.sandbox.person import token_response

T = TypeVar("T")


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def token(sb: Sandbox) -> str:
    """Log in as the sandbox's demo user by hand, as the guide does (D2-D4)."""
    return str(token_response(sb)["access_token"])


def naive_get(
    session: requests.Session,
    url: str,
    token_: str,
    params: Any = None,
    *,
    sleep_on_429_s: float = 10.0,
    counter: dict[str, int] | None = None,
) -> dict[str, Any]:
    """What the guide leads to: one GET at a time, sleep a fixed time on a 429, retry."""
    while True:
        response = session.get(
            url, params=params, headers={"Authorization": f"Bearer {token_}"}, timeout=30
        )
        if response.status_code == 429:
            if counter is not None:
                counter["429"] = counter.get("429", 0) + 1
            time.sleep(sleep_on_429_s)
            continue
        response.raise_for_status()
        return response.json()  # type: ignore[no-any-return]
