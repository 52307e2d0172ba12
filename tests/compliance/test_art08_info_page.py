"""Art. 8 ¶2, as an inspector checks it: a group of a certain size has an info page naming the group, its member
count, category and other basic information; a closed group's code answers with a tombstone.

《互联网群组信息服务管理规定》第八条第二款：互联网群组信息服务提供者应设置和显示唯一群组识别编码，对成员达到一定规模的群组要设置
群信息页面，注明群组名称、人数、类别等基本信息。
"""

from __future__ import annotations

import asyncio
from typing import Any

from tests.compliance._creation import promote, set_group


async def _info(client: Any, code: str, headers: dict[str, str] | None = None) -> Any:
    return await client.get(f"/api/v1/groups/{code}/info", headers=headers or {})


async def test_r_8_2_2_members_always_see_the_info_page_with_owner_and_managers(api, client, container) -> None:
    owner, member, outsider = await api.user(nickname="群主甲"), await api.user(nickname="成员乙"), await api.user()
    code = await api.create_group(owner, name="读书会", category="study")
    await api.join(member, code)
    r = await _info(client, code, api.h(member, "zh-CN"))
    assert r.status_code == 200
    page = r.json()
    assert page["full"] is True and page["name"] == "读书会" and page["code"] == code
    assert page["code_display"] == f"{code[:3]} {code[3:6]} {code[6:]}"
    assert page["category"] == "study" and page["category_label"]
    assert (page["tier"], page["member_cap"], page["member_count"]) == ("S", 40, 2)
    assert page["join_mode"] == "open" and page["created_at"]
    assert [(s["nickname"], s["role_label"]) for s in page["owner_and_managers"]] == [("群主甲", "群主")]
    # below the public size, a non-member (signed in or not) sees that it exists, its name and how to ask to join
    for headers in (api.h(outsider), None):
        limited = (await _info(client, code, headers)).json()
        assert limited["full"] is False and limited["name"] == "读书会" and limited["join_mode"] == "open"
        assert limited["member_count"] is None and limited["owner_and_managers"] == []


async def test_r_8_2_2_at_100_members_the_page_is_public_with_the_live_count(api, client, container) -> None:
    owner = await api.user()
    code = await api.create_group(owner, tier="M")
    joiners = await asyncio.gather(*(api.user() for _ in range(99)))
    for r in await asyncio.gather(*(api.join(u, code) for u in joiners[:98])):
        assert r.status_code == 201, r.text
    assert (await _info(client, code)).json()["full"] is False, "99 members: not public yet"
    assert (await api.join(joiners[98], code)).status_code == 201
    public = (await _info(client, code)).json()  # anyone with the code, not signed in
    assert public["full"] is True and public["member_count"] == 100 and public["tier"] == "M"
    r = await client.post(f"/api/v1/groups/{code}/leave", headers=api.h(joiners[0]))
    assert r.status_code == 204
    assert (await _info(client, code, api.h(owner))).json()["member_count"] == 99, "the count is live"
    assert (await _info(client, code)).json()["full"] is False, "below 100 again: members only"


async def test_r_8_2_2_a_group_waiting_for_review_has_no_page_but_for_its_creator(api, client, container) -> None:
    creator, other = await api.user(), await api.user()
    await promote(container, creator, level=2, credit=110, age_days=30)
    code = await api.create_group(creator, tier="XL")
    mine = (await _info(client, code, api.h(creator))).json()
    assert mine["status"] == "pending_review" and mine["full"] is True
    for headers in (api.h(other), None):
        r = await _info(client, code, headers)
        assert r.status_code == 404 and r.json()["error"]["code"] == "group_not_found"


async def test_r_8_2_1_a_closed_groups_info_page_is_its_tombstone(api, client, container) -> None:
    owner = await api.user()
    code = await api.create_group(owner)
    await set_group(container, code, status="closed", closed_at=container.clock.now())
    for headers in (api.h(owner, "zh-CN"), None):
        r = await _info(client, code, headers)
        assert r.status_code == 410
        error = r.json()["error"]
        assert error["code"] == "group_closed" and error["details"]["code"] == code and error["details"]["closed_at"]
    assert (await client.get(f"/api/v1/groups/{code}", headers=api.h(owner, "zh-CN"))).json()["error"][
        "message"
    ] == "该群已关闭"
