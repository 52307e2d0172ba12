"""The web forms under throttling and the password rules: the sign-in form names the wait, the sign-up form shows
why a password is weak, and the account page shows the notice of a lock. In-process, on both databases."""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from qunzu.app import create_app
from qunzu.clock import ManualClock

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
PASSWORD = "tricky lantern 47 orbit"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"throttle": {"login_per_account": {"limit": 10, "window_seconds": 60}, "lockout_periods_seconds": [300]}}


@pytest.fixture
async def web(container: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(container, with_web=True)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
def clock() -> Any:
    """The container's clock, standing at T0 until a test moves it."""
    return ManualClock(T0)


def csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found
    return found.group(1)


async def sign_up(web: httpx.AsyncClient, username: str, password: str, lang: str = "zh-CN") -> httpx.Response:
    page = (await web.get("/signup", headers={"Accept-Language": lang})).text
    versions = dict(re.findall(r'name="(version_\w+)" value="(\d+)"', page))
    form = {"username": username, "password": password, "nickname": username, "accept": "1", "csrf": csrf(page)}
    return await web.post("/signup", data=form | versions, headers={"Accept-Language": lang})


async def sign_in(web: httpx.AsyncClient, username: str, password: str, lang: str = "zh-CN") -> httpx.Response:
    page = (await web.get("/login", headers={"Accept-Language": lang})).text
    form = {"username": username, "password": password, "csrf": csrf(page)}
    return await web.post("/login", data=form, headers={"Accept-Language": lang})


async def test_the_sign_up_form_says_how_to_choose_a_password_and_why_one_is_weak(web: httpx.AsyncClient) -> None:
    page = (await web.get("/signup", headers={"Accept-Language": "en"})).text
    assert "At least 8 characters; avoid common words and patterns" in page
    r = await sign_up(web, "zhangsan", "zhangsan2024")
    assert r.status_code == 422
    assert "密码太容易被猜到：再加一两个词，不常见的词更好。" in r.text
    assert 'aria-invalid="true"' in r.text and "至少 8 个字符；避免常见单词和规律" in r.text
    r = await sign_up(web, "zhangsan", "password", lang="en")
    assert "This password is too easy to guess: This is a top-10 common password." in r.text


async def test_the_sign_in_form_names_the_wait_of_a_lock_and_the_account_page_the_notice(
    web: httpx.AsyncClient, clock: Any
) -> None:
    username = f"w{secrets.token_hex(4)}"
    assert (await sign_up(web, username, PASSWORD)).status_code == 303
    for _ in range(9):
        assert (await sign_in(web, username, "wrong-password-1")).status_code == 401
    r = await sign_in(web, username, "wrong-password-1")
    assert r.status_code == 429 and r.headers["Retry-After"] == "300"
    assert "尝试次数过多，请在 5 分钟后再试" in r.text
    r = await sign_in(web, username, PASSWORD, lang="en")
    assert r.status_code == 429 and "Too many attempts; try again in 5 min" in r.text

    clock.advance(timedelta(minutes=5))
    assert (await sign_in(web, username, PASSWORD)).status_code == 303
    page = (await web.get("/me", headers={"Accept-Language": "zh-CN"})).text
    assert "账号通知" in page and "因连续 10 次登录失败（来源 IP 203.0.113.*）" in page and "16:05" in page
    form = re.search(r'action="(/me/notices/\d+/read)"', page)
    assert form
    r = await web.post(form.group(1), data={"csrf": csrf(page.split('id="notices"')[1])})
    assert r.status_code == 303
    assert "标为已读" not in (await web.get("/me")).text


async def test_a_second_code_too_soon_is_a_wait_on_the_verification_page(web: httpx.AsyncClient, clock: Any) -> None:
    from tests.conftest import random_mobile

    username = f"v{secrets.token_hex(4)}"
    assert (await sign_up(web, username, PASSWORD)).status_code == 303
    assert (await sign_in(web, username, PASSWORD)).status_code == 303
    phone = random_mobile()
    page = (await web.get("/me/verify")).text
    first = await web.post("/me/verify/phone", data={"phone": phone, "csrf": csrf(page)})
    assert first.status_code in (200, 303), first.text[:300]
    page = (await web.get("/me/verify")).text
    again = await web.post("/me/verify/phone", data={"phone": phone, "csrf": csrf(page)})
    assert again.status_code == 429, "a refusal that is a wait answers 429, like the API"
    assert "请在" in again.text or "秒" in again.text
