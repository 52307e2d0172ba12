"""Registration per source, and phone codes (sent and tried) per account and per source, are limited: 429
`rate_limited` with the wait. Time stands still on the container's ManualClock and tests move it."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from tests.conftest import Api, random_mobile

from qunzu.clock import ManualClock

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {
        "throttle": {
            "register_per_ip": {"limit": 3, "window_seconds": 3600},
            "phone_code_per_account": {"limit": 2, "window_seconds": 3600},
            "phone_code_per_ip": {"limit": 3, "window_seconds": 3600},
            "phone_confirm_per_account": {"limit": 6, "window_seconds": 600},
            "phone_confirm_per_ip": {"limit": 1000, "window_seconds": 600},
        }
    }


@pytest.fixture
def clock() -> Any:
    """The container's clock, standing at T0 until a test moves it."""
    return ManualClock(T0)


def source(app: Any, ip: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(ip, 40000)), base_url="http://testserver")


async def register(api: Api, client: httpx.AsyncClient) -> httpx.Response:
    versions = await api.current_versions()
    name = f"reg_{secrets.token_hex(4)}"
    return await client.post(
        "/api/v1/auth/register",
        json={"username": name, "password": "correct-horse-9", "nickname": name, "accept": versions},
    )


async def test_a_fourth_registration_from_one_source_within_the_hour_waits(api: Api, app: Any, clock: Any) -> None:
    async with source(app, "198.51.100.7") as c:
        codes = [(await register(api, c)).status_code for _ in range(4)]
        assert codes == [201, 201, 201, 429]
        r = await register(api, c)
        assert r.json()["error"] == {
            "code": "rate_limited",
            "message": "尝试次数过多，请在 20 分钟后再试",
            "details": {"retry_after_ms": 1_200_000},
        }
        assert r.headers["Retry-After"] == "1200"
        async with source(app, "198.51.100.8") as neighbour:
            assert (await register(api, neighbour)).status_code == 201
        clock.advance(timedelta(minutes=20))
        assert (await register(api, c)).status_code == 201


async def send_code(api: Api, user: dict[str, Any], client: httpx.AsyncClient | None = None) -> httpx.Response:
    c = client or api.client
    return await c.post("/api/v1/me/verification/phone", json={"phone": random_mobile()}, headers=api.h(user))


async def test_an_account_gets_two_codes_an_hour(api: Api, clock: Any) -> None:
    user = await api.unverified_user()
    assert (await send_code(api, user)).status_code == 202
    clock.advance(timedelta(seconds=61))  # past the resend interval
    assert (await send_code(api, user)).status_code == 202
    clock.advance(timedelta(seconds=61))
    r = await send_code(api, user)
    assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited"
    assert r.json()["error"]["details"]["retry_after_ms"] == (1800 - 122) * 1000
    assert int(r.headers["Retry-After"]) == 1800 - 122


async def test_one_source_gets_three_codes_an_hour_across_accounts(api: Api, app: Any, clock: Any) -> None:
    users = []
    for _ in range(4):
        users.append(await api.unverified_user())
        clock.advance(timedelta(minutes=20))  # this module allows three registrations an hour from one source
    async with source(app, "2001:db8:5:6::1") as a, source(app, "2001:db8:5:6::2") as b:
        codes = [(await send_code(api, u, c)).status_code for u, c in zip(users, [a, b, a, b], strict=True)]
    assert codes == [202, 202, 202, 429]


async def test_tries_at_codes_are_limited_per_account_across_new_codes(api: Api, clock: Any) -> None:
    user = await api.unverified_user()
    statuses = []
    for _ in range(2):  # each code locks after 5 wrong tries; a new code does not reset the account's limit
        assert (await send_code(api, user)).status_code == 202
        for _ in range(4):
            r = await api.client.post(
                "/api/v1/me/verification/phone/confirm", json={"code": "000000"}, headers=api.h(user)
            )
            statuses.append(r.status_code)
        clock.advance(timedelta(seconds=61))
    assert statuses[:6] == [422] * 6 and statuses[6:] == [429, 429]
