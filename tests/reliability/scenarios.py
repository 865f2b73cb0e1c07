"""Reliability scenarios shared by the tests (which assert) and the soak runner (which reports).

Each scenario sets up its own sandbox, runs a bounded amount of work over real HTTP on
127.0.0.1, and returns what it saw; nothing here asserts. Behaviour IDs are those of
``SPOTIFY_ADS.md``.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import stat
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import requests

from adstudio_nb.ads import Ads
from adstudio_nb.auth import OAuthFlow
from adstudio_nb.config import Settings
from adstudio_nb.sandbox import FaultPlan, Sandbox
from adstudio_nb.sandbox.errors import SandboxHTTPError
from adstudio_nb.sandbox.ratelimit import RateLimiter
from tests.helpers import access_token, consent
from tests.reliability.figures import Figures
from tests.reliability.leakguard import LeakGuard
from tests.reliability.save_worker import number_of, numbered_token, store_at
from tests.reliability.token_worker import use_token

PAGE_SIZE = 5  # small pages: many requests for a modest data set
REPORT_FIELDS = ("IMPRESSIONS", "CLICKS", "SPEND", "LEADS")
CLIENT_TIMEOUT_S = 0.5
SLOW_FAULT_S = 1.0  # B-side "slow" fault: longer than the client's read timeout


# -- 1. faults --------------------------------------------------------------------------------


@dataclass
class FaultRun:
    """The outcome of loading the same frames without and with injected faults.

    Attributes:
        clean: campaigns and report frames of the fault-free run.
        faulty: the same frames loaded with faults.
        pages: pages delivered in the faulty run (requests that succeeded).
        stats: the faulty run's client statistics.
        injected: faults the sandbox injected, by kind.
        error: the exception the faulty run raised, if any.
    """

    clean: dict[str, pd.DataFrame]
    faulty: dict[str, pd.DataFrame]
    pages: int
    stats: dict[str, float]
    injected: dict[str, int]
    elapsed_s: float
    error: BaseException | None = None
    latencies_ms: list[float] = field(default_factory=list)

    def ids(self, which: str, frame: str) -> list[str]:
        """Return the ``entity_id``/``id`` column of a frame of the clean or faulty run."""
        data = (self.clean if which == "clean" else self.faulty).get(frame)
        if data is None:
            return []
        column = "id" if "id" in data.columns else "entity_id"
        keys = data[column].astype(str)
        if "start_time" in data.columns:
            keys = keys + "@" + data["start_time"].astype(str)
        return list(keys)

    def lost(self) -> int:
        """Return how many rows of the clean run the faulty run lacks."""
        return sum(len(set(self.ids("clean", f)) - set(self.ids("faulty", f))) for f in self.clean)

    def duplicated(self) -> int:
        """Return how many rows the faulty run has more than once."""
        return sum(
            len(self.ids("faulty", f)) - len(set(self.ids("faulty", f))) for f in self.faulty
        )


def _load_frames(sb: Sandbox, token: str, *, seed: int, days: int) -> tuple[dict[str, Any], Ads]:
    """Load the campaigns (offset paging, B3) and a DAY report (continuation tokens, B6)."""
    ads = Ads.from_token(
        sb.api_base_url,
        token,
        progress=False,
        page_size=PAGE_SIZE,
        timeout_s=CLIENT_TIMEOUT_S,
        seed=seed,
        pacing=False,
    )
    account = ads.ad_accounts().iloc[0]
    campaigns = ads.campaigns(account)
    today = sb.clock.now_datetime().date()
    report = ads.report(
        account,
        level="CAMPAIGN",
        fields=REPORT_FIELDS,
        start=today - timedelta(days=days),
        end=today - timedelta(days=1),
        granularity="DAY",
        entity_ids=list(campaigns["id"][:50]),
    )
    return {"campaigns": campaigns, "report": report}, ads


def run_faults(
    pages: int, *, rate: float = 0.2, seed: int = 1, guard: LeakGuard | None = None
) -> FaultRun:
    """Load about ``pages`` pages fault-free, then again with ``rate`` faults of every kind.

    About 70 % of the pages are campaign listings of 5 per page, 30 % DAY report pages of 5
    rows (50 campaigns x ``days``); the faults are 500, 502, 503, 429, dropped connections,
    truncated bodies and answers slower than the client's timeout.
    """
    campaign_pages = max(1, round(pages * 0.7))
    days = max(1, round(pages * 0.3 * PAGE_SIZE / 50))
    options = {
        "businesses": 1,
        "accounts_per_business": 1,
        "campaigns_per_account": campaign_pages * PAGE_SIZE,
    }
    with Sandbox(seed=0, rate_limits="off", data_options=options) as sb:
        if guard is not None:
            guard.watch(sb)
        token = access_token(sb)
        clean, ads = _load_frames(sb, token, seed=seed, days=days)
        ads.close()
        sb.faults = FaultPlan(rate=rate, slow_s=SLOW_FAULT_S, seed=seed)
        started = time.perf_counter()
        error: BaseException | None = None
        faulty: dict[str, Any] = {}
        ads = None
        try:
            faulty, ads = _load_frames(sb, token, seed=seed, days=days)
        except Exception as exc:  # reported, and the test fails on it
            error = exc
            if guard is not None:
                guard.note(exc)
        elapsed = time.perf_counter() - started
        stats = ads.client.stats.snapshot() if ads is not None else {}
        if ads is not None:
            ads.close()
        injected = dict(sb.faults.injected)
    return FaultRun(
        clean=clean,
        faulty=faulty,
        pages=int(stats.get("requests", 0) - stats.get("retries", 0)),
        stats=stats,
        injected=injected,
        elapsed_s=elapsed,
        error=error,
    )


def fault_figures(run: FaultRun) -> Figures:
    """Return the soak-table row of a fault run."""
    mix = ",".join(f"{k}:{v}" for k, v in sorted(run.injected.items()))
    identical = not run.error and all(
        run.faulty.get(name) is not None and run.faulty[name].equals(frame)
        for name, frame in run.clean.items()
    )
    return Figures(
        "faults 20% (pages)",
        count=run.pages,
        failures=(1 if run.error else 0) + run.lost() + run.duplicated() + (0 if identical else 1),
        retries=int(run.stats.get("retries", 0)),
        notes=(
            f"identical={identical} lost={run.lost()} dup={run.duplicated()} injected {mix}; "
            f"{run.elapsed_s:.1f} s"
        ),
        details={"stats": run.stats, "injected": run.injected, "identical": identical},
    )


# -- 2. token concurrency ----------------------------------------------------------------------

REPO_ROOT = Path(__file__).resolve().parents[2]
ROTATING_REDIRECT_URI = "http://127.0.0.1/callback"


class RefreshCounter:
    """Counts refresh requests at the sandbox, and the ``invalid_grant`` answers among them."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.calls = 0
        self.invalid_grants = 0
        self._lock = threading.Lock()
        original = sandbox.registry.refresh

        def counted(app: Any, *, refresh_token: str, pkce: bool) -> dict[str, object]:
            with self._lock:
                self.calls += 1
            try:
                return original(app, refresh_token=refresh_token, pkce=pkce)
            except SandboxHTTPError as exc:
                if exc.body.get("error") == "invalid_grant":
                    with self._lock:
                        self.invalid_grants += 1
                raise

        # An instance attribute shadows the method: the token endpoint calls this one.
        sandbox.registry.refresh = counted  # type: ignore[method-assign]


@dataclass
class TokenRun:
    """What the participants of a shared-token-store run saw, round by round.

    Attributes:
        participants: threads in this process plus threads in the worker processes.
        refreshes: refresh requests the sandbox received in each round (one expiry each).
        invalid_grants: ``invalid_grant`` answers to refreshes (A8: a reused rotating token).
        rounds: per round, every participant's result (``fingerprint``+``status``, or
            ``error``).
        worker_logs: the workers' DEBUG logs (scanned by the canary).
    """

    participants: int
    refreshes: list[int]
    invalid_grants: int
    rounds: list[list[dict[str, Any]]]
    worker_logs: str = ""
    latencies_ms: list[float] = field(default_factory=list)

    def errors(self) -> list[str]:
        """Return every participant result that is not a 200 with a token."""
        return [
            json.dumps(r)
            for results in self.rounds
            for r in results
            if r.get("status") != 200 or "error" in r
        ]

    def tokens_per_round(self) -> list[int]:
        """Return how many distinct access tokens the participants used in each round."""
        return [len({r.get("fingerprint") for r in results}) for results in self.rounds]


def _worker_command() -> list[str]:
    return [sys.executable, "-m", "tests.reliability.token_worker"]


def _subprocess_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return env


def run_token_concurrency(
    directory: Path,
    *,
    rounds: int,
    threads: int = 16,
    processes: int = 4,
    threads_per_process: int = 4,
    guard: LeakGuard | None = None,
) -> TokenRun:
    """Share one token file between threads and processes across ``rounds`` expiries (A8, A11).

    The app rotates refresh tokens, so a refresh token spent twice answers ``invalid_grant``.
    Each round moves the sandbox clock past the access token's hour; every participant then
    asks for a token at once and calls the Ads API with it.
    """
    with Sandbox(seed=0, rate_limits="off") as sb:
        if guard is not None:
            guard.watch(sb)
        app = sb.register_app(
            "rotating refresh tokens",
            redirect_uris=[ROTATING_REDIRECT_URI],
            rotate_refresh_tokens=True,
        )
        counter = RefreshCounter(sb)
        values: dict[str, Any] = {
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "redirect_uri": ROTATING_REDIRECT_URI,
            "authorize_url": sb.authorize_url,
            "token_url": sb.token_url,
            "api_base_url": sb.api_base_url,
            "dashboard_url": sb.dashboard_url,
            "target": "sandbox",
            "profile": "shared",
            "token_dir": str(directory),
            "token_storage": "file",
        }
        settings = Settings(**{**values, "token_dir": directory})
        first = OAuthFlow(settings, clock=sb.clock.now_datetime)
        login = first.start_login()
        first.complete_login(consent(login.url), login)

        logs = directory.parent / f"{directory.name}-workers.log"
        procs: list[subprocess.Popen[str]] = []
        run = TokenRun(threads + processes * threads_per_process, [], 0, [])
        with logs.open("w", encoding="utf-8") as log_file:
            try:
                for _ in range(processes):
                    proc = subprocess.Popen(
                        _worker_command(),
                        stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE,
                        stderr=log_file,
                        text=True,
                        cwd=REPO_ROOT,
                        env=_subprocess_env(),
                    )
                    assert proc.stdin is not None
                    proc.stdin.write(
                        json.dumps({"settings": values, "threads": threads_per_process}) + "\n"
                    )
                    proc.stdin.flush()
                    procs.append(proc)
                for proc in procs:
                    assert proc.stdout is not None
                    json.loads(proc.stdout.readline() or "{}")["ready"]
                flows = [OAuthFlow(settings, clock=sb.clock.now_datetime) for _ in range(threads)]
                for number in range(rounds):
                    sb.clock.advance(3600 + 60)  # A11: past the hour and the refresh leeway
                    offset = sb.clock.now() - time.time()
                    before = counter.calls
                    for proc in procs:
                        assert proc.stdin is not None
                        proc.stdin.write(f"round {number} {offset}\n")
                        proc.stdin.flush()
                    results = _threads_round(flows, sb.api_base_url, run.latencies_ms)
                    for proc in procs:
                        assert proc.stdout is not None
                        line = proc.stdout.readline()
                        results.extend(json.loads(line)["results"] if line else [{"error": "died"}])
                    run.rounds.append(results)
                    run.refreshes.append(counter.calls - before)
            finally:
                for proc in procs:
                    with contextlib.suppress(OSError):
                        assert proc.stdin is not None
                        proc.stdin.write("quit\n")
                        proc.stdin.close()
                for proc in procs:
                    try:
                        proc.wait(timeout=30)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                        proc.wait()
                    if proc.stdout is not None:
                        proc.stdout.close()
        run.invalid_grants = counter.invalid_grants
        run.worker_logs = logs.read_text(encoding="utf-8", errors="replace")
        if guard is not None:
            guard.note(run.worker_logs)
    return run


def _threads_round(
    flows: list[OAuthFlow], api_base_url: str, latencies_ms: list[float]
) -> list[dict[str, Any]]:
    """Let every flow ask for a token at once (one thread each) and use it."""
    barrier = threading.Barrier(len(flows))
    results: list[dict[str, Any]] = [{} for _ in flows]

    def work(i: int) -> None:
        barrier.wait()
        started = time.perf_counter()
        results[i] = use_token(flows[i], api_base_url)
        latencies_ms.append((time.perf_counter() - started) * 1000)

    workers = [threading.Thread(target=work, args=(i,)) for i in range(len(flows))]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return results


def token_figures(run: TokenRun) -> Figures:
    """Return the soak-table row of a token-concurrency run."""
    extra = sum(max(0, n - 1) for n in run.refreshes) + sum(1 for n in run.refreshes if n == 0)
    return Figures(
        "token store: threads+processes",
        count=len(run.rounds) * run.participants,
        failures=len(run.errors()) + run.invalid_grants + extra,
        retries=sum(run.refreshes),
        latencies_ms=run.latencies_ms,
        notes=(
            f"{len(run.rounds)} expiries x {run.participants} participants; refreshes/expiry "
            f"{sorted(set(run.refreshes))}; invalid_grant {run.invalid_grants}"
        ),
        details={"refreshes": run.refreshes, "tokens_per_round": run.tokens_per_round()},
    )


# -- 3. crash safety ---------------------------------------------------------------------------


@dataclass
class CrashRun:
    """What SIGKILLs during saves left behind.

    Attributes:
        runs: processes killed.
        unreadable: runs after which the store could not be read (or was empty).
        wrong: runs after which the store held neither the old nor the new token.
        reads: loads made by this process while a worker was saving.
        bad_reads: of which failed or gave a token the worker never wrote.
        saves: tokens the workers finished saving, in all.
        problems: a description of each failure.
    """

    runs: int = 0
    unreadable: int = 0
    wrong: int = 0
    reads: int = 0
    bad_reads: int = 0
    saves: int = 0
    leftovers_after_save: int = 0
    file_mode: int = 0
    problems: list[str] = field(default_factory=list)


def run_crashes(directory: Path, *, runs: int, seed: int = 7) -> CrashRun:
    """SIGKILL a process ``runs`` times while it saves tokens; check the file each time.

    Before each run the store holds the last token the previous run left. The worker saves
    tokens 1, 2, ... in a loop; it is killed after a random 0-30 ms, while this process reads
    the file concurrently. After the kill the file must load and hold the token of the last
    finished save or of the save in progress.
    """
    rng = random.Random(seed)
    result = CrashRun()
    profile = "crash"
    store = store_at(str(directory), profile)
    store.save(numbered_token(0))
    for _ in range(runs):
        previous = store.load()
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.save_worker", str(directory), profile],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=REPO_ROOT,
            env=_subprocess_env(),
        )
        assert proc.stdout is not None
        first = proc.stdout.readline()  # "start 1": the worker is in its loop
        deadline = time.perf_counter() + rng.uniform(0.0, 0.03)
        while time.perf_counter() < deadline:
            result.reads += 1
            try:
                seen = store.load()
                if seen is None:
                    raise ValueError("empty store")
            except Exception as exc:
                result.bad_reads += 1
                result.problems.append(f"read during saves: {type(exc).__name__}: {exc}")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        lines = [first, *proc.stdout.read().splitlines()]
        proc.stdout.close()
        done = [int(line.split()[1]) for line in lines if line.startswith("done ")]
        begun = [int(line.split()[1]) for line in lines if line.startswith("start ")]
        result.runs += 1
        result.saves += len(done)
        old = done[-1] if done else (number_of(previous) if previous else 0)
        allowed = {old, begun[-1]} if begun else {old}
        try:
            held = store.load()
        except Exception as exc:
            result.unreadable += 1
            result.problems.append(f"after kill: {type(exc).__name__}: {exc}")
            continue
        if held is None:
            result.unreadable += 1
            result.problems.append("after kill: the store is empty")
        elif number_of(held) not in allowed:
            result.wrong += 1
            result.problems.append(f"after kill: token {number_of(held)}, expected {allowed}")
    # A save after all those kills cleans up what they left and keeps the modes.
    store.save(numbered_token(10**6))
    result.leftovers_after_save = len(list(directory.glob(f".{profile}.*.tmp")))
    result.file_mode = stat.S_IMODE(store.path.stat().st_mode)
    return result


def crash_figures(run: CrashRun) -> Figures:
    """Return the soak-table row of the crash runs."""
    return Figures(
        "SIGKILL during token save",
        count=run.runs,
        failures=run.unreadable + run.wrong + run.bad_reads + run.leftovers_after_save,
        notes=(
            f"{run.saves} saves finished, {run.reads} concurrent reads ({run.bad_reads} bad); "
            f"unreadable {run.unreadable}, neither old nor new {run.wrong}"
        ),
        details={"problems": run.problems[:20]},
    )


# -- 6. the sandbox under load, and its rate limits ---------------------------------------------

STATUS_FAULTS = ("500", "502", "503", "429")
LOAD_FAULT_KINDS = (*STATUS_FAULTS, "drop", "truncate")


@dataclass
class LoadRun:
    """Outcomes of many clients hammering the Ads API at once.

    Attributes:
        clients: concurrent clients (one app + user pair each).
        requests: requests sent in all.
        outcomes: count per outcome: ``"200"``, another status, ``"drop"``, ``"truncate"``,
            or an exception name.
        injected: faults the sandbox injected, by kind.
        latencies_ms: latency of every successful request.
    """

    clients: int
    requests: int
    outcomes: dict[str, int]
    injected: dict[str, int]
    latencies_ms: list[float]
    elapsed_s: float

    def not_injected(self) -> dict[str, int]:
        """Return outcomes other than 200 that no injected fault explains."""
        left = {k: v for k, v in self.outcomes.items() if k != "200"}
        for kind, count in self.injected.items():
            left[kind] = left.get(kind, 0) - count
        return {k: v for k, v in left.items() if v}


def _load_paths(sb: Sandbox, token: str) -> list[str]:
    """Return a mix of Ads API paths (B1, B3, B5) the demo user can read."""
    headers = {"Authorization": f"Bearer {token}"}
    business = requests.get(sb.api_base_url + "/businesses", headers=headers, timeout=30).json()
    business_id = business["businesses"][0]["id"]
    accounts = requests.get(
        f"{sb.api_base_url}/businesses/{business_id}/ad_accounts", headers=headers, timeout=30
    ).json()["ad_accounts"]
    account_id = accounts[0]["id"]
    return [
        "/businesses",
        f"/businesses/{business_id}/ad_accounts",
        f"/ad_accounts/{account_id}",
        f"/ad_accounts/{account_id}/campaigns?limit=20",
        f"/ad_accounts/{account_id}/aggregate_reports?entity_type=AD_ACCOUNT&fields=IMPRESSIONS"
        "&fields=CLICKS&granularity=LIFETIME",
    ]


def run_load(clients: int, per_client: int, *, fault_rate: float = 0.05, seed: int = 3) -> LoadRun:
    """Run ``clients`` threads x ``per_client`` requests, each thread its own app + user (B11).

    Limits are Spotify's (1,500 per 30 s, 150 to reports): no pair reaches them, so every
    answer other than 200 must be an injected fault (5xx, 429, dropped, truncated).
    """
    plan = FaultPlan(rate=fault_rate, kinds=LOAD_FAULT_KINDS, seed=seed)
    with Sandbox(seed=0, rate_limits="on") as sb:
        apps = [
            sb.register_app(f"load client {i}", redirect_uris=["http://127.0.0.1:8888/callback"])
            for i in range(clients)
        ]
        tokens = [access_token(sb, app=app) for app in apps]
        paths = _load_paths(sb, tokens[0])
        sb.rate_limiter = RateLimiter("on")  # the discovery above does not count
        sb.faults = plan
        outcomes: dict[str, int] = {}
        latencies: list[float] = []
        lock = threading.Lock()
        barrier = threading.Barrier(clients)

        def client(number: int) -> None:
            session = requests.Session()
            headers = {"Authorization": f"Bearer {tokens[number]}"}
            mine: dict[str, int] = {}
            times: list[float] = []
            barrier.wait()
            for i in range(per_client):
                path = paths[(number + i) % len(paths)]
                started = time.perf_counter()
                try:
                    answer = session.get(sb.api_base_url + path, headers=headers, timeout=30)
                    outcome = str(answer.status_code)
                except requests.exceptions.ChunkedEncodingError:
                    outcome = "truncate"
                except requests.ConnectionError:
                    outcome = "drop"
                except requests.RequestException as exc:
                    outcome = type(exc).__name__
                if outcome == "200":
                    times.append((time.perf_counter() - started) * 1000)
                mine[outcome] = mine.get(outcome, 0) + 1
            session.close()
            with lock:
                for key, value in mine.items():
                    outcomes[key] = outcomes.get(key, 0) + value
                latencies.extend(times)

        started = time.perf_counter()
        threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        injected = dict(plan.injected)
    return LoadRun(clients, clients * per_client, outcomes, injected, latencies, elapsed)


def load_figures(run: LoadRun) -> Figures:
    """Return the soak-table row of a load run."""
    mix = ",".join(f"{k}:{v}" for k, v in sorted(run.injected.items()))
    return Figures(
        f"sandbox load {run.clients}x{run.requests // max(1, run.clients)}",
        count=run.requests,
        failures=sum(abs(v) for v in run.not_injected().values()),
        latencies_ms=run.latencies_ms,
        notes=(
            f"{run.requests / run.elapsed_s:.0f} req/s; injected {mix}; "
            f"not injected {run.not_injected() or 0}"
        ),
        details={"outcomes": run.outcomes, "injected": run.injected},
    )


@dataclass
class LimitRun:
    """What pushing one client + user pair past its B11 limits did to it and to the others.

    Attributes:
        pushed: statuses the pushed pair got, per bucket (``general``, ``reporting``).
        headers_429: the headers of the first 429 of each bucket.
        others: status per other pair (same app other user, other app same user, ...).
        after_reset: the pushed pair's status once the window passed.
    """

    pushed: dict[str, dict[int, int]]
    headers_429: dict[str, dict[str, str]]
    others: dict[str, int]
    after_reset: int


def run_rate_limits(*, threads: int = 4) -> LimitRun:
    """Push one pair past 150 reporting and 1,500 general requests per window (B11).

    The window's clock is frozen for the push (no timing in the outcome), then moved 30 s.
    """
    frozen = [0.0]
    with Sandbox(seed=0, rate_limits="on") as sb:
        sb.rate_limiter = RateLimiter("on", monotonic=lambda: frozen[0])
        other_app = sb.register_app("other app", redirect_uris=["http://127.0.0.1:8888/callback"])
        pushed_token = access_token(sb, "alex.analyst")
        pairs = {
            "same app, other user": access_token(sb, "sam.smallbiz"),
            "other app, same user": access_token(sb, "alex.analyst", app=other_app),
        }
        paths = _load_paths(sb, pushed_token)
        sb.rate_limiter = RateLimiter("on", monotonic=lambda: frozen[0])  # discovery not counted
        report_path, general_path = paths[-1], paths[0]
        result = LimitRun({}, {}, {}, 0)
        for bucket, path, total in (
            ("reporting", report_path, 170),
            ("general", general_path, 1550 - 150),
        ):
            statuses, first_429 = _push(sb, pushed_token, path, total, threads)
            result.pushed[bucket] = statuses
            result.headers_429[bucket] = first_429
        for name, token in pairs.items():
            own_report = _load_paths(sb, token)[-1]  # the pair's own account (B1)
            for bucket, path in (("general", general_path), ("reporting", own_report)):
                answer = requests.get(
                    sb.api_base_url + path,
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=30,
                )
                result.others[f"{name} ({bucket})"] = answer.status_code
        frozen[0] += 30.0  # B11: the window resets after 30 s
        answer = requests.get(
            sb.api_base_url + general_path,
            headers={"Authorization": f"Bearer {pushed_token}"},
            timeout=30,
        )
        result.after_reset = answer.status_code
    return result


def _push(
    sb: Sandbox, token: str, path: str, total: int, threads: int
) -> tuple[dict[int, int], dict[str, str]]:
    """Send ``total`` GETs of ``path`` from ``threads`` threads; count statuses."""
    statuses: dict[int, int] = {}
    first_429: dict[str, str] = {}
    lock = threading.Lock()

    def work(count: int) -> None:
        session = requests.Session()
        for _ in range(count):
            answer = session.get(
                sb.api_base_url + path, headers={"Authorization": f"Bearer {token}"}, timeout=30
            )
            with lock:
                statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
                if answer.status_code == 429 and not first_429:
                    first_429.update(answer.headers)
                    first_429["body"] = answer.text
        session.close()

    shares = [total // threads + (1 if i < total % threads else 0) for i in range(threads)]
    workers = [threading.Thread(target=work, args=(n,)) for n in shares]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return statuses, first_429


def limit_figures(run: LimitRun) -> Figures:
    """Return the soak-table row of the rate-limit run."""
    sent = sum(sum(s.values()) for s in run.pushed.values())
    refused = sum(s.get(429, 0) for s in run.pushed.values())
    others_ok = all(v == 200 for v in run.others.values())
    expected = {"reporting": {200: 150, 429: 20}, "general": {200: 1350, 429: 50}}
    return Figures(
        "rate limits per client+user (B11)",
        count=sent + len(run.others) + 1,
        failures=(0 if run.pushed == expected else 1)
        + (0 if others_ok else 1)
        + (0 if run.after_reset == 200 else 1),
        notes=(
            f"pushed pair: {refused} x 429 of {sent}; other pairs all 200: {others_ok}; "
            f"after 30 s: {run.after_reset}"
        ),
        details={"pushed": {k: {str(s): n for s, n in v.items()} for k, v in run.pushed.items()}},
    )
