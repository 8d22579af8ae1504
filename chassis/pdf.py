"""What every PDF the services make needs: the CJK font, embedded (the 任务批件, the passport hand-out slip).

Without the font file no document can be made: FontMissing says which package to install, and a service answers
it with 503 (`install(app)`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from chassis.errors import problem

FONT_PACKAGE = "fonts-wqy-microhei"  # Debian/Ubuntu: /usr/share/fonts/truetype/wqy/wqy-microhei.ttc


class FontMissing(RuntimeError):
    """The PDF font file is not there (HTTP 503: the operator installs it or points MOBILITY_PDF_FONT at one)."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"The font for PDF documents ({path}) is not installed: install the package {FONT_PACKAGE} "
            "(apt-get install fonts-wqy-microhei), or set MOBILITY_PDF_FONT to a TrueType font with Chinese glyphs."
        )


def register_font(path: Path) -> str:
    """Register the TrueType font at `path` once per process (a .ttc: its first face) and return its name."""
    if not path.is_file():
        raise FontMissing(path)
    name = f"MobilityCJK-{hashlib.sha256(str(path).encode()).hexdigest()[:12]}"
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(name, str(path), subfontIndex=0))
    return name


def install(app: Flask) -> None:
    """A document asked for without its font answers 503 with the remedy."""
    app.register_error_handler(FontMissing, lambda exc: problem(503, "Service Unavailable", str(exc)))
