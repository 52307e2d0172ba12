"""The account notice that tells a reporter the result of their report (Art. 12, R-12.1-2): the number, the
category, the outcome and the kind of measure taken, never anything about the person reported."""

from __future__ import annotations

from typing import Any

from qunzu.i18n.loader import section


def report_notice_text(details: dict[str, Any], language: str) -> str:
    """`report_decided`: 你的举报（编号 …）已处理完毕 …, in the reader's language."""
    notices = section(language, "notices")
    number = str(details.get("number") or "")
    category = section(language, "report_categories").get(str(details.get("category")), "")
    decision = notices.get(f"report_outcome_{details.get('decision')}")
    if not number or decision is None:
        return notices["report_decided_no_details"]
    kind = details.get("measure")
    measure = section(language, "web").get(f"tickets.measure.{kind}") if kind else None
    taken = notices["report_measure"].format(measure=measure) if measure else ""
    return notices["report_decided"].format(number=number, category=category, decision=decision, measure=taken)
