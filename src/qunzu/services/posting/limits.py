"""Send rates and slow mode on the post path (R-7.1-4, R-9.3-1), and the group keyword match.

The rates are counted with the throttle's rule (domain/throttle.py's GCRA): in Redis when one is configured (every
server process shares the counts), else in this process. What a post's buckets are is decided by the plan
(services/posting/plan.py: `send_requests`) from the batch's rows; this module takes the hits, in the message
writer's own thread and event loop (its store is created there, on first use, and used from there only), in one
round trip per batch: each post's rate buckets (its rate in the group, its source address) are taken all or none,
and only then its slow-mode bucket, so a post refused for its rate does not use up its slow-mode slot.

What the rate depends on beyond the batch's rows comes with each post (`Standing`, built on the server's loop by
`standing`): the policy in force (services/policy.py keeps it for a second) and the sender's credit score, kept for
a minute per user (the level changes rarely, and reading the ledger on every post would double the post's reads).

If Redis fails, posts go through and the failure is logged, as for sign-in (services/throttle.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import structlog
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from qunzu.config import RateLimit, Settings
from qunzu.domain.chat_controls import keyword_hit
from qunzu.domain.policy import GroupPolicy
from qunzu.domain.throttle import Bucket, gcra_all
from qunzu.services.credit import my_credit
from qunzu.services.throttle import redis_prefix

log = structlog.get_logger(__name__)

SCORE_TTL = timedelta(seconds=60)
POLICY_TTL = timedelta(seconds=1)  # as services/policy.py's PolicyBook
NOT_TAKEN = 1  # a post's rate buckets were full
SLOW = 2  # its slow-mode bucket was

# KEYS: every post's buckets in order; ARGV[1]: now (ms); then per post: the number of its rate buckets, the number
# of its slow-mode buckets, then limit and window (ms) of each of its buckets. Returns per post a pair: 0/1/2 (taken,
# rate full, slow mode full) and the wait in ms. The same arithmetic as domain.throttle.gcra.
POSTS_LUA = """
local now = tonumber(ARGV[1])
local k = 1
local a = 2
local out = {}
local function take(n)
  local wait = 0
  local tats = {}
  for j = 0, n - 1 do
    local limit = tonumber(ARGV[a + 2 * j])
    local window = tonumber(ARGV[a + 2 * j + 1])
    local interval = math.max(1, math.floor(window / limit))
    local tat = tonumber(redis.call('GET', KEYS[k + j])) or now
    if tat < now or tat > now + window then tat = now end
    local new_tat = tat + interval
    local allow_at = new_tat - interval * limit
    if now < allow_at and allow_at - now > wait then wait = allow_at - now end
    tats[j + 1] = new_tat
  end
  if wait == 0 then
    for j = 0, n - 1 do
      redis.call('SET', KEYS[k + j], string.format('%.0f', tats[j + 1]), 'PX', math.max(1, tats[j + 1] - now))
    end
  end
  k = k + n
  a = a + 2 * n
  return wait
end
while a <= #ARGV do
  local nr = tonumber(ARGV[a])
  local ns = tonumber(ARGV[a + 1])
  a = a + 2
  local wait = take(nr)
  if wait > 0 then
    k = k + ns
    a = a + 2 * ns
    table.insert(out, 1)
    table.insert(out, wait)
  else
    wait = take(ns)
    table.insert(out, wait > 0 and 2 or 0)
    table.insert(out, wait)
  end
end
return out
"""


@dataclass(frozen=True, slots=True)
class Standing:
    """What a post's send rate depends on beyond the batch's rows."""

    policy: GroupPolicy
    score: int  # the sender's credit score (kept up to SCORE_TTL)
    override: int | None  # a rate in place of the policy's (load tests: settings.throttle.post_rate_override)
    per_ip: RateLimit


@dataclass(frozen=True, slots=True)
class SendRequest:
    """The buckets one post takes: `rate` all or none, then `slow`."""

    index: int
    rate: list[Bucket]
    slow: list[Bucket]
    per_minute: int
    slow_seconds: int


class PostLimiter:
    """One per message writer. `standing` runs on the server's loop; `take` and `aclose` in the writer's."""

    def __init__(self, settings: Settings, *, policy: Any, db: Any, normalize: Any = None) -> None:
        self._throttle = settings.throttle
        self._redis_url = settings.redis_url
        self._prefix = redis_prefix(settings) + "post:"
        self._policy = policy  # services.policy.PolicyBook
        self._db = db
        self._scores: dict[int, tuple[int, datetime]] = {}
        self._held_policy: tuple[GroupPolicy, datetime] | None = None
        self._inflight: dict[Any, asyncio.Future[Any]] = {}  # one read per key at a time (a burst waits for it)
        self._tat: dict[str, int] = {}  # the in-process store (the writer's thread only)
        self._redis: Redis | None = None
        self._script: Any = None
        self._normalize = normalize  # the review engine's normalisation (Normalizer.normalize), or None
        self._terms = lru_cache(maxsize=4096)(normalize) if normalize is not None else None

    async def standing(self, actor: int, now: datetime) -> Standing:
        """The policy in force (read at most once a second) and `actor`'s credit score (once a minute per user).
        A burst of posts arriving while one is being read waits for that read instead of reading again."""
        kept = self._held_policy
        if kept is None or kept[1] <= now:
            policy = await self._once("policy", self._policy.policy)
            self._held_policy = kept = (policy, now + POLICY_TTL)
        held = self._scores.get(actor)
        if held is None or held[1] <= now:
            score = await self._once(actor, lambda: self._score(actor, now))
            if len(self._scores) > 100_000:
                self._scores.clear()
            self._scores[actor] = held = (score, now + SCORE_TTL)
        return Standing(kept[0], held[0], self._throttle.post_rate_override, self._throttle.post_per_ip)

    async def _score(self, actor: int, now: datetime) -> int:
        return (await my_credit(self._db, actor=actor, now=now)).score

    async def _once(self, key: Any, read: Callable[[], Awaitable[Any]]) -> Any:
        """`read()`, or the result of the same read already under way."""
        running = self._inflight.get(key)
        if running is None:
            running = asyncio.ensure_future(read())
            self._inflight[key] = running
            running.add_done_callback(lambda done: self._inflight.pop(key) if self._inflight.get(key) is done else None)
        return await asyncio.shield(running)

    def forget(self, user_id: int) -> None:
        """Drop a kept score (the user's credit changed in this process)."""
        self._scores.pop(user_id, None)

    def matcher(self, terms: Sequence[str], text: str) -> bool:
        """Whether `text` holds one of a group's keyword `terms`, both normalised as the review engine does."""
        if self._normalize is None or self._terms is None:
            return keyword_hit(text.casefold(), [t.casefold() for t in terms])
        return keyword_hit(self._normalize(text), [self._terms(t) for t in terms])

    async def take(self, requests: Sequence[SendRequest], *, now_ms: int) -> list[tuple[int, int]]:
        """For each request: (0 taken | NOT_TAKEN | SLOW, wait in ms)."""
        if not requests:
            return []
        if self._redis_url:
            try:
                return await self._take_redis(requests, now_ms)
            except (RedisError, OSError) as exc:
                log.error("post_throttle_store_failed", error=type(exc).__name__)
                return [(0, 0)] * len(requests)
        return [self._take_memory(r, now_ms) for r in requests]

    def _hit(self, buckets: list[Bucket], now_ms: int) -> int:
        if not buckets:
            return 0
        decisions, wait = gcra_all([self._tat.get(b.key) for b in buckets], buckets, now_ms=now_ms)
        if wait:
            return wait
        if len(self._tat) > 200_000:
            self._tat = {k: v for k, v in self._tat.items() if v > now_ms}
        for bucket, decision in zip(buckets, decisions, strict=True):
            self._tat[bucket.key] = decision.tat_ms
        return 0

    def _take_memory(self, request: SendRequest, now_ms: int) -> tuple[int, int]:
        wait = self._hit(request.rate, now_ms)
        if wait:
            return NOT_TAKEN, wait
        wait = self._hit(request.slow, now_ms)
        return (SLOW, wait) if wait else (0, 0)

    async def _take_redis(self, requests: Sequence[SendRequest], now_ms: int) -> list[tuple[int, int]]:
        if self._redis is None:
            self._redis = Redis.from_url(
                self._redis_url or "",
                socket_timeout=2.0,
                socket_connect_timeout=2.0,
                retry=Retry(NoBackoff(), 1),
                socket_keepalive=True,
            )
            self._script = self._redis.register_script(POSTS_LUA)
        keys: list[str] = []
        args: list[int] = [now_ms]
        for r in requests:
            args += [len(r.rate), len(r.slow)]
            for b in (*r.rate, *r.slow):
                keys.append(self._prefix + b.key)
                args += [b.limit, b.window_ms]
        flat = await self._script(keys=keys, args=args)
        return [(int(flat[i]), int(flat[i + 1])) for i in range(0, len(flat), 2)]

    async def aclose(self) -> None:
        """In the writer's thread, at its stop."""
        if self._redis is not None:
            redis, self._redis = self._redis, None
            await redis.aclose()
