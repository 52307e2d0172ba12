"""The group tools' system lines over /api/v1/ws (R-9.3-1): members with the chat open are told of a mute, an
appointment by consent and the group's dissolution, each with who did it and to whom."""

from __future__ import annotations

from typing import Any

from tests.api.test_websocket import _connect, _next


async def _activity(ws: Any, kind: str) -> dict[str, Any]:
    while True:
        frame = await _next(ws, "group_activity")
        if frame["kind"] == kind:
            return frame


async def test_members_are_told_of_each_tool_use_and_of_the_dissolution(api: Any, client: Any, live: str) -> None:
    owner = await api.user(nickname="群主")
    member, heir = await api.user(nickname="成员"), await api.user(nickname="新管理")
    code = await api.create_group(owner, name="读书会")
    for u in (member, heir):
        assert (await api.join(u, code)).status_code == 201
    ws = await _connect(live, member)
    await _next(ws, "ready")
    r = await client.post(
        f"/api/v1/groups/{code}/members/{member['id']}/mute", json={"seconds": 600}, headers=api.h(owner)
    )
    assert r.status_code == 200
    muted = await _activity(ws, "member_muted")
    assert (muted["group"], muted["actor"]["nickname"], muted["actor"]["role"]) == (code, "群主", "creator")
    assert muted["target"]["nickname"] == "成员"
    assert (await api.appoint(owner, code, heir)).status_code == 200
    appointed = await _activity(ws, "manager_appointed")
    assert (appointed["target"]["nickname"], appointed["target"]["role"]) == ("新管理", "manager")
    r = await client.post(f"/api/v1/groups/{code}/dissolve", json={"confirm_name": "读书会"}, headers=api.h(owner))
    assert r.status_code == 204
    dissolved = await _activity(ws, "dissolved")
    assert dissolved["actor"]["nickname"] == "群主"
    await ws.close()
