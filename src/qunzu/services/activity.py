"""The activity tier of each group (Art. 7 ¶1, R-7.1-1), recomputed by the hourly job `recompute-activity`.

For each active group: the published messages and the distinct members who posted them over the last 7 days, turned
into a tier by `domain/policy.activity_tier` with the thresholds of the policy in force, and stored in
`groups.activity_tier` with the time of the recompute (`activity_at`). One step handles up to `limit` groups, those
recomputed longest ago (never-computed first), and skips those already done at this `now`, so a run works through
every group once in short transactions; two processes running it at once only share the work.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update

from qunzu.domain.policy import ActivityTier, GroupPolicy, activity_tier
from qunzu.services.policy import newest_number, read_version
from qunzu.storage.tables import groups, messages
from qunzu.storage.uow import Database, UnitOfWork

WINDOW = timedelta(days=7)


async def _policy(uow: UnitOfWork) -> GroupPolicy | None:
    newest = await newest_number(uow)
    return None if newest is None else (await read_version(uow, newest)).policy


async def recompute_activity(db: Database, *, now: datetime, limit: int = 100) -> int:
    """Recompute the activity tier of up to `limit` groups not yet done at `now`; how many were done."""
    async with db.uow() as uow:
        policy = await _policy(uow)
        if policy is None:
            return 0
        ids = [
            r.id
            for r in await uow.conn.execute(
                select(groups.c.id)
                .where(
                    groups.c.status == "active",
                    or_(groups.c.activity_at.is_(None), groups.c.activity_at < now),
                )
                .order_by(groups.c.activity_at.asc().nulls_first(), groups.c.id)
                .limit(limit)
            )
        ]
        if not ids:
            return 0
        counts = {
            r.group_id: (r.messages, r.senders)
            for r in await uow.conn.execute(
                select(
                    messages.c.group_id,
                    func.count().label("messages"),
                    func.count(func.distinct(messages.c.sender_id)).label("senders"),
                )
                .where(
                    messages.c.group_id.in_(ids),
                    messages.c.seq.is_not(None),  # published (held and rejected messages never reached the group)
                    and_(messages.c.created_at > now - WINDOW, messages.c.created_at <= now),
                )
                .group_by(messages.c.group_id)
            )
        }
        by_tier: dict[ActivityTier, list[int]] = {}
        for gid in ids:
            n, senders = counts.get(gid, (0, 0))
            by_tier.setdefault(activity_tier(n, senders, policy), []).append(gid)
        for tier, gids in by_tier.items():
            await uow.conn.execute(
                update(groups).where(groups.c.id.in_(gids)).values(activity_tier=tier.value, activity_at=now)
            )
        await uow.commit()
    return len(ids)


async def group_activity(db: Database, *, group_id: int) -> tuple[str, datetime | None]:
    """A group's stored activity tier and when it was computed."""
    async with db.uow(write=False) as uow:
        row = (
            await uow.conn.execute(select(groups.c.activity_tier, groups.c.activity_at).where(groups.c.id == group_id))
        ).one()
    return row.activity_tier, row.activity_at
