"""An acknowledged message survives kill -9 of the server: all there, in order, no gap in the sequence."""

import asyncio
import secrets

import httpx
from tests.system.server import ServerProcess
from tests.system.users import create_staff, login, verified_user


async def _setup(server: ServerProcess) -> tuple[dict[str, str], str]:
    create_staff(server)
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as c:
        staff = await login(c, "ops", "staff-password-1")
        h = (await verified_user(c, staff, "flood"))["headers"]
        code = (
            await c.post("/api/v1/groups", json={"name": "flood", "category": "work", "duties_version": 1}, headers=h)
        ).json()["code"]
        return h, code


async def test_acknowledged_messages_survive_sigkill(server_db: str, tmp_path) -> None:
    server = ServerProcess({"QUNZU_DATABASE_URL": server_db, "QUNZU_DATA_DIR": str(tmp_path)}, tmp_path / "server.log")
    server.migrate()
    server.start()
    acked: dict[str, int] = {}
    try:
        h, code = await _setup(server)

        async def sender(n: int) -> None:
            async with httpx.AsyncClient(base_url=server.url, timeout=10) as c:
                while True:
                    cid = f"s{n}-{secrets.token_hex(6)}"
                    try:
                        r = await c.post(
                            f"/api/v1/groups/{code}/messages", json={"text": cid, "client_msg_id": cid}, headers=h
                        )
                    except httpx.HTTPError:
                        return  # the server died under us: this one was never acknowledged
                    if r.status_code == 201:
                        acked[cid] = r.json()["seq"]

        tasks = [asyncio.create_task(sender(i)) for i in range(8)]
        while len(acked) < 300:
            await asyncio.sleep(0.02)
        server.kill()
        await asyncio.wait_for(asyncio.gather(*tasks), 30)
    finally:
        server.kill()
    server.start()
    try:
        stored: list[dict] = []
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as c:
            after = 0
            while True:
                page = (
                    await c.get(f"/api/v1/groups/{code}/messages", params={"after": after, "limit": 200}, headers=h)
                ).json()
                stored.extend(page["messages"])
                if not page["has_more"]:
                    break
                after = page["messages"][-1]["seq"]
    finally:
        server.stop()
    seqs = [m["seq"] for m in stored]
    assert seqs == list(range(1, len(seqs) + 1)), "no gap, in order"
    by_cid = {m["client_msg_id"]: m["seq"] for m in stored}
    missing = [cid for cid in acked if cid not in by_cid]
    assert not missing, f"{len(missing)} acknowledged messages lost"
    assert all(by_cid[cid] == seq for cid, seq in acked.items())
