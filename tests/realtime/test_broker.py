"""Brokers: the wire form of events, in-process delivery, and Redis between two "processes"."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable

import orjson
import pytest
from redis.asyncio import Redis

from qunzu.errors import Unavailable
from qunzu.realtime import (
    Connection,
    Event,
    Hub,
    MemoryBroker,
    RedisBroker,
    Subscription,
    make_broker,
    message_frame,
)

REDIS_URL = os.environ.get("QUNZU_TEST_REDIS_URL") or os.environ.get("QUNZU_REDIS_URL") or "redis://127.0.0.1:6379/0"


def services_required() -> bool:
    return os.environ.get("QUNZU_REQUIRE_SERVICES", "") not in ("", "0")


async def until(pred: Callable[[], bool], within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.005)


def ev(seq: int, group: int = 1) -> Event:
    return Event("message", group, message_frame("1234567897", seq, {"text": f"第{seq}条\nline"}), seq=seq)


def test_event_wire_round_trip_keeps_every_field() -> None:
    events = [
        ev(3),
        Event("group_event", 9, '{"type":"message_deleted"}', seq=4),
        Event("membership", 9, "", seq=12, user_id=5, op="subscribe"),
        Event("membership", 9, "raw\nnewline", user_id=5, op="unsubscribe"),
    ]
    for event in events:
        assert Event.decode(event.encode()) == event


@pytest.mark.parametrize(
    "payload",
    [b"", b"no header", b"[1,2]\n{}", b'["nope",1,null,null,null]\n{}', b'["message","1",1,null,null]\n{}'],
)
def test_a_malformed_payload_is_rejected(payload: bytes) -> None:
    with pytest.raises(ValueError):
        Event.decode(payload)


def test_make_broker_picks_by_configuration() -> None:
    assert isinstance(make_broker(None), MemoryBroker)
    assert isinstance(make_broker("redis://127.0.0.1:6379/0"), RedisBroker)


async def test_memory_broker_delivers_in_publish_order() -> None:
    broker = MemoryBroker()
    got: list[int | None] = []
    await broker.start(lambda e: got.append(e.seq))
    for s in range(1, 51):
        await broker.publish(ev(s))
    await broker.stop()
    assert got == list(range(1, 51))


# -- Redis ---------------------------------------------------------------------------------------------------


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    client = Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        await client.ping()
    except Exception as exc:
        if services_required():
            pytest.fail(f"Redis at {REDIS_URL} is required (QUNZU_REQUIRE_SERVICES) but unreachable: {exc}")
        pytest.skip(f"Redis at {REDIS_URL} unreachable")
    finally:
        await client.aclose()
    yield REDIS_URL


@pytest.fixture
def channel() -> str:
    return f"qunzu:test:{uuid.uuid4().hex}"


async def test_redis_publish_on_one_process_reaches_the_other_in_order(redis_url: str, channel: str) -> None:
    a, b = RedisBroker(redis_url, channel), RedisBroker(redis_url, channel)
    got_a: list[Event] = []
    got_b: list[Event] = []

    async def on_b(event: Event) -> None:  # an async handler works as well as a plain one
        got_b.append(event)

    await a.start(got_a.append)
    await b.start(on_b)
    try:
        sent = [ev(s) for s in range(1, 301)]
        for event in sent:
            await a.publish(event)
        await until(lambda: len(got_b) == 300 and len(got_a) == 300)
        assert got_b == sent
        assert got_a == sent  # a process hears its own events too: one path for local and remote clients
    finally:
        await a.stop()
        await b.stop()


async def test_redis_message_posted_on_one_hub_reaches_a_socket_on_the_other(redis_url: str, channel: str) -> None:
    async def fetch_range(group_id: int, after: int, upto: int | None) -> list[tuple[int, str]]:
        return []

    hubs = [Hub(fetch_range), Hub(fetch_range)]
    brokers = [RedisBroker(redis_url, channel), RedisBroker(redis_url, channel)]
    for hub, broker in zip(hubs, brokers, strict=True):
        await broker.start(hub.publish_local, on_resync=hub.resync)
    frames: list[str] = []

    async def send(frame: str) -> None:
        frames.append(frame)

    async def close(code: int, reason: str) -> None:
        return None

    conn = Connection(1, send, close)
    await hubs[1].attach(conn, [Subscription(1, "1234567897", 0, replay=False)])
    try:
        await brokers[0].publish(ev(1))
        await until(lambda: len(frames) == 2)
        assert orjson.loads(frames[1])["seq"] == 1
    finally:
        await hubs[1].detach(conn)
        for broker in brokers:
            await broker.stop()


async def test_redis_subscriber_reconnects_and_asks_for_a_resync(redis_url: str, channel: str) -> None:
    a, b = RedisBroker(redis_url, channel, reconnect_min=0.01), RedisBroker(redis_url, channel)
    got: list[Event] = []
    resyncs: list[int] = []
    await a.start(got.append, on_resync=lambda: resyncs.append(1))
    await b.start(lambda e: None)
    admin = Redis.from_url(redis_url)
    try:
        clients = await admin.client_list()
        ids = [c["id"] for c in clients if c.get("name") == f"qunzu-sub:{channel}"]
        assert len(ids) == 2
        for client_id in ids:
            await admin.client_kill_filter(_id=client_id)
        await until(lambda: resyncs != [])
        await b.publish(ev(7))
        await until(lambda: [e.seq for e in got] == [7])
    finally:
        await admin.aclose()
        await a.stop()
        await b.stop()


async def test_redis_broker_start_reports_an_unreachable_server() -> None:
    broker = RedisBroker("redis://127.0.0.1:1/0")
    with pytest.raises(Unavailable):
        await broker.start(lambda e: None)
