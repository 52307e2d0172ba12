"""The matching view of a text and its map back to the user's characters.

Two kinds of removed characters are told apart. Soft separators (spaces, symbols, emoji, ASCII punctuation,
invisibles) are what evaders put between the characters of a term; they are always deleted. Chinese clause
punctuation (HARD: ，。！？、 quotes and brackets) is what writers put between clauses; deleting it everywhere
would cost a regex match every dozen characters of ordinary Chinese, so it is deleted only in texts that use
it the way evaders do: one or two characters standing alone between two such marks ("六，合，彩"), or at the
start of the text. A term split by a single clause mark inside running prose ("我想买大，麻给你") is therefore
not found; that is deliberate (it reads as two clauses).

All passes run in C (re.sub, str.translate); the offset map is built only when a match needs it, from one
re.split of the text, and is a piecewise map searched with bisect.

Astral characters would make the separator regex slow for every character; a text that has any is first
rewritten, one astral character at a time, into a same-length text where removed astral characters become a
U+FFFC (a symbol separator) or a zero-width space (ignorable).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from itertools import accumulate

from qunzu.review.charmap import CharTables

HARD = "，。！？；：、…“”‘’「」『』《》（）【】〔〕〈〉"
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def char_class(ranges: list[tuple[int, int]]) -> str:
    """A regex character class body for inclusive code point ranges."""
    out = []
    for lo, hi in ranges:
        out.append(re.escape(chr(lo)) if lo == hi else f"{re.escape(chr(lo))}-{re.escape(chr(hi))}")
    return "".join(out)


def _ranges(cps: list[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for cp in sorted(cps):
        if out and out[-1][1] == cp - 1:
            out[-1] = (out[-1][0], cp)
        else:
            out.append((cp, cp))
    return out


def _in(ranges: list[tuple[int, int]], cp: int) -> bool:
    i = bisect_right(ranges, (cp, 0x10FFFF)) - 1
    return i >= 0 and ranges[i][0] <= cp <= ranges[i][1]


class Normalizer:
    """Compiled from `CharTables`: the per-text normalisation, in a handful of C-level passes."""

    def __init__(self, tables: CharTables) -> None:
        self._fold = tables.fold
        self._removed = tables.removed
        self._ignorable = tables.ignorable
        bmp = [(lo, min(hi, 0xFFFF)) for lo, hi in tables.removed if lo <= 0xFFFF]
        ign = [(lo, min(hi, 0xFFFF)) for lo, hi in tables.ignorable if lo <= 0xFFFF]
        hard = {ord(c) for c in HARD}
        soft = _ranges([cp for lo, hi in bmp for cp in range(lo, hi + 1) if cp not in hard])
        every = char_class(bmp)
        self._soft_sub = re.compile(f"[{char_class(soft)}]+").sub
        self._all_sub = re.compile(f"[{every}]+").sub
        self._soft_split = re.compile(f"([{char_class(soft)}]+)").split
        self._all_split = re.compile(f"([{every}]+)").split
        hard_class = re.escape(HARD)
        self._spaced_inside = re.compile(f"[{hard_class}][^{hard_class}]{{1,2}}[{hard_class}]").search
        self._spaced_start = re.compile(f"[^{hard_class}]{{1,2}}[{hard_class}]").match
        self.ignorable_only = re.compile(f"[{char_class(ign)}]*").fullmatch
        self._upper = re.compile("[A-Z]").search
        table: list[int | str] = list(range(0x10000))
        for cp, form in tables.fold.items():
            if cp < 0x10000:
                table[cp] = form
        self._table = table
        self._astral_fold = {cp: form for cp, form in tables.fold.items() if cp >= 0x10000}

    def fold_triggers(self) -> list[str]:
        """Characters whose presence after `lower()` means the text needs the full fold.

        Every character that folds to something else except A-Z, plus what `str.lower()` turns non-ASCII
        capitals into (so a lowered capital is still noticed).
        """
        out = {chr(cp) for cp in self._fold if not 0x41 <= cp <= 0x5A}
        for cp in self._fold:
            low = chr(cp).lower()
            if not low.isascii() and low != chr(cp):
                out.update(ch for ch in low if not ch.isascii())
        return sorted(out)

    def _astral_char(self, m: re.Match[str]) -> str:
        cp = ord(m.group())
        if not _in(self._removed, cp):
            return m.group()
        return "\u200b" if _in(self._ignorable, cp) else "\ufffc"  # a symbol, like the emoji it stands for

    def bmp_safe(self, text: str) -> str:
        """`text` itself, or the same-length rewrite without removed astral characters."""
        return _ASTRAL.sub(self._astral_char, text) if _ASTRAL.search(text) else text

    def lower(self, compact: str) -> str:
        """Fold ASCII capitals only (safe before matching; anything else is found by the matcher)."""
        return compact.lower() if self._upper(compact) else compact

    def fold(self, compact: str) -> str:
        """Fold every character of a compact text."""
        out = compact.translate(self._table)
        if self._astral_fold and _ASTRAL.search(out):
            out = out.translate(self._astral_fold)
        return out

    def normalize(self, text: str) -> str:
        """The compact, folded form of any text with every separator removed (how lexicon terms are stored)."""
        return self.fold(self._all_sub("", self.bmp_safe(text)))

    def view(self, text: str) -> TextView:
        safe = self.bmp_safe(text)
        if self._spaced_inside(safe) or self._spaced_start(safe):
            return TextView(self, safe, self._all_sub("", safe), self._all_split)
        return TextView(self, safe, self._soft_sub("", safe), self._soft_split)

    def full_view(self, text: str) -> TextView:
        """A view with every separator removed, clause punctuation included (for lexicon terms)."""
        safe = self.bmp_safe(text)
        return TextView(self, safe, self._all_sub("", safe), self._all_split)

    def fold_char(self, ch: str) -> str:
        return self._fold.get(ord(ch), ch)


class TextView:
    """One text as the matcher sees it (`folded`), with lazy maps back to the original offsets."""

    __slots__ = ("_ccum", "_norm", "_ocum", "_parts", "_split", "_src", "compact", "folded", "text")

    def __init__(self, norm: Normalizer, text: str, compact: str, split: Callable[[str], list[str]]) -> None:
        self._norm = norm
        self._split = split
        self.text = text  # same length and offsets as the user's text
        self.compact = compact
        self.folded = compact
        self._src: list[int] | None = None
        self._parts: list[str] | None = None
        self._ccum: list[int] = []
        self._ocum: list[int] = []

    def set_folded(self, folded: str) -> None:
        self.folded = folded
        if len(folded) != len(self.compact):  # an expansion (ß -> ss): map folded offsets to compact ones
            src: list[int] = []
            for i, ch in enumerate(self.compact):
                src.extend([i] * len(self._norm.fold_char(ch)))
            self._src = src

    def _map(self) -> list[str]:
        if self._parts is None:
            parts = [self.text] if len(self.compact) == len(self.text) else self._split(self.text)
            self._ccum = list(accumulate(map(len, parts[::2])))
            self._ocum = list(accumulate(map(len, parts)))
            self._parts = parts
        return self._parts

    def _c(self, f: int) -> int:
        return f if self._src is None else self._src[f]

    def _f(self, c: int) -> int:
        return c if self._src is None else bisect_left(self._src, c)

    def orig(self, c: int) -> int:
        """Compact index -> offset in the original text."""
        if len(self.compact) == len(self.text):
            return c
        self._map()
        k = bisect_right(self._ccum, c)
        return c if k == 0 else self._ocum[2 * k - 1] + c - self._ccum[k - 1]

    def span(self, fs: int, fe: int) -> tuple[int, int]:
        """Folded half-open span -> original half-open span."""
        return self.orig(self._c(fs)), self.orig(self._c(fe - 1)) + 1

    def gaps(self, fs: int, fe: int) -> list[tuple[int, str]]:
        """Visible separator runs inside a folded span: (folded offset where the gap sits, its text)."""
        if len(self.compact) == len(self.text):
            return []
        parts = self._map()
        ccum = self._ccum
        k0, k1 = bisect_right(ccum, self._c(fs)), bisect_right(ccum, self._c(fe - 1))
        out = []
        for k in range(k0, k1):
            gap = parts[2 * k + 1]
            if not self._norm.ignorable_only(gap):
                out.append((self._f(ccum[k]), gap))
        return out

    def chunk(self, fs: int, fe: int) -> tuple[int, int]:
        """Folded bounds of the text around a span that no removed visible separator interrupts."""
        if len(self.compact) == len(self.text):
            return 0, len(self.folded)
        parts = self._map()
        ccum = self._ccum
        ign = self._norm.ignorable_only
        k = bisect_right(ccum, self._c(fs))
        while k > 0 and ign(parts[2 * k - 1]):
            k -= 1
        lo = ccum[k - 1] if k else 0
        k = bisect_right(ccum, self._c(fe - 1))
        last = len(ccum) - 1
        while k < last and ign(parts[2 * k + 1]):
            k += 1
        hi = ccum[k]
        return self._f(lo), (self._f(hi) if hi < len(self.compact) else len(self.folded))
