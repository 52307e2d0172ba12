"""services/enforcement.py: apply_measure and lift_measure — state, records, evidence, notices, overlaps."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from qunzu.context import Ctx
from qunzu.domain.credit import Severity
from qunzu.domain.enforcement import MeasureKind, MeasureSpec, evidence_intact
from qunzu.domain.restrictions import PERMANENT
from qunzu.errors import ErrorCode, QunzuError
from qunzu.services.enforcement import apply_measure, lift_measure
from qunzu.storage.tables import account_notices, credit_events, enforcement_records, groups, messages, users


async def _apply(container: Any, spec: MeasureSpec, decided_by: int | None = None) -> int:
    async with container.db.uow() as uow:
        rid = await apply_measure(uow, spec=spec, decided_by=decided_by, ctx=Ctx.system(container.clock.now()))
        await uow.commit()
    return rid


async def _lift(container: Any, rid: int, status: str = "lifted") -> None:
    async with container.db.uow() as uow:
        await lift_measure(uow, record_id=rid, reason="test", lifted_by=None, ctx=Ctx.system(container.clock.now()),
                           status=status)  # fmt: skip
        await uow.commit()


async def _row(container: Any, table: Any, id_: int) -> Any:
    async with container.db.uow(write=False) as uow:
        return (await uow.conn.execute(select(table).where(table.c.id == id_))).one()


async def _group_id(container: Any, code: str) -> int:
    async with container.db.uow(write=False) as uow:
        return int((await uow.conn.execute(select(groups.c.id).where(groups.c.code == code))).scalar_one())


async def test_overlapping_suspensions_do_not_lift_each_other(api: Any, container: Any, manual_clock: Any) -> None:
    owner = await api.user()
    code = await api.create_group(owner)
    gid = await _group_id(container, code)
    long = await _apply(container, MeasureSpec(MeasureKind.GROUP_SUSPEND, gid, "fraud", "诈骗信息", timedelta(days=2)))
    short = await _apply(container, MeasureSpec(MeasureKind.GROUP_SUSPEND, gid, "fraud", "再次", timedelta(hours=3)))
    g = await _row(container, groups, gid)
    assert g.suspended_until == manual_clock.now() + timedelta(days=2)
    await _lift(container, long)
    g = await _row(container, groups, gid)
    assert g.suspended_until == manual_clock.now() + timedelta(hours=3)
    await _lift(container, short)
    assert (await _row(container, groups, gid)).suspended_until is None
    with pytest.raises(QunzuError) as err:
        await _lift(container, short)
    assert err.value.code == ErrorCode.MEASURE_NOT_ACTIVE


async def test_permanent_creation_revoke_and_credit(api: Any, container: Any) -> None:
    user = await api.user()
    rid = await _apply(
        container,
        MeasureSpec(MeasureKind.USER_CREATE_REVOKE, user["id"], "fraud", "组织诈骗", credit_severity=Severity.SERIOUS),
    )
    u = await _row(container, users, user["id"])
    assert u.create_revoked_until == PERMANENT
    rec = await _row(container, enforcement_records, rid)
    assert rec.status == "active" and rec.ends_at is None and rec.clause == "agreement 6.3.6"
    ev = await _row(container, credit_events, rec.credit_event_id)
    assert ev.delta == -20 and ev.user_id == user["id"] and ev.source_id == rid


async def test_evidence_survives_deletion_and_notice_reaches_owner(api: Any, container: Any) -> None:
    owner = await api.user()
    code = await api.create_group(owner)
    gid = await _group_id(container, code)
    posted = (await api.post(owner, code, "加我微信领红包")).json()
    rid = await _apply(
        container,
        MeasureSpec(MeasureKind.GROUP_WARNING, gid, "advertising", "广告", timedelta(days=3), rectification="清理广告",
                    evidence_message_ids=(posted["id"],)),
    )  # fmt: skip
    r = await api.client.delete(f"/api/v1/groups/{code}/messages/{posted['id']}", headers=api.h(owner))
    assert r.status_code in (200, 204), r.text
    rec = await _row(container, enforcement_records, rid)
    assert rec.evidence[0]["text"] == "加我微信领红包"
    assert evidence_intact(rec.evidence, rec.evidence_sha256)
    async with container.db.uow(write=False) as uow:
        notes = list(await uow.conn.execute(select(account_notices).where(account_notices.c.user_id == owner["id"])))
    assert [n.details["record_id"] for n in notes if n.kind == "measure"] == [rid]


async def test_content_removal_hides_message_and_lift_restores(api: Any, container: Any) -> None:
    owner = await api.user()
    code = await api.create_group(owner)
    posted = (await api.post(owner, code, "违规内容")).json()
    rid = await _apply(container, MeasureSpec(MeasureKind.CONTENT_REMOVAL, posted["id"], "fraud", "诈骗"))
    assert (await _row(container, messages, posted["id"])).deleted_at is not None
    assert (await _row(container, enforcement_records, rid)).status == "resolved"
    await _lift(container, rid)
    assert (await _row(container, messages, posted["id"])).deleted_at is None


async def test_lifting_a_closure_reopens_the_group_with_its_owner(api: Any, container: Any) -> None:
    owner, member = await api.user(), await api.user()
    code = await api.create_group(owner)
    await api.join(member, code)
    gid = await _group_id(container, code)
    rid = await _apply(container, MeasureSpec(MeasureKind.GROUP_CLOSE, gid, "gambling", "赌博"))
    g = await _row(container, groups, gid)
    assert g.status == "closed" and g.closed_reason == f"measure:{rid}"
    assert (await _row(container, users, member["id"])).groups_joined == 0
    await _lift(container, rid)
    assert (await _row(container, groups, gid)).status == "active"
    assert (await api.post(owner, code, "恢复了")).status_code == 201
    assert (await api.post(member, code, "我呢")).status_code == 403, "members were let go; they may join again"
    assert (await api.join(member, code)).status_code in (200, 201)


def test_the_subject_is_told_live_by_a_user_directed_measure_frame() -> None:
    import json

    from qunzu.services.dispatch import to_realtime
    from qunzu.services.events import MeasureChanged

    event = to_realtime(MeasureChanged(7, 42, "group_suspend", "active", 3, "1234567890", "2026-03-02T09:00:00Z",
                                       "赌博", 1_000))  # fmt: skip
    assert event is not None and event.kind == "user" and event.user_id == 7
    frame = json.loads(event.frame)
    assert frame == {"type": "measure", "record": 42, "measure": "group_suspend", "status": "active",
                     "group": "1234567890", "until": "2026-03-02T09:00:00Z", "reason": "赌博", "ts": 1_000}  # fmt: skip
