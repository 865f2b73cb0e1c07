"""The notebook layer against the sandbox: every loader gives a typed frame (B1-B8), accounts
are accepted as id or row, progress bars close on error, exports keep dtypes."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from adstudio_nb import ads as ads_module
from adstudio_nb import frames
from adstudio_nb.ads import Ads, WaitNotice, account_id
from adstudio_nb.client import WAIT_REASONS, AdsClient, RateLimitPolicy, StaticToken
from adstudio_nb.exceptions import AdStudioError, InvalidArgument, NotFound, UnprocessableReport
from adstudio_nb.sandbox import Sandbox
from tests.helpers import access_token

FIELDS = ["IMPRESSIONS", "CLICKS", "SPEND", "CTR", "LEADS", "PURCHASES"]


@pytest.fixture(scope="module")
def ads(shared_sandbox: Sandbox) -> Iterator[Ads]:
    with Ads.from_token(
        shared_sandbox.api_base_url, access_token(shared_sandbox), pacing=False, progress=False
    ) as a:
        yield a


@pytest.fixture(scope="module")
def account(ads: Ads) -> pd.Series:
    return ads.ad_accounts().iloc[0]


def _day(ads: Ads, days_back: int) -> pd.Timestamp:
    now = pd.Timestamp.now(tz="UTC").normalize()
    return now - pd.Timedelta(days=days_back)


def test_b1_businesses_and_ad_accounts(ads: Ads, account: pd.Series) -> None:
    businesses = ads.businesses()
    assert len(businesses) >= 1 and businesses["id"].is_unique
    accounts = ads.ad_accounts()
    assert set(accounts["business_id"]) <= set(businesses["id"])
    one_business = ads.ad_accounts(businesses.iloc[0])
    assert len(one_business) >= 1
    assert ads.ad_account(account)["id"] == account["id"]
    assert accounts["billing_city"].notna().all()


def _with_account_columns(names: list[str]) -> list[str]:
    """A listing's columns: its spec's, with the account's name and currency after its id."""
    at = names.index("ad_account_id") + 1
    extra = [c for c in ("ad_account_name", "currency_code") if c not in names]
    return [*names[:at], *extra, *names[at:]]


@pytest.mark.parametrize(
    ("method", "spec"),
    [
        ("campaigns", frames.CAMPAIGN_COLUMNS),
        ("ad_sets", frames.AD_SET_COLUMNS),
        ("ads", frames.AD_COLUMNS),
    ],
)
def test_b3_listings_are_complete_unique_and_typed(
    ads: Ads, account: pd.Series, method: str, spec
) -> None:
    df = getattr(ads, method)(account)
    assert list(df.columns) == _with_account_columns([c.name for c in spec])
    assert df["id"].is_unique and (df["ad_account_id"] == account["id"]).all()
    kind = {"campaigns": "campaigns", "ad_sets": "ad_sets", "ads": "ads"}[method]
    raw = ads.client.get(f"/ad_accounts/{account['id']}/{kind}", {"limit": 1})
    assert len(df) == raw["paging"]["total_results"]
    same = getattr(ads, method)(account["id"])  # an id works like a row
    pd.testing.assert_frame_equal(df, same)


def test_b3_filters_pass_through(ads: Ads, account: pd.Series) -> None:
    active = ads.campaigns(account, statuses=["ACTIVE"])
    assert set(active["status"].astype(str)) <= {"ACTIVE"}


def test_b5_report_day_granularity_rows_per_entity_and_day(ads: Ads, account: pd.Series) -> None:
    start, end = _day(ads, 20), _day(ads, 1)
    df = ads.report(account, fields=FIELDS, start=start, end=end, include_parent=True)
    n_sets = len(ads.ad_sets(account))
    assert len(df) == n_sets * 20  # B5: one row per entity per day, zero rows included
    assert not df.duplicated(["entity_id", "start_time"]).any()
    assert df["start_time"].min() == start and df["start_time"].max() == end
    assert df["parent_id"].notna().all()
    assert str(df["spend"].dtype) == "Float64" and str(df["clicks"].dtype) == "Int64"
    assert "leads_suppressed" in df and "purchases_suppressed" in df


def test_b5_report_by_entity_ids_batches_and_lifetime(ads: Ads, account: pd.Series) -> None:
    ids = ads.ad_sets(account)["id"].tolist()[:60]  # two batches (B5: at most 50 ids)
    df = ads.report(account, fields=["CLICKS"], granularity="LIFETIME", entity_ids=ids)
    assert sorted(df["entity_id"]) == sorted(ids)
    account_level = ads.report(
        account, level="AD_ACCOUNT", fields=["CLICKS"], granularity="LIFETIME"
    )
    assert len(account_level) == 1


def test_b5_empty_report_has_columns_and_dtypes(ads: Ads, account: pd.Series) -> None:
    day = _day(ads, 3)
    df = ads.report(account, fields=FIELDS, start=day, end=day, statuses=["PAUSED"], level="AD")
    expected = frames.empty_report_frame(FIELDS)
    assert len(df) == 0
    assert list(df.columns[:3]) == ["ad_account_id", "ad_account_name", "currency_code"]
    assert df.dtypes.astype(str).tolist() == ["string"] * 3 + expected.dtypes.astype(str).tolist()


def test_b8_totals_and_insights(ads: Ads, account: pd.Series) -> None:
    ids = ads.ad_sets(account)["id"].tolist()[:10]
    lifetime = ads.totals(account, ids)
    assert len(lifetime) == 1 and str(lifetime["reach"].dtype) == "Int64"
    daily = ads.totals(account, ids, granularity="DAY", start=_day(ads, 5), end=_day(ads, 2))
    assert len(daily) == 4
    try:
        insight = ads.insights(account, "AGE")
    except UnprocessableReport as exc:  # B8: too thin is a typed error with a trace id
        assert exc.trace_id
    else:
        assert {"entity_id", "insight_value", "impressions"} <= set(insight.columns)


def test_b9_unknown_account_raises_not_found(ads: Ads) -> None:
    with pytest.raises(NotFound):
        ads.campaigns("00000000-0000-4000-8000-000000000000")


def test_account_id_accepts_ids_rows_and_objects(account: pd.Series) -> None:
    assert account_id(account) == account_id(account["id"]) == account_id({"id": account["id"]})
    with pytest.raises(ValueError, match="ad account"):
        account_id(42)


def test_progress_bar_is_closed_when_a_load_fails(
    shared_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed: list[bool] = []
    original = ads_module._Progress.close

    def spy(self: ads_module._Progress) -> None:
        closed.append(self._bar is not None)
        original(self)

    monkeypatch.setattr(ads_module._Progress, "close", spy)
    with (
        Ads.from_token(
            shared_sandbox.api_base_url, access_token(shared_sandbox), pacing=False, progress=True
        ) as a,
        pytest.raises(NotFound),
    ):
        # Name and currency given: no look-up first, the listing itself fails.
        unknown = {"id": "00000000-0000-4000-8000-000000000000", "name": "Gone"}
        a.ad_sets({**unknown, "currency_code": "USD"})
    assert closed == [True]


def test_export_parquet_and_csv_round_trip_keeps_dtypes(
    ads: Ads, account: pd.Series, tmp_path: Path
) -> None:
    report = ads.report(account, fields=FIELDS, start=_day(ads, 4), end=_day(ads, 2))
    ad_sets = ads.ad_sets(account)
    for frame in (report, ad_sets):
        pd.testing.assert_frame_equal(
            pd.read_parquet(Ads.to_parquet(frame, tmp_path / "f.pq")), frame
        )
        pd.testing.assert_frame_equal(Ads.read_csv(Ads.to_csv(frame, tmp_path / "f.csv")), frame)


def test_b3_campaigns_of_many_accounts_side_by_side(ads: Ads) -> None:
    accounts = ads.ad_accounts()
    together = ads.campaigns(accounts)
    one_by_one = pd.concat([ads.campaigns(a) for a in accounts["id"]], ignore_index=True)
    pd.testing.assert_frame_equal(together, one_by_one)
    assert together["id"].is_unique


def test_b9_an_unknown_account_among_many_raises_and_the_client_stays_usable(ads: Ads) -> None:
    accounts = list(ads.ad_accounts()["id"][:2])
    with pytest.raises(NotFound):
        ads.campaigns([*accounts, "00000000-0000-4000-8000-000000000000"])
    assert len(ads.campaigns(accounts)) > 0


# -- every answer shape gives the same frames (B1, B3, B6) ----------------------------------------

# A fixed start far from an hour boundary: both sandboxes see the same "now" (B5 data up to now).
SHAPES_START = 1_780_000_000.0 - 1_780_000_000.0 % 3600 + 5


def _load_all(sb: Sandbox) -> dict[str, pd.DataFrame]:
    # page_size 7: every listing and report spans several pages, so paging decides the result.
    with Ads.from_token(
        sb.api_base_url, access_token(sb), pacing=False, progress=False, page_size=7
    ) as a:
        accounts = a.ad_accounts()
        account = accounts.iloc[0]
        out = {
            "businesses": a.businesses(),
            "ad_accounts": accounts,
            "ad_account": a.ad_account(account).to_frame().T.reset_index(drop=True),
            "campaigns": a.campaigns(account),
            "campaigns_many": a.campaigns(accounts),
            "ad_sets": a.ad_sets(account),
            "ads": a.ads(account),
        }
        for n in range(3):  # three report walks: each way a last page can end (B6)
            out[f"report_{n}"] = a.report(
                account, fields=FIELDS, start="2026-05-01", end="2026-05-12", include_parent=True
            )
        return out


def test_b1_b3_b6_loaders_give_equal_frames_under_every_answer_shape() -> None:
    """B1/B3/B6: spec paging and the published all-zero paging, report walks ending in a null,
    absent or empty token: the same complete frames."""
    from adstudio_nb.sandbox import SHAPES
    from adstudio_nb.sandbox.clock import SandboxClock

    loaded = {}
    for shape in SHAPES:
        with Sandbox(
            seed=0, rate_limits="off", shapes=shape, clock=SandboxClock(start=SHAPES_START)
        ) as sb:
            loaded[shape] = _load_all(sb)
    spec, *others = SHAPES
    for shape in others:
        for name, frame in loaded[spec].items():
            assert len(frame) > 0, name
            pd.testing.assert_frame_equal(loaded[shape][name], frame, obj=f"{name} ({shape})")
    assert len(loaded[spec]["campaigns"]) > 7  # more than one page


# -- dates and bad arguments (B5) ----------------------------------------------------------------


def test_b5_report_parses_and_writes_each_date_once(
    ads: Ads, account: pd.Series, monkeypatch: pytest.MonkeyPatch
) -> None:
    """B5: a report's start and end are read once and written once on their way to Spotify."""
    import adstudio_nb.paging as paging

    parsed: list[Any] = []
    written: list[Any] = []
    real_parse, real_iso = paging.parse_utc, paging._iso

    def parse(value: Any) -> Any:
        if value is not None:
            parsed.append(value)
        return real_parse(value)

    def iso(dt: Any) -> str:
        written.append(dt)
        return real_iso(dt)

    for module in (paging, ads_module):  # wherever the layers look the helpers up
        if hasattr(module, "parse_utc"):
            monkeypatch.setattr(module, "parse_utc", parse)
    monkeypatch.setattr(paging, "_iso", iso)
    start, end = pd.Timestamp("2026-05-01"), "2026-05-02T00:00:00Z"
    df = ads.report(account, fields=["CLICKS"], start=start, end=end, granularity="LIFETIME")
    assert len(df) > 0
    assert parsed == [start, end]
    assert len(written) == 2


@pytest.mark.parametrize("bad", ["last tuesday", "2026-13-01", 20260501, "2026-05-02T00:00:00Q"])
def test_b5_a_date_that_is_not_one_is_a_typed_error(ads: Ads, account: pd.Series, bad: Any) -> None:
    """B5: a start that is not a date says so in a sentence, as an AdStudioError."""
    with pytest.raises(AdStudioError) as caught:
        ads.report(account, fields=["CLICKS"], start=bad, end="2026-05-02")
    assert isinstance(caught.value, ValueError)
    message = str(caught.value)
    assert repr(bad) in message and "ISO 8601" in message, message


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"start": "2026-05-03", "end": "2026-05-01"}, "before its start"),
        ({"granularity": "WEEK"}, "LIFETIME, DAY or HOUR"),
        ({"granularity": "LIFETIME", "start": "2026-01-01", "end": "2026-06-01"}, "90 days"),
    ],
)
def test_b5_a_report_spotify_would_refuse_is_a_typed_error(
    ads: Ads, account: pd.Series, options: dict[str, Any], words: str
) -> None:
    with pytest.raises(AdStudioError, match=words):
        ads.report(account, fields=["CLICKS"], **options)


def test_b8_totals_over_more_than_50_ids_is_a_typed_error(ads: Ads, account: pd.Series) -> None:
    with pytest.raises(AdStudioError, match="1 to 50"):
        ads.totals(account, [f"id-{n}" for n in range(51)])
    with pytest.raises(AdStudioError, match="ad account"):
        ads.campaigns(42)


# -- across accounts: one account, a list, or the accounts frame (B1-B5) --------------------------


@pytest.fixture(scope="module")
def accounts(ads: Ads) -> pd.DataFrame:
    return ads.ad_accounts()


def _three_in_two_currencies(accounts: pd.DataFrame) -> pd.DataFrame:
    """Two EUR accounts of two businesses and one USD account of the seeded demo data."""
    eur = accounts[accounts["currency_code"] == "EUR"].drop_duplicates("business_id").iloc[:2]
    usd = accounts[accounts["currency_code"] == "USD"].iloc[:1]
    picked = pd.concat([usd, eur])
    assert len(picked) == 3 and picked["currency_code"].nunique() == 2
    return picked


def test_b5_report_across_three_accounts_in_two_currencies(
    ads: Ads, accounts: pd.DataFrame
) -> None:
    """B5/B7: one report over three accounts in USD and EUR: each row says its account and
    currency, the rows equal the accounts' own reports, and spend sums per currency."""
    picked = _three_in_two_currencies(accounts)
    options: dict[str, Any] = {"fields": FIELDS, "start": _day(ads, 6), "end": _day(ads, 2)}
    together = ads.report(picked, **options)
    assert list(together.columns[:3]) == ["ad_account_id", "ad_account_name", "currency_code"]
    assert list(together["ad_account_id"].unique()) == list(picked["id"])  # the accounts' order
    for _, account in picked.iterrows():
        rows = together[together["ad_account_id"] == account["id"]].reset_index(drop=True)
        assert len(rows) > 0
        assert set(rows["currency_code"]) == {account["currency_code"]}
        assert set(rows["ad_account_name"]) == {account["name"]}
        alone = ads.report(account["id"], **options)  # an id alone: name and currency looked up
        pd.testing.assert_frame_equal(rows, alone)
    by_currency = ads_module.sum_by_currency(together)
    assert sorted(by_currency["currency_code"]) == ["EUR", "USD"]
    eur = together[together["currency_code"] == "EUR"]["spend"].sum()
    got = by_currency.set_index("currency_code").loc["EUR", "spend"]
    assert got == pytest.approx(eur)
    assert "ctr" not in by_currency.columns  # a rate does not add up
    with pytest.raises(AdStudioError, match="do not add up"):
        ads_module.sum_by_currency(together, metrics=["ctr"])


def test_report_of_the_accounts_frame_itself(ads: Ads, accounts: pd.DataFrame) -> None:
    """ads.report(ads.ad_accounts(), ...) once raised pandas' "truth value of a Series is
    ambiguous": now it is the report of every account, each row with its currency."""
    report = ads.report(
        accounts,
        fields=["IMPRESSIONS", "SPEND"],
        granularity="LIFETIME",
        start=_day(ads, 8),
        end=_day(ads, 1),
        level="CAMPAIGN",
    )
    assert set(report["ad_account_id"]) == set(accounts["id"])
    currency = dict(zip(accounts["id"], accounts["currency_code"], strict=True))
    assert (report["currency_code"] == report["ad_account_id"].map(currency)).all()


@pytest.mark.parametrize("method", ["campaigns", "ad_sets", "ads"])
def test_b3_every_listing_of_several_accounts_says_whose_rows(
    ads: Ads, accounts: pd.DataFrame, method: str
) -> None:
    picked = _three_in_two_currencies(accounts)
    for given in (picked, list(picked["id"]), picked["id"], [r for _, r in picked.iterrows()]):
        frame = getattr(ads, method)(given)
        assert list(frame["ad_account_id"].unique()) == list(picked["id"])
        expected = frame["ad_account_id"].map(dict(zip(picked["id"], picked["name"], strict=True)))
        assert (frame["ad_account_name"] == expected).all()
        assert frame["currency_code"].notna().all()
        assert str(frame["ad_account_name"].dtype) == "string"


def test_a_listing_asked_of_the_class_is_a_sentence(accounts: pd.DataFrame) -> None:
    """Ads.campaigns(accounts) (on the class, not a connected Ads) once raised a bare
    TypeError about a missing argument; now it says how to call it."""
    with pytest.raises(InvalidArgument, match=r"ads = adstudio_nb.connect\(\)") as caught:
        Ads.campaigns(accounts)
    assert isinstance(caught.value, ValueError)
    with pytest.raises(InvalidArgument, match="connected Ads"):
        Ads.report(accounts, fields=["CLICKS"])


@pytest.mark.parametrize(
    ("given", "words"),
    [
        (42, "int is none of these"),
        (None, "NoneType is none of these"),
        ([], "No ad account given"),
        ("", "id is empty"),
        (["27a7f345", 42], "a int is none of these"),
        (pd.DataFrame({"name": ["x"]}), "no 'id' column"),
        ({"name": "no id"}, "has no id"),
    ],
)
def test_an_account_of_an_unknown_kind_is_a_sentence(ads: Ads, given: Any, words: str) -> None:
    with pytest.raises(InvalidArgument, match=words) as caught:
        ads.campaigns(given)
    message = str(caught.value)
    assert message.endswith(".") and "Traceback" not in message


def test_an_empty_accounts_frame_is_a_sentence(ads: Ads, accounts: pd.DataFrame) -> None:
    """A user without an ad account (or a filter that matched none) gets a sentence."""
    for call in (ads.campaigns, ads.report):
        with pytest.raises(InvalidArgument, match="accounts frame is empty"):
            call(accounts.iloc[:0])


def test_an_id_alone_is_looked_up_once_and_the_same_account_twice_counts_once(
    shared_sandbox: Sandbox, accounts: pd.DataFrame
) -> None:
    with Ads.from_token(
        shared_sandbox.api_base_url, access_token(shared_sandbox), pacing=False, progress=False
    ) as fresh:
        ident = accounts["id"].iloc[0]
        first = fresh.campaigns(ident)
        after_first = fresh.client.stats.snapshot()["requests"]
        twice = fresh.campaigns([ident, ident])
        requests = fresh.client.stats.snapshot()["requests"] - after_first
    pd.testing.assert_frame_equal(first, twice)
    assert set(first["ad_account_name"]) == {accounts["name"].iloc[0]}
    pages = -(-len(first) // 50)
    assert requests == pages  # no second look-up of the account


def test_b8_totals_carry_the_account_and_refuse_several(ads: Ads, account: pd.Series) -> None:
    ids = list(ads.ad_sets(account)["id"][:3])
    totals = ads.totals(account, ids, start=_day(ads, 5), end=_day(ads, 2))
    assert totals.loc[0, "currency_code"] == account["currency_code"]
    with pytest.raises(InvalidArgument, match="one ad account"):
        ads.totals(ads.ad_accounts().iloc[:2], ids)


# -- waits you can see (B11) ----------------------------------------------------------------------


class _VirtualTime:
    """A clock and a sleep for a client: sleeping moves the clock, nobody waits."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def clock(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            self.now += seconds


def test_b11_a_12_s_wait_for_the_reporting_limit_is_said_with_its_reason(
    shared_sandbox: Sandbox, accounts: pd.DataFrame, capsys: pytest.CaptureFixture[str]
) -> None:
    """B11: with one reporting request per 12 s window, the second report request waits 12 s;
    the wait reaches on_wait, the log and the progress bar, with its reason."""
    time = _VirtualTime()
    notices: list[WaitNotice] = []
    with Ads.from_token(
        shared_sandbox.api_base_url,
        access_token(shared_sandbox),
        rate_limits=RateLimitPolicy(window_s=12, reporting_limit=1),
        clock=time.clock,
        sleep=time.sleep,
        max_workers=1,
        progress=True,
        on_wait=notices.append,
    ) as a:
        report = a.report(
            accounts.iloc[:2],
            fields=["CLICKS"],
            granularity="LIFETIME",
            start=_day(a, 3),
            end=_day(a, 1),
            level="AD_ACCOUNT",
        )
    assert len(report) == 2
    assert notices == [WaitNotice(12.0, "Spotify's reporting limit")]
    assert notices[0].message == "waiting 12 s for Spotify's reporting limit"
    assert time.slept == [12.0]
    assert "waiting 12 s for Spotify's reporting limit" in capsys.readouterr().err  # the bar


def _server(answers: list[tuple[int, dict[str, str], bytes]]) -> tuple[HTTPServer, str]:
    """A real HTTP server on 127.0.0.1 that gives ``answers`` in turn (the last one again)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, headers, body = answers.pop(0) if len(answers) > 1 else answers[0]
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}/v3"


def test_b11_a_429s_wait_is_said_and_a_short_backoff_is_not() -> None:
    """B11: a 429 asking for 12 s is said as such; a quarter-second backoff after a 503 is not
    worth a word (under a second)."""
    error = b'{"sp_trace_id": "t", "messages": ["no"]}'
    server, url = _server(
        [
            (429, {"Retry-After": "12"}, error),
            (503, {}, error),
            (200, {}, b'{"businesses": []}'),
        ]
    )
    time = _VirtualTime()
    notices: list[WaitNotice] = []
    said: list[tuple[float, str]] = []
    try:
        client = AdsClient(url, StaticToken("t"), clock=time.clock, sleep=time.sleep, seed=1)
        client.on_wait = lambda s, why: said.append((s, why))
        with Ads(client, on_wait=notices.append) as a:
            assert a.businesses().empty
    finally:
        server.shutdown()
        server.server_close()
    assert [reason for _, reason in said] == [WAIT_REASONS["429"], WAIT_REASONS["5xx"]]
    assert notices == [WaitNotice(12.0, WAIT_REASONS["429"])]
    assert notices[0].message == (
        "waiting 12 s for Spotify's rate limit (it answered: too many requests)"
    )


def test_progress_bars_show_in_a_notebook_only(
    shared_sandbox: Sandbox, account: pd.Series, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Progress bars by default: on in a Jupyter kernel, off in a terminal or a test run."""
    made: list[bool] = []
    original = ads_module._Progress.__init__

    def spy(self: Any, enabled: bool, *args: Any, **kwargs: Any) -> None:
        made.append(enabled)
        original(self, False, *args, **kwargs)  # no real bar in the test's output

    monkeypatch.setattr(ads_module._Progress, "__init__", spy)
    with Ads.from_token(shared_sandbox.api_base_url, access_token(shared_sandbox)) as a:
        assert a.progress is None and not ads_module.in_notebook()
        a.campaigns(account)
        monkeypatch.setattr(ads_module, "in_notebook", lambda: True)
        a.campaigns(account)
        with a.watch(bars=False):  # a panel that shows its own progress
            a.campaigns(account)
    assert made == [False, True, False]
