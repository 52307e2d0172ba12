"""network log: on PostgreSQL, operation_log partitioned by month

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07

The table becomes `PARTITION BY RANGE (ts)` with its primary key (id, ts), a default partition for anything no month
covers, and one partition per month from the oldest record to three months ahead (netlog/partitions.py keeps creating
them ahead). The rows move across in the migration's transaction; the id sequence, the indexes and the guard trigger
carry over. SQLite keeps one table.
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_operation_log_ts": "(ts)",
    "ix_operation_log_group_id": "(group_id)",
    "ix_operation_log_actor_ts": "(actor_id, ts)",
    "ix_operation_log_ip_ts": "(src_ip, ts)",
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS operation_log_guard ON operation_log")
    op.execute("ALTER TABLE operation_log RENAME TO operation_log_flat")
    op.execute("ALTER TABLE operation_log_flat RENAME CONSTRAINT pk_operation_log TO pk_operation_log_flat")
    for name in INDEXES:
        op.execute(f"ALTER INDEX {name} RENAME TO {name}_flat")
    op.execute("CREATE TABLE operation_log (LIKE operation_log_flat INCLUDING DEFAULTS) PARTITION BY RANGE (ts)")
    op.execute("ALTER TABLE operation_log ADD CONSTRAINT pk_operation_log PRIMARY KEY (id, ts)")
    for name, columns in INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON operation_log {columns}")
    op.execute("CREATE TABLE operation_log_default PARTITION OF operation_log DEFAULT")
    # a partition per month from the oldest record (or this month) to three months ahead
    op.execute(
        """
        DO $$
        DECLARE m date; last date;
        BEGIN
          m := date_trunc('month', COALESCE((SELECT min(ts) FROM operation_log_flat), now()) AT TIME ZONE 'UTC')::date;
          last := (date_trunc('month', now() AT TIME ZONE 'UTC') + interval '3 months')::date;
          WHILE m <= last LOOP
            EXECUTE format(
              'CREATE TABLE %I PARTITION OF operation_log FOR VALUES FROM (%L) TO (%L)',
              'operation_log_y' || to_char(m, 'YYYY') || 'm' || to_char(m, 'MM'),
              (m::timestamp AT TIME ZONE 'UTC'), ((m + interval '1 month')::timestamp AT TIME ZONE 'UTC'));
            m := (m + interval '1 month')::date;
          END LOOP;
        END $$;
        """
    )
    op.execute("INSERT INTO operation_log SELECT * FROM operation_log_flat")
    op.execute("ALTER SEQUENCE operation_log_id_seq OWNED BY operation_log.id")
    op.execute("DROP TABLE operation_log_flat")
    op.execute(
        "CREATE TRIGGER operation_log_guard BEFORE UPDATE OR DELETE ON operation_log "
        "FOR EACH ROW EXECUTE FUNCTION qunzu_log_guard()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS operation_log_guard ON operation_log")
    op.execute("ALTER TABLE operation_log RENAME TO operation_log_parts")
    op.execute("ALTER TABLE operation_log_parts RENAME CONSTRAINT pk_operation_log TO pk_operation_log_parts")
    for name in INDEXES:
        op.execute(f"ALTER INDEX {name} RENAME TO {name}_parts")
    op.execute("CREATE TABLE operation_log (LIKE operation_log_parts INCLUDING DEFAULTS)")
    op.execute("ALTER TABLE operation_log ADD CONSTRAINT pk_operation_log PRIMARY KEY (id)")
    for name, columns in INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON operation_log {columns}")
    op.execute("INSERT INTO operation_log SELECT * FROM operation_log_parts")
    op.execute("ALTER SEQUENCE operation_log_id_seq OWNED BY operation_log.id")
    op.execute("DROP TABLE operation_log_parts CASCADE")
    op.execute(
        "CREATE TRIGGER operation_log_guard BEFORE UPDATE OR DELETE ON operation_log "
        "FOR EACH ROW EXECUTE FUNCTION qunzu_log_guard()"
    )
