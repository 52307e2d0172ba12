"""enforcement: measures, blacklist, banned content, complaint tickets, appeals, the disclosure register

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import qunzu.storage.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "appeals",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("record_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("credit_event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("blacklist_entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("appellant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", qunzu.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", qunzu.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", qunzu.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("reported_at", qunzu.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("report_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeals")),
        sa.UniqueConstraint("blacklist_entry_id", name=op.f("uq_appeals_blacklist_entry_id")),
        sa.UniqueConstraint("credit_event_id", name=op.f("uq_appeals_credit_event_id")),
        sa.UniqueConstraint("record_id", name=op.f("uq_appeals_record_id")),
    )
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_appeals_appellant_id"), ["appellant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_appeals_status"), ["status"], unique=False)

    op.create_table(
        "blacklist_entries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("subject_type", sa.String(length=16), nullable=False),
        sa.Column("subject_key", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("authority_ref", sa.String(length=100), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("record_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("starts_at", qunzu.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("review_at", qunzu.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", qunzu.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("removed_at", qunzu.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("removed_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", qunzu.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blacklist_entries")),
    )
    with op.batch_alter_table("blacklist_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_blacklist_entries_review_at"), ["review_at"], unique=False)
        batch_op.create_index("ix_blacklist_entries_subject", ["subject_type", "subject_key"], unique=False)

    op.create_table(
        "content_bans",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("record_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("message_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", qunzu.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_bans")),
        sa.UniqueConstraint("text_sha256", name=op.f("uq_content_bans_text_sha256")),
    )
    op.create_table(
        "disclosure_register",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("authority", sa.String(length=200), nullable=False),
        sa.Column("document_number", sa.String(length=100), nullable=True),
        sa.Column("scope", sa.JSON(), nullable=False),
        sa.Column("period_from", qunzu.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("period_to", qunzu.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("manifest_sha256", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("approved_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", qunzu.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", qunzu.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosure_register")),
    )
    with op.batch_alter_table("disclosure_register", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_disclosure_register_created_at"), ["created_at"], unique=False)

    op.create_table(
        "enforcement_records",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("target_type", sa.String(length=16), nullable=False),
        sa.Column("target_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("group_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("measure", sa.String(length=32), nullable=False),
        sa.Column("reason_code", sa.String(length=32), nullable=False),
        sa.Column("clause", sa.String(length=64), nullable=False),
        sa.Column("legal_basis", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("rectification", sa.Text(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("evidence_sha256", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_ref", sa.String(length=100), nullable=True),
        sa.Column("decided_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("starts_at", qunzu.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", qunzu.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("lifted_at", qunzu.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lifted_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("lift_reason", sa.String(length=200), nullable=True),
        sa.Column("owner_response", sa.Text(), nullable=True),
        sa.Column("responded_at", qunzu.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("credit_event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("notified_at", qunzu.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reported_at", qunzu.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("report_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", qunzu.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enforcement_records")),
    )
    with op.batch_alter_table("enforcement_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_enforcement_records_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_enforcement_records_ends_at"), ["ends_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_enforcement_records_group_id"), ["group_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_enforcement_records_reported_at"), ["reported_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_enforcement_records_status"), ["status"], unique=False)
        batch_op.create_index("ix_enforcement_records_target", ["target_type", "target_id"], unique=False)

    op.create_table(
        "tickets",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("number", sa.String(length=24), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("reporter_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("reporter_contact", sa.Text(), nullable=True),
        sa.Column("lookup_hash", sa.String(length=64), nullable=True),
        sa.Column("target_type", sa.String(length=16), nullable=False),
        sa.Column("target_id", sa.String(length=64), nullable=False),
        sa.Column("target_key", sa.String(length=96), nullable=False),
        sa.Column("group_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("snapshot_sha256", sa.String(length=64), nullable=False),
        sa.Column("high_risk", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("priority", sa.Integer(), server_default="0", nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("claimed_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("claimed_at", qunzu.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("received_at", qunzu.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", qunzu.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", qunzu.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("record_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("feedback_at", qunzu.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reported_at", qunzu.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("report_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
        sa.UniqueConstraint("number", name=op.f("uq_tickets_number")),
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tickets_group_id"), ["group_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tickets_received_at"), ["received_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_tickets_reporter_id"), ["reporter_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tickets_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_tickets_target_key"), ["target_key"], unique=False)

    op.create_table(
        "blacklist_changes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("change", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", qunzu.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reported_at", qunzu.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("report_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["blacklist_entries.id"], name=op.f("fk_blacklist_changes_entry_id_blacklist_entries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blacklist_changes")),
    )
    with op.batch_alter_table("blacklist_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_blacklist_changes_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_blacklist_changes_entry_id"), ["entry_id"], unique=False)

    with op.batch_alter_table("groups", schema=None) as batch_op:
        batch_op.add_column(sa.Column("suspended_until", qunzu.storage.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("hidden", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("joins_frozen", sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("suspended_until", qunzu.storage.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("platform_muted_until", qunzu.storage.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("manage_suspended_until", qunzu.storage.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("create_revoked_until", qunzu.storage.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("blacklist_level", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("blacklist_level")
        batch_op.drop_column("create_revoked_until")
        batch_op.drop_column("manage_suspended_until")
        batch_op.drop_column("platform_muted_until")
        batch_op.drop_column("suspended_until")

    with op.batch_alter_table("groups", schema=None) as batch_op:
        batch_op.drop_column("joins_frozen")
        batch_op.drop_column("hidden")
        batch_op.drop_column("suspended_until")

    with op.batch_alter_table("blacklist_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_blacklist_changes_entry_id"))
        batch_op.drop_index(batch_op.f("ix_blacklist_changes_at"))

    op.drop_table("blacklist_changes")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tickets_target_key"))
        batch_op.drop_index(batch_op.f("ix_tickets_status"))
        batch_op.drop_index(batch_op.f("ix_tickets_reporter_id"))
        batch_op.drop_index(batch_op.f("ix_tickets_received_at"))
        batch_op.drop_index(batch_op.f("ix_tickets_group_id"))

    op.drop_table("tickets")
    with op.batch_alter_table("enforcement_records", schema=None) as batch_op:
        batch_op.drop_index("ix_enforcement_records_target")
        batch_op.drop_index(batch_op.f("ix_enforcement_records_status"))
        batch_op.drop_index(batch_op.f("ix_enforcement_records_reported_at"))
        batch_op.drop_index(batch_op.f("ix_enforcement_records_group_id"))
        batch_op.drop_index(batch_op.f("ix_enforcement_records_ends_at"))
        batch_op.drop_index(batch_op.f("ix_enforcement_records_created_at"))

    op.drop_table("enforcement_records")
    with op.batch_alter_table("disclosure_register", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disclosure_register_created_at"))

    op.drop_table("disclosure_register")
    op.drop_table("content_bans")
    with op.batch_alter_table("blacklist_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_blacklist_entries_subject")
        batch_op.drop_index(batch_op.f("ix_blacklist_entries_review_at"))

    op.drop_table("blacklist_entries")
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appeals_status"))
        batch_op.drop_index(batch_op.f("ix_appeals_appellant_id"))

    op.drop_table("appeals")
