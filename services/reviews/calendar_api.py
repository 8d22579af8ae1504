"""The official working-day calendar (/api/v1/calendar/<year>): anyone signed in reads a year; admins
replace an entered year or seed it from chinesecalendar. Working-day deadlines (publicity periods) count
with it; a year nobody entered and the package does not know is refused there, never guessed."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import abort

from chassis.app import ctx
from chassis.auth import current_identity
from chassis.blueprint import Blueprint
from chassis.tracing import correlation_id
from chassis.workdays import UnknownYear
from services.reviews import calendar
from services.reviews.calendar_schemas import CalendarYearIn, CalendarYearOut

blp = Blueprint("calendar", __name__, url_prefix="/api/v1/calendar", description="Official working-day calendar")

YEAR = {"in": "path", "name": "year", "schema": {"type": "integer", "minimum": 2000, "maximum": 2100}}


def _year(year: int) -> None:
    if not 2000 <= year <= 2100:
        abort(422, message="Invalid year.", errors={"year": ["Must be between 2000 and 2100."]})


def _admin() -> None:
    if not current_identity().has_role("admin"):
        abort(403, message="Only admins change the calendar.")


def _shown(session: Any, year: int) -> dict[str, Any]:
    source, demo, days = calendar.year_days(session, year)
    return {"year": year, "source": source, "demo": demo, "days": days}


@blp.route("/<int:year>", parameters=[YEAR])
class CalendarYear(MethodView):
    @blp.response(200, CalendarYearOut)
    def get(self, year: int) -> dict[str, Any]:
        """The year's days that differ from Monday to Friday, and where they come from."""
        _year(year)
        with ctx().sessions() as session:
            return _shown(session, year)

    @blp.arguments(CalendarYearIn)
    @blp.response(200, CalendarYearOut)
    def put(self, body: dict[str, Any], year: int) -> dict[str, Any]:
        """Replace the year's entered days (admins); it then overrides the package."""
        _admin()
        _year(year)
        errors = calendar.problems(year, body["days"])
        if errors:
            abort(422, message="Invalid days.", errors=errors)
        with ctx().sessions() as session, session.begin():
            calendar.set_year(session, year, body["days"], body["demo"], correlation_id())
            return _shown(session, year)


@blp.route("/<int:year>/seed", parameters=[YEAR])
class CalendarSeed(MethodView):
    @blp.response(200, CalendarYearOut)
    def post(self, year: int) -> dict[str, Any]:
        """Copy the year from the chinesecalendar package into the entered table (admins); 409 if the
        package does not know it (enter it by hand with PUT)."""
        _admin()
        _year(year)
        with ctx().sessions() as session, session.begin():
            try:
                calendar.seed(session, year, correlation_id())
            except UnknownYear as exc:
                abort(409, message=str(exc))
            return _shown(session, year)
