"""Lexicon formats (plain text and CSV), validation, and the content hash used as the lexicon version."""

from __future__ import annotations

import io

import pytest

from qunzu.errors import ValidationFailed
from qunzu.review import Action, Category, Lexicon, LexiconEntry


def test_plain_format_defaults_comments_and_fields() -> None:
    lex = Lexicon.load_text(
        [
            "# comment\n",
            "\n",
            "赌博\n",
            "六合彩\tgambling\thold\n",
            "發財\tfraud\tflag\t恭喜發財|发财树\n",
            "大麻\tillegal_goods\tblock\t\tinitials\r\n",
        ]
    )
    by_term = {e.term: e for e in lex}
    assert by_term["赌博"] == LexiconEntry("赌博", Category.CUSTOM, Action.BLOCK)
    assert by_term["六合彩"].action is Action.HOLD and by_term["六合彩"].category is Category.GAMBLING
    assert by_term["發財"].exceptions == ("发财树", "恭喜發財")  # sorted
    assert by_term["大麻"].pinyin_initials is True


def test_strict_mode_rejects_unknown_category_with_line_number() -> None:
    with pytest.raises(ValidationFailed) as err:
        Lexicon.load_text(["ok\n", "bad\tno_such_category\tblock\n"])
    assert err.value.details["line"] == 2


def test_lenient_mode_maps_synonyms_and_unknown_categories() -> None:
    lex = Lexicon.load_text(["a\tspam\treview\n", "b\tweird\tdeny\n", "c\tIllegal Goods\tBLOCK\n"], strict=False)
    got = {e.term: (e.category, e.action) for e in lex}
    assert got == {
        "a": (Category.ADVERTISING, Action.HOLD),
        "b": (Category.CUSTOM, Action.BLOCK),
        "c": (Category.ILLEGAL_GOODS, Action.BLOCK),
    }


def test_text_and_csv_round_trip(lexicon: Lexicon) -> None:
    assert Lexicon.load_text(lexicon.dump_text().splitlines(keepends=True)) == lexicon
    assert Lexicon.load_csv(io.StringIO(lexicon.dump_csv())) == lexicon


def test_csv_needs_only_a_term_column() -> None:
    lex = Lexicon.load_csv(io.StringIO("term\n赌博\n"))
    assert [e.term for e in lex] == ["赌博"]


def test_unreadable_csv_is_a_validation_error_not_a_crash() -> None:
    # found by schemathesis: a bare carriage return inside an unquoted field made the csv module raise
    with pytest.raises(ValidationFailed):
        Lexicon.load_csv(io.StringIO('term\n-\u00d6"x\ry\n'))
    assert [e.term for e in Lexicon.load_csv(io.StringIO("term\r\n赌博\r\n", newline=""))] == ["赌博"]


def test_content_hash_ignores_order_and_duplicates_but_not_content() -> None:
    a = LexiconEntry("赌博", Category.GAMBLING, Action.BLOCK)
    b = LexiconEntry("大麻", Category.ILLEGAL_GOODS, Action.HOLD)
    h = Lexicon.from_entries([a, b]).content_hash
    assert Lexicon.from_entries([b, a, a]).content_hash == h
    assert Lexicon.from_entries([a, LexiconEntry("大麻", Category.ILLEGAL_GOODS, Action.BLOCK)]).content_hash != h
    assert len(h) == 64


def test_entry_validation() -> None:
    with pytest.raises(ValidationFailed):
        LexiconEntry("  ")
    with pytest.raises(ValidationFailed):
        LexiconEntry("a\tb")
    with pytest.raises(ValidationFailed):
        LexiconEntry("赌博", exceptions=("a|b",))


def test_action_order() -> None:
    assert Action.BLOCK > Action.HOLD > Action.FLAG > Action.ALLOW
    assert max([Action.FLAG, Action.BLOCK, Action.HOLD]) is Action.BLOCK


def test_lenient_mode_reads_fields_written_with_spaces_or_commas() -> None:
    lines = ["六合彩 gambling hold\n", "free money fraud flag\n", "大麻,drugs,block\n", "hello world\n"]
    got = sorted((e.term, e.category, e.action) for e in Lexicon.load_text(lines, strict=False))
    assert got == [
        ("free money", Category.FRAUD, Action.FLAG),
        ("hello world", Category.CUSTOM, Action.BLOCK),
        ("六合彩", Category.GAMBLING, Action.HOLD),
        ("大麻", Category.ILLEGAL_GOODS, Action.BLOCK),
    ]


def test_the_common_line_reads_as_any_other_line() -> None:
    """`term<TAB>category<TAB>action` takes a short cut; every near miss must read as the general rules say."""
    lines = {
        "赌博\tgambling\tblock\n": LexiconEntry("赌博", Category.GAMBLING, Action.BLOCK),
        "大麻\tillegal_goods\t\n": LexiconEntry("大麻", Category.ILLEGAL_GOODS, Action.BLOCK),
        " 冰毒\tillegal_goods\thold\r\n": LexiconEntry("冰毒", Category.ILLEGAL_GOODS, Action.HOLD),
        "网赚 \tfraud\tflag\n": LexiconEntry("网赚", Category.FRAUD, Action.FLAG),
        "刷单\tFraud\tHOLD\n": LexiconEntry("刷单", Category.FRAUD, Action.HOLD),
        "free money\tadvertising\tallow": LexiconEntry("free money", Category.ADVERTISING, Action.ALLOW),
        "# 赌博\tgambling\tblock\n": None,
        "  # x\tgambling\tblock\n": None,
        "\t\t\n": None,
    }
    for line, entry in lines.items():
        got = Lexicon.load_text([line])
        assert got == Lexicon.from_entries([entry] if entry else []), repr(line)
        assert got.content_hash == Lexicon.from_entries([entry] if entry else []).content_hash
    whole = Lexicon.load_text(list(lines) * 2)
    assert whole == Lexicon.from_entries(e for e in lines.values() if e)
    assert whole.content_hash == Lexicon.from_entries(e for e in lines.values() if e).content_hash
    with pytest.raises(ValidationFailed):  # a line break inside a term (a list of lines can hold one)
        Lexicon.load_text(["a\rb\tfraud\tblock\n"])
    assert len(Lexicon.load_text(["a\rb\tfraud\tblock\n", "c\tfraud\tblock\n"], strict=False)) == 1
