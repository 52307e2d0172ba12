"""Reports and the ticket desk below the HTTP layer: the rules of domain/complaints.py (deadlines, priority, the form's
target, the states) and the services' edges (limits, duplicates, credit-weighted ranking, claims, linked records)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select
from tests.compliance._creation import promote

from qunzu.context import Ctx
from qunzu.domain import complaints as rules
from qunzu.domain.complaints import ComplaintSla, ReportCategory, Reporter, TargetType
from qunzu.errors import ErrorCode, QunzuError
from qunzu.services import complaint_desk, complaints
from qunzu.services.complaint_snapshot import snapshot_sha256
from qunzu.services.views import UserView
from qunzu.storage.tables import enforcement_records, tickets

SUNDAY_5PM_BEIJING = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


# --- rules --------------------------------------------------------------------------------------------------------


def test_deadlines_follow_staffed_hours_and_the_holiday_calendar() -> None:
    sla = ComplaintSla(holidays=frozenset({date(2026, 3, 3)}), workdays=frozenset({date(2026, 3, 7)}))
    assert sla.due(ReportCategory.TERRORISM, SUNDAY_5PM_BEIJING) == SUNDAY_5PM_BEIJING + timedelta(hours=1)
    night = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)  # 23:00 Beijing
    assert sla.due(ReportCategory.MINORS, night) == night + timedelta(hours=24)
    # Mon 2, (Tue 3 a holiday), Wed 4, Thu 5: the end of Thursday, Beijing time
    assert sla.due(ReportCategory.PRIVACY, SUNDAY_5PM_BEIJING) == datetime(2026, 3, 5, 16, 0, tzinfo=UTC)
    weekdays_only = ComplaintSla(staffed_every_day=False, staffed_from=time(9), staffed_to=time(18))
    assert not weekdays_only.staffed(SUNDAY_5PM_BEIJING)
    assert weekdays_only.due(ReportCategory.FRAUD, SUNDAY_5PM_BEIJING) == SUNDAY_5PM_BEIJING + timedelta(hours=24)
    assert sla.feedback_due(SUNDAY_5PM_BEIJING) > sla.due(ReportCategory.PRIVACY, SUNDAY_5PM_BEIJING)


def test_priority_counts_distinct_reporters_weighted_by_credit_and_high_risk_jumps() -> None:
    one = rules.priority([Reporter(1, 4)], high_risk=False)
    assert one == 5
    assert rules.priority([Reporter(1, 4), Reporter(1, 4)], high_risk=False) == one, "one account counts once"
    assert rules.priority([Reporter(1, 4), Reporter(2, 0)], high_risk=False) == 6
    assert rules.priority([Reporter(None), Reporter(None)], high_risk=False) == 2
    assert rules.priority([Reporter(None)], high_risk=True) > rules.priority(
        [Reporter(i, 5) for i in range(500)], high_risk=False
    )


def test_the_forms_target_is_a_message_link_a_group_code_or_words() -> None:
    assert rules.parse_form_target("https://x.cn/g/1000000005#m42") == rules.FormTarget(
        TargetType.MESSAGE, group_code="1000000005", message_id=42
    )
    assert rules.parse_form_target("100 000 0005").kind is TargetType.GROUP
    assert rules.parse_form_target("/g/1000000005").group_code == "1000000005"
    assert rules.parse_form_target(" 坏人甲 ") == rules.FormTarget(TargetType.USER, text="坏人甲")
    for bad in ("", "   ", "字" * 101):
        with pytest.raises(QunzuError) as refused:
            rules.parse_form_target(bad)
        assert refused.value.code is ErrorCode.REPORT_TARGET_INVALID


def test_each_transition_refuses_with_its_own_code() -> None:
    assert rules.check_claim(status="received", claimed_by=None, actor=1) is True
    assert rules.check_claim(status="in_review", claimed_by=1, actor=1) is False
    cases = [
        (lambda: rules.check_claim(status="in_review", claimed_by=2, actor=1), ErrorCode.TICKET_CLAIMED),
        (lambda: rules.check_claim(status="upheld", claimed_by=1, actor=1), ErrorCode.ALREADY_DECIDED),
        (lambda: rules.check_release(status="received", claimed_by=None, actor=1), ErrorCode.TICKET_NOT_CLAIMED),
        (lambda: rules.check_release(status="in_review", claimed_by=2, actor=1), ErrorCode.TICKET_CLAIMED),
        (lambda: rules.check_decision(status="received", claimed_by=None, actor=1, outcome="upheld", reason="\u200b"),
         ErrorCode.VALIDATION_FAILED),
        (lambda: rules.check_decision(status="received", claimed_by=None, actor=1, outcome="upheld", reason="  "),
         ErrorCode.REASON_REQUIRED),
        (lambda: rules.check_decision(status="rejected", claimed_by=None, actor=1, outcome="upheld", reason="x"),
         ErrorCode.ALREADY_DECIDED),
        (lambda: rules.check_report_limit(30, limit=30), ErrorCode.REPORT_LIMIT),
    ]  # fmt: skip
    for call, code in cases:
        with pytest.raises(QunzuError) as refused:
            call()
        assert refused.value.code is code
    rules.check_release(status="in_review", claimed_by=2, actor=1, override=True)
    assert rules.stage("upheld", datetime.now(UTC)) == "told" and rules.stage("in_review", None) == "in_review"


# --- services -----------------------------------------------------------------------------------------------------


async def _setup(api: Any) -> tuple[dict[str, Any], dict[str, Any], str, int]:
    owner, member = await api.user(nickname="群主"), await api.user(nickname="成员")
    code = await api.create_group(owner)
    assert (await api.join(member, code)).status_code in (200, 201)
    message = (await api.post(owner, code, "可疑的内容")).json()
    return owner, member, code, message["id"]


def _ctx(container: Any) -> Ctx:
    return Ctx(now=container.clock.now(), ip="192.0.2.1", port=1)


def _staff(uid: int, role: str = "reviewer") -> UserView:
    return UserView(id=uid, username=f"s{uid}", nickname=f"s{uid}", staff_role=role,
                    created_at=datetime(2026, 1, 1, tzinfo=UTC))  # fmt: skip


async def test_an_account_files_at_most_its_daily_reports(api: Any, container: Any) -> None:
    _owner, member, code, _mid = await _setup(api)
    settings = container.settings.complaints.model_copy(update={"reports_per_day": 2})
    ids = [(await api.post(member, code, f"第{i}条")).json()["id"] for i in range(3)]
    for mid in ids[:2]:
        await complaints.report_message(container.db, actor=member["id"], code=code, message_id=mid,
                                        category="undesirable", settings=settings, ctx=_ctx(container))  # fmt: skip
    again = await complaints.report_message(container.db, actor=member["id"], code=code, message_id=ids[0],
                                            category="undesirable", settings=settings, ctx=_ctx(container))  # fmt: skip
    assert again.existing, "the open ticket answers, without counting"
    with pytest.raises(QunzuError) as refused:
        await complaints.report_message(container.db, actor=member["id"], code=code, message_id=ids[2],
                                        category="undesirable", settings=settings, ctx=_ctx(container))  # fmt: skip
    assert refused.value.code is ErrorCode.REPORT_LIMIT


async def test_reporters_with_more_credit_raise_a_target_further(api: Any, container: Any) -> None:
    owner, member, code, mid = await _setup(api)
    trusted = await api.user()
    assert (await api.join(trusted, code)).status_code in (200, 201)
    await promote(container, trusted, credit=115)  # C5
    await promote(container, member, credit=65)  # C2
    other = (await api.post(owner, code, "另一条")).json()["id"]
    settings, ctx = container.settings.complaints, _ctx(container)
    await complaints.report_message(container.db, actor=member["id"], code=code, message_id=mid,
                                    category="undesirable", settings=settings, ctx=ctx)  # fmt: skip
    await complaints.report_message(container.db, actor=trusted["id"], code=code, message_id=other,
                                    category="undesirable", settings=settings, ctx=ctx)  # fmt: skip
    queue = await complaint_desk.ticket_queue(container.db, staff=_staff(1), now=ctx.now)
    assert [e.target_key for e in queue] == [f"message:{other}", f"message:{mid}"]
    assert [e.priority for e in queue] == [6, 3]


async def test_reporting_a_member_snapshots_their_profile_and_recent_messages(api: Any, container: Any) -> None:
    owner, member, code, _mid = await _setup(api)
    receipt = await complaints.report_user(container.db, actor=member["id"], user_id=owner["id"], code=code,
                                           category="cyber_violence", description="辱骂",
                                           settings=container.settings.complaints, ctx=_ctx(container))  # fmt: skip
    async with container.db.uow(write=False) as uow:
        row = (await uow.conn.execute(select(tickets).where(tickets.c.number == receipt.number))).one()
    assert row.snapshot["user"]["nickname"] == "群主" and row.snapshot["role"] == "creator"
    assert [m["text"] for m in row.snapshot["recent"]] == ["可疑的内容"]
    assert row.snapshot_sha256 == snapshot_sha256(row.snapshot) and row.description == "辱骂"
    with pytest.raises(QunzuError) as refused:
        await complaints.report_user(container.db, actor=member["id"], user_id=member["id"], code=code,
                                     category="cyber_violence", settings=container.settings.complaints,
                                     ctx=_ctx(container))  # fmt: skip
    assert refused.value.code is ErrorCode.MEMBER_NOT_FOUND


async def test_form_reports_naming_the_same_words_are_grouped(api: Any, container: Any) -> None:
    kw = {"category": "account_violation", "description": "", "contact": "", "keys": container.keys,
          "throttle": container.throttle, "settings": container.settings.complaints, "ctx": _ctx(container)}  # fmt: skip
    await complaints.report_by_form(container.db, target="冒充客服小王", **kw)
    await complaints.report_by_form(container.db, target="冒充客服小王", **kw)
    [entry] = await complaint_desk.ticket_queue(container.db, staff=_staff(1), now=kw["ctx"].now)
    assert entry.tickets == 2 and entry.reporters == 2 and entry.label == "冒充客服小王"


async def test_release_is_the_claimants_or_an_admins_and_a_linked_record_must_exist(api: Any, container: Any) -> None:
    _owner, member, code, mid = await _setup(api)
    ctx = _ctx(container)
    receipt = await complaints.report_message(container.db, actor=member["id"], code=code, message_id=mid,
                                              category="fraud", settings=container.settings.complaints, ctx=ctx)  # fmt: skip
    await complaint_desk.claim_ticket(container.db, staff=_staff(901), ticket_id=receipt.id, ctx=ctx)
    with pytest.raises(QunzuError) as refused:
        await complaint_desk.release_ticket(container.db, staff=_staff(902), ticket_id=receipt.id, ctx=ctx)
    assert refused.value.code is ErrorCode.TICKET_CLAIMED
    await complaint_desk.release_ticket(container.db, staff=_staff(903, "admin"), ticket_id=receipt.id, ctx=ctx)
    with pytest.raises(QunzuError) as refused:
        await complaint_desk.decide_ticket(container.db, staff=_staff(902), ticket_id=receipt.id, outcome="upheld",
                                           reason="属实", record_id=424242, ctx=ctx)  # fmt: skip
    assert refused.value.code is ErrorCode.MEASURE_NOT_FOUND
    with pytest.raises(QunzuError) as refused:
        await complaint_desk.decide_ticket(container.db, staff=_staff(902), ticket_id=receipt.id, outcome="rejected",
                                           reason="不属实", record_id=1, ctx=ctx)  # fmt: skip
    assert refused.value.code is ErrorCode.VALIDATION_FAILED
    async with container.db.uow() as uow:
        record = (
            await uow.conn.execute(
                insert(enforcement_records).values(
                    target_type="message", target_id=mid, measure="content_removal", reason_code="fraud",
                    clause="agreement 6.3.1", legal_basis="x", reason="x", evidence=[], evidence_sha256="0" * 64,
                    source="platform", starts_at=ctx.now, status="resolved", created_at=ctx.now,
                ).returning(enforcement_records.c.id)
            )
        ).scalar_one()  # fmt: skip
        await uow.commit()
    linked = await complaint_desk.decide_ticket(container.db, staff=_staff(902), ticket_id=receipt.id,
                                                outcome="upheld", reason="属实", record_id=record, ctx=ctx)  # fmt: skip
    assert linked == record
    detail = await complaint_desk.ticket_detail(container.db, staff=_staff(902), ticket_id=receipt.id, now=ctx.now,
                                                sla=complaints.sla_of(container.settings.complaints))  # fmt: skip
    assert detail.record_id == record and detail.status == "upheld" and detail.feedback_at == ctx.now


async def test_only_ticket_handlers_see_the_desk(api: Any, container: Any) -> None:
    with pytest.raises(QunzuError) as refused:
        await complaint_desk.ticket_queue(container.db, staff=_staff(1, "regulator"), now=container.clock.now())
    assert refused.value.code is ErrorCode.FORBIDDEN
    with pytest.raises(QunzuError) as refused:
        await complaint_desk.ticket_detail(container.db, staff=_staff(1), ticket_id=2**63, now=container.clock.now(),
                                           sla=complaints.sla_of(container.settings.complaints))  # fmt: skip
    assert refused.value.code is ErrorCode.TICKET_NOT_FOUND


async def test_a_report_arriving_on_a_claimed_target_stays_with_its_handler(api: Any, container: Any) -> None:
    _owner, member, code, mid = await _setup(api)
    other = await api.user()
    assert (await api.join(other, code)).status_code in (200, 201)
    ctx, settings = _ctx(container), container.settings.complaints
    first = await complaints.report_message(container.db, actor=member["id"], code=code, message_id=mid,
                                            category="undesirable", settings=settings, ctx=ctx)  # fmt: skip
    await complaint_desk.claim_ticket(container.db, staff=_staff(901), ticket_id=first.id, ctx=ctx)
    late = await complaints.report_message(container.db, actor=other["id"], code=code, message_id=mid,
                                           category="fraud", settings=settings, ctx=ctx)  # fmt: skip
    [entry] = await complaint_desk.ticket_queue(container.db, staff=_staff(902), now=ctx.now)
    assert entry.ticket_id == late.id and entry.high_risk and entry.claimed_by == 901
    for act in (complaint_desk.claim_ticket, complaint_desk.release_ticket):
        with pytest.raises(QunzuError) as refused:
            await act(container.db, staff=_staff(902), ticket_id=late.id, ctx=ctx)
        assert refused.value.code is ErrorCode.TICKET_CLAIMED
    await complaint_desk.claim_ticket(container.db, staff=_staff(901), ticket_id=late.id, ctx=ctx)
    await complaint_desk.decide_ticket(container.db, staff=_staff(901), ticket_id=late.id, outcome="upheld",
                                       reason="属实", ctx=ctx)  # fmt: skip
    async with container.db.uow(write=False) as uow:
        rows = list(await uow.conn.execute(select(tickets.c.status, tickets.c.decided_by)))
    assert sorted(rows) == [("upheld", 901), ("upheld", 901)]
