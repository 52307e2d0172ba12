"""Per-character folding tables: what each code point becomes in the matching view.

Every code point is classified once (about half a second; the result is cached on disk with the compiled
lexicon) into one of three kinds:

* kept: a letter or digit. Its matching form is NFKC, then look-alike folding (Cyrillic/Greek/small-capital
  letters that look Latin, negative-squared letters, regional indicators), case folding, removal of
  diacritics from Latin/Greek/Cyrillic letters (so "dà má" reads as pinyin "da ma"), non-ASCII decimal digits
  to ASCII, and traditional to simplified Chinese (OpenCC t2s, character by character so the mapping stays
  one-to-one). Characters whose form differs end up in `fold`.
* ignorable: invisible characters (zero-width, format and control characters, combining marks, variation
  selectors, Hangul fillers). They are dropped and never count as a gap between two characters.
* separator: everything else (spaces, punctuation, symbols, emoji, unassigned and private-use code points).
  They are dropped from the compact view; a run of them inside a match is a "gap" that the precision
  rules look at.
"""

from __future__ import annotations

import marshal
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import opencc

CHARMAP_VERSION = 6

_CJK_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x323AF))
_BLANK_LETTERS = {0x115F, 0x1160, 0x3164, 0xFFA0}  # Hangul fillers: letters that print as blanks
_EMOJI_PARTS = set(range(0x1F3FB, 0x1F400))  # skin-tone modifiers: part of the emoji before them
_WHITESPACE_CONTROLS = {0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x85}

# Look-alikes applied to the NFKC form before case folding, so upper- and lower-case forms can differ
# (Greek capital Mu looks like M, small mu like u).
_HOMOGLYPH_PAIRS = (
    # Cyrillic
    "АaВbСcЕeНhІiЈjКkМmОoРpЅsТtХxУyҮyԁdԛqԝwӀlаaвbсcеeнhіiјjкkмmоoрpѕsтtхxуyүyѡwɡgɑa"
    # Greek
    "ΑaΒbΕeΖzΗhΙiΚkΜmΝnΟoΡpΤtΥyΧxαaβbεeηnιiκkνvοoρpτtυuχxωwμuϲcϳjϵe"
    # Latin extras NFKC leaves alone, small capitals
    "ıiȷjøoØođdĐdłlŁlħhŧtƀbɨiʉuᴀaʙbᴄcᴅdᴇeɢgʜhɪiᴊjᴋkʟlᴍmɴnᴏoᴘpʀrꜱsᴛtᴜuᴠvᴡwʏyᴢz"
)
_SPECIAL_LETTER_BLOCKS = (0x1F150, 0x1F170, 0x1F1E6)  # negative circled, negative squared, regional indicators
# Outside the BMP only these blocks hold characters that can be part of a term: Han extensions, mathematical
# letters and digits (look-alikes), enclosed letters. Every other astral code point (emoji, historic scripts)
# is a separator; keeping the astral part of the separator class to a few ranges keeps the regex fast.
_ASTRAL_KEPT = ((0x1D400, 0x1D7FF), (0x1F100, 0x1F1FF), (0x20000, 0x3FFFF))


@dataclass(frozen=True, slots=True)
class CharTables:
    """The classification of every code point: `fold` for kept characters that change, plus two range lists."""

    fold: dict[int, str]
    removed: list[tuple[int, int]]  # inclusive ranges dropped from the compact view (separators + ignorables)
    ignorable: list[tuple[int, int]]  # the invisible subset of `removed`

    def to_bytes(self) -> bytes:
        return marshal.dumps((CHARMAP_VERSION, self.fold, self.removed, self.ignorable))

    @classmethod
    def from_bytes(cls, data: bytes) -> CharTables:
        version, fold, removed, ignorable = marshal.loads(data)
        if version != CHARMAP_VERSION:
            raise ValueError("stale character tables")
        return cls(fold, [tuple(r) for r in removed], [tuple(r) for r in ignorable])


def is_cjk_cp(cp: int) -> bool:
    """A Han ideograph (any CJK block, including compatibility ideographs)."""
    return 0x3400 <= cp <= 0x9FFF or 0xF900 <= cp <= 0xFAFF or 0x20000 <= cp <= 0x323AF


def _homoglyphs() -> dict[str, str]:
    table = {_HOMOGLYPH_PAIRS[i]: _HOMOGLYPH_PAIRS[i + 1] for i in range(0, len(_HOMOGLYPH_PAIRS), 2)}
    for base in _SPECIAL_LETTER_BLOCKS:
        for k in range(26):
            table[chr(base + k)] = chr(ord("a") + k)
    return table


def _t2s_table() -> dict[str, str]:
    """Traditional -> simplified, one character at a time (the phrase level would break the offset map)."""
    chars = [chr(cp) for lo, hi in _CJK_RANGES for cp in range(lo, hi + 1)]
    converted = opencc.OpenCC("t2s").convert("\n".join(chars)).split("\n")
    if len(converted) != len(chars):  # defensive: never trust a length-changing conversion
        return {}
    return {a: b for a, b in zip(chars, converted, strict=True) if a != b and len(b) == 1}


def _strip_marks(ch: str) -> str:
    decomposed = unicodedata.normalize("NFD", ch)
    base = "".join(x for x in decomposed if not unicodedata.combining(x))
    if base and base != ch and all(ord(x) < 0x530 for x in base):
        return base
    return ch


def _word_form(c: str, homo: dict[str, str], t2s: dict[str, str]) -> str:
    """The matching form of one character: only letters and digits survive."""
    out = []
    for ch in homo.get(c) or unicodedata.normalize("NFKC", c):  # look-alikes first: NFKC turns ϲ into σ
        ch = homo.get(ch, ch)
        for f in ch.casefold():
            f = homo.get(f, f)
            f = _strip_marks(f)
            for g in f:
                cat = unicodedata.category(g)
                if cat == "Nd":
                    out.append(str(unicodedata.decimal(g)))
                elif cat[0] in "LN" and ord(g) not in _BLANK_LETTERS:
                    out.append(t2s.get(g, g))
    return "".join(out)


def ranges(cps: Iterable[int]) -> list[tuple[int, int]]:
    """Inclusive ranges of consecutive code points, in order."""
    out: list[tuple[int, int]] = []
    for cp in sorted(cps):
        if out and out[-1][1] == cp - 1:
            out[-1] = (out[-1][0], cp)
        else:
            out.append((cp, cp))
    return out


def build_char_tables() -> CharTables:
    """Classify every code point (pure; deterministic for given unicodedata and OpenCC versions)."""
    homo = _homoglyphs()
    t2s = _t2s_table()
    category = unicodedata.category
    fold: dict[int, str] = {}
    removed: list[int] = []
    ignorable: list[int] = []
    for cp in range(0x110000):
        c = chr(cp)
        cat = category(c)
        if cat in ("Cn", "Co", "Cs"):
            removed.append(cp)
            continue
        if cp >= 0x10000 and not any(lo <= cp <= hi for lo, hi in _ASTRAL_KEPT):
            removed.append(cp)
            if cat in ("Mn", "Me", "Cf") or cp in _EMOJI_PARTS:
                ignorable.append(cp)
            continue
        if cat == "Lo" and c not in t2s and unicodedata.is_normalized("NFKC", c) and cp not in _BLANK_LETTERS:
            continue  # the common case: an ideograph (or other letter) that stays as it is
        form = _word_form(c, homo, t2s)
        if form:
            if form != c:
                fold[cp] = form
            continue
        removed.append(cp)
        if cat in ("Mn", "Me", "Cf") or (cat == "Cc" and cp not in _WHITESPACE_CONTROLS) or cp in _EMOJI_PARTS:
            ignorable.append(cp)
    for cp, form in list(fold.items()):  # make folding idempotent: fold(fold(c)) == fold(c)
        for _ in range(3):
            again = "".join(fold.get(ord(ch), ch) for ch in form)
            if again == form:
                break
            form = again
        fold[cp] = form
    return CharTables(fold, ranges(removed), ranges(ignorable))
