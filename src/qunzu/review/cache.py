"""The on-disk cache of compiled lexicons and base tables, keyed by content hash.

A file is `MAGIC + sha256(payload) + payload`, written to a temporary file and renamed into place, so a
crash or a concurrent writer never leaves a half-written file that a reader would trust. A file that fails
its checksum is ignored and rebuilt. The cache is an optimisation only: any error reading or writing it
falls back to building in memory.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

MAGIC = b"QZRC1\n"
_DIGEST = 32


def _read(path: Path) -> bytes | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    head = len(MAGIC) + _DIGEST
    if len(data) < head or not data.startswith(MAGIC):
        return None
    payload = data[head:]
    if hashlib.sha256(payload).digest() != data[len(MAGIC) : head]:
        return None
    return payload


def store(path: Path, payload: bytes, *, shared: bool = False) -> None:
    """Write one cache file atomically; a read-only or full disk is not an error (see the module doc).
    A shared file (the installation's copy of the base tables) is readable by every user."""
    _write(path, payload, mode=0o644 if shared else None)


def _write(path: Path, payload: bytes, mode: int | None = None) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
        try:
            if mode is not None and hasattr(os, "fchmod"):
                os.fchmod(fd, mode)
            with os.fdopen(fd, "wb") as fh:
                fh.write(MAGIC + hashlib.sha256(payload).digest())
                fh.write(payload)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        return  # a read-only or full disk only costs the next start-up a rebuild


def cached(
    cache_dir: Path | None, name: str, build: Callable[[], T], dump: Callable[[T], bytes], load: Callable[[bytes], T]
) -> T:
    """The object stored under `name` in `cache_dir`, or a fresh `build()` that is stored for next time."""
    if cache_dir is None:
        return build()
    path = Path(cache_dir) / name
    payload = _read(path)
    if payload is not None:
        try:
            return load(payload)
        except (ValueError, TypeError, EOFError, KeyError):
            pass  # written by another version of the code: rebuild
    obj = build()
    _write(path, dump(obj))
    return obj


def load_cached(path: Path, load: Callable[[bytes], T]) -> T | None:
    """The object in one cache file, or None when it is missing, damaged or from another version."""
    payload = _read(path)
    if payload is None:
        return None
    try:
        return load(payload)
    except (ValueError, TypeError, EOFError, KeyError):
        return None


def store_text(path: Path, text: str) -> None:
    """Write a small text file atomically (an alias from a lexicon file's hash to its compiled form)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError:
        return
