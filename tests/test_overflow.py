"""overflow.py: `demodeck check` warns about demos too long for their slide.

The estimate is checked twice: against hand-made cases, and against what
deck.js actually does in Chromium at 1280×720 for demos of every size.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import shutil
import struct
import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from demodeck import markdown_fast, measure, overflow, sizes
from demodeck.build import check
from demodeck.cli import main
from demodeck.config import load_config
from demodeck.incremental import pool
from demodeck.markdown import parser
from demodeck.model import Asset, Demo, Person, Screenshot
from demodeck.pipeline import validate_all
from tests.conftest import MINIMAL_DECK, Project, count_forks
from tests.test_markdown_fastpath import _BLOCK, _DECK_BLOCK, _INLINE, _PROSE, _document

REPO = Path(__file__).resolve().parent.parent
BUILTIN_STATIC = REPO / "templates/static"
SENTENCE = "Every sentence here is a reason this matters to our customers."


def demo(**fields: Any) -> Demo:
    base = Demo(id="d", title="Search v2", people=(Person("Ada Lovelace"),),
                features=("Typo-tolerant matching",), why="Customers asked.",
                could_be_better="Late.")
    return dataclasses.replace(base, **fields)


# -- the pieces --------------------------------------------------------------------------------

def test_wrapping_counts_lines() -> None:
    one = measure.text_width("word")
    assert measure.wrapped_lines("", 10) == 0
    assert measure.wrapped_lines("word", 10) == 1
    assert measure.wrapped_lines("word word", one * 2 + measure.SPACE + 0.01) == 1
    assert measure.wrapped_lines("word word", one * 2 + measure.SPACE - 0.01) == 2
    assert measure.wrapped_lines("a\nb", 10) == 2
    assert measure.wrapped_lines("x" * 30, 5) == 4  # a long word breaks anywhere
    assert measure.wrapped_lines("x = 1\n\ny = 2", 40, mono=True) == 3



def _greedy_lines(paragraphs: list[list[float]], space: float, width: float,
                  keep_empty: bool) -> int:
    """Wrapping as measure.py first wrote it, word by word: the rule Text.lines keeps."""
    width = max(width, 0.5)
    lines = 0
    for words in paragraphs:
        if not words:
            lines += 1 if keep_empty else 0
            continue
        lines += 1
        if sum(words) + space * (len(words) - 1) <= width:
            continue
        used = 0.0
        for w in words:
            if used and used + space + w > width:
                lines += 1
                used = 0.0
            if w > width:
                extra = math.ceil(w / width) - 1
                lines += extra
                used = w - extra * width
            else:
                used += (space if used else 0.0) + w
    return lines


WORD = st.one_of(st.floats(0.1, 12.0), st.sampled_from([0.0, 0.318, 2.0, 4.0]))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(WORD, max_size=30), min_size=1, max_size=4),
       st.sampled_from([measure.SPACE, measure.MONO]), st.floats(0.1, 40.0), st.booleans())
def test_wrapping_takes_as_many_lines_as_the_plain_greedy_rule(
        paragraphs: list[list[float]], space: float, width: float, keep_empty: bool) -> None:
    """Text.lines answers at once when nothing wraps, and decides each word in one
    comparison: the same lines, to the bit, as wrapping word by word (zero-width words,
    long words and empty lines included), at widths a word or a line fits exactly too."""
    text = measure.Text.of_words(tuple(map(tuple, paragraphs)), space, keep_empty=keep_empty)
    widths = [width, text.width, *(w for p in paragraphs for w in p)]
    used = 0.0
    for w in paragraphs[0]:  # boxes as wide as the first line is, word after word
        if used:
            widths.append(used + space + w)
        used += (space if used else 0.0) + w
    for box in widths:
        assert text.lines(box) == _greedy_lines(paragraphs, space, box, keep_empty)


def test_character_widths() -> None:
    assert measure.char_width("é") == measure.char_width("e")
    assert measure.char_width("i") < measure.char_width("m")
    assert measure.char_width("搜") == 1.0
    assert measure.char_width("\u0301") == 0.0  # a combining accent
    assert 0.3 < measure.char_width("ש") < 1.0


def test_markdown_blocks_skip_link_targets_and_markup() -> None:
    blocks = measure.markdown_blocks(textwrap.dedent("""\
        See [the RFC](https://example.com/a/very/long/url/that/is/not/shown) **now**.

        - one
        - two

        ```
        code
        ```
        """))
    assert [b.text.paragraphs and len(b.text.paragraphs[0]) for b in blocks] == [4, 1, 1, 1]
    assert [b.spaced for b in blocks] == [True, True, False, True]
    assert blocks[1].indent == pytest.approx(1.2)
    assert blocks[3].own_margin
    table = measure.markdown_blocks("| a | b |\n|---|---|\n| 1 | 2 |\n")
    assert len(table) == 1 and len(table[0].rows) == 2
    assert measure.inline_text("**Bold** [link](https://x.example) `code`") == "Bold link code"


def _parsed_inline_text(source: str) -> str:
    return "".join(measure._inline_text(t) for t in parser().parseInline(source))


def _same_blocks(text: str) -> None:
    """Measured from the Markdown fast path or not, a field gives the same blocks."""
    assert measure.markdown_blocks(text) == measure._parsed_blocks(text), text


@settings(max_examples=700, deadline=None)
@given(_document(_BLOCK))
@example("a\nb **c\nd** `<&>` [e \"f\"](https://x.org/?a=1&b=2)\n\n- g\n- it's\n")
@example("```python\nif a < b and c > d:\n\n    print('&amp;')\n```\n\n```\n```\n")
def test_fast_blocks_measure_what_markdown_it_parses(text: str) -> None:
    _same_blocks(text)


@settings(max_examples=700, deadline=None)
@given(_document(_DECK_BLOCK))
def test_fast_blocks_measure_deck_shaped_text_as_markdown_it_does(text: str) -> None:
    _same_blocks(text)


@settings(max_examples=1000, deadline=None)
@given(st.one_of(_INLINE, _PROSE))
@example("a\nb **c\nd** `<&>` [e \"f\"](https://x.org/?a=1&b=2) \"g\"")
@example("`&amp;lt;` & <b>")
def test_fast_inline_text_is_what_markdown_it_parses(text: str) -> None:
    assert measure.inline_text(text) == _parsed_inline_text(text), text


def test_deck_fields_are_measured_without_markdown_it() -> None:
    """The shapes decks use take the fast path (and the test above holds it to the same
    result), so `demodeck check` of a big archive does not parse with markdown-it."""
    why = ("Customers asked; it's **done** in `x<y`.\nSee \"the report\" [here](https://x.org/r).\n"
           "\n- one\n- two\n\n```python\nprint(1)\n```\n")
    fast = markdown_fast.fast_blocks(why)
    assert fast is not None and [b[0] for b in fast] == ["p", "ul", "pre"]
    assert markdown_fast.shown_text(fast[0][1][0]) == (
        "Customers asked; it\u2019s done in x<y. See \u201cthe report\u201d here.")
    _same_blocks(why)


def test_image_sizes(tmp_path: Path) -> None:
    assert measure.image_size(REPO / "decks/images/search-did-you-mean.png") == (1200, 750)
    gif = tmp_path / "a.gif"
    gif.write_bytes(b"GIF89a" + struct.pack("<HH", 320, 200) + b"\0" * 20)
    assert measure.image_size(gif) == (320, 200)
    jpeg = tmp_path / "a.jpg"
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\0" + b"\0" * 9
    sof = b"\xff\xc0" + struct.pack(">HBHH", 17, 8, 480, 640) + b"\0" * 10
    jpeg.write_bytes(b"\xff\xd8" + app0 + sof)
    assert measure.image_size(jpeg) == (640, 480)
    (tmp_path / "b.webp").write_bytes(b"RIFF....WEBP")
    assert measure.image_size(tmp_path / "b.webp") is None
    assert measure.image_size(tmp_path / "missing.png") is None


def test_estimates_shrink_with_more_text() -> None:
    short = overflow.estimate_demo(demo())
    assert (short.fit, short.fits, short.wide, short.readable) == (1.0, True, False, True)
    fits = [overflow.estimate_demo(demo(why=" ".join([SENTENCE] * n))).fit
            for n in (1, 16, 32, 48, 64)]
    assert fits == sorted(fits, reverse=True)
    assert fits[0] == 1.0 and fits[-1] < 0.7
    huge = overflow.estimate_demo(demo(why="\n\n".join([SENTENCE * 4] * 20)))
    assert (huge.fit, huge.fits, huge.readable) == (sizes.builtin().min_fit, False, False)


def test_a_long_why_goes_across_the_slide_before_any_text_shrinks() -> None:
    """Beside one feature, a why of a dozen sentences would take the slide's text under the
    floor; across the whole width under it, it fits as designed."""
    long = demo(why=" ".join([SENTENCE] * 12))
    t = overflow.DemoText.of(long, sizes.builtin())
    beside = overflow._estimate(t, wide=False)
    assert not beside.readable and beside.fit < 0.86
    across = overflow.estimate_demo(long)
    assert (across.fit, across.wide, across.readable) == (1.0, True, True)
    code = demo(why="```\n" + "result = search(query, page=1, per_page=50, typo=True)\n```")
    assert overflow.estimate_demo(code).wide  # a line of code as wide as the slide: across


def test_the_plan_of_a_demo_says_what_its_estimate_does() -> None:
    """slides.plan asks plan_demo, which searches for the fit only of a slide too full for
    the floor, and only when asked for it (check does, a build does not)."""
    shot = Screenshot(Asset(REPO / "decks/images/search-did-you-mean.png", "x.png"), "A shot")
    verdicts = []
    for n in range(0, 70, 3):
        for screenshot in (None, shot):
            d = demo(why=" ".join([SENTENCE] * n), screenshot=screenshot,
                     features=tuple(f"Feature {k}" for k in range(n % 7)))
            estimate = overflow.estimate_demo(d)
            wide, readable, below = overflow.plan_demo(d, sizes.builtin(), exact=True)
            assert (wide, readable) == (estimate.wide, estimate.readable), n
            assert below == (None if readable else estimate), n
            assert overflow.plan_demo(d, sizes.builtin()) == (wide, readable, None)
            verdicts.append(readable)
    assert True in verdicts and False in verdicts


def test_the_example_decks_need_no_warning() -> None:
    site = load_config(REPO)
    checked = check(site)
    assert checked.decks == len(validate_all(site)) and checked.warnings == ()


# -- `demodeck check` --------------------------------------------------------------------------

LONG_DEMO = f"""\
  - title: The whole design document
    people: [Ada Lovelace]
    features: [One, Two]
    why: |
{textwrap.indent(chr(10).join([SENTENCE * 3] * 9), ' ' * 6)}
    could_be_better: Brevity.
"""


def test_check_warns_with_the_line_of_the_demo(project: Project,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    original = project.root.joinpath("decks/2026-11-23.yaml").read_text(encoding="utf-8")
    project.write("decks/2026-11-23.yaml", original + LONG_DEMO)
    line = original.count("\n") + 1
    result = project.run("check", capsys=capsys)
    assert result.code == 0  # a warning does not fail the check
    assert result.out == "OK: 1 deck, 6 slides, 1 warning\n"
    assert result.err.startswith(f"decks/2026-11-23.yaml:{line}:5: warning: demos[2]: "
                                 "'The whole design document' has more text than its slide "
                                 "holds at a readable size: its body text will be shrunk to "
                                 "about ")
    assert " px, under the floor of 18 px (at 1280×720)" in result.err
    assert "move detail into notes" in result.err
    assert result.err.count("\n") == 1


def test_check_warns_about_a_demo_file_in_a_deck_folder(
        project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    project.write("decks/2026-11-30/deck.yaml", "title: Folder deck\n")
    project.write("decks/2026-11-30/01-short.yaml", """\
        title: Short
        people: [Ada]
        features: [x]
        why: y
        could_be_better: z
        """)
    body = textwrap.dedent(LONG_DEMO).replace("- title", "title", 1)
    project.write("decks/2026-11-30/02-long.yaml", textwrap.indent(body, "")
                  .replace("\n  ", "\n"))
    result = project.run("check", capsys=capsys)
    assert result.code == 0, result.err
    assert result.err.startswith("decks/2026-11-30/02-long.yaml:1:1: warning: "
                                 "'The whole design document' has more text")
    assert "1 warning" in result.out


def test_a_slide_that_will_scroll_says_so(project: Project,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    original = project.root.joinpath("decks/2026-11-23.yaml").read_text(encoding="utf-8")
    why = "\n\n".join([SENTENCE * 4] * 20)  # in Chromium too, this scrolls at half size
    project.write("decks/2026-11-23.yaml", original + LONG_DEMO.split("    why:")[0]
                  + "    why: |\n" + textwrap.indent(why, " " * 6) + "\n    could_be_better: x\n")
    result = project.run("check", capsys=capsys)
    assert result.code == 0
    assert "even at half size, so the slide will scroll" in result.err


def test_check_without_warnings_is_unchanged(project: Project,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    result = project.run("check", capsys=capsys)
    assert (result.code, result.out, result.err) == (0, "OK: 1 deck, 5 slides, no problems\n",
                                                     "")


MEDIUM_DEMO = f"""\
  - title: A fair amount to say
    people: [Ada Lovelace]
    features: [One, Two]
    why: {" ".join([SENTENCE] * 14)}
    could_be_better: Brevity.
"""


def _replaced(name: str, *changes: tuple[str, str]) -> str:
    """The built-in static file ``name`` with each (old, new) change made; each old text
    must be in it once."""
    text = (BUILTIN_STATIC / name).read_text(encoding="utf-8")
    for old, new in changes:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def test_check_measures_with_the_projects_own_deck_css(
        project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    """A theme with wider margins holds less: check reads the sizes from the deck.css the
    site is built with, the project's own when it has one."""
    project.write("decks/2026-11-23.yaml", MINIMAL_DECK + MEDIUM_DEMO)
    assert project.run("check", capsys=capsys).err == ""  # it fits with the built-in theme
    project.write("templates/static/deck.css", _replaced(
        "deck.css", ("padding: 2.4em 3.3em 2.9em;", "padding: 2.4em 10em 6em;")))
    result = project.run("check", capsys=capsys)
    assert result.code == 0
    assert "warning: demos[2]: 'A fair amount to say' has more text than its slide holds " \
           "at a readable size: its body text will be shrunk to about 1" in result.err


def test_check_searches_the_fit_as_the_projects_own_deck_js_does(
        project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    """deck.js's smallest fit, from the project's own deck.js: a demo too long for half
    size fits at less, and a still longer one scrolls even there."""
    def deck(paragraphs: int) -> str:
        why = "\n\n".join([SENTENCE * 4] * paragraphs)
        return (MINIMAL_DECK + LONG_DEMO.split("    why:")[0] + "    why: |\n"
                + textwrap.indent(why, " " * 6) + "\n    could_be_better: x\n")

    project.write("decks/2026-11-23.yaml", deck(20))
    assert "even at half size, so the slide will scroll" in project.run(
        "check", capsys=capsys).err
    project.write("templates/static/deck.js", _replaced(
        "deck.js", ("var MIN_FIT = 0.5;", "var MIN_FIT = 0.3;")))
    err = project.run("check", capsys=capsys).err
    shrunk = float(err.split("shrunk to about ")[1].split(" px")[0])  # 0.3 < fit < 0.5
    assert 0.3 * 21.12 < shrunk < 0.5 * 21.12, err  # the why's text: 21.12 px at fit 1
    project.write("decks/2026-11-23.yaml", deck(5 * 20))
    assert "even at 30% of its size, so the slide will scroll" in project.run(
        "check", capsys=capsys).err


@pytest.mark.parametrize("css", [
    "",  # sets nothing
    ".slide { font-size: 0px; width: banana; padding: 1e999em; line-height: -3 }\n"
    ".slide--demo { row-gap: calc(1em + 2px) } .why { padding: 1em 2em 3em 4em 5em }",
    ".slide { font-size: calc(24px * var(--fit, 1)); padding: 2.4em 3.3em 2.9em "  # unclosed
    "/* .features li { font-size: 9em } */ \"}\" ",
    "@media screen { .slide { font-size: 90px } } .slide { font-size: 24px } }}} {{",
])
def test_a_deck_css_that_sets_no_usable_size_leaves_the_builtin_ones(
        project: Project, capsys: pytest.CaptureFixture[str], css: str) -> None:
    """What the reader cannot use (a missing rule, a zero font, a length it does not take,
    broken syntax, an @media rule) is taken from the built-in theme, without a traceback."""
    project.write("decks/2026-11-23.yaml", MINIMAL_DECK + MEDIUM_DEMO)
    project.write("templates/static/deck.css", css)
    project.write("templates/static/deck.js", "var MIN_FIT = 0; var SQUEEZE = [[[[[\n")
    assert sizes.of_project(project.root) == sizes.builtin()
    result = project.run_process("check")
    assert (result.code, result.err) == (0, "")


def test_a_deck_css_linked_from_outside_the_project_is_not_read(
        project: Project, tmp_path: Path) -> None:
    """Templates are code, taken from the project's own files only (see SECURITY.md)."""
    outside = tmp_path / "outside.css"
    outside.write_text(".slide { font-size: calc(30px * var(--fit, 1)) }", encoding="utf-8")
    (project.root / "templates/static").mkdir(parents=True)
    (project.root / "templates/static/deck.css").symlink_to(outside)
    assert sizes.of_project(project.root) == sizes.builtin()


def _archive(project: Project, decks: int) -> list[str]:
    """``decks`` weekly decks (the minimal one, under another date each): their files."""
    first = dt.date(2026, 11, 23)
    names = [f"decks/{first - dt.timedelta(weeks=k)}.yaml" for k in range(decks)]
    for name in names:
        project.write(name, MINIMAL_DECK)
    return names


def test_check_in_worker_processes_says_what_one_process_does(
        project: Project, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    names = _archive(project, pool.PARALLEL_MIN)
    for name in (names[3], names[-2]):  # a warning in decks the two processes share out
        path = project.root / name
        path.write_text(path.read_text(encoding="utf-8") + LONG_DEMO, encoding="utf-8")
    serial = project.run("check", "--jobs", "1", "--no-cache", capsys=capsys)
    forked = count_forks(monkeypatch)
    parallel = project.run("check", "--jobs", "2", "--no-cache", capsys=capsys)
    assert len(forked) == 2  # a worker validates, then renders (and estimates), beside this process
    assert parallel == serial
    assert serial.code == 0
    assert serial.out == f"OK: {pool.PARALLEL_MIN} decks, {5 * pool.PARALLEL_MIN + 2} slides, " \
                         "2 warnings\n"
    line = MINIMAL_DECK.count("\n") + 1
    assert [w.split(": ")[0] for w in serial.err.splitlines()] == [
        f"{names[-2]}:{line}:5", f"{names[3]}:{line}:5"]  # the oldest deck first


def test_check_in_worker_processes_reports_every_error(
        project: Project, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    names = _archive(project, pool.PARALLEL_MIN)
    project.write(names[1], MINIMAL_DECK.replace("minutes: 5", "minutes: soon"))
    project.write(names[-1], MINIMAL_DECK.replace("    people: [Zoë Quinn]\n", ""))
    serial = project.run("check", "--jobs", "1", capsys=capsys)
    forked = count_forks(monkeypatch)
    assert project.run("check", "--jobs", "2", capsys=capsys) == serial
    assert len(forked) == 1  # the worker that validates beside this one; nothing is estimated
    parallel = project.run_process("check", "--jobs", "2")  # as a program: no traceback
    assert parallel == serial
    assert parallel.code == 1 and parallel.out == ""
    assert "Traceback" not in parallel.err
    lines = parallel.err.splitlines()
    assert len(lines) == 3 and lines[-1] == "error: 2 problems found; nothing was written"
    assert lines[0] == f"{names[-1]}:15:5: demos[1]: missing required field 'people'"
    assert lines[1] == (f"{names[1]}:14:14: demos[0].minutes: expected a whole number, "
                        "got text")


# -- against Chromium --------------------------------------------------------------------------

def calibration_demos() -> list[dict[str, Any]]:
    """Demos from one line to far too much: lists, paragraphs, code, tables, headings,
    screenshots."""
    demos: list[dict[str, Any]] = []
    # (features, sentences in the why, extras: a list, code, a table; the why's shape)
    sizes = [(1, 1, 0, ""), (3, 2, 0, ""), (4, 4, 1, ""), (6, 6, 0, ""), (8, 8, 2, ""),
             (10, 10, 0, ""), (5, 14, 3, ""), (12, 16, 1, ""), (6, 110, 0, ""),
             (2, 1, 3, "headings"), (3, 0, 3, "paragraphs"), (3, 2, 0, "code")]
    for shot in (False, True):
        for n, (features, sentences, extra, shape) in enumerate(sizes):
            why = " ".join([SENTENCE] * sentences)
            if shape == "headings":
                why = "\n\n".join(f"{'#' * (1 + k % 3)} Heading {k}\n\n{why}" for k in range(4))
            elif shape == "paragraphs":
                why = "\n\n".join([SENTENCE] * 12)
            elif shape == "code":
                why += "\n\n```\n" + "\n".join(f"hits_{k} = search(query, page={k})"
                                               for k in range(16)) + "\n```"
            if extra >= 1:
                why += "\n\n" + "\n".join(f"- point {k}: {SENTENCE}" for k in range(extra + 1))
            if extra >= 2:
                why += "\n\n```\n" + "\n".join(f"result = search(query_{k})" for k in
                                               range(3)) + "\n```"
            if extra >= 3:
                why += "\n\n| Gap | Searches | Fix |\n|---|--:|---|\n" + "\n".join(
                    f"| Gap {k} | {k * 1000} | {SENTENCE} {SENTENCE} |" for k in range(3))
            entry: dict[str, Any] = {
                "title": " ".join(filter(None, [f"Demo {n}", "with a screenshot" if shot
                                                else "", *["of the week"] * (n % 3)])),
                "team": "Search",
                "people": [f"Person {k} Lovelace" for k in range(1 + n % 3)],
                "features": [f"Feature {k}: " + " ".join([SENTENCE] * (1 + (k + n) % 2))
                             for k in range(features)],
                "why": why,
                "could_be_better": "Later.",
                "minutes": 5,
            }
            if n % 2:
                entry["links"] = [{"label": f"Dashboard {k}", "url": "https://example.com/"}
                                  for k in range(2)]
            if shot:
                entry["screenshot"] = {"src": "images/shot.png", "alt": "A dashboard"}
            demos.append(entry)
    return demos


def _platform_font(page: Any, selector: str) -> str:
    """The font Chromium really drew most of the text of ``selector``'s elements with (not
    the first of the CSS list's fonts: the first one installed)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    glyphs: dict[str, int] = {}
    for node in cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": selector})[
            "nodeIds"]:
        for font in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]:
            glyphs[font["familyName"]] = glyphs.get(font["familyName"], 0) + font["glyphCount"]
    return max(glyphs, key=glyphs.__getitem__)


def _calibrate(browser: Any, folder: Path, font: str | None,
               theme: dict[str, str] | None = None) -> tuple[str, list[Any]]:
    """Build the calibration deck (with the project's own static files ``theme``, by name),
    render it in Chromium (with the theme's ``--font`` set to ``font``, else the machine's
    own ``system-ui``), and pair deck.js's fit of each demo slide with the estimate's:
    (font drawn, [(title, fit, scrolls, under the floor, estimate, fits, under the floor,
    the floor's fit)]), each slide in the layout the build gave it."""
    import yaml

    for name, text in (theme or {}).items():
        (folder / "templates/static").mkdir(parents=True, exist_ok=True)
        (folder / "templates/static" / name).write_text(text, encoding="utf-8")
    (folder / "decks/images").mkdir(parents=True)
    shutil.copy(REPO / "decks/images/search-did-you-mean.png", folder / "decks/images/shot.png")
    (folder / "decks/2026-11-23.yaml").write_text(
        yaml.safe_dump({"title": "Calibration", "demos": calibration_demos()},
                       allow_unicode=True), encoding="utf-8")
    assert main(["build", "-C", str(folder), "--no-cache"]) == 0
    if font is not None:  # the site's own stylesheet, so deck.js fits with the font in place
        for css in (folder / "site/assets").glob("deck.*.css"):
            css.write_text(css.read_text() + f'\n:root {{ --font: "{font}"; }}\n')
    deck = validate_all(load_config(folder))[0]
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    try:
        page.goto((folder / "site/2026-11-23/index.html").as_uri())
        page.wait_for_load_state("load")
        drawn = _platform_font(page, ".slide[data-slide='demo'] *")
        measured = page.evaluate("""demodeck.slides.filter(s => s.dataset.slide === 'demo')
            .map(s => [parseFloat(s.style.getPropertyValue('--fit') || '1'),
                       s.classList.contains('is-overflowing'),
                       s.classList.contains('is-below-floor'),
                       s.classList.contains('wide-why')])""")
    finally:
        page.close()
    rows = []
    theme_sizes = sizes.of_project(folder)
    for d, (fit, scrolls, below, wide) in zip(deck.demos, measured, strict=True):
        estimate = overflow.estimate_demo(d, theme_sizes)
        assert estimate.wide == wide, d.title  # the layout the estimate is of
        rows.append((d.title, round(fit, 3), scrolls, below, round(estimate.fit, 3),
                     estimate.fits, not estimate.readable, round(estimate.floor, 3)))
    return drawn, rows


# A project's own sizes for most of what the estimate reads, after a copy of the built-in
# deck.css (later rules win, in the browser and in sizes.py alike).
OWN_CSS = """
.slide { padding: 2.4em 4.5em 3.4em; }
.slide:not(.slide--dark) { padding-top: calc(1.6em - 6px); }
.slide--demo { column-gap: 3em; row-gap: 1.2em; }
.slide--demo.has-shot { --media: 42%; }
.slide-head h2 { font-size: 2.3em; line-height: 1.2; }
.people { gap: 1em 2em; }
.features li { font-size: 1em; line-height: 1.5; }
.why { padding: 1.2em 1.6em; }
.why .md { font-size: 0.9em; line-height: 1.6; }
.md > * + * { margin-top: 0.9em; }
.md pre { padding: 1em 1.5em; font-size: 0.9em; }
"""


def own_theme() -> dict[str, str]:
    return {"deck.css": (BUILTIN_STATIC / "deck.css").read_text(encoding="utf-8") + OWN_CSS,
            "deck.js": _replaced("deck.js", ("var MIN_FIT = 0.5;", "var MIN_FIT = 0.4;"), (
                'var SQUEEZE = [["--media", ["44%", "38%"]]];',
                'var SQUEEZE = [["--media", ["30%"]]];'))}


def test_estimates_match_chromium_drawing_dejavu_sans(browser: Any, tmp_path: Path) -> None:
    """With the font the estimate models, it agrees with Chromium within the tolerance."""
    drawn, rows = _calibrate(browser, tmp_path, "DejaVu Sans")
    assert drawn == "DejaVu Sans"
    report = "\n".join(map(str, rows))
    fits = [r[1] for r in rows]
    assert min(fits) < 0.7 < 0.9 < max(fits), report  # a spread of sizes
    assert any(r[3] for r in rows) and not all(r[3] for r in rows), report  # some too full
    assert any(r[2] for r in rows), report  # and some too long even at half size
    _assert_close(rows, report)


def test_estimates_match_chromium_with_the_projects_own_theme(browser: Any,
                                                              tmp_path: Path) -> None:
    """The estimate reads its sizes from the theme the site is built with: with a project's
    own deck.css and deck.js that change most of them, it still agrees with Chromium."""
    drawn, rows = _calibrate(browser, tmp_path, "DejaVu Sans", own_theme())
    assert drawn == "DejaVu Sans"
    report = "\n".join(map(str, rows))
    assert min(r[1] for r in rows) < 0.5, report  # the smaller MIN_FIT is used
    _assert_close(rows, report)


def _assert_close(rows: list[Any], report: str) -> None:
    for _title, fit, scrolls, below, guess, guess_fits, guess_below, floor in rows:
        assert abs(guess - fit) <= overflow.TOLERANCE, report
        if abs(fit - floor) > 0.05:  # clear cases get the same verdict
            assert below == guess_below, report
        if scrolls:
            assert not guess_fits, report


def test_markdown_blocks_are_as_tall_in_chromium_as_estimated(browser: Any,
                                                               tmp_path: Path) -> None:
    """Each kind of block of a why, measured alone: paragraphs (no margin between them on a
    slide: `.slide p` outranks `.md > * + *`), a heading, a code block (its lines as tall
    as its line-height: the strut is in the code's own font), a table."""
    import yaml

    code = "```\n" + "\n".join(f"hits_{k} = search(query, page={k})" for k in range(20))
    blocks = ["\n\n".join([SENTENCE] * 6), f"## {SENTENCE}", code + "\n```",
              "| Gap | Fix |\n|---|---|\n" + "\n".join(f"| {k} | {SENTENCE} |" for k in range(4))]
    blocks = [f"First.\n\n{block}" for block in blocks]  # its margin shows after another
    (tmp_path / "decks").mkdir()
    (tmp_path / "decks/2026-11-23.yaml").write_text(yaml.safe_dump({"title": "Blocks", "demos": [
        {"title": "Blocks", "people": ["Ada"], "features": ["One"], "why": why,
         "could_be_better": "x"}
        for why in blocks]}), encoding="utf-8")
    assert main(["build", "-C", str(tmp_path), "--no-cache"]) == 0
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    try:
        page.goto((tmp_path / "site/2026-11-23/index.html").as_uri())
        page.add_style_tag(content=':root { --font: "DejaVu Sans"; }')
        measured = page.evaluate("""demodeck.slides.filter(s => s.dataset.slide === 'demo')
            .map(s => { s.style.setProperty('--fit', '1'); const md = s.querySelector('.why .md');
                        const em = parseFloat(getComputedStyle(md).fontSize);
                        return [md.getBoundingClientRect().width / em,
                                md.getBoundingClientRect().height / em]; })""")
    finally:
        page.close()
    for why, (width, height) in zip(blocks, measured, strict=True):
        assert measure.blocks_height(measure.markdown_blocks(why), width) == pytest.approx(
            height, rel=0.02), why


@pytest.mark.parametrize("font", [None, "Liberation Sans"])
def test_estimates_err_towards_warning_whatever_font_chromium_draws(
        browser: Any, tmp_path: Path, font: str | None) -> None:
    """With another sans-serif font (the machine's own, or Liberation Sans: Arial's widths,
    narrower than DejaVu Sans, as most system fonts are) the estimate may be pessimistic,
    never optimistic by more than the tolerance: check does not stay silent about a demo
    that Chromium shrinks below readable or scrolls."""
    drawn, rows = _calibrate(browser, tmp_path, font)
    if font is not None:
        assert drawn == font
    report = f"font drawn: {drawn}\n" + "\n".join(map(str, rows))
    for _title, fit, scrolls, below, guess, guess_fits, guess_below, _floor in rows:
        assert guess <= fit + overflow.TOLERANCE, report
        if below:
            assert guess_below, report
        if scrolls:
            assert not guess_fits, report
