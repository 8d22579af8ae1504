"""Reading the office's allowance table from a CSV file (POST /api/v1/allowances/import): UTF-8 with or without a
byte-order mark, the header `country,currency,lodging,meals,cny_rate` (in any order), one country a line.

All or nothing: `parse` returns the rows, or every bad line with its number (as a spreadsheet counts them, the
header being line 1) and its field errors, so the office fixes the file once and sends it again.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from marshmallow import ValidationError

from services.applications.trip_rules_schemas import AllowanceIn

COLUMNS = ("country", "currency", "lodging", "meals", "cny_rate")
MAX_LINES = 1000


class NotText(ValueError):
    """The file is not UTF-8 text (a spreadsheet saved as .xlsx, a PDF, a legacy encoding)."""


@dataclass
class Parsed:
    rows: dict[str, dict[str, str]] = field(default_factory=dict)   # country → currency, lodging, meals, cny_rate
    lines: list[dict[str, Any]] = field(default_factory=list)       # [{"line": 3, "errors": {field: [msg]}}]
    general: list[str] = field(default_factory=list)                # what is wrong with the file as a whole


def text_of(content: bytes) -> str:
    """The file's text; NotText when it is not UTF-8 text."""
    if b"\x00" in content:
        raise NotText("The file is not a text file: save the table as CSV (UTF-8).")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NotText("The file is not UTF-8 text: save the table as \"CSV UTF-8\".") from None


def parse(text: str) -> Parsed:
    try:
        return _parse(text)
    except csv.Error:  # a value longer than the csv module's field limit: a 500 otherwise
        return Parsed(general=["The file cannot be read as a CSV table: save the table as CSV (UTF-8)."])


def _parse(text: str) -> Parsed:
    found = Parsed()
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    names = [name.strip().lower() for name in header or ()]
    missing = [c for c in COLUMNS if c not in names]
    unknown = [n for n in names if n not in COLUMNS]
    if header is None or missing or unknown or len(set(names)) != len(names):
        found.general.append("Line 1 must be the header " + ",".join(COLUMNS) + " (each column once"
                             + (f"; missing: {', '.join(missing)}" if missing else "")
                             + (f"; unknown: {', '.join(unknown)}" if unknown else "") + ").")
        return found
    seen: dict[str, int] = {}
    start = reader.line_num
    for values in reader:
        line, start = start + 1, reader.line_num  # the record's first line (a quoted value may span lines)
        if not any(v.strip() for v in values):
            continue  # an empty line
        if len(found.rows) + len(found.lines) >= MAX_LINES:
            found.general.append(f"At most {MAX_LINES} countries in one file.")
            return found
        errors = _line(values, names, seen, line)
        if errors:
            found.lines.append({"line": line, "errors": errors})
        else:
            row = dict(zip(names, (v.strip() for v in values), strict=True))
            seen[row["country"]] = line
            found.rows[row["country"]] = {k: row[k] for k in COLUMNS[1:]}
    if not found.rows and not found.lines:
        found.general.append("The file has no countries below its header.")
    return found


def _line(values: list[str], names: list[str], seen: dict[str, int], line: int) -> dict[str, list[str]]:
    if len(values) != len(names):
        return {"line": [f"Expected {len(names)} values separated by commas, found {len(values)}."]}
    row = dict(zip(names, (v.strip() for v in values), strict=True))
    errors: dict[str, list[str]] = {}
    country = row.pop("country")
    if len(country) != 2 or not country.isascii() or not country.isalpha() or not country.isupper():
        errors["country"] = ["Must be an ISO 3166 code of two capital letters, e.g. DE."]
    elif country in seen:
        errors["country"] = [f"{country} is already on line {seen[country]}."]
    try:
        AllowanceIn().load(row)
    except ValidationError as exc:
        errors.update({k: list(v) if isinstance(v, list) else [str(v)] for k, v in exc.normalized_messages().items()})
    return errors
