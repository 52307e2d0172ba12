"""A real Qunzu server in a subprocess, for the browser tests and the screenshot script.

It runs exactly as an operator would: `qunzu migrate`, then uvicorn with the app factory, in a scratch data
directory (SQLite) with the test profile, and is ready once /readyz answers 200.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
READY_TIMEOUT_S = 30.0
UVICORN = [PYTHON, "-m", "uvicorn", "--factory", "qunzu.asgi:create"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(data_dir: Path) -> dict[str, str]:
    """The parent's environment without any QUNZU_* setting, plus the test profile and a scratch data dir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUNZU_")}
    env.update(QUNZU_PROFILE="test", QUNZU_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")
    # the suite registers and signs in many users from 127.0.0.1: generous throttle limits (tests/conftest.py)
    limits = ("LOGIN_PER_ACCOUNT", "LOGIN_PER_IP", "REGISTER_PER_IP", "PHONE_CODE_PER_ACCOUNT", "PHONE_CODE_PER_IP")
    for limit in (*limits, "PHONE_CONFIRM_PER_ACCOUNT", "PHONE_CONFIRM_PER_IP", "POST_PER_IP"):
        env[f"QUNZU_THROTTLE__{limit}"] = '{"limit": 100000, "window_seconds": 60}'
    env["QUNZU_THROTTLE__POST_RATE_OVERRIDE"] = "100000"  # the policy's send rates (R-7.1-4) would refuse bursts
    return env


def migrate(data_dir: Path) -> None:
    cli = VENV_BIN / "qunzu"
    cmd = [str(cli), "migrate"] if cli.exists() else [PYTHON, "-m", "qunzu", "migrate"]
    subprocess.run(cmd, env=server_env(data_dir), cwd=data_dir, check=True, timeout=120, capture_output=True)


@dataclass(frozen=True)
class Server:
    base: str
    log_path: Path

    def sms_code(self, phone: str, timeout_s: float = 10.0) -> str:
        """The one-time code the development SMS sink wrote to the server log for `phone` (masked there)."""
        masked = phone[:3] + "****" + phone[-4:]
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            lines = [ln for ln in self.log_path.read_text().splitlines() if "sms.console" in ln and masked in ln]
            if lines:
                found = re.search(r"(?<!\d)(\d{6})(?!\d)", lines[-1].split("text=", 1)[-1])
                if found:
                    return found.group(1)
            time.sleep(0.05)
        raise AssertionError(f"no SMS code for {masked} in the server log")


def random_mobile() -> str:
    """A valid mainland mobile number, different each call."""
    return secrets.choice(["138", "139", "150", "186", "177"]) + f"{secrets.randbelow(10**8):08d}"


@contextmanager
def running_server(data_dir: Path) -> Iterator[Server]:
    """Migrate, start uvicorn on a free port, wait for /readyz; yield it; stop the process."""
    data_dir.mkdir(parents=True, exist_ok=True)
    migrate(data_dir)
    port = free_port()
    log_path = data_dir / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [*UVICORN, "--host", "127.0.0.1", "--port", str(port)],
            env=server_env(data_dir),
            cwd=data_dir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(proc, base, log_path)
        yield Server(base=base, log_path=log_path)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _wait_ready(proc: subprocess.Popen[bytes], base: str, log_path: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}:\n{log_path.read_text()[-4000:]}")
        try:
            if httpx.get(f"{base}/readyz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    tail = log_path.read_text()[-4000:]
    raise RuntimeError(f"the server was not ready within {READY_TIMEOUT_S} s:\n{tail}")


def create_staff(server: Server, username: str, role: str, password: str) -> None:
    """A staff account made the operator's way: `qunzu admin create ... --password -`, in the server's environment."""
    data_dir = server.log_path.parent
    cli = VENV_BIN / "qunzu"
    cmd = [str(cli)] if cli.exists() else [PYTHON, "-m", "qunzu"]
    if role == "regulator":  # issued with a scope and an expiry (R-3-1): every default category, 30 days
        today = datetime.now(UTC).date()
        cmd += ["admin", "regulator", "create", "--username", username, "--official", "测试检查员", "--organisation",
                "测试机关", "--category", "work", "--window-from", str(today - timedelta(days=30)), "--window-to",
                str(today + timedelta(days=1)), "--expires", str(today + timedelta(days=30)), "--password", "-"]  # fmt: skip
    else:
        cmd += ["admin", "create", "--username", username, "--role", role, "--password", "-"]
    subprocess.run(
        cmd, input=password + "\n", text=True, env=server_env(data_dir), cwd=data_dir, check=True, timeout=60,
        capture_output=True,
    )  # fmt: skip
