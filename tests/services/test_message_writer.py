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
        queued = (await uow.conn.execute(select(review_items.c.action, func.count()).group_by(review_items.c.action)))
        assert dict(queued.all()) == {"hold": 2, "flag": 1}
        hits = (await uow.conn.execute(select(review_items.c.hits).where(review_items.c.action == "flag"))).scalar_one()
    assert hits == ["QZ-TEST-FLAG"]
