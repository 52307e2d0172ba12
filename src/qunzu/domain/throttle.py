"""Throttling rules: the rate-limit decision (GCRA), the keys it counts by, and account lockout after failures.

Pure: the time comes in as an argument (milliseconds since the epoch for the limiter, datetimes for lockout).

The limiter is the generic cell rate algorithm, a token bucket kept as one number per key: the "theoretical
arrival time" (TAT). A limit of `limit` requests per `window_ms` lets a burst of `limit` through, then one every
`window_ms / limit`. The Redis store runs the same arithmetic in a Lua script (services/throttle.py); the tests run
one table of cases against both.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, replace
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class Bucket:
    """One counter: `limit` hits per `window_ms` for `key`."""

    key: str
    limit: int
    window_ms: int


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    tat_ms: int  # the bucket's new state when allowed; unchanged when refused
    retry_after_ms: int  # 0 when allowed


def gcra(tat_ms: int | None, *, now_ms: int, limit: int, window_ms: int) -> Decision:
    """Whether one more hit fits in the bucket whose state is `tat_ms` (None: never used).

    A state more than a window ahead of `now` cannot come from this clock: the clock went back (a server's clock
    corrected, another server's clock ahead); the bucket counts as full again rather than refusing for that long."""
    interval = max(1, window_ms // limit)
    known = tat_ms is not None and tat_ms <= now_ms + window_ms
    tat = max(tat_ms if tat_ms is not None and known else now_ms, now_ms)
    new_tat = tat + interval
    allow_at = new_tat - interval * limit
    if now_ms < allow_at:
        return Decision(False, tat_ms if tat_ms is not None else now_ms, allow_at - now_ms)
    return Decision(True, new_tat, 0)


def gcra_all(states: list[int | None], buckets: list[Bucket], *, now_ms: int) -> tuple[list[Decision], int]:
    """Decide every bucket of one request; the hit is taken from all of them or from none.

    Returns each bucket's decision and the wait in ms (0 when the hit fits everywhere)."""
    decisions = [
        gcra(s, now_ms=now_ms, limit=b.limit, window_ms=b.window_ms) for s, b in zip(states, buckets, strict=True)
    ]
    return decisions, max((d.retry_after_ms for d in decisions), default=0)


def ip_key(ip: str | None, *, ipv6_prefix: int = 64) -> str:
    """What a source address is counted as: an IPv4 address itself, an IPv6 address by its /64 network.

    One host on IPv6 usually holds a whole /64, so counting single addresses would let it rotate through 2^64 of
    them. IPv4-mapped IPv6 addresses count as their IPv4 address."""
    if not ip:
        return "ip:unknown"
    try:
        addr = ipaddress.ip_address(ip.strip())
    except ValueError:
        return "ip:" + ip.strip()[:64]
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped is not None:
            return f"ip:{addr.ipv4_mapped}"
        net = ipaddress.IPv6Network((addr, ipv6_prefix), strict=False)
        return f"ip6:{net.network_address}/{ipv6_prefix}"
    return f"ip:{addr}"


def mask_ip(ip: str | None) -> str:
    """An address as its owner is shown it: 203.0.113.7 → 203.0.113.*; 2001:db8:1:2::5 → 2001:db8:1:2:*."""
    if not ip:
        return "-"
    try:
        addr = ipaddress.ip_address(ip.strip())
    except ValueError:
        return "*"
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    if isinstance(addr, ipaddress.IPv4Address):
        return ".".join(str(addr).split(".")[:3]) + ".*"
    groups = addr.exploded.split(":")[:4]
    return ":".join(g.lstrip("0") or "0" for g in groups) + ":*"


# --- account lockout ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LockoutPolicy:
    """`threshold` consecutive failures lock the account; the n-th lock lasts `periods[n-1]` (the last one repeats).

    The lock level is forgotten after `forget_after` without a failure, and at a successful sign-in."""

    threshold: int
    periods: tuple[timedelta, ...]
    forget_after: timedelta


@dataclass(frozen=True, slots=True)
class FailureState:
    failures: int = 0  # consecutive failures since the last lock or success
    lock_level: int = 0  # how many locks so far (picks the next period)
    locked_until: datetime | None = None
    last_failure_at: datetime | None = None


def locked_for(state: FailureState | None, *, now: datetime) -> timedelta | None:
    """How much longer the account is locked, or None."""
    if state is None or state.locked_until is None or state.locked_until <= now:
        return None
    return state.locked_until - now


def record_failure(state: FailureState | None, *, now: datetime, policy: LockoutPolicy) -> tuple[FailureState, bool]:
    """The state after one more failed sign-in, and whether this failure locked the account.

    A failure while the account is locked (a request already past the lock check when the lock began) does not
    count: it neither extends the lock nor starts the next one."""
    state = state or FailureState()
    if locked_for(state, now=now) is not None:
        return state, False
    if state.last_failure_at is not None and now - state.last_failure_at > policy.forget_after:
        state = FailureState()
    failures = state.failures + 1
    if failures < policy.threshold:
        return replace(state, failures=failures, last_failure_at=now), False
    period = policy.periods[min(state.lock_level, len(policy.periods) - 1)]
    locked = FailureState(failures=0, lock_level=state.lock_level + 1, locked_until=now + period, last_failure_at=now)
    return locked, True
