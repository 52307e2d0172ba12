"""A lawful request in headless Chromium against a real server (R-13.1-1): a compliance officer records an
authority's request about a group from the console's tab, an administrator approves it, the officer builds the
signed answer, downloads it (it verifies) and marks it delivered."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from tests.web.browser import PASSWORD, Person
from tests.web.server import create_staff
from tests.web.test_identity_browser import sign_in

from qunzu.services.report_package import verify_package

pytestmark = pytest.mark.browser
MakePerson = Callable[..., Person]


def test_an_officer_records_another_approves_and_the_answer_downloads_and_verifies(
    person: MakePerson, tmp_path: Path
) -> None:
    owner = person("群主")
    owner.sign_up()
    code = owner.create_group("读书会")
    officer, admin = person("合规专员"), person("管理员")
    names = {"officer": f"co{secrets.token_hex(3)}", "admin": f"ad{secrets.token_hex(3)}"}
    create_staff(officer.server, names["officer"], "compliance_officer", PASSWORD)
    create_staff(admin.server, names["admin"], "admin", PASSWORD)
    sign_in(officer, names["officer"])
    sign_in(admin, names["admin"])
    today = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()

    officer.goto("/staff")
    page = officer.page
    page.get_by_role("link", name="依法调取").click()
    expect(page).to_have_url(re.compile(r"/staff/lawful$"))
    page.get_by_label("提出请求的主管部门").fill("某市公安局")
    page.get_by_label("文书编号").fill("某公调〔2026〕21号")
    page.get_by_label("法律依据").fill("《网络安全法》第二十八条")
    page.get_by_label("群组编码").fill(code)
    page.get_by_label("起始日期（北京时间）").fill(today)
    page.get_by_label("截止日期（北京时间，含当日）").fill(today)
    page.get_by_label("调取事项及事由").fill("调查一起诈骗案件")
    page.get_by_role("button", name="登记请求").click()
    expect(page).to_have_url(re.compile(r"/staff/lawful/\d+\?done=recorded$"))
    expect(page.locator("#four-eyes")).to_be_visible()
    detail = page.url.split("?")[0]

    admin.page.goto(detail)
    admin.page.get_by_role("button", name="批准").click()
    expect(admin.page.locator("#lawful-status")).to_have_text("已批准")

    page.goto(detail)
    page.get_by_role("button", name="生成签名答复").click()
    expect(page.locator("#lawful-status")).to_have_text("已答复")
    expect(page.locator('[data-section="members"]')).not_to_have_text("0")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载数据包").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name.startswith("qunzu-lawful-") and verify_package(saved) == []
    page.get_by_role("button", name="标记为已送达").click()
    expect(page.locator("#delivered")).to_contain_text("已于")
    assert officer.errors == [] and admin.errors == []
