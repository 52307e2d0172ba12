"""The message writer's own statements stay on the indexes as the messages table grows (both databases).

The portable form of the retry lookup, `(group_id, sender_id, client_msg_id) IN (VALUES ...)`, made SQLite scan the
whole messages table on every batch; these checks read the query plans of the statements the writer runs.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from qunzu.storage import post_store_pg, post_store_sqlite


async def _fill(container: Any, n: int) -> None:
    """300 users, 2,000 groups with 10 members each, and n messages in the first group (raw rows: only the sizes
    matter here), then fresh planner statistics."""
    async with container.db.engine.begin() as conn:
        now: Any = "2026-01-01 00:00:00" if container.db.is_sqlite else datetime(2026, 1, 1, tzinfo=UTC)
        await conn.execute(
            text("INSERT INTO users (username, password_hash, nickname, created_at) VALUES (:n, 'x', :n, :now)"),
            [{"n": f"plan{i}", "now": now} for i in range(300)],
        )
        users = (await conn.execute(text("SELECT id FROM users ORDER BY id"))).scalars().all()
        uid = users[0]
        await conn.execute(
            text(
                "INSERT INTO groups (code, name, category, creator_id, owner_id, member_cap, created_at) "
                "VALUES (:code, 'plan', 'work', :u, :u, 500, :now)"
            ),
            [{"code": f"{1000000000 + i * 10}", "u": uid, "now": now} for i in range(2000)],
        )
        groups = (await conn.execute(text("SELECT id FROM groups ORDER BY id"))).scalars().all()
        gid = groups[0]
        await conn.execute(
            text("INSERT INTO memberships (group_id, user_id, role, joined_at) VALUES (:g, :u, 'member', :now)"),
            [{"g": g, "u": users[(k * 7 + j) % 300], "now": now} for k, g in enumerate(groups) for j in range(10)],
        )
        await conn.execute(
            text(
                "INSERT INTO messages (group_id, seq, sender_id, sender_nickname, text, client_msg_id, created_at) "
                "VALUES (:g, :s, :u, 'plan', 'x', :c, :now)"
            ),
            [{"g": gid, "s": i, "u": uid, "c": f"c{i}", "now": now} for i in range(1, n + 1)],
        )
        await conn.execute(text("ANALYZE"))


async def _plan(container: Any, sql: str, params: Any) -> str:
    async with container.db.engine.connect() as conn:
        if container.db.is_sqlite:
            rows = (await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params)).all()
            return "\n".join(str(r[-1]) for r in rows)
        rows = (await conn.exec_driver_sql("EXPLAIN " + sql, params)).all()
        return "\n".join(str(r[0]) for r in rows)


async def test_the_retry_lookup_searches_the_unique_index(container: Any) -> None:
    await _fill(container, 3000)
    if container.db.is_sqlite:
        plan = await _plan(container, post_store_sqlite.EARLIER, (json.dumps([[1, 1, "c5"], [1, 1, "c9"]]),))
        assert "SEARCH m USING INDEX" in plan and "SCAN m" not in plan, plan
    else:
        keys = (["1000000000", "1000000000"], [1, 1], ["c5", "c9"])
        plan = await _plan(container, post_store_pg.GROUPS_AND_SENDERS, (["1000000000"], [1], "agreement", *keys))
        assert "Index Scan using uq_messages_client_msg" in plan and "Seq Scan on messages" not in plan, plan


async def test_the_group_read_searches_by_code_and_member(container: Any) -> None:
    await _fill(container, 100)
    if container.db.is_sqlite:
        plan = await _plan(
            container,
            post_store_sqlite.GROUPS_AND_SENDERS,
            ("agreement", json.dumps(["1000000000", "1000000010"]), json.dumps([1, 2, 3])),
        )
        assert "SEARCH g USING INDEX" in plan and "SEARCH m USING" in plan and "SEARCH u USING" in plan, plan
        assert not any(f"SCAN {t}" in plan for t in ("g", "m", "u")), plan
    else:
        plan = await _plan(
            container,
            post_store_pg.GROUPS_AND_SENDERS,
            (["1000000000", "1000000010"], [1, 2, 3], "agreement", [], [], []),
        )
        assert not any(f"Seq Scan on {t}" in plan for t in ("groups", "memberships", "users")), plan
