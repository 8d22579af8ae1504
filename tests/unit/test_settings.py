"""Settings come from the environment once, with safe local defaults and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from chassis.settings import Settings


def test_defaults_are_the_embedded_topology() -> None:
    s = Settings.from_env({})
    assert s.broker_url == "memory://"
    assert s.database_url("reviews") == "sqlite:///var/reviews.db"
    assert s.service_urls["applications"] == "http://127.0.0.1:8001"
    assert s.jwt_private_key_file == Path("var/jwt-ed25519.pem")


def test_environment_overrides() -> None:
    s = Settings.from_env({
        "MOBILITY_BROKER_URL": "amqp://guest:guest@rabbit:5672/",
        "MOBILITY_REVIEWS_DATABASE_URL": "postgresql+psycopg://reviews@db/reviews",
        "MOBILITY_MAX_ATTEMPTS": "7",
        "MOBILITY_PUBLIC_BASE_URL": "https://mobility.example.edu/",
    })
    assert s.broker_url.startswith("amqp://")
    assert s.database_url("reviews") == "postgresql+psycopg://reviews@db/reviews"
    assert s.max_attempts == 7
    assert s.public_base_url == "https://mobility.example.edu"


@pytest.mark.parametrize("name", ["MOBILITY_MAX_ATTEMPTS", "MOBILITY_RELAY_SWEEP_SECONDS"])
def test_a_bad_number_names_the_variable(name: str) -> None:
    with pytest.raises(ValueError, match=name):
        Settings.from_env({name: "lots"})


def test_the_time_zone_is_the_offices_and_must_exist() -> None:
    assert Settings.from_env({}).timezone == "Asia/Shanghai"
    assert Settings.from_env({"MOBILITY_TIMEZONE": "Europe/Berlin"}).timezone == "Europe/Berlin"
    for wrong in ("Mars/Olympus_Mons", "../etc/passwd"):
        with pytest.raises(ValueError, match="MOBILITY_TIMEZONE"):
            Settings.from_env({"MOBILITY_TIMEZONE": wrong})
