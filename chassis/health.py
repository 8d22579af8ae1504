"""/healthz (the process is alive) and /readyz (its database answers; the broker is reported).

The broker does not gate readiness: while RabbitMQ is down the APIs keep accepting writes into their
outboxes, so taking them out of rotation would turn a broker outage into a full outage.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Flask, jsonify
from sqlalchemy import Engine, text

from eventbus.broker import open_connection


def database_check(engine: Engine) -> Callable[[], None]:
    def check() -> None:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    return check


def broker_check(broker_url: str) -> Callable[[], None]:
    def check() -> None:
        if broker_url.startswith("memory://"):
            return
        with open_connection(broker_url, timeout=2):
            pass

    return check


def install(
    app: Flask, required: dict[str, Callable[[], None]], reported: dict[str, Callable[[], None]] | None = None
) -> None:
    checks = {**required, **(reported or {})}
    bp = Blueprint("health", __name__)

    @bp.get("/healthz")
    def healthz():  # type: ignore[no-untyped-def]
        return jsonify(status="ok")

    @bp.get("/readyz")
    def readyz():  # type: ignore[no-untyped-def]
        results = {}
        for name, check in checks.items():
            try:
                check()
                results[name] = "ok"
            except Exception as exc:
                results[name] = f"unavailable: {type(exc).__name__}"
        ready = all(results[name] == "ok" for name in required)
        return jsonify(status="ok" if ready else "unavailable", checks=results), 200 if ready else 503

    app.register_blueprint(bp)
