"""The schema. Alembic migrations (storage/migrations) must match this metadata exactly (tested)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

from qunzu.storage.types import BigId, UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

users = Table(
    "users",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("username", String(32), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("nickname", String(64), nullable=False),
    Column("staff_role", String(32), nullable=True),
    Column("status", String(16), nullable=False, server_default="active"),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("reg_ip", String(64), nullable=True),
    Column("reg_port", Integer, nullable=True),
    Column("last_login_at", UTCDateTime(), nullable=True),
    Column("last_login_ip", String(64), nullable=True),
    Column("last_login_port", Integer, nullable=True),
    # denormalised for the hot path (posting): the identity level and the agreement version accepted
    Column("verification_level", Integer, nullable=False, server_default="0"),
    Column("agreement_version", Integer, nullable=False, server_default="0"),
    Column("cancelled_at", UTCDateTime(), nullable=True),
    # caps (Art. 8 ¶1) held by conditional UPDATEs: groups owned, groups joined (pending requests included), groups
    # created on `created_day` (Asia/Shanghai calendar day)
    Column("groups_owned", Integer, nullable=False, server_default="0"),
    Column("groups_joined", Integer, nullable=False, server_default="0"),
    Column("created_day", String(10), nullable=True),
    Column("created_today", Integer, nullable=False, server_default="0"),
    # restrictions from measures and the blacklist (Art. 11), kept here for the hot paths and set only by
    # services/enforcement.py and services/blacklist.py; the records say why. A permanent one holds
    # domain/restrictions.py::PERMANENT.
    Column("suspended_until", UTCDateTime(), nullable=True),  # account suspended
    Column("platform_muted_until", UTCDateTime(), nullable=True),  # may post nowhere
    Column("manage_suspended_until", UTCDateTime(), nullable=True),  # keeps memberships, loses the tools
    Column("create_revoked_until", UTCDateTime(), nullable=True),  # may not create groups
    Column("blacklist_level", Integer, nullable=False, server_default="0"),  # the highest active entry's severity
)

auth_tokens = Table(
    "auth_tokens",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("user_id", BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("kind", String(8), nullable=False),  # api | web
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime(), nullable=True),
    Column("src_ip", String(64), nullable=True),
    Column("src_port", Integer, nullable=True),
)

groups = Table(
    "groups",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("code", String(10), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("category", String(32), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("announcement", Text, nullable=False, server_default=""),  # 群公告, set by the creator or a manager
    Column("announcement_at", UTCDateTime(), nullable=True),
    Column("status", String(16), nullable=False, server_default="active"),
    Column("creator_id", BigId, ForeignKey("users.id"), nullable=False),  # original creator of record (建立者)
    Column("owner_id", BigId, ForeignKey("users.id"), nullable=False),  # current 群主
    Column("member_count", Integer, nullable=False, server_default="0"),
    Column("member_cap", Integer, nullable=False),
    Column("last_seq", Integer, nullable=False, server_default="0"),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("closed_at", UTCDateTime(), nullable=True),
    # Art. 7–9: the size ceiling the group was created for (it sets member_cap); the activity tier of the last
    # recompute; how people join; what managers have switched on
    Column("max_tier", String(4), nullable=False, server_default="L"),
    Column("activity_tier", String(8), nullable=False, server_default="quiet"),
    Column("activity_at", UTCDateTime(), nullable=True),
    Column("join_mode", String(16), nullable=False, server_default="open"),  # open | approval | invitation
    Column("join_question", String(200), nullable=False, server_default=""),
    Column("invite_rights", String(16), nullable=False, server_default="all"),  # all | managers
    Column("mute_all", Boolean, nullable=False, server_default=false()),
    Column("slow_mode_seconds", Integer, nullable=False, server_default="0"),
    Column("closed_by", BigId, nullable=True),
    Column("closed_reason", String(200), nullable=True),
    Column("review_reason", String(200), nullable=True),  # the creation reviewer's reason (approved or refused)
    Column("purpose", String(500), nullable=False, server_default=""),  # the creator's statement of purpose (D16)
    # platform measures (Art. 11 ¶1), set only by services/enforcement.py; the enforcement records say why
    Column("suspended_until", UTCDateTime(), nullable=True),  # 暂停发布: reading continues, posting refused
    Column("hidden", Boolean, nullable=False, server_default=false()),  # out of search and the public info page
    Column("joins_frozen", Boolean, nullable=False, server_default=false()),  # no new members
    # 群信用星级 (group rules ch. 8): 5 unless a `group_stars` measure lowers it (domain/group_stars.py)
    Column("stars", Integer, nullable=False, server_default="5"),
    Column("listed", Boolean, nullable=False, server_default=false(), index=True),  # the owner lists it in search
)

memberships = Table(
    "memberships",
    metadata,
    Column("group_id", BigId, ForeignKey("groups.id"), primary_key=True),
    Column("user_id", BigId, ForeignKey("users.id"), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("joined_at", UTCDateTime(), nullable=False),
    Column("muted_until", UTCDateTime(), nullable=True),  # 禁言 until then (R-9.3-1)
    Column("muted_by", BigId, nullable=True),
    Column("duties_version", Integer, nullable=True),  # the owner-duties notice the owner or manager accepted
    Column("rules_seen_at", UTCDateTime(), nullable=True),  # the rules card acknowledged after joining (R-9.2-1)
    Index("ix_memberships_user_id", "user_id"),
)

# --- joining (Art. 8 ¶3): requests to join, invitations, invite links ---------------------------------------------

join_requests = Table(
    "join_requests",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("group_id", BigId, ForeignKey("groups.id"), nullable=False, index=True),
    Column("user_id", BigId, ForeignKey("users.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # request (asks managers) | invitation (asks the invitee)
    Column("invited_by", BigId, nullable=True),
    Column("link_id", BigId, nullable=True),
    Column("answer", String(500), nullable=False, server_default=""),  # the answer to the group's join question
    Column("status", String(16), nullable=False),  # pending | approved | refused | accepted | declined | withdrawn
    Column("reason", String(200), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("decided_at", UTCDateTime(), nullable=True),
    Column("decided_by", BigId, nullable=True),
    # "<group>:<user>" while pending, NULL after: at most one open request or invitation per person and group
    Column("open_key", String(48), nullable=True, unique=True),
)

invite_links = Table(
    "invite_links",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("group_id", BigId, ForeignKey("groups.id"), nullable=False, index=True),
    Column("token", String(32), nullable=False, unique=True),
    Column("created_by", BigId, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime(), nullable=True),
    Column("revoked_by", BigId, nullable=True),
    Column("uses", Integer, nullable=False, server_default="0"),
)

# --- the creator's and managers' tools (Art. 9) ------------------------------------------------------------------

role_offers = Table(
    "role_offers",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("group_id", BigId, ForeignKey("groups.id"), nullable=False, index=True),
    Column("user_id", BigId, ForeignKey("users.id"), nullable=False, index=True),
    Column("role", String(16), nullable=False),  # manager | creator (an ownership transfer)
    Column("offered_by", BigId, nullable=True),  # None: offered by the platform (an inactive or blacklisted owner)
    Column("status", String(16), nullable=False),  # pending | accepted | declined | cancelled
    Column("created_at", UTCDateTime(), nullable=False),
    Column("decided_at", UTCDateTime(), nullable=True),
    Column("open_key", String(48), nullable=True, unique=True),  # "<group>:<user>" while pending
)

group_pins = Table(
    "group_pins",
    metadata,
    Column("group_id", BigId, ForeignKey("groups.id"), primary_key=True),
    Column("message_id", BigId, ForeignKey("messages.id"), primary_key=True),
    Column("pinned_by", BigId, nullable=False),
    Column("pinned_at", UTCDateTime(), nullable=False),
)

group_keywords = Table(
    "group_keywords",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("group_id", BigId, ForeignKey("groups.id"), nullable=False),
    Column("term", String(64), nullable=False),
    Column("added_by", BigId, nullable=False),
    Column("added_at", UTCDateTime(), nullable=False),
    UniqueConstraint("group_id", "term", name="uq_group_keywords_group_term"),
)

# --- the group policy (Art. 7 ¶1): versioned, each version with its filing status; hard-cap requests ------------

policy_versions = Table(
    "policy_versions",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("body", JSON, nullable=False),
    Column("changes", JSON, nullable=False),  # [{"path", "old", "new"}] against the version before
    Column("note", String(500), nullable=False, server_default=""),
    Column("created_by", BigId, nullable=True),  # None: the defaults shipped with Qunzu
    Column("created_at", UTCDateTime(), nullable=False),
    Column("filed_at", UTCDateTime(), nullable=True),  # filed with the CAC office (备案)
    Column("filed_ref", String(100), nullable=True),
    Column("filed_by", BigId, nullable=True),
)

cap_requests = Table(
    "cap_requests",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("value", Integer, nullable=False),  # the proposed global hard cap
    Column("reason", String(500), nullable=False),
    Column("requested_by", BigId, nullable=False),
    Column("requested_at", UTCDateTime(), nullable=False),
    Column("status", String(16), nullable=False),  # pending | approved | refused | withdrawn
    Column("decided_by", BigId, nullable=True),
    Column("decided_at", UTCDateTime(), nullable=True),
    Column("decision_note", String(500), nullable=True),
    Column("policy_version", Integer, nullable=True),  # the version the approval created
)

messages = Table(
    "messages",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("group_id", BigId, ForeignKey("groups.id"), nullable=False),
    Column("seq", Integer, nullable=True),  # NULL while held for review: only published messages take a number
    Column("sender_id", BigId, ForeignKey("users.id"), nullable=False),
    Column("sender_nickname", String(64), nullable=False),  # nickname at the time (record §3.1 #4)
    Column("text", Text, nullable=False),
    Column("client_msg_id", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("src_ip", String(64), nullable=True),
    Column("src_port", Integer, nullable=True),
    Column("deleted_at", UTCDateTime(), nullable=True),
    Column("deleted_by", BigId, ForeignKey("users.id"), nullable=True),
    Column("delete_reason", String(200), nullable=True),
    Column("review_state", String(16), nullable=False, server_default="clean"),  # clean|held|flagged|approved|rejected
    UniqueConstraint("group_id", "seq", name="uq_messages_group_seq"),
    UniqueConstraint("group_id", "sender_id", "client_msg_id", name="uq_messages_client_msg"),
)

operation_log = Table(
    "operation_log",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("ts", UTCDateTime(), nullable=False, index=True),
    Column("actor_id", BigId, nullable=True),  # no FK: records outlive what they describe
    Column("action", String(48), nullable=False),
    Column("target_type", String(24), nullable=True),
    Column("target_id", String(64), nullable=True),
    Column("group_id", BigId, nullable=True, index=True),
    Column("src_ip", String(64), nullable=True),
    Column("src_port", Integer, nullable=True),
    Column("result", String(16), nullable=False, server_default="ok"),
    Column("details", JSON, nullable=True),
    # the rest of the network-log field set (REQUIREMENTS §3.2): where the request arrived, the client, the session
    Column("dst_ip", String(64), nullable=True),
    Column("dst_port", Integer, nullable=True),
    Column("client_type", String(16), nullable=True),  # web | api | a client's own name
    Column("client_version", String(32), nullable=True),
    Column("device_id", String(64), nullable=True),  # 客户端硬件特征, as the client reports it
    Column("session_hash", String(16), nullable=True),  # the first 16 hex of the session token's SHA-256
    Column("error_code", String(48), nullable=True),
    Index("ix_operation_log_actor_ts", "actor_id", "ts"),
    Index("ix_operation_log_ip_ts", "src_ip", "ts"),
    sqlite_autoincrement=True,  # a purged record's id is never reused (migration 0010)
)

# --- identity and personal data (Art. 6) -------------------------------------------------------------------------

identities = Table(
    "identities",
    metadata,
    Column("user_id", BigId, ForeignKey("users.id"), primary_key=True),
    Column("level", Integer, nullable=False, server_default="0"),
    Column("phone_ct", Text, nullable=True),  # AES-GCM ciphertext (storage/crypto.py)
    Column("phone_hmac", String(64), nullable=True, index=True),
    Column("phone_verified_at", UTCDateTime(), nullable=True),
    Column("name_ct", Text, nullable=True),
    Column("id_number_ct", Text, nullable=True),
    Column("id_hmac", String(64), nullable=True, index=True),
    Column("birth_year", Integer, nullable=True),  # for age rules (D19); not identifying on its own
    Column("id_verified_at", UTCDateTime(), nullable=True),
    Column("lapsed_at", UTCDateTime(), nullable=True),  # R-6.1-5: verification no longer valid
    Column("purge_after", UTCDateTime(), nullable=True),  # set on cancellation (D9)
)

identity_slots = Table(
    "identity_slots",
    metadata,
    Column("subject", String(80), primary_key=True),  # "id:<hmac>" or "phone:<hmac>"
    Column("accounts", Integer, nullable=False, server_default="0"),
)

verifications = Table(
    "verifications",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("user_id", BigId, ForeignKey("users.id"), nullable=False, index=True),
    Column("level", Integer, nullable=False),
    Column("method", String(24), nullable=False),
    Column("result", String(16), nullable=False),  # passed | failed | pending | rejected
    Column("authoritative", Integer, nullable=False, server_default="1"),
    Column("vendor_txn", String(128), nullable=True),
    Column("reason", String(200), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("decided_by", BigId, nullable=True),  # staff, for manual reviews
    Column("submission_id", BigId, nullable=True),
)  # append-only (database triggers refuse UPDATE and DELETE): a change is a new row (R-6.2-3)

manual_submissions = Table(
    "manual_submissions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("user_id", BigId, ForeignKey("users.id"), nullable=False, index=True),
    Column("status", String(16), nullable=False),  # pending | decided
    Column("created_at", UTCDateTime(), nullable=False),
    Column("name_ct", Text, nullable=True),  # cleared once decided
    Column("id_number_ct", Text, nullable=True),
    Column("document_ct", Text, nullable=True),
    Column("document_type", String(32), nullable=True),
)

phone_challenges = Table(
    "phone_challenges",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("user_id", BigId, ForeignKey("users.id"), nullable=False, index=True),
    Column("phone_ct", Text, nullable=False),
    Column("phone_hmac", String(64), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("locked_at", UTCDateTime(), nullable=True),
    Column("used_at", UTCDateTime(), nullable=True),
)

sms_outbox = Table(
    "sms_outbox",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("user_id", BigId, nullable=False),
    Column("phone_ct", Text, nullable=False),
    Column("phone_masked", String(16), nullable=False),
    Column("body", Text, nullable=False),  # development sink only: the console SMS sender is refused in production
)

pii_access_log = Table(
    "pii_access_log",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("ts", UTCDateTime(), nullable=False),
    Column("staff_id", BigId, nullable=False),
    Column("staff_role", String(32), nullable=False),
    Column("subject_user_id", BigId, nullable=False, index=True),
    Column("fields", JSON, nullable=False),
    Column("purpose", Text, nullable=False),
    Column("case_number", String(64), nullable=False),
    Column("src_ip", String(64), nullable=True),
    Column("src_port", Integer, nullable=True),
    Column("prev_hash", String(64), nullable=False),
    Column("row_hash", String(64), nullable=False),
)

# --- published rules and the service agreement (Art. 5) ----------------------------------------------------------

documents = Table(
    "documents",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("kind", String(24), nullable=False),
    Column("version", Integer, nullable=False),
    Column("title_zh", String(200), nullable=False),
    Column("title_en", String(200), nullable=False),
    Column("body_zh", Text, nullable=False),
    Column("body_en", Text, nullable=False),
    Column("summary_zh", Text, nullable=False, server_default=""),
    Column("summary_en", Text, nullable=False, server_default=""),
    Column("effective_at", UTCDateTime(), nullable=False),
    Column("published_at", UTCDateTime(), nullable=False),
    Column("published_by", BigId, nullable=True),
    UniqueConstraint("kind", "version", name="uq_documents_kind_version"),
)

acceptances = Table(
    "acceptances",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("user_id", BigId, ForeignKey("users.id"), nullable=False, index=True),
    Column("kind", String(24), nullable=False),
    Column("version", Integer, nullable=False),
    Column("accepted_at", UTCDateTime(), nullable=False),
    Column("src_ip", String(64), nullable=True),
    Column("src_port", Integer, nullable=True),
)


# --- content review (Art. 10, Art. 5) -----------------------------------------------------------------------------

lexicons = Table(
    "lexicons",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("content", Text, nullable=False),  # the plain lexicon format of qunzu.review (one entry a line)
    Column("content_hash", String(64), nullable=False),
    Column("term_count", Integer, nullable=False),
    Column("note", String(200), nullable=False, server_default=""),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("created_by", BigId, nullable=True),
)

review_items = Table(
    "review_items",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("kind", String(24), nullable=False),  # message | group_name | group_description | nickname
    Column("target_id", String(64), nullable=False),
    Column("group_id", BigId, nullable=True, index=True),
    Column("author_id", BigId, nullable=False, index=True),
    Column("text", Text, nullable=False),  # snapshot at the time of review
    Column("action", String(8), nullable=False),  # hold | flag
    Column("categories", JSON, nullable=False),
    Column("hits", JSON, nullable=False),
    Column("lexicon_version", String(64), nullable=False),
    Column("state", String(16), nullable=False, index=True),  # pending | approved | rejected
    Column("created_at", UTCDateTime(), nullable=False),
    Column("decided_at", UTCDateTime(), nullable=True),
    Column("decided_by", BigId, nullable=True),
    Column("reason_code", String(32), nullable=True),
    Column("decision_lexicon_version", String(64), nullable=True),
)

violations = Table(
    "violations",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("user_id", BigId, nullable=False, index=True),
    Column("category", String(24), nullable=False),
    Column("source", String(24), nullable=False),  # review | (later) complaint, enforcement
    Column("review_item_id", BigId, nullable=True),
    Column("reason_code", String(32), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
)


# --- credit (Art. 7 ¶2): the ledger; the score is derived from it (domain/credit.py) -------------------------------

credit_events = Table(
    "credit_events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("user_id", BigId, ForeignKey("users.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # violation | recovery | reversal | adjustment
    Column("delta", Integer, nullable=False),
    Column("reason", String(200), nullable=False),
    Column("rule", String(32), nullable=True),  # the requirement or platform rule it rests on
    Column("source", String(24), nullable=False),  # review | recovery | appeal | staff
    Column("source_id", BigId, nullable=True),  # e.g. the review item
    Column("decided_by", BigId, nullable=True),  # staff; None for the platform's own jobs
    Column("reverses", BigId, ForeignKey("credit_events.id"), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
)

# --- sign-in throttling and account notices -----------------------------------------------------------------------

login_failures = Table(
    "login_failures",
    metadata,
    # keyed by the normalised username, known or not, so counting and locking cannot tell which names exist
    Column("username", String(32), primary_key=True),
    Column("failures", Integer, nullable=False, server_default="0"),  # consecutive, since the last lock or success
    Column("lock_level", Integer, nullable=False, server_default="0"),
    Column("locked_until", UTCDateTime(), nullable=True),
    Column("last_failure_at", UTCDateTime(), nullable=False, index=True),
)

account_notices = Table(
    "account_notices",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("user_id", BigId, ForeignKey("users.id"), nullable=False, index=True),
    Column("kind", String(32), nullable=False),  # account_locked
    Column("created_at", UTCDateTime(), nullable=False),
    Column("read_at", UTCDateTime(), nullable=True),
    Column("details", JSON, nullable=False),  # account_locked: failures, ip (masked), locked_until
)


# the enforcement, complaint and report tables live in their own module, on the same metadata (re-exported)
from qunzu.storage.tables_enforcement import (  # noqa: E402, I001
    appeals as appeals,
    blacklist_changes as blacklist_changes,
    blacklist_entries as blacklist_entries,
    content_bans as content_bans,
    disclosure_register as disclosure_register,
    enforcement_records as enforcement_records,
    tickets as tickets,
)

# the network log's seals, days, legal holds and purge permits, on the same metadata (re-exported)
from qunzu.storage.tables_netlog import (  # noqa: E402
    legal_holds as legal_holds,
    log_days as log_days,
    log_purge_permits as log_purge_permits,
    log_seals as log_seals,
)

# emergency switches, staff shifts and regulator scopes, on the same metadata (re-exported)
from qunzu.storage.tables_oversight import (  # noqa: E402
    emergency_switch_events as emergency_switch_events,
    emergency_switches as emergency_switches,
    lawful_requests as lawful_requests,
    regulator_scopes as regulator_scopes,
    staff_shifts as staff_shifts,
)
