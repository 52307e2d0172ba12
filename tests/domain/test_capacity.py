"""The capacity rules (R-5.1-1): each figure against its target, shifts that end by themselves, and decisions counted
per reviewer per Beijing calendar day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from qunzu.domain.capacity import (
    Backlog,
    Breach,
    CapacityFigures,
    CapacityTargets,
    beijing_days,
    breaches,
    on_shift,
    reviewer_output,
    target_checks,
)

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)  # 17:00 Beijing time
TARGETS = CapacityTargets(review_sla=timedelta(minutes=30), backlog_per_reviewer=10, max_shift=timedelta(hours=12))


def test_all_met_when_nothing_waits_even_with_nobody_on_shift() -> None:
    assert breaches(CapacityFigures(), targets=TARGETS, now=NOW) == []


def test_the_oldest_review_item_is_held_to_the_sla_to_the_second() -> None:
    at_sla = CapacityFigures(review=Backlog(open=1, oldest_at=NOW - timedelta(minutes=30)), on_shift=1)
    past = CapacityFigures(review=Backlog(open=1, oldest_at=NOW - timedelta(minutes=30, seconds=1)), on_shift=1)
    assert breaches(at_sla, targets=TARGETS, now=NOW) == []
    assert breaches(past, targets=TARGETS, now=NOW) == [Breach.REVIEW_SLA]
    check = target_checks(past, targets=TARGETS, now=NOW)[0]
    assert (check.value, check.target, check.ok) == (1801, 1800, False)


def test_overdue_tickets_and_appeals_and_nobody_on_shift() -> None:
    figures = CapacityFigures(tickets=Backlog(open=2, oldest_at=NOW, overdue=1), appeals=Backlog(open=1, overdue=1))
    assert breaches(figures, targets=TARGETS, now=NOW) == [
        Breach.TICKETS_OVERDUE,
        Breach.APPEALS_OVERDUE,
        Breach.NOBODY_ON_SHIFT,
    ]


def test_work_per_reviewer_on_shift_counts_every_queue() -> None:
    figures = CapacityFigures(review=Backlog(open=15), tickets=Backlog(open=4), appeals=Backlog(open=2), on_shift=2)
    assert figures.backlog_per_reviewer() == 10.5
    assert breaches(figures, targets=TARGETS, now=NOW) == [Breach.BACKLOG_PER_REVIEWER]
    assert breaches(CapacityFigures(review=Backlog(open=20), on_shift=2), targets=TARGETS, now=NOW) == []


def test_a_shift_counts_until_it_ends_or_reaches_the_longest_shift() -> None:
    started = NOW - timedelta(hours=11, minutes=59)
    assert on_shift(started, None, now=NOW, max_shift=TARGETS.max_shift)
    assert not on_shift(started, None, now=NOW + timedelta(minutes=1), max_shift=TARGETS.max_shift)
    assert not on_shift(started, NOW - timedelta(hours=1), now=NOW, max_shift=TARGETS.max_shift)


def test_decisions_are_counted_per_reviewer_per_beijing_day() -> None:
    days = beijing_days(NOW)
    assert days[0] == date(2026, 2, 23) and days[-1] == date(2026, 3, 1) and len(days) == 7
    late = datetime(2026, 2, 28, 15, 59, tzinfo=UTC)  # 23:59 Beijing time on the 28th
    early = datetime(2026, 2, 28, 16, 0, tzinfo=UTC)  # 00:00 Beijing time on 1 March
    too_old = datetime(2026, 2, 22, 15, 59, tzinfo=UTC)  # 23:59 on 22 February: outside the 7 days
    out = reviewer_output([(7, "review", late), (7, "tickets", early), (7, "review", too_old), (3, "appeals", early),
                           (3, "appeals", early), (3, "review", early)], days=days)  # fmt: skip
    assert [(o.reviewer_id, o.per_day, o.by_queue) for o in out] == [
        (3, (0, 0, 0, 0, 0, 0, 3), {"review": 1, "tickets": 0, "appeals": 2}),
        (7, (0, 0, 0, 0, 0, 1, 1), {"review": 1, "tickets": 1, "appeals": 0}),
    ]
    assert out[1].total == 2 and out[1].per_day_average == 2 / 7
