"""Issuing and revoking regulators' inspection access (R-3-1): a `regulator` staff account per named official,
with the scope of `regulator_scopes` (groups, categories, a region, the window of records shown) and an expiry.

Administrators issue it; the initial password is generated and returned once (the official changes it, or asks for
a new access). Revoking ends the access at once: its sessions are revoked too, and the token check refuses the rest
(services/inspection_scope.py). Each step is an operation record (`regulator.create`, `regulator.revoke`).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update

from qunzu import netlog
from qunzu.context import Ctx
from qunzu.domain.accounts import StaffRole
from qunzu.domain.groupcode import parse_group_code
from qunzu.domain.inspection import check_scope_spec
from qunzu.domain.staff import REGULATOR_ISSUERS, require_staff_role
from qunzu.errors import Conflict, ErrorCode, NotFound, QunzuError
from qunzu.netlog import Target
from qunzu.services.accounts import register_user
from qunzu.services.passwords import Passwords
from qunzu.services.views import UserView
from qunzu.storage.tables import auth_tokens, groups, regulator_scopes, users
from qunzu.storage.uow import Database


@dataclass(frozen=True, slots=True)
class RegulatorSpec:
    username: str
    official_name: str
    organisation: str
    document_number: str | None
    group_codes: Sequence[str]
    categories: Sequence[str]
    region: str | None
    window_from: datetime
    window_to: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class RegulatorView:
    user_id: int
    username: str
    official_name: str
    organisation: str
    document_number: str | None
    group_ids: list[int]
    categories: list[str]
    region: str | None
    window_from: datetime
    window_to: datetime
    expires_at: datetime
    created_at: datetime
    revoked_at: datetime | None

    def current(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now


@dataclass(frozen=True, slots=True)
class IssuedRegulator:
    regulator: RegulatorView
    password: str  # shown once, to the administrator who issued the access


async def _group_ids(db: Database, codes: Sequence[str]) -> list[int]:
    out: list[int] = []
    async with db.uow(write=False) as uow:
        for raw in codes:
            try:
                code = parse_group_code(raw)
            except QunzuError:
                raise NotFound("No such group", code=ErrorCode.GROUP_NOT_FOUND,
                               details={"field": "group_codes", "value": raw[:20]}) from None  # fmt: skip
            gid = (await uow.conn.execute(select(groups.c.id).where(groups.c.code == code))).scalar_one_or_none()
            if gid is None:
                raise NotFound("No such group", code=ErrorCode.GROUP_NOT_FOUND,
                               details={"field": "group_codes", "value": raw[:20]})  # fmt: skip
            out.append(int(gid))
    return sorted(set(out))


async def create_regulator(
    db: Database,
    passwords: Passwords,
    *,
    staff: UserView | None,
    spec: RegulatorSpec,
    known_categories: Sequence[str],
    ctx: Ctx,
    password: str | None = None,
    password_min_length: int = 8,
    password_min_score: int = 3,
) -> IssuedRegulator:
    """Issue an access: the account (role regulator, a generated password unless the CLI's operator typed one) and
    its scope. `staff` None: the CLI.

    The scope is checked before the account exists; an account whose scope row is missing opens nothing."""
    if staff is not None:
        require_staff_role(staff.staff_role, REGULATOR_ISSUERS)
    check_scope_spec(
        official_name=spec.official_name, organisation=spec.organisation, group_ids=list(spec.group_codes),
        categories=list(spec.categories), known_categories=known_categories, window_from=spec.window_from,
        window_to=spec.window_to, expires_at=spec.expires_at, now=ctx.now,
    )  # fmt: skip
    group_ids = await _group_ids(db, spec.group_codes)
    generated = password is None
    password = secrets.token_urlsafe(12) if password is None else password
    account = await register_user(
        db, passwords, username=spec.username, password=password, nickname=spec.official_name.strip()[:20],
        ctx=ctx, password_min_length=password_min_length, password_min_score=0 if generated else password_min_score,
        staff_role=StaffRole.REGULATOR,
    )  # fmt: skip
    async with db.uow() as uow:
        await uow.conn.execute(
            insert(regulator_scopes).values(
                user_id=account.id, official_name=spec.official_name.strip()[:100],
                organisation=spec.organisation.strip()[:200], document_number=spec.document_number or None,
                group_ids=group_ids, categories=sorted(set(spec.categories)), region=spec.region or None,
                window_from=spec.window_from, window_to=spec.window_to, expires_at=spec.expires_at,
                created_by=staff.id if staff else None, created_at=ctx.now,
            )
        )  # fmt: skip
        await netlog.record(
            uow, ctx, "regulator.create", Target.user(account.id), actor=staff.id if staff else None,
            official_name=spec.official_name.strip()[:100], organisation=spec.organisation.strip()[:200],
            document_number=spec.document_number, group_ids=group_ids, categories=sorted(set(spec.categories)),
            region=spec.region, window_from=spec.window_from.isoformat(), window_to=spec.window_to.isoformat(),
            expires_at=spec.expires_at.isoformat(),
        )  # fmt: skip
        await uow.commit()
    return IssuedRegulator(regulator=(await _views(db, user_id=account.id))[0], password=password)


async def revoke_regulator(db: Database, *, staff: UserView | None, user_id: int, ctx: Ctx) -> RegulatorView:
    """End an access now: the scope is marked revoked and every session of the account is revoked with it.

    The caller evicts the account from its token cache (other processes see it within the cache's seconds, and the
    per-request check refuses it at once anyway)."""
    if staff is not None:
        require_staff_role(staff.staff_role, REGULATOR_ISSUERS)
    if not 1 <= user_id < 2**63:
        raise NotFound("No such regulator")
    async with db.uow() as uow:
        done = await uow.conn.execute(
            update(regulator_scopes)
            .where(regulator_scopes.c.user_id == user_id, regulator_scopes.c.revoked_at.is_(None))
            .values(revoked_at=ctx.now, revoked_by=staff.id if staff else None)
        )
        if done.rowcount != 1:
            exists = (
                await uow.conn.execute(select(regulator_scopes.c.user_id).where(regulator_scopes.c.user_id == user_id))
            ).first()
            if exists is None:
                raise NotFound("No such regulator")
            raise Conflict("This access was revoked already", code=ErrorCode.ALREADY_DECIDED)
        await uow.conn.execute(
            update(auth_tokens)
            .where(auth_tokens.c.user_id == user_id, auth_tokens.c.revoked_at.is_(None))
            .values(revoked_at=ctx.now)
        )
        await netlog.record(uow, ctx, "regulator.revoke", Target.user(user_id), actor=staff.id if staff else None)
        await uow.commit()
    return (await _views(db, user_id=user_id))[0]


async def list_regulators(db: Database, *, staff: UserView | None) -> list[RegulatorView]:
    """Every access issued, newest first (expired and revoked ones stay on record)."""
    if staff is not None:
        require_staff_role(staff.staff_role, REGULATOR_ISSUERS)
    return await _views(db)


async def _views(db: Database, *, user_id: int | None = None) -> list[RegulatorView]:
    stmt = (
        select(regulator_scopes, users.c.username)
        .join(users, users.c.id == regulator_scopes.c.user_id)
        .order_by(regulator_scopes.c.created_at.desc(), regulator_scopes.c.user_id.desc())
    )
    if user_id is not None:
        stmt = stmt.where(regulator_scopes.c.user_id == user_id)
    async with db.uow(write=False) as uow:
        rows = (await uow.conn.execute(stmt)).all()
    return [
        RegulatorView(
            user_id=r.user_id, username=r.username, official_name=r.official_name, organisation=r.organisation,
            document_number=r.document_number, group_ids=list(r.group_ids or []), categories=list(r.categories or []),
            region=r.region, window_from=r.window_from, window_to=r.window_to, expires_at=r.expires_at,
            created_at=r.created_at, revoked_at=r.revoked_at,
        )
        for r in rows
    ]  # fmt: skip
