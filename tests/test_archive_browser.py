"""The archive site in a real browser (issue 5): the index, its filter box, and a crawl of
the whole site served from a sub-path.

One multi-week project spanning three quarters is built once; the filter is driven from
file:// (it must work offline), the crawl over http://127.0.0.1:PORT/some/prefix/.
"""

from __future__ import annotations

import shutil
import threading
import unicodedata
import urllib.error
import urllib.request
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urldefrag, urlsplit

import pytest

from demodeck.cli import main
from tests.browser import errors_of
from tests.conftest import REPO

ZOE_NFC = unicodedata.normalize("NFC", "Zoë Quinn")
ZOE_NFD = unicodedata.normalize("NFD", "Zoë Quinn")
PREFIX = "/some/prefix/"


def demo(title: str, team: str, people: str, extra: str = "") -> str:
    return (f"  - title: {title}\n    team: {team}\n    people: {people}\n"
            "    features: [It works]\n    why: Customers asked.\n"
            "    could_be_better: Ship sooner.\n" + extra)


DECKS = {
    # Newest first, as the index must list them: 2026 Q4, 2026 Q3, 2025 Q4.
    "2026-10-12": ("Week 42", [
        demo("Zero-results dashboard", "Search", f'["{ZOE_NFC}"]',
             "    screenshot: {src: images/search-did-you-mean.png, alt: The dashboard}\n"),
        demo("Offline cart", "Mobile",
             "[{name: Priya Raman, avatar: images/priya-raman.png}]"),
    ]),
    "2026-10-05": ("Week 41", [
        demo("Split the bill", "Payments", '["José Ibáñez", "Søren Lund"]'),
    ]),
    "2026-09-28": ("Week 40", [
        demo("Dark mode tokens", "Design System", f'["{ZOE_NFD}"]'),
        demo("Flag janitor", "Platform", "[Aisha Bello]"),
    ]),
    "2026-07-06": ("Week 28", [
        demo("חיפוש בעברית", "Search", "[{name: נועה לוי, avatar: images/noa-levi.png}]"),
        demo("Apple Pay at checkout", "Payments", '["José Ibáñez"]'),
    ]),
    "2025-12-29": ("Week 1 of the archive", [
        demo("Feature flags service", "Platform", "[Aisha Bello]"),
    ]),
}
ALL_DEMOS = sum(len(demos) for _, demos in DECKS.values())


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("archive")
    images = root / "decks/images"
    images.mkdir(parents=True)
    for name in ("search-did-you-mean.png", "priya-raman.png", "noa-levi.png"):
        shutil.copy(REPO / "decks/images" / name, images / name)
    for date, (title, demos) in DECKS.items():
        (root / f"decks/{date}.yaml").write_text(
            f"title: {title}\ndemos:\n" + "".join(demos), encoding="utf-8")
    assert main(["build", "-C", str(root), "--no-cache"]) == 0
    return root / "site"


def watched_page(browser: Any) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    return context, pg, errors_of(pg)


@pytest.fixture(scope="module")
def shared_page(browser: Any) -> Iterator[tuple[Any, list[str]]]:
    """One tab for the index tests (each opens the page afresh): a new context per test
    costs more than the test."""
    context, pg, errors = watched_page(browser)
    yield pg, errors
    context.close()


@pytest.fixture
def page(shared_page: tuple[Any, list[str]]) -> Iterator[Any]:
    pg, errors = shared_page
    errors.clear()
    yield pg
    assert errors == [], f"errors in the page: {errors}"


@pytest.fixture
def own_page(browser: Any) -> Iterator[Any]:
    """A tab of its own, for tests that listen to its requests."""
    context, pg, errors = watched_page(browser)
    yield pg
    context.close()
    assert errors == [], f"errors in the page: {errors}"


# -- the index -----------------------------------------------------------------------------

VISIBLE_DEMOS = """() => [...document.querySelectorAll('[data-demo]')]
    .filter(e => e.checkVisibility()).map(e => e.querySelector('.demo-title').textContent.trim())"""
VISIBLE_DECKS = """() => [...document.querySelectorAll('[data-deck]')]
    .filter(e => e.checkVisibility()).map(e => e.querySelector('time').getAttribute('datetime'))"""
VISIBLE_QUARTERS = """() => [...document.querySelectorAll('[data-quarter]')]
    .filter(e => e.checkVisibility()).map(e => e.querySelector('.quarter-name').textContent)"""


def open_index(page: Any, site: Path) -> None:
    page.goto((site / "index.html").as_uri())
    page.wait_for_selector("[data-filter]:not([hidden])")


def filter_for(page: Any, text: str) -> None:
    page.get_by_label("Filter demos").fill(text)


def status(page: Any, expected: str) -> None:
    """The filter's part of the status; what full-text search adds ("; 3 slides mention
    it") once its index is in is tested in test_search.py."""
    page.wait_for_function("t => document.querySelector('[data-filter-status]').textContent"
                           ".split('; ')[0] === t", arg=expected, timeout=3000)


def test_index_lists_decks_newest_first_grouped_by_quarter(page: Any, site: Path) -> None:
    open_index(page, site)
    groups = page.evaluate("""() => [...document.querySelectorAll('[data-quarter]')].map(q => [
        q.querySelector('.quarter-name').textContent,
        [...q.querySelectorAll('[data-deck] time')].map(t => t.getAttribute('datetime'))])""")
    assert groups == [["2026 · Q4", ["2026-10-12", "2026-10-05"]],
                      ["2026 · Q3", ["2026-09-28", "2026-07-06"]],
                      ["2025 · Q4", ["2025-12-29"]]]
    assert page.evaluate(VISIBLE_DEMOS) == [t for _, demos in DECKS.values() for t in (
        d.split("\n")[0].removeprefix("  - title: ") for d in demos)]
    first = page.locator("[data-deck]").first
    assert first.locator("h3 a").get_attribute("href") == "2026-10-12/index.html"
    assert first.locator(".demo-title").first.get_attribute("href") == \
        "2026-10-12/index.html#zero-results-dashboard"
    assert first.locator(".demo-team").all_inner_texts() == ["Search", "Mobile"]
    # Presenters link to their people page, however their name was typed.
    hrefs = page.eval_on_selector_all(
        ".demo-people a", "els => els.filter(e => e.textContent.normalize('NFC') === 'Zoë Quinn')"
        ".map(e => e.getAttribute('href'))")
    assert hrefs == ["people/zoe-quinn/index.html"] * 2


def test_filter_narrows_by_title(page: Any, site: Path) -> None:
    open_index(page, site)
    filter_for(page, "dashboard")
    assert page.evaluate(VISIBLE_DEMOS) == ["Zero-results dashboard"]
    assert page.evaluate(VISIBLE_DECKS) == ["2026-10-12"]
    assert page.evaluate(VISIBLE_QUARTERS) == ["2026 · Q4"]
    status(page, "1 demo in 1 deck match “dashboard”")


def test_filter_narrows_by_team(page: Any, site: Path) -> None:
    open_index(page, site)
    filter_for(page, "PAYMENTS")
    assert page.evaluate(VISIBLE_DEMOS) == ["Split the bill", "Apple Pay at checkout"]
    assert page.evaluate(VISIBLE_QUARTERS) == ["2026 · Q4", "2026 · Q3"]
    status(page, "2 demos in 2 decks match “PAYMENTS”")


def test_filter_by_person_ignores_case_and_accents(page: Any, site: Path) -> None:
    open_index(page, site)
    for typed in ["zoe", "Zoë", "ZOË QUINN", ZOE_NFD, "  zoe   quinn "]:
        filter_for(page, typed)
        # One demo has the name in NFC, the other in NFD: both match.
        assert page.evaluate(VISIBLE_DEMOS) == ["Zero-results dashboard", "Dark mode tokens"], \
            typed
        assert page.evaluate(VISIBLE_DECKS) == ["2026-10-12", "2026-09-28"], typed


def test_filter_more_words_narrow_further(page: Any, site: Path) -> None:
    open_index(page, site)
    filter_for(page, "soren")  # "ø" has no combining mark to strip
    assert page.evaluate(VISIBLE_DEMOS) == ["Split the bill"]
    filter_for(page, "jose")
    assert page.evaluate(VISIBLE_DEMOS) == ["Split the bill", "Apple Pay at checkout"]
    filter_for(page, "jose week 28")  # the deck's title counts too
    assert page.evaluate(VISIBLE_DEMOS) == ["Apple Pay at checkout"]
    filter_for(page, "חיפוש")
    assert page.evaluate(VISIBLE_DEMOS) == ["חיפוש בעברית"]


def test_clearing_the_filter_restores_everything(page: Any, site: Path) -> None:
    open_index(page, site)
    box = page.get_by_label("Filter demos")
    box.fill("janitor")
    assert page.evaluate(VISIBLE_DEMOS) == ["Flag janitor"]
    box.fill("")
    assert len(page.evaluate(VISIBLE_DEMOS)) == ALL_DEMOS
    assert page.evaluate(VISIBLE_DECKS) == list(DECKS)
    status(page, f"Showing all {ALL_DEMOS} demos in {len(DECKS)} decks")
    box.fill("janitor")
    box.press("Escape")
    assert box.input_value() == ""
    assert len(page.evaluate(VISIBLE_DEMOS)) == ALL_DEMOS


def test_no_match_says_so_and_offers_to_clear(page: Any, site: Path) -> None:
    open_index(page, site)
    filter_for(page, "xyzzy")
    assert page.evaluate(VISIBLE_DEMOS) == []
    assert page.evaluate(VISIBLE_QUARTERS) == []
    empty = page.locator("[data-filter-empty]")
    assert empty.is_visible()
    assert "No demo matches “xyzzy”." in empty.inner_text()
    status(page, "No demo matches “xyzzy”")
    page.get_by_role("button", name="Show every deck").click()
    assert len(page.evaluate(VISIBLE_DEMOS)) == ALL_DEMOS
    assert not empty.is_visible()
    assert page.evaluate("document.activeElement.id") == "filter-q"


def test_filter_is_labelled_announced_and_reachable_by_keyboard(page: Any, site: Path) -> None:
    open_index(page, site)
    box = page.get_by_role("searchbox", name="Filter demos")
    assert box.get_attribute("aria-describedby") == "filter-hint"
    live = page.locator("[data-filter-status]")
    assert live.get_attribute("aria-live") == "polite"
    assert live.get_attribute("role") == "status"
    assert live.inner_text() == ""  # opening the page announces nothing
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "filter-q"
    page.keyboard.type("mobile")
    assert page.evaluate(VISIBLE_DEMOS) == ["Offline cart"]
    status(page, "1 demo in 1 deck match “mobile”")
    outline = page.evaluate("getComputedStyle(document.activeElement).boxShadow")
    assert outline != "none"  # a visible focus ring


def test_a_link_with_a_query_opens_filtered(page: Any, site: Path) -> None:
    page.goto((site / "index.html").as_uri() + "?q=janitor")
    page.wait_for_selector("[data-filter]:not([hidden])")
    assert page.evaluate(VISIBLE_DEMOS) == ["Flag janitor"]


def test_without_javascript_the_full_list_shows(browser: Any, site: Path) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        pg = context.new_page()
        pg.goto((site / "index.html").as_uri())
        assert not pg.locator("[data-filter]").is_visible()
        assert pg.locator("[data-demo]:visible").count() == ALL_DEMOS
        assert pg.locator("[data-filter-empty]").is_hidden()
    finally:
        context.close()


def test_index_works_offline_from_file(own_page: Any, site: Path) -> None:
    page = own_page
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    open_index(page, site)
    filter_for(page, "zoe")
    assert len(page.evaluate(VISIBLE_DEMOS)) == 2
    assert requested and all(u.startswith(("file:", "data:")) for u in requested), requested


# -- the whole site from a sub-path ----------------------------------------------------------

class SubPathHandler(SimpleHTTPRequestHandler):
    """Serves the site at /some/prefix/ and nothing anywhere else (so a root-relative
    link, which would work at the root of a host, is a 404 here)."""

    def translate_path(self, path: str) -> str:
        if not path.startswith(PREFIX):
            return str(Path(self.directory) / ".no-such-file")
        return super().translate_path("/" + path[len(PREFIX):])

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 partial(SubPathHandler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{PREFIX}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            response.read()  # all of it: closing early makes the server log a broken pipe
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


PAGE_LINKS = """() => [...document.querySelectorAll('[href], [src]')].flatMap(e =>
    ['href', 'src'].filter(a => e.hasAttribute(a))
      .map(a => [e.tagName.toLowerCase(), a, new URL(e.getAttribute(a), document.baseURI).href]))"""
IMAGES = """async () => Promise.all([...document.images].map(async img => {
    const probe = new Image();
    probe.src = img.currentSrc || img.src;
    try { await probe.decode(); } catch (e) {}
    return [img.getAttribute('src'), probe.naturalWidth];
}))"""


def test_site_served_from_a_sub_path_has_no_broken_link(own_page: Any, served: str) -> None:
    page = own_page
    origin = f"{urlsplit(served).scheme}://{urlsplit(served).netloc}"
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400
            else None)
    todo, seen, checked = [served + "index.html"], set(), {}
    ids: dict[str, set[str]] = {}
    fragments: list[tuple[str, str, str]] = []  # (page, target, fragment)
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        seen.add(url)
        assert page.goto(url).status == 200, url
        ids[url] = set(page.eval_on_selector_all("[id]", "els => els.map(e => e.id)"))
        for tag, attr, link in page.evaluate(PAGE_LINKS):
            target, fragment = urldefrag(link)
            if not target.startswith(origin):
                continue  # external: not fetched
            assert target.startswith(served), f"{url}: {tag} {attr} leaves the site: {link}"
            if target not in checked:
                checked[target] = status_of(target)
            assert checked[target] == 200, f"{url}: {tag} {attr}={link} → {checked[target]}"
            if fragment:
                fragments.append((url, target, fragment))
            if tag == "a" and target.endswith((".html", "/")):
                todo.append(target)
        for src, width in page.evaluate(IMAGES):
            assert width > 0, f"{url}: image {src} did not load"
    assert failed == []
    for url, target, fragment in fragments:
        assert target in ids, f"{url}: links to {target}, which the crawl never opened"
        assert fragment in ids[target] or unquote(fragment) in ids[target], \
            f"{url}: no #{fragment} in {target}"
    pages = {u.removeprefix(served) for u in seen}
    assert {"index.html", "people/index.html", "metrics/index.html",
            "people/zoe-quinn/index.html", *(f"{d}/index.html" for d in DECKS)} <= pages
    assert any(u.endswith(".png") for u in checked)  # images were among the links checked


def test_hashed_assets_and_feed_are_served_under_the_prefix(served: str) -> None:
    assert status_of(served + "feed.xml") == 200
    root = served.removesuffix(PREFIX) + "/index.html"
    assert status_of(root) == 404  # the server really only serves the prefix
