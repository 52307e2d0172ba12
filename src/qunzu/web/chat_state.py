"""What the chat page's composer shows on load (R-9.3-1): muted until when, mute-all, slow mode; the page's script
keeps it up to date from live frames."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from qunzu.domain.chat_controls import exempt
from qunzu.domain.roles import GroupAction, GroupRole, may
from qunzu.services import group_chat_controls as svc
from qunzu.services.views import GroupView
from qunzu.web.context import Web
from qunzu.web.render import CHINA


def until_text(at: datetime, language: str) -> str:
    """12月8日 10:00 / Dec 8, 10:00 (Beijing time; the page's script shows it in the reader's own time)."""
    local = at.astimezone(CHINA)
    if language == "zh-CN":
        return f"{local.month}月{local.day}日 {local:%H:%M}"
    return f"{local:%b} {local.day}, {local:%H:%M}"


async def composer_context(w: Web, group: GroupView) -> dict[str, Any]:
    """The composer's state for the template (`composer`) and for the script (`composer_data`)."""
    assert w.session is not None
    state = await svc.my_chat_state(w.container.db, actor=w.session.user.id, code=group.code)
    role = GroupRole(state["role"]) if state["role"] else GroupRole.MEMBER
    until = state["muted_until"]
    if until is not None and until.tzinfo is None:
        until = until.replace(tzinfo=UTC)
    muted = until is not None and until > w.ctx.now
    blocked_by_all = state["mute_all"] and not exempt(role)
    slow = state["slow_mode_seconds"] if not exempt(role) else 0
    note = None
    if muted:
        assert until is not None
        note = w.t("chat.composer.muted", until=until_text(until, w.lang))
    elif blocked_by_all:
        note = w.t("chat.composer.mute_all")
    elif slow:
        note = w.t("chat.composer.slow_mode", seconds=slow)
    return {
        "composer": {"disabled": muted or blocked_by_all, "note": note},
        "composer_data": {
            "muted_until": until.isoformat() if muted and until is not None else None,
            "mute_all": state["mute_all"],
            "slow_mode_seconds": state["slow_mode_seconds"],
        },
        "can_pin": may(role, GroupAction.PIN),
    }
