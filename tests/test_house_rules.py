"""The house rules that a reader cannot see from one file: where time comes from, where records are written, how big
a module may grow. (Which package may import which is import-linter's job, in `make test`.)"""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "qunzu"
WALL_CLOCK = re.compile(r"\b(datetime\.(now|utcnow|today)|date\.today|time\.time)\(")


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "migrations" not in p.parts)


def test_only_the_clock_reads_the_wall_clock() -> None:
    readers = [
        f"{p.relative_to(SRC)}:{n}"
        for p in _modules()
        if p.name != "clock.py"
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if WALL_CLOCK.search(line)
    ]
    assert readers == [], "read the container's clock (qunzu.clock) instead"


def test_only_the_netlog_package_writes_operation_records() -> None:
    writers = [
        str(p.relative_to(SRC))
        for p in _modules()
        if re.search(r"(insert|update|delete)\(operation_log\)", p.read_text(encoding="utf-8"))
    ]
    assert writers == ["netlog/store.py"]


def test_no_module_grows_past_600_lines() -> None:
    big = {
        str(p.relative_to(SRC)): n for p in _modules() if (n := len(p.read_text(encoding="utf-8").splitlines())) > 600
    }
    assert big == {}, "split it by concern (docs/architecture.md)"
