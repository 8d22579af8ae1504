"""Custody on PostgreSQL: a hand-out refused before the window and without an approved trip of the holder, a
hand-out with its slip and a return, each handover appended and audited; an overdue passport with its person hold
and, with the office's switch on, the school hold past the threshold (the clock as an argument); the return clears
both; a cancelled trip makes the loan due that day while older news changes nothing; the expiry warning at
submission. No event ever carries the number."""

from __future__ import annotations

import io
import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pypdf
import pytest
import time_machine
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from eventbus import catalog
from services.passports import crypto, custody, deadlines
from services.passports.models import Passport
from tests.support.mobilities import GROUP, approval
from tests.support.passports import Passports, passports_fixture  # noqa: F401

NUMBER = "E98765432"
CLERK = "passport.clerk"


def add_passport(p: Passports, number: str = NUMBER, **fields: Any) -> str:
    """A passport in the register, written with the ORM and the keyring (as the register would)."""
    values: dict[str, Any] = {"holder_name": "Li Wei", "staff_number": "19990012", "holder_username": "prof.li",
                              "school": "cs", "type": "official_passport", "expires_on": date(2032, 4, 30),
                              "kept_at": "Safe 2", "status": "in_custody", **fields}
    passport_id, now = str(uuid.uuid4()), datetime.now(UTC)
    key, blob = crypto.load(p.keys_file).encrypt(number, passport_id)
    with p.sessions() as session, session.begin():
        session.add(Passport(id=passport_id, number_cipher=blob, number_key=key, number_last4=number[-4:],
                             version=1, created_at=now, updated_at=now, **values))
    return passport_id


def trip_data(mobility_id: str, status: str = "planned", person: dict[str, Any] | None = None,
              start: str = "2027-03-10", end: str = "2027-03-14", returned_on: str | None = None) -> dict[str, Any]:
    """A mobility.* event's data as mobilities sends it."""
    return {"mobility_id": mobility_id, "application_id": str(uuid.uuid4()), "group_id": str(uuid.uuid4()),
            "kind": "faculty_exchange", "category": "general", "school": "cs", "owner": "prof.li",
            "person": person or {"name": "Li Wei", "staff_number": "19990012", "role": "leader"},
            "title": "Joint research at Politecnico di Milano", "status": status, "planned_start": start,
            "planned_end": end, "departed_on": None, "arrived_on": None, "returned_on": returned_on}


def news(p: Passports, event_type: str, data: dict[str, Any], revision: int) -> None:
    extra = {"mobility.changed": {"change": {"change": "extended", "previous_end": None, "reason": "more work"}},
             "mobility.no_show": {"reason": "ill"}}.get(event_type, {})
    p.deliver(event_type, {**data, **extra}, revision=revision)


def hand_out(p: Passports, passport_id: str, mobility_id: str, **body: Any) -> Any:
    return p.call(CLERK, "POST", f"/passports/{passport_id}/handouts", json={"mobility_id": mobility_id, **body})


def sweep(p: Passports, when: str) -> dict[str, int]:
    with p.sessions() as session, session.begin():
        return deadlines.check(session, datetime.fromisoformat(when), "Asia/Shanghai")


def outbox_bodies(p: Passports) -> list[str]:
    return [body for (body,) in p.rows("SELECT body FROM outbox")]


def pdf_text(body: bytes) -> str:
    return "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(body)).pages)


def pdf_fonts_embedded(body: bytes) -> bool:
    """Every font the slip uses travels inside it (no Helvetica merely referenced)."""
    fonts = [font.get_object() for page in pypdf.PdfReader(io.BytesIO(body)).pages
             for font in page["/Resources"]["/Font"].values()]
    descriptors = [(f.get("/FontDescriptor") or f["/DescendantFonts"][0].get_object()["/FontDescriptor"]).get_object()
                   for f in fonts]
    return bool(fonts) and all(any(k in d for k in ("/FontFile", "/FontFile2", "/FontFile3")) for d in descriptors)


@time_machine.travel("2027-03-02T03:00:00Z", tick=False)
def test_a_hand_out_is_refused_before_the_window_and_without_an_approved_trip_of_the_holder(
        passports: Passports) -> None:
    p = passports
    passport_id = add_passport(p)
    own, cancelled, others, alone = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    news(p, "mobility.planned", trip_data(own), 1)
    # prof.li's shorthand staff trip, travelling alone: it names no staff number, only its owner's account
    news(p, "mobility.planned", trip_data(alone, person={"name": "Li Wei", "staff_number": None, "role": "leader"},
                                          start="2027-03-20", end="2027-03-24"), 1)
    with p.engine.begin() as c:  # someone else's trip naming no staff number is not his
        c.execute(text("INSERT INTO trips (mobility_id, application_id, kind, school, owner, person_name, title, "
                       "status, planned_start, planned_end, version) VALUES (:m, :a, 'faculty_exchange', 'cs', "
                       "'prof.wang', 'Wang Fang', 'A visit', 'planned', '2027-03-06', '2027-03-08', 1)"),
                  {"m": str(uuid.uuid4()), "a": str(uuid.uuid4())})
    news(p, "mobility.planned", trip_data(cancelled), 1)
    news(p, "mobility.cancelled", trip_data(cancelled, "cancelled"), 2)
    news(p, "mobility.planned", trip_data(others, person={"name": "Zhao Min", "staff_number": "20100345",
                                                          "role": "member"}), 1)

    early = hand_out(p, passport_id, own)
    assert early.status_code == 409 and early.content_type == "application/problem+json"
    assert early.json["detail"] == ("Too early: this passport may be handed out from 2027-03-05, 5 days before the "
                                    "departure on 2027-03-10.")
    unknown = hand_out(p, passport_id, str(uuid.uuid4()))
    assert unknown.status_code == 409 and "No approved trip" in unknown.json["detail"]
    not_his = hand_out(p, passport_id, others)
    assert not_his.status_code == 409 and "not one of Li Wei's" in not_his.json["detail"]
    gone = hand_out(p, passport_id, cancelled)
    assert gone.status_code == 409 and "was cancelled" in gone.json["detail"]
    future = hand_out(p, passport_id, own, on="2027-03-06")
    assert future.status_code == 422

    # only the clerk hands out: the holder and a school's reviewer may read it (403), a stranger may not (404)
    for user, status in (("prof.li", 403), ("coord.cs", 403), ("icd.officer", 403), ("bob", 404), ("coord.me", 404)):
        response = p.call(user, "POST", f"/passports/{passport_id}/handouts", json={"mobility_id": own})
        assert response.status_code == status, (user, response.json)
    assert p.scalar("SELECT count(*) FROM loans") == 0
    assert p.scalar("SELECT count(*) FROM handovers") == 0
    assert p.scalar("SELECT status FROM passports") == "in_custody"
    assert p.scalar("SELECT count(*) FROM outbox WHERE type LIKE 'passport.%'") == 0

    # the trips the clerk chooses from: each with whether it may go out today and why not
    with p.sessions() as session:
        trips = {t["mobility_id"]: t for t in custody.eligible_trips(session, session.get(Passport, passport_id),
                                                                     date(2027, 3, 5))}
    assert set(trips) == {own, cancelled, alone}
    assert trips[own]["can_hand_out"] and trips[own]["due_on"] == date(2027, 3, 21)
    assert "Too early" in trips[alone]["why_not"] and trips[alone]["handout_from"] == date(2027, 3, 15)
    assert not trips[cancelled]["can_hand_out"] and "was cancelled" in trips[cancelled]["why_not"]


@time_machine.travel("2027-03-16T03:00:00Z", tick=False)
def test_a_passport_goes_out_for_its_holders_trip_that_names_no_staff_number(passports: Passports) -> None:
    """The shorthand staff trip of an applicant travelling alone names no staff number: it is the holder's when
    its owner is the passport's holder (the design), and only then."""
    p = passports
    passport_id = add_passport(p)
    stranger = add_passport(p, "E11223344", holder_name="Wang Fang", staff_number="20200001",
                            holder_username="prof.wang")
    alone = str(uuid.uuid4())
    news(p, "mobility.planned", trip_data(alone, person={"name": "Li Wei", "staff_number": None, "role": "leader"},
                                          start="2027-03-20", end="2027-03-24"), 1)
    refused = hand_out(p, stranger, alone)
    assert refused.status_code == 409 and "not one of Wang Fang's" in refused.json["detail"]
    out = hand_out(p, passport_id, alone)
    assert out.status_code == 201, out.json
    assert out.json["due_on"] == "2027-03-31"


@time_machine.travel("2027-03-08T03:00:00Z", tick=False)
def test_a_visit_to_the_university_is_no_trip_to_hand_a_passport_out_for(passports: Passports) -> None:
    """A foreign expert's stay or a hosted event (`direction` inbound) takes no passport: it is not among the
    holder's trips; news from before events named a direction counts as travel abroad, and is dropped once a later
    event says the visit is inbound."""
    p = passports
    passport_id = add_passport(p)
    abroad, expert, older = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    news(p, "mobility.planned", {**trip_data(abroad), "direction": "outbound"}, 1)
    news(p, "mobility.planned", {**trip_data(expert), "kind": "foreign_expert", "category": None,
                                 "direction": "inbound"}, 1)
    news(p, "mobility.planned", {**trip_data(older), "kind": "hosted_event", "category": None}, 1)  # no direction
    offered = p.call(CLERK, "GET", f"/passports/{passport_id}").json["trips"]
    assert sorted(t["mobility_id"] for t in offered) == sorted([abroad, older])
    refused = hand_out(p, passport_id, expert)
    assert refused.status_code == 409 and "No approved trip" in refused.json["detail"]

    news(p, "mobility.changed", {**trip_data(older), "kind": "hosted_event", "category": None,
                                 "direction": "inbound"}, 2)
    assert [t["mobility_id"] for t in p.call(CLERK, "GET", f"/passports/{passport_id}").json["trips"]] == [abroad]
    assert p.scalar("SELECT count(*) FROM trips WHERE mobility_id IN (:a, :b)", a=expert, b=older) == 0
    assert hand_out(p, passport_id, abroad).status_code == 201


def test_a_hand_out_its_slip_and_a_return_are_recorded_and_announced(passports: Passports) -> None:
    p = passports
    passport_id = add_passport(p)
    trip = str(uuid.uuid4())
    news(p, "mobility.planned", trip_data(trip), 1)
    with time_machine.travel("2027-03-06T03:00:00Z", tick=False):
        out = hand_out(p, passport_id, trip, handed_to="Li Wei's assistant")
        assert out.status_code == 201, out.json
        loan = out.json
        assert (loan["handed_out_on"], loan["due_on"], loan["handed_out_by"], loan["handed_to"]) == (
            "2027-03-06", "2027-03-21", CLERK, "Li Wei's assistant")
        assert loan["returned_on"] is None and loan["overdue_days"] == 0
        again = hand_out(p, passport_id, trip)
        assert again.status_code == 409 and "already handed out" in again.json["detail"]

        slip = p.call(CLERK, "GET", f"/passports/{passport_id}/loans/{loan['id']}/slip")
        assert slip.status_code == 200 and slip.content_type == "application/pdf"
        assert slip.data.startswith(b"%PDF")
        words = pdf_text(slip.data)
        assert "Li Wei" in words and "因公证照领用单" in words and "2027-03-21" in words and "5432" in words
        assert NUMBER not in words and pdf_fonts_embedded(slip.data)
        english = p.call("prof.li", "GET", f"/passports/{passport_id}/loans/{loan['id']}/slip?lang=en")
        assert english.status_code == 200 and "Passport Hand-out Slip" in pdf_text(english.data)
        assert p.call("coord.cs", "GET", f"/passports/{passport_id}/loans/{loan['id']}/slip").status_code == 403
        assert p.call("bob", "GET", f"/passports/{passport_id}/loans/{loan['id']}/slip").status_code == 404
        assert p.call(CLERK, "GET", f"/passports/{passport_id}/loans/{uuid.uuid4()}/slip").status_code == 404

    assert p.scalar("SELECT status FROM passports") == "handed_out"
    [handed] = p.events("passport.handed_out")
    assert handed["passport_id"] == passport_id and handed["status"] == "handed_out"
    assert handed["loan"]["due_on"] == "2027-03-21" and handed["loan"]["mobility_id"] == trip

    with time_machine.travel("2027-03-16T03:00:00Z", tick=False):
        assert p.call("prof.li", "POST", f"/passports/{passport_id}/returns", json={}).status_code == 403
        early = p.call(CLERK, "POST", f"/passports/{passport_id}/returns", json={"on": "2027-03-05"})
        assert early.status_code == 409 and "handed out on 2027-03-06" in early.json["detail"]
        back = p.call(CLERK, "POST", f"/passports/{passport_id}/returns", json={})
        assert back.status_code == 200, back.json
        assert (back.json["returned_on"], back.json["returned_by"], back.json["received_from"]) == (
            "2027-03-16", CLERK, "Li Wei")
        twice = p.call(CLERK, "POST", f"/passports/{passport_id}/returns", json={})
        assert twice.status_code == 409 and "not out on loan" in twice.json["detail"]
        returned_slip = p.call(CLERK, "GET", f"/passports/{passport_id}/loans/{loan['id']}/slip?lang=en")
        assert "2027-03-16" in pdf_text(returned_slip.data)

    assert p.scalar("SELECT status FROM passports") == "in_custody"
    assert [tuple(r) for r in p.rows("SELECT action, person, by FROM handovers ORDER BY at")] == [
        ("handed_out", "Li Wei's assistant", CLERK), ("returned", "Li Wei", CLERK)]
    assert [r[0] for r in p.rows("SELECT action FROM audit_log ORDER BY id")] == ["handed_out", "returned"]
    [returned] = p.events("passport.returned")
    assert returned["status"] == "in_custody" and returned["loan"]["returned_on"] == "2027-03-16"
    assert not p.events("passport.hold_cleared")  # it came back in time: no hold to clear
    with pytest.raises(DBAPIError), p.engine.begin() as c:  # a handover is never changed afterwards
        c.execute(text("UPDATE handovers SET person = 'someone else'"))
    assert_one_open_loan_per_passport(p, passport_id, trip)
    assert all(NUMBER not in body for body in outbox_bodies(p))


def test_the_slip_the_handovers_and_the_audit_name_the_clerk_and_the_english_slip_reads_whole(
        passports: Passports) -> None:
    """The clerk is named as a person (their display name, kept at hand-out and return), the username standing in
    for rows from before names were kept; the English slip's signature labels are whole words and its colon is
    not the Chinese one."""
    p = passports
    passport_id = add_passport(p)
    trip = str(uuid.uuid4())
    news(p, "mobility.planned", trip_data(trip), 1)
    with time_machine.travel("2027-03-06T03:00:00Z", tick=False):
        loan = hand_out(p, passport_id, trip).json
        assert (loan["handed_out_by"], loan["handed_out_by_name"]) == (CLERK, "Passport Clerk")
        english = pdf_text(p.call(CLERK, "GET", f"/passports/{passport_id}/loans/{loan['id']}/slip?lang=en").data)
        assert "Handed out by Passport Clerk" in " ".join(english.split())
        assert "Clerk's signature" in english and "Holder's signature" in english, english
        assert "Printed: 2027-03-06" in english and "：" not in english
        chinese = pdf_text(p.call(CLERK, "GET", f"/passports/{passport_id}/loans/{loan['id']}/slip").data)
        assert "经办人 Passport Clerk" in " ".join(chinese.split()) and "打印时间：2027-03-06" in chinese
    with time_machine.travel("2027-03-16T03:00:00Z", tick=False):
        back = p.call(CLERK, "POST", f"/passports/{passport_id}/returns", json={}).json
        assert (back["returned_by"], back["returned_by_name"]) == (CLERK, "Passport Clerk")
        detail = p.call(CLERK, "GET", f"/passports/{passport_id}").json
    assert [(h["by"], h["by_name"]) for h in detail["handovers"]] == [(CLERK, "Passport Clerk")] * 2
    assert [r[0] for r in p.rows("SELECT by_name FROM handovers")] == ["Passport Clerk"] * 2
    audit = p.call(CLERK, "GET", f"/passport-audit?passport_id={passport_id}").json["items"]
    assert [(e["action"], e["actor_name"]) for e in audit] == [("returned", "Passport Clerk"),
                                                               ("handed_out", "Passport Clerk")]
    # a loan from before names were kept: its username is shown
    with p.engine.begin() as c:
        c.execute(text("INSERT INTO loans (id, passport_id, mobility_id, handed_out_on, handed_out_at, handed_out_by, "
                       "handed_to, due_on, returned_on, returned_by) VALUES (:id, :p, :m, '2027-01-01', now(), "
                       "'old.clerk', 'Li Wei', '2027-01-10', '2027-01-09', 'old.clerk')"),
                  {"id": str(uuid.uuid4()), "p": passport_id, "m": trip})
    old = p.call(CLERK, "GET", f"/passports/{passport_id}").json["loans"][0]
    assert (old["handed_out_by_name"], old["returned_by_name"]) == ("old.clerk", "old.clerk")


def assert_one_open_loan_per_passport(p: Passports, passport_id: str, trip: str) -> None:
    """The database refuses a second open loan of a passport (the hand-out's lock is not the only guard); closed
    loans are as many as its history."""
    def loan(returned: bool) -> None:
        with p.engine.begin() as c:
            c.execute(text("INSERT INTO loans (id, passport_id, mobility_id, handed_out_on, handed_out_at, "
                           "handed_out_by, handed_to, due_on, returned_on) VALUES (:id, :p, :m, '2027-01-01', now(), "
                           "'passport.clerk', 'Li Wei', '2027-01-10', :r)"),
                      {"id": str(uuid.uuid4()), "p": passport_id, "m": trip,
                       "r": date(2027, 1, 9) if returned else None})

    loan(returned=True)
    loan(returned=False)  # the one open loan
    with pytest.raises(IntegrityError):
        loan(returned=False)


def test_an_overdue_passport_holds_its_holder_then_past_the_threshold_the_school(passports: Passports) -> None:
    p = passports
    passport_id = add_passport(p)
    trip = str(uuid.uuid4())
    news(p, "mobility.planned", trip_data(trip), 1)
    with time_machine.travel("2027-03-06T03:00:00Z", tick=False):
        assert hand_out(p, passport_id, trip).status_code == 201
    news(p, "mobility.departed", trip_data(trip, "departed"), 2)
    news(p, "mobility.returned", trip_data(trip, "returned", returned_on="2027-03-15"), 3)
    assert p.scalar("SELECT due_on FROM loans") == date(2027, 3, 22)  # return + 7 days

    assert sweep(p, "2027-03-18T02:00:00+00:00") == {"due_soon": 0, "overdue": 0, "holds": 0, "cleared": 0}
    assert sweep(p, "2027-03-19T02:00:00+00:00")["due_soon"] == 1
    assert sweep(p, "2027-03-20T02:00:00+00:00")["due_soon"] == 0  # once per due date
    [soon] = p.events("passport.due_soon")
    assert soon["loan"]["due_on"] == "2027-03-22" and soon["holder_username"] == "prof.li"

    assert sweep(p, "2027-03-23T02:00:00+00:00") == {"due_soon": 0, "overdue": 1, "holds": 1, "cleared": 0}
    assert sweep(p, "2027-03-24T02:00:00+00:00") == {"due_soon": 0, "overdue": 0, "holds": 0, "cleared": 0}
    [overdue] = p.events("passport.overdue")
    assert overdue["loan"]["overdue_days"] == 1 and overdue["status"] == "handed_out"
    [person] = p.events("passport.hold_placed")
    mobility_shape = set(catalog.schema("mobility.hold_placed")["required"])
    assert set(person) == mobility_shape
    assert {k: person[k] for k in ("scope", "username", "staff_number", "school", "reason", "mobility_id",
                                   "due_on", "clears")} == {
        "scope": "person", "username": "prof.li", "staff_number": "19990012", "school": "cs",
        "reason": "passport_overdue", "mobility_id": trip, "due_on": "2027-03-22", "clears": "passport_returned"}

    # 35 days late: no school hold while the office has not switched it on
    assert sweep(p, "2027-04-26T02:00:00+00:00")["holds"] == 0
    with p.engine.begin() as c:
        c.execute(text("UPDATE passport_settings SET school_hold = true WHERE id = 1"))
    assert sweep(p, "2027-04-20T02:00:00+00:00")["holds"] == 0  # 29 days: not yet past the threshold
    assert sweep(p, "2027-04-26T02:00:00+00:00")["holds"] == 1
    assert sweep(p, "2027-04-27T02:00:00+00:00")["holds"] == 0
    school = p.events("passport.hold_placed")[1]
    assert (school["scope"], school["username"], school["staff_number"], school["school"]) == (
        "school", None, None, "cs")

    with time_machine.travel("2027-04-27T03:00:00Z", tick=False):
        back = p.call(CLERK, "POST", f"/passports/{passport_id}/returns", json={})
    assert back.status_code == 200 and back.json["overdue_days"] == 36
    cleared = p.events("passport.hold_cleared")
    assert {c["hold_id"] for c in cleared} == {person["hold_id"], school["hold_id"]}
    assert {c["scope"] for c in cleared} == {"person", "school"}
    assert sweep(p, "2027-04-28T02:00:00+00:00") == {"due_soon": 0, "overdue": 0, "holds": 0, "cleared": 0}
    assert all(NUMBER not in body and NUMBER[-4:] not in json.loads(body)["data"].values()
               for body in outbox_bodies(p))


def test_a_cancelled_trip_makes_the_passport_due_that_day_and_older_news_changes_nothing(
        passports: Passports) -> None:
    p = passports
    passport_id = add_passport(p)
    trip = str(uuid.uuid4())
    news(p, "mobility.planned", trip_data(trip), 1)
    with time_machine.travel("2027-03-06T03:00:00Z", tick=False):
        assert hand_out(p, passport_id, trip).status_code == 201
    news(p, "mobility.changed", trip_data(trip, end="2027-03-20"), 2)
    assert p.scalar("SELECT due_on FROM loans") == date(2027, 3, 27)  # an extension moves the due date
    with time_machine.travel("2027-03-08T03:00:00Z", tick=False):
        news(p, "mobility.cancelled", trip_data(trip, "cancelled", end="2027-03-20"), 4)
    assert p.scalar("SELECT due_on FROM loans") == date(2027, 3, 8)
    assert p.scalar("SELECT ended_on FROM trips") == date(2027, 3, 8)
    news(p, "mobility.changed", trip_data(trip, end="2027-03-25"), 3)  # older than the cancellation
    assert p.scalar("SELECT status FROM trips") == "cancelled"
    assert p.scalar("SELECT due_on FROM loans") == date(2027, 3, 8)

    assert sweep(p, "2027-03-08T05:00:00+00:00")["due_soon"] == 1  # due today: reminded
    done = sweep(p, "2027-03-09T02:00:00+00:00")
    assert done["overdue"] == 1 and done["holds"] == 1
    assert p.events("passport.hold_placed")[0]["due_on"] == "2027-03-08"


def test_a_no_show_makes_it_due_too(passports: Passports) -> None:
    p = passports
    passport_id = add_passport(p)
    trip = str(uuid.uuid4())
    news(p, "mobility.planned", trip_data(trip), 1)
    with time_machine.travel("2027-03-06T03:00:00Z", tick=False):
        assert hand_out(p, passport_id, trip).status_code == 201
    with time_machine.travel("2027-03-11T03:00:00Z", tick=False):
        news(p, "mobility.no_show", trip_data(trip, "no_show"), 2)
    assert p.scalar("SELECT due_on FROM loans") == date(2027, 3, 11)


def submitted(end: str = "2027-03-14", category: str = "general", travellers: Any = GROUP) -> dict[str, Any]:
    data = approval(end=end, category=category, travellers=travellers)
    return {**data, "status": "submitted", "submitted_at": "2027-01-10T02:00:00+00:00"}


def test_a_submission_warns_of_a_passport_that_expires_within_six_months_of_the_trip(
        passports: Passports) -> None:
    p = passports
    li = add_passport(p, expires_on=date(2027, 9, 1))  # the trip ends 2027-03-14: valid to 2027-09-14 needed
    add_passport(p, "E55554444", holder_name="Zhao Min", staff_number="20100345", holder_username=None,
                 expires_on=date(2027, 9, 14))  # exactly six months: enough
    add_passport(p, "C11112222", holder_name="Sun Hao", staff_number="20150678", holder_username=None,
                 type="hk_macao_permit", expires_on=date(2027, 4, 1))  # a permit: not what this trip needs
    add_passport(p, "E99990000", holder_name="Sun Hao", staff_number="20150678", holder_username=None,
                 status="cancelled", expires_on=date(2027, 4, 1))  # no longer counted on

    data = submitted()
    p.deliver("application.submitted", data, revision=2, source="/services/applications")
    [warning] = p.events("passport.expiry_warning")
    assert warning == {"application_id": data["application_id"], "applicant": "prof.li", "title": data["title"],
                       "school": "cs", "passport_id": li, "holder_name": "Li Wei", "staff_number": "19990012",
                       "type": "official_passport", "expires_on": "2027-09-01", "trip_end": "2027-03-14"}
    p.deliver("application.resubmitted", {**submitted(category="hk_macao"), "resubmitted_at": "2027-01-12T02:00:00Z"},
              revision=4, source="/services/applications")
    assert [w["holder_name"] for w in p.events("passport.expiry_warning")] == ["Li Wei", "Sun Hao"]
    # no passport in the register for the traveller: nothing
    p.deliver("application.submitted", submitted(travellers=[{"name": "Wang Fang", "staff_number": "20200001",
                                                                 "role": "leader"}]),
              revision=2, source="/services/applications")
    assert len(p.events("passport.expiry_warning")) == 2
    # the shorthand trip names its applicant without a staff number: the applicant's own passport is the one
    p.deliver("application.submitted", submitted(travellers=[{"name": "Li Wei", "staff_number": None,
                                                                 "role": "leader"}]),
              revision=2, source="/services/applications")
    assert [w["holder_name"] for w in p.events("passport.expiry_warning")] == ["Li Wei", "Sun Hao", "Li Wei"]
    # a visit to the university (inbound) takes no passport of the office's, whoever is named
    inbound = submitted()
    inbound["mobility"] = {**inbound["mobility"], "direction": "inbound"}
    p.deliver("application.submitted", inbound, revision=2, source="/services/applications")
    assert len(p.events("passport.expiry_warning")) == 3
    assert all(n not in body for body in outbox_bodies(p) for n in (NUMBER, "E55554444", "C11112222"))


def test_two_sweeps_at_once_notify_and_hold_once(passports: Passports) -> None:
    """Two workers sweep at the same moment: the loan the first holds is skipped by the second (SKIP LOCKED), not
    waited for and swept twice; once the first commits, the second finds it done."""
    p = passports
    passport_id = add_passport(p)
    trip = str(uuid.uuid4())
    news(p, "mobility.planned", trip_data(trip), 1)
    with time_machine.travel("2027-03-06T03:00:00Z", tick=False):
        assert hand_out(p, passport_id, trip).status_code == 201
    when = datetime.fromisoformat("2027-03-23T02:00:00+00:00")  # a day past the due date, 2027-03-21
    with p.sessions() as first, first.begin():
        assert deadlines.check(first, when, "Asia/Shanghai")["overdue"] == 1
        with p.sessions() as second, second.begin():
            second.execute(text("SET LOCAL lock_timeout = '5s'"))  # waiting would fail the test, not hang it
            assert deadlines.check(second, when, "Asia/Shanghai") == {"due_soon": 0, "overdue": 0, "holds": 0,
                                                                      "cleared": 0}
    assert sweep(p, "2027-03-23T03:00:00+00:00") == {"due_soon": 0, "overdue": 0, "holds": 0, "cleared": 0}
    assert len(p.events("passport.overdue")) == 1 and len(p.events("passport.hold_placed")) == 1
