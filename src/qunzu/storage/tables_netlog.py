"""The schema of the network and operation log's integrity and retention (Art. 13 ¶2, R-13.2-*, R-13.1-3), in the
one `metadata` of `qunzu.storage.tables` (which re-exports these tables).

`operation_log` itself is in tables.py. Its records are sealed into one hash chain per UTC day (`log_seals`, by
netlog/chain.py); `log_days` holds each day's head and what retention did to it; `legal_holds` exempt records from
every purge; `log_purge_permits` is what the database triggers look for before they let a purge delete a record.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text, UniqueConstraint

from qunzu.storage.tables import metadata
from qunzu.storage.types import BigId, UTCDateTime

log_seals = Table(
    "log_seals",
    metadata,
    Column("record_id", BigId, primary_key=True, autoincrement=False),  # operation_log.id (no FK: purged apart)
    Column("day", String(10), nullable=False),  # the record's UTC day, YYYY-MM-DD: its chain
    Column("seq", Integer, nullable=False),  # its place in the day's chain, from 1
    Column("ts", UTCDateTime(), nullable=False),  # the record's time (the purge triggers compare it)
    Column("hash", String(64), nullable=False),  # SHA-256 of the previous hash and the record (netlog/chain.py)
    Column("sealed_at", UTCDateTime(), nullable=False),
    UniqueConstraint("day", "seq", name="uq_log_seals_day_seq"),
)

log_days = Table(
    "log_days",
    metadata,
    Column("day", String(10), primary_key=True),
    Column("records", Integer, nullable=False, server_default="0"),  # sealed so far
    Column("head_hash", String(64), nullable=False),  # the hash of the last record sealed
    Column("sealed_at", UTCDateTime(), nullable=True),
    Column("archive_file", String(200), nullable=True),
    Column("archive_sha256", String(64), nullable=True),
    Column("archived_at", UTCDateTime(), nullable=True),
    Column("purged_at", UTCDateTime(), nullable=True),
    Column("purged_records", Integer, nullable=True),
    Column("held_records", Integer, nullable=True),  # kept past retention by a legal hold
    Column("restored_at", UTCDateTime(), nullable=True),  # brought back from its archive (`qunzu logs restore`)
)

legal_holds = Table(
    "legal_holds",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("subject_type", String(16), nullable=False),  # user | group | period
    Column("subject_id", BigId, nullable=True),  # the user or group; None for a period
    Column("label", String(100), nullable=False),  # what staff see: username, group code, the period
    Column("starts_at", UTCDateTime(), nullable=True),  # the time range held (a period; optional for the others)
    Column("ends_at", UTCDateTime(), nullable=True),
    Column("authority", String(200), nullable=False),  # who asked for it
    Column("document_number", String(100), nullable=True),
    Column("reason", Text, nullable=False),
    Column("created_by", BigId, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("released_at", UTCDateTime(), nullable=True, index=True),
    Column("released_by", BigId, nullable=True),
    Column("release_reason", Text, nullable=True),
    Index("ix_legal_holds_subject", "subject_type", "subject_id"),
)

log_purge_permits = Table(
    "log_purge_permits",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("before", UTCDateTime(), nullable=False),  # a purge may delete records older than this
    Column("created_at", UTCDateTime(), nullable=False),
)
