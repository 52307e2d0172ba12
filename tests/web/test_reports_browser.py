"""Reports to the authorities in headless Chromium against a real server: a compliance officer builds the package of
a period from the form, sees it in the disclosure register and downloads it; the package verifies; the figures page
opens from the console's tabs (Art. 11 ¶3, Art. 12 ¶1)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import expect
from tests.web.browser import PASSWORD, Person
from tests.web.server import create_staff
from tests.web.test_identity_browser import sign_in
from tests.web.test_reports_http import seed, this_month

from qunzu.services.report_package import verify_package

pytestmark = pytest.mark.browser
MakePerson = Callable[..., Person]


def test_an_officer_builds_downloads_and_verifies_a_package(person: MakePerson, tmp_path: Path) -> None:
    me = person("合规专员")
    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API keeps an event loop on this thread
        pool.submit(seed, me.server).result()
    name = f"co{secrets.token_hex(3)}"
    create_staff(me.server, name, "compliance_officer", PASSWORD)
    sign_in(me, name)
    me.goto("/staff")
    page = me.page
    page.get_by_role("link", name="报告与统计").click()
    expect(page).to_have_url(re.compile(r"/staff/reports$"))
    _, first, next_first = this_month()
    page.get_by_label("起始日期（含当日，北京时间）").fill(first)
    page.get_by_label("结束日期（不含当日，北京时间）").fill(next_first)
    page.get_by_label("报送机关").fill("北京市互联网信息办公室")
    page.get_by_label("文号或调取通知编号（可选）").fill("京网信函〔2026〕30号")
    page.get_by_role("button", name="生成并签名").click()
    expect(page.get_by_role("status")).to_contain_text("已生成报告包")
    row = page.locator("#disclosure-register tbody tr").first
    expect(row).to_contain_text("京网信函〔2026〕30号")
    expect(row).to_contain_text(f"{first} 至 {next_first}")
    expect(row.locator('[data-section="enforcement_records"]')).not_to_have_text("0")

    with page.expect_download() as download:
        row.get_by_role("link", name="下载").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name.startswith("qunzu-report-") and verify_package(saved) == []

    page.get_by_role("link", name="处理统计").click()
    expect(page).to_have_url(re.compile(r"/staff/reports/figures$"))
    expect(page.locator("#complaint-figures")).to_contain_text("诈骗")
    assert me.errors == []
