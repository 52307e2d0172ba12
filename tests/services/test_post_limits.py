"""The post limiter decides alike in process and in Redis (one Lua script per batch): each post's rate buckets all
or none, then its slow-mode bucket; a post refused for its rate keeps its slow-mode slot."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from qunzu.config import load_settings
from qunzu.domain.throttle import Bucket
from qunzu.services.posting.limits import NOT_TAKEN, SLOW, PostLimiter, SendRequest

NOW = 1_764_576_000_000  # ms


@pytest.fixture(params=["memory", "redis"])
async def limiter(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[PostLimiter]:
    url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    settings = load_settings(
        profile="test",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'q.db'}",
        data_dir=tmp_path,
        redis_url=url,
        throttle={"redis_prefix": f"qunzu-test:{secrets.token_hex(6)}:"},
    )
    made = PostLimiter(settings, policy=None, db=None)
    try:
        yield made
    finally:
        await made.aclose()


def _req(i: int, rate: int, slow: int = 0, who: str = "7") -> SendRequest:
    buckets = [Bucket(f"u:1:{who}", rate, 60_000), Bucket("ip:203.0.113.7", 1000, 60_000)]
    slow_b = [Bucket(f"s:1:{who}", 1, slow * 1000)] if slow else []
    return SendRequest(i, buckets, slow_b, rate, slow)


async def test_a_batch_is_decided_post_by_post_in_order(limiter: PostLimiter) -> None:
    taken: list[Any] = await limiter.take([_req(i, 3) for i in range(4)], now_ms=NOW)
    assert taken[:3] == [(0, 0)] * 3
    assert taken[3] == (NOT_TAKEN, 20_000)


async def test_slow_mode_after_the_rate_and_only_when_the_rate_took(limiter: PostLimiter) -> None:
    assert await limiter.take([_req(0, 2, slow=30), _req(1, 2, slow=30)], now_ms=NOW) == [(0, 0), (SLOW, 30_000)]
    # the rate bucket is spent by now (2 hits); a refusal for the rate takes no slow-mode slot
    assert (await limiter.take([_req(2, 2, slow=30)], now_ms=NOW + 30_000))[0] == (0, 0)
    refused = await limiter.take([_req(3, 2, slow=30)], now_ms=NOW + 30_000)
    assert refused[0][0] == NOT_TAKEN
    assert await limiter.take([_req(4, 2, slow=30, who="8")], now_ms=NOW) == [(0, 0)]  # someone else: own buckets
