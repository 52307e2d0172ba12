# The C module built from _native.c (optional; textview.py falls back to Python without it).
VERSION: int
FLAG_LATIN: int
FLAG_AT_DOLLAR: int

def fold_view(
    text: str, classes: bytes, fold: bytes, /
) -> tuple[str, str | None, list[int] | None, list[int] | None, int, list[bytes]] | None: ...
