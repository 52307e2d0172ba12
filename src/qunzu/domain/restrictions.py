"""The restriction gates of the platform's measures (Art. 11 ¶1–2) and of the blacklist (Art. 11 ¶2), as rules.

Pure: the columns the measures set come in as arguments with `now`. A measure's period is a `*_until` column on the
user or the group (services/enforcement.py sets and recomputes them from the enforcement records); a permanent one
holds `PERMANENT`. `users.blacklist_level` holds the highest active blacklist entry's level (services/blacklist.py).
Each check refuses with its own code; details carry `until` (ISO, UTC) where the restriction has an end.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import IntEnum

from qunzu.domain.rules import rule
from qunzu.errors import ErrorCode, Forbidden

PERMANENT = datetime(9999, 12, 31, tzinfo=UTC)


class BlacklistLevel(IntEnum):
    """Severity of a blacklist entry. ≥ RESTRICTED: may not create, join or manage groups and posts at a lower send
    rate; BANNED: the account is treated as suspended and the identity may not verify a new account."""

    NONE = 0
    RESTRICTED = 1
    SEVERE = 2
    BANNED = 3


def iso(at: datetime) -> str:
    """An instant as the API writes it (seconds, `Z`)."""
    return at.isoformat(timespec="seconds").replace("+00:00", "Z")


def active(until: datetime | None, *, now: datetime) -> bool:
    """A `*_until` restriction holds while its time is in the future."""
    return until is not None and until > now


def _until(until: datetime) -> dict[str, object]:
    return {"until": iso(until), "permanent": until >= PERMANENT}


@rule("R-11.2-1", ErrorCode.ACCOUNT_SUSPENDED)
def check_account_active(suspended_until: datetime | None, blacklist_level: int, *, now: datetime) -> None:
    """A suspended account (or one blacklisted at BANNED) may not sign in or use the API (`account_suspended`)."""
    if active(suspended_until, now=now):
        assert suspended_until is not None
        raise Forbidden("This account is suspended", code=ErrorCode.ACCOUNT_SUSPENDED, details=_until(suspended_until))
    if blacklist_level >= BlacklistLevel.BANNED:
        raise Forbidden(
            "This account is suspended",
            code=ErrorCode.ACCOUNT_SUSPENDED,
            details={"blacklisted": True, "permanent": True},
        )


@rule("R-11.2-1", ErrorCode.ACCOUNT_MUTED)
def check_not_platform_muted(platform_muted_until: datetime | None, *, now: datetime) -> None:
    """A platform-wide mute: the user posts in no group until the time passes (`account_muted`)."""
    if active(platform_muted_until, now=now):
        assert platform_muted_until is not None
        raise Forbidden(
            "Posting is suspended for this account", code=ErrorCode.ACCOUNT_MUTED, details=_until(platform_muted_until)
        )


@rule("R-11.3-2", ErrorCode.BLACKLISTED)
def check_not_blacklisted(blacklist_level: int, *, action: str) -> None:
    """A blacklisted account may not create, join or manage groups (`blacklisted`, naming the action)."""
    if blacklist_level >= BlacklistLevel.RESTRICTED:
        raise Forbidden(
            "This account is on the platform's blacklist",
            code=ErrorCode.BLACKLISTED,
            details={"action": action, "level": int(blacklist_level)},
        )


@rule("R-11.2-1", ErrorCode.MANAGEMENT_SUSPENDED)
def check_may_manage(manage_suspended_until: datetime | None, blacklist_level: int, *, now: datetime) -> None:
    """An owner or manager whose management rights are suspended keeps the membership but may use no tool
    (`management_suspended`); a blacklisted one neither (`blacklisted`)."""
    if active(manage_suspended_until, now=now):
        assert manage_suspended_until is not None
        raise Forbidden(
            "Your management rights are suspended",
            code=ErrorCode.MANAGEMENT_SUSPENDED,
            details=_until(manage_suspended_until),
        )
    check_not_blacklisted(blacklist_level, action="manage")


@rule("R-11.2-1", ErrorCode.CREATION_REVOKED)
def check_may_create(create_revoked_until: datetime | None, blacklist_level: int, *, now: datetime) -> None:
    """The right to create groups revoked for a period or for good (`creation_revoked`); blacklisted: `blacklisted`."""
    if active(create_revoked_until, now=now):
        assert create_revoked_until is not None
        raise Forbidden(
            "Your right to create groups has been revoked",
            code=ErrorCode.CREATION_REVOKED,
            details=_until(create_revoked_until),
        )
    check_not_blacklisted(blacklist_level, action="create")


@rule("R-11.3-2", ErrorCode.BLACKLISTED)
def check_may_join(blacklist_level: int) -> None:
    """A blacklisted account joins no group (`blacklisted`)."""
    check_not_blacklisted(blacklist_level, action="join")


@rule("R-11.1-1", ErrorCode.GROUP_SUSPENDED)
def check_group_not_suspended(suspended_until: datetime | None, *, now: datetime) -> None:
    """暂停发布: while a group is suspended nobody posts in it; reading continues (`group_suspended`, until)."""
    if active(suspended_until, now=now):
        assert suspended_until is not None
        raise Forbidden(
            "Posting in this group is suspended by the platform",
            code=ErrorCode.GROUP_SUSPENDED,
            details=_until(suspended_until),
        )


@rule("R-11.1-1", ErrorCode.JOINS_FROZEN)
def check_joins_open(joins_frozen: bool) -> None:
    """New joins frozen by a platform measure: nobody comes in, by any path (`joins_frozen`)."""
    if joins_frozen:
        raise Forbidden("New members may not join this group at present", code=ErrorCode.JOINS_FROZEN)


# A blacklisted account's send rate: the policy's rate for it divided by this, at least 1 a minute.
BLACKLIST_RATE_DIVISOR = 4


def blacklisted_rate(per_minute: int, blacklist_level: int) -> int:
    """The send rate of a blacklisted account: a quarter of what the policy gives it (at least 1 a minute);
    unchanged for one that is not blacklisted, and 0 stays 0."""
    if blacklist_level < BlacklistLevel.RESTRICTED or per_minute <= 0:
        return per_minute
    return max(1, per_minute // BLACKLIST_RATE_DIVISOR)
