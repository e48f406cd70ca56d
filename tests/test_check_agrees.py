"""`check` and `build` agree (issue 21, item 6): whatever makes `build` fail is reported by
`check`, with the same message, at the project's file and line, never at a page of the
site; and `check` writes nothing into the site, nor waits for a build to finish.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from demodeck import outdir, render
from demodeck.incremental import cache_files, manifest
from tests.conftest import (
    EXAMPLE_DECK,
    MINIMAL_DECK,
    REPO,
    Project,
    add_why_line,
    another_build_s_site,
    copy_examples,
    site_gone,
)

Cap = pytest.CaptureFixture[str]
Setup = Callable[[Project, pytest.MonkeyPatch], None]
DECK = "decks/2026-11-23.yaml"
PNG = (REPO / "decks/images/hebrew-search-poster.png").read_bytes()
WEBM = (REPO / "decks/recordings/hebrew-search.webm").read_bytes()
NOTHING = "error: 1 problem found; nothing was written"


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def beside_site(root: Path) -> list[str]:
    """What a build leaves beside the site while it runs: its lock, its new folder."""
    return sorted(p.name for p in root.glob(".site*"))


def template(rel: str, text: str) -> Setup:
    def setup(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
        project.write(rel, text)
    return setup


def unreadable(rel: str, data: bytes, field: str) -> Setup:
    """The deck's first demo shows the file ``rel`` (``field``: its YAML), which validation
    finds and the render cannot read (as root a chmod would not stop the read: the read
    itself fails)."""
    def setup(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
        project.write(DECK, MINIMAL_DECK.replace("    minutes: 5\n",
                                                 f"    minutes: 5\n    {field}\n"))
        path = project.write_bytes(rel, data)
        real = Path.read_bytes

        def read_bytes(self: Path) -> bytes:
            if self == path:
                raise PermissionError(13, "Permission denied", str(self))
            return real(self)

        monkeypatch.setattr(Path, "read_bytes", read_bytes)
    return setup


def output_is(make: Callable[[Path], None]) -> Setup:
    def setup(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
        make(project.root / "site")
    return setup


def foreign_site(site: Path) -> None:
    site.mkdir()
    (site / "notes.html").write_text("mine")


# Each broken project, and the first line both commands print (then NOTHING).
BROKEN: dict[str, tuple[Setup, str]] = {
    "a template syntax error": (
        template("templates/deck.html", """\
            {% extends "!theme/deck.html" %}
            {% block thanks_slide %}{% if %}{% endblock %}
            """),
        "templates/deck.html:2: template syntax error: Expected an expression, got "
        "'end of statement block'"),
    "an undefined macro": (
        template("templates/deck.html", """\
            {% extends "!theme/deck.html" %}
            {% block thanks_slide %}
            {{ thanks_macro() }}{% endblock %}
            """),
        "templates/deck.html:3: template error: 'thanks_macro' is undefined"),
    "a filter that raises": (
        template("templates/person.html", """\
            {% extends "!theme/person.html" %}
            {% block body %}
            {{ "soon" | format_date }}{% endblock %}
            """),
        "templates/person.html:3: the template failed: Invalid format specifier '%A' for "
        "object of type 'str'"),
    "a division by zero on the index": (
        template("templates/index.html", """\
            {% extends "!theme/index.html" %}
            {% block body %}

            {{ 1 / 0 }}{% endblock %}
            """),
        "templates/index.html:4: the template failed: division by zero"),
    "no retrospective slide": (
        template("templates/deck.html", """\
            {% extends "!theme/deck.html" %}
            {% block retro_slide %}{% endblock %}
            """),
        'templates/deck.html: the deck template has no element with data-slide="retro"; '
        'the retrospective slide is mandatory: keep {% block retro_slide %} (or extend '
        '"!theme/deck.html")'),
    "an include of no template": (
        template("templates/metrics.html", '{% include "charts.html" %}\n'),
        "templates/charts.html: template not found"),
    "a deck page's link to no page": (
        template("templates/deck.html", """\
            {% extends "!theme/deck.html" %}
            {% block thanks_slide %}<section class="slide" data-slide="thanks">
              <a href="../nowhere/">Next week</a></section>{% endblock %}
            """),
        "templates/deck.html:3:12: broken link '../nowhere/' on the page of "
        "decks/2026-11-23.yaml: no file nowhere/index.html in the site"),
    "a deck page's link to no slide": (
        template("templates/deck.html", """\
            {% extends "!theme/deck.html" %}
            {% block thanks_slide %}<section class="slide" data-slide="thanks">
              <a href="#no-such-slide">Back</a></section>{% endblock %}
            """),
        "templates/deck.html:3:12: broken link '#no-such-slide' on the page of "
        "decks/2026-11-23.yaml: no element with id 'no-such-slide' on the same page"),
    "an index link after {{ root }}": (
        template("templates/index.html", """\
            {% extends "!theme/index.html" %}
            {% block body %}<a href="{{ root }}2020-01-01/index.html">Old</a>{% endblock %}
            """),
        "templates/index.html:2:36: broken link '2020-01-01/index.html' on the page of "
        "index.html: no file 2020-01-01/index.html in the site"),
    "an image the render cannot read": (
        unreadable("decks/images/shot.png", PNG,
                   "screenshot: {src: images/shot.png, alt: The dashboard}"),
        "decks/2026-11-23.yaml:15:23: demos[0].screenshot.src: cannot read image "
        "'images/shot.png': Permission denied"),
    "a video the render cannot read": (
        unreadable("decks/recordings/search.webm", WEBM,
                   "video: {src: recordings/search.webm}"),
        "decks/2026-11-23.yaml:15:18: demos[0].video.src: cannot read video "
        "'recordings/search.webm': Permission denied"),
    "an output folder that is a file": (
        output_is(lambda site: site.write_text("not a folder")),
        "error: {site}: exists and is not a folder; choose another output folder"),
    "an output folder of someone else's files": (
        output_is(foreign_site),
        "error: {site}: this folder has files demodeck did not write; refusing to replace "
        "it (empty it or choose another --out)"),
}


@pytest.mark.parametrize("case", BROKEN)
def test_check_reports_what_fails_the_build_with_the_same_message(
        project: Project, monkeypatch: pytest.MonkeyPatch, case: str, capsys: Cap) -> None:
    setup, first = BROKEN[case]
    setup(project, monkeypatch)
    first = first.replace("{site}", str(project.root / "site"))
    site_before = tree(project.root / "site") if (project.root / "site").is_dir() else None
    checked = project.run("check", capsys=capsys)
    assert checked.code == 1
    assert checked.err.splitlines()[0] == first
    assert checked.err.splitlines()[-1] == NOTHING or first.startswith("error: ")
    assert "site/" not in checked.err.replace(f"{project.root}/site:", "")
    if site_before is None:
        assert not (project.root / "site").exists() or (project.root / "site").is_file()
    else:
        assert tree(project.root / "site") == site_before
    built = project.run("build", capsys=capsys)
    assert (built.code, built.err) == (1, checked.err)


def test_a_template_s_broken_link_is_reported_once_naming_every_deck_it_breaks(
        tmp_path: Path, capsys: Cap) -> None:
    project = Project(copy_examples(tmp_path / "p"))
    project.write("templates/deck.html", """\
        {% extends "!theme/deck.html" %}
        {% block thanks_slide %}<section class="slide" data-slide="thanks">
          <a href="../nowhere/">Next</a> <a href="#no-such-slide">Back</a>
        </section>{% endblock %}
        """)
    decks = "decks/2026-11-09.yaml, decks/2026-11-16 and decks/2026-11-23.yaml"
    expected = [
        f"templates/deck.html:3:12: broken link '../nowhere/' on the pages of {decks}: "
        "no file nowhere/index.html in the site",
        f"templates/deck.html:3:43: broken link '#no-such-slide' on the pages of {decks}: "
        "no element with id 'no-such-slide' on the same page",
        "error: 2 problems found; nothing was written"]
    for command in ("check", "build"):
        result = project.run(command, capsys=capsys)
        assert (result.code, result.err.splitlines()) == (1, expected), command


def test_a_link_no_line_of_a_template_writes_names_the_page_s_template(
        tmp_path: Path, capsys: Cap) -> None:
    """A link put together by expressions is named at the template of its page (the
    project's own here: the built-in one would be demodeck's bug), and a link broken on
    many pages names a few and counts the rest."""
    project = Project(copy_examples(tmp_path / "p"))
    project.write("templates/person.html", """\
        {% extends "!theme/person.html" %}
        {% block body %}<a href="{{ root }}{{ 'old' }}/">Old</a>{% endblock %}
        """)
    result = project.run("check", capsys=capsys)
    assert result.code == 1
    first = result.err.splitlines()[0]
    assert re.fullmatch(r"templates/person\.html: broken link '\.\./\.\./old/' on the pages "
                        r"of people/[a-z-]+/index\.html, people/[a-z-]+/index\.html and "
                        r"[0-9]+ more: no file old/index\.html in the site", first), first
    assert project.run("build", capsys=capsys).err == result.err


# (name, files written into the minimal project) for the agreement below
PROJECTS: list[tuple[str, dict[str, str]]] = [
    ("the minimal project", {}),
    ("a deck too long for its slide, a warning only",
     {DECK: MINIMAL_DECK.replace("why: Checkout took 9 steps.",
                                 "why: " + "Checkout took far too many steps. " * 60)}),
    ("an override that extends the theme", {"templates/deck.html": (
        '{% extends "!theme/deck.html" %}{% block thanks_slide %}<section class="slide" '
        'id="thanks" data-slide="thanks"><a href="#thanks">Thanks</a></section>'
        '{% endblock %}')}),
    ("a deck with a missing field", {DECK: MINIMAL_DECK.replace(
        "    why: Checkout took 9 steps.\n", "")}),
    ("a template syntax error", {"templates/index.html": "{% if %}"}),
    ("a broken link in the people page", {"templates/people.html": (
        '{% extends "!theme/people.html" %}{% block body %}<a href="x.html">x</a>'
        '{% endblock %}')}),
    ("a link to a demo of the deck page", {"templates/deck.html": (
        '{% extends "!theme/deck.html" %}{% block thanks_slide %}<section class="slide" '
        'id="thanks" data-slide="thanks"><a href="#search-v2">Search</a></section>'
        '{% endblock %}')}),
    ("a link to the metrics page from the index", {"templates/index.html": (
        '{% extends "!theme/index.html" %}{% block body %}'
        '<a href="{{ root }}metrics/index.html">Metrics</a>{% endblock %}')}),
]


@pytest.mark.parametrize(("name", "files"), PROJECTS, ids=[name for name, _ in PROJECTS])
def test_check_fails_exactly_when_build_fails(project: Project, name: str,
                                              files: dict[str, str], capsys: Cap) -> None:
    for rel, text in files.items():
        project.write(rel, text)
    checked = project.run("check", capsys=capsys)
    built = project.run("build", capsys=capsys)
    assert (checked.code == 0) == (built.code == 0)
    if built.code:
        assert checked.err == built.err


def test_check_writes_no_site_and_leaves_a_built_one_byte_for_byte(
        tmp_path: Path, capsys: Cap) -> None:
    project = Project(copy_examples(tmp_path / "p"))
    result = project.run("check", capsys=capsys)
    assert result.code == 0 and result.out.startswith("OK: 3 decks, ")
    assert not (project.root / "site").exists() and beside_site(project.root) == []
    assert project.run("build", capsys=capsys).code == 0
    before = tree(project.root / "site")
    stamps = {p: p.stat().st_mtime_ns for p in (project.root / "site").rglob("*")}
    (project.root / "decks/2026-11-09.yaml").write_text(
        (project.root / "decks/2026-11-09.yaml").read_text().replace("Search", "Find", 1))
    project.write("templates/index.html", '{% extends "!theme/index.html" %}'
                  '{% block body %}<a href="gone/">x</a>{% endblock %}')
    assert project.run("check", capsys=capsys).code == 1
    os.remove(project.root / "templates/index.html")
    assert project.run("check", capsys=capsys).code == 0
    assert tree(project.root / "site") == before
    assert {p: p.stat().st_mtime_ns for p in (project.root / "site").rglob("*")} == stamps
    assert beside_site(project.root) == []


def test_check_runs_while_a_build_holds_the_site(tmp_path: Path) -> None:
    """A build (or `serve`) holds the lock of site/ meanwhile: check neither waits for
    it nor says it would."""
    root = copy_examples(tmp_path / "p")
    with outdir.locked(root / "site", lambda: None):
        proc = subprocess.run([sys.executable, "-m", "demodeck", "check", "-C", str(root)],
                              capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout.startswith("OK: 3 decks, ")


def test_check_renders_only_what_changed_since_the_last_build_or_check(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Cap) -> None:
    """It uses the build cache as build does: right after a build there is nothing to
    render; after an edit, the deck edited (and the archive pages)."""
    project = Project(copy_examples(tmp_path / "p"))
    rendered: list[str] = []
    real = render.Renderer.deck_page

    def deck_page(self: render.Renderer, deck: object, *args: object,
                  **kwargs: object) -> object:
        rendered.append(deck.slug)  # type: ignore[attr-defined]
        return real(self, deck, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(render.Renderer, "deck_page", deck_page)
    assert project.run("build", "--jobs", "1", capsys=capsys).code == 0
    assert len(rendered) == 3
    rendered.clear()
    assert project.run("check", "--jobs", "1", capsys=capsys).code == 0
    assert rendered == []
    deck = project.root / "decks/2026-11-09.yaml"
    deck.write_text(deck.read_text().replace("Search", "Find", 1))
    assert project.run("check", "--jobs", "1", capsys=capsys).code == 0
    assert rendered == ["2026-11-09"]


@pytest.mark.parametrize("swap", [site_gone, another_build_s_site])
def test_check_passes_when_a_build_swaps_the_site_away_from_pages_it_would_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Cap,
        swap: Callable[[Path], None]) -> None:
    """Check keeps the pages the last build left that did not change; one whose links
    the cache no longer knows (its stores lost, its manifest kept) would be read from
    site/. A build or `serve` may swap the folder meanwhile: check renders such a page
    instead of reading it, so it passes as it would have, and says nothing of a file."""
    project = Project(copy_examples(tmp_path / "p"))
    assert project.run("build", capsys=capsys).code == 0
    for name in (cache_files.FILE, cache_files.DELTA):  # the cache's stores, not its manifest
        (project.root / ".demodeck-cache" / name).unlink(missing_ok=True)
    add_why_line(project.root / EXAMPLE_DECK, "One more reason.")
    site = project.root / "site"
    real = manifest.reusable

    def reusable(before: dict[str, Any] | None, out: Path) -> dict[str, tuple[str, Path]]:
        found = real(before, out)
        assert "index.html" in found  # a page check would keep
        swap(site)  # right after check found it there
        return found

    monkeypatch.setattr(manifest, "reusable", reusable)
    result = project.run("check", capsys=capsys)
    assert (result.code, result.err) == (0, "")
    assert result.out.startswith("OK: 3 decks, ")
