"""R-6.2-1, R-6.2-4 as an inspector checks them with an ops snapshot: after a full scenario against a real server,
no table of the database (SQLite or PostgreSQL) and no line of the server's log holds a test user's ID number,
mobile number or real name in plain text."""

import asyncio
import sqlite3
import subprocess

import asyncpg
import httpx
from tests.conftest import PYTHON, ROOT, random_mobile
from tests.system.server import ServerProcess
from tests.system.users import create_staff, login

from qunzu.domain.identity import id_check_char

PEOPLE = [("欧阳明月", "11010519900307123"), ("司马长风", "44030419851212456"), ("林小雨", "31011520010615789")]


async def _scenario(server: ServerProcess) -> list[str]:
    create_staff(server, "ops", "admin")
    create_staff(server, "officer", "compliance_officer")
    secrets_: list[str] = []
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as c:
        ops = await login(c, "ops", "staff-password-1")
        officer = await login(c, "officer", "staff-password-1")
        versions = {d["kind"]: d["version"] for d in (await c.get("/api/v1/documents")).json()}
        code = None
        for i, (name, body) in enumerate(PEOPLE):
            id_number = body + id_check_char(body)
            phone = random_mobile()
            secrets_ += [name, id_number, phone]
            await c.post(
                "/api/v1/auth/register",
                json={
                    "username": f"person{i}",
                    "password": "correct-horse-9",
                    "nickname": f"昵称{i}",
                    "accept": {"agreement": versions["agreement"], "privacy": versions["privacy"]},
                },
            )
            h = await login(c, f"person{i}", "correct-horse-9")
            assert (await c.post("/api/v1/me/verification/phone", json={"phone": phone}, headers=h)).status_code == 202
            body_text = (await c.get("/api/v1/staff/sms-outbox", headers=ops)).json()[0]["body"]
            otp = "".join(ch for ch in body_text if ch.isdigit())[:6]
            r = await c.post("/api/v1/me/verification/phone/confirm", json={"code": otp}, headers=h)
            assert r.status_code == 200, r.text
            r = await c.post("/api/v1/me/verification/id", json={"name": name, "id_number": id_number}, headers=h)
            assert r.status_code == 200, r.text
            if code is None:
                code = (
                    await c.post(
                        "/api/v1/groups", json={"name": "扫描", "category": "work", "duties_version": 1}, headers=h
                    )
                ).json()["code"]
            else:
                await c.post(f"/api/v1/groups/{code}/join", headers=h)
            await c.post(
                f"/api/v1/groups/{code}/messages", json={"text": f"大家好 {i}", "client_msg_id": f"m{i}"}, headers=h
            )
            await c.get("/api/v1/me/export", headers=h)
            me = (await c.get("/api/v1/me", headers=h)).json()
            r = await c.post(
                f"/api/v1/staff/users/{me['id']}/reveal",
                json={
                    "fields": ["name", "id_number", "phone"],
                    "purpose": "例行合规抽查（测试）",
                    "case_number": f"AUD-{i}",
                },
                headers=officer,
            )
            assert r.status_code == 200 and r.json()["values"]["name"] == name
    return secrets_


def _variants(secret: str) -> list[str]:
    out = [secret]
    if secret.isdigit() and len(secret) == 11:  # a mobile number: national and E.164 forms
        out.append("+86" + secret)
    return out


async def _dump_postgres(url: str) -> str:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        tables = [r["tablename"] for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname='public'")]
        parts = []
        for t in tables:
            parts += [str(dict(r)) for r in await conn.fetch(f'SELECT * FROM "{t}"')]
        return "\n".join(parts)
    finally:
        await conn.close()


def _dump_sqlite(path: str) -> str:
    con = sqlite3.connect(path)
    try:
        return "\n".join(con.iterdump())
    finally:
        con.close()


async def test_r_6_2_1_no_plain_personal_data_in_the_database_or_the_logs(server_db: str, tmp_path) -> None:
    server = ServerProcess({"QUNZU_DATABASE_URL": server_db, "QUNZU_DATA_DIR": str(tmp_path)}, tmp_path / "server.log")
    server.migrate()
    server.start()
    try:
        secrets_ = await _scenario(server)
    finally:
        server.stop()
    rotate = await asyncio.to_thread(
        subprocess.run,
        [PYTHON, "-m", "qunzu", "keys", "rotate"],
        env=server.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert rotate.returncode == 0, rotate.stderr
    dump = await _dump_postgres(server_db) if "postgresql" in server_db else _dump_sqlite(server_db.split("///", 1)[1])
    log = server.log.read_text(encoding="utf-8", errors="replace") + rotate.stdout + rotate.stderr
    assert len(dump) > 5000 and "大家好" in dump, "the scan reads real content"
    for secret in secrets_:
        for form in _variants(secret):
            assert form not in dump, f"plain personal data in the database: {form[:3]}…"
            assert form not in log, f"plain personal data in the server log: {form[:3]}…"
    assert "****" in log, "the development SMS log line shows the number masked"
