"""The review engine: normalise -> match (one Aho-Corasick automaton) -> apply precision rules -> decide."""

from __future__ import annotations

import hashlib
import io
import re
from bisect import bisect_right
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import daachorse

from qunzu.review import digits, split
from qunzu.review.cache import cached, load_cached, store_text
from qunzu.review.compiler import (
    KIND_EXCEPTION,
    KIND_INITIALS,
    KIND_NUMERAL,
    KIND_TEXT,
    VIA,
    BaseData,
    Compiled,
    base_key,
    build_base,
    compile_lexicon,
    latin_edges,
)
from qunzu.review.lexicon import Lexicon
from qunzu.review.mixed import Candidate, mixed_candidates, syllable_table
from qunzu.review.model import Action, Category, Hit, ScanResult, gc_paused, new_hit, new_result
from qunzu.review.pinyin import SyllableChecker
from qunzu.review.rules import MAX_GAP, MAX_SYMBOL_GAP, NATURAL_GAP, Rules
from qunzu.review.textview import FLAG_LATIN, FLAG_STAND_IN, NATIVE, Normalizer, TextView
from qunzu.review.words import MAX_WORD

_HAS_LATIN = re.compile("[a-z]").search
_HAS_UPPER = re.compile("[A-Z]").search
_STAND_IN = re.compile("[@$!|]").search  # symbols that can stand for letters (digits.LEET)
_HAS_HAN = re.compile("[\u3400-\u9fff\uf900-\ufaff\U00020000-\U000323af]").search
_COMPILED_NAME = re.compile("lexicon-[0-9a-f]{32}[.]bin")
_BY_STRENGTH = {a.strength: a for a in Action}
_ACTIONS = {a.value: a for a in Action}
_CATEGORIES = {c.value: c for c in Category}
KIND_LEET = -1  # a Latin term written with look-alike digits (digits.py); not a pattern kind of the compiler
KIND_SPLIT = -2  # a term with a character written as its two components (split.py)
_VIA = {**VIA, KIND_LEET: "leet", KIND_SPLIT: "split"}


@lru_cache(maxsize=4)
def _runtime(cache_dir: Path | None) -> tuple[BaseData, Normalizer, SyllableChecker]:
    """The lexicon-independent tables, loaded once per process (and cached on disk when a directory is given)."""
    base = cached(cache_dir, f"base-{base_key()}.bin", build_base, BaseData.to_bytes, BaseData.from_bytes)
    return base, Normalizer(base.tables), SyllableChecker(base.syllables)


def _compiled_name(content_hash: str, extra: tuple[str, ...]) -> str:
    key = hashlib.sha256("\n".join([content_hash, base_key(), *extra]).encode()).hexdigest()[:32]
    return f"lexicon-{key}.bin"


class ReviewEngine:
    """A compiled lexicon, ready to scan. Immutable and safe to share between threads."""

    def __init__(self, base: BaseData, norm: Normalizer, syllables: SyllableChecker, compiled: Compiled) -> None:
        self._compiled = compiled
        self._norm = norm
        # trigger characters (pattern ids from fold_base on) have no targets; folded text may still hold some
        self._targets = [*compiled.targets, *[()] * (len(compiled.patterns) - compiled.fold_base)]
        # category and action as their string values: a tuple of strings and numbers is left alone by the
        # cyclic garbage collector, one holding enum members would be traversed again and again (100,000
        # entries: a fifth of the time of a chat message went into such collections)
        self._entries = [
            (term, cat, act, folded, gaps, lead, trail, _ACTIONS[act].strength)
            for term, cat, act, folded, gaps, lead, trail in compiled.entries
        ]
        if compiled.extra_words:
            self._rules = Rules(base.words | compiled.extra_words, syllables)
        else:
            self._rules = Rules(base.words, syllables, base.word_orders())
        self._quick: list[int | None] = [None] * len(self._targets)  # filled in lazily, see _quick_entry
        self._after: list[str | None] = [None] * len(self._targets)
        self._r2: list[tuple[tuple[int, int, bool, str, str], ...] | None] = [None] * len(self._targets)
        self._gaps: dict[str, tuple[bool, bool]] = {}  # see _gap_kind
        self._hit_info: dict[int, tuple[str, Category, Action, int]] = {}  # see _info
        self._fold_base = compiled.fold_base
        self._syllable_table = syllable_table(base.char_syllables)
        self._reach = max(0, compiled.max_han - 1)
        self._latin_words = digits.LatinWords(syllables.segmentable)
        self._has_pinyin = compiled.max_han > 0
        self._longest = max(map(len, compiled.patterns[: compiled.fold_base]), default=1)
        ac = daachorse.CharwiseDoubleArrayAhoCorasick.deserialize(compiled.automaton) if compiled.patterns else None
        self._find = ac.find_overlapping if ac is not None else None
        self._splits = compiled.splits  # pattern id of a component pair -> its character (split.py)
        self._pair_chars: list[str | None] = [None] * len(self._targets)
        for pid, ch in self._splits.items():
            self._pair_chars[pid] = ch
        # the common case of _decide in C, when the module is built (textview.NATIVE; it writes KIND_TEXT as 0)
        self._collect = NATIVE.collect if NATIVE is not None and norm.native and KIND_TEXT == 0 else None
        self._hits_of = NATIVE.hits_of if NATIVE is not None and norm.native else None
        self._split_contexts = compiled.split_contexts
        self._entry_of: dict[tuple[str, str, str], int] | None = None  # for hits found through pairs

    @classmethod
    def build(cls, lexicon: Lexicon, cache_dir: Path | None = None, *, extra_words: Iterable[str] = ()) -> ReviewEngine:
        """Compile `lexicon` (or load it from `cache_dir`, keyed by its content hash) and return an engine."""
        cache_dir = Path(cache_dir) if cache_dir is not None else None
        with gc_paused():
            return cls._build(lexicon, cache_dir, tuple(sorted(set(extra_words))))

    @classmethod
    def _build(cls, lexicon: Lexicon, cache_dir: Path | None, extra: tuple[str, ...]) -> ReviewEngine:
        base, norm, syllables = _runtime(cache_dir)
        compiled = cached(
            cache_dir,
            _compiled_name(lexicon.content_hash, extra),
            lambda: compile_lexicon(lexicon, base, norm, extra),
            Compiled.to_bytes,
            Compiled.from_bytes,
        )
        return cls(base, norm, syllables, compiled)

    @classmethod
    def load_text_file(cls, path: Path, cache_dir: Path | None = None, *, strict: bool = False) -> ReviewEngine:
        """Build from a lexicon file in the plain format. With a cache, a file seen before is not even parsed:
        its bytes' hash leads straight to the compiled lexicon (the fast path of `qunzu review scan`)."""
        if cache_dir is None:
            return cls.build(Lexicon.load_text(path, strict=strict))
        cache_dir = Path(cache_dir)
        raw = Path(path).read_bytes()
        alias = cache_dir / f"file-{hashlib.sha256(raw + base_key().encode() + bytes([strict])).hexdigest()[:32]}"
        with gc_paused():
            try:
                name = alias.read_text(encoding="ascii").strip()
                if _COMPILED_NAME.fullmatch(name):
                    base, norm, syllables = _runtime(cache_dir)
                    compiled = load_cached(cache_dir / name, Compiled.from_bytes)
                    if compiled is not None:
                        return cls(base, norm, syllables, compiled)
            except (OSError, ValueError):
                pass
            text = raw.decode("utf-8-sig", errors="strict" if strict else "replace")
            lexicon = Lexicon.load_text(io.StringIO(text, newline=""), strict=strict)
            engine = cls._build(lexicon, cache_dir, ())
        store_text(alias, _compiled_name(lexicon.content_hash, ()))
        return engine

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
            return new_result(Action.ALLOW, [], compact)
        if view.final:  # the C pass folded it
            raw = find(view.folded)
        else:
            # capitals first (safe before matching); whatever else needs folding the matcher reports as a
            # trigger
            low = compact.lower() if _HAS_UPPER(compact) else compact
            raw = find(low)
            fold_base = self._fold_base
            if raw and (len(low) != len(compact) or raw[-1][2] >= fold_base or any(m[2] >= fold_base for m in raw)):
                raw = self._fold_and_rescan(view, low, raw)
            elif low is not compact:
                view.set_folded(low)
        folded = view.folded
        accepted = None
        if raw and self._collect is not None and not view.expanded:
            # the common case in C: unbroken matches of plain terms accepted at once; the rest stays in raw
            cuts, shifts = (None, None) if len(view.compact) == len(view.text) else view.cuts()
            accepted, raw, found = self._collect(
                raw,
                self._quick,
                self._after,
                folded,
                cuts,
                shifts,
                self._pair_chars,
                self._split_contexts,
                view.visible,
                self._r2,
                self._rules.words,
                MAX_WORD,
            )  # found: the plausible pair triggers
        else:
            splits_of = self._splits
            found = [(s, splits_of[pid]) for s, _, pid in raw if pid in splits_of] if splits_of else []
            if found:
                found = split.plausible(folded, found, self._split_contexts)
        splits = self._split_rescan(view, found) if found else ()
        flags = view.flags
        if not (_HAS_LATIN(folded) if flags is None else flags & FLAG_LATIN):  # no pinyin, no digits in words
            if raw or accepted or splits:
                return self._decide(view, raw, [], [], splits, accepted)
            return new_result(Action.ALLOW, [], folded)
        targets = self._targets
        words = view.words
        if words is not None:
            runs, tones, leet = self._latin_words.of_words(words)
        else:
            runs, tones, leet = self._latin_words(folded.encode("latin-1", "replace"))
        mixed: list[Candidate] = []
        if self._has_pinyin:
            if runs and _HAS_HAN(folded):
                mixed = mixed_candidates(view, find, targets, self._syllable_table, self._reach, sorted(runs))
            if tones:
                mixed += digits.tone_candidates(view, tones, find, targets)
        extra: list[digits.Extra] = []
        if leet or (
            len(view.compact) != len(view.text)
            and (_STAND_IN(view.removed()) if flags is None else flags & FLAG_STAND_IN)
        ):
            extra = digits.leet_candidates(view, find, targets)
        if not raw and not accepted and not mixed and not extra and not splits:
            return new_result(Action.ALLOW, [], folded)
        return self._decide(view, raw, mixed, extra, splits, accepted)

    def _split_rescan(self, view: TextView, found: list[tuple[int, str]]) -> list[digits.Extra]:
        """Terms with a character written as its components (split.py): the plausible pairs the matcher found
        (folded offset, character) are written as their characters in a window around them, and matched
        again there with every rule."""
        norm, find, fold_base, targets = self._norm, self._find, self._fold_base, self._targets
        folded, text = view.folded, view.text
        out: list[digits.Extra] = []
        if find is None:
            return out
        found = split.promising(folded, found, find, targets, fold_base, self._longest)
        if not found:
            return out
        pairs = split.pairs_in(folded, text, found, view.span, norm.invisible, self._rules.words)
        if not pairs:
            return out
        entry_of = self._entry_of
        if entry_of is None:  # built whole before it is shared: other threads may scan meanwhile
            entry_of = {}
            for i, (term, category, action, *_) in enumerate(self._entries):
                entry_of.setdefault((term, category, action), i)
            self._entry_of = entry_of
        for lo, hi, chosen in split.rewrites(pairs, self._longest + MAX_WORD, len(folded)):
            olo, ohi = view.span(lo, hi)
            rewrite = split.Rewrite(text, olo, ohi, chosen)
            window = norm.view(rewrite.text)
            if not window.final:
                window.set_folded(norm.fold(window.compact))
            found_raw = [m for m in find(window.folded) if m[2] < fold_base]
            for hit in self._decide(window, found_raw, [], []).hits:
                span = None if hit.excepted else rewrite.original(hit.start, hit.end)
                if span is not None:
                    os, oe = span
                    entry = entry_of[(hit.term, hit.category, hit.action)]
                    out.append((os, oe, entry, view.folded_index(os), view.folded_index(oe - 1) + 1))
        return out

    def _fold_and_rescan(self, view: TextView, low: str, raw: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
        """Fold characters the matcher flagged, and match again only around them when they are few."""
        norm, fold_base, width, find = self._norm, self._fold_base, self._longest, self._find
        compact = view.compact
        triggers = [s for s, _, pid in raw if pid >= fold_base]
        forms = [norm.fold_char(compact[p]) for p in triggers] if len(low) == len(compact) else []
        if find is None or len(low) != len(compact) or len(triggers) > 16 or any(len(f) != 1 for f in forms):
            view.set_folded(norm.fold(compact))
            return find(view.folded) if find is not None else []
        pieces, prev = [], 0
        for p, form in zip(triggers, forms, strict=True):
            pieces.append(low[prev:p])
            pieces.append(form)
            prev = p + 1
        pieces.append(low[prev:])
        folded = "".join(pieces)
        view.set_folded(folded)
        windows: list[tuple[int, int]] = []  # sorted, disjoint
        for p in triggers:
            lo, hi = max(0, p - width), min(len(folded), p + width + 1)
            if windows and lo <= windows[-1][1]:
                windows[-1] = (windows[-1][0], hi)
            else:
                windows.append((lo, hi))
        starts = [lo for lo, _ in windows]
        kept = []
        for m in raw:  # what the first pass found away from the folded characters still stands
            if m[2] < fold_base:
                k = bisect_right(starts, m[0]) - 1
                if k < 0 or m[1] > windows[k][1]:
                    kept.append(m)
        for lo, hi in windows:
            kept.extend((s + lo, e + lo, pid) for s, e, pid in find(folded[lo:hi]) if pid < fold_base)
        return kept

    def _decide(
        self,
        view: TextView,
        raw: list[tuple[int, int, int]],
        mixed: list[Candidate],
        extra: list[digits.Extra],
        splits: Iterable[digits.Extra] = (),
        accepted: dict[tuple[int, int, int], tuple[int, int, int]] | None = None,
    ) -> ScanResult:
        """The decision over every candidate. `accepted`, when the C pass collected the common case, holds the
        matches it accepted, and `raw` is what it left."""
        targets, quick, after = self._targets, self._quick, self._after
        folded = view.folded
        n = len(folded)
        # a text without removed characters or expansions maps one to one: no offset map, no gaps
        plain = len(view.compact) == len(view.text) == len(folded)
        # otherwise, without expansions, the removed runs (compact offsets) tell a match that spans none, and
        # such a match maps to the original text by one shift
        cuts, shifts = (None, None) if plain or view.expanded else view.cuts()
        exceptions: dict[int, list[tuple[int, int]]] = {}
        if accepted is None:
            accepted = {}  # (start, end, entry) -> (kind, folded start, folded end)
        for s, e, pid in raw:
            entry = quick[pid]
            if entry is None:
                entry = self._quick_entry(pid)
            if entry >= 0 and (e == n or (chars := after[pid]) is None or folded[e] not in chars):
                # the common case: the pattern is one term as written, and an unbroken match of it needs no
                # rule at all (see _quick_entry)
                if plain:
                    accepted.setdefault((s, e, entry), (KIND_TEXT, s, e))
                    continue
                if cuts is not None and shifts is not None:
                    k = bisect_right(cuts, s)
                    if k == bisect_right(cuts, e - 1):
                        shift = shifts[k]
                        accepted.setdefault((s + shift, e + shift, entry), (KIND_TEXT, s, e))
                        continue
            for entry, kind, bounds in targets[pid]:
                if kind == KIND_TEXT:
                    if plain:
                        if self._valid_unbroken(view, True, entry, s, e):
                            accepted.setdefault((s, e, entry), (kind, s, e))
                        continue
                    if cuts is not None and shifts is not None:
                        k = bisect_right(cuts, s)
                        if k == bisect_right(cuts, e - 1):  # no removed character inside
                            if self._valid_unbroken(view, False, entry, s, e):
                                shift = shifts[k]
                                accepted.setdefault((s + shift, e + shift, entry), (kind, s, e))
                            continue
                elif kind == KIND_EXCEPTION:
                    exceptions.setdefault(entry, []).append((s, e))
                    continue
                if self._valid(view, entry, kind, bounds, s, e):
                    os, oe = (s, e) if plain else view.span(s, e)
                    accepted.setdefault((os, oe, entry), (kind, s, e))
        for entry, kind, bounds, s, e, gaps in mixed:
            if self._pinyin_valid(view, s, e, bounds, gaps):
                os, oe = view.span(s, e)
                accepted.setdefault((os, oe, entry), (kind, s, e))
        for os, oe, entry, s, e in extra:
            accepted.setdefault((os, oe, entry), (KIND_LEET, s, e))
        for os, oe, entry, s, e in splits:  # after every other way: a hit found as written says "text"
            accepted.setdefault((os, oe, entry), (KIND_SPLIT, s, e))
        hits: list[Hit] = []
        best, decisive = 0, []  # the strongest action of the hits no exception covers, and their categories
        info, info_of = self._hit_info, self._info
        if self._hits_of is not None and not exceptions:  # the same loop in C
            hits, best, decisive = self._hits_of(accepted, info, info_of, _VIA, Hit)
            accepted = {}
        for (os, oe, entry), (kind, s, e) in sorted(accepted.items()):
            term, category, action, strength = info.get(entry) or info_of(entry)
            if exceptions and (spans := exceptions.get(entry)) and any(xs <= s and e <= xe for xs, xe in spans):
                hits.append(new_hit(term, category, action, os, oe, True, _VIA[kind]))
                continue
            hits.append(new_hit(term, category, action, os, oe, False, _VIA[kind]))
            if strength > best:
                best, decisive = strength, [category]
            elif strength == best:
                decisive.append(category)
        if not best:
            return new_result(Action.ALLOW, hits, folded)
        return new_result(_BY_STRENGTH[best], hits, folded, tuple(dict.fromkeys(decisive)))

    def _info(self, entry: int) -> tuple[str, Category, Action, int]:
        """What a hit of the entry says (term, category, action, strength), remembered for the entries that
        turn up (a few thousand tuples holding enum members, which the collector may traverse; not 100,000)."""
        term, cat, act, _, _, _, _, strength = self._entries[entry]
        found = self._hit_info[entry] = (term, _CATEGORIES[cat], _ACTIONS[act], strength)
        if len(self._hit_info) > 50_000:
            self._hit_info.clear()
        return found

    def _quick_entry(self, pid: int) -> int:
        """Fill in `_quick[pid]`: the entry when the pattern's only target is the text of one entry with no
        Latin edge (rule R4), -2 when the pattern has no target at all (a fold trigger, a component pair),
        else -1; and `_after[pid]`: the characters after which rule R2 could split an unbroken match of it,
        as a sorted str (None when R2 never can, see Rules.word_splits). An unbroken match of a quick entry
        not followed by one of those characters is a hit without any further check."""
        entry, chars = -1, None
        found = self._targets[pid]
        if not found:
            entry = -2
        elif len(found) == 1 and found[0][1] == KIND_TEXT:
            _, _, _, term, _, lead, trail, _ = self._entries[found[0][0]]
            if not lead and not trail:
                entry = found[0][0]
                splits = self._rules.word_splits(term)
                if splits:
                    chars = "".join(sorted(frozenset().union(*(split[4] for split in splits))))
                    self._r2[pid] = tuple(
                        (k, len(suffix), free, "".join(sorted(after)), "".join(sorted(before)))
                        for k, suffix, _, free, after, before in splits
                    )  # for the C collect
        self._after[pid] = chars
        self._quick[pid] = entry
        return entry

    def _valid_unbroken(self, view: TextView, plain: bool, entry: int, s: int, e: int) -> bool:
        """R4 and R2 for a match with no removed character inside."""
        folded = view.folded
        lo, hi = (0, len(folded)) if plain else view.chunk(s, e)
        _, _, _, term, _, lead, trail, _ = self._entries[entry]
        if (lead or trail) and not self._rules.edges_ok(folded, s, e, lo, hi, lead, trail):
            return False
        left, right = folded[max(lo, s - MAX_WORD) : s], folded[e : min(hi, e + MAX_WORD)]
        return not self._rules.split_by_words(term, left, right)

    def _valid(self, view: TextView, entry: int, kind: int, bounds: tuple[int, ...], s: int, e: int) -> bool:
        folded = view.folded
        rules = self._rules
        gaps = view.gaps(s, e)
        lo, hi = view.chunk(s, e)
        if kind == KIND_TEXT or kind == KIND_NUMERAL:
            _, _, _, term, _, lead, trail, _ = self._entries[entry]
            if kind == KIND_NUMERAL:  # the term as this variant writes it, with its own edges (digits are edges)
                term = folded[s:e]
                lead, trail = latin_edges(term)
            if (lead or trail) and not rules.edges_ok(folded, s, e, lo, hi, lead, trail):
                return False
            real = [(g, t) for g, t in gaps if g - s not in bounds]
            left, right = folded[max(lo, s - MAX_WORD) : s], folded[e : min(hi, e + MAX_WORD)]
            if not real:
                return not rules.split_by_words(term, left, right)
            natural = True
            for _, t in real:
                too_long, plain_gap = self._gap_kind(t)
                if too_long:
                    return False
                natural = natural and plain_gap
            return rules.bridge_ok(folded, s, e, [g for g, _ in real], left, right, natural)
        rel = [(g - s, t) for g, t in gaps]
        if kind == KIND_INITIALS:
            if any(self._too_long(t) for _, t in rel):
                return False
            return rules.edges_ok(folded, s, e, lo, hi, 1, 1)
        return self._pinyin_valid(view, s, e, bounds, rel)

    def _pinyin_valid(
        self, view: TextView, s: int, e: int, bounds: tuple[int, ...], gaps: list[tuple[int, str]]
    ) -> bool:
        """R1 and R6 for a pinyin match with gaps at `gaps` (offsets from s). A match spelled letter by letter
        ("d a m a", every letter standing alone) may have gaps inside syllables; then the letters around it,
        spaced out or not, are what must read as whole syllables ("w o y a o d a m a" yes, "a d a m a n t" no)."""
        if any(self._too_long(t) for _, t in gaps):
            return False
        if all(g in bounds for g, _ in gaps):
            lo, hi = view.chunk(s, e)
        elif len(gaps) == e - s - 1 and len(bounds) > 2:  # a gap after every letter, a term of two syllables or more
            lo, hi = self._letter_run(view, s, e)
        else:
            return False
        return self._rules.pinyin_context_ok(view.folded, s, e, lo, hi)

    def _letter_run(self, view: TextView, s: int, e: int) -> tuple[int, int]:
        """The folded bounds of the letters read with a letter-spaced match: letters glued to it or to them, and
        across a short gap (R1) a letter that stands alone ("w o y a o" before "d a m a"; not "online" after
        "b a i j i a l e")."""
        folded, n = view.folded, len(view.folded)

        def letter(at: int) -> bool:
            return 0 <= at < n and "a" <= folded[at] <= "z"

        def gap(at: int) -> list[tuple[int, str]]:  # the visible removed run between folded[at - 1] and folded[at]
            return view.gaps(at - 1, at + 1)

        def alone(at: int) -> bool:
            return (not letter(at - 1) or bool(gap(at))) and (not letter(at + 1) or bool(gap(at + 1)))

        def joins(at: int, beyond: int) -> bool:  # may the letter at `beyond` be read with the one across `at`
            found = gap(at)
            return not found or (not any(self._too_long(t) for _, t in found) and alone(beyond))

        lo, hi = s, e
        while letter(lo - 1) and joins(lo, lo - 1):
            lo -= 1
        while letter(hi) and joins(hi, hi):
            hi += 1
        return lo, hi

    def _gap_kind(self, gap: str) -> tuple[bool, bool]:
        """(R1: the gap is too long, every visible character of it is a natural separator), remembered for
        short gaps (the same few come back again and again)."""
        found = self._gaps.get(gap)
        if found is None:
            found = (self._too_long(gap), all(ch in NATURAL_GAP or self._norm.invisible(ch) for ch in gap))
            if len(gap) <= 8:
                if len(self._gaps) >= 4096:
                    self._gaps.clear()
                self._gaps[gap] = found
        return found

    def _too_long(self, gap: str) -> bool:
        """R1: at most MAX_GAP visible natural separators, or MAX_SYMBOL_GAP when symbols are among them."""
        if len(gap) <= MAX_GAP:
            return False
        visible = [ch for ch in gap if not self._norm.invisible(ch)]
        limit = MAX_GAP if all(ch in NATURAL_GAP for ch in visible) else MAX_SYMBOL_GAP
        return len(visible) > limit
