"""What several kinds share: single-field validators and builders (one-line text, text, budget, country) and the
metadata of the fields they have in common. The period rule is the registry's (period.py), from `Kind.max_days`.

Budgets are CNY as decimal strings ("12000.00"), never floats.
"""

from __future__ import annotations

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


def stored_date(value: Any) -> date | None:
    """A date as the stored form keeps it (ISO text); anything else (a draft's gap) is None."""
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def stored_period(form: dict[str, Any]) -> tuple[date | None, date | None]:
    return stored_date(form.get("start_date")), stored_date(form.get("end_date"))
