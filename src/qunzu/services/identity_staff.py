"""What staff do with identities (Art. 6): the queue of manual ID reviews, lapses (R-6.1-5), and looking up
accounts. Staff see identities masked; revealing one is services/pii_access.py."""

from __future__ import annotations

import base64
from typing import Any

import structlog
from sqlalchemy import select, update

from qunzu.config import IdentitySettings
from qunzu.domain import identity as rules
from qunzu.domain.identity import Level
from qunzu.domain.staff import ANY_STAFF, LAPSE_DECIDERS, VERIFICATION_REVIEWERS, require_staff_role
from qunzu.domain.text import check_characters, has_visible, parse_int
from qunzu.errors import NotFound, ValidationFailed
from qunzu.services.context import Ctx
from qunzu.services.identity import (
    grant_l2,
    identity_row,
    record_verification,
    set_level,
    today,
)
from qunzu.services.views import UserView
from qunzu.storage import oplog
from qunzu.storage.crypto import KeyRing
from qunzu.storage.tables import identities, manual_submissions, users
from qunzu.storage.uow import Database

log = structlog.get_logger(__name__)


# --- staff review of `manual` submissions -------------------------------------------------------------------------


async def pending_reviews(db: Database, keys: KeyRing, *, staff: UserView) -> list[dict[str, Any]]:
    """Manual verifications waiting for staff, with the submitted data masked."""
    require_staff_role(staff.staff_role, VERIFICATION_REVIEWERS)
    async with db.uow(write=False) as uow:
        rows = list(
            await uow.conn.execute(
                select(manual_submissions, users.c.nickname)
                .join(users, users.c.id == manual_submissions.c.user_id)
                .where(manual_submissions.c.status == "pending")
                .order_by(manual_submissions.c.id)
            )
        )
    return [
        {
            "id": r.id,
            "user_id": r.user_id,
            "nickname": r.nickname,
            "submitted_at": r.created_at,
            "name": rules.mask_name(keys.decrypt(r.name_ct, aad=f"manual_submissions.name:{r.user_id}")),
            "id_number": rules.mask_id_number(
                keys.decrypt(r.id_number_ct, aad=f"manual_submissions.id_number:{r.user_id}")
            ),
            "document_type": r.document_type,
        }
        for r in rows
    ]


async def submission_document(
    db: Database, keys: KeyRing, *, staff: UserView, submission_id: int, ctx: Ctx
) -> tuple[bytes, str]:
    """The ID card photo of a pending submission, for the reviewer deciding it (the view is recorded)."""
    require_staff_role(staff.staff_role, VERIFICATION_REVIEWERS)
    async with db.uow() as uow:
        row = (
            await uow.conn.execute(
                select(manual_submissions).where(
                    manual_submissions.c.id == submission_id, manual_submissions.c.status == "pending"
                )
            )
        ).one_or_none()
        if row is None or row.document_ct is None:
            raise NotFound("No pending submission with this number")
        await oplog.append(
            uow.conn,
            ts=ctx.now,
            actor_id=staff.id,
            action="identity.review_document_viewed",
            target_type="user",
            target_id=row.user_id,
            ip=ctx.ip,
            port=ctx.port,
        )
        await uow.commit()
    raw = base64.b64decode(keys.decrypt(row.document_ct, aad=f"manual_submissions.document:{row.user_id}"))
    return raw, row.document_type or "application/octet-stream"


async def decide_review(
    db: Database,
    keys: KeyRing,
    *,
    staff: UserView,
    submission_id: int,
    approve: bool,
    reason: str,
    ctx: Ctx,
    settings: IdentitySettings,
) -> None:
    """A reviewer approves or rejects a manual verification; the submitted copies are then erased."""
    require_staff_role(staff.staff_role, VERIFICATION_REVIEWERS)
    reason = reason.strip()
    if not reason and not approve:
        raise ValidationFailed("Give the reason for the rejection", details={"field": "reason"})
    async with db.uow() as uow:
        row = (
            await uow.conn.execute(
                select(manual_submissions).where(
                    manual_submissions.c.id == submission_id, manual_submissions.c.status == "pending"
                )
            )
        ).one_or_none()
        if row is None:
            raise NotFound("No pending submission with this number")
        actor = row.user_id
        if approve:
            name = keys.decrypt(row.name_ct, aad=f"manual_submissions.name:{actor}")
            rid = rules.parse_resident_id(
                keys.decrypt(row.id_number_ct, aad=f"manual_submissions.id_number:{actor}"), today=today(ctx)
            )
            await grant_l2(
                uow,
                keys,
                actor,
                name,
                rid,
                keys.blind_index("id", rid.number),
                cap=settings.accounts_per_identity,
                ctx=ctx,
                method="id:manual",
                authoritative=True,
                txn=f"manual-{submission_id}",
                decided_by=staff.id,
                submission_id=submission_id,
            )
        else:
            await record_verification(
                uow,
                actor,
                level=Level.L2,
                method="id:manual",
                result="rejected",
                authoritative=True,
                txn=f"manual-{submission_id}",
                ctx=ctx,
                reason=reason[:200],
                decided_by=staff.id,
                submission_id=submission_id,
            )
        await uow.conn.execute(
            update(manual_submissions)
            .where(manual_submissions.c.id == submission_id)
            .values(status="decided", name_ct=None, id_number_ct=None, document_ct=None)
        )
        await oplog.append(
            uow.conn,
            ts=ctx.now,
            actor_id=staff.id,
            action="identity.review_approve" if approve else "identity.review_reject",
            target_type="user",
            target_id=actor,
            ip=ctx.ip,
            port=ctx.port,
            details={"reason": reason[:200]},
        )
        await uow.commit()


# --- lapses (R-6.1-5) -------------------------------------------------------------------------------------------------


async def mark_lapsed(db: Database, *, staff: UserView, user_id: int, reason: str, ctx: Ctx) -> None:
    """An administrator marks a user's verification as no longer valid (e.g. the number was recycled)."""
    require_staff_role(staff.staff_role, LAPSE_DECIDERS)
    if len(reason.strip()) < 4:
        raise ValidationFailed("Give the reason", details={"field": "reason"})
    async with db.uow() as uow:
        ident = await identity_row(uow, user_id)
        if ident is None:
            raise NotFound("This user has no verified identity")
        await uow.conn.execute(
            update(identities).where(identities.c.user_id == user_id).values(lapsed_at=ctx.now, level=0)
        )
        await set_level(uow, user_id, Level.NONE)
        await record_verification(
            uow,
            user_id,
            level=0,
            method="lapse",
            result="lapsed",
            authoritative=True,
            txn=None,
            ctx=ctx,
            reason=reason.strip()[:200],
            decided_by=staff.id,
        )
        await oplog.append(
            uow.conn,
            ts=ctx.now,
            actor_id=staff.id,
            action="identity.lapse",
            target_type="user",
            target_id=user_id,
            ip=ctx.ip,
            port=ctx.port,
            details={"reason": reason.strip()[:200]},
        )
        await uow.commit()


async def find_users(db: Database, *, staff: UserView, query: str, limit: int = 20) -> list[dict[str, Any]]:
    """Staff look up accounts by id, username or nickname (identity data never matched or shown here)."""
    require_staff_role(staff.staff_role, ANY_STAFF)
    q = check_characters(query, field="q", single_line=True).strip()
    if not has_visible(q):
        return []
    async with db.uow(write=False) as uow:
        stmt = select(
            users.c.id,
            users.c.username,
            users.c.nickname,
            users.c.status,
            users.c.verification_level,
            users.c.staff_role,
            users.c.created_at,
        )
        user_id = parse_int(q, lo=1)
        if user_id is not None:
            stmt = stmt.where(users.c.id == user_id)
        else:
            like = f"%{q.lower()[:64]}%"
            stmt = stmt.where(users.c.username.like(like) | users.c.nickname.like(f"%{q[:64]}%"))
        rows = await uow.conn.execute(stmt.order_by(users.c.id).limit(limit))
        return [dict(r._mapping) for r in rows]


async def staff_account(db: Database, *, staff: UserView, user_id: int) -> dict[str, Any]:
    """The account a staff page is about: username, nickname, status (never identity data)."""
    require_staff_role(staff.staff_role, ANY_STAFF)
    async with db.uow(write=False) as uow:
        row = (
            await uow.conn.execute(
                select(users.c.id, users.c.username, users.c.nickname, users.c.status, users.c.created_at).where(
                    users.c.id == user_id
                )
            )
        ).one_or_none()
    if row is None:
        raise NotFound("No such user")
    return dict(row._mapping)
