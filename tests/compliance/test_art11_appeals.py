"""R-11-x and D10, as an inspector checks them: the subject of a measure is told the measure, the reason, the rule and
the duration with an appeal route; they appeal once; someone other than the original decider decides; an upheld
appeal lifts the measure and restores the credit, a rejected one leaves the measure in force; every step is recorded.

用户服务协议第8条：申诉由原决定人以外的工作人员处理……申诉成立的，我们撤销或变更有关措施，恢复相应信用分，并更正记录；申诉期间，原措施原则上继续执行。
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import websockets
from sqlalchemy import select
from tests.api.conftest import live  # noqa: F401  (the live-server fixture)
from tests.compliance._creation import staff
from tests.services.test_appeals import apply, record

from qunzu.storage.tables import appeals, blacklist_changes, blacklist_entries, credit_events, operation_log


async def _actions(container: Any) -> list[str]:
    async with container.db.uow(write=False) as uow:
        return list((await uow.conn.execute(select(operation_log.c.action).order_by(operation_log.c.id))).scalars())


async def _score(api: Any, client: Any, user: dict[str, Any]) -> int:
    return int((await client.get("/api/v1/me/credit", headers=api.h(user))).json()["score"])


async def test_r_11_x_the_sanctioned_user_sees_the_notice_and_opens_an_appeal(api, client, container) -> None:
    user, reviewer = await api.user(), await staff(api, container)
    record_id = await apply(container, reviewer, user["id"])
    notices = (await client.get("/api/v1/me/notices", headers=api.h(user, "zh-CN"))).json()
    told = next(n for n in notices if n["kind"] == "measure")
    assert told["details"]["appeal"] == f"/me/measures/{record_id}/appeal"
    assert {"reason", "clause", "legal_basis", "ends_at"} <= set(told["details"])
    r = await client.post(
        "/api/v1/me/appeals", json={"record_id": record_id, "statement": "我没有辱骂他人，请调取聊天记录核实"},
        headers=api.h(user),
    )  # fmt: skip
    assert r.status_code == 201 and r.json()["status"] == "pending" and r.json()["due_at"]
    mine = (await client.get("/api/v1/me/appeals", headers=api.h(user))).json()
    assert [(a["id"], a["record_id"], a["status"]) for a in mine] == [(r.json()["id"], record_id, "pending")]
    assert mine[0]["original_decider"] is None and mine[0]["record"]["evidence"] == [], "nothing of staff's leaks"
    assert (await record(container, record_id)).status == "active", "the measure stays in force meanwhile (§8.3)"


async def test_r_11_x_a_second_appeal_on_the_same_measure_is_refused(api, client, container) -> None:
    user, reviewer = await api.user(), await staff(api, container)
    record_id = await apply(container, reviewer, user["id"])
    body = {"record_id": record_id, "statement": "我没有辱骂他人，请核实"}
    first = await client.post("/api/v1/me/appeals", json=body, headers=api.h(user))
    second = await client.post("/api/v1/me/appeals", json=body, headers=api.h(user, "zh-CN"))
    assert first.status_code == 201 and second.status_code == 409
    error = second.json()["error"]
    assert error["code"] == "appeal_exists" and error["details"]["appeal_id"] == first.json()["id"]
    assert error["message"] == "该处置已经申诉过，每项处置只能申诉一次"
    other = await api.user()
    r = await client.post("/api/v1/me/appeals", json=body, headers=api.h(other))
    assert r.status_code == 404 and r.json()["error"]["code"] == "measure_not_found", "nobody else appeals it"


async def test_r_11_x_the_original_decider_cannot_decide_the_appeal(api, client, container) -> None:
    user, reviewer = await api.user(), await staff(api, container)
    record_id = await apply(container, reviewer, user["id"])
    appeal_id = (
        await client.post(
            "/api/v1/me/appeals", json={"record_id": record_id, "statement": "处罚依据不足"}, headers=api.h(user)
        )
    ).json()["id"]
    queue = (await client.get("/api/v1/staff/appeals", headers=api.h(reviewer))).json()
    assert [q["id"] for q in queue] == [appeal_id] and queue[0]["original_decider"] == reviewer["id"]
    r = await client.post(
        f"/api/v1/staff/appeals/{appeal_id}/decision", json={"decision": "uphold", "reason": "撤销"},
        headers=api.h(reviewer, "zh-CN"),
    )  # fmt: skip
    assert r.status_code == 403 and r.json()["error"]["code"] == "appeal_same_decider"
    assert "其他工作人员" in r.json()["error"]["message"]
    assert (await record(container, record_id)).status == "active"
    r = await client.post(
        f"/api/v1/staff/appeals/{appeal_id}/decision", json={"decision": "uphold", "reason": "撤销"},
        headers=api.h(user),
    )  # fmt: skip
    assert r.status_code == 403, "the appellant is no staff"


async def test_r_11_x_a_different_reviewer_upholds_the_measure_is_lifted_and_the_credit_restored(
    api, client, container
) -> None:
    user, first, second = await api.user(), await staff(api, container), await staff(api, container)
    record_id = await apply(container, first, user["id"])
    assert await _score(api, client, user) == 95
    appeal_id = (
        await client.post(
            "/api/v1/me/appeals", json={"record_id": record_id, "statement": "我没有辱骂他人"}, headers=api.h(user)
        )
    ).json()["id"]
    r = await client.post(
        f"/api/v1/staff/appeals/{appeal_id}/decision", json={"decision": "uphold", "reason": "证据不足以认定辱骂"},
        headers=api.h(second),
    )  # fmt: skip
    assert r.status_code == 200 and r.json()["status"] == "upheld" and r.json()["decided_by"] == second["id"]
    rec = await record(container, record_id)
    assert (rec.status, rec.lift_reason, rec.lifted_by) == ("lifted", "appeal", second["id"])
    assert await _score(api, client, user) == 100
    async with container.db.uow(write=False) as uow:
        reversal = (await uow.conn.execute(select(credit_events).where(credit_events.c.kind == "reversal"))).one()
        row = (await uow.conn.execute(select(appeals).where(appeals.c.id == appeal_id))).one()
    assert reversal.reverses == rec.credit_event_id and reversal.source == "appeal"
    assert (row.status, row.decided_by, row.decision_reason) == ("upheld", second["id"], "证据不足以认定辱骂")
    actions = await _actions(container)
    for step in ("enforcement.apply", "credit.violation", "appeal.file", "enforcement.lift", "credit.reversal",
                 "appeal.upheld"):  # fmt: skip
        assert step in actions, step
    assert actions.index("appeal.file") < actions.index("enforcement.lift") < actions.index("appeal.upheld")
    notices = (await client.get("/api/v1/me/notices", headers=api.h(user, "zh-CN"))).json()
    assert any(n["kind"] == "appeal_upheld" and n["details"]["appeal_id"] == appeal_id for n in notices)
    again = await client.post(
        f"/api/v1/staff/appeals/{appeal_id}/decision", json={"decision": "reject", "reason": "再议"},
        headers=api.h(first),
    )  # fmt: skip
    assert again.status_code == 409


async def test_r_11_x_a_rejected_appeal_leaves_the_measure_in_force(api, client, container) -> None:
    user, first, second = (
        await api.user(),
        await staff(api, container),
        await staff(api, container, "compliance_officer"),
    )
    code = await api.create_group(user)
    record_id = await apply(container, first, user["id"])
    appeal_id = (
        await client.post(
            "/api/v1/me/appeals", json={"record_id": record_id, "statement": "处罚太重了"}, headers=api.h(user)
        )
    ).json()["id"]
    r = await client.post(
        f"/api/v1/staff/appeals/{appeal_id}/decision", json={"decision": "reject", "reason": "聊天记录证实辱骂"},
        headers=api.h(second),
    )  # fmt: skip
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert (await record(container, record_id)).status == "active" and await _score(api, client, user) == 95
    r = await api.post(user, code, "还能发言吗")
    assert r.status_code == 403 and r.json()["error"]["code"] == "account_muted", "still muted platform-wide"
    mine = (await client.get("/api/v1/me/appeals", headers=api.h(user))).json()
    assert mine[0]["status"] == "rejected" and mine[0]["decision_reason"] == "聊天记录证实辱骂"
    assert "appeal.rejected" in await _actions(container)


async def test_r_11_x_the_appellant_is_told_live(api, client, container, live) -> None:  # noqa: F811
    user, first, second = await api.user(), await staff(api, container), await staff(api, container)
    record_id = await apply(container, first, user["id"])
    appeal_id = (
        await client.post(
            "/api/v1/me/appeals", json={"record_id": record_id, "statement": "我没有辱骂他人"}, headers=api.h(user)
        )
    ).json()["id"]
    async with websockets.connect(
        f"ws://{live}/api/v1/ws", additional_headers={"Authorization": f"Bearer {user['token']}"}
    ) as ws:
        await ws.send(json.dumps({"type": "hello", "groups": {}}))
        r = await client.post(
            f"/api/v1/staff/appeals/{appeal_id}/decision", json={"decision": "uphold", "reason": "证据不足"},
            headers=api.h(second),
        )  # fmt: skip
        assert r.status_code == 200
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 5))
            if frame["type"] == "appeal_decided":
                break
    assert (frame["appeal"], frame["outcome"], frame["reason"]) == (appeal_id, "upheld", "证据不足")


# --- blacklist entries (用户服务协议 §6.4, §8.1) ----------------------------------------------------------------------


async def _blacklist(api: Any, keeper: dict[str, Any], **body: Any) -> int:
    body.setdefault("severity", 1)
    body.setdefault("reason", "多次在群内组织诈骗活动")
    r = await api.client.post("/api/v1/staff/blacklist", json=body, headers=api.h(keeper))
    assert r.status_code == 201, r.text
    return int(r.json()["entry_ids"][0])


async def test_r_11_x_a_blacklisted_user_appeals_the_entry_and_another_officer_removes_it(
    api, client, container
) -> None:
    creator = await staff(api, container, "compliance_officer")
    other = await staff(api, container, "compliance_officer")
    owner, user = await api.user(), await api.user()
    code = await api.create_group(owner)
    entry_id = await _blacklist(api, creator, subject_type="account", subject=user["username"])
    r = await api.join(user, code)
    assert r.status_code == 403 and r.json()["error"]["code"] == "blacklisted"
    notices = (await client.get("/api/v1/me/notices", headers=api.h(user, "zh-CN"))).json()
    told = next(n for n in notices if n["kind"] == "blacklist_added")
    assert f"/me/blacklist/{entry_id}/appeal" in told["message"], "the notice names the appeal route"

    r = await client.post(
        "/api/v1/me/appeals", json={"blacklist_entry_id": entry_id, "statement": "我从未组织诈骗，请核实聊天记录"},
        headers=api.h(user),
    )  # fmt: skip
    assert r.status_code == 201, r.text
    appeal_id = r.json()["id"]
    mine = (await client.get("/api/v1/me/appeals", headers=api.h(user))).json()
    assert mine[0]["subject"] == "blacklist" and mine[0]["blacklist_entry_id"] == entry_id
    assert mine[0]["entry"]["severity"] == 1 and mine[0]["entry"]["reason"] == "多次在群内组织诈骗活动"
    assert "subject_key" not in mine[0]["entry"], "the key (for an identity, its HMAC) is never shown"
    r = await client.post(
        "/api/v1/me/appeals", json={"blacklist_entry_id": entry_id, "statement": "再次申诉，请核实"},
        headers=api.h(user, "zh-CN"),
    )  # fmt: skip
    assert r.status_code == 409 and r.json()["error"]["code"] == "appeal_exists"
    assert r.json()["error"]["details"]["appeal_id"] == appeal_id, "once per entry"
    stranger = await api.user()
    r = await client.post(
        "/api/v1/me/appeals", json={"blacklist_entry_id": entry_id, "statement": "我替他申诉"},
        headers=api.h(stranger),
    )  # fmt: skip
    assert r.status_code == 404 and r.json()["error"]["code"] == "blacklist_entry_not_found", "nobody else"

    r = await client.post(
        f"/api/v1/staff/appeals/{appeal_id}/decision", json={"decision": "uphold", "reason": "证据不足"},
        headers=api.h(creator, "zh-CN"),
    )  # fmt: skip
    assert r.status_code == 403 and r.json()["error"]["code"] == "appeal_same_decider", "not who listed them"
    assert (await api.join(user, code)).status_code == 403, "the entry holds while the appeal waits"

    r = await client.post(
        f"/api/v1/staff/appeals/{appeal_id}/decision", json={"decision": "uphold", "reason": "证据不足，移出黑名单"},
        headers=api.h(other),
    )  # fmt: skip
    assert r.status_code == 200 and r.json()["status"] == "upheld", r.text
    async with container.db.uow(write=False) as uow:
        entry = (await uow.conn.execute(select(blacklist_entries).where(blacklist_entries.c.id == entry_id))).one()
        change = (
            await uow.conn.execute(
                select(blacklist_changes).where(
                    blacklist_changes.c.entry_id == entry_id, blacklist_changes.c.change == "removed"
                )
            )
        ).one()
    assert entry.removed_at is not None and entry.removed_by == other["id"]
    assert change.reason == "appeal upheld" and change.actor_id == other["id"], "the change row says why"
    assert (await api.join(user, code)).status_code in (200, 201), "the user can join a group again"
    notices = (await client.get("/api/v1/me/notices", headers=api.h(user, "zh-CN"))).json()
    assert any(n["kind"] == "appeal_upheld_blacklist" and "黑名单条目已移除" in n["message"] for n in notices)
    assert {"appeal.file", "appeal.upheld", "blacklist.remove"} <= set(await _actions(container))


async def test_r_11_x_an_identity_entry_is_appealed_from_a_second_account_of_that_identity(
    api, client, container
) -> None:
    creator = await staff(api, container, "compliance_officer")
    decider = await staff(api, container, "admin")
    first = await api.user()
    second = await api.unverified_user()
    assert (await api.verify_phone(second, first["phone"])).status_code == 200, "the same person, a second account"
    entry_id = await _blacklist(api, creator, subject_type="identity", subject=first["username"])
    assert (await client.get("/api/v1/me/appeals", headers=api.h(second))).json() == []
    r = await client.post(
        "/api/v1/me/appeals", json={"blacklist_entry_id": entry_id, "statement": "这个号码已转让给他人使用"},
        headers=api.h(second),
    )  # fmt: skip
    assert r.status_code == 201, r.text
    appeal_id = r.json()["id"]
    r = await client.post(
        "/api/v1/me/appeals", json={"blacklist_entry_id": entry_id, "statement": "同一身份再次申诉"},
        headers=api.h(first),
    )  # fmt: skip
    assert r.status_code == 409 and r.json()["error"]["code"] == "appeal_exists", "once per entry, not per account"
    detail = (await client.get(f"/api/v1/staff/appeals/{appeal_id}", headers=api.h(decider))).json()
    assert detail["original_decider"] == creator["id"] and detail["entry"]["subject_type"] == "identity"
    assert first["phone"] not in str(detail), "the number is masked, the HMAC never shown"
    r = await client.post(
        f"/api/v1/staff/appeals/{appeal_id}/decision", json={"decision": "reject", "reason": "号码仍由本人使用"},
        headers=api.h(decider),
    )  # fmt: skip
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    async with container.db.uow(write=False) as uow:
        entry = (await uow.conn.execute(select(blacklist_entries).where(blacklist_entries.c.id == entry_id))).one()
    assert entry.removed_at is None, "a rejected appeal leaves the entry in force"


async def test_r_11_x_the_published_agreement_states_the_appeal_window_the_product_applies(client: Any) -> None:
    from qunzu.domain.appeals import APPEAL_WINDOW

    zh = (await client.get("/api/v1/documents/agreement", headers={"Accept-Language": "zh-CN"})).json()
    en = (await client.get("/api/v1/documents/agreement", headers={"Accept-Language": "en"})).json()
    assert f"自决定作出之日起{APPEAL_WINDOW.days}日内" in zh["body"]
    assert f"within {APPEAL_WINDOW.days} days of the decision" in en["body"]
