"""An error code's text in a language, from the catalogues' [errors] and the sections that refine it."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from qunzu.errors import ErrorCode
from qunzu.i18n.formats import china_time, wait_text
from qunzu.i18n.loader import catalogue, section

# validation_failed with details.reason from the text rules (qunzu.domain.text, the real name rule)
TEXT_REASONS_ZH: Mapping[str, str] = section("zh-CN", "text_reasons")


def raiser_message_first(language: str, message: str) -> bool:
    """Whether the raiser's own message is the text: it is English, so in every language but zh-CN (if it has one)."""
    return bool(message) and language != "zh-CN"


def error_text(code: ErrorCode, english: str, language: str, details: dict[str, Any]) -> str:
    """An error for people: `english` is the raiser's message; zh-CN (or no message) takes the catalogue's text."""
    if raiser_message_first(language, english):
        return english
    texts = catalogue(language)
    parts = texts["error_parts"]
    reason = details.get("reason")
    reasons = texts["text_reasons"]
    if code is ErrorCode.VALIDATION_FAILED and isinstance(reason, str) and reason in reasons:
        with contextlib.suppress(KeyError, IndexError, ValueError):
            return reasons[reason].format(**(details | {"field": field_label(details.get("field"), language)}))
    wait = details.get("retry_after_ms")
    if code is ErrorCode.RATE_LIMITED and isinstance(wait, int):
        return parts["rate_limited_wait"].format(wait=wait_text(wait, language))
    restriction = f"stars_{details.get('restriction')}"
    if code is ErrorCode.STARS_RESTRICTED and restriction in parts:
        with contextlib.suppress(KeyError, IndexError, ValueError):
            return parts[restriction].format(stars=int(details["stars"]))
    hint = details.get("hint")
    if code is ErrorCode.WEAK_PASSWORD and isinstance(hint, str):
        return parts["weak_password_hint"].format(hint=password_hint(hint, language))
    template = texts["errors"].get(code)
    if template is None:
        return english
    try:
        return template.format(**(details | _readable_times(details, parts)))
    except (KeyError, IndexError, ValueError):
        return template.split("（")[0].split(" (")[0]  # without the parenthesis that names the missing value


def _readable_times(details: dict[str, Any], parts: Mapping[str, str]) -> dict[str, str]:
    """An `until` in the details (ISO 8601 UTC, for clients) as people read it: Beijing time, labelled."""
    until = details.get("until")
    if not isinstance(until, str):
        return {}
    try:
        at = datetime.fromisoformat(until.replace("Z", "+00:00"))
    except ValueError:
        return {}
    return {"until": parts["beijing_time"].format(time=china_time(at))} if at.tzinfo else {}


def field_label(field: object, language: str) -> str:
    """A field named in details.field, as the text rules' messages name it."""
    parts = section(language, "error_parts")
    if not isinstance(field, str) or not field:
        return parts["field_unnamed"]
    return section(language, "field_labels").get(field) or parts["field_quoted"].format(field=field)


def password_hint(hint: str, language: str) -> str:
    """zxcvbn's English feedback in the page's language (unknown feedback: a general hint)."""
    hints = section(language, "password_hints")
    return hints.get(hint) or hints["unknown_feedback"]
