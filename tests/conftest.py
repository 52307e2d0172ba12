"""Shared fixtures: every storage and service test runs on SQLite and on PostgreSQL.

PostgreSQL tests use a fresh database per test session (dropped at the end). A test may skip for a missing
service only when QUNZU_REQUIRE_SERVICES is unset; with it set (CI), a missing service fails the run.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, NoReturn

import httpx
import pytest
from prometheus_client import CollectorRegistry

from qunzu.config import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_DSN = os.environ.get("QUNZU_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("QUNZU_TEST_REDIS", "redis://127.0.0.1:6379/0")
REQUIRE = os.environ.get("QUNZU_REQUIRE_SERVICES") == "1"
PYTHON = sys.executable


def service_missing(what: str, problem: str = "is not reachable", fix: str = "") -> NoReturn:
    """Skip the test for a missing service or tool; with QUNZU_REQUIRE_SERVICES=1 (CI) fail it instead."""
    message = f"{what} {problem}" + (f": {fix}" if fix else "")
    if REQUIRE:
        pytest.fail(f"{message} (QUNZU_REQUIRE_SERVICES=1: failed, not skipped)", pytrace=False)
    pytest.skip(message)


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- PostgreSQL: one scratch database per test session ------------------------------------------------------


class PgServer:
    def __init__(self) -> None:
        self.created: list[str] = []

    async def create_database(self, prefix: str = "qunzu_test") -> str:
        import asyncpg

        name = f"{prefix}_{secrets.token_hex(4)}"
        conn = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        self.created.append(name)
        return name

    async def drop_all(self) -> None:
        import asyncpg

        conn = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            for name in self.created:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    @staticmethod
    def url(name: str) -> str:
        base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        return f"{base}/{name}"


@pytest.fixture(scope="session")
async def pg_server() -> AsyncIterator[PgServer | None]:
    if not _port_open("127.0.0.1", 5432):
        yield None
        return
    server = PgServer()
    yield server
    await server.drop_all()


@pytest.fixture(scope="session")
async def pg_template(pg_server: PgServer | None) -> str | None:
    """A migrated PostgreSQL database for this session; tests truncate it between uses."""
    if pg_server is None:
        return None
    from qunzu.storage.migrate import upgrade

    name = await pg_server.create_database()
    await upgrade(PgServer.url(name))
    return PgServer.url(name)


@pytest.fixture(scope="session")
async def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file; each test gets a copy."""
    from qunzu.storage.migrate import upgrade

    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    await upgrade(f"sqlite+aiosqlite:///{path}")
    return path


async def _truncate_pg(url: str) -> None:
    import asyncpg

    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn)
    try:
        from qunzu.storage.tables import metadata

        names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        await conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path, pg_template: str | None
) -> str:
    """A migrated, empty database of each kind."""
    if request.param == "sqlite":
        target = tmp_path / "qunzu.db"
        shutil.copyfile(sqlite_template, target)
        return f"sqlite+aiosqlite:///{target}"
    if pg_template is None:
        service_missing("PostgreSQL at 127.0.0.1:5432")
    assert pg_template is not None
    await _truncate_pg(pg_template)
    return pg_template


# The suite registers and signs in dozens of users from one address: generous limits unless a module sets its own
# (a module's `throttle` overrides are merged onto these).
GENEROUS = {"limit": 100_000, "window_seconds": 60}
TEST_THROTTLE: dict[str, Any] = {
    name: GENEROUS
    for name in (
        "login_per_account",
        "login_per_ip",
        "register_per_ip",
        "phone_code_per_account",
        "phone_code_per_ip",
        "phone_confirm_per_account",
        "phone_confirm_per_ip",
        "post_per_ip",
        "search_per_ip",
    )
}


# The same for server processes (tests/system, tests/web, the schemathesis run), as environment variables.
TEST_THROTTLE_ENV = {
    f"QUNZU_THROTTLE__{name.upper()}": '{"limit": 100000, "window_seconds": 60}' for name in TEST_THROTTLE
}
# The policy's send rates (R-7.1-4) would refuse the suite's bursts of posts: raised, unless a module sets
# `throttle: {"post_rate_override": None}` (tests/compliance/test_art07_send_rate.py).
TEST_THROTTLE["post_rate_override"] = 100_000
TEST_THROTTLE_ENV["QUNZU_THROTTLE__POST_RATE_OVERRIDE"] = "100000"


def make_settings(database_url: str, data_dir: Path, **overrides: Any) -> Settings:
    overrides["throttle"] = {**TEST_THROTTLE, **overrides.get("throttle", {})}
    return load_settings(profile="test", database_url=database_url, data_dir=data_dir, **overrides)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Override in a test module to change settings for its app (e.g. a smaller member cap)."""
    return {}


@pytest.fixture
def clock() -> Any:
    """The container's clock: the wall clock, unless a test asks for `manual_clock` (then it moves only when told)."""
    from qunzu.clock import SystemClock

    return SystemClock()


@pytest.fixture
def manual_clock() -> Any:
    """A clock standing at a fixed instant; `clock.advance(timedelta(...))` moves it (and the whole app's `now`)."""
    from datetime import UTC, datetime

    from qunzu.clock import ManualClock

    return ManualClock(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))


@pytest.fixture
async def container(
    database_url: str, tmp_path: Path, settings_overrides: dict[str, Any], request: pytest.FixtureRequest
) -> AsyncIterator[Any]:
    from qunzu.bootstrap import build_container

    # a test that takes `manual_clock` runs the whole container on it; every other test on `clock`
    clock = request.getfixturevalue("manual_clock" if "manual_clock" in request.fixturenames else "clock")
    settings = make_settings(database_url, tmp_path, **settings_overrides)
    c = build_container(settings, registry=CollectorRegistry(), clock=clock)
    await c.start()
    try:
        yield c
    finally:
        await c.stop()


@pytest.fixture
async def app(container: Any) -> Any:
    from qunzu.app import create_app

    return create_app(container, with_web=False)


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50123))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=60) as c:
        yield c


def random_mobile() -> str:
    """A valid mainland mobile number, different each call."""
    return secrets.choice(["138", "139", "150", "186", "177"]) + f"{secrets.randbelow(10**8):08d}"


class Api:
    """A thin test client speaking the public API, so tests read like what a user does."""

    def __init__(self, client: httpx.AsyncClient, container: Any) -> None:
        self.client = client
        self.container = container
        self._n = 0

    async def current_versions(self) -> dict[str, int]:
        docs = (await self.client.get("/api/v1/documents")).json()
        return {d["kind"]: d["version"] for d in docs}

    async def unverified_user(self, name: str | None = None, nickname: str | None = None) -> dict[str, Any]:
        """Registered (agreement and privacy policy accepted) and signed in, identity not verified."""
        self._n += 1
        name = name or f"user{self._n}_{secrets.token_hex(3)}"
        versions = await self.current_versions()
        r = await self.client.post(
            "/api/v1/auth/register",
            json={
                "username": name,
                "password": "correct-horse-9",
                "nickname": nickname or name[:20],
                "accept": {"agreement": versions["agreement"], "privacy": versions["privacy"]},
            },
        )
        assert r.status_code == 201, r.text
        r = await self.client.post("/api/v1/auth/login", json={"username": name, "password": "correct-horse-9"})
        assert r.status_code == 200, r.text
        body = r.json()
        return {"id": body["user"]["id"], "username": name, "token": body["access_token"]}

    def last_code(self, phone: str | None = None) -> str:
        """The newest one-time code the development SMS sender 'sent' (to `phone`, when given)."""
        import re

        for sms in reversed(self.container.sms.sent):
            if phone is None or sms.phone_e164 == "+86" + phone:
                return re.search(r"\d{6}", sms.text).group(0)  # type: ignore[union-attr]
        raise AssertionError("no code was sent")

    async def verify_phone(self, user: dict[str, Any], phone: str | None = None) -> httpx.Response:
        phone = phone or random_mobile()
        r = await self.client.post("/api/v1/me/verification/phone", json={"phone": phone}, headers=self.h(user))
        assert r.status_code == 202, r.text
        user["phone"] = phone
        return await self.client.post(
            "/api/v1/me/verification/phone/confirm", json={"code": self.last_code(phone)}, headers=self.h(user)
        )

    async def user(self, name: str | None = None, nickname: str | None = None) -> dict[str, Any]:
        """Registered, signed in, mobile number verified (L1): may create, join and post."""
        u = await self.unverified_user(name, nickname)
        r = await self.verify_phone(u)
        assert r.status_code == 200, r.text
        return u

    @staticmethod
    def h(user: dict[str, Any], lang: str = "en") -> dict[str, str]:
        return {"Authorization": f"Bearer {user['token']}", "Accept-Language": lang}

    async def create_group(
        self, owner: dict[str, Any], name: str = "测试群", category: str = "work", tier: str = "S", **extra: Any
    ) -> str:
        """Create a group accepting the current 群主责任告知书 (R-9.1-1); `tier` S/M/L/XL sets its member cap."""
        body = {"name": name, "category": category, "tier": tier, **extra}
        body.setdefault("duties_version", (await self.current_versions())["owner_duties"])
        r = await self.client.post("/api/v1/groups", json=body, headers=self.h(owner))
        assert r.status_code == 201, r.text
        return str(r.json()["code"])

    async def join(self, user: dict[str, Any], code: str) -> httpx.Response:
        return await self.client.post(f"/api/v1/groups/{code}/join", headers=self.h(user))

    async def accept_offer(self, user: dict[str, Any], offer: dict[str, Any]) -> httpx.Response:
        """Accept a role offer with the current 群主责任告知书 (R-9.1-1)."""
        version = (await self.current_versions())["owner_duties"]
        return await self.client.post(
            f"/api/v1/me/offers/{offer['id']}/accept", json={"duties_version": version}, headers=self.h(user)
        )

    async def appoint(self, owner: dict[str, Any], code: str, user: dict[str, Any]) -> httpx.Response:
        """The owner offers the manager role and `user` accepts it: the accepted offer's response."""
        r = await self.client.post(
            f"/api/v1/groups/{code}/managers", json={"user_id": user["id"]}, headers=self.h(owner)
        )
        assert r.status_code == 202, r.text
        return await self.accept_offer(user, r.json())

    async def hand_over(self, owner: dict[str, Any], code: str, heir: dict[str, Any]) -> httpx.Response:
        """The owner offers the group to `heir`, who accepts it (R-9.1-2): the accepted offer's response."""
        r = await self.client.post(
            f"/api/v1/groups/{code}/transfer", json={"user_id": heir["id"]}, headers=self.h(owner)
        )
        assert r.status_code == 202, r.text
        return await self.accept_offer(heir, r.json())

    async def post(self, user: dict[str, Any], code: str, text: str, cid: str | None = None) -> httpx.Response:
        return await self.client.post(
            f"/api/v1/groups/{code}/messages",
            json={"text": text, "client_msg_id": cid or secrets.token_hex(8)},
            headers=self.h(user),
        )

    async def messages(self, user: dict[str, Any], code: str, **params: Any) -> httpx.Response:
        return await self.client.get(f"/api/v1/groups/{code}/messages", params=params, headers=self.h(user))


async def use_policy(container: Any, **changes: Any) -> int:
    """Put a new group-policy version in force with `changes` applied to the current body (top-level keys; a dict
    value is merged one level down, e.g. levels={4: {...}} for C4). Returns the new version number. For tests: staff
    change the policy through the console."""
    from sqlalchemy import insert

    from qunzu.domain.policy import parse_policy, policy_body, policy_changes
    from qunzu.storage.tables import policy_versions

    current = await container.policy.current()
    old = policy_body(current.policy)
    new = dict(old)
    for key, value in changes.items():
        new[key] = {**old[key], **value} if isinstance(value, dict) and isinstance(old.get(key), dict) else value
    body = policy_body(parse_policy(new))
    async with container.db.uow() as uow:
        await uow.conn.execute(
            insert(policy_versions).values(
                version=current.version + 1,
                body=body,
                changes=policy_changes(old, body),
                note="test",
                created_at=container.clock.now(),
            )
        )
        await uow.commit()
    container.policy.invalidate()
    return current.version + 1


@pytest.fixture
def api(client: httpx.AsyncClient, container: Any) -> Api:
    return Api(client, container)


@pytest.fixture
def redis_url() -> str:
    if not _port_open("127.0.0.1", 6379):
        service_missing("Redis at 127.0.0.1:6379")
    return REDIS_URL


@pytest.fixture(params=["sqlite", "postgres"])
async def server_db(request: pytest.FixtureRequest, tmp_path: Path, pg_server: PgServer | None) -> AsyncIterator[str]:
    """A database URL for server processes (migrated by the test through the CLI)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'server.db'}"
        return
    if pg_server is None:
        service_missing("PostgreSQL at 127.0.0.1:5432")
    assert pg_server is not None
    yield PgServer.url(await pg_server.create_database("qunzu_sys"))
