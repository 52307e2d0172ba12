"""The chat controls reach the group's live members as `group_activity` frames (system lines), and a role change as
a `role_changed` frame (R-8.3-4: badges update in real time)."""

from typing import Any

from tests.api.test_websocket import _connect, _next


async def _activity(ws: Any, kind: str) -> dict[str, Any]:
    while True:
        frame = await _next(ws, "group_activity")
        if frame["kind"] == kind:
            return frame


async def test_r_9_3_1_chat_controls_reach_live_members_as_system_lines(api, client, live) -> None:
    owner, member = await api.user(nickname="群主甲"), await api.user(nickname="成员乙")
    code = await api.create_group(owner)
    await api.join(member, code)
    ws = await _connect(live, member)
    await _next(ws, "ready")
    await client.put(f"/api/v1/groups/{code}/mute-all", json={"on": True}, headers=api.h(owner))
    frame = await _activity(ws, "mute_all_on")
    assert frame["group"] == code and frame["actor"] == {"id": owner["id"], "nickname": "群主甲", "role": "creator"}
    assert isinstance(frame["ts"], int) and frame["details"] == {}
    await client.put(f"/api/v1/groups/{code}/mute-all", json={"on": False}, headers=api.h(owner))
    await _activity(ws, "mute_all_off")
    await client.put(f"/api/v1/groups/{code}/slow-mode", json={"seconds": 30}, headers=api.h(owner))
    assert (await _activity(ws, "slow_mode"))["details"] == {"seconds": 30}
    msg = (await api.post(owner, code, "请大家看群规")).json()
    await client.post(f"/api/v1/groups/{code}/pins/{msg['id']}", headers=api.h(owner))
    pinned = await _activity(ws, "pinned")
    assert pinned["details"]["message_id"] == msg["id"] and pinned["details"]["excerpt"] == "请大家看群规"
    await client.delete(f"/api/v1/groups/{code}/pins/{msg['id']}", headers=api.h(owner))
    await _activity(ws, "unpinned")
    await ws.close()


async def test_r_8_3_4_a_role_change_reaches_live_clients(api, client, live) -> None:
    owner, helper, watcher = await api.user(), await api.user(nickname="丙"), await api.user()
    code = await api.create_group(owner)
    await api.join(helper, code)
    await api.join(watcher, code)
    ws = await _connect(live, watcher)
    await _next(ws, "ready")
    assert (await api.appoint(owner, code, helper)).status_code == 200
    frame = await _next(ws, "role_changed")
    assert frame["user"]["id"] == helper["id"] and frame["role"] == "manager"
    await ws.close()


async def test_a_held_message_approved_by_a_manager_is_delivered_live(api, client, live) -> None:
    owner, member, watcher = await api.user(), await api.user(), await api.user()
    code = await api.create_group(owner)
    await api.join(member, code)
    await api.join(watcher, code)
    await client.post(f"/api/v1/groups/{code}/keywords", json={"term": "代购"}, headers=api.h(owner))
    ws_author = await _connect(live, member)
    ws = await _connect(live, watcher)
    await _next(ws, "ready")
    await _next(ws_author, "ready")
    held = (await api.post(member, code, "海外代购")).json()
    assert held["status"] == "under_review"
    r = await client.post(f"/api/v1/groups/{code}/held/{held['id']}/decision", json={"approve": True},
                          headers=api.h(owner))  # fmt: skip
    assert r.status_code == 200
    frame = await _next(ws, "message")
    assert frame["message"]["id"] == held["id"] and frame["seq"] == r.json()["seq"]
    decided = await _next(ws_author, "review_decided")
    assert decided["decision"] == "approved" and decided["message_id"] == held["id"]
    await ws.close()
    await ws_author.close()
