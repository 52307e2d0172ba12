"""Staff API of the emergency switches (Art. 5, R-5.1-4): list with history, turn on, turn off. Administrators turn
switches; compliance officers read them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from qunzu.api.deps import ContainerDep, CtxDep, UserDep
from qunzu.api.responses import AUTHED, errors
from qunzu.api.schemas import OneLineOrBlank, Strict, Text
from qunzu.services import emergency
from qunzu.services.emergency import EventView, SwitchView

router = APIRouter(prefix="/api/v1/staff/emergency", tags=["emergency switches"])
SwitchId = Annotated[int, Path(ge=1, le=2**53 - 1)]


class SwitchIn(Strict):
    scope: Literal["platform", "category", "group"]
    scope_key: OneLineOrBlank = Field(
        "", max_length=32, description="the category id, or the group's code; blank for the platform"
    )
    kind: Literal["stop_create", "stop_join", "stop_send", "stop_links", "read_only", "hold_all"]
    reason: Text = Field(min_length=1, max_length=500, description="shown to users in the banner and refusals")


class OffIn(Strict):
    reason: Text = Field(min_length=1, max_length=2000)


class SwitchOut(BaseModel):
    id: int
    scope: str
    scope_key: str = Field(description="the category, the group's id, or blank")
    label: str = Field(description="the group's code, the category, or blank")
    kind: str
    reason: str
    active: bool
    turned_on_by: int | None
    turned_on_by_name: str | None
    turned_on_at: datetime
    turned_off_by: int | None
    turned_off_by_name: str | None
    turned_off_at: datetime | None
    off_reason: str | None

    @staticmethod
    def of(v: SwitchView) -> SwitchOut:
        return SwitchOut(
            id=v.id, scope=v.scope, scope_key=v.scope_key, label=v.label, kind=v.kind, reason=v.reason,
            active=v.active, turned_on_by=v.turned_on_by, turned_on_by_name=v.turned_on_by_name,
            turned_on_at=v.turned_on_at, turned_off_by=v.turned_off_by, turned_off_by_name=v.turned_off_by_name,
            turned_off_at=v.turned_off_at, off_reason=v.off_reason,
        )  # fmt: skip


class EventOut(BaseModel):
    id: int
    switch_id: int
    event: Literal["on", "off"]
    kind: str
    scope: str
    label: str
    actor_id: int | None
    actor_name: str | None
    reason: str
    at: datetime

    @staticmethod
    def of(v: EventView) -> EventOut:
        return EventOut(
            id=v.id, switch_id=v.switch_id, event=v.event, kind=v.kind, scope=v.scope, label=v.label,  # type: ignore[arg-type]
            actor_id=v.actor_id, actor_name=v.actor_name, reason=v.reason, at=v.at,
        )  # fmt: skip


class SwitchesOut(BaseModel):
    switches: list[SwitchOut] = Field(description="those on first, newest first")
    history: list[EventOut] = Field(description="every turning on and off, newest first")


@router.get("", response_model=SwitchesOut, responses=errors(*AUTHED, 403))
async def list_switches(user: UserDep, c: ContainerDep, active: bool = False) -> SwitchesOut:
    """The switches (`active=true`: those on only) and the history of changes."""
    return SwitchesOut(
        switches=[SwitchOut.of(v) for v in await emergency.list_switches(c.db, staff=user, active_only=active)],
        history=[EventOut.of(v) for v in await emergency.history(c.db, staff=user)],
    )


@router.post("", status_code=201, response_model=SwitchOut, responses=errors(*AUTHED, 403, 404, 409, 422))
async def turn_on(body: SwitchIn, user: UserDep, c: ContainerDep, ctx: CtxDep) -> SwitchOut:
    """Turn a switch on (administrators). In force in every server process within about a second; users are
    refused with `emergency_stopped` (or, for `hold_all`, their messages wait for review). Recorded as
    `emergency.on`. The same switch on twice: `already_decided` (409)."""
    view = await emergency.turn_on(
        c.db, staff=user, scope=body.scope, scope_key=body.scope_key, kind=body.kind, reason=body.reason,
        categories=(await c.policy.policy()).category_ids(), ctx=ctx,
    )  # fmt: skip
    return SwitchOut.of(view)


@router.post("/{switch_id}/off", response_model=SwitchOut, responses=errors(*AUTHED, 403, 404, 409, 422))
async def turn_off(switch_id: SwitchId, body: OffIn, user: UserDep, c: ContainerDep, ctx: CtxDep) -> SwitchOut:
    """Turn a switch off (administrators), with a reason. Recorded as `emergency.off`."""
    return SwitchOut.of(await emergency.turn_off(c.db, staff=user, switch_id=switch_id, reason=body.reason, ctx=ctx))
