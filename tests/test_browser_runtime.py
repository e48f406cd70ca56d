"""The deck runtime (templates/static/deck.js) in a real browser, opened from file://.

Builds one small deck with the real pipeline, then drives headless Chromium:
keys, clicks, swipes, the URL hash (reload, shared links, hashchange), the
counter and live region, shrink-to-fit, and printing one slide per page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser import watched_page
from tests.conftest import built_deck_url

LONG_WHY = " ".join(["Every sentence here is a reason this matters to our customers."] * 40)

DECK = f"""\
title: Runtime test deck
hosts: [Grace Hopper]
sprint_goals: [Ship it]
demos:
  - title: Search v2
    team: Discovery
    people: [Ada Lovelace]
    features: [Typo-tolerant matching]
    why: "Customers asked. See [the RFC](https://example.com/rfc)."
    could_be_better: We shipped late.
    notes: Thank the *infra* team.
    minutes: 5
  - title: חיפוש בעברית
    people: [Noa Levi]
    features: [Prefixes]
    why: A new market.
    could_be_better: Fewer tests than we wanted.
  - title: A very wordy demo
    people: [Linus Torvalds]
    features: [Lots of words]
    why: {LONG_WHY}
    could_be_better: Shorter slides.
metrics:
  deployments: 12
"""

EXPECTED_IDS = ["title", "goals", "search-v2", "חיפוש-בעברית", "a-very-wordy-demo",
                "metrics", "retro", "thanks"]


@pytest.fixture(scope="module")
def deck_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return built_deck_url(tmp_path_factory.mktemp("runtime"), DECK)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    with watched_page(browser, 1280, 720) as pg:
        yield pg


def open_deck(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_function("window.demodeck && demodeck.current() >= 0")


def current_id(page: Any) -> str:
    return str(page.evaluate("demodeck.slides[demodeck.current()].id"))


def hash_id(page: Any) -> str:
    return str(page.evaluate("decodeURIComponent(location.hash.slice(1))"))


def visible_ids(page: Any) -> list[str]:
    return list(page.evaluate(
        "demodeck.slides.filter(s => getComputedStyle(s).visibility === 'visible')"
        ".map(s => s.id)"))


def test_opens_on_the_first_slide_from_file_url(page: Any, deck_url: str) -> None:
    assert deck_url.startswith("file://")
    open_deck(page, deck_url)
    assert page.evaluate("location.protocol") == "file:"
    assert page.evaluate("demodeck.slides.map(s => s.id)") == EXPECTED_IDS
    assert current_id(page) == "title"
    assert hash_id(page) == "title"
    assert visible_ids(page) == ["title"]
    assert page.locator(".counter").inner_text() == f"1 / {len(EXPECTED_IDS)}"


def test_arrow_right_moves_to_next_slide_and_updates_hash(page: Any, deck_url: str) -> None:
    open_deck(page, deck_url)
    page.keyboard.press("ArrowRight")
    assert current_id(page) == "goals"
    assert hash_id(page) == "goals"
    page.keyboard.press("ArrowRight")
    assert current_id(page) == "search-v2"
    assert hash_id(page) == "search-v2"
    page.wait_for_timeout(500)  # the fade between slides
    assert visible_ids(page) == ["search-v2"]
    assert page.locator(".counter").inner_text() == f"3 / {len(EXPECTED_IDS)}"
    progress = float(page.evaluate(
        "getComputedStyle(document.documentElement).getPropertyValue('--progress')"))
    assert progress == pytest.approx(2 / (len(EXPECTED_IDS) - 1))
    live = page.locator("[aria-live]").inner_text()
    assert f"Slide 3 of {len(EXPECTED_IDS)}" in live and "Search v2" in live
    page.keyboard.press("ArrowLeft")
    assert current_id(page) == "goals"
    assert hash_id(page) == "goals"


def test_space_page_keys_home_and_end(page: Any, deck_url: str) -> None:
    open_deck(page, deck_url)
    page.keyboard.press("End")
    assert current_id(page) == "thanks"
    page.keyboard.press("ArrowRight")  # already at the end: stays
    assert current_id(page) == "thanks"
    page.keyboard.press("Shift+Space")
    assert current_id(page) == "retro"
    page.keyboard.press("PageUp")
    assert current_id(page) == "metrics"
    page.keyboard.press("Home")
    assert current_id(page) == "title"
    assert hash_id(page) == "title"
    page.keyboard.press("Space")
    assert current_id(page) == "goals"
    page.keyboard.press("PageDown")
    assert current_id(page) == "search-v2"


def test_reload_lands_on_the_same_slide(page: Any, deck_url: str) -> None:
    open_deck(page, deck_url)
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    assert current_id(page) == "חיפוש-בעברית"
    page.reload()
    page.wait_for_function("window.demodeck && demodeck.current() >= 0")
    assert current_id(page) == "חיפוש-בעברית"
    assert hash_id(page) == "חיפוש-בעברית"


@pytest.mark.parametrize("slide_id", ["retro", "search-v2", "חיפוש-בעברית"])
def test_a_shared_link_lands_on_its_slide(page: Any, deck_url: str, slide_id: str) -> None:
    open_deck(page, f"{deck_url}#{slide_id}")
    assert current_id(page) == slide_id
    assert hash_id(page) == slide_id
    page.wait_for_timeout(500)
    assert visible_ids(page) == [slide_id]


def test_an_unknown_hash_falls_back_to_the_title(page: Any, deck_url: str) -> None:
    open_deck(page, f"{deck_url}#no-such-slide")
    assert current_id(page) == "title"
    assert hash_id(page) == "title"


def test_hashchange_navigates(page: Any, deck_url: str) -> None:
    open_deck(page, deck_url)
    page.evaluate("location.hash = '#metrics'")
    page.wait_for_function("demodeck.slides[demodeck.current()].id === 'metrics'")
    assert hash_id(page) == "metrics"


def test_click_advances_but_links_do_not(page: Any, deck_url: str) -> None:
    open_deck(page, deck_url)
    page.mouse.click(200, 650)  # empty part of the title slide
    assert current_id(page) == "goals"
    page.keyboard.press("Home")
    # An agenda entry is a link to its demo: it navigates there, it does not "advance".
    page.locator("#title .agenda a").nth(2).click()
    page.wait_for_function("demodeck.slides[demodeck.current()].id === 'a-very-wordy-demo'")
    page.mouse.move(640, 360)  # the buttons hide while the mouse is idle
    page.locator(".nav-button[data-action='prev']").click()
    assert current_id(page) == "חיפוש-בעברית"


def test_swipe_left_and_right(browser: Any, deck_url: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 720}, has_touch=True)
    try:
        pg = context.new_page()
        open_deck(pg, deck_url)
        swipe = """([x0, x1]) => {
            const touch = x => new Touch({identifier: 1, target: document.body,
                                          clientX: x, clientY: 300});
            document.body.dispatchEvent(new TouchEvent('touchstart',
                {touches: [touch(x0)], changedTouches: [touch(x0)], bubbles: true}));
            document.body.dispatchEvent(new TouchEvent('touchend',
                {touches: [], changedTouches: [touch(x1)], bubbles: true}));
        }"""
        pg.evaluate(swipe, [900, 300])  # finger moves left: next slide
        assert current_id(pg) == "goals"
        pg.evaluate(swipe, [300, 900])
        assert current_id(pg) == "title"
        pg.evaluate(swipe, [600, 590])  # too short to be a swipe
        assert current_id(pg) == "title"
    finally:
        context.close()


def test_api_go_by_index_and_id(page: Any, deck_url: str) -> None:
    open_deck(page, deck_url)
    changes: list[Any] = page.evaluate("""() => {
        const seen = [];
        demodeck.on('change', d => seen.push([d.previous, d.index, d.id]));
        demodeck.go('retro'); demodeck.go(1); demodeck.go(999); demodeck.go('nope');
        return seen;
    }""")
    last = len(EXPECTED_IDS) - 1
    assert changes == [[0, 6, "retro"], [6, 1, "goals"], [1, last, "thanks"]]
    assert page.evaluate("demodeck.current()") == last


def test_long_text_is_shrunk_not_cut_off(page: Any, deck_url: str) -> None:
    open_deck(page, f"{deck_url}#a-very-wordy-demo")
    page.wait_for_load_state("load")
    fit = page.evaluate("""() => {
        const s = document.getElementById('a-very-wordy-demo');
        return {fit: s.style.getPropertyValue('--fit'),
                fits: s.scrollHeight <= s.clientHeight + 1 && s.scrollWidth <= s.clientWidth + 1,
                scrolls: s.classList.contains('is-overflowing')};
    }""")
    assert fit["fit"] and float(fit["fit"]) < 1
    assert fit["fits"] or fit["scrolls"]
    # A short slide keeps its designed size.
    short = page.evaluate("document.getElementById('search-v2').style.getPropertyValue('--fit')")
    assert short == ""


def test_the_stage_scales_to_the_window(page: Any, deck_url: str) -> None:
    open_deck(page, deck_url)
    page.set_viewport_size({"width": 640, "height": 720})
    page.wait_for_timeout(100)
    box = page.locator("#title").bounding_box()
    assert box["width"] == pytest.approx(640, abs=1)
    assert box["height"] == pytest.approx(360, abs=1)
    assert box["y"] == pytest.approx(180, abs=1)  # letterboxed, centred


def test_prints_one_slide_per_page(page: Any, deck_url: str) -> None:
    open_deck(page, f"{deck_url}#metrics")
    pdf: bytes = page.pdf(prefer_css_page_size=True, print_background=True)
    pages = re.findall(rb"/Type\s*/Page(?!s)", pdf)
    assert len(pages) == len(EXPECTED_IDS)
    boxes = set(re.findall(rb"/MediaBox\s*\[([^\]]*)\]", pdf))
    assert boxes == {b"0 0 960 540"}  # 1280×720 CSS px in points


def test_notes_stay_hidden_and_hidden_slides_are_not_focusable(
        page: Any, deck_url: str) -> None:
    open_deck(page, f"{deck_url}#search-v2")
    page.wait_for_timeout(500)
    notes = page.locator("#search-v2 aside.notes")
    assert notes.count() == 1 and notes.is_hidden()
    assert "infra" in notes.inner_html()
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.closest('.slide')?.id ?? null")
    assert focused in (None, "search-v2")  # never a link on a hidden slide


def test_no_javascript_shows_every_slide(browser: Any, deck_url: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 720},
                                  java_script_enabled=False)
    try:
        pg = context.new_page()
        pg.goto(deck_url)
        shown = pg.evaluate("""[...document.querySelectorAll('.slide')]
            .filter(s => getComputedStyle(s).visibility === 'visible').length""")
        assert shown == len(EXPECTED_IDS)
    finally:
        context.close()


def test_built_page_loads_only_local_files(page: Any, deck_url: str) -> None:
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    open_deck(page, deck_url)
    page.wait_for_load_state("load")
    assert requested and all(u.startswith(("file:", "data:")) for u in requested), requested
