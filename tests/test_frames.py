"""frames: payloads shaped like SPOTIFY_ADS.md sections B and C and the spec's examples
become typed frames; empty results keep columns and dtypes; the B7 sentinel is never summed."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest

from adstudio_nb import frames
from adstudio_nb.exceptions import APIError, MalformedPayload

# The spec's AggregateReportResponse example rows (B5), plus a conversion count (B7).
REPORT_PAGE = {
    "continuation_token": None,
    "granularity": "DAY",
    "rows": [
        {
            "entity_type": "AD_SET",
            "entity_id": "9a7b6c5d-4e3f-4b21-8c99-bf1c2a3d4e5f",
            "entity_name": "Ad Set 1",
            "entity_status": "ACTIVE",
            "start_time": f"2025-08-0{d}T00:00:00Z",
            "end_time": f"2025-08-0{d + 1}T00:00:00Z",
            "stats": [
                {"field_type": "IMPRESSIONS", "field_value": imp},
                {"field_type": "STREAMED_IMPRESSIONS", "field_value": imp},
                {"field_type": "CLICKS", "field_value": clicks},
                {"field_type": "SPEND", "field_value": spend},
                {"field_type": "LEADS", "field_value": leads},
            ],
        }
        for d, imp, clicks, spend, leads in [
            (1, 1920, 9, 17.482913, -5),
            (2, 1811, 14, 16.994382, 7),
            (3, 1888, 15, 17.112837, 0),
        ]
    ],
}
FIELDS = ["IMPRESSIONS", "STREAMED_IMPRESSIONS", "CLICKS", "SPEND", "LEADS"]


def test_b5_b7_report_pivots_stats_to_typed_metric_columns() -> None:
    df = frames.report_frame([REPORT_PAGE], FIELDS)
    assert list(df.columns) == [
        "entity_type",
        "entity_id",
        "entity_name",
        "entity_status",
        "start_time",
        "end_time",
        "impressions",
        "streamed_impressions",
        "clicks",
        "spend",
        "leads",
        "leads_suppressed",
    ]
    assert str(df["start_time"].dtype) == "datetime64[ns, UTC]"
    assert isinstance(df["entity_status"].dtype, pd.CategoricalDtype)
    assert str(df["impressions"].dtype) == "Int64" and str(df["spend"].dtype) == "Float64"
    assert df["clicks"].tolist() == [9, 14, 15]
    assert df["spend"].iloc[0] == pytest.approx(17.482913)  # B7: currency units, not micros
    assert df["start_time"].iloc[0] == pd.Timestamp("2025-08-01", tz="UTC")


def test_b7_privacy_sentinel_becomes_na_with_a_flag_and_is_never_summed() -> None:
    df = frames.report_frame([REPORT_PAGE], FIELDS)
    assert df["leads"].isna().tolist() == [True, False, False]
    assert df["leads_suppressed"].tolist() == [True, False, False]
    assert df["leads"].sum() == 7  # not 2 (7 - 5)
    assert str(df["leads_suppressed"].dtype) == "boolean"


def test_b5_raw_bytes_pages_and_unknown_fields_load() -> None:
    raw = json.dumps(REPORT_PAGE).encode()
    assert frames.report_frame([raw]).equals(frames.report_frame([REPORT_PAGE], FIELDS))


def test_b5_out_of_order_missing_and_null_stats_go_to_the_right_columns() -> None:
    rows = [
        {"entity_id": "a", "stats": [{"field_type": "CTR", "field_value": 0.5}]},
        {
            "entity_id": "b",
            "stats": [
                {"field_type": "CTR", "field_value": None},
                {"field_type": "CLICKS", "field_value": 3},
                {"field_type": "REACH", "field_value": 2},
            ],
        },
    ]
    df = frames.report_frame([{"rows": rows}], ["CLICKS", "CTR"])
    assert df["clicks"].tolist()[1] == 3 and pd.isna(df["clicks"].iloc[0])
    assert df["ctr"].iloc[0] == 0.5 and pd.isna(df["ctr"].iloc[1])
    assert df["reach"].isna().tolist() == [True, False]  # an extra metric still gets a column
    assert pd.isna(df["start_time"]).all()  # LIFETIME rows may lack times


@pytest.mark.parametrize("include_parent", [False, True])
def test_b5_empty_report_keeps_columns_and_dtypes(include_parent: bool) -> None:
    empty = frames.report_frame([{"rows": []}], FIELDS, include_parent=include_parent)
    full = frames.report_frame([REPORT_PAGE], FIELDS, include_parent=include_parent)
    assert len(empty) == 0
    assert list(empty.columns) == list(full.columns)
    assert empty.dtypes.astype(str).tolist() == full.dtypes.astype(str).tolist()
    assert empty.equals(frames.empty_report_frame(FIELDS, include_parent=include_parent))


def test_b5_sort_orders_by_entity_then_time_whatever_the_page_order() -> None:
    rows = REPORT_PAGE["rows"]
    other = [dict(r, entity_id="b", entity_name="B") for r in rows]
    shuffled = [{"rows": [other[2], rows[1]]}, {"rows": [rows[0], other[0], rows[2], other[1]]}]
    df = frames.report_frame(shuffled, FIELDS, sort=True)
    assert df["entity_id"].tolist()[:3] == ["b"] * 3
    assert df["start_time"].is_monotonic_increasing is False
    assert df.groupby("entity_id")["start_time"].apply(lambda s: s.is_monotonic_increasing).all()


def test_b8_insight_and_totals_examples() -> None:
    insight = {  # the spec's AudienceInsightResponse example
        "granularity": "LIFETIME",
        "entity": "AD_SET",
        "insight": "PLATFORM",
        "rows": [
            {
                "id": "7f4c1cc9-9a1d-4b65-b05c-46e5e33b6705",
                "name": "Ad Set One",
                "status": "ACTIVE",
                "insight_value": "IOS",
                "stats": [
                    {"field_type": "CLICKS", "field_value": 100},
                    {"field_type": "CTR", "field_value": 0.56},
                ],
            }
        ],
    }
    df = frames.insights_frame(insight, ["CLICKS", "CTR"])
    assert df.iloc[0][["entity_id", "insight_value", "clicks", "ctr"]].tolist() == [
        "7f4c1cc9-9a1d-4b65-b05c-46e5e33b6705",
        "IOS",
        100,
        0.56,
    ]
    totals = frames.totals_frame(
        {
            "granularity": "LIFETIME",
            "rows": [{"stats": [{"field_type": "REACH", "field_value": 9}]}],
        }
    )
    assert list(totals.columns) == ["start_time", "end_time", "reach"] and totals["reach"][0] == 9


def test_b1_b2_businesses_and_ad_accounts_with_billing_address_flattened() -> None:
    businesses = frames.businesses_frame(
        {
            "businesses": [
                {
                    "id": "b1",
                    "name": "My Ad Studio Business",
                    "status": "ACTIVE",
                    "type": "AGENCY",
                    "created_at": "2024-05-11T00:00:00Z",
                }
            ]
        }
    )
    assert businesses["type"].iloc[0] == "AGENCY" and pd.isna(businesses["updated_at"].iloc[0])
    accounts = frames.ad_accounts_frame(
        {
            "ad_accounts": [
                {
                    "id": "a1",
                    "business_id": "b1",
                    "name": "Nike SB",
                    "currency_code": "USD",
                    "country_code": "US",
                    "status": "GREY_LISTED",
                    "status_reason": "Billing information needs to be reviewed.",
                    "ad_account_role": "AD_ACCOUNT_ADMIN",
                    "billing_address": {
                        "name": "Entity_1",
                        "street": "123 Spotify Avenue",
                        "city": "Los Angeles",
                        "region": "California",
                        "postal_code": "90210",
                        "tax_region": "ES",
                    },
                }
            ],
            "paging": {"total_results": 1},  # an older doc sample pages this list (B1)
        }
    )
    row = accounts.iloc[0]
    assert (row["billing_city"], row["billing_postal_code"]) == ("Los Angeles", "90210")
    assert row["status"] == "GREY_LISTED" and str(accounts["billing_street"].dtype) == "string"


def test_c_v1_ad_accounts_payload_loads_onto_the_v3_columns() -> None:
    v1 = {
        "ad_accounts": [
            {
                "id": "a1",
                "organization_id": "o1",
                "name": "Old",
                "description": "d",
                "website": "https://x",
                "industry": "Retail",
                "tax_id": "T",
                "iso_country_code": "SE",
                "created_at": "2019-01-01T00:00:00Z",
                "last_modified": "2020-01-01T00:00:00Z",
            }
        ],
        "total_ad_accounts": 1,
    }
    df = frames.ad_accounts_frame(v1)
    assert list(df.columns) == [c.name for c in frames.AD_ACCOUNT_COLUMNS]
    assert df.iloc[0][["business_id", "country_code"]].tolist() == ["o1", "SE"]
    assert df["updated_at"].iloc[0] == pd.Timestamp("2020-01-01", tz="UTC")


def test_b2_ad_set_budget_in_micros_and_currency_units() -> None:
    ad_set = {
        "id": "s1",
        "campaign_id": "c1",
        "name": "Test Ad set",
        "status": "ACTIVE",
        "start_time": "2023-08-23T04:56:07Z",
        "end_time": "2023-08-26T04:56:07Z",
        "budget": {"micro_amount": 15000000, "type": "DAILY", "currency": "USD"},
        "bid_micro_amount": 2500000,
    }
    df = frames.ad_sets_frame(
        {"ad_sets": [ad_set], "paging": {"total_results": 1}}, ad_account_id="a"
    )
    row = df.iloc[0]
    assert row["budget_micros"] == 15_000_000 and row["budget_amount"] == 15.0
    assert row["currency_code"] == "USD" and row["ad_account_id"] == "a"
    assert str(df["budget_micros"].dtype) == "Int64" and str(df["budget_amount"].dtype) == "Float64"
    assert df["end_time"].iloc[0] == pd.Timestamp("2023-08-26T04:56:07Z")


def test_b2_unknown_enum_values_are_kept_not_lost() -> None:
    df = frames.campaigns_frame([{"id": "c", "status": "SOMETHING_NEW"}])
    assert df["status"].iloc[0] == "SOMETHING_NEW"


@pytest.mark.parametrize(
    ("loader", "spec"),
    [
        (frames.businesses_frame, frames.BUSINESS_COLUMNS),
        (frames.ad_accounts_frame, frames.AD_ACCOUNT_COLUMNS),
        (frames.campaigns_frame, frames.CAMPAIGN_COLUMNS),
        (frames.ad_sets_frame, frames.AD_SET_COLUMNS),
        (frames.ads_frame, frames.AD_COLUMNS),
    ],
)
def test_b3_empty_listings_keep_columns_and_dtypes(loader, spec) -> None:
    empty = loader([])
    assert list(empty.columns) == [c.name for c in spec] and len(empty) == 0
    for col in spec:
        if col.dtype == "datetime":
            assert str(empty[col.name].dtype) == "datetime64[ns, UTC]"
        elif col.dtype in ("string", "Int64", "Float64", "boolean"):
            assert str(empty[col.name].dtype) == col.dtype
        else:
            assert isinstance(empty[col.name].dtype, pd.CategoricalDtype)


# -- the page-at-once path and the row-by-row path agree (B5, B7) -----------------------------


def _row(entity: str, day: int, stats: list[tuple[str, object]], **extra: object) -> dict:
    row = {
        "entity_type": "AD_SET",
        "entity_id": entity,
        "entity_name": f"Ad set {entity}",
        "entity_status": "ACTIVE",
        "start_time": f"2025-08-{day:02d}T00:00:00Z",
        "end_time": f"2025-08-{day + 1:02d}T00:00:00Z",
        "stats": [{"field_type": f, "field_value": v} for f, v in stats],
    }
    row.update(extra)
    return row


def _shaped(values: tuple[object, ...]) -> list[tuple[str, object]]:
    return list(zip(FIELDS, values, strict=True))


MIXED_PAGES = [
    # As Spotify sends it: every row's stats in the requested order, numbers only.
    {"rows": [_row("a", d, _shaped((d, d, 1, 2.5, -5))) for d in range(1, 6)]},
    # A null, a text number, text that is no number and a boolean.
    {"rows": [_row("b", 1, _shaped((None, "7", "n/a", True, 3)))]},
    # Stats out of order, one missing, one extra; a row without stats.
    {
        "rows": [
            _row("c", 1, [("CLICKS", 4), ("IMPRESSIONS", 9), ("REACH", 2)]),
            {k: v for k, v in _row("c", 2, []).items() if k != "stats"},
        ]
    },
    # An optional key absent (entity_status) on one row only.
    {
        "rows": [
            _row("d", 1, _shaped((1, 1, 1, 1.0, 1))),
            {
                k: v
                for k, v in _row("d", 2, _shaped((2, 2, 2, 2.0, 2))).items()
                if k != "entity_status"
            },
        ]
    },
    {"rows": [_row("e", d, _shaped((d, d, d, 0.5, 0))) for d in range(1, 4)]},
]


def _row_by_row(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(frames.ReportFrameBuilder, "_add_page_values", lambda *a: False)


def test_b5_page_at_once_and_row_by_row_give_the_same_frame(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fast = frames.report_frame(MIXED_PAGES, FIELDS, sort=True)
    with monkeypatch.context() as patch:
        _row_by_row(patch)
        slow = frames.report_frame(MIXED_PAGES, FIELDS, sort=True)
    pd.testing.assert_frame_equal(fast, slow)
    b = fast[fast["entity_id"] == "b"].iloc[0]
    assert pd.isna(b["impressions"]) and b["streamed_impressions"] == 7
    assert pd.isna(b["clicks"]) and b["spend"] == 1.0  # "n/a" is no number; True counts 1
    assert fast["leads_suppressed"].sum() == 5 and fast["reach"].notna().sum() == 1
    assert fast["entity_status"].isna().sum() == 1


def test_b5_fields_learned_from_the_rows_match_on_both_paths(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pages = [{"rows": [_row("x", 1, [])]}, *MIXED_PAGES]
    fast = frames.report_frame(pages)
    with monkeypatch.context() as patch:
        _row_by_row(patch)
        slow = frames.report_frame(pages)
    pd.testing.assert_frame_equal(fast, slow)
    assert list(fast.columns[6:11]) == [frames.metric_column(f) for f in FIELDS]


def test_b5_a_null_value_after_numbers_on_a_row_by_row_page_is_na_not_a_failure() -> None:
    """A null sends a page row by row; the numbers before it must be added only once (B5)."""
    page = {
        "rows": [
            _row("a", 1, [("IMPRESSIONS", 10), ("CLICKS", 3)]),
            _row("a", 2, [("IMPRESSIONS", 20), ("CLICKS", None)]),
            _row("a", 3, [("CLICKS", 3), ("IMPRESSIONS", 10)]),
        ]
    }
    frame = frames.report_frame([page], ["IMPRESSIONS", "CLICKS"])
    assert frame["impressions"].tolist() == [10, 20, 10]
    assert frame["clicks"].isna().tolist() == [False, True, False]
    assert frame["clicks"].sum() == 6


def test_b5_rows_keep_their_entity_however_the_pages_are_cut() -> None:
    """Pages of one entity each, or of several, or one row each: the same frame (B5)."""
    rows = [r for page in MIXED_PAGES for r in page["rows"]]
    rows = [*rows, *(dict(r, entity_id="e2", entity_name="E two") for r in rows[-3:])]
    whole = frames.report_frame([{"rows": rows}], FIELDS)
    by_entity: dict[str, list[Any]] = {}
    for r in rows:
        by_entity.setdefault(r["entity_id"], []).append(r)
    cuts = [
        [{"rows": group} for group in by_entity.values()],
        [{"rows": [r]} for r in rows],
        [{"rows": rows[:4]}, {"rows": rows[4:5]}, {"rows": rows[5:]}],
    ]
    for pages in cuts:
        pd.testing.assert_frame_equal(frames.report_frame(pages, FIELDS), whole)
    assert (
        whole["entity_name"].iloc[-1] == "E two"
        and whole["entity_id"].iloc[0] == rows[0]["entity_id"]
    )


def test_b5_raw_pages_as_bytes_and_text_load_like_parsed_ones() -> None:
    parsed = frames.report_frame(MIXED_PAGES, FIELDS)
    raw = [json.dumps(p) for p in MIXED_PAGES]
    pd.testing.assert_frame_equal(frames.report_frame(raw, FIELDS), parsed)
    pd.testing.assert_frame_equal(frames.report_frame([r.encode() for r in raw], FIELDS), parsed)
    with pytest.raises(APIError, match="not complete JSON"):
        frames.report_frame([b'{"rows": [{"entity_id": "a"'], FIELDS)


def test_b3_listing_columns_from_dicts_and_other_mappings_agree() -> None:
    from types import MappingProxyType

    items = [
        {"id": "c1", "status": "ACTIVE", "created_at": "2025-01-01T00:00:00Z"},
        {"id": "c2", "status": None, "objective": "REACH", "name": 5},
        {"id": "c3", "status": "BRAND_NEW"},
    ]
    plain = frames.campaigns_frame(items, ad_account_id="acc")
    proxied = frames.campaigns_frame([MappingProxyType(i) for i in items], ad_account_id="acc")
    pd.testing.assert_frame_equal(plain, proxied)
    assert plain["status"].tolist()[0] == "ACTIVE" and pd.isna(plain["status"].iloc[1])
    assert plain["status"].iloc[2] == "BRAND_NEW"  # B2: kept, not lost
    assert plain["name"].iloc[1] == "5" and plain["ad_account_id"].tolist() == ["acc"] * 3
    assert list(plain["status"].cat.categories[:2]) == ["UNSET", "ACTIVE"]


def test_categories_in_another_order_keep_their_own_codes() -> None:
    # Unordered CategoricalDtypes with the same categories compare and hash equal.
    first = frames._categorical(["b", None, "a"], pd.CategoricalDtype(["a", "b"]))
    second = frames._categorical(["b", None, "a"], pd.CategoricalDtype(["b", "a"]))
    for values in (first, second):
        assert values[0] == "b" and pd.isna(values[1]) and values[2] == "a"
    assert list(second.categories) == ["b", "a"]


# -- one object, a page, or a list: anything else is refused (B1, B3) ----------------------------

ACCOUNT_OBJECT = {  # a GET /ad_accounts/{id} answer: one object, no wrapper (B1)
    "id": "2f1f6b8e-6b1e-4b5e-9d43-5f3f1d7b8a10",
    "business_id": "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
    "name": "Northwind Audio",
    "status": "ACTIVE",
    "currency_code": "USD",
}
BUSINESS_OBJECT = {
    "id": "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
    "name": "Northwind",
    "type": "AGENCY",
}


def test_b1_a_single_object_loads_as_one_row() -> None:
    """B1: one business or ad account (GET of one object) is one row, not an empty frame."""
    accounts = frames.ad_accounts_frame(ACCOUNT_OBJECT)
    assert accounts["id"].tolist() == [ACCOUNT_OBJECT["id"]]
    assert accounts["currency_code"].tolist() == ["USD"]
    business = frames.businesses_frame(BUSINESS_OBJECT)
    assert business["name"].tolist() == ["Northwind"]
    wrapped = frames.ad_accounts_frame({"ad_accounts": [ACCOUNT_OBJECT]})
    pd.testing.assert_frame_equal(accounts, wrapped)
    pd.testing.assert_frame_equal(frames.ad_accounts_frame([ACCOUNT_OBJECT]), wrapped)


@pytest.mark.parametrize(
    "payload",
    [
        {"campaign": []},  # a key of another listing
        {"paging": {"total_results": 3}},  # paging without items
        {},
        [1, 2, 3],
        ["x"],
        {"campaigns": {"id": "c"}},
        {"campaigns": [1]},
        42,
        None,
    ],
    ids=[
        "other-key",
        "paging-only",
        "empty-dict",
        "numbers",
        "text",
        "dict-items",
        "number-items",
        "number",
        "none",
    ],
)
def test_b3_loaders_refuse_what_is_not_a_page_an_object_or_a_list(payload: Any) -> None:
    """B3: a payload with nothing recognisable is a typed error, never an empty frame."""
    with pytest.raises(MalformedPayload) as caught:
        frames.campaigns_frame(payload)
    assert isinstance(caught.value, APIError) and isinstance(caught.value, ValueError)
    assert "campaigns" in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize("page", [{"granularity": "DAY"}, [1], {"rows": {"a": 1}}, 7])
def test_b5_report_pages_without_rows_are_refused(page: Any) -> None:
    """B5: a report page must hold rows; anything else is typed, not an empty report."""
    with pytest.raises(MalformedPayload):
        frames.report_frame([page])
    with pytest.raises(MalformedPayload):
        frames.ReportFrameBuilder(["CLICKS"]).add_page(page)


# -- the read surface: assets, people, drafts, lookups, history, targets ------------------------

NEW_LOADERS = [
    (frames.assets_frame, frames.ASSET_COLUMNS, "assets"),
    (frames.audiences_frame, frames.AUDIENCE_COLUMNS, "audiences"),
    (frames.ad_account_members_frame, frames.AD_ACCOUNT_MEMBER_COLUMNS, "ad_account_members"),
    (frames.business_members_frame, frames.BUSINESS_MEMBER_COLUMNS, "members"),
    (frames.invitations_frame, frames.INVITATION_COLUMNS, "business_invitations"),
    (frames.campaign_drafts_frame, frames.CAMPAIGN_DRAFT_COLUMNS, "campaign_drafts"),
    (frames.ad_set_drafts_frame, frames.AD_SET_DRAFT_COLUMNS, "ad_set_drafts"),
    (frames.ad_drafts_frame, frames.AD_DRAFT_COLUMNS, "ad_drafts"),
    (frames.change_history_frame, frames.CHANGE_HISTORY_COLUMNS, "change_history"),
    (frames.datasets_frame, frames.DATASET_COLUMNS, "datasets"),
    (frames.pixels_frame, frames.PIXEL_COLUMNS, "pixels"),
    (frames.mobile_apps_frame, frames.MOBILE_APP_COLUMNS, "mobile_apps"),
    (frames.podcast_shows_frame, frames.IMAGE_TARGET_COLUMNS, "shows"),
    (frames.ad_categories_frame, frames.AD_CATEGORY_COLUMNS, "categories"),
]


@pytest.mark.parametrize(("loader", "spec", "key"), NEW_LOADERS, ids=[x[2] for x in NEW_LOADERS])
def test_b3_new_empty_listings_keep_columns_and_dtypes(loader, spec, key) -> None:
    """B3: an empty page of every new listing gives its typed columns."""
    empty = loader({key: [], "paging": {"total_results": 0}})
    assert len(empty) == 0
    assert list(empty.columns) == [c.name for c in spec]
    assert (
        empty.dtypes.astype(str).tolist()
        == frames.objects_frame([], spec).dtypes.astype(str).tolist()
    )


def test_b2_ad_set_targets_flatten_every_kind_of_target_and_keep_new_ones() -> None:
    """B2: ages, geo lists, sensitive topics, day parts; a key Spotify adds later is kept."""
    ad_set = {
        "id": "s1",
        "targets": {
            "age_ranges": [{"min": 18, "max": 24}, {"min": 55}],
            "geo_targets": {"country_code": "SE", "city_ids": ["2673730"], "region_ids": []},
            "language": "sv",
            "sensitive_topic_exclusions": {
                "filter_option": "LIMITED",
                "topics": [{"id": "ALCOHOL"}, {"id": "GAMBLING", "filter_option": "STANDARD"}],
            },
            "user_day_parts": [
                {"day_of_week": ["MONDAY", "FRIDAY"], "hour_of_day": [{"min": 6, "max": 9}]}
            ],
            "moods": ["CALM"],
        },
    }
    df = frames.ad_set_targets_frame([ad_set], names={("COUNTRY", "SE"): "Sweden"})
    rows = list(zip(df["target_type"].astype(str), df["value_id"], strict=True))
    assert rows == [
        ("AGE_RANGE", "18-24"),
        ("AGE_RANGE", "55+"),
        ("COUNTRY", "SE"),
        ("CITY", "2673730"),
        ("LANGUAGE", "sv"),
        ("SENSITIVE_TOPIC_EXCLUSION", "ALCOHOL"),
        ("SENSITIVE_TOPIC_EXCLUSION", "GAMBLING"),
        ("DAY_PART", "MONDAY"),
        ("DAY_PART", "FRIDAY"),
        ("MOODS", "CALM"),
    ]
    assert df["filter_option"].tolist()[5:7] == ["LIMITED", "STANDARD"]
    assert df.loc[7, ["value_min", "value_max"]].tolist() == [6, 9]
    assert df.loc[2, "value_name"] == "Sweden" and pd.isna(df.loc[3, "value_name"])
    assert pd.isna(df.loc[1, "value_max"])
    empty = frames.ad_set_targets_frame([{"id": "s2"}])
    assert len(empty) == 0 and list(empty.columns) == list(df.columns)


def test_change_history_values_read_the_specs_value_objects_and_keep_others_as_json() -> None:
    page = {
        "change_history": [
            {
                "change_id": "c1",
                "timestamp": "2026-01-01T00:00:00Z",
                "operation": "CHANGED",
                "actor": {"principal_id": "u1", "category": "ADVERTISER_USER"},
                "changes": [
                    {"field_type": "name", "before": {"value": "A"}, "after": {"value": "B"}},
                    {"field_type": "budget", "before": {"amount": 1, "currency": "USD"}},
                ],
            },
            {"change_id": "c2", "timestamp": "2026-01-02T00:00:00Z", "changes": []},
        ]
    }
    df = frames.change_history_frame(page, ad_account_id="acct")
    assert df["change_id"].tolist() == ["c1", "c1", "c2"]
    assert df.loc[0, ["before", "after"]].tolist() == ["A", "B"]
    assert df.loc[1, "before"] == '{"amount": 1, "currency": "USD"}' and pd.isna(df.loc[1, "after"])
    assert pd.isna(df.loc[2, "field_type"]) and (df["ad_account_id"] == "acct").all()


def test_b7_b8_insight_summary_totals_keep_the_privacy_sentinel_out() -> None:
    body = {
        "insight": "GENDER",
        "rows": [],
        "summary_totals": [
            {"stat": "IMPRESSIONS", "value": 1000},
            {"stat": "LEADS", "value": -5},
            {"stat": "CTR", "value": 0.5},
        ],
    }
    totals = frames.insights_frame(body, ["IMPRESSIONS"]).attrs["summary_totals"]
    assert totals == {"impressions": 1000, "leads": None, "ctr": 0.5}
    assert isinstance(totals["impressions"], int)


def test_invitations_without_ad_accounts_are_one_row_each() -> None:
    page = {
        "business_invitations": [
            {"business_invitation_id": "i1", "role": "BUSINESS_ADMIN"},
            {
                "business_invitation_id": "i2",
                "ad_account_invitations": [
                    {"ad_account_id": "a1", "role": "AD_ACCOUNT_VIEWER"},
                    {"ad_account_id": "a2", "role": "AD_ACCOUNT_ADMIN"},
                ],
            },
        ]
    }
    df = frames.invitations_frame(page, business_id="b")
    assert df["business_invitation_id"].tolist() == ["i1", "i2", "i2"]
    assert df["ad_account_id"].isna().tolist() == [True, False, False]


def test_b7_a_cost_derived_from_a_hidden_count_is_hidden_too() -> None:
    """B7, spec: getAggregateReport: -5 in a cost per lead is the sentinel, never a cost.

    SPEND / COST_PER_LEAD would give back the hidden LEADS, so the sandbox (and, by the same
    reasoning, Spotify) hides the derived metric too; a cost is never negative, so the loader
    reads -5 there as "hidden" and flags it, as it does for the count itself.
    """
    from adstudio_nb.frames import SENTINEL_METRICS, report_frame

    page = {
        "rows": [
            {
                "entity_type": "AD_SET",
                "entity_id": "7f4c1cc9-9a1d-4b65-b05c-46e5e33b6705",
                "entity_name": "My Ad Set",
                "entity_status": "ACTIVE",
                "start_time": "2026-01-23T00:00:00Z",
                "end_time": "2026-01-24T00:00:00Z",
                "stats": [
                    {"field_type": "SPEND", "field_value": 12.5},
                    {"field_type": "LEADS", "field_value": -5},
                    {"field_type": "COST_PER_LEAD", "field_value": -5},
                    {"field_type": "AVERAGE_ORDER_VALUE", "field_value": 31.0},
                ],
            }
        ]
    }
    frame = report_frame([page])
    row = frame.loc[0]
    assert row["spend"] == 12.5
    assert row["leads"] is pd.NA and bool(row["leads_suppressed"])
    assert row["cost_per_lead"] is pd.NA and bool(row["cost_per_lead_suppressed"])
    assert row["average_order_value"] == 31.0 and not bool(row["average_order_value_suppressed"])
    assert {"COST_PER_LEAD", "CUSTOMER_ACQUISITION_COST", "AVERAGE_ORDER_VALUE"} <= SENTINEL_METRICS


def test_b2_caps_without_a_known_unit_leave_the_columns_empty_not_an_error() -> None:
    """B2: a cap missing its unit (or with one Spotify adds later) does not stop the frame."""
    ad_set = {
        "id": "0b8f4c4e-3c4b-4a43-9d7f-0d2a3c1e5f6a",
        "frequency_caps": [
            {"max_impressions": 3, "frequency_period": 1},
            {"max_impressions": 5, "frequency_period": 2},
            {"frequency_unit": "FORTNIGHT", "max_impressions": 9, "frequency_period": 1},
            {"frequency_unit": "DAY", "max_impressions": 2, "frequency_period": 1},
        ],
    }
    frame = frames.ad_sets_frame({"ad_sets": [ad_set]})
    assert len(frame) == 1
    assert frame.loc[0, "frequency_cap_day_impressions"] == 2
    assert frame.loc[0, "frequency_cap_week_impressions"] is pd.NA
    assert len(frames.ad_set_frequency_caps_frame({"ad_sets": [ad_set]})) == 4
