"""Two server processes share delivery through Redis: post on one, receive on a WebSocket of the other."""

import asyncio
import json

import httpx
import websockets
from tests.system.server import ServerProcess
from tests.system.users import create_staff, login, verified_user


async def test_two_processes_deliver_through_redis(server_db: str, redis_url: str, tmp_path) -> None:
    env = {"QUNZU_DATABASE_URL": server_db, "QUNZU_DATA_DIR": str(tmp_path), "QUNZU_REDIS_URL": redis_url}
    a = ServerProcess(env, tmp_path / "a.log")
    b = ServerProcess(env, tmp_path / "b.log")
    a.migrate()
    a.start()
    b.start()
    try:
        create_staff(a)
        async with httpx.AsyncClient(base_url=a.url, timeout=30) as c:
            staff = await login(c, "ops", "staff-password-1")
            tokens = {}
            for name in ("poster", "reader"):
                u = await verified_user(c, staff, name)
                tokens[name] = u["headers"]["Authorization"].split(" ", 1)[1]
            hp = {"Authorization": f"Bearer {tokens['poster']}"}
            code = (
                await c.post(
                    "/api/v1/groups", json={"name": "跨进程", "category": "work", "duties_version": 1}, headers=hp
                )
            ).json()["code"]
            await c.post(f"/api/v1/groups/{code}/join", headers={"Authorization": f"Bearer {tokens['reader']}"})
            ws = await websockets.connect(
                f"ws://127.0.0.1:{b.port}/api/v1/ws", additional_headers={"Authorization": f"Bearer {tokens['reader']}"}
            )
            await ws.send(json.dumps({"type": "hello", "groups": {}}))
            while json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] != "ready":
                pass
            for i in range(20):
                r = await c.post(
                    f"/api/v1/groups/{code}/messages", json={"text": f"m{i}", "client_msg_id": f"c{i}"}, headers=hp
                )
                assert r.status_code == 201
            seqs = []
            while len(seqs) < 20:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if frame["type"] == "message":
                    seqs.append(frame["seq"])
            assert seqs == list(range(1, 21))
            await ws.close()
    finally:
        a.stop()
        b.stop()
