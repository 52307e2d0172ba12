"""群设置 over plain HTTP: who may open and save it, content review and validation on each field, CSRF, and the
announcement (群公告) on the chat page."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest
from tests.web.server import Server
from tests.web.test_pages_http import form_csrf, sign_up_and_in

ANNOUNCEMENT = "本周六下午两点在图书馆三楼集合\n请带上《红楼梦》"


class Group:
    """A group with its owner, a manager, an ordinary member and an outsider, each in their own signed-in client."""

    def __init__(self, stack: ExitStack, server: Server) -> None:
        self.server = server
        self.owner = self._client(stack, "林晓")
        self.manager = self._client(stack, "老王")
        self.member = self._client(stack, "周周")
        self.outsider = self._client(stack, "路人")
        token = form_csrf(self.owner.get("/groups/new").text)
        r = self.owner.post(
            "/groups/new",
            data={
                "name": "读书会",
                "category": "interest",
                "description": "周末一起读书",
                "duties": "1",
                "csrf": token,
            },
        )
        assert r.status_code == 303, r.text
        self.code = r.headers["location"].rsplit("/", 1)[1]
        for c in (self.manager, self.member):
            r = c.post("/groups/join", data={"code": self.code, "csrf": form_csrf(c.get("/groups").text)})
            assert r.status_code == 303, r.text
        manager_id = self.manager.get("/api/v1/me").json()["id"]
        r = self.owner.post(
            f"/api/v1/groups/{self.code}/managers", json={"user_id": manager_id}, headers=_api_csrf(self.owner)
        )
        assert r.status_code == 202, r.text
        duties = next(d["version"] for d in self.owner.get("/api/v1/documents").json() if d["kind"] == "owner_duties")
        r = self.manager.post(
            f"/api/v1/me/offers/{r.json()['id']}/accept",
            json={"duties_version": duties},
            headers=_api_csrf(self.manager),
        )
        assert r.status_code == 200, r.text

    def _client(self, stack: ExitStack, nickname: str) -> httpx.Client:
        c = stack.enter_context(
            httpx.Client(base_url=self.server.base, timeout=30, headers={"Accept-Language": "zh-CN"})
        )
        c.server = self.server  # type: ignore[attr-defined]
        sign_up_and_in(c, nickname)
        return c

    @property
    def settings(self) -> str:
        return f"/g/{self.code}/settings"

    def profile(self) -> dict[str, object]:
        """The group as the JSON API shows it to its owner."""
        r = self.owner.get(f"/api/v1/groups/{self.code}")
        assert r.status_code == 200
        return r.json()  # type: ignore[no-any-return]


@pytest.fixture
def group(web_server: Server) -> Iterator[Group]:
    with ExitStack() as stack:
        yield Group(stack, web_server)


def _api_csrf(c: httpx.Client) -> dict[str, str]:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', c.get("/groups").text)
    assert found
    return {"X-CSRF-Token": found.group(1)}


def _form(page: str, **values: str) -> dict[str, str]:
    """The settings form as the page prefilled it, with some fields changed."""
    current = {
        "name": re.search(r'name="name" type="text" value="([^"]*)"', page),
        "description": re.search(r'name="description"[^>]*>([^<]*)</textarea>', page),
        "announcement": re.search(r'name="announcement"[^>]*>([^<]*)</textarea>', page),
    }
    data = {k: html.unescape(m.group(1)) if m else "" for k, m in current.items()}
    return {**data, "csrf": form_csrf(page), **values}


def _alert(page: str) -> str:
    found = re.search(r'id="form-error"[^>]*>(.*?)</div>', page, re.S)
    assert found, "no form error on the page"
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def test_the_owner_opens_a_prefilled_form_and_saves_an_announcement(group: Group) -> None:
    r = group.owner.get(group.settings)
    assert r.status_code == 200
    page = r.text
    assert 'value="读书会"' in page and ">周末一起读书</textarea>" in page
    assert "最多 1000 个字" in page and "1–30 个字" in page and "最多 500 个字" in page  # the limits as hints
    assert "内容审核" in page and "操作记录" in page  # every change is reviewed and recorded
    assert 'id="f-announcement-since"' not in page  # no announcement yet
    r = group.owner.post(group.settings, data=_form(page, name="读书会·周末场", announcement=ANNOUNCEMENT))
    assert r.status_code == 303 and r.headers["location"] == f"/g/{group.code}?saved=1"
    chat = group.owner.get(r.headers["location"]).text
    assert "群组资料已保存" in chat
    assert "<h1>读书会·周末场</h1>" in chat
    banner = re.search(r'<section class="announcement" id="announcement"([^>]*)>(.*?)</section>', chat, re.S)
    assert banner and "hidden" not in banner.group(1)
    assert "群公告" in banner.group(2) and html.escape(ANNOUNCEMENT, quote=False) in banner.group(2)
    assert re.search(r'<time id="announcement-time" datetime="[^"]+">\d{4}-\d\d-\d\d \d\d:\d\d</time>', chat)
    assert 'id="settings-link"' in chat
    profile = group.profile()
    assert profile["name"] == "读书会·周末场" and profile["announcement"] == ANNOUNCEMENT
    assert profile["description"] == "周末一起读书"  # unchanged
    page = group.owner.get(group.settings).text
    assert "当前群公告发布于" in page  # and its time, on the form


def test_a_manager_saves_and_an_empty_announcement_hides_the_banner(group: Group) -> None:
    page = group.owner.get(group.settings).text
    assert group.owner.post(group.settings, data=_form(page, announcement="先发一条公告")).status_code == 303
    r = group.manager.get(group.settings)
    assert r.status_code == 200 and ">先发一条公告</textarea>" in r.text
    r = group.manager.post(group.settings, data=_form(r.text, description="每周六读一本书", announcement=""))
    assert r.status_code == 303
    profile = group.profile()
    assert profile["description"] == "每周六读一本书" and profile["announcement"] == ""
    chat = group.member.get(f"/g/{group.code}").text
    assert re.search(r'<section class="announcement" id="announcement"[^>]* hidden>', chat)
    assert 'id="settings-link"' in group.manager.get(f"/g/{group.code}").text


def test_an_ordinary_member_gets_403_and_an_outsider_the_not_member_page(group: Group) -> None:
    chat = group.member.get(f"/g/{group.code}").text
    assert 'id="settings-link"' not in chat and "/settings" not in chat
    r = group.member.get(group.settings)
    assert r.status_code == 403 and "只有群主和管理员可以修改群组资料" in r.text
    assert f'href="/g/{group.code}"' in r.text  # back to the chat
    token = form_csrf(group.member.get("/groups").text)
    data = {"name": "被改掉的名字", "description": "", "announcement": "我来发公告", "csrf": token}
    r = group.member.post(group.settings, data=data)
    assert r.status_code == 403 and "只有群主和管理员" in r.text
    r = group.outsider.get(group.settings)
    assert r.status_code == 403 and "你还不是该群成员" in r.text and 'name="announcement"' not in r.text
    r = group.outsider.post(group.settings, data={**data, "csrf": form_csrf(group.outsider.get("/groups").text)})
    assert r.status_code == 403 and "你还不是该群成员" in r.text
    profile = group.profile()
    assert profile["name"] == "读书会" and profile["announcement"] == ""  # nothing changed
    with httpx.Client(base_url=group.server.base, timeout=30) as anonymous:
        r = anonymous.get(group.settings)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
    assert group.owner.get("/g/1234567890/settings").status_code == 404


@pytest.mark.parametrize(
    ("field", "text", "wording"),
    [
        ("announcement", "周末见 QZ-TEST-BLOCK", "群公告含有违规信息（其他）"),
        ("name", "QZ-TEST-HOLD 读书会", "群组名称含有违规信息（其他）"),  # a hold is refused for profile fields too
        ("description", "六合彩交流", "群组简介含有违规信息（赌博）"),
    ],
)
def test_prohibited_text_is_refused_on_its_field_and_changes_nothing(
    group: Group, field: str, text: str, wording: str
) -> None:
    page = group.owner.get(group.settings).text
    changes = {"name": "周末读书会", "announcement": "正常的公告", field: text}
    r = group.owner.post(group.settings, data=_form(page, **changes))
    assert r.status_code == 422
    alert = _alert(r.text)
    assert wording in alert
    assert "QZ-TEST" not in alert and "六合彩" not in alert  # the categories in words, never the matched term
    assert html.escape(text, quote=False) in r.text  # the input is kept for editing
    assert re.search(rf'id="f-{field}" name="{field}"[^>]*aria-invalid="true"', r.text)
    assert r.text.count('aria-invalid="true"') == 1
    profile = group.profile()
    assert profile["name"] == "读书会" and profile["description"] == "周末一起读书"
    assert profile["announcement"] == ""  # the other, acceptable fields were not saved either


def test_refusals_are_in_english_on_an_english_page_and_a_flagged_term_is_published(group: Group) -> None:
    group.owner.cookies.set("qunzu_lang", "en")
    page = group.owner.get(group.settings).text
    assert "Group settings" in page and "Every change is checked by content review" in page
    r = group.owner.post(group.settings, data=_form(page, announcement="QZ-TEST-BLOCK"))
    assert r.status_code == 422
    assert "The announcement contains prohibited content (other)" in _alert(r.text)
    r = group.owner.post(group.settings, data=_form(page, announcement="x" * 1001))
    assert r.status_code == 422 and "1000" in _alert(r.text)
    assert re.search(r'id="f-announcement" name="announcement"[^>]*aria-invalid="true"', r.text)
    group.owner.cookies.set("qunzu_lang", "zh-CN")
    r = group.owner.post(group.settings, data=_form(page, announcement="x" * 1001))
    assert r.status_code == 422 and "群公告最多 1000 个字" in _alert(r.text)
    r = group.owner.post(group.settings, data=_form(page, name=" "))
    assert r.status_code == 422 and "群组名称需为 1–30 个字" in _alert(r.text)
    r = group.owner.post(group.settings, data=_form(page, announcement="QZ-TEST-FLAG 周末见"))
    assert r.status_code == 303  # flagged: published, and queued for a reviewer
    assert group.profile()["announcement"] == "QZ-TEST-FLAG 周末见"


def test_the_form_needs_the_page_token(group: Group) -> None:
    page = group.owner.get(group.settings).text
    for token in ("forged", ""):
        r = group.owner.post(group.settings, data=_form(page, announcement="没有令牌的公告", csrf=token))
        assert r.status_code == 422 and "页面已过期" in _alert(r.text)
        assert ">没有令牌的公告</textarea>" in r.text
    data = _form(page, announcement="没有令牌的公告")
    del data["csrf"]
    assert group.owner.post(group.settings, data=data).status_code == 422
    assert group.profile()["announcement"] == ""
