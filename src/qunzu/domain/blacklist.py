"""The blacklist (Art. 11 ¶2, agreement §6.4, decision D11): who is on it, how severely, on whose word, until when.

An entry names a subject: a **group** (closed by a measure; its owner's identity may not create a group, nor re-create
it under the same name, while the entry holds), an **account**, or an **identity** (the HMAC of a verified mobile or
ID number, so a person cannot come back under a new account). Each entry has a severity (`BlacklistLevel`), a source
(a platform decision, or an authority's instruction with its document number), a start, a review date that is never
after its end, an end (or none: until removed) and evidence. An account's effective level is the highest severity of
the active entries on it and on the identity it verified with; services/blacklist.py keeps it in
`users.blacklist_level`, and the gates of domain/restrictions.py read it.

Pure: entries come in as `EntryFacts`, the time as `now`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from qunzu.domain.restrictions import BlacklistLevel
from qunzu.domain.rules import rule
from qunzu.errors import Conflict, ErrorCode, Forbidden, QunzuError, ValidationFailed


class SubjectType(StrEnum):
    GROUP = "group"  # subject_key: the group's id
    ACCOUNT = "account"  # subject_key: the user's id
    IDENTITY = "identity"  # subject_key: the HMAC (hex) of a verified mobile number or ID number


class Source(StrEnum):
    PLATFORM = "platform"  # the platform's own decision
    AUTHORITY = "authority"  # an instruction of a competent authority: its document number is required


class Change(StrEnum):
    ADDED = "added"
    CHANGED = "changed"
    REVIEWED = "reviewed"
    REMOVED = "removed"
    EXPIRED = "expired"


class ReviewOutcome(StrEnum):
    KEEP = "keep"  # unchanged, with a new review date
    CHANGE = "change"  # a new severity, review date or end
    REMOVE = "remove"  # taken off the list


class Effect(StrEnum):
    """What a blacklisted account may not do or has done to it (agreement §6.4)."""

    NO_CREATE = "no_create"  # 不得建立群组
    NO_JOIN = "no_join"  # 不得加入群组
    NO_MANAGE = "no_manage"  # 不得管理群组
    SLOW_SEND = "slow_send"  # 限制发送频率 (domain/restrictions.py::blacklisted_rate)
    SIGNED_OUT = "signed_out"  # 强制退出登录: every session ends when the entry is added or raised
    SUSPENDED = "suspended"  # 封禁账号
    NO_NEW_ACCOUNT = "no_new_account"  # 禁止以同一身份认证新账号


_RESTRICTED = (Effect.NO_CREATE, Effect.NO_JOIN, Effect.NO_MANAGE, Effect.SLOW_SEND)
EFFECTS: Mapping[BlacklistLevel, tuple[Effect, ...]] = {
    BlacklistLevel.NONE: (),
    BlacklistLevel.RESTRICTED: _RESTRICTED,
    BlacklistLevel.SEVERE: (*_RESTRICTED, Effect.SIGNED_OUT),
    BlacklistLevel.BANNED: (*_RESTRICTED, Effect.SIGNED_OUT, Effect.SUSPENDED, Effect.NO_NEW_ACCOUNT),
}
LEVELS = (BlacklistLevel.RESTRICTED, BlacklistLevel.SEVERE, BlacklistLevel.BANNED)

DEFAULT_REVIEW = timedelta(days=90)  # an entry is looked at again this long after it is added or reviewed
LONGEST_REVIEW = timedelta(days=366)  # and at least once a year
REASON_MAX = 2000
AUTHORITY_REF_MAX = 100
MESSAGE_IDS_MAX = 50


def effects(level: int) -> tuple[Effect, ...]:
    """What an account at `level` may not do (agreement §6.4), mildest first."""
    return EFFECTS[BlacklistLevel(max(0, min(int(level), BlacklistLevel.BANNED)))]


def signs_out(level: int) -> bool:
    """Whether an entry at this level ends the accounts' sessions (强制退出登录)."""
    return Effect.SIGNED_OUT in effects(level)


def suspends(level: int) -> bool:
    """Whether an entry at this level suspends the accounts (封禁账号) and refuses the identity a new account."""
    return Effect.SUSPENDED in effects(level)


@dataclass(frozen=True, slots=True)
class EntryFacts:
    """What the rules need of an entry."""

    subject_type: SubjectType
    subject_key: str
    severity: int
    starts_at: datetime
    ends_at: datetime | None
    removed_at: datetime | None


@dataclass(frozen=True, slots=True)
class Terms:
    """An entry's checked terms: how severe, on whose word, until when."""

    severity: BlacklistLevel
    source: Source
    authority_ref: str | None
    reason: str
    review_at: datetime
    ends_at: datetime | None


def _invalid(field: str, reason: str, message: str, **extra: Any) -> QunzuError:
    return ValidationFailed(message, details={"field": field, "reason": reason, **extra})


def parse_level(value: Any) -> BlacklistLevel:
    """A severity as the forms and the API give it (1, 2, 3)."""
    try:
        level = BlacklistLevel(int(value))
    except (TypeError, ValueError):
        raise _invalid("severity", "invalid", "Choose a severity: 1, 2 or 3") from None
    if level is BlacklistLevel.NONE:
        raise _invalid("severity", "invalid", "Choose a severity: 1, 2 or 3")
    return level


@rule("R-11.3-1", ErrorCode.VALIDATION_FAILED)
def check_terms(
    *,
    severity: Any,
    source: str,
    authority_ref: str | None,
    reason: str,
    review_at: datetime | None,
    ends_at: datetime | None,
    now: datetime,
) -> Terms:
    """An entry states its severity, its source (an authority's with its document number), a reason, a review date
    after now, no later than its end and within a year, and an end after now (or none)."""
    level = parse_level(severity)
    try:
        src = Source(source)
    except ValueError:
        raise _invalid("source", "invalid", "The source is a platform decision or an authority's instruction") from None
    ref = (authority_ref or "").strip() or None
    if src is Source.AUTHORITY and ref is None:
        raise _invalid("authority_ref", "required", "An authority's instruction needs its document number")
    if ref is not None and len(ref) > AUTHORITY_REF_MAX:
        raise _invalid("authority_ref", "too_long", "The document number is too long", max=AUTHORITY_REF_MAX)
    text = reason.strip()
    if not text:
        raise _invalid("reason", "required", "State the reason")
    if len(text) > REASON_MAX:
        raise _invalid("reason", "too_long", "The reason is too long", max=REASON_MAX)
    if ends_at is not None and ends_at <= now:
        raise _invalid("ends_at", "past", "The end must be in the future")
    review = review_at if review_at is not None else default_review(now, ends_at)
    if review <= now:
        raise _invalid("review_at", "past", "The review date must be in the future")
    if ends_at is not None and review > ends_at:
        raise _invalid("review_at", "after_end", "The review date may not be after the end")
    if review > now + LONGEST_REVIEW:
        raise _invalid("review_at", "too_far", "Review the entry at least once a year", days=LONGEST_REVIEW.days)
    return Terms(level, src, ref, text, review, ends_at)


def default_review(now: datetime, ends_at: datetime | None) -> datetime:
    """90 days on, or the end if that comes first."""
    review = now + DEFAULT_REVIEW
    return min(review, ends_at) if ends_at is not None else review


def evidence(*, record_id: int | None, message_ids: Iterable[int]) -> dict[str, Any]:
    """The evidence an entry cites: the enforcement record it follows from, and the messages concerned."""
    ids = sorted({int(i) for i in message_ids})
    if len(ids) > MESSAGE_IDS_MAX:
        raise _invalid("message_ids", "too_many", "Too many messages", max=MESSAGE_IDS_MAX)
    if any(not 1 <= i < 2**63 for i in ids) or (record_id is not None and not 1 <= record_id < 2**63):
        raise _invalid("message_ids", "invalid", "Message and record numbers are positive whole numbers")
    return {"record_id": record_id, "message_ids": ids}


def is_active(entry: EntryFacts, *, now: datetime) -> bool:
    """An entry holds from its start until its end or its removal."""
    if entry.removed_at is not None or entry.starts_at > now:
        return False
    return entry.ends_at is None or entry.ends_at > now


@rule("R-11.3-1", ErrorCode.BLACKLIST_ENTRY_ENDED)
def check_open(entry: EntryFacts, *, now: datetime) -> None:
    """Only an entry that still holds can be changed, reviewed or removed (`blacklist_entry_ended`)."""
    if not is_active(entry, now=now):
        raise Conflict("This blacklist entry has ended", code=ErrorCode.BLACKLIST_ENTRY_ENDED)


@rule("R-11.3-2", ErrorCode.BLACKLISTED)
def effective_level(
    entries: Iterable[EntryFacts], *, user_id: int, identity_hmacs: Iterable[str], now: datetime
) -> BlacklistLevel:
    """An account's level: the highest severity of the active entries on the account and on the identity (mobile
    number or ID number) it verified with. Group entries bind the owner's creation (`owner_may_create`), not this."""
    keys = {(SubjectType.ACCOUNT, str(user_id))} | {(SubjectType.IDENTITY, h) for h in identity_hmacs if h}
    levels = [e.severity for e in entries if (e.subject_type, e.subject_key) in keys and is_active(e, now=now)]
    return BlacklistLevel(max(levels, default=0))


@rule("R-11.3-2", ErrorCode.BLACKLISTED)
def check_identity_may_verify(level: int) -> None:
    """At the highest severity an identity may not verify a new account (禁止以同一身份认证新账号, `blacklisted`)."""
    if suspends(level):
        raise Forbidden(
            "This identity is on the platform's blacklist and may not verify an account",
            code=ErrorCode.BLACKLISTED,
            details={"action": "verify", "level": int(level)},
        )


@rule("R-11.3-1", ErrorCode.BLACKLISTED)
def check_identity_may_change(level: int) -> None:
    """An account whose verified number is blacklisted may not swap it for another and so shed the entry
    (`blacklisted`)."""
    if level >= BlacklistLevel.RESTRICTED:
        raise Forbidden(
            "Your verified identity is on the platform's blacklist and may not be replaced",
            code=ErrorCode.BLACKLISTED,
            details={"action": "change_identity", "level": int(level)},
        )


@rule("R-11.3-2", ErrorCode.BLACKLISTED)
def check_owner_may_create(*, blacklisted_owner: bool, same_name: bool) -> None:
    """The owner of a blacklisted group may not create a group while its entry holds, nor re-create it under the
    same name (D11, `blacklisted`)."""
    if blacklisted_owner:
        raise Forbidden(
            "A group you owned is on the platform's blacklist; you may not create groups while its entry holds",
            code=ErrorCode.BLACKLISTED,
            details={"action": "create", "reason": "same_name" if same_name else "owner_blacklisted"},
        )


def snapshot(row: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of an entry the change history shows before and after a change (times as ISO strings)."""
    fields = ("severity", "source", "authority_ref", "reason", "review_at", "ends_at", "removed_at")
    return {f: (v.isoformat() if isinstance(v, datetime) else v) for f in fields if (v := row.get(f)) is not None}


def diff(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> dict[str, Any]:
    """What a change did: for each field that differs, {"before": old, "after": new} (the history and the report)."""
    old, new = dict(before or {}), dict(after or {})
    return {
        k: {"before": old.get(k), "after": new.get(k)}
        for k in sorted(old.keys() | new.keys())
        if old.get(k) != new.get(k)
    }
