"""A time in an error's details is ISO 8601 UTC for clients, and Beijing time, labelled, in the text people read."""

from __future__ import annotations

from qunzu.errors import ErrorCode
from qunzu.i18n.error_texts import error_text


def test_until_reads_as_beijing_time_in_chinese() -> None:
    text = error_text(ErrorCode.GROUP_SUSPENDED, "", "zh-CN", {"until": "2026-12-08T21:25:03Z"})
    assert "2026-12-09 05:25（北京时间）" in text and "T21:25" not in text


def test_a_value_that_is_no_time_is_left_as_it_is() -> None:
    assert "garbage" in error_text(ErrorCode.GROUP_SUSPENDED, "", "zh-CN", {"until": "garbage"})
