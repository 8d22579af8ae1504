"""One service started for a test as the gateway would see it: migrated database, app, and a token signer; and
ServiceCaller, the calls and reads every service's test helper makes of it (tests/support/placements.py,
passports.py): an API call with a demo account's token, its outbox's events, a row or a value by SQL."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import Engine, text

from chassis import migrate
from chassis.db import make_engine, make_sessionmaker
from chassis.settings import Settings
from chassis.tokens import Identity, Signer, ensure_keypair
from gateway.demo import ACCOUNTS
from mobility import registry


@dataclass
class ServiceUnderTest:
    app: Flask
    signer: Signer
    engine: Engine
    settings: Settings

    @property
    def client(self) -> Any:
        return self.app.test_client()


def start_service(owner: str, tmp_path: Path, database_url: str, **env: str) -> ServiceUnderTest:
    settings = Settings.from_env({
        "MOBILITY_VAR_DIR": str(tmp_path), f"MOBILITY_{owner.upper()}_DATABASE_URL": database_url, **env,
    })
    assert settings.jwt_private_key_file and settings.jwt_public_key_file
    ensure_keypair(settings.jwt_private_key_file, settings.jwt_public_key_file)
    migrate.upgrade(owner, database_url)
    return ServiceUnderTest(registry.create_app(owner, settings),
                            Signer(settings.jwt_private_key_file, settings.jwt_issuer),
                            make_engine(database_url), settings)


class ServiceCaller:
    """A started service as its tests use it; a subclass names the token's audience (its owner) and may add
    people the demo does not have (name, school, locale, roles, as gateway.demo.ACCOUNTS)."""

    audience: str
    people: dict[str, tuple[str, str | None, str, list[dict[str, Any]]]] = ACCOUNTS

    def __init__(self, service: ServiceUnderTest) -> None:
        self.client, self.signer, self.engine = service.client, service.signer, service.engine
        self.settings, self.app = service.settings, service.app
        self.sessions = make_sessionmaker(service.engine)

    def call(self, user: str, method: str, path: str, roles: list[dict[str, Any]] | None = None, **kw: Any) -> Any:
        """`path` after /api/v1; `user` one of `people` (or any name with `roles`)."""
        full, school, _, known_roles = self.people.get(user, (user, "cs", "zh", []))
        who = Identity(username=user, roles=roles if roles is not None else known_roles, school=school, name=full)
        token = self.signer.sign(who, self.audience, 60)
        return self.client.open(f"/api/v1{path}", method=method, headers={
            "Authorization": f"Bearer {token}", **kw.pop("headers", {})}, **kw)

    def events(self, event_type: str) -> list[dict[str, Any]]:
        """The data of each event of that type in the outbox, oldest first."""
        with self.engine.connect() as c:
            rows = c.execute(text("SELECT body FROM outbox WHERE type = :t ORDER BY id"), {"t": event_type})
            return [json.loads(body)["data"] for (body,) in rows]

    def rows(self, sql: str, **params: Any) -> list[Any]:
        with self.engine.connect() as c:
            return list(c.execute(text(sql), params))

    def scalar(self, sql: str, **params: Any) -> Any:
        with self.engine.connect() as c:
            return c.scalar(text(sql), params)
