"""Property-based checks over our OpenAPI (schemathesis): no 5xx, every response matches the documented schema."""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from tests.conftest import PgServer, service_missing
from tests.system.server import ServerProcess
from tests.system.users import create_staff, login, verified_user


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def live_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, pg_server: PgServer | None
) -> Iterator[tuple[str, dict[str, str], str]]:
    """A server on each database: PostgreSQL refuses what SQLite stores (a NUL in text), so both are fuzzed."""
    tmp: Path = tmp_path_factory.mktemp("schemathesis")
    database = f"sqlite+aiosqlite:///{tmp / 'st.db'}"
    if request.param == "postgres":
        if pg_server is None:
            service_missing("PostgreSQL at 127.0.0.1:5432")
        assert pg_server is not None
        database = PgServer.url(asyncio.run(pg_server.create_database("qunzu_st")))
    server = ServerProcess({"QUNZU_DATABASE_URL": database, "QUNZU_DATA_DIR": str(tmp)}, tmp / "server.log")
    server.migrate()
    server.start()
    try:
        create_staff(server)

        async def prepare() -> tuple[dict[str, str], str]:
            async with httpx.AsyncClient(base_url=server.url, timeout=30) as c:
                staff = await login(c, "ops", "staff-password-1")
                headers = (await verified_user(c, staff, "fuzzer"))["headers"]
                r = await c.post(
                    "/api/v1/groups", json={"name": "fuzz", "category": "work", "duties_version": 1}, headers=headers
                )
                return headers, r.json()["code"]

        headers, code = asyncio.run(prepare())
        yield server.url, headers, code
    finally:
        server.stop()


@pytest.fixture(scope="module")
def api_schema(live_server: tuple[str, dict[str, str], str]) -> schemathesis.BaseSchema:
    url, _, _ = live_server
    return schemathesis.openapi.from_url(f"{url}/openapi.json")


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def aim(case: schemathesis.Case, code: str) -> None:
    """Point the generated request at the fuzzer's real group, with a real category, so the generated text gets past
    "no such group" and reaches the service and the database (where PostgreSQL refused a NUL)."""
    if case.path_parameters and "code" in case.path_parameters:
        case.path_parameters["code"] = code
    if isinstance(case.body, dict) and "category" in case.body and case.operation.path == "/api/v1/groups":
        case.body["category"] = "work"


def test_every_operation_conforms(
    api_schema: schemathesis.BaseSchema, live_server: tuple[str, dict[str, str], str]
) -> None:
    url, headers, code = live_server
    failures: list[str] = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:
        if operation.path in ("/api/v1/auth/logout", "/api/v1/me/cancel"):
            continue  # would end the shared session; covered in tests/api/test_accounts.py and the Art. 6 tests

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case: schemathesis.Case) -> None:
            aim(case, code)
            case.call_and_validate(base_url=url, headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as exc:  # collect every operation's failure, then report them together
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert not failures, "\n\n".join(failures)
