"""A tiny, safe reader of the Markdown the published documents use: headings, paragraphs, lists, **bold**.

It returns structure only (block kinds and text runs); the template escapes every run, so no document text
ever becomes markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

LIST_ITEM = re.compile(r"^(\s*)([-*]|\d+[.)])\s+(.*)$")


@dataclass
class Block:
    kind: str  # "h2" | "h3" | "p" | "li"
    runs: list[tuple[str, bool]] = field(default_factory=list)  # (text, bold)
    depth: int = 0
    marker: str = ""  # "1." for numbered items, "•" for bullets


def runs(text: str) -> list[tuple[str, bool]]:
    """Split `a **b** c` into [("a ", False), ("b", True), (" c", False)]."""
    parts = text.split("**")
    if len(parts) % 2 == 0:  # an unmatched ** stays literal
        return [(text, False)]
    return [(part, i % 2 == 1) for i, part in enumerate(parts) if part]


def blocks(text: str) -> list[Block]:
    out: list[Block] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            out.append(Block("p", runs(" ".join(paragraph))))
            paragraph.clear()

    for raw in text.splitlines():
        line = raw.rstrip()
        if not line.strip():
            flush()
            continue
        if line.startswith("#"):
            flush()
            level = len(line) - len(line.lstrip("#"))
            out.append(Block("h2" if level <= 2 else "h3", runs(line.lstrip("#").strip())))
            continue
        item = LIST_ITEM.match(line)
        if item:
            flush()
            marker = "•" if item.group(2) in "-*" else item.group(2)
            depth = min(len(item.group(1)) // 3, 2)
            out.append(Block("li", runs(item.group(3).strip()), depth=depth, marker=marker))
            continue
        paragraph.append(line.strip())
    flush()
    return out
