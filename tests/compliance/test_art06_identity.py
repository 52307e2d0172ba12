"""Art. 6, as an inspector checks it: 后台实名、前台自愿; no publishing service without real identity; personal
data protected (encrypted, masked, every reveal recorded); one identity holds at most three accounts.

第六条：……按照"后台实名、前台自愿"的原则，对互联网群组信息服务使用者进行真实身份信息认证，用户不提供真实身份信息的，
不得为其提供信息发布服务。……应当采取必要措施保护使用者个人信息安全，不得泄露、篡改、毁损……
"""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from tests.conftest import random_mobile

from qunzu.domain.identity import id_check_char
from qunzu.storage.tables import groups, messages, pii_access_log


def make_id(body17: str = "11010519491231002") -> str:
    return body17 + id_check_char(body17)


async def staff(api, container, role: str) -> dict:  # type: ignore[no-untyped-def]
    from qunzu.context import Ctx
    from qunzu.domain.accounts import StaffRole
    from qunzu.services.accounts import register_user

    name = f"{role[:8]}{api._n}"
    api._n += 1
    made = await register_user(
        container.db,
        container.passwords,
        username=name,
        password="staff-password-1",
        nickname=name,
        ctx=Ctx.system(container.clock.now()),
        staff_role=StaffRole(role),
    )
    if role == "regulator":  # a regulator signs in only with an access in force (R-3-1)
        from tests.compliance._inspection import grant_access

        await grant_access(container, made.id)
    r = await api.client.post("/api/v1/auth/login", json={"username": name, "password": "staff-password-1"})
    return {"id": r.json()["user"]["id"], "token": r.json()["access_token"]}


async def count(container, table) -> int:  # type: ignore[no-untyped-def]
    async with container.db.uow(write=False) as uow:
        return (await uow.conn.execute(select(func.count()).select_from(table))).scalar_one()


async def test_r_6_1_4_unverified_accounts_get_no_publishing_service(api, client, container) -> None:
    owner = await api.user()
    code = await api.create_group(owner)
    fresh = await api.unverified_user()
    r = await client.post("/api/v1/groups", json={"name": "x", "category": "work"}, headers=api.h(fresh))
    assert r.status_code == 403 and r.json()["error"]["code"] == "identity_unverified"
    r = await api.join(fresh, code)
    assert r.status_code == 403 and r.json()["error"]["code"] == "identity_unverified"
    assert await count(container, groups) == 1
    # reading public pages and verifying remain open (D1)
    assert (await client.get("/api/v1/documents/agreement")).status_code == 200
    assert (await client.get("/api/v1/me/identity", headers=api.h(fresh))).json()["level"] == 0
    assert (await api.verify_phone(fresh)).status_code == 200
    assert (await api.join(fresh, code)).status_code == 201


async def test_r_6_1_5_a_lapsed_verification_suspends_posting_until_reverified(
    api, client, container, manual_clock
) -> None:
    owner, member = await api.user(), await api.user()
    code = await api.create_group(owner)
    await api.join(member, code)
    admin = await staff(api, container, "admin")
    r = await client.post(
        f"/api/v1/staff/users/{member['id']}/lapse", json={"reason": "号码已被运营商回收"}, headers=api.h(admin)
    )
    assert r.status_code == 204
    before = await count(container, messages)
    r = await api.post(member, code, "hello", cid="after-lapse")
    assert r.status_code == 403 and r.json()["error"]["code"] == "identity_unverified"
    assert await count(container, messages) == before, "nothing is stored"
    manual_clock.advance(timedelta(seconds=61))  # past the resend throttle
    assert (await api.verify_phone(member, member["phone"])).status_code == 200
    assert (await api.post(member, code, "hello", cid="after-lapse")).status_code == 201


async def test_r_6_1_2_phone_codes_expire_lock_and_are_throttled(api, client, manual_clock) -> None:
    u = await api.unverified_user()
    h = api.h(u)
    phone = random_mobile()
    assert (await client.post("/api/v1/me/verification/phone", json={"phone": phone}, headers=h)).status_code == 202
    r = await client.post("/api/v1/me/verification/phone", json={"phone": phone}, headers=h)
    assert r.status_code == 429 and r.json()["error"]["code"] == "resend_too_soon"
    code = api.last_code()
    manual_clock.advance(timedelta(minutes=5, seconds=1))
    r = await client.post("/api/v1/me/verification/phone/confirm", json={"code": code}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["code"] == "verification_code_expired"
    assert (await client.post("/api/v1/me/verification/phone", json={"phone": phone}, headers=h)).status_code == 202
    good = api.last_code()
    wrong = "000000" if good != "000000" else "111111"
    codes = []
    for _ in range(5):
        r = await client.post("/api/v1/me/verification/phone/confirm", json={"code": wrong}, headers=h)
        codes.append(r.json()["error"]["code"])
    assert codes == ["verification_code_invalid"] * 4 + ["verification_code_locked"]
    r = await client.post("/api/v1/me/verification/phone/confirm", json={"code": good}, headers=h)
    assert r.status_code == 403 and r.json()["error"]["code"] == "verification_code_locked"
    r = await client.post("/api/v1/me/verification/phone", json={"phone": "+1 415 555 0100"}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_phone"


async def test_r_6_1_1_name_and_id_checked_locally_then_by_the_verifier(api, client) -> None:
    u = await api.unverified_user()
    h = api.h(u)
    r = await client.post("/api/v1/me/verification/id", json={"name": "张三", "id_number": make_id()}, headers=h)
    assert r.status_code == 403 and r.json()["error"]["code"] == "verification_level_required", "phone first"
    await api.verify_phone(u)
    good = make_id()
    bad_check = good[:-1] + ("0" if good[-1] != "0" else "1")
    future = make_id("11010520991231002")
    for wrong in (bad_check, future, "123456789012345678", "99010519491231002X"):
        r = await client.post("/api/v1/me/verification/id", json={"name": "张三", "id_number": wrong}, headers=h)
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_id_number", wrong
    with_x = make_id("11010519800101001")
    r = await client.post("/api/v1/me/verification/id", json={"name": "张三", "id_number": with_x.lower()}, headers=h)
    assert r.status_code == 200, r.text
    ident = r.json()
    assert ident["level"] == 2 and ident["name"] == "张*" and ident["id_number"] == with_x[:6] + "*" * 10 + with_x[-2:]
    assert ident["authoritative"] is False, "format-only is marked not authoritative"
    assert [h["method"] for h in ident["history"]][:2] == ["id:format-only", "sms:console"]


async def test_r_6_1_6_one_identity_holds_at_most_three_accounts(api, client) -> None:
    phone = random_mobile()
    users = [await api.unverified_user() for _ in range(4)]
    results = [await api.verify_phone(u, phone) for u in users[:3]]
    assert [r.status_code for r in results] == [200, 200, 200]
    r = await client.post("/api/v1/me/verification/phone", json={"phone": phone}, headers=api.h(users[3]))
    assert r.status_code == 409 and r.json()["error"]["code"] == "identity_account_limit"
    id_number = make_id("44030519900101123")
    for u in users[:3]:
        r = await client.post(
            "/api/v1/me/verification/id", json={"name": "李四", "id_number": id_number}, headers=api.h(u)
        )
        assert r.status_code == 200, r.text
    await api.verify_phone(users[3])
    r = await client.post(
        "/api/v1/me/verification/id", json={"name": "李四", "id_number": id_number}, headers=api.h(users[3])
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "identity_account_limit"


async def test_r_6_1_3_others_see_only_the_nickname_and_the_badge(api, client) -> None:
    a, b = await api.user(nickname="前台昵称"), await api.user()
    await client.post("/api/v1/me/verification/id", json={"name": "王小明", "id_number": make_id()}, headers=api.h(a))
    code = await api.create_group(a)
    await api.join(b, code)
    await api.post(a, code, "你好")
    seen = "".join(
        [
            (await client.get(f"/api/v1/groups/{code}/members", headers=api.h(b))).text,
            (await api.messages(b, code)).text,
            (await client.get(f"/api/v1/groups/{code}", headers=api.h(b))).text,
        ]
    )
    phone = a["phone"]
    for secret in (phone, phone[3:7], "王小明", make_id(), make_id()[6:14]):
        assert secret not in seen
    me = (await client.get("/api/v1/me", headers=api.h(a))).json()
    assert me["verified"] is True and me["nickname"] == "前台昵称"
    mine = (await client.get("/api/v1/me/identity", headers=api.h(a))).json()
    assert mine["phone"] == phone[:3] + "****" + phone[-4:] and mine["name"] == "王**"


async def test_r_6_2_2_staff_see_masked_data_and_only_officers_reveal_with_a_recorded_purpose(
    api, client, container
) -> None:
    u = await api.user()
    await client.post("/api/v1/me/verification/id", json={"name": "赵六", "id_number": make_id()}, headers=api.h(u))
    reviewer = await staff(api, container, "reviewer")
    officer = await staff(api, container, "compliance_officer")
    masked = (await client.get(f"/api/v1/staff/users/{u['id']}/identity", headers=api.h(reviewer))).json()
    assert masked["name"] == "赵*" and "****" in masked["phone"]
    body = {
        "fields": ["name", "id_number", "phone"],
        "purpose": "配合公安机关调查诈骗案件",
        "case_number": "GA-2026-0042",
    }
    r = await client.post(f"/api/v1/staff/users/{u['id']}/reveal", json=body, headers=api.h(reviewer))
    assert r.status_code == 403
    r = await client.post(
        f"/api/v1/staff/users/{u['id']}/reveal", json={**body, "purpose": "查看"}, headers=api.h(officer)
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "purpose_required"
    assert await count(container, pii_access_log) == 0
    r = await client.post(f"/api/v1/staff/users/{u['id']}/reveal", json=body, headers=api.h(officer))
    assert r.status_code == 200
    assert r.json()["values"] == {"name": "赵六", "id_number": make_id(), "phone": "+86" + u["phone"]}
    log = (await client.get("/api/v1/staff/pii-access", headers=api.h(officer))).json()
    assert len(log) == 1 and log[0]["staff_id"] == officer["id"] and log[0]["subject_user_id"] == u["id"]
    assert log[0]["fields"] == ["id_number", "name", "phone"] and log[0]["case_number"] == "GA-2026-0042"
    assert (log[0]["src_ip"], log[0]["src_port"]) == ("203.0.113.7", 50123)


async def test_r_6_2_3_the_access_record_is_append_only_for_everyone(api, client, container) -> None:
    u = await api.user()
    officer = await staff(api, container, "compliance_officer")
    body = {"fields": ["phone"], "purpose": "核查用户投诉的冒名注册问题", "case_number": "C-1"}
    for _ in range(3):
        await client.post(f"/api/v1/staff/users/{u['id']}/reveal", json=body, headers=api.h(officer))
    from qunzu.services.pii_access import verify_chain

    assert await verify_chain(container.db) == (True, None)
    for statement in ("UPDATE pii_access_log SET purpose = 'x'", "DELETE FROM pii_access_log"):
        with pytest.raises(Exception, match="append-only"):
            async with container.db.uow() as uow:
                await uow.conn.execute(text(statement))
                await uow.commit()
    assert await count(container, pii_access_log) == 3
    if container.db.is_sqlite:  # an operator with file access bypasses the trigger: the chain still tells
        async with container.db.uow() as uow:
            await uow.conn.execute(text("DROP TRIGGER pii_access_log_no_update"))
            await uow.conn.execute(text("UPDATE pii_access_log SET purpose = 'edited' WHERE id = 2"))
            await uow.commit()
        assert await verify_chain(container.db) == (False, 2)


async def test_r_6_2_1_personal_data_is_encrypted_and_keys_rotate_without_loss(api, client, container) -> None:
    from qunzu.services.keys import key_usage, reencrypt

    u = await api.user()
    await client.post("/api/v1/me/verification/id", json={"name": "钱七", "id_number": make_id()}, headers=api.h(u))
    old = container.keys.active
    assert set(await key_usage(container.db, container.keys)) == {old}
    new = container.keys.add_key()
    assert await reencrypt(container.db, container.keys) > 0
    assert set(await key_usage(container.db, container.keys)) == {new}
    container.keys.retire(old)
    mine = (await client.get("/api/v1/me/identity", headers=api.h(u))).json()
    assert mine["name"] == "钱*" and mine["phone"].endswith(u["phone"][-4:])


async def test_nicknames_cannot_impersonate_staff_or_officials(api, client) -> None:
    v = await api.current_versions()
    accept = {"agreement": v["agreement"], "privacy": v["privacy"]}
    for nick in ("官方客服", "网信办小王", "Qunzu Support", "公 安"):
        r = await client.post(
            "/api/v1/auth/register",
            json={
                "username": f"n{abs(hash(nick)) % 10**6}",
                "password": "correct-horse-9",
                "nickname": nick,
                "accept": accept,
            },
        )
        assert r.status_code == 422 and r.json()["error"]["code"] == "account_info_rejected", nick
    u = await api.user()
    r = await client.patch("/api/v1/me", json={"nickname": "平台管理员"}, headers=api.h(u))
    assert r.status_code == 422 and r.json()["error"]["code"] == "account_info_rejected"
    r = await client.patch("/api/v1/me", json={"nickname": "小明同学"}, headers=api.h(u))
    assert r.status_code == 200 and r.json()["nickname"] == "小明同学"


async def test_export_and_cancellation(api, client, container) -> None:
    owner, member = await api.user(), await api.user()
    code = await api.create_group(owner)
    await api.join(member, code)
    await api.post(owner, code, "owner's words")
    r = await client.post(
        "/api/v1/me/cancel", json={"password": "correct-horse-9", "confirm": True}, headers=api.h(owner)
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "ownership_blocks_cancellation"
    assert r.json()["error"]["details"]["groups"] == [code]
    export = (await client.get("/api/v1/me/export", headers=api.h(owner))).json()
    assert export["messages"][0]["text"] == "owner's words" and export["identity"]["phone"].count("*") == 4
    assert {a["kind"] for a in export["agreements"]} == {"agreement", "privacy", "owner_duties"}  # R-9.1-1
    assert (await api.hand_over(owner, code, member)).status_code == 200
    r = await client.post(
        "/api/v1/me/cancel", json={"password": "wrong-password", "confirm": True}, headers=api.h(owner)
    )
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_credentials"
    r = await client.post(
        "/api/v1/me/cancel", json={"password": "correct-horse-9", "confirm": True}, headers=api.h(owner)
    )
    assert r.status_code == 204
    assert (await client.get("/api/v1/me", headers=api.h(owner))).status_code == 401
    msgs = (await api.messages(member, code)).json()["messages"]
    assert msgs[0]["sender"]["nickname"] == "已注销用户" and msgs[0]["text"] is None
    async with container.db.uow(write=False) as uow:
        kept = (await uow.conn.execute(select(messages.c.text))).scalar_one()
    assert kept == "owner's words", "a hidden copy is kept for its retention period (D9)"
    # the identity no longer counts towards the cap: a new account can verify the same number
    again = await api.unverified_user()
    assert (await api.verify_phone(again, owner["phone"])).status_code == 200
