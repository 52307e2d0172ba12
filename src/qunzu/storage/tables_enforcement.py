"""The schema of enforcement (Art. 11), complaints and appeals (Art. 12) and reports to the authorities (§3.4),
in the one `metadata` of `qunzu.storage.tables` (which re-exports these tables)."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, Integer, String, Table, Text, false

from qunzu.storage.tables import metadata
from qunzu.storage.types import BigId, UTCDateTime

# --- enforcement (Art. 11), complaints and appeals (Art. 12), reports to the authorities (§3.4) --------------------

enforcement_records = Table(
    "enforcement_records",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("target_type", String(16), nullable=False),  # group | user | message
    Column("target_id", BigId, nullable=False),
    Column("group_id", BigId, nullable=True, index=True),  # the group measured, or the group the evidence is from
    Column("measure", String(32), nullable=False),  # domain/enforcement.py::MeasureKind
    Column("reason_code", String(32), nullable=False),  # the content taxonomy's category
    Column("clause", String(64), nullable=False),  # the agreement or rules clause it rests on (依约)
    Column("legal_basis", String(200), nullable=False),  # the law it rests on (依法)
    Column("reason", Text, nullable=False),  # the decider's statement, shown to the subject
    Column("rectification", Text, nullable=True),  # a warning: what must be fixed (by ends_at)
    Column("stars", Integer, nullable=True),  # a `group_stars` measure: the stars it lowers the group to
    Column("evidence", JSON, nullable=False),  # copies of the messages concerned, each with its SHA-256
    Column("evidence_sha256", String(64), nullable=False),
    Column("source", String(16), nullable=False),  # platform | review | complaint | authority | blacklist
    Column("source_ref", String(100), nullable=True),  # the ticket, review item or authority document
    Column("decided_by", BigId, nullable=True),
    Column("starts_at", UTCDateTime(), nullable=False),
    Column("ends_at", UTCDateTime(), nullable=True, index=True),  # None: until lifted
    Column("status", String(16), nullable=False, index=True),  # active | lifted | expired | resolved | overdue
    Column("lifted_at", UTCDateTime(), nullable=True),
    Column("lifted_by", BigId, nullable=True),
    Column("lift_reason", String(200), nullable=True),
    Column("owner_response", Text, nullable=True),  # a warning: what the owner says was done (D12)
    Column("responded_at", UTCDateTime(), nullable=True),
    Column("credit_event_id", BigId, nullable=True),
    Column("notified_at", UTCDateTime(), nullable=True),
    Column("reported_at", UTCDateTime(), nullable=True, index=True),  # the report item (R-11.1-2)
    Column("report_id", BigId, nullable=True),  # the disclosure-register entry that carried it
    Column("created_at", UTCDateTime(), nullable=False, index=True),
    Index("ix_enforcement_records_target", "target_type", "target_id"),
)

blacklist_entries = Table(
    "blacklist_entries",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("subject_type", String(16), nullable=False),  # group | account | identity
    Column("subject_key", String(64), nullable=False),  # the group id, the user id, or the identity HMAC (hex)
    Column("label", String(100), nullable=False),  # what staff see: group code, username, masked identity
    Column("severity", Integer, nullable=False),  # domain/restrictions.py::BlacklistLevel
    Column("source", String(16), nullable=False),  # platform | authority
    Column("authority_ref", String(100), nullable=True),  # the authority's instruction (document number)
    Column("reason", Text, nullable=False),
    Column("evidence", JSON, nullable=False),
    Column("record_id", BigId, nullable=True),  # the enforcement record it follows from
    Column("starts_at", UTCDateTime(), nullable=False),
    Column("review_at", UTCDateTime(), nullable=False, index=True),
    Column("ends_at", UTCDateTime(), nullable=True),  # None: until removed
    Column("removed_at", UTCDateTime(), nullable=True),
    Column("removed_by", BigId, nullable=True),
    Column("created_by", BigId, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_blacklist_entries_subject", "subject_type", "subject_key"),
)

blacklist_changes = Table(
    "blacklist_changes",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("entry_id", BigId, ForeignKey("blacklist_entries.id"), nullable=False, index=True),
    Column("change", String(16), nullable=False),  # added | changed | reviewed | removed | expired
    Column("actor_id", BigId, nullable=True),
    Column("before", JSON, nullable=True),
    Column("after", JSON, nullable=True),
    Column("reason", Text, nullable=False),
    Column("at", UTCDateTime(), nullable=False, index=True),
    Column("reported_at", UTCDateTime(), nullable=True),
    Column("report_id", BigId, nullable=True),
)

content_bans = Table(
    "content_bans",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("text_sha256", String(64), nullable=False, unique=True),  # of the text as the review engine sees it
    Column("category", String(32), nullable=False),
    Column("record_id", BigId, nullable=True),  # the enforcement record that found it illegal
    Column("message_id", BigId, nullable=True),
    Column("created_by", BigId, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
)

tickets = Table(
    "tickets",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("number", String(24), nullable=False, unique=True),  # shown to the reporter
    Column("channel", String(16), nullable=False),  # app | form | email | phone
    Column("reporter_id", BigId, nullable=True, index=True),  # None: a report through the public form
    Column("reporter_contact", Text, nullable=True),  # encrypted (services/keys.py), the form's contact
    Column("lookup_hash", String(64), nullable=True),  # the form reporter's status code, hashed
    Column("target_type", String(16), nullable=False),  # message | user | group
    Column("target_id", String(64), nullable=False),
    Column("target_key", String(96), nullable=False, index=True),  # "message:42": tickets on one target group
    Column("group_id", BigId, nullable=True, index=True),
    Column("category", String(32), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("snapshot", JSON, nullable=False),  # the content and its context when reported
    Column("snapshot_sha256", String(64), nullable=False),
    Column("high_risk", Boolean, nullable=False, server_default=false()),
    Column("priority", Integer, nullable=False, server_default="0"),
    Column("status", String(16), nullable=False, index=True),  # received | in_review | upheld | rejected
    Column("claimed_by", BigId, nullable=True),
    Column("claimed_at", UTCDateTime(), nullable=True),
    Column("received_at", UTCDateTime(), nullable=False, index=True),
    Column("due_at", UTCDateTime(), nullable=False),  # the SLA (D14)
    Column("decided_at", UTCDateTime(), nullable=True),
    Column("decided_by", BigId, nullable=True),
    Column("decision_reason", Text, nullable=True),
    Column("record_id", BigId, nullable=True),  # the measure an upheld ticket caused
    Column("feedback_at", UTCDateTime(), nullable=True),  # the reporter told
    Column("reported_at", UTCDateTime(), nullable=True),
    Column("report_id", BigId, nullable=True),
)

appeals = Table(
    "appeals",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("record_id", BigId, nullable=True, unique=True),  # the measure appealed (once per measure)
    Column("credit_event_id", BigId, nullable=True, unique=True),  # or the deduction appealed
    Column("blacklist_entry_id", BigId, nullable=True, unique=True),  # or the blacklist entry (once per entry)
    Column("appellant_id", BigId, nullable=False, index=True),
    Column("statement", Text, nullable=False),
    Column("status", String(16), nullable=False, index=True),  # pending | upheld | rejected
    Column("created_at", UTCDateTime(), nullable=False),
    Column("due_at", UTCDateTime(), nullable=False),
    Column("decided_at", UTCDateTime(), nullable=True),
    Column("decided_by", BigId, nullable=True),
    Column("decision_reason", Text, nullable=True),
    Column("reported_at", UTCDateTime(), nullable=True),
    Column("report_id", BigId, nullable=True),
)

disclosure_register = Table(
    "disclosure_register",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("kind", String(24), nullable=False),  # enforcement_report | lawful_request
    Column("authority", String(200), nullable=False),
    Column("document_number", String(100), nullable=True),
    Column("scope", JSON, nullable=False),
    Column("period_from", UTCDateTime(), nullable=False),
    Column("period_to", UTCDateTime(), nullable=False),
    Column("counts", JSON, nullable=False),  # records per section
    Column("manifest_sha256", String(64), nullable=False),
    Column("signature", String(128), nullable=False),  # Ed25519 over the manifest, hex
    Column("key_id", String(64), nullable=False),  # the public key's SHA-256, hex
    Column("file_name", String(200), nullable=False),
    Column("created_by", BigId, nullable=True),
    Column("approved_by", BigId, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False, index=True),
    Column("delivered_at", UTCDateTime(), nullable=True),
)
