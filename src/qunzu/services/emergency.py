"""Emergency switches (Art. 5, R-5.1-4; rules in domain/emergency.py): turning them on and off, and the gates.

Administrators turn a switch on (scope, kind, a reason users are shown) and off (a reason of their own); each change
is a row in `emergency_switches`, an event row in `emergency_switch_events` and an operation record (`emergency.on`,
`emergency.off`) in one transaction. Only administrators may: the requirement names the administrator, and a switch
stops the whole platform's users at once, which is more than a compliance officer's measures on one account or group
(compliance officers read the switches and their history).

Every process keeps the switches on in a `SwitchCache` (one per Database, set up by the container): it looks at the
newest event id at most once a second and reloads the switches only when that changed, so
a change made in any process is in force everywhere within about a second (the requirement allows five), and the
process that made it at once. The gates below ask the cached board: no database read per post while no switch is
on; while one is, a post's group (id and category, which never change) and whether its sender is staff are kept in
memory too.

The gates: posts (services/message_writer.py::MessageWriter.submit, before the post is queued: the writer's batch
reads carry no category, and a refused post should not take a place in a batch), joins (services/joining.py,
services/invites.py), group creation (services/groups.py::create_group) and profile edits (a group's profile, a
nickname). Staff are never stopped.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import func, insert, select, update

from qunzu import netlog
from qunzu.context import Ctx
from qunzu.domain.emergency import (
    Action,
    Kind,
    Scope,
    Switch,
    SwitchBoard,
    check_may,
    check_may_post,
    check_off_reason,
    check_switch,
)
from qunzu.domain.groupcode import format_group_code, parse_group_code
from qunzu.domain.staff import EMERGENCY_OPERATORS, EMERGENCY_READERS, require_staff_role
from qunzu.errors import Conflict, ErrorCode, NotFound, QunzuError, ValidationFailed
from qunzu.netlog import Target
from qunzu.services.views import UserView
from qunzu.storage.tables import emergency_switch_events, emergency_switches, groups, users
from qunzu.storage.uow import Database, UnitOfWork

TTL = 1.0  # seconds a process trusts the board it read (as services/policy.py's PolicyBook)
STAFF_TTL = 60.0  # seconds a sender's staff role is kept while a switch is on (monotonic: a ManualClock stands still)
_KEEP = 100_000  # kept groups and senders at most; past that the memo starts over


@dataclass(frozen=True, slots=True)
class SwitchView:
    id: int
    scope: str
    scope_key: str
    label: str  # the group's code, the category, or "" for the platform
    kind: str
    reason: str
    turned_on_by: int | None
    turned_on_by_name: str | None
    turned_on_at: datetime
    turned_off_by: int | None
    turned_off_by_name: str | None
    turned_off_at: datetime | None
    off_reason: str | None

    @property
    def active(self) -> bool:
        return self.turned_off_at is None


@dataclass(frozen=True, slots=True)
class EventView:
    id: int
    switch_id: int
    event: str  # on | off
    kind: str
    scope: str
    label: str
    actor_id: int | None
    actor_name: str | None
    reason: str
    at: datetime


def _switch(row: Any) -> Switch:
    return Switch(
        id=row.id, scope=Scope(row.scope), scope_key=row.scope_key, kind=Kind(row.kind), reason=row.reason,
        turned_on_at=row.turned_on_at, turned_on_by=row.turned_on_by,
    )  # fmt: skip


async def newest_event(uow: UnitOfWork) -> int:
    return int((await uow.conn.execute(select(func.max(emergency_switch_events.c.id)))).scalar_one_or_none() or 0)


async def read_board(uow: UnitOfWork) -> SwitchBoard:
    version = await newest_event(uow)
    rows = await uow.conn.execute(
        select(emergency_switches).where(emergency_switches.c.turned_off_at.is_(None)).order_by(emergency_switches.c.id)
    )
    return SwitchBoard(tuple(_switch(r) for r in rows), version)


class SwitchCache:
    """The switches on, for every gate of this process."""

    def __init__(self, db: Database, *, ttl: float = TTL) -> None:
        # a weak reference: `_caches` below maps each Database to its cache weakly, and a cache holding its Database
        # strongly would keep the pair (and its engine) alive for ever
        self._db = cast(Database, weakref.proxy(db))
        self._ttl = ttl
        self._board: SwitchBoard | None = None
        self._checked_at: float | None = None  # time.monotonic() of the last read
        self._reading: asyncio.Future[SwitchBoard] | None = None
        self._generation = 0
        self._groups: dict[str, tuple[int, str]] = {}  # group code -> (id, category); neither ever changes
        self._categories: dict[int, str] = {}
        self._staff: dict[int, tuple[bool, float]] = {}

    async def board(self) -> SwitchBoard:
        # Monotonic time, not the container's clock: this is how fresh a cache is, not a time anything records, and
        # it is checked on every post (the clock builds a datetime). A change made here is read at once anyway.
        now = time.monotonic()
        held = self._board
        if held is not None and self._checked_at is not None and 0 <= now - self._checked_at < self._ttl:
            return held
        # One read at a time: a burst of posts arriving when the board is due waits for that one read instead of
        # each reading (thousands of concurrent posts would otherwise each read, once a second).
        reading = self._reading
        if reading is None:
            reading = self._reading = asyncio.ensure_future(self._read(now, self._generation))
            reading.add_done_callback(lambda done: self._done(done))
        return await asyncio.shield(reading)

    async def _read(self, now: float, generation: int) -> SwitchBoard:
        held = self._board
        async with self._db.uow(write=False) as uow:
            version = await newest_event(uow)
            if held is None or held.version != version:
                held = await read_board(uow)
        if generation == self._generation:  # else a switch changed here during the read: read again next time
            self._board, self._checked_at = held, now
        return held

    def _done(self, reading: asyncio.Future[SwitchBoard]) -> None:
        if self._reading is reading:
            self._reading = None
        if not reading.cancelled():
            reading.exception()  # retrieved: the callers that awaited it got it raised

    def invalidate(self) -> None:
        """Forget what was read (this process just turned a switch on or off): the next call reads again, and a
        read already under way (begun before the change) neither answers it nor counts as fresh."""
        self._generation += 1
        self._checked_at = None
        self._reading = None

    async def group_by_code(self, code: str) -> tuple[int, str] | None:
        """(id, category) of the group `code`; None while there is none (not kept: it may be created later)."""
        found = self._groups.get(code)
        if found is None:
            async with self._db.uow(write=False) as uow:
                row = (
                    await uow.conn.execute(select(groups.c.id, groups.c.category).where(groups.c.code == code))
                ).first()
            if row is None:
                return None
            if len(self._groups) > _KEEP:
                self._groups.clear()
            found = self._groups[code] = (int(row.id), str(row.category))
        return found

    async def category_of(self, group_id: int) -> str | None:
        if group_id not in self._categories:
            async with self._db.uow(write=False) as uow:
                category = (
                    await uow.conn.execute(select(groups.c.category).where(groups.c.id == group_id))
                ).scalar_one_or_none()
            if category is None:
                return None
            if len(self._categories) > _KEEP:
                self._categories.clear()
            self._categories[group_id] = str(category)
        return self._categories[group_id]

    async def is_staff(self, user_id: int) -> bool:
        kept = self._staff.get(user_id)
        if kept is not None and kept[1] > time.monotonic():
            return kept[0]
        async with self._db.uow(write=False) as uow:
            role = (
                await uow.conn.execute(select(users.c.staff_role).where(users.c.id == user_id))
            ).scalar_one_or_none()
        if len(self._staff) > _KEEP:
            self._staff.clear()
        self._staff[user_id] = (bool(role), time.monotonic() + STAFF_TTL)
        return bool(role)


# One cache per Database: the container attaches its own; a Database built without one (a script, a unit test of a
# service) gets one the first time a gate asks.
_caches: weakref.WeakKeyDictionary[Database, SwitchCache] = weakref.WeakKeyDictionary()


def attach(db: Database, cache: SwitchCache) -> SwitchCache:
    _caches[db] = cache
    return cache


def switches(db: Database) -> SwitchCache:
    cache = _caches.get(db)
    if cache is None:
        cache = attach(db, SwitchCache(db))
    return cache


async def board(db: Database) -> SwitchBoard:
    return await switches(db).board()


# --- the gates ------------------------------------------------------------------------------------------------------


async def gate(
    db: Database, action: Action, *, actor: int | None, group_id: int | None = None, category: str | None = None
) -> None:
    """Raise `emergency_stopped` if a switch on stops `action` by `actor` here (staff are never stopped). With a
    group and no category, the group's category is looked up (and kept) only while some switch is on."""
    cache = switches(db)
    on = await cache.board()
    if on.empty:
        return
    if group_id is not None and category is None:
        category = await cache.category_of(group_id)
    try:
        check_may(on, action, group_id=group_id, category=category)
    except QunzuError:
        if actor is not None and await cache.is_staff(actor):
            return
        raise


async def gate_post(db: Database, *, actor: int, code: str, text: str, verdict: Any) -> Any:
    """A post in group `code` (canonical): raise `emergency_stopped` if a switch stops it; under `hold_all`, the
    verdict that holds it for the platform's review; else `verdict` unchanged. No read while no switch touches posts."""
    cache = switches(db)
    on = await cache.board()
    if not on.touches_posting:
        return verdict
    group = await cache.group_by_code(code)
    if group is None:
        return verdict  # the writer answers group_not_found
    try:
        holding = check_may_post(on, group[0], group[1], text)
    except QunzuError:
        if await cache.is_staff(actor):
            return verdict
        raise
    if holding is None or (verdict is not None and verdict.action == "hold") or await cache.is_staff(actor):
        return verdict
    from qunzu.services.review import Verdict

    # Held as the platform's review holds a post (services/posting/plan.py: `verdict.action == "hold"`): kept for its
    # author, queued for a reviewer who publishes or rejects it. The category names why it waits.
    return Verdict(
        action="hold",
        categories=sorted({*(verdict.categories if verdict is not None else ()), "emergency_hold"}),
        terms=list(verdict.terms) if verdict is not None else [],
        lexicon_version=verdict.lexicon_version if verdict is not None else f"emergency:{holding.id}",
    )


# --- turning switches on and off -------------------------------------------------------------------------------------


async def _group_key(uow: UnitOfWork, raw: str) -> tuple[str, str]:
    """(scope key, label) of a group as staff type it: its code."""
    if not raw.strip():
        raise ValidationFailed("Name the group", details={"field": "scope_key", "reason": "required"})
    try:
        code = parse_group_code(raw.strip())
    except QunzuError:
        raise NotFound("No such group", code=ErrorCode.GROUP_NOT_FOUND, details={"field": "scope_key"}) from None
    gid = (await uow.conn.execute(select(groups.c.id).where(groups.c.code == code))).scalar_one_or_none()
    if gid is None:
        raise NotFound("No such group", code=ErrorCode.GROUP_NOT_FOUND, details={"field": "scope_key"})
    return str(gid), format_group_code(code)


async def turn_on(
    db: Database,
    *,
    staff: UserView,
    scope: str,
    scope_key: str,
    kind: str,
    reason: str,
    categories: list[str],
    ctx: Ctx,
) -> SwitchView:
    """Turn a switch on: for a group, `scope_key` is its code. In force in this process at once, in every other
    within a second. Recorded as `emergency.on` with the scope, kind and reason. The same switch on twice is
    `validation_failed`-free: a second one is refused with a conflict (turn the first off, or keep it)."""
    require_staff_role(staff.staff_role, EMERGENCY_OPERATORS)
    async with db.uow() as uow:
        key = scope_key
        if scope == Scope.GROUP.value:
            key, _ = await _group_key(uow, scope_key)
        spec = check_switch(scope, key, kind, reason, categories=categories)
        same = (
            await uow.conn.execute(
                select(emergency_switches.c.id).where(
                    emergency_switches.c.scope == spec.scope.value,
                    emergency_switches.c.scope_key == spec.scope_key,
                    emergency_switches.c.kind == spec.kind.value,
                    emergency_switches.c.turned_off_at.is_(None),
                )
            )
        ).first()
        if same is not None:
            raise Conflict("This switch is on already", code=ErrorCode.ALREADY_DECIDED, details={"id": same.id})
        switch_id = (
            await uow.conn.execute(
                insert(emergency_switches)
                .values(
                    scope=spec.scope.value,
                    scope_key=spec.scope_key,
                    kind=spec.kind.value,
                    reason=spec.reason,
                    turned_on_by=staff.id,
                    turned_on_at=ctx.now,
                )
                .returning(emergency_switches.c.id)
            )
        ).scalar_one()
        await uow.conn.execute(
            insert(emergency_switch_events).values(
                switch_id=switch_id, event="on", actor_id=staff.id, reason=spec.reason, at=ctx.now
            )
        )
        await netlog.record(
            uow, ctx, "emergency.on", Target("emergency_switch", switch_id), actor=staff.id,
            scope=spec.scope.value, scope_key=spec.scope_key, kind=spec.kind.value, reason=spec.reason[:200],
        )  # fmt: skip
        view = (await _views(uow, emergency_switches.c.id == switch_id))[0]
        await uow.commit()
    switches(db).invalidate()
    return view


async def turn_off(db: Database, *, staff: UserView, switch_id: int, reason: str, ctx: Ctx) -> SwitchView:
    """Turn a switch off; recorded as `emergency.off` with the reason. The switch stays on record."""
    require_staff_role(staff.staff_role, EMERGENCY_OPERATORS)
    reason = check_off_reason(reason)
    async with db.uow() as uow:
        found = await _views(uow, emergency_switches.c.id == _valid(switch_id))
        if not found:
            raise NotFound("No such emergency switch", code=ErrorCode.EMERGENCY_SWITCH_NOT_FOUND)
        if not found[0].active:
            raise Conflict("This switch is off already", code=ErrorCode.ALREADY_DECIDED)
        await uow.conn.execute(
            update(emergency_switches)
            .where(emergency_switches.c.id == switch_id, emergency_switches.c.turned_off_at.is_(None))
            .values(turned_off_by=staff.id, turned_off_at=ctx.now, off_reason=reason)
        )
        await uow.conn.execute(
            insert(emergency_switch_events).values(
                switch_id=switch_id, event="off", actor_id=staff.id, reason=reason, at=ctx.now
            )
        )
        await netlog.record(
            uow, ctx, "emergency.off", Target("emergency_switch", switch_id), actor=staff.id,
            scope=found[0].scope, scope_key=found[0].scope_key, kind=found[0].kind, reason=reason[:200],
        )  # fmt: skip
        view = (await _views(uow, emergency_switches.c.id == switch_id))[0]
        await uow.commit()
    switches(db).invalidate()
    return view


async def list_switches(
    db: Database, *, staff: UserView, active_only: bool = False, limit: int = 200
) -> list[SwitchView]:
    """Switches, those on first, newest first."""
    require_staff_role(staff.staff_role, EMERGENCY_READERS)
    return await read_switches(db, active_only=active_only, limit=limit)


async def read_switches(db: Database, *, active_only: bool = False, limit: int = 200) -> list[SwitchView]:
    """`list_switches` without a staff member: for the operator's shell (`qunzu emergency list`)."""
    async with db.uow(write=False) as uow:
        where = emergency_switches.c.turned_off_at.is_(None) if active_only else None
        views = await _views(uow, where, limit=limit)
    return sorted(views, key=lambda v: (not v.active, -v.id))


async def history(db: Database, *, staff: UserView, limit: int = 200) -> list[EventView]:
    """Every turning on and off, newest first, with who and why."""
    require_staff_role(staff.staff_role, EMERGENCY_READERS)
    actor = users.alias("actor")
    stmt = (
        select(
            emergency_switch_events,
            emergency_switches.c.kind,
            emergency_switches.c.scope,
            emergency_switches.c.scope_key,
            actor.c.username.label("actor_name"),
        )
        .select_from(
            emergency_switch_events.join(
                emergency_switches, emergency_switches.c.id == emergency_switch_events.c.switch_id
            ).outerjoin(actor, actor.c.id == emergency_switch_events.c.actor_id)
        )
        .order_by(emergency_switch_events.c.id.desc())
        .limit(limit)
    )
    async with db.uow(write=False) as uow:
        rows = list(await uow.conn.execute(stmt))
        labels = await _labels(uow, rows)
    return [
        EventView(
            id=r.id, switch_id=r.switch_id, event=r.event, kind=r.kind, scope=r.scope,
            label=labels.get((r.scope, r.scope_key), r.scope_key), actor_id=r.actor_id, actor_name=r.actor_name,
            reason=r.reason, at=r.at,
        )
        for r in rows
    ]  # fmt: skip


def _valid(switch_id: int) -> int:
    if not 1 <= switch_id < 2**63:
        raise NotFound("No such emergency switch", code=ErrorCode.EMERGENCY_SWITCH_NOT_FOUND)
    return switch_id


async def _labels(uow: UnitOfWork, rows: list[Any]) -> dict[tuple[str, str], str]:
    """The labels of the scopes: a group's code for a group, the category itself, "" for the platform."""
    ids = {int(r.scope_key) for r in rows if r.scope == Scope.GROUP.value and r.scope_key.isdigit()}
    codes = {}
    if ids:
        found = await uow.conn.execute(select(groups.c.id, groups.c.code).where(groups.c.id.in_(ids)))
        codes = {str(g.id): format_group_code(g.code) for g in found}
    return {(r.scope, r.scope_key): codes.get(r.scope_key, r.scope_key) if r.scope == "group" else r.scope_key
            for r in rows}  # fmt: skip


async def _views(uow: UnitOfWork, where: Any, *, limit: int = 200) -> list[SwitchView]:
    on_by, off_by = users.alias("on_by"), users.alias("off_by")
    stmt = (
        select(emergency_switches, on_by.c.username.label("on_name"), off_by.c.username.label("off_name"))
        .select_from(
            emergency_switches.outerjoin(on_by, on_by.c.id == emergency_switches.c.turned_on_by).outerjoin(
                off_by, off_by.c.id == emergency_switches.c.turned_off_by
            )
        )
        .order_by(emergency_switches.c.id.desc())
        .limit(limit)
    )
    if where is not None:
        stmt = stmt.where(where)
    rows = list(await uow.conn.execute(stmt))
    labels = await _labels(uow, rows)
    return [
        SwitchView(
            id=r.id, scope=r.scope, scope_key=r.scope_key, label=labels.get((r.scope, r.scope_key), r.scope_key),
            kind=r.kind, reason=r.reason, turned_on_by=r.turned_on_by, turned_on_by_name=r.on_name,
            turned_on_at=r.turned_on_at, turned_off_by=r.turned_off_by, turned_off_by_name=r.off_name,
            turned_off_at=r.turned_off_at, off_reason=r.off_reason,
        )
        for r in rows
    ]  # fmt: skip


async def staff_by_username(db: Database, username: str) -> UserView | None:
    """For the CLI: the staff account that turns a switch (`qunzu emergency on --by NAME`)."""
    from qunzu.services.policy_admin import staff_by_username as find

    return await find(db, username)


async def gate_code(db: Database, action: Action, *, actor: int, code: str) -> None:
    """`gate` for a group named by its code, before the use case reads it (a malformed or unknown code passes here
    and gets its own error from the use case)."""
    if (await board(db)).empty:
        return
    try:
        canonical = parse_group_code(code)
    except QunzuError:
        return
    group = await switches(db).group_by_code(canonical)
    if group is not None:
        await gate(db, action, actor=actor, group_id=group[0], category=group[1])
