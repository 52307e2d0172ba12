"""Illegal content found (R-10-3; CSL Art. 47, new 49; 公约第十五条): stop its transmission, remove it, keep it from
spreading, keep the record and raise a report item.

`confirm_illegal` runs in the caller's transaction (a reviewer's rejection marked "confirmed illegal" in
services/review.py::decide_item, or a staff member's confirmation from a measure or a ticket):

- the message is removed through services/enforcement.py::apply_measure (`content_removal`): hidden from members
  (`deleted_at`, `deleted_by`, `delete_reason`), a `message_deleted` frame to live clients, and never replayed with its
  text (history pages, WebSocket replay and gap repair read `stored_view`, which drops a deleted message's text);
  a held message stays unpublished (`review_state` rejected, its pending review items closed);
- the enforcement record keeps the copy of the message with its SHA-256 and is the report item (`reported_at` NULL
  until a package carries it);
- a content ban holds the SHA-256 of the text as the review engine normalises it, so the same text is refused
  everywhere it is screened (services/review.py::screen, services/review_runtime.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import insert, select, update

from qunzu import netlog
from qunzu.context import Ctx
from qunzu.domain.content import REASON_CODES
from qunzu.domain.credit import Severity
from qunzu.domain.enforcement import MeasureKind, MeasureSpec
from qunzu.domain.staff import CONTENT_REVIEWERS, require_staff_role
from qunzu.domain.taxonomy import ContentCategory, illegal_entry
from qunzu.errors import ErrorCode, NotFound
from qunzu.netlog import Target
from qunzu.services import enforcement
from qunzu.services.views import UserView
from qunzu.storage.tables import content_bans, messages, review_items
from qunzu.storage.uow import Database, UnitOfWork


async def ban_text(
    uow: UnitOfWork,
    *,
    digest: str,
    category: ContentCategory,
    record_id: int | None,
    message_id: int | None,
    created_by: int | None,
    ctx: Ctx,
) -> bool:
    """Add a content ban (once per digest; a second finding of the same text keeps the first ban). Returns whether
    a new ban was added."""
    found = (
        await uow.conn.execute(select(content_bans.c.id).where(content_bans.c.text_sha256 == digest))
    ).scalar_one_or_none()
    if found is not None:
        return False
    await uow.conn.execute(
        insert(content_bans).values(
            text_sha256=digest,
            category=category.code,
            record_id=record_id,
            message_id=message_id,
            created_by=created_by,
            created_at=ctx.now,
        )
    )
    return True


async def confirm_illegal(
    uow: UnitOfWork,
    *,
    message_id: int,
    category: str,
    decided_by: int | None,
    ctx: Ctx,
    source: str,
    source_ref: str | None,
    ban_digest: Callable[[str], str],
    reason: str | None = None,
    credit_severity: Severity | None = None,
) -> int:
    """Confirm a message illegal (R-10-3), in the caller's transaction: remove it, ban its normalised text, write the
    enforcement record (the report item) with the message's copy. `category` is a reason code or an illegal
    taxonomy code; `ban_digest` is the review runtime's (ReviewRuntime.ban_digest). Returns the record's id."""
    entry = illegal_entry(category)
    reason_code = category if category in REASON_CODES else "other"
    msg = (await uow.conn.execute(select(messages).where(messages.c.id == message_id))).one_or_none()
    if msg is None:
        raise NotFound("No such message", code=ErrorCode.MESSAGE_NOT_FOUND)
    statement = (reason or "").strip() or f"经核实为违法信息：{entry.name_zh}（{entry.legal_basis}）"
    record_id = await enforcement.apply_measure(
        uow,
        spec=MeasureSpec(
            kind=MeasureKind.CONTENT_REMOVAL,
            target_id=message_id,
            reason_code=reason_code,
            reason=statement,
            evidence_message_ids=(message_id,),
            source=source,
            source_ref=source_ref,
            clause=entry.clause,
            credit_severity=credit_severity,
        ),
        decided_by=decided_by,
        ctx=ctx,
    )
    # stop transmission: a message deleted before stays deleted; one held for review can never be approved into the
    # group. A deletion by this same decision (a review rejection) is the measure's, so an upheld appeal restores it.
    by_this_decision = msg.deleted_by == decided_by and (msg.delete_reason or "").startswith("review:")
    await uow.conn.execute(
        update(messages)
        .where(messages.c.id == message_id)
        .values(
            review_state="rejected",
            deleted_at=msg.deleted_at or ctx.now,
            deleted_by=msg.deleted_by or decided_by,
            delete_reason=f"measure:{record_id}" if by_this_decision else msg.delete_reason or f"measure:{record_id}",
        )
    )
    await uow.conn.execute(
        update(review_items)
        .where(
            review_items.c.kind == "message",
            review_items.c.target_id == str(message_id),
            review_items.c.state == "pending",
        )
        .values(state="rejected", decided_at=ctx.now, decided_by=decided_by, reason_code=reason_code)
    )
    digest = ban_digest(msg.text)
    added = await ban_text(
        uow,
        digest=digest,
        category=entry,
        record_id=record_id,
        message_id=message_id,
        created_by=decided_by,
        ctx=ctx,
    )
    await netlog.record(
        uow, ctx, "content.illegal", Target.message(message_id, group_id=msg.group_id), actor=decided_by,
        record=record_id, category=entry.code, source=source, source_ref=source_ref, banned=digest if added else None,
    )  # fmt: skip
    return record_id


async def confirm_message_illegal(
    db: Database,
    *,
    staff: UserView,
    message_id: int,
    category: str,
    reason: str,
    ctx: Ctx,
    ban_digest: Callable[[str], str],
    source: str = "platform",
    source_ref: str | None = None,
) -> dict[str, Any]:
    """A staff member confirms a message illegal on their own finding (from a measure or a ticket): the author's
    credit is deducted as for a serious violation. Returns the record's id and the ban's category."""
    require_staff_role(staff.staff_role, CONTENT_REVIEWERS)
    if not 1 <= message_id < 2**63:
        raise NotFound("No such message", code=ErrorCode.MESSAGE_NOT_FOUND)
    entry = illegal_entry(category)
    async with db.uow() as uow:
        record_id = await confirm_illegal(
            uow,
            message_id=message_id,
            category=category,
            decided_by=staff.id,
            ctx=ctx,
            source=source,
            source_ref=source_ref,
            ban_digest=ban_digest,
            reason=reason,
            credit_severity=Severity.SERIOUS,
        )
        await uow.commit()
    return {"record_id": record_id, "category": entry.code}
