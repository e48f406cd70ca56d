"""Full-text search of the archive (issue 23, item 3): the index the build writes, kept
right by incremental builds, and the search box driven in Chromium from file:// and over
http://127.0.0.1."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from demodeck import search
from demodeck.cli import main
from tests.browser import watched_page
from tests.conftest import EXAMPLE_DECK, Project, add_why_line, copy_examples
from tests.test_plain import run_build, tree


def year_index(site: Path, year: int) -> dict[str, Any]:
    text = (site / f"search/{year}.js").read_text(encoding="utf-8")
    prefix = f'window.{search.GLOBAL}["{year}"]='
    assert text.startswith(prefix) and text.endswith(";\n")
    data: dict[str, Any] = json.loads(text[len(prefix):-2])
    return data


def spelled(data: dict[str, Any]) -> list[dict[str, str]]:
    """Each slide of a year's index with its fields spelled out, as archive.js does."""
    words = data["words"].split("\n")
    fields = [" ".join(words[ord(c)] for c in field) for field in data["text"].split(" ")]
    dates = [deck[0] for deck in data["decks"] for _ in range(deck[2])]
    ids = data["slides"].split(" ")
    return [{"date": date, "id": ids[i], "title": fields[4 * i], "team": fields[4 * i + 1],
             "people": fields[4 * i + 2], "text": fields[4 * i + 3]}
            for i, date in enumerate(dates)]


def texts(site: Path, year: int = 2026) -> str:
    return "\n".join(slide["text"] for slide in spelled(year_index(site, year)))


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


def _plain_as_written_first(markdown: str) -> str:
    """plain as first written, with "^" patterns and plain lookarounds: plain's quicker
    patterns must read every text as these do."""
    import re

    text = re.sub(r"^[ \t]*(?:`{3,}|~{3,}).*$", " ", markdown, flags=re.MULTILINE)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<((?:https?://|mailto:)[^>\s]*)>", r"\1", text)
    text = re.sub(r"^[ \t]*(?:#{1,6}[ \t]+|>[ \t]?|[-*+][ \t]+|\d{1,9}[.)][ \t]+)", "", text,
                  flags=re.MULTILINE)
    text = re.sub(r"\*+|~~|`+|(?<!\w)_+|_+(?!\w)", "", text)
    return " ".join(re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text).split())


def test_markdown_marks_go_wherever_they_stand_as_the_first_written_patterns_read_them() -> None:
    import random

    pieces = [*"ab _*`~[]()!<>#-+.)1 \t\n\\\ré", "```", "~~~", "](", "https://x", "\u00a0"]
    rng = random.Random(20)
    for _ in range(30_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(16)))
        assert search.plain(text) == _plain_as_written_first(text), repr(text)


def test_items_said_twice_are_joined_once_however_their_case_and_accents_differ() -> None:
    assert search._joined(["Fast *CSV* export", "fast csv EXPORT", "Café", "CAFE", "x"]) == \
        "Fast CSV export · Café · x"


# -- the index on disk -----------------------------------------------------------------------

def test_the_build_writes_an_index_of_every_demo_and_retro(
        project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    assert project.run("build", capsys=capsys).code == 0
    data = year_index(project.root / "site", 2026)
    assert data["decks"] == [["2026-11-23", "Weekly Demo", 2]]
    slides = {slide["id"]: slide for slide in spelled(data)}
    assert set(slides) == {"search-v2", "faster-checkout"}  # no retro items in this deck
    assert slides["search-v2"] == {
        "date": "2026-11-23", "id": "search-v2", "title": "Search v2", "team": "Discovery",
        "people": "Gur Shafriri, Ada Lovelace",
        "text": "Typo-tolerant matching · Hebrew tokenisation · 12% of searches had a typo. "
                "See the RFC. · We shipped without a zero-results dashboard."}
    assert sorted(p.name for p in (project.root / "site/search").iterdir()) == ["2026.js"]


def test_each_word_is_stored_once_as_one_character_json_writes_as_is() -> None:
    many = " ".join(f"w{i}" for i in range(70_000))  # past U+FFFF: surrogate pairs in JS
    tricky = 'say "hi" to <b> and \\ back\u2028  twice   twice'
    data = search.year_data([("2026-01-05", "Week 1", (
        ("big", "Big  title", ("Zoë Quinn", "נועה לוי"), "Core", many),
        ("retro", "Retrospective", (), "", tricky)))])
    assert data["decks"] == [["2026-01-05", "Week 1", 2]]
    assert data["slides"] == "big retro"
    words = [w for w in data["words"].split("\n") if w]
    every = {*many.split(), *tricky.split(),
             *["Big", "title", "Zoë", "Quinn,", "נועה", "לוי", "Core", "Retrospective"]}
    assert sorted(words) == sorted(every)
    codes = {ord(c) for c in data["text"] if c != " "}
    assert max(codes) > 0xFFFF
    assert not [c for c in codes if c <= 0x20 or c in (0x22, 0x3C, 0x5C, 0x2028, 0x2029)
                or 0xD800 <= c <= 0xDFFF]
    assert [(s["title"], s["people"], s["team"], s["text"]) for s in spelled(data)] == [
        ("Big title", "Zoë Quinn, נועה לוי", "Core", many),
        ("Retrospective", "", "", 'say "hi" to <b> and \\ back twice twice')]


def test_deck_text_cannot_close_a_script_element(
        project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    project.write("decks/2026-11-23.yaml",
                  "title: Weekly\ndemos:\n  - title: \"</script><script>alert(1)</script>\"\n"
                  "    people: [A]\n    features: [x]\n    why: y\n    could_be_better: z\n")
    assert project.run("build", capsys=capsys).code == 0
    raw = (project.root / "site/search/2026.js").read_text(encoding="utf-8")
    assert "<" not in raw
    assert spelled(year_index(project.root / "site", 2026))[0]["title"] == \
        "</script><script>alert(1)</script>"


OLD_DECK = """\
title: Week 23
demos:
  - title: Offline maps
    people: [Søren Berg]
    team: Mobile
    features: [Tiles cached for a week]
    why: Field teams work where there is no signal, like the zeppelin hangar.
    could_be_better: Sync conflicts.
"""


def test_an_edit_remakes_its_years_index_only_as_a_cold_plain_build_would(
        tmp_path: Path) -> None:
    root = copy_examples(tmp_path / "proj")
    (root / "decks/2025-06-02.yaml").write_text(OLD_DECK, encoding="utf-8")
    site = root / "site"
    assert main(["build", "-C", str(root)]) == 0
    assert "quokkaberry" not in texts(site)
    inodes = {p.name: p.stat().st_ino for p in (site / "search").iterdir()}
    assert set(inodes) == {"2026.js", "2025.js"}
    add_why_line(root / EXAMPLE_DECK, "The quokkaberry benchmark proved it.")
    assert main(["build", "-C", str(root)]) == 0
    assert "The quokkaberry benchmark proved it." in texts(site)
    assert (site / "search/2025.js").stat().st_ino == inodes["2025.js"]  # kept as it was
    assert (site / "search/2026.js").stat().st_ino != inodes["2026.js"]
    inodes = {p.name: p.stat().st_ino for p in (site / "search").iterdir()}
    assert main(["build", "-C", str(root)]) == 0  # nothing changed: every file is kept
    assert {p.name: p.stat().st_ino for p in (site / "search").iterdir()} == inodes
    run_build(root, tmp_path / "plain", plain=True, env_home=tmp_path / "home")
    assert tree(tmp_path / "plain" / "search") == tree(site / "search")


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
    (root / "decks/2025-06-02.yaml").write_text(OLD_DECK, encoding="utf-8")
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
    with watched_page(browser, 1280, 900, dialogs=True) as pg:
        yield pg


HITS = """() => [...document.querySelectorAll('[data-search-hits] li')].map(li => [
    li.querySelector('a').getAttribute('href'), li.querySelector('a').textContent,
    [...li.querySelectorAll('mark')].map(m => m.textContent)])"""


def search_for(page: Any, text: str) -> list[list[Any]]:
    page.get_by_label("Filter demos").fill(text)
    page.wait_for_selector("[data-filter][data-search-ready]", state="attached")
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


def test_a_word_of_an_older_years_deck_finds_its_slide_from_file(page: Any, site: Path) -> None:
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url.rsplit("/", 2)[-2:]))
    start(page, (site / "index.html").as_uri())
    assert search_for(page, "ZEPPELIN") == [["2025-06-02/index.html#offline-maps",
                                             "Offline maps", ["zeppelin"]]]
    assert [r for r in requested if r[0] == "search"] == \
        [["search", "2026.js"], ["search", "2025.js"]]
    # presenters are searched too, accents or not: Søren's is the only slide that says so
    assert [h[0] for h in search_for(page, "soren")] == ["2025-06-02/index.html#offline-maps"]
    page.locator("[data-search-hits]").get_by_role("link", name="Offline maps").click()
    page.wait_for_url("**/2025-06-02/index.html#offline-maps")


def test_words_numbered_past_u_ffff_are_found_and_shown(page: Any, site: Path,
                                                         tmp_path: Path) -> None:
    """A year of more than ~63,000 different words codes the last ones as surrogate
    pairs in the page: they are matched, spelled out and highlighted all the same."""
    copy = tmp_path / "site"
    shutil.copytree(site, copy)
    many = " ".join(f"w{i}" for i in range(70_000))
    found = ("big", "Big", ("Zoë Quinn",), "", f"{many} wombat Ibáñez")
    page_data = search.year_page(2026, [("2026-11-09", "Week 45", (found,))]).data
    (copy / "search/2026.js").write_bytes(page_data)
    start(page, (copy / "index.html").as_uri())
    assert search_for(page, "wombat ibanez") == [["2026-11-09/index.html#big", "Big",
                                                  ["wombat", "Ibáñez"]]]
    assert search_for(page, "w69999") == [["2026-11-09/index.html#big", "Big", ["w69999"]]]


def test_folding_reads_any_mix_of_scripts_as_folding_it_character_by_character() -> None:
    import random
    import unicodedata

    def by_character(text: str) -> str:
        decomposed = unicodedata.normalize("NFKD", text.casefold())
        return " ".join("".join(search._BARE[ord(c)] or "" for c in decomposed).split())

    rng = random.Random(7)
    pool = [chr(c) for c in range(0x20, 0x3000) if not 0xD800 <= c <= 0xDFFF]
    for _ in range(5_000):
        text = "".join(rng.choice(pool) for _ in range(rng.randrange(24)))
        assert search.fold(text) == by_character(text), repr(text)
