"""Art. 13 ¶2 as an inspector checks it: network and operation records carry the field set of REQUIREMENTS §3.2,
are chained so that a changed or removed record is found (`qunzu logs verify` names it), the database itself refuses
to change them or delete a young one, and they are kept at least six months, then archived and purged, except what a
legal hold keeps (R-13.2-1, R-13.2-2, R-13.1-3).

第十三条第二款：互联网群组信息服务提供者应当按规定留存网络日志不少于六个月。
"""

from __future__ import annotations

import asyncio
import gzip
import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, func, insert, select, text, update
from typer.testing import CliRunner

from qunzu import cli
from qunzu.context import Ctx
from qunzu.netlog import chain, retention
from qunzu.storage.tables import legal_holds, log_days, log_purge_permits, log_seals, operation_log


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"logs": {"network_retention_days": 184, "operation_retention_days": 184}}


@pytest.fixture
async def run_cli(container: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    loop = asyncio.get_running_loop()
    monkeypatch.setattr(
        cli, "_with_container", lambda fn: asyncio.run_coroutine_threadsafe(fn(container), loop).result()
    )

    async def invoke(*args: str) -> Any:
        return await asyncio.to_thread(CliRunner().invoke, cli.app, list(args))

    return invoke


async def _rows(container: Any, *where: Any) -> list[Any]:
    async with container.db.uow(write=False) as uow:
        return list((await uow.conn.execute(select(operation_log).where(*where).order_by(operation_log.c.id))).all())


async def _seal_all(container: Any) -> int:
    total = 0
    while (n := await chain.seal(container.db, now=container.clock.now())) > 0:
        total += n
    return total


async def _retention(container: Any) -> None:
    from qunzu.jobs import run_job
    from qunzu.jobs.catalogue import platform_jobs

    job = next(j for j in platform_jobs(container.db, container.settings) if j.name == "netlog-retention")
    await run_job(job, container.clock.now())


async def _unguarded(container: Any, sql: str) -> None:
    """What someone with the database owner's rights could do: drop the guard, change a row."""
    async with container.db.uow() as uow:
        if uow.dialect == "postgresql":
            await uow.conn.execute(text("ALTER TABLE operation_log DISABLE TRIGGER operation_log_guard"))
        else:
            await uow.conn.execute(text("DROP TRIGGER IF EXISTS operation_log_no_update"))
            await uow.conn.execute(text("DROP TRIGGER IF EXISTS operation_log_purge_only"))
        await uow.conn.execute(text(sql))
        if uow.dialect == "postgresql":  # the database outlives the test (it is emptied, not dropped)
            await uow.conn.execute(text("ALTER TABLE operation_log ENABLE TRIGGER operation_log_guard"))
        await uow.commit()


async def test_r_13_2_1_records_carry_the_network_log_field_set(api: Any, client: Any, container: Any) -> None:
    user = await api.user()
    headers = {"X-Qunzu-Client": "android/3.2.1", "X-Qunzu-Device": "dev-8f3a2c", "User-Agent": "okhttp/4"}
    r = await client.post("/api/v1/auth/login", json={"username": user["username"], "password": "wrong-password-9"},
                          headers=headers)  # fmt: skip
    assert r.status_code in (401, 409)
    r = await client.post("/api/v1/auth/login", json={"username": user["username"], "password": "correct-horse-9"},
                          headers=headers)  # fmt: skip
    assert r.status_code == 200, r.text
    logins = await _rows(container, operation_log.c.action == "auth.login", operation_log.c.actor_id == user["id"])
    refused, ok = logins[-2], logins[-1]
    assert refused.result == "refused" and refused.error_code == "invalid_credentials"
    for row in (refused, ok):
        assert row.ts.tzinfo is not None and row.ts.microsecond % 1000 == 0, "UTC, milliseconds"
        assert (row.src_ip, row.src_port) == ("203.0.113.7", 50123)
        assert (row.client_type, row.client_version, row.device_id) == ("android", "3.2.1", "dev-8f3a2c")
        assert row.dst_ip is not None
    assert ok.session_hash and len(ok.session_hash) == 16, "the session it opened, hashed"
    token = r.json()["access_token"]
    await client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"})
    out = (await _rows(container, operation_log.c.action == "auth.logout", operation_log.c.actor_id == user["id"]))[-1]
    assert out.session_hash == ok.session_hash and out.client_type == "api"


async def test_r_13_2_1_a_changed_record_is_named_by_logs_verify(api: Any, container: Any, run_cli: Any) -> None:
    user = await api.user()
    code = await api.create_group(user)
    await api.join(await api.user(), code)
    assert await _seal_all(container) > 0
    r = await run_cli("logs", "verify", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["ok"] is True
    victim = (await _rows(container, operation_log.c.action == "group.join"))[-1]
    await _unguarded(container, f"UPDATE operation_log SET src_ip = '198.51.100.1' WHERE id = {victim.id}")
    r = await run_cli("logs", "verify")
    assert r.exit_code == 1 and f"record {victim.id}: changed" in r.output, r.output
    await _unguarded(container, f"DELETE FROM operation_log WHERE id = {victim.id}")
    found = await chain.verify(container.db, now=container.clock.now())
    assert found.broken is not None and (found.broken.record_id, found.broken.problem) == (victim.id, "missing")


async def test_r_13_2_1_the_database_refuses_to_change_or_delete_a_young_record(api: Any, container: Any) -> None:
    await api.user()
    row = (await _rows(container))[-1]
    for stmt in (
        update(operation_log).where(operation_log.c.id == row.id).values(action="x"),
        delete(operation_log).where(operation_log.c.id == row.id),
    ):
        with pytest.raises(Exception, match="append-only"):
            async with container.db.uow() as uow:
                await uow.conn.execute(stmt)
    with pytest.raises(Exception, match="append-only"):  # a purge permit does not cover a record under 184 days
        async with container.db.uow() as uow:
            await uow.conn.execute(insert(log_purge_permits).values(before=row.ts + timedelta(days=1),
                                                                    created_at=row.ts))  # fmt: skip
            await uow.conn.execute(delete(operation_log).where(operation_log.c.id == row.id))
    assert len(await _rows(container, operation_log.c.id == row.id)) == 1


async def test_a_record_that_commits_late_is_still_sealed(api: Any, container: Any) -> None:
    await api.user()
    await _seal_all(container)
    from qunzu.netlog import record

    async with container.db.uow() as uow:
        await record(uow, Ctx.system(container.clock.now()), "test.late", actor=None)
        await uow.commit()
    assert await _seal_all(container) == 1
    assert (await chain.verify(container.db, now=container.clock.now())).ok


async def test_r_13_2_2_a_purge_past_retention_skips_what_is_on_hold(
    api: Any, container: Any, manual_clock: Any, run_cli: Any
) -> None:
    held_user, other = await api.user(), await api.user()
    await api.create_group(held_user)
    await api.create_group(other)
    day = manual_clock.now().strftime("%Y-%m-%d")
    async with container.db.uow() as uow:
        await uow.conn.execute(insert(legal_holds).values(
            subject_type="user", subject_id=held_user["id"], label=held_user["username"], authority="某市公安局",
            document_number="公调〔2026〕12号", reason="案件调查", created_at=manual_clock.now()))  # fmt: skip
        await uow.commit()
    before = await _rows(container)
    manual_clock.advance(timedelta(days=183))
    await _retention(container)
    assert len(await _rows(container, operation_log.c.id <= before[-1].id)) == len(before), "kept under 184 days"
    manual_clock.advance(timedelta(days=2))  # 185 days
    await _retention(container)
    left = await _rows(container, operation_log.c.id <= before[-1].id)
    assert left and all(r.actor_id == held_user["id"] or r.target_id == str(held_user["id"]) for r in left)
    assert not any(r.actor_id == other["id"] for r in left), "the rest of the day is gone"
    purge = (await _rows(container, operation_log.c.action == "netlog.purge"))[-1]
    assert purge.target_id == day and purge.details["deleted"] > 0 and purge.details["held"] == len(left)
    async with container.db.uow(write=False) as uow:
        d = (await uow.conn.execute(select(log_days).where(log_days.c.day == day))).one()
    archive = container.settings.netlog_archive_dir / day[:4] / f"netlog-{day}.jsonl.gz"
    assert d.archive_file == str(archive) and d.purged_records == purge.details["deleted"]
    lines = [json.loads(x) for x in gzip.decompress(archive.read_bytes()).splitlines()]
    assert {ln["record"]["id"] for ln in lines} >= {r.id for r in before}, "everything archived first"
    # released: the next purge takes the held records too
    manual_clock.advance(timedelta(hours=2))
    async with container.db.uow() as uow:
        await uow.conn.execute(update(legal_holds).values(released_at=manual_clock.now(), release_reason="结案"))
        await uow.commit()
    manual_clock.advance(timedelta(days=1))
    await _retention(container)
    assert await _rows(container, operation_log.c.id <= before[-1].id) == []
    # the archive comes back, checked, and the chain verifies again
    r = await run_cli("logs", "restore", str(archive))
    assert r.exit_code == 0, r.output
    assert len(await _rows(container, operation_log.c.id <= before[-1].id)) == len(lines)
    assert (await chain.verify(container.db, now=manual_clock.now(), day_from=day, day_to=day)).ok


async def test_a_tampered_archive_is_refused(api: Any, container: Any, manual_clock: Any, run_cli: Any) -> None:
    await api.user()
    await _seal_all(container)
    day = manual_clock.now().strftime("%Y-%m-%d")
    archived = await retention.archive_day(container.db, day=day, out_dir=container.settings.netlog_archive_dir,
                                           now=manual_clock.now())  # fmt: skip
    raw = gzip.decompress(archived.file.read_bytes()).replace(b"203.0.113.7", b"203.0.113.8")
    archived.file.write_bytes(gzip.compress(raw))
    r = await run_cli("logs", "restore", str(archived.file))
    assert r.exit_code == 1 and "SHA-256" in r.output
    async with container.db.uow(write=False) as uow:
        assert (await uow.conn.execute(select(func.count()).select_from(log_seals))).scalar_one() > 0
