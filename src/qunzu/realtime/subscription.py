"""What a connection subscribes to, and the hub's metrics (split from realtime/hub.py, which uses both)."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge


class HubMetrics:
    """The hub's Prometheus metrics. Create one per process (registry None = the default registry)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        reg = REGISTRY if registry is None else registry
        self.connections = Gauge("qunzu_ws_connections", "Open WebSocket connections", registry=reg)
        self.frames_sent = Counter("qunzu_ws_frames_sent", "Frames written to WebSockets", registry=reg)
        self.slow_consumer_disconnects = Counter(
            "qunzu_ws_slow_consumer_disconnects", "Connections closed for falling behind", registry=reg
        )
        self.messages_delivered = Counter(
            "qunzu_messages_delivered", "Message frames written to WebSockets", registry=reg
        )
        self.range_fetches = Counter(
            "qunzu_ws_range_fetches", "Database range fetches for replay and gap repair", registry=reg
        )
        self.too_many_connections = Counter(
            "qunzu_ws_refused_too_many", "Connections refused: the account had its limit open (4429)", registry=reg
        )


@dataclass(frozen=True, slots=True)
class Subscription:
    """One group a connecting client receives: messages with seq > after_seq, replayed if `replay`."""

    group_id: int
    code: str
    after_seq: int
    replay: bool = True

    @classmethod
    def from_client(cls, group_id: int, code: str, *, last_seen: int | None, current_seq: int) -> Subscription:
        """`last_seen` is what the client says it saw (None or < 0: live only, starting at `current_seq`)."""
        if last_seen is None or last_seen < 0:
            return cls(group_id, code, current_seq, replay=False)
        return cls(group_id, code, min(last_seen, current_seq), replay=True)
