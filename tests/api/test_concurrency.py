"""Caps hold under simultaneous requests, on SQLite and on PostgreSQL (R-8.1-1)."""

import asyncio

import pytest
from sqlalchemy import func, select, update

from qunzu.storage.tables import groups, memberships


@pytest.fixture
def settings_overrides() -> dict:
    return {"groups": {"max_members_default": 50}}


async def test_hundred_simultaneous_joins_fill_fifty_places_exactly(api, client, container) -> None:
    owner = await api.user()
    code = await api.create_group(owner)
    joiners = await asyncio.gather(*(api.user() for _ in range(100)))
    results = await asyncio.gather(*(api.join(u, code) for u in joiners))
    statuses = sorted(r.status_code for r in results)
    assert statuses == [201] * 49 + [409] * 51  # the owner holds one of the 50 places
    assert {r.json()["error"]["code"] for r in results if r.status_code == 409} == {"group_full"}
    async with container.db.uow(write=False) as uow:
        g = (await uow.conn.execute(select(groups).where(groups.c.code == code))).one()
        rows = (await uow.conn.execute(select(func.count()).where(memberships.c.group_id == g.id))).scalar_one()
    assert g.member_count == rows == 50


async def test_hundred_joins_into_fifty_free_places(api, client, container) -> None:
    """The issue's figure exactly: 50 free places, 100 simultaneous joins, 50 members added."""
    owner = await api.user()
    code = await api.create_group(owner)
    async with container.db.uow() as uow:
        await uow.conn.execute(update(groups).where(groups.c.code == code).values(member_cap=51))
        await uow.commit()
    joiners = await asyncio.gather(*(api.user() for _ in range(100)))
    results = await asyncio.gather(*(api.join(u, code) for u in joiners))
    assert sorted(r.status_code for r in results) == [201] * 50 + [409] * 50
