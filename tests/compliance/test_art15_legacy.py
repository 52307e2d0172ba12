"""Art. 15 as an inspector checks it: the provisions apply from 2017-10-08 to every group, including the ones that
existed before. A community imported from an older system (`qunzu import`) comes out the way a new one would: each
group with its code, its owner and roles, a size tier and the tier's cap; every message through the review engine;
every member unverified until they verify, so none can post before (R-15-1, R-6.1-4). What the import could not place
is reported line by line.

第十五条：本规定自2017年10月8日起施行。
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from qunzu import cli
from qunzu.context import Ctx
from qunzu.domain.groupcode import is_valid_mod11_10
from qunzu.errors import QunzuError
from qunzu.services import review
from qunzu.services.compliance_check import run_self_check
from qunzu.services.legacy_import import import_legacy
from qunzu.storage.tables import groups, memberships, messages, review_items, users


@pytest.fixture
async def run_cli(container: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    loop = asyncio.get_running_loop()
    monkeypatch.setattr(
        cli, "_with_container", lambda fn: asyncio.run_coroutine_threadsafe(fn(container), loop).result()
    )

    async def invoke(*args: str) -> Any:
        return await asyncio.to_thread(CliRunner().invoke, cli.app, list(args))

    return invoke


def _write(path: Path, lines: list[Any]) -> Path:
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines) + "\n")
    return path


def _community(tmp_path: Path) -> Path:
    u = [
        {"type": "user", "id": 1, "username": "Alice", "nickname": "爱丽丝", "created_at": "2015-01-02T03:04:05+08:00"},
        {"type": "user", "id": 2, "username": "bob", "nickname": "鲍勃"},
        {"type": "user", "id": 3, "username": "carol", "created_at": 1420070400},
        {"type": "user", "id": 4, "username": "not a name!"},
        {"type": "user", "id": 5, "username": "dave"},
    ]
    g = [
        {"type": "group", "id": "g1", "name": "读书会", "category": "study", "owner": 1,
         "created_at": "2014-05-01T00:00:00Z"},
        {"type": "group", "id": "g2", "name": "老同学", "category": "alumni"},
        {"type": "group", "id": "g3", "name": "空群"},
    ]  # fmt: skip
    m = [
        {"type": "member", "group": "g1", "user": 1, "role": "owner"},
        {"type": "member", "group": "g1", "user": 2, "role": "admin", "joined_at": "2014-06-01T00:00:00Z"},
        {"type": "member", "group": "g1", "user": 3, "joined_at": "2014-07-01T00:00:00Z"},
        {"type": "member", "group": "g2", "user": 3, "role": "member", "joined_at": "2015-01-01T00:00:00Z"},
        {"type": "member", "group": "g2", "user": 2, "role": "manager", "joined_at": "2016-01-01T00:00:00Z"},
        {"type": "member", "group": "g2", "user": 5, "role": "member", "joined_at": "2014-01-01T00:00:00Z"},
        {"type": "member", "group": "g9", "user": 1},
        {"type": "member", "group": "g1", "user": 99},
    ]
    msg = [
        {"type": "message", "id": 101, "group": "g1", "user": 1, "text": "欢迎大家", "sent_at": "2016-01-01T00:00:00Z"},
        {"type": "message", "id": 102, "group": "g1", "user": 2, "text": "QZ-TEST-HOLD 看看这个",
         "sent_at": "2016-01-01T00:01:00Z"},
        {"type": "message", "id": 103, "group": "g1", "user": 3, "text": "QZ-TEST-BLOCK", "sent_at": "2016-01-01T00:02:00Z"},
        {"type": "message", "id": 104, "group": "g1", "user": 2, "text": "QZ-TEST-FLAG 也许", "sent_at": "2016-01-01T00:03:00Z",
         "deleted_at": "2016-02-01T00:00:00Z"},
        {"type": "message", "id": 105, "group": "g1", "user": 3, "text": "晚到的", "sent_at": "2016-01-01T00:00:30Z"},
        {"type": "message", "id": 106, "group": "g1", "user": 77, "text": "谁", "sent_at": "2016-01-02T00:00:00Z"},
        {"type": "message", "id": 107, "group": "g2", "user": 5, "text": "你好", "sent_at": "2016-01-02T00:00:00Z"},
        {"type": "message", "id": 108, "group": "g1", "user": 1, "text": "   ", "sent_at": "2016-01-03T00:00:00Z"},
        {"type": "message", "id": 109, "group": "g1", "user": 1, "text": "无时区", "sent_at": "2016-01-03T00:00:00"},
        {"type": "message", "id": 110, "group": "g1", "user": 1, "text": "再见", "sent_at": "2016-01-04T00:00:00Z"},
    ]  # fmt: skip
    return _write(tmp_path / "legacy.jsonl", [*u, *g, *m, "{not json", *msg])


async def _import(container: Any, path: Path, **kw: Any) -> Any:
    now = container.clock.now()
    return await import_legacy(
        container.db, path, policy=(await container.policy.current()).policy,
        screen=lambda text: review.screen(container.review, text), ctx=Ctx.system(now, ip="cli"), **kw,
    )  # fmt: skip


async def _group(container: Any, name: str) -> Any:
    async with container.db.uow(write=False) as uow:
        return (await uow.conn.execute(select(groups).where(groups.c.name == name))).one()


async def _roles(container: Any, gid: int) -> dict[str, str]:
    async with container.db.uow(write=False) as uow:
        rows = await uow.conn.execute(
            select(users.c.username, memberships.c.role)
            .join(users, users.c.id == memberships.c.user_id)
            .where(memberships.c.group_id == gid)
        )
        return dict(rows.all())


async def test_r_15_1_imported_groups_have_a_code_an_owner_roles_and_a_tier(container: Any, tmp_path: Path) -> None:
    report = await _import(container, _community(tmp_path))
    g1 = await _group(container, "读书会")
    assert is_valid_mod11_10(g1.code) and len(g1.code) == 10
    assert (g1.max_tier, g1.member_count, g1.status) == ("S", 3, "active")
    assert g1.member_cap == 40, "the S tier's cap of the policy in force"
    assert g1.created_at.year == 2014, "the legacy creation time is kept"
    assert await _roles(container, g1.id) == {"alice": "creator", "bob": "manager", "carol": "member"}
    g2 = await _group(container, "老同学")
    assert await _roles(container, g2.id) == {"bob": "creator", "carol": "member", "dave": "member"}, (
        "no legacy owner: the earliest manager, though two members joined before him"
    )
    assert g2.category == "other"
    assert (g2.creator_id, g2.owner_id) == (g2.owner_id, (await _user(container, "bob")).id)
    assert report.counts["group"] == {"imported": 2, "skipped": 1}
    assert report.counts["user"] == {"imported": 4, "skipped": 1}
    assert report.counts["member"] == {"imported": 6, "skipped": 2}
    skipped = {(line, reason) for line, reason, _ in report.skipped}
    assert {(4, "bad_username"), (8, "no_members"), (15, "unknown_group"), (16, "unknown_user"), (17, "not_json"),
            (22, "out_of_order"), (23, "unknown_user"), (25, "empty_text"), (26, "bad_time")} == skipped  # fmt: skip
    notes = {(line, what) for line, what, _ in report.notes}
    assert (7, "owner_chosen") in notes and (7, "category_replaced") in notes
    found = await run_self_check(container.db, settings=container.settings, now=container.clock.now())
    assert next(f for f in found.findings if f.name == "groups_code_and_owner").ok, "the self-check agrees"


async def _user(container: Any, username: str) -> Any:
    async with container.db.uow(write=False) as uow:
        return (await uow.conn.execute(select(users).where(users.c.username == username))).one()


async def test_r_15_1_imported_members_are_unverified_and_cannot_post(container: Any, tmp_path: Path) -> None:
    await _import(container, _community(tmp_path))
    g1 = await _group(container, "读书会")
    bob = await _user(container, "bob")
    assert (bob.verification_level, bob.agreement_version, bob.groups_joined, bob.groups_owned) == (0, 0, 2, 1)
    ok = await container.passwords.verify(bob.password_hash, "")
    assert ok is False, "no password signs in to an imported account"
    for who in ("alice", "bob", "carol"):
        with pytest.raises(QunzuError) as refused:
            await container.writer.submit(actor=(await _user(container, who)).id, code=g1.code, text="我回来了",
                                          client_msg_id=f"new-{who}", ctx=Ctx.system(container.clock.now()))  # fmt: skip
        assert refused.value.code.value == "identity_unverified"


async def test_r_15_1_every_message_goes_through_review_and_numbers_follow_time(container: Any, tmp_path: Path) -> None:
    report = await _import(container, _community(tmp_path))
    g1 = await _group(container, "读书会")
    async with container.db.uow(write=False) as uow:
        rows = (
            await uow.conn.execute(select(messages).where(messages.c.group_id == g1.id).order_by(messages.c.created_at))
        ).all()
        items = (await uow.conn.execute(select(review_items).where(review_items.c.group_id == g1.id))).all()
    got = [(r.text, r.seq, r.review_state) for r in rows]
    assert got == [
        ("欢迎大家", 1, "clean"),
        ("QZ-TEST-HOLD 看看这个", None, "held"),
        ("QZ-TEST-BLOCK", None, "rejected"),
        ("QZ-TEST-FLAG 也许", 2, "flagged"),
        ("再见", 3, "clean"),
    ]
    assert g1.last_seq == 3, "the group's sequence continues after the imported messages"
    assert rows[3].deleted_at is not None, "a message deleted in the old system stays deleted"
    held = {r.id: r for r in rows}
    assert sorted((held[int(i.target_id)].review_state, i.state) for i in items) == [
        ("flagged", "pending"), ("held", "pending"),
    ]  # fmt: skip
    assert report.counts["message"] == {"clean": 2 + 1, "held": 1, "rejected": 1, "flagged": 1, "skipped": 4}


async def test_r_15_1_a_second_run_places_nothing_twice(container: Any, tmp_path: Path) -> None:
    path = _community(tmp_path)
    await _import(container, path)
    again = await _import(container, path)
    assert again.counts["user"]["existing"] == 4 and "imported" not in again.counts["user"]
    assert again.counts["group"]["existing"] == 2 and "imported" not in again.counts["group"]
    assert again.counts["message"]["existing"] == 6
    async with container.db.uow(write=False) as uow:
        assert (await uow.conn.execute(select(func.count()).select_from(groups))).scalar_one() == 2
        assert (await uow.conn.execute(select(func.count()).select_from(messages))).scalar_one() == 6


async def test_r_15_1_the_command_reports_lines_and_a_dry_run_writes_nothing(
    container: Any, tmp_path: Path, run_cli: Any
) -> None:
    path = _community(tmp_path)
    r = await run_cli("import", str(path), "--dry-run")
    assert r.exit_code == 1, r.output
    assert "dry run: nothing was written" in r.output and "line 4: not placed: bad_username" in r.output
    assert "group: imported 2, skipped 1" in r.output
    async with container.db.uow(write=False) as uow:
        assert (await uow.conn.execute(select(func.count()).select_from(groups))).scalar_one() == 0
    r = await run_cli("import", str(path), "--json")
    assert r.exit_code == 1
    body = json.loads(r.output)
    assert (
        body["counts"]["message"]["rejected"] == 1
        and {"line": 17, "reason": "not_json", "detail": ""} in (body["skipped"])
    )
    clean = _write(tmp_path / "clean.jsonl", [{"type": "user", "id": "x1", "username": "erin"}])
    r = await run_cli("import", str(clean))
    assert r.exit_code == 0 and "user: imported 1" in r.output, r.output


def _generated_community(path: Path, *, users: int, messages_total: int, seed: int = 15) -> dict[str, Any]:
    """A community as an older system would export it: users, groups of every size (one past the hard cap), members
    and `messages_total` messages in time order, a few of them for the reviewers. Returns what was written."""
    import random
    from datetime import UTC, datetime, timedelta

    rnd = random.Random(seed)
    sizes = [rnd.randint(3, 40) for _ in range(40)] + [rnd.randint(41, 100) for _ in range(6)] + [350, 2100]
    start = datetime(2012, 1, 1, tzinfo=UTC)
    rosters: dict[str, list[int]] = {}
    with path.open("w", encoding="utf-8") as fh:
        for i in range(1, users + 1):
            fh.write(json.dumps({"type": "user", "id": i, "username": f"old_{i}", "nickname": f"老用户{i}"}) + "\n")
        for n, size in enumerate(sizes):
            gid = f"G{n}"
            fh.write(json.dumps({"type": "group", "id": gid, "name": f"老群{n}", "category": "interest"}) + "\n")
            rosters[gid] = rnd.sample(range(1, users + 1), size)
            for k, uid in enumerate(rosters[gid]):
                role = "owner" if k == 0 else "manager" if k < 3 else "member"
                joined = (start + timedelta(days=k)).isoformat()
                fh.write(json.dumps({"type": "member", "group": gid, "user": uid, "role": role, "joined_at": joined})
                         + "\n")  # fmt: skip
        weights = list(sizes)
        names = list(rosters)
        marked = {"QZ-TEST-HOLD": 0, "QZ-TEST-BLOCK": 0, "QZ-TEST-FLAG": 0}
        at = start + timedelta(days=400)
        for i in range(messages_total):
            gid = rnd.choices(names, weights)[0]
            text = f"第{i}条消息，大家好"
            roll = rnd.random()
            for marker, p in (("QZ-TEST-HOLD", 0.01), ("QZ-TEST-BLOCK", 0.005), ("QZ-TEST-FLAG", 0.01)):
                if roll < p:
                    text, marked[marker] = f"{marker} {text}", marked[marker] + 1
                    break
                roll -= p
            at += timedelta(seconds=rnd.randint(1, 90))
            sender = rosters[gid][rnd.randrange(min(len(rosters[gid]), 2000))]
            fh.write(json.dumps({"type": "message", "id": i, "group": gid, "user": sender, "text": text,
                                 "sent_at": at.isoformat()}, ensure_ascii=False) + "\n")  # fmt: skip
    return {"sizes": sizes, "marked": marked}


@pytest.mark.slow
async def test_r_15_1_a_community_of_100000_messages_is_imported_whole(container: Any, tmp_path: Path) -> None:
    path = tmp_path / "community.jsonl"
    made = _generated_community(path, users=3000, messages_total=100_000)
    started = time.perf_counter()
    report = await _import(container, path)
    took = time.perf_counter() - started
    print(f"imported 100,000 messages in {took:.1f} s")  # the figure for docs/operations.md
    counts = report.counts["message"]
    assert counts["held"] == made["marked"]["QZ-TEST-HOLD"] and counts["rejected"] == made["marked"]["QZ-TEST-BLOCK"]
    assert counts["flagged"] == made["marked"]["QZ-TEST-FLAG"]
    placed = counts["clean"] + counts["held"] + counts["rejected"] + counts["flagged"]
    full = [s for _, r, s in report.skipped if r == "group_full"]
    assert len(full) == 2100 - 2000 and report.counts["group"]["imported"] == len(made["sizes"])
    # a member past the hard cap sent no message the file keeps: only members of the first 2000 do
    assert placed + counts.get("skipped", 0) == 100_000 and counts.get("skipped", 0) == 0
    async with container.db.uow(write=False) as uow:
        rows = (
            await uow.conn.execute(
                select(groups.c.id, groups.c.last_seq, groups.c.max_tier, groups.c.member_count,
                       func.count(messages.c.seq), func.max(messages.c.seq))
                .join(messages, messages.c.group_id == groups.c.id)
                .group_by(groups.c.id, groups.c.last_seq, groups.c.max_tier, groups.c.member_count)
            )
        ).all()  # fmt: skip
        tiers = sorted({r.max_tier for r in rows})
        for r in rows:
            assert r[4] == r[5] == r.last_seq, "each group's numbers run 1..n without a gap"
        numbered = (
            await uow.conn.execute(
                select(messages.c.group_id, messages.c.seq, messages.c.created_at)
                .where(messages.c.seq.is_not(None))
                .order_by(messages.c.group_id, messages.c.seq)
            )
        ).all()
    assert tiers == ["L", "M", "S", "XL"]
    for before, after in itertools.pairwise(numbered):
        if before.group_id == after.group_id:
            assert before.created_at <= after.created_at, "a higher number is never an earlier message"


async def test_r_15_1_an_imported_member_signs_in_with_the_old_password_and_is_refused_posting(
    container: Any, tmp_path: Path, client: Any
) -> None:
    old_hash = await container.passwords.hash("old-password-15")
    path = _write(tmp_path / "one.jsonl", [
        {"type": "user", "id": "a", "username": "Frank", "password_argon2": old_hash},
        {"type": "user", "id": "b", "username": "grace", "password_argon2": "md5:5f4dcc3b5aa765d61d8327deb882cf99"},
        {"type": "group", "id": "g", "name": "老朋友"},
        {"type": "member", "group": "g", "user": "a"},
    ])  # fmt: skip
    report = await _import(container, path)
    assert report.skipped == [(2, "bad_field", "password_argon2")], "a hash Qunzu cannot check is refused, not kept"
    r = await client.post("/api/v1/auth/login", json={"username": "frank", "password": "old-password-15"})
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    code = (await _group(container, "老朋友")).code
    r = await client.post(f"/api/v1/groups/{code}/messages", json={"text": "我回来了", "client_msg_id": "back-1"},
                          headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert r.status_code == 403 and r.json()["error"]["code"] == "identity_unverified", r.text
