"""Group search is open to visitors, so each source address has its share of queries (`throttle.search_per_ip`):
past it, 429 `rate_limited` with the wait, on the API and on the page."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"throttle": {"search_per_ip": {"limit": 2, "window_seconds": 60}}}


async def test_a_source_past_its_share_of_searches_waits(client: Any) -> None:
    for _ in range(2):
        assert (await client.get("/api/v1/groups/search", params={"q": "读书"})).status_code == 200
    r = await client.get("/api/v1/groups/search", params={"q": "读书"})
    assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited"
    assert r.json()["error"]["details"]["retry_after_ms"] > 0 and int(r.headers["Retry-After"]) >= 1
