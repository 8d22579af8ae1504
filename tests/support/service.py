"""One service started for a test as the gateway would see it: migrated database, app, and a token signer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import Engine

from chassis import migrate
from chassis.db import make_engine
from chassis.settings import Settings
from chassis.tokens import Signer, ensure_keypair
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
