"""The blacklist in headless Chromium against a real server (Art. 11 ¶2–3): a compliance officer finds an account,
blacklists its identity from its page, sees the entry with its history and reviews it; the person reads why on
/me and is refused when joining a group."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

import pytest
from playwright.sync_api import expect
from tests.web.browser import PASSWORD, Person
from tests.web.server import create_staff
from tests.web.test_identity_browser import sign_in

pytestmark = pytest.mark.browser
MakePerson = Callable[..., Person]


def test_an_officer_blacklists_an_identity_and_the_person_sees_why(person: MakePerson) -> None:
    owner = person("群主老陈")
    owner.sign_up()
    code = owner.create_group("周末读书会")
    target = person("小周")
    target.sign_up()

    officer = person("合规专员")
    name = f"co{secrets.token_hex(3)}"
    create_staff(officer.server, name, "compliance_officer", PASSWORD)
    sign_in(officer, name)
    page = officer.page
    officer.goto(f"/staff?q={target.username}")
    page.locator("tr").filter(has_text=target.username).get_by_role("link").first.click()
    page.get_by_role("link", name="将该账号的认证身份列入黑名单").click()
    expect(page.get_by_label("用户名或群号")).to_have_value(target.username)
    expect(page.get_by_role("radio", name=re.compile("该账号的认证身份"))).to_be_checked()
    page.get_by_role("radio", name=re.compile("二级（严重）")).check()
    page.get_by_label("理由", exact=True).fill("在多个群组发布诈骗信息")
    page.get_by_role("button", name="列入黑名单").click()
    expect(page).to_have_url(re.compile(r"/staff/blacklist/\d+\?done=added$"))
    expect(page.get_by_role("status")).to_contain_text("已列入黑名单")
    expect(page.locator("#entry")).to_contain_text(f"@{target.username}")
    expect(page.locator('#history tr[data-change="added"]')).to_have_count(1)

    review = page.locator("#review-form")
    review.get_by_label("理由").fill("情节仍然存在")
    review.get_by_role("button", name="提交复核结论").click()
    expect(page.get_by_role("status")).to_contain_text("复核结论已记录")
    expect(page.locator('#history tr[data-change="reviewed"]')).to_contain_text("维持")
    page.get_by_role("link", name="返回黑名单").click()
    expect(page.locator("#entries")).to_contain_text(target.username)
    assert officer.errors == []

    sign_in(target, target.username)  # level 2 ended the sessions: signed in again
    target.goto("/me")
    expect(target.page.locator("#notices")).to_contain_text("你认证账号所用的身份已被列入平台黑名单")
    expect(target.page.locator("#notices")).to_contain_text("二级（严重）")
    target.goto("/groups")
    target.page.get_by_label("群组编码").fill(code)
    target.page.get_by_role("button", name="加入群组").click()
    expect(target.page.locator("#form-error")).to_contain_text("黑名单")
