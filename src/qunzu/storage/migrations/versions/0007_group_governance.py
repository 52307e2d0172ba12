"""group governance: tiers, join modes, caps, requests, invitations, links, pins, keywords, policy versions

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import qunzu.storage.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = qunzu.storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("groups_owned", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("groups_joined", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("created_day", sa.String(length=10), nullable=True))
        batch.add_column(sa.Column("created_today", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("groups") as batch:
        batch.add_column(sa.Column("max_tier", sa.String(length=4), server_default="L", nullable=False))
        batch.add_column(sa.Column("activity_tier", sa.String(length=8), server_default="quiet", nullable=False))
        batch.add_column(sa.Column("activity_at", TS, nullable=True))
        batch.add_column(sa.Column("join_mode", sa.String(length=16), server_default="open", nullable=False))
        batch.add_column(sa.Column("join_question", sa.String(length=200), server_default="", nullable=False))
        batch.add_column(sa.Column("invite_rights", sa.String(length=16), server_default="all", nullable=False))
        batch.add_column(sa.Column("mute_all", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column("slow_mode_seconds", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("closed_by", BIG, nullable=True))
        batch.add_column(sa.Column("closed_reason", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("review_reason", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("purpose", sa.String(length=500), server_default="", nullable=False))
    with op.batch_alter_table("memberships") as batch:
        batch.add_column(sa.Column("muted_until", TS, nullable=True))
        batch.add_column(sa.Column("muted_by", BIG, nullable=True))
        batch.add_column(sa.Column("duties_version", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("rules_seen_at", TS, nullable=True))

    # legacy groups (R-15-1): the ceiling tier from the cap they had; the users' counters from what exists
    op.execute(
        "UPDATE groups SET max_tier = CASE WHEN member_cap <= 40 THEN 'S' WHEN member_cap <= 100 THEN 'M' "
        "WHEN member_cap <= 500 THEN 'L' ELSE 'XL' END"
    )
    op.execute(
        "UPDATE users SET groups_owned = (SELECT COUNT(*) FROM groups g WHERE g.owner_id = users.id "
        "AND g.status = 'active'), groups_joined = (SELECT COUNT(*) FROM memberships m WHERE m.user_id = users.id)"
    )

    op.create_table(
        "join_requests",
        sa.Column("id", BIG, autoincrement=True, nullable=False),
        sa.Column("group_id", BIG, nullable=False),
        sa.Column("user_id", BIG, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("invited_by", BIG, nullable=True),
        sa.Column("link_id", BIG, nullable=True),
        sa.Column("answer", sa.String(length=500), server_default="", nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("decided_by", BIG, nullable=True),
        sa.Column("open_key", sa.String(length=48), nullable=True),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], name=op.f("fk_join_requests_group_id_groups")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_join_requests_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_join_requests")),
        sa.UniqueConstraint("open_key", name=op.f("uq_join_requests_open_key")),
    )
    with op.batch_alter_table("join_requests") as batch:
        batch.create_index(batch.f("ix_join_requests_group_id"), ["group_id"], unique=False)
        batch.create_index(batch.f("ix_join_requests_user_id"), ["user_id"], unique=False)

    op.create_table(
        "invite_links",
        sa.Column("id", BIG, autoincrement=True, nullable=False),
        sa.Column("group_id", BIG, nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("created_by", BIG, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("revoked_at", TS, nullable=True),
        sa.Column("revoked_by", BIG, nullable=True),
        sa.Column("uses", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], name=op.f("fk_invite_links_group_id_groups")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invite_links")),
        sa.UniqueConstraint("token", name=op.f("uq_invite_links_token")),
    )
    with op.batch_alter_table("invite_links") as batch:
        batch.create_index(batch.f("ix_invite_links_group_id"), ["group_id"], unique=False)

    op.create_table(
        "role_offers",
        sa.Column("id", BIG, autoincrement=True, nullable=False),
        sa.Column("group_id", BIG, nullable=False),
        sa.Column("user_id", BIG, nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("offered_by", BIG, nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("open_key", sa.String(length=48), nullable=True),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], name=op.f("fk_role_offers_group_id_groups")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_role_offers_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_offers")),
        sa.UniqueConstraint("open_key", name=op.f("uq_role_offers_open_key")),
    )
    with op.batch_alter_table("role_offers") as batch:
        batch.create_index(batch.f("ix_role_offers_group_id"), ["group_id"], unique=False)
        batch.create_index(batch.f("ix_role_offers_user_id"), ["user_id"], unique=False)

    op.create_table(
        "group_pins",
        sa.Column("group_id", BIG, nullable=False),
        sa.Column("message_id", BIG, nullable=False),
        sa.Column("pinned_by", BIG, nullable=False),
        sa.Column("pinned_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], name=op.f("fk_group_pins_group_id_groups")),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], name=op.f("fk_group_pins_message_id_messages")),
        sa.PrimaryKeyConstraint("group_id", "message_id", name=op.f("pk_group_pins")),
    )

    op.create_table(
        "group_keywords",
        sa.Column("id", BIG, autoincrement=True, nullable=False),
        sa.Column("group_id", BIG, nullable=False),
        sa.Column("term", sa.String(length=64), nullable=False),
        sa.Column("added_by", BIG, nullable=False),
        sa.Column("added_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], name=op.f("fk_group_keywords_group_id_groups")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_keywords")),
        sa.UniqueConstraint("group_id", "term", name="uq_group_keywords_group_term"),
    )

    op.create_table(
        "policy_versions",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(length=500), server_default="", nullable=False),
        sa.Column("created_by", BIG, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("filed_at", TS, nullable=True),
        sa.Column("filed_ref", sa.String(length=100), nullable=True),
        sa.Column("filed_by", BIG, nullable=True),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_policy_versions")),
    )

    op.create_table(
        "cap_requests",
        sa.Column("id", BIG, autoincrement=True, nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("requested_by", BIG, nullable=False),
        sa.Column("requested_at", TS, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", BIG, nullable=True),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("decision_note", sa.String(length=500), nullable=True),
        sa.Column("policy_version", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cap_requests")),
    )
    _credit_ledger_append_only()


def _credit_ledger_append_only() -> None:
    """The credit ledger is append-only (R-7.2-1): the database refuses UPDATE and DELETE, as for 0002's records."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION qunzu_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER credit_events_append_only BEFORE UPDATE OR DELETE ON credit_events "
            "FOR EACH ROW EXECUTE FUNCTION qunzu_append_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER credit_events_no_{event.lower()} BEFORE {event} ON credit_events "
                "BEGIN SELECT RAISE(ABORT, 'credit_events is append-only'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS credit_events_append_only ON credit_events")
    else:
        for event in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS credit_events_no_{event}")
    op.drop_table("cap_requests")
    op.drop_table("policy_versions")
    op.drop_table("group_keywords")
    op.drop_table("group_pins")
    with op.batch_alter_table("role_offers") as batch:
        batch.drop_index(batch.f("ix_role_offers_user_id"))
        batch.drop_index(batch.f("ix_role_offers_group_id"))
    op.drop_table("role_offers")
    with op.batch_alter_table("invite_links") as batch:
        batch.drop_index(batch.f("ix_invite_links_group_id"))
    op.drop_table("invite_links")
    with op.batch_alter_table("join_requests") as batch:
        batch.drop_index(batch.f("ix_join_requests_user_id"))
        batch.drop_index(batch.f("ix_join_requests_group_id"))
    op.drop_table("join_requests")
    with op.batch_alter_table("memberships") as batch:
        for name in ("rules_seen_at", "duties_version", "muted_by", "muted_until"):
            batch.drop_column(name)
    with op.batch_alter_table("groups") as batch:
        for name in (
            "purpose", "review_reason", "closed_reason", "closed_by", "slow_mode_seconds", "mute_all", "invite_rights",
            "join_question", "join_mode", "activity_at", "activity_tier", "max_tier",
        ):  # fmt: skip
            batch.drop_column(name)
    with op.batch_alter_table("users") as batch:
        for name in ("created_today", "created_day", "groups_joined", "groups_owned"):
            batch.drop_column(name)
