"""Retention of the network and operation log (R-13.2-2, REQUIREMENTS §3.3) and legal holds (R-13.1-3).

A day of records stays in the database for the longer of the two retention settings (365 days by default, never
under the 184-day floor, which the database's own triggers also enforce). Then the daily job archives the day —
its records with their seals, gzip-compressed JSON Lines, and a manifest holding the file's SHA-256, the day's count
and its chain head — and purges it in one transaction: every record of the day except those under a legal hold,
and their seals. The purge is itself an operation record (`netlog.purge`: counts and the id range, not content),
and the day's row in `log_days` keeps what was archived, purged and held. A hold on a user covers the records they
made and the records about their account; on a group, the group's records; on a period, everything in it; a hold
with a window covers that window only. Held records stay until a purge after the hold is released.

The same job purges the encrypted identity copies of cancelled accounts once their keeping period ends (D9), unless
the account is held: the legal hold overrides account cancellation too.

`restore_day` brings an archived day back (its file checked against the manifest and the chain first) for
`logs.restore_days`; the job purges it again afterwards.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import String, and_, cast, delete, exists, func, insert, or_, select, true, update
from sqlalchemy.sql.elements import ColumnElement

from qunzu.context import Ctx
from qunzu.domain.log_chain import FIELDS, canonical, genesis, link
from qunzu.netlog import store
from qunzu.netlog.records import Target, record
from qunzu.storage.tables import identities, legal_holds, log_days, log_purge_permits, log_seals, operation_log
from qunzu.storage.uow import Database, UnitOfWork

ARCHIVE_FORMAT = "qunzu-netlog-archive/1"
PURGE_CHUNK = 1000


def day_bounds(day: str) -> tuple[datetime, datetime]:
    start = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC)
    return start, start + timedelta(days=1)


def held_clause() -> ColumnElement[bool]:
    """Whether an operation_log row is under an active legal hold (a correlated EXISTS)."""
    h, o = legal_holds.c, operation_log.c
    in_window = and_(
        or_(h.starts_at.is_(None), o.ts >= h.starts_at),
        or_(h.ends_at.is_(None), o.ts < h.ends_at),
    )
    subject = or_(
        and_(
            h.subject_type == "user",
            or_(o.actor_id == h.subject_id, and_(o.target_type == "user", o.target_id == cast(h.subject_id, String))),
        ),
        and_(h.subject_type == "group", o.group_id == h.subject_id),
        h.subject_type == "period",
    )
    return exists().where(h.released_at.is_(None), in_window, subject)


def held_by(hold: Any) -> ColumnElement[bool]:
    """Whether an operation_log row is covered by one hold (a row of legal_holds), released or not."""
    o = operation_log.c
    window = and_(
        o.ts >= hold.starts_at if hold.starts_at is not None else true(),
        o.ts < hold.ends_at if hold.ends_at is not None else true(),
    )
    if hold.subject_type == "user":
        return and_(window, or_(o.actor_id == hold.subject_id,
                                and_(o.target_type == "user", o.target_id == str(hold.subject_id))))  # fmt: skip
    if hold.subject_type == "group":
        return and_(window, o.group_id == hold.subject_id)
    return window


def user_held(user_id: Any) -> ColumnElement[bool]:
    """Whether an account is under an active hold (its personal data outlives cancellation)."""
    h = legal_holds.c
    return exists().where(h.released_at.is_(None), h.subject_type == "user", h.subject_id == user_id)


@dataclass(frozen=True, slots=True)
class Archived:
    day: str
    file: Path
    sha256: str
    records: int
    head_hash: str


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    raise TypeError(type(value).__name__)


async def archive_day(db: Database, *, day: str, out_dir: Path, now: datetime) -> Archived:
    """Write the day's records and seals, in chain order, to `<out_dir>/YYYY/netlog-<day>.jsonl.gz` with its
    manifest, and note the archive on the day. Records not sealed yet are not archived (the job seals first)."""
    async with db.uow(write=False) as uow:
        d = (await uow.conn.execute(select(log_days).where(log_days.c.day == day))).one()
        rows = (
            await uow.conn.execute(
                select(log_seals.c.seq, log_seals.c.hash, operation_log)
                .join(operation_log, operation_log.c.id == log_seals.c.record_id)
                .where(log_seals.c.day == day)
                .order_by(log_seals.c.seq)
            )
        ).all()
    folder = out_dir / day[:4]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"netlog-{day}.jsonl.gz"
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:  # the same day, the same bytes
        for r in rows:
            m = r._mapping
            line = {"seq": r.seq, "hash": r.hash, "record": json.loads(canonical({k: m[k] for k in FIELDS}))}
            f.write(json.dumps(line, ensure_ascii=False, sort_keys=True, default=_json_default).encode() + b"\n")
    digest = hashlib.sha256(tmp.read_bytes()).hexdigest()
    tmp.replace(path)
    manifest = {
        "format": ARCHIVE_FORMAT, "day": day, "file": path.name, "sha256": digest, "records": len(rows),
        "day_records": d.records, "genesis": genesis(day), "head_hash": d.head_hash,
        "archived_at": _json_default(now),
    }  # fmt: skip
    path.with_name(f"netlog-{day}.manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
    async with db.uow() as uow:
        await uow.conn.execute(
            update(log_days)
            .where(log_days.c.day == day)
            .values(archive_file=str(path), archive_sha256=digest, archived_at=now)
        )
        await uow.commit()
    return Archived(day, path, digest, len(rows), d.head_hash)


@dataclass(frozen=True, slots=True)
class Purged:
    day: str
    deleted: int
    held: int


async def purge_day(uow: UnitOfWork, *, day: str, ctx: Ctx) -> Purged:
    """In the caller's transaction: delete the day's records not under a legal hold, and their seals, under a purge
    permit the triggers check; record the purge (counts and the id range)."""
    start, end = day_bounds(day)
    o = operation_log.c
    permit = (
        await uow.conn.execute(
            insert(log_purge_permits).values(before=end, created_at=ctx.now).returning(log_purge_permits.c.id)
        )
    ).scalar_one()
    # only sealed records go (an unsealed one is not in the archive; `qunzu logs verify` reports it)
    victims = list(
        (
            await uow.conn.execute(
                select(o.id)
                .where(o.ts >= start, o.ts < end, ~held_clause(), exists().where(log_seals.c.record_id == o.id))
                .order_by(o.id)
            )
        ).scalars()
    )
    before = (await uow.conn.execute(select(log_days.c.purged_at).where(log_days.c.day == day))).scalar()
    deleted = 0
    for i in range(0, len(victims), PURGE_CHUNK):
        chunk = victims[i : i + PURGE_CHUNK]
        await uow.conn.execute(delete(log_seals).where(log_seals.c.record_id.in_(chunk)))
        deleted += await store.purge(uow.conn, chunk)
    held = int((await uow.conn.execute(select(func.count()).where(o.ts >= start, o.ts < end))).scalar_one())
    await uow.conn.execute(delete(log_purge_permits).where(log_purge_permits.c.id == permit))
    await uow.conn.execute(
        update(log_days)
        .where(log_days.c.day == day)
        .values(purged_at=ctx.now, purged_records=deleted, held_records=held, restored_at=None)
    )
    if deleted or before is None:  # a held day looked at again deletes nothing and says nothing
        await record(
            uow, ctx, "netlog.purge", Target("log_day", day), actor=None, deleted=deleted, held=held,
            first_id=victims[0] if victims else None, last_id=victims[-1] if victims else None,
        )  # fmt: skip
    return Purged(day, deleted, held)


async def expired_days(db: Database, *, now: datetime, retention_days: int, restore_days: int) -> list[str]:
    """Days whose retention has passed and that are still in the database, oldest first: not purged yet, restored
    and past their restore period, or holding records a legal hold kept (released holds let them go)."""
    cutoff = (now - timedelta(days=retention_days)).astimezone(UTC).strftime("%Y-%m-%d")
    d = log_days.c
    async with db.uow(write=False) as uow:
        rows = await uow.conn.execute(
            select(d.day)
            .where(
                d.day < cutoff,
                or_(
                    d.purged_at.is_(None),
                    d.restored_at.is_not(None),
                    # records a hold kept, once some hold was released since the day's last purge
                    and_(d.held_records > 0, exists().where(legal_holds.c.released_at > d.purged_at)),
                ),
                or_(d.restored_at.is_(None), d.restored_at < now - timedelta(days=restore_days)),
            )
            .order_by(d.day)
            .limit(31)
        )
        return list(rows.scalars())


async def retire_day(db: Database, *, day: str, out_dir: Path, ctx: Ctx) -> Purged:
    """Archive the day (unless it is archived already), then purge it."""
    async with db.uow(write=False) as uow:
        archived = (await uow.conn.execute(select(log_days.c.archived_at).where(log_days.c.day == day))).scalar()
    if archived is None:
        await archive_day(db, day=day, out_dir=out_dir, now=ctx.now)
    async with db.uow() as uow:
        purged = await purge_day(uow, day=day, ctx=ctx)
        await uow.commit()
    return purged


async def purge_identities(db: Database, *, now: datetime, limit: int = 100) -> int:
    """The encrypted identity copies of cancelled accounts past their keeping period (D9), unless held."""
    i = identities.c
    async with db.uow() as uow:
        ids = list(
            (
                await uow.conn.execute(
                    select(i.user_id)
                    .where(i.purge_after.is_not(None), i.purge_after < now, ~user_held(i.user_id))
                    .limit(limit)
                )
            ).scalars()
        )
        if ids:
            await uow.conn.execute(
                update(identities)
                .where(i.user_id.in_(ids))
                .values(phone_ct=None, name_ct=None, id_number_ct=None, birth_year=None, purge_after=None)
            )
            await record(uow, Ctx.system(now), "identity.purge", Target("identities"), actor=None, accounts=len(ids))
        await uow.commit()
    return len(ids)


class ArchiveInvalid(Exception):
    """An archive that does not match its manifest or whose chain does not hold."""


def read_archive(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """An archive's manifest and lines, after checking the file's SHA-256 and the chain from the genesis to the
    head the manifest names; raises ArchiveInvalid naming the first problem."""
    manifest_path = path.with_name(path.name.replace(".jsonl.gz", ".manifest.json"))
    try:
        manifest = json.loads(manifest_path.read_text("utf-8"))
        data = path.read_bytes()
    except (OSError, ValueError) as exc:
        raise ArchiveInvalid(f"cannot read the archive or its manifest: {exc}") from exc
    if manifest.get("format") != ARCHIVE_FORMAT:
        raise ArchiveInvalid("not a network-log archive")
    if hashlib.sha256(data).hexdigest() != manifest.get("sha256"):
        raise ArchiveInvalid("the file's SHA-256 is not the manifest's")
    lines = [json.loads(x) for x in gzip.decompress(data).splitlines() if x.strip()]
    prev = genesis(manifest["day"])
    for n, line in enumerate(lines, 1):
        if line["seq"] != n or link(prev, line["record"]) != line["hash"]:
            raise ArchiveInvalid(f"the chain breaks at seq {line['seq']} (record {line['record'].get('id')})")
        prev = line["hash"]
    if len(lines) != manifest["day_records"] or prev != manifest["head_hash"]:
        raise ArchiveInvalid("the archive does not end at the day's head")
    return manifest, lines


def _parsed(record_json: dict[str, Any]) -> dict[str, Any]:
    out = dict(record_json)
    out["ts"] = datetime.fromisoformat(out["ts"].replace("Z", "+00:00"))
    return out


async def restore_day(db: Database, *, path: Path, ctx: Ctx) -> int:
    """Bring an archived day back into the database with its seals (the records keep their ids, so the chain checks
    again); it is purged again `logs.restore_days` later. Records still in the database are left as they are."""
    manifest, lines = read_archive(path)
    day = manifest["day"]
    async with db.uow() as uow:
        present = set(
            (
                await uow.conn.execute(
                    select(log_seals.c.record_id).where(log_seals.c.record_id.in_([ln["record"]["id"] for ln in lines]))
                )
            ).scalars()
        )
        missing = [ln for ln in lines if ln["record"]["id"] not in present]
        await store.restore(uow.conn, [_parsed(ln["record"]) for ln in missing])
        if missing:
            await uow.conn.execute(
                insert(log_seals),
                [
                    {"record_id": ln["record"]["id"], "day": day, "seq": ln["seq"], "hash": ln["hash"],
                     "ts": _parsed(ln["record"])["ts"], "sealed_at": ctx.now}
                    for ln in missing
                ],
            )  # fmt: skip
        await uow.conn.execute(
            update(log_days).where(log_days.c.day == day).values(purged_at=None, restored_at=ctx.now)
        )
        await record(uow, ctx, "netlog.restore", Target("log_day", day), actor=None, restored=len(missing))
        await uow.commit()
    return len(missing)
