"""Slides that adapt to their content and screen (issue 22), measured in Chromium.

The example decks and a dense fifteen-demo deck (tests/fixtures/dense) are built
with the real pipeline, opened from file:// at 1280×720 and at 1920×1080, and
measured on screen: the smallest body text of every slide, as drawn (its computed
size times the stage's scale), must be at least the floor, 18 px at 1280×720 and
so 27 px at 1920×1080. Body text is all the text of a slide but what deck.js's
LABELS names (kickers, labels, names, links, timeboxes, badges, owners): short
text read at a glance.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from demodeck.cli import main
from tests.test_a11y import axe, blocking

REPO = Path(__file__).resolve().parent.parent
DENSE = REPO / "tests/fixtures/dense"
FLOOR_PX = 18  # at 1280×720
SCREENS = [(1280, 720), (1920, 1080)]
# The theme's own list of the text it holds to no floor (deck.js LABELS), read from there.
_LABELS_JS = re.search(r"var LABELS = ((?:\s*\"[^\"]*\"\s*\+?)+);",
                       (REPO / "templates/static/deck.js").read_text(encoding="utf-8"))
assert _LABELS_JS is not None
LABELS = "".join(re.findall(r'"([^"]*)"', _LABELS_JS.group(1)))

# Each slide shown in turn: its id, the smallest body text as drawn on screen (px), the
# stage's scale, its --fit, and whether deck.js took it under the floor or made it scroll.
MEASURE = """labels => demodeck.slides.map((slide, i) => {
    demodeck.go(i);
    const scale = document.querySelector('.deck').getBoundingClientRect().width / 1280;
    let smallest = Infinity, where = '';
    const walker = document.createTreeWalker(slide, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const parent = node.parentElement;
        if (!node.nodeValue.trim() || parent.closest(labels)) continue;
        const rect = document.createRange();
        rect.selectNodeContents(node);
        if (!rect.getClientRects().length) continue;  // not drawn
        const px = parseFloat(getComputedStyle(parent).fontSize) * scale;
        if (px < smallest) { smallest = px; where = node.nodeValue.trim().slice(0, 40); }
    }
    return {id: slide.id, px: smallest, scale, where,
            fit: parseFloat(slide.style.getPropertyValue('--fit') || '1'),
            below: slide.classList.contains('is-below-floor'),
            scrolls: slide.classList.contains('is-overflowing')};
})"""


def build(root: Path) -> Path:
    assert main(["build", "-C", str(root), "--no-cache"]) == 0
    return root / "site"


@pytest.fixture(scope="module")
def examples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("examples") / "site"
    assert main(["build", "-C", str(REPO), "--out", str(out), "--no-cache"]) == 0
    return out


@pytest.fixture(scope="module")
def dense(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dense")
    shutil.copytree(DENSE / "decks", root / "decks")
    shutil.copytree(REPO / "decks/images", root / "decks/images")
    return build(root) / "2026-11-30/index.html"


@pytest.fixture
def screen(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A page at the size ``request.param`` (width, height), reduced motion."""
    width, height = request.param
    context = browser.new_context(viewport={"width": width, "height": height},
                                  reduced_motion="reduce")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == []


def open_deck(page: Any, path: Path, slide: str = "") -> None:
    page.goto(path.as_uri() + (f"#{slide}" if slide else ""))
    page.wait_for_load_state("load")  # images have their size: deck.js has fitted again
    page.wait_for_function("window.demodeck && demodeck.current() >= 0")


def measure(page: Any) -> list[dict[str, Any]]:
    return list(page.evaluate(MEASURE, LABELS))


def under_the_floor(measured: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in measured
            if m["px"] < FLOOR_PX * m["scale"] - 0.01 or m["below"] or m["scrolls"]]


# -- the floor, on every slide ------------------------------------------------------------------

@pytest.mark.parametrize("screen", SCREENS, indirect=True, ids=["1280x720", "1920x1080"])
def test_every_slide_of_the_example_decks_keeps_its_text_at_the_floor(
        screen: Any, examples: Path) -> None:
    decks = sorted(p for p in examples.glob("20*/index.html"))
    assert len(decks) == 3
    for deck in decks:
        open_deck(screen, deck)
        measured = measure(screen)
        assert under_the_floor(measured) == [], deck
        assert min(m["px"] for m in measured) >= FLOOR_PX * measured[0]["scale"] - 0.01


@pytest.mark.parametrize("screen", SCREENS, indirect=True, ids=["1280x720", "1920x1080"])
def test_every_slide_of_a_fifteen_demo_deck_keeps_its_text_at_the_floor(
        screen: Any, dense: Path) -> None:
    open_deck(screen, dense)
    measured = measure(screen)
    assert len(measured) == 25
    assert under_the_floor(measured) == []
    scale = screen.viewport_size["width"] / 1280
    assert [m["scale"] for m in measured] == [pytest.approx(scale)] * len(measured)
    # retro and demo text as drawn: none of it was shrunk under 18 px at 1280×720
    for m in measured:
        if m["id"].startswith(("retro", "checkout", "a-deploy")):
            assert m["px"] >= FLOOR_PX * scale, m


# -- item 1: the retrospective continues --------------------------------------------------------

@pytest.mark.parametrize("screen", SCREENS, indirect=True, ids=["1280x720", "1920x1080"])
def test_the_retrospective_continues_on_further_slides_at_its_designed_size(
        screen: Any, dense: Path) -> None:
    open_deck(screen, dense, "retro")
    parts = screen.evaluate("""() => Array.from(document.querySelectorAll(
        '[data-slide="retro"], [data-slide="retro-part"]')).map(s => {
            demodeck.go(s.id);
            const board = s.querySelector('.retro-board').getBoundingClientRect();
            const slide = s.getBoundingClientRect();
            return {id: s.id, fit: s.style.getPropertyValue('--fit') || '1',
                    cards: s.querySelectorAll('.card').length,
                    inside: board.bottom <= slide.bottom + 1,
                    heading: s.querySelector('h2').textContent.replace(/\\s+/g, ' ').trim()};
        })""")
    assert [p["id"] for p in parts] == ["retro", "retro-2", "retro-3", "retro-4"]
    assert {p["fit"] for p in parts} == {"1"}  # none shrunk
    assert all(p["inside"] for p in parts)
    assert sum(p["cards"] for p in parts) == 15 + 4  # every demo's, then the deck's own
    assert parts[1]["heading"] == "What could we have done better? (2/4)"


def test_the_overview_presenter_view_and_counter_know_every_part(browser: Any,
                                                                 dense: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 720},
                                  reduced_motion="reduce")
    try:
        page = context.new_page()
        open_deck(page, dense, "retro-2")
        assert page.evaluate("demodeck.slides[demodeck.current()].id") == "retro-2"
        assert page.inner_text(".counter") == "22 / 25"
        page.keyboard.press("o")
        labels = page.locator(".overview .thumb-title").all_inner_texts()
        assert len(labels) == 25
        assert labels[20:24] == [f"What could we have done better? ({n}/4)" for n in
                                 range(1, 5)]
        assert labels[1] == "Agenda"
        page.keyboard.press("Escape")
        with context.expect_page() as opened:
            page.keyboard.press("s")
        presenter = opened.value
        presenter.wait_for_function("window.demodeck && demodeck.current() >= 0")
        presenter.wait_for_function("demodeck.slides[demodeck.current()].id === 'retro-2'")
        assert presenter.inner_text(".pv-next-title") == "What could we have done better? (3/4)"
        assert presenter.inner_text(".pv-counter") == "Slide 22 of 25"
    finally:
        context.close()


def test_the_pdf_has_a_page_for_every_part_and_nothing_runs_over(tmp_path: Path,
                                                                  capsys: Any) -> None:
    root = tmp_path / "dense"
    shutil.copytree(DENSE / "decks", root / "decks")
    shutil.copytree(REPO / "decks/images", root / "decks/images")
    code = main(["pdf", "-C", str(root), "2026-11-30", "--out", str(tmp_path / "d.pdf")])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "25 pages for 25 slides" in out
    assert "continuation page" not in err


# -- item 2: demo slides reflow instead of shrinking -------------------------------------------

@pytest.mark.parametrize("screen", SCREENS, indirect=True, ids=["1280x720", "1920x1080"])
def test_a_long_why_goes_under_the_features_at_full_size(screen: Any, dense: Path) -> None:
    slide_id = "checkout-under-800-ms-on-4g"
    open_deck(screen, dense, slide_id)
    shown = screen.evaluate("""id => {
        const s = document.getElementById(id), box = r => r.getBoundingClientRect();
        const why = box(s.querySelector('.why')), features = box(s.querySelector('.features'));
        return {fit: s.style.getPropertyValue('--fit') || '1',
                wide: s.classList.contains('wide-why'),
                below: why.top >= features.bottom, width: why.width / box(s).width};
    }""", slide_id)
    assert shown == {"fit": "1", "wide": True, "below": True,
                     "width": pytest.approx(0.88, abs=0.02)}


@pytest.mark.parametrize("screen", SCREENS, indirect=True, ids=["1280x720", "1920x1080"])
def test_a_code_block_keeps_its_lines_whole_across_the_slide(screen: Any,
                                                              dense: Path) -> None:
    slide_id = "a-deploy-preview-for-every-pull-request"
    open_deck(screen, dense, slide_id)
    code = screen.evaluate("""id => {
        const pre = document.getElementById(id).querySelector('.why pre');
        const style = getComputedStyle(pre);
        const inner = pre.getBoundingClientRect().height / (parseFloat(style.zoom) || 1);
        const scale = document.querySelector('.deck').getBoundingClientRect().width / 1280;
        const padding = parseFloat(style.paddingTop) + parseFloat(style.paddingBottom);
        const lines = (inner / scale - padding) / parseFloat(style.lineHeight);
        return {lines: Math.round(lines * 10) / 10,
                text: pre.textContent.trim().split('\\n').length};
    }""", slide_id)
    assert code == {"lines": 1.0, "text": 1}  # one line of code, drawn on one line


@pytest.mark.parametrize("screen", SCREENS, indirect=True, ids=["1280x720", "1920x1080"])
def test_fifteen_demos_take_a_whole_agenda_slide(screen: Any, dense: Path) -> None:
    open_deck(screen, dense, "agenda")
    agenda = screen.evaluate("""() => {
        const s = document.getElementById('agenda'), box = e => e.getBoundingClientRect();
        const items = Array.from(s.querySelectorAll('li')).map(li => box(li));
        const lefts = new Set(items.map(r => Math.round(r.left)));
        return {items: items.length, columns: lefts.size,
                width: box(s.querySelector('ol')).width / box(s).width,
                inside: items.every(r => r.bottom <= box(s).bottom),
                fit: s.style.getPropertyValue('--fit') || '1'};
    }""")
    assert agenda == {"items": 15, "columns": 3, "width": pytest.approx(0.88, abs=0.02),
                      "inside": True, "fit": "1"}


@pytest.mark.parametrize("screen", SCREENS, indirect=True, ids=["1280x720", "1920x1080"])
def test_the_experiments_table_sits_in_the_middle_of_its_room(screen: Any,
                                                              dense: Path) -> None:
    open_deck(screen, dense, "experiments")
    gaps = screen.evaluate("""() => {
        const s = document.getElementById('experiments'), box = e => e.getBoundingClientRect();
        const head = box(s.querySelector('.slide-head')), table = box(s.querySelector('table'));
        const bottom = box(s).bottom - parseFloat(getComputedStyle(s).paddingBottom)
            * box(s).height / s.offsetHeight;
        return [table.top - head.bottom, bottom - table.bottom, box(s).height];
    }""")
    above, below, height = gaps
    assert below < height / 6  # not a third of the slide left empty under it
    assert abs(above - below) < height / 20


# -- item 7: what a designer would fix ---------------------------------------------------------

@pytest.mark.parametrize("screen", SCREENS, indirect=True, ids=["1280x720", "1920x1080"])
def test_small_things_a_designer_would_fix(screen: Any, examples: Path) -> None:
    deck = examples / "2026-11-23/index.html"
    open_deck(screen, deck, "goals")
    found = screen.evaluate("""() => {
        const s = id => document.getElementById(id);
        const goal = s('goals').querySelector('.goals li');
        demodeck.go('title');
        const kicker = s('title').querySelector('.kicker').textContent.trim();
        const foot = s('thanks').querySelector('.thanks-foot').textContent;
        const outcome = Array.from(s('experiments').querySelectorAll('th')).pop();
        return {checks: s('goals').querySelectorAll('svg').length,
                marker: getComputedStyle(goal, '::before').content,
                kicker, foot: foot.replace(/\\s+/g, ' ').trim(),
                outcome: outcome.textContent,
                outcomeShown: outcome.getBoundingClientRect().width > 10
                    && !outcome.querySelector('.visually-hidden')};
    }""")
    assert found["checks"] == 0 and found["marker"] == '""'  # a neutral marker, no ✓
    assert found["kicker"] == "All decks"  # not the site's name above the deck's own
    assert found["foot"] == "Larder R&D Weekly Demo · Week 48 · Monday 23 November 2026"
    assert (found["outcome"], found["outcomeShown"]) == ("Outcome", True)
    # A wrapped task-list item: its second line starts under its text, not its box.
    screen.evaluate("demodeck.go('retro-2')")
    lines = screen.evaluate("""() => {
        const item = Array.from(document.querySelectorAll('#retro-2 .task-list-item'))
            .find(li => li.getClientRects()[0].height > 40);
        const range = document.createRange();
        const label = item.querySelector('label');
        range.selectNodeContents(label);
        const rects = Array.from(range.getClientRects()).filter(r => r.width > 1);
        const box = item.querySelector('input').getBoundingClientRect();
        const text = Array.from(label.childNodes).find(n => n.nodeType === 3 && n.nodeValue.trim());
        const first = document.createRange();
        first.setStart(text, text.nodeValue.search(/\\S/));
        first.setEnd(text, text.nodeValue.search(/\\S/) + 1);
        return {box: box.right, text: first.getBoundingClientRect().left,
                lines: rects.map(r => r.left), bottoms: rects.map(r => r.bottom)};
    }""")
    assert lines["text"] > lines["box"]
    wrapped = [left for left, bottom in zip(lines["lines"], lines["bottoms"], strict=True)
               if bottom > lines["bottoms"][0] + 5]
    assert wrapped and min(wrapped) >= lines["text"] - 1


# -- accessibility of the new slides -------------------------------------------------------------

def test_the_agenda_slide_and_every_retro_part_pass_axe(browser: Any, dense: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 720},
                                  reduced_motion="reduce")
    try:
        page = context.new_page()
        open_deck(page, dense)
        found = axe(page, slides=True)
    finally:
        context.close()
    assert blocking(found) == []


# -- the follow-up of earlier decks' actions -----------------------------------------------------

def test_the_follow_up_card_is_as_tall_in_chromium_as_its_estimate(browser: Any,
                                                                  tmp_path: Path) -> None:
    """Open actions with their owner and age, done and dropped ones, wrapped and not, code
    among them: the card's height as drawn in DejaVu Sans is the plan's, to 2 px, so
    the retrospective packs its slides with the chips counted."""
    from demodeck import actions, sizes, slides
    from demodeck.config import load_config
    from demodeck.decks import validate_all

    said = [
        "{id: flaky-ci, what: Quarantine the flaky CI job within a day, owner: Grace Hopper}",
        "{id: load-test, what: Book the load test before announcing a date, owner: Ada}",
        "{what: 'Announce schema migrations in `#eng-deploys` a day ahead', "
        "owner: Kwame Mensah}",
        "Move the demo dry run to Friday 16:00",
        "{what: Write the spike down first, owner: Dmitri Volkov}",
        "{id: x, what: 'A much longer action that takes two or three lines of the card "
        "once its owner and its age are added after it', owner: Zoë Castellanos}"]
    demo = ("demos: [{title: T, people: [Ada], features: [f], why: w, "
            "could_be_better: c}]\n")
    (tmp_path / "decks").mkdir()
    (tmp_path / "decks/2026-10-19.yaml").write_text(
        demo + "retro:\n  actions:\n" + "".join(f"    - {a}\n" for a in said))
    (tmp_path / "decks/2026-11-16.yaml").write_text(
        demo + "retro: {done: [flaky-ci], dropped: [Write the spike down first]}\n")
    site = build(tmp_path) / "2026-11-16/index.html"
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    try:
        open_deck(page, site, "retro")
        page.add_style_tag(content=':root { --font: "DejaVu Sans"; }')
        width, height, font = page.evaluate("""() => {
            const card = document.querySelector('.card--followup');
            const slide = card.closest('.slide');
            demodeck.go(slide.id);
            slide.style.setProperty('--fit', '1');
            const em = parseFloat(getComputedStyle(slide).fontSize);
            return [card.offsetWidth / em, card.offsetHeight / em, em];
        }""")
    finally:
        page.close()
    decks = validate_all(load_config(tmp_path))
    follow_ups = actions.follow(decks).follow_ups[0]
    assert [f.label for f in follow_ups] == ["4 weeks"] * 4 + ["done", "dropped"]
    theme = sizes.builtin()
    assert font == theme.font_px
    card = next(c for c in slides._cards(decks[0], follow_ups, theme) if c.key == "followup")
    estimate = slides._card_height(card, theme, width, theme.font_px)
    assert estimate == pytest.approx(height, abs=2 / theme.font_px)
