"""`qunzu review scan --lexicon FILE`: JSON lines in, one JSON line out per input line, in order, streaming.

Input lines are `{"text": "..."}`; each output line is `{"hits": [<terms as written in the lexicon>],
"action": "block|hold|flag|allow"}`. A line that is not such an object still gets an output line, with
`"action": "allow"` and an `"error"` field, so outputs stay aligned with inputs; the exit status is then 1.

The command reads its input as a block of whatever is waiting (at most 512 KiB), answers every complete line
of the block, and writes the answers with one system call. When the input is a pipe or a terminal it flushes
after each block, so an answer is out as soon as its line has been read and no more input is waiting: the
command can serve as a co-process (write a line, read its answer). Nothing is held beyond one block.

With `--jobs 2`, a block large enough to be worth it is split in two: a copy of the process, forked once the
lexicon is loaded, answers the second half while the process answers the first, and the answers are written
in input order. A co-process exchanging one line at a time never forks, and if the copy fails the process
answers everything itself. `--jobs auto` (the default) means 2 when, while the lexicon loaded, at least half
a CPU stood idle (Linux /proc/stat; on a busy machine a second process would only compete), else 1.

    python -m qunzu.review.scan_cli --lexicon FILE [--cache-dir DIR | --no-cache] [--jobs auto|1|2] < in > out
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import select
import stat
import sys
import threading
from collections.abc import Callable, Iterable
from json.decoder import JSONDecoder
from json.encoder import encode_basestring
from json.scanner import make_scanner
from pathlib import Path
from typing import Any, BinaryIO, NoReturn, TextIO, cast

from qunzu.errors import QunzuError
from qunzu.review.engine import ReviewEngine
from qunzu.review.model import Action

CHUNK = 1 << 16  # one read
BLOCK = 1 << 19  # what is answered (and written) at once, at most, when input keeps coming
SPLIT = 1 << 13  # a block this large (about 70 chat messages) is shared with the helper process
_loads = json.loads
_scan_once = make_scanner(cast(Any, JSONDecoder()))  # what json.loads runs, without its wrapping
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode
_NO_HITS = {a.value: f'{{"hits": [], "action": "{a.value}"}}' for a in Action}  # _dumps of the same


def _interactive(stream: TextIO | BinaryIO | int) -> bool:
    """A pipe or a terminal (someone may be waiting for each answer), rather than a regular file."""
    try:
        fd = stream if isinstance(stream, int) else stream.fileno()
        return not stat.S_ISREG(os.fstat(fd).st_mode)
    except (OSError, ValueError, io.UnsupportedOperation):
        return False


def _answerer(engine: ReviewEngine) -> Callable[[str, str], tuple[str, bool]]:
    """A function from one input line (without its newline, then the newline) to its output line (without
    the newline) and whether the input was valid."""
    scan = engine.scan
    scan_once, no_hits = _scan_once, _NO_HITS

    def output(text: str) -> str:
        result = scan(text)
        action = result.action._value_
        if not result.hits:
            return no_hits[action]
        terms = result.terms
        if not terms:
            return no_hits[action]
        hits = ", ".join(map(encode_basestring, terms))  # what _dumps writes for the same object
        return f'{{"hits": [{hits}], "action": "{action}"}}'

    def answer(line: str, newline: str) -> tuple[str, bool]:
        try:  # the common line, one JSON object, parsed by the C scanner without json.loads' wrapping
            obj, end = scan_once(line, 0)
            text = obj.get("text") if type(obj) is dict else obj
            if type(text) is str and (end == len(line) or not line[end:].strip(" \t\r\n")):
                return output(text), True
        except (StopIteration, ValueError):
            pass
        try:  # anything else: json.loads decides, and words the error
            obj = _loads(line + newline)  # with its newline, as the error messages always counted it
            text = obj["text"] if isinstance(obj, dict) else obj
            if not isinstance(text, str):
                raise TypeError("text must be a string")
        except (ValueError, KeyError, TypeError) as exc:
            return _dumps({"hits": [], "action": "allow", "error": f"invalid input line: {exc}"}), False
        return output(text), True

    return answer


def _answer_all(
    answer: Callable[[str, str], tuple[str, bool]], lines: Iterable[str], newline: str = "\n"
) -> tuple[str, bool]:
    """The output lines for some input lines, each ended by a newline, and whether every one was valid."""
    out: list[str] = []
    ok = True
    for line in lines:
        got, valid = answer(line, newline)
        out.append(got)
        if not valid:
            ok = False
    out.append("")
    return "\n".join(out), ok


def run_scan(lexicon_path: Path, stdin: TextIO, stdout: TextIO, cache_dir: Path | None) -> int:
    """Scan every JSON line of `stdin` against the lexicon file; 0 when every line was valid, else 1.

    Any text stream works (it is read line by line); the answer to each line is flushed at once when
    `stdin` is a pipe or a terminal. The command itself reads bytes in chunks (`scan_fd`)."""
    engine = ReviewEngine.load_text_file(lexicon_path, cache_dir, strict=False)
    answer = _answerer(engine)
    flush = stdout.flush if _interactive(stdin) else None
    write = stdout.write
    status = 0
    for line in stdin:
        ended = line.endswith("\n")
        text, ok = _answer_all(answer, (line[:-1] if ended else line,), "\n" if ended else "")
        write(text)
        if not ok:
            status = 1
        if flush is not None:
            flush()
    stdout.flush()
    return status


def _lines_of(data: bytes) -> list[str]:
    """The lines of a block of whole lines (it ends with a newline), decoded as a text stream would."""
    text = data.decode("utf-8", "replace")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    lines.pop()  # what follows the last newline: nothing
    return lines


def _answer_block(answer: Callable[[str, str], tuple[str, bool]], data: bytes) -> tuple[bytes, bool]:
    out, ok = _answer_all(answer, _lines_of(data))
    return out.encode("utf-8", "replace"), ok


def _read_exact(fd: int, size: int) -> bytes | None:
    parts: list[bytes] = []
    while size:
        part = os.read(fd, min(size, 1 << 20))
        if not part:
            return None
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class _Helper:
    """A forked copy of the scanning process that answers blocks of lines sent over a pipe.

    The parent sends `length + block of whole lines`, the helper replies `length + valid flag + answers`.
    Any failure (the helper died, a pipe broke) makes the parent answer the block itself and stop using
    the helper; the helper exits when its input pipe closes, which happens at the latest when the parent
    exits, so it never outlives the command."""

    @classmethod
    def start(cls, answer: Callable[[str, str], tuple[str, bool]]) -> _Helper | None:
        """A running helper, or None when the system would not give one (no more processes or pipes)."""
        try:
            return cls(answer)
        except OSError:
            return None

    def __init__(self, answer: Callable[[str, str], tuple[str, bool]]) -> None:
        to_helper, self._requests = os.pipe()
        try:
            self._replies, from_helper = os.pipe()
        except OSError:
            os.close(to_helper)
            os.close(self._requests)
            raise
        try:
            self.pid = os.fork()
        except OSError:
            for fd in (to_helper, self._requests, self._replies, from_helper):
                os.close(fd)
            raise
        if self.pid == 0:  # the helper: never returns
            code = 0
            try:
                os.close(self._requests)
                os.close(self._replies)
                devnull = os.open(os.devnull, os.O_RDWR)
                os.dup2(devnull, 0)  # the command's input and output belong to the parent alone
                os.dup2(devnull, 1)
                self._serve(answer, to_helper, from_helper)
            except BaseException:  # the parent notices the closed pipe and carries on
                code = 1
            os._exit(code)
        os.close(to_helper)
        os.close(from_helper)

    @staticmethod
    def _serve(answer: Callable[[str, str], tuple[str, bool]], requests: int, replies: int) -> None:
        while True:
            head = _read_exact(requests, 8)
            data = _read_exact(requests, int.from_bytes(head, "little")) if head is not None else None
            if data is None:
                return
            out, ok = _answer_block(answer, data)
            _write_all(replies, (len(out) + 1).to_bytes(8, "little") + (b"\x01" if ok else b"\x00") + out)

    def send(self, data: bytes) -> bool:
        try:
            _write_all(self._requests, len(data).to_bytes(8, "little") + data)
        except OSError:
            return False
        return True

    def receive(self) -> tuple[bytes, bool] | None:
        try:
            head = _read_exact(self._replies, 8)
            reply = _read_exact(self._replies, int.from_bytes(head, "little")) if head is not None else None
        except OSError:
            return None
        if not reply:
            return None
        return reply[1:], reply[0] == 1

    def close(self) -> None:
        for fd in (self._requests, self._replies):
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass


def _waiting(fd: int) -> bool:
    """Input can be read from `fd` without waiting (a regular file always can)."""
    try:
        return bool(select.select([fd], [], [], 0)[0])
    except (OSError, ValueError):
        return False


def _cpu_times() -> tuple[int, int] | None:
    """(idle, total) time of all CPUs so far, in clock ticks (Linux /proc/stat), or None."""
    try:
        with open("/proc/stat", "rb") as fh:
            values = [int(x) for x in fh.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    return (values[3] + values[4], sum(values)) if len(values) == 8 else None


def _spare_cpus(since: tuple[int, int] | None) -> float:
    """How many CPUs stood idle, on average, since `since` (0 when that cannot be told)."""
    now = _cpu_times()
    if since is None or now is None or now[1] - since[1] < 10:
        return 0.0
    return (now[0] - since[0]) / (now[1] - since[1]) * (os.cpu_count() or 1)


def _can_fork() -> bool:
    """Forking a helper is safe and worth it: POSIX, a second CPU for this process, and no other thread."""
    if not hasattr(os, "fork") or threading.active_count() > 1:
        return False
    try:
        return len(os.sched_getaffinity(0)) > 1
    except AttributeError:  # pragma: no cover - not Linux
        return (os.cpu_count() or 1) > 1


def scan_fd(engine: ReviewEngine, fd: int, stdout: BinaryIO, *, jobs: int = 1) -> int:
    """Answer the JSON lines read from file descriptor `fd`, writing UTF-8 to `stdout` (see the module doc).

    Lines end at LF, CR or CRLF and are decoded as UTF-8 with replacement, as a text stream would. With
    jobs=2, a block of input large enough to be worth it is split in two and the second half is answered by
    a forked helper while this process answers the first; the answers are written in input order."""
    answer = _answerer(engine)
    interactive = _interactive(fd)
    status = 0
    pending: list[bytes] = []  # the start of a line that has not ended yet
    read, write = os.read, stdout.write
    helper: _Helper | None = None
    use_helper = jobs > 1
    eof = False
    try:
        while not eof:
            chunk = read(fd, CHUNK)
            if not chunk:
                break
            if _waiting(fd):  # more input is already there: take it along (up to BLOCK), flush once for all
                parts, size = [chunk], len(chunk)
                while size < BLOCK and _waiting(fd):
                    more = read(fd, CHUNK)
                    if not more:
                        eof = True
                        break
                    parts.append(more)
                    size += len(more)
                chunk = b"".join(parts)
            cut = chunk.rfind(b"\n") + 1
            if not cut:
                pending.append(chunk)
                continue
            data = chunk[:cut]
            if pending:
                data = b"".join((*pending, data))
                pending.clear()
            if cut < len(chunk):
                pending.append(chunk[cut:])
            if use_helper and helper is None and len(data) >= SPLIT:
                stdout.flush()
                helper = _Helper.start(answer) if _can_fork() else None
                use_helper = helper is not None
            half = data.find(b"\n", len(data) // 2) + 1 if helper is not None and len(data) >= SPLIT else 0
            if helper is not None and 0 < half < len(data) and helper.send(data[half:]):
                out, ok = _answer_block(answer, data[:half])
                reply = helper.receive()
                if reply is None:  # the helper is gone: answer its half here, and carry on alone
                    helper.close()
                    helper, use_helper = None, False
                    reply = _answer_block(answer, data[half:])
                write(out)
                out, more_ok = reply
                ok = ok and more_ok
            else:
                out, ok = _answer_block(answer, data)
            write(out)
            if interactive:
                stdout.flush()
            if not ok:
                status = 1
        if pending:  # the last line, without a newline
            text = b"".join(pending).decode("utf-8", "replace")
            lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
            last = lines.pop()
            text, ok = _answer_all(answer, lines)
            if last:
                final, last_ok = _answer_all(answer, (last,), "")
                text, ok = text + final, ok and last_ok
            write(text.encode("utf-8", "replace"))
            if not ok:
                status = 1
        stdout.flush()
    finally:
        if helper is not None:
            helper.close()
    return status


def _load(lexicon: Path, cache_dir: Path | None) -> ReviewEngine:
    """The engine, with the cyclic garbage collector kept off its million objects: they live as long as the
    process, and collections that walked them would cost a few tenths of a second over a large input."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        engine = ReviewEngine.load_text_file(lexicon, cache_dir, strict=False)
        gc.freeze()
    finally:
        if enabled:
            gc.enable()
    return engine


def main(argv: list[str] | None = None) -> int:
    """The command. When it reads a real file descriptor it ends the process itself (see _end_process)."""
    parser = argparse.ArgumentParser(prog="qunzu review scan", description=__doc__.split("\n")[0])
    parser.add_argument("--lexicon", required=True, type=Path, help="lexicon file (plain format)")
    parser.add_argument("--cache-dir", type=Path, default=Path.home() / ".cache" / "qunzu" / "review")
    parser.add_argument("--no-cache", action="store_true", help="compile in memory, write nothing")
    parser.add_argument("--jobs", choices=("auto", "1", "2"), default="auto", help="scanning processes (module doc)")
    args = parser.parse_args(argv)
    started = _cpu_times()
    cache_dir = None if args.no_cache else args.cache_dir
    try:
        try:
            fd = sys.stdin.fileno()
        except (OSError, ValueError, io.UnsupportedOperation):
            fd = -1
        if fd < 0:  # not a real file (an embedding replaced sys.stdin): read it as text
            stdin = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace")
            stdout = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", errors="replace", newline="\n")
            return run_scan(args.lexicon, stdin, stdout, cache_dir)
        engine = _load(args.lexicon, cache_dir)
        # auto: a helper process only if a CPU stood idle while the lexicon loaded (else it would only compete)
        jobs = int(args.jobs) if args.jobs != "auto" else 2 if _spare_cpus(started) >= 0.5 else 1
        status = scan_fd(engine, fd, sys.stdout.buffer, jobs=jobs)
    except (OSError, UnicodeDecodeError, QunzuError) as exc:
        print(f"qunzu review scan: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 2
    _end_process(status)


def _end_process(status: int) -> NoReturn:
    """Exit now: every answer is written and flushed, and tearing down the engine's million objects one by
    one would only add a tenth of a second or more to the command's wall time."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            status = status or 1
    os._exit(status)


if __name__ == "__main__":
    sys.exit(main())
