"""structlog set-up: key=value in development, JSON lines in production. No personal data in logs.

No credential in logs either: a bearer token copied from a log line works for 30 days. Every line is redacted,
whoever writes it: structlog's (`redact_processor`, before rendering) and the standard library's, which uvicorn
writes its access and error lines with (`RedactingFilter` on the "uvicorn", "uvicorn.access" and "uvicorn.error"
loggers and their handlers, and in `uvicorn_log_config` for `qunzu serve`). Redacted: the values of `token=`,
`ticket=` and similar query parameters, of `Authorization`, `Cookie` and `Set-Cookie` headers, `Bearer <...>`, and
anything shaped like one of our tokens (`qz_...`) or tickets (`qzt_...`), wherever it appears.
"""

from __future__ import annotations

import copy
import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

from qunzu.config import Settings

REDACTED = "[redacted]"
_SECRET_PARAMS = r"(?:token|ticket|access_token|refresh_token|csrf_token|session|password|qunzu_session)"
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # ?token=..., &ticket=... (also percent-encoded or in a quoted URL)
    (re.compile(rf"(?i)((?:[?&;]|\b){_SECRET_PARAMS}=)[^&\s\"'#;,]+"), rf"\1{REDACTED}"),
    # Authorization: Bearer ..., Cookie: a=b; c=d, "authorization": "..." (header dumps, reprs)
    (
        re.compile(
            r"(?i)\b((?:proxy-)?authorization|cookie|set-cookie|x-csrf-token)(['\"]?\s*[:=,]\s*\(?b?['\"]?)[^'\"\n\r)]+"
        ),
        rf"\1\2{REDACTED}",
    ),
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), rf"\1 {REDACTED}"),
    (re.compile(r"\bqzt?_[A-Za-z0-9_-]{16,}"), REDACTED),
)
_SECRET_KEYS = frozenset(
    {"authorization", "cookie", "set-cookie", "token", "ticket", "access_token", "password", "x-csrf-token", "secret"}
)
UVICORN_LOGGERS = ("uvicorn", "uvicorn.access", "uvicorn.error")


def redact(text: str) -> str:
    """`text` with every credential in it replaced by [redacted]."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {k: REDACTED if str(k).lower() in _SECRET_KEYS else _redact_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_redact_value(v) for v in value)
    return value


def redact_processor(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: redact every value (and drop those under a credential's name)."""
    for key, value in list(event_dict.items()):
        event_dict[key] = REDACTED if key.lower() in _SECRET_KEYS else _redact_value(value)
    return event_dict


class RedactingFilter(logging.Filter):
    """A filter for the standard library's records (uvicorn's access and error lines): redacts message, arguments
    and exception text in place, and lets the record through."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact_value(a) for a in record.args)
        elif isinstance(record.args, Mapping):
            record.args = _redact_value(record.args)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


_FILTER = RedactingFilter()


def install_log_redaction() -> None:
    """Put the redacting filter on uvicorn's loggers and on their handlers and the root's (idempotent)."""
    for name in (*UVICORN_LOGGERS, ""):
        logger = logging.getLogger(name)
        targets: list[logging.Filterer] = [logger, *logger.handlers]
        for target in targets:
            if not any(isinstance(f, RedactingFilter) for f in target.filters):
                target.addFilter(_FILTER)


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's own logging configuration, with the redacting filter on each of its handlers."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"redact": {"()": RedactingFilter}}
    for handler in config["handlers"].values():
        handler["filters"] = ["redact"]
    return config


def configure_logging(settings: Settings) -> None:
    level = getattr(logging, settings.logs.level.upper(), logging.INFO)
    json_out = settings.logs.json_output or settings.profile == "production"
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if json_out else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            redact_processor,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    install_log_redaction()
