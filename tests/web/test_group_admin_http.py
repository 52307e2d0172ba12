"""The group tools' pages over plain HTTP (no JavaScript), in-process on SQLite and PostgreSQL: 群设置 › 成员,
操作记录 and 群主 (transfer, pending offers, dissolution), the pending offers on /groups, and the managers banner
(R-9.1-1, R-9.1-2, R-9.3-1, R-9.3-2)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from tests.web.test_throttle_http import csrf, sign_in

from qunzu.app import create_app
from qunzu.storage.tables import groups, memberships

PASSWORD = "correct-horse-9"  # tests/conftest.py Api's password
ZH = {"Accept-Language": "zh-CN"}


@pytest.fixture
async def app(container: Any) -> Any:
    return create_app(container, with_web=True)


class Browser:
    """One person's cookie session on the web pages."""

    def __init__(self, client: httpx.AsyncClient, user: dict[str, Any]) -> None:
        self.c = client
        self.user = user

    async def get(self, url: str) -> httpx.Response:
        return await self.c.get(url, headers=ZH)

    async def post(self, url: str, page_url: str, **form: str) -> httpx.Response:
        token = csrf((await self.get(page_url)).text)
        return await self.c.post(url, data={**form, "csrf": token}, headers=ZH)


@pytest.fixture
async def person(app: Any, api: Any) -> AsyncIterator[Any]:
    clients: list[httpx.AsyncClient] = []

    async def make(nickname: str) -> Browser:
        user = await api.user(nickname=nickname)
        transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 50000))
        c = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        clients.append(c)
        assert (await sign_in(c, user["username"], PASSWORD)).status_code == 303
        return Browser(c, user)

    yield make
    for c in clients:
        await c.aclose()


async def _group(api: Any, person: Any) -> tuple[str, Browser, Browser, Browser]:
    owner, manager, member = await person("林群主"), await person("王管理"), await person("周成员")
    code = await api.create_group(owner.user, name="读书会")
    for p in (manager, member):
        assert (await api.join(p.user, code)).status_code == 201
    assert (await api.appoint(owner.user, code, manager.user)).status_code == 200
    return code, owner, manager, member


async def _role(container: Any, code: str, user: dict[str, Any]) -> str | None:
    async with container.db.uow(write=False) as uow:
        return (
            await uow.conn.execute(
                select(memberships.c.role)
                .join(groups, groups.c.id == memberships.c.group_id)
                .where(groups.c.code == code, memberships.c.user_id == user["id"])
            )
        ).scalar_one_or_none()


async def test_members_page_tools_by_role(api: Any, person: Any, container: Any) -> None:
    code, owner, manager, member = await _group(api, person)
    url = f"/g/{code}/settings/members"
    page = await owner.get(url)
    assert page.status_code == 200 and 'aria-current="page">成员' in page.text
    assert f"/settings/members/{member.user['id']}/mute" in page.text
    assert f"/settings/members/{manager.user['id']}/demote" in page.text
    assert f"/settings/members/{owner.user['id']}/remove" not in page.text, "nobody removes the owner"
    as_manager = (await manager.get(url)).text
    assert f"/settings/members/{member.user['id']}/remove" in as_manager
    for who in (owner, manager):  # a manager acts on ordinary members only (and never on themself)
        row = as_manager.split(f'<tr data-user="{who.user["id"]}">')[1].split("</tr>")[0]
        assert "<form" not in row
    assert "/demote" not in as_manager and "/offer" not in as_manager, "set managers: the owner's alone"
    assert (await member.get(url)).status_code == 403
    # mute for a period, from the page
    r = await manager.post(f"{url}/{member.user['id']}/mute", url, seconds="3600")
    assert r.status_code == 303 and r.headers["location"].endswith("done=mute")
    shown = (await manager.get(r.headers["location"])).text
    assert "已禁言该成员" in shown and "禁言至" in shown
    r = await manager.post(f"{url}/{member.user['id']}/mute", url, seconds="5")
    assert r.status_code == 422 and "alert-error" in r.text
    r = await owner.post(f"{url}/{member.user['id']}/unmute", url)
    assert r.status_code == 303
    # a manager may not act on the owner, even by a hand-made form
    r = await manager.post(f"{url}/{owner.user['id']}/remove", url)
    assert r.status_code == 409 and "alert-error" in r.text
    # offering the manager role from the page: pending until accepted
    r = await owner.post(f"{url}/{member.user['id']}/offer", url)
    assert r.status_code == 303 and await _role(container, code, member.user) == "member"
    assert "待对方接受" in (await owner.get(url)).text
    # CSRF is checked
    r = await owner.c.post(f"{url}/{member.user['id']}/remove", data={"csrf": "forged"}, headers=ZH)
    assert r.status_code == 403 and await _role(container, code, member.user) == "member"
    r = await owner.post(f"{url}/{member.user['id']}/remove", url)
    assert r.status_code == 303 and await _role(container, code, member.user) is None


async def test_pending_offer_on_the_groups_page_accept_needs_the_duties_notice(
    api: Any, person: Any, container: Any
) -> None:
    code, owner, _manager, member = await _group(api, person)
    await owner.post(f"/g/{code}/settings/members/{member.user['id']}/offer", f"/g/{code}/settings/members")
    page = (await member.get("/groups")).text
    assert "邀请你担任管理员" in page and "/documents/owner_duties" in page
    offer = re.search(r'action="/me/offers/(\d+)/accept"', page)
    assert offer
    r = await member.post(f"/me/offers/{offer.group(1)}/accept", "/groups")  # the box not ticked
    assert r.status_code == 303 and "offer_error=duties_not_accepted" in r.headers["location"]
    assert "群主责任告知书" in (await member.get(r.headers["location"])).text
    assert await _role(container, code, member.user) == "member"
    duties = (await api.current_versions())["owner_duties"]
    r = await member.post(f"/me/offers/{offer.group(1)}/accept", "/groups", duties=str(duties))
    assert r.status_code == 303 and r.headers["location"].endswith("offer=accepted")
    assert await _role(container, code, member.user) == "manager"
    assert "新的身份已生效" in (await member.get(r.headers["location"])).text


async def test_log_page_lists_uses_with_actor_and_time(api: Any, person: Any) -> None:
    code, owner, manager, member = await _group(api, person)
    url = f"/g/{code}/settings/members"
    await manager.post(f"{url}/{member.user['id']}/mute", url, seconds="600")
    log = await owner.get(f"/g/{code}/settings/log")
    assert log.status_code == 200 and 'aria-current="page">操作记录' in log.text
    row = log.text.split('data-action="group.mute"')[1].split("</tr>")[0]
    assert "王管理" in row and "管理员" in row and "禁言成员" in row and "周成员" in row and "10 分钟" in row
    assert re.search(r"<time>\d{4}-\d{2}-\d{2} \d{2}:\d{2}</time>", row)
    assert "203.0.113" not in log.text, "addresses stay for inspection"
    assert (await manager.get(f"/g/{code}/settings/log")).status_code == 200
    assert (await member.get(f"/g/{code}/settings/log")).status_code == 403


async def test_owner_page_transfer_offer_cancel_and_dissolve(api: Any, person: Any, container: Any) -> None:
    code, owner, manager, member = await _group(api, person)
    url = f"/g/{code}/settings/owner"
    page = await owner.get(url)
    assert page.status_code == 200 and "转让群主" in page.text and "解散本群" in page.text
    assert (await manager.get(url)).status_code == 403
    r = await owner.post(f"{url}/transfer", url, user_id=str(member.user["id"]))  # not confirmed
    assert r.status_code == 422
    r = await owner.post(f"{url}/transfer", url, user_id=str(member.user["id"]), confirm="1")
    assert r.status_code == 303 and await _role(container, code, owner.user) == "creator"
    page = (await owner.get(r.headers["location"])).text
    offer = re.search(r"/settings/owner/offers/(\d+)/cancel", page)
    assert offer and "周成员" in page
    r = await owner.post(f"{url}/offers/{offer.group(1)}/cancel", url)
    assert r.status_code == 303 and "没有待答复的邀请" in (await owner.get(url)).text
    r = await owner.post(f"{url}/dissolve", url, confirm_name="别的名字")
    assert r.status_code == 422 and 'value="别的名字"' in r.text
    r = await owner.post(f"{url}/dissolve", url, confirm_name="读书会")
    assert r.status_code == 303 and r.headers["location"] == f"/g/{code}"
    async with container.db.uow(write=False) as uow:
        status = (await uow.conn.execute(select(groups.c.status).where(groups.c.code == code))).scalar_one()
    assert status == "closed"
    assert code not in (await member.get("/groups")).text


async def test_r_9_3_2_the_managers_banner_on_settings_pages_and_the_owners_chat(
    api: Any, person: Any, container: Any
) -> None:
    code, owner, manager, member = await _group(api, person)
    assert 'id="managers-needed"' not in (await owner.get(f"/g/{code}/settings/members")).text
    async with container.db.uow() as uow:  # an XL group of 1,000 members with one manager
        await uow.conn.execute(update(groups).where(groups.c.code == code).values(member_count=1000, member_cap=2000))
        await uow.commit()
    for p in (owner, manager):
        page = (await p.get(f"/g/{code}/settings/log")).text
        assert 'id="managers-needed"' in page and "至少需要 5 位管理员" in page
    assert 'id="managers-needed"' in (await owner.get(f"/g/{code}")).text
    assert 'id="managers-needed"' not in (await member.get(f"/g/{code}")).text
