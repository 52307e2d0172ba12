"""Precision rules: when a candidate match is really the term, and when it is only an accident of the text.

Dropping separators and reading pinyin find evasions, but they also find terms that are not there. Each rule
below removes one kind of accident; docs/review.md explains them with examples.

R1 Gap length. A separator run inside a match bridges it only when it has at most MAX_GAP visible characters
   (spaces, punctuation: longer runs are sentence and paragraph breaks), or MAX_SYMBOL_GAP when it holds
   symbols or emoji (六😀😀😀😀合彩 is padding, not a paragraph).
R2 Word split (Han, no separator). A term that reads better as the end of one common word and the start of the
   next is not there: 新一代孕妇装 = 新一代 + 孕妇装, not 代孕. "Better" means that a dictionary word ends inside the
   term coming from the left (一代) and one starts inside it running on to the right (孕妇), or that the term is a
   single free modifier (大, 小, 老...) followed by such a word: 大麻烦 = 大 + 麻烦.
R3 Natural boundary (Han, across a separator). Writers separate words, evaders separate characters. A match
   across a separator is not there when the fragment after the last gap starts a dictionary word that runs on
   past the match (六合 彩虹公园, 大 麻烦了), or the fragment before the first gap ends one that began before it.
   Only natural separators (spaces, Chinese punctuation, , ! ? ; : ~) can be such a boundary: a symbol, an emoji
   or other ASCII punctuation between two Han characters is itself the mark of an evasion (枪_支出售).
R4 Latin edges. A term edge made of Latin letters (or digits) shorter than LONG_LATIN must sit on a word edge:
   "sex" is not in "Essex" or "this ex"; letters next to digits, Han characters or separators are edges.
R5 Letter spacing. Across a gap between two Latin characters, both neighbouring fragments must be single
   characters ("s e x", "v.i.a.g.r.a"), unless the term itself has a space there ("free money").
R6 Pinyin syllables. A pinyin match must start and end on syllable boundaries: the Latin letters glued to it
   on either side must read as whole pinyin syllables ("woyaodama" yes, "adamant" no), and any gap inside it
   must fall between two syllables of the term ("da ma" yes, "Adam a" no); so must a tone digit ("da4ma2",
   digits.py). A term of two syllables or more spelled letter by letter ("d a m a", "l-i-u-h-e-c-a-i") may have
   gaps inside syllables; the letters around it, spaced out or not, must then read as whole syllables
   ("w o y a o d a m a" yes, "a d a m a n t" no).
R7 Look-alike digits ("v1agra"): read only in a whole ASCII word that is exactly a Latin term (digits.py).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence

from qunzu.review.pinyin import SyllableChecker
from qunzu.review.words import MAX_WORD

MAX_GAP = 3
MAX_SYMBOL_GAP = 8
NATURAL_GAP = frozenset(" \t\n\r\u3000\xa0，。！？；：、…“”‘’「」『』《》（）【】〔〕〈〉,!?;:~")
LONG_LATIN = 6
Split = tuple[int, str, str, bool, frozenset[str], frozenset[str]]
FREE_MODIFIERS = frozenset("大小老新旧好坏多少高低长短真假太很最超特全总半双单各每本该此其某")


def _past(prefix: str) -> str:
    """A string that sorts after every word of at most MAX_WORD characters that starts with `prefix`."""
    return prefix + "\U0010ffff" * MAX_WORD


def is_han(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or "\U00020000" <= ch <= "\U000323af"


def _kind_of(ch: str) -> str:
    """'d' digit, 'a' other letter (Latin, Cyrillic...), 'h' Han, '' anything else."""
    if ch.isdigit():
        return "d"
    if ch.isalpha():
        return "h" if is_han(ch) or (not ch.isascii() and ord(ch) >= 0x3000) else "a"
    return ""


_KINDS: dict[str, str] = {}  # _kind_of, remembered: texts hold a few thousand distinct characters


def _kind(ch: str) -> str:
    kind = _KINDS.get(ch)
    if kind is None:
        kind = _kind_of(ch)
        if len(_KINDS) >= 0x10000:
            _KINDS.clear()
        _KINDS[ch] = kind
    return kind


class Rules:
    """The precision rules over a word set and the pinyin syllables."""

    def __init__(
        self,
        words: frozenset[str],
        syllables: SyllableChecker,
        orders: tuple[Sequence[str], Sequence[str]] | None = None,
    ) -> None:
        """`orders`, when given, is the words sorted and the words reversed and sorted (computed once with the
        base tables, so that each process need not sort them); without it they are sorted here."""
        self.words = words
        self.syllables = syllables
        self._splits: dict[str, tuple[Split, ...]] = {}
        starts, ends = orders if orders is not None else (sorted(words), sorted(w[::-1] for w in words))
        if any(len(w) > MAX_WORD for w in starts):
            starts, ends = [w for w in starts if len(w) <= MAX_WORD], [w for w in ends if len(w) <= MAX_WORD]
        self._starts: Sequence[str] = starts  # words of at most MAX_WORD characters, sorted
        self._ends: Sequence[str] = ends  # the same words reversed, sorted
        self._next_chars: dict[str, frozenset[str]] = {}
        self._prev_chars: dict[str, frozenset[str]] = {}

    # -- R2 / R3: dictionary words across the edges of a match -------------------------------------------
    def runs_on_right(self, tail: str, right: str) -> bool:
        """A word begins inside `tail` (the end of the match) and continues into `right`."""
        if not right:
            return False
        words = self.words
        for j in range(len(tail)):
            frag = tail[j:]
            if len(frag) >= MAX_WORD or right[0] not in self._following(frag):
                continue
            for r in range(1, min(len(right), MAX_WORD - len(frag)) + 1):
                if frag + right[:r] in words:
                    return True
        return False

    def runs_on_left(self, head: str, left: str) -> bool:
        """A word ends inside `head` (the start of the match) and began in `left`."""
        if not left:
            return False
        words = self.words
        for j in range(1, len(head) + 1):
            frag = head[:j]
            if len(frag) >= MAX_WORD or left[-1] not in self._preceding(frag):
                continue
            for r in range(1, min(len(left), MAX_WORD - len(frag)) + 1):
                if left[-r:] + frag in words:
                    return True
        return False

    def _following(self, frag: str) -> frozenset[str]:
        """The characters that follow `frag` in the words (of at most MAX_WORD characters) that start with it."""
        found = self._next_chars.get(frag)
        if found is None:
            starts = self._starts
            # the words that extend frag sort right after it, up to the first string past every such word
            i, n = bisect_right(starts, frag), len(frag)
            found = self._next_chars[frag] = frozenset(w[n] for w in starts[i : bisect_left(starts, _past(frag), i)])
        return found

    def _preceding(self, frag: str) -> frozenset[str]:
        """The characters that precede `frag` in the words (of at most MAX_WORD characters) that end with it."""
        found = self._prev_chars.get(frag)
        if found is None:
            ends = self._ends
            rev = frag[::-1]
            i, n = bisect_right(ends, rev), len(frag)
            found = self._prev_chars[frag] = frozenset(w[n] for w in ends[i : bisect_left(ends, _past(rev), i)])
        return found

    def word_splits(self, term: str) -> tuple[Split, ...]:
        """The places where R2 could ever split `term`, whatever the text around it: for each k where a word
        can start at term[k] and run on past the term, and either a word can end at term[k - 1] having begun
        before the term or term[:k] is a free modifier: (k, term[k:], term[:k], free modifier, the characters
        that can follow the term in such a word, the characters that can precede it). Most terms have none,
        and then R2 costs nothing; the two character sets turn most other checks into one or two set lookups.
        Computed once per term (bisects in the sorted word lists)."""
        found = self._splits.get(term)
        if found is not None:
            return found
        out = []
        starts = self._starts
        n = len(starts)
        for k in range(1, len(term)):
            suffix = term[k:]
            i = bisect_right(starts, suffix)  # the first word after it starts with it, if any word does
            if i == n or not starts[i].startswith(suffix) or not is_han(suffix[0]) or not is_han(term[k - 1]):
                continue  # most suffixes start no word at all
            prefix = term[:k]
            after = self._following(suffix)
            if not after:
                continue
            free = k == 1 and prefix in FREE_MODIFIERS
            before = self._preceding(prefix) if k < MAX_WORD and not free else frozenset()
            if free or before:
                out.append((k, suffix, prefix, free, after, before))
        found = self._splits[term] = tuple(out)
        return found

    def split_by_words(self, term: str, left: str, right: str) -> bool:
        """R2: the unbroken match is really the end of one word and the start of the next."""
        if len(term) < 2 or not right:
            return False
        splits = self._splits.get(term)
        if splits is None:
            splits = self.word_splits(term)
        words = self.words
        for k, suffix, prefix, free, after, before in splits:
            if right[0] not in after:
                continue
            for r in range(1, min(len(right), MAX_WORD - len(suffix)) + 1):
                if suffix + right[:r] in words:
                    break
            else:
                continue  # no word starts inside the term and runs on to the right
            if free:
                return True
            if not left or left[-1] not in before:
                continue
            for r in range(1, min(len(left), MAX_WORD - k) + 1):
                if left[-r:] + prefix in words:
                    return True
        return False

    def bridge_ok(self, folded: str, fs: int, fe: int, gaps: list[int], left: str, right: str, natural: bool) -> bool:
        """R3 and R5 for a text match with gaps at folded offsets `gaps` (absolute, sorted); `natural` when
        every gap is made of natural separators only."""
        cuts = [fs, *gaps, fe]
        han_gap = False
        for i, g in enumerate(gaps, start=1):
            before, after = _kind(folded[g - 1]), _kind(folded[g])
            if before in "ad" and after in "ad" and before and after:
                if cuts[i] - cuts[i - 1] != 1 or cuts[i + 1] - cuts[i] != 1:
                    return False  # R5
            elif before == "h" and after == "h":
                han_gap = True
        if han_gap and natural:
            head, tail = folded[fs : gaps[0]], folded[gaps[-1] : fe]
            if self.runs_on_right(tail, right) or self.runs_on_left(head, left):
                return False  # R3
        return True

    # -- R4: Latin edges ---------------------------------------------------------------------------------
    @staticmethod
    def edges_ok(folded: str, fs: int, fe: int, lo: int, hi: int, lead: int, trail: int) -> bool:
        if lead and lead < LONG_LATIN and fs > lo:
            k = _kind(folded[fs])
            if k and _kind(folded[fs - 1]) == k:
                return False
        if trail and trail < LONG_LATIN and fe < hi:
            k = _kind(folded[fe - 1])
            if k and _kind(folded[fe]) == k:
                return False
        return True

    # -- R6: pinyin ----------------------------------------------------------------------------------------
    def pinyin_context_ok(self, folded: str, fs: int, fe: int, lo: int, hi: int) -> bool:
        """The Latin letters glued to the match on both sides read as whole syllables."""
        i = fs
        while i > lo and "a" <= folded[i - 1] <= "z":
            i -= 1
        j = fe
        while j < hi and "a" <= folded[j] <= "z":
            j += 1
        seg = self.syllables.segmentable
        return (i == fs or seg(folded[i:fs])) and (j == fe or seg(folded[fe:j]))
