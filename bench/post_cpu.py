"""CPU per post on the server's request path, this tree against another revision, side by side.

Each round starts a fresh process per side (this tree, then `--rev`'s `src/` exported with `git archive`, in
alternating order), builds the app on a scratch SQLite database, and sends `--posts` concurrent posts straight
into the ASGI app (no sockets, no HTTP client): what it measures is the process's CPU per post, which is the
server's request path (routing, middleware, validation, review, the writer and its commit). The result is the median
of the rounds' own ratios, so a machine that is busier in one round than another moves both sides alike.

    .venv/bin/python bench/post_cpu.py --rev b5bdbf7 --rounds 5 --posts 3000

One user sends all the posts from one address, far above the send rates of the group policy (R-7.1-4: 20 a minute,
5 for a new account): both sides run with the rates raised (`RAISED_LIMITS`), as the Synapse comparison in
docs/benchmarks.md ran Synapse with its rate limits raised. The rates are still counted on every post, so their cost
is in the figures; only the refusals are not.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEXT = "hello 你好 " * 4
# the send rates raised for the run (read by revisions that have them, ignored by older ones)
RAISED_LIMITS = {
    "QUNZU_THROTTLE__POST_RATE_OVERRIDE": "1000000",
    "QUNZU_THROTTLE__POST_PER_IP": '{"limit": 1000000, "window_seconds": 60}',
}


def export(rev: str, dest: Path) -> Path:
    """`rev`'s src/ in `dest`, with this tree's compiled review module (the C pass is the same for both sides)."""
    archive = subprocess.run(["git", "archive", rev, "src"], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    for built in (ROOT / "src" / "qunzu" / "review").glob("_native*.so"):
        shutil.copy(built, dest / "src" / "qunzu" / "review")
    return dest / "src"


async def measure(posts: int) -> float:
    """In the child: CPU seconds per post, after a warm-up."""
    from prometheus_client import CollectorRegistry

    try:
        from qunzu.app import create_app
    except ImportError:  # a revision before the application module (0009)
        from qunzu.api.app import create_app  # type: ignore[import-not-found,no-redef]
    from qunzu.bootstrap import build_container
    from qunzu.config import load_settings
    from qunzu.storage.migrate import upgrade

    tmp = Path(tempfile.mkdtemp())
    url = f"sqlite+aiosqlite:///{tmp / 'q.db'}"
    await upgrade(url)
    container = build_container(
        load_settings(profile="test", database_url=url, data_dir=tmp), registry=CollectorRegistry()
    )
    await container.start()
    try:
        app = create_app(container, with_web=False)
        token, code = await _user_and_group(app, container)
        path = f"/api/v1/groups/{code}/messages"

        async def post(cid: str) -> None:
            body = json.dumps({"text": TEXT, "client_msg_id": cid}).encode()
            headers = [
                (b"host", b"bench"),
                (b"content-type", b"application/json"),
                (b"authorization", b"Bearer " + token.encode()),
                (b"content-length", str(len(body)).encode()),
            ]
            scope = {
                "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
                "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": headers,
                "client": ("203.0.113.7", 5000), "server": ("bench", 80), "state": {},
            }  # fmt: skip
            given = False

            async def receive() -> dict[str, object]:
                nonlocal given
                if not given:
                    given = True
                    return {"type": "http.request", "body": body, "more_body": False}
                await asyncio.Event().wait()  # the client never disconnects
                raise AssertionError

            status: list[int] = []

            async def send(message: dict[str, object]) -> None:
                if message["type"] == "http.response.start":
                    status.append(int(message["status"]))  # type: ignore[call-overload]

            await app(scope, receive, send)
            assert status == [201], status

        await asyncio.gather(*(post(f"warm{i}") for i in range(200)))
        started = time.process_time()
        await asyncio.gather(*(post(f"m{i}") for i in range(posts)))  # concurrent, as under load: batches form
        return (time.process_time() - started) / posts
    finally:
        await container.stop()


async def _user_and_group(app: object, container: object) -> tuple[str, str]:
    """A verified user (through the API, as a person would) and a group of theirs."""
    import re
    import secrets

    import httpx

    transport = httpx.ASGITransport(app=app, client=("203.0.113.8", 5001))
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as c:
        docs = {d["kind"]: d["version"] for d in (await c.get("/api/v1/documents")).json()}
        name = "bench" + secrets.token_hex(3)
        password = "lantern-orchid-7-seas"
        r = await c.post(
            "/api/v1/auth/register",
            json={"username": name, "password": password, "nickname": name,
                  "accept": {"agreement": docs["agreement"], "privacy": docs["privacy"]}},
        )  # fmt: skip
        assert r.status_code == 201, r.text
        token = (await c.post("/api/v1/auth/login", json={"username": name, "password": password})).json()[
            "access_token"
        ]
        h = {"Authorization": f"Bearer {token}"}
        phone = "138" + f"{secrets.randbelow(10**8):08d}"
        assert (await c.post("/api/v1/me/verification/phone", json={"phone": phone}, headers=h)).status_code == 202
        sent = container.sms.sent[-1].text  # type: ignore[attr-defined]
        code = re.search(r"\d{6}", sent).group(0)  # type: ignore[union-attr]
        r = await c.post("/api/v1/me/verification/phone/confirm", json={"code": code}, headers=h)
        assert r.status_code == 200, r.text
        body: dict[str, object] = {"name": "bench", "category": "work"}
        r = await c.post("/api/v1/groups", json=body, headers=h)
        if r.status_code == 403 and r.json()["error"]["code"] == "duties_not_accepted":  # revisions that ask for it
            body["duties_version"] = r.json()["error"]["details"]["version"]  # the 群主责任告知书 (R-9.1-1)
            r = await c.post("/api/v1/groups", json=body, headers=h)
        assert r.status_code == 201, r.text
        return token, str(r.json()["code"])


def run_side(src: Path, posts: int) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUNZU_")}
    env["PYTHONPATH"] = str(src)
    env.update(RAISED_LIMITS)
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(posts)], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rev", default="HEAD~1", help="the revision to compare this tree with")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--posts", type=int, default=3000)
    p.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(asyncio.run(measure(args.child)))
        return
    print("send rates raised for this run (R-7.1-4): " + ", ".join(f"{k}={v}" for k, v in RAISED_LIMITS.items()))
    with tempfile.TemporaryDirectory() as tmp:
        other = export(args.rev, Path(tmp))
        this = ROOT / "src"
        ratios, mine, theirs = [], [], []
        for n in range(args.rounds):
            order = [(this, mine), (other, theirs)] if n % 2 == 0 else [(other, theirs), (this, mine)]
            for src, into in order:
                into.append(run_side(src, args.posts))
            ratios.append(mine[-1] / theirs[-1])
            print(f"round {n + 1}: this {mine[-1] * 1e6:.0f} us/post, {args.rev} {theirs[-1] * 1e6:.0f} us/post")
    ratio = statistics.median(ratios)
    print(
        f"median CPU per post: this tree {statistics.median(mine) * 1e6:.0f} us, {args.rev} "
        f"{statistics.median(theirs) * 1e6:.0f} us; ratio (median of the rounds' ratios) {ratio:.3f}"
    )


if __name__ == "__main__":
    main()
