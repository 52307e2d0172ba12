"""The blacklist's account notices as their owner reads them (services/blacklist_effects.py writes the details)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from qunzu.i18n.formats import china_time
from qunzu.i18n.loader import section


def level_label(level: int, language: str) -> str:
    """A severity as people read it: "一级（限制功能）" / "level 1 (restricted)"."""
    return section(language, "blacklist").get(f"level.{level}", str(level))


def effect_label(effect: str, language: str) -> str:
    return section(language, "blacklist").get(f"effect.{effect}", effect)


def _time(value: Any) -> str | None:
    try:
        return china_time(datetime.fromisoformat(str(value))) if value else None
    except ValueError:
        return None


def appeal_link(kind: str, details: dict[str, Any]) -> str | None:
    """Where the person appeals the entry a notice is about (web/appeals.py); none once it has ended."""
    entry_id = details.get("entry_id")
    if kind.removeprefix("blacklist_") in ("removed", "expired") or not isinstance(entry_id, int):
        return None
    return f"/me/blacklist/{entry_id}/appeal"


def blacklist_notice_text(kind: str, details: dict[str, Any], language: str) -> str:
    """What changed, why, how severe, what it restricts, when it ends and is reviewed, and how to appeal."""
    texts = section(language, "blacklist")
    change = kind.removeprefix("blacklist_")
    heading = texts.get(f"notice.{change}.{details.get('subject')}") or texts.get(f"notice.{change}")
    if heading is None:
        heading = texts["notice.changed"]
    parts = [heading.format(group_name=details.get("group_name") or "")]
    stop = "。" if language == "zh-CN" else "."
    if details.get("reason") and change != "expired":
        reason = str(details["reason"]).strip().rstrip("。.")
        parts.append(texts["notice.reason"].format(reason=reason) + stop)
    ended = change in ("removed", "expired")
    if not ended and details.get("subject") != "group":
        level = int(details.get("level") or 0)
        effects = [effect_label(str(e), language) for e in details.get("effects") or []]
        separator = "、" if language == "zh-CN" else ", "
        parts.append(texts["notice.level"].format(level=level_label(level, language), effects=separator.join(effects)))
    starts, review = _time(details.get("starts_at")), _time(details.get("review_at"))
    ends = _time(details.get("ends_at")) or texts["notice.until_removed"]
    if not ended and starts and review:
        parts.append(texts["notice.period"].format(starts=starts, ends=ends, review=review))
    if not ended:
        parts.append(texts["notice.appeal"].format(link=appeal_link(kind, details) or "/me/appeals"))
    return ("" if language == "zh-CN" else " ").join(parts)
