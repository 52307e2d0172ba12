"""Text that people send: which characters may enter Qunzu at all, and what counts as "nothing written".

Every text input (API bodies and parameters, web forms, imported files) goes through these functions before it
reaches a service or the database, so the rules live here once:

- refused everywhere: NUL and the other C0 controls except TAB and LF, DEL and the C1 controls, lone surrogates
  (they cannot be written as UTF-8, so PostgreSQL and SQLite refuse them) and the Unicode noncharacters;
- a CR LF or a lone CR (a browser textarea's line end) becomes LF instead of being refused;
- single-line fields (names, nickname, search, purpose, case number, lexicon term, reason) also refuse LF and TAB;
- a required field must show something: text made only of whitespace and invisible characters (format characters
  such as U+200B/U+200D/U+2060/U+FEFF, variation selectors, Hangul fillers, …) counts as empty. Invisible
  characters *inside* visible text stay (the ZWJ of an emoji sequence, a variation selector after a CJK character).

Pure: no I/O. `parse_int` is the one way a query, path or form string becomes a number.
"""

from __future__ import annotations

import re

from qunzu.errors import ValidationFailed

# reasons named in details.reason (stable, like error codes)
CONTROL_CHARACTER = "control_character"
SURROGATE = "surrogate"
NONCHARACTER = "noncharacter"
LINE_BREAK = "line_break"
EMPTY = "empty"
REASONS = (CONTROL_CHARACTER, SURROGATE, NONCHARACTER, LINE_BREAK, EMPTY)

# C0 except TAB, LF, CR; DEL and C1; surrogates; the BMP noncharacters. The astral noncharacters (U+1FFFE, U+1FFFF,
# … U+10FFFF) are looked for separately: a character class listing them makes every search several times slower.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")
_FORBIDDEN_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_NEWLINES = re.compile("\r\n?")

# Default_Ignorable_Code_Point (Unicode DerivedCoreProperties), plus the Braille blank, which also draws nothing.
INVISIBLE = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f"
    "\u2800\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff"
)
_NOTHING_VISIBLE = re.compile(r"[\s" + INVISIBLE + "]*")


def _first_forbidden(text: str, pattern: re.Pattern[str]) -> int | None:
    if text.isprintable():  # no Cc, Cs or Cn character at all: the common case, checked at C speed
        return None
    found = pattern.search(text)
    end = found.start() if found is not None else len(text)
    if _ASTRAL.search(text, 0, end) is not None:  # an astral noncharacter before it?
        for astral in _ASTRAL.finditer(text, 0, end):
            if ord(astral.group()) & 0xFFFE == 0xFFFE:
                return astral.start()
    return None if found is None else end


def forbidden_character(ch: str) -> str | None:
    """The reason one character may never be part of a text, or None when it may (TAB, LF and CR may)."""
    return _reason(ch) if _first_forbidden(ch, _FORBIDDEN) is not None else None


def _reason(ch: str) -> str:
    if "\ud800" <= ch <= "\udfff":
        return SURROGATE
    if ord(ch) <= 0x9F:
        return CONTROL_CHARACTER
    return NONCHARACTER


def has_visible(text: str) -> bool:
    """Whether `text` shows anything: not only whitespace and invisible (default-ignorable) characters."""
    return _NOTHING_VISIBLE.fullmatch(text) is None


def normalise_newlines(text: str) -> str:
    """CR LF and lone CR (what browsers send from a textarea, old Mac files) become LF."""
    return _NEWLINES.sub("\n", text) if "\r" in text else text


def text_problem(text: str, *, single_line: bool = False) -> tuple[str, int] | None:
    """The first character `text` may not contain, as (reason, index), or None. CR counts as a line break."""
    at = _first_forbidden(text, _FORBIDDEN_LINE if single_line else _FORBIDDEN)
    if at is not None:
        return (LINE_BREAK if text[at] in "\t\n\r" else _reason(text[at])), at
    return None


def _refused(field: str, reason: str, at: int, ch: str) -> ValidationFailed:
    what = {
        CONTROL_CHARACTER: "a control character",
        SURROGATE: "an unpaired surrogate (not valid Unicode text)",
        NONCHARACTER: "a Unicode noncharacter",
        LINE_BREAK: "a line break or tab (one line only)",
    }[reason]
    return ValidationFailed(
        f"{field or 'The text'} contains {what}: U+{ord(ch):04X}, character {at + 1}",
        details={"field": field, "reason": reason, "position": at, "character": f"U+{ord(ch):04X}"},
    )


def empty_text(field: str) -> ValidationFailed:
    return ValidationFailed(
        f"{field or 'The text'} is empty: it has no visible characters",
        details={"field": field, "reason": EMPTY},
    )


def check_characters(raw: str, *, field: str, single_line: bool = False) -> str:
    """Refuse a control character (TAB and line ends excepted unless `single_line`), a surrogate or a noncharacter;
    return `raw` unchanged. For fields whose own rule decides what counts as empty."""
    problem = text_problem(raw, single_line=single_line)
    if problem is not None:
        raise _refused(field, problem[0], problem[1], raw[problem[1]])
    return raw


def clean_text(raw: str, *, field: str, required: bool = False) -> str:
    """Multi-line text (a description, an announcement, a document body): line ends become LF; controls other than
    TAB and LF, surrogates and noncharacters are refused; text with nothing visible is refused when required, and
    also when it is not blank (only invisible characters: U+200B alone is not a way to leave a field empty)."""
    text = check_characters(normalise_newlines(raw), field=field)
    if (required or text.strip()) and not has_visible(text):
        raise empty_text(field)
    return text


def clean_line(raw: str, *, field: str, required: bool = True) -> str:
    """Single-line text (a name, a search, a purpose, a term): like `clean_text`, and no line break or TAB."""
    check_characters(raw, field=field, single_line=True)
    if (required or raw.strip()) and not has_visible(raw):
        raise empty_text(field)
    return raw


def check_secret(raw: str, *, field: str) -> str:
    """A password or other secret: kept exactly as typed (never normalised, TAB allowed), but it must be real text
    (no NUL or other control, no surrogate), so it can be encoded and hashed."""
    return check_characters(raw, field=field)


def check_message_characters(text: str) -> str:
    """A chat message may hold TAB, LF and CR (returned with LF line ends) but no other control character."""
    return normalise_newlines(check_characters(text, field="text"))


def message_is_blank(text: str) -> bool:
    """A message with nothing visible in it (spaces, ZWSP, a lone ZWJ, …) is empty; an emoji with ZWJ is not."""
    return not has_visible(text)


_ASCII_INT = re.compile(r"(?:0|[1-9][0-9]*)\Z")


def parse_int(raw: str | None, *, lo: int = 0, hi: int = 2**53 - 1) -> int | None:
    """An integer written in ASCII digits without sign, spaces, separators or leading zeros, within [lo, hi]; else
    None. `str.isdigit()` accepts "²" and "١٢", which `int()` then refuses or reads differently."""
    if raw is None or len(raw) > len(str(hi)) or not _ASCII_INT.match(raw):
        return None
    value = int(raw)
    return value if lo <= value <= hi else None
