"""Staff trips abroad judged at filing against the office's rules (trip_rules.py), on PostgreSQL: each limit at its
boundary, teaching-and-research exempt, a school's own lead time, a budget line over the allowance, an exception
letting a breach through into the chain's assessment, the school's plan, and the single-destination shorthand."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from eventbus import envelope
from services.applications import calendar_copy
from services.applications.models import CalendarDay, CalendarYear
from services.reviews import conditions
from tests.support import group_trip
from tests.support.service_api import Api

GROUP = group_trip.body()
MEMBER = GROUP["form"]["members"][1]
START = date(group_trip.YEAR, 5, 10)


def trip(days: int, countries: int = 1, members: int = 3, start: date = START, **changes: Any) -> dict[str, Any]:
    """The example group on `days` days from leaving to re-entering China, over `countries` countries in turn."""
    form = copy.deepcopy(GROUP["form"])
    end = start + timedelta(days=days - 1)
    turns = [start + timedelta(days=(days - 1) * k // countries) for k in range(countries + 1)]
    form["itinerary"] = [{"country": c, "city": f"City {i}", "institution": f"Host {i}", "arrival": str(turns[i]),
                          "departure": str(turns[i + 1])} for i, c in enumerate(["DE", "FR", "IT", "ES"][:countries])]
    form["members"] = (form["members"] + [dict(MEMBER, name=f"成员{i}") for i in range(members)])[:members]
    form.update(start_date=str(start), end_date=str(end), **changes)
    form["budget_lines"] = dict(form["budget_lines"], lodging="0.00", meals_incidentals="0.00")
    return form


def submitted(api: Api) -> dict[str, Any]:
    """The data of the one application.submitted event in the outbox."""
    with api.engine.connect() as c:
        body = c.scalar(text("SELECT body FROM outbox WHERE type = 'application.submitted'"))
    return envelope.from_json(body).get_data()  # type: ignore[no-any-return]


def draft(api: Api, form: dict[str, Any], user: str = "prof.li") -> Any:
    return api.call(user, "POST", "/api/v1/applications", json={"kind": "faculty_exchange", "program_id": None,
                                                               "form": form})


def file(api: Api, form: dict[str, Any], user: str = "prof.li") -> Any:
    """Save the trip as a draft (the whole trip's rules wait for submission), then submit it."""
    r = draft(api, form, user)
    assert r.status_code == 201, r.json
    assert api.upload(user, r.json["id"], "invitation_letter").status_code == 201
    return api.submit(user, r.json)


def errors(api: Api, form: dict[str, Any]) -> dict[str, Any]:
    before = api.count("SELECT count(*) FROM outbox")
    r = file(api, form)
    assert r.status_code == 422, r.json
    assert r.headers["Content-Type"] == "application/problem+json"
    assert api.count("SELECT count(*) FROM outbox") == before  # refused: nothing announced
    return r.json["errors"]  # type: ignore[no-any-return]


def test_the_example_group_files_and_submits_with_its_notice_and_people(api: Api) -> None:
    r = draft(api, GROUP["form"])
    assert r.status_code == 201, r.json
    assert r.json["form"]["budget"] == "51000.00"  # (9000 + 5000 + 2500 + 500) x 3 members, worked out
    assert r.json["title"] == "Conference at Technical University of Munich and 1 more"
    assert api.upload("prof.li", r.json["id"], "invitation_letter").status_code == 201
    assert api.submit("prof.li", r.json).status_code == 200
    data = submitted(api)
    assert data["mobility"]["people"] == 3 and data["mobility"]["country"] == "DE"
    assert data["notice"]["members"][0] == {"name": "李伟", "school": "School of Computer Science",
                                            "post": "Deputy dean"}
    assert data["notice"]["countries"] == ["DE", "FR"] and data["notice"]["budget"] == "51000.00"
    assert "staff_number" not in json.dumps(data["notice"])  # the notice carries only what the rule lists
    assert data["assessment"] == {"rule_exceptions": [], "outside_plan": None}


def test_general_trip_days_by_countries_at_each_boundary(api: Api) -> None:
    assert file(api, trip(5, countries=1)).status_code == 200
    assert errors(api, trip(6, countries=1))["end_date"] == [
        "At most 5 days on a general trip to 1 country, from leaving to re-entering China (rule: days abroad); "
        "this trip has 6."]
    assert file(api, trip(8, countries=2)).status_code == 200
    assert "At most 8 days" in errors(api, trip(9, countries=2))["end_date"][0]
    assert file(api, trip(10, countries=3)).status_code == 200


def test_four_countries_and_seven_members_are_each_a_field_error(api: Api) -> None:
    assert errors(api, trip(5, countries=4))["itinerary"] == [
        "At most 3 countries or regions on a general trip (rule: countries per trip); this itinerary has 4."]
    assert file(api, trip(5, members=6)).status_code == 200
    assert errors(api, trip(5, members=7))["members"] == [
        "At most 6 members on a general trip (rule: members per group); this group has 7."]


def test_teaching_and_research_trips_are_exempt_from_days_countries_and_members(api: Api) -> None:
    assert file(api, trip(30, countries=4, members=7, category="teaching_research")).status_code == 200


def test_lead_time_is_the_category_s_unless_the_school_has_its_own(api: Api) -> None:
    today = datetime.now(UTC).date()  # the service's today (UTC), not the machine's local date
    message = errors(api, trip(5, start=today + timedelta(days=20)))["start_date"][0]
    assert message.startswith("File a general trip at least 30 days before leaving (rule: lead time)")
    assert str(today + timedelta(days=30)) in message
    later = trip(5)  # next May: months ahead
    with api.engine.begin() as c:  # another school sets its own lead time: a year ahead
        c.execute(text("INSERT INTO trip_school_lead_times VALUES ('me', 'general', 1000, 'days')"))
    assert file(api, later).status_code == 200  # prof.li's school keeps the category's
    with api.engine.begin() as c:
        c.execute(text("INSERT INTO trip_school_lead_times VALUES ('cs', 'general', 1000, 'days')"))
    assert "at least 1000 days" in errors(api, later)["start_date"][0]


def test_a_taiwan_trip_counts_working_days_and_refuses_a_year_no_calendar_knows(api: Api) -> None:
    form = trip(5, category="taiwan")
    with Session(api.engine) as session:
        unknown = [y for y in range(date.today().year, START.year + 1) if not calendar_copy.official(session).knows(y)]
    assert unknown, "the pinned chinesecalendar knows next year: choose a later START"
    message = errors(api, form)["start_date"][0]
    assert f"No official calendar for {unknown[0]}" in message  # never counted as weekends only
    with api.engine.begin() as c:  # reviews announced the years (calendar.changed): applications' copy has them
        for year in unknown:
            c.execute(CalendarYear.__table__.insert().values(year=year, demo=True, version=1,
                                                             updated_at=datetime.now(UTC)))
            c.execute(CalendarDay.__table__.insert().values(date=date(year, 1, 1), workday=False, name="元旦"))
    assert file(api, form).status_code == 200  # next May is more than 45 working days ahead


def test_a_budget_line_over_the_allowance_names_the_allowance(api: Api) -> None:
    form = trip(5, countries=1)  # Germany, 4 nights: 150 EUR x 7.70 = 1,155.00 a night
    form["budget_lines"]["lodging"] = "4620.01"
    assert errors(api, form)["budget_lines"] == {"lodging": [
        "Lodging is over the allowance: at most 4,620.00 yuan per person for this itinerary (rule: allowances: "
        "DE 150 EUR a night); asked 4,620.01."]}
    form["budget_lines"]["lodging"] = "4620.00"
    assert file(api, form).status_code == 200


def test_an_exception_lets_a_breach_through_and_the_chain_condition_reads_it(api: Api) -> None:
    form = trip(9, countries=1, exception_reason="The conference lasts a week and the lab visit follows it.")
    assert file(api, form).status_code == 200
    data = submitted(api)
    assert data["assessment"]["rule_exceptions"] == ["days"]
    level = {"any": [{"rule_exception": True}]}
    conditions.validate(level)
    assert conditions.holds(level, data)  # the exception's level applies to this trip
    assert not conditions.holds(level, {"assessment": {"rule_exceptions": []}})


def test_a_trip_beyond_the_school_s_plan_is_outside_it(api: Api) -> None:
    with api.engine.begin() as c:
        # 2 people planned for that year
        c.execute(text("INSERT INTO trip_plans VALUES ('cs', :year, 4, 2)"), {"year": START.year})
    assert file(api, GROUP["form"]).status_code == 200  # 3 members
    data = submitted(api)
    assert data["assessment"]["outside_plan"] is True
    assert conditions.holds({"any": [{"outside_plan": True}]}, data)


def test_a_group_needs_one_leader_and_stops_inside_the_trip(api: Api) -> None:
    form = trip(5, members=2)
    form["members"][1]["leader"] = "yes"
    form["itinerary"][0]["arrival"] = str(START - timedelta(days=1))  # before leaving China
    found = errors(api, form)
    assert found["members"] == ["Exactly one member leads the group; 2 are marked as leader."]
    assert found["itinerary"] == {"0": {"arrival": ["Must not be before leaving China."]}}
    assert api.count("SELECT count(*) FROM applications WHERE status = 'draft'") == 1  # saved, not submitted


def test_a_draft_on_its_way_saves_while_the_whole_trip_would_break_the_rules(api: Api) -> None:
    half = trip(9, countries=1, members=2)  # the second stop not entered yet: 9 days in one country
    half["members"][1]["leader"] = "yes"
    assert draft(api, half).status_code == 201  # the pages save every step; submission judges the whole trip


def test_a_member_must_confirm_the_declaration(api: Api) -> None:
    form = trip(5, members=1)
    form["members"][0]["declared"] = False
    r = draft(api, form)
    assert r.status_code == 422
    assert r.json["errors"]["members"] == {"0": {"declared": ["Each member confirms the declaration."]}}


def test_the_single_destination_shorthand_still_files_as_one_stop_one_person(api: Api) -> None:
    old = {"destination_institution": "MIT", "destination_country": "US", "purpose": "conference",
           "start_date": "2031-03-01", "end_date": "2031-03-28", "funding_source": "CSC", "budget": "38000.00"}
    r = draft(api, old)
    assert r.status_code == 201, r.json
    assert r.json["form"] == old
    assert r.json["title"] == "Conference at MIT"


def test_a_draft_whose_itinerary_is_not_a_list_is_refused_field_by_field(api: Api) -> None:
    for itinerary in (5, 2.5, True):  # the office's rules are looked up from the form before its schema judges it
        r = draft(api, {"category": "general", "itinerary": itinerary})
        assert r.status_code == 422 and "itinerary" in r.json["errors"], (itinerary, r.json)
        assert r.headers["Content-Type"] == "application/problem+json"
