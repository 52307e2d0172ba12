"""Scheduled jobs run on the injected clock: tests move the clock, nothing sleeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select

from qunzu.clock import ManualClock
from qunzu.jobs import Job, Scheduler, run_job
from qunzu.services import lockout
from qunzu.storage.tables import login_failures

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


async def test_a_job_runs_once_per_period_starting_one_period_after_start() -> None:
    clock = ManualClock(T0)
    runs: list[datetime] = []

    async def step(now: datetime) -> int:
        runs.append(now)
        return 0

    scheduler = Scheduler([Job("tick", timedelta(hours=1), step)], clock)
    assert await scheduler.run_due() == {}, "nothing is due at start"
    clock.advance(timedelta(minutes=59))
    assert await scheduler.run_due() == {}
    clock.advance(timedelta(minutes=1))
    assert await scheduler.run_due() == {"tick": 0}
    assert await scheduler.run_due() == {}, "not twice in one period"
    clock.advance(timedelta(hours=3))
    await scheduler.run_due()
    assert runs == [T0 + timedelta(hours=1), T0 + timedelta(hours=4)], "a missed period runs once, not three times"


async def test_a_failing_job_does_not_stop_the_others_and_runs_again_next_period() -> None:
    clock = ManualClock(T0)
    calls = {"bad": 0, "good": 0}

    async def bad(now: datetime) -> int:
        calls["bad"] += 1
        raise ConnectionError("database out of reach")

    async def good(now: datetime) -> int:
        calls["good"] += 1
        return 3

    scheduler = Scheduler([Job("bad", timedelta(minutes=5), bad), Job("good", timedelta(minutes=5), good)], clock)
    clock.advance(timedelta(minutes=5))
    assert await scheduler.run_due() == {"good": 3}
    clock.advance(timedelta(minutes=5))
    await scheduler.run_due()
    assert calls == {"bad": 2, "good": 2}


async def test_a_backlog_is_worked_through_in_batches_until_one_comes_back_short() -> None:
    backlog = [100, 100, 30, 100]

    async def step(now: datetime) -> int:
        return backlog.pop(0)

    assert await run_job(Job("purge", timedelta(hours=1), step, batch=100), T0) == 230
    assert backlog == [100], "stopped after the short batch"


async def _failure_rows(container: Any, rows: list[dict[str, Any]]) -> None:
    async with container.db.uow() as uow:  # every row names every column: an executemany takes the first row's
        await uow.conn.execute(insert(login_failures), [{"locked_until": None} | r for r in rows])
        await uow.commit()


async def _names(container: Any) -> set[str]:
    async with container.db.uow(write=False) as uow:
        return {r.username for r in await uow.conn.execute(select(login_failures.c.username))}


async def test_forgotten_sign_in_failures_are_purged_by_the_hourly_job(container: Any, manual_clock: Any) -> None:
    forget = timedelta(hours=container.settings.throttle.lockout_forget_hours)
    now = manual_clock.now()
    old = now - forget - timedelta(minutes=1)
    await _failure_rows(
        container,
        [{"username": f"gone{i}", "failures": 3, "lock_level": 0, "last_failure_at": old} for i in range(250)]
        + [
            {"username": "recent", "failures": 2, "lock_level": 0, "last_failure_at": now - timedelta(minutes=5)},
            {
                "username": "locked",
                "failures": 0,
                "lock_level": 5,
                "locked_until": now + timedelta(hours=2),
                "last_failure_at": old,
            },
            {
                "username": "lock-over",
                "failures": 0,
                "lock_level": 1,
                "locked_until": old + timedelta(minutes=1),
                "last_failure_at": old,
            },
        ],
    )
    scheduler = container.scheduler
    assert await scheduler.run_due() == {}, "not due before its period"
    manual_clock.advance(timedelta(hours=1))
    done = await scheduler.run_due()
    assert await _names(container) == {"recent", "locked"}
    assert done["purge-login-failures"] == 251  # the other hourly jobs report too


async def test_a_purged_row_is_exactly_a_fresh_start(container: Any, manual_clock: Any) -> None:
    """Purging changes nothing a user can see: the next failure after `forget_after` starts afresh either way."""
    forget = timedelta(hours=container.settings.throttle.lockout_forget_hours)
    now = manual_clock.now()
    await _failure_rows(
        container, [{"username": "quiet", "failures": 4, "lock_level": 2, "last_failure_at": now - forget * 2}]
    )
    assert await lockout.purge_forgotten_failures(container.db, now=now, forget_after=forget) == 1
    assert await lockout.purge_forgotten_failures(container.db, now=now, forget_after=forget) == 0
    async with container.db.uow(write=False) as uow:
        assert (await uow.conn.execute(select(func.count()).select_from(login_failures))).scalar_one() == 0
