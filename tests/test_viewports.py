"""The example decks on phones, tablets and projectors, in Chromium (issue 22).

The repository's ``decks/`` are built once; every slide of every deck is then shown
at each viewport and measured: the page is no wider than the window, every line of
text on the slide lies inside the window, and none sits under the slide controls.
Phones and tablets are emulated as such (a touch screen, a mobile layout viewport),
which is where a page that overflows makes the browser widen its layout viewport.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from demodeck.cli import main

REPO = Path(__file__).resolve().parent.parent

# (width, height, a phone or tablet)
PHONE, PHONE_LANDSCAPE, TABLET = (390, 844, True), (844, 390, True), (768, 1024, True)
VIEWPORTS = [(320, 568, True), PHONE, PHONE_LANDSCAPE, TABLET, (1280, 720, False),
             (1920, 1080, False)]

# What is wrong with the slide on screen: a list of sentences, empty when all is well.
# Text is measured line by line (a Range over each text node), so a wide block with a
# short line in it counts only where its letters are.
MEASURE = """() => {
  const root = document.documentElement;
  const W = root.clientWidth, H = root.clientHeight;
  const slide = demodeck.slides[demodeck.current()];
  const found = [];
  if (root.scrollWidth > W || innerWidth > W) {
    found.push(`the page is ${Math.max(root.scrollWidth, innerWidth)} px wide in a ${W} px window`);
  }
  const controls = [...document.querySelectorAll('.deck-ui .nav-button, .deck-ui .counter')]
    .filter(c => getComputedStyle(c).display !== 'none' && getComputedStyle(c).opacity !== '0')
    .map(c => [c.getAttribute('aria-label') || 'the slide counter', c.getBoundingClientRect()]);
  for (const [name, r] of controls) {
    if (r.left < 0 || r.top < 0 || r.right > W || r.bottom > H) found.push(`${name} is off-screen`);
  }
  const range = document.createRange();
  const walk = document.createTreeWalker(slide, NodeFilter.SHOW_TEXT);
  for (let node = walk.nextNode(); node; node = walk.nextNode()) {
    if (!node.data.trim() || node.parentElement.closest('.visually-hidden, [hidden]')) continue;
    const text = JSON.stringify(node.data.trim().slice(0, 40));
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) {
      if (!r.width || !r.height) continue;
      if (r.left < -0.5 || r.top < -0.5 || r.right > W + 0.5 || r.bottom > H + 0.5) {
        found.push(`${text} is outside the window`);
      }
      for (const [name, b] of controls) {
        if (r.left < b.right && b.left < r.right && r.top < b.bottom && b.top < r.bottom) {
          found.push(`${text} is under ${name}`);
        }
      }
    }
  }
  return found;
}"""


@pytest.fixture(scope="module")
def decks(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = tmp_path_factory.mktemp("viewports") / "site"
    assert main(["build", "-C", str(REPO), "--out", str(out), "--no-cache"]) == 0
    pages = sorted(out.glob("20*/index.html"))
    assert len(pages) == 3
    return pages


def new_page(browser: Any, width: int, height: int, mobile: bool) -> Any:
    context = browser.new_context(viewport={"width": width, "height": height},
                                  is_mobile=mobile, has_touch=mobile, reduced_motion="reduce")
    return context.new_page()


@pytest.fixture
def pages(browser: Any) -> Iterator[list[Any]]:
    """Pages opened by a test, each in its own context, closed afterwards."""
    opened: list[Any] = []
    yield opened
    for page in opened:
        page.context.close()


def open_deck(page: Any, deck: Path, slide: str = "") -> None:
    page.goto(deck.as_uri() + (f"#{slide}" if slide else ""))
    page.wait_for_function("window.demodeck && demodeck.current() >= 0")
    page.wait_for_load_state("load")  # images in: the slides are fitted for good


def every_slide(page: Any, deck: Path) -> Iterator[str]:
    """Show each slide of ``deck`` in turn; yields its id."""
    open_deck(page, deck)
    for i in range(page.evaluate("demodeck.slides.length")):
        page.evaluate(f"demodeck.go({i})")
        yield str(page.evaluate("demodeck.slides[demodeck.current()].id"))


@pytest.mark.parametrize(("width", "height", "mobile"), VIEWPORTS,
                         ids=[f"{w}x{h}" for w, h, _ in VIEWPORTS])
def test_every_slide_fits_the_window_with_its_text_clear_of_the_controls(
        browser: Any, pages: list[Any], decks: list[Path], width: int, height: int,
        mobile: bool) -> None:
    page = new_page(browser, width, height, mobile)
    pages.append(page)
    problems = [f"{deck.parent.name}#{slide}: {p}"
                for deck in decks for slide in every_slide(page, deck)
                for p in page.evaluate(MEASURE)]
    assert problems == [], "\n".join(problems)


def test_the_slide_fills_a_phone_screen_edge_to_edge(browser: Any, pages: list[Any],
                                                     decks: list[Path]) -> None:
    page = new_page(browser, *PHONE)
    pages.append(page)
    open_deck(page, decks[-1])
    box = page.locator("#title").bounding_box()
    assert (box["x"], box["width"]) == (0, pytest.approx(390, abs=0.5))
    assert box["height"] == pytest.approx(390 * 9 / 16, abs=0.5)
    assert box["y"] == pytest.approx((844 - box["height"]) / 2, abs=0.5)  # letterboxed


def test_turning_a_phone_sideways_keeps_the_text_clear_of_the_controls(
        browser: Any, pages: list[Any], decks: list[Path]) -> None:
    """The slides are fitted for the window they opened in; turning the phone gives the
    controls no room under the stage any more, and the slide shown makes room itself."""
    page = new_page(browser, *PHONE)
    pages.append(page)
    open_deck(page, decks[-1], "one-tap-refunds-for-missing-items")
    page.set_viewport_size({"width": 844, "height": 390})
    page.wait_for_function("document.documentElement.clientWidth === 844")
    problems = list(page.evaluate(MEASURE))
    page.keyboard.press("ArrowRight")  # a slide fitted before the turn, shown after it
    problems += page.evaluate(MEASURE)
    assert problems == [], "\n".join(problems)


def test_a_touch_screen_keeps_the_buttons_while_a_mouse_hides_them_when_idle(
        browser: Any, pages: list[Any], decks: list[Path]) -> None:
    """A phone has no mouse to move: buttons hidden when idle would never come back."""
    opacity = "getComputedStyle(document.querySelector('[data-action=next]')).opacity"
    for mobile, shown in ((True, "1"), (False, "0")):
        page = new_page(browser, 844, 390, mobile)
        pages.append(page)
        page.clock.install()
        open_deck(page, decks[-1])
        page.clock.fast_forward(5000)
        page.wait_for_function("document.documentElement.classList.contains('is-idle')")
        assert page.evaluate(opacity) == shown


@pytest.mark.parametrize("dialog", ["overview", "help"])
def test_the_overview_and_the_help_fit_a_phone(browser: Any, pages: list[Any],
                                               decks: list[Path], dialog: str) -> None:
    page = new_page(browser, 320, 568, True)
    pages.append(page)
    open_deck(page, decks[-1])
    page.evaluate(f"demodeck.{dialog}(true)")
    box = page.evaluate("""() => { const d = document.querySelector('dialog[open]');
        const r = d.getBoundingClientRect();
        return {left: r.left, right: r.right, wide: d.scrollWidth - d.clientWidth}; }""")
    assert box["left"] >= 0 and box["right"] <= 320
    assert box["wide"] <= 0, "the dialog scrolls sideways"


# The metrics page, chart by chart: the labels (axis, latest value, dates, note) overlap
# neither each other nor the card's edges, and the latest value sits level with its point.
CHART_LABELS = """() => {
  const found = [];
  const W = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth > W) found.push('the page scrolls sideways');
  for (const card of document.querySelectorAll('.metric-series')) {
    const name = card.querySelector('h2').textContent.trim();
    const edge = card.getBoundingClientRect();
    const labels = [...card.querySelectorAll(
        'h2, .chart-ticks span, .chart-latest, .chart-dates span, .chart-note, .metric-single')]
      .map(el => [el.textContent.trim(), el.getBoundingClientRect()]);
    labels.forEach(([text, r], i) => {
      if (r.left < edge.left || r.right > edge.right) {
        found.push(`${name}: "${text}" leaves its card`);
      }
      for (const [other, o] of labels.slice(i + 1)) {
        if (r.left < o.right && o.left < r.right && r.top < o.bottom && o.top < r.bottom) {
          found.push(`${name}: "${text}" collides with "${other}"`);
        }
      }
    });
    const latest = card.querySelector('.chart-latest');
    if (latest) {
      const dots = card.querySelectorAll('.chart-dot');
      const dot = dots[dots.length - 1].getBoundingClientRect();
      const label = latest.getBoundingClientRect();
      if (Math.abs((label.top + label.bottom) / 2 - (dot.top + dot.bottom) / 2) > 3 ||
          label.left < dot.right) found.push(`${name}: the latest value is not beside its point`);
    }
  }
  return found;
}"""


@pytest.mark.parametrize(("width", "height", "mobile"), VIEWPORTS,
                         ids=[f"{w}x{h}" for w, h, _ in VIEWPORTS])
def test_the_metrics_page_labels_its_charts_without_collisions(
        browser: Any, pages: list[Any], decks: list[Path], width: int, height: int,
        mobile: bool) -> None:
    page = new_page(browser, width, height, mobile)
    pages.append(page)
    page.goto((decks[0].parent.parent / "metrics/index.html").as_uri())
    assert page.locator(".chart-latest").count() >= 6
    assert page.locator(".chart-note").count() >= 2  # latency and crash-free sessions
    assert page.locator(".metric-single").count() == 1  # tickets per order: one deck
    problems = page.evaluate(CHART_LABELS)
    assert problems == [], "\n".join(problems)
