"""R-13.1-3 as an inspector checks it: a legal hold on a user, a group or a period keeps their records past every
purge — the log's retention and the purge of a cancelled account's identity copy — until it is released, and the
next purge then takes them; placing and releasing are recorded, by the roles allowed to.

第十三条第一款：互联网群组信息服务提供者应当配合有关主管部门依法进行的监督检查，并提供必要的技术支持和协助。
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from tests.compliance._creation import staff

from qunzu.jobs import run_job
from qunzu.jobs.catalogue import platform_jobs
from qunzu.storage.tables import identities, operation_log


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"logs": {"network_retention_days": 184, "operation_retention_days": 184}}


async def _retention(container: Any) -> None:
    job = next(j for j in platform_jobs(container.db, container.settings) if j.name == "netlog-retention")
    await run_job(job, container.clock.now())


async def _hold(api: Any, who: dict[str, Any], **body: Any) -> Any:
    body = {"authority": "某市公安局", "document_number": "公调〔2026〕12号", "reason": "案件调查", **body}
    return await api.client.post("/api/v1/staff/holds", json=body, headers=api.h(who, "zh-CN"))


async def _actions(container: Any, action: str) -> list[Any]:
    async with container.db.uow(write=False) as uow:
        return list((await uow.conn.execute(select(operation_log).where(operation_log.c.action == action))).all())


async def test_r_13_1_3_only_officers_and_admins_place_holds_and_each_step_is_recorded(
    api: Any, container: Any
) -> None:
    person = await api.user()
    officer, reviewer = await staff(api, container, "compliance_officer"), await staff(api, container)
    regulator = await staff(api, container, "regulator")
    r = await _hold(api, reviewer, subject_type="user", subject=person["username"])
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    r = await _hold(api, officer, subject_type="user", subject=person["username"])
    assert r.status_code == 201, r.text
    hold = r.json()
    assert hold["label"] == f"@{person['username']}" and hold["active"] and hold["records_held"] > 0
    listed = (await api.client.get("/api/v1/staff/holds", headers=api.h(regulator))).json()
    assert [h["id"] for h in listed] == [hold["id"]], "the regulator role reads them"
    r = await api.client.post(f"/api/v1/staff/holds/{hold['id']}/release", json={"reason": "结案"},
                              headers=api.h(regulator))  # fmt: skip
    assert r.status_code == 403
    r = await api.client.post(f"/api/v1/staff/holds/{hold['id']}/release", json={"reason": "结案"},
                              headers=api.h(officer))  # fmt: skip
    assert r.status_code == 200 and r.json()["active"] is False and r.json()["release_reason"] == "结案"
    r = await api.client.post(f"/api/v1/staff/holds/{hold['id']}/release", json={"reason": "again"},
                              headers=api.h(officer))  # fmt: skip
    assert r.status_code == 409
    placed, released = await _actions(container, "legal_hold.place"), await _actions(container, "legal_hold.release")
    assert placed[0].actor_id == officer["id"] and placed[0].details["document_number"] == "公调〔2026〕12号"
    assert released[0].actor_id == officer["id"]


async def test_r_13_1_3_bad_holds_are_refused_naming_the_field(api: Any, container: Any) -> None:
    officer = await staff(api, container, "compliance_officer")
    r = await _hold(api, officer, subject_type="period")
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "starts_at"
    r = await _hold(
        api, officer, subject_type="period", starts_at="2026-03-02T00:00:00Z", ends_at="2026-03-01T00:00:00Z"
    )
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "ends_at"
    r = await _hold(api, officer, subject_type="group", subject="0000000000")
    assert r.status_code == 404 and r.json()["error"]["details"]["field"] == "subject"
    r = await _hold(api, officer, subject_type="user", subject="nobody-here")
    assert r.status_code == 404


async def test_r_13_1_3_a_held_cancelled_account_keeps_its_records_until_released(
    api: Any, client: Any, container: Any, manual_clock: Any
) -> None:
    held, free = await api.user(), await api.user()
    officer = await staff(api, container, "compliance_officer")
    hold = (await _hold(api, officer, subject_type="user", subject=held["username"])).json()
    for who in (held, free):
        r = await client.post("/api/v1/me/cancel", json={"password": "correct-horse-9", "confirm": True},
                              headers=api.h(who))  # fmt: skip
        assert r.status_code in (200, 204), r.text
    manual_clock.advance(timedelta(days=366))  # past the identity copy's period and the log's retention
    await _retention(container)
    async with container.db.uow(write=False) as uow:
        kept = {
            r.user_id: r.phone_ct for r in await uow.conn.execute(select(identities.c.user_id, identities.c.phone_ct))
        }
        rows = (
            await uow.conn.execute(select(operation_log.c.actor_id).where(operation_log.c.action == "account.cancel"))
        ).all()
    assert kept[held["id"]] is not None and kept[free["id"]] is None, "the hold overrides the cancellation's purge"
    assert [r.actor_id for r in rows] == [held["id"]], "the held account's records outlive the retention"
    manual_clock.advance(timedelta(minutes=5))
    officer = await staff(api, container, "compliance_officer")  # the first one's session expired meanwhile
    r = await client.post(f"/api/v1/staff/holds/{hold['id']}/release", json={"reason": "结案"}, headers=api.h(officer))
    assert r.status_code == 200
    manual_clock.advance(timedelta(days=1))
    await _retention(container)
    async with container.db.uow(write=False) as uow:
        phone = (
            await uow.conn.execute(select(identities.c.phone_ct).where(identities.c.user_id == held["id"]))
        ).scalar()
        rows = (
            await uow.conn.execute(select(operation_log.c.id).where(operation_log.c.action == "account.cancel"))
        ).all()
    assert phone is None and rows == [], "released: the next purge takes them"


async def test_r_13_1_3_a_group_hold_and_a_period_hold(api: Any, container: Any, manual_clock: Any) -> None:
    owner, bystander = await api.user(), await api.user()
    code = await api.create_group(owner)
    officer = await staff(api, container, "compliance_officer")
    assert (await _hold(api, officer, subject_type="group", subject=code)).status_code == 201
    start = manual_clock.now()
    manual_clock.advance(timedelta(days=10))
    await api.create_group(bystander)
    r = await _hold(api, officer, subject_type="period", starts_at=(manual_clock.now() - timedelta(hours=1)).isoformat(),
                    ends_at=(manual_clock.now() + timedelta(hours=1)).isoformat())  # fmt: skip
    assert r.status_code == 201
    manual_clock.advance(timedelta(days=200))
    await _retention(container)
    async with container.db.uow(write=False) as uow:
        left = (
            await uow.conn.execute(select(operation_log).where(operation_log.c.ts < start + timedelta(days=11)))
        ).all()
    assert {r.action for r in left if r.ts < start + timedelta(days=1)} == {"group.create"}, "the group's own records"
    assert any(r.actor_id == bystander["id"] for r in left), "everything in the held period"
    assert not any(r.action == "account.register" and r.actor_id == owner["id"] for r in left)
