"""The matching view of a text and its map back to the user's characters.

`Normalizer.view(text)` splits the text on runs of removed characters (separators and invisibles), joins the
remaining pieces into the compact view, and folds it (NFKC, case, look-alikes, traditional -> simplified). All
of this runs in C (re.split, str.join, str.translate); the offset map is built only when a match needs it,
from the piece lengths, so texts without hits never pay for it.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from itertools import accumulate

from qunzu.review.charmap import CharTables


def char_class(ranges: list[tuple[int, int]]) -> str:
    """A regex character class body for inclusive code point ranges."""
    out = []
    for lo, hi in ranges:
        out.append(re.escape(chr(lo)) if lo == hi else f"{re.escape(chr(lo))}-{re.escape(chr(hi))}")
    return "".join(out)


def _ranges(cps: list[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for cp in cps:
        if out and out[-1][1] == cp - 1:
            out[-1] = (out[-1][0], cp)
        else:
            out.append((cp, cp))
    return out


class Normalizer:
    """Compiled from `CharTables`: the per-text normalisation, in a handful of C-level passes."""

    def __init__(self, tables: CharTables) -> None:
        self._fold = tables.fold
        self._split = re.compile(f"([{char_class(tables.removed)}]+)").split
        self.ignorable_only = re.compile(f"[{char_class(tables.ignorable)}]*").fullmatch
        bmp_needs = sorted(cp for cp in tables.fold if cp < 0x10000 and not 0x41 <= cp <= 0x5A)
        astral = sorted(cp for cp in tables.fold if cp >= 0x10000)
        self._needs_bmp = re.compile(f"[{char_class(_ranges(bmp_needs))}]").search
        self._needs_astral = re.compile(f"[{char_class(_ranges(astral))}]").search if astral else None
        self._upper = re.compile("[A-Z]").search
        table: list[int | str] = list(range(0x10000))
        for cp, form in tables.fold.items():
            if cp < 0x10000:
                table[cp] = form
        self._bmp_table = table
        self._astral_table = {cp: tables.fold[cp] for cp in astral}

    def fold_compact(self, compact: str) -> str:
        """Fold text that holds no removed characters."""
        if self._needs_bmp(compact):
            compact = compact.translate(self._bmp_table)
        elif self._upper(compact):
            compact = compact.lower()  # only ASCII letters can change here: nothing else needs folding
        if self._needs_astral is not None and self._needs_astral(compact):
            compact = compact.translate(self._astral_table)
        return compact

    def normalize(self, text: str) -> str:
        """The compact, folded form of any text (what lexicon terms and the matcher work on)."""
        return self.fold_compact("".join(self._split(text)[::2]))

    def view(self, text: str) -> TextView:
        parts = self._split(text)
        compact = "".join(parts[::2]) if len(parts) > 1 else text
        folded = self.fold_compact(compact)
        return TextView(self, text, parts, compact, folded)

    def fold_char(self, ch: str) -> str:
        return self._fold.get(ord(ch), ch)


class TextView:
    """One text as the matcher sees it (`folded`), with lazy maps back to the original offsets."""

    __slots__ = ("_ccum", "_norm", "_ocum", "_src", "compact", "folded", "parts", "text")

    def __init__(self, norm: Normalizer, text: str, parts: list[str], compact: str, folded: str) -> None:
        self._norm = norm
        self.text = text
        self.parts = parts
        self.compact = compact
        self.folded = folded
        self._src: list[int] | None = None
        self._ccum: list[int] | None = None
        self._ocum: list[int] = []

    def _maps(self) -> list[int]:
        if self._ccum is None:
            self._ccum = list(accumulate(map(len, self.parts[::2])))
            self._ocum = list(accumulate(map(len, self.parts)))
            if len(self.folded) != len(self.compact):
                src: list[int] = []
                for i, ch in enumerate(self.compact):
                    src.extend([i] * len(self._norm.fold_char(ch)))
                self._src = src
        return self._ccum

    def to_compact(self, f: int) -> int:
        """Folded index -> compact index (identity unless folding expanded a character, e.g. ß -> ss)."""
        self._maps()
        return f if self._src is None else self._src[f]

    def from_compact(self, c: int) -> int:
        """Compact index -> the first folded index it produced."""
        self._maps()
        return c if self._src is None else bisect_left(self._src, c)

    def piece(self, c: int) -> int:
        """The index (among the word pieces) of the piece holding compact index c."""
        return bisect_right(self._maps(), c)

    def orig(self, c: int) -> int:
        """Compact index -> offset in the original text."""
        ccum = self._maps()
        k = bisect_right(ccum, c)
        if k == 0:
            return c
        return self._ocum[2 * k - 1] + c - ccum[k - 1]

    def span(self, fs: int, fe: int) -> tuple[int, int]:
        """Folded half-open span -> original half-open span."""
        return self.orig(self.to_compact(fs)), self.orig(self.to_compact(fe - 1)) + 1

    def gaps(self, fs: int, fe: int) -> list[tuple[int, str]]:
        """The real gaps (visible separator runs) inside a folded span: (folded offset of the gap, its text)."""
        cs, ce = self.to_compact(fs), self.to_compact(fe - 1)
        k0, k1 = self.piece(cs), self.piece(ce)
        if k0 == k1:
            return []
        ccum = self._maps()
        out = []
        for k in range(k0, k1):
            gap = self.parts[2 * k + 1]
            if not self._norm.ignorable_only(gap):
                out.append((self.from_compact(ccum[k]), gap))
        return out

    def chunk(self, fs: int, fe: int) -> tuple[int, int]:
        """The folded bounds of the run of text around a span that no visible separator interrupts."""
        ccum = self._maps()
        k = self.piece(self.to_compact(fs))
        while k > 0 and self._norm.ignorable_only(self.parts[2 * k - 1]):
            k -= 1
        lo = ccum[k - 1] if k else 0
        k = self.piece(self.to_compact(fe - 1))
        last = len(ccum) - 1
        while k < last and self._norm.ignorable_only(self.parts[2 * k + 1]):
            k += 1
        hi = ccum[k] if ccum else 0
        return self.from_compact(lo), self.from_compact(hi) if hi < len(self.compact) else len(self.folded)
