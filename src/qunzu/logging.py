"""structlog set-up: key=value in development, JSON lines in production. No personal data in logs."""

from __future__ import annotations

import logging
import sys

import structlog

from qunzu.config import Settings


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
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
