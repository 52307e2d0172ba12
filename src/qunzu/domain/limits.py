"""Caps and lengths (Art. 8 ¶1): members per group, message length."""

from __future__ import annotations

from qunzu.domain.rules import rule
from qunzu.errors import Conflict, ErrorCode, ValidationFailed


@rule("R-8.1-1", ErrorCode.GROUP_FULL)
def group_full_error(*, cap: int) -> Conflict:
    """A group holds at most its member cap; the join that would exceed it is refused."""
    return Conflict(
        "This group is full",
        code=ErrorCode.GROUP_FULL,
        details={"member_cap": cap},
    )


def effective_member_cap(requested: int | None, *, default: int, hard: int) -> int:
    """The cap a new group gets: the configured default, never above the hard cap."""
    cap = default if requested is None else requested
    return max(2, min(cap, hard))


def check_message_text(text: str, *, max_length: int) -> str:
    """A message has visible text and at most `max_length` characters."""
    stripped = text.strip()
    if not stripped:
        raise ValidationFailed("A message cannot be empty", code=ErrorCode.MESSAGE_EMPTY)
    if len(text) > max_length:
        raise ValidationFailed(
            f"A message has at most {max_length} characters",
            code=ErrorCode.MESSAGE_TOO_LONG,
            details={"max_length": max_length, "length": len(text)},
        )
    return text
