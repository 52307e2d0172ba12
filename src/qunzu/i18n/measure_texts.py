"""The account notices of platform measures as their subject reads them (Art. 11, R-11-x): the measure, what it is
on, the reason, the rule and the law (依法依约), the period, the rectification, and where to appeal."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from qunzu.domain.enforcement import clause_text, legal_basis_text
from qunzu.i18n.formats import china_time
from qunzu.i18n.loader import section

MEASURE_NOTICE_KINDS = frozenset({"measure", "measure_ended", "warning_overdue", "group_closed"})


def _time(value: Any) -> str | None:
    if not value:
        return None
    try:
        return china_time(datetime.fromisoformat(str(value).replace("Z", "+00:00")))
    except ValueError:
        return None


def measure_label(kind: str, language: str) -> str:
    return section(language, "web").get(f"measures.kind.{kind}", kind)


def measure_notice_text(kind: str, details: dict[str, Any], language: str) -> str:
    """One measure notice in `language` (an unknown or incomplete one: its kind)."""
    texts = section(language, "measure_notices")
    web = section(language, "web")
    try:
        measure = measure_label(str(details["measure"]), language)
        if details.get("stars"):
            measure = texts["to_stars"].format(measure=measure, stars=int(details["stars"]))
        code = details.get("group_code")
        on = (
            texts["on_group"].format(name=details.get("group_name") or "", code=code)
            if details.get("target_type") == "group"
            else texts["on_message"].format(code=code or "")
            if details.get("target_type") == "message"
            else texts["on_you"]
        )
        if kind == "group_closed":
            return texts["group_closed"].format(name=details.get("group_name") or "", code=code or "",
                                                reason=str(details["reason"]).rstrip("。.！!"))  # fmt: skip
        if kind == "measure_ended":
            status = web.get(f"measures.status.{details.get('status')}", str(details.get("status")))
            return texts["ended"].format(measure=measure, on=on, status=status)
        if kind == "warning_overdue":
            return texts["overdue"].format(on=on, deadline=_time(details.get("ends_at")) or "")
        until = _time(details.get("ends_at"))
        period = (
            texts["deadline"].format(until=until)
            if details["measure"] == "group_warning" and until
            else texts["until"].format(until=until)
            if until
            else texts["no_end"]
        )
        rectification = details.get("rectification")
        return (
            texts["applied"]
            .format(
                on=on,
                measure=measure,
                reason=str(details["reason"]).rstrip("。.！!"),
                clause=clause_text(str(details["clause"]), language),
                law=legal_basis_text(str(details["legal_basis"]), language),
                period=period,
                rectification=texts["rectification"].format(text=str(rectification).rstrip("。.！!"))
                if rectification
                else "",
            )
            .strip()
        )
    except (KeyError, IndexError, ValueError, TypeError):
        return kind
