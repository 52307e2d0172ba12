"""The pure rules of lawful requests (R-13.1-1): who was a member, who owned the group, which addresses parse."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from qunzu.domain import lawful_requests as lr
from qunzu.errors import QunzuError

LO = datetime(2026, 3, 1, tzinfo=UTC)
HI = LO + timedelta(days=2)
LATER = HI + timedelta(hours=1)


def test_members_at_the_end_are_worked_back_from_today_and_the_events_since() -> None:
    current = {1: LO - timedelta(days=9), 2: LATER, 3: LO}  # 2 left after the period and came back
    later = [("group.leave", 2), ("group.remove", 4), ("group.join", 2), ("group.join", 5)]
    assert lr.members_at(current, later, HI) == {1, 2, 3, 4}, "5 joined after the period"


def test_owners_during_the_period_include_the_one_a_transfer_replaced() -> None:
    assert lr.owners_during(9, [], LO, HI) == {9}
    inside = [(LO + timedelta(hours=1), 7)]
    assert lr.owners_during(9, inside, LO, HI) == {9, 7}
    after = [(LATER, 7)]
    assert lr.owners_during(9, after, LO, HI) == {7}, "9 became owner only after the period"
    assert lr.owners_during(9, [*inside, (LATER, 8)], LO, HI) == {8, 7}


@pytest.mark.parametrize(
    ("raw", "ip", "port"),
    [("203.0.113.7", "203.0.113.7", None), ("203.0.113.7:50123", "203.0.113.7", 50123),
     ("[2001:db8::1]:443", "2001:db8::1", 443), ("2001:db8::1", "2001:db8::1", None)],
)  # fmt: skip
def test_addresses_parse_with_and_without_a_port(raw: str, ip: str, port: int | None) -> None:
    assert lr.parse_address(raw) == lr.Address(ip, port)


@pytest.mark.parametrize("raw", ["203.0.113.300", "203.0.113.7:0", "203.0.113.7:x", "[::1]443", "example.org"])
def test_a_bad_address_names_the_field(raw: str) -> None:
    with pytest.raises(QunzuError) as refused:
        lr.parse_address(raw)
    assert refused.value.details["field"] == "addresses"
