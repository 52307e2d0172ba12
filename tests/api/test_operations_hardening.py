"""Hardening of the edges an operator runs: body caps checked before parsing, the role before a large upload is
read, metrics off the public listener, the SMS outbox for administrators only, offline API docs, and a "try again"
page instead of a sign-in redirect while the database is down."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry
from tests.cli.test_cli import qunzu
from tests.compliance.test_art06_identity import staff
from tests.conftest import free_port, make_settings

SMALL_BODY = 64 * 1024


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"server": {"max_body_bytes": SMALL_BODY, "max_upload_bytes": 256 * 1024, "max_lexicon_bytes": 512 * 1024}}


class CountingBody:
    """A request body sent in chunks (no Content-Length), counting how many chunks the server asked for."""

    def __init__(self, chunks: int, size: int = 16 * 1024) -> None:
        self.chunks, self.size, self.sent = chunks, size, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b'{"content": "'
        for _ in range(self.chunks):
            self.sent += 1
            yield b"a" * self.size
        yield b'", "format": "text"}'


async def test_a_declared_body_over_the_cap_is_refused_unread(api: Any) -> None:
    u = await api.user()
    code = await api.create_group(u)
    r = await api.client.post(
        f"/api/v1/groups/{code}/messages",
        content=b"{" + b" " * SMALL_BODY + b"}",
        headers={**api.h(u), "Content-Type": "application/json"},
    )
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "payload_too_large"
    assert r.json()["error"]["details"] == {"max_bytes": SMALL_BODY}


async def test_a_streamed_body_is_cut_off_at_the_cap(api: Any) -> None:
    u = await api.user()
    body = CountingBody(chunks=64)  # 1 MiB, well over the 64 KiB cap, with no Content-Length
    r = await api.client.post("/api/v1/groups", content=body, headers={**api.h(u), "Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"
    assert body.sent < 64, "the server stopped reading once the cap was passed"


async def test_the_id_document_route_takes_a_larger_body_than_the_others(api: Any) -> None:
    u = await api.user()
    big = {"name": "张三", "id_number": "11010519491231002X", "document_base64": "A" * (200 * 1024)}
    r = await api.client.post("/api/v1/me/verification/id", json=big, headers=api.h(u))
    assert r.status_code != 413, "200 KiB is within the upload cap of this route"
    r = await api.client.post("/api/v1/groups", json={"name": "x" * (100 * 1024), "category": "work"}, headers=api.h(u))
    assert r.status_code == 413, "but over the cap of an ordinary route"


async def test_a_member_uploading_a_lexicon_is_refused_before_the_body_is_read(api: Any) -> None:
    u = await api.user()
    body = CountingBody(chunks=24)  # 384 KiB, within the lexicon cap
    r = await api.client.put(
        "/api/v1/staff/lexicon", content=body, headers={**api.h(u), "Content-Type": "application/json"}
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    assert body.sent <= 1, "the role was checked before the upload was read"


async def test_a_reviewer_uploads_a_lexicon_and_bad_json_is_a_validation_error(api: Any, container: Any) -> None:
    reviewer = await staff(api, container, "reviewer")
    r = await api.client.put(
        "/api/v1/staff/lexicon",
        json={"content": "赌博网站\tgambling\tblock\n", "format": "text", "note": "from the test"},
        headers=api.h(reviewer),
    )
    assert r.status_code == 200, r.text
    assert r.json()["term_count"] == 1
    r = await api.client.put(
        "/api/v1/staff/lexicon",
        content=b'{"content": 1',
        headers={**api.h(reviewer), "Content-Type": "application/json"},
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_failed"
    r = await api.client.put("/api/v1/staff/lexicon", json={"content": "x", "extra": 1}, headers=api.h(reviewer))
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_failed"


@pytest.mark.parametrize("role", ["reviewer", "compliance_officer", "regulator"])
async def test_only_administrators_read_the_sms_outbox_of_live_codes(api: Any, container: Any, role: str) -> None:
    someone = await staff(api, container, role)
    admin = await staff(api, container, "admin")
    r = await api.client.get("/api/v1/staff/sms-outbox", headers=api.h(someone))
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    assert (await api.client.get("/api/v1/staff/sms-outbox", headers=api.h(admin))).status_code == 200


async def test_metrics_are_not_served_on_the_public_listener_by_default(api: Any) -> None:
    r = await api.client.get("/metrics")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


async def test_metrics_on_the_public_listener_answer_only_to_the_token(database_url: str, tmp_path: Path) -> None:
    from qunzu.app import create_app
    from qunzu.bootstrap import build_container

    token = secrets.token_urlsafe(16)
    container = build_container(
        make_settings(database_url, tmp_path, metrics={"token": token}), registry=CollectorRegistry()
    )
    app = create_app(container, with_web=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            assert (await c.get("/metrics")).status_code == 404
            assert (await c.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 404
            r = await c.get("/metrics", headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 200 and "qunzu_writer_batch_size" in r.text


async def test_metrics_on_their_own_listener(database_url: str, tmp_path: Path) -> None:
    from qunzu.app import create_app
    from qunzu.bootstrap import build_container

    port = free_port()
    container = build_container(
        make_settings(database_url, tmp_path, metrics={"port": port}), registry=CollectorRegistry()
    )
    app = create_app(container, with_web=False)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient() as c:
            r = await c.get(f"http://127.0.0.1:{port}/metrics")
            assert r.status_code == 200 and "qunzu_http_requests_total" in r.text
    async with httpx.AsyncClient() as c:
        with pytest.raises(httpx.ConnectError):  # closed with the app
            await c.get(f"http://127.0.0.1:{port}/metrics", timeout=2)


async def test_the_api_documentation_works_without_internet(api: Any) -> None:
    page = await api.client.get("/api/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower() and "https://" not in page.text
    for asset in ("/api/docs/assets/swagger-ui-bundle.js", "/api/docs/assets/swagger-ui.css", "/api/docs/favicon.svg"):
        assert asset in page.text
        r = await api.client.get(asset)
        assert r.status_code == 200 and len(r.content) > 100, asset


def test_the_start_up_message_follows_the_configured_port(tmp_path: Path) -> None:
    env = {"QUNZU_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'q.db'}", "QUNZU_SERVER__PORT": "9123"}
    assert qunzu(tmp_path, "migrate", env=env).returncode == 0
    r = qunzu(tmp_path, "admin", "bootstrap", env=env)
    assert r.returncode == 0, r.stderr
    assert "http://127.0.0.1:9123/login" in r.stdout and ":8000" not in r.stdout
    r = qunzu(tmp_path, "admin", "bootstrap", env={**env, "QUNZU_SERVER__PUBLIC_URL": "https://qunzu.example.cn"})
    assert "https://qunzu.example.cn/login" in r.stdout


async def test_a_signed_in_page_during_a_database_outage_says_try_again(database_url: str, tmp_path: Path) -> None:
    """Not a redirect to the sign-in page: the visitor is still signed in, the database is what is missing."""
    from sqlalchemy.ext.asyncio import create_async_engine
    from tests.conftest import Api

    from qunzu.app import create_app
    from qunzu.bootstrap import build_container

    container = build_container(make_settings(database_url, tmp_path), registry=CollectorRegistry())
    app = create_app(container, with_web=True)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            user = await Api(c, container).user()
            c.cookies.set("qunzu_session", user["token"])
            assert (await c.get("/groups")).status_code == 200
            working = container.db.engine
            unreachable = (
                "sqlite+aiosqlite:////nonexistent-dir/q.db"
                if container.db.is_sqlite
                else "postgresql+asyncpg://postgres@127.0.0.1:1/none"
            )
            container.db.engine = create_async_engine(unreachable)
            container.tokens._entries.clear()
            try:
                r = await c.get("/groups", headers={"Accept-Language": "zh-CN"})
                assert r.status_code == 503, r.text[:300]
                assert "服务暂时不可用" in r.text and 'href="/groups"' in r.text
                assert r.headers["retry-after"] == "5"
                api_r = await c.get("/api/v1/me", headers={"Authorization": f"Bearer {user['token']}"})
                assert api_r.status_code == 503 and api_r.json()["error"]["code"] == "service_unavailable"
            finally:
                await container.db.engine.dispose()
                container.db.engine = working
            assert (await c.get("/groups")).status_code == 200
