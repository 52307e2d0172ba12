"""The two limiter stores decide alike: in-process and Redis (a Lua script) run one table of cases."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest

from qunzu.domain.throttle import Bucket
from qunzu.services.throttle import LimiterStore, MemoryStore, RedisStore

NOW = 1_764_576_000_000  # ms


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[LimiterStore]:
    made: Any
    if request.param == "memory":
        made = MemoryStore()
    else:
        url = request.getfixturevalue("redis_url")
        made = RedisStore(url, prefix=f"qunzu-test:{secrets.token_hex(6)}:")
    try:
        yield made
    finally:
        await made.aclose()


async def test_a_burst_of_the_limit_then_the_wait_until_the_next_hit_fits(store: LimiterStore) -> None:
    bucket = [Bucket("login:user:alice", 3, 60_000)]
    assert [await store.hit(bucket, now_ms=NOW) for _ in range(3)] == [0, 0, 0]
    assert await store.hit(bucket, now_ms=NOW) == 20_000
    assert await store.hit(bucket, now_ms=NOW + 19_999) == 1
    assert await store.hit(bucket, now_ms=NOW + 20_000) == 0


async def test_a_refused_request_takes_nothing_from_any_bucket(store: LimiterStore) -> None:
    ip, user = Bucket("login:ip:203.0.113.7", 1, 10_000), Bucket("login:user:bob", 2, 10_000)
    assert await store.hit([ip, user], now_ms=NOW) == 0
    assert await store.hit([ip, user], now_ms=NOW) == 10_000  # the source is spent ...
    assert await store.hit([user], now_ms=NOW) == 0  # ... and bob still has his second hit
    assert await store.hit([user], now_ms=NOW) == 5_000


async def test_an_idle_bucket_is_full_again(store: LimiterStore) -> None:
    bucket = [Bucket("register:ip:198.51.100.1", 2, 3_600_000)]
    assert await store.hit(bucket, now_ms=NOW) == 0
    assert await store.hit(bucket, now_ms=NOW) == 0
    assert await store.hit(bucket, now_ms=NOW) > 0
    later = NOW + 3_600_000
    assert [await store.hit(bucket, now_ms=later) for _ in range(3)][:2] == [0, 0]


async def test_a_clock_that_went_back_does_not_shut_a_bucket(store: LimiterStore) -> None:
    bucket = [Bucket("phone_confirm:user:7", 100, 60_000)]
    assert await store.hit(bucket, now_ms=NOW + 300_000) == 0  # a server whose clock is 5 minutes ahead
    assert await store.hit(bucket, now_ms=NOW) == 0


async def test_an_unreachable_redis_lets_requests_through_rather_than_locking_everyone_out() -> None:
    from datetime import UTC, datetime

    from qunzu.config import ThrottleSettings
    from qunzu.services.throttle import Throttle

    throttle = Throttle(ThrottleSettings(), RedisStore("redis://127.0.0.1:1/0", prefix="qunzu-test:down:"))
    try:
        for _ in range(50):  # far past every limit: nothing is counted, nothing refused, nothing raised
            await throttle.login(username="alice", ip="203.0.113.7", now=datetime(2026, 12, 1, tzinfo=UTC))
    finally:
        await throttle.aclose()
