"""Properties (issue 7), checked with hypothesis over generated decks and YAML.

* any deck the schema accepts builds, and its text reads back;
* any YAML text is accepted, or rejected with problems that each name the file
  and a line, never with an exception;
* slide ids and people slugs are unique per deck (per site) and safe in a URL,
  an ``id`` and a file name;
* building twice gives identical bytes, in one process or two (with different
  hash seeds, so no set or dict order can leak into the output).

Example counts are kept small so the file runs in a few seconds; on CI the
examples are derandomised (the same every run), locally each run explores anew.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from demodeck import model, people
from demodeck.build import build
from demodeck.config import load_config
from demodeck.errors import BuildError
from demodeck.pipeline import render_site, validate_all
from tests.conftest import MINIMAL_DECK, REPO, copy_examples
from tests.test_hostile_xss import norm, q

CI = bool(os.environ.get("CI"))


def fuzz(examples: int) -> Any:
    return settings(max_examples=examples, deadline=None, derandomize=CI,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])


# --- generated decks ------------------------------------------------------------------------

# Text the schema accepts: anything but C0 controls (tab, newline and CR aside) and
# surrogates, not blank; with Markdown and HTML syntax mixed in often.
CHARS = st.characters(exclude_categories=("Cs",),
                      exclude_characters="".join(chr(c) for c in range(32) if c not in (9, 10, 13))
                      + "\ufffe\uffff")
SNIPPETS = st.sampled_from([
    "**bold**", "_em_", "`code`", "[link](https://example.com/a?b=1&c=<2>)", "<b>raw</b>",
    "<script>x()</script>", '" onmouseover="x()', "&amp; &lt;", "{{ 7*7 }}", "- item",
    "1. one", "> quote", "# heading", "| a | b |\n|---|---|\n| 1 | 2 |", "```python\nx = 1\n```",
    "[ ] task", "~~gone~~", "\u2028", "\u202e", "שלום", "😀", "Zoë", "deck", "agenda", "title",
    "retro", "search v2", "Search V2", "search-v2", "SEARCH_V2", "..", "/", "%2e%2e", "a b",
])
TEXT = st.lists(st.one_of(st.text(CHARS, min_size=1, max_size=12), SNIPPETS),
                min_size=1, max_size=4).map(" ".join).filter(lambda s: bool(s.strip()))
URLS = st.sampled_from(["https://example.com/", "http://example.com/x?y=<z>&w='\"'",
                        "mailto:a@example.com", "https://example.com/#frag ment"])
METRIC = st.from_regex(r"[A-Za-z][A-Za-z0-9_ ]{0,12}", fullmatch=True)
NUMBER = st.one_of(st.integers(-10**9, 10**9),
                   st.floats(-1e9, 1e9, allow_nan=False, allow_infinity=False))


def yaml_number(value: float) -> str:
    """YAML 1.1 (PyYAML) reads 1e-05 as text: its floats need a dot before the exponent."""
    text = repr(value)
    mantissa, e, exponent = text.partition("e")
    return mantissa + ("" if "." in mantissa or not e else ".0") + e + exponent


@st.composite
def person(draw: st.DrawFn) -> str:
    name = draw(TEXT)
    if draw(st.booleans()):
        return q(name)
    role = draw(st.none() | TEXT)
    return "{name: " + q(name) + ("" if role is None else ", role: " + q(role)) + "}"


@st.composite
def demo(draw: st.DrawFn) -> tuple[str, str]:
    """One demo as YAML flow mapping, and its title."""
    title = draw(TEXT)
    fields = [f"title: {q(title)}",
              "people: [" + ", ".join(draw(st.lists(person(), min_size=1, max_size=3))) + "]",
              "features: [" + ", ".join(map(q, draw(st.lists(TEXT, min_size=1, max_size=3))))
              + "]",
              f"why: {q(draw(TEXT))}", f"could_be_better: {q(draw(TEXT))}"]
    if draw(st.booleans()):
        fields.append(f"team: {q(draw(TEXT))}")
    if draw(st.booleans()):
        fields.append(f"notes: {q(draw(TEXT))}")
    if draw(st.booleans()):
        fields.append(f"minutes: {draw(st.integers(1, 600))}")
    if draw(st.booleans()):
        fields.append(f"links: [{{label: {q(draw(TEXT))}, url: {q(draw(URLS))}}}]")
    return "{" + ", ".join(fields) + "}", title


@st.composite
def deck(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A deck file the schema accepts, and its demo titles in order."""
    demos = draw(st.lists(demo(), min_size=1, max_size=5))
    lines = ["demos:"] + [f"  - {d}" for d, _ in demos]
    if draw(st.booleans()):
        lines.append(f"title: {q(draw(TEXT))}")
    if draw(st.booleans()):
        lines.append("hosts: [" + ", ".join(map(q, draw(st.lists(TEXT, max_size=3)))) + "]")
    if draw(st.booleans()):
        lines.append("sprint_goals: [" + ", ".join(map(q, draw(st.lists(TEXT, max_size=3))))
                     + "]")
    if draw(st.booleans()):
        metrics = draw(st.dictionaries(METRIC, NUMBER, max_size=4))
        lines.append("metrics: {" + ", ".join(f"{q(k)}: {yaml_number(v)}"
                                              for k, v in metrics.items()) + "}")
    if draw(st.booleans()):
        exp = [f"{{experiment: {q(draw(TEXT))}, hypothesis: {q(draw(TEXT))}, "
               f"result: {q(draw(TEXT))}, outcome: {draw(st.sampled_from(['success', 'mixed', 'failed']))}}}"  # noqa: E501
               for _ in range(draw(st.integers(1, 2)))]
        lines.append("experiments: [" + ", ".join(exp) + "]")
    if draw(st.booleans()):
        items = draw(st.lists(TEXT, max_size=3))
        lines.append("retro: {went_well: [" + ", ".join(map(q, items)) + "], actions: ["
                     + ", ".join(f"{{what: {q(t)}, owner: {q(t)}}}" for t in items) + "]}")
    return "\n".join(lines) + "\n", [t for _, t in demos]


def project(root: Path, decks: dict[str, str]) -> Path:
    shutil.rmtree(root, ignore_errors=True)
    (root / "decks").mkdir(parents=True)
    for date, text in decks.items():
        (root / "decks" / f"{date}.yaml").write_text(text, encoding="utf-8")
    return root


SAFE_SLUG = re.compile(r"[^\W_](?:[\w-]*[^\W_])?")


@fuzz(40)
@given(deck())
def test_any_deck_the_schema_accepts_builds(tmp_path: Path, generated: tuple[str, list[str]]
                                            ) -> None:
    text, titles = generated
    root = project(tmp_path / "p", {"2026-11-23": text})
    site = load_config(root)
    decks = validate_all(site)  # accepted: no BuildError
    pages = {p.path: p.data for p in render_site(site, decks).pages}
    html = pages["2026-11-23/index.html"].decode()
    ids = re.findall(r'\sid="([^"]*)"', html)
    assert [k for k, n in Counter(ids).items() if n > 1] == []
    slides = [s.id for s in decks[0].slides]
    assert slides[0] == "title" and "retro" in slides and slides[-1] == "thanks"
    for slide_id in slides:
        assert SAFE_SLUG.fullmatch(slide_id), slide_id
    headings = re.findall(r'<h2 id="[^"]*:h" dir="auto">(.*?)</h2>', html, re.S)
    for title in titles:
        assert norm(title.strip()) in [norm(unescape(h)) for h in headings]
    assert render_site(site, decks).pages == render_site(site, validate_all(site)).pages


def unescape(markup: str) -> str:
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", markup))


# --- any YAML -------------------------------------------------------------------------------

TOKENS = st.sampled_from([
    "\n", " ", "  ", "\t", "- ", ":", ": ", "[", "]", "{", "}", ",", "&a ", "*a", "&b ", "*b",
    "!!str ", "!!python/object/apply:os.system ", "!x ", "'", '"', "\\", "#", "|", ">", "? ",
    "---\n", "...\n", "%YAML 1.1\n", "<<: ", "title", "demos", "people", "why", "features",
    "could_be_better", "2026-11-23", "2026-02-30", "0x1F", "1e999", ".nan", "~", "null", "yes",
    "é", "\ufeff", "\u2028", "\x85", "\x00", "\x1b", "\r\n", "9" * 30,
])
YAMLISH = st.one_of(
    st.lists(TOKENS, max_size=40).map("".join),
    st.text(max_size=60),
    st.tuples(st.integers(0, len(MINIMAL_DECK)), st.integers(0, 8)).map(
        lambda t: MINIMAL_DECK[:t[0]] + MINIMAL_DECK[t[0] + t[1]:]),
    st.tuples(st.integers(0, len(MINIMAL_DECK)), st.lists(TOKENS, max_size=4)).map(
        lambda t: MINIMAL_DECK[:t[0]] + "".join(t[1]) + MINIMAL_DECK[t[0]:]),
)


@fuzz(150)
@given(YAMLISH)
def test_any_yaml_is_accepted_or_rejected_with_file_and_line(tmp_path: Path, text: str) -> None:
    root = tmp_path / "y"
    (root / "decks").mkdir(parents=True, exist_ok=True)
    (root / "decks/2026-11-23.yaml").write_bytes(text.encode("utf-8", "surrogatepass"))
    try:
        decks = validate_all(load_config(root))
    except BuildError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.path == "decks/2026-11-23.yaml", problem
            assert problem.line >= 1, problem
            assert str(problem).startswith(f"decks/2026-11-23.yaml:{problem.line}:"), problem
    else:
        assert len(decks) == 1 and decks[0].demos


# --- slugs ----------------------------------------------------------------------------------


@fuzz(300)
@given(st.lists(st.one_of(TEXT, st.text(max_size=8), SNIPPETS), min_size=1, max_size=12))
def test_slide_ids_are_unique_and_safe(titles: list[str]) -> None:
    ids = model.unique_slugs(titles)
    assert len(ids) == len(titles) == len(set(ids))
    assert not set(ids) & model.RESERVED_SLIDE_IDS
    for slide_id in ids:
        assert SAFE_SLUG.fullmatch(slide_id), slide_id  # no space, quote, slash, dot, %
        assert slide_id == unicodedata.normalize("NFC", slide_id).casefold()
        assert len(slide_id) <= 64
    assert model.unique_slugs(titles) == ids  # stable


@fuzz(300)
@given(st.lists(st.one_of(TEXT, st.text(max_size=8), SNIPPETS), min_size=1, max_size=12))
def test_people_slugs_are_unique_safe_and_case_blind(names: list[str]) -> None:
    keys = sorted({model.Person(n).key for n in names})
    slugs = people.slugs(keys)
    values = list(slugs.values())
    assert len(set(values)) == len(values) == len(keys)
    assert len({v.casefold() for v in values}) == len(values)  # distinct on any disk
    for slug in values:
        assert SAFE_SLUG.fullmatch(slug) and slug not in (".", ".."), slug


def test_demo_titles_never_collide_with_the_themes_ids(tmp_path: Path) -> None:
    text = MINIMAL_DECK.replace("Search v2", "Deck").replace("Faster checkout", "Agenda")
    site = load_config(project(tmp_path / "p", {"2026-11-23": text}))
    html = render_site(site, validate_all(site)).pages[0].data.decode()
    ids = re.findall(r'\sid="([^"]*)"', html)
    assert [k for k, n in Counter(ids).items() if n > 1] == []


# --- building twice -------------------------------------------------------------------------


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_building_twice_gives_identical_bytes_across_processes(tmp_path: Path) -> None:
    """The example decks plus hostile ones, built by two processes with different hash
    seeds, then again into the same folder: the same bytes every time."""
    from tests.test_hostile_xss import CONTEXT, Expect, deck_yaml

    root = copy_examples(tmp_path / "p")
    (root / "decks/2026-10-05.yaml").write_text(deck_yaml(CONTEXT[:20], Expect()))
    shutil.copy(next((REPO / "decks/images").glob("*.png")), root / "decks/shot.png")
    trees = []
    for seed in ("1", "2"):
        out = tmp_path / f"out{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-m", "demodeck", "build", "-C", str(root),
                               "--no-cache", "--out", str(out)], env=env, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        trees.append(tree(out))
    assert trees[0] == trees[1]
    build(load_config(root), out=tmp_path / "out1")  # again, in this process, over the first
    assert tree(tmp_path / "out1") == trees[0]
