"""Reporting (举报, Art. 12, R-12.1-1, R-12.1-2): in the app on a message, a member or a group, and through the public
form without an account. Each report is a ticket at once, with a number shown to the reporter, a snapshot of what was
reported and its context (services/complaint_snapshot.py), its deadline (D14) and its place in the queue.

Only what the reporter may see can be reported: a message of a group they are in, a member of a group they share, a
group they belong to or whose info page is public. Reporting a target again while one's ticket on it is open answers
with that ticket. Accounts file at most `complaints.reports_per_day` reports in 24 hours; the public form and its
status lookup are limited per source address (no CAPTCHA). A form reporter's contact is encrypted like other
personal data, and the status code shown once is stored only as a hash. The staff side is services/complaint_desk.py.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from redis.exceptions import RedisError
from sqlalchemy import func, insert, select, update

from qunzu import netlog
from qunzu.config import ComplaintSettings, RateLimit
from qunzu.context import Ctx
from qunzu.domain import complaints as rules
from qunzu.domain.admission import info_is_public
from qunzu.domain.complaints import ComplaintSla, Reporter, TargetType
from qunzu.domain.credit import level_of
from qunzu.domain.groupcode import parse_group_code
from qunzu.domain.policy import GroupPolicy
from qunzu.domain.text import clean_line
from qunzu.domain.throttle import Bucket, ip_key
from qunzu.errors import ErrorCode, NotFound, RateLimited, ValidationFailed
from qunzu.i18n import section
from qunzu.netlog import Target
from qunzu.services import credit
from qunzu.services.access import access_group, access_group_as_member
from qunzu.services.complaint_snapshot import (
    group_snapshot,
    message_snapshot,
    snapshot_sha256,
    text_snapshot,
    user_snapshot,
)
from qunzu.services.groups import check_visible
from qunzu.services.throttle import Throttle
from qunzu.storage.crypto import KeyRing
from qunzu.storage.tables import groups, memberships, messages, tickets
from qunzu.storage.uow import Database, UnitOfWork

log = structlog.get_logger(__name__)

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud or typed from a note
CODE_LENGTH = 10
CONTACT_MAX = 200


def category_text(code: str, language: str) -> str:
    """A report category's label in `language` (an unknown code as stored)."""
    return section(language, "report_categories").get(code, code)


def sla_of(settings: ComplaintSettings) -> ComplaintSla:
    """The published handling times, from the configuration."""
    return ComplaintSla(
        staffed_from=settings.staffed_from,
        staffed_to=settings.staffed_to,
        staffed_every_day=settings.staffed_every_day,
        holidays=frozenset(settings.holidays),
        workdays=frozenset(settings.workdays),
        high_risk_staffed=timedelta(minutes=settings.high_risk_staffed_minutes),
        high_risk_other=timedelta(hours=settings.high_risk_other_hours),
        decide_working_days=settings.decide_working_days,
        feedback_working_days=settings.feedback_working_days,
    )


@dataclass(frozen=True, slots=True)
class Receipt:
    """What the reporter is shown at once: the ticket number, and for the public form the status code (once)."""

    id: int
    number: str
    category: str
    high_risk: bool
    received_at: datetime
    due_at: datetime
    feedback_due: datetime
    lookup_code: str | None = None
    existing: bool = False  # the reporter's open ticket on this target, not a new one


@dataclass(frozen=True, slots=True)
class _Target:
    type: TargetType
    id: str
    group_id: int | None
    snapshot: dict[str, Any]
    record: Target


# --- in the app ---------------------------------------------------------------------------------------------------


async def report_message(
    db: Database, *, actor: int, code: str, message_id: int, category: str, description: str = "",
    settings: ComplaintSettings, ctx: Ctx,
) -> Receipt:  # fmt: skip
    """Report a message of a group the actor is in; it and the messages around it are snapshotted."""
    cat, text = rules.parse_category(category), rules.clean_description(description)
    async with db.uow() as uow:
        access = await access_group_as_member(uow.conn, actor=actor, code=code)
        row = (
            await uow.conn.execute(
                select(messages).where(
                    messages.c.id == message_id,
                    messages.c.group_id == access.id,
                    messages.c.seq.is_not(None),
                    messages.c.deleted_at.is_(None),
                )
            )
        ).one_or_none()
        if row is None:
            raise NotFound("No such message in this group", code=ErrorCode.MESSAGE_NOT_FOUND)
        target = _Target(
            TargetType.MESSAGE,
            str(row.id),
            access.id,
            await message_snapshot(uow, row, taken_at=ctx.now),
            Target.message(row.id, group_id=access.id),
        )
        receipt = await _file(uow, reporter=actor, target=target, category=cat, description=text,
                              settings=settings, ctx=ctx)  # fmt: skip
        await uow.commit()
    return receipt


async def report_user(
    db: Database, *, actor: int, user_id: int, code: str, category: str, description: str = "",
    settings: ComplaintSettings, ctx: Ctx,
) -> Receipt:  # fmt: skip
    """Report a member of a group the actor is in (from its member list or a message's sender)."""
    cat, text = rules.parse_category(category), rules.clean_description(description)
    async with db.uow() as uow:
        access = await access_group_as_member(uow.conn, actor=actor, code=code)
        member = (
            await uow.conn.execute(
                select(memberships.c.user_id).where(
                    memberships.c.group_id == access.id,
                    memberships.c.user_id == user_id,
                )
            )
        ).one_or_none()
        if member is None or user_id == actor:
            raise NotFound("No such member in this group", code=ErrorCode.MEMBER_NOT_FOUND)
        target = _Target(
            TargetType.USER,
            str(user_id),
            access.id,
            await user_snapshot(uow, user_id, group_id=access.id, taken_at=ctx.now),
            Target.user(user_id, group_id=access.id),
        )
        receipt = await _file(uow, reporter=actor, target=target, category=cat, description=text,
                              settings=settings, ctx=ctx)  # fmt: skip
        await uow.commit()
    return receipt


async def report_group(
    db: Database, *, actor: int, code: str, category: str, description: str = "", settings: ComplaintSettings,
    policy: GroupPolicy, ctx: Ctx,
) -> Receipt:  # fmt: skip
    """Report a group the actor is in, or one whose info page is public to them (a large, unhidden group)."""
    cat, text = rules.parse_category(category), rules.clean_description(description)
    async with db.uow() as uow:
        access = await access_group(uow.conn, actor=actor, code=code)
        row = (await uow.conn.execute(select(groups).where(groups.c.id == access.id))).one()
        check_visible(row, actor=actor)
        member = access.role is not None
        if not member and (row.hidden or not info_is_public(policy, row.member_count)):
            access.require_member()  # a small or hidden group's report button is for its members: not_member
        target = _Target(
            TargetType.GROUP,
            str(row.id),
            row.id,
            await group_snapshot(uow, row.id, member=member, taken_at=ctx.now),
            Target.group(row.id, row.code),
        )
        receipt = await _file(uow, reporter=actor, target=target, category=cat, description=text,
                              settings=settings, ctx=ctx)  # fmt: skip
        await uow.commit()
    return receipt


# --- the public form ----------------------------------------------------------------------------------------------


async def report_by_form(
    db: Database, *, target: str, category: str, description: str, contact: str, keys: KeyRing,
    throttle: Throttle, settings: ComplaintSettings, ctx: Ctx,
) -> Receipt:  # fmt: skip
    """A report through the public form, no account needed: the target named by a message link, a group code or
    words; an optional contact (encrypted); a status code shown once with the number."""
    cat, text = rules.parse_category(category), rules.clean_description(description)
    named = rules.parse_form_target(target)
    contact = clean_line(contact or "", field="contact", required=False).strip()
    if len(contact) > CONTACT_MAX:
        raise ValidationFailed("At most 200 characters", details={"field": "contact", "max_length": CONTACT_MAX})
    await _take(throttle, "report_form", ctx.ip, settings.form_per_ip, ctx.now)
    async with db.uow() as uow:
        found = await _form_target(uow, named, taken_at=ctx.now)
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        receipt = await _file(uow, reporter=None, target=found, category=cat, description=text,
                              settings=settings, ctx=ctx, channel="form", lookup_code=code,
                              contact=contact or None, keys=keys)  # fmt: skip
        await uow.commit()
    return receipt


async def _form_target(uow: UnitOfWork, named: rules.FormTarget, *, taken_at: datetime) -> _Target:
    """What a form names, resolved where it can be: a message or group that exists is snapshotted like in the app
    (the reporter never sees the snapshot); anything else is kept as the reporter's words."""
    group = None
    if named.group_code is not None:
        try:
            code = parse_group_code(named.group_code)
        except ValidationFailed:
            code = None
        if code is not None:
            group = (await uow.conn.execute(select(groups).where(groups.c.code == code))).one_or_none()
    if group is not None and named.kind is TargetType.MESSAGE:
        row = (
            await uow.conn.execute(
                select(messages).where(
                    messages.c.id == named.message_id,
                    messages.c.group_id == group.id,
                    messages.c.seq.is_not(None),
                )
            )
        ).one_or_none()
        if row is not None:
            snap = await message_snapshot(uow, row, taken_at=taken_at)
            return _Target(TargetType.MESSAGE, str(row.id), group.id, snap, Target.message(row.id, group_id=group.id))
    if group is not None:
        snap = await group_snapshot(uow, group.id, member=False, taken_at=taken_at)
        return _Target(TargetType.GROUP, str(group.id), group.id, snap, Target.group(group.id, group.code))
    words = named.text or (named.group_code or "")
    digest = hashlib.sha256(words.casefold().encode()).hexdigest()[:40]
    kind = TargetType.USER if named.kind is TargetType.USER else TargetType.GROUP
    return _Target(kind, words[:64], None, text_snapshot(words, taken_at=taken_at), Target("ticket", f"name:{digest}"))


# --- filing -------------------------------------------------------------------------------------------------------


def _key(target: _Target) -> str:
    if target.record.type == "ticket":  # words only: tickets naming the same words are grouped
        return f"{target.type.value}:{target.record.id}"
    return rules.target_key(target.type, target.id)


async def _file(
    uow: UnitOfWork, *, reporter: int | None, target: _Target, category: rules.ReportCategory, description: str,
    settings: ComplaintSettings, ctx: Ctx, channel: str = "app", lookup_code: str | None = None,
    contact: str | None = None, keys: KeyRing | None = None,
) -> Receipt:  # fmt: skip
    """Write the ticket (number, snapshot and its hash, deadline), re-rank its target and record the report."""
    key = _key(target)
    sla = sla_of(settings)
    if reporter is not None:
        mine = (
            await uow.conn.execute(
                select(tickets).where(
                    tickets.c.reporter_id == reporter,
                    tickets.c.target_key == key,
                    tickets.c.status.in_(rules.OPEN),
                )
            )
        ).first()
        if mine is not None:
            return _receipt(mine, sla, existing=True)
        since = ctx.now - timedelta(hours=24)
        filed = (
            await uow.conn.execute(
                select(func.count()).where(tickets.c.reporter_id == reporter, tickets.c.received_at > since)
            )
        ).scalar_one()
        rules.check_report_limit(int(filed), limit=settings.reports_per_day)
    number = await _new_number(uow, ctx.now)
    high_risk = rules.is_high_risk(category)
    row = (
        await uow.conn.execute(
            insert(tickets)
            .values(
                number=number,
                channel=channel,
                reporter_id=reporter,
                reporter_contact=keys.encrypt(contact, aad=f"tickets.contact:{number}") if contact and keys else None,
                lookup_hash=lookup_hash(number, lookup_code) if lookup_code else None,
                target_type=target.type.value,
                target_id=target.id,
                target_key=key,
                group_id=target.group_id,
                category=category.value,
                description=description,
                snapshot=target.snapshot,
                snapshot_sha256=snapshot_sha256(target.snapshot),
                high_risk=high_risk,
                priority=0,
                status=rules.TicketStatus.RECEIVED.value,
                received_at=ctx.now,
                due_at=sla.due(category, ctx.now),
            )
            .returning(tickets)
        )
    ).one()
    await rerank(uow, key, now=ctx.now)
    await netlog.record(uow, ctx, "report.file", target.record, actor=reporter, number=number,
                        category=category.value, channel=channel, high_risk=high_risk,
                        snapshot_sha256=row.snapshot_sha256)  # fmt: skip
    return _receipt(row, sla, lookup_code=lookup_code)


def _receipt(row: Any, sla: ComplaintSla, *, existing: bool = False, lookup_code: str | None = None) -> Receipt:
    return Receipt(
        id=row.id,
        number=row.number,
        category=row.category,
        high_risk=row.high_risk,
        received_at=row.received_at,
        due_at=row.due_at,
        feedback_due=sla.feedback_due(row.received_at),
        lookup_code=lookup_code,
        existing=existing,
    )


async def rerank(uow: UnitOfWork, key: str, *, now: datetime) -> None:
    """Set the priority of every open ticket on a target from its distinct reporters and their credit levels."""
    rows = list(
        await uow.conn.execute(
            select(tickets.c.reporter_id, tickets.c.high_risk).where(
                tickets.c.target_key == key, tickets.c.status.in_(rules.OPEN)
            )
        )
    )
    levels = await reporter_levels(uow, {r.reporter_id for r in rows if r.reporter_id is not None}, now=now)
    reporters = [Reporter(r.reporter_id, levels.get(r.reporter_id, 0)) for r in rows]
    value = rules.priority(reporters, high_risk=any(r.high_risk for r in rows))
    await uow.conn.execute(
        update(tickets).where(tickets.c.target_key == key, tickets.c.status.in_(rules.OPEN)).values(priority=value)
    )


async def _new_number(uow: UnitOfWork, now: datetime) -> str:
    """JB + the Beijing date + 8 random digits, unique (drawn again on the rare collision)."""
    day = now.astimezone(rules.BEIJING).strftime("%Y%m%d")
    while True:
        number = f"JB{day}{secrets.randbelow(10**8):08d}"
        taken = (await uow.conn.execute(select(tickets.c.id).where(tickets.c.number == number))).first()
        if taken is None:
            return number


def lookup_hash(number: str, code: str) -> str:
    """The stored form of a status code: bound to its ticket's number."""
    return hashlib.sha256(f"{number}:{code.strip().upper()}".encode()).hexdigest()


async def _take(throttle: Throttle, action: str, ip: str | None, limit: RateLimit, now: datetime) -> None:
    """One hit on a per-source limit of the public form; refused with `report_limit` and the wait."""
    bucket = Bucket(
        f"{action}:{ip_key(ip, ipv6_prefix=throttle.settings.ipv6_prefix)}", limit.limit, limit.window_seconds * 1000
    )
    try:
        wait = await throttle.store.hit([bucket], now_ms=int(now.timestamp() * 1000))
    except (RedisError, OSError) as exc:  # as every throttle: a broken Redis must not close the channel
        log.error("throttle_store_failed", error=type(exc).__name__, keys=[action])
        return
    if wait > 0:
        raise RateLimited(
            "Too many reports from this address; try again later",
            code=ErrorCode.REPORT_LIMIT,
            details={"retry_after_ms": int(wait)},
        )


# --- what the reporter sees ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReportStatus:
    number: str
    channel: str
    target_type: str
    target_label: str
    category: str
    stage: str  # received | in_review | upheld | rejected | told
    outcome: str | None  # upheld | rejected once decided
    received_at: datetime
    due_at: datetime
    decided_at: datetime | None
    feedback_at: datetime | None


def target_label(snapshot: dict[str, Any]) -> str:
    """How the reporter recognises what they reported: the group's name, or the nickname reported."""
    kind = snapshot.get("kind")
    if kind == "user":
        return str(snapshot.get("user", {}).get("nickname", ""))
    if kind == "text":
        return str(snapshot.get("text", ""))
    return str((snapshot.get("group") or {}).get("name", ""))


def _status(row: Any) -> ReportStatus:
    decided = row.status in rules.DECIDED
    return ReportStatus(
        number=row.number,
        channel=row.channel,
        target_type=row.target_type,
        target_label=target_label(row.snapshot or {}),
        category=row.category,
        stage=rules.stage(row.status, row.feedback_at),
        outcome=row.status if decided else None,
        received_at=row.received_at,
        due_at=row.due_at,
        decided_at=row.decided_at,
        feedback_at=row.feedback_at,
    )


async def my_reports(db: Database, *, actor: int, limit: int = 100) -> list[ReportStatus]:
    """我的举报: the actor's reports, newest first, with where each stands and its outcome."""
    async with db.uow(write=False) as uow:
        rows = await uow.conn.execute(
            select(tickets).where(tickets.c.reporter_id == actor).order_by(tickets.c.id.desc()).limit(limit)
        )
        return [_status(r) for r in rows]


async def report_status(
    db: Database, *, number: str, code: str, throttle: Throttle, settings: ComplaintSettings, ctx: Ctx
) -> ReportStatus:
    """A public-form report's status, by its number and the code shown once; a wrong pair answers
    `ticket_not_found` whichever part is wrong, and tries are limited per source address."""
    await _take(throttle, "report_lookup", ctx.ip, settings.lookup_per_ip, ctx.now)
    number = number.strip().upper()
    async with db.uow(write=False) as uow:
        row = (await uow.conn.execute(select(tickets).where(tickets.c.number == number))).one_or_none()
    ok = (
        row is not None
        and row.lookup_hash is not None
        and secrets.compare_digest(row.lookup_hash, lookup_hash(number, code or ""))
    )
    rules.check_lookup(ok)
    return _status(row)


async def reporter_levels(uow: UnitOfWork, reporter_ids: set[int], *, now: datetime) -> dict[int, int]:
    """The credit level of each reporter (for the queue's priority, and what handlers see)."""
    out = {}
    for uid in reporter_ids:
        out[uid] = int(level_of(await credit.current_score(uow, uid, now=now), credit.POLICY))
    return out
