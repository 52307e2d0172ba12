"""群设置 in headless Chromium: the owner posts an announcement (群公告) and renames the group through the settings
form; a member with the chat open sees both change live, without a reload."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import WebSocketRoute, expect
from tests.web.browser import Person
from tests.web.test_chat_browser import _group_of_two

pytestmark = pytest.mark.browser
MakePerson = Callable[..., Person]


def test_an_announcement_set_in_settings_appears_live_for_a_member(person: MakePerson) -> None:
    owner, guest, code = _group_of_two(person)
    guest.goto(f"/g/{code}")
    guest.wait_live()
    expect(guest.page.locator("#announcement")).to_be_hidden()
    expect(guest.page.locator("#settings-link")).to_have_count(0)  # an ordinary member has no 群设置
    expect(guest.page.get_by_role("link", name="群设置")).to_have_count(0)

    owner.goto(f"/g/{code}")
    owner.wait_live()
    owner.page.get_by_role("link", name="群设置").click()
    expect(owner.page).to_have_url(re.compile(rf"/g/{code}/settings$"))
    expect(owner.page.get_by_label("群组名称")).to_have_value("读书会")
    expect(owner.page.locator("#review-note")).to_contain_text("内容审核")
    owner.page.get_by_label("群组名称").fill("读书会·周末场")
    owner.page.get_by_label("群公告").fill("本周六下午两点在图书馆三楼集合\n请带上《红楼梦》")
    owner.page.get_by_role("button", name="保存").click()

    expect(owner.page).to_have_url(re.compile(rf"/g/{code}$"))  # back in the chat, the ?saved=1 tidied away
    expect(owner.page.get_by_role("status").filter(has_text="群组资料已保存")).to_be_visible()
    expect(owner.page.locator("#announcement-text")).to_have_text("本周六下午两点在图书馆三楼集合\n请带上《红楼梦》")

    banner = guest.page.locator("#announcement")
    expect(banner).to_be_visible()  # live, over the WebSocket: the member did not reload
    expect(banner.locator("#announcement-label")).to_have_text("群公告")
    expect(banner.locator("#announcement-text")).to_have_text("本周六下午两点在图书馆三楼集合\n请带上《红楼梦》")
    expect(banner.locator("#announcement-time")).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d$"))
    expect(guest.page.locator(".chat-title h1")).to_have_text("读书会·周末场")
    expect(guest.page).to_have_title(re.compile("^读书会·周末场"))
    expect(guest.page.locator("#announcer")).to_contain_text("群公告已更新")
    expect(guest.page.locator("#settings-link")).to_have_count(0)

    live_time = banner.locator("#announcement-time").inner_text()
    guest.page.reload()  # the same after a reload, now rendered by the server
    expect(guest.page.locator("#announcement-text")).to_have_text("本周六下午两点在图书馆三楼集合\n请带上《红楼梦》")
    expect(guest.page.locator("#announcement-time")).to_have_text(live_time)
    guest.wait_live()

    owner.page.get_by_role("link", name="群设置").click()
    owner.page.get_by_label("群公告").fill("")
    owner.page.get_by_role("button", name="保存").click()
    expect(owner.page).to_have_url(re.compile(rf"/g/{code}$"))
    expect(guest.page.locator("#announcement")).to_be_hidden()  # cleared live as well
    assert owner.errors == [] and guest.errors == []  # no script errors, nothing refused by the CSP


def test_a_change_made_while_a_member_was_offline_shows_when_the_page_reconnects(person: MakePerson) -> None:
    """Profile changes are not replayed like messages: the page reads the profile again when it is back."""
    owner, guest, code = _group_of_two(person)
    routes: list[WebSocketRoute] = []
    blocked = {"now": False}

    def through_proxy(ws: WebSocketRoute) -> None:
        if blocked["now"]:
            ws.close(code=1013, reason="try again later")
            return
        ws.connect_to_server()
        routes.append(ws)

    guest.page.route_web_socket(re.compile(r"/api/v1/ws$"), through_proxy)
    guest.goto(f"/g/{code}")
    guest.wait_live()
    blocked["now"] = True
    routes[-1].close(code=1001, reason="going away")
    expect(guest.page.locator("#conn-status")).to_have_attribute("data-state", "reconnecting")
    owner.goto(f"/g/{code}/settings")
    owner.page.get_by_label("群组名称").fill("读书会·夜场")
    owner.page.get_by_label("群公告").fill("改到晚上七点")
    owner.page.get_by_role("button", name="保存").click()
    expect(owner.page).to_have_url(re.compile(rf"/g/{code}$"))
    expect(guest.page.locator("#announcement")).to_be_hidden()  # still offline: nothing arrived
    blocked["now"] = False
    guest.wait_live()
    expect(guest.page.locator("#announcement-text")).to_have_text("改到晚上七点")
    expect(guest.page.locator(".chat-title h1")).to_have_text("读书会·夜场")
    assert owner.errors == [] and guest.errors == []


def test_a_rejected_announcement_is_taken_down_and_the_owner_is_told_why(person: MakePerson) -> None:
    from tests.web.test_review_browser import reviewer

    owner, guest, code = _group_of_two(person)
    owner.goto(f"/g/{code}/settings")
    owner.page.get_by_label("群公告").fill("周末团购 QZ-TEST-FLAG")  # flagged: shown at once, and queued
    owner.page.get_by_role("button", name="保存").click()
    expect(owner.page).to_have_url(re.compile(rf"/g/{code}$"))
    expect(owner.page.locator("#announcement-text")).to_have_text("周末团购 QZ-TEST-FLAG")
    owner.wait_live()
    guest.goto(f"/g/{code}")
    guest.wait_live()

    staff = reviewer(person)
    staff.goto("/staff/review")
    item = staff.page.locator("#content-queue li.content-item").filter(has_text="周末团购")
    expect(item).to_contain_text("群公告")
    item.get_by_role("button", name=re.compile("^驳回")).click()
    expect(staff.page.get_by_role("status")).to_contain_text("已处理")

    expect(owner.page.locator("#announcement")).to_be_hidden()  # live, for everyone in the group
    expect(guest.page.locator("#announcement")).to_be_hidden()
    expect(owner.page.locator("#chat-error")).to_contain_text("你设置的群公告未通过审核（其他），已被撤下")
    expect(guest.page.locator("#chat-error")).to_be_hidden()  # only the author is told
    assert owner.errors == [] and guest.errors == [] and staff.errors == []
