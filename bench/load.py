"""Message load generator: throughput, post latency, delivery latency and 500-member fan-out.

Default workload (issue 2, "Benchmark"), run as three phases of `--duration` seconds each:

  groups       200 users; 20 groups of 10 members; 20 senders (one per group, closed loop: the next post
               starts when the previous one is acknowledged) post as fast as they can, unique client_msg_ids;
               one WebSocket receiver per group (another member) measures delivery latency
               (post start → message frame received, matched by client_msg_id).
  fanout-2/s   one group of 500 members, all 500 connected by WebSocket; one member posts 2 messages/s
               (open loop); fan-out latency = post start → the frame reached the *last* of the 500 sockets.
  fanout-max   the same group, posting as fast as possible (`--fanout-senders` closed-loop senders).

`--rate R` runs the same flows at a fixed offered load instead: open loop, R messages/s in total spread over
the senders and scheduled on a clock (a post never waits for the previous response; latency counts from the
scheduled time, so a server that falls behind shows it). fanout-2/s stays at 2/s; fanout-max runs at R/s.

Targets: `--url` (a running server; its PIDs are found by listening port, or `--server-pid`), or
`--spawn sqlite|postgres|redis2`: the bench starts the server(s) on free ports with a scratch database and
tears everything down at the end. redis2 = two server processes sharing PostgreSQL and Redis; senders post to
the first, every WebSocket is on the second.

Reported per phase: messages/s, post p50/p99, delivery p50/p99, fan-out to the last receiver p50/p99, the
fraction delivered (frames received / frames expected for acknowledged messages), errors by status, server CPU
(seconds and % of one core, from psutil on the server PIDs), PostgreSQL backend CPU, server peak RSS, and the
load generator's own CPU. `--json PATH` writes everything machine-readable.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import datetime as dt
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

try:  # httpcore imports sniffio on every request; when it is absent the failed import costs ~0.1 ms each time
    import sniffio  # noqa: F401
except ImportError:
    sys.modules["sniffio"] = None  # type: ignore[assignment]  # fail fast: httpcore then assumes asyncio

import httpx
import orjson
import psutil
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed

from bench.rawhttp import RawHttpClient

now = time.perf_counter
API = "/api/v1"
PASSWORD = "bench-Pa55-word!"
SPAWN_STAFF = ("benchops", "bench-staff-Pa55!")  # created by --spawn; reads the development SMS outbox
CID_KEY = '"client_msg_id":"'
CID_LEN = len(CID_KEY)
SEQ_KEY = '"seq":'
TEXT = "load test message, forty characters long"
BODY_HEAD = orjson.dumps({"text": TEXT})[:-1] + b',"client_msg_id":"'
BODY_TAIL = b'"}'
JSON_HEADERS = {"content-type": "application/json"}


# ----------------------------------------------------------------------------------------------- statistics


def pct(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of `values` (seconds) in milliseconds; None when empty."""
    if not values:
        return None
    s = sorted(values)
    k = max(0, min(len(s) - 1, round(q / 100.0 * len(s) + 0.5) - 1))
    return round(s[k] * 1000.0, 2)


def summary(values: list[float]) -> dict[str, float | int | None]:
    return {
        "n": len(values),
        "p50_ms": pct(values, 50),
        "p90_ms": pct(values, 90),
        "p99_ms": pct(values, 99),
        "max_ms": round(max(values) * 1000.0, 2) if values else None,
    }


# ---------------------------------------------------------------------------------------- process meters


def _cpu(p: psutil.Process) -> float:
    t = p.cpu_times()
    return t.user + t.system


def _vmhwm_kib(pid: int) -> int | None:
    """Peak RSS over the process's life (Linux VmHWM)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


class Meter:
    """CPU of a set of processes (the server, the database backends, the client) between two snapshots."""

    def __init__(self, procs: Callable[[], list[psutil.Process]]) -> None:
        self.procs = procs

    def snapshot(self) -> dict[int, float]:
        out: dict[int, float] = {}
        for p in self.procs():
            with contextlib.suppress(psutil.Error):
                out[p.pid] = _cpu(p)
        return out

    @staticmethod
    def delta(a: dict[int, float], b: dict[int, float]) -> float:
        return sum(v - a.get(pid, 0.0) for pid, v in b.items())


def pids_listening(port: int) -> list[int]:
    pids = set()
    for c in psutil.net_connections(kind="tcp"):
        if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port and c.pid:
            pids.add(c.pid)
    return sorted(pids)


def pg_backends(dbname: str) -> Callable[[], list[psutil.Process]]:
    """PostgreSQL backends serving `dbname` (their title is `postgres: ... user db host(port) state`)."""
    needle = f" {dbname} "

    def find() -> list[psutil.Process]:
        out = []
        for p in psutil.process_iter(["name", "cmdline"]):
            with contextlib.suppress(psutil.Error):
                cmd = " ".join(p.info["cmdline"] or [])
                if cmd.startswith("postgres:") and needle in cmd + " ":
                    out.append(p)
        return out

    return find


# --------------------------------------------------------------------------------------------- frames


class Frames:
    """Every message frame any bench socket receives: per client_msg_id, count and first/last arrival."""

    def __init__(self) -> None:
        self.count: dict[str, int] = {}
        self.first: dict[str, float] = {}
        self.last: dict[str, float] = {}
        self.other: collections.Counter[str] = collections.Counter()
        self.duplicates = 0
        self.gaps = 0
        self.closed: collections.Counter[str] = collections.Counter()


@dataclass
class Sock:
    user: int
    ws: ClientConnection | None = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    last_seq: int = -1
    task: asyncio.Task[None] | None = None


async def reader(sock: Sock, frames: Frames) -> None:
    """Read frames cheaply: the client_msg_id and seq are found by string search, not parsed."""
    ws = sock.ws
    assert ws is not None
    count, first, last = frames.count, frames.first, frames.last
    try:
        async for raw in ws:
            t = now()
            if not isinstance(raw, str):
                frames.other["binary"] += 1
                continue
            i = raw.find(CID_KEY)
            if i >= 0:
                j = raw.find('"', i + CID_LEN)
                cid = raw[i + CID_LEN : j]
                c = count.get(cid)
                if c is None:
                    count[cid] = 1
                    first[cid] = t
                else:
                    count[cid] = c + 1
                last[cid] = t
                k = raw.find(SEQ_KEY)
                if k >= 0:
                    e = k + 6
                    while raw[e].isdigit():
                        e += 1
                    seq = int(raw[k + 6 : e])
                    if sock.last_seq >= 0:
                        if seq <= sock.last_seq:
                            frames.duplicates += 1
                            continue
                        if seq > sock.last_seq + 1:
                            frames.gaps += seq - sock.last_seq - 1
                    sock.last_seq = seq
                continue
            msg = orjson.loads(raw)
            kind = msg.get("type", "?")
            frames.other[kind] += 1
            if kind == "ready":
                groups = msg.get("groups") or {}
                if len(groups) == 1:
                    sock.last_seq = next(iter(groups.values()))
                sock.ready.set()
    except ConnectionClosed as exc:
        frames.closed[str(exc.rcvd.code if exc.rcvd else "no-close-frame")] += 1
    except Exception as exc:
        frames.closed[type(exc).__name__] += 1


# ------------------------------------------------------------------------------------------------ phases


@dataclass
class Phase:
    name: str
    receivers: int  # sockets expected to receive each message
    starts: dict[str, float] = field(default_factory=dict)
    acks: dict[str, float] = field(default_factory=dict)
    statuses: collections.Counter[str] = field(default_factory=collections.Counter)
    errors: list[str] = field(default_factory=list)
    t0: float = 0.0
    t_send_end: float = 0.0
    t_end: float = 0.0
    offered_rate: float | None = None

    def fail(self, what: str, detail: str) -> None:
        self.statuses[what] += 1
        if len(self.errors) < 10:
            self.errors.append(f"{what}: {detail[:300]}")


async def post_one(
    client: httpx.AsyncClient | RawHttpClient, ph: Phase, path: str, headers: dict[str, str], cid: str, t0: float
) -> None:
    ph.starts[cid] = t0
    body = BODY_HEAD + cid.encode() + BODY_TAIL
    if isinstance(client, RawHttpClient):
        await _post_raw(client, ph, path, headers, cid, body)
        return
    try:
        try:
            r = await client.post(path, content=body, headers=headers)
        except (httpx.ReadError, httpx.RemoteProtocolError, httpx.WriteError) as exc:
            # The connection died under the request (e.g. the server closed an idle keep-alive connection just as
            # it was reused). Posts are idempotent by client_msg_id, so retry once as a real client would; a 200
            # then means the first attempt had been committed. Counted, so it shows in the report.
            ph.fail(f"retried after {type(exc).__name__}", repr(exc))
            r = await client.post(path, content=body, headers=headers)
    except httpx.HTTPError as exc:
        ph.fail(type(exc).__name__, repr(exc))
        return
    t1 = now()
    ph.statuses[str(r.status_code)] += 1
    if r.status_code in (200, 201):
        ph.acks[cid] = t1
    else:
        ph.fail(f"http {r.status_code}", r.text)


_HEADS: dict[tuple[int, str, str], bytes] = {}


async def _post_raw(
    client: RawHttpClient, ph: Phase, path: str, headers: dict[str, str], cid: str, body: bytes
) -> None:
    key = (id(client), path, headers.get("authorization", ""))
    head = _HEADS.get(key)
    if head is None:
        head = _HEADS[key] = client.head("POST", path, headers)
    try:
        try:
            status, payload = await client.request(head, body)
        except ConnectionError as exc:  # as with httpx above: retry once with the same client_msg_id
            ph.fail("retried after ConnectionError", repr(exc))
            status, payload = await client.request(head, body)
    except (ConnectionError, OSError, TimeoutError) as exc:
        ph.fail(type(exc).__name__, repr(exc))
        return
    t1 = now()
    ph.statuses[str(status)] += 1
    if status in (200, 201):
        ph.acks[cid] = t1
    else:
        ph.fail(f"http {status}", payload.decode(errors="replace"))


async def closed_sender(
    client: httpx.AsyncClient | RawHttpClient,
    ph: Phase,
    path: str,
    headers: dict[str, str],
    prefix: str,
    deadline: float,
) -> None:
    n = 0
    while now() < deadline:
        await post_one(client, ph, path, headers, f"{prefix}{n}", now())
        n += 1


async def open_sender(
    client: httpx.AsyncClient | RawHttpClient,
    ph: Phase,
    path: str,
    headers: dict[str, str],
    prefix: str,
    first: float,
    interval: float,
    deadline: float,
) -> None:
    tasks: set[asyncio.Task[None]] = set()
    k = 0
    while True:
        t = first + k * interval
        if t >= deadline:
            break
        delay = t - now()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(post_one(client, ph, path, headers, f"{prefix}{k}", t))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        k += 1
    if tasks:
        await asyncio.gather(*tasks)


@dataclass
class Sender:
    """One posting member: its own keep-alive pool (a shared pool scans every connection on each request)."""

    client: httpx.AsyncClient | RawHttpClient
    path: str
    headers: dict[str, str]
    prefix: str


async def run_phase(
    ph: Phase,
    senders: list[Sender],
    *,
    duration: float,
    rate: float | None,
    frames: Frames,
    drain: float,
) -> None:
    """Send for `duration` seconds (closed loop, or open loop at `rate` messages/s in total), then wait until
    every acknowledged message reached every receiver, or `drain` seconds."""
    ph.offered_rate = rate
    ph.t0 = t0 = now()
    deadline = t0 + duration
    if rate is None:
        coros = [closed_sender(s.client, ph, s.path, s.headers, s.prefix, deadline) for s in senders]
    else:
        n = len(senders)
        coros = [
            open_sender(s.client, ph, s.path, s.headers, s.prefix, t0 + i / rate, n / rate, deadline)
            for i, s in enumerate(senders)
        ]
    await asyncio.gather(*coros)
    ph.t_send_end = now()
    end = ph.t_send_end + drain
    want = ph.receivers
    while now() < end:
        if all(frames.count.get(c, 0) >= want for c in ph.acks):
            break
        await asyncio.sleep(0.05)
    ph.t_end = now()


# /metrics answers on the main listener only to the metrics token: the spawned servers get this one; for --url,
# give the server's token in QUNZU_BENCH_METRICS_TOKEN.
METRICS_TOKEN = os.environ.get("QUNZU_BENCH_METRICS_TOKEN") or secrets.token_urlsafe(16)


async def writer_counters(client: httpx.AsyncClient) -> dict[str, float]:
    """The posting server's message-writer totals from /metrics (zeros when it has none)."""
    out = {"count": 0.0, "posts": 0.0, "seconds": 0.0}
    names = {
        "qunzu_writer_batch_size_count": "count",
        "qunzu_writer_batch_size_sum": "posts",
        "qunzu_writer_batch_seconds_sum": "seconds",
    }
    with contextlib.suppress(httpx.HTTPError):
        metrics = await client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        for line in metrics.text.splitlines():
            name, _, value = line.partition(" ")
            if name in names:
                out[names[name]] = float(value)
    return out


def analyse(ph: Phase, frames: Frames) -> dict[str, Any]:
    acked = ph.acks
    post = [acked[c] - ph.starts[c] for c in acked]
    window = max(ph.t_send_end - ph.t0, 1e-9)
    expected = len(acked) * ph.receivers
    got = sum(min(frames.count.get(c, 0), ph.receivers) for c in acked)
    complete = [c for c in acked if frames.count.get(c, 0) >= ph.receivers]
    last = [frames.last[c] - ph.starts[c] for c in complete]
    first = [frames.first[c] - ph.starts[c] for c in acked if c in frames.first]
    out: dict[str, Any] = {
        "phase": ph.name,
        "receivers_per_message": ph.receivers,
        "offered_rate": ph.offered_rate,
        "send_window_s": round(window, 3),
        "attempted": len(ph.starts),
        "acknowledged": len(acked),
        "messages_per_s": round(len(acked) / window, 1),
        "statuses": dict(ph.statuses),
        "errors": ph.errors,
        "post_latency": summary(post),
        "frames_expected": expected,
        "frames_received": got,
        "delivered_fraction": round(got / expected, 5) if expected else None,
        "incomplete_messages": len(acked) - len(complete),
        "unacknowledged_but_delivered": sum(1 for c in ph.starts if c not in acked and c in frames.count),
    }
    if ph.receivers == 1:
        out["delivery_latency"] = summary(last)
    else:
        out["fanout_last_latency"] = summary(last)
        out["fanout_first_latency"] = summary(first)
    return out


# ------------------------------------------------------------------------------------------------- set-up


@dataclass
class User:
    index: int
    username: str
    token: str = ""


async def bounded(limit: int, coros: list[Any]) -> list[Any]:
    sem = asyncio.Semaphore(limit)

    async def one(c: Any) -> Any:
        async with sem:
            return await c

    return await asyncio.gather(*(one(c) for c in coros))


async def api(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    *,
    token: str | None = None,
    body: Any = None,
    ok: tuple[int, ...] = (200, 201),
) -> Any:
    headers = dict(JSON_HEADERS)
    if token:
        headers["authorization"] = f"Bearer {token}"
    r = await client.request(method, path, content=orjson.dumps(body) if body is not None else None, headers=headers)
    if r.status_code not in ok:
        raise RuntimeError(f"{method} {path} → {r.status_code}: {r.text[:300]}")
    return orjson.loads(r.content) if r.content else None


_ACCEPT: dict[str, Any] = {}  # documents to accept at registration, learnt from the first `agreement_required`


async def make_user(client: httpx.AsyncClient, u: User) -> None:
    body: dict[str, Any] = {"username": u.username, "password": PASSWORD, "nickname": f"bench {u.index}"}
    for _ in range(2):
        if _ACCEPT:
            body["accept"] = dict(_ACCEPT)
        r = await client.post(f"{API}/auth/register", content=orjson.dumps(body), headers=JSON_HEADERS)
        if r.status_code == 201:
            break
        err = (orjson.loads(r.content) or {}).get("error", {}) if r.content else {}
        if r.status_code == 403 and err.get("code") == "agreement_required" and not body.get("accept"):
            _ACCEPT.update(err.get("details", {}).get("required", {}))
            continue
        raise RuntimeError(f"POST {API}/auth/register → {r.status_code}: {r.text[:300]}")
    login = {"username": u.username, "password": PASSWORD}
    signed_in = await api(client, "POST", f"{API}/auth/login", body=login)
    u.token = signed_in["access_token"]
    await verify_phone(client, u, signed_in["user"]["id"])


STAFF: dict[str, str] = {}  # the staff token that reads one-time codes from the development SMS outbox


async def verify_phone(client: httpx.AsyncClient, u: User, user_id: int) -> None:
    """Identity level 1 (needed to create, join and post): a one-time code from the development SMS outbox."""
    phone = f"139{u.index:08d}"
    await api(client, "POST", f"{API}/me/verification/phone", token=u.token, body={"phone": phone}, ok=(202,))
    sent = await api(client, "GET", f"{API}/staff/sms-outbox?user_id={user_id}", token=STAFF["token"])
    code = re.search(r"(?<!\d)(\d{6})(?!\d)", sent[0]["body"]).group(1)  # type: ignore[union-attr]
    await api(client, "POST", f"{API}/me/verification/phone/confirm", token=u.token, body={"code": code})


async def sign_in_staff(client: httpx.AsyncClient, username: str, password: str) -> None:
    body = {"username": username, "password": password}
    STAFF["token"] = (await api(client, "POST", f"{API}/auth/login", body=body))["access_token"]


async def connect_socket(ws_base: str, u: User, frames: Frames, ready_timeout: float) -> Sock:
    sock = Sock(u.index)
    sock.ws = await ws_connect(
        f"{ws_base}{API}/ws",
        additional_headers={"Authorization": f"Bearer {u.token}"},  # never a token in the URL: URLs are logged
        compression=None,
        ping_interval=None,
        max_queue=4096,
        open_timeout=60,
        close_timeout=2,
    )
    await sock.ws.send(orjson.dumps({"type": "hello", "groups": {}}).decode())
    sock.task = asyncio.create_task(reader(sock, frames))
    await asyncio.wait_for(sock.ready.wait(), ready_timeout)
    return sock


# --------------------------------------------------------------------------------------------------- spawn


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def qunzu_cmd() -> list[str]:
    """`python -m qunzu`: the package's own entry module, so that a snapshot (`--server-rev`) runs its own CLI
    (the installed `qunzu` console script names whatever entry point the last `pip install` wrote)."""
    return [sys.executable, "-m", "qunzu"]


class Spawn:
    """Server(s), scratch database and (for redis2) a private Redis, started and torn down by the bench."""

    def __init__(self, mode: str, args: argparse.Namespace) -> None:
        self.mode, self.args = mode, args
        self.tmp = Path(tempfile.mkdtemp(prefix="qunzu-bench-"))
        self.procs: list[subprocess.Popen[bytes]] = []
        self.redis: subprocess.Popen[bytes] | None = None
        self.dbname: str | None = None
        self.ports: list[int] = []
        self.logs: list[Path] = []
        self.redis_url: str | None = None
        self.source = f"working tree ({git_describe()})"

    def _pg(self) -> tuple[list[str], str]:
        u = urlparse(self.args.pg_url)
        base = [
            "psql",
            "-h",
            u.hostname or "127.0.0.1",
            "-p",
            str(u.port or 5432),
            "-U",
            u.username or "postgres",
            "-d",
            "postgres",
            "-v",
            "ON_ERROR_STOP=1",
            "-q",
            "-c",
        ]
        return base, f"postgresql+asyncpg://{u.username or 'postgres'}@{u.hostname}:{u.port or 5432}"

    def _source(self) -> str | None:
        """`--server-rev REV`: export that commit (git archive) and run the servers from it, so that
        uncommitted edits in the working tree do not leak into the measurement."""
        rev = self.args.server_rev
        if not rev:
            return None
        repo = Path(__file__).resolve().parent.parent
        full = subprocess.run(
            ["git", "rev-parse", "--verify", f"{rev}^{{commit}}"], cwd=repo, check=True, capture_output=True, text=True
        ).stdout.strip()
        dest = self.tmp / "src-snapshot"
        dest.mkdir()
        archive = subprocess.run(["git", "archive", full, "src"], cwd=repo, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
        self.source = f"git {full[:12]}"
        return str(dest / "src")

    def start(self) -> tuple[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("QUNZU_")}
        src = self._source()
        if src:
            env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        env.update(
            QUNZU_DATA_DIR=str(self.tmp / "var"),
            QUNZU_PROFILE=self.args.server_profile,
            QUNZU_LOGS__LEVEL=self.args.server_log_level,
            QUNZU_METRICS__TOKEN=METRICS_TOKEN,
            # thousands of simulated users register and sign in from this one address, and its senders post far above
            # the group policy's send rates (R-7.1-4): raised for the run, as Synapse's were for its figures
            **{
                f"QUNZU_THROTTLE__{name}": '{"limit": 1000000, "window_seconds": 60}'
                for name in (
                    "REGISTER_PER_IP",
                    "LOGIN_PER_IP",
                    "LOGIN_PER_ACCOUNT",
                    "PHONE_CODE_PER_IP",
                    "PHONE_CONFIRM_PER_IP",
                    "POST_PER_IP",
                )
            },
            QUNZU_THROTTLE__POST_RATE_OVERRIDE="1000000",
            PYTHONUNBUFFERED="1",
        )
        if self.mode == "sqlite":
            env["QUNZU_DATABASE_URL"] = f"sqlite+aiosqlite:///{self.tmp / 'var' / 'qunzu.db'}"
        else:
            psql, base = self._pg()
            self.dbname = f"qunzu_bench_{os.getpid()}_{secrets.token_hex(3)}"
            subprocess.run([*psql, f"create database {self.dbname}"], check=True)
            env["QUNZU_DATABASE_URL"] = f"{base}/{self.dbname}"
        if self.mode == "redis2":
            if self.args.redis_url:
                self.redis_url = self.args.redis_url
            else:
                rport = free_port()
                self.redis = subprocess.Popen(
                    [
                        "redis-server",
                        "--port",
                        str(rport),
                        "--bind",
                        "127.0.0.1",
                        "--save",
                        "",
                        "--appendonly",
                        "no",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                self.redis_url = f"redis://127.0.0.1:{rport}/0"
                self._wait_redis(rport)
            env["QUNZU_REDIS_URL"] = self.redis_url
        (self.tmp / "var").mkdir()
        subprocess.run([*qunzu_cmd(), "migrate"], env=env, cwd=self.tmp, check=True, stdout=subprocess.DEVNULL)
        subprocess.run(
            [*qunzu_cmd(), "admin", "create", "--username", SPAWN_STAFF[0], "--role", "admin", "--password", "-"],
            env=env,
            cwd=self.tmp,
            check=True,
            input=(SPAWN_STAFF[1] + "\n").encode(),
            stdout=subprocess.DEVNULL,
        )
        for i in range(2 if self.mode == "redis2" else 1):
            port = free_port()
            log = self.tmp / f"server{i}.log"
            with log.open("wb") as fh:
                p = subprocess.Popen(
                    [*qunzu_cmd(), "serve", "--host", "127.0.0.1", "--port", str(port), "--no-migrate"],
                    env=env,
                    cwd=self.tmp,
                    stdout=fh,
                    stderr=subprocess.STDOUT,
                )
            self.procs.append(p)
            self.ports.append(port)
            self.logs.append(log)
        for port, p in zip(self.ports, self.procs, strict=True):
            self._wait_ready(port, p)
        post = f"http://127.0.0.1:{self.ports[0]}"
        return post, f"http://127.0.0.1:{self.ports[-1]}"

    @staticmethod
    def _wait_redis(port: int) -> None:
        end = time.monotonic() + 10
        while time.monotonic() < end:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return
            time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def _wait_ready(self, port: int, p: subprocess.Popen[bytes]) -> None:
        end = time.monotonic() + 60
        while time.monotonic() < end:
            if p.poll() is not None:
                raise RuntimeError(f"server on port {port} exited ({p.returncode}): {self.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"server on port {port} not ready after 60 s: {self.log_tail()}")

    def log_tail(self) -> str:
        return " | ".join((log.read_text(errors="replace")[-1500:] if log.exists() else "") for log in self.logs)

    def log_problems(self) -> dict[str, Any]:
        pat = re.compile(r"Traceback|\berror\b|\bERROR\b|CRITICAL|exception", re.IGNORECASE)
        lines: list[str] = []
        n = 0
        for log in self.logs:
            if log.exists():
                for line in log.read_text(errors="replace").splitlines():
                    if pat.search(line):
                        n += 1
                        if len(lines) < 12:
                            lines.append(f"{log.name}: {line[:300]}")
        return {"matching_lines": n, "first": lines}

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if self.redis is not None:
            self.redis.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.redis.wait(5)
            if self.redis.poll() is None:
                self.redis.kill()
        if self.dbname:
            psql, _ = self._pg()
            subprocess.run([*psql, f"drop database if exists {self.dbname} with (force)"], check=False)
        if self.args.keep_logs:
            dest = Path(self.args.keep_logs)
            dest.mkdir(parents=True, exist_ok=True)
            for log in self.logs:
                if log.exists():
                    shutil.copy(log, dest / f"{self.mode}-{log.name}")
        shutil.rmtree(self.tmp, ignore_errors=True)


# ----------------------------------------------------------------------------------------------------- run


def git_describe() -> str:
    """The checked-out commit, `-dirty` when src/ has uncommitted changes."""
    repo = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"], cwd=repo, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("-dirty" if dirty else "")


def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "date_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "host": platform.node(),
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
    }


async def bench(
    args: argparse.Namespace,
    post_url: str,
    ws_url: str,
    server_pids: list[int],
    db_procs: Callable[[], list[psutil.Process]] | None,
) -> dict[str, Any]:
    run = secrets.token_hex(3)
    loop_name = type(asyncio.get_running_loop()).__module__.split(".")[0]
    frames = Frames()
    me = psutil.Process()
    servers = [psutil.Process(p) for p in server_pids]
    server_meter = Meter(lambda: servers)
    db_meter = Meter(db_procs) if db_procs else None
    client_meter = Meter(lambda: [me])
    load_start = os.getloadavg()

    limits = httpx.Limits(max_connections=args.max_connections, max_keepalive_connections=args.max_connections)
    timeout = httpx.Timeout(args.timeout, pool=None)
    ws_base = ws_url.replace("http://", "ws://").replace("https://", "wss://")
    result: dict[str, Any] = {
        "run_id": run,
        "client_event_loop": loop_name,
        "post_url": post_url,
        "ws_url": ws_url,
        "server_pids": server_pids,
    }

    async with httpx.AsyncClient(base_url=post_url, limits=limits, timeout=timeout, http2=False) as client:
        # ---- set-up: users, groups, memberships, sockets (concurrent, bounded)
        t_setup = now()
        cats = await api(client, "GET", f"{API}/categories")
        cat_ids = [c["id"] for c in cats]
        category = "work" if "work" in cat_ids else cat_ids[0]
        n_small = args.groups * args.group_size
        users = [User(i, f"b{run}u{i}") for i in range(n_small + args.fanout_members)]
        staff_user, _, staff_password = args.staff.partition(":")
        await sign_in_staff(client, staff_user, staff_password)
        await bounded(args.setup_concurrency, [make_user(client, u) for u in users])
        small_users = users[:n_small]
        big_users = users[n_small:]
        creators = [small_users[g * args.group_size] for g in range(args.groups)]
        codes = [
            r["code"]
            for r in await bounded(
                args.setup_concurrency,
                [
                    api(
                        client,
                        "POST",
                        f"{API}/groups",
                        token=u.token,
                        body={"name": f"bench {run} g{g}", "category": category, "description": "load test"},
                    )
                    for g, u in enumerate(creators)
                ],
            )
        ]
        big_code = None
        if big_users:
            big_code = (
                await api(
                    client,
                    "POST",
                    f"{API}/groups",
                    token=big_users[0].token,
                    body={
                        "name": f"bench {run} big",
                        "category": category,
                        "description": "load test, 500 members",
                    },
                )
            )["code"]
        joins = [
            api(
                client,
                "POST",
                f"{API}/groups/{codes[g]}/join",
                token=small_users[g * args.group_size + k].token,
            )
            for g in range(args.groups)
            for k in range(1, args.group_size)
        ]
        joins += [api(client, "POST", f"{API}/groups/{big_code}/join", token=u.token) for u in big_users[1:]]
        await bounded(args.setup_concurrency, joins)
        # receivers: member 1 of each small group; every member of the big group
        receivers = await bounded(
            args.setup_concurrency,
            [
                connect_socket(ws_base, small_users[g * args.group_size + 1], frames, args.timeout)
                for g in range(args.groups)
            ],
        )
        result["setup_s"] = round(now() - t_setup, 1)
        result["users"] = len(users)
        print(
            f"set-up: {len(users)} users, {args.groups}×{args.group_size} groups + one of "
            f"{len(big_users)}, {len(receivers)} receivers in {result['setup_s']} s",
            flush=True,
        )

        phases: list[dict[str, Any]] = []
        rss_peak = {"v": 0}

        async def sample_rss() -> None:
            while True:
                total = 0
                for p in servers:
                    with contextlib.suppress(psutil.Error):
                        total += p.memory_info().rss
                rss_peak["v"] = max(rss_peak["v"], total)
                await asyncio.sleep(0.25)

        sampler = asyncio.create_task(sample_rss())

        async def measured(ph: Phase, senders: list[Sender], rate: float | None) -> None:
            rss_peak["v"] = 0
            wr0 = await writer_counters(client)
            s0, c0 = server_meter.snapshot(), client_meter.snapshot()
            d0 = db_meter.snapshot() if db_meter else None
            m0 = psutil.cpu_times()
            w0 = now()
            await run_phase(ph, senders, duration=args.duration, rate=rate, frames=frames, drain=args.drain)
            wall = now() - w0
            s1, c1 = server_meter.snapshot(), client_meter.snapshot()
            m1 = psutil.cpu_times()
            res = analyse(ph, frames)
            wr1 = await writer_counters(client)
            batches = wr1["count"] - wr0["count"]
            if batches > 0:  # the posting server's group commit: posts per transaction, time per batch
                res.update(
                    writer_batches=int(batches),
                    writer_mean_batch=round((wr1["posts"] - wr0["posts"]) / batches, 1),
                    writer_mean_batch_ms=round(1000 * (wr1["seconds"] - wr0["seconds"]) / batches, 2),
                )
            scpu = Meter.delta(s0, s1)
            ccpu = Meter.delta(c0, c1)
            res.update(
                wall_s=round(wall, 2),
                server_cpu_s=round(scpu, 2),
                server_cpu_pct=round(100 * scpu / wall, 1),
                server_cpu_per_message_ms=round(1000 * scpu / len(ph.acks), 3) if ph.acks else None,
                server_rss_peak_mib=round(rss_peak["v"] / 2**20, 1),
                client_cpu_s=round(ccpu, 2),
                client_cpu_pct=round(100 * ccpu / wall, 1),
                socket_closes=dict(frames.closed),
                server_cpu_s_by_pid={str(pid): round(v - s0.get(pid, 0.0), 2) for pid, v in s1.items()},
            )
            dcpu = 0.0
            if db_meter and d0 is not None:
                dcpu = Meter.delta(d0, db_meter.snapshot())
                res.update(db_backend_cpu_s=round(dcpu, 2), db_backend_cpu_pct=round(100 * dcpu / wall, 1))
            # the whole machine: busy = all CPU time that was not idle or I/O wait, over every core
            busy = (sum(m1) - m1.idle - m1.iowait) - (sum(m0) - m0.idle - m0.iowait)
            res.update(
                machine_busy_pct=round(100 * busy / wall, 1),
                others_cpu_pct=round(100 * max(0.0, busy - scpu - ccpu - dcpu) / wall, 1),
            )
            phases.append(res)
            print(
                f"  {ph.name}: {res['messages_per_s']} msg/s, post p99 {res['post_latency']['p99_ms']} ms, "
                f"delivered {res['delivered_fraction']}, server CPU {res['server_cpu_pct']}%, "
                f"client CPU {res['client_cpu_pct']}%",
                flush=True,
            )

        pool = 1 if args.rate is None else args.max_connections

        def senders_for(pairs: list[tuple[str, User]], prefix: str, pool: int) -> list[Sender]:
            return [
                Sender(
                    RawHttpClient(post_url, max_connections=pool, timeout=args.timeout)
                    if args.http == "raw"
                    else httpx.AsyncClient(
                        base_url=post_url,
                        limits=httpx.Limits(max_connections=pool, max_keepalive_connections=pool),
                        timeout=timeout,
                    ),
                    f"{API}/groups/{code}/messages",
                    {**JSON_HEADERS, "authorization": f"Bearer {u.token}"},
                    f"{prefix}{i}.",
                )
                for i, (code, u) in enumerate(pairs)
            ]

        async def measured_with(ph: Phase, senders: list[Sender], rate: float | None) -> None:
            for sd in senders:  # open the keep-alive connections before the clock starts
                if isinstance(sd.client, RawHttpClient):
                    await sd.client.request(sd.client.head("GET", "/healthz", {}))
                else:
                    await sd.client.get("/healthz")
            try:
                await measured(ph, senders, rate)
            finally:
                for sd in senders:
                    await sd.client.aclose()

        t_run = now()
        run_s0 = server_meter.snapshot()
        try:
            if "groups" in args.phases:
                pairs = [(codes[g], creators[g]) for g in range(args.groups)]
                await measured_with(Phase("groups", receivers=1), senders_for(pairs, f"{run}.g.", pool), args.rate)
            fan = [p for p in ("fanout-2/s", "fanout-max") if p in args.phases]
            if fan and big_code:
                t = now()
                big_socks = await bounded(
                    args.setup_concurrency,
                    [connect_socket(ws_base, u, frames, args.timeout) for u in big_users],
                )
                result["fanout_connect_s"] = round(now() - t, 1)
                print(
                    f"  {len(big_socks)} sockets on the big group in {result['fanout_connect_s']} s",
                    flush=True,
                )
                receivers += big_socks
                if "fanout-2/s" in fan:
                    s = senders_for([(big_code, big_users[0])], f"{run}.f2.", args.max_connections)
                    await measured_with(Phase("fanout-2/s", receivers=len(big_socks)), s, args.fanout_rate)
                if "fanout-max" in fan:
                    pairs = [(big_code, big_users[i]) for i in range(args.fanout_senders)]
                    s = senders_for(pairs, f"{run}.fm.", pool)
                    await measured_with(Phase("fanout-max", receivers=len(big_socks)), s, args.rate)
        finally:
            sampler.cancel()
            run_wall = now() - t_run
            run_cpu = Meter.delta(run_s0, server_meter.snapshot())
            await bounded(64, [r.ws.close() for r in receivers if r.ws is not None])
            for r in receivers:
                if r.task:
                    r.task.cancel()

    result.update(
        phases=phases,
        run_wall_s=round(run_wall, 1),
        server_cpu_run_s=round(run_cpu, 1),
        server_cpu_run_pct=round(100 * run_cpu / run_wall, 1),
        server_peak_rss_mib={str(p.pid): round((_vmhwm_kib(p.pid) or 0) / 1024, 1) for p in servers},
        duplicates=frames.duplicates,
        seq_gaps=frames.gaps,
        other_frames=dict(frames.other),
        loadavg_start=[round(x, 2) for x in load_start],
        loadavg_end=[round(x, 2) for x in os.getloadavg()],
    )
    return result


# ------------------------------------------------------------------------------------------------- output


ROWS: list[tuple[str, Callable[[dict[str, Any]], Any]]] = [
    ("offered load (msg/s)", lambda r: r["offered_rate"] or "max"),
    ("acknowledged", lambda r: r["acknowledged"]),
    ("messages/s", lambda r: r["messages_per_s"]),
    ("post p50 / p99 (ms)", lambda r: f"{r['post_latency']['p50_ms']} / {r['post_latency']['p99_ms']}"),
    (
        "delivery p50 / p99 (ms)",
        lambda r: (
            f"{r['delivery_latency']['p50_ms']} / {r['delivery_latency']['p99_ms']}" if "delivery_latency" in r else "—"
        ),
    ),
    (
        "fan-out last p50 / p99 (ms)",
        lambda r: (
            f"{r['fanout_last_latency']['p50_ms']} / {r['fanout_last_latency']['p99_ms']}"
            if "fanout_last_latency" in r
            else "—"
        ),
    ),
    (
        "fan-out first p50 (ms)",
        lambda r: r["fanout_first_latency"]["p50_ms"] if "fanout_first_latency" in r else "—",
    ),
    ("delivered fraction", lambda r: r["delivered_fraction"]),
    ("errors (non-2xx, retries)", lambda r: sum(v for k, v in r["statuses"].items() if k not in ("200", "201"))),
    ("server CPU s (% of a core)", lambda r: f"{r['server_cpu_s']} ({r['server_cpu_pct']}%)"),
    ("server CPU per message (ms)", lambda r: r["server_cpu_per_message_ms"]),
    (
        "writer: posts per batch, ms per batch",
        lambda r: f"{r['writer_mean_batch']}, {r['writer_mean_batch_ms']}" if "writer_mean_batch" in r else "—",
    ),
    (
        "PostgreSQL backends CPU s (%)",
        lambda r: f"{r['db_backend_cpu_s']} ({r['db_backend_cpu_pct']}%)" if "db_backend_cpu_s" in r else "—",
    ),
    ("server RSS peak (MiB)", lambda r: r["server_rss_peak_mib"]),
    ("client CPU s (% of a core)", lambda r: f"{r['client_cpu_s']} ({r['client_cpu_pct']}%)"),
    ("machine busy % (others' %)", lambda r: f"{r.get('machine_busy_pct')} ({r.get('others_cpu_pct')})"),
]


def render(res: dict[str, Any]) -> str:
    phases = res["phases"]
    head = ["", *[p["phase"] for p in phases]]
    rows = [head] + [[name, *[str(f(p)) for p in phases]] for name, f in ROWS]
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    m = res["machine"]
    lines.insert(
        0,
        f"Qunzu message load — {res['target']} — {m['date_utc']} — {m['nproc']} CPU {m['cpu_model']}, "
        f"load avg {res['loadavg_start']} → {res['loadavg_end']}, client loop {res['client_event_loop']}, "
        f"server code {res['server_code']}",
    )
    lines.append(
        f"run: {res['run_wall_s']} s, server CPU {res['server_cpu_run_s']} s "
        f"({res['server_cpu_run_pct']}% of a core), peak RSS (VmHWM) {res['server_peak_rss_mib']} MiB, "
        f"duplicates {res['duplicates']}, seq gaps {res['seq_gaps']}, other frames {res['other_frames']}"
    )
    for p in phases:
        if p["errors"]:
            lines.append(f"{p['phase']} errors: {p['errors'][:3]}")
        if p["socket_closes"]:
            lines.append(f"{p['phase']} socket closes so far: {p['socket_closes']}")
    if res.get("server_log_problems", {}).get("matching_lines"):
        lines.append(f"server log: {res['server_log_problems']}")
    busy = res["loadavg_start"][0] > 0.5 * (m["nproc"] or 1)
    if busy:
        lines.append(
            "NOTE: the machine was busy when the run started (1-min load average above half the CPUs): "
            "treat the figures as preliminary."
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.load",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument(
        "--staff",
        default=":".join(SPAWN_STAFF),
        help="USER:PASSWORD of a staff account (users verify their mobile numbers with codes from the development "
        "SMS outbox, so the server must use the console SMS sender); --spawn creates it",
    )
    tgt = p.add_mutually_exclusive_group()
    tgt.add_argument(
        "--url",
        default=os.environ.get("QUNZU_BENCH_URL", "http://127.0.0.1:8000"),
        help="a running server (posts and, unless --ws-url, WebSockets)",
    )
    tgt.add_argument(
        "--spawn",
        choices=["sqlite", "postgres", "redis2"],
        help="start the server(s) with a scratch database and tear them down after",
    )
    p.add_argument("--ws-url", help="with --url: the server the WebSockets connect to (two-process set-ups)")
    p.add_argument(
        "--server-pid",
        type=int,
        action="append",
        default=[],
        help="with --url: server PID(s) to measure (default: found by listening port)",
    )
    p.add_argument("--duration", type=float, default=30.0, help="seconds of sending per phase")
    p.add_argument(
        "--rate",
        type=float,
        default=None,
        help="open loop: this many messages/s in total across the senders (groups and fanout-max)",
    )
    p.add_argument("--fanout-rate", type=float, default=2.0, help="messages/s into the big group in fanout-2/s")
    p.add_argument("--fanout-senders", type=int, default=1, help="closed-loop senders in fanout-max")
    p.add_argument(
        "--phases",
        default="groups,fanout-2/s,fanout-max",
        help="comma-separated subset of groups, fanout-2/s, fanout-max",
    )
    p.add_argument("--groups", type=int, default=20)
    p.add_argument("--group-size", type=int, default=10)
    p.add_argument("--fanout-members", type=int, default=500, help="members (all connected) of the big group")
    p.add_argument("--drain", type=float, default=10.0, help="max seconds to wait for frames after sending")
    p.add_argument("--setup-concurrency", type=int, default=16)
    p.add_argument("--max-connections", type=int, default=64, help="open loop: HTTP keep-alive pool size per sender")
    p.add_argument("--timeout", type=float, default=60.0, help="HTTP and WebSocket-ready timeout (s)")
    p.add_argument("--json", help="write the results as JSON to this path")
    p.add_argument(
        "--pg-url",
        default=os.environ.get("QUNZU_BENCH_PG", "postgresql://postgres@127.0.0.1:5432"),
        help="--spawn postgres|redis2: the PostgreSQL server to create the scratch database on",
    )
    p.add_argument(
        "--redis-url",
        default=None,
        help="--spawn redis2: use this Redis instead of a private redis-server on a free port",
    )
    p.add_argument(
        "--server-profile",
        default="test",
        help="QUNZU_PROFILE of spawned servers (test = cheap password hashing; message path unchanged)",
    )
    p.add_argument(
        "--server-log-level",
        default="warning",
        help="QUNZU_LOGS__LEVEL of spawned servers (info adds an access-log line per request)",
    )
    p.add_argument(
        "--server-rev",
        help="--spawn: run the servers from this git commit (git archive into the temp dir) instead of the "
        "working tree, so that uncommitted edits do not leak into the measurement",
    )
    p.add_argument("--keep-logs", help="copy the spawned servers' logs into this directory")
    p.add_argument(
        "--http",
        choices=("raw", "httpx"),
        default="raw",
        help="the senders' HTTP client: a lean keep-alive HTTP/1.1 client (bench/rawhttp.py) or httpx",
    )
    p.add_argument("--no-uvloop", action="store_true", help="use the stdlib event loop even if uvloop is installed")
    args = p.parse_args(argv)
    args.phases = [x.strip() for x in args.phases.split(",") if x.strip()]
    unknown = set(args.phases) - {"groups", "fanout-2/s", "fanout-max"}
    if unknown:
        p.error(f"unknown phase(s): {sorted(unknown)}")
    if args.fanout_members < 1 and any(x.startswith("fanout") for x in args.phases):
        args.phases = [x for x in args.phases if x == "groups"]
    return args


def markdown(paths: list[str]) -> str:
    """One table row per result file (`--json` output), in the layout of docs/benchmarks.md."""

    def ms(d: dict[str, Any] | None) -> str:
        return f"{d['p50_ms']} / {d['p99_ms']}" if d and d.get("n") else "—"

    head = (
        "| run | load avg (1 min, start→end) | groups: msg/s | post p50 / p99 ms | delivery p50 / p99 ms "
        "| fan-out 2/s: last p50 / p99 ms | fan-out max: msg/s | last p50 / p99 ms "
        "| delivered (groups / 2/s / max) | errors | server CPU % (groups) | client CPU % (groups) "
        "| server CPU ms/msg (groups / 2/s / max) | peak RSS MiB | others' CPU % (groups) |"
    )
    lines = [head, "|" + "---|" * head.count(" | ") + "---|"]
    for path in paths:
        r = orjson.loads(Path(path).read_bytes())
        ph = {p["phase"]: p for p in r["phases"]}
        g, f2, fm = ph.get("groups", {}), ph.get("fanout-2/s", {}), ph.get("fanout-max", {})
        rate = f" --rate {r['config']['rate']:g}" if r["config"].get("rate") else ""
        errors = sum(v for p in r["phases"] for k, v in p["statuses"].items() if k not in ("200", "201"))
        lines.append(
            f"| `{r['target']}{rate}` ({r.get('server_code', '?')}) | {r['loadavg_start'][0]} → {r['loadavg_end'][0]} "
            f"| {g.get('messages_per_s', '—')} | {ms(g.get('post_latency'))} | {ms(g.get('delivery_latency'))} "
            f"| {ms(f2.get('fanout_last_latency'))} | {fm.get('messages_per_s', '—')} "
            f"| {ms(fm.get('fanout_last_latency'))} "
            f"| {g.get('delivered_fraction', '—')} / {f2.get('delivered_fraction', '—')} / "
            f"{fm.get('delivered_fraction', '—')} | {errors} | {g.get('server_cpu_pct', '—')} "
            f"| {g.get('client_cpu_pct', '—')} | {g.get('server_cpu_per_message_ms', '—')} / "
            f"{f2.get('server_cpu_per_message_ms', '—')} / {fm.get('server_cpu_per_message_ms', '—')} "
            f"| {sum(r['server_peak_rss_mib'].values()):.0f} "
            f"| {g.get('others_cpu_pct', '—')} |"
        )
    return "\n".join(lines)


def _terminate(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt  # so that `finally` tears the spawned servers and the scratch database down


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--markdown"]:
        print(markdown(argv[1:]))
        return 0
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    spawn: Spawn | None = None
    runner: Callable[..., Any] = asyncio.run
    if not args.no_uvloop:
        with contextlib.suppress(ImportError):
            import uvloop

            runner = uvloop.run
    started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    try:
        db_procs = None
        server_code = "unknown (--url: a running server)"
        if args.spawn:
            spawn = Spawn(args.spawn, args)
            post_url, ws_url = spawn.start()
            pids = [p.pid for p in spawn.procs]
            server_code = spawn.source
            if spawn.dbname:
                db_procs = pg_backends(spawn.dbname)
            target = f"--spawn {args.spawn}"
        else:
            post_url = args.url.rstrip("/")
            ws_url = (args.ws_url or args.url).rstrip("/")
            pids = list(args.server_pid)
            if not pids:
                ports = {urlparse(u).port or 80 for u in (post_url, ws_url)}
                pids = sorted({pid for port in ports for pid in pids_listening(port)})
            if not pids:
                print(
                    "warning: no server PID found (use --server-pid); server CPU/RSS will read 0",
                    file=sys.stderr,
                )
            target = f"--url {post_url}" + (f" --ws-url {ws_url}" if ws_url != post_url else "")
        mode = f"open loop at --rate {args.rate:g} msg/s" if args.rate else "closed loop (as fast as possible)"
        print(f"target {target}; {mode}; {args.duration:g} s per phase; phases {args.phases}", flush=True)
        if args.spawn:
            print(
                "send rates raised for this run (R-7.1-4): QUNZU_THROTTLE__POST_RATE_OVERRIDE, POST_PER_IP", flush=True
            )
        else:
            print("against --url: give the server QUNZU_THROTTLE__POST_RATE_OVERRIDE=1000000 and a high "
                  "QUNZU_THROTTLE__POST_PER_IP, or the group policy's send rates (R-7.1-4) refuse the senders",
                  flush=True)  # fmt: skip
        res = runner(bench(args, post_url, ws_url, pids, db_procs))
        res["target"] = target
        res["started_utc"] = started
        res["server_code"] = server_code
        res["bench_code"] = git_describe()
        res["argv"] = argv
        res["config"] = {k: v for k, v in vars(args).items() if k not in ("json",)}
        res["machine"] = machine()
        if spawn:
            res["server_log_problems"] = spawn.log_problems()
            res["spawn"] = {
                "mode": spawn.mode,
                "ports": spawn.ports,
                "database": spawn.dbname or "sqlite (temp dir)",
                "redis": spawn.redis_url,
                "server_profile": args.server_profile,
                "server_log_level": args.server_log_level,
            }
    finally:
        if spawn:
            spawn.stop()
    print(render(res))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_bytes(orjson.dumps(res, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS))
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
