"""The official working-day calendar: reviews' admin API (entered years, seeded from chinesecalendar, each
change announced by calendar.changed in the same transaction) and applications' copy fed by that event."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from chassis.db import make_sessionmaker
from chassis.tokens import Identity
from eventbus import envelope
from eventbus.consumer import apply
from eventbus.tables import outbox
from services.applications import calendar_copy
from services.applications.worker import handlers as applications_handlers
from services.reviews import calendar
from tests.support.service import ServiceUnderTest, start_service

ADMIN = [{"role": "admin", "school": None}]
OFFICER = [{"role": "icd_officer", "school": None}]
NATIONAL_DAY_2025 = [
    {"date": "2025-09-28", "workday": True, "name": "National Day"},
    *({"date": f"2025-10-0{d}", "workday": False, "name": "National Day"} for d in (1, 2, 3, 6, 7, 8)),
    {"date": "2025-10-11", "workday": True, "name": "National Day"},
]


class Reviews:
    def __init__(self, service: ServiceUnderTest) -> None:
        self.service, self.client = service, service.client
        self.sessions = make_sessionmaker(service.engine)

    def call(self, method: str, path: str, roles: list[dict[str, Any]] | None = None, **kw: Any) -> Any:
        who = Identity(username="admin" if roles == ADMIN else "officer", roles=roles or [], school=None)
        token = self.service.signer.sign(who, "reviews", 60)
        return self.client.open(path, method=method, headers={"Authorization": f"Bearer {token}"}, **kw)

    def bodies(self) -> list[str]:
        with self.service.engine.connect() as c:
            return list(c.execute(select(outbox.c.body).where(outbox.c.type == "calendar.changed")
                                  .order_by(outbox.c.id)).scalars())

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(body) for body in self.bodies()]


@pytest.fixture
def rv(tmp_path: Path, pg_urls: dict[str, str]):  # type: ignore[no-untyped-def]
    service = start_service("reviews", tmp_path, pg_urls["reviews"])
    yield Reviews(service)
    service.engine.dispose()


def test_a_year_is_read_from_the_package_until_an_admin_enters_it(rv: Reviews) -> None:
    shown = rv.call("GET", "/api/v1/calendar/2025", OFFICER).json
    assert (shown["source"], shown["demo"]) == ("official package", False)
    assert {"date": "2025-10-11", "workday": True, "name": "National Day"} in shown["days"]
    unknown = rv.call("GET", "/api/v1/calendar/2031", OFFICER).json
    assert (unknown["source"], unknown["days"]) == ("unknown", [])


def test_an_admin_enters_a_year_and_it_overrides_the_package_and_is_announced(rv: Reviews) -> None:
    days = [{"date": "2031-01-01", "workday": False, "name": "New Year's Day"},
            {"date": "2031-01-04", "workday": True, "name": "调休"},
            {"date": "2031-01-06", "workday": True}]  # a Monday worked anyway: not kept
    response = rv.call("PUT", "/api/v1/calendar/2031", ADMIN, json={"days": days, "demo": True})
    assert response.status_code == 200, response.json
    assert (response.json["source"], response.json["demo"]) == ("entered", True)
    assert [d["date"] for d in response.json["days"]] == ["2031-01-01", "2031-01-04"]
    with rv.sessions() as session:
        official = calendar.official(session)
    assert official.knows(2031) and official.add_working_days(date(2030, 12, 31), 0) == date(2030, 12, 31)
    assert official.add_working_days(date(2031, 1, 1), 3) == date(2031, 1, 4)  # Thu, Fri, Sat (worked)
    [event] = rv.events()
    assert (event["subject"], event["aggregateversion"], event["source"]) == ("2031", 1, "/services/reviews")
    assert event["data"] == {"year": 2031, "demo": True, "days": [
        {"date": "2031-01-01", "workday": False, "name": "New Year's Day"},
        {"date": "2031-01-04", "workday": True, "name": "调休"}]}

    again = rv.call("PUT", "/api/v1/calendar/2031", ADMIN, json={"days": []})
    assert (again.json["source"], again.json["days"], again.json["demo"]) == ("entered", [], False)
    assert [e["aggregateversion"] for e in rv.events()] == [1, 2]


def test_only_admins_change_the_calendar(rv: Reviews) -> None:
    for method, path, body in (("PUT", "/api/v1/calendar/2031", {"days": []}),
                               ("POST", "/api/v1/calendar/2025/seed", None)):
        response = rv.call(method, path, OFFICER, json=body)
        assert response.status_code == 403 and response.mimetype == "application/problem+json"
    assert rv.call("GET", "/api/v1/calendar/2031", OFFICER).json["source"] == "unknown"
    assert rv.events() == []
    assert rv.client.get("/api/v1/calendar/2025").status_code == 401


@pytest.mark.parametrize(("body", "field"), [
    ({"days": [{"date": "2030-12-31", "workday": False}]}, "days"),  # {"0": {"date": ["Not in 2031."]}}
    ({"days": [{"date": "2031-01-01", "workday": False}, {"date": "2031-01-01", "workday": True}]}, "days"),
    ({"days": [{"date": "2031-02-30", "workday": False}]}, "days"),
    ({"days": [{"date": "2031-01-01"}]}, "days"),
    ({"days": [], "owner": "me"}, "owner"),
])
def test_bad_days_are_a_422_and_change_nothing(rv: Reviews, body: dict[str, Any], field: str) -> None:
    assert rv.call("PUT", "/api/v1/calendar/2031", ADMIN, json={"days": NATIONAL_DAY_2025[:0]}).status_code == 200
    response = rv.call("PUT", "/api/v1/calendar/2031", ADMIN, json=body)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert field in response.json["errors"], response.json
    if body["days"] and "date" in body["days"][0] and body["days"][0]["date"][:4] != "2031":
        assert response.json["errors"]["days"] == {"0": {"date": ["Not in 2031."]}}  # nested like marshmallow's
    assert len(rv.events()) == 1
    assert rv.call("GET", "/api/v1/calendar/2031", OFFICER).json["days"] == []


def test_a_year_out_of_range_is_a_422(rv: Reviews) -> None:
    response = rv.call("PUT", "/api/v1/calendar/1999", ADMIN, json={"days": []})
    assert response.status_code == 422 and "year" in response.json["errors"]


def test_seeding_2025_copies_the_package_and_an_unknown_year_is_a_409(rv: Reviews) -> None:
    response = rv.call("POST", "/api/v1/calendar/2025/seed", ADMIN)
    assert response.status_code == 200, response.json
    assert (response.json["source"], response.json["demo"]) == ("entered", False)
    national_day = [(d["date"], d["workday"]) for d in response.json["days"]
                    if "2025-09-28" <= d["date"] <= "2025-10-11"]
    assert national_day == [(d["date"], d["workday"]) for d in NATIONAL_DAY_2025]
    with rv.sessions() as session:
        assert calendar.official(session).add_working_days(date(2025, 9, 26), 5) == date(2025, 10, 10)
    [event] = rv.events()
    assert event["data"]["year"] == 2025 and {"date": "2025-10-01", "workday": False,
                                              "name": "National Day"} in event["data"]["days"]

    refused = rv.call("POST", "/api/v1/calendar/2031/seed", ADMIN)
    assert refused.status_code == 409 and refused.mimetype == "application/problem+json"
    assert "No official calendar for 2031" in refused.json["detail"]
    assert len(rv.events()) == 1
    assert rv.call("GET", "/api/v1/calendar/2031", OFFICER).json["source"] == "unknown"


@pytest.fixture
def applications(tmp_path: Path, pg_urls: dict[str, str]):  # type: ignore[no-untyped-def]
    service = start_service("applications", tmp_path / "applications", pg_urls["applications"])
    yield make_sessionmaker(service.engine)
    service.engine.dispose()


def test_applications_keeps_its_copy_from_calendar_changed(rv: Reviews, applications: Any) -> None:
    assert "calendar.changed" in applications_handlers(rv.service.settings)  # the worker reads it
    with applications() as session:
        assert not calendar_copy.official(session).knows(2031)
    put = [{"date": "2031-01-01", "workday": False, "name": "New Year's Day"},
           {"date": "2031-01-04", "workday": True, "name": "调休"}]
    assert rv.call("PUT", "/api/v1/calendar/2031", ADMIN, json={"days": put, "demo": True}).status_code == 200
    assert rv.call("PUT", "/api/v1/calendar/2031", ADMIN, json={"days": put[:1]}).status_code == 200
    assert rv.call("POST", "/api/v1/calendar/2025/seed", ADMIN).status_code == 200
    first, second, seeded = (envelope.from_json(body) for body in rv.bodies())

    for event in (first, second, seeded):
        with applications() as session, session.begin():
            apply(calendar_copy.HANDLERS, session, event)
    with applications() as session:
        official = calendar_copy.official(session)
        year = session.get(calendar_copy.CalendarYear, 2031)
        assert year is not None and (year.demo, year.version) == (False, 2)
    assert official.knows(2031) and not official.is_workday(date(2031, 1, 1))
    assert not official.is_workday(date(2031, 1, 4))  # the second version took the make-up day away
    assert official.add_working_days(date(2025, 9, 26), 5) == date(2025, 10, 10)

    with applications() as session, session.begin():  # older news arriving late changes nothing
        apply(calendar_copy.HANDLERS, session, first)
    with applications() as session:
        assert not calendar_copy.official(session).is_workday(date(2031, 1, 4))
        assert session.get(calendar_copy.CalendarYear, 2031).demo is False  # type: ignore[union-attr]


def test_the_cli_seeds_and_shows_a_year(rv: Reviews, pg_urls: dict[str, str], tmp_path: Path) -> None:
    from click.testing import CliRunner

    from mobility.cli import main

    env = {"MOBILITY_VAR_DIR": str(tmp_path), "MOBILITY_REVIEWS_DATABASE_URL": pg_urls["reviews"]}
    runner = CliRunner()
    seeded = runner.invoke(main, ["calendar", "seed", "2025"], env=env)
    assert seeded.exit_code == 0, seeded.output
    shown = runner.invoke(main, ["calendar", "show", "2025"], env=env)
    assert shown.output.startswith("calendar 2025: entered\n")
    assert "2025-10-11 Sat working day National Day" in shown.output
    refused = runner.invoke(main, ["calendar", "seed", "2031"], env=env)
    assert refused.exit_code == 1 and "No official calendar for 2031" in refused.output
    assert [e["data"]["year"] for e in rv.events()] == [2025]
