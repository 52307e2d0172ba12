"""Group search (搜索群组): which groups a stranger may find, and how a search reads (group rules Art. 16, 37; D7).

Being found is the owner's separate choice (`groups.listed`), and the rules limit it twice: by size, since a group
is found only when its info page is public anyway (`info_is_public`: 100 members by default, so a group small enough
to be private never shows to strangers), and by its credit stars (three or fewer: not shown; four: after every
five-star match). A group hidden by a platform measure, or not active, is never found. The owner may list the group
before it qualifies: the choice stands and takes effect once every condition holds.

Pure. services/group_directory.py states the same conditions as SQL, so a page of results can be cut in the
database; `listing_conditions` is what the owner's page shows, one line per condition.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from qunzu.domain.admission import info_is_public
from qunzu.domain.group_stars import effects
from qunzu.domain.groupcode import parse_group_code
from qunzu.domain.policy import GroupPolicy
from qunzu.domain.text import clean_line
from qunzu.errors import ValidationFailed

QUERY_MAX = 50  # characters, after cleaning
PAGE_MAX = 50
LIKE_ESCAPE = "\\"


@dataclass(frozen=True, slots=True)
class SearchQuery:
    text: str  # NFC, trimmed: looked for in group names, case-insensitively
    code: str | None  # the text read as a group code, when it is a valid one (spaces and dashes allowed)

    def name_pattern(self) -> str:
        """A LIKE pattern finding `text` anywhere in a name, with `%`, `_` and the escape character taken
        literally (use with `escape=LIKE_ESCAPE`)."""
        literal = "".join(LIKE_ESCAPE + ch if ch in f"%_{LIKE_ESCAPE}" else ch for ch in self.text)
        return f"%{literal}%"


def parse_query(raw: str) -> SearchQuery:
    """A search as typed: the house's single-line text rules (no control character, something visible), then 1–50
    characters once trimmed; else `validation_failed` with field `q`."""
    text = unicodedata.normalize("NFC", clean_line(raw, field="q")).strip()
    if not 1 <= len(text) <= QUERY_MAX:
        raise ValidationFailed(
            f"A search has 1–{QUERY_MAX} characters",
            details={"field": "q", "reason": "length", "min_length": 1, "max_length": QUERY_MAX},
        )
    try:
        code: str | None = parse_group_code(text)
    except ValidationFailed:  # not a code: a name part only
        code = None
    return SearchQuery(text=text, code=code)


@dataclass(frozen=True, slots=True)
class ListingConditions:
    """What group search asks of a group besides its owner's choice, each on its own (the owner's page shows them)."""

    active: bool  # not waiting for review, not closed
    public_size: bool  # its info page is public (`info_public_at` members)
    stars: bool  # four or five credit stars
    not_hidden: bool  # no platform measure keeps it out of search

    @property
    def met(self) -> bool:
        return self.active and self.public_size and self.stars and self.not_hidden


def listing_conditions(
    policy: GroupPolicy, *, status: str, member_count: int, stars: int, hidden: bool
) -> ListingConditions:
    """Whether a group may appear in group search at all (rules Art. 16, 37; R-11.1-1 "hidden from search")."""
    return ListingConditions(
        active=status == "active",
        public_size=info_is_public(policy, member_count),
        stars=effects(stars).searchable,
        not_hidden=not hidden,
    )
