"""Every fixed refusal of the passports service (a PassportError or an abort with a literal message) has its words
in Chinese: the register's pages say the service's English in the reader's language (gateway/web/passport_words.py),
and a message missing from the catalog would reach a Chinese-speaking clerk in English."""

from __future__ import annotations

import ast
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]


def _literal_messages() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "services" / "passports").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            candidates = []
            if name == "PassportError" and node.args:
                candidates.append(node.args[0])
            if name == "abort":
                candidates += [k.value for k in node.keywords if k.arg == "message"]
            found |= {c.value for c in candidates if isinstance(c, ast.Constant) and isinstance(c.value, str)}
    return found


def test_every_fixed_refusal_of_the_service_has_its_chinese_words() -> None:
    with open(ROOT / "gateway" / "translations" / "zh" / "LC_MESSAGES" / "messages.po", "rb") as f:
        translated = {m.id for m in read_po(f) if m.id and m.string}
    messages = _literal_messages()
    assert "This number cannot be opened with its key: it cannot be read." in messages
    assert sorted(messages - translated) == []
