"""The hub ends sessions: an `end_sessions` event closes the account's connections (or only those of one session)
with a last `session_ended` frame and 4401, including a socket authenticated before the end but attached after it."""

from __future__ import annotations

import asyncio

import pytest
from tests.realtime.test_hub import CODE, Socket, Store, live, msg, until

from qunzu.realtime import (
    CLOSE_SESSION_ENDED,
    Connection,
    Event,
    Hub,
    RedisBroker,
    Subscription,
    session_ended_frame,
)

SUSPENDED = session_ended_frame("account_suspended", ts=1_000)


def end(user: int, token: str | None = None, frame: str = SUSPENDED) -> Event:
    return Event("end_sessions", 0, frame, user_id=user, token=token)


async def attach(hub: Hub, user: int, token: str | None = None) -> tuple[Connection, Socket]:
    sock = Socket()
    conn = Connection(user, sock.send, sock.close, token_hash=token)
    await hub.attach(conn, [live()])
    return conn, sock


async def test_every_connection_of_the_account_gets_the_last_frame_and_4401_others_stay() -> None:
    hub = Hub(Store().fetch_range)
    (c1, s1), (c2, s2) = await attach(hub, 1, "a"), await attach(hub, 1, "b")
    other, s3 = await attach(hub, 2, "c")
    hub.publish_local(end(1))
    await c1.wait_closed()
    await c2.wait_closed()
    for sock in (s1, s2):
        assert sock.frames[-1] == {"type": "session_ended", "reason": "account_suspended", "ts": 1_000}
        assert sock.closed_with == (CLOSE_SESSION_ENDED, "session_ended")
    assert hub.connection_count == 1 and not other.closed
    hub.publish_local(msg(1))  # the rest of the group is still served, the closed sockets get nothing more
    await until(lambda: s3.seqs() == [1])
    assert s1.seqs() == s2.seqs() == []
    assert s3.closed_with is None


async def test_a_sign_out_closes_only_the_connections_of_that_session() -> None:
    hub = Hub(Store().fetch_range)
    (signed_out, s1), (other_device, s2) = await attach(hub, 1, "a"), await attach(hub, 1, "b")
    unknown, s3 = await attach(hub, 1, None)  # opened without a known session: ends with all of them only
    hub.publish_local(end(1, "a", session_ended_frame("signed_out", ts=5)))
    await signed_out.wait_closed()
    assert s1.frames[-1]["reason"] == "signed_out" and s1.closed_with == (CLOSE_SESSION_ENDED, "session_ended")
    hub.publish_local(msg(1))
    await until(lambda: s2.seqs() == [1] and s3.seqs() == [1])
    assert not other_device.closed and not unknown.closed


async def test_frames_still_queued_are_dropped_for_the_last_frame() -> None:
    hub = Hub(Store().fetch_range, close_timeout=0.05)
    sock = Socket(stuck=True)  # the socket takes the ready frame and never returns: everything else queues
    conn = Connection(1, sock.send, sock.close)
    await hub.attach(conn, [live()])
    for s in range(1, 4):
        hub.publish_local(msg(s))
    hub.publish_local(end(1))
    await conn.wait_closed()
    assert sock.types() == ["ready", "session_ended"]
    assert sock.closed_with == (CLOSE_SESSION_ENDED, "session_ended")


async def test_a_socket_authenticated_before_the_end_but_attached_after_it_is_closed_at_once() -> None:
    hub = Hub(Store().fetch_range)
    loop = asyncio.get_running_loop()
    before = loop.time()  # authenticated here, then waits for its hello
    hub.publish_local(end(1))
    sock = Socket()
    conn = Connection(1, sock.send, sock.close, token_hash="a", opened_at=before)
    await hub.attach(conn, [Subscription(7, CODE, 0)])
    await conn.wait_closed()
    assert sock.types() == ["session_ended"] and sock.closed_with == (CLOSE_SESSION_ENDED, "session_ended")
    later, s2 = await attach(hub, 1, "a")  # signed in again afterwards: served
    await until(lambda: s2.types() == ["ready"])
    assert not later.closed


async def test_a_single_session_end_before_attach_spares_the_other_sessions() -> None:
    hub = Hub(Store().fetch_range)
    before = asyncio.get_running_loop().time()
    hub.publish_local(end(1, "a", session_ended_frame("signed_out", ts=5)))
    sock_a, sock_b = Socket(), Socket()
    a = Connection(1, sock_a.send, sock_a.close, token_hash="a", opened_at=before)
    b = Connection(1, sock_b.send, sock_b.close, token_hash="b", opened_at=before)
    await hub.attach(a, [live()])
    await hub.attach(b, [live()])
    await a.wait_closed()
    assert sock_a.types() == ["session_ended"]
    await until(lambda: sock_b.types() == ["ready"])
    assert not b.closed


async def test_ends_are_remembered_for_a_bounded_time_only() -> None:
    hub = Hub(Store().fetch_range, ended_memory=-1.0)  # every end is already older than the memory
    before = asyncio.get_running_loop().time()
    hub.publish_local(end(1))
    hub.publish_local(end(2))  # forgets the end of 1
    assert set(hub._ended) == {(2, None)}
    conn, sock = await attach(hub, 1)
    conn_opened_before = Connection(1, sock.send, sock.close, opened_at=before)
    await hub.attach(conn_opened_before, [live()])
    await until(lambda: sock.types() == ["ready", "ready"])
    assert not conn.closed and not conn_opened_before.closed


def test_the_event_carries_the_session_only_when_there_is_one() -> None:
    one = end(1, "ab12")
    assert Event.decode(one.encode()) == one
    assert Event.decode(end(1).encode()) == end(1)
    assert end(1).encode().split(b"\n")[0] == b'["end_sessions",0,null,1,null]'  # what an older process reads
    with pytest.raises(ValueError, match="user_id"):
        Event("end_sessions", 0, SUSPENDED)
    with pytest.raises(ValueError, match="token"):
        Event("user", 0, SUSPENDED, user_id=1, token="ab12")
    with pytest.raises(ValueError, match="token"):
        Event.decode(b'["end_sessions",0,null,1,null,5]\n{}')


async def test_an_end_published_in_one_process_closes_the_socket_in_the_other(redis_url: str) -> None:
    import secrets

    channel = f"qunzu:test-{secrets.token_hex(4)}:events"
    hubs = [Hub(Store().fetch_range), Hub(Store().fetch_range)]
    brokers = [RedisBroker(redis_url, channel), RedisBroker(redis_url, channel)]
    for hub, broker in zip(hubs, brokers, strict=True):
        await broker.start(hub.publish_local, on_resync=hub.resync)
    try:
        conn, sock = await attach(hubs[1], 1, "a")
        await brokers[0].publish(end(1, "a", session_ended_frame("signed_out", ts=5)))
        await asyncio.wait_for(conn.wait_closed(), 5)
        assert sock.frames[-1]["type"] == "session_ended"
        assert sock.closed_with == (CLOSE_SESSION_ENDED, "session_ended")
    finally:
        for broker in brokers:
            await broker.stop()
