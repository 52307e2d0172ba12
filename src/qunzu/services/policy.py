"""The running group policy (Art. 7 ¶1, R-7.1-2): numbered versions in `policy_versions`, the newest one in force.

Version 1 is written at first start from the defaults of REQUIREMENTS §2, with the hard cap and the categories of
the configuration (`groups.max_members_hard` stays the deployment's ceiling: no version may exceed it). Later versions
are written by staff in the console (services/policy_admin.py), each with the changes it makes.

`PolicyBook` serves the version in force to every gate. It keeps the body it last read and looks at the newest
version number at most once per `ttl` on the container's clock, so a change made in any process is in force
everywhere within that time (and at once in the process that made it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from qunzu.clock import Clock
from qunzu.config import GroupSettings
from qunzu.domain.policy import (
    SENSITIVE_CATEGORIES,
    CategoryRule,
    GroupPolicy,
    parse_policy,
    policy_body,
)
from qunzu.storage.tables import policy_versions
from qunzu.storage.uow import Database, UnitOfWork


@dataclass(frozen=True, slots=True)
class PolicyVersion:
    version: int
    policy: GroupPolicy
    created_at: datetime
    created_by: int | None
    filed_at: datetime | None
    filed_ref: str | None


def seed_policy(settings: GroupSettings) -> GroupPolicy:
    """Version 1: the defaults, with the configured hard cap and categories (news, finance, health and education
    flagged sensitive, D16)."""
    categories = tuple(CategoryRule(id=c, sensitive=c in SENSITIVE_CATEGORIES) for c in settings.categories)
    return GroupPolicy(hard_cap=settings.max_members_hard, categories=categories)


def _version(row: object) -> PolicyVersion:
    return PolicyVersion(
        version=row.version,  # type: ignore[attr-defined]
        policy=parse_policy(row.body),  # type: ignore[attr-defined]
        created_at=row.created_at,  # type: ignore[attr-defined]
        created_by=row.created_by,  # type: ignore[attr-defined]
        filed_at=row.filed_at,  # type: ignore[attr-defined]
        filed_ref=row.filed_ref,  # type: ignore[attr-defined]
    )


async def newest_number(uow: UnitOfWork) -> int | None:
    return (await uow.conn.execute(select(func.max(policy_versions.c.version)))).scalar_one_or_none()


async def read_version(uow: UnitOfWork, version: int) -> PolicyVersion:
    row = (await uow.conn.execute(select(policy_versions).where(policy_versions.c.version == version))).one()
    return _version(row)


async def ensure_policy(db: Database, *, settings: GroupSettings, now: datetime) -> bool:
    """Write version 1 if there is none yet (first start). True if it was written."""
    async with db.uow() as uow:
        if await newest_number(uow) is not None:
            return False
        try:
            await uow.conn.execute(
                insert(policy_versions).values(
                    version=1,
                    body=policy_body(seed_policy(settings)),
                    changes=[],
                    note="defaults (REQUIREMENTS §2)",
                    created_by=None,
                    created_at=now,
                )
            )
            await uow.commit()
        except IntegrityError:  # another process wrote it first
            return False
    return True


class PolicyBook:
    """The version in force, for every gate."""

    def __init__(self, db: Database, clock: Clock, *, ttl: timedelta = timedelta(seconds=1)) -> None:
        self._db = db
        self._clock = clock
        self._ttl = ttl
        self._held: PolicyVersion | None = None
        self._checked_at: datetime | None = None

    async def current(self) -> PolicyVersion:
        now = self._clock.now()
        if self._held is not None and self._checked_at is not None and now - self._checked_at < self._ttl:
            return self._held
        async with self._db.uow(write=False) as uow:
            newest = await newest_number(uow)
            if newest is None:
                raise RuntimeError("no group policy: run the server's start-up (ensure_policy) first")
            if self._held is None or self._held.version != newest:
                self._held = await read_version(uow, newest)
        self._checked_at = now
        return self._held

    async def policy(self) -> GroupPolicy:
        return (await self.current()).policy

    def invalidate(self) -> None:
        """Forget what was read (this process just wrote a new version)."""
        self._checked_at = None
