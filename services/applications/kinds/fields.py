"""What several kinds share: single-field validators and builders (one-line text, text, budget, country), the
metadata of the fields they have in common, and the period rule (future start, end after start, longest period).

Budgets are CNY as decimal strings ("12000.00"), never floats.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from marshmallow import fields, validate

from services.applications.kinds import Field, labels

NOT_BLANK = validate.Regexp(r"\s*\S", error="Must not be blank.")  # Regexp matches from the start
ONE_LINE_TEXT = validate.Regexp(  # \Z, not $: "$" would let a trailing newline through
    r"^(?=.*\S)[^\x00-\x1f\x7f]*\Z", error="Must not be blank or contain line breaks or control characters."
)
COUNTRY = validate.Regexp(r"^[A-Z]{2}\Z", error="Use a two-letter ISO 3166 country code, e.g. DE.")
SCHOOL_STAFF = frozenset({"teacher", "staff", "school_coordinator"})  # who files for a school


def line(max_length: int = 200, **kwargs: Any) -> fields.String:
    return fields.String(validate=[validate.Length(min=1, max=max_length), ONE_LINE_TEXT], **kwargs)


def text(max_length: int = 5000, **kwargs: Any) -> fields.String:
    return fields.String(validate=[validate.Length(min=1, max=max_length), NOT_BLANK], **kwargs)


def country(**kwargs: Any) -> fields.String:
    return fields.String(validate=COUNTRY, **kwargs)


def budget() -> fields.Decimal:
    return fields.Decimal(
        required=True, places=2, as_string=True, validate=validate.Range(min=0, error="Must not be negative.")
    )


START_DATE = Field("start_date", "date", labels("Start date", "开始日期"))
END_DATE = Field("end_date", "date", labels("End date", "结束日期"),
                 help=labels("The last day, counted in the period.", "最后一天，计入时长。"))
BUDGET = Field("budget", "decimal", labels("Budget (CNY)", "预算（元）"),
               help=labels("In yuan, e.g. 12000.00.", "单位：元，例如 12000.00。"))


def period_errors(form: dict[str, Any], today: date, max_days: int | None) -> dict[str, str]:
    """A period of dates (as loaded): it starts in the future, ends on or after its start, lasts at most max_days."""
    errors: dict[str, str] = {}
    start, end = form.get("start_date"), form.get("end_date")
    if isinstance(start, date) and start <= today:
        errors["start_date"] = "Must be in the future."
    if isinstance(end, date) and isinstance(start, date):
        if end < start:
            errors["end_date"] = "Must not be before the start date."
        elif max_days is not None and (end - start).days + 1 > max_days:
            errors["end_date"] = f"The period may last at most {max_days} days."
    return errors


def period_rule(max_days: int | None) -> Callable[[dict[str, Any], Any, date], dict[str, str]]:
    """The rules of a kind whose only rule is its period."""
    return lambda form, program, today: period_errors(form, today, max_days)


def stored_date(value: Any) -> date | None:
    """A date as the stored form keeps it (ISO text); anything else (a draft's gap) is None."""
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def stored_period(form: dict[str, Any]) -> tuple[date | None, date | None]:
    return stored_date(form.get("start_date")), stored_date(form.get("end_date"))
