"""Account rules: usernames, nicknames, passwords, staff roles."""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum
from typing import Any

from zxcvbn import zxcvbn

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


# zxcvbn's time grows with the length of what it sees: it scores the first 72 characters (its own default limit;
# ~50 ms on one core, ~350 ms for 256), which decide a password's strength anyway
PASSWORD_SCORE_INPUT_MAX = 72
REPEATS_HINT = 'Repeats like "aaa" are easy to guess.'
NAME_HINT = "It contains your username or nickname."
GUESSABLE_HINT = "Add another word or two. Uncommon words are better."


def check_password(password: str, *, min_length: int, username: str, nickname: str = "", min_score: int = 3) -> None:
    """Passwords: at least `min_length` characters, not the username, not one repeated character, and not common or
    guessable: zxcvbn's score (0–4, knowing the username and nickname) at least `min_score` (0 turns that off)."""
    if len(password) < min_length:
        raise ValidationFailed(
            f"A password has at least {min_length} characters",
            code=ErrorCode.WEAK_PASSWORD,
            details={"min_length": min_length},
        )
    if len(password) > 256:
        raise ValidationFailed("A password has at most 256 characters", code=ErrorCode.WEAK_PASSWORD)
    if password.lower() == username.lower():
        raise ValidationFailed(
            f"This password is too easy to guess: {NAME_HINT}",
            code=ErrorCode.WEAK_PASSWORD,
            details={"hint": NAME_HINT},
        )
    if len(set(password)) < 3:
        raise ValidationFailed(
            f"This password is too easy to guess: {REPEATS_HINT}",
            code=ErrorCode.WEAK_PASSWORD,
            details={"hint": REPEATS_HINT},
        )
    if min_score <= 0:
        return
    inputs = [w for w in (username, nickname, *re.split(r"[\W_]+", username)) if len(w) >= 3]
    result: dict[str, Any] = zxcvbn(
        password[:PASSWORD_SCORE_INPUT_MAX], user_inputs=inputs, max_length=PASSWORD_SCORE_INPUT_MAX
    )
    score = int(result["score"])
    if score < min_score:
        raise ValidationFailed(
            f"This password is too easy to guess: {_hint(result)}",
            code=ErrorCode.WEAK_PASSWORD,
            details={"hint": _hint(result), "score": score, "min_score": min_score},
        )


def _hint(result: dict[str, Any]) -> str:
    """zxcvbn's most telling feedback: its warning, else its first suggestion."""
    feedback = result.get("feedback") or {}
    warning = str(feedback.get("warning") or "")
    suggestions = [str(s) for s in feedback.get("suggestions") or []]
    return warning or (suggestions[0] if suggestions else GUESSABLE_HINT)
