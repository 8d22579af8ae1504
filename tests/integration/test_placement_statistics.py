"""The statistics learn from the placements service, on PostgreSQL through the stats API: a student exchange counts at
the partner allocated to it (an accepted offer, an approved nomination) instead of its first choice, and back at the
first choice when the nomination is rejected; places offered, taken and left unused per partner and academic year
come from the rounds' latest allocation runs (in the year the run names); late, repeated or reordered news changes
nothing; what placements itself announces is what is counted. The statistics page and its CSV show the places to the
ICD, not to a dean."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from cloudevents.core.v1.event import CloudEvent
from sqlalchemy import text
from sqlalchemy.orm import Session

from eventbus import envelope
from eventbus.consumer import apply
from mobility.embedded import Embedded
from services.applications import reporting
from tests.integration.test_web_pages import browser, system  # noqa: F401
from tests.support.placements import NUS, TUM, Placements, placements_fixture  # noqa: F401
from tests.support.service_api import Api

T0 = datetime(2031, 4, 1, 8, 0, tzinfo=UTC)
MIT = {"partner_id": str(uuid.uuid4()), "partner_name": "MIT", "country": "US", "region": "americas"}
TOKYO = {"partner_id": str(uuid.uuid4()), "partner_name": "University of Tokyo", "country": "JP", "region": "other"}
MILAN = {"partner_id": str(uuid.uuid4()), "partner_name": "Politecnico di Milano", "country": "IT",
         "region": "europe"}
ROUND, PROGRAM = str(uuid.uuid4()), str(uuid.uuid4())


def _at(event_type: str, subject: str, data: dict[str, Any], version: int, minutes: int,
        source: str = "/services/placements") -> CloudEvent:
    """The event as its producer sends it, sent `minutes` after T0 (the order of the news)."""
    event = envelope.new_event(event_type, source, subject, data, aggregateversion=version)
    return CloudEvent({**event.get_attributes(), "time": T0 + timedelta(minutes=minutes)}, data)


def _deliver(api: Api, *events: CloudEvent) -> None:
    for event in events:
        with Session(api.engine) as session, session.begin():
            apply(reporting.HANDLERS, session, event)


def _application(first_choice: dict[str, str], status: str = "approved", **more: Any) -> dict[str, Any]:
    app = str(uuid.uuid4())
    return {"application_id": app, "kind": "student_exchange", "school": "cs", "status": status, "version": 1,
            "mobility": {"direction": "outbound", "people": 1, "start_date": "2031-09-01",
                         "end_date": "2032-01-31", "duration_days": 153, "duration_band": "up_to_six_months",
                         "academic_year": 2031, **{k: first_choice[k] for k in ("partner_id", "partner_name",
                                                                               "country", "region")}},
            "applicant": "alice", "applicant_name": "Alice Wang", "applicant_email": "alice@example.edu",
            "locale": "en", "program_id": PROGRAM, "title": "Exchange", "decided_by": "icd.officer",
            "submitted_at": "2031-02-01T08:00:00+00:00", "decided_at": "2031-03-01T09:00:00+00:00", **more}


def _approved(api: Api, first_choice: dict[str, str]) -> str:
    data = _application(first_choice)
    _deliver(api, _at("application.approved", data["application_id"], data, 4, -100, "/services/applications"))
    return str(data["application_id"])


class Offer:
    def __init__(self, application_id: str, partner: dict[str, str]) -> None:
        self.id, self.application_id, self.partner = str(uuid.uuid4()), application_id, partner

    def news(self, status: str, version: int, minutes: int) -> CloudEvent:
        data = {"offer_id": self.id, "round_id": ROUND, "run_id": str(uuid.uuid4()), "program_id": PROGRAM,
                "program_name": "Exchange 2031", "application_id": self.application_id, "applicant": "alice",
                "applicant_name": "Alice Wang", "school": "cs", "partner_id": self.partner["partner_id"],
                "partner_name": self.partner["partner_name"], "status": status,
                "deadline": "2031-04-20T00:00:00+00:00", "made_at": "2031-04-01T08:00:00+00:00"}
        return _at(f"offer.{status if status != 'offered' else 'made'}", self.id, data, version, minutes)


def _nomination(application_id: str, partner: dict[str, str], status: str, version: int,
                minutes: int) -> CloudEvent:
    nomination = str(uuid.uuid5(uuid.NAMESPACE_URL, application_id + partner["partner_id"]))
    data = {"nomination_id": nomination, "round_id": ROUND, "application_id": application_id,
            "partner_id": partner["partner_id"], "partner_name": partner["partner_name"], "status": status,
            "version": version}
    return _at(f"nomination.{status}", nomination, data, version, minutes)


def _run(number: int, places: dict[str, int], minutes: int, year: int | None = None) -> CloudEvent:
    """allocation.completed with the places of the run and the round's academic year (None: placements knew none,
    the round's students' year counts)."""
    partners = {p["partner_name"]: p for p in (MIT, TOKYO, MILAN)}
    data = {"round_id": ROUND, "program_id": PROGRAM, "program_name": "Exchange 2031", "run_id": str(uuid.uuid4()),
            "number": number, "reason": "manual", "run_by": "icd.officer", "run_at": T0.isoformat(), "placed": 3,
            "unplaced": 0, "changes": [], "academic_year": year,
            "places": [{"partner_id": partners[name]["partner_id"], "partner_name": name, "places": n}
                       for name, n in places.items()]}
    return _at("allocation.completed", ROUND, data, number, minutes)


def _places(api: Api, user: str = "icd.officer", **query: Any) -> Any:
    return api.call(user, "GET", "/api/v1/stats/places", query_string=query)


def _by_partner(api: Api) -> dict[str, int]:
    r = api.call("icd.officer", "GET", "/api/v1/stats/mobilities", query_string={"group_by": "partner"})
    assert r.status_code == 200, r.json
    return {row["key"]: row["approved"] for row in r.json["rows"]}


def _table(api: Api, **query: Any) -> list[tuple[str, int, int, int, int]]:
    r = _places(api, **query)
    assert r.status_code == 200, r.json
    return [(row["partner_name"], row["academic_year"], row["offered"], row["taken"], row["unused"])
            for row in r.json["rows"]]


def test_the_allocated_partner_replaces_the_first_choice_and_places_are_counted(api: Api) -> None:
    a, b, c = _approved(api, MIT), _approved(api, MIT), _approved(api, TOKYO)
    assert _by_partner(api) == {"MIT": 2, "University of Tokyo": 1}  # first choices, before any allocation

    offer_a, offer_b, offer_c = Offer(a, MIT), Offer(b, TOKYO), Offer(c, MILAN)
    _deliver(api, _run(1, {"MIT": 2, "University of Tokyo": 2, "Politecnico di Milano": 1}, 0),
             offer_a.news("offered", 1, 1), offer_b.news("offered", 1, 1), offer_c.news("offered", 1, 1))
    assert _by_partner(api) == {"MIT": 2, "University of Tokyo": 1}  # an offer alone moves nobody
    _deliver(api, offer_a.news("accepted", 2, 2), offer_b.news("accepted", 2, 3), offer_c.news("accepted", 2, 4))
    assert _by_partner(api) == {"MIT": 1, "University of Tokyo": 1, "Politecnico di Milano": 1}

    # the ICD changed MIT's places and ran again; run 1 delivered again afterwards changes nothing
    _deliver(api, _run(2, {"MIT": 1, "University of Tokyo": 2, "Politecnico di Milano": 1}, 5),
             _run(1, {"MIT": 2, "University of Tokyo": 2, "Politecnico di Milano": 1}, 0))
    assert _table(api) == [("MIT", 2031, 1, 1, 0), ("Politecnico di Milano", 2031, 1, 1, 0),
                           ("University of Tokyo", 2031, 2, 1, 1)]

    # Tokyo rejects B: B counts at its first choice again, Tokyo's place is unused; Milan approves C
    _deliver(api, _nomination(b, TOKYO, "rejected", 2, 10), _nomination(c, MILAN, "approved", 2, 11))
    assert _by_partner(api) == {"MIT": 2, "Politecnico di Milano": 1}
    # B's acceptance delivered again, late: older than the rejection, it changes nothing
    _deliver(api, offer_b.news("accepted", 2, 3))
    assert _table(api, academic_year=2031) == [("MIT", 2031, 1, 1, 0), ("Politecnico di Milano", 2031, 1, 1, 0),
                                               ("University of Tokyo", 2031, 2, 0, 2)]
    assert _table(api, academic_year=2030) == []

    # C's later approved change of its application keeps the allocated partner
    changed = _application(TOKYO, change={"id": str(uuid.uuid4()), "number": 1, "reason": "dates"})
    changed["application_id"] = c
    _deliver(api, _at("application.changed", c, changed, 7, 20, "/services/applications"))
    assert _by_partner(api) == {"MIT": 2, "Politecnico di Milano": 1}
    # and the first choice's facts give the country when the allocation names none
    summary = api.call("icd.officer", "GET", "/api/v1/stats/mobilities", query_string={"group_by": "country"})
    assert {row["key"]: row["approved"] for row in summary.json["rows"]} == {"US": 2, None: 1}


def test_a_cancelled_exchange_frees_the_place(api: Api) -> None:
    a = _approved(api, MIT)
    offer = Offer(a, MIT)
    _deliver(api, _run(1, {"MIT": 1}, 0), offer.news("offered", 1, 1), offer.news("accepted", 2, 2))
    assert _table(api) == [("MIT", 2031, 1, 1, 0)]
    cancelled = _application(MIT, status="cancelled", cancelled_at="2031-05-01T08:00:00+00:00",
                             cancelled_by="icd.officer", reason="The student left the university.")
    cancelled["application_id"] = a
    _deliver(api, _at("application.cancelled", a, cancelled, 6, 30, "/services/applications"))
    assert _table(api) == [("MIT", 2031, 1, 0, 1)]


def test_a_withdrawn_offer_frees_the_place_and_the_student_counts_at_their_first_choice(api: Api) -> None:
    """offer.withdrawn (an upheld objection, the partner's rejection, a withdrawal) clears the allocated partner."""
    a = _approved(api, MIT)
    offer = Offer(a, TOKYO)
    _deliver(api, _run(1, {"University of Tokyo": 1}, 0), offer.news("offered", 1, 1), offer.news("accepted", 2, 2))
    assert _by_partner(api) == {"University of Tokyo": 1}
    _deliver(api, offer.news("withdrawn", 3, 3))
    assert _by_partner(api) == {"MIT": 1}
    assert _table(api) == [("University of Tokyo", 2031, 1, 0, 1)]


def test_places_nobody_was_offered_count_in_the_year_the_run_names(api: Api) -> None:
    # no student of the round is known here yet (no offer.made): the run's year alone places its places
    _deliver(api, _run(1, {"MIT": 2, "University of Tokyo": 1}, 0, year=2031))
    assert _table(api) == [("MIT", 2031, 2, 0, 2), ("University of Tokyo", 2031, 1, 0, 1)]
    _deliver(api, _run(2, {"MIT": 3, "University of Tokyo": 1}, 5, year=2031))
    assert _table(api, academic_year=2031) == [("MIT", 2031, 3, 0, 3), ("University of Tokyo", 2031, 1, 0, 1)]


def test_what_placements_announces_is_what_the_statistics_count(api: Api, placements: Placements) -> None:
    """allocation.completed, offer.made and offer.accepted as placements writes them into its outbox (validated by
    their schemas there and here), read by the statistics: every partner's places in the round's academic year
    (its students' term, 2031-fall: 2031), the accepted one taken, at the partner's country."""
    program = placements.add_program(closes_at="2025-03-31T23:59:00+08:00")["program_id"]
    alice = placements.add_candidate(program, applicant="alice", choices=[TUM, NUS])["application_id"]
    for partner, count in ((TUM, 2), (NUS, 1)):
        placements.execute(
            "INSERT INTO places (program_id, partner_id, partner_name, places, source, set_by, updated_at) "
            "VALUES (:g, :p, :n, :c, 'office', 'icd.officer', now())",
            g=program, p=partner["partner_id"], n=partner["name"], c=count)
    opened = placements.call("icd.officer", "POST", "/selection-rounds", json={"program_id": program})
    assert opened.status_code == 201, opened.get_json()
    ran = placements.call("icd.officer", "POST", f"/selection-rounds/{opened.get_json()['id']}/allocations",
                          json={"reason": "manual"})
    assert ran.status_code == 201, ran.get_json()
    (completed,) = placements.events("allocation.completed")
    assert completed["academic_year"] == 2031
    assert sorted((p["partner_name"], p["places"]) for p in completed["places"]) == [("NUS", 1), ("TU Munich", 2)]
    (offer,) = placements.call("alice", "GET", "/offers?mine=1").get_json()["items"]
    assert offer["application_id"] == alice
    accepted = placements.call("alice", "POST", f"/offers/{offer['id']}/accept", json={"version": offer["version"]})
    assert accepted.status_code == 200, accepted.get_json()
    (made,) = placements.events("offer.made")
    assert made["partner_country"] == "DE"
    _deliver(api, *_outbox(placements))
    assert _table(api) == [("NUS", 2031, 1, 0, 1), ("TU Munich", 2031, 2, 1, 1)]
    countries = api.call("icd.officer", "GET", "/api/v1/stats/mobilities", query_string={"group_by": "country"})
    assert {row["key"]: row["approved"] for row in countries.json["rows"]} == {"DE": 1}


def _outbox(placements: Placements) -> list[CloudEvent]:
    """placements' events the statistics consume, in the order it wrote them."""
    with placements.engine.connect() as c:
        bodies = c.execute(text("SELECT body FROM outbox WHERE type IN ('allocation.completed', 'offer.made', "
                                "'offer.accepted') ORDER BY id")).scalars()
        return [envelope.from_json(body) for body in bodies]


def test_places_are_the_icds_and_filters_are_checked(api: Api) -> None:
    assert _places(api, "dean.cs").status_code == 403
    assert _places(api, school="cs").status_code == 422
    assert _table(api) == []


def test_the_statistics_page_shows_places_by_partner_to_the_icd_only(system: Embedded) -> None:  # noqa: F811
    engine = system.engines["applications"]
    a = _application(MIT)
    with Session(engine) as session, session.begin():
        for event in (_at("application.approved", a["application_id"], a, 4, -100, "/services/applications"),
                      _run(1, {"MIT": 2}, 0), Offer(a["application_id"], MIT).news("accepted", 2, 1)):
            apply(reporting.HANDLERS, session, event)
    for language, title in (("en", "Places by partner"), ("zh", 'data-table="places"')):
        client = browser(system, "icd.officer", language)
        with client.session_transaction() as chosen:  # the reader's choice beats the account's locale (zh)
            chosen["lang"] = language
        page = client.get("/stats")
        assert page.status_code == 200 and title in page.text
        assert '<th scope="row">MIT</th>' in page.text
    exported = browser(system, "icd.officer").get("/stats/export/places.csv")
    assert exported.status_code == 200
    assert "MIT,2031–2032,2,1,1" in exported.data.decode("utf-8-sig").replace("\r", "")
    dean = browser(system, "dean.cs")
    assert 'data-table="places"' not in dean.get("/stats").text
    assert dean.get("/stats/export/places.csv").status_code == 403
