"""Users for system tests against server processes: register, accept the documents, verify the mobile number."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
from typing import Any

import httpx
from tests.conftest import PYTHON, ROOT, random_mobile
from tests.system.server import ServerProcess


def create_staff(server: ServerProcess, username: str = "ops", role: str = "admin") -> None:
    subprocess.run(
        [PYTHON, "-m", "qunzu", "admin", "create", "--username", username, "--role", role, "--password", "-"],
        env={**os.environ, **server.env},
        cwd=ROOT,
        input="staff-password-1\n",
        text=True,
        check=True,
        capture_output=True,
    )


async def login(c: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    r = await c.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def verified_user(c: httpx.AsyncClient, staff: dict[str, str], username: str | None = None) -> dict[str, Any]:
    """Through the public API; the one-time code comes from the development SMS outbox (staff API)."""
    username = username or f"u{secrets.token_hex(4)}"
    versions = {d["kind"]: d["version"] for d in (await c.get("/api/v1/documents")).json()}
    r = await c.post(
        "/api/v1/auth/register",
        json={
            "username": username,
            "password": "correct-horse-9",
            "nickname": username[:20],
            "accept": {"agreement": versions["agreement"], "privacy": versions["privacy"]},
        },
    )
    assert r.status_code == 201, r.text
    headers = await login(c, username, "correct-horse-9")
    r = await c.post("/api/v1/me/verification/phone", json={"phone": random_mobile()}, headers=headers)
    assert r.status_code == 202, r.text
    outbox = (await c.get("/api/v1/staff/sms-outbox", headers=staff)).json()
    code = re.search(r"\d{6}", outbox[0]["body"]).group(0)  # type: ignore[union-attr]
    r = await c.post("/api/v1/me/verification/phone/confirm", json={"code": code}, headers=headers)
    assert r.status_code == 200, r.text
    return {"id": r.json(), "username": username, "headers": headers}
