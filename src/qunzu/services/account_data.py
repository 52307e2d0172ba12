"""The user's own data: nickname changes, export, account cancellation (PIPL rights; D9)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update

from qunzu import netlog
from qunzu.context import Ctx
from qunzu.domain.accounts import CANCELLED_NICKNAME, KEEP_AFTER_CANCELLATION_DAYS, check_nickname
from qunzu.domain.emergency import Action
from qunzu.domain.roles import GroupRole
from qunzu.errors import Conflict, ErrorCode
from qunzu.netlog import Target
from qunzu.services import credit, emergency
from qunzu.services import documents as docs
from qunzu.services.accounts import TokenCache, user_view
from qunzu.services.events import MembershipChanged, SessionsEnded
from qunzu.services.identity import my_identity, release_identity
from qunzu.services.passwords import Passwords
from qunzu.services.review import queue_item
from qunzu.services.views import UserView
from qunzu.storage.crypto import KeyRing
from qunzu.storage.tables import auth_tokens, groups, memberships, messages, role_offers, users
from qunzu.storage.uow import Database

KEEP_AFTER_CANCELLATION = timedelta(days=KEEP_AFTER_CANCELLATION_DAYS)


async def change_nickname(
    db: Database,
    tokens: TokenCache,
    *,
    actor: int,
    nickname: str,
    reserved: list[str],
    max_length: int,
    ctx: Ctx,
    screen: Callable[[str, str], Any] | None = None,
) -> UserView:
    """Correct the nickname; it is checked again like at registration (S16), content review included."""
    await emergency.gate(db, Action.PROFILE, actor=actor)  # read_only stops it (R-5.1-4)
    nick = check_nickname(nickname, max_length=max_length, reserved=reserved)
    verdict = screen(nick, "nickname") if screen is not None else None
    async with db.uow() as uow:
        old = (await uow.conn.execute(select(users.c.nickname).where(users.c.id == actor))).scalar_one()
        row = (
            await uow.conn.execute(update(users).where(users.c.id == actor).values(nickname=nick).returning(users))
        ).one()
        await netlog.record(uow, ctx, "account.nickname", Target.user(actor), actor=actor, old=old, new=nick)
        if verdict is not None:
            await queue_item(
                uow, kind="nickname", target_id=actor, author_id=actor, text=nick, verdict=verdict, now=ctx.now
            )
        await uow.commit()
    tokens.evict_user(actor)
    return user_view(row)


async def export_my_data(db: Database, keys: KeyRing, *, actor: int) -> dict[str, Any]:
    """Everything Qunzu holds about the user, as JSON: profile, identity (masked), groups, messages, consents, log."""
    ident = await my_identity(db, keys, actor=actor)
    async with db.uow(write=False) as uow:
        user = (await uow.conn.execute(select(users).where(users.c.id == actor))).one()
        groups_rows = await uow.conn.execute(
            select(groups.c.code, groups.c.name, memberships.c.role, memberships.c.joined_at)
            .join(memberships, memberships.c.group_id == groups.c.id)
            .where(memberships.c.user_id == actor)
        )
        msg_rows = await uow.conn.execute(
            select(groups.c.code, messages.c.seq, messages.c.text, messages.c.created_at, messages.c.deleted_at)
            .join(groups, groups.c.id == messages.c.group_id)
            .where(messages.c.sender_id == actor)
            .order_by(messages.c.id)
        )
        log_rows = await netlog.records_of(uow, actor=actor)
        credit_rows = await credit.ledger(uow, actor)
        export = {
            "account": {
                "id": user.id,
                "username": user.username,
                "nickname": user.nickname,
                "created_at": user.created_at,
                "registration_ip": user.reg_ip,
                "last_login_at": user.last_login_at,
                "last_login_ip": user.last_login_ip,
            },
            "identity": {
                "level": ident.level,
                "phone": ident.phone,
                "name": ident.name,
                "id_number": ident.id_number,
                "verifications": ident.methods,
                "note": "Personal data is shown masked, as everywhere in Qunzu (R-6.1-3).",
            },
            "groups": [{"code": r.code, "name": r.name, "role": r.role, "joined_at": r.joined_at} for r in groups_rows],
            "messages": [
                {
                    "group": r.code,
                    "seq": r.seq,
                    "text": r.text,
                    "created_at": r.created_at,
                    "deleted": r.deleted_at is not None,
                }
                for r in msg_rows
            ],
            "operations": [{"at": r.ts, "action": r.action, "ip": r.src_ip, "port": r.src_port} for r in log_rows],
            "credit": [
                {"at": e.at, "kind": e.kind.value, "delta": e.delta, "reason": e.reason, "rule": e.rule}
                for e in credit_rows
            ],
        }
    export["agreements"] = await docs.my_acceptances(db, actor=actor)
    return export


async def cancel_account(
    db: Database, passwords: Passwords, tokens: TokenCache, *, actor: int, password: str, ctx: Ctx
) -> None:
    """Cancel the account (D9). Owned groups must be transferred first. Personal data leaves the account at once;
    what the law keeps (messages hidden, logs, records) stays for its period and is then purged."""
    async with db.uow(write=False) as uow:
        pw_hash = (await uow.conn.execute(select(users.c.password_hash).where(users.c.id == actor))).scalar_one()
    if not await passwords.verify(pw_hash, password):
        raise Conflict("The password is not right", code=ErrorCode.INVALID_CREDENTIALS)
    async with db.uow() as uow:
        owned = list(
            (
                await uow.conn.execute(
                    select(groups.c.code)
                    .join(memberships, memberships.c.group_id == groups.c.id)
                    .where(
                        memberships.c.user_id == actor,
                        memberships.c.role == GroupRole.CREATOR.value,
                        groups.c.status != "closed",
                    )
                )
            ).scalars()
        )
        if owned:
            raise Conflict(
                "Transfer or dissolve the groups you own before cancelling the account",
                code=ErrorCode.OWNERSHIP_BLOCKS_CANCELLATION,
                details={"groups": owned},
            )
        # offers of a manager role or of a group that wait for this account's answer end with it (R-9.1-2)
        await uow.conn.execute(
            update(role_offers)
            .where(role_offers.c.user_id == actor, role_offers.c.status == "pending")
            .values(status="cancelled", decided_at=ctx.now, open_key=None)
        )
        joined = list(
            await uow.conn.execute(
                select(groups.c.id, groups.c.code)
                .join(memberships, memberships.c.group_id == groups.c.id)
                .where(memberships.c.user_id == actor)
            )
        )
        await uow.conn.execute(delete(memberships).where(memberships.c.user_id == actor))
        for g in joined:
            count = (
                await uow.conn.execute(
                    update(groups)
                    .where(groups.c.id == g.id)
                    .values(member_count=groups.c.member_count - 1)
                    .returning(groups.c.member_count)
                )
            ).scalar_one()
            uow.collect(
                MembershipChanged(
                    group_id=g.id,
                    group_code=g.code,
                    kind="member_left",
                    user={"id": actor, "nickname": CANCELLED_NICKNAME},
                    role=None,
                    member_count=count,
                    ts_ms=int(ctx.now.timestamp() * 1000),
                )
            )
        await uow.conn.execute(
            update(auth_tokens)
            .where(auth_tokens.c.user_id == actor, auth_tokens.c.revoked_at.is_(None))
            .values(revoked_at=ctx.now)
        )
        uow.collect(SessionsEnded(actor, "account_cancelled", int(ctx.now.timestamp() * 1000)))
        await release_identity(uow, actor, purge_after=ctx.now + KEEP_AFTER_CANCELLATION)
        await uow.conn.execute(
            update(users)
            .where(users.c.id == actor)
            .values(
                status="cancelled",
                nickname=CANCELLED_NICKNAME,
                cancelled_at=ctx.now,
                verification_level=0,
                password_hash="!cancelled",
            )
        )
        await netlog.record(
            uow,
            ctx,
            "account.cancel",
            Target.user(actor),
            actor=actor,
            groups_left=[g.code for g in joined],
        )
        await uow.commit()
    tokens.evict_user(actor)
