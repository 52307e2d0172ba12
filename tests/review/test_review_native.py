"""The C pass of the normalisation (review/_native.c) against the Python path: the same views, the same scans.

The C module is optional at installation; where it is built (always in CI: QUNZU_REQUIRE_SERVICES=1 makes its
absence a failure), every view the engine takes comes from it, so these tests hold the two paths together.
"""

from __future__ import annotations

import os
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qunzu.review import Hit, ReviewEngine
from qunzu.review.engine import _runtime
from qunzu.review.textview import FLAG_LATIN, FLAG_STAND_IN, NATIVE, Normalizer, TextView

REQUIRE = os.environ.get("QUNZU_REQUIRE_SERVICES") == "1"

if NATIVE is None:
    if REQUIRE:
        pytest.fail("qunzu.review._native is not built (pip install -e . builds it) and QUNZU_REQUIRE_SERVICES=1")
    pytest.skip("qunzu.review._native is not built", allow_module_level=True)

_BASE, _NATIVE_NORM, _SYLLABLES = _runtime(None)
_PYTHON_NORM = Normalizer(_BASE.tables, native=False)

_PIECES = [
    "六", "合", "彩", "大", "麻", "烦", "代", "孕", "弓虽", "奸", "女干", "木", "仓", "支", "發", "財", "臺",
    " ", "  ", "*", ".", "-", "\t", "\n", "@", "$", "😀", "\u200b", "\ufe0f", "\u3000",
    "，", "。", "！", "、", "“", "”", "（", "）", "《", "》",
    "a", "b", "z", "A", "Z", "Ｅ", "ｘ", "ѕ", "İ", "é", "µ", "ß", "ﬁ", "⑩", "①", "㎏", "½",
    "𝐒", "𠀀", "㑮", "㒓", "\U0001f600", "!", "|", "\ud7ff", "\uffff", "0", "9",
]  # fmt: skip
_TEXTS = st.lists(st.sampled_from(_PIECES), max_size=40).map("".join)


def _python_view(text: str) -> TextView:
    view = _PYTHON_NORM.view(text)
    view.set_folded(_PYTHON_NORM.fold(view.compact))
    return view


def _same_views(text: str) -> None:
    native, python = _NATIVE_NORM.view(text), _python_view(text)
    assert not python.final
    if not native.final:  # astral characters left after bmp_safe (𝐒, 𠀀): the Python path, on purpose
        assert any(ord(ch) > 0xFFFF for ch in native.text)
        native.set_folded(_NATIVE_NORM.fold(native.compact))
    assert native.text == python.text
    assert native.compact == python.compact
    assert native.folded == python.folded
    assert native.cuts() == python.cuts()
    ccum, _ = native.cuts()
    assert [native.run(k) for k in range(len(ccum) - 1)] == [python.run(k) for k in range(len(ccum) - 1)]
    assert native.removed() == python.removed()
    assert native.expanded == python.expanded
    if native.visible is not None:
        runs = range(len(ccum) - 1)
        assert native.visible == [ccum[k] for k in runs if not _PYTHON_NORM.invisible(python.run(k))]
    else:
        assert native.compact == native.text or not native.final
    if native.words is not None:
        assert native.words == re.findall(rb"[a-z0-9]+", native.folded.encode("latin-1", "replace"))
    if native.flags is not None:
        assert bool(native.flags & FLAG_LATIN) == bool(re.search("[a-z]", native.folded))
        assert bool(native.flags & FLAG_STAND_IN) == bool(re.search("[@$!|]", native.removed()))
    for fs in range(len(native.folded)):
        assert native.span(fs, fs + 1) == python.span(fs, fs + 1)
        assert native.chunk(fs, fs + 1) == python.chunk(fs, fs + 1)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "六合彩",
        "六 合 彩",
        "六，合，彩",  # clause marks used to split a term: removed too
        "六，合彩",  # a clause of one character at the start
        "我想买大，麻给你",  # a clause mark inside running prose: kept
        "你好，我们。他们！",
        "，，六合彩",
        "  ",
        "ABC def",
        "ß六合彩",  # an expansion: the Python fold takes over
        "😀六😀",  # astral: the Python path
        "ＡＢＣ１２３ @$ 發財",
        "free  money!!",
        "x" * 1000 + " " + "六" * 1000,
    ],
)
def test_the_c_pass_gives_the_python_paths_view(text: str) -> None:
    _same_views(text)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXTS)
def test_the_c_pass_gives_the_python_paths_view_for_any_mix(text: str) -> None:
    _same_views(text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=120))
def test_the_c_pass_gives_the_python_paths_view_for_any_text(text: str) -> None:
    _same_views(text)


@pytest.fixture(scope="module")
def engines(engine: ReviewEngine) -> list[ReviewEngine]:
    """The session's engine (C view, collect and hits), one with the C view only, one all Python."""
    assert engine._collect is not None and engine._hits_of is not None
    view_only = ReviewEngine(_BASE, _NATIVE_NORM, _SYLLABLES, engine._compiled)
    view_only._collect = view_only._hits_of = None
    python = ReviewEngine(_BASE, _PYTHON_NORM, _SYLLABLES, engine._compiled)
    assert python._collect is None and python._hits_of is None
    return [engine, view_only, python]


def _outcome(engine: ReviewEngine, text: str) -> tuple[object, ...]:
    result = engine.scan(text)
    hits = [(h.term, h.start, h.end, h.via, h.excepted) for h in result.hits]
    return result.action, result.categories, result.normalized, hits


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from([*_PIECES, "sex", "viagra", "liu he cai", "da4ma2", "v1agra", "s3x"]), max_size=30))
def test_an_engine_scans_alike_on_every_path(engines: list[ReviewEngine], pieces: list[str]) -> None:
    text = "".join(pieces)
    first, *others = (_outcome(engine, text) for engine in engines)
    for other in others:
        assert other == first, text


def test_the_labelled_set_scans_alike_on_every_path(engines: list[ReviewEngine]) -> None:
    import json
    from pathlib import Path

    lines = (Path(__file__).parent / "data" / "labelled.jsonl").read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["text"] for line in lines if line.strip()]
    assert len(texts) > 100
    for text in texts:
        first, *others = (_outcome(engine, text) for engine in engines)
        assert all(other == first for other in others), text


def test_bad_tables_are_refused() -> None:
    assert NATIVE is not None
    with pytest.raises(ValueError):
        NATIVE.fold_view("x", b"", b"")
    with pytest.raises(TypeError):
        NATIVE.fold_view(b"x", bytes(0x10000), bytes(0x40000))
    no_r2 = (None, [None], frozenset(), 6)
    with pytest.raises(TypeError):
        NATIVE.collect([(0, 1)], [0], [None], "ab", None, None, [None], {}, *no_r2)
    with pytest.raises(ValueError):
        NATIVE.collect([(0, 5, 0)], [0], [None], "ab", None, None, [None], {}, *no_r2)  # past the end of the text
    with pytest.raises(ValueError):
        NATIVE.collect([(0, 1, 7)], [0], [None], "ab", None, None, [None], {}, *no_r2)  # no such pattern
    raw = [(0, 1, 0), (1, 2, 1), (0, 2, 2), (3, 5, 2)]
    contexts = {"强": ("", "奸", False)}
    no_r2 = (None, [None] * 3, frozenset(), 6)
    accepted, rest, pairs = NATIVE.collect(
        raw, [5, None, -2], [None] * 3, "弓虽奸弓虽", None, None, [None, None, "强"], contexts, *no_r2
    )
    assert accepted == {(0, 1, 5): (0, 0, 1)} and rest == [(1, 2, 1)]
    assert pairs == [(0, "强")]  # 弓虽 before 奸 could be 强奸; at the end of the text it could not
    with pytest.raises(TypeError):
        NATIVE.hits_of({}, {}, print, {}, list)
    with pytest.raises(KeyError):
        NATIVE.hits_of({(0, 1, 0): (9, 0, 1)}, {0: ("x", "c", "a", 1)}, print, {}, Hit)
