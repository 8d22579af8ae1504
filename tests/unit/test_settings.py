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


WECOM = {"MOBILITY_WECOM_CORP_ID": "ww0123", "MOBILITY_WECOM_SECRET": "s3cret-value",
         "MOBILITY_WECOM_AGENT_ID": "1000002"}


def test_wecom_is_off_without_a_corp_id_and_on_with_its_three_settings() -> None:
    assert Settings.from_env({"MOBILITY_WECOM_SECRET": "", "MOBILITY_WECOM_API_URL": "http://x"}).wecom_corp_id == ""
    s = Settings.from_env(WECOM)
    assert (s.wecom_corp_id, s.wecom_agent_id, s.wecom_api_url) == ("ww0123", 1000002, "https://qyapi.weixin.qq.com")


@pytest.mark.parametrize(("name", "value"), [
    ("MOBILITY_WECOM_SECRET", ""), ("MOBILITY_WECOM_AGENT_ID", ""), ("MOBILITY_WECOM_AGENT_ID", "0"),
    ("MOBILITY_WECOM_AGENT_ID", "-3"),
])
def test_a_corp_id_without_its_secret_or_agent_id_is_an_error_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=name):
        Settings.from_env({**WECOM, name: value})


@pytest.mark.parametrize("url", ["http://qyapi.weixin.qq.com", "http://10.0.0.5:8080", "ftp://127.0.0.1",
                                 "qyapi.weixin.qq.com", "http://127.0.0.1.evil.example"])
def test_the_wecom_api_url_must_be_https_unless_on_this_machine(url: str) -> None:
    with pytest.raises(ValueError, match="MOBILITY_WECOM_API_URL"):
        Settings.from_env({**WECOM, "MOBILITY_WECOM_API_URL": url})


@pytest.mark.parametrize("url", ["https://wecom-proxy.example.edu/", "http://127.0.0.1:8080", "http://[::1]:9000",
                                 "http://localhost:8080"])
def test_https_or_a_loopback_api_url_is_accepted(url: str) -> None:
    assert Settings.from_env({**WECOM, "MOBILITY_WECOM_API_URL": url}).wecom_api_url == url.rstrip("/")


def test_secrets_stay_out_of_the_repr() -> None:
    s = Settings.from_env({**WECOM, "MOBILITY_SMTP_PASSWORD": "smtp-pass-word",
                           "MOBILITY_OIDC_CLIENT_SECRET": "oidc-s3",
                           "MOBILITY_BROKER_URL": "amqp://u:broker-pw@rabbit/",
                           "MOBILITY_REVIEWS_DATABASE_URL": "postgresql+psycopg://r:db-pw@db/reviews",
                           "MOBILITY_RATE_LIMIT_STORAGE": "redis://:redis-pw@cache:6379/0"})
    shown = repr(s)
    assert "ww0123" in shown  # the rest is still shown
    for secret in ("s3cret-value", "smtp-pass-word", "oidc-s3", "broker-pw", "db-pw", "redis-pw"):
        assert secret not in shown


def test_the_placements_settings_default_and_override() -> None:
    s = Settings.from_env({})
    assert (s.partner_link_keys_file, s.partner_link_days, s.agreement_reminder_days, s.ewp_hei_id) == (
        Path("var/partner-link-keys"), 30, 90, "university.example.edu.cn")
    s = Settings.from_env({"MOBILITY_VAR_DIR": "/srv/m", "MOBILITY_PARTNER_LINK_DAYS": "14",
                           "MOBILITY_AGREEMENT_REMINDER_DAYS": "120", "MOBILITY_EWP_HEI_ID": "bisu.edu.cn"})
    assert (s.partner_link_keys_file, s.partner_link_days, s.agreement_reminder_days, s.ewp_hei_id) == (
        Path("/srv/m/partner-link-keys"), 14, 120, "bisu.edu.cn")
    assert Settings.from_env({"MOBILITY_PARTNER_LINK_KEYS_FILE": "/run/secrets/k"}).partner_link_keys_file == Path(
        "/run/secrets/k")


@pytest.mark.parametrize("name", ["MOBILITY_PARTNER_LINK_DAYS", "MOBILITY_AGREEMENT_REMINDER_DAYS"])
@pytest.mark.parametrize("value", ["0", "-3", "soon"])
def test_a_placements_day_count_must_be_a_positive_number(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=name):
        Settings.from_env({name: value})
