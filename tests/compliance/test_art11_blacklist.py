"""Art. 11 ¶2–3, the blacklist, as an inspector checks it: an identity blacklisted keeps its person out under any
account; a blacklisted account may not create or join groups; a blacklisted group is closed and its owner cannot
re-create it; every addition, change and removal is recorded with before and after; entries end on their own.

第十一条：……建立黑名单管理制度，对违法违约情节严重的群组及建立者、管理者和成员纳入黑名单，限制群组服务功能，
保存有关记录，并向有关主管部门报告。
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from tests.compliance._creation import staff
from tests.compliance.test_art06_identity import make_id
from tests.conftest import random_mobile

from qunzu.storage.tables import (
    auth_tokens,
    blacklist_changes,
    blacklist_entries,
    enforcement_records,
    groups,
    identities,
    identity_slots,
    users,
)


async def blacklist(api: Any, keeper: dict[str, Any], **body: Any) -> dict[str, Any]:
    body.setdefault("severity", 1)
    body.setdefault("reason", "多次在群内组织诈骗活动")
    r = await api.client.post("/api/v1/staff/blacklist", json=body, headers=api.h(keeper))
    assert r.status_code == 201, r.text
    return dict(r.json())


async def level(container: Any, user: dict[str, Any]) -> int:
    async with container.db.uow(write=False) as uow:
        return int(
            (await uow.conn.execute(select(users.c.blacklist_level).where(users.c.id == user["id"]))).scalar_one()
        )


async def changes(container: Any, entry_id: int) -> list[Any]:
    async with container.db.uow(write=False) as uow:
        stmt = (
            select(blacklist_changes).where(blacklist_changes.c.entry_id == entry_id).order_by(blacklist_changes.c.id)
        )
        return list((await uow.conn.execute(stmt)).all())


async def test_r_11_3_1_an_identity_entry_restricts_every_account_bound_to_it_and_a_new_one_from_its_first_action(
    api: Any, container: Any, manual_clock: Any
) -> None:
    keeper = await staff(api, container, "compliance_officer")
    first = await api.user()
    second = await api.unverified_user()
    assert (await api.verify_phone(second, first["phone"])).status_code == 200, "the same person, a second account"
    bystander = await api.user()
    owner = await api.user()
    code = await api.create_group(owner)
    done = await blacklist(api, keeper, subject_type="identity", subject=first["username"])
    assert sorted(done["accounts"]) == sorted([first["id"], second["id"]])
    assert [await level(container, u) for u in (first, second, bystander)] == [1, 1, 0]
    entry = (await api.client.get(f"/api/v1/staff/blacklist/{done['entry_ids'][0]}", headers=api.h(keeper))).json()
    assert entry["entry"]["label"].startswith(first["phone"][:3] + "****"), "staff see the number masked"
    assert first["phone"] not in str(entry), "never in full"

    manual_clock.advance(timedelta(minutes=5))  # past the wait between codes
    r = await api.client.post("/api/v1/me/verification/phone", json={"phone": random_mobile()}, headers=api.h(second))
    assert r.status_code == 403 and r.json()["error"]["code"] == "blacklisted", "no swapping the number to escape"
    newcomer = await api.unverified_user()
    assert (await api.verify_phone(newcomer, first["phone"])).status_code == 200, "restricted, not refused, below 3"
    assert await level(container, newcomer) == 1, "restricted before it does anything"
    r = await api.join(newcomer, code)
    assert r.status_code == 403 and r.json()["error"]["code"] == "blacklisted", "its first action is refused"
    notices = (await api.client.get("/api/v1/me/notices", headers=api.h(newcomer, "zh-CN"))).json()
    assert any(n["kind"] == "blacklist_added" for n in notices), "and it is told why"


async def test_r_11_3_2_at_the_highest_severity_the_identity_cannot_verify_a_new_account_nor_sign_in(
    api: Any, container: Any
) -> None:
    keeper = await staff(api, container, "compliance_officer")
    person = await api.user()
    r = await api.client.post(
        "/api/v1/me/verification/id", json={"name": "张三", "id_number": make_id()}, headers=api.h(person)
    )
    assert r.status_code == 200, r.text
    done = await blacklist(api, keeper, subject_type="identity", subject=person["username"], severity=3)
    assert len(done["entry_ids"]) == 2, "the mobile number and the ID number"
    assert done["signed_out"] == [person["id"]]
    r = await api.client.get("/api/v1/me", headers=api.h(person))
    assert r.status_code == 403 and r.json()["error"]["code"] == "account_suspended", "suspended (封禁账号)"
    async with container.db.uow(write=False) as uow:
        live = select(auth_tokens.c.id).where(auth_tokens.c.user_id == person["id"], auth_tokens.c.revoked_at.is_(None))
        assert (await uow.conn.execute(live)).first() is None, "and signed out everywhere"

    async with container.db.uow(write=False) as uow:
        slots_before = (await uow.conn.execute(select(func.sum(identity_slots.c.accounts)))).scalar_one()
    fresh = await api.unverified_user()
    r = await api.client.post("/api/v1/me/verification/phone", json={"phone": person["phone"]}, headers=api.h(fresh))
    assert r.status_code == 403 and r.json()["error"]["code"] == "blacklisted", "no code sent to the banned number"
    other = await api.user()
    r = await api.client.post(
        "/api/v1/me/verification/id", json={"name": "张三", "id_number": make_id()}, headers=api.h(other)
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "blacklisted", "nor the banned ID number"
    async with container.db.uow(write=False) as uow:
        assert (
            await uow.conn.execute(select(identities.c.user_id).where(identities.c.user_id == fresh["id"]))
        ).first() is None
        assert (
            await uow.conn.execute(select(identities.c.id_hmac).where(identities.c.user_id == other["id"]))
        ).scalar_one() is None
        slots_after = (await uow.conn.execute(select(func.sum(identity_slots.c.accounts)))).scalar_one()
    assert slots_after == slots_before + 1, (
        "only the other account's own mobile number was counted; nothing half-written"
    )


async def test_r_11_3_2_a_blacklisted_accounts_join_and_create_are_refused(api: Any, container: Any) -> None:
    keeper = await staff(api, container, "admin")
    owner, member = await api.user(), await api.user()
    code = await api.create_group(owner)
    await blacklist(api, keeper, subject_type="account", subject=member["username"])
    r = await api.join(member, code)
    assert r.status_code == 403 and r.json()["error"]["code"] == "blacklisted"
    versions = await api.current_versions()
    r = await api.client.post(
        "/api/v1/groups",
        json={"name": "新群", "category": "work", "tier": "S", "duties_version": versions["owner_duties"]},
        headers=api.h(member),
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "blacklisted"
    assert (await api.join(await api.user(), code)).status_code in (200, 201), "others are not affected"


async def test_r_11_3_2_a_blacklisted_group_is_closed_and_its_owner_cannot_re_create_it(
    api: Any, container: Any
) -> None:
    keeper = await staff(api, container, "compliance_officer")
    owner = await api.user()
    code = await api.create_group(owner, name="投资交流群")
    done = await blacklist(
        api,
        keeper,
        subject_type="group",
        subject=code,
        ends_at=(container.clock.now() + timedelta(days=30)).isoformat(),
    )
    async with container.db.uow(write=False) as uow:
        g = (await uow.conn.execute(select(groups).where(groups.c.code == code))).one()
        entry = (
            await uow.conn.execute(select(blacklist_entries).where(blacklist_entries.c.id == done["entry_ids"][0]))
        ).one()
        rec = (
            await uow.conn.execute(select(enforcement_records).where(enforcement_records.c.id == entry.record_id))
        ).one()
    assert g.status == "closed", "closed (D11)"
    assert (rec.measure, rec.source, rec.source_ref) == ("group_close", "blacklist", f"blacklist:{entry.id}")
    versions = await api.current_versions()
    body = {"name": "投资交流群", "category": "work", "tier": "S", "duties_version": versions["owner_duties"]}
    r = await api.client.post("/api/v1/groups", json=body, headers=api.h(owner))
    assert r.status_code == 403 and r.json()["error"]["code"] == "blacklisted"
    assert r.json()["error"]["details"]["reason"] == "same_name"
    twin = await api.unverified_user()
    await api.verify_phone(twin, owner["phone"])
    r = await api.client.post("/api/v1/groups", json=body, headers=api.h(twin))
    assert r.status_code == 403 and r.json()["error"]["code"] == "blacklisted", "nor under another account"
    assert (await api.client.post("/api/v1/groups", json=body, headers=api.h(await api.user()))).status_code == 201


async def test_r_11_3_3_every_addition_change_and_removal_is_recorded_with_before_and_after(
    api: Any, container: Any
) -> None:
    keeper = await staff(api, container, "compliance_officer")
    person = await api.user()
    entry_id = (await blacklist(api, keeper, subject_type="account", subject=person["username"]))["entry_ids"][0]
    r = await api.client.patch(
        f"/api/v1/staff/blacklist/{entry_id}", json={"severity": 2, "reason": "再次违规"}, headers=api.h(keeper)
    )
    assert r.status_code == 200, r.text
    assert await level(container, person) == 2
    r = await api.client.post(
        f"/api/v1/staff/blacklist/{entry_id}/remove", json={"reason": "申诉成立"}, headers=api.h(keeper)
    )
    assert r.status_code == 200, r.text
    assert await level(container, person) == 0
    rows = await changes(container, entry_id)
    assert [(c.change, c.actor_id) for c in rows] == [
        ("added", keeper["id"]),
        ("changed", keeper["id"]),
        ("removed", keeper["id"]),
    ]
    assert rows[0].before is None and rows[0].after["severity"] == 1
    assert (rows[1].before["severity"], rows[1].after["severity"], rows[1].reason) == (1, 2, "再次违规")
    assert "removed_at" not in rows[2].before and rows[2].after["removed_at"] and rows[2].reason == "申诉成立"
    history = (await api.client.get(f"/api/v1/staff/blacklist/{entry_id}/history", headers=api.h(keeper))).json()
    assert [h["change"] for h in history] == ["added", "changed", "removed"]
    assert history[1]["diff"]["severity"] == {"before": 1, "after": 2}
    r = await api.client.patch(
        f"/api/v1/staff/blacklist/{entry_id}", json={"severity": 3, "reason": "x"}, headers=api.h(keeper)
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "blacklist_entry_ended", "an ended entry stays ended"


async def test_r_11_3_1_an_entry_past_its_end_expires_when_the_job_runs(
    api: Any, container: Any, manual_clock: Any
) -> None:
    keeper = await staff(api, container, "compliance_officer")
    person = await api.user()
    ends = manual_clock.now() + timedelta(days=7)
    entry_id = (
        await blacklist(api, keeper, subject_type="account", subject=person["username"], ends_at=ends.isoformat())
    )["entry_ids"][0]
    assert (await container.scheduler.run_due()).get("blacklist-expire", 0) == 0
    manual_clock.advance(timedelta(days=7, minutes=1))
    assert (await container.scheduler.run_due())["blacklist-expire"] == 1
    assert await level(container, person) == 0
    rows = await changes(container, entry_id)
    assert [(c.change, c.actor_id) for c in rows][-1] == ("expired", None)
    shown = (await api.client.get(f"/api/v1/staff/blacklist/{entry_id}", headers=api.h(keeper))).json()["entry"]
    assert shown["status"] == "expired"


async def test_r_11_3_1_an_entry_names_its_source_review_date_and_end(
    api: Any, container: Any, manual_clock: Any
) -> None:
    keeper = await staff(api, container, "compliance_officer")
    person = await api.user()
    h = api.h(keeper)
    base = {"subject_type": "account", "subject": person["username"], "severity": 1, "reason": "违规"}
    r = await api.client.post("/api/v1/staff/blacklist", json={**base, "source": "authority"}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "authority_ref"
    now = container.clock.now().astimezone(UTC)
    late = {"review_at": (now + timedelta(days=60)).isoformat(), "ends_at": (now + timedelta(days=30)).isoformat()}
    r = await api.client.post("/api/v1/staff/blacklist", json={**base, **late}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["details"]["reason"] == "after_end"
    r = await api.client.post(
        "/api/v1/staff/blacklist",
        json={**base, "source": "authority", "authority_ref": "网信执法〔2026〕12号"},
        headers=h,
    )
    assert r.status_code == 201
    entry = (await api.client.get(f"/api/v1/staff/blacklist/{r.json()['entry_ids'][0]}", headers=h)).json()["entry"]
    review = datetime.fromisoformat(entry["review_at"].replace("Z", "+00:00"))
    assert entry["source"] == "authority" and entry["authority_ref"] == "网信执法〔2026〕12号"
    assert review - now == timedelta(days=90), "reviewed after 90 days by default"
    reviewer = await staff(api, container, "reviewer")
    assert (await api.client.get("/api/v1/staff/blacklist", headers=api.h(reviewer))).status_code == 200
    r = await api.client.post("/api/v1/staff/blacklist", json=base, headers=api.h(reviewer))
    assert r.status_code == 403, "reviewers read; administrators and compliance officers keep the list"
