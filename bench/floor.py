"""The submission floor: a bare Flask endpoint doing the submission's two inserts (the application row and
its outbox row) in one transaction, served by gunicorn with the same settings as the services
(deploy/gunicorn.conf.py). No gateway, no token, no validation: what the stack itself costs.
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime

from flask import Flask
from sqlalchemy import JSON, Column, DateTime, MetaData, String, Table

from chassis.db import make_engine
from eventbus.tables import outbox

metadata = MetaData()
applications = Table(
    "applications", metadata,
    Column("id", String(36), primary_key=True),
    Column("status", String(30)),
    Column("form", JSON),
    Column("submitted_at", DateTime(timezone=True)),
)


def create_tables(database_url: str) -> None:
    engine = make_engine(database_url)
    metadata.create_all(engine)
    outbox.metadata.create_all(engine, tables=[outbox])
    engine.dispose()


def create_app() -> Flask:
    app = Flask(__name__)
    engine = make_engine(os.environ["BENCH_FLOOR_DATABASE_URL"])

    @app.post("/api/v1/applications/<application_id>/submit")
    def submit(application_id: str):  # type: ignore[no-untyped-def]
        now = datetime.now(UTC)
        row_id = str(uuid.uuid4())  # the same path is submitted many times by the load generator
        event = {"specversion": "1.0", "id": str(uuid.uuid4()), "type": "application.submitted",
                 "source": "/services/applications", "subject": application_id, "time": now.isoformat(),
                 "data": {"application_id": application_id, "submitted_at": now.isoformat()}}
        with engine.begin() as connection:
            connection.execute(applications.insert().values(id=row_id, status="submitted", form={},
                                                            submitted_at=now))
            connection.execute(outbox.insert().values(event_id=event["id"], type=event["type"],
                                                      subject=application_id, body=json.dumps(event),
                                                      created_at=now))
        return {"id": application_id, "status": "submitted"}

    return app
