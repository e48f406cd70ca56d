"""Presenting in Chromium: the presenter window, the overview, the keyboard help.

One small deck is built with the real pipeline and opened from file://. Key
navigation, the URL hash and reloads are covered in test_browser_runtime.py;
this module covers what the host does with the room watching: a second window
that follows the first (and the other way round), the timebox against a fake
clock, jumping from the overview, and the help listing every shortcut.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import built_deck_url

DECK = """\
title: Presenting test deck
hosts: [Grace Hopper]
sprint_goals: [Ship it]
demos:
  - title: Search v2
    team: Discovery
    people: [Ada Lovelace]
    features: [Typo-tolerant matching]
    why: Customers asked.
    could_be_better: We shipped late.
    notes: |
      ## Remember

      Thank the *infra* team.
    minutes: 5
  - title: Faster checkout
    people: [Zoë Quinn]
    features: [One-click pay]
    why: Checkout took 9 steps.
    could_be_better: Load testing came late.
    minutes: 2
  - title: No timebox here
    people: [Linus Torvalds]
    features: [Anything]
    why: Because.
    could_be_better: Nothing.
metrics:
  deployments: 12
"""

IDS = ["title", "goals", "search-v2", "faster-checkout", "no-timebox-here", "metrics",
       "retro", "thanks"]


@pytest.fixture(scope="module")
def deck_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return built_deck_url(tmp_path_factory.mktemp("present"), DECK)


class Pages:
    """Pages opened in one browser context, watched for script errors."""

    def __init__(self, context: Any) -> None:
        self.context = context
        self.errors: list[str] = []
        context.on("page", self.watch)

    def watch(self, page: Any) -> None:
        page.on("pageerror", lambda exc: self.errors.append(f"{page.url}: {exc}"))
        page.on("console", lambda msg: self.errors.append(f"{page.url}: {msg.text}")
                if msg.type == "error" else None)

    def open(self, url: str) -> Any:
        page = self.context.new_page()
        page.goto(url)
        ready(page)
        return page


@pytest.fixture
def pages(browser: Any) -> Iterator[Pages]:
    # Reduced motion: no fades between slides, so nothing needs waiting for.
    context = browser.new_context(viewport={"width": 1280, "height": 720},
                                  reduced_motion="reduce")
    opened = Pages(context)
    yield opened
    context.close()
    assert opened.errors == [], f"errors in the page: {opened.errors}"


def ready(page: Any) -> None:
    page.wait_for_function("window.demodeck && demodeck.current() >= 0")


def current_id(page: Any) -> str:
    return str(page.evaluate("demodeck.slides[demodeck.current()].id"))


def hash_id(page: Any) -> str:
    return str(page.evaluate("decodeURIComponent(location.hash.slice(1))"))


def follows(page: Any, slide_id: str) -> None:
    """Wait until ``page`` shows ``slide_id`` (messages between windows are async)."""
    page.wait_for_function("id => demodeck.slides[demodeck.current()].id === id", arg=slide_id,
                           timeout=5000)
    assert hash_id(page) == slide_id


def open_presenter(pages: Pages, audience: Any) -> Any:
    with pages.context.expect_page() as info:
        audience.keyboard.press("s")
    presenter = info.value
    presenter.wait_for_load_state("load")
    ready(presenter)
    return presenter


# -- presenter view ---------------------------------------------------------------------------

def test_s_opens_the_presenter_view_on_the_current_slide(pages: Pages, deck_url: str) -> None:
    audience = pages.open(f"{deck_url}#search-v2")
    presenter = open_presenter(pages, audience)
    assert re.search(r"\?presenter#search-v2$", presenter.url), presenter.url
    assert presenter.evaluate("demodeck.isPresenter") is True
    assert audience.evaluate("demodeck.isPresenter") is False
    assert current_id(presenter) == "search-v2"
    assert presenter.title().startswith("Presenter · ")
    # the current slide is the deck itself, scaled into its frame
    frame = presenter.locator(".pv-current .pv-frame").bounding_box()
    slide = presenter.locator("#search-v2").bounding_box()
    assert slide["width"] == pytest.approx(frame["width"], abs=2)
    assert slide["width"] / slide["height"] == pytest.approx(16 / 9, rel=0.01)
    # the next slide is a live copy, without ids, hidden from assistive technology
    assert presenter.locator(".pv-next-title").inner_text() == "Faster checkout"
    copy = presenter.locator(".pv-frame--next .stage")
    assert copy.get_attribute("aria-hidden") == "true"
    assert "Faster checkout" in copy.locator(".slide h2").inner_text()
    assert copy.locator("[id]").count() == 0
    ids = presenter.evaluate("[...document.querySelectorAll('[id]')].map(e => e.id)")
    assert len(ids) == len(set(ids))
    # the notes of the current demo, rendered; the slide's own copy stays hidden
    notes = presenter.locator(".pv-notes-body")
    assert "Thank the infra team." in notes.inner_text()
    assert notes.locator("em").inner_text() == "infra"
    assert presenter.locator("#search-v2 aside.notes").is_hidden()
    assert re.fullmatch(r"\d{1,2}:\d{2}.*", presenter.locator(".pv-clock time").inner_text())
    assert presenter.locator(".pv-elapsed .pv-big").inner_text() == "0:00"
    assert "of 7:00 planned" in presenter.locator(".pv-elapsed").inner_text()
    # the audience window has no presenter chrome
    assert audience.locator(".pv").count() == 0


def test_presenter_and_audience_follow_each_other(pages: Pages, deck_url: str) -> None:
    audience = pages.open(f"{deck_url}#goals")
    presenter = open_presenter(pages, audience)
    presenter.keyboard.press("ArrowRight")
    follows(presenter, "search-v2")
    follows(audience, "search-v2")
    audience.keyboard.press("ArrowRight")
    follows(audience, "faster-checkout")
    follows(presenter, "faster-checkout")
    assert "No notes" in presenter.locator(".pv-notes-body").inner_text()
    presenter.keyboard.press("End")
    follows(audience, "thanks")
    assert presenter.locator(".pv-end").inner_text() == "End of the deck"
    presenter.get_by_role("button", name="Previous slide").click()
    follows(audience, "retro")
    audience.keyboard.press("Home")
    follows(presenter, "title")
    # the presenter's buttons reflect where it is
    assert presenter.get_by_role("button", name="Previous slide").is_disabled()
    assert presenter.locator(".pv-counter").inner_text() == f"Slide 1 of {len(IDS)}"


def test_sync_without_broadcastchannel_falls_back_to_storage_events(
        pages: Pages, deck_url: str) -> None:
    """Two windows opened by hand (no opener), in a browser without BroadcastChannel."""
    pages.context.add_init_script("delete window.BroadcastChannel;")
    audience = pages.open(f"{deck_url}#metrics")
    presenter = pages.open(f"{deck_url}?presenter")  # no hash: it asks where the room is
    assert presenter.evaluate("typeof BroadcastChannel") == "undefined"
    follows(presenter, "metrics")
    presenter.keyboard.press("ArrowRight")
    follows(audience, "retro")
    audience.keyboard.press("ArrowLeft")
    follows(presenter, "metrics")


def test_two_audience_tabs_stay_independent(pages: Pages, deck_url: str) -> None:
    first = pages.open(f"{deck_url}#goals")
    second = pages.open(f"{deck_url}#retro")
    first.keyboard.press("ArrowRight")
    assert current_id(first) == "search-v2"
    second.wait_for_timeout(200)  # a message would have arrived by now
    assert current_id(second) == "retro"


def test_a_blocked_popup_says_what_to_do(pages: Pages, deck_url: str) -> None:
    audience = pages.open(deck_url)
    audience.evaluate("window.open = () => null")
    audience.keyboard.press("s")
    alert = audience.get_by_role("alert")
    assert "blocked the presenter window" in alert.inner_text()
    assert "?presenter" in alert.inner_text()


def timebox(page: Any) -> dict[str, str]:
    return dict(page.evaluate("""() => {
        const box = document.querySelector('.pv-timebox');
        return {state: box.dataset.state,
                left: box.querySelector('.pv-timebox-left').textContent,
                note: box.querySelector('.pv-timebox-note').textContent,
                background: getComputedStyle(box).backgroundColor,
                colour: getComputedStyle(box.querySelector('.pv-timebox-left')).color,
                elapsed: document.querySelector('.pv-elapsed .pv-big').textContent};
    }"""))


def test_timebox_counts_down_turns_amber_then_red(pages: Pages, deck_url: str) -> None:
    pages.context.clock.install()
    audience = pages.open(f"{deck_url}#search-v2")  # minutes: 5
    presenter = open_presenter(pages, audience)
    assert presenter.locator("#search-v2").get_attribute("data-minutes") == "5"
    start = timebox(presenter)
    assert start["state"] == "ok" and start["left"] == "5:00"
    assert start["note"] == "left of 5 min"
    pages.context.clock.fast_forward("03:59")
    assert timebox(presenter)["left"] == "1:01"
    assert timebox(presenter)["state"] == "ok"
    pages.context.clock.fast_forward(1000)
    amber = timebox(presenter)
    assert amber["state"] == "warn" and amber["left"] == "1:00"  # amber at a minute left
    assert amber["background"] != start["background"]
    assert amber["colour"] == "rgb(252, 211, 77)"  # amber digits
    pages.context.clock.fast_forward("01:05")
    red = timebox(presenter)
    assert red["state"] == "over" and red["left"] == "+0:05"
    assert red["note"] == "over the 5 min timebox"
    assert red["background"] == "rgb(153, 27, 27)"
    assert red["elapsed"] == "5:05"
    # another demo has its own timebox; time on a demo adds up over visits
    presenter.keyboard.press("ArrowRight")
    assert timebox(presenter)["left"] == "2:00"
    pages.context.clock.fast_forward("00:30")
    assert timebox(presenter)["left"] == "1:30"
    assert timebox(presenter)["state"] == "ok"
    presenter.keyboard.press("ArrowLeft")
    assert timebox(presenter)["left"] == "+0:05"  # the half minute away does not count
    presenter.keyboard.press("ArrowRight")
    assert timebox(presenter)["left"] == "1:30"
    # a slide without minutes has no timebox
    presenter.keyboard.press("ArrowRight")
    follows(audience, "no-timebox-here")
    assert timebox(presenter)["state"] == "none"
    # r restarts the clocks
    presenter.keyboard.press("ArrowLeft")
    presenter.keyboard.press("r")
    restarted = timebox(presenter)
    assert restarted["left"] == "2:00" and restarted["elapsed"] == "0:00"
    assert restarted["state"] == "ok"


def test_presenter_timers_survive_a_reload(pages: Pages, deck_url: str) -> None:
    pages.context.clock.install()
    presenter = pages.open(f"{deck_url}?presenter#search-v2")
    pages.context.clock.fast_forward("02:00")
    assert timebox(presenter)["left"] == "3:00"
    presenter.reload()
    ready(presenter)
    assert timebox(presenter)["left"] == "3:00"
    assert timebox(presenter)["elapsed"] == "2:00"


def test_notes_size_keys(pages: Pages, deck_url: str) -> None:
    presenter = pages.open(f"{deck_url}?presenter#search-v2")
    size = "parseFloat(getComputedStyle(document.querySelector('.pv-notes-body')).fontSize)"
    before = presenter.evaluate(size)
    presenter.keyboard.press("+")
    presenter.keyboard.press("+")
    assert presenter.evaluate(size) == pytest.approx(before * 1.2, rel=0.02)
    presenter.keyboard.press("-")
    assert presenter.evaluate(size) == pytest.approx(before * 1.1, rel=0.02)


# -- overview ---------------------------------------------------------------------------------

def test_overview_lists_every_slide_and_a_click_jumps(pages: Pages, deck_url: str) -> None:
    page = pages.open(f"{deck_url}#goals")
    page.keyboard.press("o")
    overview = page.get_by_role("dialog", name="All slides")
    assert overview.is_visible()
    thumbs = overview.locator(".thumb")
    assert thumbs.count() == len(IDS)
    assert thumbs.nth(1).get_attribute("aria-current") == "true"
    assert page.evaluate("document.activeElement.dataset.index") == "1"  # focus on it
    labels = overview.locator(".thumb-label").all_inner_texts()
    assert [label.split("\n") for label in labels][3] == ["4", "Faster checkout"]
    # the accessible name is the label; the copy of the slide is hidden from it
    assert overview.get_by_role("button", name="4 Faster checkout").count() == 1
    # every thumbnail shows its slide, at thumbnail size
    box = thumbs.nth(3).locator(".thumb-frame").bounding_box()
    copy = thumbs.nth(3).locator(".stage > .slide").bounding_box()
    assert copy["width"] == pytest.approx(box["width"], abs=2)
    assert copy["height"] == pytest.approx(box["width"] * 9 / 16, abs=2)
    thumbs.nth(6).click()
    assert not overview.is_visible()
    assert current_id(page) == "retro" and hash_id(page) == "retro"
    # Esc opens it too, and closes it without moving
    page.keyboard.press("Escape")
    assert overview.is_visible()
    assert thumbs.nth(6).get_attribute("aria-current") == "true"
    page.keyboard.press("Escape")
    assert not overview.is_visible()
    assert current_id(page) == "retro"


def test_overview_arrow_keys_and_enter_jump(pages: Pages, deck_url: str) -> None:
    page = pages.open(deck_url)
    page.keyboard.press("o")
    focused = "document.activeElement.dataset.index"
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert page.evaluate(focused) == "2"
    assert current_id(page) == "title"  # arrows move the focus, not the deck
    columns = page.evaluate("""() => {
        const t = [...document.querySelectorAll('.overview .thumb')].map(b => b.offsetTop);
        return t.filter(y => y === t[0]).length; }""")
    page.keyboard.press("ArrowDown")
    assert page.evaluate(focused) == str(min(2 + columns, len(IDS) - 1))
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowLeft")
    assert page.evaluate(focused) == "1"
    page.keyboard.press("Enter")
    assert current_id(page) == "goals"
    assert not page.get_by_role("dialog", name="All slides").is_visible()
    page.keyboard.press("o")
    page.keyboard.press("End")
    page.keyboard.press("Space")
    assert current_id(page) == "thanks"


def test_overview_button_is_reachable_by_keyboard(pages: Pages, deck_url: str) -> None:
    page = pages.open(deck_url)
    names = []
    for _ in range(12):
        page.keyboard.press("Tab")
        names.append(page.evaluate("document.activeElement.getAttribute('aria-label') || "
                                   "document.activeElement.textContent.trim()"))
        if names[-1] == "All slides":
            break
    assert names[-1] == "All slides", names
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # focus is visible
    page.keyboard.press("Enter")
    assert page.get_by_role("dialog", name="All slides").is_visible()
    page.keyboard.press("Escape")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "All slides"


# -- keyboard help ----------------------------------------------------------------------------

def test_help_lists_every_shortcut(pages: Pages, deck_url: str) -> None:
    page = pages.open(deck_url)
    page.keyboard.press("?")
    help_box = page.get_by_role("dialog", name="Keyboard shortcuts")
    assert help_box.is_visible()
    text = help_box.inner_text()
    bindings = page.evaluate("demodeck.keys.map(b => ({keys: b.keys, help: b.help}))")
    assert len(bindings) >= 10
    for binding in bindings:
        assert binding["help"] in text
    keys = set(help_box.locator("kbd").all_inner_texts())
    for expected in ("→", "←", "Space", "Home", "End", "o", "Esc", "s", "f", "?", "r"):
        assert expected in keys, (expected, keys)
    assert "Swipe" in text
    assert help_box.locator("kbd[aria-label='Right arrow']").count() == 1
    # ? again closes it; a key bound later by a theme shows up too
    page.keyboard.press("?")
    assert not help_box.is_visible()
    page.evaluate("demodeck.key(['b'], () => {}, 'Black out the screen', 'Theme')")
    page.keyboard.press("?")
    assert "Black out the screen" in help_box.inner_text()
    page.keyboard.press("Escape")
    assert not help_box.is_visible()
    assert current_id(page) == "title"  # nothing moved behind the dialogs


def test_slide_keys_do_nothing_behind_a_dialog(pages: Pages, deck_url: str) -> None:
    page = pages.open(deck_url)
    page.keyboard.press("?")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("End")
    assert current_id(page) == "title"
    page.keyboard.press("o")  # switches to the overview
    assert page.get_by_role("dialog", name="All slides").is_visible()
    assert not page.get_by_role("dialog", name="Keyboard shortcuts").is_visible()
