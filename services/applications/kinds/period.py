"""The period rule of every kind with dates (start_date and end_date in its form): it starts in the future, ends on
or after its start, and lasts at most the kind's `max_days`. The registry applies it, so a kind states its longest
period once, as `Kind.max_days`."""

from __future__ import annotations

from datetime import date
from typing import Any

PERIOD_FIELDS = frozenset({"start_date", "end_date"})


def period_errors(form: dict[str, Any], today: date, max_days: int | None) -> dict[str, str]:
    """A period of dates (as loaded) checked against today and the longest period (None: no limit)."""
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
