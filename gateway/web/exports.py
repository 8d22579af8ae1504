"""The statistics tables as files: CSV (UTF-8 with a byte-order mark, so Excel reads Chinese right), XLSX
(openpyxl) and a printable PDF report (reportlab, in two of the fonts every PDF reader provides, so no font file
ships with us: Helvetica for Western text, the CID font STSong-Light for Chinese). openpyxl and reportlab are
loaded only when a file is made."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from flask import Response


class Percent(float):
    """A rate (0.8): shown as 80.0%, a percentage cell in XLSX."""

    def __str__(self) -> str:
        return f"{self * 100:.1f}%"


class Hours(float):
    """A number of hours: shown with one decimal, a number cell in XLSX."""

    def __str__(self) -> str:
        return f"{self:.1f}"


def text(value: Any) -> str:
    """A cell as people read it: a dash for nothing."""
    return "—" if value is None else str(value)


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")  # full-width ones too
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def safe(value: Any) -> Any:
    """A cell as text a spreadsheet shows and never runs: names typed by applicants (an institution called
    "=HYPERLINK(...)") get a leading apostrophe, control characters (which XLSX cannot hold) are dropped."""
    if not isinstance(value, str):
        return value
    value = CONTROL.sub("", value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def to_csv(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe(c) for c in table.columns])
    writer.writerows([safe(text(v)) for v in row] for row in table.rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(table: Table) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _sheet_title(table.title)
    sheet.append([safe(c) for c in table.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append([safe(v) for v in row])
    for line, values in zip(sheet.iter_rows(min_row=2), table.rows, strict=True):
        for cell, value in zip(line, values, strict=True):
            if isinstance(value, Percent | Hours):
                cell.value, cell.number_format = float(value), "0.0%" if isinstance(value, Percent) else "0.0"
    for line in sheet.iter_rows():
        for cell in line:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text, even where it looks like a formula
    for i, column in enumerate(table.columns, start=1):
        longest = max([len(str(column)), *(len(str(r[i - 1])) for r in table.rows)])
        sheet.column_dimensions[sheet.cell(1, i).column_letter].width = min(max(longest * 1.6, 10), 60)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet_title(title: str) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\."""
    return "".join(c for c in title if c not in "[]:*?/\\")[:31] or "Sheet"


@dataclass
class Report:
    title: str
    subtitle: str
    author: str
    tables: list[Table]
    notes_title: str
    notes: list[tuple[str, str]]  # (term, how it is counted)
    empty: str  # what an empty table says


CJK_FONT = "STSong-Light"


# Latin letters beyond Windows-1252 that have no decomposition to fall back on.
_BASE_LETTERS = str.maketrans({"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "ı": "i"})


def _western(char: str) -> str | None:
    """`char` as Helvetica can print it (Windows-1252), else None. Latin letters it lacks (ł, ő, ğ) print as
    their base letter: a printed report loses the accent rather than shows a blank box."""
    for candidate in (char, unicodedata.normalize("NFKD", char.translate(_BASE_LETTERS))[:1]):
        try:
            candidate.encode("cp1252")
        except UnicodeEncodeError:
            continue
        if candidate == char or unicodedata.name(char, "").startswith("LATIN"):
            return candidate
    return None


def _marked(text: str, bold: bool = False) -> str:
    """Paragraph markup for `text` in two fonts: Helvetica for what Windows-1252 holds (Western letters, dashes,
    quotes), the CID font STSong-Light for the rest (Chinese, Cyrillic, Greek): neither font has both."""
    runs: list[tuple[bool, str]] = []
    for char in text:
        western = _western(char)
        piece, is_western = (western, True) if western is not None else (char, False)
        if runs and runs[-1][0] == is_western:
            runs[-1] = (is_western, runs[-1][1] + piece)
        else:
            runs.append((is_western, piece))
    latin = "Helvetica-Bold" if bold else "Helvetica"
    return "".join(f'<font name="{latin if western else CJK_FONT}">{_escape(run)}</font>' for western, run in runs)


def _widths(table: Table, width: float) -> list[float]:
    """Columns as wide as their longest value (a Chinese character counts twice) or heading word, none
    narrower than a tenth of the longest."""
    def size(value: Any) -> float:
        return sum(2 if ord(c) > 0x2E80 else 1 for c in text(value))

    def heading(value: str) -> float:  # Chinese wraps anywhere, a Western word only whole
        return size(value) / 2 if any(ord(c) > 0x2E80 for c in value) else max(map(size, value.split() or [""]))

    longest = [max(heading(table.columns[i]), *(size(row[i]) for row in table.rows), 4)
               for i in range(len(table.columns))]
    longest = [max(n, max(longest) / 10) for n in longest]
    return [width * n / sum(longest) for n in longest]


def to_pdf(report: Report, chinese: bool) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer
    from reportlab.platypus import Table as PdfTable

    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    styles = getSampleStyleSheet()
    for style in styles.byName.values():
        style.wordWrap = "CJK" if chinese else None  # type: ignore[attr-defined]
    cell = ParagraphStyle("cell", parent=styles["BodyText"], fontSize=9, leading=11)
    number = ParagraphStyle("number", parent=cell, alignment=2)  # right
    width = A4[0] - 36 * mm
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, title=report.title, author=report.author, leftMargin=18 * mm,
                            rightMargin=18 * mm, topMargin=16 * mm, bottomMargin=16 * mm)
    story: list[Any] = [Paragraph(_marked(report.title, bold=True), styles["Title"]),
                        Paragraph(_marked(report.subtitle), styles["BodyText"]), Spacer(1, 6 * mm)]
    for table in report.tables:
        heading = Paragraph(_marked(table.title, bold=True), styles["Heading2"])
        if not table.rows:
            story += [heading, Paragraph(_marked(report.empty), styles["BodyText"]), Spacer(1, 5 * mm)]
            continue
        grid = PdfTable([[Paragraph(_marked(text(v), bold=r == 0), number if i else cell)
                          for i, v in enumerate(row)] for r, row in enumerate((table.columns, *table.rows))],
                        colWidths=_widths(table, width), repeatRows=1, hAlign="LEFT")
        grid.setStyle([
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f6")),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#aab2c0")), ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ])
        story += [KeepTogether([heading, grid]), Spacer(1, 5 * mm)]
    story.append(Paragraph(_marked(report.notes_title, bold=True), styles["Heading2"]))
    colon = "：" if chinese else ": "
    for term, meaning in report.notes:
        story.append(Paragraph(_marked(term, bold=True) + _marked(colon + meaning), styles["BodyText"]))
    doc.build(story)
    return out.getvalue()


def _escape(text: str) -> str:
    """Paragraph text is reportlab's mini-markup: stored names must not become tags."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def filename(*parts: str) -> str:
    """A download's name from its parts, in letters, digits, _ and - only: the filters come from the URL."""
    return "-".join(filter(None, (re.sub(r"[^A-Za-z0-9_-]", "", part) for part in parts)))


def download(body: bytes, content_type: str, name: str, inline: bool = False) -> Response:
    response = Response(body, content_type=content_type)
    response.headers["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


def download_table(table: Table, fmt: str, name: str) -> Response:
    """One table as a CSV or XLSX download named `name` (from `filename`)."""
    if fmt == "csv":
        return download(to_csv(table), "text/csv; charset=utf-8", f"{name}.csv")
    return download(to_xlsx(table), XLSX, f"{name}.xlsx")
