"""解散群聊 in headless Chromium: the owner opens 群设置 › 群主, types the group's name and dissolves it; the owner lands
on the closed group's tombstone, and so does a member who had the chat open, at the same code (D8)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect
from tests.web.browser import Person
from tests.web.test_chat_browser import _group_of_two

pytestmark = pytest.mark.browser
MakePerson = Callable[..., Person]


def test_the_owner_dissolves_the_group_and_its_code_shows_the_tombstone(person: MakePerson) -> None:
    owner, guest, code = _group_of_two(person)
    guest.goto(f"/g/{code}")
    guest.wait_live()

    owner.goto(f"/g/{code}/settings/owner")
    expect(owner.page.get_by_role("heading", name="解散本群")).to_be_visible()
    owner.page.get_by_role("button", name="解散本群").click()  # an empty name: the browser asks for it first
    expect(owner.page).to_have_url(re.compile(rf"/g/{code}/settings/owner$"))
    owner.page.get_by_label(re.compile("请输入群名称")).fill("别的群")
    owner.page.get_by_role("button", name="解散本群").click()
    expect(owner.page.locator("#form-error")).to_be_visible()  # the wrong name: nothing happens
    owner.page.get_by_label(re.compile("请输入群名称")).fill("读书会")
    owner.page.get_by_role("button", name="解散本群").click()

    expect(owner.page).to_have_url(re.compile(rf"/g/{code}$"))
    expect(owner.page.locator("#tombstone")).to_contain_text("该群已关闭")
    display = f"{code[:3]} {code[3:6]} {code[6:]}"
    expect(owner.page.locator("#tombstone-code")).to_have_text(display)

    guest.goto(f"/g/{code}")  # the member's chat at the same address now shows the tombstone
    expect(guest.page.locator("#tombstone")).to_contain_text("该群已关闭")
    guest.goto("/groups")
    expect(guest.page.locator(f'[data-code="{code}"]')).to_have_count(0)
    # no script errors, nothing refused by the CSP (the refused form answers 422, the tombstone 410: not errors)
    script_errors = [e for e in owner.errors + guest.errors if not e.startswith("Failed to load resource")]
    assert script_errors == []
