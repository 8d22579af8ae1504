"""chassis.worker.Sweep: a service's deadline sweep runs its check in a transaction, again after a failure."""

from __future__ import annotations

import threading
from datetime import datetime

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from chassis.worker import Sweep


def test_a_sweep_commits_each_check_and_survives_one_that_fails() -> None:
    engine = create_engine("sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool)
    with engine.begin() as c:
        c.execute(text("CREATE TABLE runs (at TEXT)"))
    stop, calls = threading.Event(), []

    def check(session: Session, now: datetime) -> dict[str, int]:
        calls.append(now)
        if len(calls) == 1:
            raise RuntimeError("the database went away")  # the next sweep tries again
        session.execute(text("INSERT INTO runs VALUES (:at)"), {"at": now.isoformat()})
        if len(calls) == 3:
            stop.set()
        return {"done": 1}

    Sweep("test", engine, 0.0, check).run(stop)
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM runs")).scalar() == 2  # the failed one wrote nothing
    assert all(now.tzinfo is not None for now in calls)
