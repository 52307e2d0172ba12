"""Texts that mix Han characters and Latin letters ("六he彩", "liu合cai", "代yun"): a local pinyin view.

Only around Latin runs that touch a Han character, the Han characters within reach are replaced by their
pinyin syllables and the window is matched against the lexicon's pinyin spellings. A match must contain at
least one letter the user typed and at least one Han character (a match of Han characters alone would be a
homophone, which this engine deliberately does not report), every Han syllable in it must line up with a
syllable of the term, and it must start and end on whole units. Pure Han or pure Latin texts never get here.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Sequence

from qunzu.review.compiler import KIND_PINYIN, Target
from qunzu.review.rules import is_han
from qunzu.review.textview import TextView

_LATIN_RUN = re.compile("[a-z]+")
Finder = Callable[[str], list[tuple[int, int, int]]]


def _windows(folded: str, reach: int) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    n = len(folded)
    for m in _LATIN_RUN.finditer(folded):
        a, b = m.span()
        if (a > 0 and is_han(folded[a - 1])) or (b < n and is_han(folded[b])):
            lo, hi = max(0, a - reach), min(n, b + reach)
            if out and lo <= out[-1][1]:
                out[-1] = (out[-1][0], hi)
            else:
                out.append((lo, hi))
    return out


def mixed_candidates(
    view: TextView,
    find: Finder,
    targets: Sequence[tuple[Target, ...]],
    syllables: dict[str, str],
    reach: int,
) -> list[tuple[int, int, tuple[int, ...], int, int, list[tuple[int, str]]]]:
    """Pinyin candidates in mixed text: (entry, kind, bounds, folded start, folded end, [(gap offset, gap)])."""
    folded = view.folded
    found: list[tuple[int, int, tuple[int, ...], int, int, list[tuple[int, str]]]] = []
    for wa, wb in _windows(folded, reach):
        out: list[str] = []
        src: list[int] = []
        units: list[tuple[int, int]] = []
        pos = 0
        for i in range(wa, wb):
            ch = folded[i]
            syl = syllables.get(ch) if is_han(ch) else None
            if syl:
                units.append((pos, pos + len(syl)))
                out.append(syl)
                src.extend([i] * len(syl))
                pos += len(syl)
            else:
                out.append(ch)
                src.append(i)
                pos += 1
        window = "".join(out)
        for s, e, pid in find(window):
            if (s and src[s - 1] == src[s]) or (e < len(window) and src[e] == src[e - 1]):
                continue  # starts or ends inside a Han syllable
            inside = [(u0, u1) for u0, u1 in units if s <= u0 and u1 <= e]
            if not inside or sum(u1 - u0 for u0, u1 in inside) == e - s:
                continue  # needs at least one Han character and at least one typed letter
            for entry, kind, bounds in targets[pid]:
                if kind != KIND_PINYIN:
                    continue
                if any(u0 - s not in bounds or u1 - s not in bounds for u0, u1 in inside):
                    continue
                fs, fe = src[s], src[e - 1] + 1
                gap_offsets = [(bisect_left(src, g) - s, t) for g, t in view.gaps(fs, fe)]
                found.append((entry, kind, bounds, fs, fe, gap_offsets))
    return found
