"""Server → client WebSocket frames, serialised once, and the `Event` that carries one through the broker.

A frame is built once per event as a `str` (orjson), so fan-out to N sockets never re-serialises.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import orjson

EventKind = Literal["message", "group_event", "membership", "user", "end_sessions"]
MembershipOp = Literal["subscribe", "unsubscribe"]
MemberFrameType = Literal["member_joined", "member_left", "role_changed"]

_KINDS: frozenset[str] = frozenset({"message", "group_event", "membership", "user", "end_sessions"})
_OPS: frozenset[str | None] = frozenset({"subscribe", "unsubscribe", None})


def _dump(obj: dict[str, Any]) -> str:
    return orjson.dumps(obj).decode()


def message_frame(group: str, seq: int, message: dict[str, Any]) -> str:
    """A new message (`message` is the public message payload, built by the caller)."""
    return _dump({"type": "message", "group": group, "seq": seq, "message": message})


def message_deleted_frame(group: str, *, message_id: int, seq: int, ts: int) -> str:
    """A message was hidden; `seq` is the deleted message's sequence number, `ts` epoch milliseconds."""
    return _dump({"type": "message_deleted", "group": group, "message_id": message_id, "seq": seq, "ts": ts})


def member_frame(
    type_: MemberFrameType, group: str, *, user: dict[str, Any], role: str | None, member_count: int, ts: int
) -> str:
    """A membership change (`member_joined`, `member_left` or `role_changed`)."""
    return _dump({"type": type_, "group": group, "user": user, "role": role, "member_count": member_count, "ts": ts})


def profile_taken_down_frame(kind: str, *, group: str | None, reason: str | None, ts: int) -> str:
    """To the author only: a reviewer rejected their group name, description or announcement (`group` is the
    group's code) or their nickname (`group` is null), and it was taken down."""
    return _dump({"type": "profile_taken_down", "kind": kind, "group": group, "reason": reason, "ts": ts})


def review_decided_frame(
    group: str, *, message_id: int, client_msg_id: str, decision: str, reason: str | None, seq: int | None, ts: int
) -> str:
    """To the author only: a reviewer decided on their message (`approved` or `rejected`, with the reason code).
    An approved held message also reaches the whole group as a `message` frame with its new `seq`."""
    return _dump(
        {
            "type": "review_decided",
            "group": group,
            "message_id": message_id,
            "client_msg_id": client_msg_id,
            "decision": decision,
            "reason": reason,
            "seq": seq,
            "ts": ts,
        }
    )


def group_updated_frame(group: str, *, name: str, description: str, announcement: str, ts: int) -> str:
    """The group's name, description or announcement changed: the values now in force."""
    return _dump(
        {
            "type": "group_updated",
            "group": group,
            "name": name,
            "description": description,
            "announcement": announcement,
            "ts": ts,
        }
    )


def group_activity_frame(
    group: str,
    *,
    kind: str,
    actor: dict[str, Any] | None,
    target: dict[str, Any] | None,
    details: dict[str, Any],
    ts: int,
) -> str:
    """Something the owner or a manager did, or that happened to the group (a system line in the chat, R-9.3-1):
    `kind` (member_muted, mute_all_on, slow_mode, pinned, ...), who did it and to whom ({"id", "nickname", "role"}
    or null), and the kind's details (e.g. {"until"} of a mute, {"seconds"} of slow mode)."""
    return _dump(
        {"type": "group_activity", "group": group, "kind": kind, "actor": actor, "target": target,
         "details": details, "ts": ts}
    )  # fmt: skip


def ready_frame(groups: dict[str, int]) -> str:
    """Sent once after the replay on connect: group code → last sequence number delivered."""
    return _dump({"type": "ready", "groups": groups})


def resume_frame(reason: str = "slow_consumer") -> str:
    """The last frame before the server closes a connection: reconnect and say your last sequence numbers."""
    return _dump({"type": "resume", "reason": reason})


def session_ended_frame(reason: str, *, ts: int) -> str:
    """The last frame before the server closes a connection whose session ended (4401): do not reconnect, sign in
    again (`reason`: signed_out, account_suspended, blacklisted, account_cancelled)."""
    return _dump({"type": "session_ended", "reason": reason, "ts": ts})


def error_frame(code: str, message: str) -> str:
    """An error about something the client sent over the socket."""
    return _dump({"type": "error", "error": {"code": code, "message": message}})


PONG_FRAME = _dump({"type": "pong"})


@dataclass(frozen=True, slots=True)
class Event:
    """What travels through the broker: routing data plus the pre-serialised client frame.

    - kind "message": `seq` is the message's per-group sequence number (ordering, dedupe, gap repair).
    - kind "group_event" (deletion, role change, ...): `seq`, when given, is a barrier: the frame reaches a
      connection only after that connection has been given message `seq` (a deletion never overtakes the
      message it deletes).
    - kind "membership": `user_id`'s connections `op` = subscribe/unsubscribe the group. For subscribe,
      `seq` is the group's last message seq at the time of the join (the user's connections receive
      messages after it); None means "start at the next message seen". `frame` (may be empty) is delivered
      to the group: after subscribing, or before unsubscribing, so the user sees their own join/leave.
    - kind "user": `frame` goes to `user_id`'s connections only (whatever their groups), e.g. a review decision
      on their own message.
    - kind "end_sessions": sessions of `user_id` ended: each of their connections (only those opened with the
      session whose token hash is `token`, when given: one sign-out) gets `frame` (`session_ended`) as its last
      frame and is closed (4401).
    """

    kind: EventKind
    group_id: int
    frame: str
    seq: int | None = None
    user_id: int | None = None
    op: MembershipOp | None = None
    token: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"unknown event kind {self.kind!r}")
        if self.kind == "message" and self.seq is None:
            raise ValueError("a message event needs a seq")
        if self.kind == "membership" and (self.user_id is None or self.op is None):
            raise ValueError("a membership event needs user_id and op")
        if self.kind in ("user", "end_sessions") and self.user_id is None:
            raise ValueError(f"a {self.kind} event needs user_id")
        if self.op not in _OPS:
            raise ValueError(f"unknown membership op {self.op!r}")
        if self.token is not None and self.kind != "end_sessions":
            raise ValueError("only an end_sessions event names a token")

    def encode(self) -> bytes:
        """Wire form: a compact JSON header, a newline, then the frame verbatim (no second escaping). The token is
        appended to the header only when there is one, so every other event reads the same to an older process."""
        head: list[object] = [self.kind, self.group_id, self.seq, self.user_id, self.op]
        if self.token is not None:
            head.append(self.token)
        header = orjson.dumps(head)
        return header + b"\n" + self.frame.encode()

    @classmethod
    def decode(cls, data: bytes) -> Event:
        """Inverse of `encode`; raises ValueError on a malformed payload."""
        head, sep, frame = data.partition(b"\n")
        if not sep:
            raise ValueError("malformed event: no header separator")
        try:
            kind, group_id, seq, user_id, op, *rest = orjson.loads(head)
        except (orjson.JSONDecodeError, TypeError, ValueError) as exc:
            raise ValueError(f"malformed event header: {exc}") from exc
        if not isinstance(group_id, int) or not all(isinstance(v, int | None) for v in (seq, user_id)):
            raise ValueError("malformed event header: ids must be integers")
        token = rest[0] if rest else None
        if len(rest) > 1 or not isinstance(token, str | None):
            raise ValueError("malformed event header: the token must be a string")
        return cls(kind=kind, group_id=group_id, frame=frame.decode(), seq=seq, user_id=user_id, op=op, token=token)


def join_request_frame(
    group: str, *, name: str, request_id: int | None, kind: str, status: str, reason: str | None, ts: int
) -> str:
    """To the person concerned only: an invitation arrived (`kind` invitation, `status` pending) or added them at
    once (`added`), or their join request was decided (`approved` or `refused`, with the manager's reason)."""
    return _dump(
        {
            "type": "join_request",
            "group": group,
            "name": name,
            "request_id": request_id,
            "kind": kind,
            "status": status,
            "reason": reason,
            "ts": ts,
        }
    )


def group_review_decided_frame(group: str, *, name: str, decision: str, reason: str | None, ts: int) -> str:
    """To the creator only: a staff reviewer decided on their group waiting for creation review (`approved`: it is
    open now; `refused`: it is gone, with the reason)."""
    return _dump({"type": "group_review_decided", "group": group, "name": name, "decision": decision,
                  "reason": reason, "ts": ts})  # fmt: skip


def measure_frame(
    *, record: int, measure: str, status: str, group: str | None, until: str | None, reason: str, ts: int
) -> str:
    """To the subject only (the user, or a group's owner and managers): a platform measure was applied or ended;
    the full notice, with the rule and how to appeal, is at /me/measures/{record}."""
    return _dump({"type": "measure", "record": record, "measure": measure, "status": status, "group": group,
                  "until": until, "reason": reason, "ts": ts})  # fmt: skip


def report_decided_frame(*, number: str, outcome: str, ts: int) -> str:
    """To the reporter only: their report (ticket `number`) was decided, `upheld` or `rejected`; 我的举报
    (/me/reports) shows it."""
    return _dump({"type": "report_decided", "number": number, "outcome": outcome, "ts": ts})


def appeal_decided_frame(*, appeal: int, outcome: str, reason: str, ts: int) -> str:
    """To the appellant only: their appeal was decided, `upheld` (the measure lifted, the credit restored) or
    `rejected`, with the reason; /me/appeals shows it."""
    return _dump({"type": "appeal_decided", "appeal": appeal, "outcome": outcome, "reason": reason, "ts": ts})
