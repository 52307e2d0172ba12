"""Common and guessable passwords are refused at registration with `weak_password` and a hint (zxcvbn)."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from tests.conftest import Api

from qunzu.context import Ctx
from qunzu.domain.accounts import check_password
from qunzu.services.staff import bootstrap_admin


async def register(api: Api, username: str, password: str, lang: str = "en", nickname: str | None = None) -> Any:
    versions = await api.current_versions()
    return await api.client.post(
        "/api/v1/auth/register",
        json={"username": username, "password": password, "nickname": nickname or username, "accept": versions},
        headers={"Accept-Language": lang},
    )


@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("lisi", "12345678"),
        ("lisi", "password"),
        ("lisi", "qwertyui"),
        ("zhangsan", "zhangsan2024"),
        ("lisi", "11111111"),
    ],
)
async def test_common_and_guessable_passwords_are_refused_with_a_hint(api: Api, username: str, password: str) -> None:
    r = await register(api, username, password)
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "weak_password"
    assert error["details"]["hint"] and error["details"]["hint"] in error["message"]


async def test_the_hint_is_in_chinese_for_zh_cn(api: Api) -> None:
    r = await register(api, "lisi", "password", lang="zh-CN")
    assert r.json()["error"]["message"] == "密码太容易被猜到：这是最常见的 10 个密码之一。"
    assert r.json()["error"]["details"]["hint"] == "This is a top-10 common password."


async def test_a_password_made_of_the_nickname_is_refused(api: Api) -> None:
    r = await register(api, "user_7x2", "Qiaofeng1990", nickname="qiaofeng")
    assert r.status_code == 422 and r.json()["error"]["code"] == "weak_password"


async def test_a_good_passphrase_is_accepted(api: Api) -> None:
    r = await register(api, "zhaoliu", "tricky lantern 47 orbit")
    assert r.status_code == 201, r.text


def test_the_strength_check_can_be_relaxed_but_keeps_the_basic_rules() -> None:
    check_password("qwertyui", min_length=8, username="lisi", min_score=0)
    with pytest.raises(Exception, match="too easy"):
        check_password("aaaaaaaaaa", min_length=8, username="lisi", min_score=0)


def test_a_very_long_password_is_scored_on_its_first_characters() -> None:
    check_password("x9!Lq" * 51, min_length=8, username="lisi")  # 255 characters: no error, no zxcvbn refusal


async def test_the_first_administrators_generated_password_passes(container: Any) -> None:
    username, password = await bootstrap_admin(container.db, container.passwords, ctx=Ctx.system(container.clock.now()))
    assert password is not None
    check_password(password, min_length=8, username=username, nickname="平台管理员")
    for _ in range(50):  # the generator, not just this draw
        check_password(secrets.token_urlsafe(12), min_length=8, username=username)
