"""Self-contained decks (issue 5): `demodeck build --self-contained` and `demodeck export`.

Works on a copy of the example decks in decks/ (so nothing is written into the
checkout): the HTML is parsed for anything still pointing at another file, then the
exported deck is opened from disk in Chromium with every request but its own refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup

from demodeck import actions, sizes, slides
from demodeck.cli import main
from demodeck.config import load_config
from demodeck.pipeline import validate_all
from tests.conftest import copy_examples

EXAMPLE = "2026-11-23"
URL_ATTRS = ("href", "src", "srcset", "poster", "action", "formaction", "xlink:href", "data")
ALLOWED = ("#", "data:", "http://", "https://", "mailto:")



@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project holding a copy of the example decks (their images included)."""
    return copy_examples(tmp_path_factory.mktemp("example"))


@pytest.fixture(scope="module")
def self_contained_site(example: Path) -> Path:
    assert main(["build", "-C", str(example), "--no-cache", "--self-contained",
                 "--out", "single"]) == 0
    return example / "single"


@pytest.fixture(scope="module")
def exported(example: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Alone in its own folder: a relative link left behind could not find its file.
    out = tmp_path_factory.mktemp("mail") / "week-48.html"
    assert main(["export", EXAMPLE, "-C", str(example), "-o", str(out)]) == 0
    return out


def local_urls(html: str) -> list[str]:
    """Every URL attribute that still points at another file."""
    soup = BeautifulSoup(html, "html.parser")
    left = []
    for tag in soup.find_all(True):
        for attr in URL_ATTRS:
            value = tag.get(attr)
            if value is None or (attr == "data" and tag.name != "object"):
                continue
            if not str(value).strip().lower().startswith(ALLOWED):
                left.append(f"<{tag.name} {attr}={value!r}>")
    return left


def assert_images_inline(html: str) -> int:
    soup = BeautifulSoup(html, "html.parser")
    images = soup.find_all("img")
    for img in images:
        assert img["src"].startswith("data:image/"), img["src"][:80]
    assert not soup.select('link[rel~="stylesheet"], script[src]')
    return len(images)


@pytest.fixture(scope="module")
def slide_ids(example: Path) -> list[str]:
    site = load_config(example)
    decks = validate_all(site)
    at = next(i for i, d in enumerate(decks) if d.slug == EXAMPLE)
    follow_ups = actions.follow(decks).follow_ups[at]
    planned = slides.plan(decks[at], follow_ups, sizes.of_project(site.root))
    return [s.id for s in planned.slides]


def test_exported_deck_has_nothing_relative_left(exported: Path, slide_ids: list[str]) -> None:
    html = exported.read_text(encoding="utf-8")
    assert local_urls(html) == []
    assert assert_images_inline(html) >= 5  # the example shows avatars and screenshots
    soup = BeautifulSoup(html, "html.parser")
    assert soup.select_one("style") is not None and soup.select_one("script") is not None
    assert [s["id"] for s in soup.select("section.slide[data-slide]")] == slide_ids


def test_self_contained_build_inlines_every_page(self_contained_site: Path) -> None:
    pages = sorted(self_contained_site.rglob("*.html"))
    decks = [p for p in pages if p.parent.name[:4].isdigit()]
    assert len(decks) == 3 and len(pages) > len(decks)
    for deck in decks:  # one file each, links to nothing
        html = deck.read_text(encoding="utf-8")
        assert local_urls(html) == [], deck
        assert assert_images_inline(html) > 0, deck
    for page in pages:  # archive pages still link to each other, but load nothing
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        assert not soup.select('link[rel~="stylesheet"], script[src]'), page
        assert all(img["src"].startswith("data:image/") for img in soup.find_all("img")), page


# -- in the browser, with the network refused ------------------------------------------------

def open_offline(browser: Any, file: Path) -> tuple[Any, Any, list[str], list[str]]:
    """Open ``file`` with every request but the file itself refused and recorded."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    own = file.as_uri()
    attempted: list[str] = []

    def route(r: Any) -> None:
        if r.request.url.split("#")[0] == own:
            r.continue_()
        else:
            attempted.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda r: None if r.url.startswith("data:") or r.url.split("#")[0] == own
            else attempted.append(r.url))
    page.goto(own)
    return context, page, attempted, errors


SHOW_EACH_SLIDE = """async () => {
  const seen = [];
  for (let i = 0; i < demodeck.slides.length; i++) {
    demodeck.go(i);
    const slide = demodeck.slides[demodeck.current()];
    const images = await Promise.all([...slide.querySelectorAll('img')].map(async img => {
      try { await img.decode(); } catch (e) {}
      return img.naturalWidth;
    }));
    seen.push({id: slide.id, visible: getComputedStyle(slide).visibility === 'visible'
               && slide.classList.contains('is-active'), images});
  }
  return seen;
}"""


def test_exported_deck_shows_every_slide_and_image_offline(browser: Any, exported: Path,
                                                          slide_ids: list[str]) -> None:
    context, page, attempted, errors = open_offline(browser, exported)
    try:
        page.wait_for_function("window.demodeck && demodeck.current() >= 0")
        seen = page.evaluate(SHOW_EACH_SLIDE)
        assert [s["id"] for s in seen] == slide_ids
        assert all(s["visible"] for s in seen), [s["id"] for s in seen if not s["visible"]]
        widths = [w for s in seen for w in s["images"]]
        assert len(widths) >= 5 and all(w > 0 for w in widths), seen
        sheets = page.evaluate("document.styleSheets.length")
        assert sheets >= 1 and page.evaluate(
            "getComputedStyle(document.querySelector('.slide')).position") == "absolute"
    finally:
        context.close()
    assert attempted == []
    assert errors == []


def test_self_contained_index_filters_offline(browser: Any, self_contained_site: Path) -> None:
    context, page, attempted, errors = open_offline(browser, self_contained_site / "index.html")
    try:
        page.wait_for_selector("[data-filter]:not([hidden])")  # the inlined script ran
        page.get_by_label("Filter demos").fill("zoe")
        titles = page.evaluate("""[...document.querySelectorAll('[data-demo]')]
            .filter(e => e.checkVisibility())
            .map(e => e.querySelector('.demo-title').textContent)""")
        assert titles == ["An accessible date picker for Pantry UI",
                          "Pantry UI 3.0: design tokens and dark mode"]
    finally:
        context.close()
    assert attempted == []
    assert errors == []
