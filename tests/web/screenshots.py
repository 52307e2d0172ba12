"""Screenshots of every page at desktop and phone widths, for a design review (not a test).

.venv/bin/python -m tests.web.screenshots [out_dir]      # default /tmp/qunzu-shots
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import httpx
from playwright.sync_api import Browser, Page, sync_playwright
from tests.web.browser import PASSWORD, Person, launch, new_person
from tests.web.server import Server, create_staff, random_mobile, running_server

from qunzu.domain.identity import id_check_char

ID_BODY = "11010519491231002"
ID_NUMBER = ID_BODY + id_check_char(ID_BODY)
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def _api_user(server: Server, username: str, nickname: str) -> dict[str, str]:
    """A verified user made through the JSON API, as bearer headers."""
    base = server.base
    versions = {d["kind"]: d["version"] for d in httpx.get(f"{base}/api/v1/documents").json()}
    accept = {k: versions[k] for k in ("agreement", "privacy")}
    account = {"username": username, "password": PASSWORD, "nickname": nickname, "accept": accept}
    httpx.post(f"{base}/api/v1/auth/register", json=account)
    r = httpx.post(f"{base}/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    h = {"Authorization": f"Bearer {r.json()['access_token']}"}
    phone = random_mobile()
    httpx.post(f"{base}/api/v1/me/verification/phone", json={"phone": phone}, headers=h)
    code = server.sms_code(phone)
    httpx.post(f"{base}/api/v1/me/verification/phone/confirm", json={"code": code}, headers=h)
    return h


def shoot(page: Page, out: Path, name: str, *, full: bool = False) -> None:
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        page.wait_for_timeout(150)
        page.screenshot(path=str(out / f"{name}-{size}.png"), full_page=full)


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, running_server(Path(tmp)) as server, sync_playwright() as pw:
        base = server.base
        browser = launch(pw)
        anon = new_person(browser, server, "访客")
        anon.goto("/")
        shoot(anon.page, out, "welcome")
        anon.goto("/signup")
        shoot(anon.page, out, "signup")
        anon.goto("/login")
        anon.page.get_by_label("用户名").fill("nobody")
        anon.page.get_by_label("密码").fill("wrong-password")
        anon.page.get_by_role("button", name="登录").click()
        shoot(anon.page, out, "login-error")
        anon.goto("/documents/agreement")
        shoot(anon.page, out, "document")
        anon.goto("/no/such/page")
        shoot(anon.page, out, "not-found")

        me = new_person(browser, server, "林晓")
        me.sign_up()
        shoot(me.page, out, "groups-empty")
        me.goto("/groups/new")
        shoot(me.page, out, "group-new")
        code = me.create_group("周末读书会 · 第三季")
        me.create_group("产品设计讨论组", "工作")
        me.create_group("家里人", "亲友")

        friend = _api_user(server, "zhouzhou", "周周")
        other = _api_user(server, "xiaowang", "小王")
        for h in (friend, other):
            httpx.post(f"{base}/api/v1/groups/{code}/join", headers=h)
        lines = [
            (friend, "大家好！这周读到第几章了？"),
            (other, "第三章刚读完，关于「沉默的螺旋」那一节很有意思。"),
            (other, "周五晚上八点线上讨论吗？"),
            (friend, "可以！我来整理讨论提纲 📚"),
        ]
        for i, (h, text) in enumerate(lines):
            body = {"text": text, "client_msg_id": f"s{i}"}
            httpx.post(f"{base}/api/v1/groups/{code}/messages", headers=h, json=body)
        me.goto("/groups")
        shoot(me.page, out, "groups")
        me.goto(f"/g/{code}")
        me.wait_live()
        me.send("好的，周五见 👋\n我会提前把第四章的问题发到群里。")
        me.page.wait_for_timeout(300)
        body = {"text": "发错了", "client_msg_id": "s9"}
        r = httpx.post(f"{base}/api/v1/groups/{code}/messages", headers=other, json=body)
        httpx.delete(f"{base}/api/v1/groups/{code}/messages/{r.json()['id']}", headers=other)
        me.page.wait_for_timeout(300)
        shoot(me.page, out, "chat")
        me.goto(f"/g/{code}/members")
        me.page.locator("#member-list li").first.wait_for()
        me.page.locator("#member-list li.member-row").filter(has_text="周周").get_by_role(
            "button", name="邀请担任管理员"
        ).click()
        me.page.wait_for_timeout(400)
        shoot(me.page, out, "members")

        _settings_pages(out, me, code)
        _review_pages(browser, server, out, me, code, friend)
        _identity_pages(browser, server, out)

        me.page.get_by_role("link", name="EN").click()
        me.goto(f"/g/{code}")
        me.wait_live()
        shoot(me.page, out, "chat-en")
        me.goto("/groups")
        shoot(me.page, out, "groups-en")
        browser.close()
    print(f"screenshots in {out}")


def _identity_pages(browser: Browser, server: Server, out: Path) -> None:
    """The documents, account, verification and staff pages (issue 3)."""
    anon = new_person(browser, server, "访客")
    anon.goto("/documents")
    shoot(anon.page, out, "documents")
    new = new_person(browser, server, "陈晨")
    new.sign_up(verify=False)
    new.goto("/me")
    shoot(new.page, out, "me-unverified")
    new.goto("/me/verify")
    shoot(new.page, out, "verify-phone")
    new.page.get_by_label("手机号").fill(random_mobile())
    new.page.get_by_role("button", name="获取验证码").click()
    shoot(new.page, out, "verify-code")
    new.page.get_by_label("验证码").fill(new.page.locator("#dev-code-value").inner_text())
    new.page.get_by_role("button", name="验证", exact=True).click()
    shoot(new.page, out, "verify-id")
    new.page.get_by_label("真实姓名").fill("陈晨")
    new.page.get_by_label("居民身份证号").fill(ID_NUMBER)
    new.page.get_by_role("button", name="提交核验").click()
    new.goto("/me")
    shoot(new.page, out, "me-verified")
    new.goto("/me/agreements")
    shoot(new.page, out, "me-agreements")
    new.goto("/me/data")
    shoot(new.page, out, "me-data")

    for username, role in (("officer", "compliance_officer"), ("admin1", "admin")):
        create_staff(server, username, role, PASSWORD)
    officer = new_person(browser, server, "合规")
    _sign_in(officer, "officer")
    officer.goto(f"/staff?q={new.username}")
    shoot(officer.page, out, "staff-search")
    officer.page.locator("#search-results a").first.click()
    shoot(officer.page, out, "staff-user")
    for label in ("手机号", "姓名", "身份证号"):
        officer.page.get_by_label(label, exact=True).check()
    officer.page.get_by_label("查看用途").fill("配合公安机关依法调查，核实账号实际使用人")
    officer.page.get_by_label("案件编号").fill("GA-2024-0815")
    officer.page.get_by_role("button", name="查看并记录").click()
    shoot(officer.page, out, "staff-revealed")
    officer.goto("/staff/pii-access")
    shoot(officer.page, out, "staff-pii")
    officer.goto("/staff/verifications")
    shoot(officer.page, out, "staff-queue")
    officer.goto("/staff/outbox")
    shoot(officer.page, out, "staff-outbox")
    admin = new_person(browser, server, "管理员")
    _sign_in(admin, "admin1")
    admin.goto("/staff/documents?kind=agreement")
    shoot(admin.page, out, "staff-documents")
    admin.page.get_by_label("修订说明（中文）").fill("新增第九条：群组管理员的责任")
    admin.page.get_by_label("修订说明（英文）").fill("Adds article 9: group managers' duties")
    admin.page.get_by_role("button", name="发布新版本").click()
    new.goto("/groups")
    shoot(new.page, out, "agreement-banner")
    new.goto("/documents/agreement")
    shoot(new.page, out, "document-history")
    anon.goto("/staff")
    new.goto("/staff")
    shoot(new.page, out, "staff-forbidden")


def _settings_pages(out: Path, me: Person, code: str) -> None:
    """群设置 (with a refusal) and the chat with its announcement banner (群公告)."""
    me.goto(f"/g/{code}/settings")
    shoot(me.page, out, "group-settings", full=True)
    me.page.get_by_label("群组名称").fill("QZ-TEST-BLOCK 读书会")
    me.page.get_by_role("button", name="保存").click()
    shoot(me.page, out, "group-settings-error", full=True)
    me.page.get_by_label("群组名称").fill("周末读书会 · 第三季")
    me.page.get_by_label("群公告").fill(
        "本周五晚上八点线上讨论第四章，腾讯会议号会提前发在群里。\n"
        "请大家先读完「沉默的螺旋」一节，每人准备一个问题。\n"
        "下周六下午两点在市图书馆三楼集合，一起去看展。"
    )
    me.page.get_by_role("button", name="保存").click()
    me.wait_live()
    shoot(me.page, out, "chat-announcement")


def _review_pages(browser: Browser, server: Server, out: Path, me: Person, code: str, friend: dict[str, str]) -> None:
    """Content review (issue 4): a held message in the author's chat, a refused post, the staff review pages."""
    base = server.base
    for i, text in enumerate(["有人要团购 QZ-TEST-FLAG 吗？", "这个周末 QZ-TEST-HOLD 的活动还有名额"]):
        body = {"text": text, "client_msg_id": f"r{i}"}
        httpx.post(f"{base}/api/v1/groups/{code}/messages", headers=friend, json=body)
    me.goto(f"/g/{code}")
    me.wait_live()
    me.send("第四章的讨论提纲 QZ-TEST-HOLD 已经整理好了")
    me.page.locator("#messages li.msg.held").first.wait_for()
    shoot(me.page, out, "chat-held")
    me.send("今晚六合彩开奖，要不要一起")
    me.page.locator("#chat-error").wait_for()
    shoot(me.page, out, "chat-refused")

    create_staff(server, "reviewer1", "reviewer", PASSWORD)
    rev = new_person(browser, server, "审核员")
    _sign_in(rev, "reviewer1")
    rev.goto("/staff")
    shoot(rev.page, out, "staff-home-review")
    rev.goto("/staff/review")
    shoot(rev.page, out, "staff-review", full=True)
    rev.page.locator("#content-queue li.content-item").filter(has_text="第四章的讨论提纲").get_by_role(
        "button", name="通过 #", exact=False
    ).first.click()
    rev.page.wait_for_timeout(300)
    rev.goto("/staff/review?state=approved")
    shoot(rev.page, out, "staff-review-approved", full=True)
    rev.goto("/staff/lexicon")
    shoot(rev.page, out, "staff-lexicon", full=True)
    form = rev.page.locator("#add-entry")
    form.get_by_label("词条").fill("蓝莓")
    form.get_by_label("类别").select_option("illegal_goods")
    form.get_by_label("修改说明").fill("新增：蓝莓（暗语）")
    form.get_by_role("button", name="添加").click()
    rev.page.wait_for_url(lambda url: "saved=" in url)
    shoot(rev.page, out, "staff-lexicon-added", full=True)
    rev.goto("/staff/review/test")
    rev.page.get_by_label("要检测的文字").fill("今天收到一箱藍 莓，还有六 合 彩和ＱＺ－ＴＥＳＴ－ＦＬＡＧ")
    rev.page.get_by_role("button", name="检测").click()
    shoot(rev.page, out, "staff-review-test", full=True)
    me.goto(f"/g/{code}")
    me.wait_live()
    shoot(me.page, out, "chat-approved")


def _sign_in(p: Person, username: str) -> None:
    p.goto("/login")
    p.page.get_by_label("用户名").fill(username)
    p.page.get_by_label("密码").fill(PASSWORD)
    p.page.get_by_role("button", name="登录").click()
    p.page.wait_for_url(lambda url: "/login" not in url)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/qunzu-shots"))
