"""Every page text has a Chinese translation, the compiled catalog matches its source, and placeholders survive."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "gateway" / "translations" / "zh" / "LC_MESSAGES"


def _po() -> dict[str, str]:
    with open(CATALOG / "messages.po", "rb") as f:
        return {m.id: m.string for m in read_po(f) if m.id}


def test_every_text_in_the_code_and_templates_is_translated(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
                    "-k", "lazy_gettext", "-k", "_l", "-o", str(pot), "."],
                   cwd=ROOT, check=True, capture_output=True)
    with open(pot, "rb") as f:
        wanted = {m.id for m in read_po(f) if m.id}
    translated = {k for k, v in _po().items() if v}
    assert wanted - translated == set(), "run `make translations` and translate the new texts"


def test_the_compiled_catalog_is_current() -> None:
    with open(CATALOG / "messages.mo", "rb") as f:
        compiled = {m.id: m.string for m in read_mo(f) if m.id}
    assert compiled == {k: v for k, v in _po().items() if v}, "run `make translations` (pybabel compile)"


def test_placeholders_are_kept() -> None:
    for msgid, msgstr in _po().items():
        assert sorted(re.findall(r"%\(\w+\)\w", msgid)) == sorted(re.findall(r"%\(\w+\)\w", msgstr)), msgid
