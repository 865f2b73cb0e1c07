"""The local store against the sandbox: reports answered from it, only missing and unsettled days
fetched (B5), listings by age, what it holds, SQL, Parquet that DuckDB reads back, the schema's
version, and bad input as typed errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from adstudio_nb import frames
from adstudio_nb.ads import Ads, sum_by_currency
from adstudio_nb.client import StaticToken
from adstudio_nb.exceptions import AdStudioError, InvalidArgument, StoreBusy, StoreError
from adstudio_nb.sandbox import Sandbox
from adstudio_nb.store import SCHEMA_VERSION, Store, default_store_path, open_store
from tests.helpers import access_token

FIELDS = ["IMPRESSIONS", "CLICKS", "SPEND", "CTR", "LEADS"]
DAY = 86_400


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A small sandbox of its own per test (the tests move its clock), limits off."""
    options = {
        "businesses": 1,
        "accounts_per_business": 1,
        "campaigns_per_account": 4,
        "ad_sets_per_campaign": 5,
    }
    with Sandbox(seed=3, rate_limits="off", data_options=options) as sb:
        yield sb


def _ads(sb: Sandbox, store: Store | None) -> Ads:
    # Tokens last an hour and the tests move the clock by days: refresh as a login would.
    token = StaticToken(access_token(sb), refresher=lambda: access_token(sb))
    return Ads.from_token(sb.api_base_url, token, pacing=False, progress=False, store=store)


def _store(tmp_path: Path, sb: Sandbox, **options: object) -> Store:
    return Store(tmp_path / "ads.duckdb", clock=sb.clock.now_datetime, **options)  # type: ignore[arg-type]


def _requests(ads: Ads) -> int:
    return int(ads.client.stats.snapshot()["requests"])


def _today(sb: Sandbox) -> datetime:
    return sb.clock.now_datetime().replace(hour=0, minute=0, second=0, microsecond=0)


def _by_entity(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["entity_id", "start_time"]).reset_index(drop=True)


def test_a_second_report_comes_from_the_store_and_equals_the_apis(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """B5: the same report again fetches only the restatement window; the frame is the API's."""
    start, end = _today(sandbox) - timedelta(days=29), _today(sandbox) - timedelta(days=1)
    with _ads(sandbox, _store(tmp_path, sandbox)) as ads, _ads(sandbox, None) as plain:
        account = ads.ad_accounts().iloc[0]
        first = ads.report(account, fields=FIELDS, start=start, end=end, method="aggregate")
        before = _requests(ads)
        again = ads.report(account, fields=FIELDS, start=start, end=end, method="aggregate")
        spent = _requests(ads) - before
        api = plain.report(account, fields=FIELDS, start=start, end=end, method="aggregate")
    pages_per_day = -(-20 // 50)  # 20 ad sets: one page a day
    # The last 3 days were fetched less than 3 days after they began: fetched again.
    assert spent == 2 * pages_per_day  # yesterday and the day before (today is not asked for)
    pd.testing.assert_frame_equal(again, first)
    pd.testing.assert_frame_equal(_by_entity(again), _by_entity(api))
    assert len(again) == 20 * 29


def test_b5_restated_days_are_replaced_and_settled_days_kept(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """The next day, the days inside the restatement window carry the API's numbers again;
    days already settled keep what the store holds (altered here to tell them apart)."""
    store = _store(tmp_path, sandbox)
    today = _today(sandbox)
    start = today - timedelta(days=9)
    with _ads(sandbox, store) as ads:
        account = ads.ad_accounts().iloc[0]
        # Today is still under way: its numbers grow as the sandbox's clock moves (a restatement).
        ads.report(account, fields=FIELDS, start=start, end=today, method="aggregate")
        partial = ads.sql(
            "SELECT sum(impressions) AS n FROM reports WHERE start_time = ?", [today]
        )["n"][0]
        with duckdb.connect(str(store.path)) as con:  # numbers the API never sent
            con.execute("UPDATE reports SET impressions = -1")
        sandbox.clock.advance(DAY)
        ads.businesses()  # the token expired with the day: refreshed here, not counted below
        before = _requests(ads)
        frame = ads.report(account, fields=FIELDS, start=start, end=today, method="aggregate")
        spent = _requests(ads) - before
    days = frame.groupby("start_time")["impressions"].min()
    restated = days[days.index >= today - timedelta(days=2)]
    settled = days[days.index < today - timedelta(days=2)]
    assert (restated >= 0).all() and len(restated) == 3
    assert (settled == -1).all() and len(settled) == 7
    assert frame.loc[frame["start_time"] == today, "impressions"].sum() > partial > 0
    assert spent == 3  # one page per day of the window: today, yesterday, the day before


def test_the_restatement_window_is_configurable(tmp_path: Path, sandbox: Sandbox) -> None:
    """restatement_days=0: a finished day is never fetched again; today, under way, is."""
    store = _store(tmp_path, sandbox, restatement_days=0)
    today = _today(sandbox)
    with _ads(sandbox, store) as ads:
        account = ads.ad_accounts().iloc[0]
        ads.report(account, fields=FIELDS, start=today - timedelta(days=5), end=today)
        before = _requests(ads)
        ads.report(account, fields=FIELDS, start=today - timedelta(days=5), end=today)
        assert _requests(ads) - before == 1


def test_fresh_fetches_every_day_again(tmp_path: Path, sandbox: Sandbox) -> None:
    """fresh=True bypasses the store: every day of the range is fetched (and kept)."""
    start, end = _today(sandbox) - timedelta(days=20), _today(sandbox) - timedelta(days=10)
    with _ads(sandbox, _store(tmp_path, sandbox)) as ads:
        account = ads.ad_accounts().iloc[0]
        ads.report(account, fields=FIELDS, start=start, end=end, method="aggregate")
        before = _requests(ads)
        ads.report(account, fields=FIELDS, start=start, end=end, method="aggregate")
        assert _requests(ads) == before
        ads.report(account, fields=FIELDS, start=start, end=end, method="aggregate", fresh=True)
        assert _requests(ads) - before >= 11


def test_a_new_metric_fetches_its_days_and_keeps_the_others(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """Coverage is per metric: asking for one more metric fetches the range once more."""
    start, end = _today(sandbox) - timedelta(days=20), _today(sandbox) - timedelta(days=10)
    with _ads(sandbox, _store(tmp_path, sandbox)) as ads:
        account = ads.ad_accounts().iloc[0]
        ads.report(account, fields=["IMPRESSIONS"], start=start, end=end, method="aggregate")
        before = _requests(ads)
        both = ads.report(
            account, fields=["IMPRESSIONS", "STREAMS"], start=start, end=end, method="aggregate"
        )
        assert _requests(ads) > before
        before = _requests(ads)
        one = ads.report(account, fields=["STREAMS"], start=start, end=end, method="aggregate")
        assert _requests(ads) == before
    assert both["streams"].notna().all() and list(one.columns)[-1] == "streams"


def test_entity_ids_are_kept_per_entity(tmp_path: Path, sandbox: Sandbox) -> None:
    """A report of some ad sets is answered from what a report of all of them kept."""
    start, end = _today(sandbox) - timedelta(days=20), _today(sandbox) - timedelta(days=10)
    with _ads(sandbox, _store(tmp_path, sandbox)) as ads:
        account = ads.ad_accounts().iloc[0]
        ids = list(ads.ad_sets(account)["id"][:3])
        some = ads.report(account, fields=FIELDS, start=start, end=end, entity_ids=ids)
        before = _requests(ads)
        again = ads.report(account, fields=FIELDS, start=start, end=end, entity_ids=ids[:2])
        assert _requests(ads) == before
        whole = ads.report(account, fields=FIELDS, start=start, end=end, method="aggregate")
        assert _requests(ads) > before
    assert set(some["entity_id"]) == set(ids) and set(again["entity_id"]) == set(ids[:2])
    assert set(whole["entity_id"]) > set(ids)


def test_the_frame_from_the_store_is_typed_as_the_apis(tmp_path: Path, sandbox: Sandbox) -> None:
    """B7: counts Int64, money Float64, the sentinel as NA with its flag, categoricals, UTC."""
    start, end = _today(sandbox) - timedelta(days=6), _today(sandbox) - timedelta(days=4)
    with _ads(sandbox, _store(tmp_path, sandbox)) as ads:
        account = ads.ad_accounts().iloc[0]
        ads.report(account, fields=FIELDS, start=start, end=end, include_parent=True)
        frame = ads.report(account, fields=FIELDS, start=start, end=end, include_parent=True)
    expected = frames.empty_report_frame(FIELDS, include_parent=True).dtypes
    assert dict(frame.dtypes.drop(["ad_account_id", "ad_account_name", "currency_code"])) == dict(
        expected
    )
    assert frame["parent_id"].notna().all()


def test_listings_come_from_the_store_until_they_are_older_than_the_age(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """Unfiltered listings are kept; older than listing_max_age_s they are fetched again."""
    store = _store(tmp_path, sandbox, listing_max_age_s=600)
    with _ads(sandbox, store) as ads:
        account = ads.ad_accounts().iloc[0]
        first = ads.ad_sets(account)
        before = _requests(ads)
        kept = ads.ad_sets(account)
        assert _requests(ads) == before
        pd.testing.assert_frame_equal(kept, first)
        ads.ad_sets(account, statuses=["ACTIVE"])  # filtered: always asked
        assert _requests(ads) > before
        before = _requests(ads)
        sandbox.clock.advance(601)
        ads.ad_sets(account)
        assert _requests(ads) > before
        before = _requests(ads)
        ads.ad_sets(account, fresh=True)
        assert _requests(ads) > before


def test_the_store_says_what_it_holds(tmp_path: Path, sandbox: Sandbox) -> None:
    """describe() and repr name accounts, levels, date ranges and rows."""
    store = _store(tmp_path, sandbox)
    assert "empty" in repr(store)
    start, end = _today(sandbox) - timedelta(days=9), _today(sandbox) - timedelta(days=1)
    with _ads(sandbox, store) as ads:
        account = ads.ad_accounts().iloc[0]
        ads.report(account, fields=FIELDS, start=start, end=end)
        ads.campaigns(account)
    held = store.describe()
    report = held[held["kind"] == "report"].iloc[0]
    assert (report["account_id"], report["level"], report["granularity"]) == (
        account["id"],
        "AD_SET",
        "DAY",
    )
    assert report["rows"] == 20 * 9 and report["entities"] == 20
    assert str(report["first_day"])[:10] == start.date().isoformat()
    assert str(report["last_day"])[:10] == end.date().isoformat()
    assert "campaigns" in set(held["kind"])
    text = repr(store)
    assert account["id"] in text and "180 rows" in text and "campaigns" in text


def test_sql_returns_a_frame_and_changes_nothing(tmp_path: Path, sandbox: Sandbox) -> None:
    """ads.sql runs over the store; a statement that would change it is rolled back."""
    start, end = _today(sandbox) - timedelta(days=9), _today(sandbox) - timedelta(days=1)
    with _ads(sandbox, _store(tmp_path, sandbox)) as ads:
        account = ads.ad_accounts().iloc[0]
        frame = ads.report(account, fields=FIELDS, start=start, end=end)
        totals = ads.sql(
            "SELECT entity_id, sum(impressions) AS impressions FROM reports GROUP BY ALL"
        )
        ads.sql("DELETE FROM reports")
        assert int(ads.sql("SELECT count(*) AS n FROM reports")["n"][0]) == len(frame)
        with pytest.raises(StoreError, match="could not run this query"):
            ads.sql("SELECT * FROM no_such_table")
    assert int(totals["impressions"].sum()) == int(frame["impressions"].sum())


def test_sql_without_a_store_says_how_to_get_one(sandbox: Sandbox) -> None:
    with _ads(sandbox, None) as ads, pytest.raises(StoreError, match="store=True"):
        ads.sql("SELECT 1")


def test_parquet_export_is_hive_partitioned_and_duckdb_reads_it_back(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """account_id=/level=/date= directories; read_parquet with hive partitioning gives the rows."""
    store = _store(tmp_path, sandbox)
    start, end = _today(sandbox) - timedelta(days=4), _today(sandbox) - timedelta(days=1)
    with _ads(sandbox, store) as ads:
        account = ads.ad_accounts().iloc[0]
        ads.report(account, fields=FIELDS, start=start, end=end)
        ads.campaigns(account)
    out = store.export_parquet(tmp_path / "export")
    day = out / "reports" / f"account_id={account['id']}" / "level=AD_SET" / f"date={end.date()}"
    assert list(day.glob("*.parquet"))
    found = f"read_parquet('{out}/reports/**/*.parquet', hive_partitioning = true)"
    back = duckdb.sql("SELECT * FROM " + found).df()  # noqa: S608 (a path this test made)
    kept = store.sql("SELECT * FROM reports")
    assert len(back) == len(kept) == 20 * 4
    assert set(back["account_id"]) == {account["id"]} and set(back["level"]) == {"AD_SET"}
    merged = back.merge(kept, on=["entity_id", "start_time"], suffixes=("", "_kept"))
    assert (merged["impressions"] == merged["impressions_kept"]).all()
    assert len(duckdb.read_parquet(str(out / "campaigns.parquet")).df()) == 4
    with pytest.raises(StoreError, match="overwrite=True"):
        store.export_parquet(out)
    store.export_parquet(out, overwrite=True)


def test_a_store_of_a_newer_schema_is_refused_with_a_sentence(tmp_path: Path) -> None:
    path = tmp_path / "ads.duckdb"
    Store(path)
    with duckdb.connect(str(path)) as con:
        con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [SCHEMA_VERSION + 1])
    with pytest.raises(StoreError, match="newer adstudio_nb") as caught:
        Store(path)
    assert "upgrade" in str(caught.value)


def test_a_store_of_an_older_schema_is_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "ads.duckdb"
    Store(path)
    with duckdb.connect(str(path)) as con:
        con.execute("UPDATE meta SET value = '0' WHERE key = 'schema_version'")
        con.execute("CREATE TABLE leftover (x INTEGER)")
    store = Store(path)
    assert int(store.sql("SELECT value FROM meta")["value"][0]) == SCHEMA_VERSION
    assert "leftover" not in set(store.sql("SHOW TABLES")["name"])


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda p: p.mkdir(), "is a directory"),
        (lambda p: p.write_text("not a database"), "cannot be"),
        (
            lambda p: duckdb.connect(str(p)).execute("CREATE TABLE t (x INT)").close(),
            "did not create",
        ),
    ],
    ids=["directory", "not-duckdb", "someone-elses-database"],
)
def test_a_path_that_is_no_store_is_a_typed_error(tmp_path: Path, make: object, match: str) -> None:
    path = tmp_path / "ads.duckdb"
    make(path)  # type: ignore[operator]
    with pytest.raises(StoreError, match=match):
        Store(path)


def test_bad_arguments_are_typed_errors(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument):
        Store(tmp_path / "a.duckdb", restatement_days=-1)
    with pytest.raises(InvalidArgument):
        open_store(42)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument):
        default_store_path("../elsewhere")
    store = Store(tmp_path / "a.duckdb")
    with pytest.raises(InvalidArgument):
        store.keep_listing("reports", "*", pd.DataFrame())
    empty = frames.empty_report_frame(["IMPRESSIONS"])
    with pytest.raises(InvalidArgument, match="ReportFieldType"):
        store.keep_report(
            empty, account_id="a", level="AD_SET", granularity="DAY", fields=['X"; DROP']
        )


def test_the_default_store_lives_in_the_users_data_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    stores = tmp_path / "data" / "adstudio_nb" / "stores"
    assert default_store_path("work") == stores / "work.duckdb"
    store = open_store(True)
    assert store is not None and store.path.parent == stores


def test_a_writer_that_holds_the_lock_past_the_wait_gives_store_busy(tmp_path: Path) -> None:
    """The bounded wait: another holder of the store's lock gives StoreBusy, not a hang."""
    from filelock import FileLock

    store = Store(tmp_path / "ads.duckdb", lock_timeout_s=0.2)
    other = FileLock(str(store.path) + ".lock", thread_local=False)
    with other:
        # filelock is per thread: another thread stands in for another process.
        import threading

        errors: list[BaseException] = []

        def write() -> None:
            try:
                store.keep_listing("campaigns", "x", pd.DataFrame({"id": ["a"]}))
            except BaseException as exc:
                errors.append(exc)

        worker = threading.Thread(target=write)
        worker.start()
        worker.join(timeout=30)
    assert len(errors) == 1 and isinstance(errors[0], StoreBusy)
    assert isinstance(errors[0], AdStudioError) and "try again" in str(errors[0])


def test_keep_report_of_another_level_is_refused(tmp_path: Path) -> None:
    store = Store(tmp_path / "ads.duckdb", clock=lambda: datetime(2026, 1, 1, tzinfo=UTC))
    page = {
        "rows": [
            {
                "entity_type": "AD",
                "entity_id": "e",
                "entity_name": "n",
                "start_time": "2026-01-01T00:00:00Z",
                "end_time": "2026-01-02T00:00:00Z",
                "stats": [{"field_type": "IMPRESSIONS", "field_value": 3}],
            }
        ]
    }
    frame = frames.report_frame([page], ["IMPRESSIONS"])
    with pytest.raises(InvalidArgument, match="holds rows of AD"):
        store.keep_report(
            frame, account_id="a", level="AD_SET", granularity="DAY", fields=["IMPRESSIONS"]
        )


def test_b8_an_async_report_through_the_store_is_kept_and_answers_again(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """A long range fetched as one async CSV report is kept; asked again, only the window."""
    start, end = _today(sandbox) - timedelta(days=200), _today(sandbox) - timedelta(days=1)
    with _ads(sandbox, _store(tmp_path, sandbox)) as ads, _ads(sandbox, None) as plain:
        account = ads.ad_accounts().iloc[0]
        before = _requests(ads)
        first = ads.report(account, fields=FIELDS, start=start, end=end, method="async")
        cold = _requests(ads) - before
        before = _requests(ads)
        again = ads.report(account, fields=FIELDS, start=start, end=end, method="async")
        warm = _requests(ads) - before
        api = plain.report(account, fields=FIELDS, start=start, end=end, method="aggregate")
    assert warm < cold
    pd.testing.assert_frame_equal(_by_entity(again), _by_entity(first))
    assert int(again["impressions"].sum()) == int(api["impressions"].sum())


def test_hour_reports_are_kept_by_the_hour(tmp_path: Path, sandbox: Sandbox) -> None:
    """B5: HOUR buckets settle as days do; settled hours are not fetched again."""
    first = _today(sandbox) - timedelta(days=5)
    last = first + timedelta(hours=5)
    with _ads(sandbox, _store(tmp_path, sandbox)) as ads:
        account = ads.ad_accounts().iloc[0]
        hours = ads.report(account, fields=FIELDS, start=first, end=last, granularity="HOUR")
        before = _requests(ads)
        again = ads.report(account, fields=FIELDS, start=first, end=last, granularity="HOUR")
        assert _requests(ads) == before
    assert len(hours) == 20 * 6
    pd.testing.assert_frame_equal(again, hours)


def test_lifetime_and_status_filtered_reports_are_fetched_and_kept_once(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """LIFETIME totals and status filters say nothing of which days are complete: always
    fetched; their rows are kept, each once however often they are fetched."""
    store = _store(tmp_path, sandbox)
    start, end = _today(sandbox) - timedelta(days=20), _today(sandbox) - timedelta(days=10)
    with _ads(sandbox, store) as ads:
        account = ads.ad_accounts().iloc[0]
        for _ in range(2):
            before = _requests(ads)
            life = ads.report(account, fields=FIELDS, start=start, end=end, granularity="LIFETIME")
            assert _requests(ads) > before
            before = _requests(ads)
            ads.report(account, fields=FIELDS, start=start, end=end, statuses=["ACTIVE"])
            assert _requests(ads) > before
    kept = store.sql("SELECT count(*) AS n FROM reports WHERE granularity = 'LIFETIME'")
    assert int(kept["n"][0]) == len(life) == 20
    duplicates = store.sql(
        "SELECT count(*) AS n FROM (SELECT entity_id, granularity, start_time, end_time "
        "FROM reports GROUP BY ALL HAVING count(*) > 1)"
    )
    assert int(duplicates["n"][0]) == 0


def test_b11_three_accounts_in_two_currencies_are_fetched_in_one_walk_and_kept(
    tmp_path: Path, shared_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """B5/B11: with a store, the missing parts of every account go side by side in one walk
    (not account after account); the frame equals the API's; again, only the last days."""
    from adstudio_nb import endpoints

    walks: list[set[str]] = []
    real = endpoints.account_report_parts

    def recorded(client: object, jobs: list[tuple[str, object]], **kw: object) -> object:
        walks.append({account for account, _part in jobs})
        return real(client, jobs, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(endpoints, "account_report_parts", recorded)
    sb = shared_sandbox
    store = Store(tmp_path / "ads.duckdb", clock=sb.clock.now_datetime)
    with _ads(sb, store) as ads, _ads(sb, None) as plain:
        accounts = ads.ad_accounts()
        eur = accounts[accounts["currency_code"] == "EUR"].drop_duplicates("business_id").iloc[:2]
        picked = pd.concat([accounts[accounts["currency_code"] == "USD"].iloc[:1], eur])
        assert len(picked) == 3 and picked["currency_code"].nunique() == 2
        window = {
            "fields": ["IMPRESSIONS", "SPEND"],
            "start": _today(sb) - timedelta(days=9),
            "end": _today(sb) - timedelta(days=1),
            "method": "aggregate",
        }
        cold = ads.report(picked, **window)
        assert walks == [set(picked["id"])]  # one walk for all three accounts
        walks.clear()
        monkeypatch.setattr(endpoints, "account_report_parts", real)
        api = plain.report(picked, **window)
        before = _requests(ads)
        warm = ads.report(picked, **window)
        warm_requests = _requests(ads) - before
    assert list(cold["ad_account_id"].unique()) == list(picked["id"])
    for account_id in picked["id"]:
        mine = cold[cold["ad_account_id"] == account_id]
        theirs = api[api["ad_account_id"] == account_id]
        pd.testing.assert_frame_equal(_by_entity(mine), _by_entity(theirs))
    pd.testing.assert_frame_equal(warm, cold)
    # Only the two unsettled days (yesterday and the day before) of each account again.
    entities = cold.groupby("ad_account_id")["entity_id"].nunique()
    assert 0 < warm_requests <= sum(2 * -(-n // 50) for n in entities), (warm_requests, entities)
    assert sorted(sum_by_currency(cold)["currency_code"]) == ["EUR", "USD"]


def test_every_whole_listing_is_kept_for_sql_and_fetched_again_each_time(
    tmp_path: Path, shared_sandbox: Sandbox
) -> None:
    """B1-B3: accounts, businesses, assets, audiences, drafts, history, members and targets are
    kept (SQL joins spend to its currency); they are fetched every time; a filtered one is not
    kept."""
    sb = shared_sandbox
    store = Store(tmp_path / "ads.duckdb", clock=sb.clock.now_datetime)
    with _ads(sb, store) as ads:
        accounts = ads.ad_accounts()
        account = accounts.iloc[[0]]
        listings = {
            "businesses": ads.businesses(),
            "assets": ads.assets(account),
            "audiences": ads.audiences(account),
            "campaign_drafts": ads.campaign_drafts(account),
            "ad_set_drafts": ads.ad_set_drafts(account),
            "ad_drafts": ads.ad_drafts(account),
            "change_history": ads.change_history(account),
            "ad_account_members": ads.ad_account_members(account),
            "members": ads.business_members(),
            "ad_set_targets": ads.ad_set_targets(account, names=False),
        }
        for table, frame in listings.items():
            kept = ads.sql(f"SELECT count(*) AS n FROM {table}")["n"].iloc[0]  # noqa: S608
            assert kept == len(frame) > 0, table
        assert ads.sql("SELECT count(*) AS n FROM ad_accounts")["n"].iloc[0] == len(accounts)
        ads.report(
            account,
            fields=["SPEND"],
            start=_today(sb) - timedelta(days=3),
            end=_today(sb) - timedelta(days=1),
            method="aggregate",
        )
        spend = ads.sql(
            """SELECT a.currency_code, sum(r.spend) AS spend FROM reports r
               JOIN ad_accounts a ON a.id = r.account_id GROUP BY ALL"""
        )
        assert list(spend["currency_code"]) == list(account["currency_code"])
        before = _requests(ads)
        ads.assets(account)  # fetched again, not answered from the store
        assert _requests(ads) > before
        filtered = ads.audiences(account, q="Newsletter")  # filtered: not kept
        assert len(filtered) < len(listings["audiences"])
        assert ads.sql("SELECT count(*) AS n FROM audiences")["n"].iloc[0] == len(
            listings["audiences"]
        )


def test_b11_a_lifetime_report_of_three_accounts_is_one_walk_and_kept(
    tmp_path: Path, shared_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """B5/B11: a LIFETIME report (no days to answer from) of several accounts through the store
    is fetched in one walk for all of them, equals the API's, and its rows are kept."""
    from adstudio_nb import endpoints

    walks: list[list[str]] = []
    real = endpoints.aggregate_report_pages_of_accounts

    def recorded(client: object, ids: list[str], **kw: object) -> object:
        walks.append(list(ids))
        return real(client, ids, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(endpoints, "aggregate_report_pages_of_accounts", recorded)
    sb = shared_sandbox
    store = Store(tmp_path / "ads.duckdb", clock=sb.clock.now_datetime)
    with _ads(sb, store) as ads, _ads(sb, None) as plain:
        picked = ads.ad_accounts().iloc[:3]
        window = {
            "fields": ["IMPRESSIONS", "SPEND"],
            "granularity": "LIFETIME",
            "start": _today(sb) - timedelta(days=9),
            "end": _today(sb) - timedelta(days=1),
            "method": "aggregate",
        }
        kept = ads.report(picked, **window)
        assert walks == [list(picked["id"])]
        api = plain.report(picked, **window)
        rows = ads.sql("SELECT count(*) AS n FROM reports WHERE granularity = 'LIFETIME'")
    pd.testing.assert_frame_equal(kept, api)
    assert rows["n"].iloc[0] == len(api) > 0
