"""What a batch of posts stores, decided from what the batch read: pure functions on plain data, no I/O.

The message writer (services/message_writer.py) runs, for each batch: `lookup(posts)` → the store reads
(storage/post_store.py) → `plan(posts, rows)` → the store writes `plan.messages` and `plan.moves` and commits →
`finish(plan, posts, stored)`. Everything that decides what is stored and what each post is answered lives here,
the same for both databases:

- `check_post`: the posting rules, in order, one line and one error code each. A new rule (mute, slow mode,
  suspension, blacklist) is a line there, raising its own code; what it needs to know comes in `BatchRows`
  (storage/post_rows.py: read by both stores' group read) or on the `Post`.
- `send_requests`: the rate and slow-mode buckets of each new post that passes the rules (R-7.1-4, R-9.3-1);
  the writer takes them (services/posting/limits.py) between the read and `plan`, and hands `plan` the refusals.
- `plan`: each post that passes is a new message, or a retry of one (same group, sender and client_msg_id);
  published messages are numbered from the group's `last_seq` as read, held ones take no number; flagged and held
  ones carry the review item to queue with them. A post the platform's review lets through but that holds one of
  its group's keywords is held for the group's owner and managers (`group_held`, no number until one approves).
- `finish`: after the commit, each post's outcome (its message, the message first posted under its client id, or
  its own error) and the events to publish.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, cast

from qunzu.domain.admission import send_per_minute
from qunzu.domain.chat_controls import (
    check_group_not_muted,
    check_may_send,
    check_not_muted,
    exempt,
    send_rate_refused,
    slow_mode_refused,
)
from qunzu.domain.credit import CreditPolicy
from qunzu.domain.documents import DocumentKind, check_agreement_current
from qunzu.domain.group_stars import check_message_links
from qunzu.domain.groups import check_group_open, group_closed, group_not_found
from qunzu.domain.identity import check_verified
from qunzu.domain.restrictions import (
    blacklisted_rate,
    check_account_active,
    check_group_not_suspended,
    check_not_platform_muted,
)
from qunzu.domain.roles import GroupRole
from qunzu.domain.throttle import Bucket, ip_key
from qunzu.errors import Conflict, ErrorCode, Forbidden, QunzuError
from qunzu.services.events import MessagePosted
from qunzu.services.messages import message_payload, stored_view
from qunzu.services.posting.limits import NOT_TAKEN, SendRequest, Standing
from qunzu.services.review import review_item_values
from qunzu.services.views import MessageView
from qunzu.storage.post_rows import (
    BatchRows,
    EarlierPost,
    GroupMove,
    GroupRow,
    Lookup,
    MemberRow,
    NewMessage,
    Stored,
)

Result = tuple[MessageView, bool]  # the message, and whether this post created it
Outcome = Result | QunzuError
Key = tuple[int, int, str]  # (group id, sender, client_msg_id)
_NOBODY: tuple[None, None] = (None, None)
CREDIT = CreditPolicy()  # the credit scale (services/credit.py's POLICY)
_ip_key = lru_cache(maxsize=8192)(ip_key)  # the same few addresses post again and again
Matcher = Callable[[Sequence[str], str], bool]  # (a group's keywords, a text) -> whether the text holds one


@dataclass(slots=True)
class Post:
    """One post as the writer queues it."""

    actor: int
    code: str  # canonical (domain.groupcode.parse_group_code)
    text: str
    client_msg_id: str
    now: datetime
    ip: str | None
    port: int | None
    verdict: Any  # services.review.Verdict for hold / flag, else None
    standing: Standing | None  # what the send rate depends on (None: no send rates, e.g. a writer in a test)


@dataclass(slots=True)
class Plan:
    """What a batch stores, and what finish needs to answer each post."""

    outcomes: list[Outcome | None]  # by post; the refused have theirs already
    messages: list[NewMessage]  # to store, in batch order
    moves: list[GroupMove]  # the groups whose sequence moves
    authors: list[tuple[int, GroupRole]]  # for each message: its post's index and its sender's role
    # a post repeating a client id: its index, the message first posted under that id (stored earlier, or the index
    # of this batch's post that makes it) and the sender's role
    retries: list[tuple[int, int | EarlierPost, GroupRole]]


def lookup(posts: Sequence[Post]) -> Lookup:
    """What the store reads for `posts`."""
    return Lookup(
        codes=sorted({p.code for p in posts}),
        actors=sorted({p.actor for p in posts}),
        keys=sorted({(p.code, p.actor, p.client_msg_id) for p in posts}),
        agreement_kind=DocumentKind.AGREEMENT.value,
    )


def not_member() -> Forbidden:
    return Forbidden("Only members of this group can do this", code=ErrorCode.NOT_MEMBER)


def check_post(
    group: GroupRow | None, sender: MemberRow | None, *, agreement: int, now: datetime, text: str = ""
) -> tuple[GroupRow, MemberRow]:
    """The posting rules, in order: raise the error of the first one the post breaks. A line and a code each."""
    if group is None or group.status == "refused":
        raise group_not_found()  # group_not_found (a group refused at creation review is gone, R-8.3-1)
    if group.status == "closed":
        raise group_closed()  # group_closed (D8): its former members too, whose memberships ended with it
    if sender is None:
        raise group_not_found() if group.status == "pending_review" else not_member()  # not_member
    check_group_open(group.status)  # group_pending_review (R-8.3-1)
    check_account_active(sender.suspended_until, sender.blacklist_level, now=now)  # account_suspended (R-11.2-1)
    check_group_not_suspended(group.suspended_until, now=now)  # group_suspended, until when (R-11.1-1)
    check_not_platform_muted(sender.platform_muted_until, now=now)  # account_muted, until when (R-11.2-1)
    check_verified(sender.verification_level, action="post")  # identity_unverified (R-6.1-4)
    check_agreement_current(accepted=sender.agreement_version, current=agreement)  # agreement_required (R-5.2-2)
    check_not_muted(sender.muted_until, now=now)  # member_muted, until when (R-9.3-1)
    check_group_not_muted(group.mute_all, GroupRole(sender.role))  # group_muted (R-9.3-1)
    check_message_links(group.stars, text)  # stars_restricted: no links at two stars (R-11.1-1, rules Art. 37)
    return group, sender


def rate_of(post: Post, group: GroupRow, sender: MemberRow) -> int:
    """Messages per minute `post`'s sender may send in `group` (R-7.1-4): tier, credit level, account age; a
    blacklisted sender a quarter of that, at least 1 (R-11.3-2, domain/restrictions.py::blacklisted_rate)."""
    standing = post.standing
    assert standing is not None
    if standing.override is not None:
        return blacklisted_rate(standing.override, sender.blacklist_level)
    age = post.now - sender.user_created_at if sender.user_created_at is not None else timedelta(days=3650)
    rate = send_per_minute(standing.policy, CREDIT, member_count=group.member_count, score=standing.score,
                           account_age=age)  # fmt: skip
    return blacklisted_rate(rate, sender.blacklist_level)


def send_requests(posts: Sequence[Post], rows: BatchRows) -> tuple[list[SendRequest], dict[int, QunzuError]]:
    """The buckets of each new post that passes the rules (a retry of a client id takes none), and the posts
    refused before any bucket: a credit level that may not send at all (`credit_insufficient`)."""
    by_code = {g.code: g for g in rows.groups}
    members = {(m.group_id, m.user_id): m for m in rows.members}
    earlier = {(e.group_id, e.sender_id, e.client_msg_id) for e in rows.earlier}
    seen: set[Key] = set()
    out: list[SendRequest] = []
    refused: dict[int, QunzuError] = {}
    for i, post in enumerate(posts):
        group = by_code.get(post.code)
        if post.standing is None or group is None:
            continue
        sender = members.get((group.id, post.actor))
        key = (group.id, post.actor, post.client_msg_id)
        if sender is None or key in earlier or key in seen:
            continue
        try:
            check_post(group, sender, agreement=rows.agreement, now=post.now, text=post.text)
            rate = rate_of(post, group, sender)
            check_may_send(rate)
        except QunzuError as exc:
            if exc.code is ErrorCode.CREDIT_INSUFFICIENT:
                refused[i] = exc
            continue  # plan refuses it again, with its code
        seen.add(key)
        per_ip = post.standing.per_ip
        buckets = [Bucket(f"u:{group.id}:{post.actor}", rate, 60_000)]
        if post.ip:
            buckets.append(Bucket(_ip_key(post.ip), per_ip.limit, per_ip.window_seconds * 1000))
        slow = group.slow_mode_seconds if not exempt(GroupRole(sender.role)) else 0
        slow_buckets = [Bucket(f"s:{group.id}:{post.actor}", 1, slow * 1000)] if slow > 0 else []
        out.append(SendRequest(i, buckets, slow_buckets, rate, slow))
    return out, refused


def throttled(requests: Sequence[SendRequest], taken: Sequence[tuple[int, int]]) -> dict[int, QunzuError]:
    """The refusals of the posts whose buckets were full: `rate_limited` or `slow_mode`, with the wait."""
    out: dict[int, QunzuError] = {}
    for request, (state, wait) in zip(requests, taken, strict=True):
        if state == NOT_TAKEN:
            out[request.index] = send_rate_refused(wait, request.per_minute)
        elif state:
            out[request.index] = slow_mode_refused(wait, request.slow_seconds)
    return out


def plan(
    posts: Sequence[Post],
    rows: BatchRows,
    *,
    refused: dict[int, QunzuError] | None = None,
    matcher: Matcher | None = None,
) -> Plan:
    """Check every post against its group and sender; the new messages with their numbers, and the retries.
    `refused`: the posts the send rates and slow mode refused (by index); `matcher`: the group keyword match."""
    by_code = {g.code: g for g in rows.groups}
    members = {(m.group_id, m.user_id): (m, GroupRole(m.role)) for m in rows.members}
    earlier = {(e.group_id, e.sender_id, e.client_msg_id): e for e in rows.earlier}
    start_seq = {g.id: g.last_seq for g in rows.groups}
    next_seq = dict(start_seq)
    outcomes: list[Outcome | None] = [None] * len(posts)
    fresh: dict[Key, int] = {}  # the index of the post that makes the message of a key
    messages: list[NewMessage] = []
    authors: list[tuple[int, GroupRole]] = []
    retries: list[tuple[int, int | EarlierPost, GroupRole]] = []
    for i, post in enumerate(posts):
        group = by_code.get(post.code)
        sender, role = _NOBODY if group is None else members.get((group.id, post.actor), _NOBODY)
        try:
            group, sender = check_post(group, sender, agreement=rows.agreement, now=post.now, text=post.text)
        except QunzuError as error:
            outcomes[i] = error
            continue
        assert role is not None
        gid = group.id
        key = (gid, post.actor, post.client_msg_id)
        first: int | EarlierPost | None = earlier.get(key)
        if first is None:
            first = fresh.get(key)
        if first is not None:
            retries.append((i, first, role))  # answered by finish, once the first one is known
            continue
        if refused and i in refused:
            outcomes[i] = refused[i]
            continue
        verdict = post.verdict
        held = verdict is not None and verdict.action == "hold"
        # the platform's review first; then the group's own keyword list holds it for the owner and managers
        group_held = not held and bool(group.keywords) and matcher is not None and matcher(group.keywords, post.text)
        held = held or group_held
        if not held:  # only published messages take a sequence number
            next_seq[gid] += 1
        fresh[key] = i
        messages.append(
            NewMessage(
                group_id=gid,
                seq=None if held else next_seq[gid],
                k=None if held else next_seq[gid] - start_seq[gid],
                review_state="group_held"
                if group_held
                else ("held" if held else ("flagged" if verdict is not None else "clean")),
                sender_id=post.actor,
                sender_nickname=sender.nickname,
                text=post.text,
                client_msg_id=post.client_msg_id,
                created_at=post.now,
                src_ip=post.ip,
                src_port=post.port,
                review=None if verdict is None else _review_item(post, gid),
            )
        )
        authors.append((i, role))
    moves = [GroupMove(gid, seq - start_seq[gid], seq) for gid, seq in next_seq.items() if seq != start_seq[gid]]
    return Plan(outcomes, messages, moves, authors, retries)


def _review_item(post: Post, group_id: int) -> dict[str, Any]:
    """The review item of a held or flagged message (the store points its target_id at the new message)."""
    return review_item_values(
        kind="message",
        target_id="",
        author_id=post.actor,
        text=post.text,
        verdict=post.verdict,
        now=post.now,
        group_id=group_id,
    )


def finish(planned: Plan, posts: Sequence[Post], stored: Sequence[Stored]) -> tuple[list[Outcome], list[MessagePosted]]:
    """After the commit: each post's outcome, and the events to publish. `stored`: the store's (id, seq) of each
    planned message, or None when its group was closed after the read."""
    outcomes = planned.outcomes
    events: list[MessagePosted] = []
    for message, (i, role), got in zip(planned.messages, planned.authors, stored, strict=True):
        if got is None:
            outcomes[i] = group_closed()
            continue
        post = posts[i]
        msg_id, seq = got
        view = MessageView(
            id=msg_id,
            group_code=post.code,
            seq=seq,
            sender_id=post.actor,
            sender_nickname=message.sender_nickname,
            sender_role=role,
            text=post.text,
            client_msg_id=post.client_msg_id,
            created_at=post.now,
        )
        if seq is None:
            outcomes[i] = (replace(view, status="under_review"), True)
            continue  # held: delivered to the group only if a reviewer approves
        outcomes[i] = (view, True)
        events.append(
            MessagePosted(group_id=message.group_id, group_code=post.code, seq=seq, message=message_payload(view))
        )
    # Retries (same sender, group and client id): the message first posted, if the text is the same.
    for i, first, role in planned.retries:
        post = posts[i]
        if isinstance(first, EarlierPost):
            first_text, view = first.text, stored_view(first, post.code, role)
        else:
            outcome = outcomes[first]
            if isinstance(outcome, QunzuError):  # the first post of this client id failed: so does this one
                outcomes[i] = outcome
                continue
            assert outcome is not None
            first_text, view = posts[first].text, outcome[0]
        if first_text != post.text:
            outcomes[i] = Conflict(
                "This client_msg_id was already used for a different message",
                code=ErrorCode.CLIENT_MSG_ID_CONFLICT,
                details={"seq": view.seq},
            )
        else:
            outcomes[i] = (view, False)
    assert None not in outcomes
    return cast("list[Outcome]", outcomes), events
