"""Every relative link and every anchor in README.md, CHANGELOG.md and docs/*.md leads somewhere.

A link is checked when it is a Markdown link `[text](target)` outside code (fenced blocks and inline code
spans are skipped) whose target is not an absolute URL (`http:`, `https:`, `mailto:`): its file (relative to
the page) must exist, and its `#fragment`, if any, must be the slug of a heading in that file. Slugs are
GitHub's: the heading's text as rendered, lowercased, punctuation removed except `-` and `_`, spaces to `-`,
Chinese characters kept; a repeated heading gets `-1`, `-2`, ... An explicit `<a id="...">` or
`<a name="...">` is an anchor too.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
INLINE_CODE = re.compile(r"(`+)(.+?)\1")
LINK = re.compile(r"(?<!\!)\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
IMAGE = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HTML_ANCHOR = re.compile(r"<a\s+(?:id|name)=\"([^\"]+)\"", re.IGNORECASE)
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def pages(root: Path = ROOT) -> list[Path]:
    """The pages whose links are checked."""
    found = [root / "README.md", root / "CHANGELOG.md", *sorted((root / "docs").glob("*.md"))]
    return [p for p in found if p.is_file()]


def _prose_lines(text: str) -> list[str]:
    """The lines outside fenced code blocks (those inside come back empty, so numbering is kept)."""
    lines, fenced = [], None
    for line in text.splitlines():
        match = FENCE.match(line)
        if fenced is None and match:
            fenced = match.group(1)
            lines.append("")
        elif fenced is not None:
            if line.strip().startswith(fenced):
                fenced = None
            lines.append("")
        else:
            lines.append(line)
    return lines


def _rendered(heading: str) -> str:
    """A heading's text as GitHub renders it: inline code's content, links' text, no emphasis or HTML."""
    text = INLINE_CODE.sub(lambda m: m.group(2).strip(), heading)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<[^>]+>", "", text)
    return re.sub(r"(\*\*|__|\*|(?<!\w)_(?!\w))", "", text)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading (before duplicates are numbered)."""
    text = _rendered(heading).strip().lower()
    kept = []
    for char in text:
        if char in "-_ " or unicodedata.category(char)[0] in "LNM":
            kept.append(char)
    return "".join(kept).replace(" ", "-")


def anchors(text: str) -> set[str]:
    """Every anchor a page offers: its headings' slugs, numbered when repeated, and explicit HTML anchors."""
    seen: dict[str, int] = {}
    found: set[str] = set()
    for line in _prose_lines(text):
        heading = HEADING.match(line)
        if heading:
            base = slug(heading.group(2))
            count = seen.get(base, 0)
            found.add(base if count == 0 else f"{base}-{count}")
            seen[base] = count + 1
        found.update(HTML_ANCHOR.findall(line))
    return found


def links(text: str) -> list[tuple[int, str]]:
    """(line number, target) of every link and image outside code."""
    found = []
    for number, line in enumerate(_prose_lines(text), start=1):
        line = INLINE_CODE.sub("", line)
        for pattern in (LINK, IMAGE):
            found.extend((number, m.group(1)) for m in pattern.finditer(line))
    return found


def broken_links(page: Path) -> list[str]:
    """What is wrong with one page's links, one sentence each; empty when every link resolves."""
    problems = []
    for number, target in links(page.read_text(encoding="utf-8")):
        if EXTERNAL.match(target):
            continue
        path_part, _, fragment = target.partition("#")
        destination = (page.parent / path_part).resolve() if path_part else page
        where = f"{page.name}:{number}: {target}"
        if not destination.exists():
            problems.append(f"{where}: no file {path_part}")
            continue
        if fragment:
            if destination.is_dir() or destination.suffix.lower() != ".md":
                problems.append(f"{where}: an anchor into a file that has no headings")
            elif fragment not in anchors(destination.read_text(encoding="utf-8")):
                problems.append(f"{where}: no heading #{fragment} in {destination.name}")
    return problems


def test_every_link_and_anchor_in_the_docs_resolves() -> None:
    checked = pages()
    assert ROOT / "README.md" in checked and len(checked) > 3
    problems = [problem for page in checked for problem in broken_links(page)]
    assert problems == [], "\n".join(problems)


def test_slugs_follow_github() -> None:
    assert slug("Running on one machine: `mobility up`") == "running-on-one-machine-mobility-up"
    assert slug("1. Bind your own queue on `mobility.events`") == "1-bind-your-own-queue-on-mobilityevents"
    assert slug("Sign-in: lockout and rate limits") == "sign-in-lockout-and-rate-limits"
    assert slug("The `application.*` events") == "the-application-events"
    assert slug("审核：认领、批准、退回与拒绝") == "审核认领批准退回与拒绝"
    assert slug("MOBILITY_VAR_DIR and **bold**") == "mobility_var_dir-and-bold"
    assert slug("Single sign-on (OpenID Connect)") == "single-sign-on-openid-connect"


def test_repeated_headings_are_numbered_and_code_is_skipped() -> None:
    text = "# A\n## Notes\n## Notes\n```\n## Not a heading\n```\n## Notes\n"
    assert anchors(text) == {"a", "notes", "notes-1", "notes-2"}
    assert links("see `[x](nowhere.md)` and\n```\n[y](gone.md)\n```\n[z](here.md#a)\n") == [(5, "here.md#a")]


def test_the_checker_finds_a_planted_broken_link(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "README.md").write_text(
        "# Readme\n\n[guide](docs/guide.md#install) [missing](docs/missing.md) "
        "[bad anchor](docs/guide.md#nowhere) [web](https://example.org/#x) [self](#readme)\n",
        encoding="utf-8")
    (tmp_path / "docs" / "guide.md").write_text(
        "# Guide\n\n## Install\n\n[back](../README.md#readme) [gone](#install-1) [dup](#faq-1)\n\n"
        "## FAQ\n\n## FAQ\n", encoding="utf-8")
    assert pages(tmp_path) == [tmp_path / "README.md", tmp_path / "docs" / "guide.md"]
    assert broken_links(tmp_path / "README.md") == [
        "README.md:3: docs/missing.md: no file docs/missing.md",
        "README.md:3: docs/guide.md#nowhere: no heading #nowhere in guide.md"]
    assert broken_links(tmp_path / "docs" / "guide.md") == [
        "guide.md:5: #install-1: no heading #install-1 in guide.md"]
