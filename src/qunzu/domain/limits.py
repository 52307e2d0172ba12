"""Caps and lengths (Art. 8 ¶1): members per group, message length."""

from __future__ import annotations

from qunzu.domain.rules import rule
from qunzu.domain.text import check_message_characters, message_is_blank
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
    """A message has visible text, no control characters (TAB and line ends excepted) and at most `max_length`
    characters. Returns the text with LF line ends.

    Only whitespace and invisible characters (ZWSP, a lone ZWJ, variation selectors, …) count as empty
    (`message_empty`); a control character, an unpaired surrogate or a noncharacter is `validation_failed` with
    details.reason, so it never reaches the database (PostgreSQL refuses NUL, neither database stores a surrogate).
    """
    clean = check_message_characters(text)
    if message_is_blank(clean):
        raise ValidationFailed("A message cannot be empty", code=ErrorCode.MESSAGE_EMPTY)
    if len(text) > max_length:
        raise ValidationFailed(
            f"A message has at most {max_length} characters",
            code=ErrorCode.MESSAGE_TOO_LONG,
            details={"max_length": max_length, "length": len(text)},
        )
    return clean
