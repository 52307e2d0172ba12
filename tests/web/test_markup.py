"""The document reader returns structure only: headings, paragraphs, numbered items, bold runs."""

from __future__ import annotations

from qunzu.web.markup import blocks, runs


def test_bold_runs_alternate_and_an_unmatched_marker_stays_literal() -> None:
    assert runs("a **b** c") == [("a ", False), ("b", True), (" c", False)]
    assert runs("5 ** 2") == [("5 ** 2", False)]


def test_headings_paragraphs_and_nested_numbered_items() -> None:
    doc = blocks("# 协议\n\n第一段\n续行\n\n## 1. 范围\n1. 一\n   1. 甲\n- 点\n")
    assert [(b.kind, b.marker, b.depth) for b in doc] == [
        ("h2", "", 0),
        ("p", "", 0),
        ("h2", "", 0),
        ("li", "1.", 0),
        ("li", "1.", 1),
        ("li", "•", 0),
    ]
    assert doc[1].runs == [("第一段 续行", False)]


def test_markup_in_a_document_is_never_passed_through() -> None:
    doc = blocks("<script>alert(1)</script> **<b>x</b>**")
    assert doc[0].runs == [("<script>alert(1)</script> ", False), ("<b>x</b>", True)]  # escaped by the template
