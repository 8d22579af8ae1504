"""The test session's pool of PostgreSQL database sets (one database per owner), reused between tests.

Creating and dropping a set per test cost ~2 s: every DROP DATABASE forces a checkpoint. Instead a released set
is emptied in place: every backend connected to it is terminated (engines a test never disposed, worker threads),
then each database loses every schema of its own and gets an empty `public` again, as PostgreSQL 15 creates it.
What lives outside a schema is cleared too (large objects, per-database settings). A set that cannot be emptied
is dropped rather than reused, and every set is dropped when the session ends. Names carry a per-session prefix,
so helpers running tests at the same time on the same server never share a database."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable

import psycopg

# As PostgreSQL 15 makes `public` in a new database: owned by the database owner, usable (not creatable) by all.
_EMPTY_PUBLIC = (
    "CREATE SCHEMA public AUTHORIZATION pg_database_owner",
    "GRANT USAGE ON SCHEMA public TO PUBLIC",
)
_OWN_SCHEMAS = (
    "SELECT nspname FROM pg_namespace "
    "WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'"
)


class DatabasePool:
    """Database sets named `t_<session>_<n>_<owner>`; `acquire` hands out an empty set, `release` empties it."""

    def __init__(self, host: str, port: int) -> None:
        self._host, self._port = host, port
        self._prefix = f"t_{uuid.uuid4().hex[:10]}"
        self._free: list[dict[str, str]] = []
        self._created: list[str] = []  # every database this session made, for `close`
        self._count = 0
        self._lock = threading.Lock()  # a test may take sets from more than one thread

    def _libpq(self, database: str) -> str:
        return f"postgresql://postgres@{self._host}:{self._port}/{database}"

    def acquire(self, owners: Iterable[str]) -> dict[str, str]:
        """An empty database per owner: owner -> database name. The owners are read per call, not fixed."""
        owners = tuple(owners)
        with self._lock:
            for index, names in enumerate(self._free):
                if set(names) == set(owners):
                    return self._free.pop(index)
            self._count += 1
            names = {owner: f"{self._prefix}_{self._count}_{owner}" for owner in owners}
            self._created.extend(names.values())
        with psycopg.connect(self._libpq("postgres"), autocommit=True) as conn:
            for name in names.values():
                conn.execute(f'CREATE DATABASE "{name}"')
        return names

    def release(self, names: dict[str, str]) -> None:
        """Empty the set and keep it for the next test; drop it instead if emptying fails."""
        try:
            self._disconnect(names.values())
            for name in names.values():
                self._empty(name)
        except psycopg.Error:
            self._drop(names.values())
            return
        with self._lock:
            self._free.append(names)

    def close(self) -> None:
        """Drop every database this session made (those still handed out too)."""
        with self._lock:
            created, self._created, self._free = self._created, [], []
        self._drop(created)

    def _disconnect(self, names: Iterable[str]) -> None:
        names = list(names)
        with psycopg.connect(self._libpq("postgres"), autocommit=True) as conn:
            for name in names:
                conn.execute(f'ALTER DATABASE "{name}" RESET ALL')  # settings a test made for the database
            # The timeout makes each call wait until the backend is gone, so its locks are released before the reset.
            conn.execute(
                "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                "WHERE datname = ANY(%s) AND pid <> pg_backend_pid()", (names,))

    def _empty(self, name: str) -> None:
        # One transaction: a database is either wholly empty afterwards or untouched (and then dropped).
        with psycopg.connect(self._libpq(name)) as conn:
            for (schema,) in conn.execute(_OWN_SCHEMAS).fetchall():
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')  # tables, types, functions, triggers, extensions
            for statement in _EMPTY_PUBLIC:
                conn.execute(statement)
            conn.execute("SELECT lo_unlink(oid) FROM pg_largeobject_metadata")

    def _drop(self, names: Iterable[str]) -> None:
        with psycopg.connect(self._libpq("postgres"), autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_shared: DatabasePool | None = None


def shared(host: str, port: int) -> DatabasePool:
    """The session's one pool; kept here, not in a conftest, which a test module may import a second time."""
    global _shared
    if _shared is None:
        _shared = DatabasePool(host, port)
    return _shared


def close_shared() -> None:
    """Drop the session's databases; the next `shared` starts a new pool."""
    global _shared
    if _shared is not None:
        _shared.close()
        _shared = None
