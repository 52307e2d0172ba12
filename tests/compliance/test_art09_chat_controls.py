"""Art. 9, the chat half of the managers' tools, as an inspector checks them: mute a member, mute all, slow mode,
pins and the group's own keyword filter. Each tool: owner ✓, manager ✓, member ✗ (`forbidden_role`); each use in
the group's operation log with who and when; and the chat obeys it.

第九条：……互联网群组信息服务提供者应为群组建立者、管理者进行群组管理提供必要功能权限。
"""

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from qunzu.storage.tables import groups, operation_log


async def _group(api: Any) -> tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]:
    owner, manager, member = await api.user(), await api.user(), await api.user()
    code = await api.create_group(owner)
    await api.join(manager, code)
    await api.join(member, code)
    assert (await api.appoint(owner, code, manager)).status_code == 200
    return code, owner, manager, member


async def _log(container: Any, code: str, action: str) -> list[Any]:
    async with container.db.uow(write=False) as uow:
        gid = (await uow.conn.execute(select(groups.c.id).where(groups.c.code == code))).scalar_one()
        rows = await uow.conn.execute(
            select(operation_log)
            .where(operation_log.c.group_id == gid, operation_log.c.action == action)
            .order_by(operation_log.c.id)
        )
        return list(rows)


def _refused(r: Any, code: str, status: int = 403) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json()["error"]
    assert body["code"] == code, body
    return body


async def test_r_9_3_1_each_chat_control_owner_and_manager_yes_member_no(api, client, container) -> None:
    code, owner, manager, member = await _group(api)
    first = (await api.post(member, code, "置顶候选")).json()
    calls = [
        ("put", f"/api/v1/groups/{code}/mute-all", {"on": True}, "group.mute_all"),
        ("put", f"/api/v1/groups/{code}/slow-mode", {"seconds": 30}, "group.slow_mode"),
        ("post", f"/api/v1/groups/{code}/pins/{first['id']}", None, "group.pin"),
        ("post", f"/api/v1/groups/{code}/keywords", {"term": "代购"}, "group.keyword_add"),
    ]
    for method, url, body, _ in calls:
        r = await client.request(method, url, json=body, headers=api.h(member))
        _refused(r, "forbidden_role")
    for method, url, body, _ in calls:
        r = await client.request(method, url, json=body, headers=api.h(manager))
        assert r.status_code == 200, r.text
    # the owner switches them back: also allowed
    r = await client.put(f"/api/v1/groups/{code}/mute-all", json={"on": False}, headers=api.h(owner))
    assert r.status_code == 200 and r.json()["mute_all"] is False
    r = await client.put(f"/api/v1/groups/{code}/slow-mode", json={"seconds": 0}, headers=api.h(owner))
    assert r.status_code == 200 and r.json()["slow_mode_seconds"] == 0
    r = await client.delete(f"/api/v1/groups/{code}/pins/{first['id']}", headers=api.h(member))
    _refused(r, "forbidden_role")
    r = await client.delete(f"/api/v1/groups/{code}/pins/{first['id']}", headers=api.h(owner))
    assert r.status_code == 200 and r.json()["pins"] == []
    for path in ("keywords", "held"):
        _refused(await client.get(f"/api/v1/groups/{code}/{path}", headers=api.h(member)), "forbidden_role")
    # every use is in the group's operation log, with the actor and the time
    for _, _, _, action in calls:
        rows = await _log(container, code, action)
        assert rows and rows[0].actor_id == manager["id"] and rows[0].ts is not None, action
    mute_all = await _log(container, code, "group.mute_all")
    assert [(r.actor_id, r.details["new"]) for r in mute_all] == [(manager["id"], True), (owner["id"], False)]
    assert [r.actor_id for r in await _log(container, code, "group.unpin")] == [owner["id"]]


async def test_r_9_3_1_a_muted_member_posts_nothing_until_the_time_passes(api, client, manual_clock) -> None:
    code, _owner, manager, member = await _group(api)
    r = await client.post(
        f"/api/v1/groups/{code}/members/{member['id']}/mute", json={"seconds": 3600}, headers=api.h(manager)
    )
    assert r.status_code == 200, r.text
    error = _refused(await api.post(member, code, "我还能说话吗"), "member_muted")
    assert error["details"]["until"].startswith((manual_clock.now() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    manual_clock.advance(timedelta(minutes=59))
    _refused(await api.post(member, code, "还是不行"), "member_muted")
    manual_clock.advance(timedelta(minutes=2))
    assert (await api.post(member, code, "可以了")).status_code == 201


async def test_r_9_3_1_mute_all_blocks_members_not_managers(api, client) -> None:
    code, owner, manager, member = await _group(api)
    assert (await client.put(f"/api/v1/groups/{code}/mute-all", json={"on": True}, headers=api.h(owner))).is_success
    _refused(await api.post(member, code, "大家好"), "group_muted")
    assert (await api.post(manager, code, "管理员通知")).status_code == 201
    assert (await api.post(owner, code, "群主通知")).status_code == 201
    assert (await client.put(f"/api/v1/groups/{code}/mute-all", json={"on": False}, headers=api.h(owner))).is_success
    assert (await api.post(member, code, "大家好")).status_code == 201


async def test_r_9_3_1_slow_mode_one_message_per_period(api, client, manual_clock) -> None:
    code, owner, manager, member = await _group(api)
    for bad in (5, 3601):
        r = await client.put(f"/api/v1/groups/{code}/slow-mode", json={"seconds": bad}, headers=api.h(owner))
        assert r.status_code == 422
    r = await client.put(f"/api/v1/groups/{code}/slow-mode", json={"seconds": 30}, headers=api.h(owner))
    assert r.status_code == 200 and r.json()["slow_mode_seconds"] == 30
    assert (await api.post(member, code, "第一条")).status_code == 201
    error = _refused(await api.post(member, code, "第二条"), "slow_mode", 429)
    assert 29_000 <= error["details"]["retry_after_ms"] <= 30_000
    assert (await api.post(manager, code, "管理员不受限")).status_code == 201
    assert (await api.post(manager, code, "管理员不受限 2")).status_code == 201
    manual_clock.advance(timedelta(seconds=30))
    assert (await api.post(member, code, "第二条")).status_code == 201


async def test_r_9_3_1_group_keyword_holds_for_managers_and_approval_publishes_in_order(api, client) -> None:
    code, owner, manager, member = await _group(api)
    r = await client.post(f"/api/v1/groups/{code}/keywords", json={"term": "代购"}, headers=api.h(owner))
    assert r.status_code == 200 and [k["term"] for k in r.json()["keywords"]] == ["代购"]
    assert (await api.post(member, code, "早上好")).json()["seq"] == 1
    held = await api.post(member, code, "专业 代 購 请私聊")  # spaced, traditional: matched after normalisation
    assert held.status_code == 201 and held.json()["status"] == "under_review" and held.json()["seq"] is None
    assert (await api.post(member, code, "中午好")).json()["seq"] == 2
    # others do not see it; its author sees it pending
    seen = (await api.messages(manager, code)).json()["messages"]
    assert [m["text"] for m in seen] == ["早上好", "中午好"]
    mine = (await api.messages(member, code)).json()["pending"]
    assert [m["status"] for m in mine] == ["under_review"]
    # the managers see it held, and approve it: it takes the next number then
    queue = (await client.get(f"/api/v1/groups/{code}/held", headers=api.h(manager))).json()["held"]
    assert [h["message"]["id"] for h in queue] == [held.json()["id"]]
    mid = held.json()["id"]
    r = await client.post(f"/api/v1/groups/{code}/held/{mid}/decision", json={"approve": True}, headers=api.h(manager))
    assert r.status_code == 200 and r.json()["seq"] == 3
    seen = (await api.messages(owner, code)).json()["messages"]
    assert [m["seq"] for m in seen] == [1, 2, 3] and seen[-1]["text"] == "专业 代 購 请私聊"
    r = await client.post(f"/api/v1/groups/{code}/held/{mid}/decision", json={"approve": True}, headers=api.h(owner))
    _refused(r, "already_decided", 409)
    # a rejected one stays unpublished (its content kept) and its author sees it rejected
    other = (await api.post(member, code, "找我代购")).json()
    r = await client.post(
        f"/api/v1/groups/{code}/held/{other['id']}/decision", json={"approve": False, "reason": "广告"},
        headers=api.h(owner),
    )  # fmt: skip
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert [m["status"] for m in (await api.messages(member, code)).json()["pending"]][-1] == "rejected"
    assert [r.actor_id for r in await _log(container_of(api), code, "group.held_approve")] == [manager["id"]]


def container_of(api: Any) -> Any:
    return api.container


async def test_r_9_3_1_platform_review_runs_first(api, client) -> None:
    code, owner, _, member = await _group(api)
    await client.post(f"/api/v1/groups/{code}/keywords", json={"term": "彩票"}, headers=api.h(owner))
    r = await api.post(member, code, "六合彩 彩票")  # blocked by the platform's lexicon: never reaches the group
    assert r.status_code in (403, 422) and r.json()["error"]["code"] == "content_rejected"
    assert (await client.get(f"/api/v1/groups/{code}/held", headers=api.h(owner))).json()["held"] == []


async def test_r_9_3_1_pins_capped_at_ten(api, client) -> None:
    code, owner, manager, member = await _group(api)
    ids = [(await api.post(member, code, f"第 {i} 条")).json()["id"] for i in range(11)]
    for mid in ids[:10]:
        assert (await client.post(f"/api/v1/groups/{code}/pins/{mid}", headers=api.h(manager))).status_code == 200
    r = await client.post(f"/api/v1/groups/{code}/pins/{ids[10]}", headers=api.h(owner))
    _refused(r, "pins_limit", 409)
    pins = (await client.get(f"/api/v1/groups/{code}/pins", headers=api.h(member))).json()["pins"]
    assert len(pins) == 10 and pins[0]["message"]["id"] == ids[9]
    # re-pinning one already pinned changes nothing; unpinning makes room
    assert (await client.post(f"/api/v1/groups/{code}/pins/{ids[0]}", headers=api.h(owner))).status_code == 200
    assert (await client.delete(f"/api/v1/groups/{code}/pins/{ids[0]}", headers=api.h(owner))).status_code == 200
    assert (await client.post(f"/api/v1/groups/{code}/pins/{ids[10]}", headers=api.h(owner))).status_code == 200


async def test_r_9_3_1_keyword_list_capped_and_checked(api, client) -> None:
    code, owner, _, _ = await _group(api)
    url = f"/api/v1/groups/{code}/keywords"
    assert (await client.post(url, json={"term": "x" * 65}, headers=api.h(owner))).status_code == 422
    assert (await client.post(url, json={"term": "！！"}, headers=api.h(owner))).status_code == 422
    for i in range(100):
        assert (await client.post(url, json={"term": f"词{i}"}, headers=api.h(owner))).status_code == 200
    _refused(await client.post(url, json={"term": "再来一个"}, headers=api.h(owner)), "keywords_limit", 409)
    r = await client.delete(url, params={"term": "词0"}, headers=api.h(owner))
    assert r.status_code == 200 and len(r.json()["keywords"]) == 99
