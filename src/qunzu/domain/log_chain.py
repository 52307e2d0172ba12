"""The network and operation log's hash chains (Art. 13 ¶2, R-13.2-1): pure rules, no I/O.

Each UTC day's records form one chain, in the order they were sealed: a record's hash is the SHA-256 of the
previous record's hash, a newline and the record's canonical JSON (every field, sorted keys, UTF-8, times in ISO 8601
with milliseconds). The first record of a day follows the day's genesis hash, so a day's chain can be checked on
its own, and archived and purged on its own. Changing any field of a sealed record, deleting one or reordering them
changes every hash after it; `verify_day` names the first record that no longer fits.

Records are sealed by one writer after they commit (netlog/chain.py), never in the caller's transaction: the order
is the sealing order, not the id order, so a transaction that commits late is sealed late instead of being lost,
and no request waits for the chain (Trillian's sequencer integrates queued leaves the same way).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# The fields a record is hashed over, in the catalogue's order (REQUIREMENTS §3.2); `details` is JSON.
FIELDS = (
    "id", "ts", "actor_id", "action", "target_type", "target_id", "group_id", "src_ip", "src_port", "dst_ip",
    "dst_port", "client_type", "client_version", "device_id", "session_hash", "result", "error_code", "details",
)  # fmt: skip


def day_of(ts: datetime) -> str:
    """The chain a record belongs to: its UTC day, YYYY-MM-DD."""
    return ts.astimezone(UTC).strftime("%Y-%m-%d")


def genesis(day: str) -> str:
    """The hash a day's first record follows."""
    return hashlib.sha256(f"qunzu netlog {day}".encode()).hexdigest()


def _iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def canonical(record: Mapping[str, Any]) -> bytes:
    """A record's bytes as hashed: every field of FIELDS (a missing one is null), sorted keys, no spaces."""
    body: dict[str, Any] = {}
    for name in FIELDS:
        value = record.get(name)
        body[name] = _iso(value) if isinstance(value, datetime) else value
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def link(prev_hash: str, record: Mapping[str, Any]) -> str:
    """The hash of `record` following `prev_hash`."""
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + canonical(record)).hexdigest()


@dataclass(frozen=True, slots=True)
class Break:
    """The first place a day's chain does not hold: the seal's place and record, and what is wrong with it."""

    day: str
    seq: int
    record_id: int
    problem: str  # changed | missing | out_of_order | count | head

    def as_dict(self) -> dict[str, Any]:
        return {"day": self.day, "seq": self.seq, "record_id": self.record_id, "problem": self.problem}


@dataclass(frozen=True, slots=True)
class Sealed:
    """One seal of a day's chain with the record it seals (None: the record is gone)."""

    seq: int
    record_id: int
    hash: str
    record: Mapping[str, Any] | None


def verify_day(day: str, seals: Iterable[Sealed], *, records: int, head_hash: str) -> Break | None:
    """Walk a day's seals in order: each must follow the one before, seal its record as it is now, and the last
    must be the day's head with the day's count. None when the whole day holds."""
    prev, expected, last = genesis(day), 1, None
    for s in seals:
        if s.seq != expected:
            return Break(day, s.seq, s.record_id, "out_of_order")
        if s.record is None:
            return Break(day, s.seq, s.record_id, "missing")
        if link(prev, s.record) != s.hash:
            return Break(day, s.seq, s.record_id, "changed")
        prev, expected, last = s.hash, expected + 1, s
    if expected - 1 != records:
        return Break(day, expected, last.record_id if last else 0, "count")
    if prev != head_hash:
        return Break(day, expected - 1, last.record_id if last else 0, "head")
    return None
