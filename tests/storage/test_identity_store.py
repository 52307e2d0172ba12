"""The account slots of an identity (R-6.1-6) on both databases: claims count up to the cap and no further, a
release frees a place, and concurrent claims never overshoot the cap."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from qunzu.errors import Conflict, ErrorCode
from qunzu.services.identity import IdentitySlot, check_slot, claim_slot, release_slot
from qunzu.storage.engine import create_engine
from qunzu.storage.identity import identity_slots
from qunzu.storage.uow import Database

SLOT = IdentitySlot("id", "f" * 64)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(create_engine(database_url))
    try:
        yield database
    finally:
        await database.dispose()


async def _claim(db: Database, subject: str, cap: int) -> bool:
    async with db.uow() as uow:
        claimed = await identity_slots.claim(uow.conn, subject, cap=cap)
        await uow.commit()
    return claimed


async def _release(db: Database, subject: str) -> None:
    async with db.uow() as uow:
        await identity_slots.release(uow.conn, subject)
        await uow.commit()


async def _accounts(db: Database, subject: str) -> int | None:
    async with db.uow(write=False) as uow:
        return await identity_slots.accounts(uow.conn, subject)


async def test_claims_count_up_to_the_cap_and_a_release_frees_a_place(db: Database) -> None:
    assert await _accounts(db, SLOT.subject) is None
    assert [await _claim(db, SLOT.subject, cap=3) for _ in range(4)] == [True, True, True, False]
    assert await _accounts(db, SLOT.subject) == 3
    await _release(db, SLOT.subject)
    assert await _accounts(db, SLOT.subject) == 2
    assert await _claim(db, SLOT.subject, cap=3) is True
    assert await _claim(db, SLOT.subject, cap=3) is False


async def test_a_release_never_counts_below_zero(db: Database) -> None:
    assert await _claim(db, "phone:" + "a" * 64, cap=1) is True
    await _release(db, "phone:" + "a" * 64)
    await _release(db, "phone:" + "a" * 64)
    assert await _accounts(db, "phone:" + "a" * 64) == 0


async def test_concurrent_first_claims_fill_the_cap_exactly(db: Database) -> None:
    results = await asyncio.gather(*(_claim(db, "id:" + "c" * 64, cap=3) for _ in range(12)))
    assert sorted(results) == [False] * 9 + [True] * 3
    assert await _accounts(db, "id:" + "c" * 64) == 3


async def test_the_service_api_refuses_a_full_identity_with_its_code(db: Database) -> None:
    async with db.uow() as uow:
        for _ in range(2):
            await claim_slot(uow, SLOT, cap=2)
        with pytest.raises(Conflict) as refused:
            await claim_slot(uow, SLOT, cap=2)
        assert refused.value.code == ErrorCode.IDENTITY_ACCOUNT_LIMIT
        assert refused.value.details == {"cap": 2, "kind": "ID number"}
        with pytest.raises(Conflict):
            await check_slot(uow, SLOT, actor=1, cap=2)  # user 1 does not hold it: refused early
        await release_slot(uow, SLOT)
        await check_slot(uow, SLOT, actor=1, cap=2)
        await claim_slot(uow, SLOT, cap=2)
        await uow.commit()
    assert await _accounts(db, SLOT.subject) == 2
