"""Art. 7 ¶2 — 使用者信用等级管理体系: as an inspector checks it, through the API, on SQLite and PostgreSQL.

A confirmed violation (a reviewer rejects flagged content) deducts from the author's credit by its severity, in the
same transaction as the decision; the author sees the score, the level, the event with its reason and rule, and
when the next point comes back; clean time (a moved clock, no sleeping) brings points back."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
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
