"""Deterministic synthetic data for the review benchmark: lexicons, Chinese text and chat messages.

Nothing is downloaded. Text is built from the engine's own list of frequent words (real Chinese words,
Zipf-weighted) with Chinese punctuation, some Latin words and digits, and now and then a lexicon term,
sometimes written with an evasion. Terms are drawn from a different distribution (flatter, over a wider
character set), as banned terms are rarer than everyday words.
"""

from __future__ import annotations

import random
import string
from collections.abc import Iterator
from itertools import accumulate

from qunzu.review.words import COMMON_WORDS

CATEGORIES = ["fraud", "gambling", "pornography", "violence", "illegal_goods", "advertising", "politics", "custom"]
ACTIONS = ["block", "block", "hold", "flag"]
LATIN_WORDS = ["OK", "iPhone", "App", "WiFi", "QQ", "VIP", "NBA", "bug", "hello", "PPT", "2024", "100", "DIY"]
PUNCT = "，，，。。！？、；："


def _words() -> list[str]:
    return sorted(set(COMMON_WORDS.split()))


def _chars(words: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for w in words:
        for ch in w:
            seen.setdefault(ch, None)
    extra = [chr(cp) for cp in range(0x4E00, 0x4E00 + 20992, 7)]  # a sparse sweep of the whole block
    for ch in extra:
        seen.setdefault(ch, None)
    return list(seen)


def lexicon_lines(n: int, seed: int = 7) -> list[str]:
    """n distinct terms in the plain format: 90% Han (2-5 characters), 10% Latin/digit."""
    rng = random.Random(seed)
    words = _words()
    chars = _chars(words)
    terms: dict[str, None] = {}
    while len(terms) < n:
        r = rng.random()
        if r < 0.45:
            term = "".join(rng.choices(chars, k=rng.choice([2, 2, 3, 3, 3, 4, 4, 5])))
        elif r < 0.9:
            term = rng.choice(words) + "".join(rng.choices(chars, k=rng.choice([1, 1, 2])))
        elif r < 0.96:
            term = "".join(rng.choices(string.ascii_lowercase, k=rng.randint(5, 9)))
        else:
            term = rng.choice(["vx", "qq", "tg", "wx"]) + "".join(rng.choices(string.digits, k=rng.randint(3, 6)))
        terms.setdefault(term, None)
    return [f"{t}\t{rng.choice(CATEGORIES)}\t{rng.choice(ACTIONS)}" for t in terms]


def _evade(rng: random.Random, term: str) -> str:
    r = rng.random()
    if r < 0.5:
        return term
    if r < 0.75:
        return rng.choice([" ", "*", ".", "-", "❤"]).join(term)
    if r < 0.9:
        return term.upper() if term.isascii() else "\u200b".join(term)
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in term)


def _sentence(rng: random.Random, words: list[str], cum: list[float], terms: list[str], term_rate: float) -> str:
    out: list[str] = []
    for _ in range(rng.randint(3, 9)):
        r = rng.random()
        if r < 0.04:
            out.append(rng.choice(LATIN_WORDS))
        elif terms and r < 0.04 + term_rate:
            out.append(_evade(rng, rng.choice(terms)))
        else:
            out.append(rng.choices(words, cum_weights=cum)[0])
    return "".join(out) + rng.choice(PUNCT)


def corpus(megabytes: float, terms: list[str], seed: int = 11, term_rate: float = 0.002) -> list[str]:
    """Documents (posts of 200-3000 characters) adding up to at least `megabytes` of UTF-8."""
    rng = random.Random(seed)
    words = _words()
    weights = [1.0 / (i + 20) for i in range(len(words))]
    rng.shuffle(weights)
    cum = list(accumulate(weights))
    docs: list[str] = []
    size = 0
    goal = megabytes * 1_000_000
    while size < goal:
        target = rng.randint(200, 3000)
        parts: list[str] = []
        n = 0
        while n < target:
            s = _sentence(rng, words, cum, terms, term_rate)
            parts.append(s)
            n += len(s)
        doc = "".join(parts)
        docs.append(doc)
        size += len(doc.encode())
    return docs


def chat_messages(count: int, terms: list[str], seed: int = 13, term_rate: float = 0.01) -> Iterator[str]:
    """Chat-sized messages of 10-200 characters."""
    rng = random.Random(seed)
    words = _words()
    weights = [1.0 / (i + 20) for i in range(len(words))]
    rng.shuffle(weights)
    cum = list(accumulate(weights))
    for _ in range(count):
        target = min(200, max(10, int(rng.lognormvariate(3.3, 0.7))))
        text = ""
        while len(text) < target:
            text += _sentence(rng, words, cum, terms, term_rate)
        yield text[:target]
