"""One bad post never fails the other posts of its batch: a batch whose write fails is bisected until the post that
makes it fail is alone; every other post is stored, with gapless sequence numbers. On both databases."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from qunzu.clock import SystemClock
from qunzu.context import Ctx
from qunzu.errors import QunzuError
from qunzu.services.review import Verdict
from qunzu.storage.post_store_pg import PgPostStatements
from qunzu.storage.post_store_sqlite import SqlitePostStatements
from qunzu.storage.tables import groups, messages, review_items

POISON = "☠ poison"
FLAG = Verdict(action="flag", categories=["advertising"], terms=["QZ-TEST-FLAG"], lexicon_version="test")


class InjectedFault(Exception):
    """A write failure of the kind a bad value causes: nothing to do with the connection."""


def _poisoned(rows: Any) -> bool:
    return any(POISON in row.text for row in rows)


@contextlib.contextmanager
def fault_on_poison(
    monkeypatch: pytest.MonkeyPatch, *, error: type[BaseException] = InjectedFault
) -> Iterator[list[int]]:
    """Every write of a batch holding a poisoned text fails after its statements ran (the transaction must roll
    them back). Yields the list of write sizes, one per attempt."""
    writes: list[int] = []

    def sqlite_insert(self: SqlitePostStatements, rows: Any, moved: Any) -> Any:
        writes.append(len(rows))
        ids = original_sqlite(self, rows, moved)
        if _poisoned(rows):
            raise error("injected fault")
        return ids

    async def pg_write(self: PgPostStatements, rows: Any, counts: Any, groups_: Any) -> Any:
        writes.append(len(rows))
        if not _poisoned(rows):
            return await original_pg(self, rows, counts, groups_)
        async with self.transaction():  # the statement runs (sequences move, rows go in), then the batch fails
            await original_pg(self, rows, counts, groups_)
            raise error("injected fault")

    original_sqlite = SqlitePostStatements.insert_and_move
    original_pg = PgPostStatements.write
    monkeypatch.setattr(SqlitePostStatements, "insert_and_move", sqlite_insert)
    monkeypatch.setattr(PgPostStatements, "write", pg_write)
    yield writes


async def _submit_all(container: Any, user: dict[str, Any], code: str, texts: list[str], verdicts: Any = None):  # type: ignore[no-untyped-def]
    """Submit every text at once, so that they are queued before the writer wakes: one batch."""
    writer = container.writer
    return await asyncio.gather(
        *(
            writer.submit(
                actor=user["id"],
                code=code,
                text=t,
                client_msg_id=f"c{i}",
                ctx=Ctx.system(SystemClock().now()),
                verdict=(verdicts or {}).get(t),
            )
            for i, t in enumerate(texts)
        ),
        return_exceptions=True,
    )


async def _stored(container: Any, code: str) -> tuple[list[tuple[int | None, str]], int]:
    async with container.db.uow(write=False) as uow:
        gid, last_seq = (
            await uow.conn.execute(select(groups.c.id, groups.c.last_seq).where(groups.c.code == code))
        ).one()
        rows = await uow.conn.execute(
            select(messages.c.seq, messages.c.text).where(messages.c.group_id == gid).order_by(messages.c.id)
        )
        return [(r.seq, r.text) for r in rows], last_seq


async def test_a_post_whose_write_fails_fails_alone_and_the_rest_of_its_batch_is_stored(
    api: Any, container: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    u = await api.user()
    code = await api.create_group(u)
    honest = [f"honest {i}" for i in range(20)]
    texts = [*honest[:13], POISON, *honest[13:]]
    with fault_on_poison(monkeypatch) as writes:
        results = await _submit_all(container, u, code, texts)
    by_text = dict(zip(texts, results, strict=True))
    assert isinstance(by_text[POISON], QunzuError) and by_text[POISON].code == "service_unavailable"
    assert all(not isinstance(by_text[t], BaseException) and by_text[t][1] for t in honest), results
    assert container.writer.isolated_failures == 1, "the poisoned post shared a batch and was found by bisection"
    assert writes[0] == 21 and len(writes) <= 2 * 5 + 1, "about 2 log2(n) writes after the first"
    seqs = sorted(by_text[t][0].seq for t in honest)
    assert seqs == list(range(1, 21)), "gapless: the failed writes gave no number away"
    stored, last_seq = await _stored(container, code)
    assert sorted(t for _, t in stored) == sorted(honest) and last_seq == 20
    listed = (await api.messages(u, code, limit=100)).json()["messages"]
    assert sorted(m["text"] for m in listed) == sorted(honest)
    assert [m["seq"] for m in listed] == list(range(1, 21))


async def test_over_http_the_honest_posts_get_201_and_only_the_bad_one_503(
    api: Any, container: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    users = [await api.user() for _ in range(4)]
    code = await api.create_group(users[0])
    for u in users[1:]:
        assert (await api.join(u, code)).status_code == 201
    with fault_on_poison(monkeypatch):
        posts = [(u, f"{u['username']} says {i}") for i in range(5) for u in users] + [(users[1], POISON)]
        results = await asyncio.gather(*(api.post(u, code, text) for u, text in posts))
    status = {text: r for (_, text), r in zip(posts, results, strict=True)}
    bad = status.pop(POISON)
    assert bad.status_code == 503 and bad.json()["error"]["code"] == "service_unavailable"
    assert {r.status_code for r in status.values()} == {201}, [r.text for r in status.values()]
    assert sorted(r.json()["seq"] for r in status.values()) == list(range(1, 21))
    listed = (await api.messages(users[0], code, limit=100)).json()["messages"]
    assert sorted(m["text"] for m in listed) == sorted(status)


async def test_a_failed_half_stores_neither_its_messages_nor_its_review_items(
    api: Any, container: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The poisoned post is flagged, so its batch also queues review items (on PostgreSQL the write and their insert
    share a transaction): none of them survive the failure; the honest flagged post's item does."""
    u = await api.user()
    code = await api.create_group(u)
    honest = [f"honest {i}" for i in range(7)] + ["QZ-TEST-FLAG honest"]
    texts = [*honest[:3], POISON, *honest[3:]]
    with fault_on_poison(monkeypatch):
        results = await _submit_all(container, u, code, texts, verdicts={POISON: FLAG, honest[-1]: FLAG})
    assert sum(isinstance(r, QunzuError) for r in results) == 1
    stored, last_seq = await _stored(container, code)
    assert sorted(t for _, t in stored) == sorted(honest) and sorted(s for s, _ in stored) == list(range(1, 9))
    assert last_seq == 8
    async with container.db.uow(write=False) as uow:
        items = (await uow.conn.execute(select(review_items.c.text))).scalars().all()
    assert items == ["QZ-TEST-FLAG honest"]


async def test_when_the_database_is_out_of_reach_bisection_stops_at_once(
    api: Any, container: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lost connection fails every half too: the batch is not split again and again; every post gets 503."""
    u = await api.user()
    code = await api.create_group(u)
    texts = [f"{POISON} {i}" for i in range(16)]
    with fault_on_poison(monkeypatch, error=ConnectionResetError) as writes:
        results = await _submit_all(container, u, code, texts)
    assert all(isinstance(r, QunzuError) and r.code == "service_unavailable" for r in results)
    assert writes == [16], "a connection-level failure of the whole batch is not bisected"
    assert container.writer.isolated_failures == 0
    assert (await _stored(container, code)) == ([], 0)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)  # SQLite stores a NUL character
async def test_a_nul_character_fails_only_its_own_post_on_postgresql(api: Any, container: Any) -> None:
    """The attack as it was found: a text with U+0000 (which PostgreSQL refuses) among 20 honest concurrent posts,
    past any input validation (straight to the writer). The bad post alone is refused, as bad input (422)."""
    users = [await api.user() for _ in range(4)]
    code = await api.create_group(users[0])
    for u in users[1:]:
        await api.join(u, code)
    writer = container.writer
    posts = [(users[i % 4], f"honest {i}") for i in range(20)]
    posts.insert(7, (users[2], "x\x00"))
    results = await asyncio.gather(
        *(
            writer.submit(actor=u["id"], code=code, text=t, client_msg_id=f"n{i}", ctx=Ctx.system(SystemClock().now()))
            for i, (u, t) in enumerate(posts)
        ),
        return_exceptions=True,
    )
    bad = results.pop(7)
    assert isinstance(bad, QunzuError) and bad.code == "validation_failed", bad
    assert all(not isinstance(r, BaseException) and r[1] for r in results), results
    assert sorted(r[0].seq for r in results) == list(range(1, 21))
    assert writer.isolated_failures == 1
    listed = (await api.messages(users[0], code, limit=100)).json()["messages"]
    assert sorted(m["text"] for m in listed) == sorted(t for _, t in posts if "\x00" not in t)
    again = await api.post(users[1], code, "after the attack")
    assert again.status_code == 201 and again.json()["seq"] == 21, "the writer goes on with its connection"
