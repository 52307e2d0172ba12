"""Joining in headless Chromium (R-8.3-3, R-9.2-1): the owner asks a join question, a person asks to join with an
answer, the owner approves on the joining page, and the new member opens the chat and sees the rules card."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect
from tests.web.browser import Person

pytestmark = pytest.mark.browser
MakePerson = Callable[..., Person]


def test_a_request_approved_on_the_joining_page_lets_the_member_into_the_chat(person: MakePerson) -> None:
    owner, joiner = person("林晓"), person("周周")
    owner.sign_up()
    joiner.sign_up()
    code = owner.create_group("读书会")

    owner.goto(f"/g/{code}/settings/joining")
    expect(owner.page.get_by_role("navigation", name="群设置").get_by_role("link", name="入群方式")).to_have_attribute(
        "aria-current", "page"
    )
    owner.page.get_by_role("radio", name=re.compile("^需要审核")).check()
    owner.page.get_by_label("入群问题（可选）").fill("你最喜欢哪本书？")
    owner.page.get_by_role("button", name="保存").click()
    expect(owner.page.locator("#joining-flash")).to_have_text("入群设置已保存。")

    joiner.join(f"{code[:3]} {code[3:6]} {code[6:]}")  # the code asks a question: the group's page shows it
    expect(joiner.page.get_by_label("你最喜欢哪本书？")).to_be_visible()
    joiner.page.get_by_label("你最喜欢哪本书？").fill("红楼梦")
    joiner.page.get_by_role("button", name="申请加入").click()
    expect(joiner.page.locator("#pending-request")).to_contain_text("等待群主或管理员审核")

    owner.page.reload()
    request = owner.page.locator(".join-request").filter(has_text="周周")
    expect(request).to_contain_text("红楼梦")
    expect(owner.page.locator("#pending-count")).to_have_text("1")
    request.get_by_role("button", name="批准").click()
    expect(owner.page.locator("#joining-flash")).to_have_text("已批准，对方已成为成员。")
    expect(owner.page.locator("#no-requests")).to_be_visible()

    joiner.goto(f"/g/{code}")
    expect(joiner.page).to_have_url(re.compile(rf"/g/{code}$"))
    card = joiner.page.locator("#rules-card")
    expect(card).to_be_visible()
    expect(card.get_by_role("link", name="群组管理规则")).to_have_attribute("href", "/documents/group_rules")
    expect(card.get_by_role("link", name="平台公约")).to_have_attribute("href", "/documents/convention")
    joiner.wait_live()
    card.get_by_role("button", name="我已阅读").click()
    expect(joiner.page.locator("#rules-card")).to_have_count(0)
    joiner.wait_live()
    joiner.send("大家好")
    expect(joiner.message("大家好")).to_be_visible()
    assert not joiner.errors and not owner.errors, joiner.errors + owner.errors
