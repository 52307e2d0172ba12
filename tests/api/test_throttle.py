"""Sign-in throttling and account lockout over the API, on SQLite and PostgreSQL, with the in-process and the Redis
limiter. Time stands still on the container's ManualClock and tests move it; nothing sleeps."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from tests.conftest import Api

from qunzu.clock import ManualClock
from qunzu.storage.tables import operation_log, sms_outbox

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
LOCK_PERIODS = [60, 300, 900]


@pytest.fixture(params=["memory", "redis"])
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Small limits, so a test reaches them in a few requests; the limiter in-process and in Redis."""
    overrides: dict[str, Any] = {
        "throttle": {
            "login_per_account": {"limit": 10, "window_seconds": 60},
            "login_per_ip": {"limit": 1000, "window_seconds": 60},
            "register_per_ip": {"limit": 1000, "window_seconds": 60},
            "lockout_threshold": 10,
            "lockout_periods_seconds": LOCK_PERIODS,
            "redis_prefix": f"qunzu-test:{secrets.token_hex(6)}:",
        }
    }
    if request.param == "redis":
        overrides["redis_url"] = request.getfixturevalue("redis_url")
    return overrides


@pytest.fixture
def clock() -> Any:
    """The container's clock, standing at T0 until a test moves it."""
    return ManualClock(T0)


def source(app: Any, ip: str) -> httpx.AsyncClient:
    """A client connecting from `ip`."""
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=60)


@pytest.fixture
async def other(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with source(app, "198.51.100.20") as c:
        yield c


async def login(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post(
        "/api/v1/auth/login", json={"username": username, "password": password}, headers={"Accept-Language": "en"}
    )


async def test_the_eleventh_try_within_a_minute_is_refused_with_the_wait(api: Api, clock: Any) -> None:
    user = await api.unverified_user()  # one sign-in already
    codes = [(await login(api.client, user["username"], "correct-horse-9")).status_code for _ in range(10)]
    assert codes == [200] * 9 + [429]
    r = await login(api.client, user["username"], "correct-horse-9")
    assert r.status_code == 429
    error = r.json()["error"]
    assert error["code"] == "rate_limited" and error["details"] == {"retry_after_ms": 6000}
    assert r.headers["Retry-After"] == "6"
    assert error["message"] == "Too many attempts; try again in 6 s"
    clock.advance(timedelta(seconds=6))
    assert (await login(api.client, user["username"], "correct-horse-9")).status_code == 200


async def test_the_zh_cn_refusal_names_the_wait(api: Api, clock: Any) -> None:
    for _ in range(10):
        await login(api.client, "nobody-here", "wrong-password-1")
    r = await api.client.post("/api/v1/auth/login", json={"username": "nobody-here", "password": "x"})
    assert r.json()["error"]["message"] == "尝试次数过多，请在 60 秒后再试"


async def test_ten_failures_lock_the_account_even_for_the_right_password(api: Api, clock: Any, app: Any) -> None:
    user = await api.user()  # with a verified mobile number
    clock.advance(timedelta(minutes=1))  # past the sign-in that came with it
    codes = [(await login(api.client, user["username"], "wrong-password-1")).status_code for _ in range(10)]
    assert codes == [401] * 9 + [429]
    clock.advance(timedelta(seconds=30))
    r = await login(api.client, user["username"], "correct-horse-9")
    assert r.status_code == 429 and r.json()["error"]["details"] == {"retry_after_ms": 30_000}
    assert r.headers["Retry-After"] == "30"
    async with source(app, "198.51.100.99") as elsewhere:  # another source does not help
        assert (await login(elsewhere, user["username"], "correct-horse-9")).status_code == 429
    clock.advance(timedelta(seconds=30))
    assert (await login(api.client, user["username"], "correct-horse-9")).status_code == 200


async def test_each_lock_lasts_longer(api: Api, clock: Any) -> None:
    user = await api.unverified_user()
    clock.advance(timedelta(minutes=1))
    waits = []
    for period in LOCK_PERIODS:
        for _ in range(10):
            r = await login(api.client, user["username"], "wrong-password-1")
        waits.append(r.json()["error"]["details"]["retry_after_ms"])
        clock.advance(timedelta(seconds=period))
    assert waits == [p * 1000 for p in LOCK_PERIODS]


async def test_a_successful_sign_in_resets_the_count(api: Api, clock: Any) -> None:
    user = await api.unverified_user()
    for _ in range(9):
        assert (await login(api.client, user["username"], "wrong-password-1")).status_code == 401
    clock.advance(timedelta(minutes=1))  # the per-account rate limit refills
    assert (await login(api.client, user["username"], "correct-horse-9")).status_code == 200
    for _ in range(9):
        assert (await login(api.client, user["username"], "wrong-password-1")).status_code == 401


def _answer(r: httpx.Response) -> tuple[int, Any, dict[str, str]]:
    kept = ("content-type", "content-length", "retry-after", "www-authenticate")
    return r.status_code, r.json(), {k: r.headers[k] for k in kept if k in r.headers}


async def test_fifteen_wrong_tries_answer_alike_whether_the_account_exists_or_not(
    api: Api, clock: Any, app: Any, container: Any
) -> None:
    user = await api.user()
    clock.advance(timedelta(minutes=1))  # the account's sign-in bucket is as full as the missing name's
    missing = "no-such-" + user["username"][-6:]
    answers = {}
    for name, ip in ((user["username"], "198.51.100.1"), (missing, "198.51.100.2")):
        async with source(app, ip) as c:
            answers[name] = [_answer(await login(c, name, "wrong-password-1")) for _ in range(15)]
    assert answers[user["username"]] == answers[missing]
    assert [a[0] for a in answers[missing]] == [401] * 9 + [429] * 6
    await container.throttle.drain()
    async with container.db.uow(write=False) as uow:  # both were counted and locked; only the real one is told
        locks = (
            await uow.conn.execute(select(operation_log.c.target_id).where(operation_log.c.action == "auth.lockout"))
        ).scalars()
        assert sorted(locks) == sorted([user["username"], missing])


async def test_the_owner_gets_a_notice_and_an_sms_and_the_lock_is_in_the_operation_log(
    api: Api, clock: Any, app: Any, container: Any
) -> None:
    user = await api.user()
    clock.advance(timedelta(minutes=1))
    async with source(app, "2001:db8:1:2::5") as attacker:
        for _ in range(10):
            await login(attacker, user["username"], "wrong-password-1")
    await container.throttle.drain()

    r = await api.client.get("/api/v1/me/notices", headers=api.h(user))
    assert r.status_code == 200
    [notice] = r.json()
    assert notice["kind"] == "account_locked" and notice["read"] is False
    assert notice["details"] == {"failures": 10, "ip": "2001:db8:1:2:*", "locked_until": "2026-12-01T08:02:00+00:00"}
    assert "10 failed sign-in attempts" in notice["message"] and "2001:db8:1:2:*" in notice["message"]

    sms = container.sms.sent[-1]
    assert sms.phone_e164 == "+86" + user["phone"] and "连续 10 次登录失败" in sms.text and "16:02" in sms.text
    async with container.db.uow(write=False) as uow:
        outbox = (await uow.conn.execute(select(sms_outbox.c.body).where(sms_outbox.c.user_id == user["id"]))).all()
        log = (await uow.conn.execute(select(operation_log).where(operation_log.c.action == "auth.lockout"))).one()
    assert outbox[-1].body == sms.text
    assert log.actor_id == user["id"] and log.src_ip == "2001:db8:1:2::5"
    assert log.details == {"failures": 10, "lock_level": 1, "locked_until": "2026-12-01T08:02:00+00:00"}

    r = await api.client.post(f"/api/v1/me/notices/{notice['id']}/read", headers=api.h(user))
    assert r.status_code == 204
    assert (await api.client.get("/api/v1/me/notices", headers=api.h(user))).json()[0]["read"] is True


async def test_someone_elses_notice_is_not_found(api: Api, clock: Any, container: Any) -> None:
    owner, stranger = await api.unverified_user(), await api.unverified_user()
    clock.advance(timedelta(minutes=1))
    for _ in range(10):
        await login(api.client, owner["username"], "wrong-password-1")
    [notice] = (await api.client.get("/api/v1/me/notices", headers=api.h(owner))).json()
    for notice_id in (notice["id"], 99999999999999999999):
        r = await api.client.post(f"/api/v1/me/notices/{notice_id}/read", headers=api.h(stranger))
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert (await api.client.get("/api/v1/me/notices", headers=api.h(owner))).json()[0]["read"] is False


async def test_fifty_simultaneous_wrong_logins_let_at_most_ten_reach_the_password_check(
    api: Api, container: Any, app: Any, clock: Any
) -> None:
    user = await api.unverified_user()
    clock.advance(timedelta(minutes=1))  # a full bucket
    checked = 0
    verify = container.passwords.verify

    async def counting_verify(stored: str | None, password: str) -> bool:
        nonlocal checked
        checked += 1
        return await verify(stored, password)

    container.passwords.verify = counting_verify
    try:
        clients = [source(app, f"203.0.113.{i}") for i in range(50)]
        results = await asyncio.gather(*(login(c, user["username"], "wrong-password-1") for c in clients))
        for c in clients:
            await c.aclose()
    finally:
        container.passwords.verify = verify
    assert checked <= 10
    assert sorted(r.status_code for r in results).count(429) >= 40
    assert {r.status_code for r in results} <= {401, 429}


async def test_one_source_is_limited_across_usernames_and_an_ipv6_host_by_its_64(
    api: Api, app: Any, clock: Any, container: Any
) -> None:
    container.throttle.settings.login_per_ip.limit = 3  # this test's source limit (read at each request)
    async with source(app, "2001:db8:aa:bb::1") as a, source(app, "2001:db8:aa:bb::2") as b:
        codes = [(await login(c, f"name{i}", "wrong-password-1")).status_code for i, c in enumerate([a, b, a, b])]
    assert codes == [401, 401, 401, 429]
    async with source(app, "2001:db8:aa:cc::1") as neighbour:
        assert (await login(neighbour, "name9", "wrong-password-1")).status_code == 401
