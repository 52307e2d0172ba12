"""Accounts: register, sign in, sign out, token authentication."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from qunzu import netlog
from qunzu.context import Ctx
from qunzu.domain.accounts import StaffRole, check_nickname, check_password, normalise_username
from qunzu.domain.documents import ACCEPTED_AT_REGISTRATION, check_registration_acceptance
from qunzu.domain.restrictions import check_account_active
from qunzu.errors import AuthRequired, Conflict, ErrorCode, QunzuError
from qunzu.netlog import Target
from qunzu.services import lockout
from qunzu.services.documents import current_versions, record_acceptance
from qunzu.services.events import SessionsEnded
from qunzu.services.inspection_scope import check_regulator_access
from qunzu.services.passwords import Passwords
from qunzu.services.review import queue_item
from qunzu.services.throttle import Throttle, rate_limited
from qunzu.services.verifiers import SmsSender
from qunzu.services.views import TokenView, UserView
from qunzu.storage.crypto import KeyRing
from qunzu.storage.tables import auth_tokens, users
from qunzu.storage.uow import Database

TOKEN_PREFIX = "qz_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def user_view(row: Any) -> UserView:
    return UserView(
        id=row.id,
        username=row.username,
        nickname=row.nickname,
        staff_role=row.staff_role,
        created_at=row.created_at,
        verification_level=row.verification_level,
    )


async def register_user(
    db: Database,
    passwords: Passwords,
    *,
    username: str,
    password: str,
    nickname: str,
    ctx: Ctx,
    password_min_length: int = 8,
    password_min_score: int = 3,
    throttle: Throttle | None = None,
    staff_role: StaffRole | None = None,
    accepted: dict[str, int] | None = None,
    reserved_words: list[str] | tuple[str, ...] = (),
    nickname_max_length: int = 20,
    screen: Callable[[str, str], Any] | None = None,
) -> UserView:
    """Create an account; the username is unique case-insensitively; the password is stored as argon2id.

    Users accept the current service agreement and privacy policy as they register (R-5.2-2); staff accounts,
    created by operators, do not. Common and guessable passwords are refused (zxcvbn score below
    `password_min_score`). With a `throttle`, registrations from one source are limited, refused ones included.
    """
    if throttle is not None:
        await throttle.register(ip=ctx.ip, now=ctx.now)
    name = normalise_username(username)
    nick = check_nickname(
        nickname, max_length=nickname_max_length, reserved=reserved_words if staff_role is None else ()
    )
    # zxcvbn takes a few to ~40 ms of CPU: off the event loop, like the hashing
    await asyncio.to_thread(
        check_password,
        password,
        min_length=password_min_length,
        username=name,
        nickname=nick,
        min_score=password_min_score,
    )
    verdict = screen(nick, "nickname") if screen is not None else None  # refuses prohibited content
    pw_hash = await passwords.hash(password)
    async with db.uow() as uow:
        try:
            result = await uow.conn.execute(
                insert(users)
                .values(
                    username=name,
                    password_hash=pw_hash,
                    nickname=nick,
                    staff_role=staff_role.value if staff_role else None,
                    status="active",
                    created_at=ctx.now,
                    reg_ip=ctx.ip,
                    reg_port=ctx.port,
                )
                .returning(users)
            )
        except IntegrityError as exc:
            raise Conflict("This username is taken", code=ErrorCode.USERNAME_TAKEN) from exc
        row = result.one()
        if verdict is not None:
            await queue_item(
                uow, kind="nickname", target_id=row.id, author_id=row.id, text=nick, verdict=verdict, now=ctx.now
            )
        if staff_role is None:
            current = await current_versions(uow.conn)
            check_registration_acceptance(accepted=accepted or {}, current=current)
            for kind in ACCEPTED_AT_REGISTRATION:
                await record_acceptance(uow, user_id=row.id, kind=kind.value, version=current[kind.value], ctx=ctx)
        await netlog.record(
            uow,
            ctx,
            "account.register" if staff_role is None else "staff.create",
            Target.user(row.id),
            actor=row.id,
            **({"staff_role": staff_role.value} if staff_role else {}),
        )
        await uow.commit()
    return user_view(row)


async def sign_in(
    db: Database,
    passwords: Passwords,
    *,
    throttle: Throttle,
    sms: SmsSender,
    keys: KeyRing,
    username: str,
    password: str,
    kind: str,
    ttl: timedelta,
    ctx: Ctx,
) -> TokenView:
    """Check the password and issue an opaque bearer token (stored hashed) with an expiry.

    Throttled per source and per name, and locked after repeated failures (services/lockout.py): every refusal is
    429 `rate_limited` with the wait, even for the right password. A name with no account gets exactly the same
    answers; the dummy hash in Passwords.verify keeps the timing alike too.
    """
    try:
        name: str | None = normalise_username(username)
    except QunzuError:
        name = None
    remaining = await lockout.lock_remaining(db, username=name, now=ctx.now)
    if remaining is not None:
        raise rate_limited(_ms(remaining))
    await throttle.login(username=name, ip=ctx.ip, now=ctx.now)
    row = None
    if name is not None:
        async with db.uow(write=False) as uow:
            row = (await uow.conn.execute(select(users).where(users.c.username == name))).one_or_none()
    ok = await passwords.verify(row.password_hash if row is not None else None, password)
    if row is None or not ok or row.status != "active":
        remaining = await lockout.note_failure(
            db,
            throttle,
            sms,
            keys,
            username=name,
            user_id=row.id if row is not None else None,
            notify=row is not None and row.status == "active",
            ctx=ctx,
        )
        if remaining is not None:
            raise rate_limited(_ms(remaining))
        raise AuthRequired("Wrong username or password", code=ErrorCode.INVALID_CREDENTIALS)
    assert name is not None
    check_account_active(row.suspended_until, row.blacklist_level, now=ctx.now)  # account_suspended (R-11.2-1)
    expires = ctx.now + ttl
    if row.staff_role == StaffRole.REGULATOR.value:  # access_expired (R-3-1); the session ends with the access
        expires = min(expires, await _regulator_gate(db, row.id, ctx))
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    async with db.uow() as uow:
        remaining = await lockout.clear_failures(uow, username=name, now=ctx.now)
        if remaining is not None:  # a lock began while this password was being checked
            raise rate_limited(_ms(remaining))
        await uow.conn.execute(
            insert(auth_tokens).values(
                user_id=row.id,
                token_hash=hash_token(token),
                kind=kind,
                created_at=ctx.now,
                expires_at=expires,
                src_ip=ctx.ip,
                src_port=ctx.port,
            )
        )
        await uow.conn.execute(
            update(users)
            .where(users.c.id == row.id)
            .values(last_login_at=ctx.now, last_login_ip=ctx.ip, last_login_port=ctx.port)
        )
        # the record names the session it opened (§3.2 session_id, hashed as the log keeps it)
        opened = replace(ctx, session_hash=hash_token(token)[:16])
        await netlog.record(uow, opened, "auth.login", Target("session", kind), actor=row.id)
        await uow.commit()
    return TokenView(token=token, expires_at=expires, user=user_view(row))


async def _regulator_gate(db: Database, user_id: int, ctx: Ctx) -> Any:
    """R-3-1: a regulator signs in only while their access is current; a refusal is itself an operation record."""
    try:
        async with db.uow(write=False) as uow:
            return await check_regulator_access(uow.conn, user_id=user_id, at=ctx.now)
    except QunzuError as exc:
        async with db.uow() as uow:
            await netlog.record(uow, ctx, "auth.login", Target("session"), actor=user_id, result="refused",
                                error_code=exc.code.value)  # fmt: skip
            await uow.commit()
        raise


def _ms(span: timedelta) -> int:
    return max(1, int(span.total_seconds() * 1000))


class TokenCache:
    """A short-lived in-process cache of token → user, so the hot path does not read the database per request.

    Sign-out in this process evicts at once; other processes see a revocation within `ttl_seconds`.
    """

    def __init__(self, ttl_seconds: float = 5.0, max_entries: int = 50_000) -> None:
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, UserView, Any]] = {}

    def get(self, token_hash: str, now_dt: Any) -> UserView | None:
        hit = self._entries.get(token_hash)
        if hit is None:
            return None
        stamp, view, expires_at = hit
        if time.monotonic() - stamp > self.ttl or expires_at <= now_dt:
            self._entries.pop(token_hash, None)
            return None
        return view

    def put(self, token_hash: str, view: UserView, expires_at: Any) -> None:
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[token_hash] = (time.monotonic(), view, expires_at)

    def evict(self, token_hash: str) -> None:
        self._entries.pop(token_hash, None)

    def evict_user(self, user_id: int) -> None:
        """Forget every cached session of a user (after a change to the account)."""
        for key in [k for k, (_, view, _) in self._entries.items() if view.id == user_id]:
            self._entries.pop(key, None)


async def authenticate(db: Database, cache: TokenCache, *, token: str, ctx: Ctx) -> UserView:
    """The user a bearer token belongs to; expired, revoked or unknown tokens are refused."""
    if not token:
        raise AuthRequired()
    th = hash_token(token)
    cached = cache.get(th, ctx.now)
    if cached is not None:
        return cached
    async with db.uow(write=False) as uow:
        row = (
            await uow.conn.execute(
                select(users, auth_tokens.c.expires_at, auth_tokens.c.revoked_at)
                .join(auth_tokens, auth_tokens.c.user_id == users.c.id)
                .where(auth_tokens.c.token_hash == th)
            )
        ).one_or_none()
        ends = row.expires_at if row is not None else None
        if row is not None and row.staff_role == StaffRole.REGULATOR.value:
            # access_expired (R-3-1): a session outliving the regulator's access stops at its next request
            ends = min(row.expires_at, await check_regulator_access(uow.conn, user_id=row.id, at=ctx.now))
    if row is not None and row.status == "active" and row.expires_at > ctx.now:  # signed out by a suspension
        check_account_active(row.suspended_until, row.blacklist_level, now=ctx.now)  # account_suspended (R-11.2-1)
    if row is None or row.revoked_at is not None or row.expires_at <= ctx.now or row.status != "active":
        raise AuthRequired("Your session has expired; please sign in again")
    view = user_view(row)
    cache.put(th, view, ends)
    return view


async def sign_out(db: Database, cache: TokenCache, *, token: str, actor: int, ctx: Ctx) -> None:
    """Revoke the token now."""
    th = hash_token(token)
    cache.evict(th)
    async with db.uow() as uow:
        await uow.conn.execute(
            update(auth_tokens)
            .where(auth_tokens.c.token_hash == th, auth_tokens.c.revoked_at.is_(None))
            .values(revoked_at=ctx.now)
        )
        # the sockets opened with this session close too (other devices and sessions stay signed in)
        uow.collect(SessionsEnded(actor, "signed_out", int(ctx.now.timestamp() * 1000), token_hash=th))
        await netlog.record(uow, ctx, "auth.logout", Target("session"), actor=actor)
        await uow.commit()


async def get_user(db: Database, *, user_id: int) -> UserView:
    async with db.uow(write=False) as uow:
        row = (await uow.conn.execute(select(users).where(users.c.id == user_id))).one()
    return user_view(row)
