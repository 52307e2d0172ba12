"""The review engine's vocabulary: actions, categories, lexicon entries, hits and scan results."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

from qunzu.errors import ValidationFailed


class Action(StrEnum):
    """What happens to a text, from strongest to weakest: block > hold > flag > allow (D17)."""

    BLOCK = "block"
    HOLD = "hold"
    FLAG = "flag"
    ALLOW = "allow"

    @property
    def strength(self) -> int:
        """3 for block down to 0 for allow; the decision is the strongest action among the hits."""
        return _STRENGTH[self]

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Action):
            return NotImplemented
        return self.strength < other.strength

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Action):
            return NotImplemented
        return self.strength <= other.strength

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Action):
            return NotImplemented
        return self.strength > other.strength

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Action):
            return NotImplemented
        return self.strength >= other.strength

    @classmethod
    def parse(cls, value: str, *, strict: bool = True) -> Action:
        """An action from its name (case-insensitive); lenient mode also knows a few common synonyms."""
        found = _ACTION_NAMES.get(value)
        if found is not None:
            return found
        key = value.strip().lower()
        if not key:
            return cls.BLOCK
        try:
            return cls(key)
        except ValueError:
            pass
        if not strict and key in _ACTION_ALIASES:
            return _ACTION_ALIASES[key]
        raise ValidationFailed(f"Unknown review action {value!r}", details={"action": value})


_STRENGTH = {Action.ALLOW: 0, Action.FLAG: 1, Action.HOLD: 2, Action.BLOCK: 3}
_ACTION_NAMES = {a.value: a for a in Action} | {"": Action.BLOCK}
ACTIONS_BY_STRENGTH = (Action.ALLOW, Action.FLAG, Action.HOLD, Action.BLOCK)
_ACTION_ALIASES = {
    "reject": Action.BLOCK, "deny": Action.BLOCK, "ban": Action.BLOCK, "refuse": Action.BLOCK,
    "review": Action.HOLD, "pending": Action.HOLD, "held": Action.HOLD, "quarantine": Action.HOLD,
    "warn": Action.FLAG, "mark": Action.FLAG, "report": Action.FLAG, "flagged": Action.FLAG,
    "pass": Action.ALLOW, "ok": Action.ALLOW, "permit": Action.ALLOW,
}  # fmt: skip


class Category(StrEnum):
    """The content taxonomy of R-10-1."""

    FRAUD = "fraud"
    GAMBLING = "gambling"
    PORNOGRAPHY = "pornography"
    VIOLENCE = "violence"
    ILLEGAL_GOODS = "illegal_goods"
    ADVERTISING = "advertising"
    POLITICS = "politics"
    CUSTOM = "custom"

    @classmethod
    def parse(cls, value: str, *, strict: bool = True) -> Category:
        """A category from its name; lenient mode maps synonyms and unknown names to `custom`."""
        found = _CATEGORY_NAMES.get(value)
        if found is not None:
            return found
        key = value.strip().lower().replace("-", "_").replace(" ", "_").replace("/", "_")
        if not key:
            return cls.CUSTOM
        try:
            return cls(key)
        except ValueError:
            pass
        if key in _CATEGORY_ALIASES:
            return _CATEGORY_ALIASES[key]
        if strict:
            raise ValidationFailed(f"Unknown review category {value!r}", details={"category": value})
        return cls.CUSTOM


_CATEGORY_ALIASES = {
    "scam": Category.FRAUD, "fraudulent": Category.FRAUD,
    "gamble": Category.GAMBLING, "betting": Category.GAMBLING, "lottery": Category.GAMBLING,
    "porn": Category.PORNOGRAPHY, "sex": Category.PORNOGRAPHY, "sexual": Category.PORNOGRAPHY,
    "adult": Category.PORNOGRAPHY, "obscene": Category.PORNOGRAPHY,
    "violent": Category.VIOLENCE, "terror": Category.VIOLENCE, "terrorism": Category.VIOLENCE,
    "drugs": Category.ILLEGAL_GOODS, "drug": Category.ILLEGAL_GOODS, "weapons": Category.ILLEGAL_GOODS,
    "illegal": Category.ILLEGAL_GOODS, "contraband": Category.ILLEGAL_GOODS,
    "spam": Category.ADVERTISING, "ads": Category.ADVERTISING, "ad": Category.ADVERTISING,
    "advertising_spam": Category.ADVERTISING, "advert": Category.ADVERTISING,
    "political": Category.POLITICS, "politic": Category.POLITICS,
}  # fmt: skip


_CATEGORY_NAMES = {c.value: c for c in Category} | {"": Category.CUSTOM}


@dataclass(frozen=True, slots=True)
class LexiconEntry:
    """One lexicon term: what to look for, how to file it, what to do, and the phrases that are allowed."""

    term: str
    category: Category = Category.CUSTOM
    action: Action = Action.BLOCK
    exceptions: tuple[str, ...] = ()
    pinyin_initials: bool = False

    def __post_init__(self) -> None:
        term = self.term.strip()
        if not term or "\t" in term or "\n" in term or "\r" in term:
            raise ValidationFailed("A lexicon term must be one non-empty line without tabs", details={"term": term})
        if term is not self.term:
            object.__setattr__(self, "term", term)
        if type(self.category) is not Category:
            object.__setattr__(self, "category", Category(self.category))
        if type(self.action) is not Action:
            object.__setattr__(self, "action", Action(self.action))
        if not self.exceptions:
            return
        excs = []
        for e in self.exceptions:
            e = e.strip()
            if not e or any(c in e for c in "\t\n\r|"):
                raise ValidationFailed(
                    "An exception must be a non-empty phrase without tabs or '|'", details={"exception": e}
                )
            excs.append(e)
        object.__setattr__(self, "exceptions", tuple(sorted(set(excs))))

    @staticmethod
    def plain(term: str, category: Category, action: Action) -> LexiconEntry:
        """An entry without exceptions or initials from values already checked (a stripped one-line term
        without tabs, a Category, an Action): what a lexicon file holds 100,000 of."""
        entry = _new(LexiconEntry)
        _set_term(entry, term)
        _set_category(entry, category)
        _set_action(entry, action)
        _set_exceptions(entry, ())
        _set_initials(entry, False)
        return entry


# the slots' own setters: what the frozen dataclass's __init__ does, without its checks
_new = object.__new__
_set_term, _set_category, _set_action, _set_exceptions, _set_initials = (
    getattr(LexiconEntry, name).__set__ for name in ("term", "category", "action", "exceptions", "pinyin_initials")
)


class Hit(NamedTuple):
    """A lexicon term found in a text; start/end index the ORIGINAL text (`text[start:end]`).

    A named tuple: the engine builds one for every match (hundreds per MB of ordinary text with a large
    lexicon), and a tuple is built in one step (`new_hit`)."""

    term: str
    category: Category
    action: Action
    start: int
    end: int
    excepted: bool = False
    via: str = "text"  # "text", "pinyin" (full spelling), "initials", "leet" or "split"


@dataclass(frozen=True, slots=True)
class ScanResult:
    """The decision for one text, the hits behind it, and what the matcher saw (for the staff test tool)."""

    action: Action
    hits: list[Hit] = field(default_factory=list)
    normalized: str = ""
    categories: tuple[Category, ...] = ()

    @property
    def decisive_hits(self) -> list[Hit]:
        """The non-excepted hits whose action is the decision."""
        return [h for h in self.hits if not h.excepted and h.action == self.action]

    @property
    def terms(self) -> list[str]:
        """Distinct terms of the non-excepted hits, in order of first appearance (the scan contract)."""
        seen: dict[str, None] = {}
        for h in self.hits:
            if not h.excepted:
                seen.setdefault(h.term, None)
        return list(seen)


_result_setters = tuple(getattr(ScanResult, name).__set__ for name in ("action", "hits", "normalized", "categories"))
_tuple_new = tuple.__new__


def new_hit(term: str, category: Category, action: Action, start: int, end: int, excepted: bool, via: str) -> Hit:
    """`Hit(...)` without the keyword handling of the named tuple's __new__ (the engine builds one for every
    match)."""
    return _tuple_new(Hit, (term, category, action, start, end, excepted, via))


def new_result(action: Action, hits: list[Hit], normalized: str, categories: tuple[Category, ...] = ()) -> ScanResult:
    """`ScanResult(...)` through the slots' own setters: one is built for every text scanned, and the frozen
    dataclass's __init__ costs about four times as much."""
    result = _new(ScanResult)
    s_action, s_hits, s_normalized, s_categories = _result_setters
    s_action(result, action)
    s_hits(result, hits)
    s_normalized(result, normalized)
    s_categories(result, categories)
    return result


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small objects that hold no cycles (loading
    a 100,000-term lexicon would otherwise trigger dozens of collections for nothing)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
