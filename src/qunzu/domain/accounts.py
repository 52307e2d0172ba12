"""Account rules: usernames, nicknames, passwords, staff roles."""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

from qunzu.domain.rules import rule
from qunzu.errors import ErrorCode, ValidationFailed

# D9: a cancelled account shows as this in history; its hidden copies are kept this long, then purged (D5).
CANCELLED_NICKNAME = "已注销用户"
KEEP_AFTER_CANCELLATION_DAYS = 184

USERNAME_RE = re.compile(r"^[a-z0-9_][a-z0-9_.-]{2,31}$")


class StaffRole(StrEnum):
    """Platform staff roles; separate from in-group roles (R-2.2-2)."""

    ADMIN = "admin"
    REVIEWER = "reviewer"
    COMPLIANCE_OFFICER = "compliance_officer"
    REGULATOR = "regulator"


def normalise_username(raw: str) -> str:
    """Usernames are ASCII, 3–32 characters, compared case-insensitively."""
    name = unicodedata.normalize("NFKC", raw).strip().lower()
    if not USERNAME_RE.match(name):
        raise ValidationFailed(
            "A username has 3–32 characters: letters, digits, _ . - (starting with a letter, digit or _)",
            details={"field": "username"},
        )
    return name


def removed_nickname(user_id: int) -> str:
    """What a user is called once a reviewer has removed their nickname."""
    return f"用户{user_id}"


@rule("R-5.1-2", ErrorCode.ACCOUNT_INFO_REJECTED)
def check_nickname(raw: str, *, max_length: int = 20, reserved: list[str] | tuple[str, ...] = ()) -> str:
    """A nickname is what others see (前台自愿): 1–20 visible characters, no impersonation of staff or officials.

    Checked at registration and at every change (S16). `reserved` words may not appear anywhere in it,
    compared after NFKC folding, case folding and removal of spaces and punctuation.
    """
    nick = unicodedata.normalize("NFC", raw).strip()
    if not nick or len(nick) > max_length:
        raise ValidationFailed(
            f"A nickname has 1–{max_length} characters",
            code=ErrorCode.ACCOUNT_INFO_REJECTED,
            details={"field": "nickname"},
        )
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs") for ch in nick):
        raise ValidationFailed(
            "A nickname may not contain control or invisible characters",
            code=ErrorCode.ACCOUNT_INFO_REJECTED,
            details={"field": "nickname"},
        )
    folded = _fold(nick)
    for word in reserved:
        if word and _fold(word) in folded:
            raise ValidationFailed(
                "This nickname could be mistaken for platform staff or an official body",
                code=ErrorCode.ACCOUNT_INFO_REJECTED,
                details={"field": "nickname", "reason": "reserved_word"},
            )
    return nick


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in ("L", "N"))


def check_password(password: str, *, min_length: int, username: str) -> None:
    """Passwords: at least `min_length` characters, not the username, not one repeated character."""
    if len(password) < min_length:
        raise ValidationFailed(
            f"A password has at least {min_length} characters",
            code=ErrorCode.WEAK_PASSWORD,
            details={"min_length": min_length},
        )
    if len(password) > 256:
        raise ValidationFailed("A password has at most 256 characters", code=ErrorCode.WEAK_PASSWORD)
    if password.lower() == username.lower() or len(set(password)) < 3:
        raise ValidationFailed("This password is too easy to guess", code=ErrorCode.WEAK_PASSWORD)
