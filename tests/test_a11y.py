"""Accessibility and valid HTML of every page built from the example decks.

The repository's ``decks/`` are built into a temporary folder. Every page then
gets axe-core (from npm, injected into the page) in Chromium: each deck slide by
slide, since only the current slide is rendered, plus the presenter view, the
overview and the keyboard help. No violation of impact "serious" or "critical"
is allowed. The Nu Html Checker (npm ``vnu-jar``, run with Java) checks every
built HTML file and the self-contained export in one run, in the background
while axe works, and must report no error.

``bash .ci/run`` installs Chromium, Java and the npm packages; without them
these tests fail, they are not skipped.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from demodeck.cli import main
from demodeck.config import load_config
from demodeck.pipeline import export_deck

REPO = Path(__file__).resolve().parent.parent
NODE_MODULES = REPO / "tests" / "node_modules"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
VNU = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
SETUP = "`bash .ci/run` installs it (npm install --prefix tests, apt-get install chromium " \
        "default-jre-headless)"
BLOCKING = ("serious", "critical")


def need(path: Path, what: str) -> Path:
    if not path.is_file():
        pytest.fail(f"{what} is missing at {path}; {SETUP}")
    return path


@dataclass
class Site:
    root: Path
    pages: list[Path]  # every HTML page of the built site
    export: Path  # the newest deck as one self-contained file
    vnu: subprocess.Popen[str] | None


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    out = tmp_path_factory.mktemp("a11y")
    assert main(["build", "-C", str(REPO), "--out", str(out / "site"), "--no-cache"]) == 0
    pages = sorted((out / "site").rglob("*.html"))
    export = out / "export.html"
    with export.open("wb") as f:
        export_deck(load_config(REPO), None).write(f)
    vnu = None
    java = shutil.which("java")
    if java and VNU.is_file():  # the Nu checker takes seconds: start it now, read it last
        vnu = subprocess.Popen([java, "-jar", str(VNU), "--errors-only", "--format", "json",
                                *map(str, [*pages, export])],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    yield Site(out / "site", pages, export, vnu)
    if vnu is not None and vnu.poll() is None:
        vnu.kill()
        vnu.communicate()


def test_the_site_has_every_kind_of_page(site: Site) -> None:
    names = {p.relative_to(site.root).as_posix() for p in site.pages}
    assert {"index.html", "people/index.html", "metrics/index.html"} <= names
    assert len([n for n in names if n.startswith("2026-")]) == 3
    assert len([n for n in names if n.startswith("people/") and n != "people/index.html"]) > 5


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 720}, reduced_motion="reduce")
    yield ctx
    ctx.close()


# A deck's first slide is checked with the whole page; the others with the slide
# and the controls (page-wide rules give the same answer for every slide).
AXE_RUN = """async (slides) => {
    const found = [];
    const run = async (where, context) => {
        const result = await axe.run(context || document, {resultTypes: ['violations']});
        for (const v of result.violations) {
            found.push({where, id: v.id, impact: v.impact, help: v.help,
                        nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))});
        }
    };
    if (slides && window.demodeck) {
        for (let i = 0; i < demodeck.slides.length; i++) {
            demodeck.go(i);
            const id = '#' + CSS.escape(demodeck.slides[i].id);
            await run(id, i ? {include: [[id], ['.deck-ui']]} : null);
        }
    } else {
        await run('page');
    }
    return found;
}"""


def axe(page: Any, *, slides: bool = False) -> list[dict[str, Any]]:
    """Violations on the page as shown (or on each slide of a deck, one after another)."""
    start_axe(page, slides=slides)
    return list(page.evaluate("window.__axe"))


def start_axe(page: Any, *, slides: bool = False) -> None:
    """Start axe in ``page`` without waiting: each page renders in its own process, so
    several pages are checked at once (``window.__axe`` is the promise of the result)."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(need(AXE, "axe-core")))
    page.evaluate(f"slides => {{ window.__axe = ({AXE_RUN})(slides); }}", slides)


def axe_pages(context: Any, paths: list[Path], *, slides: bool,
              at_once: int = 4) -> Iterator[tuple[Path, Any, list[dict[str, Any]]]]:
    """(path, page, violations) for every path, ``at_once`` pages checked in parallel."""
    pages = [context.new_page() for _ in range(min(at_once, len(paths)))]
    for first in range(0, len(paths), len(pages)):
        batch = list(zip(paths[first:first + len(pages)], pages, strict=False))
        for path, page in batch:
            page.goto(path.as_uri())
            if slides:
                page.wait_for_function("window.demodeck && demodeck.current() >= 0")
            start_axe(page, slides=slides)
        for path, page in batch:
            yield path, page, list(page.evaluate("window.__axe"))


def blocking(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in found if v["impact"] in BLOCKING]


def test_axe_every_slide_of_every_deck(site: Site, context: Any) -> None:
    decks = [p for p in site.pages if p.parent.name.startswith("20")] + [site.export]
    problems: list[str] = []
    checked = 0
    for path, page, found in axe_pages(context, decks, slides=True):
        checked += page.evaluate("demodeck.slides.length")
        problems += [f"{path.relative_to(site.root.parent)} {v}" for v in blocking(found)]
    assert checked >= 30
    assert problems == [], "\n".join(problems)


def test_axe_archive_pages(site: Site, context: Any) -> None:
    archive = [p for p in site.pages if not p.parent.name.startswith("20")]
    problems: list[str] = []
    for path, _, found in axe_pages(context, archive, slides=False):
        problems += [f"{path.relative_to(site.root)} {v}" for v in blocking(found)]
    assert len(archive) > 5
    assert problems == [], "\n".join(problems)


def test_axe_archive_index_with_search_hits_shown(site: Site, context: Any) -> None:
    page = context.new_page()
    page.goto((site.root / "index.html").as_uri())
    page.get_by_label("Filter demos").fill("typo")
    page.wait_for_selector("[data-search-hits] mark")
    problems = [str(v) for v in blocking(axe(page))]
    page.close()
    assert problems == [], "\n".join(problems)


def test_axe_presenter_view_overview_and_help(site: Site, context: Any) -> None:
    deck = site.root / "2026-11-23" / "index.html"
    context.clock.install()
    page = context.new_page()
    page.goto(f"{deck.as_uri()}?presenter#the-zero-results-dashboard")
    page.wait_for_function("window.demodeck && demodeck.current() >= 0")
    problems: list[str] = []
    for state, wait in (("ok", 0), ("warn", 5 * 60_000 + 1_000), ("over", 61_000)):
        if wait:
            context.clock.fast_forward(wait)
        assert page.get_attribute(".pv-timebox", "data-state") == state
        problems += [f"presenter ({state}) {v}" for v in blocking(axe(page))]
    page.keyboard.press("o")
    problems += [f"presenter overview {v}" for v in blocking(axe(page))]
    page.keyboard.press("?")  # the same dialogs as in the audience window
    problems += [f"presenter help {v}" for v in blocking(axe(page))]
    assert problems == [], "\n".join(problems)


def test_code_in_the_presenter_notes_is_drawn_for_their_dark_panel(site: Site,
                                                                   context: Any) -> None:
    """The notes panel is navy: its code takes Pygments' dark style, with no band behind each
    line, and axe finds every token readable."""
    deck = site.root / "2026-11-23" / "index.html"
    page = context.new_page()
    page.goto(f"{deck.as_uri()}?presenter#android-cold-start-2-9-s-1-7-s")
    page.wait_for_function("window.demodeck && demodeck.current() >= 0")
    code = page.evaluate("""() => {
        const pre = document.querySelector('.pv-notes-body pre.highlight');
        const style = el => getComputedStyle(pre.querySelector(el));
        return {keyword: style('.k').color, band: style('code').backgroundColor};
    }""")
    assert code["band"] == "rgba(0, 0, 0, 0)"
    assert code["keyword"] == "rgb(255, 173, 102)"  # lightbulb's keywords, not default's green
    problems = [v for v in axe(page) if v["id"] == "color-contrast" or v in blocking([v])]
    assert problems == [], "\n".join(map(str, problems))


def test_every_page_passes_the_nu_html_checker(site: Site) -> None:
    need(VNU, "vnu.jar (npm vnu-jar)")
    if shutil.which("java") is None:
        pytest.fail(f"java is not installed; {SETUP}")
    assert site.vnu is not None
    out, err = site.vnu.communicate(timeout=120)
    assert out.strip() or err.strip(), "the Nu checker printed nothing"
    report = json.loads(err or out)  # vnu writes its JSON report to stderr
    base = f"file:{site.root.parent.as_posix()}/"  # how vnu names files
    errors = [f"{m.get('url', '').removeprefix(base)}:{m.get('lastLine')}: {m['message']}"
              for m in report["messages"] if m.get("type") != "info"]
    assert errors == [], "\n".join(errors)
    assert site.vnu.returncode == 0
