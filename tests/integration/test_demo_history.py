"""The lived-in demo: `mobility seed-demo` plays last academic year's applications through the running system
(filed, returned and resubmitted, approved, rejected), once; `--empty` leaves it out. The statistics and the
office's list then show that year."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from chassis.settings import DATABASE_OWNERS, Settings
from mobility import demo_history
from mobility.cli import main
from mobility.embedded import Embedded

TODAY = date(2026, 12, 6)  # whatever the machine's date: the year before the current academic year


def _cli(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_seed_demo_records_last_year_once_and_the_office_sees_it(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    var = tmp_path / "var"
    monkeypatch.setenv("MOBILITY_VAR_DIR", str(var))
    monkeypatch.setenv("MOBILITY_SMTP_HOST", "catch")
    _cli("migrate")
    first = _cli("seed-demo")
    stories = demo_history.stories(demo_history.past_year(date.today()))
    assert f"last academic year's applications filed: {len(stories)}" in first
    assert "last academic year's applications filed: 0" in _cli("seed-demo")  # idempotent

    system = Embedded(Settings.from_env({"MOBILITY_VAR_DIR": str(var), "MOBILITY_SMTP_HOST": "catch"})).start()
    try:
        client = system.gateway.test_client()
        token = client.post("/api/v1/auth/token", json={"username": "icd.officer", "password": "demo"}).get_json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        year = demo_history.past_year(date.today())
        summary = client.get(f"/api/v1/stats/summary?academic_year={year}", headers=headers).get_json()
        indicators = summary["indicators"]
        rejected = sum(1 for s in stories if s.decisions[-1][0] == "reject")
        assert indicators["submitted"] == len(stories)
        assert indicators["rejected"] == rejected
        assert indicators["outbound_students"] >= 2 and indicators["hosted_events"] == 2
        assert indicators["return_rate"] > 0
        assert year in summary["academic_years"]
        office = client.get(f"/api/v1/applications?view=review&academic_year={year}&limit=100", headers=headers)
        decided = [a["status"] for a in office.get_json()["items"]]
        assert decided.count("approved") == len(stories) - rejected and decided.count("rejected") == rejected
        # The year happened then: its timeline carries January's dates, not today's.
        some = office.get_json()["items"][0]
        assert some["submitted_at"].startswith(f"{year + 1}-01")
        # Last year's staff trip is a group with its numbered 任务批件; the office is ready for this year's trips:
        trip = next(a for a in office.get_json()["items"] if a["kind"] == "faculty_exchange")
        assert len(trip["form"]["members"]) == 3
        approval = client.get(f"/api/v1/applications/{trip['id']}/approval", headers=headers).get_json()
        assert approval["number"].endswith(f"〔{year + 1}〕1号") and approval["status"] == "valid"
        admin = client.post("/api/v1/auth/token", json={"username": "admin", "password": "demo"}).get_json()
        as_admin = {"Authorization": f"Bearer {admin['access_token']}"}
        calendar = client.get("/api/v1/calendar/2027", headers=as_admin).get_json()
        assert calendar["source"] == "entered" and calendar["demo"] is True  # demo data, marked as such
        # What followed each approval: the group's three members came back and their reports were accepted and
        # published; the statistics count the returns.
        records = client.get(f"/api/v1/mobilities?application_id={trip['id']}", headers=headers).get_json()["items"]
        assert [r["status"] for r in records] == ["reported"] * 3
        published = client.get("/api/v1/mobilities/published", headers=headers).get_json()["items"]
        assert {p["mobility_id"] for p in published} >= {r["id"] for r in records}
        assert indicators["people_returned"] >= 3
        chain = client.get("/api/v1/review-chains/faculty_exchange", headers=as_admin).get_json()
        assert [level.get("type", "decision") for level in chain["levels"]][:4] == [
            "decision", "decision", "publicity", "decision"]
    finally:
        system.stop()


def test_past_year_is_the_one_before_the_current_academic_year() -> None:
    assert demo_history.past_year(TODAY) == 2025
    assert demo_history.past_year(date(2026, 8, 31)) == 2024
    assert demo_history.program_code(2025) == "spring-exchange-2026"


def test_embedded_starts_without_history_unless_asked(tmp_path: Path) -> None:
    system = Embedded(Settings.from_env({"MOBILITY_VAR_DIR": str(tmp_path / "var")})).start()
    try:
        assert not demo_history.already_recorded(system.gateway, date.today())
    finally:
        system.stop()


def test_seed_demo_plays_the_year_only_where_it_reaches_every_database(monkeypatch: pytest.MonkeyPatch) -> None:
    from mobility import cli, registry

    amqp = Settings.from_env({"MOBILITY_BROKER_URL": "amqp://localhost//"})
    assert cli._reaches_every_database(Settings.from_env({}))  # the embedded files under MOBILITY_VAR_DIR
    monkeypatch.setenv("MOBILITY_GATEWAY_DATABASE_URL", "postgresql+psycopg://db/gateway")
    assert not cli._reaches_every_database(amqp)  # a job given some of the URLs, like docker-compose's
    for owner in registry.OWNERS:
        monkeypatch.setenv(f"MOBILITY_{owner.upper()}_DATABASE_URL", f"postgresql+psycopg://db/{owner}")
    assert cli._reaches_every_database(amqp)


def test_seed_demo_on_a_real_broker_leaves_the_past_out_unless_told_nothing_else_runs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The past year is played with this process's clock set back: a running system's workers on the same broker
    would take real events in that past, so only `--alone` (what `mobility up` passes) allows it there."""
    monkeypatch.setenv("MOBILITY_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("MOBILITY_BROKER_URL", "amqp://guest:guest@127.0.0.1:1/none")  # never reached
    for owner in DATABASE_OWNERS:
        monkeypatch.setenv(f"MOBILITY_{owner.upper()}_DATABASE_URL", f"sqlite:///{tmp_path}/{owner}.db")
    _cli("migrate")
    said = _cli("seed-demo")
    assert "demo accounts created" in said and "a running system would share the broker" in said
