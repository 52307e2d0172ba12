"""Helpers of the Art. 3 and Art. 13 ¶1 inspection checks: issue a regulator's access and sign in with it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from qunzu.storage.tables import operation_log


async def issue(api: Any, admin: dict[str, Any], now: Any, **body: Any) -> Any:
    """POST an access: by default, to 张监督 of a provincial office, for 7 days, records of the last 30 days."""
    api._n += 1
    body = {
        "username": f"regulator{api._n}", "official_name": "张监督", "organisation": "某省网信办",
        "document_number": "网信函〔2026〕7号", "window_from": (now - timedelta(days=30)).isoformat(),
        "window_to": (now + timedelta(days=30)).isoformat(), "expires_at": (now + timedelta(days=7)).isoformat(),
        **body,
    }  # fmt: skip
    return await api.client.post("/api/v1/staff/regulators", json=body, headers=api.h(admin))


async def sign_in(api: Any, issued: dict[str, Any]) -> Any:
    return await api.client.post(
        "/api/v1/auth/login",
        json={"username": issued["regulator"]["username"], "password": issued["initial_password"]},
    )


async def regulator(api: Any, admin: dict[str, Any], now: Any, **body: Any) -> dict[str, Any]:
    """An issued, signed-in regulator: {"id", "token"}."""
    r = await issue(api, admin, now, **body)
    assert r.status_code == 201, r.text
    login = await sign_in(api, r.json())
    assert login.status_code == 200, login.text
    return {"id": login.json()["user"]["id"], "token": login.json()["access_token"]}


async def records(container: Any, *where: Any) -> list[Any]:
    async with container.db.uow(write=False) as uow:
        return list((await uow.conn.execute(select(operation_log).where(*where).order_by(operation_log.c.id))).all())


async def grant_access(container: Any, user_id: int) -> None:
    """Give a regulator account made directly (register_user) an access in force, so it may sign in (R-3-1): every
    category, the records of the last 30 days, 30 days to run."""
    from sqlalchemy import insert

    from qunzu.storage.tables import regulator_scopes

    now = container.clock.now()
    async with container.db.uow() as uow:
        await uow.conn.execute(insert(regulator_scopes).values(
            user_id=user_id, official_name="测试检查员", organisation="测试机关", group_ids=[],
            categories=list(container.settings.groups.categories), window_from=now - timedelta(days=30),
            window_to=now + timedelta(days=30), expires_at=now + timedelta(days=30), created_at=now,
        ))  # fmt: skip
        await uow.commit()
