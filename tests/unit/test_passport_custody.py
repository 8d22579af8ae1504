"""The custody rules on their own: when a passport is due back, the hand-out window, each refusal in words, the
expiry margin of six months and the days overdue."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.passports import custody
from services.passports.models import Loan, Passport, PassportSettings, Trip

RULES = PassportSettings(id=1, handout_days_before=5, return_days=7, remind_days_before=3, school_hold_after_days=30,
                         school_hold=False)


def passport(**kw: object) -> Passport:
    values = {"id": "p1", "holder_name": "Li Wei", "staff_number": "19990012", "type": "official_passport",
              "number_last4": "4567", "expires_on": date(2030, 1, 1), "status": "in_custody", **kw}
    return Passport(**values)


def trip(**kw: object) -> Trip:
    values = {"mobility_id": "m1", "application_id": "a1", "kind": "faculty_exchange", "school": "cs",
              "owner": "prof.li", "person_name": "Li Wei", "staff_number": "19990012", "title": "Visit to Milan",
              "status": "planned", "planned_start": date(2027, 3, 10), "planned_end": date(2027, 3, 14),
              "returned_on": None, "ended_on": None, **kw}
    return Trip(**values)


def refused(p: Passport, t: Trip | None, on: date, rules: PassportSettings) -> str:
    return custody.why_not(p, t, on, rules) or ""


def test_due_back_seven_days_after_the_planned_end_then_after_the_return() -> None:
    assert custody.due_on(trip(), RULES) == date(2027, 3, 21)
    assert custody.due_on(trip(status="returned", returned_on=date(2027, 3, 16)), RULES) == date(2027, 3, 23)
    longer = PassportSettings(**{**{c: getattr(RULES, c) for c in ("id", "handout_days_before", "remind_days_before",
                                                                    "school_hold_after_days", "school_hold")},
                                 "return_days": 10})
    assert custody.due_on(trip(), longer) == date(2027, 3, 24)


@pytest.mark.parametrize("status", ["cancelled", "no_show"])
def test_a_trip_that_will_not_take_place_makes_it_due_the_day_the_news_came(status: str) -> None:
    assert custody.due_on(trip(status=status, ended_on=date(2027, 3, 8)), RULES) == date(2027, 3, 8)


def test_no_end_date_no_due_date() -> None:
    assert custody.due_on(trip(planned_end=None), RULES) is None


def test_the_window_opens_five_days_before_departure() -> None:
    assert custody.window_opens(trip(), RULES) == date(2027, 3, 5)
    assert custody.why_not(passport(), trip(), date(2027, 3, 5), RULES) is None
    assert custody.why_not(passport(), trip(), date(2027, 3, 12), RULES) is None  # under way: still
    early = refused(passport(), trip(), date(2027, 3, 4), RULES)
    assert early == ("Too early: this passport may be handed out from 2027-03-05, 5 days before the departure on "
                     "2027-03-10.")


def test_each_refusal_is_in_words() -> None:
    on = date(2027, 3, 8)
    assert "already handed out" in refused(passport(status="handed_out"), trip(), on, RULES)
    assert "recorded as lost" in refused(passport(status="lost"), trip(), on, RULES)
    assert "No approved trip" in refused(passport(), None, on, RULES)
    other = refused(passport(), trip(staff_number="20100345", person_name="Zhao Min"), on, RULES)
    assert "not one of Li Wei's" in other
    assert "not one of" in refused(passport(), trip(staff_number=None, owner="prof.wang"), on, RULES)
    assert "not one of" in refused(passport(), trip(staff_number=None), on, RULES)  # a passport of no known account
    assert "was cancelled" in refused(passport(), trip(status="cancelled"), on, RULES)
    assert "did not take place" in refused(passport(), trip(status="no_show"), on, RULES)
    assert "already over" in refused(passport(), trip(status="returned"), on, RULES)
    assert "is closed" in refused(passport(), trip(status="closed"), on, RULES)
    assert "no dates" in refused(passport(), trip(planned_start=None), on, RULES)
    expiring = refused(passport(expires_on=date(2027, 3, 12)), trip(), on, RULES)
    assert expiring == ("This passport expires on 2027-03-12, before the trip ends on 2027-03-14: it cannot be used "
                        "for this trip.")


def test_a_trip_naming_no_staff_number_is_its_owners() -> None:
    """The shorthand staff trip of an applicant travelling alone names no staff number: its owner's passport may go
    out for it (the design: the holder's account is the trip's owner)."""
    on = date(2027, 3, 8)
    assert custody.why_not(passport(holder_username="prof.li"), trip(staff_number=None), on, RULES) is None
    assert custody.why_not(passport(holder_username="prof.li"), trip(staff_number=""), on, RULES) is None
    # a trip that names a staff number is its traveller's, whoever filed it
    other = trip(staff_number="20100345", person_name="Zhao Min")
    assert "not one of" in refused(passport(holder_username="prof.li"), other, on, RULES)


def test_a_return_needs_an_open_loan_and_a_day_not_before_the_hand_out_nor_to_come() -> None:
    loan = Loan(handed_out_on=date(2027, 3, 6), due_on=date(2027, 3, 21))
    today = date(2027, 3, 15)
    assert custody.return_refusal(None, today, today) == ("This passport is not out on loan: there is nothing to "
                                                          "take back.")
    assert custody.return_refusal(loan, date(2027, 3, 16), today) is not None
    assert "handed out on 2027-03-06" in (custody.return_refusal(loan, date(2027, 3, 5), today) or "")
    assert custody.return_refusal(loan, today, today) is None


def test_days_overdue_count_from_the_due_date_until_the_return() -> None:
    loan = Loan(handed_out_on=date(2027, 3, 6), due_on=date(2027, 3, 21), returned_on=None)
    assert custody.overdue_days(loan, date(2027, 3, 21)) == 0
    assert custody.overdue_days(loan, date(2027, 4, 25)) == 35
    loan.returned_on = date(2027, 3, 24)
    assert custody.overdue_days(loan, date(2027, 4, 25)) == 3


def test_a_passport_must_be_valid_six_months_beyond_the_trip() -> None:
    assert custody.add_months(date(2027, 8, 31), 6) == date(2028, 2, 29)
    assert custody.add_months(date(2027, 3, 14), 6) == date(2027, 9, 14)
    end = date(2027, 3, 14)
    assert custody.expires_too_soon(passport(expires_on=date(2027, 9, 13)), end)
    assert not custody.expires_too_soon(passport(expires_on=date(2027, 9, 14)), end)
    assert not custody.expires_too_soon(passport(expires_on=date(2027, 5, 1), status="cancelled"), end)
    assert custody.types_for("hk_macao") == ("hk_macao_permit",)
    assert custody.types_for("general") == custody.types_for(None) == ("official_passport", "service_passport")


def test_a_loan_as_shown_names_its_trip_and_never_a_number() -> None:
    loan = Loan(id="l1", passport_id="p1", mobility_id="m1", handed_out_on=date(2027, 3, 6),
                handed_out_at=datetime(2027, 3, 6, 2, tzinfo=UTC), handed_out_by="passport.clerk", handed_to="Li Wei",
                due_on=date(2027, 3, 21), returned_on=None)
    shown = custody.loan_shown(loan, trip().title, date(2027, 3, 25))
    assert shown["title"] == "Visit to Milan" and shown["overdue_days"] == 4
    assert shown["slip_url"] == "/api/v1/passports/p1/loans/l1/slip"
    assert custody.masked(passport()) == "••••4567"
