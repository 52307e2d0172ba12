"""The joining pages over plain HTTP (no JavaScript), in-process on SQLite and PostgreSQL: 入群方式 for the owner and
managers, the non-member page's request with the join question, the invite link's landing page, the pending joins
on /groups, and the rules card after joining (R-8.3-3, R-9.2-1)."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from tests.web.test_throttle_http import csrf, sign_in

from qunzu.app import create_app
from qunzu.storage.tables import groups

PASSWORD = "correct-horse-9"  # tests/conftest.py Api's password
ZH = {"Accept-Language": "zh-CN"}


@pytest.fixture
async def app(container: Any) -> Any:
    """One app (API and pages) for `api` and the browsers alike (its metrics register once per container)."""
    return create_app(container, with_web=True)


class Browser:
    """One person's cookie session on the web pages."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.c = client

    async def get(self, url: str) -> httpx.Response:
        return await self.c.get(url, headers=ZH)

    async def post(self, url: str, page_url: str, **form: str) -> httpx.Response:
        token = csrf((await self.get(page_url)).text)
        return await self.c.post(url, data={**form, "csrf": token}, headers=ZH)


@pytest.fixture
async def person(app: Any, api: Any) -> AsyncIterator[Any]:
    clients: list[httpx.AsyncClient] = []

    async def make(user: dict[str, Any] | None = None) -> Browser:
        user = user or await api.user()
        transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 50000))
        c = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        clients.append(c)
        assert (await sign_in(c, user["username"], PASSWORD)).status_code == 303
        b = Browser(c)
        b.user = user  # type: ignore[attr-defined]
        return b

    yield make
    for c in clients:
        await c.aclose()


async def test_r_8_3_3_the_owner_sets_approval_with_a_question_and_approves_a_request(api, person, container) -> None:
    owner_user = await api.user()
    code = await api.create_group(owner_user, name="读书会")
    owner, joiner, member = await person(owner_user), await person(), await person()
    assert (await api.join(member.user, code)).status_code == 201
    page_url = f"/g/{code}/settings/joining"
    page = await owner.get(page_url)
    assert page.status_code == 200 and "入群方式" in page.text and 'aria-current="page">入群方式' in page.text
    assert (await member.get(page_url)).status_code == 403
    outsider = await joiner.get(page_url)
    assert outsider.status_code == 403 and "你还不是该群成员" in outsider.text

    r = await owner.post(page_url, page_url, join_mode="approval", join_question="你读过哪本书？", invite_rights="all")
    assert r.status_code == 303 and r.headers["location"].endswith("done=saved")
    assert "入群设置已保存" in (await owner.get(r.headers["location"])).text

    seen = (await joiner.get(f"/g/{code}")).text
    assert "你读过哪本书？" in seen and "申请加入" in seen
    r = await joiner.post(f"/g/{code}/join", f"/g/{code}", answer="")
    assert r.status_code == 422 and "请回答群主设置的入群问题" in r.text
    r = await joiner.post(f"/g/{code}/join", f"/g/{code}", answer="红楼梦")
    assert r.status_code == 303
    pending = (await joiner.get(f"/g/{code}")).text
    assert 'id="pending-request"' in pending and "红楼梦" in pending and "撤回申请" in pending
    mine = (await joiner.get("/groups")).text
    assert 'id="my-request-' in mine and "读书会" in mine, "/groups lists my pending request"

    chat = (await owner.get(f"/g/{code}")).text
    assert 'id="join-pending"' in chat and "有 1 条入群申请待处理" in chat
    listing = (await owner.get(page_url)).text
    assert "红楼梦" in listing
    rid = re.search(r'id="request-(\d+)"', listing).group(1)  # type: ignore[union-attr]
    r = await owner.post(f"{page_url}/requests/{rid}", page_url, decision="approve", reason="")
    assert r.status_code == 303 and "done=approved" in r.headers["location"]

    first = (await joiner.get(f"/g/{code}")).text
    assert 'id="rules-card"' in first and "/documents/group_rules" in first and "/documents/convention" in first
    r = await joiner.post(f"/g/{code}/rules-seen", f"/g/{code}")
    assert r.status_code == 303
    assert 'id="rules-card"' not in (await joiner.get(f"/g/{code}")).text


async def test_r_8_3_3_open_joining_is_not_offered_when_the_group_can_grow_to_l(api, person, container) -> None:
    owner_user = await api.user()
    code = await api.create_group(owner_user)
    async with container.db.uow() as uow:
        await uow.conn.execute(
            update(groups).where(groups.c.code == code).values(member_cap=500, max_tier="L", join_mode="approval")
        )
        await uow.commit()
    owner = await person(owner_user)
    page = (await owner.get(f"/g/{code}/settings/joining")).text
    assert re.search(r'value="open"[^>]*disabled', page), "open joining is shown but not selectable"
    r = await owner.post(f"/g/{code}/settings/joining", f"/g/{code}/settings/joining", join_mode="open",
                         join_question="", invite_rights="all")  # fmt: skip
    assert r.status_code == 422 and "该规模的群组不能使用这种入群方式" in r.text


async def test_r_8_3_3_an_invite_link_with_qr_code_lands_joins_and_is_revoked(api, person, container) -> None:
    owner_user = await api.user()
    code = await api.create_group(owner_user, name="羽毛球")
    owner, joiner = await person(owner_user), await person()
    page_url = f"/g/{code}/settings/joining"
    r = await owner.post(f"{page_url}/links", page_url)
    assert r.status_code == 303
    page = (await owner.get(page_url)).text
    url = html.unescape(re.search(r'class="link-url" value="([^"]+)"', page).group(1))  # type: ignore[union-attr]
    token = url.rsplit("/", 1)[1]
    assert url == f"http://testserver/join/{token}" and "<svg" in page and 'class="segno"' in page

    landing = await api.client.get(f"/join/{token}", headers=ZH)
    assert landing.status_code == 200 and "羽毛球" in landing.text and "登录后加入" in landing.text
    assert f"/login?next=/join/{token}" in landing.text

    r = await joiner.post(f"/join/{token}", f"/join/{token}")
    assert r.status_code == 303 and r.headers["location"] == f"/g/{code}"
    assert "已使用 1 次" in (await owner.get(page_url)).text

    link_id = re.search(r'id="link-(\d+)"', page).group(1)  # type: ignore[union-attr]
    assert (await owner.post(f"{page_url}/links/{link_id}/revoke", page_url)).status_code == 303
    gone = await joiner.get(f"/join/{token}")
    assert gone.status_code == 410 and "邀请链接已被撤销" in gone.text


async def test_r_8_3_3_pending_invitations_are_answered_on_the_groups_page(api, person, container) -> None:
    owner_user = await api.user()
    code = await api.create_group(owner_user, name="大群")
    async with container.db.uow() as uow:
        await uow.conn.execute(
            update(groups).where(groups.c.code == code).values(member_count=41, member_cap=100, max_tier="M")
        )
        await uow.commit()
    owner, invitee = await person(owner_user), await person()
    page_url = f"/g/{code}/settings/joining"
    r = await owner.post(f"{page_url}/invite", page_url, username=invitee.user["username"])
    assert r.status_code == 303 and "done=invited" in r.headers["location"]
    nobody = await owner.post(f"{page_url}/invite", page_url, username="nobody_here")
    assert nobody.status_code == 409 or nobody.status_code == 404 or "没有这个用户名的用户" in nobody.text
    groups_page = (await invitee.get("/groups")).text
    assert 'id="pending-joins"' in groups_page and "大群" in groups_page
    iid = re.search(r'id="invitation-(\d+)"', groups_page).group(1)  # type: ignore[union-attr]
    r = await invitee.post(f"/invitations/{iid}/accept", "/groups")
    assert r.status_code == 303 and r.headers["location"] == f"/g/{code}"
    assert 'id="rules-card"' in (await invitee.get(f"/g/{code}")).text


async def test_an_invitation_only_group_says_so_to_non_members(api, person, container) -> None:
    owner_user = await api.user()
    code = await api.create_group(owner_user)
    r = await api.client.patch(
        f"/api/v1/groups/{code}/joining", json={"join_mode": "invitation"}, headers=api.h(owner_user)
    )
    assert r.status_code == 200
    outsider = await person()
    page = (await outsider.get(f"/g/{code}")).text
    assert 'id="invitation-only"' in page and 'id="join-form"' not in page
