"""The message writer (group commit) when its database connection goes away, and with review items in a batch."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select

from qunzu.storage.tables import review_items


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)  # SQLite has no connection to lose
async def test_the_writer_recovers_when_its_connection_is_killed(api: Any, container: Any) -> None:
    u = await api.user()
    code = await api.create_group(u)
    assert (await api.post(u, code, "one", cid="c1")).status_code == 201
    async with container.db.engine.connect() as conn:
        killed = (
            await conn.exec_driver_sql(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name = 'qunzu-message-writer'"
            )
        ).scalar_one()
    assert killed == 1, "the writer has one connection of its own, named in pg_stat_activity"
    first = await api.post(u, code, "two", cid="c2")
    if first.status_code != 201:  # the batch that found the dead connection fails cleanly, and says retry
        assert first.status_code == 503 and first.json()["error"]["code"] == "service_unavailable", first.text
        first = await api.post(u, code, "two", cid="c2")
    assert first.status_code == 201 and first.json()["seq"] == 2
    assert (await api.post(u, code, "three", cid="c3")).json()["seq"] == 3
    listed = (await api.messages(u, code)).json()["messages"]
    assert [(m["seq"], m["text"]) for m in listed] == [(1, "one"), (2, "two"), (3, "three")]


async def test_a_batch_mixing_clean_held_and_flagged_posts(api: Any, container: Any) -> None:
    u = await api.user()
    code = await api.create_group(u)
    texts = [f"hello {i}" for i in range(6)] + ["QZ-TEST-HOLD a", "QZ-TEST-FLAG b", "QZ-TEST-HOLD c"]
    results = await asyncio.gather(*(api.post(u, code, t) for t in texts))  # concurrent: one or a few batches
    assert all(r.status_code == 201 for r in results), [r.text for r in results]
    by_text = {r.json()["text"]: r.json() for r in results}
    held = [t for t in texts if "HOLD" in t]
    assert all(by_text[t]["seq"] is None and by_text[t]["status"] == "under_review" for t in held)
    published = sorted(by_text[t]["seq"] for t in texts if t not in held)
    assert published == list(range(1, 8)), "gapless, and held posts take no number"
    async with container.db.uow(write=False) as uow:
        queued = await uow.conn.execute(select(review_items.c.action, func.count()).group_by(review_items.c.action))
        assert dict(queued.all()) == {"hold": 2, "flag": 1}
        hits = (await uow.conn.execute(select(review_items.c.hits).where(review_items.c.action == "flag"))).scalar_one()
    assert hits == ["QZ-TEST-FLAG"]


async def test_two_writers_on_one_group_number_every_message_once(api: Any, container: Any) -> None:
    """As two server processes do (each has its own writer): posts into one group through both at once, plus a
    reviewer approving a held message meanwhile, get every sequence number exactly once, without gaps."""
    from tests.compliance.test_art06_identity import staff

    from qunzu.clock import SystemClock
    from qunzu.context import Ctx
    from qunzu.services.message_writer import MessageWriter

    u = await api.user()
    reviewer = await staff(api, container, "reviewer")
    code = await api.create_group(u)
    held = (await api.post(u, code, "QZ-TEST-HOLD 待审")).json()
    assert held["seq"] is None
    other = MessageWriter(container.db)
    await other.start()
    try:
        queue = (await api.client.get("/api/v1/staff/review/queue", headers=api.h(reviewer))).json()

        async def approve() -> None:
            r = await api.client.post(
                f"/api/v1/staff/review/items/{queue[0]['id']}/decide", json={"approve": True}, headers=api.h(reviewer)
            )
            assert r.status_code == 204

        async def via_other(i: int) -> int | None:
            view, _ = await other.submit(
                actor=u["id"], code=code, text=f"b{i}", client_msg_id=f"b{i}", ctx=Ctx.system(SystemClock().now())
            )
            return view.seq

        async def via_api(i: int) -> int | None:
            r = await api.post(u, code, f"a{i}", cid=f"a{i}")
            assert r.status_code == 201, r.text
            return r.json()["seq"]

        seqs = await asyncio.gather(*(via_api(i) for i in range(40)), *(via_other(i) for i in range(40)), approve())
    finally:
        await other.stop()
    numbered = [s for s in seqs if s is not None]
    assert len(numbered) == 80 and len(set(numbered)) == 80
    listed = (await api.messages(u, code, limit=200)).json()["messages"]
    assert [m["seq"] for m in listed] == list(range(1, 82)), "81 messages (80 + the approved one), gapless"
