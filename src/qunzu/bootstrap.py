"""Composition root: builds the engine, broker, hub, hashers and caches from Settings."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog
from prometheus_client import CollectorRegistry

from qunzu.clock import Clock, SystemClock
from qunzu.config import Settings
from qunzu.jobs import Scheduler, platform_jobs
from qunzu.services.accounts import TokenCache
from qunzu.services.capacity_monitor import CapacityMonitor
from qunzu.services.dispatch import Dispatcher
from qunzu.services.emergency import SwitchCache, attach
from qunzu.services.message_writer import MessageWriter
from qunzu.services.passwords import Passwords
from qunzu.services.policy import PolicyBook, ensure_policy
from qunzu.services.posting.limits import PostLimiter
from qunzu.services.review_runtime import ReviewRuntime, ensure_lexicon
from qunzu.services.throttle import Throttle, make_throttle
from qunzu.services.verifiers import IdVerifier, SmsSender, make_id_verifier, make_sms_sender
from qunzu.services.ws_tickets import MemoryTicketStore, TicketStore, make_ticket_store
from qunzu.storage.crypto import KeyRing, load_keyring
from qunzu.storage.engine import create_engine
from qunzu.storage.uow import Database

log = structlog.get_logger(__name__)


def ensure_secret(settings: Settings) -> str:
    """The secret key: from QUNZU_SECRET_KEY, else ./var/secret_key, created (mode 0600) on first run."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    path = Path(settings.data_dir) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    log.info("secret_key_created", path=str(path))
    return key


@dataclass
class Container:
    settings: Settings
    db: Database
    passwords: Passwords
    tokens: TokenCache
    secret: str
    registry: CollectorRegistry
    dispatcher: Dispatcher
    writer: MessageWriter
    keys: KeyRing
    sms: SmsSender
    verifier: IdVerifier
    review: ReviewRuntime
    throttle: Throttle
    policy: PolicyBook  # the group policy in force (Art. 7 ¶1)
    extras: dict[str, Any] = field(default_factory=dict)
    ws_tickets: TicketStore = field(default_factory=MemoryTicketStore)
    clock: Clock = field(default_factory=SystemClock)  # the one source of `now`: tests build with a ManualClock
    scheduler: Scheduler | None = None  # the scheduled jobs (qunzu.jobs), started with the server
    capacity: CapacityMonitor | None = None  # the review team's figures for the metrics and the staff banner
    emergency: SwitchCache | None = None  # the emergency switches on (R-5.1-4), polled once a second

    async def start(self) -> None:
        from qunzu.context import Ctx
        from qunzu.services.documents import ensure_default_documents

        await ensure_default_documents(self.db, ctx=Ctx.system(self.clock.now()))
        await ensure_lexicon(self.db, now=self.clock.now())
        await ensure_policy(self.db, settings=self.settings.groups, now=self.clock.now())
        await self.review.start()
        await self.dispatcher.start()
        await self.writer.start()
        if self.scheduler is not None:
            self.scheduler.start()

    async def stop(self) -> None:
        if self.scheduler is not None:
            await self.scheduler.stop()
        await self.review.stop()
        await self.writer.stop()
        await self.dispatcher.stop()
        await self.ws_tickets.close()
        await self.throttle.aclose()  # after its last SMS, before the SMS sender closes
        for plugin in (self.sms, self.verifier):
            close = getattr(plugin, "aclose", None)
            if close is not None:
                await close()
        await self.db.dispose()


def build_container(
    settings: Settings, *, registry: CollectorRegistry | None = None, clock: Clock | None = None
) -> Container:
    """Everything the entry points need, wired once."""
    engine = create_engine(settings.effective_database_url)
    db = Database(engine)
    registry = registry or CollectorRegistry()
    passwords = (
        Passwords(time_cost=1, memory_kib=8192)
        if settings.profile == "test"
        else Passwords(time_cost=3, memory_kib=65536)
    )
    clock = clock or SystemClock()
    dispatcher = Dispatcher(db, settings=settings, registry=registry)
    db.dispatcher = dispatcher.dispatch
    policy = PolicyBook(db, clock)
    capacity = CapacityMonitor(registry)  # R-5.1-1: updated each minute by the capacity job
    emergency = attach(db, SwitchCache(db))  # every gate of this process asks it (services/emergency.py)
    review = ReviewRuntime(db, cache_dir=Path(settings.data_dir) / "review-cache")
    limiter = PostLimiter(settings, policy=policy, db=db, normalize=lambda text: review.engine.normalize(text))
    return Container(
        settings=settings,
        db=db,
        passwords=passwords,
        tokens=TokenCache(),
        secret=ensure_secret(settings),
        registry=registry,
        dispatcher=dispatcher,
        writer=MessageWriter(db, registry=registry, limiter=limiter),
        keys=load_keyring(
            settings.keys_path,
            master_key=settings.master_key.get_secret_value() if settings.master_key else None,
            hmac_key=settings.identity_hmac_key.get_secret_value() if settings.identity_hmac_key else None,
        ),
        sms=make_sms_sender(settings.identity),
        verifier=make_id_verifier(settings.identity),
        review=review,
        ws_tickets=make_ticket_store(settings),
        throttle=make_throttle(settings),
        clock=clock,
        scheduler=Scheduler(platform_jobs(db, settings, capacity_monitor=capacity), clock),
        capacity=capacity,
        policy=policy,
        emergency=emergency,
    )
