"""Reading the office's existing list of passports from a CSV file (POST /api/v1/passports/import): UTF-8 with or
without a byte-order mark, the header `holder_name,staff_number,username,school,type,number,issued_on,expires_on,
kept_at` (in any order), one passport a line.

All or nothing: `parse` returns the rows, or every bad line's errors as [{line, field, message}] with line numbers
as a text editor counts them (the header is line 1), so the office fixes the file once and sends it again. A number
already in the register, or twice in the file, for the same type is an error of its line. Pure: the register's
numbers come in as an argument. An error never repeats the number it is about.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any

from marshmallow import ValidationError

from services.passports import crypto
from services.passports.models import TYPES
from services.passports.schemas import PassportIn

COLUMNS = ("holder_name", "staff_number", "username", "school", "type", "number", "issued_on", "expires_on",
           "kept_at")
MAX_ROWS = 5000
# a type as the office's spreadsheet may say it: its code, its English or its Chinese words
TYPE_WORDS = {**{code: code for code in TYPES}, **{en.lower(): code for code, (en, _) in TYPES.items()},
              **{zh: code for code, (_, zh) in TYPES.items()}}
DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")


class NotText(ValueError):
    """The file is not UTF-8 text (a spreadsheet saved as .xlsx, a legacy encoding)."""


@dataclass
class Parsed:
    rows: list[dict[str, Any]] = field(default_factory=list)  # PassportIn's values, `number` normalised
    errors: list[dict[str, Any]] = field(default_factory=list)  # [{"line": 3, "field": "number", "message": ...}]


def text_of(content: bytes) -> str:
    if b"\x00" in content:
        raise NotText("The file is not a text file: save the list as CSV (UTF-8).")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NotText("The file is not UTF-8 text: save the list as \"CSV UTF-8\".") from None


def _date(value: str) -> str:
    """2027-3-1, 2027/03/01 and 2027.03.01 as ISO dates; anything else as given (the schema words its error)."""
    match = DATE.match(value)
    return f"{match[1]}-{int(match[2]):02d}-{int(match[3]):02d}" if match else value


def _values(cells: dict[str, str]) -> dict[str, Any]:
    """A line's cells as PassportIn's input: empty optional cells are absent, dates and types read leniently."""
    given = {name: value.strip() for name, value in cells.items()}
    values: dict[str, Any] = {"holder_name": given["holder_name"], "staff_number": given["staff_number"],
                              "type": TYPE_WORDS.get(given["type"].lower(), TYPE_WORDS.get(given["type"],
                                                                                            given["type"])),
                              "number": given["number"], "expires_on": _date(given["expires_on"])}
    for column, name in (("username", "holder_username"), ("school", "school"), ("kept_at", "kept_at")):
        if given[column]:
            values[name] = given[column]
    if given["issued_on"]:
        values["issued_on"] = _date(given["issued_on"])
    return values


COLUMN_OF = {"holder_username": "username"}


def _messages(messages: Any) -> list[str]:
    return [str(m) for m in messages] if isinstance(messages, list) else [str(messages)]


def _check(line: int, cells: dict[str, str], existing: set[tuple[str, str]],
           seen: dict[tuple[str, str], int]) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """A line's row, or ALL its errors: each check runs on the values that loaded, whatever else is wrong, so the
    office does not fix a line only to be told its next fault."""
    errors: list[dict[str, Any]] = []
    values = _values(cells)
    if not values["number"]:
        values.pop("number")
    try:
        loaded: dict[str, Any] = PassportIn().load(values)
        bad = False
    except ValidationError as exc:
        for name, messages in sorted(exc.normalized_messages().items()):
            for message in _messages(messages):
                errors.append({"line": line, "field": COLUMN_OF.get(name, name), "message": message})
        loaded, bad = dict(exc.valid_data or {}), True  # type: ignore[arg-type]
    number = crypto.normalised(cells["number"])
    if cells["number"].strip() and not crypto.valid(number):
        errors = [e for e in errors if e["field"] != "number"]  # one message says it
        errors.append({"line": line, "field": "number",
                       "message": "5 to 20 letters and digits (spaces and hyphens are ignored)."})
        number = ""
    if loaded.get("issued_on") is not None and loaded.get("expires_on") is not None \
            and loaded["expires_on"] <= loaded["issued_on"]:
        errors.append({"line": line, "field": "expires_on", "message": "Must be after the date of issue."})
    if number and loaded.get("type") is not None and not any(e["field"] == "number" for e in errors):
        key = (loaded["type"], number)
        if key in existing:
            errors.append({"line": line, "field": "number",
                           "message": "This type's number is already in the register."})
        elif key in seen:
            errors.append({"line": line, "field": "number",
                           "message": f"The same type and number as line {seen[key]}."})
        else:
            seen[key] = line
    errors.sort(key=lambda e: e["field"])
    if errors or bad:
        return None, errors
    return {**loaded, "number": number}, errors


def parse(text: str, existing: set[tuple[str, str]]) -> Parsed:
    """The file's rows, or every error; `existing` is the register's (type, number) pairs."""
    found = Parsed()
    try:
        _parse(text, existing, found)
    except csv.Error:  # a field beyond the csv module's limit, a NUL: the file is not a table
        found.rows, found.errors = [], [{"line": 1, "field": "file",
                                         "message": "The file cannot be read as a CSV table: save it as CSV (UTF-8)."}]
    return found


def _parse(text: str, existing: set[tuple[str, str]], found: Parsed) -> None:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    names = [name.strip().lower() for name in header or ()]
    missing = [c for c in COLUMNS if c not in names]
    # unknown columns by position, never by what they say: a file without its header has a passport on line 1
    unknown = [str(i) for i, n in enumerate(names, 1) if n not in COLUMNS]
    if header is None or missing or unknown or len(set(names)) != len(names):
        found.errors.append({"line": 1, "field": "header", "message": (
            "Line 1 must be the header " + ",".join(COLUMNS) + " (each column once"
            + (f"; missing: {', '.join(missing)}" if missing else "")
            + (f"; unknown: column{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}" if unknown else "")
            + ").")})
        return
    seen: dict[tuple[str, str], int] = {}
    line = reader.line_num  # where the next row starts, less one (a quoted value may span lines)
    for cells in reader:
        start, line = line + 1, reader.line_num
        if not any(cell.strip() for cell in cells):
            continue  # a blank line, or a spreadsheet's empty row
        if len(found.rows) + len({e["line"] for e in found.errors}) >= MAX_ROWS:
            found.errors.append({"line": start, "field": "file",
                                 "message": f"At most {MAX_ROWS} passports in one file: split the list."})
            return
        if len(cells) != len(names):
            found.errors.append({"line": start, "field": "line",
                                 "message": f"{len(names)} values expected, {len(cells)} found."})
            continue
        row, errors = _check(start, dict(zip(names, cells, strict=True)), existing, seen)
        found.errors.extend(errors)
        if row is not None:
            found.rows.append(row)
    if not found.rows and not found.errors:
        found.errors.append({"line": 1, "field": "file", "message": "The file lists no passport."})
