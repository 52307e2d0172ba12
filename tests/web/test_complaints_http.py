"""Reporting pages over HTTP with the app in process: the public form and its status lookup, the channels page, 举报该群
on the info page, 我的举报, and the staff ticket desk (R-12.1-1, R-12.1-2)."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from tests.compliance._creation import set_group
from tests.web.test_hostile_forms_http import Person, web  # noqa: F401  (the `web` fixture)


@pytest.fixture
def visitor(web: Any) -> Any:  # noqa: F811
    """Someone without an account: signed out, no session cookie."""

    async def person() -> Person:
        p: Person = await web()
        p.c.cookies.clear()
        return p

    return person


def _text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


async def _group(owner: Person) -> str:
    r = await owner.submit("/groups/new", "/groups/new", name="读书会", category="interest", duties="1")
    assert r.status_code == 303, r.text
    return r.headers["location"].rsplit("/", 1)[1]


async def test_every_page_has_the_footer_link_and_the_channels_page_lists_every_channel(web: Any) -> None:  # noqa: F811
    visitor: Person = await web()
    home = await visitor.c.get("/documents")
    assert 'href="/report/channels"' in home.text and "投诉举报" in _text(home.text)
    page = await visitor.c.get("/report/channels")
    assert page.status_code == 200
    text = _text(page.text)
    for channel in ("app", "form", "email", "phone", "national"):
        assert f'data-channel="{channel}"' in page.text
    assert "https://www.12377.cn" in page.text and "12377" in text
    assert "60 分钟内" in text and "24 小时内" in text and "3 个工作日内" in text and "15 个工作日内" in text
    assert "08:00—22:00" in text
    assert 'href="/documents/report_guide"' in page.text and 'href="/report"' in page.text
    guide = await visitor.c.get("/documents/report_guide")
    assert 'href="/report/channels"' in guide.text, "the guide links to the channels page"
    english = await visitor.c.get("/report/channels", headers={"Accept-Language": "en"})
    text = _text(english.text)
    assert "How to report" in text and "within 60 minutes in staffed hours" in text and "3 working days" in text


async def test_the_public_form_files_a_report_without_an_account_and_the_code_checks_it(
    web: Any,  # noqa: F811
    visitor: Any,
) -> None:
    owner: Person = await web()
    code = await _group(owner)
    anonymous = await visitor()
    form = await anonymous.c.get("/report")
    assert form.status_code == 200 and 'name="contact"' in form.text and "诈骗、传销、非法集资等违法活动" in form.text
    r = await anonymous.submit(form, "/report", target="", category="fraud", description="冒充客服")
    assert r.status_code == 422 and "请填写被举报的对象" in _text(r.text)
    r = await anonymous.submit("/report", "/report", target=code, category="fraud", description="冒充客服骗钱")
    assert r.status_code == 200, r.text
    number = re.search(r'id="report-number">(JB\d{16})<', r.text).group(1)  # type: ignore[union-attr]
    lookup = re.search(r'id="report-code">([A-Z0-9]{10})<', r.text).group(1)  # type: ignore[union-attr]
    status = await anonymous.submit("/report", "/report/status", number=number, code=lookup)
    assert status.status_code == 200 and 'data-stage="received"' in status.text
    wrong = await anonymous.submit("/report", "/report/status", number=number, code="ZZZZZZZZZZ")
    assert wrong.status_code == 422 and "没有找到该举报" in _text(wrong.text)
    forged = await anonymous.post("/report", {"target": code, "category": "fraud", "csrf": "x"})
    assert forged.status_code == 422 and 'id="report-number"' not in forged.text


async def test_the_public_form_is_limited_per_address(visitor: Any, container: Any) -> None:
    anonymous = await visitor()
    limit = container.settings.complaints.form_per_ip.limit
    for _ in range(limit):
        r = await anonymous.submit("/report", "/report", target="某昵称", category="cyber_violence")
        assert r.status_code == 200
    r = await anonymous.submit("/report", "/report", target="某昵称", category="cyber_violence")
    assert r.status_code == 429 and "举报过于频繁" in _text(r.text) and r.headers.get("retry-after")


async def test_a_member_reports_the_group_from_its_info_page_and_sees_it_in_my_reports(web: Any) -> None:  # noqa: F811
    owner: Person = await web()
    code = await _group(owner)
    info = await owner.c.get(f"/g/{code}/info")
    assert 'id="report-group"' in info.text and f'action="/report/group/{code}"' in info.text
    r = await owner.submit(info, f"/report/group/{code}", category="group_violation")
    assert r.status_code == 200 and "举报已受理" in r.text
    number = re.search(r'id="report-number">(JB\d{16})<', r.text).group(1)  # type: ignore[union-attr]
    mine = await owner.c.get("/me/reports")
    assert mine.status_code == 200 and f'data-number="{number}"' in mine.text and "已受理" in _text(mine.text)
    assert 'href="/me/reports" aria-current="page"' in mine.text


async def test_a_non_member_reports_a_large_public_group_but_not_a_small_one(
    web: Any,  # noqa: F811
    visitor: Any,
    container: Any,
) -> None:
    owner: Person = await web()
    code = await _group(owner)
    stranger: Person = await web()
    small = await stranger.c.get(f"/g/{code}/info")
    assert 'id="report-group"' not in small.text
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', small.text).group(1)  # type: ignore[union-attr]
    r = await stranger.post(f"/report/group/{code}", {"category": "group_violation", "csrf": csrf})
    assert r.status_code == 403
    await set_group(container, code, member_count=150)
    large = await stranger.c.get(f"/g/{code}/info")
    assert 'id="report-group"' in large.text
    r = await stranger.submit(large, f"/report/group/{code}", category="fraud")
    assert r.status_code == 200 and re.search(r'id="report-number">JB\d{16}<', r.text)
    visitor = await visitor()
    public = await visitor.c.get(f"/g/{code}/info")
    assert f'href="/report?target={code}"' in public.text


async def test_a_reviewer_claims_and_decides_from_the_desk_and_the_reporter_sees_the_result(web: Any) -> None:  # noqa: F811
    owner: Person = await web()
    code = await _group(owner)
    info = await owner.c.get(f"/g/{code}/info")
    await owner.submit(info, f"/report/group/{code}", category="fraud")
    reviewer: Person = await web("reviewer")
    queue = await reviewer.c.get("/staff/tickets")
    assert queue.status_code == 200 and 'href="/staff/tickets" aria-current="page"' in queue.text
    tid = re.search(r'data-ticket="(\d+)" data-high-risk="true"', queue.text).group(1)  # type: ignore[union-attr]
    assert "剩余" in _text(queue.text) and "1 人（1 件举报）" in _text(queue.text)
    r = await reviewer.submit(queue, f"/staff/tickets/{tid}/claim")
    assert r.status_code == 303
    page = await reviewer.c.get(f"/staff/tickets/{tid}")
    assert 'id="snapshot-group"' in page.text and "读书会" in page.text and "一致" in _text(page.text)
    r = await reviewer.submit(page, f"/staff/tickets/{tid}/decide", outcome="rejected", reason="")
    assert r.status_code == 422 and "请填写处理理由" in _text(r.text)
    r = await reviewer.submit(page, f"/staff/tickets/{tid}/decide", outcome="rejected", reason="群内未见诈骗信息")
    assert r.status_code == 303, r.text
    done = await reviewer.c.get(r.headers["location"])
    assert 'id="ticket-outcome"' in done.text and "举报不成立" in _text(done.text)
    mine = await owner.c.get("/me/reports")
    assert 'data-stage="told"' in mine.text and "经核查未发现违规" in _text(mine.text)
    english = await owner.c.get("/me/reports", headers={"Accept-Language": "en"})
    assert "My reports" in _text(english.text) and "No violation found" in _text(english.text)
    desk = await reviewer.c.get(f"/staff/tickets/{tid}", headers={"Accept-Language": "en"})
    assert "Snapshot at report time" in _text(desk.text) and "Rejected" in _text(desk.text)
    form = await owner.c.get("/report", headers={"Accept-Language": "en"})
    assert "Report form" in _text(form.text) and "Check progress" in _text(form.text)
    notices = await owner.c.get("/me")
    assert "你的举报（编号" in _text(notices.text)


async def test_people_without_a_ticket_role_do_not_see_the_desk(web: Any) -> None:  # noqa: F811
    member: Person = await web()
    assert (await member.c.get("/staff/tickets")).status_code == 403
    assert (await (await web("reviewer")).c.get("/staff/tickets/999999")).status_code == 404
    assert (await (await web("reviewer")).c.get("/staff/tickets/%C2%B2")).status_code == 404
