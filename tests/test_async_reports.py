"""Async CSV reports (B8): chosen when far cheaper, polled, downloaded without the bearer.

Every test runs against a sandbox over real HTTP. Polls wait through the client's injectable
sleep, which moves a fake clock and the sandbox clock together: nothing sleeps for real.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pandas as pd
import pytest

from adstudio_nb.ads import Ads
from adstudio_nb.async_reports import (
    AsyncPolicy,
    Entity,
    ReportRequest,
    choose_method,
    csv_report_frame,
)
from adstudio_nb.client import AdsClient, StaticToken
from adstudio_nb.exceptions import (
    AsyncReportError,
    AsyncReportTimeout,
    InvalidArgument,
    UnreadableReport,
)
from adstudio_nb.sandbox import Sandbox
from tests.helpers import access_token

FIELDS = ["IMPRESSIONS", "CLICKS", "SPEND", "CTR", "REACH", "COMPLETES", "LEADS", "PURCHASES"]


class FakeTime:
    """A monotonic clock the client reads, moved by its sleep along with the sandbox clock."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.now = 0.0
        self.sandbox = sandbox
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds
        self.sandbox.clock.advance(seconds)


@pytest.fixture
def small() -> Iterator[Sandbox]:
    """A sandbox with one account of 40 ad sets, no rate limits."""
    options = {
        "businesses": 1,
        "accounts_per_business": 1,
        "campaigns_per_account": 8,
        "ad_sets_per_campaign": 5,
    }
    with Sandbox(seed=3, rate_limits="off", data_options=options) as sb:
        yield sb


def _ads(sb: Sandbox, time_: FakeTime) -> Ads:
    client = AdsClient(
        sb.api_base_url,
        # Tests move the sandbox clock by hours: a fresh token after a 401 (B10, A11).
        StaticToken(access_token(sb), refresher=lambda: access_token(sb)),
        clock=time_.clock,
        sleep=time_.sleep,
        pacing=False,
    )
    return Ads(client, progress=False)


def _days(sb: Sandbox, days: int) -> tuple[str, str]:
    today = sb.clock.now_datetime().replace(hour=0, minute=0, second=0, microsecond=0)
    first = today - timedelta(days=days)
    return first.strftime("%Y-%m-%d"), (first + timedelta(days=days - 1)).strftime("%Y-%m-%d")


def _canonical(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["entity_id", "start_time"], kind="stable").reset_index(drop=True)


def test_b8_the_async_and_aggregate_paths_give_the_same_frame(small: Sandbox) -> None:
    """B8: one DAY report through a CSV and through report pages: equal columns, dtypes, rows.

    The account holds ad sets an async report cannot select (ARCHIVED, READY): the async
    path fetches those through aggregate reports, so both frames hold every ad set.
    """
    time_ = FakeTime(small)
    start, end = _days(small, 20)
    with _ads(small, time_) as ads:
        account = ads.ad_accounts().iloc[0]
        kwargs = {"level": "AD_SET", "fields": FIELDS, "start": start, "end": end}
        paged = ads.report(account, method="aggregate", **kwargs)
        via_csv = ads.report(account, method="async", include_parent=False, **kwargs)
    assert list(via_csv.columns) == list(paged.columns)
    assert dict(via_csv.dtypes) == dict(paged.dtypes)
    assert len(paged) == 40 * 20
    pd.testing.assert_frame_equal(_canonical(via_csv), _canonical(paged))
    assert via_csv["leads_suppressed"].any()  # B7: -5 is a flag, never a number
    assert time_.waits, "the report was polled through the injected sleep"


def test_b8_parent_columns_match_between_the_paths(small: Sandbox) -> None:
    """B8: ``include_parent`` gives the campaign's id, name and status on both paths."""
    time_ = FakeTime(small)
    start, end = _days(small, 3)
    with _ads(small, time_) as ads:
        account = ads.ad_accounts().iloc[0]
        kwargs = {"fields": ["IMPRESSIONS", "SPEND"], "start": start, "end": end}
        paged = ads.report(account, include_parent=True, method="aggregate", **kwargs)
        via_csv = ads.report(account, include_parent=True, method="async", **kwargs)
    pd.testing.assert_frame_equal(_canonical(via_csv), _canonical(paged))


def test_b8_the_download_sends_no_bearer(small: Sandbox) -> None:
    """B8: the storage link is fetched without Authorization (the storage would refuse it)."""
    time_ = FakeTime(small)
    start, end = _days(small, 5)
    with _ads(small, time_) as ads:
        ads.report(ads.ad_accounts().iloc[0], start=start, end=end, method="async")
    storage = small.state.storage
    assert storage is not None
    downloads = [r for r in storage.requests if r.method == "GET"]
    assert downloads, "the CSV came from the storage origin"
    assert all("authorization" not in r.headers for r in downloads)
    assert all("cookie" not in r.headers for r in downloads)


def test_b8_auto_picks_async_for_a_long_daily_report_and_counts_far_fewer_requests(
    small: Sandbox,
) -> None:
    """B8: 40 ad sets x 300 days is 240 report pages; the async path needs about 15."""
    time_ = FakeTime(small)
    start, end = _days(small, 300)
    with _ads(small, time_) as ads:
        account = ads.ad_accounts().iloc[0]["id"]
        request = ReportRequest(account, "AD_SET", tuple(FIELDS), "DAY", start, end)
        ids = tuple(ads.ad_sets(account).query("status in ['ACTIVE', 'COMPLETED']")["id"])
        choice = choose_method(ads.client, request, method="auto")
        chosen = choose_method(
            ads.client, ReportRequest(account, "AD_SET", tuple(FIELDS), "DAY", start, end, ids)
        )
        one_day = ReportRequest(account, "AD_SET", ("CLICKS",), "DAY", start, start)
        short = choose_method(ads.client, one_day)
    # With every ad set, the unselectable ones would come from report pages: too few saved.
    assert choice.async_requests is not None and choice.aggregate_requests >= 240
    assert chosen.method == "async", chosen
    assert chosen.async_requests is not None
    assert chosen.async_requests * 10 <= chosen.aggregate_requests
    assert short.method == "aggregate" and short.entities is None  # one day: nothing listed


def test_b8_a_report_over_365_days_is_cut_into_several_async_reports(small: Sandbox) -> None:
    """B8: 400 days are two async reports (365 + 35 days), read into one frame."""
    time_ = FakeTime(small)
    start, end = _days(small, 400)
    with _ads(small, time_) as ads:
        account = ads.ad_accounts().iloc[0]["id"]
        ids = list(ads.ad_sets(account).query("status == 'COMPLETED'")["id"][:3])
        frame = ads.report(
            account, fields=["IMPRESSIONS"], start=start, end=end, entity_ids=ids, method="async"
        )
    assert len(small.state.async_reports) == 2
    assert len(frame) == 3 * 400
    assert frame.groupby("entity_id")["start_time"].is_monotonic_increasing.all()


def test_b8_a_report_still_processing_at_the_deadline_names_its_id(small: Sandbox) -> None:
    """B8: past ``deadline_s`` a typed error says which report is still PROCESSING."""
    time_ = FakeTime(small)
    small.state.storage.processing_s = 10_000  # type: ignore[union-attr]
    start, end = _days(small, 5)
    with _ads(small, time_) as ads:
        ads.async_policy = AsyncPolicy(deadline_s=60, poll_first_s=1, poll_max_s=8)
        with pytest.raises(AsyncReportTimeout) as caught:
            ads.report(ads.ad_accounts().iloc[0], start=start, end=end, method="async")
    report_id = next(iter(small.state.async_reports))
    assert report_id in str(caught.value) and caught.value.report_id == report_id
    waits = time_.waits
    assert max(waits) <= 8 and waits[1] > waits[0]  # growing, to the cap
    assert sum(waits) <= 60 + 1e-6


def test_b8_an_expired_link_is_asked_for_again(small: Sandbox) -> None:
    """B8: a link past its expiry is refused by the storage; a fresh one is fetched and works."""
    time_ = FakeTime(small)
    storage = small.state.storage
    assert storage is not None
    storage.url_lifetime_s = 1
    handed_out: list[str] = []
    original = storage.signed_url

    def stale_first(path: str) -> str:
        url = original(path)
        handed_out.append(url)
        if len(handed_out) == 1:
            small.clock.advance(5)  # the first link expires before it is used
        return url

    storage.signed_url = stale_first  # type: ignore[method-assign]
    start, end = _days(small, 4)
    with _ads(small, time_) as ads:
        frame = ads.report(ads.ad_accounts().iloc[0], start=start, end=end, method="async")
    downloads = [r for r in storage.requests if r.method == "GET"]
    assert len(handed_out) == 2 and len(downloads) == 2 and len(frame) > 0


def test_b8_an_expired_report_is_a_typed_error(small: Sandbox) -> None:
    """B8: a report EXPIRED before it was downloaded raises, naming the report."""
    time_ = FakeTime(small)
    storage = small.state.storage
    assert storage is not None
    storage.url_lifetime_s = 1
    original = storage.signed_url

    def always_stale(path: str) -> str:
        url = original(path)
        small.clock.advance(25 * 3600)  # the link and the report both outlive their time
        return url

    storage.signed_url = always_stale  # type: ignore[method-assign]
    start, end = _days(small, 2)
    with _ads(small, time_) as ads, pytest.raises(AsyncReportError) as caught:
        ads.report(ads.ad_accounts().iloc[0], start=start, end=end, method="async")
    assert caught.value.report_id and caught.value.status == "EXPIRED"


def test_method_async_refuses_what_async_reports_cannot_do(small: Sandbox) -> None:
    """B8: HOUR granularity and metrics the CSV lacks are typed errors, not a wrong frame."""
    time_ = FakeTime(small)
    start, end = _days(small, 2)
    with _ads(small, time_) as ads:
        account = ads.ad_accounts().iloc[0]
        with pytest.raises(InvalidArgument, match="HOUR"):
            ads.report(account, granularity="HOUR", start=start, end=end, method="async")
        with pytest.raises(InvalidArgument, match="SKIPS"):
            ads.report(account, fields=["SKIPS"], start=start, end=end, method="async")
        with pytest.raises(InvalidArgument, match="method"):
            ads.report(account, start=start, end=end, method="fast")


# -- the CSV edge cases ---------------------------------------------------------------------------

ENTITIES = [
    Entity("id-1", "Set one", "ACTIVE", "ACTIVE", ("Camp", "Set one"), "c-1"),
    Entity("id-2", "Set two", "COMPLETED", "COMPLETED", ("Camp", "Set two"), "c-1"),
    Entity("id-3", "Twin", "ACTIVE", "ACTIVE", ("Camp", "Twin"), "c-1"),
    Entity("id-4", "Twin", "ACTIVE", "ACTIVE", ("Camp", "Twin"), "c-1"),
]


def _read(text: str, fields: list[str] | None = None) -> pd.DataFrame:
    return csv_report_frame(
        text.encode(), level="AD_SET", fields=fields or ["IMPRESSIONS", "LEADS"], entities=ENTITIES
    )


def test_csv_headers_are_read_by_name_in_any_order_and_case() -> None:
    """B8: ``Ad set name``, ``Impressions on Spotify``: headers normalised, columns by name."""
    frame = _read(
        "Leads,Start Time,End Time,Impressions on Spotify,Campaign Name,Ad Set Name\n"
        "-5,2026-01-02T00:00:00Z,2026-01-03T00:00:00Z,10,Camp,Set two\n"
        "7,2026-01-01T00:00:00Z,2026-01-02T00:00:00Z,12,Camp,Set one\n"
    )
    assert list(frame["entity_id"]) == ["id-2", "id-1"]
    assert list(frame["impressions"]) == [10, 12]
    assert frame["leads"].isna().tolist() == [True, False]  # B7
    assert frame["leads_suppressed"].tolist() == [True, False]
    assert str(frame["impressions"].dtype) == "Int64"


def test_csv_unknown_columns_are_kept_under_their_own_names() -> None:
    """B8: columns the toolkit does not know stay, numbers as Float64 and text as string."""
    frame = _read(
        "CAMPAIGN_NAME,AD_SET_NAME,START_TIME,END_TIME,IMPRESSIONS_ON_SPOTIFY,LEADS,"
        "MODELED_LEADS,NOTE\n"
        "Camp,Set one,2026-01-01T00:00:00Z,2026-01-02T00:00:00Z,1,2,3.5,hello\n"
    )
    assert frame.loc[0, "modeled_leads"] == 3.5 and str(frame["modeled_leads"].dtype) == "Float64"
    assert frame.loc[0, "note"] == "hello" and str(frame["note"].dtype) == "string"


def test_csv_rows_of_names_two_entities_share_are_left_out() -> None:
    """B8: two ad sets called Twin cannot be told apart by name: neither gets the rows."""
    frame = _read(
        "CAMPAIGN_NAME,AD_SET_NAME,START_TIME,END_TIME,IMPRESSIONS_ON_SPOTIFY,LEADS\n"
        "Camp,Twin,2026-01-01T00:00:00Z,2026-01-02T00:00:00Z,1,2\n"
        "Camp,Set one,2026-01-01T00:00:00Z,2026-01-02T00:00:00Z,1,2\n"
    )
    assert list(frame["entity_id"]) == ["id-1"]


def test_csv_an_id_column_wins_over_names() -> None:
    """B8: where the CSV carries the ad set's id, the names are not needed."""
    frame = _read(
        "AD_SET_ID,DATE,IMPRESSIONS_ON_SPOTIFY,LEADS\nid-4,2026-01-01,3,0\n",
    )
    assert frame.loc[0, "entity_id"] == "id-4"
    assert frame.loc[0, "end_time"] - frame.loc[0, "start_time"] == pd.Timedelta(days=1)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("\n\n", "empty"),
        ("FOO,BAR\n1,2\n", "none of its columns"),
        ("CAMPAIGN_NAME,AD_SET_NAME,START_TIME,END_TIME,IMPRESSIONS_ON_SPOTIFY\n", "LEADS"),
        ("START_TIME,END_TIME,IMPRESSIONS_ON_SPOTIFY,LEADS\n", "names no ad set"),
        ("CAMPAIGN_NAME,AD_SET_NAME,IMPRESSIONS_ON_SPOTIFY,LEADS\n", "START_TIME"),
        (
            'CAMPAIGN_NAME,AD_SET_NAME,START_TIME,END_TIME,IMPRESSIONS_ON_SPOTIFY,LEADS\n"Camp,\n',
            "well-formed",
        ),
    ],
    ids=["empty", "blank", "nothing-known", "a-metric-missing", "no-entity", "no-days", "cut"],
)
def test_csv_with_nothing_recognisable_is_a_typed_error(text: str, message: str) -> None:
    """B8: a CSV that cannot be the report asked for raises UnreadableReport, saying why."""
    with pytest.raises(UnreadableReport, match=message):
        _read(text)


def test_csv_with_a_header_only_is_an_empty_typed_frame() -> None:
    """B8: no rows is a frame with every column, typed as the aggregate path's."""
    frame = _read("CAMPAIGN_NAME,AD_SET_NAME,START_TIME,END_TIME,IMPRESSIONS_ON_SPOTIFY,LEADS\n")
    assert len(frame) == 0 and str(frame["impressions"].dtype) == "Int64"
    assert str(frame["start_time"].dtype) == "datetime64[ns, UTC]"
