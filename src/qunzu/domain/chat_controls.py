"""The chat controls of a group's owner and managers (Art. 9, R-9.3-1) and the send rate (R-7.1-4), as rules.

Pure: the time comes in as an argument. A muted member (禁言) posts nothing until the time passes; mute-all (全员禁言)
silences ordinary members, never the owner and managers; slow mode lets an ordinary member post one message per
N seconds; pins and the group's keyword list are capped. Each rule refuses with its own code.
"""

from __future__ import annotations

from datetime import datetime

from qunzu.domain.roles import GroupRole
from qunzu.domain.rules import rule
from qunzu.errors import Conflict, ErrorCode, Forbidden, QunzuError, RateLimited, ValidationFailed

SLOW_MODE_MIN = 10  # seconds; 0 switches slow mode off
SLOW_MODE_MAX = 3600
PINS_MAX = 10
KEYWORDS_MAX = 100
KEYWORD_MAX_LENGTH = 64


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="seconds").replace("+00:00", "Z")


@rule("R-9.3-1", ErrorCode.MEMBER_MUTED)
def check_not_muted(muted_until: datetime | None, *, now: datetime) -> None:
    """A member muted by the owner or a manager posts nothing until the time passes (`member_muted`, until when)."""
    if muted_until is not None and muted_until > now:
        raise Forbidden(
            f"You have been muted in this group until {_iso(muted_until)}",
            code=ErrorCode.MEMBER_MUTED,
            details={"until": _iso(muted_until)},
        )


def exempt(role: GroupRole) -> bool:
    """The owner and managers are not held by mute-all or slow mode (they run the group)."""
    return role is not GroupRole.MEMBER


@rule("R-9.3-1", ErrorCode.GROUP_MUTED)
def check_group_not_muted(mute_all: bool, role: GroupRole) -> None:
    """While mute-all is on, ordinary members post nothing (`group_muted`); the owner and managers may."""
    if mute_all and not exempt(role):
        raise Forbidden("The owner or a manager has muted everyone", code=ErrorCode.GROUP_MUTED)


@rule("R-9.3-1", ErrorCode.SLOW_MODE)
def slow_mode_refused(retry_after_ms: int, seconds: int) -> QunzuError:
    """Slow mode: one message per `seconds` for an ordinary member; the next one waits (`slow_mode`)."""
    wait = max(1, int(retry_after_ms))
    return RateLimited(
        f"Slow mode is on: one message every {seconds} s",
        code=ErrorCode.SLOW_MODE,
        details={"retry_after_ms": wait, "seconds": seconds},
    )


@rule("R-7.1-4", ErrorCode.RATE_LIMITED)
def send_rate_refused(retry_after_ms: int, per_minute: int) -> QunzuError:
    """More messages than the policy's rate per minute (tier, credit level, new account) or than one source may
    send: `rate_limited` with the wait."""
    wait = max(1, int(retry_after_ms))
    return RateLimited(
        f"You are sending too fast: at most {per_minute} messages a minute",
        details={"retry_after_ms": wait, "per_minute": per_minute},
    )


@rule("R-7.1-4", ErrorCode.CREDIT_INSUFFICIENT)
def check_may_send(per_minute: int) -> None:
    """A credit level whose send rate is 0 sends nothing (`credit_insufficient`)."""
    if per_minute <= 0:
        raise Forbidden("Your credit level does not allow sending messages", code=ErrorCode.CREDIT_INSUFFICIENT)


def check_slow_mode_seconds(seconds: int) -> int:
    """0 (off) or SLOW_MODE_MIN..SLOW_MODE_MAX seconds."""
    if seconds != 0 and not SLOW_MODE_MIN <= seconds <= SLOW_MODE_MAX:
        raise ValidationFailed(
            f"Slow mode is 0 (off) or {SLOW_MODE_MIN}–{SLOW_MODE_MAX} seconds",
            details={"field": "seconds", "min": SLOW_MODE_MIN, "max": SLOW_MODE_MAX},
        )
    return seconds


@rule("R-9.3-1", ErrorCode.PINS_LIMIT)
def check_pins_cap(pinned: int) -> None:
    """At most PINS_MAX pinned messages per group (`pins_limit`)."""
    if pinned >= PINS_MAX:
        raise Conflict(f"A group has at most {PINS_MAX} pinned messages", code=ErrorCode.PINS_LIMIT,
                       details={"max": PINS_MAX})  # fmt: skip


@rule("R-9.3-1", ErrorCode.KEYWORDS_LIMIT)
def check_keywords_cap(terms: int) -> None:
    """At most KEYWORDS_MAX terms in a group's keyword list (`keywords_limit`)."""
    if terms >= KEYWORDS_MAX:
        raise Conflict(f"A group has at most {KEYWORDS_MAX} keywords", code=ErrorCode.KEYWORDS_LIMIT,
                       details={"max": KEYWORDS_MAX})  # fmt: skip


def check_keyword(term: str, normalized: str) -> str:
    """A keyword: 1–64 characters that still say something after normalisation (not only spaces or symbols)."""
    term = term.strip()
    if not term or len(term) > KEYWORD_MAX_LENGTH or not normalized:
        raise ValidationFailed(
            f"A keyword has 1–{KEYWORD_MAX_LENGTH} characters, letters or digits among them",
            details={"field": "term", "max": KEYWORD_MAX_LENGTH},
        )
    return term


def keyword_hit(normalized_text: str, normalized_terms: list[str]) -> bool:
    """Whether the text (normalised as the review engine does) holds one of the group's terms."""
    return any(term and term in normalized_text for term in normalized_terms)
