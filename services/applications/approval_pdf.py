"""The 任务批件 as a PDF (reportlab): in Chinese, or in English on request, with its number, the group, the
members, the itinerary, the days, the funding, the approvals and a QR code of its verification URL.

Every glyph is drawn with one TrueType font (MOBILITY_PDF_FONT, WenQuanYi Micro Hei by default) that is embedded
as a subset, so the document prints the same everywhere; not even reportlab's default Helvetica is referenced.
Without the font file the document cannot be made: FontMissing says which package to install.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import segno
from babel import Locale
from babel.numbers import format_decimal
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from chassis.pdf import FontMissing, register_font  # noqa: F401  (FontMissing: what render raises)
from services.applications import kinds
from services.applications.kinds import Field

WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "heading": "因公出国（境）任务批件", "number": "批件编号", "revision": "第{n}版",
        "group": "团组", "leader": "团长", "category": "出访类别", "purpose": "出访目的",
        "tasks": "出访任务", "members": "团组成员", "name": "姓名", "member_school": "单位", "post": "职务",
        "title": "职称", "itinerary": "行程", "country": "国家（地区）", "city": "城市", "institution": "访问单位",
        "arrival": "抵达", "departure": "离开", "days": "在外天数",
        "days_value": "{days} 天（{start} 出境，{end} 入境）",
        "funding": "经费来源", "budget": "预算总额", "approvals": "审批意见", "level": "审批层级",
        "level_value": "第 {n} 级", "approver": "审批人", "date": "审批日期",
        "verify": "扫描二维码或访问以下网址核验本批件：", "issued": "签发日期",
        "cancelled": "本批件已撤销。", "superseded": "本批件已被第 {n} 版取代。", "yuan": "{amount} 元",
    },
    "en": {
        "heading": "Approval of an Official Trip Abroad", "number": "Number", "revision": "revision {n}",
        "group": "Group", "leader": "Leader", "category": "Category", "purpose": "Purpose",
        "tasks": "Tasks", "members": "Members", "name": "Name", "member_school": "School", "post": "Post",
        "title": "Title", "itinerary": "Itinerary", "country": "Country or region", "city": "City",
        "institution": "Institution", "arrival": "Arrival", "departure": "Departure", "days": "Days abroad",
        "days_value": "{days} days (leaving China {start}, back {end})", "funding": "Funding source",
        "budget": "Total budget", "approvals": "Approvals", "level": "Level", "level_value": "Level {n}",
        "approver": "Approved by", "date": "Date",
        "verify": "Scan the QR code or open this address to verify this document:", "issued": "Issued",
        "cancelled": "This document has been cancelled.", "superseded": "This document is superseded by revision {n}.",
        "yuan": "CNY {amount}",
    },
}
ROLES = {
    "school_coordinator": {"zh": "学院外事秘书", "en": "School foreign affairs coordinator"},
    "school_dean": {"zh": "学院分管外事负责人", "en": "School dean for foreign affairs"},
    "icd_officer": {"zh": "国际合作与交流处", "en": "International Cooperation Department"},
    "vice_president": {"zh": "分管外事校领导", "en": "Vice president for foreign affairs"},
    "admin": {"zh": "系统管理员", "en": "Administrator"},
}


class QrCode(Flowable):  # type: ignore[misc]  # reportlab has no type hints
    """A QR code drawn as vector squares (segno's module matrix): sharp at any size, no image library needed."""

    def __init__(self, data: str, size: float) -> None:
        super().__init__()
        self.qr = segno.make(data, error="m")
        self.width = self.height = size

    def draw(self) -> None:
        matrix = list(self.qr.matrix_iter(border=2))
        module = self.width / len(matrix)
        self.canv.setFillColor(colors.black)
        for row, line in enumerate(matrix):
            for col, dark in enumerate(line):
                if dark:
                    self.canv.rect(col * module, self.height - (row + 1) * module, module, module, stroke=0, fill=1)


def render(document: Any, signoffs: Sequence[dict[str, Any]], *, language: str, verify_url: str, font: Path,
           timezone: str) -> bytes:
    """The PDF of one revision of a 任务批件 (`document`: an ApprovalDocument) in `language` (zh or en)."""
    lang = language if language in WORDS else "zh"
    words, content = WORDS[lang], document.content
    font_name = register_font(font)
    styles = _styles(font_name)
    zone = ZoneInfo(timezone)
    kind = _kind_fields(content.get("kind"))

    def p(text: Any, style: str = "body") -> Paragraph:
        return Paragraph(escape("" if text is None else str(text)), styles[style])

    number = document.number + (f"（{words['revision'].format(n=document.revision)}）" if document.revision > 1 else "")
    story: list[Flowable] = [p(words["heading"], "heading"), p(f"{words['number']}：{number}", "number")]
    if document.status == "cancelled":
        story.append(p(words["cancelled"], "alert"))
    elif document.status == "superseded":
        story.append(p(words["superseded"].format(n=document.superseded_by), "alert"))
    leader = next((m["name"] for m in content.get("members") or [] if m.get("leader")), content.get("applicant_name"))
    facts = [
        (words["group"], (content.get("titles") or {}).get(lang) or ""),
        (words["leader"], leader),
        (words["category"], _choice(kind, "category", content.get("category"), lang)),
        (words["purpose"], _choice(kind, "purpose", content.get("purpose"), lang)),
        (words["tasks"], content.get("tasks")),
        (words["days"], words["days_value"].format(days=content.get("days") or "", start=content.get("start_date"),
                                                   end=content.get("end_date"))),
        (words["funding"], content.get("funding_source")),
        (words["budget"], words["yuan"].format(amount=format_decimal(content["budget"], "#,##0.00", locale="en"))
         if content.get("budget") not in (None, "") else None),
    ]
    story.append(_table([[p(k, "label"), p(v)] for k, v in facts if v not in (None, "")], [35 * mm, None], font_name))
    story += [p(words["members"], "section"), _table(
        [[p(words[k], "label") for k in ("name", "member_school", "post", "title")]]
        + [[p(str(m.get("name") or "") + (f"（{words['leader']}）" if m.get("leader") else "")), p(m.get("school")),
            p(m.get("post")), p(m.get("title"))] for m in content.get("members") or []],
        [40 * mm, None, None, None], font_name, header=True)]
    countries = Locale(lang).territories
    story += [p(words["itinerary"], "section"), _table(
        [[p(words[k], "label") for k in ("country", "city", "institution", "arrival", "departure")]]
        + [[p(countries.get(s.get("country") or "", s.get("country"))), p(s.get("city")), p(s.get("institution")),
            p(s.get("arrival")), p(s.get("departure"))] for s in content.get("itinerary") or []],
        [30 * mm, 25 * mm, None, 24 * mm, 24 * mm], font_name, header=True)]
    story += [p(words["approvals"], "section"), _table(
        [[p(words[k], "label") for k in ("level", "approver", "date")]]
        + [[p(words["level_value"].format(n=s["level"])), p(_approver(s, lang)),
            p(_local_date(s.get("decided_at"), zone))] for s in signoffs],
        [30 * mm, None, 35 * mm], font_name, header=True)]
    story += [
        Spacer(1, 6 * mm),
        _table([[QrCode(verify_url, 32 * mm),
                 [p(words["verify"]), p(verify_url, "url"),
                  p(f"{words['issued']}：{_local_date(document.issued_at.isoformat(), zone)}")]]],
               [38 * mm, None], font_name, grid=False),
    ]
    buffer = io.BytesIO()
    pdf = SimpleDocTemplate(buffer, pagesize=A4, title=f"{words['heading']} {document.number}", author="",
                            initialFontName=font_name, leftMargin=20 * mm, rightMargin=20 * mm,
                            topMargin=18 * mm, bottomMargin=18 * mm)
    pdf.build(story)
    return buffer.getvalue()


def _styles(font: str) -> dict[str, ParagraphStyle]:
    # wordWrap CJK: Chinese text breaks between any two characters, as it is typeset.
    base = ParagraphStyle("body", fontName=font, fontSize=10, leading=14, wordWrap="CJK")
    return {
        "body": base,
        "label": ParagraphStyle("label", parent=base, textColor=colors.HexColor("#333333")),
        "heading": ParagraphStyle("heading", parent=base, fontSize=18, leading=26, alignment=1, spaceAfter=4 * mm),
        "number": ParagraphStyle("number", parent=base, fontSize=11, alignment=2, spaceAfter=3 * mm),
        "alert": ParagraphStyle("alert", parent=base, fontSize=12, leading=16, textColor=colors.HexColor("#b00020"),
                                spaceAfter=3 * mm),
        "section": ParagraphStyle("section", parent=base, fontSize=12, leading=18, spaceBefore=4 * mm,
                                  spaceAfter=2 * mm),
        "url": ParagraphStyle("url", parent=base, fontSize=8, leading=11, wordWrap="CJK"),
    }


def _table(rows: list[list[Any]], widths: Sequence[float | None], font: str, *, header: bool = False,
           grid: bool = True) -> Table:
    free = A4[0] - 40 * mm - sum(w for w in widths if w)
    blanks = sum(1 for w in widths if not w)
    # splitInRow: a cell may be taller than a page (the tasks run to 5000 characters): a LayoutError otherwise
    table = Table(rows, colWidths=[w or free / blanks for w in widths], hAlign="LEFT", splitInRow=1)
    # A table sets its cells' font even where they hold paragraphs: its default, Helvetica, would be referenced
    # (not embedded) in the PDF.
    style = [("VALIGN", (0, 0), (-1, -1), "TOP"), ("FONTNAME", (0, 0), (-1, -1), font)]
    if grid:
        style.append(("GRID", (0, 0), (-1, -1), 0.5, colors.grey))
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")))
    table.setStyle(TableStyle(style))
    return table


def _kind_fields(kind: str | None) -> tuple[Field, ...]:
    try:
        return kinds.get(kind or "").fields
    except kinds.UnknownKind:
        return ()


def _choice(fields: Iterable[Field], name: str, value: Any, lang: str) -> str | None:
    """A choice's words from the kind's field metadata (its code where the kind no longer offers it)."""
    if value in (None, ""):
        return None
    for meta in fields:
        if meta.name == name and meta.choices:
            return next((c.labels[lang] for c in meta.choices if c.value == value), str(value))
    return str(value)


def _approver(signoff: dict[str, Any], lang: str) -> str:
    role = ROLES.get(signoff.get("role") or "", {}).get(lang)
    return f"{role}　{signoff['name']}" if role else str(signoff["name"])


def _local_date(value: str | None, zone: ZoneInfo) -> str:
    return datetime.fromisoformat(value).astimezone(zone).date().isoformat() if value else ""
