"""How staff find the account a case is about: by id, username or nickname. Identity data is never matched or shown
here; a staff member sees an identity masked through views.py."""

from __future__ import annotations

from typing import Any

from qunzu.domain.staff import ANY_STAFF, require_staff_role
from qunzu.domain.text import check_characters, has_visible, parse_int
from qunzu.errors import NotFound
from qunzu.services.views import UserView
from qunzu.storage.identity import accounts
from qunzu.storage.uow import Database


async def find_users(db: Database, *, staff: UserView, query: str, limit: int = 20) -> list[dict[str, Any]]:
    """Staff look up accounts by id, username or nickname (identity data never matched or shown here)."""
    require_staff_role(staff.staff_role, ANY_STAFF)
    q = check_characters(query, field="q", single_line=True).strip()
    if not has_visible(q):
        return []
    async with db.uow(write=False) as uow:
        return await accounts.search(uow.conn, user_id=parse_int(q, lo=1), text=q, limit=limit)


async def staff_account(db: Database, *, staff: UserView, user_id: int) -> dict[str, Any]:
    """The account a staff page is about: username, nickname, status (never identity data)."""
    require_staff_role(staff.staff_role, ANY_STAFF)
    async with db.uow(write=False) as uow:
        row = await accounts.summary(uow.conn, user_id)
    if row is None:
        raise NotFound("No such user")
    return row
