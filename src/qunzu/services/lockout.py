"""Account lockout: consecutive failed sign-ins lock an account for a growing period, and its owner is told.

Failures are counted per normalised username whether or not an account has that name (table `login_failures`),
so the answers, and when they turn into "locked", are the same for a name that exists and one that does not. Only
for a real account does the lock also leave a notice (and an SMS to a verified mobile number); the caller cannot
see either. The lock, its operation-log record and the notice are written in one transaction; the SMS leaves after
the commit, without the request waiting for it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from qunzu import netlog
from qunzu.context import Ctx
from qunzu.domain import identity as id_rules
from qunzu.domain.throttle import FailureState, locked_for, mask_ip, record_failure
from qunzu.errors import ErrorCode
from qunzu.i18n import lockout_sms_text
from qunzu.netlog import Target
from qunzu.services.identity import keep_in_outbox
from qunzu.services.notices import ACCOUNT_LOCKED, add_notice
from qunzu.services.throttle import Throttle
from qunzu.services.verifiers import SmsSender
from qunzu.storage.crypto import KeyRing
from qunzu.storage.tables import identities, login_failures
from qunzu.storage.uow import Database, UnitOfWork

log = structlog.get_logger(__name__)


def _state(row: Any) -> FailureState | None:
    if row is None:
        return None
    return FailureState(
        failures=row.failures,
        lock_level=row.lock_level,
        locked_until=row.locked_until,
        last_failure_at=row.last_failure_at,
    )


async def lock_remaining(db: Database, *, username: str | None, now: datetime) -> timedelta | None:
    """How much longer sign-in to `username` is locked (None: not locked)."""
    if username is None:
        return None
    async with db.uow(write=False) as uow:
        row = (
            await uow.conn.execute(select(login_failures).where(login_failures.c.username == username))
        ).one_or_none()
    return locked_for(_state(row), now=now)


async def _locked_row(uow: UnitOfWork, username: str, now: datetime) -> Any:
    """The failure row of `username`, created if missing, locked for this transaction."""
    make = pg_insert if uow.dialect == "postgresql" else sqlite_insert
    await uow.conn.execute(
        make(login_failures)
        .values(username=username, failures=0, lock_level=0, last_failure_at=now)
        .on_conflict_do_nothing(index_elements=["username"])
    )
    stmt = select(login_failures).where(login_failures.c.username == username).with_for_update()
    return (await uow.conn.execute(stmt)).one()


async def note_failure(
    db: Database,
    throttle: Throttle,
    sms: SmsSender,
    keys: KeyRing,
    *,
    username: str | None,
    user_id: int | None,
    notify: bool,
    ctx: Ctx,
) -> timedelta | None:
    """Record a refused sign-in; lock the name at the threshold. Returns how long it is locked now (None: not).

    `user_id` is the account of that name, if any (for the record); `notify` whether its owner hears of a lock."""
    sms_job: tuple[str, str] | None = None
    remaining: timedelta | None = None
    async with db.uow() as uow:
        await netlog.record(
            uow, ctx, "auth.login", Target.user(username), actor=user_id, result="refused",
            error_code=ErrorCode.INVALID_CREDENTIALS.value,
        )  # fmt: skip
        if username is not None:
            before = _state(await _locked_row(uow, username, ctx.now))
            after, locked_now = record_failure(before, now=ctx.now, policy=throttle.lockout)
            await uow.conn.execute(
                update(login_failures)
                .where(login_failures.c.username == username)
                .values(
                    failures=after.failures,
                    lock_level=after.lock_level,
                    locked_until=after.locked_until,
                    last_failure_at=after.last_failure_at,
                )
            )
            remaining = locked_for(after, now=ctx.now)
            if locked_now:
                assert after.locked_until is not None
                sms_job = await _record_lock(
                    uow,
                    sms,
                    keys,
                    username=username,
                    user_id=user_id,
                    notify=notify,
                    state=after,
                    ctx=ctx,
                    threshold=throttle.lockout.threshold,
                )
        await uow.commit()
    if sms_job is not None:
        throttle.after_response(_send_quietly(sms, *sms_job))
    return remaining


async def _record_lock(
    uow: UnitOfWork,
    sms: SmsSender,
    keys: KeyRing,
    *,
    username: str,
    user_id: int | None,
    notify: bool,
    state: FailureState,
    ctx: Ctx,
    threshold: int,
) -> tuple[str, str] | None:
    """The lock's operation-log record, and for a real account its notice; the SMS to send after commit, if any."""
    assert state.locked_until is not None
    failures = threshold
    await netlog.record(
        uow,
        ctx,
        "auth.lockout",
        Target.user(username),
        actor=user_id,
        failures=failures,
        lock_level=state.lock_level,
        locked_until=state.locked_until.isoformat(),
    )
    if user_id is None or not notify:
        return None
    masked_ip = mask_ip(ctx.ip)
    details = {"failures": failures, "ip": masked_ip, "locked_until": state.locked_until.isoformat()}
    await add_notice(uow, user_id=user_id, kind=ACCOUNT_LOCKED, details=details, now=ctx.now)
    ident = (
        await uow.conn.execute(
            select(identities.c.phone_ct, identities.c.phone_verified_at).where(identities.c.user_id == user_id)
        )
    ).one_or_none()
    if ident is None or ident.phone_ct is None or ident.phone_verified_at is None:
        return None
    e164 = keys.decrypt(ident.phone_ct, aad=f"identities.phone:{user_id}")
    text = lockout_sms_text(failures=failures, ip=masked_ip, at=ctx.now, until=state.locked_until)
    if sms.keeps_outbox:
        await keep_in_outbox(uow, keys, user_id=user_id, e164=e164, text=text, now=ctx.now)
    return e164, text


async def _send_quietly(sms: SmsSender, e164: str, text: str) -> None:
    try:
        await sms.send(e164, text)
    except Exception as exc:  # the lock stands and the notice is on the account page; a lost SMS is only logged
        log.warning("lockout_sms_failed", phone=id_rules.mask_phone(e164), error=type(exc).__name__)


async def clear_failures(uow: UnitOfWork, *, username: str, now: datetime) -> timedelta | None:
    """At a successful sign-in: forget the failures, unless a lock began meanwhile (then how long it lasts)."""
    stmt = select(login_failures).where(login_failures.c.username == username).with_for_update()
    remaining = locked_for(_state((await uow.conn.execute(stmt)).one_or_none()), now=now)
    if remaining is None:
        await uow.conn.execute(delete(login_failures).where(login_failures.c.username == username))
    return remaining


async def purge_forgotten_failures(db: Database, *, now: datetime, forget_after: timedelta, limit: int = 100) -> int:
    """Delete up to `limit` failure rows that no longer count: not locked, and no failure for `forget_after`
    (`record_failure` would start afresh from them, exactly as from no row). Returns how many were deleted."""
    stale = (
        select(login_failures.c.username)
        .where(login_failures.c.last_failure_at < now - forget_after)
        .where((login_failures.c.locked_until.is_(None)) | (login_failures.c.locked_until <= now))
        .order_by(login_failures.c.last_failure_at)
        .limit(limit)
    )
    async with db.uow() as uow:
        names = [r.username for r in await uow.conn.execute(stale)]
        if names:
            await uow.conn.execute(delete(login_failures).where(login_failures.c.username.in_(names)))
        await uow.commit()
    return len(names)
