"""Importing a community from an older system (Art. 15, R-15-1): the rules apply to existing data too.

`import_legacy(db, path, ...)` reads the JSON Lines export of docs/import.md in two passes and places what it can:

1. users, groups and members (kept in memory: they are few beside the messages). Users arrive unverified (level 0)
   with no agreement accepted, and with no usable password unless the old system's was argon2: they must verify and
   accept before they post (R-6.1-4, R-5.2-2), as every account does. Each group gets a fresh code
   (domain/groupcode.py), an owner (the legacy owner, else its earliest manager, else its earliest member: the report
   says which), roles, a size tier from its member count and that tier's member cap (members past the cap are not
   placed, the latest joined first), and its name and description reviewed as a new group's are. Users in batches
   of `USER_BATCH`, one transaction per group.
2. messages, streamed in batches of `MESSAGE_BATCH` per transaction. Each goes through the review engine
   (services/review.py::screen): published ones take the group's next sequence numbers in file order, which must be
   time order within a group (a message older than the one before it in its group is not placed: `out_of_order`);
   `hold` keeps it unpublished on the reviewers' queue, `block` keeps it as `rejected` (the record is kept, never
   shown), `flag` publishes and queues it. Legacy content earns no violations or credit events: it was written
   under older rules, and a reviewer's decision on a held item still does what it always does.

Idempotent: a second run places only what the first did not. Users and groups are found again through their
operation records (`import.users` per batch of accounts, `import.group` per group: their details keep the legacy
ids), messages through their client_msg_id `legacy:<id>` (unique per group and sender). The operation records are
kept for the log's retention (≥ 184 days), and so is this memory; a mapping table would keep it for ever. One
import runs at a time (a second one at once fails on the messages' unique key, placing nothing twice).

Every line the import could not place is in the report with its number and a reason code; `dry_run` reads, checks
and screens everything and writes nothing.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from qunzu import netlog
from qunzu.context import Ctx
from qunzu.domain.accounts import check_nickname, normalise_username
from qunzu.domain.admission import default_join_mode
from qunzu.domain.content import Disposition, profile_disposition
from qunzu.domain.groupcode import new_group_code
from qunzu.domain.groups import removed_name
from qunzu.domain.policy import GroupPolicy, managers_max, member_cap, size_tier
from qunzu.domain.roles import GroupRole
from qunzu.errors import QunzuError
from qunzu.netlog import Target
from qunzu.services.legacy_format import BadLine, LegacyGroup, LegacyMember, LegacyMessage, LegacyUser, parse_line
from qunzu.services.review import Verdict, queue_item, review_item_values
from qunzu.storage.tables import groups, memberships, messages, operation_log, review_items, users
from qunzu.storage.uow import Database, UnitOfWork

USER_BATCH = 1000
MESSAGE_BATCH = 2000
UNUSABLE_PASSWORD = "!legacy-import"  # no password verifies against it (not an argon2 hash)
CODE_ATTEMPTS = 8
_ROLE_ORDER = {"owner": 0, "manager": 1, "member": 2}

Screen = Callable[[str], Verdict]


@dataclass(slots=True)
class ImportReport:
    """What an import placed, per type, and every line it could not place or had to change, with the reason."""

    dry_run: bool = False
    counts: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    skipped: list[tuple[int, str, str]] = field(default_factory=list)  # (line, reason, detail)
    notes: list[tuple[int, str, str]] = field(default_factory=list)  # placed, but changed: (line, what, detail)

    def skip(self, line: int, kind: str, reason: str, detail: str = "") -> None:
        self.counts[kind]["skipped"] += 1
        self.skipped.append((line, reason, detail))

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "counts": {k: dict(v) for k, v in sorted(self.counts.items())},
            "skipped": [{"line": n, "reason": r, "detail": d} for n, r, d in self.skipped],
            "notes": [{"line": n, "what": w, "detail": d} for n, w, d in self.notes],
        }


@dataclass(slots=True)
class _People:
    """Pass 1: the users, groups and members of the file, by legacy id."""

    users: dict[str, LegacyUser] = field(default_factory=dict)
    groups: dict[str, LegacyGroup] = field(default_factory=dict)
    members: dict[str, list[LegacyMember]] = field(default_factory=lambda: defaultdict(list))


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    with path.open(encoding="utf-8", errors="replace") as fh:
        yield from enumerate(fh, start=1)


def _read_people(path: Path, report: ImportReport) -> _People:
    out = _People()
    for n, raw in _lines(path):
        try:
            rec = parse_line(raw, n)
        except BadLine as bad:
            report.skip(n, bad.kind, bad.reason, bad.detail)
            continue
        if isinstance(rec, LegacyUser):
            if rec.id in out.users:
                report.skip(n, "user", "duplicate_id", rec.id)
            else:
                out.users[rec.id] = rec
        elif isinstance(rec, LegacyGroup):
            if rec.id in out.groups:
                report.skip(n, "group", "duplicate_id", rec.id)
            else:
                out.groups[rec.id] = rec
        elif isinstance(rec, LegacyMember):
            out.members[rec.group].append(rec)
    return out


async def _imported(db: Database, action: str) -> dict[str, int]:
    """Legacy id → local id of what earlier runs imported, from their operation records: `import.users` names a
    batch's accounts in `ids`, `import.group` one group in `legacy_id` and `local_id`."""
    o = operation_log.c
    out: dict[str, int] = {}
    async with db.uow(write=False) as uow:
        for r in await uow.conn.execute(select(o.details).where(o.action == action)):
            d = r.details or {}
            if "ids" in d:
                out.update({str(k): int(v) for k, v in d["ids"].items()})
            elif "legacy_id" in d:
                out[str(d["legacy_id"])] = int(d["local_id"])
    return out


# --- users ------------------------------------------------------------------------------------------------------


def _username(u: LegacyUser) -> str | None:
    """The username under Qunzu's rules (normalised as at registration), or None when it breaks them."""
    try:
        return normalise_username(u.username)
    except QunzuError:
        return None


def _nickname(u: LegacyUser, username: str, screen_profile: Callable[[str], bool]) -> tuple[str, str | None]:
    """The nickname to keep, and why it was changed (None: kept as it was)."""
    try:
        nick = check_nickname(u.nickname or username)
    except QunzuError:
        return username[:20], "nickname_invalid"
    if not screen_profile(nick):
        return username[:20], "nickname_rejected"
    return nick, None


async def _import_users(
    db: Database, people: _People, known: dict[str, int], *, screen: Screen, ctx: Ctx, report: ImportReport
) -> None:
    def acceptable(text: str) -> bool:
        return profile_disposition(screen(text).action) is not Disposition.REFUSE

    todo: list[tuple[LegacyUser, str]] = []
    seen: set[str] = set()
    for u in people.users.values():
        if u.id in known:
            report.counts["user"]["existing"] += 1
            continue
        name = _username(u)
        if name is None:
            report.skip(u.line, "user", "bad_username", u.username[:40])
        elif name in seen:
            report.skip(u.line, "user", "username_taken", name)
        else:
            seen.add(name)
            todo.append((u, name))
    for start in range(0, len(todo), USER_BATCH):
        batch = todo[start : start + USER_BATCH]
        async with db.uow(write=not report.dry_run) as uow:
            names = [name for _, name in batch]
            taken = set((await uow.conn.execute(select(users.c.username).where(users.c.username.in_(names)))).scalars())
            rows = []
            for u, name in batch:
                if name in taken:
                    report.skip(u.line, "user", "username_taken", name)
                    continue
                nick, changed = _nickname(u, name, acceptable)
                if changed:
                    report.notes.append((u.line, changed, name))
                rows.append((u, {
                    "username": name, "password_hash": u.password_hash or UNUSABLE_PASSWORD, "nickname": nick,
                    "status": "active", "created_at": u.created_at or ctx.now, "verification_level": 0,
                    "agreement_version": 0,
                }))  # fmt: skip
            if report.dry_run or not rows:  # a dry run counts them as placed, so their lines are checked further
                known.update({u.id: 0 for u, _ in rows})
                report.counts["user"]["imported"] += len(rows)
                continue
            await uow.conn.execute(insert(users), [values for _, values in rows])
            ids = dict(
                (await uow.conn.execute(select(users.c.username, users.c.id).where(users.c.username.in_(names)))).all()
            )
            placed = {u.id: ids[values["username"]] for u, values in rows}
            known.update(placed)
            # one record for the batch, naming every account it created (legacy id → account id)
            await netlog.record(uow, ctx, "import.users", actor=None, ids=placed, count=len(placed))
            await uow.commit()
            report.counts["user"]["imported"] += len(rows)


# --- groups -----------------------------------------------------------------------------------------------------


def _roster(g: LegacyGroup, found: list[LegacyMember], known_users: dict[str, int], report: ImportReport) -> list[
    tuple[str, str, datetime | None, int]
]:  # fmt: skip
    """The group's members as (legacy user, role, joined, line), the owner first: the legacy owner, else the earliest
    manager, else the earliest member. Members whose user was not placed are reported."""
    members: dict[str, tuple[str, str, datetime | None, int]] = {}
    for m in found:
        if m.user not in known_users:
            report.skip(m.line, "member", "unknown_user", m.user)
        elif m.user in members:
            report.skip(m.line, "member", "duplicate_member", m.user)
        else:
            members[m.user] = (m.user, m.role, m.joined_at, m.line)
    far = datetime.max.replace(tzinfo=None)

    def joined(entry: tuple[str, str, datetime | None, int]) -> tuple[Any, int]:
        return (entry[2].replace(tzinfo=None) if entry[2] else far, entry[3])

    owners = [m for m in members.values() if m[1] == "owner"]
    if g.owner is not None and g.owner in known_users:
        owner = g.owner
        how = "legacy_owner"
    elif owners:
        owner, how = min(owners, key=joined)[0], "legacy_owner"
    else:
        managers = [m for m in members.values() if m[1] == "manager"]
        pool = managers or list(members.values())
        if not pool:
            return []
        owner = min(pool, key=joined)[0]
        how = "earliest_manager" if managers else "earliest_member"
        report.notes.append((g.line, "owner_chosen", f"{how}: {owner}"))
    first = members.get(owner, (owner, "owner", g.created_at, g.line))
    rest = sorted((e for u, e in members.items() if u != owner), key=lambda e: (_ROLE_ORDER[e[1]], *joined(e)))
    for entry in rest:
        if entry[1] == "owner":  # a second legacy owner stays a manager
            report.notes.append((entry[3], "role_changed", f"{entry[0]}: owner → manager"))
    return [(first[0], "owner", first[2], first[3])] + [
        (u, "manager" if role == "owner" else role, at, line) for u, role, at, line in rest
    ]


def _category(g: LegacyGroup, policy: GroupPolicy, report: ImportReport) -> str:
    ids = policy.category_ids()
    if g.category in ids:
        return str(g.category)
    fallback = "other" if "other" in ids else ids[-1]
    report.notes.append((g.line, "category_replaced", f"{g.category!r} → {fallback}"))
    return fallback


async def _import_groups(
    db: Database,
    people: _People,
    known_users: dict[str, int],
    known: dict[str, int],
    *,
    policy: GroupPolicy,
    screen: Screen,
    ctx: Ctx,
    report: ImportReport,
    code_source: Callable[[], str] = new_group_code,
) -> None:
    for g in people.groups.values():
        if g.id in known:
            report.counts["group"]["existing"] += 1
            continue
        roster = _roster(g, people.members.pop(g.id, []), known_users, report)
        if not roster:
            report.skip(g.line, "group", "no_members", g.id)
            continue
        category = _category(g, policy, report)
        tier = size_tier(len(roster), policy)
        cap = member_cap(policy, tier, category)
        for _u, _role, _at, line in roster[cap:]:
            report.skip(line, "member", "group_full", f"member cap {cap}")
        roster = roster[:cap]
        most = managers_max(cap, policy)
        managers = 0
        for i, (u, role, at, line) in enumerate(roster):
            if role == "manager":
                managers += 1
                if managers > most:
                    roster[i] = (u, "member", at, line)
                    report.notes.append((line, "role_changed", f"{u}: manager → member (at most {most} managers)"))
        name = g.name.strip()[:200] or g.id
        name_verdict = screen(name)
        description = g.description[:2000]
        desc_verdict = screen(description) if description else None
        report.counts["member"]["imported"] += len(roster)
        report.counts["group"]["imported"] += 1
        if report.dry_run:
            known[g.id] = 0
            continue
        for _attempt in range(CODE_ATTEMPTS):
            code = code_source()
            async with db.uow() as uow:
                values = {
                    "code": code, "name": name, "category": category, "description": description, "status": "active",
                    "creator_id": known_users[roster[0][0]], "owner_id": known_users[roster[0][0]],
                    "member_count": len(roster), "member_cap": cap, "max_tier": tier.value,
                    "join_mode": default_join_mode(policy, tier).value, "last_seq": 0,
                    "created_at": g.created_at or ctx.now,
                }  # fmt: skip
                if profile_disposition(name_verdict.action) is Disposition.REFUSE:
                    values["name"] = removed_name(code)
                if desc_verdict is not None and profile_disposition(desc_verdict.action) is Disposition.REFUSE:
                    values["description"] = ""
                try:
                    gid = (await uow.conn.execute(insert(groups).values(**values).returning(groups.c.id))).scalar_one()
                except IntegrityError:
                    continue  # a code already taken: draw again
                await _place_members(uow, gid, roster, known_users, ctx=ctx)
                for kind, text, verdict in (("group_name", name, name_verdict),
                                            ("group_description", description, desc_verdict)):  # fmt: skip
                    if verdict is None:
                        continue
                    disposition = profile_disposition(verdict.action)
                    if disposition is Disposition.REFUSE:  # as a new group's would be: removed, and said so
                        report.notes.append((g.line, f"{kind}_removed", ", ".join(verdict.categories)))
                    elif disposition is Disposition.PUBLISH_AND_QUEUE:
                        await queue_item(uow, kind=kind, target_id=code, author_id=known_users[roster[0][0]],
                                         text=text, verdict=verdict, now=ctx.now, group_id=gid)  # fmt: skip
                await netlog.record(
                    uow, ctx, "import.group", Target.group(gid, code), actor=None, legacy_id=g.id, local_id=gid,
                    tier=tier.value, member_cap=cap, members=len(roster), category=category,
                )  # fmt: skip
                await uow.commit()
                known[g.id] = gid
                break
    for group_id, rest in people.members.items():  # members of a group the file does not have
        if group_id in known:
            report.counts["member"]["existing"] += len(rest)
            continue
        for m in rest:
            report.skip(m.line, "member", "unknown_group", group_id)


async def _place_members(
    uow: UnitOfWork, gid: int, roster: list[Any], known_users: dict[str, int], *, ctx: Ctx
) -> None:
    rows = []
    for u, role, at, _line in roster:
        rows.append({
            "group_id": gid, "user_id": known_users[u], "joined_at": at or ctx.now,
            "role": {"owner": GroupRole.CREATOR, "manager": GroupRole.MANAGER}.get(role, GroupRole.MEMBER).value,
        })  # fmt: skip
    await uow.conn.execute(insert(memberships), rows)
    ids = [r["user_id"] for r in rows]
    await uow.conn.execute(update(users).where(users.c.id.in_(ids)).values(groups_joined=users.c.groups_joined + 1))
    await uow.conn.execute(
        update(users).where(users.c.id == rows[0]["user_id"]).values(groups_owned=users.c.groups_owned + 1)
    )


# --- messages ---------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Pending:
    msg: LegacyMessage
    gid: int
    sender: int
    verdict: Verdict


async def _import_messages(
    db: Database,
    path: Path,
    known_users: dict[str, int],
    known_groups: dict[str, int],
    *,
    screen: Screen,
    ctx: Ctx,
    report: ImportReport,
) -> None:
    last_at: dict[int, datetime] = {}
    batch: list[_Pending] = []
    m = messages.c
    async with db.uow(write=False) as uow:  # what earlier runs stored (one import runs at a time)
        rows = await uow.conn.execute(
            select(m.group_id, m.sender_id, m.client_msg_id).where(
                m.group_id.in_(set(known_groups.values())), m.client_msg_id.like("legacy:%")
            )
        )
        done = {(r.group_id, r.sender_id, r.client_msg_id) for r in rows}
    for n, raw in _lines(path):
        try:
            rec = parse_line(raw, n)
        except BadLine:
            continue  # reported by the first pass
        if not isinstance(rec, LegacyMessage):
            continue
        gid = known_groups.get(rec.group)
        sender = known_users.get(rec.user)
        if gid is None:
            report.skip(n, "message", "unknown_group", rec.group)
            continue
        if sender is None:
            report.skip(n, "message", "unknown_user", rec.user)
            continue
        if gid in last_at and rec.sent_at < last_at[gid]:
            report.skip(n, "message", "out_of_order", rec.sent_at.isoformat())
            continue
        last_at[gid] = rec.sent_at
        batch.append(_Pending(rec, gid, sender, screen(rec.text)))
        if len(batch) >= MESSAGE_BATCH:
            await _write_messages(db, batch, done, ctx=ctx, report=report)
            batch = []
    if batch:
        await _write_messages(db, batch, done, ctx=ctx, report=report)


def _state(verdict: Verdict) -> str:
    return {"block": "rejected", "hold": "held", "flag": "flagged"}.get(verdict.action, "clean")


async def _write_messages(
    db: Database, batch: list[_Pending], done: set[tuple[int, int, str]], *, ctx: Ctx, report: ImportReport
) -> None:
    """One transaction: the batch's new messages, numbered from each group's last_seq, and their review items.
    `done`: the keys (group, sender, client_msg_id) already stored, which this batch adds to."""
    new: list[_Pending] = []
    for p in batch:
        key = (p.gid, p.sender, f"legacy:{p.msg.id}")
        if key in done:
            report.counts["message"]["existing"] += 1
            continue
        done.add(key)
        new.append(p)
        report.counts["message"][_state(p.verdict)] += 1
    if report.dry_run or not new:
        return
    async with db.uow() as uow:
        published: Counter[int] = Counter(p.gid for p in new if p.verdict.action not in ("block", "hold"))
        next_seq: dict[int, int] = {}
        for gid, k in sorted(published.items()):  # the numbers, taken atomically beside any live posts
            top = (
                await uow.conn.execute(
                    update(groups).where(groups.c.id == gid).values(last_seq=groups.c.last_seq + k)
                    .returning(groups.c.last_seq)
                )
            ).scalar_one()  # fmt: skip
            next_seq[gid] = top - k + 1
        nicknames = dict(
            (await uow.conn.execute(select(users.c.id, users.c.nickname).where(
                users.c.id.in_({p.sender for p in new})))).all()
        )  # fmt: skip
        plain: list[tuple[_Pending, dict[str, Any]]] = []
        queued: list[tuple[_Pending, dict[str, Any]]] = []
        for p in new:
            seq = None
            if p.verdict.action not in ("block", "hold"):
                seq = next_seq[p.gid]
                next_seq[p.gid] += 1
            row = {
                "group_id": p.gid, "seq": seq, "sender_id": p.sender, "sender_nickname": nicknames[p.sender],
                "text": p.msg.text, "client_msg_id": f"legacy:{p.msg.id}", "created_at": p.msg.sent_at,
                "deleted_at": p.msg.deleted_at, "review_state": _state(p.verdict),
            }  # fmt: skip
            (queued if p.verdict.action in ("hold", "flag") else plain).append((p, row))
        if plain:
            await uow.conn.execute(insert(messages), [row for _, row in plain])
        if queued:  # held and flagged ones: their ids, for the reviewers' queue
            ids = (
                await uow.conn.execute(
                    insert(messages).returning(messages.c.id, sort_by_parameter_order=True), [r for _, r in queued]
                )
            ).scalars().all()  # fmt: skip
            await uow.conn.execute(
                insert(review_items),
                [
                    review_item_values(
                        kind="message",
                        target_id=msg_id,
                        author_id=p.sender,
                        text=p.msg.text,
                        verdict=p.verdict,
                        now=ctx.now,
                        group_id=p.gid,
                    )
                    for (p, _), msg_id in zip(queued, ids, strict=True)
                ],
            )
        await netlog.record(
            uow, ctx, "import.messages", actor=None, first_line=new[0].msg.line, last_line=new[-1].msg.line,
            messages=len(new), states=dict(Counter(_state(p.verdict) for p in new)),
        )  # fmt: skip
        await uow.commit()


# --- the whole import -------------------------------------------------------------------------------------------


async def import_legacy(
    db: Database,
    path: Path,
    *,
    policy: GroupPolicy,
    screen: Screen,
    ctx: Ctx,
    dry_run: bool = False,
    code_source: Callable[[], str] = new_group_code,
) -> ImportReport:
    """Import the legacy export at `path` (docs/import.md); the report counts what was placed per type and lists
    every line not placed, with its reason (R-15-1). `screen` is the review engine's verdict on a text."""
    report = ImportReport(dry_run=dry_run)
    people = _read_people(path, report)
    known_users = await _imported(db, "import.users")
    known_groups = await _imported(db, "import.group")
    await _import_users(db, people, known_users, screen=screen, ctx=ctx, report=report)
    await _import_groups(db, people, known_users, known_groups, policy=policy, screen=screen, ctx=ctx,
                         report=report, code_source=code_source)  # fmt: skip
    await _import_messages(db, path, known_users, known_groups, screen=screen, ctx=ctx, report=report)
    report.skipped.sort()
    report.notes.sort()
    return report
