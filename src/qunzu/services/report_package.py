"""Reports to the authorities (Art. 11 ¶3, R-11.1-2, R-11.2-2, R-11.3-3, §3.4, D13): signed export packages, the
disclosure register, and the complaint supervision figures (Art. 12 ¶1, R-12.1-3).

`build_enforcement_package` covers a period [from, to) and carries:

- the **report items** — enforcement records created in the period and blacklist changes made in it — that no
  earlier package carried (`reported_at` unset). With `backlog` it also carries the unreported items from before the
  period (one made late, or a period skipped); with `include_reported` it carries the period's items again (a
  re-issue), leaving their first `reported_at` and `report_id` as they were;
- the review statistics and complaint statistics of the period, the tickets received and appeals lodged in it (these
  are listed whether reported before or not, so the list matches the figures), and the content taxonomy.

In one transaction it reads the rows, writes the zip (`domain/reports.py` says what is in it), signs the manifest,
writes the disclosure register, marks every carried row reported (`reported_at`, `report_id`) and records
`report.package`. If the file cannot be written, nothing is marked; if the transaction fails after the file was
written, the file is removed. Two packages built at once cannot both carry one item: the second is refused
(`package_conflict`) and leaves nothing behind.
"""

from __future__ import annotations

import io
import os
import secrets
import zipfile
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import Table, func, select, update

from qunzu import netlog
from qunzu.context import Ctx
from qunzu.domain import reports as rp
from qunzu.domain.complaint_figures import FigureRow, complaint_figures
from qunzu.domain.staff import FIGURE_READERS, LAWFUL_OFFICERS, REPORT_MAKERS, REPORT_READERS, require_staff_role
from qunzu.domain.text import clean_line
from qunzu.errors import ErrorCode, NotFound, QunzuError, Unavailable, ValidationFailed
from qunzu.netlog import Target
from qunzu.services import report_rows
from qunzu.services.report_keys import SigningKey
from qunzu.services.views import UserView
from qunzu.storage.tables import (
    appeals,
    blacklist_changes,
    disclosure_register,
    enforcement_records,
    tickets,
    users,
)
from qunzu.storage.uow import Database, UnitOfWork

log = structlog.get_logger(__name__)
KIND = "enforcement_report"
GENERATOR = "qunzu 0.1.0"
BATCH = 500


@dataclass(frozen=True, slots=True)
class PackageInfo:
    id: int  # the disclosure-register entry
    kind: str
    authority: str
    document_number: str | None
    scope: dict[str, Any]
    period_from: datetime
    period_to: datetime
    counts: dict[str, int]
    manifest_sha256: str
    signature: str
    key_id: str
    file_name: str
    created_by: int | None
    creator: str | None  # the staff member's username (None: an operator command)
    created_at: datetime

    @property
    def package_id(self) -> str:
        return str(self.scope.get("package_id", ""))


def _info(row: Any, creator: str | None) -> PackageInfo:
    return PackageInfo(
        id=row.id, kind=row.kind, authority=row.authority, document_number=row.document_number,
        scope=dict(row.scope), period_from=row.period_from, period_to=row.period_to, counts=dict(row.counts),
        manifest_sha256=row.manifest_sha256, signature=row.signature, key_id=row.key_id, file_name=row.file_name,
        created_by=row.created_by, creator=creator, created_at=row.created_at,
    )  # fmt: skip


# --- building -------------------------------------------------------------------------------------------------------


def _clean_authority(authority: str, document_number: str | None) -> tuple[str, str | None]:
    authority = clean_line(authority, field="authority").strip()
    if len(authority) > rp.AUTHORITY_MAX:
        raise ValidationFailed("The authority's name is too long", details={"field": "authority", "reason": "too_long"})
    number = clean_line(document_number or "", field="document_number", required=False).strip() or None
    if number is not None and len(number) > rp.DOCUMENT_NUMBER_MAX:
        raise ValidationFailed("The document number is too long",
                               details={"field": "document_number", "reason": "too_long"})  # fmt: skip
    return authority, number


def _write_zip(path: Path, files: dict[str, bytes]) -> None:
    """Write the zip under a temporary name, then move it into place (a reader never sees half a package)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
    with os.fdopen(fd, "wb") as fh:
        fh.write(buf.getvalue())
    os.replace(tmp, path)


async def _mark(uow: UnitOfWork, table: Table, ids: Sequence[int], *, report_id: int, now: datetime) -> int:
    """Mark the rows not yet reported; returns how many were."""
    marked = 0
    for i in range(0, len(ids), BATCH):
        result = await uow.conn.execute(
            update(table)
            .where(table.c.id.in_(ids[i : i + BATCH]), table.c.reported_at.is_(None))
            .values(reported_at=now, report_id=report_id)
        )
        marked += result.rowcount
    return marked


def _conflict() -> QunzuError:
    return QunzuError(
        "Another package carried some of these items meanwhile; build the package again",
        code=ErrorCode.PACKAGE_CONFLICT,
    )


async def build_enforcement_package(
    db: Database,
    *,
    staff: UserView | None,
    period_from: datetime,
    period_to: datetime,
    authority: str,
    document_number: str | None = None,
    backlog: bool = False,
    include_reported: bool = False,
    periodic: str | None = None,
    first: Callable[[UnitOfWork], Awaitable[None]] | None = None,
    key: SigningKey,
    out_dir: Path,
    ctx: Ctx,
) -> PackageInfo:
    """Build, sign and register the package of a period, and mark what it carried reported (one transaction).

    `periodic` ("weekly", "monthly") marks the periodic summary in `scope`; `first` runs at the start of the
    transaction, before anything is read or written, and may raise to build nothing (the periodic summary takes its
    lock and looks in the register there: `services/report_periodic.py`)."""
    if staff is not None:
        require_staff_role(staff.staff_role, REPORT_MAKERS)
    rp.check_period(period_from, period_to)
    authority, number = _clean_authority(authority, document_number)
    package_id = ctx.now.strftime("%Y%m%d") + secrets.token_hex(4)
    scope = {"package_id": package_id, "sections": list(rp.SECTIONS), "backlog": backlog,
             "include_reported": include_reported, "cut_off": rp.iso(ctx.now)}  # fmt: skip
    if periodic is not None:
        scope["periodic"] = periodic
    name = rp.package_name(period_from, period_to, package_id)
    path = out_dir / name
    async with db.uow() as uow:
        if first is not None:
            await first(uow)
        opts = {"backlog": backlog, "include_reported": include_reported}
        e_where = report_rows.items_where(
            enforcement_records, enforcement_records.c.created_at, period_from, period_to, **opts
        )
        b_where = report_rows.items_where(blacklist_changes, blacklist_changes.c.at, period_from, period_to, **opts)
        ticket_rows = await report_rows.period_tickets(uow, period_from, period_to)
        sections = [
            rp.section("enforcement_records", await report_rows.enforcement_rows(uow, e_where)),
            rp.section("blacklist_changes", await report_rows.blacklist_rows(uow, b_where)),
            rp.section("review_statistics", await report_rows.review_statistics(uow, period_from, period_to)),
            rp.section("complaint_statistics",
                       [f.as_dict() for f in complaint_figures(report_rows.facts(ticket_rows), now=ctx.now)]),
            rp.section("tickets", [report_rows.ticket_row(r) for r in ticket_rows]),
            rp.section("appeals", await report_rows.appeal_rows(uow, period_from, period_to)),
            rp.section("taxonomy", report_rows.taxonomy_rows()),
        ]  # fmt: skip
        counts = {s.name: len(s.rows) for s in sections}
        data = rp.package_files(sections)
        head = rp.PackageHead(
            package_id=package_id, kind=KIND, authority=authority, document_number=number, period_from=period_from,
            period_to=period_to, generated_at=ctx.now, generator=GENERATOR, key_id=key.key_id, scope=scope,
        )  # fmt: skip
        manifest = rp.build_manifest(head, data, counts)
        signature = key.sign(manifest)
        files = {
            **data,
            rp.MANIFEST: manifest,
            rp.SIGNATURE: (signature + "\n").encode(),
            rp.PUBLIC_KEY: key.public_pem,
        }
        try:
            _write_zip(path, files)
        except OSError as exc:
            log.error("report_package_unwritable", path=str(path), error=exc.__class__.__name__)
            raise Unavailable("The report package cannot be written to the report directory") from exc
        try:
            register_id = (
                await uow.conn.execute(
                    disclosure_register.insert()
                    .values(
                        kind=KIND, authority=authority, document_number=number, scope=scope, period_from=period_from,
                        period_to=period_to, counts=counts, manifest_sha256=rp.sha256_hex(manifest),
                        signature=signature, key_id=key.key_id, file_name=name,
                        created_by=staff.id if staff else None, created_at=ctx.now,
                    )
                    .returning(disclosure_register.c.id)
                )
            ).scalar_one()  # fmt: skip
            carried = {
                enforcement_records: [r["id"] for r in sections[0].rows],
                blacklist_changes: [r["id"] for r in sections[1].rows],
            }
            for table, ids in carried.items():
                marked = await _mark(uow, table, ids, report_id=register_id, now=ctx.now)
                if marked != len(ids) and not include_reported:
                    raise _conflict()
            await _mark(uow, tickets, [r.id for r in ticket_rows], report_id=register_id, now=ctx.now)
            await _mark(uow, appeals, [r["id"] for r in sections[5].rows], report_id=register_id, now=ctx.now)
            await netlog.record(
                uow, ctx, "report.package", Target("disclosure", register_id), actor=staff.id if staff else None,
                authority=authority, period_from=rp.iso(period_from), period_to=rp.iso(period_to), counts=counts,
                manifest_sha256=rp.sha256_hex(manifest), file=name,
            )  # fmt: skip
            row = (
                await uow.conn.execute(select(disclosure_register).where(disclosure_register.c.id == register_id))
            ).one()
            await uow.commit()
        except BaseException:
            path.unlink(missing_ok=True)
            raise
    return _info(row, staff.username if staff else None)


# --- the register, downloads, verification ----------------------------------------------------------------------


async def _creators(uow: UnitOfWork, rows: Sequence[Any]) -> dict[int, str]:
    ids = {r.created_by for r in rows if r.created_by is not None}
    if not ids:
        return {}
    return {
        r.id: r.username
        for r in await uow.conn.execute(select(users.c.id, users.c.username).where(users.c.id.in_(ids)))
    }


async def list_packages(db: Database, *, staff: UserView, limit: int = 200) -> list[PackageInfo]:
    """The disclosure register's packages, newest first (report makers and the regulator role)."""
    require_staff_role(staff.staff_role, REPORT_READERS)
    async with db.uow(write=False) as uow:
        rows = list(
            await uow.conn.execute(
                select(disclosure_register)
                .order_by(disclosure_register.c.created_at.desc(), disclosure_register.c.id.desc())
                .limit(limit)
            )
        )
        names = await _creators(uow, rows)
    return [_info(r, names.get(r.created_by) if r.created_by else None) for r in rows]


def package_not_found() -> NotFound:
    return NotFound("No such report package", code=ErrorCode.PACKAGE_NOT_FOUND)


async def open_package(
    db: Database, *, staff: UserView, register_id: int, out_dir: Path, ctx: Ctx
) -> tuple[PackageInfo, bytes]:
    """A package's bytes for download, recorded as `report.download` (report makers and the regulator role)."""
    require_staff_role(staff.staff_role, REPORT_READERS)
    async with db.uow() as uow:
        row = (
            await uow.conn.execute(select(disclosure_register).where(disclosure_register.c.id == register_id))
        ).one_or_none()
        if row is None:
            raise package_not_found()
        if row.kind == "lawful_request" and staff.staff_role not in LAWFUL_OFFICERS:
            # an answer to one authority (identities revealed, maybe) goes to it through the officers, not to every
            # regulator: the register lists it, the download is theirs (services/lawful_answer.py)
            raise package_not_found()
        try:
            data = (out_dir / row.file_name).read_bytes()
        except OSError:
            raise QunzuError(
                "The package file is no longer in the report directory", code=ErrorCode.PACKAGE_FILE_MISSING,
                details={"file": row.file_name},
            ) from None  # fmt: skip
        await netlog.record(
            uow, ctx, "report.download", Target("disclosure", register_id), actor=staff.id, file=row.file_name,
            manifest_sha256=row.manifest_sha256,
        )  # fmt: skip
        names = await _creators(uow, [row])
        await uow.commit()
    return _info(row, names.get(row.created_by) if row.created_by else None), data


def verify_package(path: Path, *, trusted_key_ids: Collection[str] = ()) -> list[str]:
    """Every problem with a package file, worst first ([] = it verifies). With `trusted_key_ids`, a package signed
    by any other key fails too (a package can carry a key of its own making)."""
    try:
        with zipfile.ZipFile(path) as zf:
            contents = {info.filename: zf.read(info) for info in zf.infolist() if not info.is_dir()}
    except (OSError, zipfile.BadZipFile) as exc:
        return [f"{path.name}: not a readable zip ({exc.__class__.__name__})"]
    meta = {name: contents.pop(name, None) for name in rp.META_FILES}
    problems = rp.verify_manifest(contents, meta[rp.MANIFEST], meta[rp.SIGNATURE], meta[rp.PUBLIC_KEY])
    if not problems and trusted_key_ids:
        from cryptography.hazmat.primitives.serialization import load_pem_public_key

        key = load_pem_public_key(meta[rp.PUBLIC_KEY] or b"")
        kid = rp.key_id(key)  # type: ignore[arg-type]
        if kid not in trusted_key_ids:
            problems.append(f"{rp.PUBLIC_KEY}: key {kid} is not this deployment's report-signing key")
    return problems


# --- supervision figures -----------------------------------------------------------------------------------------


async def figures(
    db: Database, *, staff: UserView | None, period_from: datetime, period_to: datetime, now: datetime
) -> list[FigureRow]:
    """The complaint supervision figures of the tickets received in [from, to), by month and category (R-12.1-3)."""
    if staff is not None:
        require_staff_role(staff.staff_role, FIGURE_READERS)
    rp.check_period(period_from, period_to)
    async with db.uow(write=False) as uow:
        found = await report_rows.period_tickets(uow, period_from, period_to)
    return complaint_figures(report_rows.facts(found), now=now)


async def ticket_list(
    db: Database,
    *,
    staff: UserView,
    period_from: datetime,
    period_to: datetime,
    category: str | None = None,
    handled: bool | None = None,
) -> list[dict[str, Any]]:
    """The tickets received in [from, to) behind the figures, oldest first, with their timestamps (R-12.1-3):
    optionally of one category, and only the handled (decided) or only the open ones."""
    require_staff_role(staff.staff_role, FIGURE_READERS)
    rp.check_period(period_from, period_to)
    async with db.uow(write=False) as uow:
        found = await report_rows.period_tickets(uow, period_from, period_to)
    out = []
    for r in found:
        decided = r.decided_at is not None and r.status in ("upheld", "rejected")
        if (category is not None and r.category != category) or (handled is not None and decided != handled):
            continue
        row = report_rows.ticket_row(r)
        row["id"] = r.id
        row["seconds"] = (r.decided_at - r.received_at).total_seconds() if decided else None
        out.append(row)
    return out


async def unreported_counts(db: Database) -> dict[str, int]:
    """How many report items no package carried yet (the console shows it beside the form)."""
    async with db.uow(write=False) as uow:
        out = {}
        for name, table in (("enforcement_records", enforcement_records), ("blacklist_changes", blacklist_changes)):
            out[name] = (
                await uow.conn.execute(select(func.count()).select_from(table).where(table.c.reported_at.is_(None)))
            ).scalar_one()
    return out
