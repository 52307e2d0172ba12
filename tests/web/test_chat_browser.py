"""The web UI in headless Chromium against a real server process: what two people see in one group."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import WebSocketRoute, expect
from tests.web.browser import PASSWORD, Person

pytestmark = pytest.mark.browser
MakePerson = Callable[..., Person]


def _group_of_two(person: MakePerson) -> tuple[Person, Person, str]:
    """Two people sign up in their own browsers; the first creates a group, the second joins by its code."""
    owner = person("林晓")
    guest = person("周周")
    owner.sign_up()
    guest.sign_up()
    code = owner.create_group("读书会")
    display = f"{code[:3]} {code[3:6]} {code[6:]}"
    expect(owner.page.locator("#group-code")).to_have_text(display)
    guest.join(display)
    return owner, guest, code


def test_a_message_from_one_person_appears_live_for_the_other(person: MakePerson) -> None:
    owner, guest, code = _group_of_two(person)
    owner.goto(f"/g/{code}")
    owner.wait_live()
    guest.wait_live()

    guest.send("大家好，我是周周 👋")
    arrived = owner.message("大家好，我是周周 👋")
    expect(arrived).to_be_visible()  # no reload: it came over the WebSocket
    expect(arrived.locator(".msg-name")).to_have_text("周周")

    owner.send("欢迎加入！")
    mine_seen_by_guest = guest.message("欢迎加入！")
    expect(mine_seen_by_guest).to_be_visible()
    expect(mine_seen_by_guest.locator(".badge")).to_have_text("群主")
    expect(owner.page.locator("#member-count")).to_have_text("2 人")
    expect(owner.page.locator("#announcer")).to_have_attribute("aria-live", "polite")

    # A reload shows the same history, once each, in order.
    guest.page.reload()
    texts = guest.page.locator("#messages li.msg .msg-text")
    expect(texts).to_have_text(["大家好，我是周周 👋", "欢迎加入！"])
    assert owner.errors == [] and guest.errors == []  # no script errors, nothing refused by the CSP


def test_deleting_a_message_shows_the_placeholder_live_for_the_other(person: MakePerson) -> None:
    owner, guest, code = _group_of_two(person)
    owner.goto(f"/g/{code}")
    owner.wait_live()
    guest.wait_live()
    guest.send("<b>发错群了</b>")
    seen = owner.message("<b>发错群了</b>")
    expect(seen).to_be_visible()
    expect(seen.locator("b")).to_have_count(0)  # user text is text, never markup

    seen_id = seen.get_attribute("data-id")
    mine = guest.message("<b>发错群了</b>")
    mine.hover()
    mine.get_by_role("button", name="删除").click()
    guest.page.locator("dialog").get_by_role("button", name="删除").click()

    placeholder = owner.page.locator(f"#messages li.msg.deleted[data-id='{seen_id}']")
    expect(placeholder).to_contain_text("此消息已被删除")
    expect(owner.message("<b>发错群了</b>")).to_have_count(0)
    expect(guest.page.locator("#messages li.msg.deleted")).to_contain_text("此消息已被删除")


def accept_offer(p: Person) -> None:
    """On 我的群组, accept the waiting role offer with the 群主责任告知书 (R-9.1-1)."""
    p.goto("/groups")
    offer = p.page.locator("#pending-offers")
    offer.get_by_label("我已阅读并接受").check()
    offer.get_by_role("button", name="接受").click()
    expect(p.page.get_by_role("status").filter(has_text="新的身份已生效")).to_be_visible()


def test_member_list_shows_role_labels_and_the_owner_appoints_a_manager(person: MakePerson) -> None:
    owner, guest, code = _group_of_two(person)
    third = person("小王")
    third.sign_up()
    third.join(f"{code[:3]} {code[3:6]} {code[6:]}")

    owner.goto(f"/g/{code}/members")
    rows = owner.page.locator("#member-list li.member-row")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("林晓")
    expect(rows.nth(0).locator(".badge")).to_have_text("群主")
    expect(owner.page.locator("#member-count")).to_have_text("共 3 人")

    rows.filter(has_text="周周").get_by_role("button", name="邀请担任管理员").click()
    expect(owner.page.locator("#members-notice")).to_contain_text("周周")
    expect(rows.filter(has_text="周周").locator(".badge")).to_have_text("成员")  # no powers until accepted
    accept_offer(guest)
    expect(rows.nth(1)).to_contain_text("周周")  # live, over the WebSocket
    expect(rows.nth(1).locator(".badge")).to_have_text("管理员")
    expect(rows.nth(2).locator(".badge")).to_have_text("成员")

    # The member sees the same labels, no owner tools, and can leave; the owner's count follows live.
    third.goto(f"/g/{code}/members")
    theirs = third.page.locator("#member-list li.member-row")
    expect(theirs.locator(".badge")).to_have_text(["群主", "管理员", "成员"])
    expect(third.page.get_by_role("button", name="邀请担任管理员")).to_have_count(0)
    third.page.get_by_role("button", name="退出群组").click()
    third.page.locator("dialog").get_by_role("button", name="退出群组").click()
    expect(third.page).to_have_url(re.compile(r"/groups$"))
    expect(owner.page.locator("#member-count")).to_have_text("共 2 人")
    expect(owner.page.get_by_role("button", name="退出群组")).to_be_hidden()

    # The owner hands the group over: the labels swap and the former owner may now leave.
    rows.filter(has_text="周周").get_by_role("button", name="转让群主").click()
    owner.page.locator("dialog").get_by_role("button", name="转让群主").click()
    expect(owner.page.locator("#members-notice")).to_contain_text("周周")
    expect(rows.nth(0)).to_contain_text("林晓")  # the owner until the heir accepts
    accept_offer(guest)
    expect(rows.locator(".badge")).to_have_text(["群主", "成员"])
    expect(rows.nth(0)).to_contain_text("周周")
    expect(owner.page.get_by_role("button", name="退出群组")).to_be_visible()
    expect(owner.page.get_by_role("button", name="邀请担任管理员")).to_have_count(0)


def test_the_language_switch_turns_the_pages_to_english(person: MakePerson) -> None:
    visitor = person("访客")
    visitor.goto("/")
    expect(visitor.page.locator("html")).to_have_attribute("lang", "zh-CN")
    visitor.page.get_by_role("link", name="EN").click()
    expect(visitor.page.locator("html")).to_have_attribute("lang", "en")
    expect(visitor.page.get_by_role("heading", level=1)).to_contain_text("One calm place")
    visitor.page.get_by_role("link", name="Sign in").first.click()
    expect(visitor.page.get_by_role("heading", name="Sign in")).to_be_visible()
    visitor.page.get_by_role("link", name="中文").click()
    expect(visitor.page.get_by_role("heading", name="登录")).to_be_visible()


def test_a_wrong_password_is_shown_in_the_form_and_keeps_the_username(person: MakePerson) -> None:
    someone = person("某人")
    someone.sign_up()
    someone.page.get_by_role("button", name="退出登录").click()
    expect(someone.page).to_have_url(re.compile(r"/$"))

    someone.goto("/login")
    someone.page.get_by_label("用户名").fill(someone.username)
    someone.page.get_by_label("密码").fill(PASSWORD + "x")
    someone.page.get_by_role("button", name="登录").click()
    expect(someone.page.get_by_role("alert")).to_have_text("用户名或密码错误")
    expect(someone.page.get_by_label("用户名")).to_have_value(someone.username)
    expect(someone.page.get_by_label("密码")).to_have_value("")
    expect(someone.page.get_by_label("密码")).to_have_attribute("aria-invalid", "true")


def test_after_a_dropped_connection_the_chat_resumes_from_the_last_seq(person: MakePerson) -> None:
    owner, guest, code = _group_of_two(person)
    routes: list[WebSocketRoute] = []
    blocked = {"now": False}

    def through_proxy(ws: WebSocketRoute) -> None:
        if blocked["now"]:
            ws.close(code=1013, reason="try again later")  # the server is "away": the page backs off
            return
        ws.connect_to_server()
        routes.append(ws)

    owner.page.route_web_socket(re.compile(r"/api/v1/ws$"), through_proxy)
    owner.goto(f"/g/{code}")
    owner.wait_live()
    guest.wait_live()
    guest.send("第一条")
    expect(owner.message("第一条")).to_be_visible()

    # The connection drops and stays down while two messages are posted.
    blocked["now"] = True
    routes[-1].close(code=1001, reason="going away")
    expect(owner.page.locator("#conn-status")).to_have_attribute("data-state", "reconnecting")
    guest.send("第二条")
    guest.send("第三条")
    expect(guest.message("第三条").locator(".msg-state")).to_have_count(0)  # acknowledged
    blocked["now"] = False
    owner.wait_live()
    expect(owner.page.locator("#messages li.msg .msg-text")).to_have_text(["第一条", "第二条", "第三条"])

    # The server tells a slow consumer to resume: the page reconnects at once and misses nothing.
    routes[-1].send('{"type": "resume", "reason": "slow_consumer"}')
    routes[-1].close(code=4008, reason="resume")
    guest.send("第四条")
    owner.wait_live()
    expect(owner.page.locator("#messages li.msg .msg-text")).to_have_text(["第一条", "第二条", "第三条", "第四条"])


POST_MANY = """async ([code, n]) => {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  for (let i = 1; i <= n; i++) {
    await fetch(`/api/v1/groups/${code}/messages`, {
      method: "POST",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
      body: JSON.stringify({text: `消息 ${i}`, client_msg_id: `t-${i}`}),
    });
  }
}"""


def test_load_older_brings_the_previous_page_of_history(person: MakePerson) -> None:
    owner = person("林晓")
    owner.sign_up()
    code = owner.create_group("历史群")
    owner.page.evaluate(POST_MANY, [code, 55])
    owner.page.reload()
    texts = owner.page.locator("#messages li.msg .msg-text")
    expect(texts).to_have_count(50)
    expect(texts.first).to_have_text("消息 6")
    owner.page.get_by_role("button", name="加载更早的消息").click()
    expect(texts).to_have_count(55)
    expect(texts.first).to_have_text("消息 1")
    expect(texts.last).to_have_text("消息 55")
    expect(owner.page.get_by_text("这是群组的第一条消息")).to_be_visible()
    expect(owner.page.get_by_role("button", name="加载更早的消息")).to_be_hidden()
