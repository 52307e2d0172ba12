"""The staff creation-review queue (Art. 8 ¶3, R-8.3-1): groups asked for the XL tier or in a sensitive category
(D16) wait as `pending_review` until a reviewer approves or refuses them.

Approval opens the group (`active`). A refusal names its reason; the group becomes `refused` (gone for everyone, its
code kept forever) and the creator gets back the places it took: one group owned, one joined, and one of the day's
creations. Both write a `group.review_decision` record, tell the creator live (`group_review_decided` frame) and
leave an account notice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update

from qunzu import netlog
from qunzu.context import Ctx
from qunzu.domain.admission import creation_day
from qunzu.domain.credit import CreditLevel, level_of
from qunzu.domain.groups import check_review_decision, group_not_found
from qunzu.domain.staff import CONTENT_READERS, CONTENT_REVIEWERS, require_staff_role
from qunzu.errors import Conflict, ErrorCode
from qunzu.netlog import Target
from qunzu.services import counters, credit
from qunzu.services.events import GroupCreationDecided
from qunzu.services.notices import add_notice
from qunzu.services.views import UserView
from qunzu.storage.tables import groups, memberships, users
from qunzu.storage.uow import Database, UnitOfWork

PENDING = "pending_review"
NOTICE_KIND = "group_review_decided"


@dataclass(frozen=True, slots=True)
class PendingGroup:
    code: str
    name: str
    category: str
    tier: str
    member_cap: int
    purpose: str
    description: str
    created_at: datetime
    creator_id: int
    creator_nickname: str
    creator_verification_level: int
    creator_credit_score: int
    creator_credit_level: CreditLevel


async def pending_groups(db: Database, *, staff: UserView, now: datetime, limit: int = 100) -> list[PendingGroup]:
    """Groups waiting for creation review, oldest first, with what a reviewer weighs about their creator."""
    require_staff_role(staff.staff_role, CONTENT_READERS)
    async with db.uow(write=False) as uow:
        rows = (
            await uow.conn.execute(
                select(
                    groups,
                    users.c.nickname.label("creator_nickname"),
                    users.c.verification_level.label("creator_level"),
                )
                .join(users, users.c.id == groups.c.creator_id)
                .where(groups.c.status == PENDING)
                .order_by(groups.c.created_at, groups.c.id)
                .limit(limit)
            )
        ).all()
        scores = {uid: await credit.current_score(uow, uid, now=now) for uid in {r.creator_id for r in rows}}
    return [
        PendingGroup(
            code=r.code,
            name=r.name,
            category=r.category,
            tier=r.max_tier,
            member_cap=r.member_cap,
            purpose=r.purpose,
            description=r.description,
            created_at=r.created_at,
            creator_id=r.creator_id,
            creator_nickname=r.creator_nickname,
            creator_verification_level=r.creator_level,
            creator_credit_score=scores[r.creator_id],
            creator_credit_level=level_of(scores[r.creator_id], credit.POLICY),
        )
        for r in rows
    ]


async def decide_group(db: Database, *, staff: UserView, code: str, approve: bool, reason: str, ctx: Ctx) -> str:
    """Approve or refuse a group waiting for creation review; a refusal names its reason. Returns the new status."""
    require_staff_role(staff.staff_role, CONTENT_REVIEWERS)
    why = check_review_decision(approve=approve, reason=reason)
    async with db.uow() as uow:
        stmt = select(groups).where(groups.c.code == code)
        if uow.conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update()
        row = (await uow.conn.execute(stmt)).one_or_none()
        if row is None or row.status == "refused":
            raise group_not_found()
        status = "active" if approve else "refused"
        values: dict[str, object] = {"status": status, "review_reason": why or None}
        if not approve:
            values |= {"closed_at": ctx.now, "closed_by": staff.id, "member_count": 0}
        decided = (
            await uow.conn.execute(
                update(groups)
                .where(groups.c.id == row.id, groups.c.status == PENDING)
                .values(**values)
                .returning(groups.c.id)
            )
        ).first()
        if decided is None:
            raise Conflict("This group has already been decided", code=ErrorCode.ALREADY_DECIDED)
        if not approve:
            await _give_back_places(uow, row)
        await netlog.record(
            uow,
            ctx,
            "group.review_decision",
            Target.group(row.id, row.code),
            actor=staff.id,
            decision="approved" if approve else "refused",
            reason=why or None,
            tier=row.max_tier,
            category=row.category,
            creator=row.creator_id,
        )
        decision = "approved" if approve else "refused"
        details = {"code": row.code, "name": row.name, "decision": decision, "reason": why}
        await add_notice(uow, user_id=row.creator_id, kind=NOTICE_KIND, details=details, now=ctx.now)
        uow.collect(
            GroupCreationDecided(
                creator_id=row.creator_id,
                group_id=row.id,
                group_code=row.code,
                group_name=row.name,
                decision=decision,
                reason=why or None,
                ts_ms=int(ctx.now.timestamp() * 1000),
            )
        )
        await uow.commit()
    return status


async def _give_back_places(uow: UnitOfWork, row: object) -> None:
    """A refused group's creator gets back the places its creation took (R-8.1-2, R-8.1-3): the group owned, the
    group joined, and the creation counted on its day (if that day is still the counter's)."""
    creator: int = row.creator_id  # type: ignore[attr-defined]
    await uow.conn.execute(
        delete(memberships).where(memberships.c.group_id == row.id)  # type: ignore[attr-defined]
    )
    await counters.release_owned(uow, creator)
    await counters.release_joined(uow, creator)
    await counters.release_created_today(uow, creator, day=creation_day(row.created_at))  # type: ignore[attr-defined]
