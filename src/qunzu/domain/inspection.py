"""What a regulator may see (R-3-1, R-13.1-4): a scope issued to a named official — groups by id or category, a
region, the time window of the records shown — until the account expires or is revoked.

Pure: the scope row, the group and the time come in as arguments. The region is kept on the scope but matches
nothing yet: it needs the IP location of records, which Qunzu does not keep, so a region alone opens no group.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from qunzu.errors import ErrorCode, Forbidden, ValidationFailed

# The longest an access may be issued for: an inspection is a task with an end, not a standing account.
MAX_ACCESS = timedelta(days=366)


@dataclass(frozen=True, slots=True)
class Scope:
    """A regulator's scope. `unlimited` is the scope of an administrator or compliance officer (no limits)."""

    group_ids: frozenset[int] = frozenset()
    categories: frozenset[str] = frozenset()
    region: str | None = None
    window_from: datetime | None = None
    window_to: datetime | None = None
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    unlimited: bool = False

    @staticmethod
    def everything() -> Scope:
        return Scope(unlimited=True)


def access_expired() -> Forbidden:
    return Forbidden("This inspection access has expired or been revoked", code=ErrorCode.ACCESS_EXPIRED)


def check_access_current(scope: Scope, *, at: datetime) -> None:
    """R-3-1: refuse (`access_expired`) once the access was revoked or its expiry has passed."""
    if scope.unlimited:
        return
    if scope.revoked_at is not None and scope.revoked_at <= at:
        raise access_expired()
    if scope.expires_at is None or scope.expires_at <= at:
        raise access_expired()


def group_in_scope(scope: Scope, *, group_category: str, group_id: int) -> bool:
    """A group is in scope when it is named, or its category is; the region opens nothing yet (module docstring)."""
    return scope.unlimited or group_id in scope.group_ids or group_category in scope.categories


def check_in_scope(scope: Scope, group_category: str, group_id: int, at: datetime) -> None:
    """R-13.1-4: refuse a view of a group outside the scope (`forbidden`), and any view after expiry."""
    check_access_current(scope, at=at)
    if not group_in_scope(scope, group_category=group_category, group_id=group_id):
        raise Forbidden("This group is outside your inspection scope", details={"reason": "out_of_scope"})


def in_window(scope: Scope, ts: datetime) -> bool:
    """Whether a record made at `ts` falls in the scope's window [from, to)."""
    if scope.unlimited:
        return True
    return (scope.window_from is None or ts >= scope.window_from) and (scope.window_to is None or ts < scope.window_to)


def clamp_window(
    scope: Scope, since: datetime | None, until: datetime | None
) -> tuple[datetime | None, datetime | None]:
    """A search's [since, until) narrowed to the scope's window."""
    if scope.unlimited:
        return since, until
    lo = scope.window_from if since is None or (scope.window_from and since < scope.window_from) else since
    hi = scope.window_to if until is None or (scope.window_to and until > scope.window_to) else until
    return lo, hi


def check_scope_spec(
    *,
    official_name: str,
    organisation: str,
    group_ids: Collection[object],  # ids, or the codes typed (resolved after this check)
    categories: Collection[str],
    known_categories: Collection[str],
    window_from: datetime,
    window_to: datetime,
    expires_at: datetime,
    now: datetime,
) -> None:
    """R-3-1: an access names its official and organisation, opens at least one group or category, has a window
    that ends after it starts, and expires in the future, within MAX_ACCESS."""
    if not official_name.strip():
        raise ValidationFailed("Name the official", details={"field": "official_name", "reason": "required"})
    if not organisation.strip():
        raise ValidationFailed("Name the organisation", details={"field": "organisation", "reason": "required"})
    if not group_ids and not categories:
        raise ValidationFailed(
            "Name at least one group or category", details={"field": "group_ids", "reason": "required"}
        )
    unknown = sorted(set(categories) - set(known_categories))
    if unknown:
        raise ValidationFailed(
            "Unknown category", details={"field": "categories", "reason": "invalid", "value": unknown[0]}
        )
    if window_to <= window_from:
        raise ValidationFailed("The window ends before it starts", details={"field": "window_to", "reason": "order"})
    if expires_at <= now:
        raise ValidationFailed("The expiry is in the past", details={"field": "expires_at", "reason": "past"})
    if expires_at > now + MAX_ACCESS:
        raise ValidationFailed(
            "An access may last a year at most", details={"field": "expires_at", "reason": "too_far"}
        )
