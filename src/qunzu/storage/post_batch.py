"""What the message writer's per-database statements (post_batch_pg.py, post_batch_sqlite.py) have in common."""

from __future__ import annotations

# The columns of an earlier post, as the retry lookup returns them (services.messages.stored_view reads them).
EARLIER_COLUMNS = (
    "id",
    "group_id",
    "seq",
    "sender_id",
    "sender_nickname",
    "text",
    "client_msg_id",
    "created_at",
    "deleted_at",
    "review_state",
)

# A new message's values after its group and its number (`seq`, or `k` where the database numbers it).
MESSAGE_COLUMNS = (
    "review_state",
    "sender_id",
    "sender_nickname",
    "text",
    "client_msg_id",
    "created_at",
    "src_ip",
    "src_port",
)

# A queued review item (services.review.review_item_values), in the order of the INSERT statements.
REVIEW_COLUMNS = (
    "kind",
    "target_id",
    "group_id",
    "author_id",
    "text",
    "action",
    "categories",
    "hits",
    "lexicon_version",
    "state",
    "created_at",
)
