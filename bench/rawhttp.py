"""A lean HTTP/1.1 keep-alive client for the load generator's senders.

httpx costs the client about half a millisecond of CPU per request; on a 2-core machine shared with the server
that CPU, and the client's event-loop time, end up in the latencies the closed loop measures. This client does
only what a sender needs: POST a body with fixed headers on keep-alive connections and read the status and the
body (Content-Length or chunked). Connections are opened lazily up to `max_connections`; a connection the
server closed is replaced. Errors surface as `ConnectionError`.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any
from urllib.parse import urlsplit


class _Conn(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: Any = None  # uvloop's transports are not asyncio.Transport subclasses
        self.buf = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes, bool]] | None = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError(f"connection lost: {exc!r}"))

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if self.waiter is None or self.waiter.done():
            return
        try:
            parsed = self._parse()
        except ValueError as exc:
            self.waiter.set_exception(ConnectionError(f"bad response: {exc}"))
            return
        if parsed is not None:
            self.waiter.set_result(parsed)

    def _parse(self) -> tuple[int, bytes, bool] | None:
        buf = self.buf
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = bytes(buf[:end]).lower()
        status = int(head[9:12])
        keep = b"\r\nconnection: close" not in head
        start = end + 4
        i = head.find(b"\r\ncontent-length:")
        if i >= 0:
            n = int(head[i + 17 : head.find(b"\r\n", i + 2) if head.find(b"\r\n", i + 2) > 0 else None])
            if len(buf) < start + n:
                return None
            body = bytes(buf[start : start + n])
            del buf[: start + n]
            return status, body, keep
        if b"\r\ntransfer-encoding: chunked" not in head:
            raise ValueError("neither content-length nor chunked")
        chunks, pos = [], start
        while True:
            eol = buf.find(b"\r\n", pos)
            if eol < 0:
                return None
            size = int(bytes(buf[pos:eol]).split(b";")[0], 16)
            if len(buf) < eol + 2 + size + 2:
                return None
            if size == 0:
                del buf[: eol + 4]
                return status, b"".join(chunks), keep
            chunks.append(bytes(buf[eol + 2 : eol + 2 + size]))
            pos = eol + 2 + size + 2


class RawHttpClient:
    def __init__(self, base_url: str, *, max_connections: int = 1, timeout: float = 60.0) -> None:
        url = urlsplit(base_url)
        self.host = url.hostname or "127.0.0.1"
        self.port = url.port or 80
        self.timeout = timeout
        self._host_header = f"Host: {url.netloc}\r\n".encode()
        self._idle: list[_Conn] = []
        self._all: set[_Conn] = set()
        self._slots = asyncio.Semaphore(max_connections)

    async def _open(self) -> _Conn:
        loop = asyncio.get_running_loop()
        _, conn = await loop.create_connection(_Conn, self.host, self.port)
        self._all.add(conn)
        return conn

    def head(self, method: str, path: str, headers: dict[str, str]) -> bytes:
        """The request line and fixed headers of a request, to be built once and reused."""
        lines = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        return f"{method} {path} HTTP/1.1\r\n".encode() + self._host_header + lines.encode()

    async def request(self, head: bytes, body: bytes = b"") -> tuple[int, bytes]:
        async with self._slots:
            conn = None
            while self._idle:
                candidate = self._idle.pop()
                if not candidate.closed:
                    conn = candidate
                    break
                self._all.discard(candidate)
            if conn is None:
                conn = await self._open()
            loop = asyncio.get_running_loop()
            conn.waiter = waiter = loop.create_future()
            assert conn.transport is not None
            conn.transport.write(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
            try:
                status, payload, keep = await asyncio.wait_for(waiter, self.timeout)
            except BaseException:
                self._discard(conn)
                raise
            conn.waiter = None
            if keep and not conn.closed:
                self._idle.append(conn)
            else:
                self._discard(conn)
            return status, payload

    def _discard(self, conn: _Conn) -> None:
        self._all.discard(conn)
        if conn.transport is not None:
            conn.transport.close()

    async def aclose(self) -> None:
        for conn in list(self._all):
            self._discard(conn)
        self._idle.clear()
        with contextlib.suppress(Exception):
            await asyncio.sleep(0)
