"""R-13.1-1 as an inspector checks it: an authority asks about group X over two days; an officer records the request,
a second officer approves it, and within one session the first produces a signed package with X's members over time,
its messages (the deleted and held ones too), its operations, the members' sign-ins with IP and port, and the owner's
verification record — masked unless the request covers identity, and then each reveal is in the personal-data access
record. The disclosure register lists the package; every step is an operation record.

第十三条第一款：互联网群组信息服务提供者应当配合有关主管部门依法进行的监督检查，并提供必要的技术支持和协助。
《网络安全法》第二十八条：网络运营者应当为公安机关、国家安全机关依法维护国家安全和侦查犯罪的活动提供技术支持和协助。
"""

from __future__ import annotations

import json
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from tests.compliance._creation import staff
from tests.compliance._inspection import records, regulator

from qunzu.domain.groupcode import mod11_10_check_digit
from qunzu.domain.identity import mask_phone
from qunzu.services.report_package import verify_package
from qunzu.storage.tables import disclosure_register, operation_log, pii_access_log

DOCUMENT = "某公网调〔2026〕15号"


def request_body(now: Any, **extra: Any) -> dict[str, Any]:
    """Group(s) in `extra`, the two days around `now`."""
    return {
        "authority": "某市公安局网络安全保卫支队", "document_number": DOCUMENT,
        "legal_basis": "《网络安全法》第二十八条", "reason": "调查一起网络诈骗案件，调取该群两日内的记录",
        "period_from": (now - timedelta(days=1)).isoformat(), "period_to": (now + timedelta(days=1)).isoformat(),
        **extra,
    }  # fmt: skip


async def group_x(api: Any) -> dict[str, Any]:
    """Group X: the owner, a member who posts (one message deleted by the owner, one held), one who joins and
    leaves."""
    owner, member, leaver = await api.user(), await api.user(), await api.user()
    code = await api.create_group(owner, name="群X", category="work")
    assert (await api.join(member, code)).status_code in (200, 201)
    assert (await api.join(leaver, code)).status_code in (200, 201)
    r = await api.client.post(f"/api/v1/groups/{code}/leave", headers=api.h(leaver))
    assert r.status_code in (200, 204), r.text
    kept = (await api.post(member, code, "一条普通消息")).json()
    gone = (await api.post(member, code, "一条后来被删除的消息")).json()
    r = await api.client.delete(f"/api/v1/groups/{code}/messages/{gone['id']}", headers=api.h(owner))
    assert r.status_code == 200, r.text
    held = (await api.post(member, code, "QZ-TEST-HOLD 待审核")).json()
    return {"owner": owner, "member": member, "leaver": leaver, "code": code, "kept": kept, "gone": gone,
            "held": held}  # fmt: skip


async def officers(api: Any, container: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    return await staff(api, container, "compliance_officer"), await staff(api, container, "admin")


async def answered(api: Any, recorder: dict[str, Any], approver: dict[str, Any], body: dict[str, Any],
                   tmp_path: Path) -> tuple[dict[str, Any], dict[str, Any], Path]:  # fmt: skip
    r = await api.client.post("/api/v1/staff/lawful-requests", json=body, headers=api.h(recorder))
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    assert r.json()["status"] == "pending"
    r = await api.client.post(f"/api/v1/staff/lawful-requests/{rid}/approve", json={"reason": "手续齐全"},
                              headers=api.h(approver))  # fmt: skip
    assert r.status_code == 200 and r.json()["status"] == "approved", r.text
    r = await api.client.post(f"/api/v1/staff/lawful-requests/{rid}/answer", headers=api.h(recorder))
    assert r.status_code == 201, r.text
    out = r.json()
    got = await api.client.get(out["package"]["download"], headers=api.h(recorder))
    assert got.status_code == 200 and got.headers["content-type"] == "application/zip"
    path = tmp_path / out["package"]["file_name"]
    path.write_bytes(got.content)
    return out["request"], out["package"], path


def sections(path: Path) -> dict[str, list[dict[str, Any]]]:
    with zipfile.ZipFile(path) as zf:
        return {
            n.removesuffix(".jsonl"): [json.loads(line) for line in zf.read(n).decode().splitlines()]
            for n in zf.namelist()
            if n.endswith(".jsonl")
        }


async def test_r_13_1_1_a_request_about_group_x_over_two_days_is_answered_with_a_signed_package(
    api: Any, container: Any, manual_clock: Any, tmp_path: Path
) -> None:
    x = await group_x(api)
    recorder, approver = await officers(api, container)
    body = request_body(manual_clock.now(), group_codes=[x["code"]])
    request, package, path = await answered(api, recorder, approver, body, tmp_path)
    assert request["status"] == "answered" and request["register_id"] == package["id"]
    assert verify_package(path) == [], "the package verifies as a report does"
    got = sections(path)
    assert set(got) == {"request", "members", "messages", "operations", "sessions", "identities"}
    assert got["request"][0]["document_number"] == DOCUMENT and got["request"][0]["decided_by"] == approver["id"]
    events = [(m["action"], m["user_id"]) for m in got["members"] if m["row"] == "event"]
    assert events == [
        ("group.create", x["owner"]["id"]), ("group.join", x["member"]["id"]), ("group.join", x["leaver"]["id"]),
        ("group.leave", x["leaver"]["id"]),
    ]  # fmt: skip
    at_end = {m["user_id"]: m["role"] for m in got["members"] if m["row"] == "member_at_end"}
    assert at_end == {x["owner"]["id"]: "creator", x["member"]["id"]: "member"}, "the leaver had left by then"
    by_id = {m["id"]: m for m in got["messages"]}
    assert by_id[x["kept"]["id"]]["deleted"] is False
    deleted = by_id[x["gone"]["id"]]
    assert deleted["deleted"] is True and deleted["text"] == "一条后来被删除的消息"
    assert deleted["deleted_by"] == x["owner"]["id"]
    assert by_id[x["held"]["id"]]["review_state"] == "held"
    assert {"group.create", "group.join", "group.leave"} <= {o["action"] for o in got["operations"]}
    assert not {o["action"] for o in got["operations"]} & {"auth.login", "ws.connect"}, "sessions are apart"
    sign_ins = [s for s in got["sessions"] if s["action"] == "auth.login"]
    assert {x["owner"]["id"], x["member"]["id"], x["leaver"]["id"]} <= {s["actor_id"] for s in sign_ins}
    assert all(s["src_ip"] == "203.0.113.7" and s["src_port"] == 50123 for s in sign_ins), "with IP and port"
    assert recorder["id"] not in {s["actor_id"] for s in got["sessions"]}, "only the group's people"
    (owner_identity,) = got["identities"]
    assert owner_identity["user_id"] == x["owner"]["id"] and owner_identity["relation"] == "owner"
    assert owner_identity["phone"] == mask_phone("+86" + x["owner"]["phone"]) and "****" in owner_identity["phone"]
    assert owner_identity["revealed"] is False and owner_identity["level"] >= 1
    assert [m["method"] for m in owner_identity["methods"]] and owner_identity["phone_verified_at"]
    register = (await api.client.get("/api/v1/staff/reports", headers=api.h(approver))).json()
    entry = next(p for p in register if p["id"] == package["id"])
    assert entry["kind"] == "lawful_request" and entry["document_number"] == DOCUMENT
    assert entry["counts"]["messages"] == 3
    async with container.db.uow(write=False) as uow:
        row = (await uow.conn.execute(select(disclosure_register).where(disclosure_register.c.id == entry["id"]))).one()
        reveals = (await uow.conn.execute(select(pii_access_log))).all()
    assert row.approved_by == approver["id"] and row.created_by == recorder["id"]
    assert reveals == [], "nothing revealed: nothing in the personal-data access record"
    steps = await records(container, operation_log.c.action.like("lawful.%"))
    assert [(s.action, s.actor_id) for s in steps] == [
        ("lawful.request", recorder["id"]), ("lawful.approve", approver["id"]), ("lawful.answer", recorder["id"]),
    ]  # fmt: skip
    r = await api.client.post(f"/api/v1/staff/lawful-requests/{request['id']}/delivered", headers=api.h(recorder))
    assert r.status_code == 200 and r.json()["delivered_at"], r.text
    r = await api.client.post(f"/api/v1/staff/lawful-requests/{request['id']}/delivered", headers=api.h(recorder))
    assert r.status_code == 409
    r = await api.client.post(f"/api/v1/staff/lawful-requests/{request['id']}/answer", headers=api.h(recorder))
    assert r.status_code == 409 and r.json()["error"]["code"] == "lawful_request_not_approved", "answered once"


async def test_r_13_1_1_identity_is_revealed_only_when_asked_and_each_reveal_is_recorded(
    api: Any, container: Any, manual_clock: Any, tmp_path: Path
) -> None:
    x = await group_x(api)
    heir = await api.user()
    assert (await api.join(heir, x["code"])).status_code in (200, 201)
    assert (await api.hand_over(x["owner"], x["code"], heir)).status_code == 200, "the group changes hands"
    recorder, approver = await officers(api, container)
    body = request_body(manual_clock.now(), group_codes=[x["code"]], accounts=[x["member"]["username"]],
                        include_identity=True)  # fmt: skip
    _, _, path = await answered(api, recorder, approver, body, tmp_path)
    assert verify_package(path) == []
    shown = {i["user_id"]: i for i in sections(path)["identities"]}
    assert shown[x["owner"]["id"]]["phone"] == "+86" + x["owner"]["phone"] and shown[x["owner"]["id"]]["revealed"]
    assert shown[x["owner"]["id"]]["relation"] == "owner", "the owner before the hand-over, within the period"
    assert shown[heir["id"]]["relation"] == "owner" and shown[x["member"]["id"]]["relation"] == "account"
    async with container.db.uow(write=False) as uow:
        reveals = (await uow.conn.execute(select(pii_access_log).order_by(pii_access_log.c.id))).all()
    assert [(r.subject_user_id, r.staff_id, r.purpose, r.case_number) for r in reveals] == [
        (uid, recorder["id"], "lawful request", DOCUMENT)
        for uid in sorted((x["owner"]["id"], x["member"]["id"], heir["id"]))
    ]  # fmt: skip
    assert reveals[0].fields == ["phone"]
    from qunzu.services.pii_access import verify_chain

    assert await verify_chain(container.db) == (True, None), "the reveals join the record's hash chain"


async def test_r_13_1_1_four_eyes_the_recorder_may_not_approve_and_only_officers_act(
    api: Any, container: Any, manual_clock: Any
) -> None:
    x = await group_x(api)
    recorder, approver = await officers(api, container)
    r = await api.client.post("/api/v1/staff/lawful-requests", headers=api.h(recorder),
                              json=request_body(manual_clock.now(), group_codes=[x["code"]]))  # fmt: skip
    rid = r.json()["id"]
    r = await api.client.post(f"/api/v1/staff/lawful-requests/{rid}/answer", headers=api.h(recorder))
    assert r.status_code == 409 and r.json()["error"]["code"] == "lawful_request_not_approved", "not before approval"
    r = await api.client.post(f"/api/v1/staff/lawful-requests/{rid}/approve", json={}, headers=api.h(recorder))
    assert r.status_code == 403 and r.json()["error"]["code"] == "lawful_request_same_officer"
    reviewer = await staff(api, container, "reviewer")
    r = await api.client.post(f"/api/v1/staff/lawful-requests/{rid}/approve", json={}, headers=api.h(reviewer))
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    admin = await staff(api, container, "admin")
    reg = await regulator(api, admin, manual_clock.now(), group_codes=[x["code"]])
    listed = await api.client.get("/api/v1/staff/lawful-requests", headers=api.h(reg))
    assert listed.status_code == 200 and [q["id"] for q in listed.json()] == [rid], "the regulator role reads"
    for path, body in (("", request_body(manual_clock.now(), group_codes=[x["code"]])), (f"/{rid}/approve", {})):
        r = await api.client.post(f"/api/v1/staff/lawful-requests{path}", json=body, headers=api.h(reg))
        assert r.status_code == 403, "but neither records nor decides"
    r = await api.client.post(f"/api/v1/staff/lawful-requests/{rid}/approve", headers=api.h(approver))
    assert r.status_code == 200 and r.json()["decided_by"] == approver["id"], "a note is optional"
    r = await api.client.post(f"/api/v1/staff/lawful-requests/{rid}/answer", headers=api.h(approver))
    assert r.status_code == 201, "either officer may build the approved answer"
    download = r.json()["package"]["download"]
    assert (await api.client.get(download, headers=api.h(reg))).status_code == 404, "not every regulator's to take"


async def test_r_13_1_1_a_refusal_says_why_and_ends_the_request(api: Any, container: Any, manual_clock: Any) -> None:
    x = await group_x(api)
    recorder, approver = await officers(api, container)
    r = await api.client.post("/api/v1/staff/lawful-requests", headers=api.h(recorder),
                              json=request_body(manual_clock.now(), group_codes=[x["code"]]))  # fmt: skip
    rid = r.json()["id"]
    r = await api.client.post(f"/api/v1/staff/lawful-requests/{rid}/refuse", json={"reason": " "},
                              headers=api.h(approver))  # fmt: skip
    assert r.status_code == 422 and r.json()["error"]["code"] == "reason_required"
    r = await api.client.post(f"/api/v1/staff/lawful-requests/{rid}/refuse", json={"reason": "文书缺少签章"},
                              headers=api.h(approver))  # fmt: skip
    assert r.status_code == 200 and r.json()["status"] == "refused" and r.json()["decision_reason"] == "文书缺少签章"
    r = await api.client.post(f"/api/v1/staff/lawful-requests/{rid}/approve", json={}, headers=api.h(approver))
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_decided"
    r = await api.client.post(f"/api/v1/staff/lawful-requests/{rid}/answer", headers=api.h(approver))
    assert r.status_code == 409 and r.json()["error"]["details"]["status"] == "refused"
    steps = await records(container, operation_log.c.action == "lawful.refuse")
    assert [(s.actor_id, s.details["reason"]) for s in steps] == [(approver["id"], "文书缺少签章")]


async def test_r_13_1_1_a_bad_request_is_refused_naming_the_field(api: Any, container: Any, manual_clock: Any) -> None:
    x = await group_x(api)
    recorder, _ = await officers(api, container)
    now = manual_clock.now()
    absent = "100000000" + str(mod11_10_check_digit("100000000"))
    cases = [
        (request_body(now, group_codes=[x["code"]], authority=" "), 422, "authority"),
        (request_body(now, group_codes=[x["code"]], document_number=""), 422, "document_number"),
        (request_body(now, group_codes=[x["code"]], legal_basis=""), 422, "legal_basis"),
        (request_body(now), 422, "scope"),
        (request_body(now, group_codes=[x["code"]], period_to=(now - timedelta(days=2)).isoformat()), 422,
         "period_to"),
        (request_body(now, group_codes=[x["code"]], period_to=(now + timedelta(days=400)).isoformat()), 422,
         "period_to"),
        (request_body(now, group_codes=[x["code"]], period_from="0001-01-01T00:00:00Z"), 422, "period_from"),
        (request_body(now, addresses=["203.0.113.300"]), 422, "addresses"),
        (request_body(now, addresses=["203.0.113.7:70000"]), 422, "addresses"),
        (request_body(now, group_codes=["1000000009"]), 422, "group_codes"),  # mistyped: its check digit
        (request_body(now, group_codes=[absent]), 404, "group_codes"),
        (request_body(now, accounts=["nobody-here"]), 404, "accounts"),
    ]  # fmt: skip
    for body, status, field in cases:
        r = await api.client.post("/api/v1/staff/lawful-requests", json=body, headers=api.h(recorder))
        assert r.status_code == status and r.json()["error"]["details"]["field"] == field, (field, r.text)
    r = await api.client.post("/api/v1/staff/lawful-requests", headers=api.h(recorder),
                              json=request_body(now, addresses=["203.0.113.7:50123", "2001:db8::1"]))  # fmt: skip
    assert r.status_code == 201, r.text
    assert r.json()["scope"]["addresses"] == [{"ip": "203.0.113.7", "port": 50123}, {"ip": "2001:db8::1", "port": None}]
    assert (await records(container, operation_log.c.action == "lawful.request"))[-1].actor_id == recorder["id"]
