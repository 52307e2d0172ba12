"""Real-time delivery over /api/v1/ws against a live uvicorn server, on both databases."""

import asyncio
import json
from typing import Any

import pytest
import websockets


async def _connect(live: str, user: dict, groups: dict[str, int] | None = None, since: int | None = None):  # type: ignore[no-untyped-def]
    ws = await websockets.connect(f"ws://{live}/api/v1/ws", additional_headers=bearer(user))
    hello: dict[str, Any] = {"type": "hello", "groups": groups or {}}
    if since is not None:
        hello["since"] = since
    await ws.send(json.dumps(hello))
    return ws


def bearer(user: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {user['token']}"}


async def _next(ws, type_: str | None = None, timeout: float = 5.0) -> dict:  # type: ignore[no-untyped-def]
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if type_ is None or frame["type"] == type_:
            return frame


async def test_live_message_reaches_other_members(api, live) -> None:
    owner, member, outsider = await api.user(), await api.user(), await api.user()
    code = await api.create_group(owner)
    await api.join(member, code)
    ws_m = await _connect(live, member)
    ws_o = await _connect(live, outsider)
    assert (await _next(ws_m))["type"] == "ready"
    await _next(ws_o, "ready")
    posted = (await api.post(owner, code, "大家好")).json()
    frame = await _next(ws_m, "message")
    assert frame["group"] == code and frame["seq"] == posted["seq"]
    assert frame["message"]["text"] == "大家好" and frame["message"]["sender"]["role"] == "creator"
    with pytest.raises(TimeoutError):
        await _next(ws_o, "message", timeout=0.5)
    await ws_m.close()
    await ws_o.close()


async def test_reconnect_replays_what_was_missed_then_goes_live(api, live) -> None:
    owner, member = await api.user(), await api.user()
    code = await api.create_group(owner)
    await api.join(member, code)
    for i in range(3):
        await api.post(owner, code, f"before {i}")
    ws = await _connect(live, member, {code: 1})
    got = [await _next(ws, "message"), await _next(ws, "message")]
    ready = await _next(ws)
    assert [f["seq"] for f in got] == [2, 3]
    assert ready == {"type": "ready", "groups": {code: 3}}
    await ws.close()
    for i in range(5):
        await api.post(owner, code, f"while away {i}")
    ws = await _connect(live, member, {code: 3})
    replay = [(await _next(ws, "message"))["seq"] for _ in range(5)]
    await _next(ws, "ready")
    await api.post(owner, code, "live again")
    assert replay == [4, 5, 6, 7, 8]
    assert (await _next(ws, "message"))["seq"] == 9
    await ws.close()


async def test_deletions_and_membership_changes_are_delivered(api, client, live) -> None:
    owner, member, newcomer = await api.user(), await api.user(nickname="新人"), await api.user()
    code = await api.create_group(owner)
    await api.join(member, code)
    ws = await _connect(live, owner)
    await _next(ws, "ready")
    msg = (await api.post(member, code, "oops")).json()
    await _next(ws, "message")
    await client.delete(f"/api/v1/groups/{code}/messages/{msg['id']}", headers=api.h(member))
    deleted = await _next(ws, "message_deleted")
    assert deleted["message_id"] == msg["id"] and deleted["seq"] == msg["seq"]
    await api.join(newcomer, code)
    joined = await _next(ws, "member_joined")
    assert joined["user"]["id"] == newcomer["id"] and joined["member_count"] == 3
    await api.appoint(owner, code, member)
    changed = await _next(ws, "role_changed")
    assert changed["role"] == "manager"
    await client.post(f"/api/v1/groups/{code}/leave", headers=api.h(newcomer))
    left = await _next(ws, "member_left")
    assert left["member_count"] == 2
    await client.patch(
        f"/api/v1/groups/{code}", json={"name": "改名了", "announcement": "周六见"}, headers=api.h(owner)
    )
    updated = await _next(ws, "group_updated")
    assert (updated["group"], updated["name"], updated["announcement"], updated["description"]) == (
        code,
        "改名了",
        "周六见",
        "",
    )
    await ws.close()


async def test_missed_deletions_are_replayed_with_since(api, client, live) -> None:
    owner, member = await api.user(), await api.user()
    code = await api.create_group(owner)
    await api.join(member, code)
    msg = (await api.post(owner, code, "to delete")).json()
    ws = await _connect(live, member)
    ready = await _next(ws, "ready")
    await ws.close()
    since = 0  # the client's last frame time; 0 = everything
    await client.delete(f"/api/v1/groups/{code}/messages/{msg['id']}", headers=api.h(owner))
    ws = await _connect(live, member, {code: ready["groups"][code]}, since=since)
    frames = [await _next(ws) for _ in range(2)]
    assert {f["type"] for f in frames} == {"ready", "message_deleted"}
    await ws.close()


async def test_joining_while_connected_subscribes_the_connection(api, live) -> None:
    owner, member = await api.user(), await api.user()
    code = await api.create_group(owner)
    await api.post(owner, code, "before the join")
    ws = await _connect(live, member)
    await _next(ws, "ready")
    await api.join(member, code)
    await _next(ws, "member_joined")
    await api.post(owner, code, "after the join")
    frame = await _next(ws, "message")
    assert frame["seq"] == 2 and frame["message"]["text"] == "after the join"
    await ws.close()


async def test_bad_token_and_bad_hello(api, live) -> None:
    ws = await websockets.connect(f"ws://{live}/api/v1/ws", additional_headers={"Authorization": "Bearer qz_nope"})
    with pytest.raises(websockets.exceptions.ConnectionClosed):
        await asyncio.wait_for(ws.recv(), 5)
    assert ws.close_code == 4401
    user = await api.user()
    ws = await websockets.connect(f"ws://{live}/api/v1/ws", additional_headers=bearer(user))
    await ws.send("not json")
    frame = json.loads(await ws.recv())
    assert frame["type"] == "error" and frame["error"]["code"] == "validation_failed"
    with pytest.raises(websockets.exceptions.ConnectionClosed):
        await asyncio.wait_for(ws.recv(), 2)
    assert ws.close_code == 4400


async def test_ping_pong(api, live) -> None:
    user = await api.user()
    ws = await _connect(live, user)
    await _next(ws, "ready")
    await ws.send(json.dumps({"type": "ping"}))
    assert (await _next(ws))["type"] == "pong"
    await ws.close()


async def _author_member_reviewer(api, container, live, **member_fields):
    """A group of an author and a member, both connected and ready, and a reviewer."""
    from tests.compliance.test_art06_identity import staff

    author, member = await api.user(), await api.user(**member_fields)
    reviewer = await staff(api, container, "reviewer")
    code = await api.create_group(author)
    await api.join(member, code)
    ws_a, ws_m = await _connect(live, author), await _connect(live, member)
    await _next(ws_a, "ready")
    await _next(ws_m, "ready")
    return author, reviewer, code, ws_a, ws_m


async def test_a_review_decision_reaches_only_the_author_live(api, client, container, live) -> None:
    author, reviewer, code, ws_a, ws_m = await _author_member_reviewer(api, container, live)
    held = (await api.post(author, code, "QZ-TEST-HOLD 第一条")).json()
    flagged = (await api.post(author, code, "QZ-TEST-FLAG 第二条")).json()
    assert held["seq"] is None and flagged["seq"] == 1
    assert (await _next(ws_m, "message"))["seq"] == 1
    queue = (await client.get("/api/v1/staff/review/queue", headers=api.h(reviewer))).json()
    by_action = {item["action"]: item["id"] for item in queue}

    async def reject(item_id: int, reason: str) -> None:
        r = await client.post(
            f"/api/v1/staff/review/items/{item_id}/decide",
            json={"approve": False, "reason_code": reason},
            headers=api.h(reviewer),
        )
        assert r.status_code == 204

    await reject(by_action["hold"], "advertising")
    frame = await _next(ws_a, "review_decided")
    assert frame == {
        "type": "review_decided",
        "group": code,
        "message_id": held["id"],
        "client_msg_id": held["client_msg_id"],
        "decision": "rejected",
        "reason": "advertising",
        "seq": None,
        "ts": frame["ts"],
    }
    await reject(by_action["flag"], "fraud")
    gone = await _next(ws_m, "message_deleted")  # the group sees a flagged message go
    assert gone["seq"] == 1
    frame = await _next(ws_a, "review_decided")
    assert (frame["message_id"], frame["decision"], frame["reason"], frame["seq"]) == (
        flagged["id"],
        "rejected",
        "fraud",
        1,
    )
    with pytest.raises(TimeoutError):  # members never learn of review decisions on others' messages
        await _next(ws_m, "review_decided", timeout=0.5)
    await ws_a.close()
    await ws_m.close()


async def test_a_taken_down_profile_is_told_to_its_author_only(api, client, container, live) -> None:
    """A reviewer's rejection of a flagged announcement or nickname takes it down; the group sees the new profile
    (group_updated), and only the author learns why (profile_taken_down, with the reason code)."""
    author, reviewer, code, ws_a, ws_m = await _author_member_reviewer(
        api, container, live, nickname="兼职日结QZ-TEST-FLAG"
    )
    r = await client.patch(f"/api/v1/groups/{code}", json={"announcement": "QZ-TEST-FLAG 加群"}, headers=api.h(author))
    assert r.status_code == 200
    assert (await _next(ws_m, "group_updated"))["announcement"] == "QZ-TEST-FLAG 加群"
    queue = (await client.get("/api/v1/staff/review/queue", headers=api.h(reviewer))).json()
    by_kind = {item["kind"]: item["id"] for item in queue}
    for kind, reason in (("group_announcement", "advertising"), ("nickname", "fraud")):
        r = await client.post(
            f"/api/v1/staff/review/items/{by_kind[kind]}/decide",
            json={"approve": False, "reason_code": reason},
            headers=api.h(reviewer),
        )
        assert r.status_code == 204
    assert (await _next(ws_m, "group_updated"))["announcement"] == ""
    frame = await _next(ws_a, "profile_taken_down")
    assert frame == {"type": "profile_taken_down", "kind": "group_announcement", "group": code, "reason": "advertising",
                     "ts": frame["ts"]}  # fmt: skip
    frame = await _next(ws_m, "profile_taken_down")
    assert (frame["kind"], frame["group"], frame["reason"]) == ("nickname", None, "fraud")
    with pytest.raises(TimeoutError):  # the member did not write the announcement; the author's nickname stands
        await _next(ws_m, "profile_taken_down", timeout=0.5)
    with pytest.raises(TimeoutError):
        await _next(ws_a, "profile_taken_down", timeout=0.5)
    await ws_a.close()
    await ws_m.close()
