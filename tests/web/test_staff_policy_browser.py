"""The group policy console in headless Chromium against a real server: a compliance officer edits a threshold,
sees the new version in force and the warning that it is not filed, records the filing, and the warning goes
(R-7.1-2, R-7.1-3)."""

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


def test_an_officer_edits_a_threshold_and_the_console_warns_until_it_is_filed(person: MakePerson) -> None:
    me = person("合规专员")
    name = f"co{secrets.token_hex(3)}"
    create_staff(me.server, name, "compliance_officer", PASSWORD)
    sign_in(me, name)
    me.goto("/staff")
    me.page.get_by_role("link", name="群组策略").click()
    expect(me.page).to_have_url(re.compile(r"/staff/policy$"))
    page = me.page
    version = int(page.locator('input[name="base_version"]').get_attribute("value") or "0")

    page.get_by_label("XL 发言频率（条/分钟）", exact=True).fill("8")
    page.get_by_label("修改说明").fill("超大群发言降速")
    page.get_by_role("button", name="保存为新版本").click()
    expect(page.get_by_role("status")).to_contain_text(f"已保存新版本 v{version + 1}")
    expect(page.locator("#filing-warning")).to_contain_text("运行版本与备案版本不一致")
    xl = page.locator('#policy-current table[data-table="tiers"] tr').filter(has_text="XL")
    expect(xl.locator("td").nth(8)).to_have_text("8")

    page.get_by_role("link", name="版本与备案").first.click()
    entry = page.locator(f"#v{version + 1}")
    expect(entry).to_contain_text("tiers.XL.send_per_minute")
    expect(entry).to_contain_text("超大群发言降速")
    entry.get_by_label("备案编号").fill("京网信备-2026-0101")
    entry.get_by_role("button", name="登记备案").click()
    expect(page.get_by_role("status")).to_contain_text(f"已登记 v{version + 1} 的备案")
    expect(page.locator(f"#v{version + 1}")).to_contain_text("已备案 京网信备-2026-0101")

    page.get_by_role("link", name="现行策略").click()
    expect(page.locator("#filing-ok")).to_be_visible()
    expect(page.locator("#filing-warning")).to_have_count(0)

    assert me.errors == []
    page.get_by_label("S 成员上限", exact=True).fill("abc")
    page.get_by_role("button", name="保存为新版本").click()
    expect(page.locator('[id="f-tiers.S.ceiling"]')).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#form-error")).to_be_visible()
    assert all("status of 422" in e for e in me.errors), me.errors  # the refused form's own response
