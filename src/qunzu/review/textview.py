"""The matching view of a text and its map back to the user's characters.

Two kinds of removed characters are told apart. Soft separators (spaces, symbols, emoji, ASCII punctuation,
invisibles) are what evaders put between the characters of a term; they are always deleted. Chinese clause
punctuation (HARD: ，。！？、 quotes and brackets) is what writers put between clauses; deleting it everywhere
would cost a regex match every dozen characters of ordinary Chinese, so it is deleted only in texts that use
it the way evaders do: one or two characters standing alone between two such marks ("六，合，彩"), or at the
start of the text. A term split by a single clause mark inside running prose ("我想买大，麻给你") is therefore
not found; that is deliberate (it reads as two clauses).

All passes run in C. One re.split of the text gives both the compact view (the kept pieces joined) and the
offset map (a piecewise map over the pieces, searched with bisect); the same pass also cuts at a clause mark
that opens a one- or two-character clause, the sign that the text must be split again with clause marks
removed too. Every regex that scans a whole text starts with a single character class (`[x][x]*`, not
`[x]+`) so that the regex engine skips over characters that cannot start a match in its tight prefix loop
instead of trying a full match at every position.

With the optional C module `_native` (built at installation from `_native.c`), the whole of `view` is one
loop of C instead: it writes the compact text, its folded form and the offset map together, so the engine
needs no `str.lower` and no second matcher pass for characters that fold. Both paths give the same views
(tests/review/test_review_native.py); the Python one runs where the module is not built.

Astral characters would make the separator regex slow for every character; a text that has any is first
rewritten, one astral character at a time, into a same-length text where removed astral characters become a
U+FFFC (a symbol separator) or a zero-width space (ignorable). Whether a text can hold an astral character
at all is read from its size in CPython (a str is stored with 1, 2 or 4 bytes a character, the widest it
needs), so ordinary texts do not pay for a regex pass.
"""

from __future__ import annotations

import re
import sys
from array import array
from bisect import bisect_left, bisect_right
from itertools import accumulate
from types import ModuleType

from qunzu.review.charmap import CharTables, ranges

NATIVE_VERSION = 8  # the _native.c this code was written for (its VERSION)
FLAG_LATIN = 1  # _native.fold_view's flags: the folded text holds an ASCII letter a-z
FLAG_STAND_IN = 2  # a symbol that can stand for a letter ("@", "$", "!", "|"; digits.py) was removed


def _load_native() -> ModuleType | None:
    try:
        from qunzu.review import _native
    except ImportError:  # not built: the Python path
        return None
    same = (_native.VERSION, _native.FLAG_LATIN, _native.FLAG_STAND_IN) == (NATIVE_VERSION, FLAG_LATIN, FLAG_STAND_IN)
    return _native if same else None  # a stale build (pip install -e . again rebuilds it) is not used


NATIVE = _load_native()

HARD = "，。！？；：、…“”‘’「」『』《》（）【】〔〕〈〉"
_HARD_SET = frozenset(HARD)
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_CPYTHON = sys.implementation.name == "cpython"
_UCS4_BASE = sys.getsizeof("\U00010000") - 8 if _CPYTHON else 0  # header size of a 4-byte-per-character str


def may_have_astral(text: str) -> bool:
    """False only when `text` surely holds no astral character: in CPython a str holding one stores 4 bytes a
    character, so its size is at least the header plus 4 * (len + 1); narrower strings are smaller (a cached
    UTF-8 copy can only make this answer True, which is safe). Anything but an exact str is not trusted."""
    return not _CPYTHON or type(text) is not str or sys.getsizeof(text) >= _UCS4_BASE + 4 * (len(text) + 1)


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

    def __init__(self, tables: CharTables, *, native: bool = True) -> None:
        self._fold = tables.fold
        self._removed = tables.removed
        self._ignorable = tables.ignorable
        bmp = [(lo, min(hi, 0xFFFF)) for lo, hi in tables.removed if lo <= 0xFFFF]
        ign = [(lo, min(hi, 0xFFFF)) for lo, hi in tables.ignorable if lo <= 0xFFFF]
        hard = {ord(c) for c in HARD}
        soft = ranges([cp for lo, hi in bmp for cp in range(lo, hi + 1) if cp not in hard])
        every = char_class(bmp)
        soft_class, hard_class = char_class(soft), re.escape(HARD)
        # `[x][x]*` rather than `[x]+`: a pattern that starts with a class lets the regex engine skip ahead
        self._all_sub = re.compile(f"[{every}][{every}]*").sub
        self._all_split = re.compile(f"([{every}][{every}]*)").split
        # one pass does two things: it splits at runs of soft separators, and it also cuts at a clause mark
        # that opens a short clause ("，合，"): such a cut is the sign of an evasion, and the text is split
        # again with clause marks removed too (see view)
        self._soft_split = re.compile(
            f"([{soft_class}{hard_class}](?:(?<=[{hard_class}])(?=[^{hard_class}]{{1,2}}[{hard_class}])"
            f"|(?<![{hard_class}])[{soft_class}]*))"
        ).split
        self._spaced_start = re.compile(f"[^{hard_class}]{{1,2}}[{hard_class}]").match
        self.ignorable_only = re.compile(f"[{char_class(ign)}]*").fullmatch
        self._invisible: dict[str, bool] = {}
        table: list[int | str] = list(range(0x10000))
        for cp, form in tables.fold.items():
            if cp < 0x10000:
                table[cp] = form
        self._table = table
        self._astral_fold = {cp: form for cp, form in tables.fold.items() if cp >= 0x10000}
        self._native: tuple[bytes, bytes] | None = None
        if native and NATIVE is not None and array("I").itemsize == 4 and all(_in(bmp, cp) for cp in hard):
            self._native = self._native_tables(bmp, ign, hard, tables.fold)

    @staticmethod
    def _native_tables(
        bmp: list[tuple[int, int]], ign: list[tuple[int, int]], hard: set[int], fold: dict[int, str]
    ) -> tuple[bytes, bytes]:
        """The tables of _native.fold_view: a class per BMP code point (1 soft separator, 3 an invisible one,
        2 clause mark, 0 kept) and its fold when it is one character (0 when it folds to more)."""
        classes = bytearray(0x10000)
        for lo, hi in bmp:
            classes[lo : hi + 1] = b"\x01" * (hi + 1 - lo)
        for lo, hi in ign:
            for cp in range(lo, hi + 1):
                if classes[cp] == 1:
                    classes[cp] = 3
        for cp in hard:
            classes[cp] = 2
        folds = array("I", range(0x10000))  # 32-bit: checked in __init__
        for cp, form in fold.items():
            if cp < 0x10000:
                folds[cp] = ord(form) if len(form) == 1 else 0
        return bytes(classes), folds.tobytes()

    @property
    def native(self) -> bool:
        """Whether `view` runs the C pass."""
        return self._native is not None

    def invisible(self, removed: str) -> bool:
        """A removed run made only of invisible characters (it is no gap). Remembered: the same few runs
        (a space, "*", a zero-width space) come back again and again."""
        found = self._invisible.get(removed)
        if found is None:
            found = self.ignorable_only(removed) is not None
            if len(removed) <= 8:
                if len(self._invisible) >= 4096:
                    self._invisible.clear()
                self._invisible[removed] = found
        return found

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
        if may_have_astral(text) and _ASTRAL.search(text):
            return _ASTRAL.sub(self._astral_char, text)
        return text

    def fold(self, compact: str) -> str:
        """Fold every character of a compact text."""
        out = compact.translate(self._table)
        if self._astral_fold and may_have_astral(out) and _ASTRAL.search(out):
            out = out.translate(self._astral_fold)
        return out

    def normalize(self, text: str) -> str:
        """The compact, folded form of any text with every separator removed (how lexicon terms are stored)."""
        return self.fold(self._all_sub("", self.bmp_safe(text)))

    def view(self, text: str) -> TextView:
        """The text as the matcher sees it. From the C pass the view is folded already (`final`); from the
        Python path `folded` is the compact text, and the engine folds what needs it."""
        if self._native is not None and NATIVE is not None:
            # None for a str stored 4 bytes a character (it may hold astral characters): rewritten without the
            # removed ones first, and if some are kept (they fold in Python), the Python path
            found = NATIVE.fold_view(text, *self._native) if type(text) is str else None
            safe = text
            if found is None:
                safe = self.bmp_safe(text)
                found = NATIVE.fold_view(safe, *self._native)
            if found is not None:
                compact, folded, cuts, shifts, flags, words, visible = found
                view = TextView(self, safe, compact, cuts=cuts, shifts=shifts)
                view.visible = visible
                if folded is None:  # something expands (ß -> ss)
                    view.set_folded(self.fold(compact))
                else:
                    view.folded = folded
                    view.flags = flags
                    view.words = words
                view.final = True
                return view
        else:
            safe = self.bmp_safe(text)
        parts = self._soft_split(safe)
        if (len(parts) > 1 and not _HARD_SET.isdisjoint(parts[1::2])) or self._spaced_start(safe):
            parts = self._all_split(safe)
        return TextView.of_parts(self, safe, parts)

    def full_view(self, text: str) -> TextView:
        """A view with every separator removed, clause punctuation included (for lexicon terms)."""
        safe = self.bmp_safe(text)
        return TextView.of_parts(self, safe, self._all_split(safe))

    def fold_char(self, ch: str) -> str:
        return self._fold.get(ord(ch), ch)


class TextView:
    """One text as the matcher sees it (`folded`), with lazy maps back to the original offsets.

    The offset map: compact offset `cuts[k]` is where removed run k sits (between compact characters
    cuts[k] - 1 and cuts[k]), and `shifts[k]` is how many characters were removed before it, so the run is
    text[cuts[k] + shifts[k] : cuts[k] + shifts[k + 1]]. The Python path keeps the regex split (kept,
    removed, kept, ..., kept) and works the map out from it when it is first needed.
    """

    __slots__ = (
        "_ccum", "_norm", "_parts", "_shift", "_src", "compact", "final", "flags", "folded", "text",
        "visible", "words",
    )  # fmt: skip

    def __init__(
        self,
        norm: Normalizer,
        text: str,
        compact: str,
        *,
        cuts: list[int] | None = None,
        shifts: list[int] | None = None,
        parts: list[str] | None = None,
    ) -> None:
        self._norm = norm
        self.text = text  # same length and offsets as the user's text
        self.compact = compact
        self.folded = compact
        self.final = False  # folded is the whole fold of compact (the C pass), not yet (the Python path)
        self.flags: int | None = None  # the C pass's facts about folded (_native.FLAG_*), when it gave them
        self.words: list[bytes] | None = None  # and its runs of ASCII letters and digits
        self.visible: list[int] | None = None  # and the cuts of the removed runs that are visible
        self._parts = parts
        self._ccum = cuts
        self._shift: list[int] = shifts if shifts is not None else []
        self._src: list[int] | None = None

    @classmethod
    def of_parts(cls, norm: Normalizer, text: str, parts: list[str]) -> TextView:
        """A view from a split of the text at removed runs: kept, removed, kept, ..., kept."""
        if len(parts) == 1:
            return cls(norm, text, text)
        return cls(norm, text, "".join(parts[::2]), parts=parts)

    def set_folded(self, folded: str) -> None:
        self.folded = folded
        if len(folded) != len(self.compact):  # an expansion (ß -> ss): map folded offsets to compact ones
            src: list[int] = []
            for i, ch in enumerate(self.compact):
                src.extend([i] * len(self._norm.fold_char(ch)))
            self._src = src

    @property
    def expanded(self) -> bool:
        """Folding changed the length: folded offsets are not compact offsets."""
        return self._src is not None

    def cuts(self) -> tuple[list[int], list[int]]:
        """The offset map: compact offsets of the removed runs followed by len(compact) (`[len]` when nothing
        was removed), and for each k the shift from compact to original offsets of the characters after the
        k-th removed run (shift 0 before the first)."""
        ccum = self._ccum
        if ccum is None:
            parts = self._parts
            if parts is None:  # nothing removed
                ccum = self._ccum = [len(self.compact)]
                self._shift = [0]
            else:
                ccum = self._ccum = list(accumulate(map(len, parts[::2])))
                self._shift = [0, *accumulate(map(len, parts[1::2]))]  # removed characters before each piece
        return ccum, self._shift

    def run(self, k: int) -> str:
        """The k-th removed run."""
        if self._parts is not None:
            return self._parts[2 * k + 1]
        ccum, shift = self.cuts()
        return self.text[ccum[k] + shift[k] : ccum[k] + shift[k + 1]]

    def removed(self) -> str:
        """Every removed character, run after run."""
        if self._parts is not None:
            return "".join(self._parts[1::2])
        ccum, _ = self.cuts()
        return "".join(map(self.run, range(len(ccum) - 1)))

    def folded_index(self, o: int) -> int:
        """Offset in the original text of a kept character -> its folded offset."""
        if len(self.compact) == len(self.text):
            return self._f(o)
        ccum, shift = self.cuts()
        starts = [0, *(c + d for c, d in zip(ccum[:-1], shift[1:], strict=True))]  # kept pieces, in the text
        k = bisect_right(starts, o) - 1
        return self._f(o - shift[k])

    def _c(self, f: int) -> int:
        return f if self._src is None else self._src[f]

    def _f(self, c: int) -> int:
        return c if self._src is None else bisect_left(self._src, c)

    def orig(self, c: int) -> int:
        """Compact index -> offset in the original text."""
        if len(self.compact) == len(self.text):
            return c
        ccum, shift = self.cuts()
        return c + shift[bisect_right(ccum, c)]

    def span(self, fs: int, fe: int) -> tuple[int, int]:
        """Folded half-open span -> original half-open span."""
        return self.orig(self._c(fs)), self.orig(self._c(fe - 1)) + 1

    def gaps(self, fs: int, fe: int) -> list[tuple[int, str]]:
        """Visible separator runs inside a folded span: (folded offset where the gap sits, its text)."""
        if len(self.compact) == len(self.text):
            return []
        ccum, _ = self.cuts()
        k0, k1 = bisect_right(ccum, self._c(fs)), bisect_right(ccum, self._c(fe - 1))
        if k0 == k1:
            return []
        invisible, run = self._norm.invisible, self.run
        out = []
        for k in range(k0, k1):
            gap = run(k)
            if not invisible(gap):
                out.append((self._f(ccum[k]), gap))
        return out

    def chunk(self, fs: int, fe: int) -> tuple[int, int]:
        """Folded bounds of the text around a span that no removed visible separator interrupts."""
        compact = self.compact
        if len(compact) == len(self.text):
            return 0, len(self.folded)
        visible = self.visible if self.visible is not None else self._visible_cuts()
        src = self._src
        c0, c1 = (fs, fe - 1) if src is None else (src[fs], src[fe - 1])
        i, j = bisect_right(visible, c0), bisect_right(visible, c1)
        lo = visible[i - 1] if i else 0
        hi = visible[j] if j < len(visible) else len(compact)
        if src is None:
            return lo, hi
        return self._f(lo), (self._f(hi) if hi < len(compact) else len(self.folded))

    def _visible_cuts(self) -> list[int]:
        """The cuts of the removed runs that are visible (not only zero-width characters); the C pass gives
        them with the view, the Python path works them out when first asked."""
        ccum, _ = self.cuts()
        invisible, run = self._norm.invisible, self.run
        self.visible = visible = [ccum[k] for k in range(len(ccum) - 1) if not invisible(run(k))]
        return visible
