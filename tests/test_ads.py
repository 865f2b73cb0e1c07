"""The notebook layer against the sandbox: every loader gives a typed frame (B1-B8), accounts
are accepted as id or row, progress bars close on error, exports keep dtypes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from adstudio_nb import ads as ads_module
from adstudio_nb import frames
from adstudio_nb.ads import Ads, account_id
from adstudio_nb.exceptions import AdStudioError, NotFound, UnprocessableReport
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
