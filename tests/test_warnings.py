"""warnings.py: `build` and `serve` print every warning `check` knows; --strict fails on them."""

from __future__ import annotations

from pathlib import Path

import pytest

from demodeck.serve import Console, Preview
from tests.conftest import MINIMAL_DECK, REPO, Project
from tests.test_overflow import LONG_DEMO

DECK = "decks/2026-11-23.yaml"


def too_long(project: Project) -> str:
    """Add a demo too long for its slide; the warning's start, as `check` prints it."""
    original = (project.root / DECK).read_text(encoding="utf-8")
    project.write(DECK, original + LONG_DEMO)
    line = original.count("\n") + 1
    return (f"{DECK}:{line}:5: warning: demos[2]: 'The whole design document' has more text "
            "than its slide holds at a readable size")


def warning_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if ": warning: " in line]


def test_build_prints_the_warnings_check_prints(project: Project,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    start = too_long(project)
    checked = project.run("check", capsys=capsys)
    built = project.run("build", capsys=capsys)
    assert built.code == 0 and built.out.startswith("Built 1 deck")
    assert warning_lines(built.err)[0].startswith(start)
    assert warning_lines(built.err) == warning_lines(checked.err)
    assert (project.root / "site/2026-11-23/index.html").exists()  # a warning fails nothing


def test_an_up_to_date_build_prints_the_same_warnings_again(
        project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    too_long(project)
    first = project.run("build", capsys=capsys)
    again = project.run("build", capsys=capsys)
    assert again.code == 0 and again.out.startswith("Up to date:")
    assert warning_lines(again.err) == warning_lines(first.err) != []


def test_a_rebuild_whose_warnings_did_not_change_leaves_their_file_as_it_was(
        project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    too_long(project)
    first = project.run("build", capsys=capsys)
    saved = project.root / ".demodeck-cache/warnings.json"
    inode = saved.stat().st_ino
    project.write("decks/2026-11-30.yaml", MINIMAL_DECK)  # a deck with nothing to warn of
    second = project.run("build", capsys=capsys)
    assert second.out.startswith("Built 2 decks")
    assert saved.stat().st_ino == inode
    again = project.run("build", capsys=capsys)
    assert again.out.startswith("Up to date:")
    assert warning_lines(again.err) == warning_lines(second.err) == warning_lines(first.err)


@pytest.mark.parametrize("damage", ["removed", "not signed", "another build's"])
def test_an_up_to_date_build_whose_warnings_file_is_lost_builds_again_and_says_them(
        project: Project, capsys: pytest.CaptureFixture[str], damage: str) -> None:
    too_long(project)
    saved = project.root / ".demodeck-cache/warnings.json"
    first = project.run("build", capsys=capsys)
    older = saved.read_bytes()
    project.write("decks/2026-11-30.yaml", MINIMAL_DECK + LONG_DEMO)  # one more warning
    said = warning_lines(project.run("build", capsys=capsys).err)
    assert len(said) == len(warning_lines(first.err)) + 1
    if damage == "removed":
        saved.unlink()
    elif damage == "not signed":
        saved.write_bytes(saved.read_bytes().replace(b"whole design", b"whole DESIGN"))
    else:  # signed, but not the file the manifest names
        saved.write_bytes(older)
    again = project.run("build", capsys=capsys)
    assert again.code == 0 and again.out.startswith("Built 2 decks")
    assert warning_lines(again.err) == said
    third = project.run("build", capsys=capsys)
    assert third.out.startswith("Up to date:")
    assert warning_lines(third.err) == said


def test_a_rebuild_says_the_warnings_of_the_decks_as_they_are_now(
        project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    original = (project.root / DECK).read_text(encoding="utf-8")
    start = too_long(project)
    project.write("decks/2026-11-30.yaml", original + LONG_DEMO)
    assert len(warning_lines(project.run("build", capsys=capsys).err)) == 2
    project.write("decks/2026-11-30.yaml", original)  # mended; the other one is kept
    second = project.run("build", capsys=capsys)
    assert second.out.startswith("Built 2 decks")
    assert [line[:len(start)] for line in warning_lines(second.err)] == [start]
    assert warning_lines(project.run("check", capsys=capsys).err) == warning_lines(second.err)


def test_build_strict_fails_on_a_warning_and_leaves_the_site_as_it_was(
        project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    assert project.run("build", capsys=capsys).code == 0
    index = project.root / "site/2026-11-23/index.html"
    before = index.read_bytes()
    start = too_long(project)
    result = project.run("build", "--strict", capsys=capsys)
    assert result.code == 1
    assert result.err.startswith(start.replace("warning: ", ""))  # now an error
    assert result.err.endswith("error: 1 problem found; nothing was written\n")
    assert index.read_bytes() == before
    # nothing to do but the warning: still an error, and still nothing written
    assert project.run("build", capsys=capsys).code == 0
    after = index.read_bytes()
    assert project.run("build", "--strict", capsys=capsys).code == 1
    assert index.read_bytes() == after


def test_build_strict_without_warnings_builds(project: Project,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    result = project.run("build", "--strict", capsys=capsys)
    assert (result.code, result.err) == (0, "")


def test_a_plain_build_prints_the_same_warnings(project: Project,
                                                capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    too_long(project)
    fast = project.run("build", capsys=capsys)
    monkeypatch.setenv("DEMODECK_PLAIN", "1")
    plain = project.run("build", "--out", "plain", capsys=capsys)
    assert warning_lines(plain.err) == warning_lines(fast.err) != []


def start_preview(root: Path, *, strict: bool = False) -> tuple[Preview, list[str], list[str]]:
    said: list[str] = []
    complained: list[str] = []
    preview = Preview(root, port=0, console=Console(said.append, complained.append),
                      strict=strict)
    preview.start()
    return preview, said, complained


def test_serve_prints_the_warnings_in_the_terminal(project: Project) -> None:
    start = too_long(project)
    preview, said, complained = start_preview(project.root)
    try:
        assert complained[0].startswith(start)
        assert said[0].startswith("Built 1 deck in ") and said[0].endswith("(1 warning)")
        assert "Traceback" not in "".join(complained)
    finally:
        preview.stop()


def test_serve_strict_shows_the_warnings_as_errors(project: Project) -> None:
    start = too_long(project)
    preview, _, complained = start_preview(project.root, strict=True)
    try:
        assert complained[0].startswith(start.replace("warning: ", ""))
        assert complained[-1] == "error: 1 problem found; fix it and save; the preview will follow"
        assert preview.store.current().problems[0].startswith(start.replace("warning: ", ""))
    finally:
        preview.stop()


def test_a_build_plans_each_deck_once_and_parses_each_deck_file_once(
        project: Project, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A deck's page and its warnings come from one plan of its slides, and the warnings
    are placed (a crowded demo, a person's link that looks like a slip) from the tree
    validation parsed: no deck file is parsed a second time."""
    from demodeck import slides, yaml_tree

    project.write(DECK, MINIMAL_DECK.replace("12% of searches had a typo.",
                                            "See [dash](grafana.corp/d/1).") + LONG_DEMO)
    planned: list[str] = []
    parsed: list[str] = []
    plan, compose = slides.plan, yaml_tree.compose_yaml
    monkeypatch.setattr(slides, "plan", lambda deck, *a, **k: planned.append(deck.slug)
                        or plan(deck, *a, **k))
    monkeypatch.setattr(yaml_tree, "compose_yaml", lambda path, *a, **k: parsed.append(path)
                        or compose(path, *a, **k))
    built = project.run("build", "--jobs", "1", capsys=capsys)
    assert built.code == 0, built.err
    assert [line.split(": warning: ")[1][:16] for line in warning_lines(built.err)] == [
        "demos[0].why: 'g", "demos[2]: 'The w"]
    assert warning_lines(built.err)[1].startswith(f"{DECK}:{MINIMAL_DECK.count(chr(10)) + 1}:5:")
    assert (planned, parsed) == (["2026-11-23"], [DECK])


# The filter form of the built-in index.html, and as it was before full-text search became
# a script a year (what a project that copied the page then still has)
BUILT_IN_INDEX = (REPO / "templates/index.html").read_text(encoding="utf-8")
YEARS = 'data-search-years="{{ decks|map(attribute="date.year")|unique|join(" ") }}"'
CURRENT_FORM = ('{% if full_text_search %}data-search-index="{{ root }}search/"\n'
                f'        {YEARS} {{% endif %}}hidden>')
OLD_FORM = ('{% if full_text_search %}data-search-index="{{ root }}search-index.js" '
            '{% endif %}hidden>')
OLD_INDEX = BUILT_IN_INDEX.replace(CURRENT_FORM, OLD_FORM)
ADVICE = ('(as an older built-in index.html had it): the filter box works, but no longer '
          'searches the text of the slides; give the form data-search-index="{{ root }}search/" '
          'and data-search-years="{{ decks|map(attribute="date.year")|unique|join(" ") }}", '
          'or copy the form from the built-in templates/index.html')
NO_YEARS = "the archive's filter form has no data-search-years "
OLD_FILE = "the archive's filter form loads search-index.js, which demodeck no longer writes"
BOTH = f"{OLD_FILE}, and has no data-search-years "


def place(text: str) -> str:
    """``line:column`` of the data-search-index attribute in ``text``."""
    at = text.index("data-search-index")
    return f"{text.count(chr(10), 0, at) + 1}:{at - text.rfind(chr(10), 0, at)}"


FILTER = "<form data-filter\n      " + OLD_FORM + "</form>\n"  # a partial of the project's


# (case, the project's templates, the warning expected: where, what)
OVERRIDES: list[tuple[str, dict[str, str], str]] = [
    ("a copy of the built-in page from before search by year",
     {"templates/index.html": OLD_INDEX},
     f"templates/index.html:{place(OLD_INDEX)}: warning: {BOTH}"),
    ("the old form in a block of a page that extends the built-in one",
     {"templates/index.html": '{% extends "!theme/index.html" %}\n{% block content %}\n'
                              '  <form data-filter\n    data-search-index="{{ root }}search/"'
                              ' hidden></form>\n{% endblock %}\n'},
     f"templates/index.html:4:5: warning: {NO_YEARS}"),
    ("the old form in a template of the project's that the page includes",
     {"templates/index.html": '{% extends "!theme/index.html" %}\n'
                              '{% block content %}{% include "filter.html" %}{% endblock %}\n',
      "templates/filter.html": FILTER},
     f"templates/filter.html:{place(FILTER)}: warning: {BOTH}"),
    ("years given, but the index still at search-index.js",
     {"templates/index.html": OLD_INDEX.replace(
         "{% endif %}hidden>", YEARS + " {% endif %}hidden>", 1)},
     f"templates/index.html:{place(OLD_INDEX)}: warning: {OLD_FILE} "),
]


@pytest.mark.parametrize(("case", "files", "expected"), OVERRIDES,
                         ids=[case for case, _, _ in OVERRIDES])
def test_an_index_override_older_than_search_by_year_is_warned_of_at_its_line(
        project: Project, capsys: pytest.CaptureFixture[str], case: str,
        files: dict[str, str], expected: str) -> None:
    """Its filter box still works, but archive.js finds no years to load: full-text
    search does nothing, and nobody would know. Check and build say so, where the
    attribute is written and what to write instead; --strict fails on it."""
    for rel, text in files.items():
        project.write(rel, text)
    checked = project.run("check", capsys=capsys)
    assert checked.code == 0 and checked.out.endswith(", 1 warning\n")
    assert checked.err.splitlines() == [expected + ADVICE]
    built = project.run("build", capsys=capsys)
    assert (built.code, built.err) == (0, checked.err)
    assert project.run("build", capsys=capsys).err == checked.err  # up to date: said again
    assert project.run("check", "--strict", capsys=capsys).code == 1
    before = project.site().encode()
    strict = project.run("build", "--strict", capsys=capsys)
    assert strict.code == 1
    assert strict.err.splitlines()[0] == (expected + ADVICE).replace("warning: ", "")
    assert project.site().encode() == before


@pytest.mark.parametrize("files", [
    {},  # the built-in theme
    {"templates/index.html": BUILT_IN_INDEX},  # a copy of today's page
    {"templates/index.html": '{% extends "!theme/index.html" %}\n'
                             '{% block masthead %}<h1>Ours</h1>{% endblock %}\n'},
    {"templates/index.html": '{% extends "!theme/index.html" %}\n'  # no full-text search
                             '{% block content %}<ol id="decks"></ol>{% endblock %}\n'},
], ids=["the built-in theme", "a current copy", "a block of the built-in page",
        "a page without the form"])
def test_an_index_page_whose_search_works_is_not_warned_of(
        project: Project, capsys: pytest.CaptureFixture[str], files: dict[str, str]) -> None:
    for rel, text in files.items():
        project.write(rel, text)
    for command in ("check", "build"):
        result = project.run(command, "--strict", capsys=capsys)
        assert (result.code, result.err) == (0, ""), command
