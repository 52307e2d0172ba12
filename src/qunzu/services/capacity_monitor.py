"""The capacity alert as a metric and a banner (R-5.1-1): the capacity job computes the figures once a minute in each
server process and keeps them here, so a Prometheus scrape and the banner on every staff page cost nothing.

Gauges (per process; every process reports the same figures, so a scraper may take any or the maximum):
`qunzu_backlog_items{queue}`, `qunzu_backlog_oldest_seconds{queue}`, `qunzu_backlog_overdue_items{queue}` for the
queues `review`, `tickets` and `appeals`; `qunzu_reviewers_on_shift`; `qunzu_capacity_alert` (1 while a target is
missed). Until the first run after start (within a minute) the banner shows nothing and the gauges read 0.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Gauge

from qunzu.domain.capacity import Breach, Queue
from qunzu.services.capacity import CapacityStatus


class CapacityMonitor:
    """The last capacity figures of this process and their gauges. Create one per process."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.items = Gauge("qunzu_backlog_items", "Items waiting on staff", ["queue"], registry=registry)
        self.oldest = Gauge(
            "qunzu_backlog_oldest_seconds", "Age of the oldest waiting item (0: none)", ["queue"], registry=registry
        )
        self.overdue = Gauge(
            "qunzu_backlog_overdue_items", "Waiting items past their SLA or deadline", ["queue"], registry=registry
        )
        self.on_shift = Gauge("qunzu_reviewers_on_shift", "Staff on shift now", registry=registry)
        self.alert = Gauge("qunzu_capacity_alert", "1 while a capacity target is missed (R-5.1-1)", registry=registry)
        self.last: CapacityStatus | None = None

    @property
    def breaches(self) -> list[Breach]:
        """The targets missed at the last count (empty before the first)."""
        return self.last.breaches if self.last is not None else []

    def update(self, status: CapacityStatus) -> None:
        """Keep `status` for the banner and set the gauges from it."""
        self.last = status
        f = status.figures
        for queue, backlog in ((Queue.REVIEW, f.review), (Queue.TICKETS, f.tickets), (Queue.APPEALS, f.appeals)):
            age = backlog.oldest_age(status.now)
            self.items.labels(queue.value).set(backlog.open)
            self.oldest.labels(queue.value).set(age.total_seconds() if age is not None else 0)
            self.overdue.labels(queue.value).set(backlog.overdue)
        self.on_shift.set(f.on_shift)
        self.alert.set(1 if status.alert else 0)
