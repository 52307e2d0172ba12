"""A lexicon: the entries the engine looks for, their plain-text and CSV formats, and their content hash.

Plain text format (the `qunzu review scan --lexicon FILE` contract, extended compatibly):

    # a comment line; blank lines are ignored
    term                                   -> category custom, action block
    term<TAB>category<TAB>action           -> e.g. 六合彩<TAB>gambling<TAB>block
    term<TAB>category<TAB>action<TAB>exc1|exc2<TAB>initials

The 4th field lists allowed phrases that contain the term, separated by `|`; the 5th field, when it is
`initials` (or 1/true/yes), makes the term also match its pinyin initials (六合彩 -> lhc). Empty fields take
their defaults. CSV has the header `term,category,action,exceptions,pinyin_initials` with the same values.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from qunzu.errors import ValidationFailed
from qunzu.review.model import Action, Category, LexiconEntry, gc_paused

CSV_FIELDS = ("term", "category", "action", "exceptions", "pinyin_initials")
_TRUE = {"1", "true", "yes", "y", "initials", "on"}
_FALSE = {"", "0", "false", "no", "n", "off"}
_HASH_PREFIX = "qunzu-lexicon-v1\n"
_CATEGORIES = {c.value: c for c in Category}
_ACTIONS = {a.value: a for a in Action} | {"": Action.BLOCK}
_ACTION_VALUES = {name: a.value for name, a in _ACTIONS.items()}

Source = Path | str | Iterable[str]

# What no text in Qunzu may hold: C0 controls but TAB, LF and CR; DEL and C1; surrogates; noncharacters. The same
# rule as qunzu.domain.text (review may not import the domain; tests/domain/test_text.py checks that they agree on
# every code point). A term holding one could not be stored, matched or shown. The astral noncharacters are looked
# for separately: listing them in the class makes every search several times slower.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def forbidden_at(text: str) -> int | None:
    """The index of the first character no lexicon line may hold (a NUL, another control, …), or None."""
    found = _FORBIDDEN.search(text)
    end = found.start() if found is not None else len(text)
    if _ASTRAL.search(text, 0, end) is not None:
        for astral in _ASTRAL.finditer(text, 0, end):
            if ord(astral.group()) & 0xFFFE == 0xFFFE:
                return astral.start()
    return None if found is None else end


def _bad_line(text: str, at: int, *, line: int) -> ValidationFailed:
    point = ord(text[at])
    reason = "surrogate" if 0xD800 <= point <= 0xDFFF else "control_character" if point <= 0x9F else "noncharacter"
    return ValidationFailed(
        f"Line {line}: a term or exception holds a control or invalid character (U+{point:04X})",
        details={"line": line, "reason": reason, "character": f"U+{point:04X}"},
    )


def _flag(value: str, *, line: int, strict: bool) -> bool:
    key = value.strip().lower()
    if key in _TRUE:
        return True
    if key in _FALSE or not strict:
        return False
    raise ValidationFailed(f"Line {line}: the initials field must be 'initials' or empty", details={"line": line})


def _entry(fields: list[str], *, line: int, strict: bool) -> LexiconEntry:
    if len(fields) == 3 and not fields[0][:1].isspace():  # the common line: term, category, action
        cat, act = _CATEGORIES.get(fields[1]), _ACTIONS.get(fields[2])
        if cat is not None and act is not None and fields[0] == fields[0].strip() and fields[0]:
            return LexiconEntry(fields[0], cat, act)
    fields = [f.strip() for f in fields] + [""] * (5 - len(fields))
    term, category, action, excs, initials = fields[:5]
    try:
        return LexiconEntry(
            term=term,
            category=Category.parse(category, strict=strict),
            action=Action.parse(action, strict=strict),
            exceptions=tuple(e for e in excs.split("|") if e.strip()),
            pinyin_initials=_flag(initials, line=line, strict=strict),
        )
    except ValidationFailed as exc:
        raise ValidationFailed(f"Line {line}: {exc.message}", details={**exc.details, "line": line}) from exc


def _known(value: str, parse: Callable[..., object]) -> bool:
    try:
        parse(value, strict=True)
    except ValidationFailed:
        return False
    return bool(value.strip())


def _untabbed(text: str) -> list[str]:
    """Lenient mode: `term category action` written with spaces or commas instead of TABs.

    Only when the last two tokens are a known category and a known action, so a term with spaces in it
    ("free money") stays one term.
    """
    for sep in (",", None):
        tokens = [t.strip() for t in text.split(sep)] if sep else text.split()
        if len(tokens) >= 3 and _known(tokens[-1], Action.parse) and _known(tokens[-2], Category.parse):
            return [(sep or " ").join(tokens[:-2]), tokens[-2], tokens[-1]]
    return [text]


def _lines(source: Source) -> Iterator[str]:
    if isinstance(source, Path | str):
        return _file_lines(source)
    return iter(source)


def _file_lines(path: Path | str) -> Iterator[str]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        yield from fh


@dataclass(frozen=True, slots=True)
class Lexicon:
    """An immutable, de-duplicated, canonically ordered list of entries."""

    entries: tuple[LexiconEntry, ...]
    _hash: str = field(default="", compare=False, repr=False)

    @classmethod
    def from_entries(cls, entries: Iterable[LexiconEntry]) -> Lexicon:
        """A lexicon from entries; exact duplicates collapse, the order becomes canonical."""
        return cls._from_keyed({_canonical_line(e): e for e in entries})

    @classmethod
    def _from_keyed(cls, unique: dict[str, LexiconEntry]) -> Lexicon:
        keys = sorted(unique)
        digest = hashlib.sha256(_HASH_PREFIX.encode())
        digest.update("".join(keys).encode())
        return cls(tuple(map(unique.__getitem__, keys)), digest.hexdigest())

    @classmethod
    def load_text(cls, source: Source, *, strict: bool = True) -> Lexicon:
        """Parse the plain format from a path or from lines; strict=False maps unknown categories to custom."""
        with gc_paused():
            return cls._load_text(source, strict=strict)

    @classmethod
    def _load_text(cls, source: Source, *, strict: bool) -> Lexicon:
        unique: dict[str, LexiconEntry] = {}
        categories, actions, action_names, plain = _CATEGORIES, _ACTIONS, _ACTION_VALUES, LexiconEntry.plain
        # One pass over all the lines finds nothing to refuse in an ordinary lexicon: then no line is checked alone.
        lines = list(_lines(source)) if isinstance(source, Path | str) else source
        whole = (
            lines.getvalue() if isinstance(lines, io.StringIO) else "".join(lines) if isinstance(lines, list) else None
        )
        clean = whole is not None and forbidden_at(whole) is None
        for number, raw in enumerate(lines, start=1):
            text = raw.rstrip("\r\n")
            if not clean and (at := forbidden_at(text)) is not None:  # refused (strict) or dropped
                if strict:
                    raise _bad_line(text, at, line=number)
                continue
            fields = text.split("\t")
            if len(fields) == 3:  # the common line, `term<TAB>category<TAB>action`, with nothing to tidy
                term, cat_name, act_name = fields
                cat = categories.get(cat_name)
                if (
                    cat is not None and act_name in actions and term and term[0] != "#" and term == term.strip()
                    and "\n" not in term and "\r" not in term
                ):  # fmt: skip
                    unique[f"{term}\t{cat_name}\t{action_names[act_name]}\t\t0\n"] = plain(term, cat, actions[act_name])
                    continue
            if not text.strip() or text.lstrip().startswith("#"):
                continue
            if len(fields) == 1 and not strict:
                fields = _untabbed(text)
            if len(fields) > 5:
                if strict:
                    raise ValidationFailed(f"Line {number}: at most 5 TAB-separated fields", details={"line": number})
                fields = fields[:5]
            try:
                entry = _entry(fields, line=number, strict=strict)
            except ValidationFailed:
                if strict:
                    raise
                continue
            unique[_canonical_line(entry)] = entry
        return cls._from_keyed(unique)

    @classmethod
    def load_csv(cls, source: Path | str | TextIO, *, strict: bool = True) -> Lexicon:
        """Parse CSV with the header `term,category,action,exceptions,pinyin_initials` (only term required)."""
        if isinstance(source, Path | str):
            with open(source, encoding="utf-8-sig", newline="") as fh:
                return cls._read_csv(fh, strict=strict)
        return cls._read_csv(source, strict=strict)

    @classmethod
    def _read_csv(cls, fh: TextIO, *, strict: bool) -> Lexicon:
        try:
            return cls._read_csv_rows(fh, strict=strict)
        except csv.Error as exc:  # e.g. a bare carriage return inside an unquoted field
            raise ValidationFailed(f"The CSV lexicon cannot be read: {exc}") from exc

    @classmethod
    def _read_csv_rows(cls, fh: TextIO, *, strict: bool) -> Lexicon:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or "term" not in [f.strip() for f in reader.fieldnames]:
            raise ValidationFailed("The CSV lexicon needs a header with a 'term' column")
        entries: list[LexiconEntry] = []
        for row in reader:
            row = {(k or "").strip(): (v or "") for k, v in row.items()}
            if not row.get("term", "").strip() or row["term"].lstrip().startswith("#"):
                continue
            fields = [row.get(name, "") for name in CSV_FIELDS]
            joined = "\t".join(fields)
            if (at := forbidden_at(joined)) is not None:
                if strict:
                    raise _bad_line(joined, at, line=reader.line_num)
                continue
            try:
                entries.append(_entry(fields, line=reader.line_num, strict=strict))
            except ValidationFailed:
                if strict:
                    raise
        return cls.from_entries(entries)

    def dump_text(self) -> str:
        """The plain format, one entry a line, with only the fields that differ from the defaults."""
        out = io.StringIO()
        out.write("# term\tcategory\taction\texceptions\tinitials\n")
        for e in self.entries:
            fields = [e.term, e.category.value, e.action.value, "|".join(e.exceptions)]
            fields.append("initials" if e.pinyin_initials else "")
            while fields[-1] == "" and len(fields) > 3:
                fields.pop()
            out.write("\t".join(fields) + "\n")
        return out.getvalue()

    def dump_csv(self) -> str:
        """CSV with the header `term,category,action,exceptions,pinyin_initials`."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_FIELDS)
        for e in self.entries:
            writer.writerow([e.term, e.category.value, e.action.value, "|".join(e.exceptions), int(e.pinyin_initials)])
        return out.getvalue()

    @property
    def content_hash(self) -> str:
        """sha256 over the canonical form (order- and duplicate-independent): the lexicon version."""
        if self._hash:
            return self._hash
        digest = hashlib.sha256(_HASH_PREFIX.encode())
        for e in self.entries:
            digest.update(_canonical_line(e).encode())
        return digest.hexdigest()

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[LexiconEntry]:
        return iter(self.entries)


def _canonical_line(e: LexiconEntry) -> str:
    return f"{e.term}\t{e.category.value}\t{e.action.value}\t{'|'.join(e.exceptions)}\t{int(e.pinyin_initials)}\n"
