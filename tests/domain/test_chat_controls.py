"""The chat controls' rules, pure (R-9.3-1, R-7.1-4)."""

from datetime import UTC, datetime, timedelta

import pytest

from qunzu.domain import chat_controls as rules
from qunzu.domain.roles import GroupRole
from qunzu.errors import QunzuError

NOW = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)


def test_r_9_3_1_a_mute_holds_until_its_time_and_says_when() -> None:
    with pytest.raises(QunzuError) as refused:
        rules.check_not_muted(NOW + timedelta(hours=1), now=NOW)
    assert refused.value.code == "member_muted" and refused.value.details == {"until": "2026-12-08T03:00:00Z"}
    rules.check_not_muted(NOW, now=NOW)  # over at its time
    rules.check_not_muted(None, now=NOW)


def test_r_9_3_1_mute_all_spares_the_owner_and_managers() -> None:
    with pytest.raises(QunzuError) as refused:
        rules.check_group_not_muted(True, GroupRole.MEMBER)
    assert refused.value.code == "group_muted"
    rules.check_group_not_muted(True, GroupRole.MANAGER)
    rules.check_group_not_muted(True, GroupRole.CREATOR)
    rules.check_group_not_muted(False, GroupRole.MEMBER)


@pytest.mark.parametrize(("seconds", "ok"), [(0, True), (9, False), (10, True), (3600, True), (3601, False)])
def test_r_9_3_1_slow_mode_is_off_or_ten_seconds_to_an_hour(seconds: int, ok: bool) -> None:
    if ok:
        assert rules.check_slow_mode_seconds(seconds) == seconds
    else:
        with pytest.raises(QunzuError):
            rules.check_slow_mode_seconds(seconds)


def test_r_9_3_1_caps_and_keyword_match() -> None:
    rules.check_pins_cap(9)
    with pytest.raises(QunzuError) as refused:
        rules.check_pins_cap(10)
    assert refused.value.code == "pins_limit"
    with pytest.raises(QunzuError):
        rules.check_keywords_cap(100)
    assert rules.keyword_hit("专业代购请私聊", ["代购"]) and not rules.keyword_hit("早上好", ["代购", ""])
    with pytest.raises(QunzuError):
        rules.check_keyword("！！", "")
    assert rules.check_keyword(" 代购 ", "代购") == "代购"


def test_r_7_1_4_a_level_without_a_rate_sends_nothing() -> None:
    with pytest.raises(QunzuError) as refused:
        rules.check_may_send(0)
    assert refused.value.code == "credit_insufficient"
    assert rules.send_rate_refused(1500, 20).details == {"retry_after_ms": 1500, "per_minute": 20}
