"""Group search and the owner's search listing (services/group_directory.py, `GET /api/v1/groups/search`,
`PUT /api/v1/groups/{code}/listing`), on SQLite and PostgreSQL, as the group rules promise them:

《群组管理规则》第十六条：群组是否出现在搜索结果中，由群主另行选择，并受规模级别和群信用星级限制。
第三十七条：四星：在搜索结果中排序靠后；三星：不在搜索结果中展示。

The public size is lowered to 3 members here (the policy's `info_public_at`, 100 by default) so that groups reach it
by real joins; a group's stars are set in the table, as a `group_stars` measure leaves them.
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.compliance._creation import set_group, staff
from tests.conftest import use_policy

from qunzu.errors import ErrorCode, QunzuError
from qunzu.services.group_directory import search_groups

PUBLIC_AT = 3


@pytest.fixture
async def town(api: Any, container: Any) -> Any:
    """Two owners and two people who join groups to bring them to the public size."""
    await use_policy(container, info_public_at=PUBLIC_AT)
    return {"owners": [await api.user(), await api.user()], "joiners": [await api.user(), await api.user()]}


async def _group(
    api: Any, town: Any, name: str, *, members: int = PUBLIC_AT, listed: bool = True, owner: int = 0
) -> str:
    code = await api.create_group(town["owners"][owner], name=name)
    for joiner in town["joiners"][: members - 1]:
        assert (await api.join(joiner, code)).status_code == 201
    if listed:
        r = await _list(api, town["owners"][owner], code, True)
        assert r.status_code == 200, r.text
    return code


async def _list(api: Any, who: dict[str, Any], code: str, listed: bool) -> Any:
    return await api.client.put(f"/api/v1/groups/{code}/listing", json={"listed": listed}, headers=api.h(who))


async def _search(api: Any, q: str, **params: Any) -> Any:
    return await api.client.get("/api/v1/groups/search", params={"q": q, **params})  # no token: anyone may search


async def _codes(api: Any, q: str) -> list[str]:
    r = await _search(api, q)
    assert r.status_code == 200, r.text
    return [g["code"] for g in r.json()["results"]]


async def test_only_listed_public_active_unhidden_groups_of_four_or_five_stars_are_found(
    api: Any, container: Any, town: Any
) -> None:
    found = await _group(api, town, "周末读书会")
    unlisted = await _group(api, town, "读书会·不展示", listed=False)
    hidden = await _group(api, town, "读书会·被隐藏")
    three_stars = await _group(api, town, "读书会·三星")
    closed = await _group(api, town, "读书会·已解散", owner=1)
    small = await _group(api, town, "读书会·小群", members=PUBLIC_AT - 1, owner=1)
    await set_group(container, three_stars, stars=3)
    reviewer = await staff(api, container)
    r = await api.client.post(
        "/api/v1/staff/measures",
        json={"kind": "group_hide", "target": hidden, "reason_code": "fraud", "reason": "引流诈骗"},
        headers=api.h(reviewer),
    )
    assert r.status_code == 201, r.text
    r = await api.client.post(
        f"/api/v1/groups/{closed}/dissolve", json={"confirm_name": "读书会·已解散"}, headers=api.h(town["owners"][1])
    )
    assert r.status_code == 204, r.text

    assert await _codes(api, "读书会") == [found]
    body = (await _search(api, "读书")).json()
    assert body["results"] == [
        {
            "code": found,
            "code_display": f"{found[:3]} {found[3:6]} {found[6:]}",
            "name": "周末读书会",
            "category": "work",
            "category_label": body["results"][0]["category_label"],
            "member_count": PUBLIC_AT,
            "tier": "S",
            "stars": 5,
            "join_mode": "open",
        }
    ]
    assert body["has_more"] is False and body["query"] == "读书"
    # by its code, typed as people do; a code finds nothing the conditions keep out
    assert await _codes(api, found) == [found]
    assert await _codes(api, f"{found[:3]} {found[3:6]}-{found[6:]}") == [found]
    for code in (unlisted, hidden, three_stars, closed, small):
        assert await _codes(api, code) == [], code
    # the same from the service, signed in or not makes no difference
    page = await search_groups(container.db, q="读书会", policy=await container.policy.policy())
    assert [g.code for g in page.results] == [found]


async def test_a_group_that_grows_to_the_public_size_is_found_without_listing_again(
    api: Any, container: Any, town: Any
) -> None:
    code = await _group(api, town, "晨跑小组", members=PUBLIC_AT - 1)
    assert await _codes(api, "晨跑") == [], "listed, but small enough to be private"
    state = (await api.client.get(f"/api/v1/groups/{code}/listing", headers=api.h(town["owners"][0]))).json()
    assert state["listed"] is True and state["found"] is False
    assert state["conditions"] == {"active": True, "public_size": False, "stars": True, "not_hidden": True}
    third = await api.user()
    assert (await api.join(third, code)).status_code == 201
    assert await _codes(api, "晨跑") == [code]


async def test_four_stars_come_after_five_stars_then_by_size(api: Any, container: Any, town: Any) -> None:
    big_four = await _group(api, town, "摄影爱好者·大")
    five_small = await _group(api, town, "摄影爱好者·小", members=PUBLIC_AT)
    await set_group(container, big_four, stars=4, member_count=PUBLIC_AT + 50)
    five_big = await _group(api, town, "摄影爱好者·中")
    await set_group(container, five_big, member_count=PUBLIC_AT + 10)
    assert await _codes(api, "摄影") == [five_big, five_small, big_four]
    results = (await _search(api, "摄影")).json()["results"]
    assert [g["stars"] for g in results] == [5, 5, 4]


async def test_percent_underscore_and_case_are_read_literally(api: Any, container: Any, town: Any) -> None:
    percent = await _group(api, town, "100%纯英语角")
    plain = await _group(api, town, "1000纯英语角")
    under = await _group(api, town, "Python_Club")
    other = await _group(api, town, "PythonXClub")
    assert await _codes(api, "100%") == [percent], "% is a character, not a wildcard"
    assert sorted(await _codes(api, "纯英语")) == sorted([percent, plain])
    assert await _codes(api, "n_c") == [under], "_ is a character, not any one character"
    assert sorted(await _codes(api, "python")) == sorted([under, other]), "case-insensitive"
    assert await _codes(api, "\\") == []


async def test_pages_say_whether_more_follow(api: Any, container: Any, town: Any) -> None:
    codes = [await _group(api, town, f"桥牌俱乐部{i}") for i in range(3)]
    first = (await _search(api, "桥牌", limit=2)).json()
    assert [g["code"] for g in first["results"]] == codes[:2] and first["has_more"] is True
    second = (await _search(api, "桥牌", limit=2, offset=2)).json()
    assert [g["code"] for g in second["results"]] == codes[2:] and second["has_more"] is False


@pytest.mark.parametrize("q", ["", "   ", "\u200b", "字" * 51, "a\x00b", "a\nb"])
async def test_a_bad_query_is_validation_failed_on_q(api: Any, container: Any, q: str) -> None:
    r = await _search(api, q)
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "validation_failed" and error["details"]["field"] == "q"
    if q.strip() and "\x00" not in q and "\n" not in q and "\u200b" not in q:
        with pytest.raises(QunzuError) as refused:
            await search_groups(container.db, q=q, policy=await container.policy.policy())
        assert refused.value.code is ErrorCode.VALIDATION_FAILED and refused.value.details["field"] == "q"


async def test_fifty_characters_are_a_search(api: Any, container: Any) -> None:
    assert (await _search(api, "字" * 50)).status_code == 200
    assert (await _search(api, "  " + "字" * 50 + "  ")).status_code == 200, "counted after trimming"


async def test_only_the_owner_lists_the_group_and_it_is_recorded(api: Any, container: Any, town: Any) -> None:
    owner, member = town["owners"][0], town["joiners"][0]
    code = await _group(api, town, "围棋社", listed=False)
    manager = await api.user()
    assert (await api.join(manager, code)).status_code == 201
    assert (await api.appoint(owner, code, manager)).status_code == 200
    outsider = await api.user()
    for who, status, error in ((member, 403, "forbidden_role"), (manager, 403, "forbidden_role"),
                               (outsider, 403, "not_member")):  # fmt: skip
        r = await _list(api, who, code, True)
        assert (r.status_code, r.json()["error"]["code"]) == (status, error)
        r = await api.client.get(f"/api/v1/groups/{code}/listing", headers=api.h(who))
        assert r.status_code == 403
    assert await _codes(api, "围棋") == []
    r = await _list(api, owner, code, True)
    assert r.status_code == 200 and r.json()["listed"] is True and r.json()["found"] is True
    assert (await _list(api, owner, code, True)).status_code == 200, "the same choice again changes nothing"
    assert await _codes(api, "围棋") == [code]
    log = (await api.client.get(f"/api/v1/groups/{code}/log", headers=api.h(owner, "zh-CN"))).json()["entries"]
    listings = [e for e in log if e["action"] == "group.listing"]
    assert len(listings) == 1, "one record per change"
    assert listings[0]["label"] == "更改群组搜索展示设置" and listings[0]["details"]["listed"] is True
    assert listings[0]["actor"]["id"] == owner["id"]
    assert (await _list(api, owner, code, False)).json()["found"] is False
    assert await _codes(api, "围棋") == []


async def test_a_closed_group_is_not_listed_and_a_suspended_owner_may_not(api: Any, container: Any, town: Any) -> None:
    closed = await _group(api, town, "象棋社", listed=False, owner=1)
    await set_group(container, closed, status="closed")
    r = await _list(api, town["owners"][1], closed, True)
    assert (r.status_code, r.json()["error"]["code"]) == (410, "group_closed")
    owner = town["owners"][0]
    code = await _group(api, town, "跳棋社", listed=False)
    reviewer = await staff(api, container)
    r = await api.client.post(
        "/api/v1/staff/measures",
        json={"kind": "user_manage_suspend", "target": owner["username"], "reason_code": "fraud",
              "reason": "纵容诈骗", "duration_hours": 24},
        headers=api.h(reviewer),
    )  # fmt: skip
    assert r.status_code == 201, r.text
    r = await _list(api, owner, code, True)
    assert (r.status_code, r.json()["error"]["code"]) == (403, "management_suspended")


async def test_the_info_page_shows_the_stars_and_the_owner_their_listing(api: Any, container: Any, town: Any) -> None:
    owner, member = town["owners"][0], town["joiners"][0]
    code = await _group(api, town, "天文观测群")
    await set_group(container, code, stars=4)
    page = (await api.client.get(f"/api/v1/groups/{code}/info")).json()  # public: anyone with the code
    assert page["full"] is True and page["stars"] == 4 and page["listed"] is None
    assert page["star_effects"] == {
        "searchable": True, "ranked_lower": True, "link_joins": True, "new_members": True, "message_links": True
    }  # fmt: skip
    assert (await api.client.get(f"/api/v1/groups/{code}/info", headers=api.h(member))).json()["listed"] is None
    mine = (await api.client.get(f"/api/v1/groups/{code}/info", headers=api.h(owner))).json()
    assert mine["listed"] is True
    await set_group(container, code, stars=2)
    effects = (await api.client.get(f"/api/v1/groups/{code}/info")).json()["star_effects"]
    assert effects == {
        "searchable": False, "ranked_lower": True, "link_joins": False, "new_members": False, "message_links": False
    }  # fmt: skip
