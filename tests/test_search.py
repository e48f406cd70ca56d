"""Full-text search of the archive (issue 23, item 3): the index the build writes, kept
right by incremental builds, and the search box driven in Chromium from file:// and over
http://127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from demodeck import search
from demodeck.cli import main
from tests.conftest import EXAMPLE_DECK, Project, add_why_line, copy_examples


def index_of(site: Path) -> dict[str, Any]:
    text = (site / "search-index.js").read_text(encoding="utf-8")
    prefix = f"window.{search.GLOBAL}="
    assert text.startswith(prefix) and text.endswith(";\n")
    data: dict[str, Any] = json.loads(text[len(prefix):-2])
    return data


def texts(site: Path) -> str:
    return "\n".join(entry[5] for entry in index_of(site)["entries"])


# -- folding and Markdown ------------------------------------------------------------------

def test_folding_ignores_case_accents_niqqud_harakat_tatweel_and_alef_forms() -> None:
    assert search.fold("Zoë SØREN  Ibáñez") == "zoe soren ibanez"
    assert search.fold("ﬁnal Straße") == "final strasse"
    assert search.fold("שָׁלוֹם") == search.fold("שלום") == "שלום"
    assert search.fold("الْعَرَبِيَّة") == "العربية"
    assert search.fold("أحمد إسلام آمن ٱلكتاب") == "احمد اسلام امن الكتاب"
    assert search.fold("كتـــاب") == "كتاب"


def test_folding_plain_ascii_text_gives_what_folding_it_with_an_accent_beside_gives() -> None:
    # ASCII text takes a shorter way: it must end where the full way does
    import string

    for text in (string.printable, "Typo-Tolerant  SEARCH\tv2\n(beta)"):
        assert search.fold(text + " é") == search.fold(text) + " e"


def test_markdown_is_reduced_to_the_words_a_reader_sees() -> None:
    assert search.plain("Matches **2 typos**; see [the RFC](https://x.test/rfc) and "
                        "`search.typo_tolerance`\n- a list item") == \
        "Matches 2 typos; see the RFC and search.typo_tolerance a list item"


# -- the index on disk -----------------------------------------------------------------------

def test_the_build_writes_an_index_of_every_demo_and_retro(
        project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    assert project.run("build", capsys=capsys).code == 0
    data = index_of(project.root / "site")
    assert data["decks"] == [["2026-11-23", "Weekly Demo"]]
    entries = {entry[1]: entry for entry in data["entries"]}
    assert set(entries) == {"search-v2", "faster-checkout"}  # no retro items in this deck
    deck, _, title, people, team, text = entries["search-v2"]
    assert (deck, title, team) == (0, "Search v2", "Discovery")
    assert [data["people"][i] for i in people] == ["Gur Shafriri", "Ada Lovelace"]
    assert text == ("Typo-tolerant matching · Hebrew tokenisation · 12% of searches had a "
                    "typo. See the RFC. · We shipped without a zero-results dashboard.")


def test_deck_text_cannot_close_a_script_element(
        project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    project.write("decks/2026-11-23.yaml",
                  "title: Weekly\ndemos:\n  - title: \"</script><script>alert(1)</script>\"\n"
                  "    people: [A]\n    features: [x]\n    why: y\n    could_be_better: z\n")
    assert project.run("build", capsys=capsys).code == 0
    raw = (project.root / "site/search-index.js").read_text(encoding="utf-8")
    assert "<" not in raw
    assert index_of(project.root / "site")["entries"][0][2] == \
        "</script><script>alert(1)</script>"


def test_an_edited_why_is_found_after_a_cached_rebuild(tmp_path: Path) -> None:
    root = copy_examples(tmp_path / "proj")
    site = root / "site"
    assert main(["build", "-C", str(root)]) == 0
    assert "quokkaberry" not in texts(site)
    add_why_line(root / EXAMPLE_DECK, "The quokkaberry benchmark proved it.")
    assert main(["build", "-C", str(root)]) == 0
    assert "The quokkaberry benchmark proved it." in texts(site)
    before = (site / "search-index.js").stat().st_ino
    assert main(["build", "-C", str(root)]) == 0  # nothing changed: the file is kept
    assert (site / "search-index.js").stat().st_ino == before
    assert "quokkaberry" in texts(site)


# -- in a browser ------------------------------------------------------------------------------

DECK = """\
title: Week 45
demos:
  - title: Typo-tolerant search
    people: [Zoë Quinn]
    team: Search
    features: ["Matches **2 typos** in long words"]
    why: |
      Customers misspell *Ibáñez* all the time.
    could_be_better: Launch notes came late.
  - title: חיפוש בעברית
    people: [נועה לוי]
    features: [ניקוד נתמך]
    why: |
      מילים עם ניקוד כמו שָׁלוֹם נמצאות גם בלי ניקוד.
    could_be_better: בדיקות בערבית الْعَرَبِيَّة و أحمد متأخرות.
  - title: "<img src=x onerror=alert(1)>"
    people: [Mallory]
    features: ["<b>bold</b> claims"]
    why: hostile
    could_be_better: nothing
retro:
  went_well: [The quarantine of flaky tests paid off]
"""
OLDER = """\
title: Week 44
demos:
  - title: Dark mode
    people: [Aisha Bello]
    features: [Tokens for every colour]
    why: Typo in a colour name broke the build.
    could_be_better: Nothing.
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("search")
    (root / "decks").mkdir()
    (root / "decks/2026-11-09.yaml").write_text(DECK, encoding="utf-8")
    (root / "decks/2026-11-02.yaml").write_text(OLDER, encoding="utf-8")
    assert main(["build", "-C", str(root), "--no-cache"]) == 0
    return root / "site"


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    pg.on("dialog", lambda d: errors.append(f"dialog: {d.message}"))
    yield pg
    context.close()
    assert errors == [], f"errors in the page: {errors}"


HITS = """() => [...document.querySelectorAll('[data-search-hits] li')].map(li => [
    li.querySelector('a').getAttribute('href'), li.querySelector('a').textContent,
    [...li.querySelectorAll('mark')].map(m => m.textContent)])"""


def search_for(page: Any, text: str) -> list[list[Any]]:
    page.get_by_label("Filter demos").fill(text)
    page.wait_for_function("() => window.demodeckSearchIndex !== undefined")
    hits: list[list[Any]] = page.evaluate(HITS)
    return hits


def start(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("[data-filter]:not([hidden])")


@pytest.mark.parametrize("how", ["file", "http"])
def test_a_word_of_any_slide_finds_it_from_file_and_over_http(
        page: Any, site: Path, served: str, how: str) -> None:
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    start(page, (site / "index.html").as_uri() if how == "file" else served + "index.html")
    assert page.evaluate("window.demodeckSearchIndex") is None  # not before the box is used
    hits = search_for(page, "TYPOS")
    assert hits == [["2026-11-09/index.html#typo-tolerant-search", "Typo-tolerant search",
                     ["typos"]]]
    assert page.locator("[data-search-results-title]").inner_text() == \
        "1 slide mentions “TYPOS”"
    page.wait_for_function("() => document.querySelector('[data-filter-status]').textContent"
                           ".endsWith('; 1 slide mentions it')")
    # Words from why, in any case and without accents, and across decks: newest first.
    assert [h[0] for h in search_for(page, "typo")] == [
        "2026-11-09/index.html#typo-tolerant-search", "2026-11-02/index.html#dark-mode"]
    assert search_for(page, "ibanez misspell")[0][2] == ["misspell", "Ibáñez"]
    assert search_for(page, "quarantine") == [["2026-11-09/index.html#retro",
                                                "Retrospective", ["quarantine"]]]
    page.get_by_role("link", name="Retrospective").click()
    page.wait_for_url("**/2026-11-09/index.html#retro")
    if how == "file":
        assert all(u.startswith(("file:", "data:")) for u in requested), requested


def test_hebrew_and_arabic_words_match_without_niqqud_or_harakat(page: Any, site: Path) -> None:
    start(page, (site / "index.html").as_uri())
    hebrew = "2026-11-09/index.html#" + "חיפוש-בעברית"
    assert [h[0] for h in search_for(page, "שלום")] == [hebrew]
    assert search_for(page, "שלום")[0][2] == ["שָׁלוֹם"]
    assert [h[0] for h in search_for(page, "العربية")] == [hebrew]
    assert [h[0] for h in search_for(page, "احمد")] == [hebrew]  # أحمد, typed without hamza
    assert [h[0] for h in search_for(page, "נתמך")] == [hebrew]


def test_hostile_text_shows_as_text_and_no_hit_says_so(page: Any, site: Path) -> None:
    start(page, (site / "index.html").as_uri())
    hits = search_for(page, "onerror")
    assert hits == [["2026-11-09/index.html#img-src-x-onerror-alert-1",
                     "<img src=x onerror=alert(1)>", []]]
    assert page.locator("[data-search-hits] img, [data-search-hits] b").count() == 0
    assert search_for(page, "xyzzy") == []
    assert page.locator("[data-search-results]").is_hidden()
    assert page.locator("[data-filter-empty]").is_visible()


def test_search_hits_are_reached_by_keyboard(page: Any, site: Path) -> None:
    start(page, (site / "index.html").as_uri())
    page.keyboard.press("/")
    page.keyboard.type("flaky")
    page.wait_for_selector("[data-search-hits] a")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == \
        "2026-11-09/index.html#retro"
    page.keyboard.press("Enter")
    page.wait_for_url("**/2026-11-09/index.html#retro")
