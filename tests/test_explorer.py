"""The report explorer, clicked in plain pytest against the sandbox (no browser): pick accounts,
metrics and dates, Run on a worker thread, and get the table, chart, downloads and the call."""

from __future__ import annotations

import base64
import io
import re
import threading
from collections.abc import Iterator
from datetime import date
from typing import Any

import pandas as pd
import pytest

from adstudio_nb import widgets
from adstudio_nb.ads import METRICS
from adstudio_nb.auth import OAuthFlow
from adstudio_nb.client import WAIT_REASONS
from adstudio_nb.config import Settings
from adstudio_nb.exceptions import InvalidArgument
from adstudio_nb.pacing import REPORTING
from adstudio_nb.sandbox import Sandbox
from adstudio_nb.session import Session
from adstudio_nb.token_store import MemoryTokenStore


@pytest.fixture
def session(shared_sandbox: Sandbox) -> Iterator[Session]:
    session = Session(
        flow=OAuthFlow(Settings.for_sandbox(shared_sandbox), store=MemoryTokenStore())
    )
    yield session
    session.close()


def _explorer(session: Session, user: str = "alex.analyst") -> widgets.ReportExplorer:
    explorer = widgets.report_explorer(session)
    assert "Waiting for authorization" in explorer.status.value  # logged out: it waits
    session.demo_login(user)  # ... and fills in by itself after the login
    return explorer


def _pick_two_currencies(explorer: widgets.ReportExplorer) -> list[str]:
    by_currency: dict[str, str] = {}
    for label, ident in explorer.accounts.options:
        by_currency.setdefault(re.search(r"\((\w+)\)$", label).group(1), ident)  # type: ignore[union-attr]
    picked = list(by_currency.values())[:2]
    explorer.accounts.value = tuple(picked)
    return picked


def _data_link(html_text: str, mime: str) -> bytes:
    found = re.search(rf"href='data:{re.escape(mime)};base64,([^']+)'", html_text)
    assert found, html_text[:300]
    return base64.b64decode(found.group(1))


def test_b5_two_accounts_two_metrics_run_gives_table_chart_files_and_the_call(
    session: Session,
) -> None:
    """B5/B7: Run fetches on a worker thread; the table, a PNG chart, CSV and Parquet links
    holding every row, and an ads.report(...) call that gives the same frame appear."""
    explorer = _explorer(session)
    assert explorer.last_error is None, explorer.last_error
    assert len(explorer.accounts.options) > 2 and not explorer.run_button.disabled
    picked = _pick_two_currencies(explorer)
    explorer.metrics.value = ("IMPRESSIONS", "SPEND")
    explorer.start.value, explorer.end.value = date(2026, 5, 1), date(2026, 5, 7)
    assert "Money spent" in explorer.metric_help.value  # each metric's unit and meaning
    explorer.run_button.click()
    explorer.wait()
    assert explorer.last_error is None, explorer.last_error
    frame = explorer.result
    assert isinstance(frame, pd.DataFrame) and len(frame) > 0
    assert list(frame["ad_account_id"].unique()) == picked
    assert "Money is in" in explorer.status.value  # two currencies: said, not summed
    name = frame["ad_account_name"].iloc[0]
    assert name in explorer.table.value and "spend" in explorer.table.value
    assert explorer.chart.value[:8] == b"\x89PNG\r\n\x1a\n"
    csv = pd.read_csv(io.BytesIO(_data_link(explorer.downloads.value, "text/csv")))
    assert len(csv) == len(frame)
    parquet = _data_link(explorer.downloads.value, "application/vnd.apache.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(io.BytesIO(parquet)), frame)
    assert explorer.call is not None and explorer.call in explorer.code.value.replace("&#x27;", "'")
    ads = session.ads()
    # The call to copy gives the same report (our own generated text, run as a cell would).
    copied = eval(explorer.call, {"ads": ads})  # noqa: S307
    pd.testing.assert_frame_equal(copied, frame)
    assert explorer.run_button.description == "Run" and not explorer.run_button.disabled


def _hold_reports(session: Session) -> tuple[threading.Event, threading.Event]:
    """Make the session's client hold the first report request, saying a 12 s wait first."""
    client = session.ads().client
    arrived, release = threading.Event(), threading.Event()
    real_get = client.get

    def get(path: str, params: Any = None) -> Any:
        if "aggregate_reports" in path and not arrived.is_set():
            client._announce_wait(12.0, WAIT_REASONS[REPORTING])  # as the pacer's wait does
            arrived.set()
            assert release.wait(30)
        return real_get(path, params)

    client.get = get  # type: ignore[method-assign]
    return arrived, release


def test_b11_a_run_shows_its_waits_and_a_second_run_meanwhile_is_refused(
    session: Session,
) -> None:
    """B11: while a report runs, the panel says the client's wait and why; the kernel's thread
    is free (Run returned), and a second Run is refused with a sentence."""
    explorer = _explorer(session)
    arrived, release = _hold_reports(session)
    explorer.metrics.value = ("CLICKS",)
    explorer.granularity.value = "LIFETIME"
    explorer.run_button.click()  # returns at once: the fetch runs on a worker thread
    try:
        assert arrived.wait(30)
        assert explorer.is_running and explorer.run_button.disabled
        assert "Waiting 12 s for Spotify&#x27;s reporting limit" in explorer.progress.value
        explorer.run()  # a second Run (the button is disabled; a script may still call it)
        assert "still being fetched" in explorer.status.value
    finally:
        release.set()
    explorer.wait()
    assert explorer.last_error is None, explorer.last_error
    assert explorer.result is not None and len(explorer.result) > 0
    assert explorer.progress.value == ""


def test_a_failure_is_a_sentence_on_the_panel(session: Session) -> None:
    explorer = _explorer(session)
    explorer.start.value, explorer.end.value = date(2026, 5, 9), date(2026, 5, 1)
    explorer.run_button.click()
    explorer.wait()
    assert isinstance(explorer.last_error, InvalidArgument)
    assert "before its start" in explorer.status.value
    assert "Traceback" not in explorer.status.value and explorer.result is None
    assert not explorer.run_button.disabled  # it can run again


def test_a_user_without_ad_accounts_gets_a_sentence_and_no_run(session: Session) -> None:
    explorer = _explorer(session, user="nina.newcomer")
    assert explorer.accounts.options == ()
    assert widgets.NO_AD_ACCOUNTS in explorer.status.value.replace("&#x27;", "'")
    assert explorer.run_button.disabled
    explorer.run()
    assert "Pick at least one ad account" in explorer.status.value


def test_every_metric_of_the_spec_has_a_unit_and_a_meaning() -> None:
    """The metric picker spells out every ReportFieldType of the spec (units from B7)."""
    from tests.conftest import SHARED

    spec = (SHARED / "spotify-ads-v3" / "openapi.yaml").read_text()
    block = spec[spec.index("    ReportFieldType:") :]
    block = block[block.index("      enum:") : block.index("      description:")]
    fields = re.findall(r"- ([A-Z0-9_]+)", block)
    assert len(fields) > 40 and set(fields) <= set(METRICS)
    assert METRICS["SPEND"].unit == "currency" and METRICS["CTR"].unit == "%"
    assert all(m.meaning.endswith(".") for m in METRICS.values())


def test_the_notebooks_account_picker_reads_its_picks(session: Session) -> None:
    """The analysis notebooks' picker: the first accounts and the last full days at first;
    a cell run after a change reads the new picks; no account: a sentence, nothing picked."""
    session.demo_login("alex.analyst")
    accounts = session.ads().ad_accounts()
    picker = widgets.account_picker(accounts, picked=1, days=30)
    assert list(picker.selected["id"]) == [accounts["id"].iloc[0]]
    start, end = picker.dates
    assert (end - start).days == 29 and end < date.today() + pd.Timedelta(days=1)
    picker.accounts.value = tuple(accounts["id"].iloc[1:3])
    assert list(picker.selected["id"]) == list(accounts["id"].iloc[1:3])
    nobody = widgets.account_picker(accounts.iloc[:0])
    assert nobody.selected.empty
    assert "no ad accounts" in nobody.children[-1].value


def test_a_day_chart_ticks_whole_days_not_the_hours_between() -> None:
    """A DAY report over 3 days is labelled with its days (2026-05-01 ...), not 05-01 06."""
    import re

    from adstudio_nb.widgets import _chart_figure

    frame = pd.DataFrame(
        {
            "start_time": pd.date_range("2026-05-01", periods=3, tz="UTC").repeat(2),
            "entity_name": ["a", "b"] * 3,
            "currency_code": ["USD"] * 6,
            "clicks": pd.array([1, 2, 3, 4, 5, 6], dtype="Int64"),
        }
    )
    figure = _chart_figure(frame, ["CLICKS"], "DAY")
    assert figure is not None
    figure.canvas.draw()
    labels = [t.get_text() for t in figure.axes[0].get_xticklabels() if t.get_text()]
    assert labels == ["2026-05-01", "2026-05-02", "2026-05-03"], labels
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) for text in labels)
