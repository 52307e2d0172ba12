"""Art. 8 ¶3 and Art. 9 ¶1, as an inspector checks it: who may create a group of which size is checked by tier
(real identity, credit level, account age, caps); XL and sensitive groups wait for a staff reviewer whose decision
is logged; the name and purpose are reviewed; the creator accepts the owner's duties notice.

《互联网群组信息服务管理规定》第八条第三款：互联网群组信息服务提供者应当根据群组规模类别，分级审核群组建立者真实身份、信用等级等
建群资质，完善建群、入群等审核验证功能……
第九条第一款：互联网群组建立者、管理者应当履行群组管理责任……
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from tests.compliance._creation import promote, staff

from qunzu.storage.tables import acceptances, account_notices, groups, memberships, operation_log, users


async def _create(api: Any, user: dict[str, Any], **body: Any) -> Any:
    duties = (await api.current_versions())["owner_duties"]
    payload = {"name": "建群测试", "category": "work", "duties_version": duties} | body
    return await api.client.post("/api/v1/groups", json=payload, headers=api.h(user))


async def _user_row(container: Any, user: dict[str, Any]) -> Any:
    async with container.db.uow(write=False) as uow:
        return (await uow.conn.execute(select(users).where(users.c.id == user["id"]))).one()


async def _records(container: Any, action: str) -> list[Any]:
    async with container.db.uow(write=False) as uow:
        return list(await uow.conn.execute(select(operation_log).where(operation_log.c.action == action)))


async def test_r_8_3_1_an_l1_credit_80_user_asking_for_xl_is_refused_with_the_reasons_listed(api, container) -> None:
    u = await api.user()
    await promote(container, u, credit=80)
    r = await _create(api, u, tier="XL")
    assert r.status_code == 403
    error = r.json()["error"]
    assert error["code"] == "verification_level_required"
    reasons = {x["code"]: x for x in error["details"]["reasons"]}
    assert set(reasons) == {"verification_level_required", "credit_insufficient", "account_too_new"}
    assert reasons["verification_level_required"]["required_level"] == 2
    assert reasons["credit_insufficient"]["score"] == 80 and reasons["credit_insufficient"]["required_level"] == 4
    row = await _user_row(container, u)
    assert (row.groups_owned, row.groups_joined, row.created_today) == (0, 0, 0), "a refusal takes no place"
    terms = await api.client.get("/api/v1/groups/creation-terms?tier=XL&category=work", headers=api.h(u))
    assert terms.status_code == 200 and terms.json()["eligible"] is False
    assert terms.json()["met"] == {
        "verification_level": False, "credit_level": False, "account_days": False, "owned": True, "per_day": True,
    }  # fmt: skip
    assert terms.json()["requirements"]["review"] is True and terms.json()["requirements"]["member_cap"] == 2000


async def test_r_8_3_1_an_l2_credit_110_xl_group_is_pending_until_a_reviewer_approves(api, client, container) -> None:
    creator, other = await api.user(nickname="申请人"), await api.user()
    await promote(container, creator, level=2, credit=110, age_days=30)
    r = await _create(api, creator, name="万人读书会", tier="XL")
    assert r.status_code == 201, r.text
    group = r.json()
    code = group["code"]
    assert group["status"] == "pending_review" and group["max_tier"] == "XL" and group["member_cap"] == 2000
    # only its creator sees it; nobody posts, joins or invites until a reviewer decides
    assert (await client.get(f"/api/v1/groups/{code}", headers=api.h(creator))).status_code == 200
    hidden = await client.get(f"/api/v1/groups/{code}", headers=api.h(other))
    assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "group_not_found"
    assert (await api.join(other, code)).json()["error"]["code"] == "group_not_found"
    posted = await api.post(creator, code, "你好")
    assert posted.status_code == 409 and posted.json()["error"]["code"] == "group_pending_review"

    reviewer = await staff(api, container, "reviewer")
    queue = (await client.get("/api/v1/staff/group-reviews", headers=api.h(reviewer))).json()
    item = next(i for i in queue if i["code"] == code)
    assert item["tier"] == "XL" and item["creator_nickname"] == "申请人"
    assert item["creator_verification_level"] == 2 and item["creator_credit_score"] == 110
    r = await client.post(
        f"/api/v1/staff/group-reviews/{code}/decision", json={"decision": "approve"}, headers=api.h(reviewer)
    )
    assert r.status_code == 200 and r.json()["status"] == "active"
    seen = (await client.get(f"/api/v1/groups/{code}", headers=api.h(other))).json()
    assert seen["status"] == "active"
    assert (await api.post(creator, code, "开张了")).status_code == 201
    [record] = await _records(container, "group.review_decision")
    assert record.actor_id == reviewer["id"] and record.details["decision"] == "approved"
    again = await client.post(
        f"/api/v1/staff/group-reviews/{code}/decision", json={"decision": "approve"}, headers=api.h(reviewer)
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_decided"
    async with container.db.uow(write=False) as uow:
        notice = (
            await uow.conn.execute(select(account_notices).where(account_notices.c.user_id == creator["id"]))
        ).one()
    assert notice.kind == "group_review_decided" and notice.details["decision"] == "approved"


async def test_r_8_3_1_a_refusal_names_its_reason_and_gives_the_places_back(api, client, container) -> None:
    creator = await api.user()
    await promote(container, creator, level=2, credit=110, age_days=30)
    code = (await _create(api, creator, tier="XL")).json()["code"]
    before = await _user_row(container, creator)
    assert (before.groups_owned, before.groups_joined, before.created_today) == (1, 1, 1)
    reviewer = await staff(api, container, "reviewer")
    url = f"/api/v1/staff/group-reviews/{code}/decision"
    r = await client.post(url, json={"decision": "refuse"}, headers=api.h(reviewer))
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "reason"
    r = await client.post(url, json={"decision": "refuse", "reason": "用途不明"}, headers=api.h(reviewer))
    assert r.status_code == 200 and r.json()["status"] == "refused"
    gone = await client.get(f"/api/v1/groups/{code}", headers=api.h(creator))
    assert gone.status_code == 404, "a refused group is gone for everyone, its creator too"
    after = await _user_row(container, creator)
    assert (after.groups_owned, after.groups_joined, after.created_today) == (0, 0, 0)
    async with container.db.uow(write=False) as uow:
        row = (await uow.conn.execute(select(groups).where(groups.c.code == code))).one()
    assert row.status == "refused" and row.review_reason == "用途不明", "the code stays taken forever"
    [record] = await _records(container, "group.review_decision")
    assert record.details["decision"] == "refused" and record.details["reason"] == "用途不明"


async def test_r_8_3_1_only_reviewers_decide_and_compliance_officers_read(api, client, container) -> None:
    creator = await api.user()
    await promote(container, creator, level=2, credit=110, age_days=30)
    code = (await _create(api, creator, tier="XL")).json()["code"]
    officer = await staff(api, container, "compliance_officer")
    assert (await client.get("/api/v1/staff/group-reviews", headers=api.h(officer))).status_code == 200
    url = f"/api/v1/staff/group-reviews/{code}/decision"
    r = await client.post(url, json={"decision": "approve"}, headers=api.h(officer))
    assert r.status_code == 403
    r = await client.get("/api/v1/staff/group-reviews", headers=api.h(creator))
    assert r.status_code == 403


async def test_r_8_3_1_a_sensitive_category_needs_l2_a_purpose_and_review(api, client, container) -> None:
    u = await api.user()
    r = await _create(api, u, category="finance", purpose="交流理财知识")
    assert r.status_code == 403 and r.json()["error"]["code"] == "verification_level_required"
    await promote(container, u, level=2)
    r = await _create(api, u, category="finance")
    assert r.status_code == 422 and r.json()["error"]["details"] == {"field": "purpose", "reason": "purpose_required"}
    r = await _create(api, u, category="finance", purpose="交流理财知识")
    assert r.status_code == 201 and r.json()["status"] == "pending_review", "sensitive: reviewed at any size"
    reviewer = await staff(api, container, "reviewer")
    queue = (await client.get("/api/v1/staff/group-reviews", headers=api.h(reviewer))).json()
    assert [(i["category"], i["purpose"]) for i in queue] == [("finance", "交流理财知识")]


async def test_r_8_3_2_a_banned_name_or_purpose_is_refused_before_the_group_exists(api, container) -> None:
    u = await api.user()
    assert (await _create(api, u, name="六合彩交流")).json()["error"]["code"] == "content_rejected"
    r = await _create(api, u, name="正常的群", purpose="六合彩交流")
    assert r.status_code == 422 and r.json()["error"]["code"] == "content_rejected"
    async with container.db.uow(write=False) as uow:
        assert (await uow.conn.execute(select(groups))).first() is None


async def test_r_9_1_1_creating_without_accepting_the_duties_notice_is_refused(api, client, container) -> None:
    u = await api.user()
    current = (await api.current_versions())["owner_duties"]
    for body in ({"name": "无告知"}, {"name": "旧版", "duties_version": current + 1}):
        r = await client.post("/api/v1/groups", json={"category": "work", **body}, headers=api.h(u))
        assert r.status_code == 403 and r.json()["error"]["code"] == "duties_not_accepted"
        assert r.json()["error"]["details"]["version"] == current
    r = await _create(api, u, name="已阅读")
    assert r.status_code == 201
    async with container.db.uow(write=False) as uow:
        accepted = (await uow.conn.execute(select(acceptances).where(acceptances.c.kind == "owner_duties"))).one()
        member = (await uow.conn.execute(select(memberships).where(memberships.c.user_id == u["id"]))).one()
    assert accepted.user_id == u["id"] and accepted.version == current and accepted.src_ip == "203.0.113.7"
    assert member.duties_version == current
    [record] = await _records(container, "group.create")
    assert record.details["tier"] == "S" and record.details["path"] == "direct"
    assert record.details["duties_version"] == current


async def test_r_8_3_1_the_creator_is_told_the_decision_live(container) -> None:
    from qunzu.services.dispatch import to_realtime
    from qunzu.services.events import GroupCreationDecided

    event = to_realtime(GroupCreationDecided(7, 3, "1000000005", "读书会", "refused", "用途不明", 1))
    assert event is not None and event.kind == "user" and event.user_id == 7
    assert '"type":"group_review_decided"' in event.frame and "用途不明" in event.frame
