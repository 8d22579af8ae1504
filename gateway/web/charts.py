"""Charts drawn on the server as SVG: no script, no CDN, printable, and readable without colour.

A horizontal bar chart: one bar per label, its value written at the bar's end. The SVG is inline in the
page, so it uses presentation attributes only (the page's CSP allows no inline style).
"""

from __future__ import annotations

import itertools

from markupsafe import Markup, escape

WIDTH, LABEL_WIDTH, BAR_HEIGHT, GAP, VALUE_WIDTH = 760, 300, 24, 8, 60
_ids = itertools.count(1)


def _fit(label: str, limit: int = 40) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def bar_chart(title: str, bars: list[tuple[str, float]]) -> Markup:
    """An SVG bar chart of `bars` (label, value), largest scale at the largest value; empty bars draw nothing."""
    chart_id = f"chart-{next(_ids)}"
    height = max(len(bars), 1) * (BAR_HEIGHT + GAP) + GAP
    longest = max((value for _, value in bars), default=0) or 1
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'role="img" aria-labelledby="{chart_id}" data-chart="{escape(title)}">',
        f'<title id="{chart_id}">{escape(title)}</title>',
    ]
    for i, (label, value) in enumerate(bars):
        y = GAP + i * (BAR_HEIGHT + GAP)
        length = round(span * value / longest, 1)
        shown = f"{value:g}"
        parts.append(
            f'<g data-label="{escape(label)}" data-value="{shown}">'
            f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR_HEIGHT * 0.7}" text-anchor="end" font-size="14" '
            f'fill="#1d2330">{escape(_fit(label))}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length}" height="{BAR_HEIGHT}" rx="3" fill="#8a1c1c"/>'
            f'<text x="{LABEL_WIDTH + length + 6}" y="{y + BAR_HEIGHT * 0.7}" font-size="14" '
            f'fill="#1d2330">{shown}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
