"""Art. 7 ¶2 — 使用者信用等级管理体系: as an inspector checks it, through the API, on SQLite and PostgreSQL.

A confirmed violation (a reviewer rejects flagged content) deducts from the author's credit by its severity, in the
same transaction as the decision; the author sees the score, the level, the event with its reason and rule, and
when the next point comes back; clean time (a moved clock, no sleeping) brings points back."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text
from tests.compliance.test_art06_identity import staff

from qunzu.storage.tables import credit_events, operation_log


async def _reject_flagged_post(api: Any, client: Any, container: Any, author: dict[str, Any], reason: str) -> None:
    reviewer = await staff(api, container, "reviewer")
    code = await api.create_group(author)
    assert (await api.post(author, code, "加微信领红包 QZ-TEST-FLAG")).status_code == 201
    item = (await client.get("/api/v1/staff/review/queue", headers=api.h(reviewer))).json()[0]
    r = await client.post(
        f"/api/v1/staff/review/items/{item['id']}/decide",
        json={"approve": False, "reason_code": reason},
        headers=api.h(reviewer),
    )
    assert r.status_code == 204, r.text


async def test_r_7_2_1_a_confirmed_violation_lowers_the_score_with_its_reason_and_rule(
    api: Any, client: Any, container: Any, manual_clock: Any
) -> None:
    author, bystander = await api.user(), await api.user()
    fresh = (await client.get("/api/v1/me/credit", headers=api.h(author))).json()
    assert (fresh["score"], fresh["level"], fresh["events"], fresh["next_recovery_at"]) == (100, 4, [], None)
    await _reject_flagged_post(api, client, container, author, "gambling")
    mine = (await client.get("/api/v1/me/credit", headers=api.h(author))).json()
    assert (mine["score"], mine["level"]) == (80, 3), "a serious violation costs 20: C4 → C3"
    (event,) = mine["events"]
    assert (event["kind"], event["delta"], event["reason"], event["rule"]) == ("violation", -20, "gambling", "R-10-1")
    assert (await client.get("/api/v1/me/credit", headers=api.h(bystander))).json()["score"] == 100
    export = (await client.get("/api/v1/me/export", headers=api.h(author))).json()
    assert [(e["kind"], e["delta"], e["reason"]) for e in export["credit"]] == [("violation", -20, "gambling")]
    async with container.db.uow(write=False) as uow:
        row = (await uow.conn.execute(select(credit_events))).one()
        logged = (
            await uow.conn.execute(select(operation_log).where(operation_log.c.action == "credit.violation"))
        ).one()
    assert (row.user_id, row.source, row.decided_by is not None) == (author["id"], "review", True)
    assert (logged.target_id, logged.details["delta"]) == (str(author["id"]), -20)


async def test_r_7_2_3_the_user_sees_when_clean_time_brings_points_back(
    api: Any, client: Any, container: Any, manual_clock: Any
) -> None:
    author = await api.user()
    await _reject_flagged_post(api, client, container, author, "advertising")
    mine = (await client.get("/api/v1/me/credit", headers=api.h(author))).json()
    assert mine["score"] == 95
    first = mine["next_recovery_at"]
    manual_clock.advance(timedelta(days=6, hours=23))
    assert (await client.get("/api/v1/me/credit", headers=api.h(author))).json()["score"] == 95
    manual_clock.advance(timedelta(hours=1))
    later = (await client.get("/api/v1/me/credit", headers=api.h(author))).json()
    assert later["score"] == 96 and later["events"][0]["kind"] == "recovery"
    assert later["next_recovery_at"] > first
    manual_clock.advance(timedelta(days=365))
    login = {"username": author["username"], "password": "correct-horse-9"}  # a year on, the old token has expired
    token = (await client.post("/api/v1/auth/login", json=login)).json()["access_token"]
    final = (await client.get("/api/v1/me/credit", headers={"Authorization": f"Bearer {token}"})).json()
    assert final["score"] == 100 and final["next_recovery_at"] is None, "never above the start"


async def _recoveries(container: Any, user_id: int) -> list[Any]:
    async with container.db.uow(write=False) as uow:
        return list(
            await uow.conn.execute(
                select(credit_events)
                .where(credit_events.c.user_id == user_id, credit_events.c.kind == "recovery")
                .order_by(credit_events.c.id)
            )
        )


async def test_r_7_2_1_the_daily_job_writes_earned_recoveries_once_without_changing_the_score(
    api: Any, client: Any, container: Any, manual_clock: Any
) -> None:
    from qunzu.jobs import run_job

    author = await api.user()
    await _reject_flagged_post(api, client, container, author, "harassment")  # moderate: 100 → 90
    manual_clock.advance(timedelta(days=15))
    before = (await client.get("/api/v1/me/credit", headers=api.h(author))).json()
    assert before["score"] == 92, "two clean weeks count before anything is written"
    assert (await container.scheduler.run_due())["credit-recovery"] == 2, "the daily job, on the moved clock"
    written = await _recoveries(container, author["id"])
    assert [(r.delta, r.source, r.rule, r.decided_by) for r in written] == [(1, "recovery", "R-7.2-1", None)] * 2
    after = (await client.get("/api/v1/me/credit", headers=api.h(author))).json()
    assert after == before, "writing the recoveries down changes nothing the user sees"
    job = container.scheduler.jobs["credit-recovery"]
    assert await run_job(job, manual_clock.now()) == 0, "a second run writes nothing"
    assert len(await _recoveries(container, author["id"])) == 2
    manual_clock.advance(timedelta(days=7))
    assert await run_job(job, manual_clock.now()) == 1
    assert (await client.get("/api/v1/me/credit", headers=api.h(author))).json()["score"] == 93


async def test_r_7_2_3_an_upheld_appeal_reverses_the_event_and_restores_the_score(
    api: Any, client: Any, container: Any
) -> None:
    from qunzu.context import Ctx
    from qunzu.errors import QunzuError
    from qunzu.services.credit import reverse_event

    author, decider = await api.user(), await staff(api, container, "compliance_officer")
    await _reject_flagged_post(api, client, container, author, "gambling")
    assert (await client.get("/api/v1/me/credit", headers=api.h(author))).json()["score"] == 80
    async with container.db.uow(write=False) as uow:
        violation = (await uow.conn.execute(select(credit_events))).one()
    ctx = Ctx.system(container.clock.now())
    async with container.db.uow() as uow:  # the appeal decision's transaction (the enforcement issue calls this)
        reversal = await reverse_event(uow, event_id=violation.id, reason="appeal upheld", decided_by=decider["id"],
                                       ctx=ctx)  # fmt: skip
        await uow.commit()
    mine = (await client.get("/api/v1/me/credit", headers=api.h(author))).json()
    assert mine["score"] == 100 and mine["next_recovery_at"] is None
    assert [(e["kind"], e["reason"]) for e in mine["events"]] == [
        ("reversal", "appeal upheld"),
        ("violation", "gambling"),
    ]
    for event_id, code in ((violation.id, "already_decided"), (reversal.id, "validation_failed")):
        with pytest.raises(QunzuError) as refused:
            async with container.db.uow() as uow:
                await reverse_event(uow, event_id=event_id, reason="again", decided_by=decider["id"], ctx=ctx)
        assert refused.value.code.value == code
    async with container.db.uow(write=False) as uow:
        stored = (await uow.conn.execute(select(credit_events).where(credit_events.c.kind == "reversal"))).one()
        logged = (
            await uow.conn.execute(select(operation_log).where(operation_log.c.action == "credit.reversal"))
        ).one()
    assert (stored.reverses, stored.source, stored.decided_by) == (violation.id, "appeal", decider["id"])
    assert (logged.actor_id, logged.details["event_id"]) == (decider["id"], violation.id)


async def test_r_7_2_1_the_database_refuses_to_change_or_remove_a_ledger_event(
    api: Any, client: Any, container: Any
) -> None:
    author = await api.user()
    await _reject_flagged_post(api, client, container, author, "advertising")
    for statement in ("UPDATE credit_events SET delta = 0", "DELETE FROM credit_events"):
        with pytest.raises(Exception, match="append-only"):
            async with container.db.uow() as uow:
                await uow.conn.execute(text(statement))
                await uow.commit()
    async with container.db.uow(write=False) as uow:
        assert (await uow.conn.execute(select(func.count()).select_from(credit_events))).scalar_one() == 1
    assert (await client.get("/api/v1/me/credit", headers=api.h(author))).json()["score"] == 95
