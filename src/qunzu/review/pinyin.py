"""Pinyin: term spellings computed when the lexicon is compiled, and the syllable checks used at scan time.

A Chinese term of two or more characters also matches its full toneless pinyin (六合彩 -> liuhecai, written with
or without spaces or tone marks) and, when the entry asks for it, its initials (lhc). Every spelling carries
its syllable boundaries so the matcher can insist that a pinyin hit starts and ends on syllable boundaries.

A term has up to two readings: the phrase-aware one (what `pypinyin.lazy_pinyin(term, style=TONE,
errors="ignore")` returns, tone marks removed) and the per-character one (every character's most common
reading). pypinyin is only consulted when the lexicon-independent tables are built (`PhraseTable.build`):
compiling a lexicon reads those tables, so it needs neither pypinyin's import (a third of a second) nor its
per-call overhead (tens of microseconds a term). The phrase-aware reading differs from the per-character
one only where pypinyin's segmenter finds a phrase of its dictionary, so it is computed (`PhraseTable.reading`,
the same forward maximum matching pypinyin does) only for the terms that contain one; tests compare it with
`lazy_pinyin` itself.
"""

from __future__ import annotations

import marshal
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from functools import lru_cache
from itertools import accumulate, pairwise
from typing import cast

import daachorse

MAX_VARIANTS = 4
MAX_SYLLABLE = 6  # zhuang, chuang, shuang

Spelling = tuple[str, tuple[int, ...]]  # the letters, and the syllable boundaries as offsets (0 ... len)

# every Han character, as charmap.is_cjk_cp defines them
HAN = "\u3400-\u9fff\uf900-\ufaff\U00020000-\U000323af"
han_chars = re.compile(f"[{HAN}]+").findall
_ALL_HAN = re.compile(f"[{HAN}]*").fullmatch


def han_of(term: str) -> str:
    """The Han characters of a term, in order."""
    return term if _ALL_HAN(term) else "".join(han_chars(term))


def _toneless(reading: str) -> str:
    reading = reading.replace("ü", "v").replace("Ü", "v")
    decomposed = unicodedata.normalize("NFD", reading)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def char_syllables() -> dict[str, str]:
    """Every Han character's most common toneless reading (used for texts that mix Han and Latin letters)."""
    from pypinyin.pinyin_dict import pinyin_dict  # imported late: pypinyin loads large tables

    toneless = lru_cache(maxsize=None)(_toneless)
    return {chr(cp): toneless(readings.split(",")[0]) for cp, readings in pinyin_dict.items()}


_INTERJECTIONS = frozenset({"m", "n", "ng", "hm", "hng"})  # 呣 嗯 哼: never spelled out in evasions


def all_syllables() -> frozenset[str]:
    """Every toneless syllable of the pinyin dictionary, with lv/lu-style spellings of ü.

    Bare-consonant interjection readings (m, n, ng, hm, hng) are left out: with them nearly any run of
    consonants ("nba", "mn") would read as pinyin.
    """
    from pypinyin.pinyin_dict import pinyin_dict

    readings = {r for value in pinyin_dict.values() for r in value.split(",")}
    out: set[str] = set()
    for r in readings:
        s = _toneless(r)
        if s.isascii() and s.isalpha():
            out.add(s)
            out.add(s.replace("v", "u"))
    return frozenset(out - _INTERJECTIONS)


class SyllableChecker:
    """Answers whether a run of Latin letters can be read as whole pinyin syllables."""

    def __init__(self, syllables: Iterable[str]) -> None:
        self._syllables = frozenset(syllables)
        self.segmentable = lru_cache(maxsize=65536)(self._segmentable)

    def _segmentable(self, letters: str) -> bool:
        if not letters:
            return True
        n = len(letters)
        ok = [True] + [False] * n
        for end in range(1, n + 1):
            for size in range(1, min(MAX_SYLLABLE, end) + 1):
                if ok[end - size] and letters[end - size : end] in self._syllables:
                    ok[end] = True
                    break
        return ok[n]


class PhraseTable:
    """pypinyin's phrase dictionary, toneless, with what its segmenter needs (lexicon-independent).

    `phrases` maps every phrase to the first reading of each of its characters; `outside` holds the
    characters that have a reading but that pypinyin does not treat as Han (its RE_HANS), which it skips
    with errors="ignore"; the automaton finds, for many terms in one pass, the ones that contain a phrase
    (or a one-character phrase).
    """

    __slots__ = ("_automaton", "_finder", "_prefixes", "outside", "phrases")

    def __init__(self, phrases: dict[str, tuple[str, ...]], outside: frozenset[str], automaton: bytes) -> None:
        self.phrases = phrases
        self.outside = outside
        self._automaton = automaton
        self._finder = daachorse.CharwiseDoubleArrayAhoCorasick.deserialize(automaton).find if automaton else None
        self._prefixes: frozenset[str] | None = None

    @classmethod
    def build(cls, per_char: dict[str, str]) -> PhraseTable:
        from pypinyin.constants import PHRASES_DICT, RE_HANS  # what lazy_pinyin itself uses

        toneless = lru_cache(maxsize=None)(_toneless)
        phrases = {k: tuple(toneless(item[0]) for item in v) for k, v in PHRASES_DICT.items() if k}
        outside = frozenset(ch for ch in per_char if not RE_HANS.match(ch))
        keys = sorted(phrases)
        automaton = daachorse.CharwiseDoubleArrayAhoCorasick(keys).serialize() if keys else b""
        return cls(phrases, outside, automaton)

    def to_bytes(self) -> bytes:
        return marshal.dumps((self.phrases, tuple(self.outside), self._automaton))

    @classmethod
    def from_bytes(cls, data: bytes) -> PhraseTable:
        phrases, outside, automaton = marshal.loads(data)
        return cls(phrases, frozenset(outside), automaton)

    @property
    def prefixes(self) -> frozenset[str]:
        """Every prefix of every phrase (pypinyin's PrefixSet)."""
        if self._prefixes is None:
            self._prefixes = frozenset(k[:i] for k in self.phrases for i in range(1, len(k) + 1))
        return self._prefixes

    def with_phrases(self, hans: list[str]) -> set[int]:
        """Indexes of the strings in `hans` that hold a phrase or a character pypinyin reads on its own terms:
        only those can have a phrase-aware reading that differs from the per-character one."""
        out: set[int] = set()
        if self._finder is not None:
            starts = list(accumulate((len(h) + 1 for h in hans), initial=0))
            for s, _, _ in self._finder("\n".join(hans)):
                out.add(bisect_right(starts, s) - 1)
        if self.outside:
            out.update(i for i, h in enumerate(hans) if not self.outside.isdisjoint(h))
        return out

    def segments(self, text: str) -> Iterator[str]:
        """pypinyin.seg.mmseg.Seg(no_non_phrases=True).cut: forward maximum matching over the phrases."""
        prefixes, phrases = self.prefixes, self.phrases
        remain = text
        while remain:
            last_valid_word = ""
            for index in range(len(remain)):
                word = remain[: index + 1]
                if word in prefixes:
                    if word in phrases:
                        last_valid_word = word
                    continue
                if last_valid_word:
                    yield last_valid_word
                    remain = remain[len(last_valid_word) :]
                else:
                    yield remain[0]
                    remain = remain[1:]
                break
            else:  # every prefix of what remains is a prefix of some phrase
                if last_valid_word:
                    yield last_valid_word
                    remain = remain[len(last_valid_word) :]
                else:
                    yield from remain
                    return

    def reading(self, han: str, per_char: dict[str, str]) -> list[str] | None:
        """The phrase-aware reading of a string of Han characters, or None when pypinyin would not give every
        character exactly one reading (it skips characters it has no reading for)."""
        if self.outside and not self.outside.isdisjoint(han):
            return None
        out: list[str] = []
        phrases = self.phrases
        for token in self.segments(han):
            value = phrases.get(token)
            if value is not None:
                out.extend(value)
                continue
            for ch in token:
                r = per_char.get(ch)
                if r is None:
                    return None
                out.append(r)
        return out if len(out) == len(han) else None


def _spelling(term: str, han: str, readings: list[str]) -> Spelling | None:
    """The letters of `term` with each Han character replaced by its reading, and the syllable boundaries;
    None when a reading is not plain ASCII letters."""
    letters = "".join(readings)
    if not (letters.isascii() and letters.isalpha() and all(readings)):
        return None
    if len(han) == len(term):
        return letters, tuple(accumulate(map(len, readings), initial=0))
    units: list[str] = []
    it = iter(readings)
    for ch in term:
        units.append(next(it) if _ALL_HAN(ch) else ch)
    return "".join(units), tuple(accumulate(map(len, units), initial=0))


def term_spellings(
    term: str, per_char: dict[str, str], phrases: PhraseTable | None = None, *, han: str | None = None,
    has_phrase: bool = True,
) -> list[Spelling]:  # fmt: skip
    """Full pinyin spellings of a normalised term (phrase-aware reading, per-character reading, ü as v or u).

    `phrases` None reads with pypinyin itself (slow; the reference the tables are tested against).
    `has_phrase` False says the term holds no phrase (PhraseTable.with_phrases): its phrase-aware reading is
    then the per-character one.
    """
    han = han_of(term) if han is None else han
    if len(han) < 2:
        return []
    get = per_char.get
    per = [get(ch) for ch in han]
    whole = cast("list[str]", per) if None not in per else None
    candidates: list[list[str]] = []
    if phrases is None:
        from pypinyin import Style, lazy_pinyin

        phrase = [_toneless(r) for r in lazy_pinyin(han, style=Style.TONE, errors="ignore")]
        if len(phrase) == len(han):
            candidates.append(phrase)
    elif has_phrase:
        reading = phrases.reading(han, per_char)
        if reading is not None:
            candidates.append(reading)
    if whole is not None:
        candidates.append(whole)
    out: list[Spelling] = []
    for readings in candidates:
        variants = [readings]
        if "v" in "".join(readings):
            variants.append([r.replace("v", "u") for r in readings])
        for variant in variants:
            spelling = _spelling(term, han, variant)
            if spelling is not None and spelling not in out:
                out.append(spelling)
    return out[:MAX_VARIANTS]


def han_spellings(
    han: str, per_char_spellings: list[Spelling], phrases: PhraseTable, per_char: dict[str, str]
) -> list[Spelling]:
    """term_spellings of a term of Han characters only that holds a phrase, given the spellings of its
    per-character reading (what term_spellings gives for a term without a phrase)."""
    out: list[Spelling] = []
    reading = phrases.reading(han, per_char)
    if reading is not None:
        letters = "".join(reading)
        if letters.isascii() and letters.isalpha() and all(reading):
            bounds = tuple(accumulate(map(len, reading), initial=0))
            out.append((letters, bounds))
            if "v" in letters:
                out.append((letters.replace("v", "u"), bounds))
    if not out:
        return per_char_spellings
    out.extend(s for s in per_char_spellings if s not in out)
    return out[:MAX_VARIANTS]


def term_initials(spellings: list[Spelling]) -> list[Spelling]:
    """Initial letters of each syllable (六合彩 -> lhc), one letter per syllable; needs two or more."""
    out: list[Spelling] = []
    for letters, bounds in spellings:
        units = [letters[a:b] for a, b in pairwise(bounds)]
        initials = "".join(u[0] for u in units)
        spelling = (initials, tuple(range(len(initials) + 1)))
        if len(initials) >= 2 and spelling not in out:
            out.append(spelling)
    return out
