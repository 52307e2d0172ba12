"""Art. 9 — the duties of creators and managers, and the tools the platform gives them, as an inspector checks them
through the API on SQLite and PostgreSQL.

第九条：互联网群组建立者、管理者应当履行群组管理责任，依据法律法规、用户协议和平台公约，规范群组网络行为和信息发布，
构建文明有序的网络群体空间。互联网群组成员在参与群组信息交流时，应当遵守法律法规，文明互动、理性表达。
互联网群组信息服务提供者应为群组建立者、管理者进行群组管理提供必要功能权限。

What is checked: each member tool by role (owner ✓, manager ✓ except appointing managers, transfer and dissolution,
member ✗ `forbidden_role`), each use in the group's operation log with actor and time; managers and owners only by
consent, with the 群主责任告知书 accepted and logged (R-9.1-1, R-9.1-2, D12); the owner cannot walk away; a
dissolved group's places come back and its code is never reused (D8); L/XL groups are told to appoint managers in
proportion to size (R-9.3-2); the managers cap holds under simultaneous offers and acceptances.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from tests.conftest import use_policy

from qunzu.storage.tables import acceptances, credit_events, groups, memberships, role_offers, users


async def duties(api: Any) -> int:
    return int((await api.current_versions())["owner_duties"])


async def offer_id(api: Any, user: dict[str, Any], code: str) -> int:
    offers = (await api.client.get("/api/v1/me/offers", headers=api.h(user))).json()["offers"]
    return int(next(o["id"] for o in offers if o["group_code"] == code))


async def appoint(api: Any, owner: dict[str, Any], code: str, user: dict[str, Any]) -> None:
    """The owner offers the manager role and the member accepts it with the current duties notice."""
    r = await api.client.post(f"/api/v1/groups/{code}/managers", json={"user_id": user["id"]}, headers=api.h(owner))
    assert r.status_code == 202, r.text
    r = await api.client.post(
        f"/api/v1/me/offers/{r.json()['id']}/accept", json={"duties_version": await duties(api)}, headers=api.h(user)
    )
    assert r.status_code == 200, r.text


async def role_of(container: Any, code: str, user: dict[str, Any]) -> str | None:
    async with container.db.uow(write=False) as uow:
        return (
            await uow.conn.execute(
                select(memberships.c.role)
                .join(groups, groups.c.id == memberships.c.group_id)
                .where(groups.c.code == code, memberships.c.user_id == user["id"])
            )
        ).scalar_one_or_none()


async def user_row(container: Any, user: dict[str, Any]) -> Any:
    async with container.db.uow(write=False) as uow:
        return (await uow.conn.execute(select(users).where(users.c.id == user["id"]))).one()


async def log_of(api: Any, viewer: dict[str, Any], code: str, **params: Any) -> Any:
    return await api.client.get(f"/api/v1/groups/{code}/log", params=params, headers=api.h(viewer))


def refused(r: Any, code: str = "forbidden_role") -> bool:
    return r.status_code in (403, 409) and r.json()["error"]["code"] == code


async def staffed_group(api: Any, n_members: int = 4) -> tuple[str, dict[str, Any], dict[str, Any], list[Any]]:
    owner = await api.user(nickname="群主老林")
    manager = await api.user(nickname="管理小王")
    members = [await api.user(nickname=f"成员{i}") for i in range(n_members)]
    code = await api.create_group(owner, name="读书会")
    for u in (manager, *members):
        assert (await api.join(u, code)).status_code == 201
    await appoint(api, owner, code, manager)
    return code, owner, manager, members


# --- R-9.3-1: the member tools by role, each use in the log --------------------------------------------------------


async def test_r_9_3_1_member_tools_owner_and_manager_yes_member_no(api: Any, client: Any) -> None:
    code, owner, manager, (m1, m2, m3, m4) = await staffed_group(api)
    h = api.h
    # mute for a period, and unmute
    for actor in (owner, manager):
        r = await client.post(f"/api/v1/groups/{code}/members/{m1['id']}/mute", json={"seconds": 600}, headers=h(actor))
        assert r.status_code == 200, r.text
        assert (
            await client.delete(f"/api/v1/groups/{code}/members/{m1['id']}/mute", headers=h(actor))
        ).status_code == 204
    assert refused(
        await client.post(f"/api/v1/groups/{code}/members/{m2['id']}/mute", json={"seconds": 600}, headers=h(m1))
    )
    assert refused(await client.delete(f"/api/v1/groups/{code}/members/{m2['id']}/mute", headers=h(m1)))
    # a manager acts on ordinary members only; nobody on the owner
    assert refused(
        await client.post(
            f"/api/v1/groups/{code}/members/{owner['id']}/mute", json={"seconds": 600}, headers=h(manager)
        )
    )
    assert refused(await client.delete(f"/api/v1/groups/{code}/members/{owner['id']}", headers=h(manager)))
    # remove
    assert refused(await client.delete(f"/api/v1/groups/{code}/members/{m2['id']}", headers=h(m1)))
    assert (await client.delete(f"/api/v1/groups/{code}/members/{m2['id']}", headers=h(manager))).status_code == 204
    assert (await client.delete(f"/api/v1/groups/{code}/members/{m3['id']}", headers=h(owner))).status_code == 204
    # the operation log: owner and manager read it, a member may not
    assert refused(await log_of(api, m1, code))
    assert (await log_of(api, manager, code)).status_code == 200
    # set managers, transfer, dissolve: the owner's alone
    for actor in (manager, m1):
        assert refused(
            await client.post(f"/api/v1/groups/{code}/managers", json={"user_id": m4["id"]}, headers=h(actor))
        )
        assert refused(
            await client.post(f"/api/v1/groups/{code}/transfer", json={"user_id": m4["id"]}, headers=h(actor))
        )
        assert refused(
            await client.post(f"/api/v1/groups/{code}/dissolve", json={"confirm_name": "读书会"}, headers=h(actor))
        )
        assert refused(await client.delete(f"/api/v1/groups/{code}/managers/{manager['id']}", headers=h(actor)))
    # each use appears in the group's log with actor, role and time, newest first
    entries = (await log_of(api, owner, code)).json()["entries"]
    used = [(e["action"], e["actor"]["nickname"], e["actor"]["role"], e["target"]["nickname"]) for e in entries
            if e["action"] in ("group.mute", "group.unmute", "group.remove")]  # fmt: skip
    assert used == [
        ("group.remove", "群主老林", "creator", "成员2"),
        ("group.remove", "管理小王", "manager", "成员1"),
        ("group.unmute", "管理小王", "manager", "成员0"),
        ("group.mute", "管理小王", "manager", "成员0"),
        ("group.unmute", "群主老林", "creator", "成员0"),
        ("group.mute", "群主老林", "creator", "成员0"),
    ]
    mute = next(e for e in entries if e["action"] == "group.mute")
    assert mute["details"]["seconds"] == 600 and mute["at"] and mute["label"]
    assert all("src_ip" not in e and "ip" not in e["details"] for e in entries), "addresses stay for inspection"
    # removed members are out, and their joined place came back
    members = (await client.get(f"/api/v1/groups/{code}/members", headers=h(owner))).json()
    assert {m["user_id"] for m in members["members"]} == {owner["id"], manager["id"], m1["id"], m4["id"]}


async def test_r_9_3_1_a_mute_lasts_ten_minutes_to_thirty_days(api: Any, client: Any, container: Any) -> None:
    code, owner, _manager, (m1, *_rest) = await staffed_group(api, 1)
    for seconds in (0, 599, 30 * 86400 + 1):
        r = await client.post(
            f"/api/v1/groups/{code}/members/{m1['id']}/mute", json={"seconds": seconds}, headers=api.h(owner)
        )
        assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "seconds"
    r = await client.post(
        f"/api/v1/groups/{code}/members/{m1['id']}/mute", json={"seconds": 3600}, headers=api.h(owner)
    )
    assert r.status_code == 200
    async with container.db.uow(write=False) as uow:
        row = (await uow.conn.execute(select(memberships).where(memberships.c.user_id == m1["id"]))).one()
    assert (row.muted_by, row.muted_until is not None) == (owner["id"], True)


async def test_r_9_3_1_the_log_pages_back_in_time(api: Any, client: Any) -> None:
    code, owner, _manager, (m1, *_rest) = await staffed_group(api, 1)
    for _ in range(5):
        await client.post(f"/api/v1/groups/{code}/members/{m1['id']}/mute", json={"seconds": 600}, headers=api.h(owner))
    first = (await log_of(api, owner, code, limit=3)).json()
    assert len(first["entries"]) == 3 and first["next_before"] == first["entries"][-1]["id"]
    second = (await log_of(api, owner, code, limit=3, before=first["next_before"])).json()
    assert all(e["id"] < first["next_before"] for e in second["entries"])
    everything = (await log_of(api, owner, code, limit=100)).json()
    assert everything["next_before"] is None and everything["entries"][-1]["action"] == "group.create"


# --- R-9.1-1: a manager by consent, with the duties notice -----------------------------------------------------------


async def test_r_9_1_1_an_appointee_has_no_powers_until_accepting_and_the_acceptance_is_logged(
    api: Any, client: Any, container: Any
) -> None:
    owner, heir, member = await api.user(nickname="群主"), await api.user(nickname="候选人"), await api.user()
    code = await api.create_group(owner)
    await api.join(heir, code)
    await api.join(member, code)
    r = await client.post(f"/api/v1/groups/{code}/managers", json={"user_id": heir["id"]}, headers=api.h(owner))
    assert r.status_code == 202 and (r.json()["status"], r.json()["role"]) == ("pending", "manager")
    offer = r.json()["id"]
    assert await role_of(container, code, heir) == "member"
    assert refused(
        await client.post(
            f"/api/v1/groups/{code}/members/{member['id']}/mute", json={"seconds": 600}, headers=api.h(heir)
        )
    )
    mine = (await client.get("/api/v1/me/offers", headers=api.h(heir))).json()
    assert [o["id"] for o in mine["offers"]] == [offer] and mine["duties_version"] == await duties(api)
    # without the duties notice, or with a stale version: refused
    for body in ({}, {"duties_version": await duties(api) + 1}):
        r = await client.post(f"/api/v1/me/offers/{offer}/accept", json=body, headers=api.h(heir))
        assert r.status_code == 403 and r.json()["error"]["code"] == "duties_not_accepted"
    # someone else cannot answer it
    r = await client.post(
        f"/api/v1/me/offers/{offer}/accept", json={"duties_version": await duties(api)}, headers=api.h(member)
    )
    assert r.status_code == 404 and r.json()["error"]["code"] == "offer_not_found"
    r = await client.post(
        f"/api/v1/me/offers/{offer}/accept", json={"duties_version": await duties(api)}, headers=api.h(heir)
    )
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    assert await role_of(container, code, heir) == "manager"
    assert (
        await client.post(
            f"/api/v1/groups/{code}/members/{member['id']}/mute", json={"seconds": 600}, headers=api.h(heir)
        )
    ).status_code == 200
    async with container.db.uow(write=False) as uow:
        acc = (
            await uow.conn.execute(
                select(acceptances).where(acceptances.c.user_id == heir["id"], acceptances.c.kind == "owner_duties")
            )
        ).one()
        ms = (await uow.conn.execute(select(memberships).where(memberships.c.user_id == heir["id"]))).one()
    assert (acc.version, acc.src_ip, ms.duties_version) == (await duties(api), "203.0.113.7", await duties(api))
    entries = (await log_of(api, owner, code)).json()["entries"]
    accepted = next(e for e in entries if e["action"] == "group.manager_accept")
    offered = next(e for e in entries if e["action"] == "group.manager_offer")
    assert (accepted["actor"]["nickname"], accepted["target"]["nickname"]) == ("候选人", "候选人")
    assert (offered["actor"]["nickname"], offered["target"]["nickname"]) == ("群主", "候选人")


async def test_r_9_1_1_a_declined_offer_leaves_them_a_member(api: Any, client: Any, container: Any) -> None:
    owner, heir = await api.user(), await api.user()
    code = await api.create_group(owner)
    await api.join(heir, code)
    await client.post(f"/api/v1/groups/{code}/managers", json={"user_id": heir["id"]}, headers=api.h(owner))
    offer = await offer_id(api, heir, code)
    r = await client.post(f"/api/v1/me/offers/{offer}/decline", headers=api.h(heir))
    assert r.status_code == 200 and r.json()["status"] == "declined"
    assert await role_of(container, code, heir) == "member"
    r = await client.post(
        f"/api/v1/me/offers/{offer}/accept", json={"duties_version": await duties(api)}, headers=api.h(heir)
    )
    assert r.status_code == 404 and r.json()["error"]["code"] == "offer_not_found"
    assert "group.manager_decline" in [e["action"] for e in (await log_of(api, owner, code)).json()["entries"]]


async def test_r_9_1_1_the_owner_can_cancel_an_offer_and_managers_need_credit(
    api: Any, client: Any, container: Any
) -> None:
    owner, heir, risky = await api.user(), await api.user(), await api.user()
    code = await api.create_group(owner)
    await api.join(heir, code)
    await api.join(risky, code)
    await client.post(f"/api/v1/groups/{code}/managers", json={"user_id": heir["id"]}, headers=api.h(owner))
    offer = await offer_id(api, heir, code)
    r = await client.delete(f"/api/v1/groups/{code}/offers/{offer}", headers=api.h(owner))
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert (await client.get("/api/v1/me/offers", headers=api.h(heir))).json()["offers"] == []
    async with container.db.uow() as uow:  # a record of violations: score 50, level C1 (MANAGE needs C2)
        await uow.conn.execute(
            insert(credit_events).values(user_id=risky["id"], kind="adjustment", delta=-50, reason="test",
                                         source="staff", created_at=container.clock.now())
        )  # fmt: skip
        await uow.commit()
    r = await client.post(f"/api/v1/groups/{code}/managers", json={"user_id": risky["id"]}, headers=api.h(owner))
    assert r.status_code == 403 and r.json()["error"]["code"] == "credit_insufficient"


async def test_r_9_1_1_removing_a_manager_is_immediate_and_a_manager_may_step_down(
    api: Any, client: Any, container: Any
) -> None:
    code, owner, manager, (m1, *_rest) = await staffed_group(api, 1)
    await appoint(api, owner, code, m1)
    r = await client.delete(f"/api/v1/groups/{code}/managers/{m1['id']}", headers=api.h(owner))
    assert r.status_code == 200 and r.json()["role"] == "member"
    r = await client.post(f"/api/v1/groups/{code}/managers/me/resign", headers=api.h(manager))
    assert r.status_code == 200 and r.json()["role"] == "member"
    r = await client.post(f"/api/v1/groups/{code}/managers/me/resign", headers=api.h(owner))
    assert r.status_code == 409 and r.json()["error"]["code"] == "owner_must_transfer"
    actions = [e["action"] for e in (await log_of(api, owner, code)).json()["entries"]]
    assert actions[:2] == ["group.manager_resign", "group.manager_remove"]


# --- R-9.1-2: ownership only by consent; the owner cannot walk away ----------------------------------------------------


async def test_r_9_1_2_transfer_to_a_member_who_declines_leaves_the_owner_unchanged(
    api: Any, client: Any, container: Any
) -> None:
    owner, heir = await api.user(), await api.user()
    code = await api.create_group(owner)
    await api.join(heir, code)
    r = await client.post(f"/api/v1/groups/{code}/transfer", json={"user_id": heir["id"]}, headers=api.h(owner))
    assert r.status_code == 202 and r.json()["role"] == "creator"
    assert (await role_of(container, code, owner), await role_of(container, code, heir)) == ("creator", "member")
    await client.post(f"/api/v1/me/offers/{r.json()['id']}/decline", headers=api.h(heir))
    assert (await role_of(container, code, owner), await role_of(container, code, heir)) == ("creator", "member")
    async with container.db.uow(write=False) as uow:
        g = (await uow.conn.execute(select(groups).where(groups.c.code == code))).one()
    assert g.owner_id == owner["id"]
    assert "group.transfer_decline" in [e["action"] for e in (await log_of(api, owner, code)).json()["entries"]]


async def test_r_9_1_2_an_accepted_transfer_swaps_roles_and_owned_places(api: Any, client: Any, container: Any) -> None:
    owner, heir = await api.user(nickname="老群主"), await api.user(nickname="新群主")
    code = await api.create_group(owner)
    await api.join(heir, code)
    before = (await user_row(container, owner)).groups_owned, (await user_row(container, heir)).groups_owned
    r = await client.post(f"/api/v1/groups/{code}/transfer", json={"user_id": heir["id"]}, headers=api.h(owner))
    r = await client.post(
        f"/api/v1/me/offers/{r.json()['id']}/accept", json={"duties_version": await duties(api)}, headers=api.h(heir)
    )
    assert r.status_code == 200, r.text
    assert (await role_of(container, code, owner), await role_of(container, code, heir)) == ("member", "creator")
    after = (await user_row(container, owner)).groups_owned, (await user_row(container, heir)).groups_owned
    assert after == (before[0] - 1, before[1] + 1)
    assert (await client.post(f"/api/v1/groups/{code}/leave", headers=api.h(owner))).status_code == 204
    entry = next(e for e in (await log_of(api, heir, code)).json()["entries"] if e["action"] == "group.transfer")
    assert (entry["actor"]["nickname"], entry["target"]["nickname"]) == ("新群主", "新群主")


async def test_r_9_1_2_a_transfer_beyond_the_acceptors_owned_cap_is_refused(
    api: Any, client: Any, container: Any
) -> None:
    owner, heir = await api.user(), await api.user()
    code = await api.create_group(owner)
    await api.join(heir, code)
    await use_policy(container, levels={"4": {"owned_max": 1, "created_per_day": 5, "send_per_minute": 20}})
    await api.create_group(heir, name="我自己的群")  # the heir's one place is taken
    r = await client.post(f"/api/v1/groups/{code}/transfer", json={"user_id": heir["id"]}, headers=api.h(owner))
    r = await client.post(
        f"/api/v1/me/offers/{r.json()['id']}/accept", json={"duties_version": await duties(api)}, headers=api.h(heir)
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "create_limit"
    assert (await role_of(container, code, owner), await role_of(container, code, heir)) == ("creator", "member")
    assert (await user_row(container, heir)).groups_owned == 1


async def test_r_9_1_2_the_owner_cannot_leave_or_cancel_the_account_while_owning(api: Any, client: Any) -> None:
    owner, member = await api.user(), await api.user()
    code = await api.create_group(owner, name="告别群")
    await api.join(member, code)
    r = await client.post(f"/api/v1/groups/{code}/leave", headers=api.h(owner))
    assert r.status_code == 409 and r.json()["error"]["code"] == "owner_must_transfer"
    cancel = {"password": "correct-horse-9", "confirm": True}
    r = await client.post("/api/v1/me/cancel", json=cancel, headers=api.h(owner))
    assert r.status_code == 409 and r.json()["error"]["code"] == "ownership_blocks_cancellation"
    r = await client.post(f"/api/v1/groups/{code}/dissolve", json={"confirm_name": "告别群"}, headers=api.h(owner))
    assert r.status_code == 204
    assert (await client.post("/api/v1/me/cancel", json=cancel, headers=api.h(owner))).status_code == 204


# --- dissolution ---------------------------------------------------------------------------------------------------


async def test_r_9_3_1_dissolving_releases_places_and_the_code_is_never_reused(
    api: Any, client: Any, container: Any
) -> None:
    code, owner, manager, (m1, m2) = await staffed_group(api, 2)
    waiting = await api.user()
    await client.post(f"/api/v1/groups/{code}/transfer", json={"user_id": m1["id"]}, headers=api.h(owner))
    before = {u["id"]: await user_row(container, u) for u in (owner, manager, m1, m2)}
    r = await client.post(f"/api/v1/groups/{code}/dissolve", json={"confirm_name": "读书 会"}, headers=api.h(owner))
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "confirm_name"
    r = await client.post(f"/api/v1/groups/{code}/dissolve", json={"confirm_name": "读书会"}, headers=api.h(owner))
    assert r.status_code == 204
    for u in (owner, manager, m1, m2):
        row = await user_row(container, u)
        assert row.groups_joined == before[u["id"]].groups_joined - 1
    assert (await user_row(container, owner)).groups_owned == before[owner["id"]].groups_owned - 1
    r = await client.get(f"/api/v1/groups/{code}", headers=api.h(m1))
    assert r.status_code == 410 and r.json()["error"]["code"] == "group_closed"
    assert (await api.join(waiting, code)).status_code == 410
    gone = await api.post(m1, code, "还有人吗")  # a former member is told the group is closed
    assert gone.status_code == 410 and gone.json()["error"]["code"] == "group_closed"
    assert (await client.get("/api/v1/me/offers", headers=api.h(m1))).json()["offers"] == []
    async with container.db.uow(write=False) as uow:
        g = (await uow.conn.execute(select(groups).where(groups.c.code == code))).one()
        open_offers = (await uow.conn.execute(select(role_offers).where(role_offers.c.status == "pending"))).all()
    assert (g.status, g.closed_by, g.closed_reason, g.closed_at is not None) == (
        "closed",
        owner["id"],
        "dissolved",
        True,
    )
    assert open_offers == []
    with pytest.raises(IntegrityError):  # the code stays reserved by the closed group's row
        async with container.db.uow() as uow:
            row = {c: getattr(g, c) for c in ("name", "category", "creator_id", "owner_id", "member_cap", "created_at")}
            await uow.conn.execute(insert(groups).values(code=code, status="active", **row))


# --- R-9.3-2: managers in proportion to size ------------------------------------------------------------------------


async def test_r_9_3_2_an_xl_group_with_too_few_managers_is_asked_for_more(api: Any, container: Any) -> None:
    from qunzu.context import Ctx
    from qunzu.services.group_tools import managers_shortfall

    code, owner, manager, (m1, *_rest) = await staffed_group(api, 1)
    policy = await container.policy.policy()
    assert await managers_shortfall(container.db, actor=owner["id"], code=code, policy=policy) is None
    async with container.db.uow() as uow:  # an XL group of 1,000 members (their rows aside)
        await uow.conn.execute(update(groups).where(groups.c.code == code).values(member_count=1000, member_cap=2000))
        await uow.commit()
    for viewer in (owner, manager):
        short = await managers_shortfall(container.db, actor=viewer["id"], code=code, policy=policy)
        assert short is not None and (short.needed, short.have) == (5, 1)
    assert await managers_shortfall(container.db, actor=m1["id"], code=code, policy=policy) is None
    assert Ctx  # the web pages show it: tests/web/test_group_admin_http.py


# --- the managers cap under concurrency ----------------------------------------------------------------------------


async def test_r_9_3_1_simultaneous_offers_and_acceptances_never_pass_the_managers_cap(
    api: Any, client: Any, container: Any
) -> None:
    owner = await api.user()
    code = await api.create_group(owner, tier="M")
    people = [await api.user() for _ in range(99)]
    for u in people:
        assert (await api.join(u, code)).status_code == 201
    await use_policy(container, managers_max=3)
    offers = await asyncio.gather(
        *(
            client.post(f"/api/v1/groups/{code}/managers", json={"user_id": u["id"]}, headers=api.h(owner))
            for u in people
        )
    )
    assert sorted(r.status_code for r in offers) == [202] * 3 + [409] * 96
    assert {r.json()["error"]["code"] for r in offers if r.status_code == 409} == {"managers_limit"}
    await use_policy(container, managers_max=100)
    offers = await asyncio.gather(
        *(
            client.post(f"/api/v1/groups/{code}/managers", json={"user_id": u["id"]}, headers=api.h(owner))
            for u in people
        )
    )
    assert all(r.status_code == 202 for r in offers)
    await use_policy(container, managers_max=5)
    version = await duties(api)
    answers = await asyncio.gather(
        *(client.post(f"/api/v1/me/offers/{o.json()['id']}/accept", json={"duties_version": version}, headers=api.h(u))
          for o, u in zip(offers, people, strict=True))
    )  # fmt: skip
    assert sorted(r.status_code for r in answers) == [200] * 5 + [409] * 94
    async with container.db.uow(write=False) as uow:
        managers = (await uow.conn.execute(select(memberships.c.user_id).where(memberships.c.role == "manager"))).all()
    assert len(managers) == 5
