"""Pinyin: term spellings computed when the lexicon is compiled, and the syllable checks used at scan time.

A Chinese term of two or more characters also matches its full toneless pinyin (六合彩 -> liuhecai, written with
or without spaces or tone marks) and, when the entry asks for it, its initials (lhc). Every spelling carries
its syllable boundaries so the matcher can insist that a pinyin hit starts and ends on syllable boundaries.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from itertools import pairwise

from qunzu.review.charmap import is_cjk_cp

MAX_VARIANTS = 4
MAX_SYLLABLE = 6  # zhuang, chuang, shuang

Spelling = tuple[str, tuple[int, ...]]  # the letters, and the syllable boundaries as offsets (0 ... len)


def _toneless(reading: str) -> str:
    reading = reading.replace("ü", "v").replace("Ü", "v")
    decomposed = unicodedata.normalize("NFD", reading)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def char_syllables() -> dict[str, str]:
    """Every Han character's most common toneless reading (used for texts that mix Han and Latin letters)."""
    from pypinyin.pinyin_dict import pinyin_dict  # imported late: pypinyin loads large tables

    return {chr(cp): _toneless(readings.split(",")[0]) for cp, readings in pinyin_dict.items()}


_INTERJECTIONS = frozenset({"m", "n", "ng", "hm", "hng"})  # 呣 嗯 哼: never spelled out in evasions


def all_syllables() -> frozenset[str]:
    """Every toneless syllable of the pinyin dictionary, with lv/lu-style spellings of ü.

    Bare-consonant interjection readings (m, n, ng, hm, hng) are left out: with them nearly any run of
    consonants ("nba", "mn") would read as pinyin.
    """
    from pypinyin.pinyin_dict import pinyin_dict

    out: set[str] = set()
    for readings in pinyin_dict.values():
        for r in readings.split(","):
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


def _spelling(units: list[str]) -> Spelling:
    bounds = [0]
    for u in units:
        bounds.append(bounds[-1] + len(u))
    return "".join(units), tuple(bounds)


def _units(term: str, readings: list[str]) -> list[str] | None:
    """Pair each Han character of `term` with its reading; other characters stay as themselves."""
    units: list[str] = []
    it = iter(readings)
    for ch in term:
        if is_cjk_cp(ord(ch)):
            r = next(it, None)
            if r is None or not r.isascii() or not r.isalpha():
                return None
            units.append(r)
        else:
            units.append(ch)
    return units


def term_spellings(term: str, per_char: dict[str, str]) -> list[Spelling]:
    """Full pinyin spellings of a normalised term (phrase-aware reading, per-character reading, ü as v or u)."""
    from pypinyin import Style, lazy_pinyin

    han = [ch for ch in term if is_cjk_cp(ord(ch))]
    if len(han) < 2:
        return []
    candidates: list[list[str]] = []
    phrase = [_toneless(r) for r in lazy_pinyin("".join(han), style=Style.TONE, errors="ignore")]
    if len(phrase) == len(han):
        candidates.append(phrase)
    if all(ch in per_char for ch in han):
        candidates.append([per_char[ch] for ch in han])
    out: list[Spelling] = []
    for readings in candidates:
        for variant in (readings, [r.replace("v", "u") for r in readings]):
            units = _units(term, variant)
            if units is not None:
                spelling = _spelling(units)
                if spelling not in out:
                    out.append(spelling)
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

