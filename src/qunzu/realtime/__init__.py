"""Real-time delivery: the per-process hub, the brokers between processes, and the wire frames."""

from qunzu.realtime.broker import Broker, MemoryBroker, RedisBroker, make_broker
from qunzu.realtime.frames import (
    PONG_FRAME,
    Event,
    error_frame,
    member_frame,
    message_deleted_frame,
    message_frame,
    profile_taken_down_frame,
    ready_frame,
    resume_frame,
    review_decided_frame,
    session_ended_frame,
)
from qunzu.realtime.hub import (
    CLOSE_RESYNC,
    CLOSE_SESSION_ENDED,
    CLOSE_SLOW_CONSUMER,
    Connection,
    FetchRange,
    Hub,
    HubMetrics,
    Subscription,
)

__all__ = [
    "CLOSE_RESYNC",
    "CLOSE_SESSION_ENDED",
    "CLOSE_SLOW_CONSUMER",
    "PONG_FRAME",
    "Broker",
    "Connection",
    "Event",
    "FetchRange",
    "Hub",
    "HubMetrics",
    "MemoryBroker",
    "RedisBroker",
    "Subscription",
    "error_frame",
    "make_broker",
    "member_frame",
    "message_deleted_frame",
    "message_frame",
    "profile_taken_down_frame",
    "ready_frame",
    "resume_frame",
    "review_decided_frame",
    "session_ended_frame",
]
