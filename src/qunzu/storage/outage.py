"""Telling apart the two ways a database write fails: the database is out of reach, or it refused one value.

`database_unreachable`: the connection or the server is gone (refused, reset, timed out, shut down, too many
connections, a locked or unreadable SQLite file). Work retried now fails the same way, whatever it holds.
`value_refused`: the database refused a value it was given (SQLSTATE class 22, "data exception": a NUL character
in a text, a number out of range). The same statement without that value would have gone through.

Both look through SQLAlchemy's wrapper (`DBAPIError.orig`) and exception chains (`__cause__`) to the driver's own
error, so they answer by exception class, never by reading the message text.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import asyncpg
from sqlalchemy.exc import DBAPIError

from qunzu.errors import Unavailable

_UNREACHABLE: tuple[type[BaseException], ...] = (
    Unavailable,  # the unit of work's own word for it
    OSError,  # refused, reset, unreachable (ConnectionError is an OSError)
    TimeoutError,  # asyncpg's command_timeout, a connect timeout
    asyncpg.PostgresConnectionError,  # class 08: connection exception (does not exist, failure, ...)
    asyncpg.InterfaceError,  # the connection is closed, or in a state it cannot leave
    asyncpg.exceptions.OperatorInterventionError,  # class 57: admin shutdown, crash shutdown, cannot connect now
    asyncpg.exceptions.InsufficientResourcesError,  # class 53: too many connections, disk full, out of memory
    sqlite3.OperationalError,  # database locked, disk I/O error, unable to open the file
)

_REFUSED_VALUE: tuple[type[BaseException], ...] = (
    asyncpg.DataError,  # class 22: data exception (22021: invalid byte sequence, e.g. a NUL in a text)
    sqlite3.DataError,
)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        if isinstance(current, DBAPIError) and isinstance(current.orig, BaseException):
            current = current.orig
        else:
            current = current.__cause__


def database_unreachable(exc: BaseException) -> bool:
    """True when `exc` says the database cannot be reached now, rather than that it refused this work."""
    for e in _chain(exc):
        if isinstance(e, _UNREACHABLE) or (isinstance(e, DBAPIError) and e.connection_invalidated):
            return True
    return False


def value_refused(exc: BaseException) -> bool:
    """True when `exc` says the database refused a value of the statement (a data exception, SQLSTATE class 22)."""
    return any(isinstance(e, _REFUSED_VALUE) for e in _chain(exc))
