"""Rate limits on sign-in, registration and phone codes, in Redis when configured, else in this process.

One interface (`LimiterStore.hit`) over two stores that run the same rule (domain/throttle.py's GCRA): a hit is
taken from every bucket of a request or from none, atomically (a Lua script in Redis; no await between read and
write in-process). Every decision uses the request's `now`, never the store's clock, so tests move time by moving
`now`; Redis expiry only collects keys that no longer matter.

If Redis fails, the limiter lets the request through and logs it: sign-in stays protected by the lockout, which
lives in the database (services/lockout.py), and a broken Redis must not lock everybody out.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Coroutine, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

import structlog
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from qunzu.config import RateLimit, Settings, ThrottleSettings
from qunzu.domain.throttle import Bucket, LockoutPolicy, gcra_all, ip_key
from qunzu.errors import RateLimited
from qunzu.i18n import wait_text

log = structlog.get_logger(__name__)

# KEYS: the buckets; ARGV[1]: now (ms); ARGV[2i], ARGV[2i+1]: limit and window (ms) of KEYS[i].
# The same arithmetic as domain.throttle.gcra: take from all buckets or from none.
GCRA_LUA = """
local now = tonumber(ARGV[1])
local wait = 0
local new_tats = {}
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[2 * i])
  local window = tonumber(ARGV[2 * i + 1])
  local interval = math.max(1, math.floor(window / limit))
  local tat = tonumber(redis.call('GET', key)) or now
  if tat < now or tat > now + window then tat = now end
  local new_tat = tat + interval
  local allow_at = new_tat - interval * limit
  if now < allow_at and allow_at - now > wait then wait = allow_at - now end
  new_tats[i] = new_tat
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  redis.call('SET', key, string.format('%.0f', new_tats[i]), 'PX', math.max(1, new_tats[i] - now))
end
return 0
"""


class LimiterStore(Protocol):
    async def hit(self, buckets: Sequence[Bucket], *, now_ms: int) -> int:
        """Take one hit from every bucket, or from none; the wait in ms (0: taken)."""
        ...

    async def aclose(self) -> None: ...


class MemoryStore:
    """One process: the buckets' states in a dict (no await between reading and writing them)."""

    def __init__(self, *, max_keys: int = 200_000) -> None:
        self._tat: dict[str, int] = {}
        self._max_keys = max_keys

    async def hit(self, buckets: Sequence[Bucket], *, now_ms: int) -> int:
        decisions, wait = gcra_all([self._tat.get(b.key) for b in buckets], list(buckets), now_ms=now_ms)
        if wait:
            return wait
        if len(self._tat) + len(buckets) > self._max_keys:
            self._tat = {k: v for k, v in self._tat.items() if v > now_ms}  # drop the empty buckets
        for bucket, decision in zip(buckets, decisions, strict=True):
            self._tat[bucket.key] = decision.tat_ms
        return 0

    async def aclose(self) -> None:
        return None


class RedisStore:
    """Several processes: the buckets in Redis, decided by one Lua script per request."""

    def __init__(self, url: str, *, prefix: str) -> None:
        self.prefix = prefix
        self._client = Redis.from_url(
            url, socket_timeout=2.0, socket_connect_timeout=2.0, retry=Retry(NoBackoff(), 1), socket_keepalive=True
        )
        self._script = self._client.register_script(GCRA_LUA)

    async def hit(self, buckets: Sequence[Bucket], *, now_ms: int) -> int:
        args: list[int] = [now_ms]
        for b in buckets:
            args += [b.limit, b.window_ms]
        result = await self._script(keys=[self.prefix + b.key for b in buckets], args=args)
        return int(result)

    async def aclose(self) -> None:
        await self._client.aclose()


def _ms(now: datetime) -> int:
    return int(now.timestamp() * 1000)


def rate_limited(wait_ms: int) -> RateLimited:
    """The one refusal of every throttle: 429 `rate_limited` with the wait (api/errors.py adds Retry-After)."""
    wait_ms = max(1, int(wait_ms))
    return RateLimited(
        f"Too many attempts; try again in {wait_text(wait_ms, 'en')}", details={"retry_after_ms": wait_ms}
    )


class Throttle:
    """The limits of each throttled action, and the lockout policy of sign-in; built once from the settings."""

    def __init__(self, settings: ThrottleSettings, store: LimiterStore) -> None:
        self.settings = settings
        self.store = store
        self.lockout = LockoutPolicy(
            threshold=settings.lockout_threshold,
            periods=tuple(timedelta(seconds=s) for s in settings.lockout_periods_seconds),
            forget_after=timedelta(hours=settings.lockout_forget_hours),
        )
        self._tasks: set[asyncio.Task[None]] = set()

    def _bucket(self, action: str, key: str, limit: RateLimit) -> Bucket:
        return Bucket(f"{action}:{key}", limit.limit, limit.window_seconds * 1000)

    def _ip(self, ip: str | None) -> str:
        return ip_key(ip, ipv6_prefix=self.settings.ipv6_prefix)

    async def _take(self, buckets: list[Bucket], now: datetime) -> None:
        try:
            wait = await self.store.hit(buckets, now_ms=_ms(now))
        except (RedisError, OSError) as exc:
            log.error("throttle_store_failed", error=type(exc).__name__, keys=[b.key.split(":")[0] for b in buckets])
            return
        if wait > 0:
            raise rate_limited(wait)

    async def login(self, *, username: str | None, ip: str | None, now: datetime) -> None:
        """Per source (IPv6: its /64) and per normalised username, known or not."""
        s = self.settings
        buckets = [self._bucket("login:ip", self._ip(ip), s.login_per_ip)]
        if username is not None:
            buckets.append(self._bucket("login:user", username, s.login_per_account))
        await self._take(buckets, now)

    async def register(self, *, ip: str | None, now: datetime) -> None:
        """Per source: accounts created from one address."""
        await self._take([self._bucket("register:ip", self._ip(ip), self.settings.register_per_ip)], now)

    async def phone_code(self, *, user_id: int, ip: str | None, now: datetime) -> None:
        """Codes sent (each one an SMS that costs money), per account and per source."""
        s = self.settings
        buckets = [
            self._bucket("phone_code:ip", self._ip(ip), s.phone_code_per_ip),
            self._bucket("phone_code:user", str(user_id), s.phone_code_per_account),
        ]
        await self._take(buckets, now)

    async def phone_confirm(self, *, user_id: int, ip: str | None, now: datetime) -> None:
        """Codes tried, per account and per source (on top of each code's own attempt cap)."""
        s = self.settings
        buckets = [
            self._bucket("phone_confirm:ip", self._ip(ip), s.phone_confirm_per_ip),
            self._bucket("phone_confirm:user", str(user_id), s.phone_confirm_per_account),
        ]
        await self._take(buckets, now)

    async def group_search(self, *, ip: str | None, now: datetime) -> None:
        """Group searches per source (signed in or not)."""
        await self._take([self._bucket("search:ip", self._ip(ip), self.settings.search_per_ip)], now)

    def after_response(self, job: Coroutine[Any, Any, None]) -> None:
        """Run `job` without making the request wait for it (a notice SMS: its delay must not reveal anything)."""
        task = asyncio.create_task(job)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for the jobs started by `after_response` (at shutdown, and in tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        await self.drain()
        await self.store.aclose()


def redis_prefix(settings: Settings) -> str:
    """The key prefix of this deployment: two deployments sharing a Redis must not share counters."""
    if settings.throttle.redis_prefix:
        return settings.throttle.redis_prefix
    digest = hashlib.sha256(settings.effective_database_url.encode()).hexdigest()[:16]
    return f"qunzu:{digest}:rl:"


def make_throttle(settings: Settings) -> Throttle:
    """Redis when a URL is configured (several server processes share the counters), otherwise in-process."""
    store: LimiterStore = (
        RedisStore(settings.redis_url, prefix=redis_prefix(settings)) if settings.redis_url else MemoryStore()
    )
    return Throttle(settings.throttle, store)
