"""oversight: emergency switches and their events, staff shifts, regulator scopes

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import qunzu.storage.types

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = qunzu.storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "emergency_switches",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("scope_key", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("turned_on_by", BigId, nullable=True),
        sa.Column("turned_on_at", When, nullable=False),
        sa.Column("turned_off_by", BigId, nullable=True),
        sa.Column("turned_off_at", When, nullable=True),
        sa.Column("off_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency_switches")),
    )
    with op.batch_alter_table("emergency_switches", schema=None) as batch_op:
        batch_op.create_index("ix_emergency_switches_scope", ["scope", "scope_key", "kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_emergency_switches_turned_off_at"), ["turned_off_at"], unique=False)
    op.create_table(
        "emergency_switch_events",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("switch_id", BigId, nullable=False),
        sa.Column("event", sa.String(length=8), nullable=False),
        sa.Column("actor_id", BigId, nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", When, nullable=False),
        sa.ForeignKeyConstraint(
            ["switch_id"],
            ["emergency_switches.id"],
            name=op.f("fk_emergency_switch_events_switch_id_emergency_switches"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency_switch_events")),
    )
    with op.batch_alter_table("emergency_switch_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_emergency_switch_events_switch_id"), ["switch_id"], unique=False)
    op.create_table(
        "staff_shifts",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("user_id", BigId, nullable=False),
        sa.Column("started_at", When, nullable=False),
        sa.Column("ended_at", When, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_staff_shifts_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_shifts")),
    )
    with op.batch_alter_table("staff_shifts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_shifts_ended_at"), ["ended_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_staff_shifts_user_id"), ["user_id"], unique=False)
    op.create_table(
        "regulator_scopes",
        sa.Column("user_id", BigId, nullable=False),
        sa.Column("official_name", sa.String(length=100), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=False),
        sa.Column("document_number", sa.String(length=100), nullable=True),
        sa.Column("group_ids", sa.JSON(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=True),
        sa.Column("window_from", When, nullable=False),
        sa.Column("window_to", When, nullable=False),
        sa.Column("expires_at", When, nullable=False),
        sa.Column("created_by", BigId, nullable=True),
        sa.Column("created_at", When, nullable=False),
        sa.Column("revoked_at", When, nullable=True),
        sa.Column("revoked_by", BigId, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_regulator_scopes_user_id_users")),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_regulator_scopes")),
    )
    with op.batch_alter_table("regulator_scopes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_regulator_scopes_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("regulator_scopes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_regulator_scopes_expires_at"))
    op.drop_table("regulator_scopes")
    with op.batch_alter_table("staff_shifts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_shifts_user_id"))
        batch_op.drop_index(batch_op.f("ix_staff_shifts_ended_at"))
    op.drop_table("staff_shifts")
    with op.batch_alter_table("emergency_switch_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emergency_switch_events_switch_id"))
    op.drop_table("emergency_switch_events")
    with op.batch_alter_table("emergency_switches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emergency_switches_turned_off_at"))
        batch_op.drop_index("ix_emergency_switches_scope")
    op.drop_table("emergency_switches")
