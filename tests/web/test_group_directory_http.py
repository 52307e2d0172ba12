"""搜索群组 and the owner's switch over plain HTTP (no JavaScript), in-process on SQLite and PostgreSQL: the search
page (open to visitors), the link from 我的群组, the 群主 page's "在群组搜索中展示" form with its conditions, and the
credit stars on the info page (group rules Art. 16, 37)."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from tests.compliance._creation import set_group
from tests.conftest import use_policy
from tests.web.test_group_admin_http import ZH, Browser
from tests.web.test_group_admin_http import person as person  # the fixture

from qunzu.app import create_app

PUBLIC_AT = 2  # the policy's info_public_at, lowered so a group reaches it with one join


@pytest.fixture
async def app(container: Any) -> Any:
    return create_app(container, with_web=True)


@pytest.fixture
async def visitor(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.10", 50001))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=ZH) as c:
        yield c


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


async def _public_group(api: Any, owner: Browser, joiner: Browser, name: str) -> str:
    code = await api.create_group(owner.user, name=name)
    assert (await api.join(joiner.user, code)).status_code == 201
    return code


async def test_the_owner_lists_the_group_from_the_owner_page_and_visitors_find_it(
    api: Any, person: Any, container: Any, visitor: httpx.AsyncClient
) -> None:
    await use_policy(container, info_public_at=PUBLIC_AT)
    owner, member = await person("林群主"), await person("周成员")
    code = await _public_group(api, owner, member, "城南读书会")
    url = f"/g/{code}/settings/owner"
    page = await owner.get(url)
    assert page.status_code == 200 and 'id="listing-form"' in page.text
    shown = _text(page.text)
    assert "在群组搜索中展示" in shown and "当前设置：不在搜索中展示" in shown
    assert (
        f"成员达到 {PUBLIC_AT} 人，群信息页面公开（目前 2 人）" in shown
        and "信用星级为四星或五星（目前 5 星）" in shown
    )
    assert re.findall(r'data-condition="(\w+)" data-met="(\w+)"', page.text) == [
        ("active", "true"), ("public_size", "true"), ("stars", "true"), ("not_hidden", "true")
    ]  # fmt: skip
    assert "城南读书会" not in (await visitor.get("/groups/search?q=读书")).text
    # a forged form changes nothing; a member is refused the switch
    r = await owner.c.post(f"{url}/listing", data={"csrf": "forged", "listed": "1"}, headers=ZH)
    assert r.status_code == 403
    r = await member.c.post(f"{url}/listing", data={"csrf": "forged", "listed": "1"}, headers=ZH)
    assert r.status_code == 403 and 'id="listing-form"' not in r.text
    assert (await member.get(url)).status_code == 403
    assert "城南读书会" not in (await visitor.get("/groups/search?q=读书")).text
    # the owner lists it
    r = await owner.post(f"{url}/listing", url, listed="1")
    assert r.status_code == 303 and r.headers["location"].endswith("done=listed")
    shown = _text((await owner.get(r.headers["location"])).text)
    assert "已选择在群组搜索中展示该群。" in shown and "该群目前可以被搜索到。" in shown
    found = await visitor.get("/groups/search?q=读书")
    assert found.status_code == 200 and f'href="/g/{code}/info"' in found.text
    assert 'aria-label="信用星级 5星"' in found.text and "★★★★★" in found.text
    assert f"{code[:3]} {code[3:6]} {code[6:]}" in found.text and "2 人" in _text(found.text)
    # the operation log says so in words
    log = _text((await owner.get(f"/g/{code}/settings/log")).text)
    assert "更改群组搜索展示设置" in log and "在群组搜索中展示: 是" in log
    # taken out again
    r = await owner.post(f"{url}/listing", url, listed="0")
    assert r.status_code == 303 and r.headers["location"].endswith("done=unlisted")
    assert f'href="/g/{code}/info"' not in (await visitor.get("/groups/search?q=读书")).text


async def test_the_search_page_explains_itself_and_refuses_a_bad_query(
    api: Any, person: Any, visitor: httpx.AsyncClient
) -> None:
    empty = await visitor.get("/groups/search")
    assert empty.status_code == 200 and 'id="group-search-form"' in empty.text
    assert "只能搜到群主选择在搜索中展示、成员达到 100 人" in _text(empty.text)
    assert 'id="search-results"' not in empty.text
    none = await visitor.get("/groups/search?q=不存在的群")
    assert none.status_code == 200 and 'id="search-none"' in none.text
    long = await visitor.get("/groups/search", params={"q": "字" * 51})
    assert long.status_code == 422 and "搜索内容需为 1–50 个字" in long.text and 'aria-invalid="true"' in long.text
    english = await visitor.get("/groups/search", headers={"Accept-Language": "en"})
    assert "Search finds only groups whose owner lists them" in english.text
    # 我的群组 links to it
    me = await person("吴某")
    assert 'href="/groups/search"' in (await me.get("/groups")).text


async def test_the_info_page_shows_the_stars_and_what_four_and_two_stars_restrict(
    api: Any, person: Any, container: Any, visitor: httpx.AsyncClient
) -> None:
    await use_policy(container, info_public_at=PUBLIC_AT)
    owner, member = await person("郑群主"), await person("钱成员")
    code = await _public_group(api, owner, member, "观鸟协会")
    page = await visitor.get(f"/g/{code}/info")
    assert 'data-full="true"' in page.text and 'aria-label="信用星级 5星"' in page.text
    assert 'id="info-star-limits"' not in page.text, "five stars restrict nothing"
    assert 'id="info-listed"' not in page.text and 'id="info-listed"' not in (await member.get(f"/g/{code}/info")).text
    mine = (await owner.get(f"/g/{code}/info")).text
    assert 'id="info-listed"' in mine and f'href="/g/{code}/settings/owner#listing">否</a>' in mine
    await set_group(container, code, stars=4)
    page = await visitor.get(f"/g/{code}/info")
    assert 'aria-label="信用星级 4星"' in page.text and "★★★★☆" in page.text
    limits = _text(page.text.split('id="info-star-limits"')[1].split("</div>")[0])
    assert "该群目前为 4 星" in limits and "在群组搜索中排在五星群组之后" in limits
    assert "不能加入新成员" not in limits
    await set_group(container, code, stars=2)
    limits = _text((await visitor.get(f"/g/{code}/info")).text.split('id="info-star-limits"')[1].split("</div>")[0])
    for line in ("不在群组搜索中展示", "不能通过邀请链接或二维码入群", "不能加入新成员", "消息中不能发送链接"):
        assert line in limits
    assert "排在五星群组之后" not in limits
    # below the public size a visitor sees no stars (only name, code and how to join)
    await set_group(container, code, member_count=PUBLIC_AT - 1)
    limited = await visitor.get(f"/g/{code}/info")
    assert 'data-full="false"' in limited.text and "信用星级" not in limited.text
