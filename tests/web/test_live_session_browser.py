"""The open chat follows the account live, in headless Chromium: a platform measure on the member or on the group
changes the composer without a reload; signing out in another tab, or staff suspending the account, ends the chat
with the reason and a link to sign in again, and it stops reconnecting."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

import pytest
from playwright.sync_api import expect
from tests.web.browser import PASSWORD, Person
from tests.web.server import create_staff
from tests.web.test_chat_browser import _group_of_two
from tests.web.test_chat_controls_browser import call
from tests.web.test_identity_browser import sign_in

pytestmark = pytest.mark.browser
MakePerson = Callable[..., Person]


def _reviewer(person: MakePerson) -> Person:
    reviewer = person("审核员")
    name = f"rv{secrets.token_hex(3)}"
    create_staff(reviewer.server, name, "reviewer", PASSWORD)
    sign_in(reviewer, name)
    return reviewer


def _measure(reviewer: Person, kind: str, target: str) -> None:
    call(
        reviewer,
        "POST",
        "/api/v1/staff/measures",
        {
            "kind": kind,
            "target": target,
            "duration_hours": 24,
            "reason_code": "fraud",
            "reason": "群内多次发布诈骗信息",
        },
    )


def test_measures_reach_the_open_chat_and_a_suspension_signs_it_out(person: MakePerson) -> None:
    owner, guest, code = _group_of_two(person)
    owner.goto(f"/g/{code}")
    owner.wait_live()
    guest.wait_live()
    guest_id = str(call(guest, "GET", "/api/v1/me")["id"])
    reviewer = _reviewer(person)

    _measure(reviewer, "group_suspend", code)  # the owner is told (the subject's owner and managers)
    expect(owner.page.locator("#composer-state")).to_contain_text("本群已被平台暂停发布至")
    expect(owner.page.get_by_label("输入消息")).to_be_disabled()

    _measure(reviewer, "user_mute", guest_id)
    expect(guest.page.locator("#composer-state")).to_contain_text("你的账号已被平台暂停发布信息至")
    expect(guest.page.get_by_label("输入消息")).to_be_disabled()

    _measure(reviewer, "user_suspend", guest_id)
    error = guest.page.locator("#chat-error")
    expect(error).to_contain_text("你已被强制退出登录：平台已暂停你的账号")
    expect(guest.page.locator("#conn-status")).to_have_attribute("data-state", "offline")
    link = error.get_by_role("link", name="重新登录")
    expect(link).to_have_attribute("href", re.compile(r"^/login\?next=%2Fg%2F\d{10}$"))
    assert guest.errors == [] and owner.errors == []


def test_signing_out_in_another_tab_ends_the_chat_without_reconnecting(person: MakePerson) -> None:
    _owner, guest, code = _group_of_two(person)
    guest.wait_live()
    other_tab = guest.context.new_page()
    other_tab.goto(guest.server.base + "/groups")
    other_tab.get_by_role("button", name="退出登录").click()
    expect(other_tab).to_have_url(re.compile(r"/$"))
    error = guest.page.locator("#chat-error")
    expect(error).to_contain_text("你已在其他页面或窗口退出此次登录。")
    expect(guest.page.locator("#conn-status")).to_have_attribute("data-state", "offline")
    error.get_by_role("link", name="重新登录").click()
    expect(guest.page).to_have_url(re.compile(r"/login\?next="))
    guest.page.get_by_label("用户名").fill(guest.username)
    guest.page.get_by_label("密码").fill(PASSWORD)
    guest.page.get_by_role("button", name="登录").click()
    expect(guest.page).to_have_url(re.compile(rf"/g/{code}$"))  # back in the chat, live again
    guest.wait_live()
    assert guest.errors == []
