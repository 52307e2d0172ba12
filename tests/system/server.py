"""Start real server processes for system tests."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
from tests.conftest import PYTHON, ROOT, TEST_THROTTLE_ENV, free_port


class ServerProcess:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.env = {**os.environ, "QUNZU_PROFILE": "test", **TEST_THROTTLE_ENV, **env}
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def migrate(self) -> None:
        subprocess.run([PYTHON, "-m", "qunzu", "migrate"], env=self.env, cwd=ROOT, check=True, capture_output=True)

    def start(self) -> ServerProcess:
        fh = self.log.open("ab")
        self.proc = subprocess.Popen(
            [PYTHON, "-m", "qunzu", "serve", "--no-migrate", "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env,
            cwd=ROOT,
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "/readyz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("server did not become ready")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
