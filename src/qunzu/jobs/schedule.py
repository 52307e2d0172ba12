"""Scheduled work on the injected clock: each job runs every so often, in small steps, and never stops the others.

A `Job` is a name, a period and a step: `step(now)` does at most one batch (about 100 rows) and returns how many
rows it handled; `run_job` calls it until a batch comes back short, so a long backlog is worked through in short
transactions that never hold locks for long (the pattern of Synapse's background updates). The `Scheduler` asks the
clock, runs what is due, and sleeps; tests call `run_due()` after moving a `ManualClock` instead of sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from qunzu.clock import Clock

log = structlog.get_logger(__name__)

Step = Callable[[datetime], Awaitable[int]]


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    every: timedelta
    step: Step
    batch: int = 100  # a step that handles this many rows is called again at once
    description: str = ""


async def run_job(job: Job, now: datetime, *, max_steps: int = 10_000) -> int:
    """Run `job` until its backlog is done (a short batch) or `max_steps` batches; the rows handled in all."""
    total = 0
    for _ in range(max_steps):
        done = await job.step(now)
        total += done
        if done < job.batch:
            break
    return total


class Scheduler:
    """Runs each job once per its period, first one period after start (never all at once on a restart)."""

    def __init__(
        self,
        jobs: list[Job],
        clock: Clock,
        *,
        tick: timedelta = timedelta(seconds=30),
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        names = [j.name for j in jobs]
        if len(set(names)) != len(names):
            raise ValueError(f"job names must be unique: {names}")
        self.jobs = {j.name: j for j in jobs}
        self.clock = clock
        self.tick = tick
        self._sleep = sleep
        start = clock.now()
        self.next_run: dict[str, datetime] = {j.name: start + j.every for j in jobs}
        self._task: asyncio.Task[None] | None = None

    def due(self, now: datetime) -> list[Job]:
        return [j for j in self.jobs.values() if self.next_run[j.name] <= now]

    async def run_due(self) -> dict[str, int]:
        """Run every job that is due now; a job that fails is logged and tried again next period."""
        now = self.clock.now()
        results: dict[str, int] = {}
        for job in self.due(now):
            self.next_run[job.name] = now + job.every
            try:
                results[job.name] = await run_job(job, now)
            except Exception as exc:  # one job's failure (a database out of reach) must not stop the others
                log.warning("job_failed", job=job.name, error=type(exc).__name__, exc_info=exc)
                continue
            if results[job.name]:
                log.info("job_done", job=job.name, rows=results[job.name])
        return results

    async def _loop(self) -> None:
        while True:
            await self.run_due()
            await self._sleep(self.tick.total_seconds())

    def start(self) -> None:
        if self._task is None and self.jobs:
            self._task = asyncio.create_task(self._loop(), name="qunzu-jobs")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
