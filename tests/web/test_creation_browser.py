"""Creating a group in headless Chromium: the form shows the tiers and the 群主责任告知书; without ticking it the
browser will not send the form; ticked, the group opens and its info page names it (R-8.2-2, R-9.1-1)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect
from tests.web.browser import Person

pytestmark = pytest.mark.browser
MakePerson = Callable[..., Person]


def test_create_a_group_accepting_the_duties_notice_and_open_its_info_page(person: MakePerson) -> None:
    me = person("林晓")
    me.sign_up()
    me.goto("/groups/new")
    expect(me.page.locator("#tier-choice")).to_contain_text("人数上限 40 人")
    expect(me.page.locator('[data-tier="XL"]')).to_contain_text("需平台审核")
    expect(me.page.get_by_role("link", name="《群主责任告知书》")).to_have_attribute("href", "/documents/owner_duties")
    me.page.get_by_label("群组名称").fill("周末读书会")
    me.page.get_by_label("类别", exact=True).select_option(label="兴趣")
    me.page.get_by_label("M 中群").check()
    me.page.get_by_role("button", name="创建").click()
    expect(me.page).to_have_url(re.compile(r"/groups/new$"))  # the required box stops the form in the browser
    me.page.get_by_label("我已阅读并接受").check()
    me.page.get_by_role("button", name="创建").click()
    expect(me.page).to_have_url(re.compile(r"/g/\d{10}$"))
    code = me.page.url.rsplit("/", 1)[1]
    me.page.locator("#info-link").click()
    expect(me.page).to_have_url(re.compile(rf"/g/{code}/info$"))
    expect(me.page.get_by_role("heading", name="周末读书会")).to_be_visible()
    expect(me.page.locator("#info-code")).to_have_text(f"{code[:3]} {code[3:6]} {code[6:]}")
    expect(me.page.locator("#info-members")).to_have_text("1 / 100 人")
    expect(me.page.locator("#info-tier")).to_contain_text("S 小群")
    expect(me.page.locator("#info-staff")).to_contain_text("群主 林晓")
