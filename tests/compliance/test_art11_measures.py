"""Art. 11 ¶1–2, as an inspector checks them: the platform warns, suspends and closes groups, and lowers credit,
suspends management rights and revokes the right to create groups of their owners and managers, each measure
resting on a clause of the agreement and on the law, with its record and evidence kept, the subject told, and a
measure with a period lifting itself when it ends.

第十一条：互联网群组信息服务提供者应当对违反法律法规和国家有关规定的互联网群组，依法依约采取警示整改、暂停发布、关闭群组等处置措施，
保存有关记录，并向有关主管部门报告。互联网群组信息服务提供者应当对违反法律法规和国家有关规定的群组建立者、管理者等使用者，依法依约
采取降低信用等级、暂停管理权限、取消建群资格等管理措施，保存有关记录，并向有关主管部门报告。
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.compliance._creation import set_group, staff

from qunzu.domain.enforcement import evidence_copy, evidence_digest
from qunzu.jobs import run_job
from qunzu.jobs.catalogue import platform_jobs

RECORD_FIELDS = {
    "id", "measure", "target_type", "target_id", "reason_code", "reason", "clause", "legal_basis", "evidence",
    "evidence_sha256", "decided_by", "starts_at", "ends_at", "status", "notified_at", "reported_at", "appeal",
    "appeal_status", "notices", "credit_event_id",
}  # fmt: skip


async def _measure(api: Any, decider: dict[str, Any], **body: Any) -> dict[str, Any]:
    body.setdefault("reason_code", "fraud")
    body.setdefault("reason", "群内多次发布诈骗信息")
    r = await api.client.post("/api/v1/staff/measures", json=body, headers=api.h(decider, "zh-CN"))
    assert r.status_code == 201, r.text
    return dict(r.json())


async def _expire(container: Any) -> int:
    job = next(j for j in platform_jobs(container.db, container.settings) if j.name == "lift-expired-measures")
    return await run_job(job, container.clock.now())


async def _code(r: Any) -> str:
    return str(r.json()["error"]["code"])


async def test_r_11_1_1_warning_reaches_the_owner_with_the_deadline(api, client, container, manual_clock) -> None:
    owner, manager, member = await api.user(), await api.user(), await api.user()
    code = await api.create_group(owner)
    await api.join(manager, code)
    await api.join(member, code)
    await api.appoint(owner, code, manager)
    reviewer = await staff(api, container)
    rec = await _measure(
        api, reviewer, kind="group_warning", target=code, reason_code="advertising", reason="群内广告泛滥",
        duration_hours=72, rectification="三日内清理广告并设置入群验证",
    )  # fmt: skip
    assert rec["clause_text"] == "《用户服务协议》第6.2.1条"
    assert "第十一条" in rec["legal_basis"]
    for who in (owner, manager):
        mine = (await client.get("/api/v1/me/measures", headers=api.h(who, "zh-CN"))).json()
        assert [m["id"] for m in mine] == [rec["id"]]
        assert mine[0]["rectification"] == "三日内清理广告并设置入群验证"
        assert mine[0]["ends_at"].startswith((manual_clock.now() + timedelta(hours=72)).date().isoformat())
        notices = (await client.get("/api/v1/me/notices", headers=api.h(who))).json()
        items = notices if isinstance(notices, list) else notices.get("notices", [])
        assert any(n["kind"] == "measure" and n["details"]["record_id"] == rec["id"] for n in items)
    assert (await client.get("/api/v1/me/measures", headers=api.h(member))).json() == []
    # the owner answers (D12); the warning turns overdue if staff have not resolved it by the deadline
    r = await client.post(
        f"/api/v1/groups/{code}/warnings/{rec['id']}/response", json={"text": "已删除广告，开启入群审核"},
        headers=api.h(owner),
    )  # fmt: skip
    assert r.status_code == 200 and r.json()["owner_response"] == "已删除广告，开启入群审核"
    manual_clock.advance(timedelta(hours=73))
    await _expire(container)
    got = (await client.get(f"/api/v1/staff/measures/{rec['id']}", headers=api.h(reviewer))).json()
    assert got["status"] == "overdue" and got["responded_at"]


async def test_r_11_1_1_suspension_refuses_posts_for_24_hours(api, client, container, manual_clock) -> None:
    owner, member = await api.user(), await api.user()
    code = await api.create_group(owner)
    await api.join(member, code)
    reviewer = await staff(api, container)
    await _measure(api, reviewer, kind="group_suspend", target=code, duration_hours=24)
    for who in (owner, member):
        r = await api.post(who, code, "还能发吗")
        assert r.status_code == 403 and await _code(r) == "group_suspended"
        assert r.json()["error"]["details"]["until"]
    assert (await api.messages(member, code)).status_code == 200, "reading continues"
    manual_clock.advance(timedelta(hours=24, seconds=1))
    assert (await api.post(member, code, "恢复了")).status_code == 201, "the gate ends on time even before the job"
    assert await _expire(container) == 1
    listed = (await client.get("/api/v1/staff/measures?status=expired", headers=api.h(reviewer))).json()
    assert [m["measure"] for m in listed] == ["group_suspend"]


async def test_r_11_1_1_closure_ends_access_and_tombstones_the_code(api, client, container) -> None:
    owner, member = await api.user(), await api.user()
    code = await api.create_group(owner)
    await api.join(member, code)
    await api.post(member, code, "记录要保留")
    reviewer = await staff(api, container)
    await _measure(api, reviewer, kind="group_close", target=code, reason_code="gambling", reason="组织赌博")
    for who in (owner, member):
        r = await api.messages(who, code)
        assert r.status_code in (403, 410), r.text
        r = await api.post(who, code, "x")
        assert r.status_code == 410 and await _code(r) == "group_closed"
        r = await client.get(f"/api/v1/groups/{code}", headers=api.h(who, "zh-CN"))
        assert r.status_code == 410 and r.json()["error"]["message"] == "该群已关闭"
    notices = (await client.get("/api/v1/me/notices", headers=api.h(member))).json()
    items = notices if isinstance(notices, list) else notices.get("notices", [])
    assert any(n["kind"] == "group_closed" for n in items), "every member is told"
    assert (await api.join(await api.user(), code)).status_code == 410
    mine = (await client.get("/api/v1/me/measures", headers=api.h(owner))).json()
    assert [m["measure"] for m in mine] == ["group_close"], "the owner of record still sees it, and may appeal"


async def test_r_11_1_1_hidden_and_frozen(api, client, container) -> None:
    owner = await api.user()
    code = await api.create_group(owner)
    reviewer = await staff(api, container)
    await set_group(container, code, member_count=150)  # public from 100 members (D7)
    assert (await client.get(f"/api/v1/groups/{code}/info")).json()["full"] is True
    hidden = await _measure(api, reviewer, kind="group_hide", target=code)
    assert hidden["ends_at"] is None, "until lifted"
    assert (await client.get(f"/api/v1/groups/{code}/info")).json()["full"] is False, "out of the public info page"
    assert (await client.get(f"/api/v1/groups/{code}/info", headers=api.h(owner))).json()["full"] is True
    await set_group(container, code, member_count=1)
    await _measure(api, reviewer, kind="group_freeze_joins", target=code, duration_hours=48)
    r = await api.join(await api.user(), code)
    assert r.status_code == 403 and await _code(r) == "joins_frozen"


async def test_r_11_2_1_management_suspended_for_7_days(api, client, container, manual_clock) -> None:
    owner, member = await api.user(), await api.user()
    code = await api.create_group(owner)
    await api.join(member, code)
    reviewer = await staff(api, container)
    await _measure(api, reviewer, kind="user_manage_suspend", target=str(owner["id"]), duration_hours=7 * 24)
    mute = f"/api/v1/groups/{code}/members/{member['id']}/mute"
    r = await client.post(mute, json={"seconds": 600}, headers=api.h(owner))
    assert r.status_code == 403 and await _code(r) == "management_suspended"
    r = await client.delete(f"/api/v1/groups/{code}/members/{member['id']}", headers=api.h(owner))
    assert r.status_code == 403 and await _code(r) == "management_suspended"
    r = await client.post(f"/api/v1/groups/{code}/transfer", json={"user_id": member["id"]}, headers=api.h(owner))
    assert r.status_code == 403 and await _code(r) == "management_suspended", "the owner role is frozen"
    assert (await api.post(owner, code, "我还是成员")).status_code == 201, "membership kept"
    manual_clock.advance(timedelta(days=7, seconds=1))
    await _expire(container)
    assert (await client.post(mute, json={"seconds": 600}, headers=api.h(owner))).status_code == 200
    assert (
        await client.delete(f"/api/v1/groups/{code}/members/{member['id']}", headers=api.h(owner))
    ).status_code == 204


async def test_r_11_2_1_creation_revoked_and_credit_lowered(api, client, container) -> None:
    user = await api.user()
    reviewer = await staff(api, container)
    before = (await client.get("/api/v1/me/credit", headers=api.h(user))).json()["score"]
    rec = await _measure(api, reviewer, kind="user_create_revoke", target=str(user["id"]), credit_severity="moderate")
    assert rec["ends_at"] is None and rec["status"] == "active", "permanent, as §6.3.6 allows"
    body = {"name": "新群", "category": "work", "tier": "S", "duties_version": (await api.current_versions())[
        "owner_duties"]}  # fmt: skip
    r = await client.post("/api/v1/groups", json=body, headers=api.h(user))
    assert r.status_code == 403 and await _code(r) == "creation_revoked"
    after = (await client.get("/api/v1/me/credit", headers=api.h(user))).json()["score"]
    assert after == before - 10 and rec["credit_event_id"]
    credit = await _measure(api, reviewer, kind="user_credit", target=str(user["id"]), credit_severity="minor")
    assert credit["status"] == "resolved"
    assert (await client.get("/api/v1/me/credit", headers=api.h(user))).json()["score"] == before - 15


async def test_r_11_2_1_platform_mute_and_account_suspension(api, client, container, manual_clock) -> None:
    user = await api.user()
    code = await api.create_group(user)
    reviewer = await staff(api, container)
    await _measure(api, reviewer, kind="user_mute", target=str(user["id"]), duration_hours=2)
    r = await api.post(user, code, "x")
    assert r.status_code == 403 and await _code(r) == "account_muted"
    await _measure(api, reviewer, kind="user_suspend", target=str(user["id"]), duration_hours=24)
    r = await client.get("/api/v1/me/measures", headers=api.h(user))
    assert r.status_code == 403 and await _code(r) == "account_suspended" and r.json()["error"]["details"]["until"]
    r = await client.post("/api/v1/auth/login", json={"username": user["username"], "password": "correct-horse-9"})
    assert r.status_code == 403 and await _code(r) == "account_suspended"
    manual_clock.advance(timedelta(hours=25))
    await _expire(container)
    r = await client.post("/api/v1/auth/login", json={"username": user["username"], "password": "correct-horse-9"})
    assert r.status_code == 200


async def test_r_11_1_2_every_record_has_all_fields_and_evidence_survives(api, client, container) -> None:
    owner = await api.user()
    code = await api.create_group(owner)
    posted = (await api.post(owner, code, "加微信领取返利")).json()
    reviewer = await staff(api, container)
    rec = await _measure(
        api, reviewer, kind="group_suspend", target=code, duration_hours=24, evidence_message_ids=[posted["id"]],
        source="complaint", source_ref="T-20260301-0001",
    )  # fmt: skip
    assert (await client.delete(f"/api/v1/groups/{code}/messages/{posted['id']}", headers=api.h(owner))).status_code
    got = (await client.get(f"/api/v1/staff/measures/{rec['id']}", headers=api.h(reviewer))).json()
    assert RECORD_FIELDS <= set(got)
    assert got["decided_by"] == reviewer["id"] and got["target_type"] == "group" and got["reported_at"] is None
    assert got["source"] == "complaint" and got["source_ref"] == "T-20260301-0001"
    (copy,) = got["evidence"]
    assert copy["text"] == "加微信领取返利" and copy["sender_id"] == owner["id"] and copy["group_code"] == code
    assert copy["sha256"] == evidence_copy(copy)["sha256"], "anyone can recompute the hash"
    assert got["evidence_sha256"] == evidence_digest(got["evidence"]) and got["evidence_intact"]
    assert {n["user_id"] for n in got["notices"]} == {owner["id"]}
    assert got["appeal"] == f"/me/measures/{rec['id']}/appeal"


async def test_r_11_2_2_user_measures_are_recorded_and_listed(api, client, container) -> None:
    user = await api.user()
    reviewer = await staff(api, container)
    rec = await _measure(api, reviewer, kind="user_warning", target=user["username"], reason="辱骂他人")
    listed = (await client.get(f"/api/v1/staff/measures?target_type=user&target_id={user['id']}",
                                headers=api.h(reviewer))).json()  # fmt: skip
    assert [m["id"] for m in listed] == [rec["id"]]
    assert listed[0]["clause"] == "agreement 6.3.1" and "第二款" in listed[0]["legal_basis"]
    ordinary = await api.user()
    r = await client.get("/api/v1/staff/measures", headers=api.h(ordinary))
    assert r.status_code == 403


async def test_r_11_x_bad_measures_are_refused_with_the_field(api, client, container) -> None:
    owner = await api.user()
    code = await api.create_group(owner)
    reviewer = await staff(api, container)
    cases = [
        ({"kind": "group_suspend", "target": code}, "duration"),
        ({"kind": "group_warning", "target": code, "duration_hours": 24}, "rectification"),
        ({"kind": "group_close", "target": code, "duration_hours": 24}, "duration"),
        ({"kind": "user_credit", "target": str(owner["id"])}, "credit_severity"),
    ]
    for body, field in cases:
        r = await client.post("/api/v1/staff/measures", json={"reason_code": "fraud", "reason": "x", **body},
                              headers=api.h(reviewer))  # fmt: skip
        assert r.status_code == 422 and r.json()["error"]["details"]["field"] == field, (body, r.text)
    r = await client.post("/api/v1/staff/measures", json={"kind": "group_suspend", "target": "1234567890",
                          "reason_code": "fraud", "reason": "x", "duration_hours": 2}, headers=api.h(reviewer))  # fmt: skip
    assert r.status_code in (404, 422)
