"""The scope of the signed-in staff member for inspection (R-3-1, R-13.1-4), loaded from `regulator_scopes`.

Sign-in and every authenticated request ask `check_regulator_access` for a regulator account, so a session that
outlives the access's expiry or revocation stops at its next request (`access_expired`), not at the token's end.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from qunzu.domain.accounts import StaffRole
from qunzu.domain.inspection import Scope, access_expired, check_access_current
from qunzu.domain.staff import INSPECTORS, require_staff_role
from qunzu.services.views import UserView
from qunzu.storage.tables import regulator_scopes


def scope_of_row(row: Any) -> Scope:
    return Scope(
        group_ids=frozenset(int(g) for g in row.group_ids or ()),
        categories=frozenset(str(c) for c in row.categories or ()),
        region=row.region,
        window_from=row.window_from,
        window_to=row.window_to,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
    )


async def load_scope(conn: AsyncConnection, *, staff: UserView) -> Scope:
    """The inspection scope of `staff`: unlimited for administrators and compliance officers; a regulator's own
    row, which must exist and be current (`access_expired` otherwise)."""
    require_staff_role(staff.staff_role, INSPECTORS)
    if staff.staff_role != StaffRole.REGULATOR.value:
        return Scope.everything()
    row = (await conn.execute(select(regulator_scopes).where(regulator_scopes.c.user_id == staff.id))).one_or_none()
    if row is None:  # a regulator account made without a scope opens nothing
        raise access_expired()
    return scope_of_row(row)


async def check_regulator_access(conn: AsyncConnection, *, user_id: int, at: datetime) -> datetime:
    """R-3-1: refuse (`access_expired`) a regulator whose access has expired or was revoked (or has no scope);
    returns when the access ends, which caps the session's own expiry."""
    row = (await conn.execute(select(regulator_scopes).where(regulator_scopes.c.user_id == user_id))).one_or_none()
    if row is None:
        raise access_expired()
    scope = scope_of_row(row)
    check_access_current(scope, at=at)
    assert scope.expires_at is not None
    return scope.expires_at
