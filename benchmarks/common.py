"""Helpers shared by the scenarios: timing, a sandbox in its own process, a naive 429-aware GET."""

from __future__ import annotations

import gc
import multiprocessing
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection
from typing import Any, TypeVar

import requests

from adstudio_nb.demo import token_response
from adstudio_nb.sandbox import Sandbox

T = TypeVar("T")


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def median_of(runs: int, fn: Callable[[], T]) -> tuple[float, list[float], T]:
    """Time ``fn`` ``runs`` times; return the median, every run's seconds and the last result.

    The machine is shared: a single run can land on someone else's busy moment. The median
    says what a run usually costs; the runs are reported beside it.
    """
    seconds = []
    result: Any = None
    for _ in range(max(1, runs)):
        elapsed, result = timed(fn)
        seconds.append(elapsed)
    return statistics.median(seconds), seconds, result


def interleaved(
    runs: int, fns: dict[str, Callable[[], Any]]
) -> dict[str, tuple[float, list[float]]]:
    """Time each of ``fns`` ``runs`` times, taking turns; return each one's median and runs.

    On a shared machine the load changes from one second to the next: run back to back,
    one side can get the quiet moments and the other the busy ones. Taking turns gives
    every side the same share of both, so the ratio of the medians is stable. Each run
    starts from a collected heap, and its result is dropped before the next run starts.
    """
    seconds: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(max(1, runs)):
        for name, fn in fns.items():
            gc.collect()
            start = time.perf_counter()
            result = fn()
            seconds[name].append(time.perf_counter() - start)
            del result
    return {name: (statistics.median(s), s) for name, s in seconds.items()}


def token(sb: Sandbox) -> str:
    """Log in as the sandbox's demo user by hand, as the guide does (D2-D4)."""
    return str(token_response(sb)["access_token"])


@dataclass(frozen=True)
class ServedSandbox:
    """What the benchmark needs of a sandbox serving from another process."""

    api_base_url: str
    token: str
    now: datetime


def _serve(conn: Connection, options: dict[str, Any]) -> None:
    """Run a sandbox in this (child) process until the parent says stop or goes away."""
    with Sandbox(**options) as sb:
        conn.send(
            {"api_base_url": sb.api_base_url, "token": token(sb), "now": sb.clock.now_datetime()}
        )
        with suppress(EOFError):
            conn.recv()


@contextmanager
def served_sandbox(**options: Any) -> Iterator[ServedSandbox]:
    """Run a :class:`Sandbox` in a child process, as Spotify is another machine.

    In the benchmark's own process the sandbox's request handling would share the GIL with
    the client under test and bill the client for the server's work; every approach (naive,
    toolkit) is still measured against the same sandbox, one after the other.
    """
    context = multiprocessing.get_context("spawn")  # no threads of this process carried over
    parent, child = context.Pipe()
    process = context.Process(target=_serve, args=(child, options), name="sandbox", daemon=True)
    process.start()
    child.close()
    try:
        if not parent.poll(120):
            raise RuntimeError("The benchmark's sandbox did not start within 120 s.")
        try:
            info = parent.recv()
        except EOFError:
            raise RuntimeError("The benchmark's sandbox failed to start (see above).") from None
        yield ServedSandbox(**info)
    finally:
        with suppress(BrokenPipeError, OSError):
            parent.send("stop")
        parent.close()
        process.join(timeout=10)
        if process.is_alive():
            process.terminate()
            process.join(timeout=5)


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
