"""The matching view of a text and its map back to the user's characters.

`Normalizer.compact(text)` deletes the removed characters (separators and invisibles) with one `re.sub` per
block of BLOCK characters; `fold` then maps what is left (case, NFKC, look-alikes, traditional -> simplified)
with `str.translate`. Both run in C. The offset map is built only for the blocks around a match, by
splitting those blocks on their removed runs, so texts without matches never pay for it and long texts pay
only near their matches.

Astral characters (emoji, and a few kept blocks) would make the separator regex slow for every character;
a text that has any is first rewritten, one astral character at a time, into a same-length text where
removed astral characters become a space (separator) or a zero-width space (ignorable).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from itertools import accumulate

from qunzu.review.charmap import CharTables

BLOCK = 512
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def char_class(ranges: list[tuple[int, int]]) -> str:
    """A regex character class body for inclusive code point ranges."""
    out = []
    for lo, hi in ranges:
        out.append(re.escape(chr(lo)) if lo == hi else f"{re.escape(chr(lo))}-{re.escape(chr(hi))}")
    return "".join(out)


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
        self._sub = re.compile(f"[{char_class(bmp)}]+").sub
        self._split = re.compile(f"([{char_class(bmp)}]+)").split
        self.ignorable_only = re.compile(f"[{char_class(ign)}]*").fullmatch
        self._upper = re.compile("[A-Z]").search
        table: list[int | str] = list(range(0x10000))
        for cp, form in tables.fold.items():
            if cp < 0x10000:
                table[cp] = form
        self._table: dict[int, str] | list[int | str] = table
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
        return "\u200b" if _in(self._ignorable, cp) else " "

    def bmp_safe(self, text: str) -> str:
        """`text` itself, or the same-length rewrite without removed astral characters."""
        return _ASTRAL.sub(self._astral_char, text) if _ASTRAL.search(text) else text

    def compact(self, text: str) -> tuple[str, list[int] | None]:
        """Drop removed characters; for long texts also the compact length at the end of every block."""
        sub = self._sub
        if len(text) <= BLOCK:
            return sub("", text), None
        blocks = [sub("", text[i : i + BLOCK]) for i in range(0, len(text), BLOCK)]
        return "".join(blocks), list(accumulate(map(len, blocks)))

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
        """The compact, folded form of any text (what lexicon terms and the matcher work on)."""
        return self.fold(self.compact(self.bmp_safe(text))[0])

    def view(self, text: str) -> TextView:
        safe = self.bmp_safe(text)
        compact, ends = self.compact(safe)
        return TextView(self, safe, compact, ends)

    def fold_char(self, ch: str) -> str:
        return self._fold.get(ord(ch), ch)


class TextView:
    """One text as the matcher sees it (`folded`), with maps back to the original offsets."""

    __slots__ = ("_block_ends", "_norm", "_regions", "_src", "compact", "folded", "text")

    def __init__(self, norm: Normalizer, text: str, compact: str, block_ends: list[int] | None) -> None:
        self._norm = norm
        self.text = text  # same length and offsets as the user's text
        self.compact = compact
        self.folded = compact
        self._block_ends = block_ends
        self._regions: dict[tuple[int, int], Region] = {}
        self._src: list[int] | None = None

    def set_folded(self, folded: str) -> None:
        self.folded = folded
        if len(folded) != len(self.compact):  # an expansion (ß -> ss): map folded offsets to compact ones
            src: list[int] = []
            for i, ch in enumerate(self.compact):
                src.extend([i] * len(self._norm.fold_char(ch)))
            self._src = src

    def to_compact(self, f: int) -> int:
        return f if self._src is None else self._src[f]

    def from_compact(self, c: int) -> int:
        return c if self._src is None else bisect_left(self._src, c)

    def region(self, fs: int, fe: int) -> Region:
        """The stretch of text around a folded span, with its offset map (built once per stretch)."""
        ends = self._block_ends
        if ends is None:
            key = (0, 0)
        else:
            b0 = bisect_right(ends, self.to_compact(fs))
            b1 = bisect_right(ends, self.to_compact(fe - 1))
            key = (max(0, b0 - 1), min(len(ends) - 1, b1 + 1))
        found = self._regions.get(key)
        if found is None:
            found = self._regions[key] = Region(self, key)
        return found


class Region:
    """Offset maps for a run of blocks: compact <-> original, gaps and separator-free chunks."""

    __slots__ = ("_ccum", "_norm", "_ocum", "c0", "c1", "o0", "parts", "view")

    def __init__(self, view: TextView, key: tuple[int, int]) -> None:
        self.view = view
        self._norm = view._norm
        ends = view._block_ends
        if ends is None:
            self.o0, o1, self.c0 = 0, len(view.text), 0
        else:
            self.o0, o1 = key[0] * BLOCK, (key[1] + 1) * BLOCK
            self.c0 = ends[key[0] - 1] if key[0] else 0
        self.parts = self._norm._split(view.text[self.o0 : o1])
        self._ccum = list(accumulate(map(len, self.parts[::2])))
        self._ocum = list(accumulate(map(len, self.parts)))
        self.c1 = self.c0 + self._ccum[-1]

    def _piece(self, c: int) -> int:
        return bisect_right(self._ccum, c - self.c0)

    def orig(self, c: int) -> int:
        """Compact index -> offset in the original text."""
        rel = c - self.c0
        k = bisect_right(self._ccum, rel)
        if k == 0:
            return self.o0 + rel
        return self.o0 + self._ocum[2 * k - 1] + rel - self._ccum[k - 1]

    def span(self, fs: int, fe: int) -> tuple[int, int]:
        """Folded half-open span -> original half-open span."""
        v = self.view
        return self.orig(v.to_compact(fs)), self.orig(v.to_compact(fe - 1)) + 1

    def gaps(self, fs: int, fe: int) -> list[tuple[int, str]]:
        """Visible separator runs inside a folded span: (folded offset where the gap sits, its text)."""
        v = self.view
        k0, k1 = self._piece(v.to_compact(fs)), self._piece(v.to_compact(fe - 1))
        if k0 == k1:
            return []
        out = []
        for k in range(k0, k1):
            gap = self.parts[2 * k + 1]
            if not self._norm.ignorable_only(gap):
                out.append((v.from_compact(self.c0 + self._ccum[k]), gap))
        return out

    def chunk(self, fs: int, fe: int) -> tuple[int, int]:
        """Folded bounds of the text around a span that no visible separator interrupts."""
        v = self.view
        ign = self._norm.ignorable_only
        k = self._piece(v.to_compact(fs))
        while k > 0 and ign(self.parts[2 * k - 1]):
            k -= 1
        lo = self.c0 + (self._ccum[k - 1] if k else 0)
        k = self._piece(v.to_compact(fe - 1))
        last = len(self._ccum) - 1
        while k < last and ign(self.parts[2 * k + 1]):
            k += 1
        hi = self.c0 + self._ccum[k]
        return v.from_compact(lo), (v.from_compact(hi) if hi < len(v.compact) else len(v.folded))
