"""`qunzu review scan --lexicon FILE`: JSON lines in, one JSON line out per input line, in order, streaming.

Input lines are `{"text": "..."}`; each output line is `{"hits": [<terms as written in the lexicon>],
"action": "block|hold|flag|allow"}`. A line that is not such an object still gets an output line, with
`"action": "allow"` and an `"error"` field, so outputs stay aligned with inputs; the exit status is then 1.
Lines are read and answered one at a time (nothing is held), and the output is flushed after every line
when the input is a pipe or a terminal, so the command can also serve as a co-process.

    python -m qunzu.review.scan_cli --lexicon FILE [--cache-dir DIR | --no-cache] < in.jsonl > out.jsonl
"""

from __future__ import annotations

import argparse
import io
import json
import os
import stat
import sys
from pathlib import Path
from typing import TextIO

from qunzu.errors import QunzuError
from qunzu.review.engine import ReviewEngine

_loads = json.loads
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode


def _interactive(stream: TextIO) -> bool:
    try:
        return not stat.S_ISREG(os.fstat(stream.fileno()).st_mode)
    except (OSError, ValueError, io.UnsupportedOperation):
        return False


def run_scan(lexicon_path: Path, stdin: TextIO, stdout: TextIO, cache_dir: Path | None) -> int:
    """Scan every JSON line of `stdin` against the lexicon file; 0 when every line was valid, else 1."""
    engine = ReviewEngine.load_text_file(lexicon_path, cache_dir, strict=False)
    scan = engine.scan
    flush = stdout.flush if _interactive(stdin) else None
    write = stdout.write
    status = 0
    for line in stdin:
        try:
            obj = _loads(line)
            text = obj["text"] if isinstance(obj, dict) else obj
            if not isinstance(text, str):
                raise TypeError("text must be a string")
        except (ValueError, KeyError, TypeError) as exc:
            status = 1
            write(_dumps({"hits": [], "action": "allow", "error": f"invalid input line: {exc}"}) + "\n")
        else:
            result = scan(text)
            write(_dumps({"hits": result.terms, "action": result.action.value}) + "\n")
        if flush is not None:
            flush()
    stdout.flush()
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="qunzu review scan", description=__doc__.split("\n")[0])
    parser.add_argument("--lexicon", required=True, type=Path, help="lexicon file (plain format)")
    parser.add_argument("--cache-dir", type=Path, default=Path.home() / ".cache" / "qunzu" / "review")
    parser.add_argument("--no-cache", action="store_true", help="compile in memory, write nothing")
    args = parser.parse_args(argv)
    stdin = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace")
    stdout = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", errors="replace", newline="\n")
    try:
        return run_scan(args.lexicon, stdin, stdout, None if args.no_cache else args.cache_dir)
    except (OSError, UnicodeDecodeError, QunzuError) as exc:
        print(f"qunzu review scan: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
