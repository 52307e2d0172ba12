"""Content review in headless Chromium against a real server: a held message from post to approval, a refused post,
the lexicon page and the "test this text" tool (issue 4, Art. 10)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

import pytest
from playwright.sync_api import expect
from tests.web.browser import PASSWORD, Person
from tests.web.server import create_staff
from tests.web.test_chat_browser import _group_of_two
from tests.web.test_identity_browser import sign_in

pytestmark = pytest.mark.browser
MakePerson = Callable[..., Person]


def reviewer(person: MakePerson) -> Person:
    """A reviewer made with `qunzu admin create --role reviewer`, signed in through the form."""
    me = person("审核员")
    name = f"rev{secrets.token_hex(3)}"
    create_staff(me.server, name, "reviewer", PASSWORD)
    sign_in(me, name)
    return me


def test_a_held_message_waits_for_a_reviewer_then_appears_live_for_the_group(person: MakePerson) -> None:
    owner, guest, code = _group_of_two(person)
    owner.goto(f"/g/{code}")
    owner.wait_live()
    guest.wait_live()

    owner.send("大家周末愉快")
    expect(guest.message("大家周末愉快")).to_be_visible()
    text = "周末团购 QZ-TEST-HOLD 名额有限"
    guest.send(text)
    mine = guest.page.locator("#messages li.msg.held").filter(has_text=text)
    expect(mine).to_be_visible()
    expect(mine.locator(".msg-review")).to_have_text("审核中")
    guest.page.reload()  # on a fresh page, from the messages API's `pending`
    expect(mine).to_be_visible()
    expect(mine.locator(".msg-review")).to_have_text("审核中")
    guest.wait_live()
    expect(owner.message(text)).to_have_count(0)  # the group does not see it
    owner.page.reload()
    owner.wait_live()
    expect(owner.message("大家周末愉快")).to_be_visible()
    expect(owner.message(text)).to_have_count(0)

    staff = reviewer(person)
    staff.goto("/staff")
    staff.page.locator("#review-tools").get_by_role("link", name="内容审核").click()
    expect(staff.page).to_have_url(re.compile(r"/staff/review$"))
    item = staff.page.locator("#content-queue li.content-item").filter(has_text=text)
    expect(item).to_be_visible()
    expect(item.locator("mark.hit")).to_have_text("QZ-TEST-HOLD")
    expect(item).to_contain_text("周周")
    expect(item).to_contain_text(code)
    expect(item.locator(".context-list")).to_contain_text("大家周末愉快")  # the message before it
    item.get_by_role("button", name=re.compile("^通过")).click()
    expect(staff.page.get_by_role("status")).to_contain_text("已处理")

    arrived = owner.message(text)
    expect(arrived).to_be_visible()  # live, over the WebSocket
    expect(arrived.locator(".msg-name")).to_have_text("周周")
    published = guest.page.locator("#messages li.msg:not(.held)").filter(has_text=text)
    expect(published).to_be_visible()
    expect(guest.page.locator("#messages li.msg.held")).to_have_count(0)
    assert published.get_attribute("data-seq")

    staff.page.get_by_role("link", name="已通过").click()
    done = staff.page.locator("#content-queue li.content-item").filter(has_text=text)
    expect(done).to_contain_text("处理人")
    expect(done.locator(".decision")).to_contain_text(re.compile(r"v\d+:"))
    assert owner.errors == [] and guest.errors == [] and staff.errors == []


def test_a_rejected_held_message_shows_as_not_approved_to_its_author(person: MakePerson) -> None:
    owner, guest, code = _group_of_two(person)
    guest.goto(f"/g/{code}")
    guest.wait_live()
    text = "QZ-TEST-HOLD 需要审核的一句话"
    guest.send(text)
    expect(guest.page.locator("#messages li.msg.held").filter(has_text=text)).to_be_visible()
    staff = reviewer(person)
    staff.goto("/staff/review")
    item = staff.page.locator("#content-queue li.content-item").filter(has_text=text)
    item.get_by_label("驳回原因").select_option(label="广告")
    item.get_by_role("button", name=re.compile("^驳回")).click()
    expect(staff.page.get_by_role("status")).to_contain_text("已处理")
    rejected = guest.page.locator("#messages li.msg.not-approved").filter(has_text=text)
    expect(rejected.locator(".msg-review")).to_have_text("未通过审核")  # live: the author's own frame
    expect(guest.page.locator("#announcer")).to_contain_text("未通过审核（广告）")
    guest.page.reload()  # and the same after a reload, from the messages API's `pending`
    expect(rejected.locator(".msg-review")).to_have_text("未通过审核")
    owner.goto(f"/g/{code}")
    owner.wait_live()
    expect(owner.message(text)).to_have_count(0)


def test_a_blocked_post_names_the_category_and_keeps_the_text(person: MakePerson) -> None:
    owner, _guest, code = _group_of_two(person)
    owner.goto(f"/g/{code}")
    owner.wait_live()
    text = "今晚六合彩开奖，一起买"
    owner.send(text)
    error = owner.page.locator("#chat-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("赌博")
    expect(error).not_to_contain_text("六合彩")  # the matched term is never shown to users
    expect(owner.page.get_by_label("输入消息")).to_have_value(text)
    expect(owner.message(text)).to_have_count(0)

    owner.page.get_by_role("link", name="EN").click()
    owner.wait_live()
    owner.page.get_by_label("Message", exact=True).fill("QZ-TEST-BLOCK again")
    owner.page.keyboard.press("Enter")
    expect(owner.page.locator("#chat-error")).to_contain_text("prohibited content (other)")
    expect(owner.page.get_by_label("Message", exact=True)).to_have_value("QZ-TEST-BLOCK again")
    unexpected = [e for e in owner.errors if "422" not in e]  # Chromium logs the refused POSTs themselves
    assert unexpected == []


def test_a_term_added_on_the_lexicon_page_catches_a_spaced_traditional_variant(person: MakePerson) -> None:
    staff = reviewer(person)
    staff.goto("/staff/lexicon")
    expect(staff.page.locator("#lexicon-current")).to_contain_text("第")
    form = staff.page.locator("#add-entry")
    form.get_by_label("词条").fill("蓝莓")
    form.get_by_label("类别").select_option(label="违禁品")
    form.get_by_label("处理方式").select_option(label="待审")
    form.get_by_label("例外短语").fill("蓝莓味")
    form.get_by_label("修改说明").fill("测试：添加蓝莓")
    form.get_by_role("button", name="添加").click()
    expect(staff.page.get_by_role("status")).to_contain_text("已保存为第")
    row = staff.page.locator("#entries tr").filter(has_text="蓝莓")
    expect(row).to_contain_text("违禁品")
    expect(row).to_contain_text("蓝莓味")
    expect(staff.page.locator("#lexicon-history")).to_contain_text("测试：添加蓝莓")

    staff.page.get_by_role("link", name="文本检测").click()
    staff.page.get_by_label("要检测的文字").fill("今天收到一箱藍 莓，还有六 合 彩")
    staff.page.get_by_role("button", name="检测").click()
    hits = staff.page.locator("#test-hits")
    expect(hits.locator("tr").filter(has_text="蓝莓")).to_contain_text("藍 莓")
    expect(hits.locator("tr").filter(has_text="六合彩")).to_contain_text("赌博")
    expect(staff.page.locator("#test-original mark.hit")).to_have_text(["藍 莓", "六 合 彩"])
    expect(staff.page.locator("#test-normalized")).to_contain_text("蓝")
    expect(staff.page.locator("#test-decision")).to_have_text("拦截")

    staff.page.get_by_label("要检测的文字").fill("蓝莓味的酸奶")
    staff.page.get_by_role("button", name="检测").click()
    expect(staff.page.locator("#test-hits tr.excepted")).to_contain_text("是")
    expect(staff.page.locator("#test-decision")).to_have_text("放行")

    staff.goto("/staff/lexicon?q=蓝莓")
    staff.page.get_by_role("button", name="删除词条 蓝莓").click()
    expect(staff.page.get_by_role("status")).to_contain_text("已保存为第")
    staff.goto("/staff/lexicon?q=蓝莓")
    expect(staff.page.locator("#entries")).to_have_count(0)
    assert staff.errors == []
