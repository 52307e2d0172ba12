"""One error envelope everywhere, with stable codes, in the request's language."""

import pytest


def assert_envelope(r, status: int, code: str) -> None:  # type: ignore[no-untyped-def]
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]


async def test_unknown_path_and_method(client) -> None:
    assert_envelope(await client.get("/api/v1/nope"), 404, "not_found")
    assert_envelope(await client.put("/api/v1/me"), 405, "method_not_allowed")


async def test_validation_errors_use_the_envelope(client) -> None:
    r = await client.post("/api/v1/auth/register", json={"username": 5})
    assert_envelope(r, 422, "validation_failed")
    assert r.json()["error"]["details"]["problems"]
    r = await client.post("/api/v1/auth/register", content=b"not json", headers={"content-type": "application/json"})
    assert_envelope(r, 422, "validation_failed")


async def test_auth_required(client) -> None:
    assert_envelope(await client.get("/api/v1/me"), 401, "auth_required")
    assert_envelope(await client.get("/api/v1/me", headers={"Authorization": "Bearer qz_forged"}), 401, "auth_required")


@pytest.mark.parametrize(("lang", "expected"), [("zh-CN,zh;q=0.9", "请先登录"), ("en-US,en;q=0.8", "Sign-in required")])
async def test_messages_follow_accept_language(client, lang: str, expected: str) -> None:
    r = await client.get("/api/v1/me", headers={"Accept-Language": lang})
    assert r.json()["error"]["message"] == expected
