"""identity, personal data, documents

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import qunzu.storage.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


APPEND_ONLY = ("pii_access_log", "verifications")


def _append_only_up() -> None:
    """Records that no role can edit (R-6.2-2, R-6.2-3): the database itself refuses UPDATE and DELETE."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION qunzu_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END; $$ LANGUAGE plpgsql"
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION qunzu_append_only()"
            )
    else:
        for table in APPEND_ONLY:
            for event in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
                )


def _append_only_down() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute("DROP FUNCTION IF EXISTS qunzu_append_only()")
    else:
        for table in APPEND_ONLY:
            for event in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{event}")


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title_zh", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("body_zh", sa.Text(), nullable=False),
        sa.Column("body_en", sa.Text(), nullable=False),
        sa.Column("summary_zh", sa.Text(), server_default="", nullable=False),
        sa.Column("summary_en", sa.Text(), server_default="", nullable=False),
        sa.Column("effective_at", qunzu.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_at", qunzu.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint("kind", "version", name="uq_documents_kind_version"),
    )
    op.create_table(
        "identity_slots",
        sa.Column("subject", sa.String(length=80), nullable=False),
        sa.Column("accounts", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("subject", name=op.f("pk_identity_slots")),
    )
    op.create_table(
        "pii_access_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("ts", qunzu.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("staff_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("staff_role", sa.String(length=32), nullable=False),
        sa.Column("subject_user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("case_number", sa.String(length=64), nullable=False),
        sa.Column("src_ip", sa.String(length=64), nullable=True),
        sa.Column("src_port", sa.Integer(), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("row_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pii_access_log")),
    )
    with op.batch_alter_table("pii_access_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pii_access_log_subject_user_id"), ["subject_user_id"], unique=False)

    op.create_table(
        "sms_outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("created_at", qunzu.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("phone_ct", sa.Text(), nullable=False),
        sa.Column("phone_masked", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_outbox")),
    )
    op.create_table(
        "acceptances",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("accepted_at", qunzu.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("src_ip", sa.String(length=64), nullable=True),
        sa.Column("src_port", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_acceptances_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acceptances")),
    )
    with op.batch_alter_table("acceptances", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_acceptances_user_id"), ["user_id"], unique=False)

    op.create_table(
        "identities",
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("level", sa.Integer(), server_default="0", nullable=False),
        sa.Column("phone_ct", sa.Text(), nullable=True),
        sa.Column("phone_hmac", sa.String(length=64), nullable=True),
        sa.Column("phone_verified_at", qunzu.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("name_ct", sa.Text(), nullable=True),
        sa.Column("id_number_ct", sa.Text(), nullable=True),
        sa.Column("id_hmac", sa.String(length=64), nullable=True),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("id_verified_at", qunzu.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lapsed_at", qunzu.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("purge_after", qunzu.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_identities_user_id_users")),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_identities")),
    )
    with op.batch_alter_table("identities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_identities_id_hmac"), ["id_hmac"], unique=False)
        batch_op.create_index(batch_op.f("ix_identities_phone_hmac"), ["phone_hmac"], unique=False)

    op.create_table(
        "manual_submissions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", qunzu.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("name_ct", sa.Text(), nullable=True),
        sa.Column("id_number_ct", sa.Text(), nullable=True),
        sa.Column("document_ct", sa.Text(), nullable=True),
        sa.Column("document_type", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_manual_submissions_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manual_submissions")),
    )
    with op.batch_alter_table("manual_submissions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_manual_submissions_user_id"), ["user_id"], unique=False)

    op.create_table(
        "phone_challenges",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("phone_ct", sa.Text(), nullable=False),
        sa.Column("phone_hmac", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", qunzu.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", qunzu.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("locked_at", qunzu.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("used_at", qunzu.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_phone_challenges_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phone_challenges")),
    )
    with op.batch_alter_table("phone_challenges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_phone_challenges_user_id"), ["user_id"], unique=False)

    op.create_table(
        "verifications",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=24), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=False),
        sa.Column("authoritative", sa.Integer(), server_default="1", nullable=False),
        sa.Column("vendor_txn", sa.String(length=128), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("created_at", qunzu.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("submission_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_verifications_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verifications")),
    )
    with op.batch_alter_table("verifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_verifications_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("verification_level", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("agreement_version", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("cancelled_at", qunzu.storage.types.UTCDateTime(timezone=True), nullable=True))

    _append_only_up()


def downgrade() -> None:
    _append_only_down()
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("cancelled_at")
        batch_op.drop_column("agreement_version")
        batch_op.drop_column("verification_level")

    with op.batch_alter_table("verifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_verifications_user_id"))

    op.drop_table("verifications")
    with op.batch_alter_table("phone_challenges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_phone_challenges_user_id"))

    op.drop_table("phone_challenges")
    with op.batch_alter_table("manual_submissions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_manual_submissions_user_id"))

    op.drop_table("manual_submissions")
    with op.batch_alter_table("identities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identities_phone_hmac"))
        batch_op.drop_index(batch_op.f("ix_identities_id_hmac"))

    op.drop_table("identities")
    with op.batch_alter_table("acceptances", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_acceptances_user_id"))

    op.drop_table("acceptances")
    op.drop_table("sms_outbox")
    with op.batch_alter_table("pii_access_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pii_access_log_subject_user_id"))

    op.drop_table("pii_access_log")
    op.drop_table("identity_slots")
    op.drop_table("documents")
