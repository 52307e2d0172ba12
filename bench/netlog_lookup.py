"""The network log at scale on PostgreSQL (issue #14, R-13.2-1): how long finding one account's or one source
address's six months takes as the log grows, and how many records a second the log takes while it is large.

    .venv/bin/python -m bench.netlog_lookup --sizes 2000000,20000000 [--dsn postgresql://postgres@127.0.0.1]

It makes a scratch database `qunzu_bench_netlog` (dropped at the end unless --keep), migrates it (so the table is
the real one: monthly partitions, its indexes and triggers), adds the partitions of the last 13 months, then grows the
log to each size in turn with generated records spread over the last 12 months (200,000 accounts, 500,000 source
addresses, a realistic mix of actions) and measures, at each size:

- `account`: `WHERE actor_id = $1 AND ts >= now() - 184 days` for 200 random accounts (p50, p95, max, rows);
- `ip`: the same by `src_ip`;
- `insert`: single-record transactions written as `netlog.record` writes them, 4 concurrent writers for 10 s.

The growth between sizes is what shows whether the lookups hold at 100 million: partition pruning keeps each to the
six months' partitions, and the (actor_id, ts) / (src_ip, ts) indexes make it a range scan whose cost grows with the
rows returned, not the table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
DB = "qunzu_bench_netlog"
ACCOUNTS = 200_000
ADDRESSES = 500_000
ACTIONS = ["auth.login", "auth.logout", "ws.online", "ws.offline", "group.join", "message.delete", "group.create"]


def _ip(n: int) -> str:
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


async def _grow(conn: asyncpg.Connection, have: int, want: int) -> float:
    """Add generated records until the log holds `want`; the seconds it took."""
    start = time.perf_counter()
    step = 1_000_000
    while have < want:
        n = min(step, want - have)
        await conn.execute(
            f"""
            INSERT INTO operation_log (ts, actor_id, action, target_type, target_id, src_ip, src_port, dst_ip,
                                       dst_port, client_type, session_hash, result)
            SELECT now() - (random() * interval '365 days'),
                   (random() * {ACCOUNTS - 1})::bigint + 1,
                   (ARRAY{ACTIONS!r})[1 + (random() * {len(ACTIONS) - 1})::int],
                   'session', NULL,
                   '10.' || ((k >> 16) & 255) || '.' || ((k >> 8) & 255) || '.' || (k & 255),
                   1024 + (random() * 60000)::int, '192.0.2.1', 443, 'web',
                   substr(md5(g::text), 1, 16), 'ok'
            FROM (SELECT g, (random() * {ADDRESSES - 1})::int AS k FROM generate_series(1, {n}) AS g) AS r
            """
        )
        have += n
        print(f"  {have:,} records ({time.perf_counter() - start:.0f} s)", file=sys.stderr, flush=True)
    await conn.execute("ANALYZE operation_log")
    return time.perf_counter() - start


async def _lookups(conn: asyncpg.Connection, column: str, keys: list[object]) -> dict[str, float]:
    sql = f"SELECT * FROM operation_log WHERE {column} = $1 AND ts >= now() - interval '184 days' ORDER BY ts"
    times, rows = [], []
    for key in keys:
        t0 = time.perf_counter()
        found = await conn.fetch(sql, key)
        times.append((time.perf_counter() - t0) * 1000)
        rows.append(len(found))
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(times[int(len(times) * 0.95) - 1], 2),
        "max_ms": round(times[-1], 2),
        "rows_mean": round(statistics.mean(rows), 1),
    }


async def _insert_rate(dsn: str, seconds: float = 10.0, writers: int = 4) -> float:
    stop = time.perf_counter() + seconds
    counts = [0] * writers

    async def writer(i: int) -> None:
        conn = await asyncpg.connect(dsn)
        try:
            while time.perf_counter() < stop:
                async with conn.transaction():
                    await conn.execute(
                        "INSERT INTO operation_log (ts, actor_id, action, target_type, target_id, src_ip, src_port, "
                        "dst_ip, dst_port, client_type, session_hash, result, details) "
                        "VALUES (now(), $1, 'group.join', 'group', '3051323025', $2, 50123, '192.0.2.1', 443, 'web', "
                        "'0123456789abcdef', 'ok', $3)",
                        random.randint(1, ACCOUNTS),
                        _ip(random.randrange(ADDRESSES)),
                        json.dumps({"via": "code"}),
                    )
                counts[i] += 1
        finally:
            await conn.close()

    await asyncio.gather(*(writer(i) for i in range(writers)))
    return sum(counts) / seconds


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dsn", default="postgresql://postgres@127.0.0.1", help="server (no database name)")
    ap.add_argument("--sizes", default="2000000,20000000", help="log sizes to measure at, ascending")
    ap.add_argument("--keep", action="store_true", help="keep the scratch database")
    ap.add_argument("--json", type=Path, help="write the figures here too")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    admin = await asyncpg.connect(args.dsn + "/postgres")
    await admin.execute(f"DROP DATABASE IF EXISTS {DB}")
    await admin.execute(f"CREATE DATABASE {DB}")
    dsn = f"{args.dsn}/{DB}"
    env = {**os.environ, "QUNZU_DATABASE_URL": dsn.replace("postgresql://", "postgresql+asyncpg://"),
           "QUNZU_DATA_DIR": "/tmp/qunzu-bench-netlog"}  # fmt: skip
    await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "qunzu", "migrate"], env=env, cwd=ROOT, check=True, capture_output=True
    )
    conn = await asyncpg.connect(dsn)
    figures: list[dict[str, object]] = []
    try:
        await conn.execute(
            """
            DO $$ DECLARE m date := (date_trunc('month', now() AT TIME ZONE 'UTC') - interval '13 months')::date;
            BEGIN
              WHILE m < date_trunc('month', now() AT TIME ZONE 'UTC')::date LOOP
                EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF operation_log FOR VALUES FROM (%L) TO (%L)',
                  'operation_log_y' || to_char(m, 'YYYY') || 'm' || to_char(m, 'MM'),
                  (m::timestamp AT TIME ZONE 'UTC'), ((m + interval '1 month')::timestamp AT TIME ZONE 'UTC'));
                m := (m + interval '1 month')::date;
              END LOOP;
            END $$;
            """
        )
        have = 0
        rng = random.Random(7)
        for size in sizes:
            print(f"growing to {size:,}", file=sys.stderr)
            grow_s = await _grow(conn, have, size)
            have = size
            accounts = [rng.randint(1, ACCOUNTS) for _ in range(200)]
            ips = [_ip(rng.randrange(ADDRESSES)) for _ in range(200)]
            row = {
                "records": size,
                "generate_s": round(grow_s),
                "account": await _lookups(conn, "actor_id", accounts),
                "ip": await _lookups(conn, "src_ip", ips),
                "insert_per_s": round(await _insert_rate(dsn)),
            }
            figures.append(row)
            print(json.dumps(row), flush=True)
    finally:
        await conn.close()
        if not args.keep:
            await admin.execute(f"DROP DATABASE IF EXISTS {DB}")
        await admin.close()
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    asyncio.run(main())
