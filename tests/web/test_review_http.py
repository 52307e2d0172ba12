"""The content review pages over plain HTTP: who may see them, CSRF on their forms, refusals in words, a big lexicon."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from tests.web.server import Server
from tests.web.test_identity_http import staff_client
from tests.web.test_pages_http import form_csrf, sign_up_and_in

REVIEW_PAGES = ["/staff/review", "/staff/review?state=approved", "/staff/lexicon", "/staff/review/test"]
FORGED = {"csrf": "forged"}


@pytest.fixture
def web(web_server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=web_server.base, timeout=30, headers={"Accept-Language": "zh-CN"}) as c:
        c.server = web_server  # type: ignore[attr-defined]
        yield c


def page_csrf(html: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert found
    return found.group(1)


def test_review_pages_send_strangers_to_sign_in_and_refuse_members(web: httpx.Client) -> None:
    for path in REVIEW_PAGES:
        r = web.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), path
    sign_up_and_in(web)
    for path in REVIEW_PAGES:
        r = web.get(path)
        assert r.status_code == 403 and "没有访问权限" in r.text, path
    csrf = page_csrf(web.get("/groups").text)
    posts = {
        "/staff/review/items/1/decide": {"decision": "approve"},
        "/staff/review/test": {"text": "六合彩"},
        "/staff/lexicon/entries": {"term": "蓝莓", "category": "custom", "action": "block"},
        "/staff/lexicon/remove": {"term": "QZ-TEST-FLAG"},
    }
    for path, data in posts.items():
        assert web.post(path, data={**data, "csrf": csrf}).status_code == 403, path
    r = web.post("/staff/lexicon/import", files={"content": (None, "蓝莓"), "csrf": (None, csrf)})
    assert r.status_code == 403
    assert "/staff/review" not in web.get("/groups").text  # no staff link for a member


def test_reviewers_use_every_page_and_compliance_officers_only_read(web_server: Server) -> None:
    with staff_client(web_server, "reviewer") as reviewer:
        home = reviewer.get("/staff").text
        for link in ('href="/staff/review"', 'href="/staff/lexicon"', 'href="/staff/review/test"'):
            assert link in home
        for path in REVIEW_PAGES:
            assert reviewer.get(path).status_code == 200, path
        assert reviewer.get("/staff/review?state=nothing").status_code == 404
        lexicon = reviewer.get("/staff/lexicon").text
        assert 'id="add-entry"' in lexicon and 'id="import-lexicon"' in lexicon and "QZ-TEST-HOLD" in lexicon
    with staff_client(web_server, "compliance_officer") as officer:
        for path in REVIEW_PAGES:
            assert officer.get(path).status_code == 200, path
        lexicon = officer.get("/staff/lexicon").text
        assert 'id="add-entry"' not in lexicon and "不能修改" in lexicon
        r = officer.post("/staff/review/test", data={"text": "六 合 彩", "csrf": page_csrf(lexicon)})
        assert r.status_code == 200 and "六合彩" in r.text and "赌博" in r.text
        r = officer.post(
            "/staff/lexicon/entries",
            data={"term": "蓝莓", "category": "custom", "action": "block", "csrf": page_csrf(lexicon)},
        )
        assert r.status_code == 403


def test_the_review_forms_need_the_page_token(web_server: Server) -> None:
    with staff_client(web_server, "reviewer") as reviewer:
        posts = {
            "/staff/review/items/1/decide": {"decision": "approve"},
            "/staff/review/test": {"text": "六合彩"},
            "/staff/lexicon/entries": {"term": "蓝莓", "category": "custom", "action": "block"},
            "/staff/lexicon/remove": {"term": "QZ-TEST-FLAG"},
        }
        for path, data in posts.items():
            r = reviewer.post(path, data={**data, **FORGED})
            assert r.status_code == 422 and "页面已过期" in r.text, path
        r = reviewer.post("/staff/lexicon/import", files={"content": (None, "蓝莓"), "csrf": (None, "forged")})
        assert r.status_code == 422 and "页面已过期" in r.text
        lexicon = reviewer.get("/staff/lexicon").text
        assert "蓝莓" not in lexicon and "QZ-TEST-FLAG" in lexicon  # nothing changed


def test_a_refused_group_name_names_the_category_in_words(web: httpx.Client) -> None:
    sign_up_and_in(web)
    csrf = form_csrf(web.get("/groups/new").text)
    r = web.post("/groups/new", data={"name": "六合彩交流", "category": "interest", "description": "", "csrf": csrf})
    assert r.status_code == 422
    assert "群组名称含有违规信息（赌博）" in r.text and "gambling" not in r.text
    assert 'value="六合彩交流"' in r.text  # the input is kept for editing
    web.cookies.set("qunzu_lang", "en")
    r = web.post(
        "/groups/new",
        data={"name": "读书会", "category": "interest", "description": "QZ-TEST-BLOCK", "csrf": csrf},
    )
    assert r.status_code == 422 and "The group description contains prohibited content (other)" in r.text


def test_a_big_lexicon_is_paged_and_searchable_and_an_upload_replaces_it(web_server: Server) -> None:
    """Runs last in this module: it replaces the lexicon (keeping the starter entries)."""
    with staff_client(web_server, "reviewer") as reviewer:
        starter = reviewer.get("/api/v1/staff/lexicon/current?format=text").text
        extra = "".join(f"测试词条{i:05d}\tadvertising\tflag\n" for i in range(3000))
        page = reviewer.get("/staff/lexicon").text
        r = reviewer.post(
            "/staff/lexicon/import",
            files={
                "file": ("big.txt", (starter + extra).encode(), "text/plain"),
                "note": (None, "批量导入测试"),
                "csrf": (None, page_csrf(page)),
            },
        )
        assert r.status_code == 303, r.text[-2000:]
        page = reviewer.get(r.headers["location"]).text
        assert "批量导入测试" in page
        count = reviewer.get("/api/v1/staff/lexicon").json()[0]["term_count"]
        assert count >= 3030
        assert f"共 {count} 条，显示第 1–50 条" in page
        assert page.count("<tr>") <= 50 + 60  # one page of entries (plus the history), never all of them
        found = reviewer.get("/staff/lexicon", params={"q": "测试词条0299"}).text
        assert "共 10 条" in found and "测试词条02990" in found
        second = reviewer.get("/staff/lexicon", params={"category": "advertising", "page": "2"}).text
        assert "显示第 51–100 条" in second
        bad = reviewer.post(
            "/staff/lexicon/import",
            files={"content": (None, "好词\tnot-a-category\tblock\n"), "csrf": (None, page_csrf(page))},
        )
        assert bad.status_code == 422 and "词库格式有误" in bad.text
        empty = reviewer.post(
            "/staff/lexicon/import", files={"content": (None, "# 空\n"), "csrf": (None, page_csrf(page))}
        )
        assert empty.status_code == 422 and "空词库" in empty.text
