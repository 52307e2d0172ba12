"""The web pages over plain HTTP against the real server: headers, errors, CSRF, cookies, escaping."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator

import httpx
import pytest
from tests.web.browser import PASSWORD
from tests.web.server import Server, random_mobile


@pytest.fixture
def web(web_server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=web_server.base, timeout=20, headers={"Accept-Language": "zh-CN"}) as c:
        c.server = web_server  # type: ignore[attr-defined]
        yield c


def form_csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the form has no CSRF field"
    return found.group(1)


def sign_up_form(html: str, username: str, nickname: str, password: str = PASSWORD) -> dict[str, str]:
    """The sign-up form filled in, with the agreement box ticked for the versions the page shows."""
    versions = dict(re.findall(r'name="(version_\w+)" value="(\d+)"', html))
    assert set(versions) == {"version_agreement", "version_privacy"}
    return {"username": username, "password": password, "nickname": nickname, "accept": "1",
            "csrf": form_csrf(html), **versions}  # fmt: skip


def sign_up_and_in(web: httpx.Client, nickname: str = "小李", *, verify: bool = True) -> str:
    username = f"w{secrets.token_hex(4)}"
    r = web.post("/signup", data=sign_up_form(web.get("/signup").text, username, nickname))
    assert r.status_code == 303, r.text
    token = form_csrf(web.get(r.headers["location"]).text)
    r = web.post("/login", data={"username": username, "password": PASSWORD, "csrf": token})
    assert r.status_code == 303 and r.headers["location"] == "/groups"
    if verify:
        page = web.get("/groups").text
        csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
        assert csrf
        headers = {"X-CSRF-Token": csrf.group(1)}
        phone = random_mobile()
        r = web.post("/api/v1/me/verification/phone", json={"phone": phone}, headers=headers)
        assert r.status_code == 202, r.text
        code = web.server.sms_code(phone)  # type: ignore[attr-defined]
        r = web.post("/api/v1/me/verification/phone/confirm", json={"code": code}, headers=headers)
        assert r.status_code == 200, r.text
    return username


def test_pages_carry_a_strict_content_security_policy(web: httpx.Client) -> None:
    r = web.get("/")
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "connect-src 'self' ws: wss:" in csp
    assert "unsafe-inline" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", r.text), "no inline event handlers"
    assert not re.search(r"<script(?![^>]*(src=|application/json))", r.text), "no inline scripts"


def test_unknown_web_paths_get_an_html_404_and_api_paths_keep_json(web: httpx.Client) -> None:
    page = web.get("/no/such/page")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "页面不存在" in page.text
    api = web.get("/api/v1/no-such-thing")
    assert api.status_code == 404
    assert api.json()["error"]["code"] == "not_found"
    assert web.get("/healthz").headers["content-type"].startswith("application/json")
    assert web.get("/readyz").status_code == 200
    metrics = web.get("/metrics")  # not on the public listener without the metrics token: JSON 404, never a page
    assert metrics.status_code == 404 and metrics.json()["error"]["code"] == "not_found"
    paths = web.get("/openapi.json").json()["paths"]
    assert all(p.startswith(("/api/", "/healthz", "/readyz", "/metrics")) for p in paths)


def test_an_anonymous_form_without_its_csrf_cookie_is_refused(web_server: Server) -> None:
    with httpx.Client(base_url=web_server.base) as fresh:
        r = fresh.post("/login", data={"username": "someone", "password": "whatever-123", "csrf": "forged"})
    assert r.status_code == 422
    assert "页面已过期" in r.text
    assert 'value="someone"' in r.text


def test_a_refused_sign_up_keeps_the_input_but_never_the_password(web: httpx.Client) -> None:
    secret = "aaaaaaaaaaaa"
    r = web.post("/signup", data=sign_up_form(web.get("/signup").text, "keepme_1", "保留我", secret))
    assert r.status_code == 422
    assert "密码太容易被猜到" in r.text and "重复很容易被猜到" in r.text  # zxcvbn's hint, in Chinese
    assert 'value="keepme_1"' in r.text and 'value="保留我"' in r.text
    assert secret not in r.text
    assert re.search(r'name="accept" value="1" required checked', r.text)


def test_sign_up_needs_the_agreement_and_the_privacy_policy(web: httpx.Client) -> None:
    form = sign_up_form(web.get("/signup").text, f"n{secrets.token_hex(4)}", "没勾选")
    del form["accept"]
    r = web.post("/signup", data=form)
    assert r.status_code == 422
    assert "请先阅读并同意" in r.text
    assert 'href="/documents/agreement"' in r.text and 'href="/documents/privacy"' in r.text
    doc = web.get("/documents/agreement")
    assert doc.status_code == 200 and "用户服务协议" in doc.text
    assert web.get("/documents/nothing").status_code == 404


def test_the_session_cookie_is_httponly_lax_and_expires(web: httpx.Client) -> None:
    username = f"c{secrets.token_hex(4)}"
    web.post("/signup", data=sign_up_form(web.get("/signup").text, username, "饼干"))
    token = form_csrf(web.get("/login").text)
    r = web.post("/login", data={"username": username, "password": PASSWORD, "csrf": token})
    cookies = [v for k, v in r.headers.multi_items() if k == "set-cookie"]
    cookie = next(v for v in cookies if v.startswith("qunzu_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert f"Max-Age={7 * 24 * 3600}" in cookie  # auth.web_session_ttl_hours (default 7 days)


def test_sign_out_needs_the_page_token(web: httpx.Client) -> None:
    sign_up_and_in(web, verify=False)
    assert web.post("/logout", data={"csrf": "forged"}).status_code == 403
    assert web.get("/groups").status_code == 200  # still signed in
    r = web.post("/logout", data={"csrf": form_csrf(web.get("/groups").text)})
    assert r.status_code == 303
    assert web.get("/groups").headers["location"].startswith("/login?next=/groups")


def test_user_text_is_escaped_in_pages(web: httpx.Client) -> None:
    sign_up_and_in(web, nickname="<img src=x>")
    page = web.get("/groups").text
    assert "<img src=x>" not in page and "&lt;img src=x&gt;" in page
    token = form_csrf(page)
    r = web.post("/groups/new", data={"name": "<b>群</b>", "category": "work", "duties": "1", "csrf": token})
    assert r.status_code == 303
    chat = web.get(r.headers["location"]).text
    assert "<b>群</b>" not in chat and "&lt;b&gt;群&lt;/b&gt;" in chat
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", chat), "no inline event handlers"
    assert not re.search(r"<script(?![^>]*(src=|application/json))", chat), "no inline scripts"
    page_data = re.search(r'<script type="application/json" id="page-data">(.*?)</script>', chat, re.S)
    assert page_data and "<" not in page_data.group(1)  # JSON for scripts is escaped too


def test_the_language_switch_remembers_english_and_never_leaves_the_site(web: httpx.Client) -> None:
    r = web.get("/lang/en", params={"next": "//evil.example/"})
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert web.get("/").text.count('lang="en"') >= 1
    assert "Sign in" in web.get("/login").text
    web.get("/lang/zh-CN", params={"next": "/login"})
    assert "登录" in web.get("/login").text


def test_a_group_page_for_a_non_member_offers_to_join_and_a_bad_code_is_404(web: httpx.Client) -> None:
    sign_up_and_in(web)
    token = form_csrf(web.get("/groups/new").text)
    created = web.post("/groups/new", data={"name": "开放群", "category": "study", "duties": "1", "csrf": token})
    code = created.headers["location"]
    web.post("/logout", data={"csrf": token})
    sign_up_and_in(web, nickname="路人")
    page = web.get(code)
    assert page.status_code == 200 and "加入群组" in page.text and "composer" not in page.text
    assert web.get("/g/1234567890").status_code == 404
    assert web.get("/g/not-a-code").status_code == 404
    r = web.post("/groups/join", data={"code": "123 456 7891", "csrf": form_csrf(page.text)})
    assert r.status_code == 422 and "群组编码有误" in r.text and 'value="123 456 7891"' in r.text
