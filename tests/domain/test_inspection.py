"""The rules of a regulator's scope (domain/inspection.py, R-3-1, R-13.1-4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from qunzu.domain.inspection import (
    Scope,
    check_access_current,
    check_in_scope,
    check_scope_spec,
    clamp_window,
    in_window,
)
from qunzu.errors import ErrorCode, QunzuError

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
SCOPE = Scope(group_ids=frozenset({7}), categories=frozenset({"work"}), region="北京市",
              window_from=NOW - timedelta(days=30), window_to=NOW, expires_at=NOW + timedelta(days=7))  # fmt: skip


def test_r_13_1_4_a_group_is_in_scope_by_id_or_category_never_by_region_alone() -> None:
    check_in_scope(SCOPE, "study", 7, NOW)
    check_in_scope(SCOPE, "work", 8, NOW)
    with pytest.raises(QunzuError) as exc:
        check_in_scope(SCOPE, "study", 8, NOW)
    assert exc.value.code is ErrorCode.FORBIDDEN
    only_region = Scope(region="北京市", expires_at=NOW + timedelta(days=1))
    with pytest.raises(QunzuError):
        check_in_scope(only_region, "work", 1, NOW)
    check_in_scope(Scope.everything(), "anything", 99, NOW)


def test_r_3_1_access_ends_at_expiry_or_revocation() -> None:
    check_access_current(SCOPE, at=NOW + timedelta(days=7) - timedelta(milliseconds=1))
    for late in (SCOPE, Scope(expires_at=NOW + timedelta(days=7), revoked_at=NOW)):
        with pytest.raises(QunzuError) as exc:
            check_access_current(late, at=NOW + timedelta(days=7) if late is SCOPE else NOW)
        assert exc.value.code is ErrorCode.ACCESS_EXPIRED
    with pytest.raises(QunzuError) as exc:
        check_in_scope(SCOPE, "work", 7, NOW + timedelta(days=8))
    assert exc.value.code is ErrorCode.ACCESS_EXPIRED, "expiry is checked before the group"


def test_r_13_1_4_the_window_limits_records_and_narrows_searches() -> None:
    assert in_window(SCOPE, NOW - timedelta(days=30)) and not in_window(SCOPE, NOW)
    assert not in_window(SCOPE, NOW - timedelta(days=31))
    assert clamp_window(SCOPE, None, None) == (SCOPE.window_from, SCOPE.window_to)
    assert clamp_window(SCOPE, NOW - timedelta(days=99), NOW + timedelta(days=9)) == (SCOPE.window_from, NOW)
    inner = (NOW - timedelta(days=3), NOW - timedelta(days=1))
    assert clamp_window(SCOPE, *inner) == inner
    assert clamp_window(Scope.everything(), None, None) == (None, None)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"official_name": " "}, "official_name"),
        ({"organisation": ""}, "organisation"),
        ({"group_ids": [], "categories": []}, "group_ids"),
        ({"categories": ["nope"]}, "categories"),
        ({"window_to": NOW - timedelta(days=40)}, "window_to"),
        ({"expires_at": NOW}, "expires_at"),
        ({"expires_at": NOW + timedelta(days=367)}, "expires_at"),
    ],
)
def test_r_3_1_an_access_is_refused_naming_the_field(changes: dict[str, object], field: str) -> None:
    spec: dict[str, object] = {
        "official_name": "张监督", "organisation": "某省网信办", "group_ids": [], "categories": ["work"],
        "known_categories": ["work", "study"], "window_from": NOW - timedelta(days=30), "window_to": NOW,
        "expires_at": NOW + timedelta(days=7), "now": NOW,
    }  # fmt: skip
    check_scope_spec(**spec)  # type: ignore[arg-type]
    with pytest.raises(QunzuError) as exc:
        check_scope_spec(**(spec | changes))  # type: ignore[arg-type]
    assert exc.value.details["field"] == field
