"""`qunzu review scan --lexicon FILE` as a process: JSON lines in, one JSON line out per line, in order."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

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
    proc = _run([json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts], tmp_path, "--cache-dir", str(tmp_path))
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


def test_bad_lines_keep_the_output_aligned_and_fail_the_exit_status(tmp_path: Path) -> None:
    proc = _run(['{"text": "赌博"}\n', "not json\n", '{"nope": 1}\n', '"赌博"\n', '{"text": "ok"}\n'], tmp_path, "--no-cache")
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
