"""The credit scale (R-7.2-*, D10): a ledger adds up to a score, a score falls in a level, a level decides what a user
may do; clean time recovers slowly and an upheld appeal undoes its event. Pure: no database, no clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from qunzu.domain.credit import (
    CreditEvent,
    CreditLevel,
    CreditPolicy,
    Entitlement,
    EventKind,
    Severity,
    check_entitlement,
    level_of,
    next_recovery,
    recovery_due,
    score_of,
    violation_event,
)
from qunzu.domain.policy import GroupPolicy
from qunzu.errors import ErrorCode, QunzuError

P = CreditPolicy()
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def violation(severity: Severity, at: datetime, event_id: int | None = None) -> CreditEvent:
    event = violation_event(severity, at=at, reason="赌博广告", rule_id="R-10-1", policy=P)
    return CreditEvent(event.kind, event.delta, event.at, event.reason, event.rule, id=event_id)


def test_r_7_2_1_a_new_user_starts_at_100_and_a_moderate_violation_costs_10() -> None:
    assert score_of([], P) == 100
    event = violation(Severity.MODERATE, T0)
    assert (event.kind, event.delta, event.reason, event.rule) == (EventKind.VIOLATION, -10, "赌博广告", "R-10-1")
    assert score_of([event], P) == 90


def test_r_7_2_1_a_deduction_names_its_reason_and_rule() -> None:
    with pytest.raises(QunzuError) as refused:
        violation_event(Severity.MINOR, at=T0, reason=" ", rule_id="R-10-1", policy=P)
    assert refused.value.code is ErrorCode.VALIDATION_FAILED


@pytest.mark.parametrize(
    ("score", "level"),
    [(120, CreditLevel.C5), (110, CreditLevel.C5), (109, CreditLevel.C4), (100, CreditLevel.C4),
     (99, CreditLevel.C3), (80, CreditLevel.C3), (79, CreditLevel.C2), (60, CreditLevel.C2),
     (59, CreditLevel.C1), (1, CreditLevel.C1), (0, CreditLevel.C0)],
)  # fmt: skip
def test_levels_follow_the_published_scale(score: int, level: CreditLevel) -> None:
    assert level_of(score, P) is level


def test_the_score_stays_within_0_and_120() -> None:
    events = [violation(Severity.SERIOUS, T0 + i * DAY) for i in range(7)]
    assert score_of(events, P) == 0
    bonus = [CreditEvent(EventKind.ADJUSTMENT, 50, T0, reason="staff correction")]
    assert score_of(bonus, P) == 120
    assert score_of([*events, CreditEvent(EventKind.ADJUSTMENT, 5, T0 + 30 * DAY, reason="x")], P) == 5


def test_r_7_2_3_an_upheld_appeal_reverses_its_event_and_restores_the_score() -> None:
    first, second = violation(Severity.SERIOUS, T0, 1), violation(Severity.MINOR, T0 + DAY, 2)
    assert score_of([first, second], P) == 75
    reversal = CreditEvent(EventKind.REVERSAL, 0, T0 + 3 * DAY, reason="appeal upheld", reverses=1, id=3)
    assert score_of([first, second, reversal], P) == 95


def test_clean_time_recovers_one_point_a_week_from_the_last_violation() -> None:
    events = [violation(Severity.MODERATE, T0, 1), violation(Severity.MINOR, T0 + 10 * DAY, 2)]  # 85
    assert recovery_due(events, now=T0 + 16 * DAY, policy=P) == [], "six clean days earn nothing"
    due = recovery_due(events, now=T0 + 24 * DAY, policy=P)
    assert [(e.delta, e.at) for e in due] == [(1, T0 + 17 * DAY), (1, T0 + 24 * DAY)]
    assert score_of([*events, *due], P) == 87
    assert recovery_due([*events, *due], now=T0 + 24 * DAY, policy=P) == [], "a recovery is earned once"
    assert next_recovery([*events, *due], policy=P) == T0 + 31 * DAY


def test_recovery_stops_at_the_start_and_a_reversed_violation_does_not_hold_it_back() -> None:
    events = [violation(Severity.MINOR, T0, 1)]  # 95
    due = recovery_due(events, now=T0 + 365 * DAY, policy=P)
    assert len(due) == 5 and score_of([*events, *due], P) == 100
    assert next_recovery([*events, *due], policy=P) is None
    assert recovery_due([], now=T0 + 365 * DAY, policy=P) == [], "nothing to recover from"
    appealed = [
        violation(Severity.MINOR, T0, 1),
        violation(Severity.MINOR, T0 + 20 * DAY, 2),
        CreditEvent(EventKind.REVERSAL, 0, T0 + 21 * DAY, reason="appeal upheld", reverses=2, id=3),
    ]
    assert [e.at for e in recovery_due(appealed, now=T0 + 22 * DAY, policy=P)] == [
        T0 + 7 * DAY,
        T0 + 14 * DAY,
        T0 + 21 * DAY,
    ]


@pytest.mark.parametrize(
    ("score", "what", "allowed"),
    [(0, Entitlement.POST, False), (1, Entitlement.POST, True), (59, Entitlement.CREATE_GROUP, False),
     (60, Entitlement.CREATE_GROUP, True), (79, Entitlement.SHARE_LINKS, False), (80, Entitlement.SHARE_LINKS, True),
     (59, Entitlement.MANAGE, False), (60, Entitlement.INVITE, True)],
)  # fmt: skip
def test_r_7_2_2_each_entitlement_needs_its_level(score: int, what: Entitlement, allowed: bool) -> None:
    if allowed:
        check_entitlement(score, what, policy=P)
        return
    with pytest.raises(QunzuError) as refused:
        check_entitlement(score, what, policy=P)
    assert refused.value.code is ErrorCode.CREDIT_INSUFFICIENT
    details = refused.value.details
    assert details["entitlement"] == what.value and details["score"] == score
    assert details["unlock_score"] == P.floor(CreditLevel(details["required_level"])) > score


def test_r_8_1_2_groups_owned_scale_with_the_level() -> None:
    policy = GroupPolicy()
    assert [policy.level(s, P).owned_max for s in (0, 30, 60, 80, 100, 110)] == [0, 0, 5, 20, 50, 100]
