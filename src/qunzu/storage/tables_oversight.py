"""The schema of emergency handling (Art. 5, R-5.1-4), the review team's shifts (R-5.1-1) and the regulators'
scoped access (R-3-1, R-13.1-4), in the one `metadata` of `qunzu.storage.tables` (which re-exports these tables)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, Index, String, Table, Text

from qunzu.storage.tables import metadata
from qunzu.storage.types import BigId, UTCDateTime

# An emergency switch: on from `turned_on_at` until `turned_off_at`. Every change is also an event row, whose
# highest id is the version every process polls (a change is in force everywhere within the poll period).
emergency_switches = Table(
    "emergency_switches",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("scope", String(16), nullable=False),  # platform | category | group
    Column("scope_key", String(32), nullable=False),  # "" | the category | the group id
    Column("kind", String(24), nullable=False),  # domain/emergency.py: stop_create, stop_send, read_only ...
    Column("reason", Text, nullable=False),
    Column("turned_on_by", BigId, nullable=True),
    Column("turned_on_at", UTCDateTime(), nullable=False),
    Column("turned_off_by", BigId, nullable=True),
    Column("turned_off_at", UTCDateTime(), nullable=True, index=True),
    Column("off_reason", Text, nullable=True),
    Index("ix_emergency_switches_scope", "scope", "scope_key", "kind"),
)

emergency_switch_events = Table(
    "emergency_switch_events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("switch_id", BigId, ForeignKey("emergency_switches.id"), nullable=False, index=True),
    Column("event", String(8), nullable=False),  # on | off
    Column("actor_id", BigId, nullable=True),
    Column("reason", Text, nullable=False),
    Column("at", UTCDateTime(), nullable=False),
)

# A staff member on shift (reviewing) from `started_at` until `ended_at`: the capacity figures count them.
staff_shifts = Table(
    "staff_shifts",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("user_id", BigId, ForeignKey("users.id"), nullable=False, index=True),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("ended_at", UTCDateTime(), nullable=True, index=True),
)

# What a `regulator` staff account may see (R-3-1): issued to a named official, for groups, categories or a region,
# records within a time window, until it expires (sign-in refused after).
regulator_scopes = Table(
    "regulator_scopes",
    metadata,
    Column("user_id", BigId, ForeignKey("users.id"), primary_key=True),
    Column("official_name", String(100), nullable=False),
    Column("organisation", String(200), nullable=False),
    Column("document_number", String(100), nullable=True),  # the letter that asked for the access
    Column("group_ids", JSON, nullable=False),  # [] = no group named
    Column("categories", JSON, nullable=False),  # [] = no category named
    Column("region", String(64), nullable=True),  # a province, matched against the IP location once it exists
    Column("window_from", UTCDateTime(), nullable=False),  # the records they may see
    Column("window_to", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False, index=True),  # the account's own end
    Column("created_by", BigId, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime(), nullable=True),
    Column("revoked_by", BigId, nullable=True),
)

# A lawful request from an authority (R-13.1-1, CSL Art. 28 / new 30): what it asks for, the officer who recorded it,
# the other officer who approved or refused it, and the signed package that answered it (a disclosure-register row).
lawful_requests = Table(
    "lawful_requests",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("authority", String(200), nullable=False),
    Column("document_number", String(100), nullable=False),
    Column("legal_basis", String(200), nullable=False),
    Column("scope", JSON, nullable=False),  # group ids and codes, user ids, source addresses, include_identity
    Column("period_from", UTCDateTime(), nullable=False),
    Column("period_to", UTCDateTime(), nullable=False),
    Column("reason", Text, nullable=False),
    Column("status", String(16), nullable=False, index=True),  # pending | approved | refused | answered
    Column("requested_by", BigId, nullable=False),
    Column("requested_at", UTCDateTime(), nullable=False),
    Column("decided_by", BigId, nullable=True),
    Column("decided_at", UTCDateTime(), nullable=True),
    Column("decision_reason", Text, nullable=True),
    Column("register_id", BigId, nullable=True),  # the disclosure-register entry of the package
    Column("answered_at", UTCDateTime(), nullable=True),
)
