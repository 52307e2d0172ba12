"""Content review use cases: screening what users publish, the reviewers' queue, lexicon management (Art. 10, 5)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update

from qunzu import netlog
from qunzu.context import Ctx
from qunzu.domain.accounts import removed_nickname
from qunzu.domain.content import Disposition, check_reason_code, content_rejected, profile_disposition
from qunzu.domain.credit import severity_of
from qunzu.domain.groups import PROFILE_FIELDS, takedown_values
from qunzu.domain.roles import GroupRole
from qunzu.domain.staff import CONTENT_READERS, CONTENT_REVIEWERS, require_staff_role
from qunzu.domain.taxonomy import illegal_entry
from qunzu.errors import Conflict, ErrorCode, NotFound, ValidationFailed
from qunzu.netlog import Target
from qunzu.review import Lexicon, ScanResult
from qunzu.services import credit
from qunzu.services.events import GroupProfileChanged, MessageDeleted, MessagePosted, ProfileTakenDown, ReviewDecided
from qunzu.services.messages import message_payload, stored_view
from qunzu.services.review_runtime import ReviewRuntime
from qunzu.services.views import UserView
from qunzu.storage.tables import groups, lexicons, memberships, messages, review_items, users, violations
from qunzu.storage.uow import Database, UnitOfWork

deciders = users.alias("deciders")


@dataclass(frozen=True, slots=True)
class Verdict:
    """The engine's decision on a text, in the form records keep (terms for staff; users see categories only)."""

    action: str
    categories: list[str]
    terms: list[str]
    lexicon_version: str

    @staticmethod
    def of(result: ScanResult, lexicon_version: str) -> Verdict:
        decisive = [h for h in result.hits if not h.excepted]
        return Verdict(
            action=str(result.action),
            categories=sorted({str(h.category) for h in decisive}),
            terms=sorted({h.term for h in decisive}),
            lexicon_version=lexicon_version,
        )


def screen(runtime: ReviewRuntime, text: str) -> Verdict:
    """The engine's verdict on `text`; a text banned as illegal (R-10-3) is blocked under its ban's category."""
    verdict = Verdict.of(runtime.scan(text), runtime.lexicon_version)
    banned = runtime.banned(text)
    if banned is None:
        return verdict
    return Verdict("block", sorted({*verdict.categories, banned}), verdict.terms, verdict.lexicon_version)


def profile_screen(runtime: ReviewRuntime) -> Callable[[str, str], Verdict | None]:
    """The `screen(text, field)` the profile services take: `screen_profile_field` over this runtime."""
    return lambda text, field: screen_profile_field(runtime, text, field=field)


def screen_profile_field(runtime: ReviewRuntime, text: str, *, field: str) -> Verdict | None:
    """Group names, descriptions, nicknames: refused on block or hold; returns the verdict to queue on flag."""
    verdict = screen(runtime, text)
    disposition = profile_disposition(verdict.action)
    if disposition is Disposition.REFUSE:
        raise content_rejected(verdict.categories, field=field)
    return verdict if disposition is Disposition.PUBLISH_AND_QUEUE else None


def review_item_values(
    *,
    kind: str,
    target_id: str | int,
    author_id: int,
    text: str,
    verdict: Verdict,
    now: datetime,
    group_id: int | None = None,
) -> dict[str, Any]:
    """The row of a queued review item."""
    return {
        "kind": kind,
        "target_id": str(target_id),
        "group_id": group_id,
        "author_id": author_id,
        "text": text,
        "action": verdict.action,
        "categories": verdict.categories,
        "hits": verdict.terms,
        "lexicon_version": verdict.lexicon_version,
        "state": "pending",
        "created_at": now,
    }


async def queue_item(uow: UnitOfWork, **fields: Any) -> None:
    """Put something on the reviewers' queue, in the transaction that stores it."""
    await uow.conn.execute(insert(review_items).values(**review_item_values(**fields)))


# --- the reviewers' queue -------------------------------------------------------------------------------------------


async def review_queue(
    db: Database, *, staff: UserView, state: str = "pending", limit: int = 100
) -> list[dict[str, Any]]:
    """Held and flagged items with their context (the group, the author, the messages around a message)."""
    require_staff_role(staff.staff_role, CONTENT_READERS)
    if state not in ("pending", "approved", "rejected"):
        raise ValidationFailed("state is pending, approved or rejected", details={"field": "state"})
    async with db.uow(write=False) as uow:
        rows = list(
            await uow.conn.execute(
                select(
                    review_items,
                    users.c.nickname.label("author_nickname"),
                    groups.c.code.label("group_code"),
                    deciders.c.nickname.label("decider_nickname"),
                )
                .join(users, users.c.id == review_items.c.author_id)
                .outerjoin(deciders, deciders.c.id == review_items.c.decided_by)
                .outerjoin(groups, groups.c.id == review_items.c.group_id)
                .where(review_items.c.state == state)
                .order_by(review_items.c.id.asc() if state == "pending" else review_items.c.id.desc())
                .limit(limit)
            )
        )
        out = []
        for r in rows:
            item = dict(r._mapping)
            item["context"] = await _context(uow, r) if r.kind == "message" else []
            out.append(item)
        return out


async def _context(uow: UnitOfWork, item: Any) -> list[dict[str, Any]]:
    """Up to three published messages before the reviewed one, for context."""
    msg = (await uow.conn.execute(select(messages).where(messages.c.id == int(item.target_id)))).one_or_none()
    if msg is None:
        return []
    stmt = select(messages.c.seq, messages.c.sender_nickname, messages.c.text, messages.c.created_at).where(
        messages.c.group_id == msg.group_id, messages.c.seq.is_not(None), messages.c.id < msg.id
    )
    rows = await uow.conn.execute(stmt.order_by(messages.c.id.desc()).limit(3))
    return [dict(r._mapping) for r in reversed(list(rows))]


async def decide_item(
    db: Database,
    *,
    staff: UserView,
    item_id: int,
    approve: bool,
    reason_code: str | None,
    lexicon_version: str,
    ctx: Ctx,
    confirmed_illegal: bool = False,
    ban_digest: Callable[[str], str] | None = None,
) -> None:
    """Approve or reject a queued item. A rejection removes it for members (the record stays) and records a violation
    against the author; approving a held message delivers it to the group. A rejection `confirmed_illegal` (R-10-3)
    also bans the text (hashed by `ban_digest`, the review runtime's) and, for a message, writes the content-removal
    record that carries the deduction and is reported (services/illegal_content.py)."""
    require_staff_role(staff.staff_role, CONTENT_REVIEWERS)
    if not approve:
        check_reason_code(reason_code or "")
    if confirmed_illegal and (approve or ban_digest is None):
        raise ValidationFailed(
            "Only a rejection confirms content illegal", details={"field": "confirmed_illegal", "reason": "approve"}
        )
    async with db.uow() as uow:
        item = (await uow.conn.execute(select(review_items).where(review_items.c.id == item_id))).one_or_none()
        if item is None:
            raise NotFound("No such review item")
        if item.state != "pending":
            raise Conflict("This item has already been decided", code=ErrorCode.ALREADY_DECIDED)
        removed = False
        if item.kind == "message":
            await _decide_message(uow, item, approve=approve, staff=staff, reason=reason_code, ctx=ctx)
        elif not approve:
            removed = await _remove_profile_text(uow, item, reason_code, ctx)
        await uow.conn.execute(
            update(review_items)
            .where(review_items.c.id == item_id)
            .values(
                state="approved" if approve else "rejected",
                decided_at=ctx.now,
                decided_by=staff.id,
                reason_code=reason_code,
                decision_lexicon_version=lexicon_version,
            )
        )
        if not approve:
            for category in item.categories or ["custom"]:
                await uow.conn.execute(
                    insert(violations).values(
                        user_id=item.author_id,
                        category=category,
                        source="review",
                        review_item_id=item_id,
                        reason_code=reason_code,
                        created_at=ctx.now,
                    )
                )
            if confirmed_illegal and ban_digest is not None:
                await _confirm_illegal(uow, item, reason_code or "other", staff=staff, ban_digest=ban_digest, ctx=ctx)
            if not (confirmed_illegal and item.kind == "message"):  # else the content-removal record carries it
                await credit.record_violation(
                    uow,
                    user_id=item.author_id,
                    reason_code=reason_code or "other",
                    rule="R-10-1",
                    source="review",
                    source_id=item_id,
                    decided_by=staff.id,
                    ctx=ctx,
                )
        await netlog.record(
            uow,
            ctx,
            "review.approve" if approve else "review.reject",
            Target(item.kind, item.target_id, item.group_id),
            actor=staff.id,
            item=item_id,
            reason=reason_code,
            lexicon=lexicon_version,
            **({"removed": item.text} if removed else {}),
        )
        await uow.commit()


async def _confirm_illegal(
    uow: UnitOfWork, item: Any, reason_code: str, *, staff: UserView, ban_digest: Callable[[str], str], ctx: Ctx
) -> None:
    """R-10-3 from the review queue: a message gets its content-removal record and ban; a group name, description or
    nickname its ban (the review record is its record)."""
    # imported here: illegal_content -> enforcement -> measure_state -> groups imports this module's queue_item
    from qunzu.services import illegal_content

    if item.kind == "message":
        await illegal_content.confirm_illegal(
            uow, message_id=int(item.target_id), category=reason_code, decided_by=staff.id, ctx=ctx, source="review",
            source_ref=f"review_item:{item.id}", ban_digest=ban_digest, credit_severity=severity_of(reason_code),
        )  # fmt: skip
        return
    await illegal_content.ban_text(
        uow, digest=ban_digest(item.text), category=illegal_entry(reason_code), record_id=None, message_id=None,
        created_by=staff.id, ctx=ctx,
    )  # fmt: skip


async def _remove_profile_text(uow: UnitOfWork, item: Any, reason: str | None, ctx: Ctx) -> bool:
    """A rejected group name, description or announcement, or nickname, is taken down where it is still in
    place (an edit since then has already replaced it): a name gives way to the group's code, a description or
    announcement to nothing, a nickname to 用户<id>. The text itself stays in the review record. The author is
    told at once, on their own connections."""
    ts_ms = int(ctx.now.timestamp() * 1000)
    field = PROFILE_FIELDS.get(item.kind)
    if field is not None:
        stmt = (
            update(groups)
            .where(groups.c.code == item.target_id, groups.c[field] == item.text)
            .values(**takedown_values(field, item.target_id))
            .returning(groups)
        )
        row = (await uow.conn.execute(stmt)).one_or_none()
        if row is None:  # gone, or edited since: the text is no longer shown
            return False
        uow.collect(GroupProfileChanged.of(row, ts_ms))
        uow.collect(ProfileTakenDown(item.author_id, item.kind, row.id, row.code, reason, ts_ms))
        return True
    if item.kind == "nickname":
        user_id = int(item.target_id)
        result = await uow.conn.execute(
            update(users)
            .where(users.c.id == user_id, users.c.nickname == item.text)
            .values(nickname=removed_nickname(user_id))
        )
        if not result.rowcount:
            return False
        uow.collect(ProfileTakenDown(user_id, "nickname", None, None, reason, ts_ms))
        return True
    return False


async def _decide_message(
    uow: UnitOfWork, item: Any, *, approve: bool, staff: UserView, reason: str | None, ctx: Ctx
) -> None:
    msg = (await uow.conn.execute(select(messages).where(messages.c.id == int(item.target_id)))).one()
    code = (await uow.conn.execute(select(groups.c.code).where(groups.c.id == msg.group_id))).scalar_one()
    ts_ms = int(ctx.now.timestamp() * 1000)

    def tell_author(decision: str, seq: int | None) -> None:  # live, to the author's own connections only
        uow.collect(
            ReviewDecided(
                group_id=msg.group_id,
                group_code=code,
                author_id=msg.sender_id,
                message_id=msg.id,
                client_msg_id=msg.client_msg_id,
                decision=decision,
                reason=reason,
                seq=seq,
                ts_ms=ts_ms,
            )
        )

    if msg.review_state == "group_held":  # also held by its group's keyword list: a platform rejection wins,
        if not approve:  # an approval leaves it to the group's owner and managers (services/group_chat_controls.py)
            await uow.conn.execute(update(messages).where(messages.c.id == msg.id).values(review_state="rejected"))
            tell_author("rejected", None)
        return
    if msg.review_state == "held":
        if approve:
            stmt = select(groups.c.last_seq).where(groups.c.id == msg.group_id)
            if uow.dialect == "postgresql":
                stmt = stmt.with_for_update()
            seq = (await uow.conn.execute(stmt)).scalar_one() + 1
            await uow.conn.execute(update(groups).where(groups.c.id == msg.group_id).values(last_seq=seq))
            row = (
                await uow.conn.execute(
                    update(messages)
                    .where(messages.c.id == msg.id)
                    .values(seq=seq, review_state="approved")
                    .returning(messages)
                )
            ).one()
            role = (
                await uow.conn.execute(
                    select(memberships.c.role).where(
                        memberships.c.group_id == msg.group_id, memberships.c.user_id == msg.sender_id
                    )
                )
            ).scalar_one_or_none()
            view = stored_view(row, code, GroupRole(role) if role else None)
            uow.collect(MessagePosted(group_id=msg.group_id, group_code=code, seq=seq, message=message_payload(view)))
            tell_author("approved", seq)
        else:
            await uow.conn.execute(update(messages).where(messages.c.id == msg.id).values(review_state="rejected"))
            tell_author("rejected", None)
        return
    # flagged: already published
    if approve:
        await uow.conn.execute(update(messages).where(messages.c.id == msg.id).values(review_state="approved"))
        return
    await uow.conn.execute(
        update(messages)
        .where(messages.c.id == msg.id)
        .values(
            review_state="rejected",
            deleted_at=msg.deleted_at or ctx.now,
            deleted_by=msg.deleted_by or staff.id,
            delete_reason=msg.delete_reason or f"review:{reason}",
        )
    )
    if msg.deleted_at is None:
        uow.collect(MessageDeleted(group_id=msg.group_id, group_code=code, message_id=msg.id, seq=msg.seq, ts_ms=ts_ms))
        tell_author("rejected", msg.seq)


# --- lexicon management ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LexiconInfo:
    version: int
    content_hash: str
    term_count: int
    note: str
    created_at: datetime
    created_by: int | None


async def lexicon_history(db: Database, *, staff: UserView, limit: int = 50) -> list[LexiconInfo]:
    require_staff_role(staff.staff_role, CONTENT_READERS)
    async with db.uow(write=False) as uow:
        rows = await uow.conn.execute(
            select(
                lexicons.c.version,
                lexicons.c.content_hash,
                lexicons.c.term_count,
                lexicons.c.note,
                lexicons.c.created_at,
                lexicons.c.created_by,
            )
            .order_by(lexicons.c.version.desc())
            .limit(limit)
        )
        return [LexiconInfo(**r._mapping) for r in rows]


async def current_lexicon(db: Database, *, staff: UserView | None) -> tuple[int, str]:
    """(version, content) of the newest lexicon (staff only; the CLI passes staff=None)."""
    if staff is not None:
        require_staff_role(staff.staff_role, CONTENT_READERS)
    async with db.uow(write=False) as uow:
        row = (
            await uow.conn.execute(
                select(lexicons.c.version, lexicons.c.content).order_by(lexicons.c.version.desc()).limit(1)
            )
        ).one_or_none()
    return (0, "") if row is None else (row.version, row.content)


def check_may_edit_lexicon(*, staff: UserView) -> None:
    """Only content reviewers and administrators edit the lexicon; asked before a large upload is even read."""
    require_staff_role(staff.staff_role, CONTENT_REVIEWERS)


async def save_lexicon(db: Database, *, staff: UserView | None, lexicon: Lexicon, note: str, ctx: Ctx) -> LexiconInfo:
    """Store a new lexicon version (every process picks it up within seconds). The CLI passes staff=None."""
    if staff is not None:
        require_staff_role(staff.staff_role, CONTENT_REVIEWERS)
    content = lexicon.dump_text()
    async with db.uow() as uow:
        newest = (await uow.conn.execute(select(func.max(lexicons.c.version)))).scalar_one_or_none() or 0
        info = LexiconInfo(
            version=newest + 1,
            content_hash=lexicon.content_hash,
            term_count=len(lexicon),
            note=note.strip()[:200],
            created_at=ctx.now,
            created_by=staff.id if staff else None,
        )
        await uow.conn.execute(
            insert(lexicons).values(
                version=info.version,
                content=content,
                content_hash=info.content_hash,
                term_count=info.term_count,
                note=info.note,
                created_at=info.created_at,
                created_by=info.created_by,
            )
        )
        await netlog.record(
            uow,
            ctx,
            "lexicon.save",
            Target("lexicon", info.version),
            actor=staff.id if staff else None,
            terms=info.term_count,
            note=info.note,
        )
        await uow.commit()
    return info


def test_text(runtime: ReviewRuntime, *, staff: UserView, text: str) -> dict[str, Any]:
    """The staff "test this text" tool: what the engine sees (normalised text), its hits and its decision."""
    require_staff_role(staff.staff_role, CONTENT_READERS)
    if len(text) > 20_000:
        raise ValidationFailed("At most 20,000 characters", details={"field": "text"})
    result = runtime.scan(text)
    return {
        "action": str(result.action),
        "normalized": result.normalized,
        "hits": [
            {
                "term": h.term,
                "category": str(h.category),
                "action": str(h.action),
                "start": h.start,
                "end": h.end,
                "matched": text[h.start : h.end],
                "excepted": h.excepted,
                "via": h.via,
            }
            for h in result.hits
        ],
        "lexicon_version": runtime.lexicon_version,
    }


async def edit_lexicon(
    db: Database,
    runtime: ReviewRuntime,
    *,
    staff: UserView | None,
    add: list[Any] = (),  # type: ignore[assignment]
    remove: list[str] = (),  # type: ignore[assignment]
    replace_with: Lexicon | None = None,
    note: str,
    ctx: Ctx,
) -> LexiconInfo:
    """Add or remove entries, or replace the whole lexicon, as a new version; this process reloads at once."""
    if replace_with is not None:
        lexicon = replace_with
    else:
        _, content = await current_lexicon(db, staff=staff)
        current = {e.term: e for e in Lexicon.load_text(content.splitlines(), strict=False)}
        for term in remove:
            if term not in current:
                raise NotFound("No such term in the lexicon", details={"term": term})
            del current[term]
        for entry in add:
            current[entry.term] = entry
        lexicon = Lexicon.from_entries(current.values())
    info = await save_lexicon(db, staff=staff, lexicon=lexicon, note=note, ctx=ctx)
    await runtime.refresh()
    return info
