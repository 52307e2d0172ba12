"""The appeal pages over HTTP (R-11-x): the form for a measure and for a credit deduction, /me/appeals, the staff
queue and decision page with the original decider refused in words; CSRF and who may see what. In-process (ASGI),
on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from tests.services.test_appeals import apply, record
from tests.web.test_throttle_http import sign_in, sign_up

from qunzu.app import create_app
from qunzu.context import Ctx
from qunzu.domain.accounts import StaffRole
from qunzu.services import credit
from qunzu.services.accounts import register_user
from qunzu.storage.tables import enforcement_records, groups, users

PASSWORD = "correct-horse-9"
ZH = {"Accept-Language": "zh-CN"}


@pytest.fixture
def app(container: Any) -> Any:
    """The whole site (pages and API) for this module's tests; `api` and `client` use it too."""
    return create_app(container, with_web=True)


@pytest.fixture
def site(app: Any) -> Any:
    return app


@pytest.fixture
async def web(site: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=site, client=("203.0.113.9", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def person(site: Any, container: Any, name: str, role: str | None = None) -> tuple[httpx.AsyncClient, int]:
    """A signed-in browser-like client of its own (a user, or staff with `role`) and the account id."""
    c = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=site, client=("203.0.113.10", 50001)), base_url="http://testserver"
    )
    if role is None:
        assert (await sign_up(c, name, PASSWORD)).status_code == 303
    else:
        made = await register_user(
            container.db, container.passwords, username=name, password=PASSWORD, nickname=f"工作人员{name[-1]}",
            ctx=Ctx.system(container.clock.now()), staff_role=StaffRole(role),
        )  # fmt: skip
        if role == "regulator":  # a regulator signs in only with an access in force (R-3-1)
            from tests.compliance._inspection import grant_access

            await grant_access(container, made.id)
    assert (await sign_in(c, name, PASSWORD)).status_code == 303
    async with container.db.uow(write=False) as uow:
        user_id = (await uow.conn.execute(select(users.c.id).where(users.c.username == name))).scalar_one()
    return c, user_id


def csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found
    return found.group(1)


async def test_r_11_x_a_user_appeals_a_measure_and_a_different_reviewer_upholds_it(site: Any, container: Any) -> None:
    user, user_id = await person(site, container, "appellant1")
    first, first_id = await person(site, container, "reviewer1", "reviewer")
    second, _ = await person(site, container, "officer2", "compliance_officer")
    record_id = await apply(container, {"id": first_id}, user_id)

    form = await user.get(f"/me/measures/{record_id}/appeal", headers=ZH)
    assert form.status_code == 200
    assert (
        "暂停发布（全平台）" in form.text
        and "多次辱骂其他成员" in form.text
        and "《用户服务协议》第6.3.3条" in form.text
    )
    assert "15个工作日" in form.text and 'id="appeal-form"' in form.text
    r = await user.post(
        f"/me/measures/{record_id}/appeal", data={"statement": "短", "csrf": csrf(form.text)}, headers=ZH
    )
    assert r.status_code == 422 and "aria-invalid" in r.text
    r = await user.post(f"/me/measures/{record_id}/appeal", data={"statement": "我没有辱骂他人，请核实", "csrf": "x"})
    assert r.status_code == 422, "a forged form is refused"
    r = await user.post(
        f"/me/measures/{record_id}/appeal", data={"statement": "我没有辱骂他人，请核实", "csrf": csrf(form.text)}
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/me/appeals?filed=")
    appeal_id = int(r.headers["location"].rsplit("=", 1)[1])
    mine = (await user.get(r.headers["location"], headers=ZH)).text
    assert "申诉已提交" in mine and "处理中" in mine and "我没有辱骂他人" in mine
    again = await user.get(f"/me/measures/{record_id}/appeal", headers=ZH)
    assert 'id="appeal-existing"' in again.text and 'id="appeal-form"' not in again.text

    queue = (await first.get("/staff/appeals", headers=ZH)).text
    assert f'data-appeal="{appeal_id}"' in queue and 'href="/staff/appeals"' in queue
    page = await first.get(f"/staff/appeals/{appeal_id}", headers=ZH)
    assert 'id="appeal-own"' in page.text and 'id="appeal-decision"' not in page.text
    r = await first.post(
        f"/staff/appeals/{appeal_id}/decision", data={"decision": "uphold", "reason": "撤销", "csrf": csrf(page.text)},
        headers=ZH,
    )  # fmt: skip
    assert r.status_code == 403 and "原处置由你作出，该申诉须由其他工作人员处理" in r.text

    page = await second.get(f"/staff/appeals/{appeal_id}", headers=ZH)
    assert 'id="appeal-decision"' in page.text and "我没有辱骂他人" in page.text
    assert f"#{first_id}" in page.text.split('id="original-decider"')[1].split("</dd>")[0]
    r = await second.post(
        f"/staff/appeals/{appeal_id}/decision", data={"decision": "uphold", "reason": "", "csrf": csrf(page.text)},
        headers=ZH,
    )  # fmt: skip
    assert r.status_code == 422, "a decision states its reason"
    r = await second.post(
        f"/staff/appeals/{appeal_id}/decision",
        data={"decision": "uphold", "reason": "聊天记录不能证实辱骂", "csrf": csrf(page.text)},
    )
    assert r.status_code == 303 and r.headers["location"] == f"/staff/appeals?decided={appeal_id}"
    assert (await record(container, record_id)).status == "lifted"
    mine = (await user.get("/me/appeals", headers=ZH)).text
    assert "申诉成立" in mine and "聊天记录不能证实辱骂" in mine
    account = (await user.get("/me", headers=ZH)).text
    assert f"你的申诉（编号 {appeal_id}）成立" in account
    english = (await user.get("/me/appeals", headers={"Accept-Language": "en"})).text
    assert "Upheld" in english and "My appeals" in english
    decided = (await second.get("/staff/appeals?state=decided", headers=ZH)).text
    assert f'data-appeal="{appeal_id}"' in decided
    for c in (user, first, second):
        await c.aclose()


async def test_a_credit_deduction_is_appealed_from_the_account_page(site: Any, container: Any) -> None:
    user, user_id = await person(site, container, "appellant2")
    async with container.db.uow() as uow:
        event = await credit.record_violation(
            uow, user_id=user_id, reason_code="gambling", rule="R-10-1", source="review", source_id=None,
            decided_by=None, ctx=Ctx.system(container.clock.now()),
        )  # fmt: skip
        await uow.commit()
    del event
    account = (await user.get("/me", headers=ZH)).text
    link = re.search(r'href="(/me/credit/(\d+)/appeal)"', account)
    assert link, "each deduction has its appeal link"
    form = await user.get(link.group(1), headers=ZH)
    assert "信用扣分" in form.text and "赌博" in form.text and "-20" in form.text
    r = await user.post(link.group(1), data={"statement": "这是误判，请复核", "csrf": csrf(form.text)})
    assert r.status_code == 303
    assert "信用扣分" in (await user.get("/me/appeals", headers=ZH)).text
    await user.aclose()


async def test_strangers_members_and_other_users_cannot_reach_what_is_not_theirs(
    web: httpx.AsyncClient, site: Any, container: Any
) -> None:
    r = await web.get("/me/appeals")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert (await web.get("/staff/appeals")).status_code == 303
    owner, owner_id = await person(site, container, "appellant3")
    other, _ = await person(site, container, "bystander3")
    _, decider_id = await person(site, container, "reviewer3", "reviewer")
    record_id = await apply(container, {"id": decider_id}, owner_id)
    assert (await other.get(f"/me/measures/{record_id}/appeal")).status_code == 404
    for path in ("/me/measures/abc/appeal", "/me/measures/0/appeal", "/me/credit/99999/appeal"):
        assert (await owner.get(path)).status_code == 404, path
    assert (await other.get("/staff/appeals")).status_code == 403
    assert (await other.get("/staff/appeals/1")).status_code == 403
    regulator, _ = await person(site, container, "regulat3", "regulator")
    assert (await regulator.get("/staff/appeals")).status_code == 403
    for c in (owner, other, regulator):
        await c.aclose()


async def test_r_10_3_a_reviewer_confirms_illegal_content_from_the_review_page(
    site: Any, container: Any, api: Any
) -> None:
    author, other = await api.user(), await api.user()
    code = await api.create_group(author)
    elsewhere = await api.create_group(other)
    text = "加微信领红包 QZ-TEST-FLAG 内部渠道稳赚不赔"
    assert (await api.post(author, code, text)).status_code == 201
    reviewer, _ = await person(site, container, "reviewer5", "reviewer")
    page = (await reviewer.get("/staff/review", headers=ZH)).text
    item_id = re.search(r'action="/staff/review/items/(\d+)/decide"', page)
    assert item_id and 'name="illegal"' in page and "确认为违法信息" in page
    r = await reviewer.post(
        f"/staff/review/items/{item_id.group(1)}/decide",
        data={"decision": "reject", "reason_code": "fraud", "illegal": "1", "csrf": csrf(page)},
    )
    assert r.status_code == 303
    r = await api.post(other, elsewhere, "加微信領紅包ＱＺ－ＴＥＳＴ－ＦＬＡＧ 内部渠道，稳赚不赔！")
    assert r.status_code == 422 and "ill_other_prohibited" in r.json()["error"]["details"]["categories"]
    async with container.db.uow(write=False) as uow:
        rec = (await uow.conn.execute(select(enforcement_records))).one()
    assert (rec.measure, rec.source, rec.reported_at) == ("content_removal", "review", None)
    await reviewer.aclose()


async def test_r_11_x_a_blacklist_entry_is_appealed_from_its_notice_in_chinese_and_english(
    site: Any, container: Any, api: Any
) -> None:
    from tests.services.test_blacklist import add, keeper

    user, _ = await person(site, container, "appellant7")
    listed_by = await keeper(api, container)
    decider, _ = await person(site, container, "officer7", "compliance_officer")
    done = await add(container, listed_by, "account", "appellant7", reason="在多个群组发布赌博广告")
    entry_id = done.entry_ids[0]
    path = f"/me/blacklist/{entry_id}/appeal"

    account = (await user.get("/me", headers=ZH)).text
    assert f'href="{path}"' in account and "对该黑名单提出申诉" in account, "the notice links to the form"
    form = await user.get(path, headers=ZH)
    assert form.status_code == 200 and 'id="appeal-form"' in form.text
    for words in (
        "列入黑名单",
        "一级（限制功能）",
        "不得加入群组",
        "在多个群组发布赌博广告",
        "@appellant7",
        "平台决定",
    ):
        assert words in form.text, words
    english = await user.get(path, headers={"Accept-Language": "en"})
    assert english.status_code == 200
    for words in ("Blacklist entry", "level 1 (restricted)", "may not join groups", "Severity", "Review date"):
        assert words in english.text, words
    r = await user.post(path, data={"statement": "短", "csrf": csrf(form.text)}, headers=ZH)
    assert r.status_code == 422 and "aria-invalid" in r.text
    r = await user.post(path, data={"statement": "我没有发布过赌博广告，请核实", "csrf": csrf(form.text)})
    assert r.status_code == 303 and r.headers["location"].startswith("/me/appeals?filed=")
    appeal_id = int(r.headers["location"].rsplit("=", 1)[1])
    mine = (await user.get("/me/appeals", headers=ZH)).text
    assert "列入黑名单" in mine and "处理中" in mine
    assert 'id="appeal-existing"' in (await user.get(path, headers=ZH)).text, "once per entry"

    page = await decider.get(f"/staff/appeals/{appeal_id}", headers=ZH)
    assert f'href="/staff/blacklist/{entry_id}"' in page.text and f"黑名单条目 {entry_id}" in page.text
    assert 'id="appeal-decision"' in page.text and "维持申诉并移除该黑名单条目" in page.text
    r = await decider.post(
        f"/staff/appeals/{appeal_id}/decision",
        data={"decision": "uphold", "reason": "广告系他人冒用账号发布", "csrf": csrf(page.text)},
    )
    assert r.status_code == 303
    mine = (await user.get("/me/appeals", headers=ZH)).text
    assert "申诉成立，黑名单条目已移除" in mine and "广告系他人冒用账号发布" in mine
    assert 'id="appeal-existing"' in (await user.get(path, headers=ZH)).text

    other, _ = await person(site, container, "bystander7")
    assert (await other.get(path)).status_code == 404, "not theirs to see"
    for bad in ("/me/blacklist/abc/appeal", "/me/blacklist/0/appeal", "/me/blacklist/99999/appeal"):
        assert (await user.get(bad)).status_code == 404, bad
    for c in (user, decider, other):
        await c.aclose()


async def test_a_group_entry_is_appealed_by_the_owner_and_the_closure_stays(
    site: Any, container: Any, api: Any
) -> None:
    from tests.services.test_blacklist import add, keeper

    owner = await api.user()
    code = await api.create_group(owner, name="茶友会")
    listed_by = await keeper(api, container)
    done = await add(container, listed_by, "group", code, reason="群内长期组织赌博")
    entry_id = done.entry_ids[0]
    browser = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=site, client=("203.0.113.11", 50002)), base_url="http://testserver"
    )
    assert (await sign_in(browser, owner["username"], PASSWORD)).status_code == 303
    form = await browser.get(f"/me/blacklist/{entry_id}/appeal", headers={"Accept-Language": "en"})
    assert form.status_code == 200 and "茶友会" in form.text and "may not create groups" in form.text
    r = await browser.post(
        f"/me/blacklist/{entry_id}/appeal",
        data={"statement": "群内赌博由他人发布，已及时删除", "csrf": csrf(form.text)},
    )
    assert r.status_code == 303
    appeal_id = int(r.headers["location"].rsplit("=", 1)[1])
    decider, _ = await person(site, container, "officer8", "compliance_officer")
    page = await decider.get(f"/staff/appeals/{appeal_id}", headers=ZH)
    assert "群组的关闭措施不会自动恢复" in page.text, "the decider is told the closure is not reopened"
    r = await decider.post(
        f"/staff/appeals/{appeal_id}/decision",
        data={"decision": "uphold", "reason": "情节较轻", "csrf": csrf(page.text)},
    )
    assert r.status_code == 303
    async with container.db.uow(write=False) as uow:
        status = (await uow.conn.execute(select(groups.c.status).where(groups.c.code == code))).scalar_one()
    assert status == "closed", "the group's closure is not reopened by the appeal"
    for c in (browser, decider):
        await c.aclose()
