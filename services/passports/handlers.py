"""What the passports service does with the news it hears (one function per event type).

mobility.* keeps the service's copy of each trip abroad (`trips`), ordered by the record's version (the events'
aggregateversion): older news than a trip has applied changes nothing. A visit to the university (`direction`
inbound: a foreign expert, a hosted event) takes no passport of the office's: it is not kept, and one kept from news
that did not yet say its direction (read as outbound) is dropped, unless a loan names it. A loan still open moves
its due date with its trip's news; a cancelled trip or a no-show makes it due the day that news came.
application.submitted and resubmitted warn the applicant and the clerks of a traveller's passport that expires less
than six months after the trip's end.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from cloudevents.core.v1.event import CloudEvent
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from services.passports import custody
from services.passports.events import expiry_warning
from services.passports.models import Loan, Passport, Trip

Handler = Callable[[Session, dict[str, Any], CloudEvent], None]
MOBILITY_NEWS = ("mobility.planned", "mobility.changed", "mobility.departed", "mobility.returned",
                 "mobility.cancelled", "mobility.no_show", "mobility.closed")


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _revision(event: CloudEvent) -> int:
    value = event.get_extension("aggregateversion")
    return int(value) if value is not None else 0


def news_day(event: CloudEvent, zone: str) -> date:
    """The office's calendar day the news was written."""
    when = event.get_time() or datetime.now(UTC)
    return when.astimezone(ZoneInfo(zone)).date()


def on_trip_news(zone: str) -> Handler:
    def handle(session: Session, data: dict[str, Any], event: CloudEvent) -> None:
        trip = session.get(Trip, data["mobility_id"], with_for_update=True)
        revision = _revision(event)
        if data.get("direction", "outbound") != "outbound":
            lent = session.scalar(select(Loan.id).where(Loan.mobility_id == data["mobility_id"]).limit(1))
            if trip is None or lent is None:
                if trip is not None:
                    session.delete(trip)
                return
        if trip is None:
            trip = Trip(mobility_id=data["mobility_id"], version=0)
            session.add(trip)
        elif revision and revision <= trip.version:
            return  # older news than this trip has applied
        person = data.get("person") or {}
        trip.application_id, trip.kind, trip.school = data["application_id"], data["kind"], data["school"]
        trip.owner, trip.person_name = data["owner"], person.get("name") or ""
        trip.staff_number, trip.title = person.get("staff_number"), (data.get("title") or "")[:300]
        trip.planned_start, trip.planned_end = _day(data.get("planned_start")), _day(data.get("planned_end"))
        trip.returned_on, trip.version = _day(data.get("returned_on")), revision or trip.version
        if data["status"] in custody.ENDED and (trip.status != data["status"] or trip.ended_on is None):
            trip.ended_on = news_day(event, zone)
        trip.status = data["status"]
        session.flush()
        rules = custody.rules(session)
        due = custody.due_on(trip, rules)
        if due is None:
            return
        for loan in session.scalars(select(Loan).where(Loan.mobility_id == trip.mobility_id,
                                                       Loan.returned_on.is_(None)).with_for_update()):
            loan.due_on = due  # the sweep reminds, notices and holds from the new date

    return handle


def on_application_submitted(session: Session, data: dict[str, Any], event: CloudEvent) -> None:
    """One passport.expiry_warning per traveller's passport (the kind the trip travels on) that expires before the
    trip's end plus six months. A traveller with no passport in the register: nothing."""
    facts = data.get("mobility") or {}
    end = _day(facts.get("end_date"))
    if end is None or facts.get("direction", "outbound") != "outbound":  # a visit to the university: no passport
        return
    travellers = data.get("travellers")
    staff_numbers = {t["staff_number"] for t in travellers or [] if t.get("staff_number")}
    whose = [Passport.staff_number.in_(sorted(staff_numbers))] if staff_numbers else []
    if travellers is None or any(not t.get("staff_number") for t in travellers):
        # a traveller the form names without a staff number (the shorthand trip's applicant travelling alone), or
        # news from before the form named its travellers: the applicant's own passports
        whose.append(Passport.holder_username == data["applicant"])
    if not whose:
        return
    query = select(Passport).where(Passport.type.in_(custody.types_for(data.get("category"))),
                                   Passport.status.in_(custody.HOLDING), or_(*whose))
    revision = _revision(event) or int(data.get("version") or 0)
    for passport in session.scalars(query.order_by(Passport.staff_number, Passport.expires_on)):
        if custody.expires_too_soon(passport, end):
            expiry_warning(session, passport, data, end, revision, event.get_extension("correlationid"))


def table(zone: str = "Asia/Shanghai") -> dict[str, Handler]:
    """The handlers, with the office's time zone (a cancellation's day is the office's calendar day)."""
    trips = on_trip_news(zone)
    return {**{event_type: trips for event_type in MOBILITY_NEWS},
            "application.submitted": on_application_submitted,
            "application.resubmitted": on_application_submitted}


HANDLERS = table()
