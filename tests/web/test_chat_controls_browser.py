"""The chat controls in headless Chromium (R-9.3-1, R-8.3-4): what a muted member's composer says, the pins bar,
system lines arriving live, and role badges following a role change without a reload."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect
from tests.web.browser import Person
from tests.web.test_chat_browser import _group_of_two

pytestmark = pytest.mark.browser
MakePerson = Callable[..., Person]

API = """async ([method, path, body]) => {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const r = await fetch(path, {method, body: body === null ? undefined : JSON.stringify(body),
    headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf}});
  return [r.status, await r.json().catch(() => null)];
}"""


def call(p: Person, method: str, path: str, body: Any = None) -> Any:
    status, data = p.page.evaluate(API, [method, path, body])
    assert status < 300, (status, data)
    return data


def test_a_muted_member_sees_until_when_live_and_after_a_reload(person: MakePerson) -> None:
    owner, guest, code = _group_of_two(person)
    owner.goto(f"/g/{code}")
    owner.wait_live()
    guest.wait_live()
    guest_id = call(guest, "GET", "/api/v1/me")["id"]
    call(owner, "POST", f"/api/v1/groups/{code}/members/{guest_id}/mute", {"seconds": 3600})
    line = guest.page.locator("#messages li.sysline").filter(has_text="禁言至")
    expect(line).to_contain_text("林晓")
    expect(line).to_contain_text("周周")
    state = guest.page.locator("#composer-state")
    expect(state).to_contain_text("你已被禁言，至")
    expect(guest.page.get_by_label("输入消息")).to_be_disabled()
    guest.page.reload()
    expect(guest.page.locator("#composer-state")).to_contain_text("你已被禁言，至")  # server-rendered, then kept
    expect(guest.page.get_by_label("输入消息")).to_be_disabled()
    # unmuted: the composer opens again, live
    guest.wait_live()
    status, _ = owner.page.evaluate(API, ["DELETE", f"/api/v1/groups/{code}/members/{guest_id}/mute", None])
    assert status == 204
    expect(guest.page.get_by_label("输入消息")).to_be_enabled()
    # mute-all: the member's composer says so; the owner's does not
    call(owner, "PUT", f"/api/v1/groups/{code}/mute-all", {"on": True})
    expect(guest.page.locator("#composer-state")).to_have_text("全员禁言中")
    expect(owner.page.locator("#messages li.sysline").filter(has_text="开启了全员禁言")).to_be_visible()
    expect(owner.page.get_by_label("输入消息")).to_be_enabled()
    call(owner, "PUT", f"/api/v1/groups/{code}/mute-all", {"on": False})
    call(owner, "PUT", f"/api/v1/groups/{code}/slow-mode", {"seconds": 30})
    expect(guest.page.locator("#composer-state")).to_have_text("慢速模式：每 30 秒一条")
    guest.send("慢慢说")
    expect(guest.message("慢慢说")).to_be_visible()
    expect(guest.page.locator("#composer-state")).to_contain_text("秒后可再发")
    assert guest.errors == [] and owner.errors == []


def test_the_owner_pins_a_message_and_everyone_sees_the_bar(person: MakePerson) -> None:
    owner, guest, code = _group_of_two(person)
    owner.goto(f"/g/{code}")
    owner.wait_live()
    guest.wait_live()
    owner.send("周六下午三点图书馆见")
    mine = owner.message("周六下午三点图书馆见")
    expect(mine).to_be_visible()
    mine.hover()
    mine.get_by_role("button", name="置顶").click()
    bar = guest.page.locator("#pins-bar")
    expect(bar).to_be_visible()
    expect(bar).to_contain_text("周六下午三点图书馆见")
    expect(guest.page.locator("#messages li.sysline").filter(has_text="置顶了一条消息")).to_contain_text("群主 林晓")
    expect(guest.message("周六下午三点图书馆见").get_by_role("button", name="置顶")).to_have_count(0)  # members: no
    owner.page.locator("#pins-bar").get_by_role("button", name="取消置顶").click()
    expect(bar).to_be_hidden()
    assert guest.errors == [] and owner.errors == []


def test_r_8_3_4_badges_follow_a_role_change_live(person: MakePerson) -> None:
    owner, guest, code = _group_of_two(person)
    owner.goto(f"/g/{code}")
    owner.wait_live()
    guest.wait_live()
    guest.send("我来帮忙管理")
    seen = owner.message("我来帮忙管理")
    expect(seen).to_be_visible()
    expect(seen.locator(".badge")).to_have_count(0)  # an ordinary member
    guest_id = call(guest, "GET", "/api/v1/me")["id"]
    offer = call(owner, "POST", f"/api/v1/groups/{code}/managers", {"user_id": guest_id})
    docs = call(guest, "GET", "/api/v1/documents")
    duties = next(d["version"] for d in docs if d["kind"] == "owner_duties")
    call(guest, "POST", f"/api/v1/me/offers/{offer['id']}/accept", {"duties_version": duties})
    expect(seen.locator(".badge")).to_have_text("管理员")  # no reload
    call(owner, "DELETE", f"/api/v1/groups/{code}/managers/{guest_id}")
    expect(seen.locator(".badge")).to_have_count(0)
    assert owner.errors == []
