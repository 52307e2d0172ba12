"""Groups: create, code, join, leave, roles, managers, transfer — through the API, on both databases."""

import json

from sqlalchemy import select
from tests.conftest import use_policy

from qunzu.domain.groupcode import is_valid_mod11_10
from qunzu.storage.tables import groups, operation_log


async def test_create_group_gives_a_valid_unique_code_and_makes_the_creator_owner(api, client, container) -> None:
    await use_policy(container, levels={"4": {"owned_max": 50, "created_per_day": 50, "send_per_minute": 20}})
    owner = await api.user()
    codes = {await api.create_group(owner, name=f"群{i}") for i in range(20)}
    assert len(codes) == 20 and all(is_valid_mod11_10(c) for c in codes)
    code = next(iter(codes))
    g = (await client.get(f"/api/v1/groups/{code}", headers=api.h(owner, "zh-CN"))).json()
    assert g["my_role"] == "creator" and g["my_role_label"] == "群主"
    assert g["member_count"] == 1 and g["member_cap"] == 40  # tier S, the default
    assert g["tier"] == "S" and g["max_tier"] == "S" and g["status"] == "active"
    assert g["code_display"] == f"{code[:3]} {code[3:6]} {code[6:]}"


async def test_bad_group_input(api, client) -> None:
    owner = await api.user()
    h = api.h(owner)
    r = await client.post("/api/v1/groups", json={"name": "x", "category": "nonsense"}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_category"
    r = await client.post("/api/v1/groups", json={"name": "  ", "category": "work"}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_failed"
    r = await client.post("/api/v1/groups", json={"name": "x" * 31, "category": "work"}, headers=h)
    assert r.status_code == 422
    r = await client.get("/api/v1/groups/1234567890", headers=h)
    assert r.json()["error"]["code"] == "invalid_group_code"


async def test_join_leave_and_member_list_with_role_labels(api, client) -> None:
    owner, alice, bob = (
        await api.user(nickname="老板"),
        await api.user(nickname="阿丽"),
        await api.user(nickname="小博"),
    )
    code = await api.create_group(owner)
    assert (await api.join(alice, code)).status_code == 201
    assert (await api.join(bob, code)).status_code == 201
    again = await api.join(bob, code)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_member"
    r = await client.post(f"/api/v1/groups/{code}/managers", json={"user_id": bob["id"]}, headers=api.h(owner))
    assert r.status_code == 202 and (r.json()["role"], r.json()["status"]) == ("manager", "pending")
    assert (await api.accept_offer(bob, r.json())).status_code == 200
    members = (await client.get(f"/api/v1/groups/{code}/members", headers=api.h(alice, "zh-CN"))).json()
    assert [(m["nickname"], m["role_label"]) for m in members["members"]] == [
        ("老板", "群主"),
        ("小博", "管理员"),
        ("阿丽", "成员"),
    ]
    assert (await client.post(f"/api/v1/groups/{code}/leave", headers=api.h(alice))).status_code == 204
    g = (await client.get(f"/api/v1/groups/{code}", headers=api.h(owner))).json()
    assert g["member_count"] == 2
    r = await client.get(f"/api/v1/groups/{code}/members", headers=api.h(alice))
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_member"


async def test_only_the_owner_manages_managers(api, client) -> None:
    owner, m1, m2 = await api.user(), await api.user(), await api.user()
    code = await api.create_group(owner)
    await api.join(m1, code)
    await api.join(m2, code)
    r = await client.post(f"/api/v1/groups/{code}/managers", json={"user_id": m2["id"]}, headers=api.h(m1))
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden_role"
    await api.appoint(owner, code, m1)
    r = await client.post(f"/api/v1/groups/{code}/managers", json={"user_id": m2["id"]}, headers=api.h(m1))
    assert r.status_code == 403, "a manager cannot appoint managers"
    r = await client.delete(f"/api/v1/groups/{code}/managers/{m1['id']}", headers=api.h(owner))
    assert r.status_code == 200 and r.json()["role"] == "member"
    stranger = await api.user()
    r = await client.post(f"/api/v1/groups/{code}/managers", json={"user_id": stranger["id"]}, headers=api.h(owner))
    assert r.status_code == 404 and r.json()["error"]["code"] == "member_not_found"


async def test_transfer_keeps_the_original_creator_of_record(api, client, container) -> None:
    owner, heir = await api.user(), await api.user()
    code = await api.create_group(owner)
    await api.join(heir, code)
    r = await client.post(f"/api/v1/groups/{code}/leave", headers=api.h(owner))
    assert r.status_code == 409 and r.json()["error"]["code"] == "owner_must_transfer"
    r = await client.post(f"/api/v1/groups/{code}/transfer", json={"user_id": heir["id"]}, headers=api.h(owner))
    assert r.status_code == 202 and r.json()["status"] == "pending"
    assert (await client.get(f"/api/v1/groups/{code}", headers=api.h(heir))).json()["my_role"] == "member"
    assert (await api.accept_offer(heir, r.json())).status_code == 200
    assert (await client.get(f"/api/v1/groups/{code}", headers=api.h(owner))).json()["my_role"] == "member"
    assert (await client.get(f"/api/v1/groups/{code}", headers=api.h(heir))).json()["my_role"] == "creator"
    assert (await client.post(f"/api/v1/groups/{code}/leave", headers=api.h(owner))).status_code == 204
    async with container.db.uow(write=False) as uow:
        g = (await uow.conn.execute(select(groups).where(groups.c.code == code))).one()
        actions = list(
            (
                await uow.conn.execute(
                    select(operation_log.c.action).where(operation_log.c.group_id == g.id).order_by(operation_log.c.id)
                )
            ).scalars()
        )
    assert g.creator_id == owner["id"] and g.owner_id == heir["id"]
    assert actions == [
        "group.create",
        "group.join",
        "group.transfer_offer",
        "group.transfer",
        "group.transfer_from",
        "group.leave",
    ]


async def test_editing_the_group_profile(api, client, container) -> None:
    owner, member = await api.user(), await api.user()
    code = await api.create_group(owner, name="原名")
    await api.join(member, code)
    h = api.h(owner)
    r = await client.patch(f"/api/v1/groups/{code}", json={}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_failed", "an edit names what it changes"
    r = await client.patch(f"/api/v1/groups/{code}", json={"name": "  "}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "name"
    r = await client.patch(f"/api/v1/groups/{code}", json={"announcement": "公" * 1001}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["details"] == {"field": "announcement", "max_length": 1000}
    r = await client.patch(f"/api/v1/groups/{code}", json={"topic": "x"}, headers=h)
    assert r.status_code == 422, "unknown fields are refused"
    r = await client.patch(f"/api/v1/groups/{code}", json={"name": " 新名 ", "announcement": "周六见"}, headers=h)
    body = r.json()
    assert r.status_code == 200 and (body["name"], body["announcement"]) == ("新名", "周六见")
    assert body["announcement_at"] is not None and body["description"] == ""
    r = await client.patch(f"/api/v1/groups/{code}", json={"name": "新名", "announcement": ""}, headers=h)
    assert r.status_code == 200 and r.json()["announcement"] == "" and r.json()["announcement_at"] is None
    from sqlalchemy import select

    from qunzu.storage.tables import operation_log

    async with container.db.uow(write=False) as uow:
        logged = list(
            await uow.conn.execute(
                select(operation_log.c.details)
                .where(operation_log.c.action == "group.profile")
                .order_by(operation_log.c.id)
            )
        )
    changes = [d if isinstance(d, dict) else json.loads(d) for (d,) in logged]
    assert changes == [
        {"name": {"old": "原名", "new": "新名"}, "announcement": {"old": "", "new": "周六见"}},
        {"announcement": {"old": "周六见", "new": ""}},
    ], "each edit records what changed, old and new; an unchanged field is not repeated"
    r = await client.patch(f"/api/v1/groups/{code}", json={"name": "新名"}, headers=h)
    assert r.status_code == 200
    async with container.db.uow(write=False) as uow:
        count = len(
            list(await uow.conn.execute(select(operation_log.c.id).where(operation_log.c.action == "group.profile")))
        )
    assert count == 2, "an edit that changes nothing records nothing"
