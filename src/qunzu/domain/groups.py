"""Group rules: names, categories, who may join (the one join path later issues plug into)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from qunzu.domain.rules import rule
from qunzu.errors import Conflict, ErrorCode, NotFound, ValidationFailed


@dataclass(frozen=True, slots=True)
class GroupDraft:
    name: str
    category: str
    description: str


def check_group_draft(
    *, name: str, category: str, description: str, categories: list[str], name_max: int, description_max: int
) -> GroupDraft:
    """A group has a visible name, a category from the configured catalogue and an optional description."""
    clean_name = unicodedata.normalize("NFC", name).strip()
    if not clean_name or len(clean_name) > name_max:
        raise ValidationFailed(
            f"A group name has 1–{name_max} characters", details={"field": "name", "max_length": name_max}
        )
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in clean_name):
        raise ValidationFailed("A group name may not contain control characters", details={"field": "name"})
    if category not in categories:
        raise ValidationFailed(
            "Unknown group category",
            code=ErrorCode.UNKNOWN_CATEGORY,
            details={"field": "category", "allowed": categories},
        )
    clean_desc = unicodedata.normalize("NFC", description).strip()
    if len(clean_desc) > description_max:
        raise ValidationFailed(
            f"A description has at most {description_max} characters",
            details={"field": "description", "max_length": description_max},
        )
    return GroupDraft(name=clean_name, category=category, description=clean_desc)


def check_group_open(status: str) -> None:
    """A closed group accepts nothing (its code stays reserved and shows a tombstone, D8)."""
    if status != "active":
        raise group_closed()


def group_closed() -> Conflict:
    return Conflict("This group has been closed", code=ErrorCode.GROUP_CLOSED)


@rule("R-8.3-3", ErrorCode.ALREADY_MEMBER)
def check_can_join(*, status: str, already_member: bool) -> None:
    """The join gate. Today: the group is open and the user is not yet in it.

    Join review, verification level, credit and tier rules are added here by later issues.
    """
    check_group_open(status)
    if already_member:
        raise Conflict("You are already a member of this group", code=ErrorCode.ALREADY_MEMBER)


def group_not_found() -> NotFound:
    return NotFound("No group has this code", code=ErrorCode.GROUP_NOT_FOUND)
