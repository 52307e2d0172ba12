"""Screenshots of every page at desktop and phone widths, for a design review (not a test).

    .venv/bin/python -m tests.web.screenshots [out_dir]      # default /tmp/qunzu-shots
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import httpx
from playwright.sync_api import Page, sync_playwright
from tests.web.browser import PASSWORD, launch, new_person
from tests.web.server import Server, random_mobile, running_server

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


def shoot(page: Page, out: Path, name: str) -> None:
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        page.wait_for_timeout(150)
        page.screenshot(path=str(out / f"{name}-{size}.png"))


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
            "button", name="设为管理员"
        ).click()
        me.page.wait_for_timeout(400)
        shoot(me.page, out, "members")

        me.page.get_by_role("link", name="EN").click()
        me.goto(f"/g/{code}")
        me.wait_live()
        shoot(me.page, out, "chat-en")
        me.goto("/groups")
        shoot(me.page, out, "groups-en")
        browser.close()
    print(f"screenshots in {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/qunzu-shots"))
