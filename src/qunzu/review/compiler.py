"""Compiling a lexicon: normalised terms, pinyin spellings and exceptions into one Aho-Corasick automaton.

Everything a scan needs that can be computed ahead of time is computed here, once per lexicon version, and
can be cached on disk (cache.py): the per-character tables, the word list, the pinyin syllables, every
pattern with its targets, and the serialized daachorse automaton.
"""

from __future__ import annotations

import hashlib
import marshal
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import daachorse

from qunzu.review import charmap, pinyin, words
from qunzu.review.lexicon import Lexicon
from qunzu.review.textview import Normalizer

FORMAT_VERSION = 10
KIND_TEXT, KIND_PINYIN, KIND_INITIALS, KIND_EXCEPTION = 0, 1, 2, 3
VIA = {KIND_TEXT: "text", KIND_PINYIN: "pinyin", KIND_INITIALS: "initials"}

# (term, category, action, normalised term, own gap offsets, leading alnum run, trailing alnum run)
EntryInfo = tuple[str, str, str, str, tuple[int, ...], int, int]
Target = tuple[int, int, tuple[int, ...]]  # (entry index, kind, syllable bounds / own gaps)


def _package_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version  # imported late: slow to import

    try:
        return version(name)
    except PackageNotFoundError:  # pragma: no cover - the dependencies are installed
        return "unknown"


def base_key() -> str:
    """Identifies the lexicon-independent tables: changes with the code and the Unicode/OpenCC/pypinyin data."""
    parts = [
        f"charmap{charmap.CHARMAP_VERSION}",
        f"format{FORMAT_VERSION}",
        unicodedata.unidata_version,
        _package_version("opencc"),
        _package_version("pypinyin"),
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:24]


@dataclass(frozen=True, slots=True)
class BaseData:
    """Tables that do not depend on the lexicon."""

    tables: charmap.CharTables
    words: frozenset[str]
    syllables: frozenset[str]
    char_syllables: dict[str, str]

    def to_bytes(self) -> bytes:
        return marshal.dumps(
            (FORMAT_VERSION, self.tables.to_bytes(), self.words, self.syllables, self.char_syllables)
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> BaseData:
        fmt, tables, word_set, syllables, char_syllables = marshal.loads(data)
        if fmt != FORMAT_VERSION:
            raise ValueError("stale base tables")
        return cls(charmap.CharTables.from_bytes(tables), word_set, syllables, char_syllables)


def build_base() -> BaseData:
    """Classify the code points and gather words and syllables (about a second)."""
    tables = charmap.build_char_tables()
    norm = Normalizer(tables)
    word_set = frozenset(norm.normalize(w) for w in words.default_words())
    return BaseData(tables, word_set, pinyin.all_syllables(), pinyin.char_syllables())


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

    def to_bytes(self) -> bytes:
        return marshal.dumps(
            (
                FORMAT_VERSION, self.version, self.entries, self.patterns, self.targets, self.fold_base,
                self.automaton,
                self.extra_words, self.max_han, self.skipped,
            )
        )  # fmt: skip

    @classmethod
    def from_bytes(cls, data: bytes) -> Compiled:
        fmt, *fields = marshal.loads(data)
        if fmt != FORMAT_VERSION:
            raise ValueError("stale compiled lexicon")
        return cls(*fields)


def _alnum_run(s: str) -> int:
    n = 0
    for ch in s:
        if not (ch.isascii() and ch.isalnum()):
            break
        n += 1
    return n


def _own_gaps(norm: Normalizer, term: str) -> tuple[int, ...]:
    """Offsets in the normalised term where the term itself has a separator ("free money" -> 4)."""
    view = norm.full_view(term)
    if not view.compact:
        return ()
    view.set_folded(norm.fold(view.compact))
    return tuple(g for g, _ in view.gaps(0, len(view.folded)))


def compile_lexicon(
    lexicon: Lexicon, base: BaseData, norm: Normalizer, extra_words: Iterable[str] = ()
) -> Compiled:
    """Turn a lexicon into patterns and an automaton (pure; about 10 s for 100,000 terms)."""
    pattern_ids: dict[str, int] = {}
    targets: list[list[Target]] = []

    def add(pattern: str, target: Target) -> None:
        pid = pattern_ids.get(pattern)
        if pid is None:
            pid = pattern_ids[pattern] = len(targets)
            targets.append([])
        targets[pid].append(target)

    entries: list[EntryInfo] = []
    skipped: list[str] = []
    max_han = 0
    for entry in lexicon.entries:
        folded = norm.normalize(entry.term)
        if not folded:
            skipped.append(entry.term)
            continue
        idx = len(entries)
        gaps = _own_gaps(norm, entry.term)
        info: EntryInfo = (
            entry.term, entry.category.value, entry.action.value, folded, gaps,
            _alnum_run(folded), _alnum_run(folded[::-1]),
        )  # fmt: skip
        entries.append(info)
        add(folded, (idx, KIND_TEXT, gaps))
        spellings = pinyin.term_spellings(folded, base.char_syllables)
        for letters, bounds in spellings:
            add(letters, (idx, KIND_PINYIN, bounds))
        if spellings:
            max_han = max(max_han, max(len(bounds) - 1 for _, bounds in spellings))
        if entry.pinyin_initials:
            for letters, bounds in pinyin.term_initials(spellings):
                add(letters, (idx, KIND_INITIALS, bounds))
        for exc in entry.exceptions:
            exc_folded = norm.normalize(exc)
            if exc_folded:
                add(exc_folded, (idx, KIND_EXCEPTION, ()))
    patterns = list(pattern_ids)
    fold_base = len(patterns)
    if patterns:  # folded terms never hold a trigger character, so these never collide with a term
        patterns.extend(ch for ch in norm.fold_triggers() if ch not in pattern_ids)
    automaton = daachorse.CharwiseDoubleArrayAhoCorasick(patterns).serialize() if patterns else b""
    extra = frozenset(w for w in (norm.normalize(x) for x in extra_words) if len(w) >= 2)
    return Compiled(
        lexicon.content_hash, entries, patterns, [tuple(t) for t in targets], fold_base, automaton, extra,
        min(max_han, 16), tuple(skipped),
    )  # fmt: skip
