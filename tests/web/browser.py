"""Debian's Chromium through Playwright (never `playwright install`), and what a user does in the pages."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

from playwright.sync_api import Browser, BrowserContext, Locator, Page, Playwright, expect
from tests.web.server import Server, random_mobile

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "correct-horse-9"
API_POST = """async ([path, body]) => {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const r = await fetch(path, {method: "POST", body: JSON.stringify(body),
    headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf}});
  return r.status;
}"""


def launch(pw: Playwright) -> Browser:
    return pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


@dataclass
class Person:
    """One person in their own browser context (own cookies), on the real server."""

    context: BrowserContext
    page: Page
    server: Server
    username: str
    nickname: str
    errors: list[str] = field(default_factory=list)  # console errors and uncaught exceptions (CSP included)

    def goto(self, path: str) -> None:
        self.page.goto(self.server.base + path)

    def sign_up(self, *, verify: bool = True) -> None:
        """Sign up through the form (accepting the agreement), sign in, and verify a mobile number (L1)."""
        self.goto("/signup")
        self.page.get_by_label("用户名").fill(self.username)
        self.page.get_by_label("昵称").fill(self.nickname)
        self.page.get_by_label("密码").fill(PASSWORD)
        self.page.get_by_label("我已阅读并同意").check()
        self.page.get_by_role("button", name="注册").click()
        expect(self.page).to_have_url(re.compile(r"/login\?registered=1"))
        expect(self.page.get_by_label("用户名")).to_have_value(self.username)
        self.page.get_by_label("密码").fill(PASSWORD)
        self.page.get_by_role("button", name="登录").click()
        expect(self.page).to_have_url(re.compile(r"/groups$"))
        if verify:
            self.verify_phone()

    def verify_phone(self) -> None:
        """L1 through the JSON API from the signed-in page (the verification pages belong to another issue)."""
        phone = random_mobile()
        status = self.page.evaluate(API_POST, ["/api/v1/me/verification/phone", {"phone": phone}])
        assert status == 202, status
        code = self.server.sms_code(phone)
        status = self.page.evaluate(API_POST, ["/api/v1/me/verification/phone/confirm", {"code": code}])
        assert status == 200, status

    def create_group(self, name: str, category_label: str = "兴趣") -> str:
        self.goto("/groups/new")
        self.page.get_by_label("群组名称").fill(name)
        self.page.get_by_label("类别").select_option(label=category_label)
        self.page.get_by_label("群组简介").fill("周末一起读书")
        self.page.get_by_label("我已阅读并接受").check()  # the 群主责任告知书 (R-9.1-1)
        self.page.get_by_role("button", name="创建").click()
        expect(self.page).to_have_url(re.compile(r"/g/\d{10}$"))
        return self.page.url.rsplit("/", 1)[1]

    def join(self, code_display: str) -> None:
        self.goto("/groups")
        self.page.get_by_label("群组编码").fill(code_display)
        self.page.get_by_role("button", name="加入群组").click()
        expect(self.page).to_have_url(re.compile(r"/g/\d{10}$"))

    def wait_live(self) -> None:
        expect(self.page.locator("#conn-status")).to_have_attribute("data-state", "live")

    def send(self, text: str) -> None:
        self.page.get_by_label("输入消息").fill(text)
        self.page.keyboard.press("Enter")

    def message(self, text: str) -> Locator:
        return self.page.locator("#messages li.msg").filter(has_text=text)


def new_person(browser: Browser, server: Server, nickname: str, *, locale: str = "zh-CN") -> Person:
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    page = context.new_page()
    name = f"u{secrets.token_hex(4)}"
    person = Person(context=context, page=page, server=server, username=name, nickname=nickname)
    page.on("console", lambda m: person.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: person.errors.append(str(e)))
    return person
