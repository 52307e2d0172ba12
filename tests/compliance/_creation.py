"""Helpers of the Art. 8 creation and info-page checks: staff accounts, and a person's level, credit and age set
directly (no API raises them)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import insert, update

from qunzu.storage.tables import credit_events, groups, users


async def staff(api: Any, container: Any, role: str = "reviewer") -> dict[str, Any]:
    """A signed-in staff account with `role`."""
    from qunzu.context import Ctx
    from qunzu.domain.accounts import StaffRole
    from qunzu.services.accounts import register_user

    api._n += 1
    name = f"{role[:8]}s{api._n}"
    made = await register_user(
        container.db,
        container.passwords,
        username=name,
        password="staff-password-1",
        nickname=f"审核{api._n}",
        ctx=Ctx.system(container.clock.now()),
        staff_role=StaffRole(role),
    )
    if role == "regulator":  # a regulator signs in only with an access in force (R-3-1)
        from tests.compliance._inspection import grant_access

        await grant_access(container, made.id)
    r = await api.client.post("/api/v1/auth/login", json={"username": name, "password": "staff-password-1"})
    assert r.status_code == 200, r.text
    return {"id": r.json()["user"]["id"], "token": r.json()["access_token"]}


async def promote(
    container: Any, user: dict[str, Any], *, level: int | None = None, credit: int | None = None, age_days: int = 0
) -> None:
    """Set a person's verification level, credit score (an adjustment from the start of 100) and account age."""
    now = container.clock.now()
    async with container.db.uow() as uow:
        values: dict[str, Any] = {}
        if level is not None:
            values["verification_level"] = level
        if age_days:
            values["created_at"] = now - timedelta(days=age_days)
        if values:
            await uow.conn.execute(update(users).where(users.c.id == user["id"]).values(**values))
        if credit is not None and credit != 100:
            await uow.conn.execute(
                insert(credit_events).values(
                    user_id=user["id"], kind="adjustment", delta=credit - 100, reason="test", source="staff",
                    created_at=now,
                )
            )  # fmt: skip
        await uow.commit()


async def set_group(container: Any, code: str, **values: Any) -> None:
    async with container.db.uow() as uow:
        await uow.conn.execute(update(groups).where(groups.c.code == code).values(**values))
        await uow.commit()


def generous(n: int = 200) -> dict[str, Any]:
    """Policy changes that let one person create `n` groups in a day."""
    return {"levels": {"4": {"owned_max": n, "created_per_day": n, "send_per_minute": 20}}}
