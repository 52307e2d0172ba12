"""The hourly activity recompute (R-7.1-1) on the injected clock: tiers from the last 7 days, in batches."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from tests.conftest import use_policy

from qunzu.services.activity import recompute_activity
from qunzu.storage.tables import groups

SMALL = {"normal_messages": 3, "normal_members": 2, "active_messages": 6, "active_members": 50,
         "hot_messages": 1000, "hot_members": 500}  # fmt: skip


async def _tiers(container: Any) -> dict[str, tuple[str, Any]]:
    async with container.db.uow(write=False) as uow:
        rows = await uow.conn.execute(select(groups.c.code, groups.c.activity_tier, groups.c.activity_at))
        return {r.code: (r.activity_tier, r.activity_at) for r in rows}


async def test_the_hourly_job_sets_each_groups_activity_tier_from_its_last_seven_days(
    api: Any, container: Any, manual_clock: Any
) -> None:
    await use_policy(container, activity=SMALL)
    owner, guest = await api.user(), await api.user()
    busy, pair, quiet = [await api.create_group(owner, name=n) for n in ("忙群", "两人群", "静群")]
    assert (await api.join(guest, pair)).status_code in (200, 201)
    for i in range(6):
        assert (await api.post(owner, busy, f"消息 {i}")).status_code == 201
    for who in (owner, guest):
        assert (await api.post(who, pair, "你好")).status_code == 201
    assert {t for t, _ in (await _tiers(container)).values()} == {"quiet"}, "nothing before the job runs"
    manual_clock.advance(timedelta(hours=1))
    assert (await container.scheduler.run_due())["recompute-activity"] == 3
    tiers = await _tiers(container)
    assert {code: tier for code, (tier, _) in tiers.items()} == {busy: "active", pair: "normal", quiet: "quiet"}
    assert {at for _, at in tiers.values()} == {manual_clock.now()}
    manual_clock.advance(timedelta(days=7, hours=1))
    assert (await container.scheduler.run_due())["recompute-activity"] == 3
    assert {tier for tier, _ in (await _tiers(container)).values()} == {"quiet"}, "a week later, all is quiet"


async def test_a_step_handles_a_batch_of_the_groups_computed_longest_ago(
    api: Any, container: Any, manual_clock: Any
) -> None:
    owner = await api.user()
    codes = [await api.create_group(owner, name=f"群{i}") for i in range(3)]
    now = manual_clock.now()
    assert await recompute_activity(container.db, now=now, limit=2) == 2
    assert await recompute_activity(container.db, now=now, limit=2) == 1
    assert await recompute_activity(container.db, now=now, limit=2) == 0, "each group once at one `now`"
    later = now + timedelta(hours=1)
    assert await recompute_activity(container.db, now=later, limit=1) == 1
    tiers = await _tiers(container)
    assert sum(1 for code in codes if tiers[code][1] == later) == 1
