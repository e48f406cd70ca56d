"""slides.py: the slides a deck page shows, planned at build time (issue 22).

What the plan decides (a demo's layout, the agenda on slides of its own, the
retrospective over several slides) and what the built HTML, the counts and the
warnings of check, build and serve say about it. That the slides then read at the
floor in Chromium is tested in test_slides_browser.py.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag
from hypothesis import given, settings
from hypothesis import strategies as st

from demodeck import model, sizes, slides
from demodeck.config import load_config
from demodeck.pipeline import validate_all
from demodeck.serve import Console, Preview
from tests.conftest import MINIMAL_DECK, Project
from tests.test_overflow import LONG_DEMO

REPO = Path(__file__).resolve().parent.parent
DENSE = REPO / "tests/fixtures/dense"
SENTENCE = "Every sentence here is a reason this matters to our customers."
Cap = pytest.CaptureFixture[str]


def dense_project(root: Path) -> Path:
    """A project holding the fifteen-demo deck (and the week before it), with images."""
    shutil.copytree(DENSE / "decks", root / "decks")
    shutil.copytree(REPO / "decks/images", root / "decks/images")
    return root


def text(node: Tag) -> str:
    return " ".join(node.get_text(" ").split())


@pytest.fixture(scope="module")
def dense(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BeautifulSoup]:
    root = dense_project(tmp_path_factory.mktemp("dense"))
    from demodeck.cli import main

    assert main(["build", "-C", str(root), "--no-cache"]) == 0
    page = (root / "site/2026-11-30/index.html").read_text(encoding="utf-8")
    return root, BeautifulSoup(page, "html.parser")


def test_a_long_retrospective_continues_on_further_slides(
        dense: tuple[Path, BeautifulSoup]) -> None:
    """Fifteen demos' could_be_better at a readable size take four slides: each demo's
    card once and in order, the deck's own cards together on the last, each slide
    marked for tools and numbered in its heading."""
    root, page = dense
    parts = page.select('[data-slide="retro"], [data-slide="retro-part"]')
    assert [p["id"] for p in parts] == ["retro", "retro-2", "retro-3", "retro-4"]
    assert [p["data-slide"] for p in parts] == ["retro"] + ["retro-part"] * 3
    assert [(p["data-part"], p["data-parts"]) for p in parts] == [
        ("1", "4"), ("2", "4"), ("3", "4"), ("4", "4")]
    assert [text(p.select_one("h2")) for p in parts] == [
        f"What could we have done better? ({n}/4)" for n in range(1, 5)]
    deck = validate_all(load_config(root))[0]
    cards = [text(h) for p in parts for h in p.select(".card--demo h3")]
    assert cards == [d.title for d in deck.demos]
    last = parts[-1]
    assert [h.get_text() for h in last.select(".card h3")] == [
        "Following up", "Across the team", "What went well", "Actions"]
    assert "likely cause column as experimental" in text(last)
    assert text(page.select_one(".counter-total")) == "25"


def test_the_agenda_of_fifteen_demos_gets_a_slide_of_its_own(
        dense: tuple[Path, BeautifulSoup]) -> None:
    """Beside the title it would crowd into narrow columns: on a slide of its own it
    takes the width, in three columns, with its total."""
    _, page = dense
    title = page.select_one('[data-slide="title"]')
    assert title.select_one(".agenda") is None
    agenda = page.select_one('[data-slide="agenda"]')
    assert agenda["id"] == "agenda" and agenda.find_previous_sibling("section") is title
    assert "agenda--cols-3" in agenda.select_one("nav.agenda")["class"]
    assert len(agenda.select("li")) == 15
    assert "15 demos · 67 min in total" in text(agenda)
    assert page.select('[data-slide="agenda-part"]') == []


def test_an_agenda_too_long_for_one_slide_continues_numbered_on(project: Project,
                                                                capsys: Cap) -> None:
    demo = ("  - {title: 'A demo with a title long enough to wrap onto a second line of "
            "the agenda NN', people: [Ada Lovelace, Grace Hopper], features: [x], why: y, "
            "could_be_better: z, minutes: 3}\n")
    project.write("decks/2026-11-23.yaml", "demos:\n" + "".join(
        demo.replace("NN", str(n)) for n in range(40)))
    assert project.run("build", capsys=capsys).code == 0
    page = BeautifulSoup(project.site("2026-11-23/index.html"), "html.parser")
    parts = page.select('[data-slide="agenda"], [data-slide="agenda-part"]')
    assert [p["id"] for p in parts][:2] == ["agenda", "agenda-2"]
    numbers = [len(p.select("li")) for p in parts]
    assert sum(numbers) == 40 and max(numbers) - min(numbers) <= 1  # evened out
    lists = [p.select_one("ol") for p in parts]
    assert lists[0].get("start") is None
    assert lists[1]["start"] == str(numbers[0] + 1)
    assert lists[1]["style"] == f"counter-reset: agenda {numbers[0]}"
    assert [p.select_one(".agenda-total") is not None for p in parts] == [False] * (
        len(parts) - 1) + [True]


def test_a_long_why_and_wide_code_go_across_the_slide(dense: tuple[Path, BeautifulSoup]
                                                      ) -> None:
    _, page = dense
    layouts = {s["id"]: "wide-why" in s["class"] for s in page.select('[data-slide="demo"]')}
    assert layouts["checkout-under-800-ms-on-4g"]  # a long why
    assert layouts["a-deploy-preview-for-every-pull-request"]  # a long line of code
    assert not layouts["dark-mode-in-pantry-ui"]  # short: beside the features
    assert sum(layouts.values()) < len(layouts) / 2


def test_without_javascript_every_part_is_in_the_page(dense: tuple[Path, BeautifulSoup]
                                                      ) -> None:
    """The parts are made at build time: the page without its script, as a printer or a
    reader without JavaScript sees it, holds every slide the counter counts."""
    _, page = dense
    sections = page.select("main.deck > section.slide")
    assert len(sections) == int(text(page.select_one(".counter-total")))
    assert len({s["id"] for s in sections}) == len(sections)


def test_a_short_deck_keeps_one_retro_slide_and_the_agenda_beside_the_title(
        project: Project, capsys: Cap) -> None:
    assert project.run("build", capsys=capsys).code == 0
    page = BeautifulSoup(project.site("2026-11-23/index.html"), "html.parser")
    retro = page.select_one('[data-slide="retro"]')
    assert page.select('[data-slide="retro-part"], [data-slide="agenda"]') == []
    assert retro["data-parts"] == "1" and text(retro.select_one("h2")) == (
        "What could we have done better?")
    assert page.select_one('[data-slide="title"] .agenda') is not None


def test_the_plan_matches_the_models_slides_when_nothing_continues() -> None:
    deck = validate_all(load_config(REPO))[-1]  # the oldest: no deck before it
    planned = slides.plan(deck, (), sizes.builtin())
    assert [s.id for s in planned.slides if s.kind != "retro"] == [
        s.id for s in deck.slides if s.kind != "retro"]
    assert slides.count(deck, ()) == len(planned.slides)


def test_packing_evens_out_the_slides() -> None:
    heights = [3.0, 3.0, 3.0, 3.0, 3.0]
    assert slides.pack(5, lambda i, j: sum(heights[i:j]), 12.0) == [range(0, 3),
                                                                      range(3, 5)]
    assert slides.pack(1, lambda i, j: 99.0, 12.0) == [range(0, 1)]  # too tall: alone


def test_balanced_columns_are_as_low_as_unbroken_blocks_allow() -> None:
    assert slides.balanced([2.0, 2.0, 2.0], 3) == 2.0
    assert slides.balanced([2.0, 2.0, 2.0, 2.0], 3, margin=0.5) == pytest.approx(5.0, abs=0.02)
    assert slides.balanced([5.0, 1.0, 1.0], 2) == 5.0
    assert slides.balanced([1.0, 1.0], 1, margin=0.5) == 3.0



def _balanced(heights: list[float], columns: int, margin: float) -> float:
    """balanced() as slides.py first wrote it: the rule packing.py keeps."""
    total = sum(heights) + margin * len(heights)

    def fits(limit: float) -> bool:
        count, used = 1, 0.0
        for h in heights:
            if used and used + margin + h > limit:
                count, used = count + 1, 0.0
            used += (margin if used else 0.0) + h
        return count <= columns and used + margin <= limit

    lo, hi = max(heights), total
    if columns <= 1 or fits(lo):
        return total if columns <= 1 else lo
    while hi - lo > 0.01:
        mid = (lo + hi) / 2
        if fits(mid):
            hi = mid
        else:
            lo = mid
    return hi


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.floats(0.5, 20.0), st.sampled_from([1.0, 2.0, 2.5])),
                min_size=1, max_size=14),
       st.integers(1, 4), st.sampled_from([0.0, 0.5, 0.8, 1.0]))
def test_balanced_columns_are_as_high_as_the_plain_rule_finds(
        heights: list[float], columns: int, margin: float) -> None:
    """balanced() stops filling columns at the first one too many, and answers a limit
    within the range it last filled them the same way at without filling them again:
    the same height, to the bit, as filling them at every limit."""
    assert slides.balanced(heights, columns, margin) == _balanced(heights, columns, margin)


def test_a_demo_titled_retro_2_does_not_take_a_retrospective_slides_id() -> None:
    assert model.unique_slugs(["Retro 2", "Retro", "Agenda 3", "Retro"]) == [
        "retro-2-2", "retro-demo", "agenda-3-2", "retro-demo-2"]


# -- warnings ----------------------------------------------------------------------------------

def test_build_warns_about_the_slides_that_cannot_keep_the_floor_as_check_does(
        project: Project, capsys: Cap) -> None:
    project.write("decks/2026-11-23.yaml", MINIMAL_DECK + LONG_DEMO)
    checked = project.run("check", capsys=capsys)
    result = project.run("build", capsys=capsys)
    assert result.code == 0  # a warning, not an error
    assert "'The whole design document' has more text than its slide holds" in result.err
    assert result.err == checked.err
    assert result.out.startswith("Built 1 deck, 6 slides, ")
    assert project.run("build", capsys=capsys).err == checked.err  # every build says it


def test_check_warns_about_a_could_be_better_too_long_for_a_slide(project: Project,
                                                                  capsys: Cap) -> None:
    long = textwrap.indent(chr(10).join([SENTENCE * 4] * 9), " " * 6)
    project.write("decks/2026-11-23.yaml", MINIMAL_DECK.replace(
        "    could_be_better: Load testing came late.\n",
        f"    could_be_better: |\n{long}\n"))
    result = project.run("check", capsys=capsys)
    assert result.code == 0
    assert result.err.startswith(
        "decks/2026-11-23.yaml:15:5: warning: demos[1].could_be_better: the could_be_better "
        "of 'Faster checkout' has more text than a slide of the retrospective holds at a "
        "readable size: its body text will be shrunk to about "), result.err
    assert result.err.endswith("; shorten it\n")


def test_the_preview_warns_about_slides_under_the_floor(project: Project,
                                                      capsys: Cap) -> None:
    project.write("decks/2026-11-23.yaml", MINIMAL_DECK + LONG_DEMO)
    checked = project.run("check", capsys=capsys).err.splitlines()
    said: list[str] = []
    complained: list[str] = []
    preview = Preview(project.root, port=0, console=Console(said.append, complained.append))
    preview.start()
    try:
        assert complained == checked != []
        assert said and said[-1].startswith("Built 1 deck")
    finally:
        preview.stop()


def test_counts_agree_between_check_build_export_and_the_page(
        dense: tuple[Path, BeautifulSoup], capsys: Cap) -> None:
    root, page = dense
    project = Project(root)
    counted = int(text(page.select_one(".counter-total")))
    checked = project.run("check", capsys=capsys).out
    assert checked == f"OK: 2 decks, {counted + 4} slides, no problems\n"  # + the week before
    built = project.run("build", capsys=capsys).out
    assert f"2 decks, {counted + 4} slides" in built
    exported = project.run("export", "2026-11-30", "-o", str(root / "x.html"), capsys=capsys)
    assert f", {counted} slides, self-contained" in exported.out


def test_a_projects_own_retro_and_title_blocks_get_the_whole_retro_and_agenda(
        tmp_path: Path, capsys: Cap) -> None:
    """A deck.html written before slides continued shows the whole retrospective (and the
    agenda) on one slide, as it did: the build neither fails on several data-slide="retro"
    nor shows the agenda twice. One written for parts gets them."""
    root = dense_project(tmp_path / "p")
    old_style = """\
        {% extends "!theme/deck.html" %}
        {% block title_slide %}<section class="slide" id="title" data-slide="title">
          <h1>{{ deck.title }}</h1>{% for d in deck.demos %}<p>{{ d.title }}</p>{% endfor %}
        </section>{% endblock %}
        {% block retro_slide %}<section class="slide" id="{{ slide.id }}" data-slide="retro">
          <h2>{{ slide.title }}</h2>{% for d in deck.demos %}<p>{{ d.could_be_better }}</p>
          {% endfor %}</section>{% endblock %}
        """
    project = Project(root)
    project.write("templates/deck.html", old_style)
    assert slides.whole(root) == {"title_slide", "retro_slide"}
    result = project.run("build", capsys=capsys)
    assert result.code == 0, result.err
    page = BeautifulSoup(project.site("2026-11-30/index.html"), "html.parser")
    ids = [s["id"] for s in page.select("section[data-slide]")]
    assert ids[:2] == ["title", "goals"] and ids[-2:] == ["retro", "thanks"]
    assert text(page.select_one(".counter-total")) == str(len(ids)) == "21"
    assert "OK: 2 decks, 25 slides" in project.run("check", capsys=capsys).out
    project.write("templates/deck.html", old_style.replace('data-slide="retro"',
                                                           'data-slide="{{ "retro" if slide.part'
                                                           ' == 1 else "retro-part" }}"'))
    assert slides.whole(root) == {"title_slide"}
    assert project.run("build", capsys=capsys).code == 0
    page = BeautifulSoup(project.site("2026-11-30/index.html"), "html.parser")
    assert len(page.select('[data-slide="retro-part"]')) == 3
