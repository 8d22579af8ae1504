"""A private PostgreSQL server for one test, so that the test may stop and restart it under load without
touching the machine's cluster on 5432 (which other tests share).

    with PgServer() as server:
        urls = server.create_databases(["gateway", "applications"])
        server.restart("immediate", down_seconds=8)

Built with the machine's PostgreSQL 15 binaries, run as the `postgres` user (the server refuses root), in a
directory of its own under /tmp (a test's tmp_path is not readable by that user); trust authentication on
127.0.0.1 and a free port below the ephemeral range: during a restart the port sits unbound for seconds while
the stack's pools reconnect, and one of their outgoing connections could take an ephemeral port (the start
would then fail with EADDRINUSE). Removed when the block ends, also on a failure.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import psycopg

from tests.support import wait
from tests.support.ports import free_run

BIN = Path("/usr/lib/postgresql/15/bin")
USER = "postgres"
# For a test that crashes the server's processes, not the machine. fsync=off only risks what the OS had not yet
# written to disk, which a process crash keeps: every commit's WAL is in the OS's hands before the client hears of
# it, and an immediate stop is recovered from it as in production. synchronous_commit stays on: off, a commit's
# WAL waits in the server's own memory for a moment, and a killed server loses it (an acknowledged write gone).
# Rare checkpoints keep a fast stop quick; the connections are a whole stack's pools.
SETTINGS = {
    "listen_addresses": "'127.0.0.1'", "fsync": "off",
    "max_connections": "300", "shared_buffers": "64MB", "checkpoint_timeout": "30min", "max_wal_size": "1GB",
    "log_min_messages": "warning", "log_connections": "off",
}


class PgServer:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="mobility-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = free_run(1)
        self.host = "127.0.0.1"
        self.restarts: list[tuple[str, float, float]] = []  # (mode, stop begun, ready again) in time.monotonic()

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(["runuser", "-u", USER, "--", *args], capture_output=True, text=True,
                                timeout=timeout, check=False, cwd=self.root)
        assert result.returncode == 0, f"{args[0]} failed: {result.stderr}{result.stdout}"
        return result

    def _pg_ctl(self, *args: str) -> None:
        self._run(str(BIN / "pg_ctl"), "-D", str(self.data), *args)

    def start(self) -> PgServer:
        who = pwd.getpwnam(USER)
        os.chown(self.root, who.pw_uid, who.pw_gid)
        self._run(str(BIN / "initdb"), "-D", str(self.data), "-U", USER, "--auth=trust", "--encoding=UTF8",
                  "--locale=C.UTF-8", "--no-sync")
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write("".join(f"{k} = {v}\n" for k, v in {**SETTINGS, "port": str(self.port),
                                                            "unix_socket_directories": f"'{self.root}'"}.items()))
        self.up()
        return self

    def up(self) -> None:
        """Started, and answering queries."""
        self._pg_ctl("-l", str(self.log), "-w", "-t", "60", "start")
        wait.until(self.ready, timeout=60, what=f"the private PostgreSQL on port {self.port} ready")

    def ready(self) -> bool:
        try:
            with psycopg.connect(self.url("postgres", driver=False), connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            return True
        except psycopg.OperationalError:
            return False

    def url(self, database: str, driver: bool = True) -> str:
        scheme = "postgresql+psycopg" if driver else "postgresql"
        return f"{scheme}://{USER}@{self.host}:{self.port}/{database}"

    def create_databases(self, names: list[str]) -> dict[str, str]:
        """One empty database per name → its SQLAlchemy URL."""
        with psycopg.connect(self.url("postgres", driver=False), autocommit=True) as conn:
            for name in names:
                conn.execute(f'CREATE DATABASE "{name}"')
        return {name: self.url(name) for name in names}

    def down(self, mode: str) -> None:
        """Stopped: `fast` disconnects the clients and checkpoints; `immediate` kills every process, so the next
        start recovers from the WAL, as after a crash."""
        assert mode in ("fast", "immediate"), mode
        self._pg_ctl("-m", mode, "-w", "-t", "60", "stop")

    def restart(self, mode: str, down_seconds: float, while_down: Callable[[], None] = lambda: None) -> None:
        """Down (see `down`) for `down_seconds`, then started again and answering. `while_down` is called once the
        server is down, before the wait: a test starts there what must meet the outage, not the server's last
        moments."""
        begun = time.monotonic()  # clients are refused from the moment the stop begins
        self.down(mode)
        while_down()
        time.sleep(down_seconds)
        self.up()
        self.restarts.append((mode, begun, time.monotonic()))

    def stop(self) -> None:
        """Stopped (immediately: nothing in it is kept) and removed."""
        if (self.data / "postmaster.pid").exists():
            subprocess.run(["runuser", "-u", USER, "--", str(BIN / "pg_ctl"), "-D", str(self.data), "-m",
                            "immediate", "-w", "stop"], capture_output=True, timeout=60, check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PgServer:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()
