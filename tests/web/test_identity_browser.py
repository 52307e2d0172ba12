"""The identity pages in headless Chromium: verification, the staff reveal, a new agreement to accept."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

import pytest
from playwright.sync_api import expect
from tests.web.browser import PASSWORD, Person
from tests.web.server import create_staff, random_mobile

from qunzu.domain.identity import id_check_char

pytestmark = pytest.mark.browser
MakePerson = Callable[..., Person]
ID_BODY = "11010519491231002"
ID_NUMBER = ID_BODY + id_check_char(ID_BODY)


def verify_in_browser(p: Person, phone: str, name: str = "张三", id_number: str = ID_NUMBER) -> None:
    """L1 and L2 through the pages, reading the development code the page shows (console sender, test profile)."""
    p.page.get_by_role("link", name="去认证").click()
    expect(p.page).to_have_url(re.compile(r"/me/verify$"))
    expect(p.page.locator("#dev-notice")).to_contain_text("开发环境")
    p.page.get_by_label("手机号").fill(phone)
    p.page.get_by_role("button", name="获取验证码").click()
    expect(p.page.get_by_text(f"验证码已发送至 {phone[:3]}****{phone[-4:]}")).to_be_visible()
    expect(p.page.locator("#code-expiry")).to_contain_text("后过期")
    expect(p.page.locator("#resend")).to_be_disabled()  # the resend throttle
    code = p.page.locator("#dev-code-value").inner_text()
    p.page.get_by_label("验证码").fill(code)
    p.page.get_by_role("button", name="验证", exact=True).click()
    expect(p.page.get_by_text("手机号验证成功（L1）。")).to_be_visible()
    p.page.get_by_label("真实姓名").fill(name)
    p.page.get_by_label("居民身份证号").fill(id_number)
    p.page.get_by_role("button", name="提交核验").click()
    expect(p.page.get_by_role("heading", name="你已完成实名认证")).to_be_visible()


def sign_in(p: Person, username: str, password: str = PASSWORD) -> None:
    p.goto("/login")
    p.page.get_by_label("用户名").fill(username)
    p.page.get_by_label("密码").fill(password)
    p.page.get_by_role("button", name="登录").click()
    expect(p.page).not_to_have_url(re.compile(r"/login"))


def test_a_newcomer_verifies_phone_then_name_and_id_in_the_browser(person: MakePerson) -> None:
    me = person("林晓")
    me.sign_up(verify=False)
    expect(me.page.locator("#banner-verify")).to_contain_text("实名认证")
    phone = random_mobile()
    verify_in_browser(me, phone)

    me.page.get_by_role("link", name="返回我的账号").click()
    expect(me.page.locator("h1 .badge-verified")).to_have_text("已实名")
    expect(me.page.locator("#id-phone")).to_have_text(f"{phone[:3]}****{phone[-4:]}")
    expect(me.page.locator("#id-name")).to_have_text("张*")
    expect(me.page.locator("#id-number")).to_have_text(ID_NUMBER[:6] + "*" * 10 + ID_NUMBER[-2:])
    expect(me.page.locator("#id-level")).to_contain_text("开发用，非权威")  # format-only verifier
    expect(me.page.locator("#history tbody tr")).to_have_count(2)
    expect(me.page.locator("#banner-verify")).to_have_count(0)
    assert ID_NUMBER not in me.page.content() and phone not in me.page.content()
    assert me.errors == []


def test_a_compliance_officer_reveals_with_a_purpose_and_the_reveal_is_recorded(person: MakePerson) -> None:
    subject = person("周周")
    subject.sign_up(verify=False)
    phone = random_mobile()
    verify_in_browser(subject, phone, name="李四")
    officer_name = f"officer{secrets.token_hex(3)}"
    reviewer_name = f"reviewer{secrets.token_hex(3)}"
    create_staff(subject.server, officer_name, "compliance_officer", PASSWORD)
    create_staff(subject.server, reviewer_name, "reviewer", PASSWORD)

    officer = person("合规")
    sign_in(officer, officer_name)
    officer.goto("/staff")
    officer.page.get_by_role("searchbox", name="查找用户").fill(subject.username)
    officer.page.get_by_role("button", name="查找").click()
    officer.page.locator("#search-results").get_by_role("link", name=re.compile("查看")).click()
    expect(officer.page.locator("#id-phone")).to_have_text(f"{phone[:3]}****{phone[-4:]}")
    expect(officer.page.locator("#id-name")).to_have_text("李*")
    user_url = officer.page.url

    officer.page.get_by_label("手机号", exact=True).check()
    officer.page.get_by_label("姓名", exact=True).check()
    officer.page.get_by_label("身份证号", exact=True).check()
    officer.page.get_by_label("查看用途").fill("配合公安机关依法调查，核实账号实际使用人")
    officer.page.get_by_label("案件编号").fill("GA-2024-0815")
    officer.page.get_by_role("button", name="查看并记录").click()
    expect(officer.page.locator("#reveal-warning")).to_contain_text("已记录")
    expect(officer.page.locator("#revealed [data-field='name']")).to_have_text("李四")
    expect(officer.page.locator("#revealed [data-field='id_number']")).to_have_text(ID_NUMBER)
    expect(officer.page.locator("#revealed [data-field='phone']")).to_have_text("+86" + phone)

    officer.page.goto(user_url)  # shown once: the user page is masked again
    expect(officer.page.locator("#id-name")).to_have_text("李*")
    officer.page.get_by_role("link", name="个人信息查阅记录").first.click()
    row = officer.page.locator("#pii-record tbody tr").first
    expect(row).to_contain_text("GA-2024-0815")
    expect(row).to_contain_text("配合公安机关依法调查")
    expect(row).to_contain_text("合规专员")

    reviewer = person("审核")
    sign_in(reviewer, reviewer_name)
    reviewer.page.goto(user_url)
    expect(reviewer.page.locator("#id-name")).to_have_text("李*")
    expect(reviewer.page.locator("#reveal-form")).to_have_count(0)
    expect(reviewer.page.get_by_role("button", name="查看并记录")).to_have_count(0)
    assert officer.errors == [] and reviewer.errors == []


def test_a_new_agreement_shows_the_banner_and_accepting_it_lets_the_user_post_again(person: MakePerson) -> None:
    user = person("小王")
    user.sign_up()
    code = user.create_group("协议测试群")
    admin_name = f"admin{secrets.token_hex(3)}"
    create_staff(user.server, admin_name, "admin", PASSWORD)

    admin = person("管理员")
    sign_in(admin, admin_name)
    admin.goto("/staff/documents?kind=agreement")
    admin.page.get_by_label("修订说明（中文）").fill("新增第九条：群组管理员的责任")
    admin.page.get_by_label("修订说明（英文）").fill("Adds article 9: group managers' duties")
    admin.page.get_by_role("button", name="发布新版本").click()
    expect(admin.page.get_by_role("status")).to_contain_text("第 2 版")

    user.goto(f"/g/{code}")
    banner = user.page.locator(".banner-agreement")
    expect(banner).to_contain_text("第 2 版")
    user.wait_live()
    user.send("还能发言吗？")
    expect(user.page.locator("#chat-error")).to_contain_text("请先阅读并同意最新版《用户服务协议》")
    expect(user.message("还能发言吗？")).to_have_count(0)  # refused: nothing was written

    banner.get_by_role("button", name="同意").click()
    expect(user.page).to_have_url(re.compile(rf"/g/{code}$"))
    expect(user.page.locator(".banner-agreement")).to_have_count(0)
    user.wait_live()
    user.send("同意后可以发言了")
    expect(user.message("同意后可以发言了").locator(".msg-state")).to_have_count(0)
    user.goto("/me/agreements")
    expect(user.page.locator("#acceptances tbody tr").first).to_contain_text("用户服务协议")
    expect(user.page.locator("#acceptances tbody tr").first.locator("td").nth(1)).to_have_text("2")
