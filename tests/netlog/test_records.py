"""Every operation record is written through `netlog.record`: time, source IP and port from the request context,
the target and details as given, in the caller's transaction (both databases)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from qunzu import netlog
from qunzu.context import Ctx
from qunzu.netlog import Target
from qunzu.storage.tables import operation_log


async def _rows(container: Any) -> list[Any]:
    async with container.db.uow(write=False) as uow:
        return list(await uow.conn.execute(select(operation_log).order_by(operation_log.c.id)))


async def test_a_record_takes_time_and_source_from_the_context(container: Any, manual_clock: Any) -> None:
    ctx = Ctx(now=manual_clock.now(), ip="203.0.113.7", port=50123)
    async with container.db.uow() as uow:
        await netlog.record(uow, ctx, "group.join", Target.group(41, "1000000005"), actor=None, note="x")
        await netlog.record(uow, ctx, "auth.logout", actor=None, result="refused")
        await uow.commit()
    join, logout = (await _rows(container))[-2:]
    assert (join.ts, join.src_ip, join.src_port) == (manual_clock.now(), "203.0.113.7", 50123)
    assert (join.action, join.target_type, join.target_id, join.group_id) == ("group.join", "group", "1000000005", 41)
    assert join.details == {"note": "x"} and join.result == "ok"
    assert (logout.target_type, logout.target_id, logout.details, logout.result) == (None, None, None, "refused")


async def test_a_record_lives_and_dies_with_its_transaction(container: Any, manual_clock: Any) -> None:
    before = len(await _rows(container))
    with pytest.raises(RuntimeError):
        async with container.db.uow() as uow:
            await netlog.record(uow, Ctx.system(manual_clock.now()), "lexicon.save", Target("lexicon", 3), actor=None)
            raise RuntimeError("the change failed after its record was written")
    assert len(await _rows(container)) == before, "a change that did not commit leaves no record"


async def test_an_accounts_records_read_back_oldest_first(api: Any, container: Any, manual_clock: Any) -> None:
    user = await api.user()
    manual_clock.advance(timedelta(minutes=1))
    await api.create_group(user)
    async with container.db.uow(write=False) as uow:
        mine = await netlog.records_of(uow, actor=user["id"])
    actions = [r.action for r in mine]
    assert actions[0] == "account.register" and actions[-1] == "group.create"
    assert [r.ts for r in mine] == sorted(r.ts for r in mine)
