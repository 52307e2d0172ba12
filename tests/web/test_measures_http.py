"""The measures pages over HTTP with the app in process (Art. 11, R-11.1-*, R-11.2-*, R-11-x): a reviewer applies a
warning and a suspension from /staff/measures, reads the record with its evidence, lifts it; the owner sees the
notice on /me, the measure with its appeal link on /me/measures, the warning banner in the chat with a form to answer;
the composer says why posting is off. zh-CN and English."""

from __future__ import annotations

import html
import re
from typing import Any

from tests.web.test_hostile_forms_http import Person, csrf_of, web  # noqa: F401  (the `web` fixture)


def _text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


async def _owner_with_group(web: Any) -> tuple[Person, str]:  # noqa: F811
    owner: Person = await web()
    r = await owner.submit("/groups/new", "/groups/new", name="读书会", category="interest", duties="1")
    assert r.status_code == 303, r.text
    return owner, r.headers["location"].rsplit("/", 1)[1]


async def test_a_reviewer_warns_a_group_and_the_owner_answers_in_the_chat(web: Any) -> None:  # noqa: F811
    owner, code = await _owner_with_group(web)
    posted = (await owner.c.post(f"/api/v1/groups/{code}/messages", json={"text": "加我微信", "client_msg_id": "a1"},
                                 headers={"X-CSRF-Token": csrf_of((await owner.c.get(f"/g/{code}")).text)})).json()  # fmt: skip
    reviewer: Person = await web("reviewer")
    page = await reviewer.c.get("/staff/measures")
    assert page.status_code == 200 and 'href="/staff/measures" aria-current="page"' in page.text
    text = _text(page.text)
    for label in (
        "措施",
        "对象",
        "期限",
        "违规类别",
        "理由",
        "整改要求",
        "证据信息编号",
        "信用扣分",
        "协议条款",
        "法律依据",
    ):
        assert label in text, label
    assert "群组填写 10 位群号" in text and "SHA-256" in text, "every field is explained"
    # a warning without the rectification is refused on the form, the input kept
    r = await reviewer.submit(page, "/staff/measures", kind="group_warning", target=code, duration="3", unit="days",
                              reason="群内广告", reason_code="advertising")  # fmt: skip
    assert r.status_code == 422 and 'id="form-error"' in r.text and 'value="' + code + '"' in r.text
    r = await reviewer.submit(
        page, "/staff/measures", kind="group_warning", target=code, duration="3", unit="days", reason="群内广告泛滥",
        reason_code="advertising", rectification="三日内清理广告", evidence=str(posted["id"]),
    )  # fmt: skip
    assert r.status_code == 303, r.text
    record = r.headers["location"].split("?")[0]
    detail = _text((await reviewer.c.get(record)).text)
    assert "警示整改" in detail and "《用户服务协议》第6.2.1条" in detail and "第十一条第一款" in detail
    assert "加我微信" in detail and "全部副本与记录的 SHA-256 摘要一致" in detail and "待报告" in detail
    # the owner: the notice on /me (with the links), the measure on /me/measures, the banner in the chat
    me = (await owner.c.get("/me")).text
    assert "采取了「警示整改」措施" in _text(me) and f"{record.rsplit('/', 1)[1]}/appeal" in me
    mine = await owner.c.get("/me/measures")
    assert "群内广告泛滥" in _text(mine.text) and 'class="btn btn-primary btn-sm appeal-link"' in mine.text
    chat = await owner.c.get(f"/g/{code}")
    assert "平台警示整改" in _text(chat.text) and "整改期限" in _text(chat.text)
    rid = record.rsplit("/", 1)[1]
    r = await owner.submit(chat, f"/g/{code}/warnings/{rid}/response", text="已删除广告")
    assert r.status_code == 303 and r.headers["location"] == f"/g/{code}?warning=sent"
    assert "已删除广告" in _text((await reviewer.c.get(record)).text)
    # staff confirm the rectification: the banner goes
    r = await reviewer.submit(record, f"/staff/measures/{rid}/lift", reason="已核查", status="resolved")
    assert r.status_code == 303
    assert "平台警示整改" not in _text((await owner.c.get(f"/g/{code}")).text)
    assert "已完成" in _text((await reviewer.c.get(record)).text)


async def test_a_suspended_group_says_why_in_the_composer_and_lifting_reopens_it(web: Any) -> None:  # noqa: F811
    owner, code = await _owner_with_group(web)
    reviewer: Person = await web("reviewer")
    r = await reviewer.submit("/staff/measures", "/staff/measures", kind="group_suspend", target=code, duration="24",
                              unit="hours", reason="传播赌博信息", reason_code="gambling")  # fmt: skip
    assert r.status_code == 303, r.text
    chat = await owner.c.get(f"/g/{code}")
    assert "本群已被平台暂停发布至" in _text(chat.text) and 'id="composer-text"' in chat.text
    assert re.search(r'<textarea id="composer-text"[^>]*disabled', chat.text, re.S)
    assert '"platform_key": "group_suspended"' in chat.text
    listing = _text((await reviewer.c.get("/staff/measures?status=active")).text)
    assert "暂停发布" in listing and "执行中" in listing
    record = r.headers["location"].split("?")[0]
    rid = record.rsplit("/", 1)[1]
    r = await reviewer.submit(record, f"/staff/measures/{rid}/lift", reason="误判")
    assert r.status_code == 303
    assert "本群已被平台暂停发布至" not in _text((await owner.c.get(f"/g/{code}")).text)
    assert "已解除" in _text((await reviewer.c.get(record)).text)


async def test_english_pages_and_read_only_roles(web: Any) -> None:  # noqa: F811
    owner, _code = await _owner_with_group(web)
    reviewer: Person = await web("reviewer")
    r = await reviewer.submit("/staff/measures", "/staff/measures", kind="user_manage_suspend", target=str(owner.id),
                              duration="7", unit="days", reason="纵容违规", reason_code="other")  # fmt: skip
    assert r.status_code == 303, r.text
    owner.c.headers["Accept-Language"] = "en"
    page = _text((await owner.c.get("/me/measures")).text)
    assert "Management rights suspended" in page and "User Agreement §6.3.5" in page and "Appeal" in page
    assert "Art. 11 ¶2" in page
    me = _text((await owner.c.get("/me")).text)
    assert "The platform has applied “Management rights suspended” to your account" in me
    regulator: Person = await web("regulator")  # reads the records, decides nothing
    listing = await regulator.c.get("/staff/measures")
    assert listing.status_code == 200 and 'id="measure-form"' not in listing.text and "纵容违规" not in listing.text
    assert "Management rights suspended" in _text(listing.text) or "暂停管理权限" in _text(listing.text)
    member: Person = await web()
    assert (await member.c.get("/staff/measures")).status_code == 403
    assert (
        await member.c.get("/me/measures/" + r.headers["location"].split("?")[0].rsplit("/", 1)[1])
    ).status_code == 404
    assert (await reviewer.c.get("/staff/measures/99999999")).status_code == 404
    assert (await reviewer.c.get("/staff/measures/%C2%B2")).status_code == 404


async def test_a_reviewer_lowers_a_groups_stars_and_the_owner_reads_what_is_off(web: Any) -> None:  # noqa: F811
    owner, code = await _owner_with_group(web)
    reviewer: Person = await web("reviewer")
    page = await reviewer.c.get("/staff/measures")
    assert "降低群信用星级" in page.text and "一星即关闭群组" in _text(page.text), "the levels are explained"
    r = await reviewer.submit(page, "/staff/measures", kind="group_stars", target=code, reason="群内反复引流",
                              reason_code="advertising", unit="days")  # fmt: skip
    assert r.status_code == 422 and 'id="f-stars"' in r.text and 'aria-invalid="true"' in r.text, "level required"
    r = await reviewer.submit(page, "/staff/measures", kind="group_stars", target=code, stars="3", duration="30",
                              unit="days", reason="群内反复引流", reason_code="advertising")  # fmt: skip
    assert r.status_code == 303, r.text
    detail = _text((await reviewer.c.get(r.headers["location"].split("?")[0])).text)
    assert "3星" in detail and "停用链接和二维码入群" in detail and "《用户服务协议》第6.2.2条" in detail
    mine = _text((await owner.c.get("/me/measures")).text)
    assert "降低群信用星级" in mine and "3星" in mine and "不在群组搜索中展示" in mine


async def test_an_overdue_warning_offers_follow_up_measures_on_the_owner(
    web: Any,  # noqa: F811
    container: Any,
    manual_clock: Any,
) -> None:
    from datetime import timedelta

    from qunzu.jobs import run_job
    from qunzu.jobs.catalogue import platform_jobs

    owner, code = await _owner_with_group(web)
    reviewer: Person = await web("reviewer")
    page = await reviewer.c.get("/staff/measures")
    r = await reviewer.submit(page, "/staff/measures", kind="group_warning", target=code, duration="1", unit="days",
                              reason="群内广告泛滥", reason_code="advertising", rectification="清理广告")  # fmt: skip
    record = r.headers["location"].split("?")[0]
    assert 'id="overdue-follow-up"' not in (await reviewer.c.get(record)).text, "not before the deadline"
    manual_clock.advance(timedelta(days=1, minutes=1))
    job = next(j for j in platform_jobs(container.db, container.settings) if j.name == "lift-expired-measures")
    await run_job(job, container.clock.now())
    detail = (await reviewer.c.get(record)).text
    assert 'id="overdue-follow-up"' in detail and "第7.6条" in _text(detail)
    link = html.unescape(re.search(r'href="(/staff/measures\?kind=user_credit[^"]+)"', detail).group(1))  # type: ignore[union-attr]
    form = (await reviewer.c.get(link)).text
    assert '<option value="user_credit" selected>' in form and f'value="{owner.id}"' in form
    assert 'value="measure #' in form, "the follow-up names the warning it follows"
    assert '<option value="advertising" selected>' in form
    hostile = (await reviewer.c.get("/staff/measures?kind=nope&target=%3Cscript%3E&reason_code=x")).text
    assert '<option value="other" selected>' in hostile and "<script>" not in hostile.split("<main")[1]
