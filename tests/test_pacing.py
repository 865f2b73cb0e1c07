"""The pacer and the rate-limit headers, in virtual time (B11): no test here waits."""

from __future__ import annotations

import threading

import pytest

from adstudio_nb.pacing import (
    GENERAL,
    REPORTING,
    Pacer,
    RateLimitPolicy,
    header_number,
    rate_limit_bucket,
    retry_after_s,
)


class VirtualClock:
    """Monotonic seconds that only ``sleep`` moves: waits cost no real time.

    Shared by threads: each ``sleep`` moves the one clock forward, so time passes at least
    as much as any thread waited (never less), which is what the pacer has to be right for.
    """

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            self.now += max(0.0, seconds)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


def _pacer(clock: VirtualClock, **policy: float) -> Pacer:
    return Pacer(RateLimitPolicy(**policy), clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]


def test_b11_reporting_endpoints_have_their_own_bucket() -> None:
    assert rate_limit_bucket("/ads/v3/ad_accounts/x/aggregate_reports") == REPORTING
    assert rate_limit_bucket("/ads/v3/ad_accounts/x/aggregate_reports/totals") == REPORTING
    assert rate_limit_bucket("/ads/v3/ad_accounts/x/insight_reports") == REPORTING
    assert rate_limit_bucket("/ads/v3/ad_accounts/x/async_reports?x=1") == REPORTING
    assert rate_limit_bucket("/ads/v3/ad_accounts/x/campaigns") == GENERAL


def test_b11_pacer_never_lets_more_than_the_limit_into_one_window() -> None:
    clock = VirtualClock()
    pacer = _pacer(clock, window_s=30, reporting_limit=150)
    sent: list[float] = []
    for _ in range(450):
        pacer.acquire(REPORTING)
        sent.append(clock.now)
        clock.advance(0.01)  # the answer takes 10 ms
        pacer.release(REPORTING)
    for i, t in enumerate(sent):  # any 30 s window holds at most 150 sends
        assert sum(1 for u in sent[i:] if u < t + 30) <= 150
    # and it runs at the limit, not far below it: 450 requests in about 2 windows
    assert sent[-1] - sent[0] < 2 * 30 + 5


def test_b11_threads_sharing_a_pacer_stay_under_the_limit() -> None:
    """B11: four threads, one pacer: every window of virtual time holds at most the limit."""
    clock = VirtualClock()
    pacer = _pacer(clock, window_s=30, reporting_limit=20, general_limit=1500)
    sent: list[float] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(25):
            pacer.acquire(REPORTING)
            with lock:
                sent.append(clock())
            pacer.release(REPORTING)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
        assert not thread.is_alive()
    sent.sort()
    assert len(sent) == 100
    for i, t in enumerate(sent):
        assert sum(1 for u in sent[i:] if u < t + 30) <= 20


def test_b11_reporting_requests_count_against_the_general_limit_too() -> None:
    clock = VirtualClock()
    pacer = _pacer(clock, window_s=10, general_limit=5, reporting_limit=100)
    for _ in range(5):
        assert pacer.try_acquire(REPORTING) == 0
        pacer.release(REPORTING)
    assert pacer.try_acquire(GENERAL) > 0
    assert pacer.in_use(GENERAL) == 5


def test_b11_in_flight_requests_hold_their_slot_until_answered() -> None:
    clock = VirtualClock()
    pacer = _pacer(clock, window_s=10, general_limit=2)
    assert pacer.try_acquire(GENERAL) == 0
    assert pacer.try_acquire(GENERAL) == 0
    assert pacer.try_acquire(GENERAL) == pytest.approx(10)  # both still in flight
    clock.advance(3)
    pacer.release(GENERAL)
    assert pacer.try_acquire(GENERAL) == pytest.approx(10)  # answered at +3: frees at +13
    clock.advance(10)
    assert pacer.try_acquire(GENERAL) == 0


def test_b11_headers_lower_the_budget_when_someone_else_uses_it() -> None:
    clock = VirtualClock()
    pacer = _pacer(clock, window_s=30, general_limit=100)
    pacer.acquire(GENERAL)
    pacer.release(GENERAL)
    pacer.observe_headers(
        GENERAL,
        {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "3", "X-RateLimit-Reset": "12"},
    )
    for _ in range(3):
        assert pacer.try_acquire(GENERAL) == 0
    assert pacer.try_acquire(GENERAL) == pytest.approx(12)
    pacer.observe(GENERAL, limit=50)
    assert pacer.policy.general_limit == 100  # the policy is unchanged; the bucket adapts


@pytest.mark.parametrize("odd", ["nan", "inf", "-inf", "abc", "", "1e999"])
def test_b11_odd_header_values_are_ignored(odd: str) -> None:
    """B11: a header that is not a finite number changes nothing and never raises."""
    clock = VirtualClock()
    pacer = _pacer(clock, window_s=30, general_limit=3)
    headers = {"X-RateLimit-Limit": odd, "X-RateLimit-Remaining": odd, "X-RateLimit-Reset": odd}
    pacer.observe_headers(GENERAL, headers)
    assert header_number(headers, "X-RateLimit-Reset") is None
    assert retry_after_s(headers) is None
    for _ in range(3):
        assert pacer.try_acquire(GENERAL) == 0


def test_b11_retry_after_prefers_the_rate_limit_reset_and_never_goes_negative() -> None:
    assert retry_after_s({"X-RateLimit-Reset": "4", "Retry-After": "9"}) == 4
    assert retry_after_s({"Retry-After": "9"}) == 9
    assert retry_after_s({"Retry-After": "-3"}) == 0
    assert retry_after_s({}) is None


def test_b11_hold_after_a_429_stops_every_thread_until_reset() -> None:
    clock = VirtualClock()
    pacer = _pacer(clock, window_s=30)
    pacer.hold(REPORTING, 7)
    assert pacer.try_acquire(REPORTING) == pytest.approx(7)
    assert pacer.acquire(REPORTING) == pytest.approx(7)
    assert clock.slept == [pytest.approx(7)]


def test_b11_a_reset_longer_than_a_window_holds_one_window_at_most() -> None:
    clock = VirtualClock()
    pacer = _pacer(clock, window_s=30)
    pacer.observe(GENERAL, limit=1500, remaining=0, reset_s=86400)
    assert pacer.try_acquire(GENERAL) == pytest.approx(30)


def test_b11_disabled_pacer_never_waits() -> None:
    clock = VirtualClock()
    pacer = Pacer(RateLimitPolicy(general_limit=1, enabled=False), clock=clock, sleep=clock.sleep)
    for _ in range(10):
        assert pacer.try_acquire(GENERAL) == 0
    pacer.observe_headers(GENERAL, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "30"})
    assert pacer.try_acquire(GENERAL) == 0 and clock.slept == []
