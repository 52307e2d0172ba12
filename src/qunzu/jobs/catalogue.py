"""The platform's scheduled jobs. A new job: a service function that does one batch at `now`, and a line here."""

from __future__ import annotations

from datetime import datetime, timedelta

from qunzu.config import Settings
from qunzu.jobs.schedule import Job
from qunzu.services import lockout
from qunzu.storage.uow import Database


def platform_jobs(db: Database, settings: Settings) -> list[Job]:
    forget_after = timedelta(hours=settings.throttle.lockout_forget_hours)

    async def purge_login_failures(now: datetime) -> int:
        return await lockout.purge_forgotten_failures(db, now=now, forget_after=forget_after, limit=100)

    return [
        Job(
            name="purge-login-failures",
            every=timedelta(hours=1),
            step=purge_login_failures,
            description="forget failed sign-ins that no longer count (unlocked, none for lockout_forget_hours)",
        ),
    ]
