"""The engine's decisions: each evasion is found, innocent text passes, exceptions and actions combine."""

from __future__ import annotations

import gc
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qunzu.review import Action, Category, Lexicon, LexiconEntry, ReviewEngine


def terms(engine: ReviewEngine, text: str) -> list[str]:
    return engine.scan(text).terms


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("买六合彩", "六合彩"),
        ("ＳＥＸ", "sex"),
        ("六\u200b合彩", "六合彩"),
        ("六 合 彩", "六合彩"),
        ("卖冰.毒", "冰毒"),
        ("裸😀聊", "裸聊"),
        ("六，合，彩", "六合彩"),
        ("賭博網站", "赌博"),
        ("vіagra", "viagra"),
        ("liuhecai", "六合彩"),
        ("liu he cai", "六合彩"),
        ("dà má", "大麻"),
        ("六he彩", "六合彩"),
        ("lhc", "六合彩"),
        ("free  money", "free money"),
        ("buyviagranow", "viagra"),
        ("da4ma2", "大麻"),  # tone digits
        ("liu4 he2 cai3", "六合彩"),
        ("v1agra", "viagra"),  # look-alike digits and symbols
        ("c@sino", "casino"),
        ("s3x", "sex"),
    ],
)
def test_evasions_are_found(engine: ReviewEngine, text: str, term: str) -> None:
    assert terms(engine, text) == [term]


@pytest.mark.parametrize(
    "text",
    [
        "六合 彩虹公园",  # R3: 彩虹 is a word running on past the match
        "大 麻烦了",
        "这下大麻烦了",  # R2: a free modifier followed by a word
        "新一代孕妇装",  # R2: 一代 + 孕妇
        "他开枪，支援部队赶到",
        "Essex",  # R4
        "this ex",
        "adamant",  # R6
        "Adam ate",
        "大妈",  # homophones are not matched
        "六合\n\n\n\n彩",  # R1: gap too long
        "a1b2",  # digits in codes and numbers are neither tones nor letters
        "2024",
        "mp3",
        "h264",
        "win10",
        "型号da4ma9",  # 9 is no tone
        "se7en",  # no term, whatever the digits read as
        "s3xy",  # R4: a stand-in word is the term only as a whole word
        "c4s1n0",  # more stand-ins than letters
    ],
)
def test_innocent_texts_pass(engine: ReviewEngine, text: str) -> None:
    result = engine.scan(text)
    assert result.action is Action.ALLOW and result.terms == [], result.hits


def test_unnatural_separator_is_an_evasion_even_before_a_word(engine: ReviewEngine) -> None:
    assert terms(engine, "枪_支出售") == ["枪支"]
    assert terms(engine, "枪 支出售") == []  # a space before 支出 reads as a word boundary


def test_decision_is_the_strongest_action_and_categories_are_the_decisive_ones(engine: ReviewEngine) -> None:
    result = engine.scan("网赚, 刷单, 六合彩")
    assert result.action is Action.BLOCK
    assert result.categories == (Category.GAMBLING,)
    assert {h.action for h in result.hits} == {Action.FLAG, Action.HOLD, Action.BLOCK}


def test_exceptions_cover_hits(engine: ReviewEngine) -> None:
    result = engine.scan("恭喜發財")
    assert result.action is Action.ALLOW
    assert [(h.term, h.excepted) for h in result.hits] == [("發財", True)]
    assert engine.scan("发财了").action is Action.FLAG
    both = engine.scan("恭喜发财，发财了")
    assert [h.excepted for h in both.hits] == [True, False] and both.action is Action.FLAG


def test_exception_applies_only_to_its_own_entry() -> None:
    lex = Lexicon.from_entries(
        [
            LexiconEntry("代孕", Category.ILLEGAL_GOODS, Action.HOLD, exceptions=("代孕妇装",)),
            LexiconEntry("孕妇装", Category.CUSTOM, Action.FLAG),
        ]
    )
    result = ReviewEngine.build(lex).scan("代孕妇装")
    assert result.action is Action.FLAG
    assert [(h.term, h.excepted) for h in result.hits] == [("代孕", True), ("孕妇装", False)]


def test_pinyin_initials_only_when_enabled() -> None:
    plain = ReviewEngine.build(Lexicon.from_entries([LexiconEntry("六合彩", Category.GAMBLING)]))
    initials = ReviewEngine.build(
        Lexicon.from_entries([LexiconEntry("六合彩", Category.GAMBLING, pinyin_initials=True)])
    )
    assert plain.scan("lhc").action is Action.ALLOW
    assert initials.scan("lhc").action is Action.BLOCK
    assert initials.scan("milhcx").action is Action.ALLOW  # initials are whole words


def test_overlapping_and_repeated_hits(engine: ReviewEngine) -> None:
    result = engine.scan("六合彩六合彩，赌博")
    assert [(h.term, h.start, h.end) for h in result.hits] == [("六合彩", 0, 3), ("六合彩", 3, 6), ("赌博", 7, 9)]
    assert result.terms == ["六合彩", "赌博"]


def test_hit_fields(engine: ReviewEngine) -> None:
    (hit,) = engine.scan("卖 dama").hits
    assert (hit.term, hit.category, hit.action, hit.via) == ("大麻", Category.ILLEGAL_GOODS, Action.BLOCK, "pinyin")


def test_long_texts_find_every_term_at_the_right_place(engine: ReviewEngine) -> None:
    filler = "今天我们一起去公园散步，天气很好，大家都很开心。" * 200
    text = filler + "六 合 彩" + filler + "ＳＥＸ" + filler + "恭喜发财" + filler
    result = engine.scan(text)
    assert [text[h.start : h.end] for h in result.hits] == ["六 合 彩", "ＳＥＸ", "发财"]
    assert [h.excepted for h in result.hits] == [False, False, True]
    assert engine.scan(filler * 5).action is Action.ALLOW


def test_empty_lexicon_and_empty_text() -> None:
    empty = ReviewEngine.build(Lexicon.from_entries([]))
    assert empty.scan("六合彩").action is Action.ALLOW
    assert empty.term_count == 0


def test_version_and_term_count(engine: ReviewEngine, lexicon: Lexicon) -> None:
    assert engine.version == lexicon.content_hash
    assert engine.term_count == len(lexicon)
    assert engine.scan("").action is Action.ALLOW
    assert engine.scan("!!!").action is Action.ALLOW


def test_terms_that_are_only_separators_are_skipped() -> None:
    eng = ReviewEngine.build(Lexicon.from_entries([LexiconEntry("***"), LexiconEntry("赌博")]))
    assert eng.skipped_terms == ("***",)
    assert eng.scan("*** 赌博").terms == ["赌博"]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("六👨‍👩‍👧合彩", True),  # an emoji sequence is one piece of padding
        ("六👍🏻合👍🏻彩", True),  # skin tones belong to their emoji
        ("六😀😀😀😀合彩", True),  # R1: up to 8 symbols
        ("六。。。。合彩", False),  # R1: more than 3 natural separators is a break, not padding
        ("六\u3000合\u3000彩", True),
        ("六\n合\n彩", True),  # written vertically
    ],
)
def test_gap_length_depends_on_what_fills_the_gap(engine: ReviewEngine, text: str, found: bool) -> None:
    assert (engine.scan(text).terms == ["六合彩"]) is found


def test_digit_hits_point_at_the_users_characters(engine: ReviewEngine) -> None:
    for text, piece, via in [
        ("买 da4ma2 吧", "da4ma2", "pinyin"),  # the last syllable's tone belongs to the hit
        ("wo3 yao4 mai3 da4 ma2", "da4 ma2", "pinyin"),
        ("buy V1AGRA now", "V1AGRA", "leet"),
        ("$ex chat", "$ex", "leet"),
    ]:
        (hit,) = engine.scan(text).hits
        assert (text[hit.start : hit.end], hit.via) == (piece, via), text


def test_tone_digits_must_fall_between_the_syllables_of_the_term() -> None:
    eng = ReviewEngine.build(Lexicon.from_entries([LexiconEntry("先生", Category.CUSTOM)]))
    assert eng.scan("xian1sheng1").terms == ["先生"]
    assert eng.scan("xi1an sheng").terms == []  # xi1an is 西安: the tone splits the syllable xian
    assert eng.scan("xian1shen7g").terms == []  # 7 is no tone


def test_look_alike_digits_read_only_whole_words() -> None:
    entries = [LexiconEntry("viagra"), LexiconEntry("sex", exceptions=("s3x ed",))]
    eng = ReviewEngine.build(Lexicon.from_entries(entries))
    assert eng.scan("buyviagranow").terms == ["viagra"]  # a long term needs no word edge...
    assert eng.scan("buyv1agranow").terms == []  # ...but a stand-in word is read only as a whole word
    assert eng.scan("v1agra2").terms == []  # 2 stands for no letter
    assert eng.scan("v11agra").terms == []  # vilagra, villagra...: no term
    result = eng.scan("s3x ed class")
    assert [(h.term, h.excepted) for h in result.hits] == [("sex", True)]  # exceptions cover them too
    assert result.action is Action.ALLOW


def test_split_characters_are_read_only_where_the_text_does_not_explain_them() -> None:
    entries = [
        LexiconEntry("强奸"),
        LexiconEntry("嫖"),
        LexiconEntry("好人", exceptions=("女子人",)),
        LexiconEntry("女子"),
    ]
    eng = ReviewEngine.build(Lexicon.from_entries(entries))
    assert [(h.term, h.via) for h in eng.scan("弓虽女干").hits] == [("强奸", "split")]  # two characters split
    assert [(h.term, h.via) for h in eng.scan("强奸").hits] == [("强奸", "text")]
    assert [(h.term, h.via) for h in eng.scan("女票").hits] == [("嫖", "split")]  # a one-character term
    assert eng.scan("弓 虽奸").terms == []  # the components must stand side by side
    assert eng.scan("女干部").terms == []  # 干部 is a word: the pair reads as written
    assert eng.scan("妇女票").terms == []  # 妇女 is a word
    assert eng.scan("拉弓虽然").terms == []
    assert [(h.term, h.via) for h in eng.scan("女子").hits] == [("女子", "text")]  # a pair that is a term itself
    assert eng.scan("木木口口日月").terms == []  # component pairs alone form no term
    result = eng.scan("女子人")  # 女子 is a word: never read as 好
    assert result.terms == ["女子"]


def test_split_characters_in_a_long_text_cost_one_window_each() -> None:
    eng = ReviewEngine.build(Lexicon.from_entries([LexiconEntry("强奸"), LexiconEntry("枪支")]))
    text = "女干，木木口口，" * 2000 + "弓虽奸" + "女子。弓虽，" * 2000 + "木仓支"
    hits = eng.scan(text).hits
    assert [(h.term, text[h.start : h.end], h.via) for h in hits] == [
        ("强奸", "弓虽奸", "split"),
        ("枪支", "木仓支", "split"),
    ]


def test_the_engines_tables_are_left_alone_by_the_garbage_collector(engine: ReviewEngine) -> None:
    """A server keeps the cyclic collector on; every collection traverses each tracked container, so the
    per-entry and per-pattern tuples (100,000s of them) must hold only strings and numbers, which makes them
    untracked once the collector has seen them (a nested tuple once its items are: a collection or two more)."""
    for _ in range(3):
        gc.collect()
    assert engine._entries and not any(gc.is_tracked(e) for e in engine._entries)
    assert not any(gc.is_tracked(t) for t in engine._targets)
    hit = engine.scan("出售枪支").hits[0]  # hits still carry the enum members
    assert hit.category is Category.ILLEGAL_GOODS and isinstance(hit.action, Action)


def test_rules_with_the_kept_word_orders_agree_with_rules_that_sort_for_themselves() -> None:
    from qunzu.review.compiler import build_base
    from qunzu.review.engine import _runtime
    from qunzu.review.rules import FREE_MODIFIERS, Rules

    base, _, syllables = _runtime(None)
    assert base.word_orders() == (tuple(sorted(base.words)), tuple(sorted(w[::-1] for w in base.words)))
    kept, own = Rules(base.words, syllables, base.word_orders()), Rules(base.words, syllables)
    words = sorted(base.words)[::97]
    terms = [a + b for a, b in itertools.pairwise(words)] + [m + w for m in FREE_MODIFIERS for w in words[:40]]
    terms += ["代孕", "大麻", "六合彩", "新一代孕妇装", "一代"]
    for term in terms:
        assert kept.word_splits(term) == own.word_splits(term), term
    assert build_base().word_orders() == base.word_orders()


def test_the_context_of_a_split_character_comes_from_the_terms_around_it() -> None:
    from qunzu.review import split

    table = split.contexts(["强奸", "加强", "强", "abc"], {"强", "奸", "嫖"})
    assert table == {"强": ("加", "奸", True), "奸": ("强", "", False)}  # 嫖 is in no term: no context
    found = [(0, "强"), (5, "奸"), (9, "强")]
    # 弓虽 at 0 before 奸, 女干 at 5 after 强, 弓虽 at 9 a term alone
    assert split.plausible("弓虽奸好强女干坏坏弓虽", found, table) == found
    table = split.contexts(["强奸", "加强"], {"强", "奸"})
    found = [(0, "强"), (5, "奸"), (10, "强")]
    assert split.plausible("弓虽坏好好女干坏坏加弓虽", found, table) == [(10, "强")]  # only 加 before 强 fits
    assert split.plausible("弓虽女干", [(0, "强"), (2, "奸")], table) == [(0, "强"), (2, "奸")]  # pairs side by side


_PIECES = [
    "弓虽",
    "女干",
    "木仓",
    "女票",
    "衣果",
    "强",
    "奸",
    "枪",
    "支",
    "聊",
    "子",
    "女",
    "人",
    "好",
    "的",
    "，",
    " ",
    "部",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=24))
def test_a_split_trigger_left_out_could_not_have_completed_a_term(pieces: list[str]) -> None:
    """split.plausible leaves a pair as written only when its character, written in its place, is covered by
    no term the automaton knows (the pair has no other pair right next to it, or it would be kept)."""
    from qunzu.review import split
    from qunzu.review.compiler import KIND_TEXT

    eng = _SPLIT_ENGINE
    view = eng._norm.view("".join(pieces))
    if not view.final:
        view.set_folded(eng._norm.fold(view.compact))
    folded = view.folded
    found = [(s, eng._splits[pid]) for s, _, pid in eng._find(folded) if pid in eng._splits]
    kept = split.plausible(folded, found, eng._split_contexts)
    assert set(kept) <= set(found)
    for s, ch in set(found) - set(kept):
        rewritten = folded[:s] + ch + folded[s + 2 :]
        for ms, me, pid in eng._find(rewritten):
            covers = ms <= s < me
            assert not (covers and any(kind == KIND_TEXT for _, kind, _ in eng._targets[pid])), (folded, s, ch)


def test_split_triggers_far_from_any_term_cost_no_second_look() -> None:
    from qunzu.review import split

    text = "女干部门口，木木口口" * 300 + "弓虽奸"
    calls = []
    real = split.promising

    def counting(folded: str, found: list[tuple[int, str]], *rest: object) -> list[tuple[int, str]]:
        calls.append(len(found))
        return real(folded, found, *rest)  # type: ignore[arg-type]

    split.promising = counting  # type: ignore[assignment]
    try:
        hits = _SPLIT_ENGINE.scan(text).hits
    finally:
        split.promising = real
    assert [(h.term, h.via) for h in hits] == [("强奸", "split")]
    assert calls == [1]  # of 301 pair triggers, only 弓虽 before 奸 is looked at again


_SPLIT_ENGINE = ReviewEngine.build(
    Lexicon.from_entries([LexiconEntry(t) for t in ("强奸", "枪支", "嫖", "裸聊", "好强", "奸人", "女子好")])
)


def test_chinese_numerals_written_as_digits_or_financial_forms() -> None:
    from qunzu.review.compiler import numeral_variants

    assert set(numeral_variants("六合彩")) == {"6合彩", "陆合彩"}
    assert "64" not in numeral_variants("六四") and {"6四", "陆肆", "六4"} <= set(numeral_variants("六四"))
    assert numeral_variants("赌博") == [] and numeral_variants("一二三四") == []  # none, or too many
    eng = ReviewEngine.build(
        Lexicon.from_entries([LexiconEntry("六合彩", exceptions=("六合彩票店",)), LexiconEntry("一夜情")])
    )
    text = "买⑥合彩，找1 夜 情"
    hits = eng.scan(text).hits
    assert [(h.term, text[h.start : h.end], h.via) for h in hits] == [
        ("六合彩", "⑥合彩", "numeral"),
        ("一夜情", "1 夜 情", "numeral"),
    ]
    assert [(h.term, h.excepted) for h in eng.scan("楼下的陆合彩票店").hits] == [("六合彩", True)]
    assert eng.scan("2016合彩").terms == [] and eng.scan("一夜情").hits[0].via == "text"
