"""The account, documents and staff pages over plain HTTP: access control, CSRF, what is shown masked."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from tests.web.browser import PASSWORD
from tests.web.server import Server, create_staff
from tests.web.test_pages_http import form_csrf, sign_up_and_in

STAFF_PAGES = ["/staff", "/staff/users/1", "/staff/pii-access", "/staff/verifications", "/staff/outbox",
               "/staff/documents"]  # fmt: skip


@pytest.fixture
def web(web_server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=web_server.base, timeout=20, headers={"Accept-Language": "zh-CN"}) as c:
        c.server = web_server  # type: ignore[attr-defined]
        yield c


@contextmanager
def staff_client(server: Server, role: str) -> Iterator[httpx.Client]:
    """A staff member made with `qunzu admin create`, signed in through the form."""
    name = f"{role[:5]}{secrets.token_hex(3)}"
    create_staff(server, name, role, PASSWORD)
    with httpx.Client(base_url=server.base, timeout=20, headers={"Accept-Language": "zh-CN"}) as c:
        r = c.post("/login", data={"username": name, "password": PASSWORD, "csrf": form_csrf(c.get("/login").text)})
        assert r.status_code == 303
        yield c


def test_staff_pages_send_strangers_to_sign_in_and_refuse_non_staff(web: httpx.Client) -> None:
    for path in STAFF_PAGES:
        r = web.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), path
    sign_up_and_in(web)
    for path in STAFF_PAGES:
        r = web.get(path)
        assert r.status_code == 403 and "没有访问权限" in r.text, path
    r = web.post("/staff/users/1/reveal", data={"fields": "name", "purpose": "x" * 12, "case_number": "A1",
                                                 "csrf": form_csrf(web.get("/me").text)})  # fmt: skip
    assert r.status_code == 403


def test_each_staff_role_sees_only_its_pages(web_server: Server) -> None:
    with staff_client(web_server, "reviewer") as reviewer:
        assert reviewer.get("/staff/verifications").status_code == 200
        assert reviewer.get("/staff/pii-access").status_code == 403
        assert reviewer.get("/staff/documents").status_code == 403
        assert reviewer.get("/staff/outbox").status_code == 403  # live one-time codes: administrators only
        page = reviewer.get("/staff/users/1")
        assert page.status_code == 200 and "reveal-form" not in page.text
        assert "北京时间（UTC+8）" in page.text  # the times on staff pages say which zone they are in
        r = reviewer.post("/staff/users/1/reveal", data={"fields": "name", "purpose": "依法调查核实身份信息",
                                                         "case_number": "A1", "csrf": form_csrf(page.text)})  # fmt: skip
        assert r.status_code == 403
    with staff_client(web_server, "compliance_officer") as officer:
        assert officer.get("/staff/pii-access").status_code == 200
        assert "reveal-form" in officer.get("/staff/users/1").text
        assert officer.get("/staff/documents").status_code == 403
    with staff_client(web_server, "admin") as admin:
        assert admin.get("/staff/documents").status_code == 200
        assert admin.get("/staff/documents?kind=nothing").status_code == 404
        assert admin.get("/staff/users/99999999").status_code == 404


def test_the_new_forms_need_the_page_token(web: httpx.Client) -> None:
    sign_up_and_in(web, verify=False)
    forged = {"csrf": "forged"}
    r = web.post("/me/nickname", data={"nickname": "改名", **forged})
    assert r.status_code == 422 and "页面已过期" in r.text
    r = web.post("/me/verify/phone", data={"phone": "13812345678", **forged})
    assert r.status_code == 422 and "页面已过期" in r.text
    r = web.post("/me/verify/code", data={"code": "123456", **forged})
    assert r.status_code == 422 and "页面已过期" in r.text
    r = web.post("/me/verify/id", files={"name": (None, "张三"), "id_number": (None, "110105194912310021"),
                                          "csrf": (None, "forged")})  # fmt: skip
    assert r.status_code == 422 and "页面已过期" in r.text
    r = web.post("/me/agreements/accept", data={"kind": "agreement", "version": "1", **forged})
    assert r.status_code == 403
    r = web.post("/me/cancel", data={"password": PASSWORD, "confirm": "1", **forged})
    assert r.status_code == 422 and "页面已过期" in r.text
    assert web.get("/me").status_code == 200  # still signed in, nothing changed


def test_staff_forms_need_the_page_token(web_server: Server) -> None:
    with staff_client(web_server, "admin") as admin:
        forged = {"csrf": "forged"}
        r = admin.post("/staff/users/1/lapse", data={"reason": "号码已被运营商回收", **forged})
        assert r.status_code == 422 and "页面已过期" in r.text
        r = admin.post("/staff/documents/agreement", data={"title_zh": "x", **forged})
        assert r.status_code == 422 and "页面已过期" in r.text
        r = admin.post("/staff/verifications/1/decide", data={"decision": "approve", **forged})
        assert r.status_code == 422 and "页面已过期" in r.text


def test_account_pages_need_sign_in_and_cancellation_needs_confirmation(web: httpx.Client) -> None:
    for path in ("/me", "/me/verify", "/me/agreements", "/me/data"):
        assert web.get(path).headers["location"].startswith("/login?next="), path
    sign_up_and_in(web)
    token = form_csrf(web.get("/me/data").text)
    r = web.post("/me/cancel", data={"password": PASSWORD, "csrf": token})
    assert r.status_code == 422 and "请勾选确认框" in r.text
    created = web.post("/groups/new", data={"name": "我的群", "category": "work", "duties": "1", "csrf": token})
    code = created.headers["location"].rsplit("/", 1)[1]
    r = web.post("/me/cancel", data={"password": PASSWORD, "confirm": "1", "csrf": token})
    assert r.status_code == 409 and f'href="/g/{code}/settings/owner"' in r.text
    export = web.get("/api/v1/me/export")
    assert export.status_code == 200 and "attachment" in export.headers["content-disposition"]


def test_documents_are_public_with_versions_and_a_footer_everywhere(web: httpx.Client) -> None:
    index = web.get("/documents")
    assert index.status_code == 200
    for kind in ("agreement", "convention", "group_rules", "privacy", "report_guide"):
        assert f'href="/documents/{kind}"' in index.text
        assert f'href="/documents/{kind}"' in web.get("/login").text  # the footer
    doc = web.get("/documents/privacy?version=1")
    assert doc.status_code == 200 and 'id="versions"' in doc.text
    assert web.get("/documents/privacy?version=999").status_code == 404
    assert web.get("/documents/privacy?version=abc").status_code == 404


def test_unverified_create_links_to_the_verification_page(web: httpx.Client) -> None:
    sign_up_and_in(web, verify=False)
    page = web.get("/groups/new")
    assert 'id="banner-verify"' in page.text
    r = web.post("/groups/new", data={"name": "新群", "category": "work", "csrf": form_csrf(page.text)})
    assert r.status_code == 422 and 'href="/me/verify"' in r.text
