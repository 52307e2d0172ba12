"""The answer to an approved lawful request (R-13.1-1): a signed package, listed in the disclosure register.

The package has the enforcement reports' format (domain/reports.py: each section as JSON Lines and CSV, a manifest
signed with the deployment's Ed25519 key, the public key) with the kind `lawful_request`, so `qunzu report verify`
checks it as it checks a report. Its sections (columns in domain/lawful_requests.py), all within the request's
period [from, to):

- `request`: the request itself, with its scope and the second officer's decision;
- `members`: each scoped group's membership events (joins, leaves, removals, role changes) from the operation log,
  then the members at the end of the period (`row` = `member_at_end`, worked back from today's members and the
  events since);
- `messages`: the scoped groups' messages, the scoped accounts' messages anywhere, and messages sent from a scoped
  address — deleted and held ones included, with their state and who deleted them;
- `operations`: the operation records of the scoped groups, of the scoped accounts (made by them or about them) and
  from the scoped addresses, session events apart;
- `sessions`: sign-in (refused ones too), sign-out, lockout and WebSocket connect/disconnect records of the scoped
  accounts, of everyone who was a member of a scoped group during the period, and from the scoped addresses — each
  with IP and port;
- `identities`: the verification record of the scoped accounts and of whoever owned a scoped group during the
  period (today's owner worked back through the transfers) — level, methods, times — with phone, name and ID
  number masked; revealed only when the request covers identity, and then each revealed identity is an entry in
  the personal-data access record (purpose "lawful request", the document number as the case), written in the same
  transaction.

In one transaction: read, build, sign, write the zip to the report directory, insert the register entry (kind
`lawful_request`, `approved_by` the deciding officer), set the request `answered`, record `lawful.answer`. If the
transaction fails after the file was written, the file is removed; two answers built at once: one is refused.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import and_, false, or_, select, update

from qunzu import netlog
from qunzu.context import Ctx
from qunzu.domain import identity as id_rules
from qunzu.domain import lawful_requests as lr
from qunzu.domain import reports as rp
from qunzu.domain.staff import LAWFUL_OFFICERS, require_staff_role
from qunzu.errors import ErrorCode, QunzuError, Unavailable
from qunzu.netlog import Target
from qunzu.services import pii_access
from qunzu.services.identity.standing import aad
from qunzu.services.lawful_requests import load_request
from qunzu.services.report_keys import SigningKey
from qunzu.services.report_package import GENERATOR, PackageInfo, _creators, _info, _write_zip
from qunzu.services.views import UserView
from qunzu.storage.crypto import KeyRing
from qunzu.storage.tables import (
    disclosure_register,
    groups,
    identities,
    lawful_requests,
    memberships,
    messages,
    operation_log,
    users,
    verifications,
)
from qunzu.storage.uow import Database, UnitOfWork

log = structlog.get_logger(__name__)
IDENTITY_FIELDS = ("phone", "name", "id_number")
MASKS = {"phone": id_rules.mask_phone, "name": id_rules.mask_name, "id_number": id_rules.mask_id_number}


def section(name: str, rows: Sequence[dict[str, Any]]) -> rp.Section:
    """A section in its columns' order; a row with other keys is a bug."""
    columns = lr.SECTIONS[name]
    for row in rows:
        if set(row) != set(columns):
            raise ValueError(f"{name}: a row's keys differ from the columns: {sorted(set(row) ^ set(columns))}")
    return rp.Section(name, columns, [{c: row[c] for c in columns} for row in rows])


def _address_clause(table: Any, addresses: Iterable[dict[str, Any]]) -> Any:
    parts = [
        and_(table.c.src_ip == a["ip"], table.c.src_port == a["port"]) if a.get("port") else table.c.src_ip == a["ip"]
        for a in addresses
    ]
    return or_(*parts) if parts else false()


def _in(column: Any, ids: Iterable[Any]) -> Any:
    values = sorted(set(ids))
    return column.in_(values) if values else false()


def _log_row(r: Any) -> dict[str, Any]:
    return {c: getattr(r, c) for c in lr.LOG_COLUMNS}


async def _names(uow: UnitOfWork, ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = await uow.conn.execute(select(users.c.id, users.c.username).where(users.c.id.in_(wanted)))
    return {r.id: r.username for r in rows}


async def _members(uow: UnitOfWork, req: Any) -> tuple[list[dict[str, Any]], set[int], set[int]]:
    """The membership rows of the scoped groups, everyone who was a member during the period, and everyone who
    owned one of the groups during it."""
    out: list[dict[str, Any]] = []
    present: set[int] = set()
    owners: set[int] = set()
    lo, hi = req.period_from, req.period_to
    for g in req.scope.get("groups", []):
        events = list(
            await uow.conn.execute(
                select(operation_log)
                .where(operation_log.c.group_id == g["id"], operation_log.c.action.in_(lr.MEMBERSHIP_ACTIONS),
                       operation_log.c.ts >= lo)
                .order_by(operation_log.c.ts, operation_log.c.id)
            )
        )  # fmt: skip
        subjects = [(e, lr.membership_subject(e.action, e.actor_id, e.target_type, e.target_id)) for e in events]
        owner = (await uow.conn.execute(select(groups.c.owner_id).where(groups.c.id == g["id"]))).scalar_one()
        transfers = [
            (e.ts, _int((e.details or {}).get("previous_owner"))) for e in events if e.action == "group.transfer"
        ]
        owners |= lr.owners_during(owner, transfers, lo, hi)
        current = {
            r.user_id: (r.joined_at, r.role)
            for r in await uow.conn.execute(select(memberships).where(memberships.c.group_id == g["id"]))
        }
        joined = {u: at for u, (at, _) in current.items()}
        after = [(e.action, s) for e, s in subjects if s is not None and e.ts >= hi]
        at_end = lr.members_at(joined, after, hi)
        at_start = lr.members_at(joined, [(e.action, s) for e, s in subjects if s is not None], lo)
        during = [(e, s) for e, s in subjects if e.ts < hi]
        present |= at_end | at_start | {s for _, s in during if s is not None}
        names = await _names(uow, [*at_end, *(s for _, s in during if s is not None)])
        for e, s in during:
            out.append({
                "group_id": g["id"], "group_code": g["code"], "row": "event", "at": e.ts, "user_id": s,
                "username": names.get(s) if s else None, "action": e.action, "actor_id": e.actor_id,
                "role": (e.details or {}).get("role"), "src_ip": e.src_ip, "src_port": e.src_port,
                "details": e.details,
            })  # fmt: skip
        for u in sorted(at_end):
            out.append({
                "group_id": g["id"], "group_code": g["code"], "row": "member_at_end", "at": hi, "user_id": u,
                "username": names.get(u), "action": None, "actor_id": None,
                "role": current[u][1] if u in current and current[u][0] < hi else None, "src_ip": None,
                "src_port": None, "details": None,
            })  # fmt: skip
    return out, present, owners


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


async def _messages(uow: UnitOfWork, req: Any, group_ids: list[int], user_ids: list[int]) -> list[dict[str, Any]]:
    rows = await uow.conn.execute(
        select(messages, groups.c.code.label("group_code"))
        .join(groups, groups.c.id == messages.c.group_id)
        .where(messages.c.created_at >= req.period_from, messages.c.created_at < req.period_to,
               or_(_in(messages.c.group_id, group_ids), _in(messages.c.sender_id, user_ids),
                   _address_clause(messages, req.scope.get("addresses", []))))
        .order_by(messages.c.created_at, messages.c.id)
    )  # fmt: skip
    return [
        {
            "id": r.id, "group_id": r.group_id, "group_code": r.group_code, "seq": r.seq, "sender_id": r.sender_id,
            "sender_nickname": r.sender_nickname, "text": r.text, "created_at": r.created_at, "src_ip": r.src_ip,
            "src_port": r.src_port, "review_state": r.review_state, "deleted": r.deleted_at is not None,
            "deleted_at": r.deleted_at, "deleted_by": r.deleted_by, "delete_reason": r.delete_reason,
        }
        for r in rows
    ]  # fmt: skip


async def _log(uow: UnitOfWork, req: Any, *where: Any) -> list[dict[str, Any]]:
    rows = await uow.conn.execute(
        select(operation_log)
        .where(operation_log.c.ts >= req.period_from, operation_log.c.ts < req.period_to, *where)
        .order_by(operation_log.c.ts, operation_log.c.id)
    )
    return [_log_row(r) for r in rows]


async def _identities(
    uow: UnitOfWork, keys: KeyRing, req: Any, *, user_ids: list[int], owners: set[int]
) -> tuple[list[dict[str, Any]], dict[int, list[str]]]:
    """The verification records of the accounts and owners, masked or revealed; and, when revealed, the fields
    shown per user."""
    relation: dict[int, list[str]] = {u: ["account"] for u in user_ids}
    for owner in owners:
        relation.setdefault(owner, []).append("owner")
    reveal = bool(req.scope.get("include_identity"))
    rows, revealed = [], {}
    for user_id in sorted(relation):
        account = (await uow.conn.execute(select(users.c.username).where(users.c.id == user_id))).first()
        ident = (await uow.conn.execute(select(identities).where(identities.c.user_id == user_id))).first()
        history = await uow.conn.execute(
            select(verifications).where(verifications.c.user_id == user_id).order_by(verifications.c.created_at)
        )
        values: dict[str, str | None] = {}
        for f in IDENTITY_FIELDS:
            ct = getattr(ident, f"{f}_ct") if ident is not None else None
            plain = keys.decrypt(ct, aad=aad(f, user_id)) if ct else None
            values[f] = plain if reveal or plain is None else MASKS[f](plain)
        shown = [f for f in IDENTITY_FIELDS if values[f] is not None]
        if reveal and shown:
            revealed[user_id] = shown
        rows.append({
            "user_id": user_id, "username": account.username if account else None,
            "relation": "+".join(relation[user_id]), "level": ident.level if ident else 0, **values,
            "revealed": reveal and bool(shown), "phone_verified_at": ident.phone_verified_at if ident else None,
            "id_verified_at": ident.id_verified_at if ident else None, "lapsed_at": ident.lapsed_at if ident else None,
            "methods": [{"level": v.level, "method": v.method, "result": v.result, "at": v.created_at}
                        for v in history],
        })  # fmt: skip
    return rows, revealed


async def answer_request(
    db: Database,
    keys: KeyRing,
    *,
    staff: UserView | None,
    request_id: int,
    key: SigningKey,
    out_dir: Path,
    ctx: Ctx,
) -> PackageInfo:
    """Build, sign and register the answer to an approved request, and mark it answered (one transaction).
    `staff` None: an operator command, acting for the officer who approved the request."""
    if staff is not None:
        require_staff_role(staff.staff_role, LAWFUL_OFFICERS)
    package_id = ctx.now.strftime("%Y%m%d") + secrets.token_hex(4)
    async with db.uow() as uow:
        req = await load_request(uow, request_id, lock=True)
        lr.check_answerable(req.status)
        scope = dict(req.scope)
        group_ids = [g["id"] for g in scope.get("groups", [])]
        user_ids = [u["id"] for u in scope.get("accounts", [])]
        addresses = scope.get("addresses", [])
        member_rows, present, owners = await _members(uow, req)
        ops_where = or_(
            _in(operation_log.c.group_id, group_ids), _in(operation_log.c.actor_id, user_ids),
            and_(operation_log.c.target_type == "user", _in(operation_log.c.target_id, map(str, user_ids))),
            _address_clause(operation_log, addresses),
        )  # fmt: skip
        session_where = or_(_in(operation_log.c.actor_id, [*user_ids, *present]),
                            _address_clause(operation_log, addresses))  # fmt: skip
        identity_rows, revealed = await _identities(uow, keys, req, user_ids=user_ids, owners=owners)
        request_row = {
            "id": req.id, "authority": req.authority, "document_number": req.document_number,
            "legal_basis": req.legal_basis, "reason": req.reason, "period_from": req.period_from,
            "period_to": req.period_to, "groups": scope.get("groups", []), "accounts": scope.get("accounts", []),
            "addresses": addresses, "include_identity": bool(scope.get("include_identity")),
            "requested_by": req.requested_by, "requested_at": req.requested_at, "decided_by": req.decided_by,
            "decided_at": req.decided_at, "decision_reason": req.decision_reason,
        }  # fmt: skip
        sections = [
            section("request", [request_row]),
            section("members", member_rows),
            section("messages", await _messages(uow, req, group_ids, user_ids)),
            section("operations", await _log(uow, req, operation_log.c.action.not_in(lr.SESSION_ACTIONS), ops_where)),
            section("sessions", await _log(uow, req, operation_log.c.action.in_(lr.SESSION_ACTIONS), session_where)),
            section("identities", identity_rows),
        ]
        counts = {s.name: len(s.rows) for s in sections}
        register_scope = {"package_id": package_id, "sections": list(lr.SECTIONS), "request_id": req.id,
                          "legal_basis": req.legal_basis, **scope}  # fmt: skip
        data = rp.package_files(sections)
        head = rp.PackageHead(
            package_id=package_id, kind=lr.KIND, authority=req.authority, document_number=req.document_number,
            period_from=req.period_from, period_to=req.period_to, generated_at=ctx.now, generator=GENERATOR,
            key_id=key.key_id, scope=register_scope,
        )  # fmt: skip
        manifest = rp.build_manifest(head, data, counts)
        signature = key.sign(manifest)
        name = rp.package_name(req.period_from, req.period_to, package_id).replace("qunzu-report-", "qunzu-lawful-")
        path = out_dir / name
        try:
            _write_zip(path, {**data, rp.MANIFEST: manifest, rp.SIGNATURE: (signature + "\n").encode(),
                              rp.PUBLIC_KEY: key.public_pem})  # fmt: skip
        except OSError as exc:
            log.error("lawful_package_unwritable", path=str(path), error=exc.__class__.__name__)
            raise Unavailable("The answer's package cannot be written to the report directory") from exc
        try:
            actor = staff.id if staff is not None else req.decided_by
            register_id = (
                await uow.conn.execute(
                    disclosure_register.insert()
                    .values(
                        kind=lr.KIND, authority=req.authority, document_number=req.document_number,
                        scope=register_scope, period_from=req.period_from, period_to=req.period_to, counts=counts,
                        manifest_sha256=rp.sha256_hex(manifest), signature=signature, key_id=key.key_id,
                        file_name=name, created_by=staff.id if staff else None, approved_by=req.decided_by,
                        created_at=ctx.now,
                    )
                    .returning(disclosure_register.c.id)
                )
            ).scalar_one()  # fmt: skip
            changed = await uow.conn.execute(
                update(lawful_requests)
                .where(lawful_requests.c.id == req.id, lawful_requests.c.status == lr.APPROVED)
                .values(status=lr.ANSWERED, register_id=register_id, answered_at=ctx.now)
            )
            if changed.rowcount != 1:
                raise QunzuError("This request was answered meanwhile", code=ErrorCode.LAWFUL_REQUEST_NOT_APPROVED,
                                 details={"status": lr.ANSWERED})  # fmt: skip
            role = staff.staff_role if staff is not None else await _role(uow, actor)
            for user_id, shown in revealed.items():
                await pii_access.append_record(
                    uow, staff_id=actor, staff_role=role or "", subject_user_id=user_id, fields=shown,
                    purpose=lr.PURPOSE, case_number=req.document_number[:64], ctx=ctx,
                )  # fmt: skip
            await netlog.record(
                uow, ctx, "lawful.answer", Target("lawful_request", req.id), actor=staff.id if staff else None,
                register_id=register_id, document_number=req.document_number, counts=counts,
                revealed=sorted(revealed), manifest_sha256=rp.sha256_hex(manifest), file=name,
            )  # fmt: skip
            row = (
                await uow.conn.execute(select(disclosure_register).where(disclosure_register.c.id == register_id))
            ).one()
            names = await _creators(uow, [row])
            await uow.commit()
        except BaseException:
            path.unlink(missing_ok=True)
            raise
    return _info(row, names.get(row.created_by) if row.created_by else None)


async def _role(uow: UnitOfWork, user_id: int) -> str | None:
    return (await uow.conn.execute(select(users.c.staff_role).where(users.c.id == user_id))).scalar_one_or_none()
