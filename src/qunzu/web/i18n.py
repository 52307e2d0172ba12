"""The web UI's texts (the catalogues' [web] section, see qunzu.i18n) and the form-error wording next to a field."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from qunzu.errors import ErrorCode, QunzuError
from qunzu.i18n import LANGUAGES, error_text, raiser_message_first, section

# language → key → text, as the catalogues' [web] sections (read-only)
TEXTS: dict[str, Mapping[str, str]] = {language: section(language, "web") for language in LANGUAGES}

# Keys the browser scripts need (sent to the page as JSON, never as markup).
SCRIPT_KEYS = [k for k in TEXTS["en"] if k.startswith(("chat.", "members.", "verify.", "content.", "reason."))]


def translator(language: str) -> Callable[..., str]:
    """`t(key, **values)` for one language (another language: zh-CN); a missing text falls back to English."""
    texts = TEXTS.get(language, TEXTS[LANGUAGES[0]])
    english = TEXTS["en"]

    def t(key: str, **kw: Any) -> str:
        text = texts.get(key) or english.get(key, key)
        return text.format(**kw) if kw else text

    return t


def form_error(exc: QunzuError, language: str) -> str:
    """The message shown above a form for a refused submission, in the page's language."""
    if exc.code is ErrorCode.CONTENT_REJECTED:
        return content_rejected_text(exc, language)
    if raiser_message_first(language, exc.message):
        return exc.message
    field = exc.details.get("field")
    reason = exc.details.get("reason")
    parts, field_errors = section(language, "error_parts"), section(language, "field_errors")
    if reason == "reserved_word":
        return parts["reserved_word"]
    if exc.code is ErrorCode.ACCOUNT_INFO_REJECTED and field == "nickname":
        return field_errors["nickname"]
    if exc.code is ErrorCode.VALIDATION_FAILED and reason not in section(language, "text_reasons"):
        if isinstance(field, str) and field in field_errors:
            try:
                return field_errors[field].format(**exc.details)
            except (KeyError, IndexError, ValueError):
                pass
    return error_text(exc.code, exc.message, language, exc.details)


def content_rejected_text(exc: QunzuError, language: str) -> str:
    """A refusal by content review, naming the categories in words (never the matched term, never a code)."""
    t = translator(language)
    raw = exc.details.get("categories")
    codes = [c for c in raw if isinstance(c, str)] if isinstance(raw, list) else []
    categories = t("content.list_sep").join(
        t(f"content.{c}") if f"content.{c}" in TEXTS["en"] else c for c in codes
    ) or t("content.custom")
    field = exc.details.get("field")
    if isinstance(field, str) and f"content.field.{field}" in TEXTS["en"]:
        return t("content.rejected_field", field=t(f"content.field.{field}"), categories=categories)
    return t("content.rejected", categories=categories)


# review's field → the form's
CONTENT_FIELDS = {"group_name": "name", "group_description": "description", "group_announcement": "announcement"}


def error_field(exc: QunzuError) -> str | None:
    """The form field the error is about, so the page can mark it invalid."""
    field = exc.details.get("field")
    if isinstance(field, str):
        return CONTENT_FIELDS.get(field, field) if exc.code is ErrorCode.CONTENT_REJECTED else field
    return {
        ErrorCode.WEAK_PASSWORD: "password",
        ErrorCode.USERNAME_TAKEN: "username",
        ErrorCode.ACCOUNT_INFO_REJECTED: "nickname",
        ErrorCode.INVALID_GROUP_CODE: "code",
        ErrorCode.GROUP_NOT_FOUND: "code",
        ErrorCode.UNKNOWN_CATEGORY: "category",
        ErrorCode.AGREEMENT_REQUIRED: "accept",
        ErrorCode.CODE_INVALID: "code",
        ErrorCode.CODE_EXPIRED: "code",
        ErrorCode.CODE_LOCKED: "code",
        ErrorCode.INVALID_CREDENTIALS: "password",
        ErrorCode.IDENTITY_MISMATCH: "id_number",
    }.get(exc.code)


def error_action(exc: QunzuError | None) -> tuple[str, str] | None:
    """Where to go to fix a refusal (link target, text key): verify, or accept the new agreement."""
    if exc is None:
        return None
    if exc.code in (ErrorCode.IDENTITY_UNVERIFIED, ErrorCode.VERIFICATION_LEVEL_REQUIRED):
        return ("/me/verify", "error.go_verify")
    if exc.code is ErrorCode.AGREEMENT_REQUIRED:
        return ("/documents/agreement", "error.go_accept")
    return None
