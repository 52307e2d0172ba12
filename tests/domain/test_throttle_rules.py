"""The throttle's pure rules: the token bucket (GCRA), the keys sources count by, masking, and the lockout ladder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from qunzu.domain.throttle import (
    Bucket,
    FailureState,
    LockoutPolicy,
    gcra,
    gcra_all,
    ip_key,
    locked_for,
    mask_ip,
    record_failure,
)

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
POLICY = LockoutPolicy(
    threshold=10,
    periods=(timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1)),
    forget_after=timedelta(hours=24),
)


def test_a_bucket_lets_a_burst_of_its_limit_through_then_one_per_interval() -> None:
    tat, now = None, 1_000_000
    for _ in range(10):
        d = gcra(tat, now_ms=now, limit=10, window_ms=60_000)
        assert d.allowed
        tat = d.tat_ms
    refused = gcra(tat, now_ms=now, limit=10, window_ms=60_000)
    assert not refused.allowed and refused.retry_after_ms == 6_000 and refused.tat_ms == tat
    assert not gcra(tat, now_ms=now + 5_999, limit=10, window_ms=60_000).allowed
    assert gcra(tat, now_ms=now + 6_000, limit=10, window_ms=60_000).allowed


def test_a_request_takes_from_all_its_buckets_or_waits_for_the_longest() -> None:
    buckets = [Bucket("ip", 1, 10_000), Bucket("user", 5, 10_000)]
    decisions, wait = gcra_all([None, None], buckets, now_ms=0)
    assert wait == 0 and all(d.allowed for d in decisions)
    decisions, wait = gcra_all([d.tat_ms for d in decisions], buckets, now_ms=0)
    assert wait == 10_000 and [d.allowed for d in decisions] == [False, True]


def test_ipv6_sources_count_by_their_64_network_and_ipv4_by_address() -> None:
    assert ip_key("2001:db8:1:2::1") == ip_key("2001:db8:1:2:ffff:ffff:ffff:ffff") == "ip6:2001:db8:1:2::/64"
    assert ip_key("2001:db8:1:3::1") != ip_key("2001:db8:1:2::1")
    assert ip_key("::ffff:203.0.113.7") == ip_key("203.0.113.7") == "ip:203.0.113.7"
    assert ip_key("203.0.113.8") != ip_key("203.0.113.7")
    assert ip_key(None) == "ip:unknown"


def test_an_owner_sees_the_source_address_masked() -> None:
    assert mask_ip("203.0.113.7") == "203.0.113.*"
    assert mask_ip("2001:db8:1:2::5") == "2001:db8:1:2:*"
    assert mask_ip(None) == "-"


def test_the_tenth_consecutive_failure_locks_for_the_first_period() -> None:
    state: FailureState | None = None
    for n in range(1, 10):
        state, locked = record_failure(state, now=T0, policy=POLICY)
        assert not locked and state.failures == n and locked_for(state, now=T0) is None
    state, locked = record_failure(state, now=T0, policy=POLICY)
    assert locked and state.locked_until == T0 + timedelta(minutes=1) and state.failures == 0
    assert locked_for(state, now=T0 + timedelta(seconds=59)) == timedelta(seconds=1)
    assert locked_for(state, now=T0 + timedelta(minutes=1)) is None


def test_each_further_lock_lasts_longer_up_to_the_last_period() -> None:
    state, now, periods = None, T0, []
    for _ in range(6):
        for _ in range(10):
            state, locked = record_failure(state, now=now, policy=POLICY)
        assert locked and state is not None and state.locked_until is not None
        periods.append(state.locked_until - now)
        now = state.locked_until
    assert periods == [timedelta(minutes=m) for m in (1, 5, 15, 60, 60, 60)]


def test_failures_during_a_lock_do_not_count() -> None:
    state, _ = record_failure(FailureState(failures=9), now=T0, policy=POLICY)
    again, locked = record_failure(state, now=T0 + timedelta(seconds=1), policy=POLICY)
    assert not locked and again == state


def test_failures_and_lock_level_are_forgotten_after_a_quiet_day() -> None:
    old = FailureState(failures=9, lock_level=3, locked_until=T0, last_failure_at=T0)
    state, locked = record_failure(old, now=T0 + timedelta(hours=25), policy=POLICY)
    assert not locked and state.failures == 1 and state.lock_level == 0
