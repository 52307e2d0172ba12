"""Reporting in headless Chromium against a real server (Art. 12, R-12.1-1, R-12.1-2): a member reports a message
from the chat in two taps and is shown the ticket number; the author deletes the message; a reviewer opens the ticket
and still sees the snapshot, decides, and the reporter reads the result on 我的举报."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect
from tests.web.browser import Person
from tests.web.test_chat_browser import _group_of_two
from tests.web.test_review_browser import reviewer

pytestmark = pytest.mark.browser
MakePerson = Callable[..., Person]


def test_a_reported_message_survives_its_deletion_for_the_reviewer(person: MakePerson) -> None:
    owner, guest, code = _group_of_two(person)
    owner.goto(f"/g/{code}")
    owner.wait_live()
    guest.wait_live()
    owner.send("今天读完了第三章")
    text = "加我微信转账，保证返利三成"
    owner.send(text)
    seen = guest.message(text)
    expect(seen).to_be_visible()
    expect(guest.message("今天读完了第三章").get_by_role("button", name="举报")).to_have_count(1)

    # tap 1: 举报 on the message; tap 2: a category. The number is shown at once.
    seen.hover()
    seen.get_by_role("button", name="举报").click()
    dialog = guest.page.locator("#report-dialog")
    expect(dialog.get_by_role("heading")).to_have_text("举报这条消息")
    dialog.get_by_role("button", name=re.compile("^诈骗、传销")).click()
    expect(dialog.locator("#report-number")).to_have_text(re.compile(r"^JB\d{16}$"))
    number = dialog.locator("#report-number").inner_text()
    dialog.get_by_role("button", name="关闭").click()

    mine = owner.message(text)
    mine.hover()
    mine.get_by_role("button", name="删除").click()
    owner.page.locator("dialog").get_by_role("button", name="删除").click()
    expect(guest.page.locator("#messages li.msg.deleted")).to_contain_text("此消息已被删除")

    staff = reviewer(person)
    staff.goto("/staff/tickets")
    entry = staff.page.locator("#ticket-queue li").filter(has_text="读书会")
    expect(entry).to_contain_text("优先处理")
    entry.get_by_role("link", name="查看").click()
    expect(staff.page.locator("#snapshot-text")).to_have_text(text)
    expect(staff.page.locator("#snapshot-context")).to_contain_text("今天读完了第三章")
    expect(staff.page.locator("#snapshot-check")).to_contain_text("一致")
    expect(staff.page.locator("#snapshot-sha256")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    expect(staff.page.locator("#ticket-reports")).to_contain_text(number)
    staff.page.get_by_role("button", name="领取").click()
    expect(staff.page.get_by_role("status")).to_contain_text("已领取")
    staff.page.get_by_label("举报属实").check()
    staff.page.get_by_label("处理理由").fill("以返利为诱饵的诈骗信息")
    staff.page.get_by_role("button", name="提交决定").click()
    expect(staff.page.locator("#ticket-outcome")).to_have_text("举报属实")

    guest.goto("/me/reports")
    row = guest.page.locator(f"#my-reports tr[data-number='{number}']")
    expect(row).to_contain_text("举报属实，已依法依约处置")
    expect(row).to_contain_text("已反馈结果")
    assert owner.errors == [] and guest.errors == [] and staff.errors == []


def test_a_member_is_reported_from_the_member_list(person: MakePerson) -> None:
    owner, guest, code = _group_of_two(person)
    guest.goto(f"/g/{code}/members")
    row = guest.page.locator("#member-list li").filter(has_text="林晓")
    row.get_by_role("button", name="举报 林晓").click()
    dialog = guest.page.locator("#report-dialog")
    expect(dialog.get_by_role("heading")).to_have_text("举报该成员")
    dialog.get_by_label("补充说明（选填）").fill("多次私信骚扰")
    dialog.get_by_role("button", name=re.compile("^网络暴力")).click()
    expect(dialog.locator("#report-number")).to_have_text(re.compile(r"^JB\d{16}$"))
    expect(
        guest.page.locator("#member-list li").filter(has_text="周周").get_by_role("button", name=re.compile("举报"))
    ).to_have_count(0)
    assert owner.errors == [] and guest.errors == []
