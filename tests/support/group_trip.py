"""The staff group trip of docs/examples/faculty_exchange_group.json, moved to next year (its month and days kept),
so that tests filing it stay ahead of the lead time whatever the machine's date."""

from __future__ import annotations

import copy
import json
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

EXAMPLE = Path(__file__).parents[2] / "docs/examples/faculty_exchange_group.json"
YEAR = date.today().year + 1


def body() -> dict[str, Any]:
    """The create body (kind, program_id, form) with every date in YEAR."""
    text = re.sub(r'"\d{4}-(\d{2}-\d{2})"', lambda m: f'"{YEAR}-{m.group(1)}"', EXAMPLE.read_text("utf-8"))
    return json.loads(text)  # type: ignore[no-any-return]


def shifted(form: dict[str, Any], days: int) -> dict[str, Any]:
    """The trip `days` later: its dates and every stop's; the total left for the service to work out again."""
    moved = copy.deepcopy(form)
    moved.pop("budget", None)
    for key in ("start_date", "end_date"):
        moved[key] = str(date.fromisoformat(moved[key]) + timedelta(days=days))
    for stop in moved["itinerary"]:
        for key in ("arrival", "departure"):
            stop[key] = str(date.fromisoformat(stop[key]) + timedelta(days=days))
    return moved

