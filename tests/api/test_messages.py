"""Messages: gapless sequence, idempotent retries, pagination, deletion kept on record."""

import asyncio

from sqlalchemy import select

from qunzu.storage.tables import messages, operation_log


async def test_post_and_list_with_cursors(api) -> None:
    owner = await api.user()
    code = await api.create_group(owner)
    for i in range(25):
        r = await api.post(owner, code, f"消息 {i}")
        assert r.status_code == 201 and r.json()["seq"] == i + 1
    page = (await api.messages(owner, code, limit=10)).json()
    assert [m["seq"] for m in page["messages"]] == list(range(16, 26)) and page["has_more"]
    older = (await api.messages(owner, code, limit=10, before=16)).json()
    assert [m["seq"] for m in older["messages"]] == list(range(6, 16)) and older["has_more"]
    oldest = (await api.messages(owner, code, limit=10, before=6)).json()
    assert [m["seq"] for m in oldest["messages"]] == [1, 2, 3, 4, 5] and not oldest["has_more"]
    newer = (await api.messages(owner, code, limit=10, after=20)).json()
    assert [m["seq"] for m in newer["messages"]] == [21, 22, 23, 24, 25] and not newer["has_more"]
    r = await api.messages(owner, code, before=3, after=1)
    assert r.status_code == 422


async def test_a_retry_returns_the_same_message_never_a_duplicate(api) -> None:
    owner = await api.user()
    code = await api.create_group(owner)
    first = await api.post(owner, code, "hello", cid="c-1")
    retries = await asyncio.gather(*(api.post(owner, code, "hello", cid="c-1") for _ in range(10)))
    assert first.status_code == 201
    assert {r.status_code for r in retries} == {200}
    assert {r.json()["id"] for r in retries} == {first.json()["id"]}
    nxt = await api.post(owner, code, "next")
    assert nxt.json()["seq"] == 2, "retries must not consume sequence numbers"
    clash = await api.post(owner, code, "different text", cid="c-1")
    assert clash.status_code == 409 and clash.json()["error"]["code"] == "client_msg_id_conflict"


async def test_concurrent_posts_get_gapless_sequence_numbers(api) -> None:
    users = [await api.user() for _ in range(5)]
    code = await api.create_group(users[0])
    for u in users[1:]:
        await api.join(u, code)
    results = await asyncio.gather(*(api.post(users[i % 5], code, f"m{i}") for i in range(60)))
    assert all(r.status_code == 201 for r in results)
    assert sorted(r.json()["seq"] for r in results) == list(range(1, 61))


async def test_message_validation(api) -> None:
    owner = await api.user()
    code = await api.create_group(owner)
    r = await api.post(owner, code, "x" * 4001)
    assert r.status_code == 422 and r.json()["error"]["code"] == "message_too_long"
    r = await api.post(owner, code, "   ")
    assert r.status_code == 422 and r.json()["error"]["code"] == "message_empty"
    r = await api.post(owner, code, "ok", cid="bad id with spaces")
    assert r.status_code == 422
    assert (await api.post(owner, code, "x" * 4000)).status_code == 201


async def test_non_members_cannot_read_or_post(api) -> None:
    owner, stranger = await api.user(), await api.user()
    code = await api.create_group(owner)
    r = await api.post(stranger, code, "let me in")
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_member"
    r = await api.messages(stranger, code)
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_member"


async def test_deletion_hides_but_keeps_the_record(api, client, container) -> None:
    owner, manager, member = await api.user(), await api.user(), await api.user()
    code = await api.create_group(owner)
    await api.join(manager, code)
    await api.join(member, code)
    await api.appoint(owner, code, manager)
    own = (await api.post(member, code, "my own words")).json()
    other = (await api.post(owner, code, "owner's words")).json()
    bad = (await api.post(member, code, "to be removed by a manager")).json()
    r = await client.delete(f"/api/v1/groups/{code}/messages/{other['id']}", headers=api.h(member))
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden_role"
    assert (
        await client.delete(f"/api/v1/groups/{code}/messages/{own['id']}", headers=api.h(member))
    ).status_code == 200
    assert (
        await client.delete(f"/api/v1/groups/{code}/messages/{bad['id']}", headers=api.h(manager))
    ).status_code == 200
    listed = {m["id"]: m for m in (await api.messages(member, code)).json()["messages"]}
    assert listed[own["id"]]["deleted"] and listed[own["id"]]["text"] is None
    assert listed[other["id"]]["text"] == "owner's words"
    r = await client.delete(f"/api/v1/groups/{code}/messages/999999", headers=api.h(owner))
    assert r.status_code == 404 and r.json()["error"]["code"] == "message_not_found"
    async with container.db.uow(write=False) as uow:
        kept = (await uow.conn.execute(select(messages).where(messages.c.id == bad["id"]))).one()
        rec = list(await uow.conn.execute(select(operation_log).where(operation_log.c.action == "message.delete")))
    assert kept.text == "to be removed by a manager" and kept.deleted_by == manager["id"]
    assert kept.src_ip == "203.0.113.7" and kept.src_port == 50123
    assert {r.actor_id for r in rec} == {member["id"], manager["id"]}
