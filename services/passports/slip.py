"""The hand-out slip (证照领用单) as a PDF, in Chinese or English: the passport's type, its holder, its masked number
(never the whole one), the trip and its dates, who handed it out to whom and when, the due date, and once it is back
who took it back from whom and when, with lines to sign.

Built as the 任务批件 is (services/applications/approval_pdf.py): reportlab, every glyph in one embedded CJK
TrueType font (settings.pdf_font, through chassis.pdf), not even Helvetica referenced; without the font file
chassis.pdf.FontMissing (HTTP 503) says which package to install.
"""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from chassis.pdf import register_font
from services.passports.custody import masked, type_words
from services.passports.models import Loan, Passport, Trip

WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "heading": "因公证照领用单", "type": "证照类别", "holder": "持照人", "staff_number": "工号",
        "number": "证照号码", "trip": "出访任务", "dates": "出访日期", "dates_value": "{start} 至 {end}",
        "handed_out_on": "领用日期", "handed_out_by": "经办人", "handed_to": "领用人", "due_on": "应交回日期",
        "returned_on": "交回日期", "returned_by": "接收人", "received_from": "交回人", "not_returned": "尚未交回",
        "rule": "证照须于回国（境）后按期交回国际合作与交流处保管，逾期未交回者暂停受理其新的出访申请。",
        "sign_clerk": "经办人签字", "sign_holder": "领用人签字", "printed": "打印时间：{when}",
    },
    "en": {
        "heading": "Passport Hand-out Slip", "type": "Document", "holder": "Holder", "staff_number": "Staff number",
        "number": "Number", "trip": "Trip", "dates": "Dates", "dates_value": "{start} to {end}",
        "handed_out_on": "Handed out on", "handed_out_by": "Handed out by", "handed_to": "Handed to",
        "due_on": "Due back on", "returned_on": "Returned on", "returned_by": "Taken back by",
        "received_from": "Handed back by", "not_returned": "Not yet returned",
        "rule": "The document must be handed back to the International Cooperation Department by its due date; "
                "while it is overdue, no new application of its holder is accepted.",
        "sign_clerk": "Clerk's signature", "sign_holder": "Holder's signature", "printed": "Printed: {when}",
    },
}


# wide enough for "Holder's signature" on one line at 10 pt with the cell's padding (30 mm broke it mid-word)
SIGN_LABEL = 40 * mm


def render(passport: Passport, loan: Loan, trip: Trip | None, *, language: str, font: Path, timezone: str) -> bytes:
    """The PDF of one loan's slip in `language` (zh or en)."""
    lang = language if language in WORDS else "zh"
    words = WORDS[lang]
    font_name = register_font(font)
    base = ParagraphStyle("body", fontName=font_name, fontSize=10, leading=14, wordWrap="CJK")
    styles = {"body": base, "heading": ParagraphStyle("heading", parent=base, fontSize=18, leading=26, alignment=1,
                                                      spaceAfter=6 * mm),
              "small": ParagraphStyle("small", parent=base, fontSize=8, leading=11,
                                      textColor=colors.HexColor("#333333"))}

    def p(text: Any, style: str = "body") -> Paragraph:
        return Paragraph(escape("" if text is None else str(text)), styles[style])

    def day(value: Any) -> str:
        return value.isoformat() if value else ""

    facts = [
        (words["type"], type_words(passport.type, lang)),
        (words["holder"], passport.holder_name),
        (words["staff_number"], passport.staff_number),
        (words["number"], masked(passport)),
        (words["trip"], trip.title if trip is not None else loan.mobility_id),
        (words["dates"], words["dates_value"].format(start=day(trip.planned_start), end=day(trip.planned_end))
         if trip is not None and trip.planned_start else None),
        (words["handed_out_on"], day(loan.handed_out_on)),
        (words["handed_out_by"], loan.handed_out_by_name or loan.handed_out_by),  # a name, once kept (0003)
        (words["handed_to"], loan.handed_to),
        (words["due_on"], day(loan.due_on)),
    ]
    if loan.returned_on is not None:
        facts += [(words["returned_on"], day(loan.returned_on)),
                  (words["returned_by"], loan.returned_by_name or loan.returned_by),
                  (words["received_from"], loan.received_from)]
    else:
        facts.append((words["returned_on"], words["not_returned"]))
    printed = datetime.now(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")
    story: list[Flowable] = [
        p(words["heading"], "heading"),
        _table([[p(k), p(v)] for k, v in facts if v not in (None, "")], [40 * mm, None], font_name),
        Spacer(1, 5 * mm), p(words["rule"], "small"), Spacer(1, 12 * mm),
        _table([[p(words["sign_clerk"]), p(""), p(words["sign_holder"]), p("")]],
               [SIGN_LABEL, None, SIGN_LABEL, None], font_name, grid=False),
        Spacer(1, 8 * mm), p(words["printed"].format(when=printed), "small"),
    ]
    buffer = io.BytesIO()
    pdf = SimpleDocTemplate(buffer, pagesize=A4, title=words["heading"], author="", initialFontName=font_name,
                            leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm, bottomMargin=18 * mm)
    pdf.build(story)
    return buffer.getvalue()


def _table(rows: list[list[Any]], widths: list[float | None], font: str, *, grid: bool = True) -> Table:
    free = A4[0] - 40 * mm - sum(w for w in widths if w)
    blanks = sum(1 for w in widths if not w)
    table = Table(rows, colWidths=[w or free / blanks for w in widths], hAlign="LEFT")
    # A table sets its cells' font even where they hold paragraphs: its default, Helvetica, would be referenced.
    style = [("VALIGN", (0, 0), (-1, -1), "TOP"), ("FONTNAME", (0, 0), (-1, -1), font)]
    if grid:
        style.append(("GRID", (0, 0), (-1, -1), 0.5, colors.grey))
    table.setStyle(TableStyle(style))
    return table
