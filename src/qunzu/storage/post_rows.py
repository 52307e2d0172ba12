"""The rows a post store (storage/post_store.py) reads for a batch of posts and the rows it writes: plain data.

The message writer's plan (services/posting/plan.py) decides from what is read here and hands back what to write;
both stores, SQLite and PostgreSQL, read and write the same shapes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# -- read


@dataclass(frozen=True, slots=True)
class Lookup:
    """What a batch reads: its groups (by code), its senders, and their earlier posts under the same client ids."""

    codes: list[str]
    actors: list[int]
    keys: list[tuple[str, int, str]]  # (group code, sender, client_msg_id)
    agreement_kind: str  # the document whose current version senders must have accepted


@dataclass(frozen=True, slots=True)
class GroupRow:
    id: int
    code: str
    status: str
    last_seq: int
    # the chat controls (R-9.3-1) and what the send rate depends on (R-7.1-4)
    member_count: int = 0
    mute_all: bool = False
    slow_mode_seconds: int = 0
    keywords: tuple[str, ...] = ()  # the group's keyword filter, as its managers typed the terms
    suspended_until: datetime | None = None  # 暂停发布 by a platform measure (R-11.1-1)
    stars: int = 5  # 群信用星级: at two, messages carry no links (domain/group_stars.py)


@dataclass(frozen=True, slots=True)
class MemberRow:
    """A sender of the batch who is a member of one of its groups, with the sender's standing."""

    group_id: int
    user_id: int
    role: str
    nickname: str
    verification_level: int
    agreement_version: int
    muted_until: datetime | None = None  # 禁言 until then (R-9.3-1)
    user_created_at: datetime | None = None  # the account's age sets the new-account send rate (R-7.1-4)
    # platform measures and the blacklist on the sender (R-11.2-1, R-11.3-2)
    platform_muted_until: datetime | None = None
    suspended_until: datetime | None = None
    blacklist_level: int = 0


@dataclass(frozen=True, slots=True)
class EarlierPost:
    """A message already stored under one of the batch's (group, sender, client id) keys."""

    id: int
    group_id: int
    seq: int | None
    sender_id: int
    sender_nickname: str
    text: str
    client_msg_id: str
    created_at: datetime
    deleted_at: datetime | None
    review_state: str


@dataclass(frozen=True, slots=True)
class BatchRows:
    groups: list[GroupRow]  # the batch's groups that exist
    members: list[MemberRow]
    agreement: int  # the current version of `Lookup.agreement_kind` (0: none published)
    earlier: list[EarlierPost]


# -- write


@dataclass(slots=True)
class NewMessage:
    """A message to store. `seq` is its number as planned from the group's `last_seq` as read, `k` its place among
    its group's published messages in this batch (both None while it is held for review): a store numbers it
    either way (SQLite: `seq`, under the writer lock held since the read; PostgreSQL: `k`, below the new
    `last_seq`). With `review`, the store also queues that review item, pointing `target_id` at the new id."""

    group_id: int
    seq: int | None
    k: int | None
    review_state: str
    sender_id: int
    sender_nickname: str
    text: str
    client_msg_id: str
    created_at: datetime
    src_ip: str | None
    src_port: int | None
    review: dict[str, Any] | None = None  # services.review.review_item_values; target_id set by the store


@dataclass(frozen=True, slots=True)
class GroupMove:
    """A group's sequence after the batch: `count` published messages more, so `last_seq` as planned."""

    group_id: int
    count: int
    last_seq: int


# What a store reports for each NewMessage, in order: (id, seq), or None when it was not stored because its group
# was closed after the read (PostgreSQL only: on SQLite the writer lock is held from the read to the commit).
Stored = tuple[int, int | None] | None

# The columns of a review item (services.review.review_item_values), in the order of the INSERT statements.
REVIEW_COLUMNS = (
    "kind",
    "target_id",
    "group_id",
    "author_id",
    "text",
    "action",
    "categories",
    "hits",
    "lexicon_version",
    "state",
    "created_at",
)


def _when(value: Any) -> datetime | None:
    """A timestamp as either store reads it: aware from asyncpg, naive UTC text from sqlite3."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def read_rows(joined: Any) -> tuple[list[GroupRow], list[MemberRow], int]:
    """Split the group read both stores run (one row per group and member sender, or per group with NULLs) into
    groups, members and the current agreement version."""
    groups: dict[str, GroupRow] = {}
    members: list[MemberRow] = []
    agreement = 0
    for r in joined:
        if r["code"] not in groups:
            terms = r["keywords"]
            groups[r["code"]] = GroupRow(
                r["id"],
                r["code"],
                r["status"],
                r["last_seq"],
                r["member_count"],
                bool(r["mute_all"]),
                r["slow_mode_seconds"],
                tuple(json.loads(terms)) if terms and terms != "[]" else (),
                _when(r["group_suspended_until"]),
                r["stars"],
            )
        agreement = r["current_agreement"] or 0
        if r["user_id"] is not None:
            members.append(
                MemberRow(
                    r["id"],
                    r["user_id"],
                    r["role"],
                    r["nickname"],
                    r["verification_level"],
                    r["agreement_version"],
                    _when(r["muted_until"]),
                    _when(r["user_created_at"]),
                    _when(r["platform_muted_until"]),
                    _when(r["user_suspended_until"]),
                    r["blacklist_level"] or 0,
                )
            )
    return list(groups.values()), members, agreement
