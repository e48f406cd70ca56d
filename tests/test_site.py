"""The built site as a user gets it: slides, retro, escaping, themes, links, caches."""

from __future__ import annotations

import dataclasses
import os
import pickle
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag
from hypothesis import given, settings
from hypothesis import strategies as st

from demodeck import (
    decks,
    load,
    markdown,
    model,
    people,
    pipeline,
    render,
)
from demodeck.build import BuildResult, build
from demodeck.config import load_config
from demodeck.errors import BuildError
from demodeck.incremental import archive_keys, cache_files, pool, signed
from demodeck.incremental import manifest as manifest_mod
from demodeck.incremental import validating as validating_stage
from demodeck.incremental.cache import BuildCache
from demodeck.markdown import render_block
from tests.conftest import (
    EXAMPLE_DECK,
    MINIMAL_DECK,
    REPO,
    Project,
    add_why_line,
    copy_examples,
)

Cap = pytest.CaptureFixture[str]


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def text(node: Tag) -> str:
    return " ".join(node.get_text(" ").split())


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_deck_has_every_slide_in_order(project: Project, capsys: Cap) -> None:
    assert project.run("build", capsys=capsys).code == 0
    page = soup(project.site("2026-11-23/index.html"))
    slides = page.select("section[data-slide]")
    assert [(s["id"], s["data-slide"]) for s in slides] == [
        ("title", "title"), ("search-v2", "demo"), ("faster-checkout", "demo"),
        ("retro", "retro"), ("thanks", "thanks")]
    title = text(slides[0])
    assert "Monday 23 November 2026" in title and "Grace Hopper" in title
    assert "Search v2" in title
    assert slides[0].select_one(".agenda-people").get_text() == "Gur Shafriri, Ada Lovelace"
    assert "5 min" in title
    demo = slides[1]
    assert text(demo.select_one("h2")) == "Search v2"
    assert "Discovery" in text(demo)
    assert demo.select_one(".features strong").get_text() == "Hebrew"
    rfc = demo.select_one(".why a")
    assert rfc is not None and rfc["href"] == "https://example.com/rfc/42"
    thanks = text(slides[-1])
    for name in ("Gur Shafriri", "Ada Lovelace", "Zoë Quinn"):
        assert name in thanks


def test_retro_slide_gathers_every_could_be_better(project: Project, capsys: Cap) -> None:
    project.write("decks/2026-11-23.yaml", (project.root / "decks/2026-11-23.yaml").read_text()
                  + "retro:\n  went_well: [Pairing]\n  could_be_better: [Release script]\n"
                  "  actions: [{what: Write the runbook, owner: Grace Hopper}, Plain action]\n")
    assert project.run("build", capsys=capsys).code == 0
    page = soup(project.site("2026-11-23/index.html"))
    retro = page.select('[data-slide="retro"]')
    assert len(retro) == 1
    body = text(retro[0])
    assert "What could we have done better?" in body
    heads = [text(h) for h in retro[0].select("h3")]
    assert heads[:2] == ["Search v2", "Faster checkout"]
    assert "We shipped without a zero-results dashboard." in body
    assert "Load testing came late." in body
    for item in ("Pairing", "Release script", "Write the runbook", "Grace Hopper",
                 "Plain action"):
        assert item in body


def test_example_decks_build_with_complete_retros(tmp_path: Path) -> None:
    site = load_config(REPO, output_dir=str(tmp_path / "site"))
    result = build(site)
    decks = pipeline.validate_all(site)
    assert result.decks == len(decks) >= 3
    for deck in decks:
        page = soup((tmp_path / "site" / deck.slug / "index.html").read_text())
        assert len(page.select('[data-slide="retro"]')) == 1, deck.slug
        parts = page.select('[data-slide="retro"], [data-slide="retro-part"]')
        assert [p["id"] for p in parts] == ["retro"] + [f"retro-{n}" for n in
                                                        range(2, len(parts) + 1)]
        body = " ".join(text(p) for p in parts)
        for demo in deck.demos:
            assert body.count(demo.title) == 1, (deck.slug, demo.title)
            expected = text(soup(render_block(demo.could_be_better)))
            assert expected in body, (deck.slug, demo.title)


HOSTILE = [
    '<script>alert("t")</script>',
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "</script><script>alert(1)</script>",
    "{{ 7*7 }}{% raw %}",
    "\u2028\u2029</style>",
]


def hostile_deck() -> str:
    lines = ["title: '<b>T</b>{{ 7*7 }}'", "hosts: [\"<i>h</i>\"]", "demos:"]
    for n, s in enumerate(HOSTILE):
        q = s.replace("\\", "\\\\").replace('"', '\\"').replace("\u2028", "\\u2028") \
             .replace("\u2029", "\\u2029")
        lines += [
            f'  - title: "{q} {n}"',
            f'    team: "{q}"',
            f'    people: ["{q}", {{name: "{q} b", role: "{q}"}}]',
            f'    features: ["{q}"]',
            f'    why: "{q} [x](javascript:alert(1))"',
            f'    could_be_better: "{q}"',
            f'    notes: "{q}"',
            f'    links: [{{label: "{q}", url: "https://e.com/?q=\\"><script>"}}]',
        ]
    lines += ['metrics: {"deploys x": 3}', 'retro: {went_well: ["<b>w</b>"], '
              'actions: [{what: "<script>x</script>", owner: "\\"><b>o</b>"}]}']
    return "\n".join(lines) + "\n"


def test_user_text_is_escaped_everywhere(project: Project, capsys: Cap) -> None:
    project.write("decks/2026-11-23.yaml", hostile_deck())
    result = project.run("build", capsys=capsys)
    assert result.code == 0, result.err
    for rel in ("2026-11-23/index.html", "index.html"):
        html = project.site(rel)
        page = soup(html)
        scripts = page.find_all("script")
        assert all(s.get("src") and not s.get_text().strip() for s in scripts), rel
        for tag in page.find_all(True):
            assert not any(a.startswith("on") for a in tag.attrs), (rel, tag)
            for attr in ("href", "src"):
                assert not str(tag.get(attr, "")).lower().startswith("javascript"), tag
        assert page.find("svg", attrs={"onload": True}) is None
        assert "<b>T</b>" not in html
        assert "{{ 7*7 }}" in page.get_text()  # template syntax in data stays text
    deck_text = soup(project.site("2026-11-23/index.html")).get_text()
    for s in HOSTILE[:4]:
        assert s in deck_text  # reads back exactly as written


def test_user_template_extends_builtin_and_overrides_one_block(project: Project,
                                                                capsys: Cap) -> None:
    project.write("templates/deck.html", """\
        {% extends "!theme/deck.html" %}
        {% block thanks_slide %}<section class="slide" id="thanks" data-slide="thanks">
        <h2>Cheers, {{ deck.presenters|length }} builders!</h2></section>{% endblock %}
        """)
    assert project.run("build", capsys=capsys).code == 0
    page = soup(project.site("2026-11-23/index.html"))
    assert text(page.select_one('[data-slide="thanks"] h2')) == "Cheers, 3 builders!"
    assert page.select_one('[data-slide="retro"]') is not None  # the rest is the theme's


def test_dropping_the_retro_slide_fails_the_build(project: Project, capsys: Cap) -> None:
    assert project.run("build", capsys=capsys).code == 0
    before = tree(project.root / "site")
    project.write("templates/deck.html", """\
        {% extends "!theme/deck.html" %}
        {% block retro_slide %}{% endblock %}
        """)
    result = project.run("build", capsys=capsys)
    assert result.code == 1
    assert result.err.splitlines()[0] == (
        'templates/deck.html: the deck template has no element with data-slide="retro"; '
        "the retrospective slide is mandatory: keep {% block retro_slide %} "
        '(or extend "!theme/deck.html")')
    assert tree(project.root / "site") == before


@pytest.mark.parametrize("parallel", [False, True])
def test_template_syntax_error_names_file_and_line(project: Project, capsys: Cap,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   parallel: bool) -> None:
    """In parallel too, where the template is first compiled while the decks are validated."""
    if parallel:
        monkeypatch.setattr(pool, "PARALLEL_MIN", 1)
    project.write("templates/deck.html", "{% extends '!theme/deck.html' %}\n\n{% block x %}\n")
    result = project.run("build", "--jobs", "2", capsys=capsys)
    assert result.code == 1
    assert result.err.startswith("templates/deck.html:3: template syntax error: Unexpected end "
                                 "of template.")


def test_template_undefined_variable_names_file_and_line(project: Project,
                                                         capsys: Cap) -> None:
    project.write("templates/index.html", "<p>\n{{ no_such_thing.title }}\n</p>\n")
    result = project.run("build", capsys=capsys)
    assert result.code == 1
    assert result.err.startswith("templates/index.html:2: template error: 'no_such_thing' is "
                                 "undefined")


def test_index_lists_decks_newest_first_with_relative_links(project: Project,
                                                            capsys: Cap) -> None:
    older = (project.root / "decks/2026-11-23.yaml").read_text().replace("Search v2", "Older")
    project.write("decks/2026-11-16.yaml", older)
    assert project.run("build", capsys=capsys).code == 0
    page = soup(project.site())
    hrefs = [a["href"] for a in page.select("a[href$='index.html']")]
    assert hrefs.index("2026-11-23/index.html") < hrefs.index("2026-11-16/index.html")
    body = text(page)
    assert "Older" in body and "Zoë Quinn" in body


def test_every_local_link_and_asset_resolves(project: Project, capsys: Cap) -> None:
    (project.root / "decks/images").mkdir()
    shutil.copy(next((REPO / "decks").rglob("*.png")), project.root / "decks/images/a.png")
    project.write("decks/2026-11-23.yaml", (project.root / "decks/2026-11-23.yaml").read_text()
                  .replace("    minutes: 5\n", "    minutes: 5\n    screenshot: "
                           "{src: images/a.png, alt: The thing}\n"))
    assert project.run("build", capsys=capsys).code == 0
    site = project.root / "site"
    checked = 0
    for html_file in site.rglob("*.html"):
        for tag in soup(html_file.read_text()).find_all(["a", "link", "script", "img"]):
            url = str(tag.get("href") or tag.get("src") or "")
            if not url or url.startswith(("#", "https://", "http://", "mailto:", "data:")):
                continue
            assert not url.startswith("/"), url  # relative: works under any sub-path
            target = (html_file.parent / url.split("#")[0]).resolve()
            assert target.is_file(), (html_file, url)
            checked += 1
    assert checked >= 6
    assert list(site.glob("assets/img/a.*.png"))
    assert list(site.glob("assets/deck.*.css")) and list(site.glob("assets/deck.*.js"))


def test_build_output_has_no_live_reload(project: Project, capsys: Cap) -> None:
    assert project.run("build", capsys=capsys).code == 0
    for html in (project.root / "site").rglob("*.html"):
        assert "EventSource" not in html.read_text() and "__demodeck__" not in html.read_text()


def test_cold_warm_and_parallel_builds_are_byte_identical(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    site = load_config(REPO, output_dir=str(tmp_path / "serial"))
    build(site, jobs=1)
    monkeypatch.setattr(pool, "PARALLEL_MIN", 1)
    build(site, out=tmp_path / "parallel", jobs=2)
    cache = BuildCache(tmp_path / "cache.pickle")
    cold = build(site, out=tmp_path / "cold", cache=cache, jobs=2)
    assert cold.rendered == cold.decks
    (tmp_path / "warm").mkdir()  # the same cache, another folder: models reused, pages made
    warm = build(site, out=tmp_path / "warm", cache=BuildCache(tmp_path / "cache.pickle"), jobs=2)
    assert warm.rendered == warm.decks and not warm.up_to_date
    again = build(site, out=tmp_path / "warm", cache=BuildCache(tmp_path / "cache.pickle"))
    assert again.up_to_date and again.rendered == 0
    serial = tree(tmp_path / "serial")
    assert len(serial) > 10
    for other in ("parallel", "cold", "warm"):
        assert tree(tmp_path / other) == serial, other


def test_a_parallel_build_gets_rendering_ready_while_the_decks_are_validated(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The lexers the deck files' code fences name are loaded in this process during
    validation, so the render workers inherit them, without unpickling every deck's demos
    to look for fences afterwards."""
    monkeypatch.setattr(pool, "PARALLEL_MIN", 1)
    loaded: list[str] = []
    lexer = markdown._lexer

    def spy(lang: str) -> object:
        loaded.append(lang)
        return lexer(lang)

    def demo_scan(texts: object) -> None:
        raise AssertionError("the decks' demos were scanned for fences after validation")

    monkeypatch.setattr(markdown, "_lexer", spy)
    monkeypatch.setattr(markdown, "preload_highlighting", demo_scan)
    site = load_config(REPO, output_dir=str(tmp_path / "site"))
    validating: list[bool] = []
    validate = validating_stage.validate

    def validate_spy(*args: object, **kwargs: Any) -> list[model.Deck]:
        decks = validate(*args, **kwargs)  # type: ignore[arg-type]
        validating.append(sorted(set(loaded)) == ["bash", "python"])
        return decks

    monkeypatch.setattr(validating_stage, "validate", validate_spy)
    build(site, jobs=2)
    assert validating == [True]  # loaded by the time validation ended
    assert 'class="highlight"' in (tmp_path / "site/2026-11-23/index.html").read_text()


def test_fence_languages_are_found_in_deck_files_as_written(
        monkeypatch: pytest.MonkeyPatch) -> None:
    loaded: list[str] = []
    monkeypatch.setattr(markdown, "preload_languages", loaded.extend)
    markdown.preload_highlighting_sources([
        b"demos:\n  - why: |\n      Text.\n\n      ```Python {.x}\n      x = 1\n      ```\n",
        b"notes: |\n  ~~~~ sql\n  select 1\n  ~~~~\n",
        b"title: no code here\n",
    ])
    assert sorted(loaded) == ["python", "sql"]


def test_a_rebuild_keeps_unchanged_files_and_equals_a_cold_build(tmp_path: Path) -> None:
    """After an edit, a rebuild renders only what the edit touched, hard-links every other
    file from the previous output, and the result is byte-identical to a cold build."""
    site = load_config(copy_examples(tmp_path / "p"))
    out, cache_file = tmp_path / "p" / "site", tmp_path / "cache.pickle"
    first = build(site, cache=BuildCache(cache_file))
    inodes = {path: (out / path).stat().st_ino for path in tree(out)}
    add_why_line(tmp_path / "p" / EXAMPLE_DECK, "Edited today.")
    second = build(site, cache=BuildCache(cache_file))
    assert (first.rendered, second.rendered) == (first.decks, 1)
    moved = {path for path in tree(out) if (out / path).stat().st_ino != inodes.get(path)}
    # the search index holds its text; the feed shows no demo's text, and is kept
    assert moved == {"2026-11-09/index.html", "search/2026.js", ".demodeck-site"}
    assert "Edited today." in (out / "2026-11-09/index.html").read_text()
    build(site, out=tmp_path / "cold")
    assert tree(out) == tree(tmp_path / "cold")


def test_a_rebuild_highlights_only_code_that_changed(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache keeps highlighted code blocks: a deck rendered again after a demo's text
    changed takes its unchanged code from there, and does not load Pygments for it."""
    site = load_config(copy_examples(tmp_path / "p"))
    cache_file = tmp_path / "cache.pickle"
    build(site, cache=BuildCache(cache_file))
    highlighted: list[str] = []
    real = markdown._highlight_now
    monkeypatch.setattr(markdown, "_highlight_now",
                        lambda code, *a: highlighted.append(code) or real(code, *a))
    deck = tmp_path / "p" / EXAMPLE_DECK
    add_why_line(deck, "Edited today.")
    assert build(site, cache=BuildCache(cache_file)).rendered == 1
    assert highlighted == []
    deck.write_text(deck.read_text().replace("```bash\n", "```bash\n      echo edited\n", 1))
    assert build(site, cache=BuildCache(cache_file)).rendered == 1
    assert len(highlighted) == 1 and highlighted[0].startswith("echo edited\n")
    assert tree(tmp_path / "p" / "site") == tree(build(site, out=tmp_path / "cold").out)


def _edit_and_rebuild(tmp_path: Path, deck_file: str, old: str,
                      new: str) -> tuple[BuildResult, set[str]]:
    """Build the examples, replace ``old`` by ``new`` in one deck file, rebuild with the
    cache: the rebuild's result and the output files it made anew (not kept). The rebuilt
    site must equal a cold build of the edited decks."""
    site = load_config(copy_examples(tmp_path / "p"))
    out, cache_file = tmp_path / "p" / "site", tmp_path / "cache.pickle"
    build(site, cache=BuildCache(cache_file))
    inodes = {path: (out / path).stat().st_ino for path in tree(out)}
    deck = tmp_path / "p" / deck_file
    assert old in deck.read_text()
    deck.write_text(deck.read_text().replace(old, new, 1))
    again = build(site, cache=BuildCache(cache_file))
    moved = {path for path in tree(out) if (out / path).stat().st_ino != inodes.get(path)}
    build(site, out=tmp_path / "cold")
    assert tree(out) == tree(tmp_path / "cold")
    return again, moved


@pytest.mark.parametrize(("old", "new", "remade"), [
    # the metrics slides of the decks whose sparkline window holds this week show it
    ("  deployments: 41\n", "  deployments: 44\n", {"2026-11-09", "2026-11-16", "2026-11-23"}),
    # the later decks follow up on this deck's retro actions, until one closes them
    ("owner: Noa Levi}", "owner: Ada Lovelace}", {"2026-11-09", "2026-11-16", "2026-11-23"}),
])
def test_a_deck_page_is_remade_when_what_it_shows_of_other_decks_changes(
        tmp_path: Path, old: str, new: str, remade: set[str]) -> None:
    again, moved = _edit_and_rebuild(tmp_path, EXAMPLE_DECK, old, new)
    assert again.rendered == len(remade)
    assert {path.split("/")[0] for path in moved if path.endswith("/index.html")} >= remade


def test_closing_an_action_in_an_older_deck_remakes_the_newer_decks_that_followed_it(
        tmp_path: Path) -> None:
    """Week 47 now closes an action of week 46 that week 48 showed as open: both pages
    are made again, as a cold build makes them, and no other deck's."""
    again, moved = _edit_and_rebuild(tmp_path, "decks/2026-11-16/deck.yaml",
                                     "done: [checkout-smoke-test]",
                                     "done: [checkout-smoke-test, announce-migrations]")
    remade = {"2026-11-16", "2026-11-23"}
    assert again.rendered == len(remade)
    assert {path.split("/")[0] for path in moved if path.endswith("/index.html")} >= remade


def test_an_output_file_changed_by_hand_is_made_again(tmp_path: Path) -> None:
    site = load_config(copy_examples(tmp_path / "p"))
    out, cache_file = tmp_path / "p" / "site", tmp_path / "cache.pickle"
    build(site, cache=BuildCache(cache_file))
    index = out / "index.html"
    good = index.read_bytes()
    index.write_bytes(good.replace(b"<title>", b"<title>HACKED "))
    add_why_line(tmp_path / "p" / EXAMPLE_DECK, "Edited today.")
    build(site, cache=BuildCache(cache_file))
    assert index.read_bytes() == good


def test_one_changed_deck_renders_only_that_deck(project: Project, tmp_path: Path) -> None:
    project.write("decks/2026-11-16.yaml", (project.root / "decks/2026-11-23.yaml").read_text())
    site = load_config(project.root)
    cache = BuildCache()
    assert build(site, cache=cache).rendered == 2
    assert build(site, cache=cache).rendered == 0
    deck = project.root / "decks/2026-11-16.yaml"
    deck.write_text(deck.read_text().replace("Checkout took 9 steps.", "Nine steps."))
    again = build(site, cache=cache)
    assert again.rendered == 1
    assert "Nine steps." in project.site("2026-11-16/index.html")


def test_tampered_cache_is_ignored(project: Project, tmp_path: Path) -> None:
    site = load_config(project.root)
    cache = BuildCache(tmp_path / "c.pickle")
    build(site, cache=cache)
    data = bytearray((tmp_path / "c.pickle").read_bytes())
    data[-5] ^= 0xFF
    (tmp_path / "c.pickle").write_bytes(bytes(data))
    reloaded = BuildCache(tmp_path / "c.pickle")
    reloaded._ensure_loaded()
    assert reloaded.models == {} and reloaded.pages == {}
    (tmp_path / "c.pickle").write_bytes(b"garbage")
    assert build(site, cache=BuildCache.for_project(tmp_path)).decks == 1


def test_a_cache_save_that_fails_midway_keeps_the_old_file_and_leaves_no_other(
        project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = load_config(project.root)
    cache_file = tmp_path / "c" / "build.pickle"
    build(site, cache=BuildCache(cache_file))
    before = cache_file.read_bytes()

    def disk_full(*_args: object, **_kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cache_files.pickle, "dump", disk_full)  # pickled straight into the file
    cache = BuildCache(cache_file)
    cache.put_parsed("a key", ("a.html", ""))  # something to save
    cache._base_sizes = ()  # the whole cache, not a delta: build.pickle is rewritten
    cache.save()  # a cache that cannot be saved is only slower
    assert cache_file.read_bytes() == before
    assert sorted(p.name for p in cache_file.parent.iterdir()) == [
        ".gitignore", "build.pickle", "demos-2026.pickle", "manifest.json", "search-2026.pickle",
        "shown-2026.pickle", "warnings.json"]


@pytest.mark.parametrize("body", [
    pickle.dumps(({}, {}, {})),  # the stores of an older demodeck
    pickle.dumps("not the stores"),
    b"cdemodeck.model\nGone\n(tR.",  # a class that is no longer there
])
def test_a_signed_cache_that_does_not_unpickle_to_its_stores_is_started_over(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: bytes) -> None:
    site = load_config(copy_examples(tmp_path / "p"))
    cache_file = tmp_path / "c" / "build.pickle"
    build(site, cache=BuildCache(cache_file))
    signed.write_signed(cache_file, body)  # signed by this user: only the content is off
    validated: list[object] = []
    real = decks.validate_deck
    monkeypatch.setattr(decks, "validate_deck",
                        lambda *a, **k: validated.append(a) or real(*a, **k))
    add_why_line(tmp_path / "p" / EXAMPLE_DECK, "Edited today.")
    again = build(site, cache=BuildCache(cache_file))
    assert (again.decks, len(validated)) == (3, 3)  # every deck validated anew
    assert tree(tmp_path / "p" / "site") == tree(build(site, out=tmp_path / "cold").out)
    validated.clear()
    add_why_line(tmp_path / "p" / EXAMPLE_DECK, "Edited again.")
    build(site, cache=BuildCache(cache_file))
    assert len(validated) == 1  # the cache saved by the rebuild is read again




def test_unchanged_build_writes_nothing_but_notices_any_change(project: Project,
                                                               capsys: Cap) -> None:
    (project.root / "decks/images").mkdir()
    shutil.copy(next((REPO / "decks").rglob("*.png")), project.root / "decks/images/a.png")
    deck = project.root / "decks/2026-11-23.yaml"
    deck.write_text(deck.read_text().replace(
        "    minutes: 5\n", "    minutes: 5\n    screenshot: {src: images/a.png, alt: A}\n"))
    first = project.run("build", capsys=capsys)
    assert first.out.startswith("Built 1 deck, 5 slides, ")
    site = project.root / "site"
    before = tree(site)
    again = project.run("build", capsys=capsys)
    assert again.out.startswith("Up to date: 1 deck, 5 slides, ")
    assert tree(site) == before
    (site / "index.html").write_text("tampered")  # the output changed: rebuild it
    assert project.run("build", capsys=capsys).out.startswith("Built ")
    assert tree(site) == before
    image = project.root / "decks/images/a.png"
    image.write_bytes(image.read_bytes() + b"\0")  # an image changed: its hashed name too
    assert project.run("build", capsys=capsys).out.startswith("Built ")
    assert tree(site) != before
    deck.write_text(deck.read_text().replace("Search v2", "Search v3"))
    assert project.run("build", capsys=capsys).out.startswith("Built ")
    assert "Search v3" in project.site("2026-11-23/index.html")
    assert project.run("build", capsys=capsys).out.startswith("Up to date:")
    project.write("decks/2026-11-2.yaml", "demos: []\n")  # a problem is still reported
    assert project.run("build", capsys=capsys).code == 1


def test_files_demodeck_did_not_write_are_named_when_a_build_drops_them(
        project: Project, capsys: Cap) -> None:
    """A file put in the site by hand is removed by the next build, which now says so;
    what an earlier build wrote and this one does not (a deleted deck) goes silently."""
    project.write("decks/2026-11-30.yaml", MINIMAL_DECK)
    assert project.run("build", capsys=capsys).code == 0
    site = project.root / "site"
    (site / "CNAME").write_text("demos.example.com\n")
    (site / "notes").mkdir()
    (site / "notes/todo.txt").write_text("mine")
    (site / "2026-11-23/draft.html").write_text("mine")
    (project.root / "decks/2026-11-30.yaml").unlink()
    result = project.run("build", capsys=capsys)
    assert result.code == 0
    assert result.err.splitlines() == [
        f"warning: removed site/{rel}, which demodeck did not write; list it under 'extra:' "
        "in demodeck.yaml to keep it" for rel in ("2026-11-23/draft.html", "CNAME", "notes/")]
    assert not (site / "CNAME").exists() and not (site / "2026-11-30").exists()


def test_files_listed_under_extra_are_kept_build_after_build(project: Project,
                                                             capsys: Cap) -> None:
    project.write("demodeck.yaml", "extra: [CNAME, .well-known/, ./notes/keep.txt]\n")
    assert project.run("build", capsys=capsys).code == 0
    site = project.root / "site"
    mine = {"CNAME": "demos.example.com\n", ".well-known/security.txt": "Contact: x\n",
            "notes/keep.txt": "kept"}
    for rel, text in mine.items():
        project.write(f"site/{rel}", text)
    project.write("site/notes/other.txt", "not listed")
    for _ in range(2):
        project.write("decks/2026-11-23.yaml", MINIMAL_DECK.replace("Search v2", f"S{_}"))
        result = project.run("build", capsys=capsys)
        assert result.code == 0
        assert result.err == ("" if _ else "warning: removed site/notes/other.txt, which "
                              "demodeck did not write; list it under 'extra:' in demodeck.yaml "
                              "to keep it\n")
        assert {rel: (site / rel).read_text() for rel in mine} == mine
        assert f"S{_}" in project.site("2026-11-23/index.html")
    assert project.run("build", capsys=capsys).out.startswith("Up to date:")
    project.write("demodeck.yaml", "extra: [CNAME]\n")  # no longer kept: said, and gone
    result = project.run("build", capsys=capsys)
    assert "warning: removed site/.well-known/, which demodeck did not write" in result.err
    assert (site / "CNAME").exists() and not (site / ".well-known").exists()


def test_extra_never_carries_a_symlink_or_replaces_a_page(project: Project, tmp_path: Path,
                                                          capsys: Cap) -> None:
    project.write("demodeck.yaml", "extra: [secret, index.html, missing.txt]\n")
    assert project.run("build", capsys=capsys).code == 0
    (tmp_path / "secret").write_text("not for the web")
    (project.root / "site/secret").symlink_to(tmp_path / "secret")
    result = project.run("build", capsys=capsys)
    assert result.code == 0
    assert result.err.splitlines() == [
        "warning: did not keep site/secret, listed under 'extra:': it is a symlink, which "
        "demodeck never publishes",
        "warning: did not keep site/index.html, listed under 'extra:': demodeck writes this "
        "file itself",
        "warning: 'missing.txt' is listed under 'extra:' in demodeck.yaml but is not in "
        "site/; nothing to keep"]
    assert not os.path.lexists(project.root / "site/secret")


def test_an_extra_path_that_leaves_the_site_is_refused_with_its_place(
        project: Project, capsys: Cap) -> None:
    project.write("demodeck.yaml", "title: Demos\nextra:\n  - CNAME\n  - ../decks\n")
    result = project.run("build", capsys=capsys)
    assert (result.code, result.err) == (1, (
        "demodeck.yaml:4:5: extra[1]: '../decks' must be a path inside the output folder "
        "(relative, without '..')\nerror: 1 problem found; nothing was written\n"))


@pytest.mark.parametrize("how", ["in place", "renamed over"])
def test_an_image_replaced_with_its_size_and_time_kept_is_noticed(
        project: Project, capsys: Cap, how: str) -> None:
    """Same size, same modification time (put back, as some copy tools do): the image's
    stamp cannot tell, so its content does."""
    png = next((REPO / "decks").rglob("*.png")).read_bytes()
    image = project.write_bytes("decks/images/a.png", png)
    deck = project.root / "decks/2026-11-23.yaml"
    deck.write_text(deck.read_text().replace(
        "    minutes: 5\n", "    minutes: 5\n    screenshot: {src: images/a.png, alt: A}\n"))
    assert project.run("build", capsys=capsys).code == 0
    assert project.run("build", capsys=capsys).out.startswith("Up to date:")
    st = image.stat()
    edited = png[:-1] + bytes([png[-1] ^ 1])
    if how == "in place":
        image.write_bytes(edited)
    else:
        project.write_bytes("decks/images/new.png", edited).rename(image)
    os.utime(image, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert image.stat().st_size == st.st_size
    result = project.run("build", capsys=capsys)
    assert result.out.startswith("Built ")
    [name] = re.findall(r"a\.\w+\.png", project.site("2026-11-23/index.html"))
    assert (project.root / "site/assets/img" / name).read_bytes() == edited
    assert project.run("build", capsys=capsys).out.startswith("Up to date:")


def test_archive_pages_follow_what_they_show(project: Project) -> None:
    """Built-in archive pages are keyed on the fields they show; an override that shows
    more falls back to whole-deck keys, so the cache never serves a stale page."""
    site = load_config(project.root)
    cache = BuildCache()
    deck = project.root / "decks/2026-11-23.yaml"
    build(site, cache=cache)
    deck.write_text(deck.read_text().replace("Checkout took 9 steps.", "Nine steps."))
    build(site, cache=cache)
    assert "Faster checkout" in project.site("people/zoe-quinn/index.html")
    project.write("templates/person.html", """\
        {% extends "!theme/person.html" %}
        {% block content %}{% for a in profile.appearances %}<p>{{ a.demo.why }}</p>{% endfor %}
        {% endblock %}
        """)
    build(site, cache=cache)
    assert "Nine steps." in project.site("people/zoe-quinn/index.html")
    deck.write_text(deck.read_text().replace("Nine steps.", "Eight steps."))
    build(site, cache=cache)
    assert "Eight steps." in project.site("people/zoe-quinn/index.html")
    deck.write_text(deck.read_text().replace("Faster checkout", "Quicker checkout"))
    build(site, cache=cache)
    (project.root / "templates/person.html").unlink()
    build(site, cache=cache)
    assert "Quicker checkout" in project.site("people/zoe-quinn/index.html")


NEWEST, FOLDER_DEMO = "decks/2026-11-23.yaml", "decks/2026-11-16/03-offline-cart.yaml"


@pytest.mark.parametrize(("deck_file", "old", "new", "remade"), [
    (EXAMPLE_DECK, "why: |\n", "why: |\n      Edited today.\n", set()),  # not on archive pages
    (EXAMPLE_DECK, "title: Apple Pay and Google Pay at checkout", "title: Wallets at checkout",
     {"index.html", "people/jose-ibanez/index.html", "people/mei-lin-tan/index.html",
      "people/sofia-marquez/index.html"}),
    # the index and the pages of everyone in that demo list its people with their roles
    (EXAMPLE_DECK, "role: Search engineer", "role: Search lead",
     {"index.html", "people/noa-levi/index.html", "people/tomasz-nowak/index.html"}),
    # renamed in the newest deck: the people page and her page show the name as written
    # last; the pages of those she demoed with there say "with NOA LEVI"
    (NEWEST, "{name: Noa Levi,", "{name: NOA LEVI,",
     {"index.html", "people/index.html", "people/noa-levi/index.html",
      "people/ليلى-حداد/index.html"}),
    # renamed in an older deck: the people page still shows her newest spelling
    (EXAMPLE_DECK, "{name: Noa Levi,", "{name: NOA LEVI,",
     {"index.html", "people/noa-levi/index.html", "people/tomasz-nowak/index.html"}),
    # Zoe comes before Zoë, so Zoë's page moves to zoe-castellanos-2: Hana Suzuki's page
    # shows nothing new but links to it, and she never demoed with Zoe; nor does the
    # actions page, which links to the page of Zoë, who owns an action
    (FOLDER_DEMO, "  - Søren Lund\n", "  - Zoe Castellanos\n",
     {"index.html", "people/index.html", "people/zoe-castellanos/index.html",
      "people/zoe-castellanos-2/index.html", "people/soren-lund/index.html",
      "people/hana-suzuki/index.html", "people/priya-raman/index.html",
      "actions/index.html"}),
    # her newest demo has no picture: the people page and her page show this older one
    (EXAMPLE_DECK, "- Sofia Marquez\n", "- {name: Sofia Marquez, avatar: images/noa-levi.png}\n",
     {"index.html", "people/index.html", "people/sofia-marquez/index.html",
      "people/jose-ibanez/index.html", "people/mei-lin-tan/index.html"}),
    (EXAMPLE_DECK, "  deployments: 41\n", "  deployments: 40\n", {"metrics/index.html"}),
])
def test_archive_pages_are_made_again_exactly_when_what_they_show_changes(
        tmp_path: Path, deck_file: str, old: str, new: str, remade: set[str]) -> None:
    _, moved = _edit_and_rebuild(tmp_path, deck_file, old, new)
    # the search index follows every deck's content: tests/test_search.py
    archive = {p for p in moved
               if not p.startswith(("2026-", "feed.xml", ".demodeck", "search/"))}
    assert archive == remade


def test_a_swapped_picture_is_shown_where_it_now_belongs(project: Project, tmp_path: Path) -> None:
    """Two pictures with the same file name trade contents: the site's image files stay the
    same, yet Ada and Zoë now show each other's, everywhere."""
    png = next((REPO / "decks").rglob("*.png")).read_bytes()
    first = project.write_bytes("decks/a/face.png", png)
    second = project.write_bytes("decks/b/face.png", png + b"\0")
    deck = project.root / "decks/2026-11-23.yaml"
    deck.write_text(deck.read_text()
                    .replace("role: Backend}", "role: Backend, avatar: a/face.png}")
                    .replace("[Zoë Quinn]", "[{name: Zoë Quinn, avatar: b/face.png}]"))
    site, cache_file = load_config(project.root), tmp_path / "cache.pickle"
    build(site, cache=BuildCache(cache_file))
    images = sorted(p.name for p in (project.root / "site/assets/img").iterdir())
    pages = ("people/ada-lovelace/index.html", "people/zoe-quinn/index.html", "people/index.html")

    def pictures() -> list[list[str]]:
        return [re.findall(r"face\.\w+\.png", project.site(page)) for page in pages]

    ada, zoe = pictures()[:2]
    assert len(ada) == len(zoe) == 1 and ada != zoe and pictures()[2] == ada + zoe
    first.write_bytes(png + b"\0")
    second.write_bytes(png)
    build(site, cache=BuildCache(cache_file))
    assert sorted(p.name for p in (project.root / "site/assets/img").iterdir()) == images
    assert pictures() == [zoe, ada, zoe + ada]
    build(site, out=tmp_path / "cold")
    assert tree(project.root / "site") == tree(tmp_path / "cold")


@pytest.mark.parametrize(("name", "page", "template"), [
    ("index.html", "index.html", '{% extends "!theme/index.html" %}{% block content %}'
     "{% for d in decks %}<p>{{ d.demos[0].why }}</p>{% endfor %}{{ super() }}{% endblock %}"),
    ("people.html", "people/index.html", '{% extends "!theme/people.html" %}{% block content %}'
     "{% for p in people %}<p>{{ p.appearances[0].demo.why }}</p>{% endfor %}{{ super() }}"
     "{% endblock %}"),
])
def test_an_archive_template_of_the_project_is_keyed_on_whole_decks(
        tmp_path: Path, name: str, page: str, template: str) -> None:
    """The built-in archive pages do not show a demo's "why"; a project's may."""
    root = copy_examples(tmp_path / "p")
    Project(root).write(f"templates/{name}", template)
    site, cache_file = load_config(root), tmp_path / "cache.pickle"
    build(site, cache=BuildCache(cache_file))
    add_why_line(root / EXAMPLE_DECK, "Edited today.")
    build(site, cache=BuildCache(cache_file))
    assert "Edited today." in (root / "site" / page).read_text()
    build(site, out=tmp_path / "cold")
    assert tree(root / "site") == tree(tmp_path / "cold")


def test_a_rebuild_works_out_what_the_archive_shows_of_changed_decks_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each deck's part of the archive pages' keys is kept in the cache on disk, and
    everyone's profile is gathered only when a people page is made."""
    site = load_config(copy_examples(tmp_path / "p"))
    cache_file = tmp_path / "cache.pickle"
    build(site, cache=BuildCache(cache_file))
    worked_out: list[str] = []
    profiled: list[int] = []
    real_part, real_profiles = archive_keys.deck_shown, people.profiles
    monkeypatch.setattr(archive_keys, "deck_shown",
                        lambda deck, *a: worked_out.append(deck.slug) or real_part(deck, *a))
    monkeypatch.setattr(people, "profiles",
                        lambda decks: profiled.append(len(decks)) or real_profiles(decks))
    deck = tmp_path / "p" / EXAMPLE_DECK
    add_why_line(deck, "Edited today.")
    build(site, cache=BuildCache(cache_file))
    assert (worked_out, profiled) == (["2026-11-09"], [])  # no archive page shows "why"
    deck.write_text(deck.read_text().replace("Apple Pay and Google Pay", "Wallets"))
    build(site, cache=BuildCache(cache_file))
    assert (worked_out, profiled) == (["2026-11-09"] * 2, [3])  # their pages: made again
    assert "Wallets at checkout" in (tmp_path / "p/site/people/mei-lin-tan/index.html").read_text()


def test_a_rebuild_unpickles_only_the_demos_it_shows(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache hands back unchanged decks with their demos still pickled: a rebuild that
    renders one deck again reads the others' dates, metrics and retros only."""
    monkeypatch.setattr(render, "FEED_DECKS", 1)  # the feed: the newest deck only
    site = load_config(copy_examples(tmp_path / "p"))
    cache_file = tmp_path / "cache.pickle"
    build(site, cache=BuildCache(cache_file))
    unpickled: list[str] = []
    real = model.PickledDemos.__getattr__
    monkeypatch.setattr(model.PickledDemos, "__getattr__", lambda deck, name: (
        unpickled.append(deck.slug) if name == "demos" else None) or real(deck, name))
    add_why_line(tmp_path / "p" / EXAMPLE_DECK, "Edited today.")  # the oldest deck
    result = build(site, cache=BuildCache(cache_file))
    assert (result.rendered, result.slides, unpickled) == (1, 36, [])
    assert tree(tmp_path / "p" / "site") == tree(build(
        site, out=tmp_path / "scratch").out)  # and the site is the same as from scratch
    add_why_line(tmp_path / "p" / "decks/2026-11-23.yaml", "Edited too.")  # the newest
    build(site, cache=BuildCache(cache_file))
    assert unpickled == []  # the feed shows the newest deck: validated again, not unpickled
    (tmp_path / "p" / "decks/2026-11-23.yaml").unlink()
    build(site, cache=BuildCache(cache_file))
    assert sorted(unpickled) == ["2026-11-09", "2026-11-16"]  # the archive pages list demos


def test_a_rebuild_reads_only_deck_files_whose_stamp_changed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Deck files keep their digest from the manifest while their size, times and inode
    are those the last good build read (and were settled then): any write changes the
    inode change time, so even a same-size edit with its mtime put back is read."""
    monkeypatch.setattr(manifest_mod, "SETTLE_NS", 0)  # these files were all written just now
    site = load_config(copy_examples(tmp_path / "p"))
    cache_file = tmp_path / "cache.pickle"
    build(site, cache=BuildCache(cache_file))
    read: list[str] = []
    real = load._read_bytes
    monkeypatch.setattr(load, "_read_bytes", lambda path, **kw: read.append(path.name)
                        or real(path, **kw))
    deck = tmp_path / "p" / EXAMPLE_DECK
    assert build(site, cache=BuildCache(cache_file)).up_to_date and read == []
    before = deck.stat()
    deck.write_text(deck.read_text().replace("Apple Pay", "Apple Wet", 1))
    os.utime(deck, ns=(before.st_atime_ns, before.st_mtime_ns))  # the same size and mtime
    assert build(site, cache=BuildCache(cache_file)).rendered == 1
    assert read == ["2026-11-09.yaml"]
    assert "Apple Wet" in (tmp_path / "p/site/2026-11-09/index.html").read_text()
    read.clear()
    cache_file.unlink()  # models gone, manifest kept: each deck is read when parsed
    build(site, cache=BuildCache(cache_file), out=tmp_path / "elsewhere")
    assert {"2026-11-09.yaml", "2026-11-23.yaml", "deck.yaml"} <= set(read)
    assert tree(tmp_path / "elsewhere") == tree(build(site, out=tmp_path / "scratch").out)
    read.clear()
    monkeypatch.setattr(manifest_mod, "SETTLE_NS", 3_000_000_000)  # as shipped: a file written
    build(site, cache=BuildCache(cache_file), out=tmp_path / "more")  # moments ago is read
    assert {"2026-11-09.yaml", "2026-11-23.yaml", "deck.yaml"} <= set(read)


def test_a_deck_file_changed_between_finding_and_parsing_is_reported(project: Project) -> None:
    path = project.root / "decks/2026-11-23.yaml"
    first, _ = load.read_file(project.root, path, real=path)
    assert first.stamp is not None
    known = {first.path: (first.stamp, first.digest)}
    unread, problems = load.read_file(project.root, path, real=path, known=known)
    assert (unread.data, unread.digest, problems) == (None, first.digest, [])
    assert unread.parse()[0] == first.parse()[0]  # read when parsed
    path.write_text(path.read_text().replace("Search v2", "Search v3"))
    assert [str(p) for p in unread.parse()[1]] == [
        "decks/2026-11-23.yaml: the file changed while demodeck was reading the decks; "
        "build again"]


def test_a_deck_from_a_pickle_is_the_same_deck(project: Project) -> None:
    (deck,) = pipeline.validate_all(load_config(project.root))
    again = pickle.loads(pickle.dumps(deck))
    assert isinstance(again, model.PickledDemos)
    assert again.slide_count == len(deck.slides) == deck.slide_count == 5
    assert again.assets == deck.assets
    assert again == deck and deck == again and hash(again) == hash(deck)
    twice = pickle.loads(pickle.dumps(again))  # before its demos were read: same bytes kept
    assert again.demos == deck.demos and twice == deck and twice.slides == deck.slides
    assert again != dataclasses.replace(deck, title="Another title")
    assert again != dataclasses.replace(deck, demos=deck.demos[:1])


def test_a_small_change_writes_a_small_cache_delta_that_later_builds_use(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = load_config(copy_examples(tmp_path / "p"))
    base, delta = tmp_path / "c" / "build.pickle", tmp_path / "c" / "delta.pickle"
    build(site, cache=BuildCache(base))
    first = base.read_bytes()
    assert not delta.exists()
    deck = tmp_path / "p" / EXAMPLE_DECK
    add_why_line(deck, "Edit one.")
    build(site, cache=BuildCache(base))
    assert base.read_bytes() == first and 0 < delta.stat().st_size < len(first) / 4

    validated: list[object] = []
    real = decks.validate_deck
    monkeypatch.setattr(decks, "validate_deck",
                        lambda *a, **k: validated.append(a) or real(*a, **k))
    elsewhere = build(site, out=tmp_path / "elsewhere", cache=BuildCache(base))
    assert validated == [] and elsewhere.decks == 3  # every model came from base + delta

    # editing the same deck again replaces its entries in the delta: it does not grow
    add_why_line(deck, "Edit two.")
    size = delta.stat().st_size
    build(site, cache=BuildCache(base))
    assert base.read_bytes() == first and delta.stat().st_size < size * 1.5
    # past COMPACT_AT of the whole, additions and unused entries are folded into the base
    monkeypatch.setattr(cache_files, "COMPACT_AT", 0.01)
    add_why_line(deck, "Edit three.")
    build(site, cache=BuildCache(base))
    assert not delta.exists() and base.read_bytes() != first
    validated.clear()
    build(site, out=tmp_path / "again", cache=BuildCache(base))
    assert validated == []


def test_a_store_whose_entries_went_unused_is_compacted(tmp_path: Path) -> None:
    """Unused entries are counted per store: 120 of 400 link-check entries going unused
    (what a template edit does to every page's entry) compact the file even among 1,000
    other entries, since they may be a third of its bytes; 80 of them do not."""
    path = tmp_path / "c" / "build.pickle"

    def cache_using(parsed: int) -> BuildCache:
        cache = BuildCache(path)
        cache.begin()
        for i in range(1000):
            assert cache.get_brief(f"s{i}") is not None
        for i in range(parsed):
            assert cache.get_parsed(f"p{i}") is not None
        cache.put_parsed("p-new", ("", ""))  # one change, so the build saves something
        return cache

    first = BuildCache(path)
    for i in range(1000):
        first.put_shown(f"s{i}", 2026, archive_keys.DeckShown("listed", "metrics", {}, "feed"),
                        ("digest", "feed"))
    for i in range(400):
        first.put_parsed(f"p{i}", ("a\0b", "c"))
    first.save()
    base = path.read_bytes()
    cache_using(320).save()  # 80 unused, 1 new: 81 of 1,400, and 80 of the 400 parsed
    assert path.read_bytes() == base and path.with_name("delta.pickle").exists()
    cache_using(280).save()  # 120 of the 400 parsed unused: rewritten without them
    assert not path.with_name("delta.pickle").exists()
    assert sorted(len(store) for store in cache_files.loads_stores(signed.read_signed(path))
                  or ()) == [0, 0, 281, 1000]


def test_kept_files_are_copied_where_hard_links_are_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = load_config(copy_examples(tmp_path / "p"))
    out, cache_file = tmp_path / "p" / "site", tmp_path / "cache.pickle"
    build(site, cache=BuildCache(cache_file))
    before = tree(out)

    def no_links(*_: object) -> None:
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr("demodeck.write_plan.os.link", no_links)
    add_why_line(tmp_path / "p" / EXAMPLE_DECK, "Edited today.")
    again = build(site, cache=BuildCache(cache_file))
    assert again.rendered == 1
    after = tree(out)
    assert after["2026-11-16/index.html"] == before["2026-11-16/index.html"]
    assert all((out / p).stat().st_nlink == 1 for p in after)
    build(site, out=tmp_path / "cold")
    assert after == tree(tmp_path / "cold")


@pytest.mark.parametrize("links", [True, False])
def test_the_manifest_records_the_written_site_exactly(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, links: bool) -> None:
    """The manifest's file stamps are worked out from what the write did, not by walking
    the site again: they must be what a walk finds, or the next build would wrongly keep
    or remake files, and a build with nothing changed would not be up to date."""
    site = load_config(copy_examples(tmp_path / "p"))
    out, cache_file = tmp_path / "p" / "site", tmp_path / "cache.pickle"
    build(site, cache=BuildCache(cache_file))
    if not links:
        def no_links(*_: object) -> None:
            raise OSError(1, "Operation not permitted")

        monkeypatch.setattr("demodeck.write_plan.os.link", no_links)
    add_why_line(tmp_path / "p" / EXAMPLE_DECK, "Edited today.")
    assert build(site, cache=BuildCache(cache_file)).rendered == 1
    manifest = BuildCache(cache_file).read_manifest()
    assert manifest is not None
    assert manifest["output"] == manifest_mod.output_stamps(out)
    assert len(manifest["output"]) > 10
    assert build(site, cache=BuildCache(cache_file)).up_to_date


def test_switching_self_contained_on_and_off_never_keeps_the_other_kind(tmp_path: Path) -> None:
    site = load_config(copy_examples(tmp_path / "p"))
    out, cache_file = tmp_path / "p" / "site", tmp_path / "cache.pickle"
    build(site, cache=BuildCache(cache_file))
    linked = tree(out)
    build(site, cache=BuildCache(cache_file), self_contained=True)
    inline = tree(out)
    assert b"<style" in inline["2026-11-23/index.html"]
    assert b"<style" not in linked["2026-11-23/index.html"]
    build(site, out=tmp_path / "cold-inline", self_contained=True)
    assert inline == tree(tmp_path / "cold-inline")
    build(site, cache=BuildCache(cache_file))
    assert tree(out) == linked


# What preload_highlighting_sources looked for with one regex, before it searched for the
# fence marks themselves: the two must name the same languages.
_FENCE_LINE = re.compile(rb"^[ \t]*(?:`{3,}|~{3,})[ \t]*([A-Za-z0-9_+#.-]+)", re.MULTILINE)


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from([b"```", b"~~~", b"`", b"~", b"``", b" ", b"\t", b"\n",
                                 b"\r\n", b"python", b"Go", b"c++", b"x", b"-", b"{", b"why: |"]),
                max_size=30).map(b"".join))
def test_fence_languages_in_deck_files_are_those_a_line_regex_finds(data: bytes) -> None:
    assert sorted(markdown.source_fence_languages(data)) == sorted(_FENCE_LINE.findall(data))


def _cache_stores(path: Path) -> tuple[dict[str, Any], ...]:
    saved = BuildCache(path)
    saved._ensure_loaded()
    return saved.models, saved.parsed, saved.shown


def test_a_parallel_cold_build_saves_its_cache_while_it_checks_the_links(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process saves the cache while the link check and the write run; the cache
    holds what a serial build's holds (but the highlighted code, which stays in the
    workers), and this process saves nothing after it: the link check added nothing."""
    root = copy_examples(tmp_path / "p")
    build(load_config(root), out=tmp_path / "serial", cache=BuildCache(tmp_path / "s/c.pickle"))
    monkeypatch.setattr(pool, "PARALLEL_MIN", 1)
    forked: list[int] = []
    in_background, save = pool.in_background, BuildCache.save

    def spy_fork(fn: Any) -> Any:
        forked.append(os.getpid())
        return in_background(fn)

    saves: list[int] = []

    def spy_save(self: BuildCache) -> None:
        saves.append(os.getpid())
        save(self)

    monkeypatch.setattr(pool, "in_background", spy_fork)
    monkeypatch.setattr(BuildCache, "save", spy_save)
    build(load_config(root), out=tmp_path / "parallel", jobs=2,
          cache=BuildCache(tmp_path / "p/c.pickle"))
    assert forked == [os.getpid()] and saves == []
    assert _cache_stores(tmp_path / "p/c.pickle") == _cache_stores(tmp_path / "s/c.pickle")
    assert tree(tmp_path / "parallel") == tree(tmp_path / "serial")


def test_a_parallel_build_whose_links_are_broken_keeps_its_cache_but_not_the_site(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache saved meanwhile is of content hashes, right whatever the check finds:
    the build fails as before, writes no site and no manifest, and the next build, once
    the link is fixed, validates no deck again. (A template's link: a deck's own links
    are the person's, which the check leaves to them.)"""
    root = copy_examples(tmp_path / "p")
    monkeypatch.setattr(pool, "PARALLEL_MIN", 1)
    template = root / "templates/deck.html"
    template.parent.mkdir()
    template.write_text('{% extends "!theme/deck.html" %}'
                        '{% block deck_ui %}<a href="../2020-01-01/index.html">plan</a>'
                        '{% endblock %}')
    cache = BuildCache(tmp_path / "c.pickle")
    with pytest.raises(BuildError, match=re.escape("broken link '../2020-01-01/index.html'")):
        build(load_config(root), jobs=2, cache=cache)
    assert not (root / "site").exists() and not list(root.glob(".site.*"))
    assert cache.read_manifest() is None
    assert len(_cache_stores(tmp_path / "c.pickle")[0]) == 3  # the example decks
    template.unlink()
    validated: list[str] = []
    validate_deck = decks.validate_deck

    def spy(source: load.DeckSource, *args: Any, **kwargs: Any) -> Any:
        validated.append(source.path)
        return validate_deck(source, *args, **kwargs)

    monkeypatch.setattr(decks, "validate_deck", spy)
    build(load_config(root), jobs=1, cache=BuildCache(tmp_path / "c.pickle"))
    assert validated == []  # every deck from the cache
    assert (root / "site/index.html").is_file()
