"""The legacy export format read by `qunzu import` (docs/import.md): JSON Lines, one user, group, member or message a
line, each with the older system's own identifiers (`id`, strings or numbers), which are kept only to link lines to
each other and to find what an earlier run imported.

`parse_line` turns one line into a record or raises `BadLine` with a stable reason the import report shows next to
the line number; nothing here touches the database, so `--dry-run` and the import read a file the same way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from qunzu.domain.text import check_message_characters, message_is_blank
from qunzu.errors import QunzuError

ROLES = {"owner": "owner", "creator": "owner", "manager": "manager", "admin": "manager", "member": "member"}


class BadLine(Exception):
    """A line the import cannot use: `reason` is a short stable code (docs/import.md lists them)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail
        self.kind = "line"  # the line's type once known (user, group, member, message), for the report's counts


@dataclass(frozen=True, slots=True)
class LegacyUser:
    line: int
    id: str
    username: str
    nickname: str
    created_at: datetime | None
    password_hash: str | None = None  # an argon2 hash from the old system (argon2 verifies its own parameters)


@dataclass(frozen=True, slots=True)
class LegacyGroup:
    line: int
    id: str
    name: str
    category: str | None
    description: str
    created_at: datetime | None
    owner: str | None


@dataclass(frozen=True, slots=True)
class LegacyMember:
    line: int
    group: str
    user: str
    role: str  # owner | manager | member
    joined_at: datetime | None


@dataclass(frozen=True, slots=True)
class LegacyMessage:
    line: int
    id: str
    group: str
    user: str
    text: str
    sent_at: datetime
    deleted_at: datetime | None


Record = LegacyUser | LegacyGroup | LegacyMember | LegacyMessage


def _ident(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, (str, int)) or str(value).strip() == "":
        raise BadLine("missing_field", key)
    text = str(value).strip()
    if len(text) > 64:
        raise BadLine("bad_field", key)
    return text


def _text(obj: dict[str, Any], key: str, *, required: bool = False, default: str = "") -> str:
    value = obj.get(key)
    if value is None:
        if required:
            raise BadLine("missing_field", key)
        return default
    if not isinstance(value, str):
        raise BadLine("bad_field", key)
    return value


def _time(obj: dict[str, Any], key: str, *, required: bool = False) -> datetime | None:
    """ISO 8601 with an offset, or seconds since 1970; a time without an offset is refused rather than guessed."""
    value = obj.get(key)
    if value is None:
        if required:
            raise BadLine("missing_field", key)
        return None
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, tz=UTC)
        if isinstance(value, str):
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if parsed.tzinfo is None:
                raise BadLine("bad_time", f"{key}: give an offset (Z or +08:00)")
            return parsed.astimezone(UTC)
    except (ValueError, OverflowError, OSError):
        pass
    raise BadLine("bad_time", key)


def _argon2(obj: dict[str, Any]) -> str | None:
    """An old system's password hash, kept only when it is argon2 (any other scheme cannot be checked here)."""
    value = _text(obj, "password_argon2") or None
    if value is not None and (not value.startswith("$argon2") or len(value) > 255):
        raise BadLine("bad_field", "password_argon2")
    return value


def parse_line(raw: str, line: int) -> Record | None:
    """One line as a record; None for a blank line. Raises `BadLine` for anything else it cannot read."""
    if not raw.strip():
        return None
    try:
        obj = json.loads(raw)
    except ValueError:
        raise BadLine("not_json") from None
    if not isinstance(obj, dict):
        raise BadLine("not_an_object")
    kind = obj.get("type")
    try:
        return _record(obj, kind, line)
    except BadLine as bad:
        bad.kind = kind if kind in ("user", "group", "member", "message") else "line"
        raise


def _record(obj: dict[str, Any], kind: Any, line: int) -> Record:
    if kind == "user":
        return LegacyUser(
            line=line,
            id=_ident(obj, "id"),
            username=_text(obj, "username", required=True),
            nickname=_text(obj, "nickname"),
            created_at=_time(obj, "created_at"),
            password_hash=_argon2(obj),
        )
    if kind == "group":
        category = obj.get("category")
        return LegacyGroup(
            line=line,
            id=_ident(obj, "id"),
            name=_text(obj, "name", required=True),
            category=category if isinstance(category, str) else None,
            description=_text(obj, "description"),
            created_at=_time(obj, "created_at"),
            owner=_ident(obj, "owner") if obj.get("owner") is not None else None,
        )
    if kind == "member":
        role = ROLES.get(str(obj.get("role", "member")).lower())
        if role is None:
            raise BadLine("bad_role", str(obj.get("role"))[:20])
        return LegacyMember(
            line=line,
            group=_ident(obj, "group"),
            user=_ident(obj, "user"),
            role=role,
            joined_at=_time(obj, "joined_at"),
        )
    if kind == "message":
        text = _text(obj, "text", required=True)
        try:
            text = check_message_characters(text)
        except QunzuError as exc:
            raise BadLine("bad_text", str(exc.details.get("reason", exc.code.value))) from None
        if message_is_blank(text):
            raise BadLine("empty_text")
        sent_at = _time(obj, "sent_at", required=True)
        assert sent_at is not None
        return LegacyMessage(
            line=line,
            id=_ident(obj, "id"),
            group=_ident(obj, "group"),
            user=_ident(obj, "user"),
            text=text,
            sent_at=sent_at,
            deleted_at=_time(obj, "deleted_at"),
        )
    raise BadLine("unknown_type", str(kind)[:20])
