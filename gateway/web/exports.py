"""The statistics tables as files: CSV (UTF-8 with a byte-order mark, so Excel reads Chinese right), XLSX
(openpyxl) and a printable PDF report (reportlab; Chinese in the Adobe CID font STSong-Light, which every PDF
reader provides, so no font file ships with us; it has the Latin letters too). openpyxl and reportlab are loaded
only when a file is made."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Any


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
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
    writer.writerows([safe(v) for v in row] for row in table.rows)
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
    tables: list[Table]
    notes_title: str
    notes: list[tuple[str, str]]  # (term, how it is counted)


def to_pdf(report: Report, chinese: bool) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer
    from reportlab.platypus import Table as PdfTable

    font = "STSong-Light"
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(font))
    styles = getSampleStyleSheet()
    for style in styles.byName.values():
        style.fontName = font  # type: ignore[attr-defined]
        style.wordWrap = "CJK" if chinese else None  # type: ignore[attr-defined]
    cell = ParagraphStyle("cell", parent=styles["BodyText"], fontSize=9, leading=11)
    number = ParagraphStyle("number", parent=cell, alignment=2)  # right
    width = A4[0] - 36 * mm
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, title=report.title, leftMargin=18 * mm, rightMargin=18 * mm,
                            topMargin=16 * mm, bottomMargin=16 * mm)
    story: list[Any] = [Paragraph(_escape(report.title), styles["Title"]),
                        Paragraph(_escape(report.subtitle), styles["BodyText"]), Spacer(1, 6 * mm)]
    for table in report.tables:
        first = width * (0.6 if len(table.columns) == 2 else 0.34)
        others = (width - first) / max(len(table.columns) - 1, 1)
        grid = PdfTable([[Paragraph(_escape("" if v is None else str(v)), number if i else cell)
                          for i, v in enumerate(row)] for row in (table.columns, *table.rows)],
                        colWidths=[first, *[others] * (len(table.columns) - 1)], repeatRows=1, hAlign="LEFT")
        grid.setStyle([
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f6")),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#aab2c0")), ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ])
        story.append(KeepTogether([Paragraph(_escape(table.title), styles["Heading2"]), grid]))
        story.append(Spacer(1, 5 * mm))
    story.append(Paragraph(_escape(report.notes_title), styles["Heading2"]))
    for term, text in report.notes:
        story.append(Paragraph(f"<b>{_escape(term)}</b>: {_escape(text)}", styles["BodyText"]))
    doc.build(story)
    return out.getvalue()


def _escape(text: str) -> str:
    """Paragraph text is reportlab's mini-markup: stored names must not become tags."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
