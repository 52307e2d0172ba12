"""A WebSocket's connect and disconnect are session events of the network log (§3.2), written by a service."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import websockets
from sqlalchemy import select

from qunzu.storage.tables import operation_log


async def _ws_records(container: Any, user_id: int) -> list[Any]:
    async with container.db.uow(write=False) as uow:
        rows = await uow.conn.execute(
            select(operation_log)
            .where(operation_log.c.actor_id == user_id, operation_log.c.action.like("ws.%"))
            .order_by(operation_log.c.id)
        )
        return list(rows)


async def test_a_websocket_connection_records_its_start_and_end(api: Any, container: Any, live: str) -> None:
    user = await api.user()
    ws = await websockets.connect(
        f"ws://{live}/api/v1/ws", additional_headers={"Authorization": f"Bearer {user['token']}"}
    )
    await ws.send(json.dumps({"type": "hello", "groups": {}}))
    assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "ready"
    await ws.close()
    for _ in range(500):  # the server writes the disconnect after it sees the close: wait for it, with a deadline
        records = await _ws_records(container, user["id"])
        if len(records) == 2:
            break
        await asyncio.sleep(0.01)
    connect, disconnect = records
    assert (connect.action, disconnect.action) == ("ws.connect", "ws.disconnect")
    assert connect.src_ip == disconnect.src_ip == "127.0.0.1"
    assert connect.src_port == disconnect.src_port and connect.src_port is not None
    assert connect.ts <= disconnect.ts
