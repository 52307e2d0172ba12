"""Texts with values in them: category labels, waits, account notices, the lockout SMS (China Standard Time)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from qunzu.i18n.loader import section

CHINA = ZoneInfo("Asia/Shanghai")


def china_time(at: datetime) -> str:
    return at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def category_label(category: str, language: str) -> str:
    """A group category's label; an unknown category is shown as stored."""
    return section(language, "categories").get(category, category)


def wait_text(ms: int, language: str) -> str:
    """A wait as people say it, rounded up: "45 s", "5 min", "2 h" / "45 秒", "5 分钟", "2 小时"."""
    units = section(language, "wait")
    seconds = max(1, -(-ms // 1000))
    if seconds < 120:
        return units["seconds"].format(n=seconds)
    minutes = -(-seconds // 60)
    if minutes < 120:
        return units["minutes"].format(n=minutes)
    return units["hours"].format(n=-(-minutes // 60))


def lockout_sms_text(*, failures: int, ip: str, at: datetime, until: datetime) -> str:
    """The SMS to a locked account's verified mobile number (mainland numbers only: in zh-CN)."""
    return section("zh-CN", "sms")["lockout"].format(
        at=china_time(at), failures=failures, ip=ip, until=china_time(until)
    )


def notice_text(kind: str, details: dict[str, Any], language: str) -> str:
    """An account notice as its owner reads it (times in China Standard Time, UTC+8)."""
    if kind.startswith("blacklist_"):
        from qunzu.i18n.blacklist_texts import blacklist_notice_text  # it uses china_time from here

        return blacklist_notice_text(kind, details, language)
    if kind in ("measure", "measure_ended", "warning_overdue", "group_closed"):  # platform measures (Art. 11)
        from qunzu.i18n.measure_texts import measure_notice_text  # it uses china_time from here

        return measure_notice_text(kind, details, language)
    if kind == "report_decided":  # a report's result, to its reporter (Art. 12)
        from qunzu.i18n.report_texts import report_notice_text

        return report_notice_text(details, language)
    if kind != "account_locked":
        return _plain_notice(kind, details, language)
    notices = section(language, "notices")
    try:
        until = china_time(datetime.fromisoformat(str(details["locked_until"])))
        failures, ip = int(details["failures"]), str(details["ip"])
    except (KeyError, ValueError, TypeError):
        return notices["account_locked_no_details"]
    return notices["account_locked"].format(failures=failures, ip=ip, until=until)


def _plain_notice(kind: str, details: dict[str, Any], language: str) -> str:
    """A notice whose text is its [notices] template filled from its details (a decision word from
    `join_decision_<decision>`); the kind itself when there is no template or a value is missing."""
    notices = section(language, "notices")
    template = notices.get(kind)
    if template is None:
        return kind
    values = {k: "" if v is None else str(v) for k, v in details.items()}
    if "decision" in values:
        values["decision"] = notices.get(f"join_decision_{values['decision']}", values["decision"])
    try:
        return template.format(**values).strip()
    except (KeyError, IndexError, ValueError):
        return kind
