"""Qunzu's texts in zh-CN and English: message catalogues, language negotiation, and the functions that fill them in.

Every text people read lives in one TOML file per language, ``zh-CN.toml`` and ``en.toml`` in this package,
read once (cached) by :func:`qunzu.i18n.loader.catalogue`, the one loader both the error texts and the web
UI's ``t()`` go through. Both files have the same sections and the same keys, and a key's texts have the same
``{name}`` placeholders (``str.format``); ``tests/web/test_catalogues.py`` checks that, and that every ErrorCode
and every key the templates and browser scripts use has a text.

Where a new text goes:

- ``[web]``: a text of the web UI, keyed ``"page.item"`` (a quoted key, e.g. ``"signup.title"``), read with
  ``t("signup.title", name=...)`` in a template or ``w.t(...)`` in a handler. Keys starting ``chat.``,
  ``members.``, ``verify.``, ``content.`` or ``reason.`` are also sent to the browser scripts (``SCRIPT_KEYS``).
- ``[errors]``: a new ErrorCode's text, keyed by its value (``group_full``); ``{name}`` takes a value of the
  error's details. In English, the raiser's own message is shown; the English text stands in when it has none.
- ``[text_reasons]`` / ``[field_labels]``: a new details.reason of the text rules, and a field's label in them;
  ``[field_errors]``: sharper wording above a web form for validation_failed naming a field;
  ``[error_parts]``: the pieces error texts are built from; ``[password_hints]``: zxcvbn's feedback, keyed by
  its English wording.
- ``[categories]`` (group categories), ``[wait]`` (a wait in seconds, minutes, hours), ``[notices]`` (account
  notices, keyed by kind), ``[sms]`` (text messages; always sent in zh-CN).

A new section needs no code in the loader: ``section(language, "name")`` reads it.
"""

from __future__ import annotations

from qunzu.i18n.error_texts import TEXT_REASONS_ZH, error_text, field_label, password_hint, raiser_message_first
from qunzu.i18n.formats import category_label, lockout_sms_text, notice_text, wait_text
from qunzu.i18n.loader import LANGUAGES, catalogue, section

__all__ = [
    "LANGUAGES",
    "TEXT_REASONS_ZH",
    "catalogue",
    "category_label",
    "error_text",
    "field_label",
    "lockout_sms_text",
    "notice_text",
    "password_hint",
    "pick_language",
    "raiser_message_first",
    "section",
    "wait_text",
]


def pick_language(accept_language: str | None, default: str = "zh-CN") -> str:
    """The best of our languages for an Accept-Language header (q-values honoured)."""
    if not accept_language:
        return default
    best: tuple[float, str] | None = None
    for part in accept_language.split(","):
        bits = part.strip().split(";")
        tag = bits[0].strip().lower()
        q = 1.0
        for b in bits[1:]:
            if b.strip().startswith("q="):
                try:
                    q = float(b.strip()[2:])
                except ValueError:
                    q = 0.0
        lang = "zh-CN" if tag.startswith("zh") else "en" if tag.startswith("en") else None
        if lang and (best is None or q > best[0]):
            best = (q, lang)
    return best[1] if best else default
