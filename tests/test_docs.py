"""The README stays a user's guide of bounded length, and every relative link of the documentation leads somewhere."""

from __future__ import annotations

from pathlib import Path
import re
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).parents[1]
README = ROOT / "README.md"
README_MAX_LINES = 300
DOCUMENTS = (README, *sorted((ROOT / "docs").glob("*.md")))

FENCE = re.compile(r"^\s*(```|~~~)")
INLINE_CODE = re.compile(r"`[^`]*`")
LINK = re.compile(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def prose_lines(text: str) -> list[str]:
    """Return the lines of a Markdown text outside fenced code blocks."""
    lines: list[str] = []
    fenced = False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


def anchors(path: Path) -> set[str]:
    """Return the anchors GitHub gives the headings of a Markdown file."""
    seen: dict[str, int] = {}
    result: set[str] = set()
    for line in prose_lines(path.read_text(encoding="utf-8")):
        match = HEADING.match(line)
        if match is None:
            continue
        title = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", match.group(1))
        slug = re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        result.add(slug if count == 0 else f"{slug}-{count}")
    return result


def relative_links(path: Path) -> list[str]:
    """Return the targets of the relative links of a Markdown file (code spans and blocks left out)."""
    targets: list[str] = []
    for line in prose_lines(path.read_text(encoding="utf-8")):
        targets.extend(
            target
            for target in LINK.findall(INLINE_CODE.sub("", line))
            if not EXTERNAL.match(target)
        )
    return targets


def test_readme_is_at_most_300_lines() -> None:
    """README.md is the user's guide: reference material lives under docs/."""
    lines = README.read_text(encoding="utf-8").count("\n")
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines"


def test_readme_gives_scripts_develop_first() -> None:
    """The first command a reader meets is `scripts/develop`."""
    text = README.read_text(encoding="utf-8")
    first_block = text.split("```", 2)[1]
    commands = [line for line in first_block.splitlines()[1:] if line.strip()]
    assert commands[0].startswith("scripts/develop")
    assert any(line.startswith("scripts/test") for line in commands)


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_relative_links_lead_to_files_and_headings(document: Path) -> None:
    """Every relative link of README.md and docs/*.md names a file that exists, and a heading of it if it says one."""
    broken: list[str] = []
    targets = relative_links(document)
    for target in targets:
        file_part, _, anchor = target.partition("#")
        destination = (
            (document.parent / unquote(file_part)).resolve() if file_part else document
        )
        if not destination.exists():
            broken.append(f"{target}: no such file")
        elif anchor and destination.suffix == ".md":
            if anchor not in anchors(destination):
                broken.append(f"{target}: no such heading")
    assert not broken, f"{document.name}: {broken}"


def test_the_link_checker_sees_links() -> None:
    """The checks above read the links they are meant to: README.md links into docs/ and docs/ back to files."""
    readme_targets = relative_links(README)
    assert "docs/development.md" in readme_targets
    assert any(
        target.startswith("docs/") and "#" not in target for target in readme_targets
    )
    assert any(
        target.startswith("../")
        for document in DOCUMENTS[1:]
        for target in relative_links(document)
    )
    assert "## Setting it up" in README.read_text(encoding="utf-8")
    assert "setting-it-up" in anchors(README)
