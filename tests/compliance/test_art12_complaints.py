"""Art. 12 (complaints and reports) checked as an inspector would: a report from a message's context in two actions
with a ticket number, the public channels, evidence that survives deletion, the reporter told the result, high-risk
tickets first on the 1 h / 24 h clock, overdue marks on a moved clock, and a report without an account
(R-12.1-1, R-12.1-2, D14)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from tests.compliance._creation import staff

from qunzu.storage.tables import account_notices, operation_log, tickets

NUMBER = re.compile(r"^JB\d{16}$")


async def _chat(api: Any) -> tuple[dict[str, Any], dict[str, Any], str, dict[str, Any]]:
    """An owner, a member, their group, and a message of the owner's the member can see."""
    owner, member = await api.user(nickname="群主"), await api.user(nickname="成员")
    code = await api.create_group(owner, name="理财交流")
    assert (await api.join(member, code)).status_code in (200, 201)
    for text in ("大家好", "今天天气不错"):
        assert (await api.post(owner, code, text)).status_code == 201
    r = await api.post(owner, code, "加我微信，转账即返利百分之三十")
    assert r.status_code == 201, r.text
    assert (await api.post(member, code, "这是骗局吧")).status_code == 201
    return owner, member, code, r.json()


async def _report(api: Any, who: dict[str, Any], code: str, message_id: int, category: str = "fraud") -> Any:
    return await api.client.post(
        "/api/v1/reports",
        json={"target_type": "message", "group_code": code, "message_id": message_id, "category": category},
        headers=api.h(who, "zh-CN"),
    )


async def test_r_12_1_1_from_a_message_reporting_takes_two_actions_and_returns_a_ticket_number(api: Any) -> None:
    _owner, member, code, message = await _chat(api)
    # action 1: open the dialog (its categories); action 2: choose one (the report is sent)
    categories = await api.client.get("/api/v1/reports/categories", headers=api.h(member, "zh-CN"))
    assert categories.status_code == 200
    fraud = next(c for c in categories.json() if c["code"] == "fraud")
    assert fraud["high_risk"] and fraud["label"] == "诈骗、传销、非法集资等违法活动"
    r = await _report(api, member, code, message["id"], fraud["code"])
    assert r.status_code == 201, r.text
    assert NUMBER.match(r.json()["number"]) and r.json()["existing"] is False
    again = await _report(api, member, code, message["id"])
    assert again.status_code == 200 and again.json()["number"] == r.json()["number"], "one open ticket per reporter"
    mine = (await api.client.get("/api/v1/me/reports", headers=api.h(member))).json()
    assert [m["number"] for m in mine] == [r.json()["number"]] and mine[0]["stage"] == "received"


async def test_r_12_1_1_only_what_the_reporter_may_see_can_be_reported(api: Any) -> None:
    _owner, _member, code, message = await _chat(api)
    stranger = await api.user()
    r = await _report(api, stranger, code, message["id"])
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_member"
    r = await api.client.post(
        "/api/v1/reports",
        json={"target_type": "group", "group_code": code, "category": "group_violation"},
        headers=api.h(stranger),
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_member", "a small group's info page is not public"


async def test_r_12_1_2_a_deleted_message_survives_in_the_snapshot_with_the_same_hash(api: Any, container: Any) -> None:
    owner, member, code, message = await _chat(api)
    number = (await _report(api, member, code, message["id"])).json()["number"]
    async with container.db.uow(write=False) as uow:
        stored = (await uow.conn.execute(select(tickets).where(tickets.c.number == number))).one()
    r = await api.client.delete(f"/api/v1/groups/{code}/messages/{message['id']}", headers=api.h(owner))
    assert r.status_code in (200, 204), r.text

    reviewer = await staff(api, container)
    queue = (await api.client.get("/api/v1/staff/tickets", headers=api.h(reviewer))).json()
    [entry] = [e for e in queue if e["target_key"] == f"message:{message['id']}"]
    ticket = (await api.client.get(f"/api/v1/staff/tickets/{entry['ticket_id']}", headers=api.h(reviewer))).json()
    snap = ticket["snapshot"]
    assert snap["message"]["text"] == "加我微信，转账即返利百分之三十"
    assert [m["text"] for m in snap["before"]] == ["大家好", "今天天气不错"]
    assert [m["text"] for m in snap["after"]] == ["这是骗局吧"]
    assert snap["group"]["name"] == "理财交流" and snap["sender"]["nickname"] == "群主"
    assert ticket["snapshot_sha256"] == stored.snapshot_sha256 and ticket["hash_matches"] is True
    assert (await api.messages(member, code)).json()["messages"][2]["deleted"] is True


async def test_r_12_1_2_the_reporter_is_told_the_result_and_my_reports_shows_it(api: Any, container: Any) -> None:
    _owner, member, code, message = await _chat(api)
    other = await api.user()
    assert (await api.join(other, code)).status_code in (200, 201)
    first = (await _report(api, member, code, message["id"])).json()["number"]
    second = (await _report(api, other, code, message["id"], "illegal")).json()["number"]
    reviewer = await staff(api, container)
    [entry] = (await api.client.get("/api/v1/staff/tickets", headers=api.h(reviewer))).json()
    assert entry["tickets"] == 2 and entry["reporters"] == 2, "tickets on one target are grouped"
    tid = entry["ticket_id"]
    r = await api.client.post(f"/api/v1/staff/tickets/{tid}/decide", json={"outcome": "upheld", "reason": " "},
                              headers=api.h(reviewer))  # fmt: skip
    assert r.status_code == 422 and r.json()["error"]["code"] == "reason_required"
    assert (await api.client.post(f"/api/v1/staff/tickets/{tid}/claim", headers=api.h(reviewer))).status_code == 200
    colleague = await staff(api, container, "compliance_officer")
    r = await api.client.post(f"/api/v1/staff/tickets/{tid}/claim", headers=api.h(colleague))
    assert r.status_code == 409 and r.json()["error"]["code"] == "ticket_claimed"
    r = await api.client.post(
        f"/api/v1/staff/tickets/{tid}/decide",
        json={"outcome": "upheld", "reason": "以返利为诱饵的诈骗信息",
              "measure": {"kind": "content_removal", "reason_code": "fraud"}},
        headers=api.h(reviewer),
    )  # fmt: skip
    assert r.status_code == 200, r.text
    record = r.json()["record_id"]
    assert record is not None
    for who, number in ((member, first), (other, second)):
        [mine] = (await api.client.get("/api/v1/me/reports", headers=api.h(who))).json()
        assert mine["number"] == number and mine["outcome"] == "upheld" and mine["stage"] == "told"
        notices = (await api.client.get("/api/v1/me/notices", headers=api.h(who, "zh-CN"))).json()
        told = [n for n in notices if n["kind"] == "report_decided"]
        assert told and number in told[0]["message"] and "已依法依约处置" in told[0]["message"]
        assert "已采取的措施：删除违规信息" in told[0]["message"]
        assert "群主" not in told[0]["message"], "the notice names nobody reported"
    async with container.db.uow(write=False) as uow:
        decided = list(await uow.conn.execute(select(tickets).where(tickets.c.number.in_([first, second]))))
        actions = {r.action for r in await uow.conn.execute(select(operation_log.c.action))}
        notices = list(
            await uow.conn.execute(select(account_notices).where(account_notices.c.kind == "report_decided"))
        )
    assert {t.record_id for t in decided} == {record} and all(t.feedback_at is not None for t in decided)
    assert {"report.file", "ticket.claim", "ticket.decide", "enforcement.apply"} <= actions
    assert len(notices) == 2
    r = await api.client.post(f"/api/v1/staff/tickets/{tid}/decide", json={"outcome": "rejected", "reason": "再议"},
                              headers=api.h(reviewer))  # fmt: skip
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_decided"
    assert (await api.messages(member, code)).json()["messages"][2]["deleted"] is True, "the measure removed it"


async def test_r_12_1_2_the_reporter_is_told_live(container: Any) -> None:
    from qunzu.services.dispatch import to_realtime
    from qunzu.services.events import ReportDecided

    event = to_realtime(ReportDecided(7, "JB202603010000001", "rejected", 1))
    assert event is not None and event.kind == "user" and event.user_id == 7
    assert '"type":"report_decided"' in event.frame and "JB202603010000001" in event.frame


async def test_r_12_1_2_high_risk_tickets_come_first_and_run_on_the_one_hour_clock(
    api: Any, container: Any, manual_clock: Any
) -> None:
    _owner, member, code, message = await _chat(api)
    ordinary = (await api.post(member, code, "广告：低价出售二手书")).json()
    plain = await _report(api, member, code, ordinary["id"], "undesirable")
    urgent = await _report(api, member, code, message["id"], "fraud")
    received = manual_clock.now()  # 2026-03-01 17:00 Beijing (a Sunday): in staffed hours (08:00–22:00)
    assert datetime.fromisoformat(urgent.json()["due_at"]) == received + timedelta(hours=1)
    # three working days from a Sunday: Monday to Wednesday, to the end of Wednesday, Beijing time
    assert datetime.fromisoformat(plain.json()["due_at"]) == datetime(2026, 3, 4, 16, 0, tzinfo=UTC)
    reviewer = await staff(api, container)
    queue = (await api.client.get("/api/v1/staff/tickets", headers=api.h(reviewer))).json()
    assert [e["target_key"] for e in queue] == [f"message:{message['id']}", f"message:{ordinary['id']}"]
    assert queue[0]["high_risk"] and not queue[1]["high_risk"] and queue[0]["priority"] > queue[1]["priority"]

    manual_clock.advance(timedelta(hours=6))  # 23:00 Beijing: outside staffed hours, 24 hours
    late = (await api.post(member, code, "未成年人不良信息")).json()
    r = await _report(api, member, code, late["id"], "minors")
    assert datetime.fromisoformat(r.json()["due_at"]) == manual_clock.now() + timedelta(hours=24)


async def test_r_12_1_2_an_overdue_ticket_is_marked_once_the_clock_passes_its_deadline(
    api: Any, container: Any, manual_clock: Any
) -> None:
    _owner, member, code, message = await _chat(api)
    await _report(api, member, code, message["id"], "fraud")
    reviewer = await staff(api, container)
    [entry] = (await api.client.get("/api/v1/staff/tickets", headers=api.h(reviewer))).json()
    assert entry["overdue"] is False
    manual_clock.advance(timedelta(minutes=61))
    [entry] = (await api.client.get("/api/v1/staff/tickets", headers=api.h(reviewer))).json()
    assert entry["overdue"] is True
    assert (await api.client.get(f"/api/v1/staff/tickets/{entry['ticket_id']}", headers=api.h(reviewer))).json()[
        "overdue"
    ]


async def test_r_12_1_1_a_report_without_an_account_gets_a_number_and_a_status_code(api: Any, container: Any) -> None:
    _owner, _member, code, message = await _chat(api)
    r = await api.client.post(
        "/api/v1/public/reports",
        json={"target": f"https://qunzu.example/g/{code}#m{message['id']}", "category": "fraud",
              "description": "冒充客服诱导转账", "contact": "reporter@example.com"},
        headers={"Accept-Language": "zh-CN"},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    number, code_once = r.json()["number"], r.json()["lookup_code"]
    assert NUMBER.match(number) and code_once and len(code_once) == 10
    async with container.db.uow(write=False) as uow:
        row = (await uow.conn.execute(select(tickets).where(tickets.c.number == number))).one()
    assert row.reporter_id is None and row.channel == "form" and row.target_key == f"message:{message['id']}"
    assert "reporter@example.com" not in str(row.reporter_contact) and code_once not in str(row.lookup_hash)
    assert container.keys.decrypt(row.reporter_contact, aad=f"tickets.contact:{number}") == "reporter@example.com"
    status = await api.client.get(f"/api/v1/public/reports/{number}", params={"code": code_once.lower()})
    assert status.status_code == 200 and status.json()["stage"] == "received"
    wrong = await api.client.get(f"/api/v1/public/reports/{number}", params={"code": "AAAAAAAAAA"})
    assert wrong.status_code == 404 and wrong.json()["error"]["code"] == "ticket_not_found"
