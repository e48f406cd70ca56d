"""A user's mistake or a bad day on the machine is a plain message naming the place, never
an "internal error": templates that fail or call themselves, folders that cannot be read,
template links that leave the project, a port that is not one, settings out of place."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from demodeck import pool, render
from demodeck.cli import main
from demodeck.errors import UsageError
from demodeck.serve import bind
from tests.conftest import REPO, Project, copy_examples

Cap = pytest.CaptureFixture[str]
NOTHING_WRITTEN = "error: 1 problem found; nothing was written"


@pytest.fixture
def examples(tmp_path: Path) -> Project:
    """A project with the example decks: two deck files and a deck folder."""
    root = tmp_path / "proj"
    root.mkdir()
    return Project(copy_examples(root))


def assert_plain(err: str) -> None:
    assert "internal error" not in err and "Traceback" not in err, err


# -- templates are code: links out of the project are refused ------------------------------

THEME_DECK = (REPO / "templates/deck.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(("link", "what"), [
    ("templates/deck.html", "file"),
    ("templates/static/deck.css", "file"),
    ("templates/partials", "folder"),
    ("templates", "folder"),
])
@pytest.mark.parametrize("command", ["build", "export"])
def test_a_template_link_out_of_the_project_is_refused(examples: Project, tmp_path: Path,
                                                       link: str, what: str, command: str,
                                                       capsys: Cap) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "deck.html").write_text(THEME_DECK)  # a working template: only the link is wrong
    (outside / "deck.css").write_text("body { color: red }")
    path = examples.root / link
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(outside if what == "folder" else outside / path.name,
                    target_is_directory=what == "folder")
    out = ["-o", str(tmp_path / "deck.html")] if command == "export" else []
    result = examples.run(command, *out, capsys=capsys)
    assert result.code == 1
    assert result.err.splitlines() == [
        f"{link}: is a link to a {what} outside the project; templates are code: "
        f"copy the {what} into the project instead", NOTHING_WRITTEN]
    assert not (examples.root / "site").exists() and not (tmp_path / "deck.html").exists()


def test_a_template_link_that_loops_is_refused(examples: Project, capsys: Cap) -> None:
    (examples.root / "templates").mkdir()
    (examples.root / "templates/deck.html").symlink_to(examples.root / "templates/deck.html")
    result = examples.run("build", capsys=capsys)
    assert result.code == 1
    assert result.err.splitlines() == [
        "templates/deck.html: is a symbolic link that loops", NOTHING_WRITTEN]


def test_a_template_linked_from_inside_the_project_is_used(examples: Project,
                                                           capsys: Cap) -> None:
    examples.write("shared/deck.html", THEME_DECK.replace('{% block body %}',
                                                          '{% block body %}<!-- shared -->'))
    (examples.root / "templates").mkdir()
    (examples.root / "templates/deck.html").symlink_to(examples.root / "shared/deck.html")
    assert examples.run("build", capsys=capsys).code == 0
    assert "<!-- shared -->" in examples.site("2026-11-23/index.html")


# -- a template that fails while it renders ------------------------------------------------

EXTENDS = '{% extends "!theme/deck.html" %}\n'
CALLS_ITSELF = ("the template calls itself without end (a macro, {% include %} or "
                "{% extends %} that leads back to itself)")
TEMPLATE_FAILURES = {
    "division by zero": ("templates/deck.html", EXTENDS
                         + "{% block retro_slide %}{{ super() }}\n{{ 1/0 }}{% endblock %}\n",
                         "templates/deck.html:3: the template failed: division by zero"),
    "a macro calling itself": ("templates/deck.html", EXTENDS
                               + "{% macro again(n) %}{{ again(n + 1) }}{% endmacro %}\n"
                               "{% block retro_slide %}{{ super() }}{{ again(1) }}{% endblock %}\n",
                               f"templates/deck.html:2: {CALLS_ITSELF}"),
    "a template including itself": ("templates/deck.html", '{% include "deck.html" %}\n',
                                    f"templates/deck.html:1: {CALLS_ITSELF}"),
    "a template extending itself": ("templates/deck.html", '{% extends "deck.html" %}\n',
                                    f"templates/deck.html:1: {CALLS_ITSELF}"),
    "an archive page dividing by zero": ("templates/index.html",
                                         '{% extends "!theme/index.html" %}\n'
                                         "{% block masthead %}{{ 1/0 }}{% endblock %}\n",
                                         "templates/index.html:2: the template failed: "
                                         "division by zero"),
}


@pytest.mark.parametrize("jobs", [[], ["--jobs", "1"], ["--jobs", "2"]],
                         ids=["default jobs", "one job", "two jobs"])
@pytest.mark.parametrize("case", TEMPLATE_FAILURES)
def test_a_failing_template_is_named_with_its_line(examples: Project, case: str,
                                                   jobs: list[str], capsys: Cap,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Deck pages may render in worker processes: the problem comes back as a message."""
    monkeypatch.setattr(pool, "PARALLEL_MIN", 1)  # three decks are enough to fork
    name, text, expected = TEMPLATE_FAILURES[case]
    examples.write(name, text)
    result = examples.run("build", *jobs, capsys=capsys)
    assert result.code == 1
    assert result.err.splitlines() == [expected, NOTHING_WRITTEN]
    assert not (examples.root / "site").exists()


def test_export_names_the_failing_template(examples: Project, capsys: Cap) -> None:
    name, text, expected = TEMPLATE_FAILURES["division by zero"]
    examples.write(name, text)
    result = examples.run("export", "-o", str(examples.root / "deck.html"), capsys=capsys)
    assert result.code == 1
    assert result.err.splitlines() == [expected, NOTHING_WRITTEN]
    assert not (examples.root / "deck.html").exists()


def test_a_bug_in_demodeck_is_not_blamed_on_the_theme(examples: Project, capsys: Cap,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the project's own templates/ can be at fault; with none, a failure is ours."""
    def broken(day: Any) -> str:
        raise ValueError("a bug")

    monkeypatch.setattr(render, "format_date", broken)
    result = examples.run("build", "--jobs", "1", capsys=capsys)
    assert result.code == 1
    assert result.err.startswith("internal error: ValueError: a bug\n")


