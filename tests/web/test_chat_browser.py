"""The web UI in headless Chromium against a real server process: what two people see in one group."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect
from tests.web.browser import PASSWORD, Person

pytestmark = pytest.mark.browser
MakePerson = Callable[..., Person]


def _group_of_two(person: MakePerson) -> tuple[Person, Person, str]:
    """Two people sign up in their own browsers; the first creates a group, the second joins by its code."""
    owner = person("林晓")
    guest = person("周周")
    owner.sign_up()
    guest.sign_up()
    code = owner.create_group("读书会")
    display = f"{code[:3]} {code[3:6]} {code[6:]}"
    expect(owner.page.locator("#group-code")).to_have_text(display)
    guest.join(display)
    return owner, guest, code


def test_a_message_from_one_person_appears_live_for_the_other(person: MakePerson) -> None:
    owner, guest, code = _group_of_two(person)
    owner.goto(f"/g/{code}")
    owner.wait_live()
    guest.wait_live()

    guest.send("大家好，我是周周 👋")
    arrived = owner.message("大家好，我是周周 👋")
    expect(arrived).to_be_visible()  # no reload: it came over the WebSocket
    expect(arrived.locator(".msg-name")).to_have_text("周周")

    owner.send("欢迎加入！")
    mine_seen_by_guest = guest.message("欢迎加入！")
    expect(mine_seen_by_guest).to_be_visible()
    expect(mine_seen_by_guest.locator(".badge")).to_have_text("群主")
    expect(owner.page.locator("#member-count")).to_have_text("2 人")
    expect(owner.page.locator("#announcer")).to_have_attribute("aria-live", "polite")

    # A reload shows the same history, once each, in order.
    guest.page.reload()
    texts = guest.page.locator("#messages li.msg .msg-text")
    expect(texts).to_have_text(["大家好，我是周周 👋", "欢迎加入！"])


def test_deleting_a_message_shows_the_placeholder_live_for_the_other(person: MakePerson) -> None:
    owner, guest, code = _group_of_two(person)
    owner.goto(f"/g/{code}")
    owner.wait_live()
    guest.wait_live()
    guest.send("<b>发错群了</b>")
    seen = owner.message("<b>发错群了</b>")
    expect(seen).to_be_visible()
    expect(seen.locator("b")).to_have_count(0)  # user text is text, never markup

    mine = guest.message("<b>发错群了</b>")
    mine.hover()
    mine.get_by_role("button", name="删除").click()
    guest.page.locator("dialog").get_by_role("button", name="删除").click()

    placeholder = owner.page.locator(f"#messages li.msg.deleted[data-id='{seen.get_attribute('data-id')}']")
    expect(placeholder).to_contain_text("此消息已被删除")
    expect(owner.message("<b>发错群了</b>")).to_have_count(0)
    expect(guest.page.locator("#messages li.msg.deleted")).to_contain_text("此消息已被删除")


def test_member_list_shows_role_labels_and_the_owner_appoints_a_manager(person: MakePerson) -> None:
    owner, _guest, code = _group_of_two(person)
    third = person("小王")
    third.sign_up()
    third.join(f"{code[:3]} {code[3:6]} {code[6:]}")

    owner.goto(f"/g/{code}/members")
    rows = owner.page.locator("#member-list li.member-row")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("林晓")
    expect(rows.nth(0).locator(".badge")).to_have_text("群主")
    expect(owner.page.locator("#member-count")).to_have_text("共 3 人")

    rows.filter(has_text="周周").get_by_role("button", name="设为管理员").click()
    expect(rows.nth(1)).to_contain_text("周周")
    expect(rows.nth(1).locator(".badge")).to_have_text("管理员")
    expect(rows.nth(2).locator(".badge")).to_have_text("成员")

    # The member sees the same labels, no owner tools, and can leave; the owner's count follows live.
    third.goto(f"/g/{code}/members")
    theirs = third.page.locator("#member-list li.member-row")
    expect(theirs.locator(".badge")).to_have_text(["群主", "管理员", "成员"])
    expect(third.page.get_by_role("button", name="设为管理员")).to_have_count(0)
    third.page.get_by_role("button", name="退出群组").click()
    third.page.locator("dialog").get_by_role("button", name="退出群组").click()
    expect(third.page).to_have_url(re.compile(r"/groups$"))
    expect(owner.page.locator("#member-count")).to_have_text("共 2 人")
    expect(owner.page.get_by_role("button", name="退出群组")).to_be_hidden()


def test_the_language_switch_turns_the_pages_to_english(person: MakePerson) -> None:
    visitor = person("访客")
    visitor.goto("/")
    expect(visitor.page.locator("html")).to_have_attribute("lang", "zh-CN")
    visitor.page.get_by_role("link", name="EN").click()
    expect(visitor.page.locator("html")).to_have_attribute("lang", "en")
    expect(visitor.page.get_by_role("heading", level=1)).to_contain_text("One calm place")
    visitor.page.get_by_role("link", name="Sign in").first.click()
    expect(visitor.page.get_by_role("heading", name="Sign in")).to_be_visible()
    visitor.page.get_by_role("link", name="中文").click()
    expect(visitor.page.get_by_role("heading", name="登录")).to_be_visible()


def test_a_wrong_password_is_shown_in_the_form_and_keeps_the_username(person: MakePerson) -> None:
    someone = person("某人")
    someone.sign_up()
    someone.page.get_by_role("button", name="退出登录").click()
    expect(someone.page).to_have_url(re.compile(r"/$"))

    someone.goto("/login")
    someone.page.get_by_label("用户名").fill(someone.username)
    someone.page.get_by_label("密码").fill(PASSWORD + "x")
    someone.page.get_by_role("button", name="登录").click()
    expect(someone.page.get_by_role("alert")).to_have_text("用户名或密码错误")
    expect(someone.page.get_by_label("用户名")).to_have_value(someone.username)
    expect(someone.page.get_by_label("密码")).to_have_value("")
    expect(someone.page.get_by_label("密码")).to_have_attribute("aria-invalid", "true")
