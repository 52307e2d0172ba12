"""Normalisation: what the matcher sees, and the map from matches back to the user's characters."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qunzu.review import ReviewEngine


@pytest.mark.parametrize(
    ("text", "seen"),
    [
        ("ＡＢＣ１２３", "abc123"),  # full-width letters and digits
        ("HeLLo", "hello"),
        ("六\u200b合\u200d彩", "六合彩"),  # zero-width characters
        ("六 * 合 . 彩", "六合彩"),  # separators
        ("發財臺灣", "发财台湾"),  # traditional -> simplified
        ("ѕех", "sex"),  # Cyrillic look-alikes
        ("①②③", "123"),  # circled digits
        ("𝐒𝐄𝐗", "sex"),  # mathematical bold letters
        ("dà má", "dama"),  # tone marks
        ("😀六😀", "六"),  # emoji
        ("ß", "ss"),
    ],
)
def test_normalize(engine: ReviewEngine, text: str, seen: str) -> None:
    assert engine.normalize(text) == seen


def test_scan_reports_the_normalized_text(engine: ReviewEngine) -> None:
    assert engine.scan("六 合 彩").normalized == "六合彩"


def test_hits_point_at_the_users_characters(engine: ReviewEngine) -> None:
    text = "前面 😀 买六\u200b合*彩，后面"
    (hit,) = engine.scan(text).hits
    assert text[hit.start : hit.end] == "六\u200b合*彩"


def test_split_characters_point_at_the_components(engine: ReviewEngine) -> None:
    text = "ßß 前面弓\u200b虽*奸😀和木倉支，女票娼"
    hits = engine.scan(text).hits
    assert [(h.term, h.via, text[h.start : h.end]) for h in hits] == [
        ("强奸", "split", "弓\u200b虽*奸"),
        ("枪支", "split", "木倉支"),
        ("嫖娼", "split", "女票娼"),
    ]


def test_offsets_after_an_expanding_fold(engine: ReviewEngine) -> None:
    text = "ßßß六 合 彩"
    (hit,) = engine.scan(text).hits
    assert text[hit.start : hit.end] == "六 合 彩"


_PIECES = [
    "六", "合", "彩", "赌", "博", "大", "麻", "烦", "代", "孕", "妇", "s", "e", "x", "S", "Ｅ", "ｘ", "發", "財",
    " ", "*", ".", "，", "😀", "\u200b", "\ufe0f", "ß", "İ", "ѕ", "a", "l", "i", "u", "h", "c", "1", "\n",
    "2", "3", "4", "@", "$", "d", "m", "v", "g", "r", "弓", "虽", "奸", "女", "干", "木", "仓", "支", "弓虽",
    "木倉", "女干",
]  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_PIECES), max_size=40).map("".join))
def test_offsets_map_back_to_text_that_normalizes_to_the_hit(engine: ReviewEngine, text: str) -> None:
    result = engine.scan(text)
    for hit in result.hits:
        assert 0 <= hit.start < hit.end <= len(text)
        piece = text[hit.start : hit.end]
        seen = engine.normalize(piece)
        assert seen, piece
        if hit.via == "leet":  # a symbol can stand for a letter at either end ("$ex")
            piece = piece.strip("@$")
        assert engine.normalize(piece[0]) and engine.normalize(piece[-1]), "a hit starts and ends on a character"
        if hit.via == "text":
            assert engine.normalize(hit.term) in seen
        if hit.via == "split":  # at least one character of the term written as two
            assert len(seen) > len(engine.normalize(hit.term))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text_scans(engine: ReviewEngine, text: str) -> None:
    result = engine.scan(text)
    for hit in result.hits:
        assert 0 <= hit.start < hit.end <= len(text)
