"""The seeded data generator: determinism, scale, demo users and consistent stats (B1-B7)."""

from __future__ import annotations

import time
import uuid

import pytest

from adstudio_nb.sandbox.clock import SandboxClock
from adstudio_nb.sandbox.data import (
    CONVERSION_COUNTS,
    DAY_H,
    PRIVACY_SENTINEL,
    REPORT_FIELDS,
    AdsData,
    add_vectors,
    split,
)

START = 1_767_225_600.0 + 5.5 * 3600  # 2026-01-01T05:30Z: today is a partial day


def make(**options: object) -> AdsData:
    return AdsData(seed=0, clock=SandboxClock(start=START), **options)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def data() -> AdsData:
    return make()


def test_b2_same_seed_same_data_and_ids_are_uuids() -> None:
    """B2: the same seed gives the same objects; ids are UUIDs; another seed differs."""
    one, two, other = make(), make(), AdsData(seed=1, clock=SandboxClock(start=START))
    account = one.ad_accounts_for_user("alex.analyst")[0]
    assert [c.to_json() for c in one.campaigns(account.id)] == [
        c.to_json() for c in two.campaigns(account.id)
    ]
    assert one.businesses()[0].id != other.businesses()[0].id
    for obj in (account, one.campaigns(account.id)[0], one.ad_sets(account.id)[0]):
        assert str(uuid.UUID(obj.id)) == obj.id


def test_b1_demo_users_see_their_businesses(data: AdsData) -> None:
    """B1: alex sees every business, sam exactly one, nina and strangers none."""
    assert len(data.businesses_for_user("alex.analyst")) == len(data.businesses()) == 3
    assert len(data.businesses_for_user("sam.smallbiz")) == 1
    assert data.businesses_for_user("nina.newcomer") == []
    assert data.businesses_for_user("mallory") == []
    sams = data.ad_accounts_for_user("sam.smallbiz")
    assert sams and all(data.can_access("sam.smallbiz", a.id) for a in sams)
    alex_only = [a for a in data.ad_accounts_for_user("alex.analyst") if a not in sams]
    assert not any(data.can_access("sam.smallbiz", a.id) for a in alex_only)


def test_b2_accounts_cover_currencies_and_budgets_are_micros(data: AdsData) -> None:
    """B2: several currencies and countries, nested billing address, budgets in micros."""
    accounts = data.ad_accounts_for_user("alex.analyst")
    assert len(accounts) == 8
    assert {"USD", "EUR", "GBP", "SEK", "AUD", "CAD"} <= {a.currency_code for a in accounts}
    assert all(a.to_json()["billing_address"]["city"] for a in accounts)
    ad_set = data.ad_sets(accounts[0].id)[0]
    assert ad_set.to_json()["budget"]["micro_amount"] % 1_000_000 == 0
    assert ad_set.to_json()["budget"]["micro_amount"] >= 1_000_000


def test_b5_scale_knobs_are_lazy_and_fast() -> None:
    """B5: 50 accounts x 200 campaigns (10,000) cost nothing until asked for."""
    began = time.perf_counter()
    big = AdsData(
        seed=3,
        clock=SandboxClock(start=START),
        businesses=5,
        accounts_per_business=10,
        campaigns_per_account=200,
    )
    accounts = [a for b in big.businesses() for a in big.ad_accounts_of(b.id)]
    assert len(accounts) == 50
    assert time.perf_counter() - began < 1.0
    assert len(big.campaigns(accounts[-1].id)) == 200
    one = AdsData(
        seed=3,
        clock=SandboxClock(start=START),
        businesses=1,
        accounts_per_business=1,
        campaigns_per_account=100,
        ad_sets_per_campaign=5,
    )
    assert len(one.ad_sets(one.ad_accounts_of(one.businesses()[0].id)[0].id)) == 500


def test_b5_scale_multiplies_accounts_and_campaigns() -> None:
    """B5: scale multiplies the number of ad accounts and campaigns."""
    small, large = make(), AdsData(seed=0, scale=3.0, clock=SandboxClock(start=START))
    assert len(large.ad_accounts_for_user("alex.analyst")) > len(
        small.ad_accounts_for_user("alex.analyst")
    )


def _delivering_ad_sets(data: AdsData) -> list:  # type: ignore[type-arg]
    account = data.ad_accounts_for_user("alex.analyst")[0]
    return [s for s in data.ad_sets(account.id) if data.flight_hours("AD_SET", s)]


def test_b5_levels_sum_exactly_by_day_and_hour(data: AdsData) -> None:
    """B5: ads sum to their ad set, ad sets to campaign, campaigns to account; days to hours."""
    account = data.ad_accounts_for_user("alex.analyst")[0]
    today = int(START // 86400)
    for day in (today - 3, today):
        campaigns = data.campaigns(account.id)
        account_day = data.day_vector("AD_ACCOUNT", account, day)
        assert account_day == add_vectors(data.day_vector("CAMPAIGN", c, day) for c in campaigns)
        for campaign in campaigns:
            ad_sets = data.ad_sets_of(campaign)
            assert data.day_vector("CAMPAIGN", campaign, day) == add_vectors(
                data.day_vector("AD_SET", s, day) for s in ad_sets
            )
            for ad_set in ad_sets:
                assert data.day_vector("AD_SET", ad_set, day) == add_vectors(
                    data.day_vector("AD", a, day) for a in data.ads_of(ad_set)
                )
    ad_set = _delivering_ad_sets(data)[-1]
    start = ad_set.start_hour // DAY_H
    for day in range(start, start + 2):
        for ad in data.ads_of(ad_set):
            hours = [data.hour_vector("AD", ad, day * DAY_H + h) for h in range(DAY_H)]
            assert add_vectors(hours) == data.day_vector("AD", ad, day)


def test_b5_no_delivery_outside_flight_or_after_now() -> None:
    """B5: nothing before an ad set starts or after the clock's now; moving the clock adds."""
    clock = SandboxClock(start=START)
    data = AdsData(seed=0, clock=clock)
    ad_set = _delivering_ad_sets(data)[-1]
    assert data.hour_vector("AD_SET", ad_set, ad_set.start_hour - 1) == add_vectors([])
    now_hour = data.now_hour()
    assert data.hour_vector("AD_SET", ad_set, now_hour) == add_vectors([])
    live = next(
        s for s in _delivering_ad_sets(data) if s.end_hour is None or s.end_hour > now_hour + 3
    )
    before = data.count(data.day_vector("AD_SET", live, now_hour // DAY_H), "IMPRESSIONS")
    clock.advance(3 * 3600)
    after = data.count(data.day_vector("AD_SET", live, now_hour // DAY_H), "IMPRESSIONS")
    assert after > before


def test_b7_values_reach_spend_and_sentinel(data: AdsData) -> None:
    """B7: reach <= impressions, SPEND in currency units, conversions 1-4 become -5."""
    account = data.ad_accounts_for_user("alex.analyst")[0]
    vector = data.range_vector("AD_ACCOUNT", account, 0, int(START // 86400))
    values = {
        s["field_type"]: s["field_value"]
        for s in data.report_values(vector, REPORT_FIELDS, level="AD_ACCOUNT", hours=24 * 200)
    }
    assert set(values) == set(REPORT_FIELDS)
    assert 0 < values["REACH"] <= values["IMPRESSIONS"]
    assert values["FREQUENCY"] == pytest.approx(values["IMPRESSIONS"] / values["REACH"], 0.01)
    micros = data.count(vector, "SPEND_MICROS")
    assert values["SPEND"] == pytest.approx(micros / 1_000_000)
    assert 0 < values["CTR"] < 5  # a percentage
    hourly = [
        data.hour_vector("AD", ad, h)
        for s in _delivering_ad_sets(data)[:10]
        for ad in data.ads_of(s)
        for h in range(s.start_hour, s.start_hour + 48)
    ]
    seen = [
        data.value(v, name, "AD", 1)
        for v in hourly
        for name in CONVERSION_COUNTS
        if 1 <= data.count(v, name) <= 4
    ]
    assert seen and set(seen) == {PRIVACY_SENTINEL}


def test_b5_split_keeps_children_below_parents() -> None:
    """B5: a split is exact and never gives a part more than its (integer) weight."""
    assert sum(split(17, [3, 5, 9, 1])) == 17
    parts = split(5, [1, 0, 7, 2])
    assert all(p <= w for p, w in zip(parts, [1, 0, 7, 2], strict=True))
    assert split(0, [1, 2]) == [0, 0]
    assert split(4, [0, 0]) == [0, 0]
