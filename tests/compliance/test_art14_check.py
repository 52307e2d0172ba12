"""Art. 14 as an inspector checks it: the provider can show, at any time and every month by itself, that each duty of
the catalogue is still running: `qunzu compliance check` prints pass or fail per article with the evidence, and
exits non-zero when a duty has drifted (an unfiled policy, a changed log record, a group left without an owner), so
an operator's cron notices (R-14-1).

第十四条：互联网群组信息服务提供者和使用者违反本规定的，由有关部门依照相关法律法规处理。
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from sqlalchemy import select, text, update
from tests.conftest import use_policy
from typer.testing import CliRunner

from qunzu import cli
from qunzu.context import Ctx
from qunzu.netlog import chain
from qunzu.services import accounts, policy_admin
from qunzu.services.compliance_check import run_self_check
from qunzu.services.report_keys import load_signing_key
from qunzu.storage.tables import groups, operation_log


@pytest.fixture
async def run_cli(container: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    loop = asyncio.get_running_loop()
    monkeypatch.setattr(
        cli, "_with_container", lambda fn: asyncio.run_coroutine_threadsafe(fn(container), loop).result()
    )

    async def invoke(*args: str) -> Any:
        return await asyncio.to_thread(CliRunner().invoke, cli.app, list(args))

    return invoke


async def _seal_all(container: Any) -> None:
    while await chain.seal(container.db, now=container.clock.now()) > 0:
        pass


@pytest.fixture
async def healthy(container: Any, api: Any) -> dict[str, Any]:
    """A deployment doing its duties: the policy in force filed, the signing key made, a group with its owner, the
    log sealed."""
    ctx = Ctx.system(container.clock.now(), ip="cli")
    officer = await accounts.register_user(
        container.db, container.passwords, username="officer1", password="long-password-1", nickname="officer1",
        ctx=ctx, staff_role=accounts.StaffRole.COMPLIANCE_OFFICER,
    )  # fmt: skip
    status = await policy_admin.filing_status(container.db)
    await policy_admin.mark_filed(
        container.db, staff=officer, version=status.running.version, ref="京网信备-001", ctx=ctx
    )
    load_signing_key(container.settings.report_key_path)
    owner = await api.user()
    code = await api.create_group(owner)
    await api.join(await api.user(), code)
    await _seal_all(container)
    return {"officer": officer, "code": code}


def _articles(output: str) -> dict[int, bool]:
    found = json.loads(output)
    return {a["article"]: a["ok"] for a in found["articles"]}


async def test_r_14_1_a_healthy_deployment_passes_every_article(healthy: Any, run_cli: Any) -> None:
    r = await run_cli("compliance", "check")
    assert r.exit_code == 0, r.output
    for line in ("Art. 5: PASS", "Art. 7: PASS", "Art. 8: PASS", "Art. 11: PASS", "Art. 13: PASS", "OK"):
        assert line in r.output, r.output
    assert "version in force v1 filed (ref 京网信备-001)" in r.output, "the evidence, not just a verdict"
    assert "1 groups, each with a code and an owner" in r.output
    r = await run_cli("compliance", "check", "--json")
    assert r.exit_code == 0
    assert _articles(r.output) == {5: True, 7: True, 8: True, 11: True, 13: True}


async def test_r_14_1_an_unfiled_policy_fails_article_7(healthy: Any, container: Any, run_cli: Any) -> None:
    await use_policy(container, invite_consent_above=60)
    r = await run_cli("compliance", "check")
    assert r.exit_code == 1, r.output
    assert "Art. 7: FAIL" in r.output and "version in force v2 differs from the last filed v1" in r.output
    assert "FAILED: Art. 7" in r.output
    assert "Art. 13: PASS" in r.output, "the other articles are still checked"


async def test_r_14_1_a_changed_log_record_fails_article_13(healthy: Any, container: Any, run_cli: Any) -> None:
    async with container.db.uow() as uow:  # what the database owner could do: drop the guard, change a row
        victim = await uow.conn.execute(select(operation_log.c.id).where(operation_log.c.action == "group.join"))
        victim_id = victim.scalar_one()
        if uow.dialect == "postgresql":
            await uow.conn.execute(text("ALTER TABLE operation_log DISABLE TRIGGER operation_log_guard"))
        else:
            await uow.conn.execute(text("DROP TRIGGER IF EXISTS operation_log_no_update"))
        await uow.conn.execute(text(f"UPDATE operation_log SET src_ip = '198.51.100.1' WHERE id = {victim_id}"))
        if uow.dialect == "postgresql":
            await uow.conn.execute(text("ALTER TABLE operation_log ENABLE TRIGGER operation_log_guard"))
        await uow.commit()
    r = await run_cli("compliance", "check", "--json")
    assert r.exit_code == 1
    assert _articles(r.output)[13] is False and _articles(r.output)[7] is True
    r = await run_cli("compliance", "check")
    assert f"record {victim_id}: changed" in r.output and "FAILED: Art. 13" in r.output


async def test_r_14_1_a_group_without_an_owner_fails_article_8(
    healthy: Any, container: Any, api: Any, run_cli: Any
) -> None:
    stranger = await api.user()
    async with container.db.uow() as uow:
        await uow.conn.execute(update(groups).where(groups.c.code == healthy["code"]).values(owner_id=stranger["id"]))
        await uow.commit()
    found = await run_self_check(container.db, settings=container.settings, now=container.clock.now())
    assert not found.ok and found.failed_articles() == [8]
    (finding,) = [f for f in found.findings if f.article == 8]
    assert healthy["code"] in finding.evidence and "without an owner" in finding.evidence


async def test_r_14_1_the_monthly_job_records_the_result(healthy: Any, container: Any) -> None:
    from qunzu.jobs import run_job
    from qunzu.jobs.catalogue import platform_jobs

    await use_policy(container, invite_consent_above=60)
    job = next(j for j in platform_jobs(container.db, container.settings) if j.name == "compliance-check")
    assert await run_job(job, container.clock.now()) == 1
    async with container.db.uow(write=False) as uow:
        row = (await uow.conn.execute(select(operation_log).where(operation_log.c.action == "compliance.check"))).one()
    assert row.result == "failed" and row.details["failed_articles"] == [7]
    assert row.details["failed"] == ["policy_filed"]


async def test_r_14_1_work_waiting_with_nobody_on_shift_fails_article_5(healthy: Any, api: Any, run_cli: Any) -> None:
    member = await api.user()
    assert (await api.join(member, healthy["code"])).status_code in (200, 201)
    r = await api.post(member, healthy["code"], "QZ-TEST-HOLD 请审核")
    assert r.status_code in (200, 201, 202), r.text
    r = await run_cli("compliance", "check")
    assert r.exit_code == 1, r.output
    assert "Art. 5: FAIL" in r.output and "missed: nobody_on_shift" in r.output and "review 1 waiting" in r.output
    assert "emergency_switches: drill: a platform-wide stop_send switch refuses a post" in r.output
