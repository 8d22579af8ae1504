"""The embedded topology (`mobility run`): every service in one process on SQLite and the in-memory bus.

Services are called in-process by the gateway (WSGI), workers run as threads. Same code as distributed;
only the wiring differs. One embedded system per process: the in-memory broker is process-global.
"""

from __future__ import annotations

import signal
import threading

import structlog
from flask import Flask
from kombu.transport import memory
from sqlalchemy import Engine

from chassis import tokens, worker
from chassis.db import make_engine, make_sessionmaker
from chassis.settings import SERVICES, Settings
from eventbus.broker import connect
from gateway import demo
from gateway.upstreams import WsgiUpstream
from mobility import migrations, registry
from services.applications import demo as programs_demo

log = structlog.get_logger(__name__)


class Embedded:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engines: dict[str, Engine] = {}
        self.apps: dict[str, Flask] = {}
        self.stop_event = threading.Event()
        self.threads: list[threading.Thread] = []

    @property
    def gateway(self) -> Flask:
        return self.apps["gateway"]

    def start(self, seed_demo: bool = True, history: bool = False) -> Embedded:
        """`history`: also last academic year's applications, played through the running system
        (mobility/demo_history.py); off by default, so tests count only what they make."""
        s = self.settings
        if s.broker_url.startswith("memory://"):
            memory.Channel.queues.clear()
            memory.Transport.global_state.clear()
        assert s.jwt_private_key_file and s.jwt_public_key_file
        tokens.ensure_keypair(s.jwt_private_key_file, s.jwt_public_key_file)
        migrations.upgrade(s)
        for owner in registry.OWNERS:
            self.engines[owner] = make_engine(s.database_url(owner))
        components = {o: registry.worker_components(o, s, self.engines[o]) for o in registry.OWNERS}
        # Queues first, so the first events published find them bound.
        with connect(s.broker_url) as connection:
            registry.declare_topology(connection, s)
        if seed_demo:
            with make_sessionmaker(self.engines["gateway"])() as session, session.begin():
                demo.seed(session)
            with make_sessionmaker(self.engines["applications"])() as session, session.begin():
                programs_demo.seed(session)
        for name in SERVICES:
            self.apps[name] = registry.create_app(name, s, engine=self.engines[name])
        upstreams = {name: WsgiUpstream(self.apps[name]) for name in SERVICES}
        self.apps["gateway"] = registry.create_app("gateway", s, upstreams=upstreams, engine=self.engines["gateway"])
        for owner, parts in components.items():
            self.threads += worker.start(parts, self.stop_event, owner)
        log.info("embedded.started", var_dir=str(s.var_dir))
        if history:
            from mobility import demo_history

            demo_history.record(self.gateway, s.timezone)
        return self

    def stop(self) -> None:
        self.stop_event.set()
        for thread in self.threads:
            thread.join(timeout=10)
        for engine in self.engines.values():
            engine.dispose()

    def serve(self, host: str, port: int) -> None:
        from werkzeug.serving import make_server

        server = make_server(host, port, self.gateway, threaded=True)
        # SIGTERM (a service manager, `kill`) stops as cleanly as Ctrl-C does.
        signal.signal(signal.SIGTERM, _interrupt)
        log.info("embedded.listening", url=f"http://{host}:{port}")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
            self.stop()
            log.info("embedded.stopped")


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt
