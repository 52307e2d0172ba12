"""Art. 8 ¶1–2, as an inspector checks it: the member cap, the groups one person owns, creates a day and joins hold
under concurrency; every group has a unique code.

《互联网群组信息服务管理规定》第八条：互联网群组信息服务提供者应当根据自身服务规模和管理能力，合理设定群组成员人数和个人建立群数、
参加群数上限。互联网群组信息服务提供者应设置和显示唯一群组识别编码……
"""

import asyncio
from datetime import timedelta

from sqlalchemy import func, select
from tests.compliance._creation import generous, set_group
from tests.conftest import use_policy

from qunzu.domain.groupcode import is_valid_mod11_10
from qunzu.storage.tables import groups, memberships, users


async def test_r_8_1_1_hundred_simultaneous_joins_fill_fifty_places_exactly(api, container) -> None:
    owner = await api.user()
    code = await api.create_group(owner, tier="M")
    await set_group(container, code, member_cap=51)  # the owner plus 50 free places
    joiners = await asyncio.gather(*(api.user() for _ in range(100)))
    results = await asyncio.gather(*(api.join(u, code) for u in joiners))
    assert sorted(r.status_code for r in results) == [201] * 50 + [409] * 50
    assert {r.json()["error"]["code"] for r in results if r.status_code == 409} == {"group_full"}
    async with container.db.uow(write=False) as uow:
        g = (await uow.conn.execute(select(groups).where(groups.c.code == code))).one()
        rows = (await uow.conn.execute(select(func.count()).where(memberships.c.group_id == g.id))).scalar_one()
    assert g.member_count == rows == 51


async def test_r_8_1_1_the_tier_asked_for_sets_the_member_cap(api, client) -> None:
    owner = await api.user()
    caps = {}
    for tier in ("S", "M"):
        code = await api.create_group(owner, tier=tier)
        caps[tier] = (await client.get(f"/api/v1/groups/{code}", headers=api.h(owner))).json()["member_cap"]
    assert caps == {"S": 40, "M": 100}


async def test_r_8_1_1_a_full_group_accepts_a_member_again_after_someone_leaves(api, client, container) -> None:
    owner = await api.user()
    code = await api.create_group(owner)
    await set_group(container, code, member_cap=2)
    a, b = await api.user(), await api.user()
    assert (await api.join(a, code)).status_code == 201
    full = await api.join(b, code)
    assert full.status_code == 409 and full.json()["error"]["details"] == {"member_cap": 2}
    await client.post(f"/api/v1/groups/{code}/leave", headers=api.h(a))
    assert (await api.join(b, code)).status_code == 201


async def test_r_8_1_2_hundred_simultaneous_creations_stop_at_the_owned_cap(api, client, container) -> None:
    await use_policy(container, levels={"4": {"owned_max": 50, "created_per_day": 1000, "send_per_minute": 20}})
    owner = await api.user()
    duties = (await api.current_versions())["owner_duties"]

    async def create(i: int):  # type: ignore[no-untyped-def]
        body = {"name": f"并发{i}", "category": "work", "duties_version": duties}
        return await client.post("/api/v1/groups", json=body, headers=api.h(owner))

    results = await asyncio.gather(*(create(i) for i in range(100)))
    assert sorted(r.status_code for r in results) == [201] * 50 + [409] * 50
    refused = [r.json()["error"] for r in results if r.status_code == 409]
    assert {e["code"] for e in refused} == {"create_limit"} and {e["details"]["limit"] for e in refused} == {"owned"}
    async with container.db.uow(write=False) as uow:
        owned = (await uow.conn.execute(select(func.count()).where(groups.c.owner_id == owner["id"]))).scalar_one()
        counter = (await uow.conn.execute(select(users.c.groups_owned).where(users.c.id == owner["id"]))).scalar_one()
    assert owned == counter == 50


async def test_r_8_1_2_the_daily_creation_cap_starts_again_at_midnight_beijing_time(
    api, client, container, manual_clock
) -> None:
    owner = await api.user()  # credit 100 (C4): 5 groups a day by default
    for i in range(5):
        await api.create_group(owner, name=f"今日{i}")
    duties = (await api.current_versions())["owner_duties"]
    body = {"name": "第六个", "category": "work", "duties_version": duties}
    r = await client.post("/api/v1/groups", json=body, headers=api.h(owner))
    assert r.status_code == 409 and r.json()["error"]["code"] == "create_limit"
    assert r.json()["error"]["details"]["limit"] == "per_day"
    # 09:00 UTC is 17:00 in Beijing: at 15:59 UTC (23:59 Beijing) it is still the same day
    manual_clock.advance(timedelta(hours=6, minutes=59))
    r = await client.post("/api/v1/groups", json=body, headers=api.h(owner))
    assert r.status_code == 409 and r.json()["error"]["details"]["limit"] == "per_day"
    manual_clock.advance(timedelta(minutes=1))  # 16:00 UTC: 00:00 Asia/Shanghai, a new day
    assert (await client.post("/api/v1/groups", json=body, headers=api.h(owner))).status_code == 201


async def test_r_8_1_3_hundred_simultaneous_joins_by_one_person_stop_at_the_joined_cap(api, client, container) -> None:
    await use_policy(container, **generous(), join_per_hour=10_000)
    owner, joiner = await api.user(), await api.user()
    codes = await asyncio.gather(*(api.create_group(owner, name=f"群{i}") for i in range(100)))
    await use_policy(container, joined_max=50)
    results = await asyncio.gather(*(api.join(joiner, code) for code in codes))
    assert sorted(r.status_code for r in results) == [201] * 50 + [409] * 50
    assert {r.json()["error"]["code"] for r in results if r.status_code == 409} == {"join_limit"}
    async with container.db.uow(write=False) as uow:
        mine = (await uow.conn.execute(select(func.count()).where(memberships.c.user_id == joiner["id"]))).scalar_one()
        counter = (await uow.conn.execute(select(users.c.groups_joined).where(users.c.id == joiner["id"]))).scalar_one()
    assert mine == counter == 50


async def test_r_8_2_1_every_group_has_a_unique_checked_code_shown_to_members(api, client, container) -> None:
    await use_policy(container, **generous())
    owner = await api.user()
    codes = await asyncio.gather(*(api.create_group(owner, name=f"g{i}") for i in range(60)))
    assert len(set(codes)) == 60 and all(is_valid_mod11_10(c) for c in codes)
    shown = (await client.get(f"/api/v1/groups/{codes[0]}", headers=api.h(owner))).json()
    assert shown["code"] == codes[0] and shown["code_display"].replace(" ", "") == codes[0]
    typo = codes[0][:-1] + str((int(codes[0][-1]) + 1) % 10)
    r = await client.get(f"/api/v1/groups/{typo}", headers=api.h(owner))
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_group_code"


async def test_r_8_2_1_codes_are_never_reused(api, container) -> None:
    """Group rows are never deleted and the code column is unique: a collision draws a new code."""
    from qunzu.config import GroupSettings
    from qunzu.context import Ctx
    from qunzu.services import groups as svc

    owner = await api.user()
    draws = iter(["1000000005", "1000000005", "1000000013"])
    kw = dict(
        actor=owner["id"],
        category="work",
        description="",
        ctx=Ctx.system(container.clock.now()),
        limits=GroupSettings(categories=["work"], max_members_hard=10),
        policy=await container.policy.policy(),
        duties_version=(await api.current_versions())["owner_duties"],
        code_source=lambda: next(draws),
    )
    first = await svc.create_group(container.db, name="a", **kw)
    second = await svc.create_group(container.db, name="b", **kw)
    assert first.code == "1000000005" and second.code == "1000000013"
    async with container.db.uow(write=False) as uow:
        owned = (await uow.conn.execute(select(users.c.groups_owned).where(users.c.id == owner["id"]))).scalar_one()
    assert owned == 2  # the collided attempt gave its place back


async def test_r_8_2_1_a_closed_groups_code_answers_with_its_tombstone(api, client, container) -> None:
    owner, member = await api.user(), await api.user()
    code = await api.create_group(owner)
    await api.join(member, code)
    closed_at = container.clock.now()
    await set_group(container, code, status="closed", closed_at=closed_at)
    for who in (owner, member):
        r = await client.get(f"/api/v1/groups/{code}", headers=api.h(who))
        assert r.status_code == 410 and r.json()["error"]["code"] == "group_closed"
        assert r.json()["error"]["details"]["code"] == code
    r = await client.get(f"/api/v1/groups/{code}/info")
    assert r.status_code == 410 and r.json()["error"]["details"]["code"] == code
