"""`qunzu report lawful --request ID` (R-13.1-1): an operator builds the answer to an approved lawful request, and
`qunzu report verify` checks it as it checks a report; a request not approved is refused."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select
from tests.cli.test_cli import qunzu
from tests.compliance._reports import Seed

AT = datetime(2026, 11, 12, 2, 0, tzinfo=UTC)


def seed(tmp_path: Path) -> None:
    """A group with an owner, and two requests about it: one approved, one pending."""
    from tests.conftest import make_settings

    from qunzu.bootstrap import build_container
    from qunzu.storage.tables import lawful_requests, users

    async def run() -> None:
        c = build_container(make_settings(f"sqlite+aiosqlite:///{tmp_path / 'qunzu.db'}", tmp_path))
        try:
            s = Seed(c)
            owner = await s.user("群主甲", at=AT - timedelta(days=9))
            officer = await s.user("合规乙", at=AT - timedelta(days=9))
            gid, code = await s.group(owner, at=AT - timedelta(days=8))
            async with c.db.uow() as uow:
                await uow.conn.execute(users.update().where(users.c.id == officer).values(staff_role="admin"))
                for status in ("approved", "pending"):
                    await uow.conn.execute(
                        insert(lawful_requests).values(
                            authority="某市公安局", document_number="某公调〔2026〕9号", legal_basis="《网络安全法》第二十八条",
                            scope={"groups": [{"id": gid, "code": code}], "accounts": [], "addresses": [],
                                   "include_identity": False},
                            period_from=AT - timedelta(days=1), period_to=AT + timedelta(days=1), reason="调查",
                            status=status, requested_by=owner, requested_at=AT, decided_by=officer, decided_at=AT,
                        )
                    )  # fmt: skip
                await uow.commit()
                assert (await uow.conn.execute(select(lawful_requests.c.id))).all()
        finally:
            await c.db.dispose()

    asyncio.run(run())


def test_an_operator_answers_an_approved_request_and_the_package_verifies(tmp_path: Path) -> None:
    assert qunzu(tmp_path, "migrate").returncode == 0
    seed(tmp_path)
    r = qunzu(tmp_path, "report", "lawful", "--request", "1")
    assert r.returncode == 0, r.stderr
    lines = dict(line.split(":", 1) for line in r.stdout.splitlines() if ":" in line)
    package = Path(lines["package"].strip())
    assert package.name.startswith("qunzu-lawful-") and "  identities: 1" in r.stdout
    ok = qunzu(tmp_path, "report", "verify", str(package))
    assert ok.returncode == 0 and ok.stdout.strip() == "OK", ok.stdout + ok.stderr
    again = qunzu(tmp_path, "report", "lawful", "--request", "1")
    assert again.returncode == 1 and "lawful_request_not_approved" in again.stderr
    pending = qunzu(tmp_path, "report", "lawful", "--request", "2")
    assert pending.returncode == 1 and "lawful_request_not_approved" in pending.stderr
