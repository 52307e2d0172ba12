"""Art. 8 ¶1–2, as an inspector checks it: member caps hold under concurrency; every group has a unique code.

《互联网群组信息服务管理规定》第八条：合理设定群组成员人数和个人建立群数、参加群数上限……应设置和显示唯一群组识别编码。
"""

import asyncio

import pytest
from sqlalchemy import func, select, update

from qunzu.domain.groupcode import is_valid_mod11_10
from qunzu.storage.tables import groups, memberships


@pytest.fixture
def settings_overrides() -> dict:
    return {"groups": {"max_members_default": 51}}


async def test_r_8_1_1_hundred_simultaneous_joins_fill_fifty_places_exactly(api, container) -> None:
    owner = await api.user()
    code = await api.create_group(owner)  # cap 51: the owner plus 50 free places
    joiners = await asyncio.gather(*(api.user() for _ in range(100)))
    results = await asyncio.gather(*(api.join(u, code) for u in joiners))
    assert sorted(r.status_code for r in results) == [201] * 50 + [409] * 50
    assert {r.json()["error"]["code"] for r in results if r.status_code == 409} == {"group_full"}
    async with container.db.uow(write=False) as uow:
        g = (await uow.conn.execute(select(groups).where(groups.c.code == code))).one()
        rows = (await uow.conn.execute(select(func.count()).where(memberships.c.group_id == g.id))).scalar_one()
    assert g.member_count == rows == 51


async def test_r_8_1_1_a_full_group_accepts_a_member_again_after_someone_leaves(api, client, container) -> None:
    owner = await api.user()
    code = await api.create_group(owner)
    async with container.db.uow() as uow:
        await uow.conn.execute(update(groups).where(groups.c.code == code).values(member_cap=2))
        await uow.commit()
    a, b = await api.user(), await api.user()
    assert (await api.join(a, code)).status_code == 201
    full = await api.join(b, code)
    assert full.status_code == 409 and full.json()["error"]["details"] == {"member_cap": 2}
    await client.post(f"/api/v1/groups/{code}/leave", headers=api.h(a))
    assert (await api.join(b, code)).status_code == 201


async def test_r_8_2_1_every_group_has_a_unique_checked_code_shown_to_members(api, client) -> None:
    owner = await api.user()
    codes = await asyncio.gather(*(api.create_group(owner, name=f"g{i}") for i in range(60)))
    assert len(set(codes)) == 60 and all(is_valid_mod11_10(c) for c in codes)
    shown = (await client.get(f"/api/v1/groups/{codes[0]}", headers=api.h(owner))).json()
    assert shown["code"] == codes[0] and shown["code_display"].replace(" ", "") == codes[0]
    typo = codes[0][:-1] + str((int(codes[0][-1]) + 1) % 10)
    r = await client.get(f"/api/v1/groups/{typo}", headers=api.h(owner))
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_group_code"


async def test_r_8_2_1_codes_are_never_reused(container) -> None:
    """Group rows are never deleted and the code column is unique: a collision draws a new code."""
    from qunzu.context import Ctx
    from qunzu.services import groups as svc

    async with container.db.uow() as uow:
        from qunzu.storage.tables import users

        uid = (
            await uow.conn.execute(
                users.insert()
                .values(
                    username="codes",
                    password_hash="x",
                    nickname="c",
                    status="active",
                    created_at=container.clock.now(),
                    verification_level=1,
                )
                .returning(users.c.id)
            )
        ).scalar_one()
        await uow.commit()
    draws = iter(["1000000005", "1000000005", "1000000013"])
    from qunzu.config import GroupSettings

    limits = GroupSettings(categories=["work"], max_members_default=10, max_members_hard=10)
    kw = dict(
        actor=uid,
        category="work",
        description="",
        ctx=Ctx.system(container.clock.now()),
        limits=limits,
        code_source=lambda: next(draws),
    )
    first = await svc.create_group(container.db, name="a", **kw)
    second = await svc.create_group(container.db, name="b", **kw)
    assert first.code == "1000000005" and second.code == "1000000013"
