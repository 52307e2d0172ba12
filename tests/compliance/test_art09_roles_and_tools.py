"""Art. 2 ¶2 and Art. 9, as an inspector checks them: three in-group roles, shown wherever members are listed;
the creator and managers have real tools; ownership is never passive; staff roles give no in-group power.

第九条：群组建立者、管理者应当履行群组管理责任……互联网群组信息服务提供者应为群组建立者、管理者进行群组管理提供必要功能权限。
"""

from sqlalchemy import select

from qunzu.storage.tables import operation_log


async def test_r_2_2_2_exactly_three_roles_and_the_original_creator_is_kept(api, client, container) -> None:
    owner, heir = await api.user(), await api.user()
    code = await api.create_group(owner)
    await api.join(heir, code)
    assert (await api.hand_over(owner, code, heir)).status_code == 200
    members = (await client.get(f"/api/v1/groups/{code}/members", headers=api.h(owner, "zh-CN"))).json()["members"]
    assert {m["role"] for m in members} <= {"creator", "manager", "member"}
    assert [m["role"] for m in members].count("creator") == 1
    from qunzu.storage.tables import groups

    async with container.db.uow(write=False) as uow:
        g = (await uow.conn.execute(select(groups).where(groups.c.code == code))).one()
    assert (g.creator_id, g.owner_id) == (owner["id"], heir["id"])


async def test_r_8_3_4_role_labels_on_members_and_messages(api, client) -> None:
    owner, manager, member = await api.user(), await api.user(), await api.user()
    code = await api.create_group(owner)
    await api.join(manager, code)
    await api.join(member, code)
    await api.appoint(owner, code, manager)
    for u in (owner, manager, member):
        await api.post(u, code, "hi")
    msgs = (await api.messages(member, code)).json()["messages"]
    assert [(m["sender"]["role"]) for m in msgs] == ["creator", "manager", "member"]
    members = (await client.get(f"/api/v1/groups/{code}/members", headers=api.h(member, "zh-CN"))).json()
    assert [m["role_label"] for m in members["members"]] == ["群主", "管理员", "成员"]


async def test_r_9_3_1_tools_by_role(api, client) -> None:
    owner, manager, member, other = await api.user(), await api.user(), await api.user(), await api.user()
    code = await api.create_group(owner)
    for u in (manager, member, other):
        await api.join(u, code)
    assert (await api.appoint(owner, code, manager)).status_code == 200
    # set managers and transfer: owner only
    for actor in (manager, member):
        r = await client.post(f"/api/v1/groups/{code}/managers", json={"user_id": other["id"]}, headers=api.h(actor))
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden_role"
        r = await client.post(f"/api/v1/groups/{code}/transfer", json={"user_id": other["id"]}, headers=api.h(actor))
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden_role"
    # delete any member's message: owner and manager, not a member
    victim = (await api.post(other, code, "x")).json()
    r = await client.delete(f"/api/v1/groups/{code}/messages/{victim['id']}", headers=api.h(member))
    assert r.status_code == 403
    r = await client.delete(f"/api/v1/groups/{code}/messages/{victim['id']}", headers=api.h(manager))
    assert r.status_code == 200
    # edit the name, description and announcement: owner and manager, not a member (nor an outsider)
    for actor, text in ((owner, "周六下午三点见"), (manager, "周六改到四点")):
        r = await client.patch(f"/api/v1/groups/{code}", json={"announcement": text}, headers=api.h(actor))
        assert r.status_code == 200 and r.json()["announcement"] == text
    r = await client.patch(f"/api/v1/groups/{code}", json={"name": "新名字"}, headers=api.h(member))
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden_role"
    outsider = await api.user()
    r = await client.patch(f"/api/v1/groups/{code}", json={"name": "新名字"}, headers=api.h(outsider))
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_member"
    seen = (await client.get(f"/api/v1/groups/{code}", headers=api.h(member))).json()
    assert seen["announcement"] == "周六改到四点" and seen["name"] != "新名字"
    assert (await client.get(f"/api/v1/groups/{code}", headers=api.h(outsider))).json()["announcement"] is None


async def test_r_9_1_2_the_owner_cannot_walk_away(api, client) -> None:
    owner = await api.user()
    code = await api.create_group(owner)
    r = await client.post(f"/api/v1/groups/{code}/leave", headers=api.h(owner))
    assert r.status_code == 409 and r.json()["error"]["code"] == "owner_must_transfer"


async def test_r_2_2_2_staff_roles_give_no_in_group_power(api, client, container) -> None:
    from qunzu.context import Ctx
    from qunzu.domain.accounts import StaffRole
    from qunzu.services.accounts import register_user

    await register_user(
        container.db,
        container.passwords,
        username="admin1",
        password="correct-horse-9",
        nickname="管理",
        ctx=Ctx.system(container.clock.now()),
        staff_role=StaffRole.ADMIN,
    )
    tok = (await client.post("/api/v1/auth/login", json={"username": "admin1", "password": "correct-horse-9"})).json()
    admin = {"token": tok["access_token"]}
    owner = await api.user()
    code = await api.create_group(owner)
    msg = (await api.post(owner, code, "x")).json()
    r = await client.delete(f"/api/v1/groups/{code}/messages/{msg['id']}", headers=api.h(admin))
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_member"


async def test_every_group_action_is_recorded_with_actor_time_ip_and_port(api, client, container) -> None:
    owner, member = await api.user(), await api.user()
    code = await api.create_group(owner)
    await api.join(member, code)
    await api.appoint(owner, code, member)
    await client.delete(f"/api/v1/groups/{code}/managers/{member['id']}", headers=api.h(owner))
    msg = (await api.post(member, code, "x")).json()
    await client.delete(f"/api/v1/groups/{code}/messages/{msg['id']}", headers=api.h(owner))
    await client.patch(f"/api/v1/groups/{code}", json={"description": "每周读一本书"}, headers=api.h(owner))
    await client.post(f"/api/v1/groups/{code}/leave", headers=api.h(member))
    async with container.db.uow(write=False) as uow:
        rows = list(
            await uow.conn.execute(
                select(operation_log).where(operation_log.c.group_id.is_not(None)).order_by(operation_log.c.id)
            )
        )
    assert [r.action for r in rows] == [
        "group.create",
        "group.join",
        "group.manager_offer",
        "group.manager_accept",
        "group.manager_remove",
        "message.delete",
        "group.profile",
        "group.leave",
    ]
    for r in rows:
        assert r.actor_id in (owner["id"], member["id"])
        assert (r.src_ip, r.src_port) == ("203.0.113.7", 50123)
        assert r.ts.utcoffset().total_seconds() == 0 and r.ts.microsecond % 1000 == 0
