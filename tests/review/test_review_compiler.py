"""The compiler's fast paths give what the plain per-term definitions give: pypinyin's own readings, the
per-term normalisation, the per-term spellings."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from pypinyin import Style, lazy_pinyin
from pypinyin.constants import PHRASES_DICT, RE_HANS
from pypinyin.seg.mmseg import seg

from qunzu.review import Action, Category, Lexicon, LexiconEntry, ReviewEngine, compiler, pinyin
from qunzu.review.charmap import is_cjk_cp
from qunzu.review.compiler import BaseData, Compiled, build_base, compile_lexicon
from qunzu.review.textview import Normalizer
from qunzu.review.words import COMMON_WORDS


@pytest.fixture(scope="module")
def base() -> BaseData:
    return build_base()


@pytest.fixture(scope="module")
def norm(base: BaseData) -> Normalizer:
    return Normalizer(base.tables)


@pytest.fixture(scope="module")
def phrases(base: BaseData) -> pinyin.PhraseTable:
    return pinyin.PhraseTable.from_bytes(base.phrases)


def _han_strings(n: int, seed: int) -> list[str]:
    """Strings of Han characters built from phrases, common words and single characters, as terms are."""
    rng = random.Random(seed)
    keys = sorted(PHRASES_DICT)
    words = COMMON_WORDS.split()
    out = []
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(1, 4)):
            r = rng.random()
            if r < 0.4:
                parts.append(rng.choice(keys))
            elif r < 0.7:
                parts.append(rng.choice(words))
            else:
                parts.append(chr(rng.randint(0x4E00, 0x9FFF)))
        out.append("".join(parts))
    return out


def test_phrase_reading_is_pypinyins(base: BaseData, phrases: pinyin.PhraseTable) -> None:
    strings = [*COMMON_WORDS.split(), *sorted(PHRASES_DICT)[::40], *_han_strings(3000, 1), "〇一", "㐀㐁", "𠀀𠀁"]
    for han in strings:
        expected = [pinyin._toneless(r) for r in lazy_pinyin(han, style=Style.TONE, errors="ignore")]
        got = phrases.reading(han, base.char_syllables)
        assert got == (expected if len(expected) == len(han) else None), han
        if RE_HANS.match(han):
            assert list(phrases.segments(han)) == list(seg.cut(han)), han


def test_terms_without_a_phrase_are_found_in_one_pass(phrases: pinyin.PhraseTable) -> None:
    strings = [*_han_strings(2000, 2), "", "一", "六合彩", "彩六合"]
    found = phrases.with_phrases(strings)
    for i, han in enumerate(strings):
        holds = any(han[a:b] in PHRASES_DICT for a in range(len(han)) for b in range(a + 1, len(han) + 1))
        assert (i in found) == holds, han


@pytest.mark.parametrize(
    "term",
    [
        "六合彩",
        "女绿",
        "绿色女孩",
        "中国人民银行",
        "六he彩",
        "QQ群",
        "v六合",
        "大 麻",
        "發財",
        "𠀀六合",
        "一",
        "abc",
        "重庆",
    ],
)
def test_spellings_with_tables_are_the_spellings_with_pypinyin(
    base: BaseData, norm: Normalizer, phrases: pinyin.PhraseTable, term: str
) -> None:
    folded = norm.normalize(term)
    reference = pinyin.term_spellings(folded, base.char_syllables, None)
    assert pinyin.term_spellings(folded, base.char_syllables, phrases) == reference


def _entries(seed: int) -> list[LexiconEntry]:
    rng = random.Random(seed)
    pieces = [*_han_strings(300, seed), "女", "绿", "〇", "𠀀", "ß", "ＳＥＸ", "free money", "v", "1", " ", "·", "，",
              "\u200b", "發財", "ꙮ", "ᏺ", "x\U0001f600y", "ǅ", "ﬁ"]  # fmt: skip
    terms: set[str] = set()
    while len(terms) < 400:
        term = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 3))).strip()
        if term and "|" not in term:
            terms.add(term)
    return [
        LexiconEntry(t, Category.CUSTOM, Action.FLAG, (t + "吧",) if i % 5 == 0 else (), pinyin_initials=i % 3 == 0)
        for i, t in enumerate(sorted(terms))
    ]


def test_compiling_in_batches_gives_what_each_term_gives_alone(base: BaseData, norm: Normalizer) -> None:
    for entries in (_entries(3), _entries(4)[:1], [LexiconEntry("a ꙮ b"), LexiconEntry("六合彩")]):
        lexicon = Lexicon.from_entries(entries)
        compiled = compile_lexicon(lexicon, base, norm, ["额外词"])
        kept = [e for e in lexicon.entries if norm.normalize(e.term)]
        assert compiled.skipped == tuple(e.term for e in lexicon.entries if not norm.normalize(e.term))
        assert [info[3] for info in compiled.entries] == [norm.normalize(e.term) for e in kept]
        for (term, _, _, folded, gaps, *_), entry in zip(compiled.entries, kept, strict=True):
            view = norm.full_view(entry.term)
            view.set_folded(folded)
            assert gaps == tuple(g for g, _ in view.gaps(0, len(folded))), term
        spelled: dict[int, list[tuple[str, tuple[int, ...]]]] = {}
        for pattern, targets in zip(compiled.patterns, compiled.targets, strict=False):
            for idx, kind, bounds in targets:
                if kind == compiler.KIND_PINYIN:
                    spelled.setdefault(idx, []).append((pattern, bounds))
        for idx, (_, _, _, folded, *_) in enumerate(compiled.entries):
            expected = pinyin.term_spellings(folded, base.char_syllables, None)
            assert sorted(spelled.get(idx, [])) == sorted(expected), folded
        assert Compiled.from_bytes(compiled.to_bytes()) == compiled


def test_the_base_tables_are_kept_with_the_installation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, base: BaseData
) -> None:
    shared = tmp_path / "installed" / "base.bin"
    monkeypatch.setattr(compiler, "shared_base_path", lambda: shared)
    monkeypatch.setattr(compiler, "make_base", lambda: base)
    engine = ReviewEngine.build(Lexicon.from_entries([LexiconEntry("赌博")]), tmp_path / "one")
    assert shared.exists() and engine.scan("赌 博").action is Action.BLOCK

    def no_rebuild() -> BaseData:
        raise AssertionError("the installation's tables should have been used")

    monkeypatch.setattr(compiler, "make_base", no_rebuild)
    loaded = build_base()
    assert loaded == base and loaded.to_bytes() == base.to_bytes()


def test_the_base_tables_are_the_same_built_in_one_process_or_two(
    monkeypatch: pytest.MonkeyPatch, base: BaseData
) -> None:
    assert compiler.make_base() == base  # a forked child computes the pypinyin half when it can
    parent = os.getpid()
    real = compiler._pinyin_part

    def child_fails() -> compiler.PinyinPart:
        if os.getpid() != parent:
            os._exit(5)
        return real()

    monkeypatch.setattr(compiler, "_pinyin_part", child_fails)
    assert compiler.make_base() == base  # the child died: this process computed it
    monkeypatch.setattr(compiler._PinyinPart, "start", classmethod(lambda cls: None))
    assert compiler.make_base() == base  # no child at all


def test_han_characters_are_the_ones_charmap_calls_han() -> None:
    edges = [cp + d for cp in (0x3400, 0x4DBF, 0x4E00, 0x9FFF, 0xF900, 0xFAFF, 0x20000, 0x323AF) for d in (-1, 0, 1)]
    for cp in [*edges, *range(0, 0x110000, 97)]:
        if 0xD800 <= cp <= 0xDFFF:
            continue
        assert (pinyin.han_of(chr(cp)) == chr(cp)) == is_cjk_cp(cp), hex(cp)


def test_component_pairs_are_compiled_once_per_character(base: BaseData) -> None:
    assert base.splits["强"] == "弓虽" and "衣果" in base.splits["裸"]  # two-part decompositions, Han parts only
    assert all(len(pairs) % 2 == 0 for pairs in base.splits.values())
    lexicon = Lexicon.from_entries([LexiconEntry("强奸"), LexiconEntry("强奸犯"), LexiconEntry("好人")])
    compiled = compile_lexicon(lexicon, base, Normalizer(base.tables))
    pairs = {compiled.patterns[pid]: ch for pid, ch in compiled.splits.items()}
    assert pairs["弓虽"] == "强" and pairs["女干"] == "奸"
    assert "女子" not in pairs  # a common word: always read as written
    assert all(pid < compiled.fold_base and not compiled.targets[pid] for pid in compiled.splits)
    assert Compiled.from_bytes(compiled.to_bytes()).splits == compiled.splits
