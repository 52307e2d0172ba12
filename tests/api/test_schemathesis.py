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
from tests.system.server import ServerProcess
from tests.system.users import create_staff, login, verified_user


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    tmp: Path = tmp_path_factory.mktemp("schemathesis")
    server = ServerProcess(
        {"QUNZU_DATABASE_URL": f"sqlite+aiosqlite:///{tmp / 'st.db'}", "QUNZU_DATA_DIR": str(tmp)}, tmp / "server.log"
    )
    server.migrate()
    server.start()
    try:
        create_staff(server)

        async def prepare() -> dict[str, str]:
            async with httpx.AsyncClient(base_url=server.url, timeout=30) as c:
                staff = await login(c, "ops", "staff-password-1")
                headers = (await verified_user(c, staff, "fuzzer"))["headers"]
                await c.post("/api/v1/groups", json={"name": "fuzz", "category": "work"}, headers=headers)
                return headers

        headers = asyncio.run(prepare())
        yield server.url, headers
    finally:
        server.stop()


@pytest.fixture(scope="module")
def api_schema(live_server: tuple[str, dict[str, str]]) -> schemathesis.BaseSchema:
    url, _ = live_server
    return schemathesis.openapi.from_url(f"{url}/openapi.json")


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def test_every_operation_conforms(api_schema: schemathesis.BaseSchema, live_server: tuple[str, dict[str, str]]) -> None:
    url, headers = live_server
    failures: list[str] = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:
        if operation.path in ("/api/v1/auth/logout", "/api/v1/me/cancel"):
            continue  # would end the shared session; covered in tests/api/test_accounts.py and the Art. 6 tests

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(base_url=url, headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as exc:  # collect every operation's failure, then report them together
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert not failures, "\n\n".join(failures)
