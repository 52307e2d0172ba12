"""The staff blacklist pages over plain HTTP (no JavaScript), in-process on SQLite and PostgreSQL: the list with the
review queue first, the add form and its field errors, an entry page with its history and the review, change and
removal forms, who may do what, and the notice the blacklisted person reads on /me (Art. 11 ¶2–3)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select
from tests.web.test_throttle_http import csrf, sign_in

from qunzu.app import create_app
from qunzu.storage.tables import users

ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}
STAFF_PASSWORD = "staff-password-1"
CHINA = ZoneInfo("Asia/Shanghai")


@pytest.fixture
async def app(container: Any) -> Any:
    return create_app(container, with_web=True)


@pytest.fixture
async def browser(app: Any) -> AsyncIterator[Any]:
    clients: list[httpx.AsyncClient] = []

    async def make(username: str, password: str) -> httpx.AsyncClient:
        c = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("203.0.113.9", 50000)),
                              base_url="http://testserver")  # fmt: skip
        clients.append(c)
        assert (await sign_in(c, username, password)).status_code == 303
        return c

    yield make
    for c in clients:
        await c.aclose()


async def staff_member(container: Any, browser: Any, role: str, name: str) -> httpx.AsyncClient:
    from qunzu.context import Ctx
    from qunzu.domain.accounts import StaffRole
    from qunzu.services.accounts import register_user

    await register_user(
        container.db, container.passwords, username=name, password=STAFF_PASSWORD, nickname=name,
        ctx=Ctx.system(container.clock.now()), staff_role=StaffRole(role),
    )  # fmt: skip
    return await browser(name, STAFF_PASSWORD)


def day(container: Any, days: int) -> str:
    return (container.clock.now() + timedelta(days=days)).astimezone(CHINA).date().isoformat()


async def post_form(c: httpx.AsyncClient, url: str, page: str, **form: str) -> httpx.Response:
    token = csrf((await c.get(page, headers=ZH)).text)
    return await c.post(url, data={**form, "csrf": token}, headers=ZH)


async def level(container: Any, user_id: int) -> int:
    async with container.db.uow(write=False) as uow:
        return int((await uow.conn.execute(select(users.c.blacklist_level).where(users.c.id == user_id))).scalar_one())


async def test_a_compliance_officer_blacklists_an_identity_reviews_changes_and_removes_it(
    api: Any, container: Any, browser: Any
) -> None:
    officer = await staff_member(container, browser, "compliance_officer", "officer1")
    person = await api.user()
    page = await officer.get("/staff/blacklist", headers=ZH)
    assert page.status_code == 200 and 'href="/staff/blacklist" aria-current="page"' in page.text
    assert 'id="entries-empty"' in page.text and 'id="add-entry"' in page.text
    user_page = (await officer.get(f"/staff/users/{person['id']}", headers=ZH)).text
    assert 'id="blacklist-links"' in user_page and "将该账号的认证身份列入黑名单" in user_page
    link = f"/staff/blacklist/new?subject_type=identity&subject={person['username']}"
    assert link.replace("&", "&amp;") in user_page
    prefilled = (await officer.get(link, headers=ZH)).text
    assert f'value="{person["username"]}"' in prefilled and 'value="identity" checked' in prefilled
    form = await officer.get("/staff/blacklist/new", headers=ZH)
    assert form.status_code == 200 and "三级（封禁）" in form.text and "不得以同一身份认证新账号" in form.text
    assert f'value="{day(container, 90)}"' in form.text, "the review date defaults to 90 days on"

    r = await post_form(
        officer, "/staff/blacklist", "/staff/blacklist/new", subject_type="identity", subject=person["username"],
        severity="1", source="platform", reason="多次发布诈骗信息", review_on="", ends_on=day(container, 30),
        reason_code="fraud", record_id="", message_ids="",
    )  # fmt: skip
    assert r.status_code == 303, r.text
    entry_url = r.headers["location"].split("?")[0]
    assert re.fullmatch(r"/staff/blacklist/\d+", entry_url) and r.headers["location"].endswith("?done=added")
    assert await level(container, person["id"]) == 1
    page = (await officer.get(r.headers["location"], headers=ZH)).text
    assert "已列入黑名单。" in page and person["phone"][:3] + "****" + person["phone"][-4:] in page
    assert person["phone"] not in page, "the number is shown masked only"
    assert f"@{person['username']}" in page and 'data-change="added"' in page
    assert "不得建立群组、不得加入群组、不得管理群组、发送频率受限" in page

    r = await post_form(officer, f"{entry_url}/review", entry_url, outcome="keep", reason="情节仍然存在",
                        severity="1", review_on="", ends_on="")  # fmt: skip
    assert r.status_code == 303 and r.headers["location"].endswith("?done=reviewed")
    page = (await officer.get(entry_url, headers=ZH)).text
    assert 'data-change="reviewed"' in page and "复核 · 维持" in page and "情节仍然存在" in page

    r = await post_form(officer, f"{entry_url}/change", entry_url, severity="2", reason="再次违规", review_on="",
                        ends_on="")  # fmt: skip
    assert r.status_code == 303
    assert await level(container, person["id"]) == 2
    page = (await officer.get(entry_url, headers=ZH)).text
    assert "一级（限制功能） → 二级（严重）" in page

    r = await post_form(officer, f"{entry_url}/remove", entry_url, reason="申诉成立")
    assert r.status_code == 303 and r.headers["location"].endswith("?done=removed")
    page = (await officer.get(entry_url, headers=ZH)).text
    assert 'id="review-form"' not in page and 'id="entry-status">已解除' in page
    assert [m for m in re.findall(r'data-change="(\w+)"', page)] == ["added", "reviewed", "changed", "removed"]
    assert await level(container, person["id"]) == 0

    mine = await browser(person["username"], "correct-horse-9")
    me = (await mine.get("/me", headers=ZH)).text
    assert "你认证账号所用的身份已被列入平台黑名单" in me and "原因：多次发布诈骗信息。" in me
    assert "申诉（《用户服务协议》第8条）" in me and "你的黑名单记录已解除。" in me


async def test_the_add_form_says_what_is_wrong_and_keeps_what_was_typed(api: Any, container: Any, browser: Any) -> None:
    officer = await staff_member(container, browser, "admin", "admin1")
    person = await api.user()
    base = {"subject_type": "account", "subject": person["username"], "severity": "1", "source": "platform",
            "reason": "违规", "review_on": "", "ends_on": "", "reason_code": "other", "record_id": "",
            "message_ids": ""}  # fmt: skip
    cases = [
        ({"review_on": day(container, 40), "ends_on": day(container, 20)}, "复核日期须晚于今天，不得晚于结束日期"),
        ({"source": "authority"}, "须填写文书编号"),
        ({"subject": "nobody_here"}, "找不到该用户名或群号对应的对象"),
        ({"ends_on": "2026-13-40"}, "结束日期须晚于今天"),
        ({"message_ids": "12, abc"}, "消息编号须为正整数"),
        ({"subject_type": "group", "subject": "12345"}, "群号"),
    ]
    for change, text in cases:
        r = await post_form(officer, "/staff/blacklist", "/staff/blacklist/new", **(base | change))
        assert r.status_code == 422 and text in r.text, (change, r.text[-2000:])
        assert 'value="违规"' in r.text or ">违规</textarea>" in r.text, "the form keeps what was typed"
    assert await level(container, person["id"]) == 0, "nothing was written"
    r = await post_form(officer, "/staff/blacklist", "/staff/blacklist/new", **(base | {"severity": "3"}))
    assert r.status_code == 303


async def test_reviewers_read_the_list_only_and_members_see_nothing(api: Any, container: Any, browser: Any) -> None:
    officer = await staff_member(container, browser, "compliance_officer", "officer2")
    reviewer = await staff_member(container, browser, "reviewer", "reviewer2")
    person = await api.user()
    r = await post_form(officer, "/staff/blacklist", "/staff/blacklist/new", subject_type="account",
                        subject=person["username"], severity="1", source="platform", reason="违规", review_on="",
                        ends_on="", reason_code="other", record_id="", message_ids="")  # fmt: skip
    entry_url = r.headers["location"].split("?")[0]
    page = await reviewer.get("/staff/blacklist", headers=ZH)
    assert page.status_code == 200 and "你的角色只能查看黑名单" in page.text and 'id="add-entry"' not in page.text
    assert (await reviewer.get("/staff/blacklist/new", headers=ZH)).status_code == 403
    detail = await reviewer.get(entry_url, headers=ZH)
    assert detail.status_code == 200 and 'id="review-form"' not in detail.text
    token = csrf(detail.text) if 'name="csrf"' in detail.text else csrf((await reviewer.get("/me", headers=ZH)).text)
    assert (await reviewer.post(f"{entry_url}/remove", data={"reason": "x", "csrf": token})).status_code == 403
    member = await browser(person["username"], "correct-horse-9")
    assert (await member.get("/staff/blacklist", headers=ZH)).status_code == 403
    assert (await officer.get("/staff/blacklist/999999", headers=ZH)).status_code == 404
    assert (await officer.get("/staff/blacklist/abc", headers=ZH)).status_code == 404


async def test_entries_due_for_review_come_first_and_the_pages_speak_english(
    api: Any, container: Any, browser: Any, manual_clock: Any
) -> None:
    officer = await staff_member(container, browser, "compliance_officer", "officer3")
    early, late = await api.user(), await api.user()
    for who, review in ((late, 60), (early, 2)):
        r = await post_form(officer, "/staff/blacklist", "/staff/blacklist/new", subject_type="account",
                            subject=who["username"], severity="1", source="platform", reason="违规",
                            review_on=day(container, review), ends_on="", reason_code="other", record_id="",
                            message_ids="")  # fmt: skip
        assert r.status_code == 303
    assert 'id="due-queue"' not in (await officer.get("/staff/blacklist", headers=ZH)).text
    manual_clock.advance(timedelta(days=3))
    page = (await officer.get("/staff/blacklist", headers=ZH)).text
    assert 'id="due-queue"' in page and page.index(early["username"]) < page.index(late["username"])
    queue = page[page.index('id="due-queue"') : page.index('id="entries-h"')]
    assert early["username"] in queue and late["username"] not in queue
    english = (await officer.get("/staff/blacklist?status=due", headers=EN)).text
    assert "Due for review" in english and late["username"] not in english
    assert "Blacklist" in (await officer.get("/staff/blacklist/new", headers=EN)).text
