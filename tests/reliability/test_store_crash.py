"""The store under crashes and contention: a kernel SIGKILLed mid-write, two kernels at once.

Each report part is written with its coverage in one DuckDB transaction under the store's file
lock (``adstudio_nb.store``). A process killed inside that transaction leaves the parts before
it and nothing of the one it was writing: no duplicate row, no half-written day; the next sync
fetches only what is missing. Two processes syncing the same store both finish, one after the
other where they write, and the store holds one consistent copy of the report.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from adstudio_nb.ads import Ads
from adstudio_nb.sandbox import Sandbox
from adstudio_nb.store import Store
from tests.conftest import REPO_ROOT
from tests.helpers import access_token
from tests.reliability.store_worker import FIELDS

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL")

AD_SETS = 20
DAYS = 40


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    options = {
        "businesses": 1,
        "accounts_per_business": 1,
        "campaigns_per_account": 4,
        "ad_sets_per_campaign": 5,
    }
    # A little latency so that a sync lasts long enough for another to overlap it.
    with Sandbox(seed=5, rate_limits="off", latency_ms=15, data_options=options) as sb:
        yield sb


def _range(sb: Sandbox) -> tuple[date, date]:
    today = sb.clock.now_datetime().date()
    return today - timedelta(days=DAYS + 10), today - timedelta(days=11)  # settled days only


def _worker(sb: Sandbox, store: Path, *extra: str) -> subprocess.Popen[str]:
    start, end = _range(sb)
    env = {
        **os.environ,
        "STORE_WORKER_API": sb.api_base_url,
        "STORE_WORKER_TOKEN": access_token(sb),
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.reliability.store_worker",
            str(store),
            str(start),
            str(end),
            *extra,
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )


def _read_line(process: subprocess.Popen[str], timeout_s: float) -> str:
    """The worker's next line, or '' if none came within the timeout (never hangs the test)."""
    assert process.stdout is not None
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(process.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout_s)
    return lines[0].strip() if lines else ""


def _check_consistent(store: Store) -> pd.DataFrame:
    """No duplicate row; every day that has rows has all of them and is recorded as covered."""
    duplicates = store.sql(
        """SELECT count(*) AS n FROM (SELECT account_id, level, granularity, entity_id,
               start_time, end_time FROM reports GROUP BY ALL HAVING count(*) > 1)"""
    )
    assert int(duplicates["n"][0]) == 0
    days = store.sql("SELECT start_time, count(*) AS rows FROM reports GROUP BY 1 ORDER BY 1")
    assert (days["rows"] == AD_SETS).all(), days
    covered = store.sql(
        """SELECT bucket_start, count(DISTINCT field) AS fields FROM report_coverage
           WHERE scope = '*' GROUP BY 1 ORDER BY 1"""
    )
    assert list(covered["bucket_start"]) == list(days["start_time"])
    assert (covered["fields"] == len(FIELDS)).all()
    return days


def _api_report(sb: Sandbox) -> pd.DataFrame:
    start, end = _range(sb)
    with Ads.from_token(sb.api_base_url, access_token(sb), pacing=False, progress=False) as ads:
        account = ads.ad_accounts().iloc[0]
        frame = ads.report(account, fields=FIELDS, start=start, end=end, method="aggregate")
    return frame.sort_values(["entity_id", "start_time"]).reset_index(drop=True)


def test_a_kernel_killed_mid_write_leaves_whole_days_and_the_next_sync_completes_them(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """SIGKILL inside the 4th part's transaction: 3 parts kept, the 4th absent, then completed."""
    path = tmp_path / "ads.duckdb"
    worker = _worker(sandbox, path, "4")
    try:
        assert _read_line(worker, 120) == "writing 4"
        worker.send_signal(signal.SIGKILL)
        worker.wait(30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(30)
        assert worker.stdout is not None
        worker.stdout.close()
    assert worker.returncode == -signal.SIGKILL
    store = Store(path)
    days = _check_consistent(store)
    assert 0 < len(days) < DAYS  # whole parts only, and not all of them
    start, end = _range(sandbox)
    with Ads.from_token(
        sandbox.api_base_url, access_token(sandbox), pacing=False, progress=False, store=store
    ) as ads:
        account = ads.ad_accounts().iloc[0]
        synced = ads.report(account, fields=FIELDS, start=start, end=end, method="aggregate")
        pages = int(ads.client.stats.snapshot()["requests"])
    assert len(_check_consistent(store)) == DAYS
    assert pages - 2 < DAYS  # the missing days only (plus the account listing)
    expected = _api_report(sandbox)
    pd.testing.assert_frame_equal(
        synced.drop(columns=synced.columns[:3]), expected.drop(columns=expected.columns[:3])
    )


def test_two_kernels_syncing_one_store_at_once_both_succeed_with_one_copy(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """Both processes finish with the whole report; the store holds each row once."""
    path = tmp_path / "ads.duckdb"
    Store(path)  # created once, as a first kernel would have
    workers = [_worker(sandbox, path) for _ in range(2)]
    try:
        results = [_read_line(w, 180) for w in workers]
        codes = [w.wait(60) for w in workers]
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
                w.wait(30)
            assert w.stdout is not None
            w.stdout.close()
    assert codes == [0, 0]
    assert results == [f"done {AD_SETS * DAYS}"] * 2
    store = Store(path)
    assert len(_check_consistent(store)) == DAYS
    kept = store.sql("SELECT entity_id, start_time, impressions FROM reports")
    expected = _api_report(sandbox)
    merged = expected.merge(kept, on=["entity_id", "start_time"], suffixes=("", "_kept"))
    assert len(merged) == len(expected) == AD_SETS * DAYS
    assert (merged["impressions"].astype("int64") == merged["impressions_kept"]).all()
