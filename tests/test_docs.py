"""Docs are tested like code: every ``storyline COMMAND --option`` and ``make TARGET`` that README.md
and docs/*.md name must exist, README stays a door (at most 150 lines), and every page it links to
is there."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from storyline.cli import main

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
#: `storyline ...` inside a code span, or on a line of a fenced block (after an optional "$ ").
_SPAN = re.compile(r"`([^`\n]*)`")
_COMMAND = re.compile(r"(?:^|[\s$(])storyline((?:\s+[^\s|#`]+)*)")
_MAKE = re.compile(r"(?:^|[\s`])make\s+([a-z][\w-]*)")


def _code(text: str) -> list[str]:
    """Code spans and the lines of fenced blocks."""
    pieces, fenced = [], False
    for line in text.splitlines():
        if line.strip().startswith("```"):
            fenced = not fenced
            continue
        if fenced:
            pieces.append(line)
        else:
            pieces += _SPAN.findall(line)
    return pieces


def _invocations() -> list[tuple[str, list[str]]]:
    found = []
    for page in PAGES:
        for piece in _code(page.read_text(encoding="utf-8")):
            for match in _COMMAND.finditer(piece):
                words = match.group(1).split()
                if words and words[0] != "import":  # "from storyline import Pipeline" is Python
                    found.append((page.name, words))
    return found


def _resolve(words: list[str]) -> tuple[click.Command, list[str]] | None:
    """The command the words name and the words after it; None for a placeholder (COMMAND)."""
    command: click.Command = main
    rest = list(words)
    while isinstance(command, click.Group) and rest and not rest[0].startswith("-"):
        if rest[0].isupper() or not re.fullmatch(r"[a-z][\w-]*", rest[0]):
            return None
        sub = command.get_command(click.Context(command), rest[0])
        assert sub is not None, f"no command 'storyline {' '.join(words[:len(words) - len(rest) + 1])}'"
        command, rest = sub, rest[1:]
    return command, rest


def _options(command: click.Command) -> set[str]:
    names = {"--help", "-h"}
    for param in command.params:
        names.update(getattr(param, "opts", []))
        names.update(getattr(param, "secondary_opts", []))
    return names


@pytest.mark.parametrize(("page", "words"), _invocations(), ids=lambda v: v if isinstance(v, str) else " ".join(v))
def test_docs_name_only_commands_and_options_that_exist(page: str, words: list[str]) -> None:
    resolved = _resolve(words)
    if resolved is None:
        return
    command, rest = resolved
    for word in rest:
        option = word.split("=", 1)[0].rstrip(".,;:)]")
        if re.fullmatch(r"--?[a-z][\w-]*", option):
            assert option in _options(command), f"{page}: 'storyline {' '.join(words)}' names {option}"


def test_docs_name_commands_at_all() -> None:
    named = {" ".join(w[:1]) for _, w in _invocations()}
    assert {"ingest", "serve", "similar", "search", "events"} <= named


def test_docs_name_only_make_targets_that_exist() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][\w-]*):", makefile, flags=re.MULTILINE))
    for page in PAGES:
        for piece in _code(page.read_text(encoding="utf-8")):
            for target in _MAKE.findall(piece):
                assert target in targets, f"{page.name} names 'make {target}'"


def test_readme_is_a_door_and_its_links_resolve() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 150
    first = [line for line in readme.splitlines()[:8] if line.startswith("make ")]
    assert [line.split()[1] for line in first] == ["demo", "test"]  # the two commands, first
    for page in PAGES:
        for link in re.findall(r"\]\(([^)#]+\.md)\)", page.read_text(encoding="utf-8")):
            assert (page.parent / link).is_file(), f"{page.name} links to {link}"
