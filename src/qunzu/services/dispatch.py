"""After-commit dispatch: turns service events into WebSocket frames and publishes them through the broker."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from prometheus_client import CollectorRegistry

from qunzu.config import Settings
from qunzu.realtime import frames
from qunzu.realtime.broker import Broker, make_broker
from qunzu.realtime.frames import Event
from qunzu.realtime.hub import Hub, HubMetrics
from qunzu.services.events import (
    AppealDecided,
    GroupActivity,
    GroupCreationDecided,
    GroupProfileChanged,
    JoinRequestChanged,
    MeasureChanged,
    MembershipChanged,
    MessageDeleted,
    MessagePosted,
    ProfileTakenDown,
    ReportDecided,
    ReviewDecided,
    SessionsEnded,
)
from qunzu.services.messages import fetch_frames_range
from qunzu.storage.uow import Database

log = structlog.get_logger(__name__)


def events_channel(settings: Settings) -> str:
    """The Redis channel of this deployment: events route by group id, so two deployments (or test runs) sharing a
    Redis must never share a channel. Derived from the database, which is what the processes of one deployment
    share."""
    digest = hashlib.sha256(settings.effective_database_url.encode()).hexdigest()[:16]
    return f"qunzu:{digest}:events"


def to_realtime(event: Any) -> Event | None:
    """The broker event for a service event (None for events that clients do not see)."""
    if isinstance(event, MessagePosted):
        return Event(
            kind="message",
            group_id=event.group_id,
            seq=event.seq,
            frame=frames.message_frame(event.group_code, event.seq, event.message),
        )
    if isinstance(event, MessageDeleted):
        return Event(
            kind="group_event",
            group_id=event.group_id,
            seq=event.seq,
            frame=frames.message_deleted_frame(
                event.group_code, message_id=event.message_id, seq=event.seq, ts=event.ts_ms
            ),
        )
    if isinstance(event, ProfileTakenDown):
        return Event(
            kind="user",
            group_id=event.group_id or 0,  # a user event goes to the user's connections, whatever the group
            user_id=event.author_id,
            frame=frames.profile_taken_down_frame(
                event.kind, group=event.group_code, reason=event.reason, ts=event.ts_ms
            ),
        )
    if isinstance(event, ReviewDecided):
        return Event(
            kind="user",
            group_id=event.group_id,
            user_id=event.author_id,
            frame=frames.review_decided_frame(
                event.group_code,
                message_id=event.message_id,
                client_msg_id=event.client_msg_id,
                decision=event.decision,
                reason=event.reason,
                seq=event.seq,
                ts=event.ts_ms,
            ),
        )
    if isinstance(event, JoinRequestChanged):
        return Event(
            kind="user",
            group_id=event.group_id,
            user_id=event.user_id,
            frame=frames.join_request_frame(
                event.group_code,
                name=event.group_name,
                request_id=event.request_id,
                kind=event.kind,
                status=event.status,
                reason=event.reason,
                ts=event.ts_ms,
            ),
        )
    if isinstance(event, GroupCreationDecided):
        return Event(
            kind="user",
            group_id=event.group_id,
            user_id=event.creator_id,
            frame=frames.group_review_decided_frame(
                event.group_code, name=event.group_name, decision=event.decision, reason=event.reason, ts=event.ts_ms
            ),
        )
    if isinstance(event, MeasureChanged):  # to the subject of a platform measure only (Art. 11)
        return Event(
            kind="user",
            group_id=event.group_id or 0,
            user_id=event.user_id,
            frame=frames.measure_frame(
                record=event.record_id,
                measure=event.measure,
                status=event.status,
                group=event.group_code,
                until=event.until,
                reason=event.reason,
                ts=event.ts_ms,
            ),
        )
    if isinstance(event, SessionsEnded):  # every process closes the sessions' sockets after this last frame
        return Event(
            kind="end_sessions",
            group_id=0,
            user_id=event.user_id,
            token=event.token_hash,
            frame=frames.session_ended_frame(event.reason, ts=event.ts_ms),
        )
    if isinstance(event, AppealDecided):  # to the appellant only (R-11-x)
        return Event(
            kind="user",
            group_id=0,
            user_id=event.appellant_id,
            frame=frames.appeal_decided_frame(
                appeal=event.appeal_id, outcome=event.outcome, reason=event.reason, ts=event.ts_ms
            ),
        )
    if isinstance(event, ReportDecided):  # to the reporter only (Art. 12)
        return Event(
            kind="user",
            group_id=0,
            user_id=event.reporter_id,
            frame=frames.report_decided_frame(number=event.number, outcome=event.outcome, ts=event.ts_ms),
        )
    if isinstance(event, GroupActivity):  # a system line in the chat, to the group's live members (R-9.3-1)
        return Event(
            kind="group_event",
            group_id=event.group_id,
            frame=frames.group_activity_frame(
                event.group_code,
                kind=event.kind,
                actor=event.actor,
                target=event.target,
                details=event.details,
                ts=event.ts_ms,
            ),
        )
    if isinstance(event, GroupProfileChanged):
        return Event(
            kind="group_event",
            group_id=event.group_id,
            frame=frames.group_updated_frame(
                event.group_code,
                name=event.name,
                description=event.description,
                announcement=event.announcement,
                ts=event.ts_ms,
            ),
        )
    if isinstance(event, MembershipChanged):
        frame = frames.member_frame(
            event.kind,  # type: ignore[arg-type]
            event.group_code,
            user=event.user,
            role=event.role,
            member_count=event.member_count,
            ts=event.ts_ms,
        )
        if event.kind == "member_joined":
            return Event(
                kind="membership",
                group_id=event.group_id,
                frame=frame,
                user_id=event.user["id"],
                op="subscribe",
                seq=event.last_seq,
            )
        if event.kind == "member_left":
            return Event(
                kind="membership",
                group_id=event.group_id,
                frame=frame,
                user_id=event.user["id"],
                op="unsubscribe",
            )
        return Event(kind="group_event", group_id=event.group_id, frame=frame)
    return None


class Dispatcher:
    """Owns this process's hub and broker. `dispatch` is the unit of work's after-commit hook."""

    def __init__(self, db: Database, *, settings: Settings, registry: CollectorRegistry) -> None:
        self.db = db
        self.broker: Broker = make_broker(settings.redis_url, channel=events_channel(settings))
        self.hub = Hub(
            fetch_range=self._fetch_range,
            gap_grace=settings.realtime.gap_grace_seconds,
            metrics=HubMetrics(registry),
        )
        self.on_published: list[Callable[[Event], Awaitable[None] | None]] = []
        self._started = False

    async def _fetch_range(self, group_id: int, after_seq: int, upto_seq: int | None) -> list[tuple[int, str]]:
        rows = await fetch_frames_range(self.db, group_id=group_id, after_seq=after_seq, upto_seq=upto_seq)
        return [(seq, frames.message_frame(code, seq, payload)) for seq, payload, code in rows]

    async def start(self) -> None:
        if not self._started:
            await self.broker.start(self.hub.publish_local, on_resync=self.hub.resync)
            self._started = True

    async def stop(self) -> None:
        if self._started:
            await self.hub.shutdown()
            await self.broker.stop()
            self._started = False

    async def dispatch(self, events: list[Any]) -> None:
        for event in events:
            rt = to_realtime(event)
            if rt is None:
                continue
            try:
                await self.broker.publish(rt)
            except Exception:  # delivery is best-effort; clients repair gaps from the database
                log.exception("publish_failed", kind=rt.kind, group_id=rt.group_id)
