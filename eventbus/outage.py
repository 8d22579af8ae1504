"""Whether a database error is an outage to wait out (down, restarting, the connection cut, the pool
exhausted), not a fault of the work: the APIs answer it with 503 and Retry-After (chassis/errors.py), the
consumer sends its messages down the retry path without counting an attempt (eventbus/consumer.py)."""

from __future__ import annotations

import sqlite3

from sqlalchemy import exc as sa

# PostgreSQL's SQLSTATEs for "not now": connection exceptions (08...), the server shutting down or starting up
# (57P01-57P03), too many connections (53300). Other operational errors (a statement timeout, a deadlock, a
# serialization failure, a full disk) are not an outage a client should wait out.
_UNAVAILABLE_STATES = ("08", "57P01", "57P02", "57P03", "53300")
# SQLite's (the embedded default): the file is locked or cannot be opened; "no such table" is a bug.
_UNAVAILABLE_SQLITE = ("database is locked", "unable to open database file", "disk I/O error")


def database_unavailable(error: Exception) -> bool:
    """The database cannot be reached right now (down, restarting, the connection cut, the pool exhausted): the
    request may succeed if tried again shortly, unlike a bug or a constraint refusing the data."""
    if isinstance(error, sa.TimeoutError):  # the pool had no connection to give in time
        return True
    if not isinstance(error, sa.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if not isinstance(error, sa.OperationalError):
        return False
    if isinstance(error.orig, sqlite3.Error):
        return str(error.orig).startswith(_UNAVAILABLE_SQLITE)
    state = getattr(error.orig, "sqlstate", None)
    return state is None or state.startswith(_UNAVAILABLE_STATES)  # None: the client could not reach the server
