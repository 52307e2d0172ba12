"""network log: the rest of the field set, the daily hash chains, legal holds, and triggers that refuse changes

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import qunzu.storage.types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = qunzu.storage.types.UTCDateTime(timezone=True)
# The legal floor (config.py::LOG_RETENTION_FLOOR_DAYS): the database itself refuses to delete a younger record.
FLOOR_DAYS = 184
GUARDED = ("operation_log", "log_seals")


def upgrade() -> None:
    # SQLite: AUTOINCREMENT, so the id of a purged record is never given to a new one (a log's ids are its
    # references: seals, archives, reports); the table is copied once. PostgreSQL identities never reuse.
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table(
        "operation_log",
        schema=None,
        recreate="always" if sqlite else "auto",
        table_kwargs={"sqlite_autoincrement": True},
    ) as batch_op:
        batch_op.add_column(sa.Column("dst_ip", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("dst_port", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("client_type", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("client_version", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("device_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("session_hash", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("error_code", sa.String(length=48), nullable=True))
        batch_op.drop_index(batch_op.f("ix_operation_log_actor_id"))
        batch_op.create_index("ix_operation_log_actor_ts", ["actor_id", "ts"], unique=False)
        batch_op.create_index("ix_operation_log_ip_ts", ["src_ip", "ts"], unique=False)

    op.create_table(
        "log_seals",
        sa.Column("record_id", BigId, autoincrement=False, nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("ts", When, nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("sealed_at", When, nullable=False),
        sa.PrimaryKeyConstraint("record_id", name=op.f("pk_log_seals")),
        sa.UniqueConstraint("day", "seq", name="uq_log_seals_day_seq"),
    )
    op.create_table(
        "log_days",
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("records", sa.Integer(), server_default="0", nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.Column("sealed_at", When, nullable=True),
        sa.Column("archive_file", sa.String(length=200), nullable=True),
        sa.Column("archive_sha256", sa.String(length=64), nullable=True),
        sa.Column("archived_at", When, nullable=True),
        sa.Column("purged_at", When, nullable=True),
        sa.Column("purged_records", sa.Integer(), nullable=True),
        sa.Column("held_records", sa.Integer(), nullable=True),
        sa.Column("restored_at", When, nullable=True),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_log_days")),
    )
    op.create_table(
        "legal_holds",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("subject_type", sa.String(length=16), nullable=False),
        sa.Column("subject_id", BigId, nullable=True),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("starts_at", When, nullable=True),
        sa.Column("ends_at", When, nullable=True),
        sa.Column("authority", sa.String(length=200), nullable=False),
        sa.Column("document_number", sa.String(length=100), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", BigId, nullable=True),
        sa.Column("created_at", When, nullable=False),
        sa.Column("released_at", When, nullable=True),
        sa.Column("released_by", BigId, nullable=True),
        sa.Column("release_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_holds")),
    )
    with op.batch_alter_table("legal_holds", schema=None) as batch_op:
        batch_op.create_index("ix_legal_holds_subject", ["subject_type", "subject_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_legal_holds_released_at"), ["released_at"], unique=False)
    op.create_table(
        "log_purge_permits",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("before", When, nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_purge_permits")),
    )
    _guards()


def _guards() -> None:
    """UPDATE is refused on the log and its seals; DELETE too, except a purge's: a record past the legal floor by
    the database's own clock, while a purge permit covering it exists (netlog/retention.py writes one for the
    length of its transaction). An operator with the database's owner rights can drop a trigger; `qunzu logs
    verify` then finds what changed."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION qunzu_log_guard() RETURNS trigger AS $$ BEGIN "
            f"IF TG_OP = 'DELETE' AND OLD.ts < now() - interval '{FLOOR_DAYS} days' "
            "AND EXISTS (SELECT 1 FROM log_purge_permits p WHERE p.before > OLD.ts) THEN RETURN OLD; END IF; "
            "RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP; END; $$ LANGUAGE plpgsql"
        )
        for table in GUARDED:
            op.execute(
                f"CREATE TRIGGER {table}_guard BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION qunzu_log_guard()"
            )
        return
    for table in GUARDED:
        op.execute(
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
        )
        op.execute(
            f"CREATE TRIGGER {table}_purge_only BEFORE DELETE ON {table} "
            f"WHEN OLD.ts >= strftime('%Y-%m-%d %H:%M:%f', 'now', '-{FLOOR_DAYS} days') "
            "OR NOT EXISTS (SELECT 1 FROM log_purge_permits p WHERE p.before > OLD.ts) "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: only a purge past retention deletes'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in GUARDED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_guard ON {table}")
        op.execute("DROP FUNCTION IF EXISTS qunzu_log_guard()")
    else:
        for table in GUARDED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_purge_only")
    op.drop_table("log_purge_permits")
    with op.batch_alter_table("legal_holds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_legal_holds_released_at"))
        batch_op.drop_index("ix_legal_holds_subject")
    op.drop_table("legal_holds")
    op.drop_table("log_days")
    op.drop_table("log_seals")
    with op.batch_alter_table("operation_log", schema=None) as batch_op:
        batch_op.drop_index("ix_operation_log_ip_ts")
        batch_op.drop_index("ix_operation_log_actor_ts")
        batch_op.create_index(batch_op.f("ix_operation_log_actor_id"), ["actor_id"], unique=False)
        batch_op.drop_column("error_code")
        batch_op.drop_column("session_hash")
        batch_op.drop_column("device_id")
        batch_op.drop_column("client_version")
        batch_op.drop_column("client_type")
        batch_op.drop_column("dst_port")
        batch_op.drop_column("dst_ip")
