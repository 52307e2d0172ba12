"""The emergency switches' rules (domain/emergency.py): what each kind stops, where each scope reaches, which switch
a refusal names, and what a switch must say before it can be turned on."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from qunzu.domain.emergency import Action, Kind, Scope, Switch, SwitchBoard, check_may, check_may_post, check_switch
from qunzu.errors import ErrorCode, QunzuError

AT = datetime(2026, 12, 1, tzinfo=UTC)
CATEGORIES = ["work", "study", "news"]


def _switch(n: int, scope: Scope, key: str, kind: Kind, reason: str = "事件") -> Switch:
    return Switch(id=n, scope=scope, scope_key=key, kind=kind, reason=reason, turned_on_at=AT)


def test_an_empty_board_stops_nothing() -> None:
    board = SwitchBoard()
    assert board.empty and not board.touches_posting
    assert check_may_post(board, 1, "work", "http://example.com") is None
    for action in Action:
        check_may(board, action, group_id=1, category="work")


def test_a_group_switch_reaches_that_group_only() -> None:
    board = SwitchBoard((_switch(1, Scope.GROUP, "7", Kind.STOP_SEND),), version=1)
    with pytest.raises(QunzuError) as refused:
        check_may_post(board, 7, "work", "你好")
    assert refused.value.code is ErrorCode.EMERGENCY_STOPPED
    assert refused.value.details == {"kind": "stop_send", "scope": "group", "scope_key": "7", "reason": "事件"}
    assert check_may_post(board, 8, "work", "你好") is None
    check_may(board, Action.JOIN, group_id=7, category="work")  # sending only


def test_a_category_switch_reaches_its_category_and_a_platform_switch_everything() -> None:
    board = SwitchBoard((_switch(1, Scope.CATEGORY, "news", Kind.STOP_CREATE),))
    with pytest.raises(QunzuError):
        check_may(board, Action.CREATE, category="news")
    check_may(board, Action.CREATE, category="work")
    board = SwitchBoard((_switch(2, Scope.PLATFORM, "", Kind.STOP_JOIN),))
    with pytest.raises(QunzuError):
        check_may(board, Action.JOIN, group_id=3, category="study")


def test_read_only_stops_every_member_write_and_the_platform_switch_is_named_first() -> None:
    board = SwitchBoard(
        (_switch(5, Scope.GROUP, "7", Kind.STOP_SEND, "群"), _switch(9, Scope.PLATFORM, "", Kind.READ_ONLY, "平台"))
    )
    for action in (Action.POST, Action.JOIN, Action.CREATE, Action.PROFILE):
        with pytest.raises(QunzuError):
            check_may(board, action, group_id=1, category="work")
    with pytest.raises(QunzuError) as refused:
        check_may_post(board, 7, "work", "x")
    assert refused.value.details["kind"] == "read_only", "the widest switch is the one users are told about"


def test_stop_links_refuses_links_only_and_hold_all_holds() -> None:
    board = SwitchBoard((_switch(1, Scope.GROUP, "7", Kind.STOP_LINKS), _switch(2, Scope.GROUP, "7", Kind.HOLD_ALL)))
    assert board.touches_posting
    with pytest.raises(QunzuError) as refused:
        check_may_post(board, 7, None, "看 example.com")
    assert refused.value.details["kind"] == "stop_links"
    held = check_may_post(board, 7, None, "没有链接")
    assert held is not None and held.kind is Kind.HOLD_ALL
    assert check_may_post(board, 8, None, "看 example.com") is None


@pytest.mark.parametrize(
    ("scope", "key", "kind", "reason", "field"),
    [
        ("galaxy", "", "stop_send", "r", "scope"),
        ("platform", "", "stop_everything", "r", "kind"),
        ("category", "cooking", "stop_send", "r", "scope_key"),
        ("group", "abc", "stop_send", "r", "scope_key"),
        ("group", "7", "stop_create", "r", "kind"),
        ("platform", "", "stop_send", "  ", "reason"),
        ("platform", "", "stop_send", "长" * 501, "reason"),
    ],
)
def test_a_switch_must_name_a_known_scope_kind_and_a_reason(
    scope: str, key: str, kind: str, reason: str, field: str
) -> None:
    with pytest.raises(QunzuError) as refused:
        check_switch(scope, key, kind, reason, categories=CATEGORIES)
    assert refused.value.code is ErrorCode.VALIDATION_FAILED and refused.value.details["field"] == field


def test_a_platform_switch_carries_no_key() -> None:
    spec = check_switch("platform", "ignored", "hold_all", " 原因 ", categories=CATEGORIES)
    assert (spec.scope, spec.scope_key, spec.kind, spec.reason) == (Scope.PLATFORM, "", Kind.HOLD_ALL, "原因")
