"""Emergency switches (Art. 5 "应急处置", R-5.1-4): what each switch stops, where, and the checks. Pure.

An administrator turns a switch on in an incident, with a reason users are shown, and off again when it is over.
A switch is a kind (what it stops) and a scope (where): the whole platform, one group category, or one group. GA
1277.4 asks that all or single IM functions can be stopped; each kind is one of those functions:

- `stop_create`: no new groups (platform or category scope: a group cannot stop its own creation);
- `stop_join`: no joining (by code, link or invitation);
- `stop_send`: no messages;
- `stop_links`: no messages carrying a link (domain/group_stars.py::holds_link decides what a link is);
- `read_only`: every write a member makes — posting, joining, creating groups, profile edits — reading continues;
- `hold_all`: messages are not refused but held for the platform's review (a reviewer publishes or rejects them).

Staff are never stopped: their console actions (measures, review, turning the switch off) go on, and so do their own
posts, so the platform can still speak in a stopped group. The services hold the switches on in a `SwitchBoard`
(services/emergency.py reloads it at most once a second per process) and ask the checks here; nothing here reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from qunzu.domain.group_stars import holds_link
from qunzu.errors import ErrorCode, Forbidden, ValidationFailed

REASON_MAX = 500  # shown to users in a banner and in every refusal: a sentence, not a report


class Kind(StrEnum):
    STOP_CREATE = "stop_create"
    STOP_JOIN = "stop_join"
    STOP_SEND = "stop_send"
    STOP_LINKS = "stop_links"
    READ_ONLY = "read_only"
    HOLD_ALL = "hold_all"


class Scope(StrEnum):
    PLATFORM = "platform"
    CATEGORY = "category"
    GROUP = "group"


class Action(StrEnum):
    """The member writes a switch can stop."""

    POST = "post"
    LINK = "link"  # a post carrying a link
    JOIN = "join"
    CREATE = "create"
    PROFILE = "profile"  # a nickname, a group's name or description


STOPS: dict[Kind, frozenset[Action]] = {
    Kind.STOP_CREATE: frozenset({Action.CREATE}),
    Kind.STOP_JOIN: frozenset({Action.JOIN}),
    Kind.STOP_SEND: frozenset({Action.POST, Action.LINK}),
    Kind.STOP_LINKS: frozenset({Action.LINK}),
    Kind.READ_ONLY: frozenset({Action.POST, Action.LINK, Action.JOIN, Action.CREATE, Action.PROFILE}),
    Kind.HOLD_ALL: frozenset(),  # holds posts instead of refusing them (`post_held`)
}


@dataclass(frozen=True, slots=True)
class Switch:
    """A switch that is on."""

    id: int
    scope: Scope
    scope_key: str  # "" for the platform, the category id, or the group id as text
    kind: Kind
    reason: str
    turned_on_at: datetime
    turned_on_by: int | None = None

    def covers(self, group_id: int | None, category: str | None) -> bool:
        """Whether this switch applies to a write in `group_id` of `category` (None: a write outside any group)."""
        if self.scope is Scope.PLATFORM:
            return True
        if self.scope is Scope.CATEGORY:
            return category is not None and self.scope_key == category
        return group_id is not None and self.scope_key == str(group_id)

    def public(self) -> dict[str, Any]:
        """What a refused user is told (the error's details and the banner): never who turned it on."""
        return {"kind": self.kind.value, "scope": self.scope.value, "scope_key": self.scope_key, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class SwitchBoard:
    """The switches on, as of event `version` (the newest emergency_switch_events id; 0 when there is none)."""

    switches: tuple[Switch, ...] = ()
    version: int = 0
    _posting: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        posting = any(Action.POST in STOPS[s.kind] or s.kind in (Kind.HOLD_ALL, Kind.STOP_LINKS) for s in self.switches)
        object.__setattr__(self, "_posting", posting)

    @property
    def empty(self) -> bool:
        return not self.switches

    @property
    def touches_posting(self) -> bool:
        """Whether any switch on can refuse or hold a post (else a post needs no look at its group at all)."""
        return self._posting

    def covering(self, group_id: int | None, category: str | None) -> list[Switch]:
        return [s for s in self.switches if s.covers(group_id, category)]

    def platform(self) -> list[Switch]:
        """The platform-wide switches (every page's banner)."""
        return [s for s in self.switches if s.scope is Scope.PLATFORM]

    def stopping(self, action: Action, *, group_id: int | None = None, category: str | None = None) -> Switch | None:
        """The first switch that stops `action` here, platform-wide ones first; None if none does."""
        found = [s for s in self.covering(group_id, category) if action in STOPS[s.kind]]
        return min(found, key=_order) if found else None


def _order(s: Switch) -> tuple[int, int]:
    return (list(Scope).index(s.scope), s.id)


def emergency_stopped(switch: Switch) -> Forbidden:
    """`emergency_stopped` (403): a deliberate stop by the platform, not a fault, so not 503 — a client that retries
    on 503 would retry in vain until an administrator turns the switch off. Details: kind, scope, reason."""
    return Forbidden(
        f"This function is stopped by the platform for now: {switch.reason}",
        code=ErrorCode.EMERGENCY_STOPPED,
        details=switch.public(),
    )


def check_may(board: SwitchBoard, action: Action, *, group_id: int | None = None, category: str | None = None) -> None:
    """Raise `emergency_stopped` if a switch on stops `action` in this group or category (or everywhere)."""
    if board.empty:
        return
    switch = board.stopping(action, group_id=group_id, category=category)
    if switch is not None:
        raise emergency_stopped(switch)


def check_may_post(board: SwitchBoard, group_id: int, category: str | None, text: str) -> Switch | None:
    """A post in `group_id`: raise `emergency_stopped` if a switch stops it (sending, or a link in `text`); else the
    `hold_all` switch that holds it for review, or None when it goes on as usual."""
    if not board.touches_posting:
        return None
    covering = board.covering(group_id, category)
    if not covering:
        return None
    stopped = [s for s in covering if Action.POST in STOPS[s.kind]]
    if not stopped and any(s.kind is Kind.STOP_LINKS for s in covering) and holds_link(text):
        stopped = [s for s in covering if s.kind is Kind.STOP_LINKS]
    if stopped:
        raise emergency_stopped(min(stopped, key=_order))
    held = [s for s in covering if s.kind is Kind.HOLD_ALL]
    return min(held, key=_order) if held else None


def check_switch(scope: str, scope_key: str, kind: str, reason: str, *, categories: Sequence[str]) -> Switch:
    """A switch to turn on, as staff typed it (id and times are the service's): the scope key must name a known
    category or a group id; `stop_create` cannot be scoped to one group; a reason is required."""
    try:
        sc = Scope(scope)
    except ValueError:
        raise _bad("scope", "invalid", "Choose platform, category or group", allowed=[s.value for s in Scope]) from None
    try:
        kd = Kind(kind)
    except ValueError:
        raise _bad("kind", "invalid", "Choose what to stop", allowed=[k.value for k in Kind]) from None
    key = scope_key.strip()
    if sc is Scope.PLATFORM:
        key = ""
    elif sc is Scope.CATEGORY and key not in categories:
        raise _bad("scope_key", "invalid", "Name a known group category", allowed=list(categories))
    elif sc is Scope.GROUP:
        if not key.isdigit() or not 1 <= int(key) < 2**63:
            raise _bad("scope_key", "invalid", "Name the group")
        if kd is Kind.STOP_CREATE:
            raise _bad("kind", "invalid", "Group creation can be stopped platform-wide or for a category only")
    reason = reason.strip()
    if not reason:
        raise _bad("reason", "required", "State the reason users will be shown")
    if len(reason) > REASON_MAX:
        raise _bad("reason", "too_long", f"At most {REASON_MAX} characters", max=REASON_MAX)
    return Switch(id=0, scope=sc, scope_key=key, kind=kd, reason=reason, turned_on_at=datetime.min)


def check_off_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise _bad("reason", "required", "State why the switch goes off")
    return reason[:2000]


def _bad(field_name: str, reason: str, message: str, **more: Any) -> ValidationFailed:
    return ValidationFailed(message, details={"field": field_name, "reason": reason, **more})
