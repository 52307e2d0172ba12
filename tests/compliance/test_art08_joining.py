"""Art. 8 ¶3 (join side), as an inspector checks it: how people come into a group.

《互联网群组信息服务管理规定》第八条第三款：互联网群组信息服务提供者应当根据群组规模类别，分级审核群组建立者真实身份、
信用等级等建群资质，完善建群、入群等审核验证功能，并标注群组建立者、管理者及成员群内身份信息。

Join modes (open for small groups only, approval with an optional question, invitation only); invitations above 40
members wait for the invitee's yes; joiners of groups above 100 members need real-name verification; invite links
and QR codes expire after 7 days, can be revoked and are off in L/XL groups (R-8.3-3); pending requests count towards
the groups one may join (R-8.1-3); joins per hour are limited (R-7.1-4).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from tests.conftest import use_policy

from qunzu.storage.tables import account_notices, groups, join_requests, memberships, operation_log, users


async def shape(container: Any, code: str, **values: Any) -> None:
    """Put a group into the state the check needs (its size and cap are counters on its row)."""
    async with container.db.uow() as uow:
        await uow.conn.execute(update(groups).where(groups.c.code == code).values(**values))
        await uow.commit()


async def level(container: Any, user: dict[str, Any], lvl: int) -> None:
    async with container.db.uow() as uow:
        await uow.conn.execute(update(users).where(users.c.id == user["id"]).values(verification_level=lvl))
        await uow.commit()


async def role_in(api: Any, user: dict[str, Any], code: str) -> str | None:
    r = await api.client.get(f"/api/v1/groups/{code}", headers=api.h(user))
    return r.json().get("my_role")


async def set_join(api: Any, owner: dict[str, Any], code: str, **body: Any) -> Any:
    return await api.client.patch(f"/api/v1/groups/{code}/joining", json=body, headers=api.h(owner))


async def test_r_8_3_3_an_invitation_into_a_41_member_group_waits_for_the_invitee(api, client, container) -> None:
    owner, invitee = await api.user(), await api.user()
    code = await api.create_group(owner)
    await shape(container, code, member_count=41, member_cap=100, max_tier="M")
    r = await client.post(
        f"/api/v1/groups/{code}/invitations", json={"username": invitee["username"]}, headers=api.h(owner)
    )
    assert r.status_code == 201 and r.json()["status"] == "invited", r.text
    assert await role_in(api, invitee, code) is None, "not added before accepting"
    mine = (await client.get("/api/v1/me/invitations", headers=api.h(invitee))).json()
    assert mine["count"] == 1 and mine["requests"][0]["group"] == code
    async with container.db.uow(write=False) as uow:
        notice = (
            await uow.conn.execute(select(account_notices).where(account_notices.c.user_id == invitee["id"]))
        ).one()
    assert notice.kind == "group_invitation" and notice.details["group"] == code
    r = await client.post(f"/api/v1/me/invitations/{mine['requests'][0]['id']}/accept", headers=api.h(invitee))
    assert r.status_code == 201 and r.json()["my_role"] == "member", r.text
    assert (await client.get("/api/v1/me/invitations", headers=api.h(invitee))).json()["count"] == 0


async def test_r_8_3_3_an_invitation_into_a_group_of_40_adds_the_invitee_at_once(api, client, container) -> None:
    owner, invitee = await api.user(), await api.user()
    code = await api.create_group(owner)
    await shape(container, code, member_count=40, member_cap=100, max_tier="M")
    r = await client.post(f"/api/v1/groups/{code}/invitations", json={"user_id": invitee["id"]}, headers=api.h(owner))
    assert r.status_code == 201 and r.json()["status"] == "added", r.text
    assert await role_in(api, invitee, code) == "member"


async def test_r_8_3_3_a_declined_invitation_adds_nobody(api, client, container) -> None:
    owner, invitee = await api.user(), await api.user()
    code = await api.create_group(owner)
    await shape(container, code, member_count=41, member_cap=100, max_tier="M")
    r = await client.post(f"/api/v1/groups/{code}/invitations", json={"user_id": invitee["id"]}, headers=api.h(owner))
    rid = r.json()["request"]["id"]
    assert (await client.post(f"/api/v1/me/invitations/{rid}/decline", headers=api.h(invitee))).status_code == 204
    assert await role_in(api, invitee, code) is None
    again = await client.post(f"/api/v1/me/invitations/{rid}/accept", headers=api.h(invitee))
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_decided"


async def test_r_8_3_3_only_verified_people_can_be_invited(api, client, container) -> None:
    owner, stranger = await api.user(), await api.unverified_user()
    code = await api.create_group(owner)
    r = await client.post(f"/api/v1/groups/{code}/invitations", json={"user_id": stranger["id"]}, headers=api.h(owner))
    assert r.status_code == 403 and r.json()["error"]["code"] == "identity_unverified"


async def test_r_8_3_3_an_l1_user_cannot_join_a_101_member_group(api, client, container) -> None:
    owner, l1, l2 = await api.user(), await api.user(), await api.user()
    code = await api.create_group(owner)
    await shape(container, code, member_count=101, member_cap=500, max_tier="L", join_mode="approval")
    r = await api.join(l1, code)
    assert r.status_code == 403 and r.json()["error"]["code"] == "verification_level_required", r.text
    assert r.json()["error"]["details"]["required_level"] == 2
    await level(container, l2, 2)
    r = await api.join(l2, code)
    assert r.status_code == 202 and r.json()["status"] == "pending", "an L2 user's request waits for a manager"


async def test_r_8_3_3_an_eight_day_old_link_is_refused_as_expired(api, client, container, manual_clock) -> None:
    owner, joiner = await api.user(), await api.user()
    code = await api.create_group(owner)
    r = await client.post(f"/api/v1/groups/{code}/links", headers=api.h(owner))
    assert r.status_code == 201, r.text
    link = r.json()
    assert link["url"].endswith(f"/join/{link['token']}")
    assert (await client.get(f"/api/v1/invites/{link['token']}")).json()["group"] == code
    manual_clock.advance(timedelta(days=8))
    r = await client.get(f"/api/v1/invites/{link['token']}")
    assert r.status_code == 410 and r.json()["error"]["code"] == "invite_expired"
    r = await client.post(f"/api/v1/invites/{link['token']}/join", headers=api.h(joiner))
    assert r.status_code == 410 and r.json()["error"]["code"] == "invite_expired"
    assert await role_in(api, joiner, code) is None


async def test_r_8_3_3_a_link_joins_and_counts_its_uses_until_revoked(api, client, container) -> None:
    owner, first, second = await api.user(), await api.user(), await api.user()
    code = await api.create_group(owner)
    link = (await client.post(f"/api/v1/groups/{code}/links", headers=api.h(owner))).json()
    r = await client.post(f"/api/v1/invites/{link['token']}/join", headers=api.h(first))
    assert r.status_code == 201 and r.json()["my_role"] == "member", r.text
    r = await client.delete(f"/api/v1/groups/{code}/links/{link['id']}", headers=api.h(owner))
    assert r.status_code == 200 and r.json()["state"] == "revoked" and r.json()["uses"] == 1
    r = await client.post(f"/api/v1/invites/{link['token']}/join", headers=api.h(second))
    assert r.status_code == 410 and r.json()["error"]["code"] == "invite_revoked"
    missing = await client.get("/api/v1/invites/no-such-token")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "invite_not_found"


async def test_r_8_3_3_links_are_refused_in_an_l_group(api, client, container) -> None:
    owner = await api.user()
    code = await api.create_group(owner)
    await shape(container, code, member_count=101, member_cap=500, max_tier="L", join_mode="approval")
    r = await client.post(f"/api/v1/groups/{code}/links", headers=api.h(owner))
    assert r.status_code == 403 and r.json()["error"]["code"] == "links_disabled"
    assert r.json()["error"]["details"]["tier"] == "L"


async def test_r_8_3_3_open_joining_is_refused_for_a_group_that_can_grow_to_l(api, client, container) -> None:
    owner = await api.user()
    code = await api.create_group(owner)
    await shape(container, code, member_cap=500, max_tier="L", join_mode="approval")
    r = await set_join(api, owner, code, join_mode="open")
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "join_mode"
    assert r.json()["error"]["details"]["allowed"] == ["approval", "invitation"]
    await shape(container, code, member_cap=40, max_tier="S")
    r = await set_join(api, owner, code, join_mode="open")
    assert r.status_code == 200 and r.json()["join_mode"] == "open"


async def test_r_8_3_3_approval_with_a_question_waits_for_a_manager(api, client, container) -> None:
    owner, joiner = await api.user(), await api.user()
    code = await api.create_group(owner)
    r = await set_join(api, owner, code, join_mode="approval", join_question="你读过哪本书？")
    assert r.status_code == 200 and r.json()["join_question"] == "你读过哪本书？", r.text
    r = await api.join(joiner, code)
    assert r.status_code == 422 and r.json()["error"]["code"] == "answer_required"
    r = await client.post(f"/api/v1/groups/{code}/join", json={"answer": "红楼梦"}, headers=api.h(joiner))
    assert r.status_code == 202 and r.json()["answer"] == "红楼梦", r.text
    rid = r.json()["id"]
    assert await role_in(api, joiner, code) is None
    again = await client.post(f"/api/v1/groups/{code}/join", json={"answer": "红楼梦"}, headers=api.h(joiner))
    assert again.status_code == 409 and again.json()["error"]["code"] == "join_request_pending"
    queue = (await client.get(f"/api/v1/groups/{code}/join-requests", headers=api.h(owner))).json()
    assert [(q["id"], q["answer"], q["user_id"]) for q in queue["requests"]] == [(rid, "红楼梦", joiner["id"])]
    peek = await client.get(f"/api/v1/groups/{code}/join-requests", headers=api.h(joiner))
    assert peek.status_code == 403 and peek.json()["error"]["code"] == "not_member"
    r = await client.post(
        f"/api/v1/groups/{code}/join-requests/{rid}/decision", json={"approve": True}, headers=api.h(owner)
    )
    assert r.status_code == 200 and r.json()["status"] == "approved", r.text
    assert await role_in(api, joiner, code) == "member"
    async with container.db.uow(write=False) as uow:
        actions = list(
            (
                await uow.conn.execute(
                    select(operation_log.c.action).where(operation_log.c.action.like("group.join%"))
                    .order_by(operation_log.c.id)
                )
            ).scalars()
        )  # fmt: skip
        notice = (
            await uow.conn.execute(select(account_notices).where(account_notices.c.user_id == joiner["id"]))
        ).one()
    assert actions == ["group.join_settings", "group.join_request", "group.join", "group.join_request_decision"]
    assert notice.kind == "join_request_decided" and notice.details["decision"] == "approved"


async def test_r_8_3_3_a_refused_request_keeps_its_reason_and_gives_the_place_back(api, client, container) -> None:
    owner, joiner = await api.user(), await api.user()
    code = await api.create_group(owner)
    await set_join(api, owner, code, join_mode="approval")
    rid = (await api.join(joiner, code)).json()["id"]
    r = await client.post(
        f"/api/v1/groups/{code}/join-requests/{rid}/decision",
        json={"approve": False, "reason": "仅限本班同学"},
        headers=api.h(owner),
    )
    assert r.status_code == 200 and (r.json()["status"], r.json()["reason"]) == ("refused", "仅限本班同学")
    async with container.db.uow(write=False) as uow:
        joined = (await uow.conn.execute(select(users.c.groups_joined).where(users.c.id == joiner["id"]))).scalar()
    assert joined == 0 and await role_in(api, joiner, code) is None


async def test_r_8_3_3_an_invitation_only_group_refuses_joining_by_code(api, client, container) -> None:
    owner, joiner = await api.user(), await api.user()
    code = await api.create_group(owner)
    assert (await set_join(api, owner, code, join_mode="invitation")).status_code == 200
    r = await api.join(joiner, code)
    assert r.status_code == 403 and r.json()["error"]["code"] == "invitation_required"


async def test_r_8_3_3_a_members_invitation_in_an_approval_group_waits_for_a_manager(api, client, container) -> None:
    owner, member, friend = await api.user(), await api.user(), await api.user()
    code = await api.create_group(owner)
    assert (await api.join(member, code)).status_code == 201
    await set_join(api, owner, code, join_mode="approval")
    r = await client.post(f"/api/v1/groups/{code}/invitations", json={"user_id": friend["id"]}, headers=api.h(member))
    assert r.status_code == 201 and r.json()["status"] == "requested", r.text
    assert await role_in(api, friend, code) is None
    queue = (await client.get(f"/api/v1/groups/{code}/join-requests", headers=api.h(owner))).json()["requests"]
    assert queue[0]["user_id"] == friend["id"] and queue[0]["invited_by"] == member["id"]
    await client.post(
        f"/api/v1/groups/{code}/join-requests/{queue[0]['id']}/decision", json={"approve": True}, headers=api.h(owner)
    )
    assert await role_in(api, friend, code) == "member"
    # the owner's own invitation is vouched: straight in
    other = await api.user()
    r = await client.post(f"/api/v1/groups/{code}/invitations", json={"user_id": other["id"]}, headers=api.h(owner))
    assert r.json()["status"] == "added"


async def test_r_8_3_3_invite_rights_managers_refuse_a_members_invitation(api, client, container) -> None:
    owner, member, friend = await api.user(), await api.user(), await api.user()
    code = await api.create_group(owner)
    await api.join(member, code)
    assert (await set_join(api, owner, code, invite_rights="managers")).status_code == 200
    r = await client.post(f"/api/v1/groups/{code}/invitations", json={"user_id": friend["id"]}, headers=api.h(member))
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden_role"


async def test_r_8_1_3_pending_requests_count_towards_the_groups_one_may_join(api, client, container) -> None:
    owner, joiner = await api.user(), await api.user()
    waiting, open_group = await api.create_group(owner, name="审核群"), await api.create_group(owner, name="开放群")
    await set_join(api, owner, waiting, join_mode="approval")
    await use_policy(container, joined_max=1)
    r = await api.join(joiner, waiting)
    assert r.status_code == 202
    full = await api.join(joiner, open_group)
    assert full.status_code == 409 and full.json()["error"]["code"] == "join_limit", full.text
    mine = (await client.get("/api/v1/me/join-requests", headers=api.h(joiner))).json()
    assert mine["count"] == 1
    r = await client.post(f"/api/v1/me/join-requests/{mine['requests'][0]['id']}/withdraw", headers=api.h(joiner))
    assert r.status_code == 204
    assert (await api.join(joiner, open_group)).status_code == 201


async def test_r_7_1_4_joins_per_hour_are_limited(api, client, container, manual_clock) -> None:
    owner, joiner = await api.user(), await api.user()
    codes = [await api.create_group(owner, name=f"群{i}") for i in range(3)]
    await use_policy(container, join_per_hour=2)
    assert [(await api.join(joiner, c)).status_code for c in codes[:2]] == [201, 201]
    r = await api.join(joiner, codes[2])
    assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited"
    assert r.json()["error"]["details"]["retry_after_ms"] > 0
    manual_clock.advance(timedelta(hours=1))
    assert (await api.join(joiner, codes[2])).status_code == 201


async def test_r_8_3_3_a_pending_request_is_overtaken_cleanly_by_a_link(api, client, container) -> None:
    owner, joiner = await api.user(), await api.user()
    code = await api.create_group(owner)
    await set_join(api, owner, code, join_mode="approval")
    assert (await api.join(joiner, code)).status_code == 202
    link = (await client.post(f"/api/v1/groups/{code}/links", headers=api.h(owner))).json()
    r = await client.post(f"/api/v1/invites/{link['token']}/join", headers=api.h(joiner))
    assert r.status_code == 201, r.text
    async with container.db.uow(write=False) as uow:
        joined = (await uow.conn.execute(select(users.c.groups_joined).where(users.c.id == joiner["id"]))).scalar()
        req = (await uow.conn.execute(select(join_requests).where(join_requests.c.user_id == joiner["id"]))).one()
    assert joined == 1, "the request's place became the membership's"
    assert req.status == "withdrawn" and req.open_key is None
    assert (await client.get(f"/api/v1/groups/{code}/join-requests", headers=api.h(owner))).json()["count"] == 0


async def test_r_8_1_1_hundred_simultaneous_approvals_fill_fifty_places_exactly(api, client, container) -> None:
    owner, m1, m2 = await api.user(), await api.user(), await api.user()
    code = await api.create_group(owner)
    await set_join(api, owner, code, join_mode="approval")
    async with container.db.uow() as uow:
        gid = (await uow.conn.execute(select(groups.c.id).where(groups.c.code == code))).scalar_one()
        for m in (m1, m2):
            await uow.conn.execute(
                insert(memberships).values(
                    group_id=gid, user_id=m["id"], role="manager", joined_at=container.clock.now()
                )
            )
        await uow.conn.execute(update(groups).where(groups.c.id == gid).values(member_count=3, member_cap=53))
        await uow.commit()
    joiners = await asyncio.gather(*(api.user() for _ in range(100)))
    asked = await asyncio.gather(*(api.join(u, code) for u in joiners))
    assert [r.status_code for r in asked] == [202] * 100
    deciders = [owner, m1, m2]
    results = await asyncio.gather(
        *(
            client.post(
                f"/api/v1/groups/{code}/join-requests/{r.json()['id']}/decision",
                json={"approve": True},
                headers=api.h(deciders[i % 3]),
            )
            for i, r in enumerate(asked)
        )
    )
    assert sorted(r.status_code for r in results) == [200] * 50 + [409] * 50
    assert {r.json()["error"]["code"] for r in results if r.status_code == 409} == {"group_full"}
    async with container.db.uow(write=False) as uow:
        g = (await uow.conn.execute(select(groups).where(groups.c.id == gid))).one()
        rows = (await uow.conn.execute(select(func.count()).where(memberships.c.group_id == gid))).scalar_one()
        still = (
            await uow.conn.execute(
                select(func.count()).where(join_requests.c.group_id == gid, join_requests.c.status == "pending")
            )
        ).scalar_one()
    assert g.member_count == rows == 53
    assert still == 50, "the requests that found no place still wait (a manager may refuse them)"
