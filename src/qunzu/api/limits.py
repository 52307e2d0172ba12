"""Request body caps, per route, before anything reads the body.

Every request body is capped: `server.max_body_bytes` for most routes, `server.max_upload_bytes` for the few that
take a document (an ID card photo, a published rule text), `server.max_lexicon_bytes` for a whole-lexicon upload
(whose route also checks the caller's role before it reads a byte). A declared `Content-Length` over the cap is
answered at once with 413 `payload_too_large`, unread; a body sent without one (chunked) is counted as it arrives
and refused the moment it passes the cap, so no handler ever holds more than the cap in memory.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import orjson
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qunzu.api.errors import envelope
from qunzu.config import ServerSettings
from qunzu.errors import ErrorCode
from qunzu.i18n import error_text, pick_language


@dataclass(frozen=True, slots=True)
class BodyCap:
    method: str
    path: re.Pattern[str]
    limit: int


def body_caps(server: ServerSettings) -> list[BodyCap]:
    """The routes whose bodies may be larger than `server.max_body_bytes`."""
    upload, lexicon = server.max_upload_bytes, server.max_lexicon_bytes

    def cap(method: str, pattern: str, limit: int) -> BodyCap:
        return BodyCap(method, re.compile(pattern + r"\Z"), limit)

    return [
        cap("PUT", "/api/v1/staff/lexicon", lexicon),
        cap("POST", "/staff/lexicon(?:/[a-z-]+)?", lexicon),  # the staff console's lexicon upload form
        cap("POST", "/api/v1/me/verification/id", upload),
        cap("POST", "/me/verify/id", upload),
        cap("POST", "/api/v1/staff/documents/[a-z_]+", upload),
        cap("POST", "/staff/documents(?:/[a-z_]+)?", upload),
    ]


class BodyTooLarge(HTTPException):
    """Raised from `receive` when a body passes its cap; the app's handler answers 413 `payload_too_large`."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than {limit} bytes")


class BodyLimitMiddleware:
    """Plain ASGI: a `Content-Length` over the route's cap is refused before the app runs; a streamed body is
    counted chunk by chunk."""

    def __init__(self, app: ASGIApp, *, default: int, caps: Iterable[BodyCap]) -> None:
        self.app = app
        self.default = default
        self.caps = list(caps)
        # the paths of the larger caps start with one of these: every other path (posting included) skips the regexes
        self._prefixes = tuple({re.split(r"[(\[\\]", c.path.pattern, maxsplit=1)[0] for c in self.caps})

    def limit_for(self, method: str, path: str) -> int:
        if not path.startswith(self._prefixes):
            return self.default
        for c in self.caps:
            if c.method == method and c.path.match(path):
                return c.limit
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["method"], scope["path"])
        declared = _content_length(scope)
        if declared is not None:
            if declared > limit:
                await _refuse(scope, send, limit)
                return
            # within the cap: the server delivers no more than the declared length (h11 and httptools enforce it)
            await self.app(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, counted, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            raw = value.decode("latin-1").strip()
            return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else None
    return None


async def _refuse(scope: Scope, send: Send, limit: int) -> None:
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    lang = pick_language(headers.get("accept-language"))
    details = {"max_bytes": limit}
    message = error_text(ErrorCode.PAYLOAD_TOO_LARGE, f"The request body is larger than {limit} bytes", lang, details)
    body = orjson.dumps(envelope(ErrorCode.PAYLOAD_TOO_LARGE, message, details))
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
