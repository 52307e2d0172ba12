"""Group rules: names, categories, who may join (the one join path later issues plug into)."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from qunzu.domain.rules import rule
from qunzu.domain.text import check_characters, clean_text
from qunzu.errors import Conflict, ErrorCode, Forbidden, NotFound, ValidationFailed


@dataclass(frozen=True, slots=True)
class GroupDraft:
    name: str
    category: str
    description: str


def check_group_draft(
    *, name: str, category: str, description: str, categories: list[str], name_max: int, description_max: int
) -> GroupDraft:
    """A group has a visible name, a category from the configured catalogue and an optional description."""
    clean_name = _clean_name(name, name_max)
    if category not in categories:
        raise ValidationFailed(
            "Unknown group category",
            code=ErrorCode.UNKNOWN_CATEGORY,
            details={"field": "category", "allowed": categories},
        )
    return GroupDraft(
        name=clean_name, category=category, description=_clean_text(description, "description", description_max)
    )


@dataclass(frozen=True, slots=True)
class ProfileChange:
    """What an edit of a group's profile sets: None leaves a field as it is."""

    name: str | None
    description: str | None
    announcement: str | None

    def fields(self) -> dict[str, str]:
        return {
            k: v
            for k, v in (("name", self.name), ("description", self.description), ("announcement", self.announcement))
            if v is not None
        }


def check_profile_change(
    *,
    name: str | None,
    description: str | None,
    announcement: str | None,
    name_max: int,
    description_max: int,
    announcement_max: int,
) -> ProfileChange:
    """An edit of the name, description or announcement (R-9.3-1), each held to the same rules as at creation; an
    edit that changes nothing is refused."""
    if name is None and description is None and announcement is None:
        raise ValidationFailed("Give a name, a description or an announcement to change", details={"field": "name"})
    return ProfileChange(
        name=None if name is None else _clean_name(name, name_max),
        description=None if description is None else _clean_text(description, "description", description_max),
        announcement=None if announcement is None else _clean_text(announcement, "announcement", announcement_max),
    )


# the review kind of each profile field (what a reviewer sees, and what a rejection removes)
PROFILE_KINDS = {
    "name": "group_name",
    "description": "group_description",
    "announcement": "group_announcement",
    "purpose": "group_purpose",
}
PROFILE_FIELDS = {kind: field for field, kind in PROFILE_KINDS.items()}


def changed_fields(change: ProfileChange, current: Mapping[Any, Any]) -> dict[str, str]:
    """The fields an edit really changes (an unchanged field is neither reviewed nor recorded again)."""
    return {field: text for field, text in change.fields().items() if current[field] != text}


def profile_values(changed: Mapping[str, str], now: datetime) -> dict[str, Any]:
    """The columns an edit sets: the changed fields, and when the announcement was posted (none once cleared)."""
    values: dict[str, Any] = dict(changed)
    if "announcement" in changed:
        values["announcement_at"] = now if changed["announcement"] else None
    return values


def takedown_values(field: str, code: str) -> dict[str, Any]:
    """What replaces a name, description or announcement a reviewer rejected: a name gives way to the group's code
    (every group has one), a description or announcement to nothing."""
    if field == "name":
        return {"name": removed_name(code)}
    return {field: ""} | ({"announcement_at": None} if field == "announcement" else {})


def removed_name(code: str) -> str:
    """What a group is called once a reviewer has removed its name: its code, which every group has."""
    return f"群组 {code}"


def _clean_name(name: str, name_max: int) -> str:
    check_characters(name, field="name", single_line=True)  # the API and the forms refuse these first; so does this
    clean_name = unicodedata.normalize("NFC", name).strip()
    if not clean_name or len(clean_name) > name_max:
        raise ValidationFailed(
            f"A group name has 1–{name_max} characters", details={"field": "name", "max_length": name_max}
        )
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in clean_name):
        raise ValidationFailed("A group name may not contain control characters", details={"field": "name"})
    return clean_name


def _clean_text(text: str, field: str, max_length: int) -> str:
    clean = unicodedata.normalize("NFC", clean_text(text, field=field)).strip()
    if len(clean) > max_length:
        raise ValidationFailed(
            f"A {field} has at most {max_length} characters", details={"field": field, "max_length": max_length}
        )
    return clean


def check_group_open(status: str) -> None:
    """A group waiting for creation review, and a closed or refused one, accept nothing (R-8.3-1; a closed
    group's code stays reserved and shows a tombstone, D8)."""
    if status == "pending_review":
        raise Conflict("This group is waiting for the platform's review", code=ErrorCode.GROUP_PENDING_REVIEW)
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


PURPOSE_MAX = 500


@rule("R-8.3-2", ErrorCode.VALIDATION_FAILED)
def check_purpose(purpose: str, *, sensitive: bool) -> str:
    """The creator's statement of the group's purpose: required for a sensitive category (D16), optional otherwise;
    reviewed like the name."""
    clean = _clean_text(purpose, "purpose", PURPOSE_MAX)
    if sensitive and not clean:
        raise ValidationFailed(
            "State the group's purpose: groups in this category need one",
            details={"field": "purpose", "reason": "purpose_required"},
        )
    return clean


@rule("R-9.1-1", ErrorCode.DUTIES_NOT_ACCEPTED)
def check_duties_accepted(*, accepted: int | None, current: int | None) -> int:
    """Creating a group needs the current 群主责任告知书 accepted (谁建群谁负责, R-9.1-1); details.version is the
    version to accept."""
    if current is None or accepted != current:
        raise Forbidden(
            "Read and accept the current group owner's duties notice to create a group",
            code=ErrorCode.DUTIES_NOT_ACCEPTED,
            details={"kind": "owner_duties", "version": current},
        )
    return current


def check_review_decision(*, approve: bool, reason: str) -> str:
    """A creation-review decision: a refusal names its reason (R-8.3-1), an approval may."""
    clean = unicodedata.normalize("NFC", clean_text(reason, field="reason")).strip()
    if len(clean) > 200:
        raise ValidationFailed("A reason has at most 200 characters", details={"field": "reason", "max_length": 200})
    if not approve and not clean:
        raise ValidationFailed(
            "Give the reason for refusing this group", details={"field": "reason", "reason": "refusal_reason_required"}
        )
    return clean


def group_not_found() -> NotFound:
    return NotFound("No group has this code", code=ErrorCode.GROUP_NOT_FOUND)
