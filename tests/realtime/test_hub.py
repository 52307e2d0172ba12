"""The hub: per-group order, no gap, no duplicate, replay on connect, slow consumers, membership."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry

from qunzu.realtime import (
    CLOSE_RESYNC,
    CLOSE_SLOW_CONSUMER,
    Connection,
    Event,
    Hub,
    HubMetrics,
    Subscription,
    member_frame,
    message_deleted_frame,
    message_frame,
    review_decided_frame,
)

G = 7  # group id
CODE = "1234567897"


def msg(seq: int, group: int = G) -> Event:
    return Event("message", group, message_frame(CODE, seq, {"id": 100 + seq, "text": f"m{seq}"}), seq=seq)


class Socket:
    """A fake WebSocket: records frames; `stuck` makes every send hang after recording it."""

    def __init__(self, stuck: bool = False) -> None:
        self.frames: list[dict[str, object]] = []
        self.closed_with: tuple[int, str] | None = None
        self.stuck = stuck

    async def send(self, frame: str) -> None:
        self.frames.append(orjson.loads(frame))
        if self.stuck:
            await asyncio.Event().wait()

    async def close(self, code: int, reason: str) -> None:
        self.closed_with = (code, reason)

    def seqs(self) -> list[int]:
        return [f["seq"] for f in self.frames if f["type"] == "message"]  # type: ignore[misc]

    def types(self) -> list[str]:
        return [str(f["type"]) for f in self.frames]


class Store:
    """The database side of `fetch_range`: messages 1..top exist, minus `deleted`; calls are recorded."""

    def __init__(self, top: int = 0, *, group: int = G) -> None:
        self.top = {group: top}
        self.missing: set[int] = set()
        self.calls: list[tuple[int, int, int | None]] = []
        self.gate: asyncio.Event | None = None
        self.fail = False

    async def fetch_range(self, group_id: int, after: int, upto: int | None) -> list[tuple[int, str]]:
        self.calls.append((group_id, after, upto))
        top = self.top.get(group_id, 0)  # the snapshot is taken when the query starts
        if self.gate is not None:
            await self.gate.wait()
        if self.fail:
            raise RuntimeError("database down")
        end = top if upto is None else min(upto, top)
        return [(s, msg(s, group_id).frame) for s in range(after + 1, end + 1) if s not in self.missing]


async def until(pred: Callable[[], bool], within: float = 2.0) -> None:
    deadline = time.monotonic() + within
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.001)


async def connect(
    hub: Hub, subs: list[Subscription], *, user: int = 1, queue_size: int = 256, stuck: bool = False
) -> tuple[Connection, Socket]:
    sock = Socket(stuck)
    conn = Connection(user, sock.send, sock.close, queue_size)
    await hub.attach(conn, subs)
    return conn, sock


def live(after: int = 0, group: int = G) -> Subscription:
    return Subscription(group, CODE, after, replay=False)


async def test_live_messages_arrive_in_order_after_ready() -> None:
    hub = Hub(Store().fetch_range)
    _, sock = await connect(hub, [live()])
    for s in range(1, 6):
        hub.publish_local(msg(s))
    await until(lambda: len(sock.seqs()) == 5)
    assert sock.types()[0] == "ready"
    assert sock.seqs() == [1, 2, 3, 4, 5]


async def test_duplicates_are_dropped() -> None:
    hub = Hub(Store().fetch_range)
    _, sock = await connect(hub, [live()])
    for s in (1, 1, 2, 1, 2, 3, 3):
        hub.publish_local(msg(s))
    await until(lambda: len(sock.seqs()) >= 3)
    await asyncio.sleep(0.01)
    assert sock.seqs() == [1, 2, 3]


async def test_out_of_order_arrival_is_reordered_without_a_fetch() -> None:
    store = Store(top=3)
    hub = Hub(store.fetch_range, gap_grace=10)
    _, sock = await connect(hub, [live()])
    for s in (2, 3, 1):
        hub.publish_local(msg(s))
    await until(lambda: len(sock.seqs()) == 3)
    assert sock.seqs() == [1, 2, 3]
    assert store.calls == []


async def test_a_missing_message_is_fetched_after_the_grace() -> None:
    store = Store(top=3)
    hub = Hub(store.fetch_range, gap_grace=0.01)
    _, sock = await connect(hub, [live()])
    hub.publish_local(msg(1))
    hub.publish_local(msg(3))  # 2 was lost on the way
    await until(lambda: len(sock.seqs()) == 3)
    assert sock.seqs() == [1, 2, 3]
    assert store.calls == [(G, 1, 2)]


async def test_a_seq_the_database_does_not_return_is_skipped() -> None:
    store = Store(top=4)
    store.missing = {2}
    hub = Hub(store.fetch_range, gap_grace=0.0)
    _, sock = await connect(hub, [live()])
    for s in (1, 3, 4):
        hub.publish_local(msg(s))
    await until(lambda: len(sock.seqs()) == 3)
    assert sock.seqs() == [1, 3, 4]


async def test_concurrent_gap_fills_for_the_same_range_share_one_fetch() -> None:
    store = Store(top=3)
    hub = Hub(store.fetch_range, gap_grace=0.0)
    socks = [(await connect(hub, [live()], user=u))[1] for u in range(5)]
    hub.publish_local(msg(1))
    hub.publish_local(msg(3))
    await until(lambda: all(len(s.seqs()) == 3 for s in socks))
    assert all(s.seqs() == [1, 2, 3] for s in socks)
    assert store.calls == [(G, 1, 2)]


async def test_replay_sends_what_was_missed_then_ready_then_live() -> None:
    store = Store(top=5)
    hub = Hub(store.fetch_range)
    _, sock = await connect(hub, [Subscription.from_client(G, CODE, last_seen=2, current_seq=5)])
    hub.publish_local(msg(6))
    await until(lambda: len(sock.seqs()) == 4)
    assert sock.types() == ["message"] * 3 + ["ready", "message"]
    assert sock.seqs() == [3, 4, 5, 6]
    assert sock.frames[3] == {"type": "ready", "groups": {CODE: 5}}


async def test_events_racing_the_replay_are_neither_lost_nor_duplicated() -> None:
    store = Store(top=6)
    store.gate = asyncio.Event()
    hub = Hub(store.fetch_range, gap_grace=10)
    sock = Socket()
    conn = Connection(1, sock.send, sock.close)
    attach = asyncio.create_task(hub.attach(conn, [Subscription(G, CODE, 2)]))
    await until(lambda: store.calls != [])  # subscribed, replay query running (its snapshot: 1..6)
    store.top[G] = 8
    for s in (8, 4, 6, 7):  # live while replaying: out of order, and overlapping the replayed rows
        hub.publish_local(msg(s))
    assert sock.frames == []  # nothing goes out before the replay
    store.gate.set()
    await attach
    await until(lambda: len(sock.seqs()) == 6)
    assert sock.seqs() == [3, 4, 5, 6, 7, 8]
    assert sock.frames[-1] == {"type": "ready", "groups": {CODE: 8}}


async def test_replay_keeps_fetching_until_caught_up() -> None:
    store = Store(top=10)
    pages: list[int] = []

    async def paged(group_id: int, after: int, upto: int | None) -> list[tuple[int, str]]:
        pages.append(after)
        return (await store.fetch_range(group_id, after, upto))[:3]

    hub = Hub(paged)
    _, sock = await connect(hub, [Subscription(G, CODE, 0)])
    await until(lambda: len(sock.frames) == 11)
    assert sock.seqs() == list(range(1, 11))
    assert pages == [0, 3, 6, 9, 10]


async def test_a_large_replay_is_paced_by_the_socket_not_dropped() -> None:
    hub = Hub(Store(top=500).fetch_range)
    _, sock = await connect(hub, [Subscription(G, CODE, 0)], queue_size=8)
    await until(lambda: len(sock.seqs()) == 500)
    assert sock.seqs() == list(range(1, 501))
    assert sock.closed_with is None


async def test_live_only_starts_at_the_current_seq_and_repairs_the_connect_window() -> None:
    store = Store(top=12)
    hub = Hub(store.fetch_range, gap_grace=0.0)
    _, sock = await connect(hub, [Subscription.from_client(G, CODE, last_seen=None, current_seq=10)])
    assert store.calls == []  # no replay query for a live-only group
    hub.publish_local(msg(12))  # 11 was published before the connection subscribed
    await until(lambda: len(sock.seqs()) == 2)
    assert sock.seqs() == [11, 12]
    assert sock.frames[0] == {"type": "ready", "groups": {CODE: 10}}


async def test_a_deletion_never_overtakes_the_message_it_deletes() -> None:
    hub = Hub(Store(top=2).fetch_range, gap_grace=10)
    _, sock = await connect(hub, [live()])
    hub.publish_local(msg(2))
    hub.publish_local(Event("group_event", G, message_deleted_frame(CODE, message_id=102, seq=2, ts=1), seq=2))
    hub.publish_local(msg(1))
    await until(lambda: len(sock.frames) == 4)
    assert sock.types()[1:] == ["message", "message", "message_deleted"]
    assert sock.seqs() == [1, 2]


async def test_membership_events_subscribe_and_unsubscribe_the_users_connections() -> None:
    hub = Hub(Store(top=3).fetch_range, gap_grace=10)
    _, member = await connect(hub, [live(3)], user=1)
    joiner, newcomer = await connect(hub, [], user=2)
    user = {"id": 2, "nickname": "n"}
    joined = member_frame("member_joined", CODE, user=user, role="member", member_count=2, ts=1)
    hub.publish_local(Event("membership", G, joined, seq=3, user_id=2, op="subscribe"))
    hub.publish_local(msg(4))
    left = member_frame("member_left", CODE, user=user, role=None, member_count=1, ts=2)
    hub.publish_local(Event("membership", G, left, user_id=2, op="unsubscribe"))
    hub.publish_local(msg(5))
    await until(lambda: len(member.frames) == 5)
    assert member.types() == ["ready", "member_joined", "message", "member_left", "message"]
    await asyncio.sleep(0.01)
    assert newcomer.types() == ["ready", "member_joined", "message", "member_left"]
    assert newcomer.seqs() == [4]
    assert G not in joiner.groups
    assert hub.group_connection_count(G) == 1


async def test_a_user_event_reaches_only_that_users_connections() -> None:
    hub = Hub(Store().fetch_range)
    _, author_phone = await connect(hub, [live()], user=1)
    _, author_laptop = await connect(hub, [], user=1)  # a connection of the author's without the group
    _, member = await connect(hub, [live()], user=2)
    frame = review_decided_frame(
        CODE, message_id=9, client_msg_id="c9", decision="rejected", reason="fraud", seq=None, ts=5
    )
    hub.publish_local(Event("user", G, frame, user_id=1))
    hub.publish_local(msg(1))
    await until(lambda: len(member.seqs()) == 1 and len(author_phone.seqs()) == 1)
    await until(lambda: "review_decided" in author_laptop.types())
    assert author_phone.types() == ["ready", "review_decided", "message"]
    assert member.types() == ["ready", "message"]
    with pytest.raises(ValueError):
        Event("user", G, frame)  # a user event names its user
    assert Event.decode(Event("user", G, frame, user_id=1).encode()) == Event("user", G, frame, user_id=1)


async def test_a_leave_while_the_subscription_list_loads_is_not_undone_by_the_stale_list() -> None:
    hub = Hub(Store(top=0).fetch_range)
    sock = Socket()
    conn = Connection(2, sock.send, sock.close)

    async def stale_list() -> list[Subscription]:
        hub.publish_local(Event("membership", G, "", user_id=2, op="unsubscribe"))
        hub.publish_local(Event("membership", G + 1, "", seq=0, user_id=2, op="subscribe"))
        return [live(0, G)]  # read before the leave committed

    await hub.attach(conn, stale_list)
    assert conn.groups == {G + 1}
    hub.publish_local(msg(1, G))
    hub.publish_local(msg(1, G + 1))
    await until(lambda: len(sock.seqs()) == 1)
    assert sock.frames[1]["group"] == CODE and conn.last_seq(G + 1) == 1


async def test_a_slow_consumer_is_told_to_resume_and_closed_without_slowing_others() -> None:
    registry = CollectorRegistry()
    hub = Hub(Store().fetch_range, metrics=HubMetrics(registry), close_timeout=0.05)
    slow_conn, slow = await connect(hub, [live()], user=1, queue_size=4, stuck=True)
    _, fast = await connect(hub, [live()], user=2, queue_size=4)
    started = time.monotonic()
    for s in range(1, 101):
        hub.publish_local(msg(s))
        await asyncio.sleep(0)  # let the fast socket's writer keep up
    await until(lambda: len(fast.seqs()) == 100)
    assert time.monotonic() - started < 0.5
    assert fast.seqs() == list(range(1, 101))
    await asyncio.wait_for(slow_conn.wait_closed(), 2)
    assert slow.frames[-1] == {"type": "resume", "reason": "slow_consumer"}
    assert slow.closed_with == (CLOSE_SLOW_CONSUMER, "slow_consumer")
    assert len(slow.seqs()) < 100
    assert hub.connection_count == 1
    assert registry.get_sample_value("qunzu_ws_slow_consumer_disconnects_total") == 1
    assert registry.get_sample_value("qunzu_ws_connections") == 1
    assert (registry.get_sample_value("qunzu_messages_delivered_total") or 0) >= 100


async def test_a_failed_gap_fill_asks_the_client_to_resume() -> None:
    store = Store(top=3)
    store.fail = True
    hub = Hub(store.fetch_range, gap_grace=0.0, close_timeout=0.05)
    conn, sock = await connect(hub, [live()])
    hub.publish_local(msg(1))
    hub.publish_local(msg(3))
    await asyncio.wait_for(conn.wait_closed(), 2)
    assert sock.frames[-1] == {"type": "resume", "reason": "resync"}
    assert sock.closed_with == (CLOSE_RESYNC, "resync")


async def test_a_broken_socket_leaves_the_hub() -> None:
    hub = Hub(Store().fetch_range)

    async def broken(frame: str) -> None:
        raise ConnectionResetError

    async def close(code: int, reason: str) -> None:
        return None

    conn = Connection(1, broken, close)
    await hub.attach(conn, [live()])
    await asyncio.wait_for(conn.wait_closed(), 2)
    assert hub.connection_count == 0 and hub.group_connection_count(G) == 0


async def test_resync_and_detach() -> None:
    hub = Hub(Store().fetch_range, close_timeout=0.05)
    a, sock_a = await connect(hub, [live()], user=1)
    b, _ = await connect(hub, [live()], user=2)
    await hub.detach(b)
    assert hub.connection_count == 1 and b.closed
    hub.resync()
    await asyncio.wait_for(a.wait_closed(), 2)
    assert sock_a.frames[-1] == {"type": "resume", "reason": "resync"}
    assert hub.connection_count == 0


async def test_attach_fails_cleanly_when_the_replay_query_fails() -> None:
    store = Store(top=3)
    store.fail = True
    hub = Hub(store.fetch_range)
    with pytest.raises(RuntimeError):
        await connect(hub, [Subscription(G, CODE, 0)])
    assert hub.connection_count == 0


# -- property: any arrival order, with loss and duplication, delivers exactly after+1..N in order -----------


async def _scenario(
    n: int, start: int, committed: int, stream: list[int], yields: list[int], grace: float
) -> list[int]:
    db = {"top": committed}
    fetch_yields = iter(yields * 10)

    async def fetch_range(group_id: int, after: int, upto: int | None) -> list[tuple[int, str]]:
        top = db["top"]
        for _ in range(next(fetch_yields, 0)):
            await asyncio.sleep(0)
        end = top if upto is None else min(upto, top)
        return [(s, msg(s).frame) for s in range(after + 1, end + 1)]

    hub = Hub(fetch_range, gap_grace=grace)
    sock = Socket()
    conn = Connection(1, sock.send, sock.close, queue_size=1000)
    attach = asyncio.create_task(hub.attach(conn, [Subscription(G, CODE, start)]))
    for seq, pause in zip(stream, yields, strict=False):
        db["top"] = max(db["top"], seq)  # commits go in seq order; a publish follows its commit
        hub.publish_local(msg(seq))
        for _ in range(pause):
            await asyncio.sleep(0)
    await attach
    expected = list(range(start + 1, n + 1))
    await until(lambda: len(sock.seqs()) >= len(expected))
    await asyncio.sleep(0.005)
    await hub.detach(conn)
    return sock.seqs()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_arrival_order_with_loss_and_duplicates_delivers_exactly_the_sequence(
    data: st.DataObject,
) -> None:
    n = data.draw(st.integers(1, 25), label="n")
    order = data.draw(st.permutations(range(1, n + 1)), label="publish order")
    lost = data.draw(st.sets(st.integers(1, n - 1)) if n > 1 else st.just(set()), label="lost")
    stream = [s for s in order if s not in lost]
    for dup in data.draw(st.lists(st.integers(1, n), max_size=8), label="duplicates"):
        stream.insert(data.draw(st.integers(0, len(stream)), label="at"), dup)
    start = data.draw(st.integers(0, n), label="client last seen")
    committed = data.draw(st.integers(0, n), label="committed before connect")
    yields = data.draw(st.lists(st.integers(0, 3), min_size=len(stream), max_size=len(stream)), label="yields")
    grace = data.draw(st.sampled_from([0.0, 0.001]), label="grace")
    delivered = asyncio.run(_scenario(n, start, committed, stream, yields, grace))
    assert delivered == list(range(start + 1, n + 1))
