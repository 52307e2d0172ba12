"""The text rules every input goes through (qunzu.domain.text), the real-name rule, and the one integer parser."""

from __future__ import annotations

import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qunzu.domain.identity import normalise_name
from qunzu.domain.limits import check_message_text
from qunzu.domain.text import (
    clean_line,
    clean_text,
    forbidden_character,
    has_visible,
    parse_int,
    text_problem,
)
from qunzu.errors import ErrorCode, ValidationFailed
from qunzu.review.lexicon import forbidden_at

ANY_TEXT = st.text(st.characters(codec=None, categories=None), max_size=40)  # every category: Cc, Cs, Cn, …


def refusal(fn, *args, **kw) -> ValidationFailed:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailed) as caught:
        fn(*args, **kw)
    return caught.value


# --- characters no text may hold -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("x\x00", "control_character"),
        ("a\x1bb", "control_character"),
        ("a\x7fb", "control_character"),
        ("a\x85b", "control_character"),  # C1 NEL
        ("a\ud800b", "surrogate"),
        ("a\udfffb", "surrogate"),
        ("a\ufdd0b", "noncharacter"),
        ("a\uffffb", "noncharacter"),
        ("a\U0010fffeb", "noncharacter"),
    ],
)
def test_controls_surrogates_and_noncharacters_are_refused_with_the_field_and_the_reason(
    text: str, reason: str
) -> None:
    for check in (clean_text, clean_line):
        exc = refusal(check, text, field="description")
        assert exc.code is ErrorCode.VALIDATION_FAILED
        assert exc.details["field"] == "description" and exc.details["reason"] == reason
        assert exc.details["character"] == f"U+{ord(text[exc.details['position']]):04X}"


def test_a_textarea_line_end_is_normalised_not_refused() -> None:
    assert clean_text("第一行\r\n第二行\r第三行\n\t缩进", field="announcement") == "第一行\n第二行\n第三行\n\t缩进"


@pytest.mark.parametrize("text", ["张三\n", "a\tb", "a\rb"])
def test_single_line_fields_refuse_line_breaks_and_tabs(text: str) -> None:
    assert refusal(clean_line, text, field="purpose").details["reason"] == "line_break"


@pytest.mark.parametrize(
    "text", ["", "   ", "\u200b", "\u200d", "\ufeff\u2060", "\u3164\u115f", "\ufe0f", "\u2800", " \u00ad "]
)
def test_text_of_only_invisible_characters_is_empty(text: str) -> None:
    assert not has_visible(text)
    assert refusal(clean_line, text, field="nickname").details["reason"] == "empty"
    assert refusal(clean_text, text, field="body_zh", required=True).details["reason"] == "empty"


def test_an_optional_field_may_be_blank_but_not_only_invisible() -> None:
    assert clean_text("", field="description") == "" and clean_text("  \n ", field="description") == "  \n "
    assert refusal(clean_text, "\u200b\u200b", field="description").details["reason"] == "empty"


def test_invisible_characters_inside_visible_text_stay() -> None:
    family = "👨\u200d👩\u200d👧"
    assert clean_line(family, field="nickname") == family and has_visible(family)
    assert clean_text("葛\U000e0100", field="description") == "葛\U000e0100"  # an ideographic variation sequence


def test_a_message_with_nothing_visible_is_empty_and_a_control_character_is_named() -> None:
    for blank in (" ", "\u200b", "\u200d", "\n\u2060"):
        assert refusal(check_message_text, blank, max_length=100).code is ErrorCode.MESSAGE_EMPTY
    exc = refusal(check_message_text, "x\x00", max_length=100)
    assert exc.code is ErrorCode.VALIDATION_FAILED and exc.details == {
        "field": "text", "reason": "control_character", "position": 1, "character": "U+0000",
    }  # fmt: skip
    assert check_message_text("👍🏽 ok\r\n", max_length=100) == "👍🏽 ok\n"


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT)
def test_whatever_the_rules_accept_can_be_encoded_as_utf8_without_nul(text: str) -> None:
    try:
        clean = clean_text(text, field="t")
    except ValidationFailed as exc:
        assert exc.details["reason"] in ("control_character", "surrogate", "noncharacter", "empty")
        return
    assert "\x00" not in clean and "\r" not in clean
    clean.encode("utf-8")  # never raises: no surrogate got through
    assert text_problem(clean) is None


def test_the_lexicon_parser_refuses_exactly_the_characters_the_domain_refuses() -> None:
    """review/ may not import the domain, so it keeps its own copy of the rule: the two agree on every code point."""
    differ = [
        cp
        for cp in range(sys.maxunicode + 1)
        if cp not in (0x09, 0x0A, 0x0D)
        and (forbidden_character(chr(cp)) is not None) != (forbidden_at(chr(cp)) is not None)
    ]
    assert differ == []


# --- real names (L2) -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("张三", "张三"),
        (" 张 三 ", "张三"),
        ("张\u3000三", "张三"),
        ("阿依古丽·买买提", "阿依古丽·买买提"),
        ("阿依古丽•买买提", "阿依古丽·买买提"),  # U+2022
        ("阿依古丽・买买提", "阿依古丽·买买提"),  # U+30FB
        ("阿依古丽．买买提", "阿依古丽·买买提"),  # U+FF0E
        ("阿依古丽 · 买买提", "阿依古丽·买买提"),
        ("\U00020000三", "\U00020000三"),  # CJK extension B
    ],
)
def test_real_names_are_han_characters_with_middle_dots_in_one_spelling(raw: str, name: str) -> None:
    assert normalise_name(raw) == name


@pytest.mark.parametrize(
    "raw",
    ["张\u200b三", "张\u202e三", "<script>", "Zhang San", "张", "张3", "·张三", "张三·", "张··三", "张\x00三", "张\x1c三",
     "张" * 31, "\ud800张"],
)  # fmt: skip
def test_real_names_with_invisible_control_latin_or_markup_characters_are_refused(raw: str) -> None:
    exc = refusal(normalise_name, raw)
    assert exc.code is ErrorCode.VALIDATION_FAILED and exc.details["field"] == "name"


# --- numbers from strings --------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["²", "١٢", "１２", "+1", "-1", " 1", "1 ", "1_000", "1e3", "0x1", "01", "", "9" * 40])
def test_only_plain_ascii_digits_parse_as_a_number(raw: str) -> None:
    assert parse_int(raw) is None


def test_a_number_is_within_its_bounds() -> None:
    assert parse_int("7", lo=1, hi=10) == 7 and parse_int("0") == 0
    assert parse_int("0", lo=1) is None and parse_int("11", lo=1, hi=10) is None
    assert parse_int("99999999", hi=9_999_999) is None and parse_int(None) is None


@settings(max_examples=200, deadline=None)
@given(ANY_TEXT)
def test_parse_int_never_raises_and_round_trips(raw: str) -> None:
    value = parse_int(raw)
    assert value is None or str(value) == raw
