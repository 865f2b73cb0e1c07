"""The read surface over the sandbox: every spec GET reachable, each new frame typed and complete.

Frames are checked for their columns and dtypes (the spec's constants of ``frames``), for
holding exactly what the sandbox holds (counted in the sandbox's own data, not through the
client), and for keeping columns and dtypes when empty. Ad set targets and frequency caps
are flattened (B2), insight frames keep the dimension and ``summary_totals`` (B8), and the
raw call pages (B3, B6), is retried on a 429 (B11) and types its errors (B9). The spec's GET
operations are read from ``../shared/spotify-ads-v3/openapi.yaml``: each must be wrapped by
a named ``Ads`` method or listed as reachable through the raw call, and README's table "What
the toolkit wraps" must be the one generated from that list.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
import yaml

from adstudio_nb import endpoints, frames
from adstudio_nb.ads import ACCOUNT_COLUMNS, Ads
from adstudio_nb.exceptions import APIError, BadRequest, InvalidArgument, NotFound
from adstudio_nb.sandbox import FaultPlan, Sandbox
from tests.conftest import REPO_ROOT, SHARED
from tests.helpers import access_token

SPEC_PATH = SHARED / "spotify-ads-v3" / "openapi.yaml"
ZERO_UUID = "00000000-0000-4000-8000-000000000000"


@pytest.fixture(scope="module")
def ads(shared_sandbox: Sandbox) -> Iterator[Ads]:
    with Ads.from_token(
        shared_sandbox.api_base_url, access_token(shared_sandbox), pacing=False, progress=False
    ) as a:
        yield a


@pytest.fixture(scope="module")
def small_pages(shared_sandbox: Sandbox) -> Iterator[Ads]:
    """Pages of 5: every listing of the sandbox spans several pages."""
    with Ads.from_token(
        shared_sandbox.api_base_url,
        access_token(shared_sandbox),
        pacing=False,
        progress=False,
        page_size=5,
    ) as a:
        yield a


@pytest.fixture(scope="module")
def accounts(ads: Ads) -> pd.DataFrame:
    return ads.ad_accounts()


@pytest.fixture(scope="module")
def account(accounts: pd.DataFrame) -> pd.Series:
    return accounts.iloc[0]


def _names(spec: tuple[frames.Column, ...], *, account_columns: bool = True) -> list[str]:
    names = [c.name for c in spec]
    if account_columns and "ad_account_id" in names:
        at = names.index("ad_account_id") + 1
        extra = [c for c in ACCOUNT_COLUMNS if c not in names]
        names[at:at] = extra
    return names


def _typed_like(frame: pd.DataFrame, spec: tuple[frames.Column, ...]) -> None:
    """Assert every spec column of ``frame`` has the spec's dtype."""
    empty = frames.objects_frame([], spec)
    for column in spec:
        assert str(frame[column.name].dtype) == str(empty[column.name].dtype) or isinstance(
            frame[column.name].dtype, pd.CategoricalDtype
        ), column.name


def _sandbox_account(sandbox: Sandbox, account: pd.Series) -> Any:
    found = sandbox.data.ad_account(str(account["id"]))
    assert found is not None
    return found


# -- listings of an ad account (B2, B3) -------------------------------------------------------


LISTINGS = [
    ("assets", frames.ASSET_COLUMNS, lambda sb, a: sb.data.assets(a.id)),
    ("audiences", frames.AUDIENCE_COLUMNS, lambda sb, a: sb.data.audiences.of(a)),
    (
        "campaign_drafts",
        frames.CAMPAIGN_DRAFT_COLUMNS,
        lambda sb, a: sb.data.drafts.campaigns(a.id),
    ),
    ("ad_set_drafts", frames.AD_SET_DRAFT_COLUMNS, lambda sb, a: sb.data.drafts.ad_sets(a.id)),
    ("ad_drafts", frames.AD_DRAFT_COLUMNS, lambda sb, a: sb.data.drafts.ads(a.id)),
    (
        "ad_account_members",
        frames.AD_ACCOUNT_MEMBER_COLUMNS,
        lambda sb, a: sb.data.people.account_members(a),
    ),
]


@pytest.mark.parametrize(("method", "spec", "held"), LISTINGS, ids=[x[0] for x in LISTINGS])
def test_b3_each_account_listing_is_a_typed_frame_of_every_object_the_sandbox_holds(
    shared_sandbox: Sandbox, small_pages: Ads, account: pd.Series, method: str, spec: Any, held: Any
) -> None:
    """B3: pages of 5 walked to the end: one row per object the sandbox holds, typed."""
    frame = getattr(small_pages, method)(account)
    assert list(frame.columns) == _names(spec)
    _typed_like(frame, spec)
    expected = held(shared_sandbox, _sandbox_account(shared_sandbox, account))
    assert len(frame) == len(expected) > 0
    if "id" in frame.columns:
        assert set(frame["id"]) == {x.id for x in expected}
    assert (frame["ad_account_id"] == account["id"]).all()
    assert (frame["ad_account_name"] == account["name"]).all()


def test_b2_assets_of_each_type_carry_their_own_columns(ads: Ads, account: pd.Series) -> None:
    """B2: image, audio and video assets in one frame; another type's columns are NA."""
    assets = ads.assets(account)
    by_type = {t: assets[assets["asset_type"] == t] for t in ("IMAGE", "AUDIO", "VIDEO")}
    assert all(len(part) for part in by_type.values())
    assert by_type["IMAGE"][["width", "height", "aspect_ratio"]].notna().all().all()
    assert by_type["IMAGE"][["duration_ms", "audio_type", "has_audio"]].isna().all().all()
    assert by_type["AUDIO"][["duration_ms", "audio_type"]].notna().all().all()
    assert by_type["AUDIO"][["width", "aspect_ratio"]].isna().all().all()
    assert by_type["VIDEO"][["duration_ms", "width", "has_audio"]].notna().all().all()
    only_images = ads.assets(account, asset_types=["IMAGE"])
    assert len(only_images) == len(by_type["IMAGE"])


def test_b3_change_history_is_one_row_per_field_change_oldest_first(
    shared_sandbox: Sandbox, small_pages: Ads, account: pd.Series
) -> None:
    """B3: every change the sandbox holds (across many pages), each field change a row."""
    history = small_pages.change_history(account)
    assert list(history.columns) == _names(frames.CHANGE_HISTORY_COLUMNS)
    _typed_like(history, frames.CHANGE_HISTORY_COLUMNS)
    acct = _sandbox_account(shared_sandbox, account)
    rows = shared_sandbox.data.history.rows(acct, shared_sandbox.clock.now())
    assert history["change_id"].nunique() == len(rows) > 50
    expected = sum(max(1, len(r.to_json(show_email=True).get("changes") or [])) for r in rows)
    assert len(history) == expected
    assert history["timestamp"].is_monotonic_increasing
    assert str(history["timestamp"].dtype) == "datetime64[ns, UTC]"


def test_b3_a_listing_of_several_accounts_holds_each_accounts_rows(
    shared_sandbox: Sandbox, ads: Ads, accounts: pd.DataFrame
) -> None:
    """B3: the accounts frame itself: each account's assets, in the accounts' order."""
    frame = ads.assets(accounts)
    expected = [len(shared_sandbox.data.assets(a)) for a in accounts["id"]]
    assert frame.groupby("ad_account_id", sort=False).size().tolist() == [n for n in expected if n]
    assert len(frame) == sum(expected)


def test_b3_an_empty_listing_keeps_columns_and_dtypes(ads: Ads, account: pd.Series) -> None:
    """B3: a filter that matches nothing gives the typed, empty frame."""
    empty = ads.assets(account, name="no asset is called this")
    full = ads.assets(account)
    assert len(empty) == 0
    assert list(empty.columns) == list(full.columns)
    assert empty.dtypes.astype(str).tolist() == full.dtypes.astype(str).tolist()
    history = ads.change_history(account, created_gte="2100-01-01T00:00:00Z")
    assert len(history) == 0 and list(history.columns) == _names(frames.CHANGE_HISTORY_COLUMNS)


@pytest.mark.parametrize(
    ("method", "spec", "key"),
    [
        ("campaign", frames.CAMPAIGN_COLUMNS, "campaigns"),
        ("ad_set", frames.AD_SET_COLUMNS, "ad_sets"),
        ("ad", frames.AD_COLUMNS, "ads"),
        ("asset", frames.ASSET_COLUMNS, "assets"),
        ("audience", frames.AUDIENCE_COLUMNS, "audiences"),
    ],
)
def test_b2_one_object_by_id_is_a_row_and_an_unknown_id_is_not_found(
    ads: Ads, account: pd.Series, method: str, spec: Any, key: str
) -> None:
    """B2, B9: one object as a typed row; an id that names nothing is NotFound."""
    first = ads.raw("GET", f"/ad_accounts/{account['id']}/{key}", {"limit": 1})[0]
    row = getattr(ads, method)(account, first["id"])
    assert row["id"] == first["id"] and list(row.index) == _names(spec)
    with pytest.raises(NotFound):
        getattr(ads, method)(account, ZERO_UUID)


# -- businesses: members, invitations, measurement ---------------------------------------------


def test_business_members_and_invitations_are_what_the_sandbox_holds(
    shared_sandbox: Sandbox, ads: Ads
) -> None:
    """Members of every business, and the invitations of the one the demo user administers."""
    businesses = ads.businesses()
    members = ads.business_members()
    assert list(members.columns) == _names(frames.BUSINESS_MEMBER_COLUMNS)
    _typed_like(members, frames.BUSINESS_MEMBER_COLUMNS)
    for business_id in businesses["id"]:
        business = shared_sandbox.data.business(business_id)
        people = shared_sandbox.data.people
        visible = (
            people.members(business)
            if people.is_admin("alex.analyst", business)
            else people.accepted(business)
        )
        assert (members["business_id"] == business_id).sum() == len(visible)
    admin = next(
        b
        for b in businesses["id"]
        if shared_sandbox.data.people.is_admin("alex.analyst", shared_sandbox.data.business(b))
    )
    invitations = ads.invitations(admin)
    pending = shared_sandbox.data.people.pending(shared_sandbox.data.business(admin))
    assert invitations["business_invitation_id"].nunique() == len(pending) > 0
    grants = sum(max(1, len(p.to_invitation_json()["ad_account_invitations"])) for p in pending)
    assert len(invitations) == grants
    assert ads.business(admin)["id"] == admin


def test_measurement_frames_hold_each_businesses_datasets_pixels_and_apps(
    shared_sandbox: Sandbox, small_pages: Ads
) -> None:
    """Datasets, pixels (paged by offset, B3) and mobile apps of every business, typed."""
    businesses = small_pages.businesses()
    datasets = small_pages.datasets(businesses)
    pixels = small_pages.pixels(businesses)
    apps = small_pages.mobile_apps(businesses)
    measurement = shared_sandbox.data.measurement
    held = [shared_sandbox.data.business(b) for b in businesses["id"]]
    assert len(datasets) == sum(len(measurement.datasets(b)) for b in held) > 0
    assert len(apps) == sum(len(measurement.mobile_apps(b)) for b in held) > 0
    assert len(pixels) == len(datasets)  # each generated dataset has its pixel
    for frame, spec in [
        (datasets, frames.DATASET_COLUMNS),
        (pixels, frames.PIXEL_COLUMNS),
        (apps, frames.MOBILE_APP_COLUMNS),
    ]:
        assert list(frame.columns) == [c.name for c in spec]
        _typed_like(frame, spec)


def test_a_business_that_is_not_one_is_a_typed_error(ads: Ads) -> None:
    with pytest.raises(InvalidArgument, match="business"):
        ads.business_members(42)
    with pytest.raises(InvalidArgument, match="one business"):
        ads.business(["a", "b"])


# -- lookups -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "query", "spec"),
    [
        ("artists", {"q": "a"}, frames.IMAGE_TARGET_COLUMNS),
        ("genres", {}, frames.TARGET_COLUMNS),
        ("geos", {"country_code": "US"}, frames.GEO_TARGET_COLUMNS),
        ("interests", {}, frames.INTEREST_TARGET_COLUMNS),
        ("languages", {}, frames.TARGET_COLUMNS),
        ("playlists", {}, frames.TARGET_COLUMNS),
        ("episode_topics", {}, frames.TARGET_COLUMNS),
        ("sensitive_topics", {}, frames.TARGET_COLUMNS),
    ],
)
def test_each_targeting_lookup_is_a_typed_frame_of_its_catalogue(
    small_pages: Ads, kind: str, query: dict[str, Any], spec: Any
) -> None:
    """Every /targets lookup: the whole catalogue (geos paged by 5), then one entry by id."""
    from adstudio_nb.sandbox.data.catalog import GEOS, TARGET_TABLES

    frame = small_pages.targets(kind, **query)
    assert list(frame.columns) == [c.name for c in spec]
    _typed_like(frame, spec)
    if kind == "geos":
        assert len(frame) == len([g for g in GEOS if g.country_code == "US"]) > 5
    elif kind == "interests":
        table = TARGET_TABLES[kind]
        assert len(frame) == len(table) + sum(len(t.subtargets) for t in table)
        assert frame["parent_id"].notna().sum() == sum(len(t.subtargets) for t in table)
    elif kind != "artists":
        assert len(frame) == len(TARGET_TABLES[kind])
    one = small_pages.targets(kind, ids=[frame["id"].iloc[0]])
    assert one["id"].iloc[0] == frame["id"].iloc[0]
    empty = small_pages.targets(kind, ids=["no-such-id"])
    assert (
        len(empty) == 0 and empty.dtypes.astype(str).tolist() == frame.dtypes.astype(str).tolist()
    )


def test_podcast_shows_and_ad_categories(ads: Ads) -> None:
    from adstudio_nb.sandbox.data.catalog import AD_CATEGORIES

    shows = ads.podcast_shows(market="US", q="a")
    assert list(shows.columns) == [c.name for c in frames.IMAGE_TARGET_COLUMNS] and len(shows)
    assert shows["image_url"].notna().all() and str(shows["image_width"].dtype) == "Int64"
    categories = ads.ad_categories()
    assert len(categories) == len(AD_CATEGORIES)
    assert list(categories.columns) == ["id", "name", "parent_category"]
    with pytest.raises(InvalidArgument, match="keyword or id"):
        ads.podcast_shows(market="US")
    with pytest.raises(InvalidArgument, match="keyword or id"):
        ads.targets("artists")
    with pytest.raises(InvalidArgument, match="no 'moods'"):
        ads.targets("moods")


# -- ad set targets and frequency caps flattened (B2) -------------------------------------------


def test_b2_ad_set_targets_are_a_long_frame_with_names_looked_up(
    shared_sandbox: Sandbox, ads: Ads, account: pd.Series
) -> None:
    """B2: one row per ad set and targeted value; genres, audiences and countries named."""
    targets = ads.ad_set_targets(account)
    assert list(targets.columns) == _names(frames.AD_SET_TARGET_COLUMNS)
    _typed_like(targets, frames.AD_SET_TARGET_COLUMNS)
    held = shared_sandbox.data.ad_sets(str(account["id"]))
    assert set(targets["ad_set_id"]) == {s.id for s in held}
    for ad_set in held[:20]:
        mine = targets[targets["ad_set_id"] == ad_set.id]
        genres = set(mine.loc[mine["target_type"] == "GENRE", "value_id"])
        assert genres == set(ad_set.targets.get("genre_ids", []))
        audiences = set(mine.loc[mine["target_type"] == "AUDIENCE", "value_id"])
        assert audiences == set(ad_set.targets.get("audience_ids", []))
        genders = mine.loc[mine["target_type"] == "GENDER", "value_id"].tolist()
        assert genders == ad_set.targets["genders"]
        age = mine[mine["target_type"] == "AGE_RANGE"].iloc[0]
        assert age["value_min"] == ad_set.targets["age_ranges"][0]["min"]
    named = targets[targets["target_type"].isin(["GENRE", "AUDIENCE", "COUNTRY", "INTEREST"])]
    assert len(named) and named["value_name"].notna().all()
    unnamed = ads.ad_set_targets(account, names=False)
    assert unnamed["value_name"].isna().all() and len(unnamed) == len(targets)


def test_b2_frequency_caps_are_columns_one_pair_per_unit(
    shared_sandbox: Sandbox, ads: Ads, account: pd.Series
) -> None:
    """B2: DAY and WEEK caps as columns; no MONTH cap is NA."""
    ad_sets = ads.ad_sets(account)
    assert str(ad_sets["frequency_cap_day_impressions"].dtype) == "Int64"
    held = {s.id: s.to_json()["frequency_caps"] for s in shared_sandbox.data.ad_sets(account["id"])}
    for _, row in ad_sets.head(10).iterrows():
        caps = {c["frequency_unit"]: c for c in held[row["id"]]}
        assert row["frequency_cap_day_impressions"] == caps["DAY"]["max_impressions"]
        assert row["frequency_cap_week_period"] == caps["WEEK"]["frequency_period"]
        assert pd.isna(row["frequency_cap_month_impressions"])


def test_b2_two_caps_of_one_unit_are_loud_and_the_long_frame_keeps_both() -> None:
    ad_set = {
        "id": "a",
        "frequency_caps": [
            {"frequency_unit": "DAY", "frequency_period": 1, "max_impressions": 3},
            {"frequency_unit": "DAY", "frequency_period": 7, "max_impressions": 10},
        ],
    }
    with pytest.raises(APIError, match="more than one frequency cap per DAY"):
        frames.ad_sets_frame([ad_set])
    caps = frames.ad_set_frequency_caps_frame([ad_set])
    assert caps["max_impressions"].tolist() == [3, 10]


# -- insights keep the dimension and the summary totals (B8) ------------------------------------


def test_b8_insight_frames_keep_the_dimension_and_summary_totals(
    ads: Ads, account: pd.Series
) -> None:
    fields = ["IMPRESSIONS", "CLICKS", "REACH"]
    age = ads.insights(account, "AGE", fields=fields)
    platform = ads.insights(account, "PLATFORM", fields=fields)
    assert (age["dimension"] == "AGE").all() and (platform["dimension"] == "PLATFORM").all()
    both = pd.concat([age, platform], ignore_index=True)
    assert set(both["dimension"]) == {"AGE", "PLATFORM"}
    totals = age.attrs["summary_totals"]
    assert set(totals) == {"impressions", "clicks", "reach"}
    assert totals["impressions"] == age["impressions"].sum()  # impressions add up
    assert isinstance(totals["reach"], int)


def test_b8_an_empty_insight_report_keeps_the_dimension_column() -> None:
    body = {"insight": "AGE", "rows": [], "summary_totals": []}
    empty = frames.insights_frame(body, ["IMPRESSIONS"])
    assert list(empty.columns)[3] == "dimension" and len(empty) == 0
    assert isinstance(empty["dimension"].dtype, pd.CategoricalDtype)
    assert empty.attrs["summary_totals"] == {}


# -- the raw call -------------------------------------------------------------------------------


def test_b3_raw_follows_offset_paging_across_pages(
    shared_sandbox: Sandbox, ads: Ads, account: pd.Series
) -> None:
    """B3: 7 per page, every campaign once, in order."""
    campaigns = ads.raw("GET", f"/ad_accounts/{account['id']}/campaigns", {"limit": 7})
    held = shared_sandbox.data.campaigns(str(account["id"]))
    assert len(held) > 7 * 3
    assert sorted(c["id"] for c in campaigns) == sorted(c.id for c in held)


def test_b6_raw_follows_continuation_tokens(ads: Ads, account: pd.Series) -> None:
    """B6: a report paged by 5 rows comes back whole: the same rows as one big page."""
    params = {"entity_type": "AD", "fields": ["IMPRESSIONS"], "granularity": "LIFETIME"}
    path = f"/ad_accounts/{account['id']}/aggregate_reports"
    paged = ads.raw("GET", path, {**params, "limit": 5})
    assert len(paged) > 10
    whole = ads.raw("GET", path, {**params, "limit": 50})
    assert sorted(r["entity_id"] for r in paged) == sorted(r["entity_id"] for r in whole)


def test_raw_gives_an_answer_that_does_not_page_as_it_came(ads: Ads, account: pd.Series) -> None:
    body = ads.raw("GET", f"/ad_accounts/{account['id']}/experiment_availability")
    assert body["ad_account_id"] == account["id"]
    members = ads.raw("GET", f"/businesses/{account['business_id']}/members")
    assert isinstance(members, list) and all("member_id" in m for m in members)


def test_b9_raw_errors_are_typed_and_bad_paths_refused(ads: Ads, account: pd.Series) -> None:
    with pytest.raises(NotFound) as found:
        ads.raw("GET", f"/ad_accounts/{ZERO_UUID}/change_history")
    assert found.value.trace_id
    with pytest.raises(BadRequest):
        ads.raw("GET", "/targets/geos")  # Spotify wants at least one filter
    for path in ("https://example.com/x", "//example.com/x", "/ad_accounts/{id}/x", "/a?b=c"):
        with pytest.raises(InvalidArgument):
            ads.raw("GET", path)


def test_b11_raw_is_retried_past_429s_and_gives_the_same_items() -> None:
    """B11: with a third of the requests answered 429, every page still arrives, unwaited."""
    plan = FaultPlan(rate=0.3, kinds=("429",), seed=5)
    with Sandbox(seed=0, rate_limits="off") as sb:
        token = access_token(sb)
        with Ads.from_token(sb.api_base_url, token, pacing=False, progress=False) as calm:
            account = calm.ad_accounts().iloc[0]
            path = f"/ad_accounts/{account['id']}/change_history"
            expected = calm.raw("GET", path, {"limit": 10})
        sb.faults = plan
        waits: list[float] = []
        with Ads.from_token(
            sb.api_base_url, token, pacing=False, progress=False, sleep=waits.append
        ) as flaky:
            got = flaky.raw("GET", path, {"limit": 10})
    assert plan.injected.get("429", 0) >= 3
    assert len(waits) >= plan.injected["429"]
    assert got == expected


# -- every GET operation of the spec is reachable ----------------------------------------------


def _spec() -> dict[str, Any]:
    if not SPEC_PATH.exists():
        pytest.skip(f"Spotify's Ads API spec is not at {SPEC_PATH}; nothing to enumerate.")
    loaded: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    return loaded


def test_every_spec_get_operation_is_wrapped_or_listed_for_the_raw_call() -> None:
    """Each of the spec's GET operations is in GET_OPERATIONS, with its path, and an Ads
    method that exists or None (the raw call); nothing is listed that the spec lacks."""
    spec = _spec()
    in_spec = {
        item["get"]["operationId"]: path for path, item in spec["paths"].items() if "get" in item
    }
    listed = {op.operation_id: op for op in endpoints.GET_OPERATIONS}
    missing = sorted(set(in_spec) - set(listed))
    assert not missing, f"neither wrapped nor listed for the raw call: {missing}"
    assert not set(listed) - set(in_spec), "listed operations the spec does not have"
    assert len(endpoints.GET_OPERATIONS) == len(listed)
    for op_id, path in in_spec.items():
        op = listed[op_id]
        assert op.path == path, op_id
        if op.method is not None:
            assert callable(getattr(Ads, op.method, None)), f"{op_id}: no Ads.{op.method}"


def test_every_operation_listed_for_the_raw_call_answers_it(shared_sandbox: Sandbox) -> None:
    """The raw call reaches each operation no Ads method wraps (ids from the sandbox)."""
    from tests.sandbox.test_spec_operations import Api, Ids, _params, _path

    spec = _spec()
    operations = {
        item["get"]["operationId"]: item["get"] for item in spec["paths"].values() if "get" in item
    }
    ids = Ids(Api(shared_sandbox))
    with Ads.from_token(
        shared_sandbox.api_base_url, access_token(shared_sandbox), pacing=False, progress=False
    ) as ads:
        for op in endpoints.GET_OPERATIONS:
            if op.method is None:
                params = _params(op.operation_id, operations[op.operation_id], ids)
                answer = ads.raw("GET", _path(op.path, ids), params or None)
                assert answer, op.operation_id


def test_readme_table_of_what_the_toolkit_wraps_is_generated_from_the_code() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## What the toolkit wraps\n(.*?)(?=^## |\Z)", readme, re.S | re.M)
    assert section, "README has no section 'What the toolkit wraps'"
    assert endpoints.operations_markdown() in section.group(1), (
        "README's table differs from endpoints.operations_markdown(): paste its output"
    )
