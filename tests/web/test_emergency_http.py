"""The emergency switches over HTTP (R-5.1-4): an administrator turns "stop sending" on for a group from
/staff/emergency; the group's chat shows the banner with the reason in Chinese and closes the composer, another
group's chat does not; a platform-wide switch shows on every page; turning it off from the page removes the banner.
A compliance officer reads the page without the forms; a reviewer may not open it."""

from __future__ import annotations

import html
import re
from typing import Any

from tests.web.test_hostile_forms_http import Person, web  # noqa: F401  (the `web` fixture)


def _text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


async def _group(owner: Person, name: str) -> str:
    r = await owner.submit("/groups/new", "/groups/new", name=name, category="interest", duties="1")
    assert r.status_code == 303, r.text
    return str(r.headers["location"].rsplit("/", 1)[1])


async def test_an_admin_stops_sending_in_one_group_and_its_chat_says_why(web: Any) -> None:  # noqa: F811
    owner: Person = await web()
    stopped, other = await _group(owner, "读书会"), await _group(owner, "摄影群")
    admin: Person = await web("admin")
    page = await admin.c.get("/staff/emergency")
    assert page.status_code == 200 and 'href="/staff/emergency" aria-current="page"' in page.text
    assert "目前没有开启的应急开关" in _text(page.text)
    r = await admin.submit(page, "/staff/emergency", scope="group", scope_key="", kind="stop_send", reason="处置谣言")
    assert r.status_code == 422 and 'id="f-key"' in r.text and 'aria-invalid="true"' in r.text
    assert "处置谣言" in r.text, "the input is kept"
    r = await admin.submit(page, "/staff/emergency", scope="group", scope_key=stopped, kind="stop_send",
                           reason="处置谣言")  # fmt: skip
    assert r.status_code == 303 and r.headers["location"] == "/staff/emergency?done=on"
    listed = await admin.c.get("/staff/emergency?done=on")
    assert 'data-kind="stop_send"' in listed.text and "暂停发送消息" in _text(listed.text)

    chat = (await owner.c.get(f"/g/{stopped}")).text
    banner = re.search(
        r'<div class="site-banner banner-emergency"[^>]*data-scope="group".*?</div>\s*</div>', chat, re.S
    )
    assert banner is not None and "本群暂停发送消息" in _text(banner.group(0)) and "处置谣言" in banner.group(0)
    assert 'id="composer-text"' in chat and re.search(r'<textarea id="composer-text"[^>]*disabled', chat, re.S)
    assert "暂停发言。原因：处置谣言" in _text(chat)
    assert '"emergency": {' in chat or '"emergency":{' in chat, "the composer script knows why it is closed"
    calm = (await owner.c.get(f"/g/{other}")).text
    assert "banner-emergency" not in calm and not re.search(r'<textarea id="composer-text"[^>]*disabled', calm, re.S)

    switch_id = re.search(r'<tr data-switch="(\d+)"', listed.text).group(1)  # type: ignore[union-attr]
    r = await admin.submit(listed, f"/staff/emergency/{switch_id}/off", reason="已处置")
    assert r.status_code == 303 and r.headers["location"] == "/staff/emergency?done=off"
    history = (await admin.c.get("/staff/emergency")).text
    assert 'data-event="off"' in history and "已处置" in history and 'data-event="on"' in history
    assert "banner-emergency" not in (await owner.c.get(f"/g/{stopped}")).text


async def test_a_platform_switch_shows_on_every_page_and_only_admins_turn_it(web: Any) -> None:  # noqa: F811
    owner: Person = await web()
    admin: Person = await web("admin")
    page = await admin.c.get("/staff/emergency")
    r = await admin.submit(page, "/staff/emergency", scope="platform", kind="read_only", reason="系统升级")
    assert r.status_code == 303
    for path in ("/groups", "/me"):
        text = _text((await owner.c.get(path)).text)
        assert "平台应急处置：全平台只读模式。原因：系统升级" in text, path
    r = await owner.submit("/groups/new", "/groups/new", name="新群", category="interest", duties="1")
    assert r.status_code in (403, 422) and "暂停使用。原因：系统升级" in _text(r.text), "the form says why"
    officer: Person = await web("compliance_officer")
    seen = await officer.c.get("/staff/emergency")
    assert seen.status_code == 200 and "只有管理员可以开启或关闭" in _text(seen.text)
    assert 'action="/staff/emergency"' not in seen.text and "/off" not in seen.text
    reviewer: Person = await web("reviewer")
    assert (await reviewer.c.get("/staff/emergency")).status_code == 403
