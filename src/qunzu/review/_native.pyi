# The C module built from _native.c (optional; textview.py falls back to Python without it).
from collections.abc import Callable
from typing import Any

VERSION: int
FLAG_LATIN: int
FLAG_STAND_IN: int

def fold_view(
    text: str, classes: bytes, fold: bytes, /
) -> tuple[str, str | None, list[int] | None, list[int] | None, int, list[bytes], list[int] | None] | None: ...
def collect(
    raw: list[tuple[int, int, int]],
    quick: list[int | None],
    after: list[str | None],
    folded: str,
    cuts: list[int] | None,
    shifts: list[int] | None,
    pair_chars: list[str | None],
    contexts: dict[str, tuple[str, str, bool]],
    visible: list[int] | None,
    r2: list[tuple[tuple[int, int, bool, str, str], ...] | None],
    words: frozenset[str],
    max_word: int,
    /,
) -> tuple[dict[tuple[int, int, int], tuple[int, int, int]], list[tuple[int, int, int]], list[tuple[int, str]]]: ...
def hits_of(
    accepted: dict[tuple[int, int, int], tuple[int, int, int]],
    info: dict[int, tuple[Any, ...]],
    info_of: Callable[[int], tuple[Any, ...]],
    vias: dict[int, str],
    hit_type: type[tuple[Any, ...]],
    /,
) -> tuple[list[Any], int, list[Any]]: ...
