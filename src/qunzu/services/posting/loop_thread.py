"""The message writer's thread: an event loop of its own in a thread of its own, where each batch runs.

Why a thread: on the server's event loop each of a batch's round trips would wait for a turn of a loop that is busy
parsing requests and writing frames, which made a batch take several milliseconds instead of about one
(docs/decisions/0006). Here a batch — its read, its plan, its write and commit, its outcomes — runs from start to
end without waiting for the server's loop, which hears once, when the batch is done: one hop per batch. (A hop
before the plan and another after it measured 8 % fewer messages/s on PostgreSQL.)
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def _new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:  # uvloop comes with uvicorn[standard]; the stdlib loop does the same job a little slower
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


class LoopThread:
    """An event loop in a daemon thread, started on first use. Work given to `run` must not touch the caller's
    loop's objects; connections opened by that work belong to this loop."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._loop is not None

    async def run(self, work: Coroutine[Any, Any, T]) -> T:
        """`await work` on this thread's loop; cancelling the caller cancels it there."""
        loop = self._start()
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, loop))

    async def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        await asyncio.get_running_loop().run_in_executor(None, thread.join, 10)
        loop.close()
        self._loop = self._thread = None

    def _start(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            loop = _new_loop()
            ready = threading.Event()

            def main() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                loop.run_forever()

            self._thread = threading.Thread(target=main, name=self._name, daemon=True)
            self._thread.start()
            ready.wait()
            self._loop = loop
        return self._loop
