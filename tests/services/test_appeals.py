"""services/appeals.py: who may appeal what, once, until when; who decides; what an upheld appeal undoes, in one
transaction; the queue's order and overdue marks (R-11-x, D10, D14)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from tests.compliance._creation import staff

from qunzu.context import Ctx
from qunzu.domain.credit import Severity
from qunzu.domain.enforcement import MeasureKind, MeasureSpec
from qunzu.errors import QunzuError
from qunzu.services import appeals, credit, enforcement
from qunzu.services.views import UserView
from qunzu.storage.tables import appeals as appeals_table
from qunzu.storage.tables import credit_events, enforcement_records, groups, users


async def view(container: Any, user: dict[str, Any]) -> UserView:
    async with container.db.uow(write=False) as uow:
        u = (await uow.conn.execute(select(users).where(users.c.id == user["id"]))).one()
    return UserView(u.id, u.username, u.nickname, u.staff_role, u.created_at)


async def apply(
    container: Any,
    decider: dict[str, Any],
    target_id: int,
    kind: MeasureKind = MeasureKind.USER_MUTE,
    *,
    severity: Severity | None = Severity.MINOR,
    duration: timedelta | None = timedelta(days=7),
    reason_code: str = "harassment",
) -> int:
    """A measure applied through services/enforcement.py, as a staff decision would."""
    spec = MeasureSpec(
        kind=kind, target_id=target_id, reason_code=reason_code, reason="多次辱骂其他成员", duration=duration,
        rectification="删除违规信息并在群公告中重申群规" if kind is MeasureKind.GROUP_WARNING else None,
        credit_severity=severity,
    )  # fmt: skip
    async with container.db.uow() as uow:
        record_id = await enforcement.apply_measure(
            uow, spec=spec, decided_by=decider["id"], ctx=Ctx.system(container.clock.now())
        )
        await uow.commit()
    return record_id


async def record(container: Any, record_id: int) -> Any:
    async with container.db.uow(write=False) as uow:
        return (await uow.conn.execute(select(enforcement_records).where(enforcement_records.c.id == record_id))).one()


async def score(container: Any, user: dict[str, Any]) -> int:
    return (await credit.my_credit(container.db, actor=user["id"], now=container.clock.now())).score


def ctx(container: Any) -> Ctx:
    return Ctx.system(container.clock.now())


async def refused(code: str, call: Any) -> QunzuError:
    with pytest.raises(QunzuError) as caught:
        await call
    assert caught.value.code == code, caught.value
    return caught.value


async def test_upheld_appeal_lifts_the_measure_and_reverses_its_credit_in_one_go(api, container) -> None:
    user, decider, other = await api.user(), await staff(api, container), await staff(api, container, "admin")
    record_id = await apply(container, decider, user["id"])
    assert await score(container, user) < 100
    appeal_id = await appeals.file_appeal(
        container.db,
        actor=await view(container, user),
        record_id=record_id,
        statement="我没有辱骂他人",
        ctx=ctx(container),
    )
    assert (await record(container, record_id)).status == "active", "in force while the appeal waits (§8.3)"
    decided = await appeals.decide_appeal(
        container.db, staff=await view(container, other), appeal_id=appeal_id, uphold=True, reason="证据不足",
        ctx=ctx(container),
    )  # fmt: skip
    assert decided.status == "upheld" and decided.decided_by == other["id"]
    rec = await record(container, record_id)
    assert (rec.status, rec.lift_reason, rec.lifted_by) == ("lifted", "appeal", other["id"])
    assert await score(container, user) == 100
    async with container.db.uow(write=False) as uow:
        reversal = (await uow.conn.execute(select(credit_events).where(credit_events.c.kind == "reversal"))).one()
        muted = (await uow.conn.execute(select(users.c.platform_muted_until).where(users.c.id == user["id"]))).one()
    assert reversal.reverses == rec.credit_event_id and reversal.decided_by == other["id"]
    assert muted[0] is None or muted[0] <= container.clock.now()
    await refused(
        "already_decided",
        appeals.decide_appeal(
            container.db, staff=await view(container, other), appeal_id=appeal_id, uphold=False, reason="再议",
            ctx=ctx(container),
        ),
    )  # fmt: skip


async def test_rejected_appeal_leaves_the_measure_in_force(api, container) -> None:
    user, decider, other = await api.user(), await staff(api, container), await staff(api, container)
    record_id = await apply(container, decider, user["id"])
    before = await score(container, user)
    appeal_id = await appeals.file_appeal(
        container.db, actor=await view(container, user), record_id=record_id, statement="处罚太重了", ctx=ctx(container)
    )
    decided = await appeals.decide_appeal(
        container.db, staff=await view(container, other), appeal_id=appeal_id, uphold=False,
        reason="聊天记录证实了辱骂行为", ctx=ctx(container),
    )  # fmt: skip
    assert decided.status == "rejected" and decided.decision_reason == "聊天记录证实了辱骂行为"
    assert (await record(container, record_id)).status == "active" and await score(container, user) == before


async def test_only_the_subject_appeals_once_within_the_window(api, container, manual_clock) -> None:
    user, stranger, decider = await api.user(), await api.user(), await staff(api, container)
    record_id = await apply(container, decider, user["id"])
    me = await view(container, user)
    await refused(
        "measure_not_found",
        appeals.file_appeal(
            container.db, actor=await view(container, stranger), record_id=record_id, statement="我替他申诉",
            ctx=ctx(container),
        ),
    )  # fmt: skip
    await refused(
        "validation_failed",
        appeals.file_appeal(container.db, actor=me, record_id=record_id, statement=" 不 ", ctx=ctx(container)),
    )
    late = await apply(container, decider, user["id"], MeasureKind.USER_WARNING, duration=None)
    await appeals.file_appeal(
        container.db, actor=me, record_id=record_id, statement="我没有辱骂他人", ctx=ctx(container)
    )
    error = await refused(
        "appeal_exists",
        appeals.file_appeal(container.db, actor=me, record_id=record_id, statement="再申诉一次", ctx=ctx(container)),
    )
    assert "appeal_id" in error.details
    manual_clock.advance(timedelta(days=61))
    error = await refused(
        "appeal_closed",
        appeals.file_appeal(container.db, actor=me, record_id=late, statement="现在才看到通知", ctx=ctx(container)),
    )
    assert error.details["reason"] == "window"


async def test_a_group_measure_is_appealed_by_the_owner_not_a_manager(api, container) -> None:
    owner, manager, decider = await api.user(), await api.user(), await staff(api, container)
    code = await api.create_group(owner)
    await api.join(manager, code)
    await api.appoint(owner, code, manager)
    async with container.db.uow(write=False) as uow:
        group_id = (await uow.conn.execute(select(groups.c.id).where(groups.c.code == code))).scalar_one()
    record_id = await apply(container, decider, group_id, MeasureKind.GROUP_SUSPEND, severity=None)
    await refused(
        "appeal_not_allowed",
        appeals.file_appeal(
            container.db, actor=await view(container, manager), record_id=record_id, statement="群主不在，我来申诉",
            ctx=ctx(container),
        ),
    )  # fmt: skip
    appeal_id = await appeals.file_appeal(
        container.db, actor=await view(container, owner), record_id=record_id, statement="违规成员已被移出",
        ctx=ctx(container),
    )  # fmt: skip
    mine = await appeals.my_appeals(container.db, actor=owner["id"], now=container.clock.now())
    assert [(a.id, a.group_code, a.record["measure"]) for a in mine] == [(appeal_id, code, "group_suspend")]
    assert mine[0].record["evidence"] == [], "the appellant's list carries no evidence copies"


async def test_the_original_decider_and_the_appellant_may_not_decide(api, container) -> None:
    user, decider = await api.user(), await staff(api, container)
    record_id = await apply(container, decider, user["id"])
    appeal_id = await appeals.file_appeal(
        container.db,
        actor=await view(container, user),
        record_id=record_id,
        statement="我没有辱骂他人",
        ctx=ctx(container),
    )
    await refused(
        "appeal_same_decider",
        appeals.decide_appeal(
            container.db, staff=await view(container, decider), appeal_id=appeal_id, uphold=True, reason="撤销",
            ctx=ctx(container),
        ),
    )  # fmt: skip
    await refused(
        "forbidden",
        appeals.decide_appeal(
            container.db, staff=await view(container, user), appeal_id=appeal_id, uphold=True, reason="撤销",
            ctx=ctx(container),
        ),
    )  # fmt: skip
    await refused(
        "appeal_not_found",
        appeals.appeal_detail(
            container.db, staff=await view(container, decider), appeal_id=999, now=container.clock.now()
        ),
    )


async def test_a_review_deduction_is_appealed_on_its_own_and_a_measures_through_the_measure(
    api, client, container
) -> None:
    user, decider, other = await api.user(), await staff(api, container), await staff(api, container)
    code = await api.create_group(user)
    await api.post(user, code, "加微信领红包 QZ-TEST-FLAG")
    item = (await client.get("/api/v1/staff/review/queue", headers=api.h(decider))).json()[0]
    await client.post(
        f"/api/v1/staff/review/items/{item['id']}/decide",
        json={"approve": False, "reason_code": "advertising"},
        headers=api.h(decider),
    )
    async with container.db.uow(write=False) as uow:
        event_id = (await uow.conn.execute(select(credit_events.c.id))).scalar_one()
    me = await view(container, user)
    appeal_id = await appeals.file_appeal(
        container.db, actor=me, credit_event_id=event_id, statement="这是正常的活动通知", ctx=ctx(container)
    )
    await appeals.decide_appeal(
        container.db, staff=await view(container, other), appeal_id=appeal_id, uphold=True, reason="属于正常通知",
        ctx=ctx(container),
    )  # fmt: skip
    assert await score(container, user) == 100
    await refused(
        "appeal_exists",
        appeals.file_appeal(
            container.db, actor=me, credit_event_id=event_id, statement="我想再申诉一次", ctx=ctx(container)
        ),
    )
    record_id = await apply(container, decider, user["id"])
    carried = (await record(container, record_id)).credit_event_id
    via_event = await appeals.file_appeal(
        container.db, actor=me, credit_event_id=carried, statement="我没有辱骂他人", ctx=ctx(container)
    )
    async with container.db.uow(write=False) as uow:
        row = (await uow.conn.execute(select(appeals_table).where(appeals_table.c.id == via_event))).one()
    assert (row.record_id, row.credit_event_id) == (record_id, None), "filed on the measure that carries it"
    await refused(
        "appeal_exists",
        appeals.file_appeal(
            container.db, actor=me, record_id=record_id, statement="我没有辱骂他人", ctx=ctx(container)
        ),
    )


async def test_queue_lists_pending_by_due_date_and_marks_overdue(api, container, manual_clock) -> None:
    a, b, decider = await api.user(), await api.user(), await staff(api, container)
    first = await appeals.file_appeal(
        container.db, actor=await view(container, a), record_id=await apply(container, decider, a["id"]),
        statement="第一份申诉", ctx=ctx(container),
    )  # fmt: skip
    manual_clock.advance(timedelta(days=1))
    second = await appeals.file_appeal(
        container.db, actor=await view(container, b), record_id=await apply(container, decider, b["id"]),
        statement="第二份申诉", ctx=ctx(container),
    )  # fmt: skip
    officer = await view(container, decider)
    queue = await appeals.appeal_queue(container.db, staff=officer, now=container.clock.now())
    assert [q.id for q in queue] == [first, second] and not any(q.overdue for q in queue)
    # filed Sunday 1 March 2026 (Beijing): 15 working days end with Friday 20 March, 24:00 Beijing time
    assert queue[0].due_at == datetime(2026, 3, 20, 16, 0, tzinfo=UTC)
    manual_clock.advance(timedelta(days=19))
    queue = await appeals.appeal_queue(container.db, staff=officer, now=container.clock.now())
    assert [q.overdue for q in queue] == [True, False]
    assert queue[0].original_decider == decider["id"] and queue[0].appellant_nickname
    await refused(
        "forbidden", appeals.appeal_queue(container.db, staff=await view(container, a), now=container.clock.now())
    )


async def test_an_upheld_appeal_of_content_found_illegal_withdraws_the_ban_and_restores_it(
    api, client, container
) -> None:
    author, member = await api.user(), await api.user()
    reviewer, other = await staff(api, container), await staff(api, container, "compliance_officer")
    code = await api.create_group(author)
    await api.join(member, code)
    text = "加微信领红包 QZ-TEST-FLAG 周末社区活动报名"
    await api.post(author, code, text)
    item = (await client.get("/api/v1/staff/review/queue", headers=api.h(reviewer))).json()[0]
    r = await client.post(
        f"/api/v1/staff/review/items/{item['id']}/decide",
        json={"approve": False, "reason_code": "fraud", "confirmed_illegal": True},
        headers=api.h(reviewer),
    )
    assert r.status_code == 204
    assert (await api.post(member, code, text)).status_code == 422
    assert await score(container, author) < 100
    async with container.db.uow(write=False) as uow:
        record_id = (await uow.conn.execute(select(enforcement_records.c.id))).scalar_one()
    filed = await client.post(
        "/api/v1/me/appeals", json={"record_id": record_id, "statement": "这是社区活动通知，不是诈骗"},
        headers=api.h(author),
    )  # fmt: skip
    assert filed.status_code == 201
    r = await client.post(
        f"/api/v1/staff/appeals/{filed.json()['id']}/decision",
        json={"decision": "uphold", "reason": "核实为社区活动通知"},
        headers=api.h(other),
    )
    assert r.status_code == 200 and r.json()["status"] == "upheld"
    assert await score(container, author) == 100
    shown = (await api.messages(member, code)).json()["messages"]
    assert [(m["text"], m["deleted"]) for m in shown] == [(text, False)], "the removal is undone"
    assert (await api.post(member, code, text)).status_code == 201, "the ban is withdrawn"


async def test_two_simultaneous_appeals_on_one_measure_file_one(api, container) -> None:
    user, decider = await api.user(), await staff(api, container)
    record_id = await apply(container, decider, user["id"])
    me = await view(container, user)
    results = await asyncio.gather(
        *(
            appeals.file_appeal(
                container.db, actor=me, record_id=record_id, statement=f"第{i}次提交的申诉", ctx=ctx(container)
            )
            for i in range(2)
        ),
        return_exceptions=True,
    )
    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(errors) == 1 and isinstance(errors[0], QunzuError) and errors[0].code == "appeal_exists", results


def test_who_may_appeal_a_blacklist_entry_and_who_may_decide_it() -> None:
    from qunzu.domain import appeals as rules
    from qunzu.domain.appeals import Appealable, Subject

    assert rules.blacklist_appellants("account", "42", {}, []) == (42,)
    assert rules.blacklist_appellants("identity", "ab" * 32, {}, [7, 9]) == (7, 9), "every account of the identity"
    assert rules.blacklist_appellants("group", "5", {"owner": {"user_id": 3}}, []) == (3,), "the owner when listed"
    assert rules.blacklist_appellants("group", "5", {}, []) == (), "no owner recorded: nobody"
    now = datetime(2026, 12, 1, tzinfo=UTC)
    item = Appealable(Subject.BLACKLIST, 7, 100, now, False, also_subjects=(9,))
    rules.check_appellant(item, actor=9)
    with pytest.raises(QunzuError) as refused:
        rules.check_appellant(item, actor=8)
    assert refused.value.code == "appeal_not_allowed"
    with pytest.raises(QunzuError) as own:
        rules.check_decider(staff_id=100, original_decider=item.decided_by, appellant_id=9)
    assert own.value.code == "appeal_same_decider", "the entry's creator does not decide"
