"""Texts that mix Han characters and Latin letters ("六he彩", "liu合cai", "代yun"): a local pinyin view.

Only around Latin runs that touch a Han character, the Han characters within reach are replaced by their
pinyin syllables and the window is matched against the lexicon's pinyin spellings. A match must contain at
least one letter the user typed and at least one Han character (a match of Han characters alone would be a
homophone, which this engine deliberately does not report), every Han syllable in it must line up with a
syllable of the term, and it must start and end on whole units. Pure Han or pure Latin texts never get here.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Sequence

from qunzu.review.compiler import KIND_PINYIN, Target
from qunzu.review.rules import is_han
from qunzu.review.textview import TextView

Finder = Callable[[str], list[tuple[int, int, int]]]
Candidate = tuple[int, int, tuple[int, ...], int, int, list[tuple[int, str]]]
SyllableTable = list[int | str]  # a str.translate table: BMP Han character -> its syllable, else itself


def syllable_table(syllables: dict[str, str]) -> SyllableTable:
    table: SyllableTable = list(range(0x10000))
    for ch, syl in syllables.items():
        if ord(ch) < 0x10000 and is_han(ch):
            table[ord(ch)] = syl
    return table


def mixed_candidates(
    view: TextView,
    find: Finder,
    targets: Sequence[tuple[Target, ...]],
    table: SyllableTable,
    reach: int,
    runs: list[str],
) -> list[Candidate]:
    """Pinyin candidates in mixed text: (entry, kind, bounds, folded start, folded end, [(gap offset, gap)]).

    `reach` is the most syllables a spelling has, less one: how many Han characters on each side of a Latin
    run can take part in a match (Latin letters on the way do not count). Only runs that read as whole
    pinyin syllables are looked at (`runs`, from digits.LatinWords: "he", "liucai"; not "ok", "iphone"): a
    match covers whole syllables of the run and rule R6 asks the rest of the run to be syllables too.
    """
    folded = view.folded
    n = len(folded)
    found: list[Candidate] = []
    spans: list[tuple[int, int]] = []
    for run in runs:
        at = folded.find(run)
        while at >= 0:
            end = at + len(run)
            if (at == 0 or not "a" <= folded[at - 1] <= "z") and (end == n or not "a" <= folded[end] <= "z"):
                spans.append((at, end))
            at = folded.find(run, end)
    for a, b in sorted(spans):
        if not ((a > 0 and is_han(folded[a - 1])) or (b < n and is_han(folded[b]))):
            continue
        wa, han = a, 0
        while wa > 0 and han < reach:
            wa -= 1
            han += is_han(folded[wa])
        wb, han = b, 0
        while wb < n and han < reach:
            han += is_han(folded[wb])
            wb += 1
        left = folded[wa:a].translate(table)
        l0, l1 = len(left), len(left) + b - a
        window = left + folded[a:b] + folded[b:wb].translate(table)
        matches = [
            (s, e, pid)
            for s, e, pid in find(window)
            if s < l1 and e > l0 and any(t[1] == KIND_PINYIN for t in targets[pid])
        ]
        if matches:
            found.extend(_check(view, matches, targets, table, folded[wa:wb], wa, len(window)))
    return found


def _check(
    view: TextView,
    matches: list[tuple[int, int, int]],
    targets: Sequence[tuple[Target, ...]],
    table: SyllableTable,
    segment: str,
    wa: int,
    size: int,
) -> list[Candidate]:
    src: list[int] = []
    units: list[tuple[int, int]] = []
    for i, ch in enumerate(segment, start=wa):
        syl = table[ord(ch)] if ord(ch) < 0x10000 else 0
        if isinstance(syl, str):
            units.append((len(src), len(src) + len(syl)))
            src.extend([i] * len(syl))
        else:
            src.append(i)
    found: list[Candidate] = []
    for s, e, pid in matches:
        if (s and src[s - 1] == src[s]) or (e < size and src[e] == src[e - 1]):
            continue  # starts or ends inside a Han syllable
        inside = [(u0, u1) for u0, u1 in units if s <= u0 and u1 <= e]
        if not inside:
            continue  # needs at least one Han character (the typed letters are there by construction)
        fs, fe = src[s], src[e - 1] + 1
        gaps = [(bisect_left(src, g) - s, t) for g, t in view.gaps(fs, fe)]
        for entry, kind, bounds in targets[pid]:
            if kind == KIND_PINYIN and all(u0 - s in bounds and u1 - s in bounds for u0, u1 in inside):
                found.append((entry, kind, bounds, fs, fe, gaps))
    return found
