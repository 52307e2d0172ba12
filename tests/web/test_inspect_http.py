"""The inspection console over HTTP (R-3-1, R-13.1-4): an administrator issues a regulator's access from
/staff/regulators and sees the initial password once; the official signs in, sees the groups in scope and their
messages with the held ones marked, is refused a group outside it, searches and downloads the log; the pages have
no form that changes anything; once revoked, the session ends and sign-in says why."""

from __future__ import annotations

import html
import re
import secrets
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.web.test_hostile_forms_http import Person, web  # noqa: F401  (the `web` fixture)


def _text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def _csrf(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


async def _group(owner: Person, name: str, category: str) -> str:
    r = await owner.submit("/groups/new", "/groups/new", name=name, category=category, duties="1")
    return str(r.headers["location"].rsplit("/", 1)[1])


async def _post(owner: Person, code: str, text: str) -> None:
    csrf = _csrf((await owner.c.get("/me")).text)
    r = await owner.c.post(f"/api/v1/groups/{code}/messages", json={"text": text, "client_msg_id": secrets.token_hex(8)},
                           headers={"X-CSRF-Token": csrf})  # fmt: skip
    assert r.status_code == 201, r.text


def _day(days: int) -> str:
    return (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=days)).date().isoformat()


async def test_an_admin_issues_access_and_the_regulator_inspects_read_only(web: Any) -> None:  # noqa: F811
    owner: Person = await web()
    inside, outside = await _group(owner, "社区互助群", "interest"), await _group(owner, "另一个群", "work")
    await _post(owner, inside, "大家好")
    await _post(owner, inside, "QZ-TEST-HOLD 请审核")
    admin: Person = await web("admin")
    page = await admin.c.get("/staff/regulators")
    assert page.status_code == 200 and "监督检查" in _text(page.text) and "尚未开通任何监管账号" in _text(page.text)
    fields = {"username": "zhangjd", "official_name": "张监督", "organisation": "某省网信办",
              "document_number": "网信函〔2026〕7号", "group_codes": inside, "region": "北京市",
              "window_from": _day(-30), "window_to": _day(-31), "expires_at": _day(7)}  # fmt: skip
    r = await admin.submit(page, "/staff/regulators", **fields)
    assert r.status_code == 422 and 'id="f-window_to"' in r.text and 'aria-invalid="true"' in r.text
    assert 'value="某省网信办"' in r.text, "the input is kept"
    r = await admin.submit(page, "/staff/regulators", **(fields | {"window_to": _day(30)}))
    assert r.status_code == 200, r.text
    password = re.search(r'id="issued-password">([^<]+)<', r.text).group(1)  # type: ignore[union-attr]
    assert "仅显示这一次" in _text(r.text) and 'data-current="yes"' in r.text
    assert password not in (await admin.c.get("/staff/regulators")).text, "shown once"

    official: Person = await web()
    official.c.cookies.clear()
    r = await official.submit("/login", "/login", username="zhangjd", password=password)
    assert r.status_code == 303, r.text
    home = await official.c.get("/staff/inspect")
    assert home.status_code == 200 and f'data-group="{inside}"' in home.text and outside not in home.text
    assert "暂不生效" in _text(home.text), "the page says the region is not enforced yet"
    assert 'href="/staff/regulators"' not in home.text, "a regulator does not issue access"
    messages = await official.c.get(f"/staff/inspect/groups/{inside}?view=messages")
    assert messages.status_code == 200 and 'data-state="held"' in messages.text and "待审核" in _text(messages.text)
    members = await official.c.get(f"/staff/inspect/groups/{inside}")
    assert f'data-member="{owner.id}"' in members.text and "group.create" in members.text
    refused = await official.c.get(f"/staff/inspect/groups/{outside}?view=messages")
    assert refused.status_code == 403 and "不在你的检查范围内" in _text(refused.text)
    log = await official.c.get("/staff/inspect/log", params={"group": inside})
    assert log.status_code == 200 and "group.create" in log.text and 'id="log-download"' in log.text
    csv = await official.c.get("/staff/inspect/log.csv", params={"group": inside})
    assert csv.status_code == 200 and "group.create" in csv.content.decode("utf-8-sig")
    for page_text in (home.text, messages.text, members.text, log.text):
        posts = re.findall(r'<form method="post" action="([^"]+)"', page_text)
        assert posts == ["/logout"], "the inspection pages change nothing (signing out aside)"

    listed = await admin.c.get("/staff/regulators")
    user_id = re.search(r'data-regulator="(\d+)"', listed.text).group(1)  # type: ignore[union-attr]
    r = await admin.submit(listed, f"/staff/regulators/{user_id}/revoke")
    assert r.status_code == 303 and r.headers["location"] == "/staff/regulators?done=revoked"
    assert 'data-current="no"' in (await admin.c.get("/staff/regulators")).text
    after = await official.c.get("/staff/inspect")
    assert after.status_code == 303 and after.headers["location"].startswith("/login"), "the session has ended"
    r = await official.submit("/login", "/login", username="zhangjd", password=password)
    assert r.status_code in (401, 403, 422) and "已到期或已被撤销" in _text(r.text)


async def test_only_inspecting_roles_open_the_pages(web: Any) -> None:  # noqa: F811
    reviewer: Person = await web("reviewer")
    for path in ("/staff/inspect", "/staff/inspect/log", "/staff/regulators"):
        assert (await reviewer.c.get(path)).status_code == 403, path
    officer: Person = await web("compliance_officer")
    assert (await officer.c.get("/staff/inspect")).status_code == 200
    assert "不受范围限制" in _text((await officer.c.get("/staff/inspect")).text)
    assert (await officer.c.get("/staff/regulators")).status_code == 403
    bad = await officer.c.get("/staff/inspect/log", params={"actor_id": "abc"})
    assert bad.status_code == 422
