"""Group credit stars (群信用星级, the group rules' chapter 8; agreement §6.2.2): what each level turns off.

A group has five stars unless a `group_stars` measure (domain/enforcement.py) lowers them; the level in force is the
lowest of the active measures' levels (services/measure_state.py recomputes `groups.stars` on apply and on lift,
so two overlapping measures never raise each other's level), and a measure with a period gives the stars back when
it ends (rules Art. 38: restored once the group rectified and stayed clean for the period set).

    5 ★  normal use
    4 ★  ranked below five-star groups in group search
    3 ★  not shown in group search; joining by invite link or QR code is off
    2 ★  no new members by any path; no links (and, once files exist, no files) in messages
    1 ★  the group is closed: that is the 关闭群组 measure, so a star measure lowers to two at the least

Pure. The gates raise `stars_restricted` with the stars and the restriction, so a client can say which function is
off and why.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from qunzu.domain.rules import rule
from qunzu.errors import ErrorCode, Forbidden

STARS_MAX = 5
STARS_LOWEST_MEASURE = 2  # one star is closure (the group_close measure)


@dataclass(frozen=True, slots=True)
class StarEffects:
    """What a level allows (group rules Art. 37)."""

    stars: int
    searchable: bool  # may appear in group search at all (when its owner lists it)
    ranked_lower: bool  # listed after every five-star match
    link_joins: bool  # invite links and QR codes make and admit
    new_members: bool  # anyone may come in, by any path
    message_links: bool  # messages may carry links (and files)


SEARCHABLE_FROM = 4
LINK_JOINS_FROM = 4
NEW_MEMBERS_FROM = 3
MESSAGE_LINKS_FROM = 3


def effects(stars: int) -> StarEffects:
    return StarEffects(
        stars=stars,
        searchable=stars >= SEARCHABLE_FROM,
        ranked_lower=stars < STARS_MAX,
        link_joins=stars >= LINK_JOINS_FROM,
        new_members=stars >= NEW_MEMBERS_FROM,
        message_links=stars >= MESSAGE_LINKS_FROM,
    )


def stars_in_force(levels: Iterable[int]) -> int:
    """The group's stars: the lowest level of the active star measures, five without one."""
    return min((level for level in levels), default=STARS_MAX)


def _refused(stars: int, restriction: str, message: str) -> Forbidden:
    return Forbidden(message, code=ErrorCode.STARS_RESTRICTED, details={"stars": stars, "restriction": restriction})


@rule("R-11.1-1", ErrorCode.STARS_RESTRICTED)
def check_link_joins(stars: int) -> None:
    """Three stars or fewer: no invite link or QR code is made, and none admits anyone (`stars_restricted`,
    restriction `link_joins`)."""
    if not effects(stars).link_joins:
        raise _refused(stars, "link_joins", f"This group has {stars} credit stars: joining by invite link is off")


@rule("R-11.1-1", ErrorCode.STARS_RESTRICTED)
def check_new_members(stars: int) -> None:
    """Two stars: nobody new comes in, by any path (`stars_restricted`, restriction `new_members`)."""
    if not effects(stars).new_members:
        raise _refused(stars, "new_members", f"This group has {stars} credit stars: it takes no new members")


@rule("R-11.1-1", ErrorCode.STARS_RESTRICTED)
def check_message_links(stars: int, text: str) -> None:
    """Two stars: a message carrying a link is refused (`stars_restricted`, restriction `message_links`)."""
    if stars < MESSAGE_LINKS_FROM and holds_link(text):  # on the posting path: the cheap test first
        raise _refused(stars, "message_links", f"This group has {stars} credit stars: messages may not carry links")


# --- what counts as a link ------------------------------------------------------------------------------------------

# Full stops people type for a dot to slip a domain past a filter (。．｡) count as dots.
_DOTS = str.maketrans({"。": ".", "．": ".", "｡": "."})
# The top-level domains links in Chinese chats use, generic and country ones; a bare "word.word" is not a link
# (file names, "e.g.", decimals), a known TLD after a label is.
_TLDS = (
    "com|cn|net|org|info|biz|io|co|me|cc|tv|top|xyz|vip|app|dev|site|online|shop|club|link|ly|gl|to|hk|tw|mo|jp|kr|"
    "ru|uk|us|de|fr|edu|gov|ink|wang|ltd|store|tech|live|fun|icu|work|asia|mobi|pro|name|one|cloud|group|ai|im|fm"
)
_LINK = re.compile(
    r"[a-z][a-z0-9+.\-]{1,15}://\S"  # any scheme: http://, https://, weixin://, ftp://
    r"|\bwww\.[a-z0-9\-]"
    r"|(?<![a-z0-9\-.@])(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+(?:" + _TLDS + r")(?![a-z0-9\-])"
    r"|\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?::\d{1,5})?/",  # an address with a path
)


def holds_link(text: str) -> bool:
    """Whether a message carries a link: a scheme (`https://`, `weixin://`), `www.`, a domain with a known top-level
    domain (`example.com`, `t.cn/abc`, full-width or with 。 for the dot), or a bare address with a path. An e-mail
    address is not a link."""
    folded = unicodedata.normalize("NFKC", text).translate(_DOTS).lower()
    return _LINK.search(folded) is not None
