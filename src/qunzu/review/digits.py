"""Latin words with digits in them: tone numbers in pinyin ("da4ma2") and digits that stand for letters
("v1agra"); and the one pass over a text's Latin words that also feeds the mixed Han/Latin view.

Both digit readings are made only where a digit cannot be an ordinary number or part of a code:

* Tone digits (numbered pinyin: 1-4, and 5 or 0 for the neutral tone). A word made only of Latin letters and
  tone digits, starting with a letter, never two digits in a row, with a digit between two letters, where
  every piece between two digits reads as whole pinyin syllables ("wo3xiang3mai4da4ma2"). The digits are
  dropped and the lexicon's pinyin spellings are matched on the letters that are left; a match must have a
  tone digit inside it, and every tone digit inside it must fall on a syllable boundary of the spelling, as a
  separator must (rule R6). "a1b2", "mp3", "h264", "win10" or "2024" never read as pinyin ("b", "mp", "h"
  are no syllables; 6 is no tone; "10" is two digits in a row).
* Look-alike digits (leetspeak: 0 o, 1 i or l, 3 e, 4 a, 5 s, 7 t, @ a, $ s, ! i, | i or l). A word written
  in ASCII and made only of letters and these stand-ins, with at least two letters and more letters than
  stand-ins, at most three 1s or |s; read with letters, the whole word must be a Latin term of the lexicon.
  The word's own edges are the term's edges, whatever the term's length (rule R4 without its exemption for
  long terms):
  "v1agra", "c0caine", "s3x", "c@sino" are found; "a1b2" (2 stands for no letter), "2024", "b4", "5s" never
  are.

`LatinWords` cuts a text into its words of ASCII letters and digits in a few C passes (the Latin-1 form of
the folded text, a byte translation, a split) and remembers what each word calls for across texts, so that
the common case (the same English words, codes and numbers over and over) costs one set difference.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from itertools import product

from qunzu.review.compiler import KIND_PINYIN, KIND_TEXT, Target
from qunzu.review.mixed import Candidate, Finder
from qunzu.review.textview import TextView

# every byte but a-z and 0-9 becomes a space: the Latin-1 form of a folded text (anything else as "?") then
# splits into its words of letters and digits
_ALNUM = bytes(b if 0x61 <= b <= 0x7A or 0x30 <= b <= 0x39 else 0x20 for b in range(256))
_DIGITS = re.compile("[0-9]+")
_TONE_WORD = re.compile("[a-z]+(?:[0-5][a-z]+)+[0-5]?")  # a tone digit between letters, never two in a row
_TONE_DIGIT = re.compile("[0-5]")

LEET = {"0": "o", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i", "|": "1"}  # 1 and |: i or l
_LEET_TABLE = str.maketrans(LEET)
_LEET_AT = re.compile("[013457@$!|](?:(?<=[A-Za-z].)|(?=[A-Za-z]))")  # a stand-in next to a letter
_LEET_DIGIT_AT = re.compile("[013457](?:(?<=[a-z].)|(?=[a-z]))")
_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@$!|")
MAX_ONES = 3  # a "1" (or "|") reads as i or as l: at most 2**3 readings of one word
_SYMBOLS = "@$!|"  # stand-ins that normalisation removes (the folded text has no trace of them)

Extra = tuple[int, int, int, int, int]  # (original start, original end, entry, folded start, folded end)
WordInfo = tuple[tuple[str, ...], bool, bool]  # (its pinyin runs, a tone word, maybe look-alike digits)


def leet_shape(word: str) -> bool:
    """A lower-case ASCII word that may be a term written with look-alike digits and symbols."""
    letters = sum(ch.isalpha() for ch in word)
    return (
        2 <= letters
        and len(word) - letters < letters
        and word.count("1") + word.count("|") <= MAX_ONES
        and not any(d in word for d in "2689")
    )


class LatinWords:
    """What the words of ASCII letters and digits of a folded text call for: the runs of letters that read as
    pinyin (for the mixed Han/Latin view), the words written in numbered pinyin, and whether a digit may stand
    for a letter. Answers are remembered across texts in bounded sets (thread-safe under the GIL: membership
    tests, look-ups and additions only)."""

    LIMIT = 20_000

    def __init__(self, segmentable: Callable[[str], bool]) -> None:
        self._segmentable = segmentable
        self._plain: set[bytes] = set()  # words that call for nothing
        self._known: dict[bytes, WordInfo] = {}

    def __call__(self, latin1: bytes) -> tuple[set[str], list[str], bool]:
        """(pinyin runs, tone words, look-alike digits) of a folded text given as its Latin-1 form
        (`folded.encode("latin-1", "replace")`)."""
        return self.of_words(latin1.translate(_ALNUM).split())

    def of_words(self, words: Iterable[bytes]) -> tuple[set[str], list[str], bool]:
        """The same from the text's runs of ASCII letters and digits (as the C pass gives them)."""
        runs: set[str] = set()
        tones: list[str] = []
        leet = False
        for word in set(words).difference(self._plain):
            info = self._known.get(word)
            if info is None:
                info = self._look_at(word.decode("ascii"))
                if info is None:
                    if len(self._plain) >= self.LIMIT:
                        self._plain.clear()
                    self._plain.add(word)
                    continue
                if len(self._known) >= self.LIMIT:
                    self._known.clear()
                self._known[word] = info
            runs.update(info[0])
            if info[1]:
                tones.append(word.decode("ascii"))
            leet = leet or info[2]
        return runs, tones, leet

    def _look_at(self, word: str) -> WordInfo | None:
        seg = self._segmentable
        if word.isalpha():
            return ((word,), False, False) if seg(word) else None
        pieces = [p for p in _DIGITS.split(word) if p]
        runs = tuple(p for p in pieces if seg(p))
        tone = _TONE_WORD.fullmatch(word) is not None and len(runs) == len(pieces)
        leet = _LEET_DIGIT_AT.search(word) is not None and leet_shape(word)
        return (runs, tone, leet) if runs or tone or leet else None


def tone_candidates(
    view: TextView, words: list[str], find: Finder, targets: Sequence[tuple[Target, ...]]
) -> list[Candidate]:
    """Pinyin candidates with tone digits inside, in the same form as the mixed view's (rules R1 and R6 are
    checked later, with them). `words` are the text's words in numbered pinyin (from LatinWords)."""
    folded = view.folded
    n = len(folded)
    found: list[Candidate] = []
    for word in words:
        at = folded.find(word)
        while at >= 0:
            end = at + len(word)
            if (at == 0 or not _alnum(folded[at - 1])) and (end == n or not _alnum(folded[end])):
                found.extend(_tone_word(view, folded, at, end, find, targets))
            at = folded.find(word, end)
    return found


def _alnum(ch: str) -> bool:
    return "a" <= ch <= "z" or "0" <= ch <= "9"


def _tone_word(
    view: TextView, folded: str, a: int, b: int, find: Finder, targets: Sequence[tuple[Target, ...]]
) -> list[Candidate]:
    pieces = _TONE_DIGIT.split(folded[a:b])
    src = [i for i in range(a, b) if not folded[i].isdigit()]  # folded offset of each letter
    tones, at = set(), 0
    for p in pieces[:-1]:
        at += len(p)
        tones.add(at)  # a tone digit sits here, between letters at - 1 and at
    found: list[Candidate] = []
    for s, e, pid in find("".join(pieces)):
        inside = [t - s for t in tones if s < t < e]
        if not inside:
            continue  # no tone digit inside: the plain matcher has seen this one
        for entry, kind, bounds in targets[pid]:
            if kind == KIND_PINYIN and all(t in bounds for t in inside):
                fs, fe = src[s], src[e - 1] + 1
                if e in tones:
                    fe += 1  # the hit ends after the last syllable's tone digit: "da4ma2"
                gaps = [(bisect_left(src, g) - s, t) for g, t in view.gaps(fs, fe)]
                found.append((entry, kind, bounds, fs, fe, gaps))
    return found


def leet_candidates(view: TextView, find: Finder, targets: Sequence[tuple[Target, ...]]) -> list[Extra]:
    """Hits of Latin terms written with look-alike digits or symbols, already checked (whole words)."""
    text = view.text
    n, end = len(text), -1
    found: list[Extra] = []
    for at in _LEET_AT.finditer(text):
        p = at.start()
        if p < end:
            continue  # a word already looked at
        a, b = p, p + 1
        while a > 0 and text[a - 1] in _WORD_CHARS:
            a -= 1
        while b < n and text[b] in _WORD_CHARS:
            b += 1
        end = b
        word = text[a:b].lower()
        if not leet_shape(word):
            continue
        for entry in _leet_entries(word, find, targets):
            fa, fb = a, b - 1
            while text[fa] in _SYMBOLS:
                fa += 1
            while text[fb] in _SYMBOLS:
                fb -= 1
            found.append((a, b, entry, view.folded_index(fa), view.folded_index(fb) + 1))
    return found


def _leet_entries(word: str, find: Finder, targets: Sequence[tuple[Target, ...]]) -> list[int]:
    """The entries whose term is the whole of `word` read with letters (every reading is letters only, so
    these are Latin terms)."""
    base = word.translate(_LEET_TABLE)
    readings = [base]
    if "1" in base:
        parts = base.split("1")
        readings = []
        for letters in product("il", repeat=len(parts) - 1):
            readings.append(parts[0] + "".join(ch + part for ch, part in zip(letters, parts[1:], strict=True)))
    found: list[int] = []
    for reading in readings:
        for s, e, pid in find(reading):
            if s == 0 and e == len(reading):
                found.extend(entry for entry, kind, _ in targets[pid] if kind == KIND_TEXT and entry not in found)
    return found
