"""`qunzu review scan --lexicon FILE` as a process: JSON lines in, one JSON line out per line, in order."""

from __future__ import annotations

import io
import json
import os
import select
import subprocess
import sys
from pathlib import Path

import pytest

from qunzu.review.scan_cli import run_scan

DATA = Path(__file__).parent / "data"


def _run(lines: list[str], tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qunzu.review.scan_cli", "--lexicon", str(DATA / "lexicon.txt"), *extra],
        input="".join(lines),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )


def test_scan_process_answers_every_line_in_order(tmp_path: Path) -> None:
    texts = ["买六 合 彩", "大 麻烦了", "恭喜發財", "网赚，刷单", "ＳＥＸ", "你好"]
    proc = _run(
        [json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts], tmp_path, "--cache-dir", str(tmp_path)
    )
    assert proc.returncode == 0, proc.stderr
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert out == [
        {"hits": ["六合彩"], "action": "block"},
        {"hits": [], "action": "allow"},
        {"hits": [], "action": "allow"},
        {"hits": ["网赚", "刷单"], "action": "hold"},
        {"hits": ["sex"], "action": "flag"},
        {"hits": [], "action": "allow"},
    ]
    assert list(tmp_path.glob("lexicon-*.bin"))


def test_scan_process_finds_split_characters(tmp_path: Path) -> None:
    texts = ["出售木仓支", "一名女子", "弓虽女干", "女干部开会", "贝者博"]
    for extra in (("--cache-dir", str(tmp_path)), ("--cache-dir", str(tmp_path)), ("--no-cache",)):  # cold, warm
        proc = _run([json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts], tmp_path, *extra)
        assert proc.returncode == 0, proc.stderr
        assert [json.loads(line) for line in proc.stdout.splitlines()] == [
            {"hits": ["枪支"], "action": "block"},
            {"hits": [], "action": "allow"},
            {"hits": ["强奸"], "action": "block"},
            {"hits": [], "action": "allow"},
            {"hits": ["赌博"], "action": "block"},
        ]


def test_bad_lines_keep_the_output_aligned_and_fail_the_exit_status(tmp_path: Path) -> None:
    proc = _run(
        ['{"text": "赌博"}\n', "not json\n", '{"nope": 1}\n', '"赌博"\n', '{"text": "ok"}\n'], tmp_path, "--no-cache"
    )
    assert proc.returncode == 1
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [o["action"] for o in out] == ["block", "allow", "allow", "block", "allow"]
    assert "error" in out[1] and "error" in out[2]


def test_missing_lexicon_is_a_clear_error(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "qunzu.review.scan_cli", "--lexicon", str(tmp_path / "none.txt"), "--no-cache"],
        input="",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2 and "none.txt" in proc.stderr


def test_run_scan_streams_without_holding_input(tmp_path: Path) -> None:
    def lines():  # a generator: run_scan must consume it line by line
        for i in range(2000):
            yield json.dumps({"text": f"第{i}条 六合彩" if i % 2 else f"第{i}条"}, ensure_ascii=False) + "\n"

    class Source(io.TextIOBase):
        def __init__(self) -> None:
            self._it = lines()

        def __iter__(self):  # type: ignore[override]
            return self._it

    out = io.StringIO()
    assert run_scan(DATA / "lexicon.txt", Source(), out, None) == 0  # type: ignore[arg-type]
    answers = [json.loads(x)["action"] for x in out.getvalue().splitlines()]
    assert answers == ["allow", "block"] * 1000


def _scan_bytes(data: bytes, *extra: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "qunzu.review.scan_cli", "--lexicon", str(DATA / "lexicon.txt"), "--no-cache", *extra],
        input=data,
        capture_output=True,
        timeout=120,
        check=False,
    )


def test_large_piped_input_is_answered_in_order_with_or_without_the_helper_process() -> None:
    texts = ["买六 合 彩", "你好", "大 麻烦了", "ＳＥＸ", "网赚，刷单", "恭喜發財", "liu he cai"]
    lines = []
    for i in range(20_000):
        if i % 997 == 0:
            lines.append(b"not json\n")
        elif i % 1009 == 0:
            lines.append(b'{"text": "\xe8\xb5\x8c\xe5\x8d\x9a"}\r\n')  # 赌博, CRLF
        else:
            lines.append(json.dumps({"text": f"{texts[i % len(texts)]} {i}"}, ensure_ascii=False).encode() + b"\n")
    data = b"".join(lines) + b'{"text": "\xe5\xa4\xa7\xe9\xba\xbb"}'  # 大麻, and no newline at the end
    one, two = _scan_bytes(data, "--jobs", "1"), _scan_bytes(data, "--jobs", "2")
    assert one.returncode == two.returncode == 1
    assert one.stdout == two.stdout
    out = [json.loads(line) for line in two.stdout.decode().splitlines()]
    assert len(out) == len(lines) + 1
    assert out[997]["error"] and out[1009] == {"hits": ["赌博"], "action": "block"}
    assert out[1] == {"hits": [], "action": "allow"} and out[7]["hits"] == ["六合彩"]
    assert out[-1] == {"hits": ["大麻"], "action": "block"}


def test_each_answer_is_out_as_soon_as_its_line_is_in(tmp_path: Path) -> None:
    """A co-process: write one line, read its answer, write the next (the input stays open)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "qunzu.review.scan_cli", "--lexicon", str(DATA / "lexicon.txt"), "--cache-dir",
         str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    try:
        for text, action in [("赌博", "block"), ("你好", "allow"), ("刷 单", "hold")] * 3:
            proc.stdin.write(json.dumps({"text": text}, ensure_ascii=False).encode() + b"\n")
            proc.stdin.flush()
            ready, _, _ = select.select([proc.stdout], [], [], 60)
            assert ready, "no answer while the input is still open"
            assert json.loads(proc.stdout.readline())["action"] == action
        proc.stdin.close()
        assert proc.wait(timeout=60) == 0
        assert proc.stdout.read() == b""
    finally:
        proc.kill()
        proc.wait()


_HELPER_DIES = """
import io, json, os, sys
from pathlib import Path
from qunzu.review import ReviewEngine, scan_cli

assert scan_cli._can_fork(), "a fresh process with one thread on a machine with two CPUs can fork its helper"
engine = ReviewEngine.load_text_file(Path(sys.argv[1]))
started = []
real_init = scan_cli._Helper.__init__


def init(self, answer):
    real_init(self, answer)
    started.append(self.pid)


scan_cli._Helper.__init__ = init
scan_cli._Helper._serve = staticmethod(lambda *_: os._exit(3))  # the helper dies at once
out = io.BytesIO()
fd = os.open(sys.argv[2], os.O_RDONLY)
assert scan_cli.scan_fd(engine, fd, out, jobs=2) == 0
assert started, "a helper was started"
assert [json.loads(x)["action"] for x in out.getvalue().splitlines()] == ["allow", "block"] * 2500
print("ok")
"""


def test_when_the_helper_process_dies_its_share_is_answered_here(tmp_path: Path) -> None:
    # In a fresh process: the test runner itself has other threads, and a process with threads never forks.
    lines = [json.dumps({"text": "买六 合 彩" if i % 2 else "你好"}, ensure_ascii=False) + "\n" for i in range(5000)]
    path = tmp_path / "in.jsonl"
    path.write_text("".join(lines), encoding="utf-8")
    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("one CPU: the scan never forks a helper here")
    done = subprocess.run(
        [sys.executable, "-c", _HELPER_DIES, str(DATA / "lexicon.txt"), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
