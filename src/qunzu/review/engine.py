"""The review engine: normalise -> match (one Aho-Corasick automaton) -> apply precision rules -> decide."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import daachorse

from qunzu.review.cache import cached
from qunzu.review.compiler import (
    KIND_EXCEPTION,
    KIND_INITIALS,
    KIND_TEXT,
    VIA,
    BaseData,
    Compiled,
    base_key,
    build_base,
    compile_lexicon,
)
from qunzu.review.lexicon import Lexicon
from qunzu.review.mixed import Candidate, mixed_candidates, syllable_table
from qunzu.review.model import Action, Category, Hit, ScanResult
from qunzu.review.pinyin import SyllableChecker
from qunzu.review.rules import MAX_GAP, Rules
from qunzu.review.textview import Normalizer, Region, TextView
from qunzu.review.words import MAX_WORD

_HAS_LATIN = re.compile("[a-z]").search
_HAS_HAN = re.compile("[\u3400-\u9fff\uf900-\ufaff\U00020000-\U000323af]").search


@lru_cache(maxsize=4)
def _runtime(cache_dir: Path | None) -> tuple[BaseData, Normalizer, SyllableChecker]:
    """The lexicon-independent tables, loaded once per process (and cached on disk when a directory is given)."""
    base = cached(cache_dir, f"base-{base_key()}.bin", build_base, BaseData.to_bytes, BaseData.from_bytes)
    return base, Normalizer(base.tables), SyllableChecker(base.syllables)


class ReviewEngine:
    """A compiled lexicon, ready to scan. Immutable and safe to share between threads."""

    def __init__(self, base: BaseData, norm: Normalizer, syllables: SyllableChecker, compiled: Compiled) -> None:
        self._compiled = compiled
        self._norm = norm
        self._targets = compiled.targets
        self._entries = [
            (term, Category(cat), Action(act), folded, gaps, lead, trail)
            for term, cat, act, folded, gaps, lead, trail in compiled.entries
        ]
        words = base.words | compiled.extra_words if compiled.extra_words else base.words
        self._rules = Rules(words, syllables)
        self._syllable_table = syllable_table(base.char_syllables)
        self._fold_base = compiled.fold_base
        ac = daachorse.CharwiseDoubleArrayAhoCorasick.deserialize(compiled.automaton) if compiled.patterns else None
        self._find = ac.find_overlapping if ac is not None else None
        self._reach = max(0, compiled.max_han - 1)
        self._has_pinyin = compiled.max_han > 0

    @classmethod
    def build(cls, lexicon: Lexicon, cache_dir: Path | None = None, *, extra_words: Iterable[str] = ()) -> ReviewEngine:
        """Compile `lexicon` (or load it from `cache_dir`, keyed by its content hash) and return an engine."""
        cache_dir = Path(cache_dir) if cache_dir is not None else None
        base, norm, syllables = _runtime(cache_dir)
        extra = tuple(sorted(set(extra_words)))
        key = hashlib.sha256("\n".join([lexicon.content_hash, base_key(), *extra]).encode()).hexdigest()[:32]
        compiled = cached(
            cache_dir,
            f"lexicon-{key}.bin",
            lambda: compile_lexicon(lexicon, base, norm, extra),
            Compiled.to_bytes,
            Compiled.from_bytes,
        )
        return cls(base, norm, syllables, compiled)

    @property
    def version(self) -> str:
        """The lexicon's content hash: recorded with every review decision."""
        return self._compiled.version

    @property
    def term_count(self) -> int:
        return len(self._entries)

    @property
    def skipped_terms(self) -> tuple[str, ...]:
        """Terms that normalise to nothing (only separators or invisible characters) and can never match."""
        return self._compiled.skipped

    def normalize(self, text: str) -> str:
        """What the matcher sees for `text` (compact and folded)."""
        return self._norm.normalize(text)

    def scan(self, text: str) -> ScanResult:
        """Review one text: the strongest action among its hits that no exception covers."""
        find = self._find
        view = self._norm.view(text)
        compact = view.compact
        if find is None or not compact:
            return ScanResult(Action.ALLOW, [], compact)
        low = self._norm.lower(compact)
        raw = find(low)
        if raw:
            fold_base = self._fold_base
            if len(low) != len(compact) or any(m[2] >= fold_base for m in raw):
                view.set_folded(self._norm.fold(compact))
                raw = find(view.folded)
            elif low is not compact:
                view.set_folded(low)
        elif low is not compact:
            view.set_folded(low)
        mixed = None
        folded = view.folded
        if self._has_pinyin and _HAS_LATIN(folded) and _HAS_HAN(folded):
            mixed = mixed_candidates(
                view, find, self._targets, self._syllable_table, self._reach, self._rules.syllables.segmentable
            )
        if not raw and not mixed:
            return ScanResult(Action.ALLOW, [], folded)
        return self._decide(view, raw, mixed or [])

    def _decide(self, view: TextView, raw: list[tuple[int, int, int]], mixed: list[Candidate]) -> ScanResult:
        targets = self._targets
        exceptions: dict[int, list[tuple[int, int]]] = {}
        accepted: dict[tuple[int, int, int], tuple[int, int, int]] = {}  # (entry, start, end) -> (kind, fs, fe)
        candidates = []
        for s, e, pid in raw:
            for entry, kind, bounds in targets[pid]:
                if kind == KIND_EXCEPTION:
                    exceptions.setdefault(entry, []).append((s, e))
                else:
                    candidates.append((entry, kind, bounds, s, e))
        for entry, kind, bounds, s, e in candidates:
            region = view.region(s, e)
            if self._valid(view, region, entry, kind, bounds, s, e):
                os, oe = region.span(s, e)
                accepted.setdefault((entry, os, oe), (kind, s, e))
        for entry, kind, bounds, s, e, gaps in mixed:
            region = view.region(s, e)
            if self._pinyin_valid(view.folded, region, s, e, bounds, gaps):
                os, oe = region.span(s, e)
                accepted.setdefault((entry, os, oe), (kind, s, e))
        hits: list[Hit] = []
        best = Action.ALLOW
        for (entry, os, oe), (kind, s, e) in accepted.items():
            term, category, action, *_ = self._entries[entry]
            excepted = any(xs <= s and e <= xe for xs, xe in exceptions.get(entry, ()))
            hits.append(Hit(term, category, action, os, oe, excepted, VIA[kind]))
            if not excepted and action.strength > best.strength:
                best = action
        hits.sort(key=lambda h: (h.start, h.end, h.term))
        categories = tuple(dict.fromkeys(h.category for h in hits if not h.excepted and h.action == best))
        return ScanResult(best, hits, view.folded, categories if best != Action.ALLOW else ())

    def _valid(
        self, view: TextView, region: Region, entry: int, kind: int, bounds: tuple[int, ...], s: int, e: int
    ) -> bool:
        folded = view.folded
        rules = self._rules
        gaps = region.gaps(s, e)
        lo, hi = region.chunk(s, e)
        if kind == KIND_TEXT:
            _, _, _, term, _, lead, trail = self._entries[entry]
            if (lead or trail) and not rules.edges_ok(folded, s, e, lo, hi, lead, trail):
                return False
            real = [(g, t) for g, t in gaps if g - s not in bounds]
            left, right = folded[max(lo, s - MAX_WORD) : s], folded[e : min(hi, e + MAX_WORD)]
            if not real:
                return not rules.split_by_words(term, left, right)
            if any(self._visible(t) > MAX_GAP for _, t in real):
                return False
            return rules.bridge_ok(folded, s, e, [g for g, _ in real], left, right)
        rel = [(g - s, t) for g, t in gaps]
        if kind == KIND_INITIALS:
            if any(self._visible(t) > MAX_GAP for _, t in rel):
                return False
            return rules.edges_ok(folded, s, e, lo, hi, 1, 1)
        return self._pinyin_valid(folded, region, s, e, bounds, rel)

    def _pinyin_valid(
        self, folded: str, region: Region, s: int, e: int, bounds: tuple[int, ...], gaps: list[tuple[int, str]]
    ) -> bool:
        if any(g not in bounds or self._visible(t) > MAX_GAP for g, t in gaps):
            return False
        lo, hi = region.chunk(s, e)
        return self._rules.pinyin_context_ok(folded, s, e, lo, hi)

    def _visible(self, gap: str) -> int:
        return len(gap) if len(gap) <= MAX_GAP else sum(1 for ch in gap if not self._norm.ignorable_only(ch))
