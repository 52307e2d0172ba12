"""A group's join settings (R-8.3-3, R-9.3-1) and the rules card a new member acknowledges (R-9.2-1).

- The owner or a manager chooses the join mode (only those the tier the group can grow to allows: open joining is
  for small groups), an optional join question (reviewed like the group's profile) and who may invite (all members
  or the owner and managers). The change is recorded with its old and new values and shown in the chat.
- After joining, the member's first view of the chat shows the group announcement with the 群组管理规则 and the
  平台公约; "我已阅读" records `rules_seen_at` and an operation record.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from qunzu import netlog
from qunzu.context import Ctx
from qunzu.domain import groups as rules
from qunzu.domain import roles
from qunzu.domain.admission import check_join_mode
from qunzu.domain.policy import GroupPolicy, JoinMode, size_tier
from qunzu.domain.roles import GroupAction, GroupRole
from qunzu.errors import ValidationFailed
from qunzu.netlog import Target
from qunzu.services import restrictions
from qunzu.services.access import access_group, access_group_as_member
from qunzu.services.events import GroupActivity
from qunzu.services.join_decisions import pending_count
from qunzu.services.joining import group_row, ms, nickname
from qunzu.services.review import queue_item
from qunzu.storage.tables import groups, memberships
from qunzu.storage.uow import Database

QUESTION_MAX = 200
INVITE_RIGHTS = ("all", "managers")
QUESTION_KIND = "group_join_question"  # the review queue's kind for a flagged join question


@dataclass(frozen=True, slots=True)
class JoinSettingsView:
    code: str
    join_mode: str
    join_question: str
    invite_rights: str
    allowed_modes: list[str]  # what the tier the group can grow to allows
    member_count: int
    member_cap: int
    links_allowed: bool  # at its current size
    pending_requests: int
    my_role: GroupRole


def allowed_modes(policy: GroupPolicy, member_cap: int) -> list[str]:
    return [m.value for m in policy.tiers[size_tier(member_cap, policy)].join_modes]


def _view(row: Any, policy: GroupPolicy, *, pending: int, role: GroupRole) -> JoinSettingsView:
    return JoinSettingsView(
        code=row.code,
        join_mode=row.join_mode,
        join_question=row.join_question or "",
        invite_rights=row.invite_rights,
        allowed_modes=allowed_modes(policy, row.member_cap),
        member_count=row.member_count,
        member_cap=row.member_cap,
        links_allowed=policy.tiers[size_tier(row.member_count, policy)].links,
        pending_requests=pending,
        my_role=role,
    )


async def join_settings(db: Database, *, actor: int, code: str, policy: GroupPolicy) -> JoinSettingsView:
    """The group's join settings, for its owner and managers."""
    async with db.uow(write=False) as uow:
        access = await access_group(uow.conn, actor=actor, code=code)
        role = access.require_member()
        roles.check_may(role, GroupAction.SET_JOIN_MODE)
        row = await group_row(uow, access.id)
    return _view(row, policy, pending=await pending_count(db, group_id=row.id), role=role)


def check_settings(
    policy: GroupPolicy, row: Any, *, join_mode: str | None, join_question: str | None, invite_rights: str | None
) -> dict[str, Any]:
    """The changed values, validated: the mode against the tier the group can grow to, the question's length, the
    invite rights."""
    new: dict[str, Any] = {}
    if join_mode is not None:
        try:
            mode = JoinMode(join_mode)
        except ValueError:
            raise ValidationFailed(
                "Unknown join mode", details={"field": "join_mode", "allowed": allowed_modes(policy, row.member_cap)}
            ) from None
        check_join_mode(policy, mode, member_cap_=row.member_cap)
        new["join_mode"] = mode.value
    if join_question is not None:
        question = join_question.strip()
        if len(question) > QUESTION_MAX:
            raise ValidationFailed(
                f"The join question is longer than {QUESTION_MAX} characters",
                details={"field": "join_question", "max": QUESTION_MAX},
            )
        new["join_question"] = question
    if invite_rights is not None:
        if invite_rights not in INVITE_RIGHTS:
            raise ValidationFailed(
                "Invite rights are all or managers", details={"field": "invite_rights", "allowed": list(INVITE_RIGHTS)}
            )
        new["invite_rights"] = invite_rights
    return {k: v for k, v in new.items() if v != (getattr(row, k) or "")}


async def set_join_settings(
    db: Database,
    *,
    actor: int,
    code: str,
    ctx: Ctx,
    policy: GroupPolicy,
    join_mode: str | None = None,
    join_question: str | None = None,
    invite_rights: str | None = None,
    screen: Callable[[str, str], Any] | None = None,
) -> JoinSettingsView:
    """The owner or a manager sets the join mode, join question and invite rights (R-8.3-3, R-9.3-1). The question
    is reviewed like the group's profile (refused with `content_rejected`, flagged ones queued); the record keeps
    every change with its old and new value and the members see a system line."""
    async with db.uow() as uow:
        access = await access_group(uow.conn, actor=actor, code=code)
        role = access.require_member()
        roles.check_may(role, GroupAction.SET_JOIN_MODE)
        await restrictions.check_tools(uow, actor, role, now=ctx.now)  # management_suspended (R-11.2-1)
        row = await group_row(uow, access.id)
        rules.check_group_open(row.status)
        changed = check_settings(
            policy, row, join_mode=join_mode, join_question=join_question, invite_rights=invite_rights
        )
        question = changed.get("join_question")
        verdict = screen(question, QUESTION_KIND) if screen is not None and question else None
        if changed:
            old = row
            stmt = update(groups).where(groups.c.id == row.id).values(**changed).returning(groups)
            row = (await uow.conn.execute(stmt)).one()
            await netlog.record(
                uow,
                ctx,
                "group.join_settings",
                Target.group(row.id, row.code),
                actor=actor,
                **{k: {"old": getattr(old, k), "new": v} for k, v in changed.items()},
            )
            if verdict is not None:
                await queue_item(
                    uow, kind=QUESTION_KIND, target_id=row.code, author_id=actor, text=question, verdict=verdict,
                    now=ctx.now, group_id=row.id,
                )  # fmt: skip
            uow.collect(
                GroupActivity(
                    group_id=row.id,
                    group_code=row.code,
                    kind="join_mode_changed",
                    actor={"id": actor, "nickname": await nickname(uow, actor), "role": role.value},
                    target=None,
                    details={
                        "join_mode": row.join_mode,
                        "invite_rights": row.invite_rights,
                        "has_question": bool(row.join_question),
                        "changed": sorted(changed),
                    },
                    ts_ms=ms(ctx),
                )
            )
        await uow.commit()
    return _view(row, policy, pending=await pending_count(db, group_id=row.id), role=role)


# --- the rules card (R-9.2-1) -------------------------------------------------------------------------------------


async def rules_unseen(db: Database, *, actor: int, group_id: int) -> bool:
    """Whether the member has not yet acknowledged the rules card since joining (the owner made the group under
    the duties notice and is not asked)."""
    async with db.uow(write=False) as uow:
        r = (
            await uow.conn.execute(
                select(memberships.c.rules_seen_at, memberships.c.role).where(
                    memberships.c.group_id == group_id, memberships.c.user_id == actor
                )
            )
        ).one_or_none()
    return r is not None and r.rules_seen_at is None and r.role != GroupRole.CREATOR.value


async def acknowledge_rules(db: Database, *, actor: int, code: str, ctx: Ctx) -> datetime:
    """The member has read the announcement, the 群组管理规则 and the 平台公约: record when (once) and the operation
    record."""
    async with db.uow() as uow:
        access = await access_group_as_member(uow.conn, actor=actor, code=code)
        seen = (
            await uow.conn.execute(
                update(memberships)
                .where(
                    memberships.c.group_id == access.id,
                    memberships.c.user_id == actor,
                    memberships.c.rules_seen_at.is_(None),
                )
                .values(rules_seen_at=ctx.now)
                .returning(memberships.c.rules_seen_at)
            )
        ).scalar_one_or_none()
        if seen is None:
            seen = (
                await uow.conn.execute(
                    select(memberships.c.rules_seen_at).where(
                        memberships.c.group_id == access.id, memberships.c.user_id == actor
                    )
                )
            ).scalar_one()
        else:
            await netlog.record(uow, ctx, "group.rules_seen", Target.user(actor, group_id=access.id), actor=actor,
                                documents=["group_rules", "convention"])  # fmt: skip
        await uow.commit()
    assert seen is not None
    return seen
