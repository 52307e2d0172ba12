"""The platform's scheduled jobs. A new job: a service function that does one batch at `now`, and a line here."""

from __future__ import annotations

from datetime import datetime, timedelta

from qunzu.config import Settings
from qunzu.context import Ctx
from qunzu.jobs.schedule import Job
from qunzu.netlog import chain, partitions, retention
from qunzu.services import activity, blacklist, capacity, compliance_check, credit, lockout, measures, report_periodic
from qunzu.services.capacity_monitor import CapacityMonitor
from qunzu.services.report_keys import signing_key
from qunzu.storage.uow import Database


def platform_jobs(db: Database, settings: Settings, *, capacity_monitor: CapacityMonitor | None = None) -> list[Job]:
    """The jobs of one server process. `capacity_monitor` keeps the process's capacity gauges and staff banner;
    without it the capacity job still ends forgotten shifts."""
    forget_after = timedelta(hours=settings.throttle.lockout_forget_hours)

    async def purge_login_failures(now: datetime) -> int:
        return await lockout.purge_forgotten_failures(db, now=now, forget_after=forget_after, limit=100)

    async def recompute_activity(now: datetime) -> int:
        return await activity.recompute_activity(db, now=now, limit=100)

    async def credit_recovery(now: datetime) -> int:
        return await credit.write_recoveries(db, now=now)

    async def blacklist_expire(now: datetime) -> int:
        return await blacklist.expire_entries(db, now=now, limit=100)

    async def seal_netlog(now: datetime) -> int:
        return await chain.seal(db, now=now)

    async def netlog_retention(now: datetime) -> int:
        """Seal what is left, then archive and purge one day past retention per step (the oldest first)."""
        while await chain.seal(db, now=now) > 0:
            pass
        keep = max(settings.logs.network_retention_days, settings.logs.operation_retention_days)
        days = await retention.expired_days(db, now=now, retention_days=keep, restore_days=settings.logs.restore_days)
        for day in days[:1]:
            await retention.retire_day(db, day=day, out_dir=settings.netlog_archive_dir, ctx=Ctx.system(now))
        if not days:  # PostgreSQL: months ahead made, emptied months past retention dropped
            await partitions.ensure_partitions(db, now=now)
            await partitions.drop_empty(db, before=now - timedelta(days=keep))
        return len(days[:1]) + await retention.purge_identities(db, now=now)

    async def lift_expired_measures(now: datetime) -> int:
        return await measures.lift_expired(db, now=now, page=100)

    async def report_periodic_summary(now: datetime) -> int:
        built = await report_periodic.build_due_summary(
            db, settings=settings.reports, key=lambda: signing_key(settings.report_key_path),
            out_dir=settings.report_dir, ctx=Ctx.system(now),
        )  # fmt: skip
        return 1 if built is not None else 0

    async def self_check(now: datetime) -> int:
        await compliance_check.record_self_check(db, settings=settings, now=now)
        return 1

    async def capacity_figures(now: datetime) -> int:
        """End forgotten shifts, then count the queues and the reviewers on shift for the gauges and the banner."""
        ended = await capacity.expire_shifts(db, now=now, settings=settings)
        if ended < capacity.EXPIRE_BATCH and capacity_monitor is not None:
            capacity_monitor.update(await capacity.capacity_status(db, now, settings, throughput=False))
        return ended

    return [
        Job(
            name="seal-netlog",
            every=timedelta(seconds=30),
            step=seal_netlog,
            batch=chain.SEAL_BATCH,
            description="seal new network and operation records into their day's hash chain (R-13.2-1)",
        ),
        Job(
            name="netlog-retention",
            every=timedelta(days=1),
            step=netlog_retention,
            batch=1,
            description="archive and purge days of the log past retention, except what a legal hold keeps; purge "
            "cancelled accounts' identity copies past their period (R-13.2-2, R-13.1-3)",
        ),
        Job(
            name="capacity",
            every=timedelta(minutes=1),
            step=capacity_figures,
            batch=capacity.EXPIRE_BATCH,
            description="end shifts past capacity.max_shift_hours; count the review, ticket and appeal backlogs and "
            "the reviewers on shift for the metrics and the staff banner (R-5.1-1)",
        ),
        Job(
            name="lift-expired-measures",
            every=timedelta(minutes=1),
            step=lift_expired_measures,
            description="lift measures whose period ended and mark warnings past their deadline overdue (R-11.1-1)",
        ),
        Job(
            name="blacklist-expire",
            every=timedelta(minutes=10),
            step=blacklist_expire,
            description="end blacklist entries past their end and recompute the accounts' levels (R-11.3-1)",
        ),
        Job(
            name="recompute-activity",
            every=timedelta(hours=1),
            step=recompute_activity,
            description="activity tier of each group from its last 7 days (R-7.1-1)",
        ),
        Job(
            name="credit-recovery",
            every=timedelta(days=1),
            step=credit_recovery,
            description="write down the credit recoveries clean time has earned (R-7.2-1)",
        ),
        Job(
            name="purge-login-failures",
            every=timedelta(hours=1),
            step=purge_login_failures,
            description="forget failed sign-ins that no longer count (unlocked, none for lockout_forget_hours)",
        ),
        Job(
            name="report-periodic",
            every=timedelta(hours=1),
            step=report_periodic_summary,
            description="build the signed summary of the past week or month for the authorities, once, when "
            "reports.periodic is on (D13)",
        ),
        Job(
            name="compliance-check",
            every=timedelta(days=30),
            step=self_check,
            batch=2,  # one run per period
            description="the self-check of every duty, per article, written as a `compliance.check` record (R-14-1)",
        ),
    ]
