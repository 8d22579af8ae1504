"""The publicity statement (公示情况说明) as a PDF: the trip as publicised, the period, each objection with its
outcome, and the result. Objectors are never named here (the applicant reads it too).

The Chinese text needs a CJK font embedded in the file (readers without it would show blanks): a TrueType font
from the settings' pdf_font (MOBILITY_PDF_FONT; WenQuanYi Micro Hei by default), subset into the document.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

STATUS = {"open": "公示中", "paused": "公示暂停（异议待处理）", "ended": "公示期满", "upheld": "异议成立，公示终止",
          "withdrawn": "申请已撤回，公示终止", "blocked": "尚未公示"}
OBJECTION = {"open": "待处理", "upheld": "异议成立", "dismissed": "异议不成立"}
RESULT = {
    "ended": "公示期满，无异议或异议经核查不成立，公示通过。",
    "upheld": "经核查异议成立，公示未通过。",
    "open": "公示尚在进行中，结果待定。",
    "paused": "公示因异议暂停，待国际合作部处理。",
    "withdrawn": "申请已撤回，公示终止。",
    "blocked": "尚未公示。",
}


def font(path: Path) -> str:
    """The embedded font's name in reportlab, registered once per file."""
    name = f"CJK-{path.stem}"
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(name, str(path), subfontIndex=0))
    return name


def _day(value: date | None) -> str:
    return f"{value.year}年{value.month}月{value.day}日" if value else "—"


def _at(value: datetime | None, zone: str) -> str:
    if value is None:
        return "—"
    local = value.astimezone(ZoneInfo(zone))
    return f"{_day(local.date())} {local:%H:%M}"


def build(notice: dict[str, Any], objections: list[dict[str, Any]], *, font_path: Path, zone: str,
          issued_at: datetime) -> bytes:
    """notice: the period (opened_on, ends_on, working_days, status, content = the trip's notice); objections:
    text, lodged_at, status, decided_at, comment, oldest first."""
    name = font(font_path)
    title = ParagraphStyle("title", fontName=name, fontSize=16, leading=22, alignment=1, spaceAfter=6 * mm)
    body = ParagraphStyle("body", fontName=name, fontSize=10.5, leading=16)
    head = ParagraphStyle("head", parent=body, fontSize=12, leading=18, spaceBefore=4 * mm, spaceAfter=2 * mm)
    cell = ParagraphStyle("cell", parent=body, fontSize=9.5, leading=13)

    def para(text: str, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(text), style)

    content = notice.get("content") or {}
    story: list[Any] = [para("因公出国（境）公示情况说明", title)]
    members = "、".join(f"{m.get('name', '')}（{m.get('school', '')}，{m.get('post', '')}）"
                       for m in content.get("members") or []) or "—"
    story += [para("一、公示内容", head),
              para(f"团组成员：{members}"),
              para(f"出访国家（地区）：{'、'.join(content.get('countries') or []) or '—'}"),
              para(f"出访时间：{content.get('start_date') or '—'} 至 {content.get('end_date') or '—'}"),
              para(f"出访任务：{content.get('tasks') or '—'}"),
              para(f"邀请单位：{(content.get('inviter') or {}).get('institution') or '—'}"),
              para(f"经费来源：{content.get('funding_source') or '—'}；预算：{content.get('budget') or '—'} 元")]
    story += [para("二、公示期间", head),
              para(f"公示期：{_day(notice.get('opened_on'))} 起，{notice['working_days']} 个工作日，"
                   f"至 {_day(notice.get('ends_on'))} 止（按国家法定工作日计算，含调休）。"),
              para(f"状态：{STATUS.get(notice['status'], notice['status'])}")]
    story.append(para("三、异议及处理", head))
    if not objections:
        story.append(para("公示期间未收到异议。"))
    else:
        rows = [[para("序号", cell), para("提出时间", cell), para("异议内容", cell), para("处理结果", cell),
                 para("处理意见", cell)]]
        for number, o in enumerate(objections, start=1):
            rows.append([para(str(number), cell), para(_at(o["lodged_at"], zone), cell), para(o["text"], cell),
                         para(f"{OBJECTION.get(o['status'], o['status'])}"
                              f"{'（' + _at(o['decided_at'], zone) + '）' if o.get('decided_at') else ''}", cell),
                         para(o.get("comment") or "—", cell)])
        # splitInRow: an objection may run to 5000 characters, taller than a page (a LayoutError otherwise)
        table = Table(rows, colWidths=[12 * mm, 32 * mm, 60 * mm, 36 * mm, 40 * mm], repeatRows=1, splitInRow=1)
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, "#555555"), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        story.append(table)
    story += [para("四、公示结果", head), para(RESULT.get(notice["status"], notice["status"])),
              Spacer(1, 10 * mm), para(f"国际合作部　{_at(issued_at, zone)}")]
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, title="公示情况说明", leftMargin=18 * mm, rightMargin=18 * mm,
                      topMargin=20 * mm, bottomMargin=20 * mm).build(story)
    return out.getvalue()
