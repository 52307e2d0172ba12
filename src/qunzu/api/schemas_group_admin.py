"""Schemas of the group tools' API: role offers, member tools, dissolution and the group's operation log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from qunzu.api.schemas import OneLine, Strict
from qunzu.domain.roles import GroupRole, role_label
from qunzu.i18n import catalogue
from qunzu.services.group_log import LogEntry, LogPage
from qunzu.services.group_offers import OfferView


class PersonRef(BaseModel):
    id: int
    nickname: str


class OfferPublic(BaseModel):
    id: int
    group_code: str
    group_name: str
    role: GroupRole = Field(description="manager, or creator (the group itself is offered: a transfer)")
    role_label: str
    user: PersonRef
    offered_by: PersonRef | None = Field(description="null: offered by the platform")
    status: str = Field(description="pending | accepted | declined | cancelled")
    created_at: datetime
    decided_at: datetime | None

    @classmethod
    def of(cls, v: OfferView, language: str) -> OfferPublic:
        return cls(
            id=v.id,
            group_code=v.group_code,
            group_name=v.group_name,
            role=v.role,
            role_label=role_label(v.role, language),
            user=PersonRef(id=v.user_id, nickname=v.user_nickname),
            offered_by=None
            if v.offered_by is None
            else PersonRef(id=v.offered_by, nickname=v.offered_by_nickname or ""),
            status=v.status,
            created_at=v.created_at,
            decided_at=v.decided_at,
        )


class OffersOut(BaseModel):
    offers: list[OfferPublic]
    duties_version: int | None = Field(
        None, description="the current 群主责任告知书 version, to accept with an offer (`/documents/owner_duties`)"
    )


class OfferAnswer(Strict):
    duties_version: int | None = Field(
        None, ge=1, le=1_000_000, description="the owner-duties notice version you accept (must be the current one)"
    )


class MuteBody(Strict):
    seconds: int = Field(ge=0, le=10**9, description="how long: 600 (10 minutes) to 2,592,000 (30 days)")


class MuteOut(BaseModel):
    user_id: int
    muted_until: datetime


class DissolveBody(Strict):
    confirm_name: OneLine = Field(min_length=1, max_length=200, description="the group's name, typed to confirm")


class LogActor(BaseModel):
    id: int
    nickname: str
    role: GroupRole | None
    role_label: str | None


class LogEntryPublic(BaseModel):
    id: int
    at: datetime
    action: str = Field(description="the record's action code, e.g. group.mute")
    label: str = Field(description="the action in the request's language")
    actor: LogActor | None
    target: dict[str, Any] | None = Field(description='{"id", "type": "user", "nickname"} or {"id", "type"}')
    result: str
    changes: list[dict[str, Any]] = Field(description='[{"field", "old", "new"}]: a profile change')
    details: dict[str, Any]

    @classmethod
    def of(cls, e: LogEntry, language: str) -> LogEntryPublic:
        actor = None
        if e.actor is not None:
            role = GroupRole(e.actor["role"]) if e.actor.get("role") in {r.value for r in GroupRole} else None
            actor = LogActor(
                id=e.actor["id"],
                nickname=e.actor["nickname"],
                role=role,
                role_label=role_label(role, language) if role else None,
            )
        return cls(
            id=e.id, at=e.at, action=e.action, label=action_label(e.action, language), actor=actor, target=e.target,
            result=e.result, changes=e.changes, details=e.details,
        )  # fmt: skip


class LogOut(BaseModel):
    entries: list[LogEntryPublic]
    next_before: int | None = Field(description="pass as ?before= for the next, older page; null at the oldest")

    @classmethod
    def of(cls, page: LogPage, language: str) -> LogOut:
        return cls(entries=[LogEntryPublic.of(e, language) for e in page.entries], next_before=page.next_before)


def action_label(action: str, language: str) -> str:
    """An operation record's action in people's words (the [group_actions] catalogue section); else the code."""
    labels = catalogue(language).get("group_actions", {})
    return str(labels.get(action.replace(".", "_"), action))
