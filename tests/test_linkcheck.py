"""The link check reads the links and ids of real tags only, exactly as a browser would.

``linkcheck.parse`` is a fast scanner; Python's own HTML tokenizer (``html.parser``)
is the reference it must agree with, on generated markup and on every page a build
writes.
"""

from __future__ import annotations

import html
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from demodeck import linkcheck
from demodeck.cache import BuildCache
from demodeck.render import Page
from tests.conftest import MINIMAL_DECK, Project, copy_examples


class _Reference(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in ("href", "src"):
                url = value.strip()
                if url and linkcheck._EXTERNAL(url) is None:
                    self.urls.append(url)
            elif name == "id":
                self.ids.add(value)

    handle_startendtag = handle_starttag


def reference(data: bytes) -> linkcheck.Parsed:
    parser = _Reference()
    parser.feed(data.decode())
    parser.close()
    return "\0".join(parser.urls), "\0".join(sorted(parser.ids))


NAMES = st.sampled_from(["href", "src", "id", "HREF", "Id", "class", "data-href", "title",
                         "alt", "srcset", "hidden"])
VALUES = st.text(alphabet="ab/#.-?=_ &;:'\"<>", max_size=8)
WORDS = st.text(alphabet="ab hrefsid=\"'/.#", max_size=12)


@st.composite
def attribute(draw: st.DrawFn) -> str:
    name = draw(NAMES)
    value = draw(VALUES).replace("<", "&lt;")  # as Jinja writes it (see parse's docstring)
    style = draw(st.sampled_from(["double", "single", "bare", "none"]))
    eq = draw(st.sampled_from(["=", " = ", "=\n"]))
    if style == "double":
        return f'{name}{eq}"{value.replace(chr(34), "&quot;")}"'
    if style == "single":
        return f"{name}{eq}'{value.replace(chr(39), '&#39;')}'"
    if style == "bare":
        bare = "".join(c for c in value if c not in " \"'<>=`&") or "x"
        return f"{name}{eq}{bare}"
    return name


@st.composite
def element(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["tag", "text", "comment", "script", "style", "void"]))
    if kind == "text":  # text as templates write it: escaped, quotes left alone
        return html.escape(draw(WORDS), quote=False)
    if kind == "comment":
        return f"<!-- <a href=\"{draw(VALUES).replace('-', '')}\"> -->"
    if kind in ("script", "style"):
        return f'<{kind} id="{kind}1">var a = "<a href=\'x.html\'>"; b < c</{kind}>'
    attrs = draw(st.lists(attribute(), max_size=4))
    seps = [draw(st.sampled_from([" ", "\n", "  ", "\t"])) for _ in attrs]
    inside = "".join(sep + a for sep, a in zip(seps, attrs, strict=True))
    tag = draw(st.sampled_from(["a", "img", "div", "section", "LINK"]))
    close = "/>" if kind == "void" else ">"
    return f"<{tag}{inside}{close}{draw(WORDS).replace('<', '&lt;').replace('>', '&gt;')}"


@settings(max_examples=400, deadline=None)
@given(st.lists(element(), max_size=12))
def test_agrees_with_the_html_tokenizer(parts: list[str]) -> None:
    data = "".join(parts).encode()
    assert linkcheck.parse(data) == reference(data)


@pytest.mark.parametrize(("markup", "urls", "ids"), [
    ('<a href="a.html" id="x">', ("a.html",), {"x"}),
    ("<a HREF='b.html'>", ("b.html",), set()),
    ("<img\nsrc = c.png>", ("c.png",), set()),
    ('<a class="x"href="d.html">', ("d.html",), set()),  # no space after a quoted value
    ("<p>write &lt;a href='e.html'&gt; in a template</p>", (), set()),  # text, not a tag
    ('<a data-href="f.html" data-id="g">', (), set()),
    ('<!-- <a href="h.html" id="i"> -->', (), set()),
    ('<script src="j.js">var a = "<a href=\'k.html\'>"</script>', ("j.js",), set()),
    ('<style>a[href="l.html"] { }</style>', (), set()),
    ('<a href="https://example.com/" id="m&amp;n">', (), {"m&n"}),
    ('<a title="o > p" href="q.html">', ("q.html",), set()),
])
def test_reads_attributes_of_tags_only(markup: str, urls: tuple[str, ...],
                                       ids: set[str]) -> None:
    found = linkcheck.parse(markup.encode())
    assert (tuple(linkcheck.unpack(found[0])), set(linkcheck.unpack(found[1]))) == (urls, ids)


@pytest.mark.parametrize("self_contained", [False, True])
def test_every_built_page_reads_as_the_tokenizer_reads_it(
        tmp_path: Path, self_contained: bool, capsys: pytest.CaptureFixture[str]) -> None:
    project = Project(copy_examples(tmp_path / "p"))
    args = ["build", "--self-contained"] if self_contained else ["build"]
    assert project.run(*args, capsys=capsys).code == 0
    pages = sorted((project.root / "site").rglob("*.html"))
    assert len(pages) > 10
    for page in pages:
        data = page.read_bytes()
        assert linkcheck.parse(data) == reference(data), page


def test_html_shown_as_code_in_a_demo_is_not_a_link(project: Project,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """A frontend team writing about markup: `<a href='x'>` in a code span is text."""
    project.write("decks/2026-11-23.yaml", MINIMAL_DECK.replace(
        "12% of searches had a typo.",
        "Write `<a href='nowhere.html' id='n'>` or `<img src=\"gone.png\">` in templates."))
    assert project.run("build", capsys=capsys).code == 0
    page = (project.root / "site/2026-11-23/index.html").read_text()
    assert "&lt;a href='nowhere.html' id='n'&gt;" in page


def test_the_same_url_is_judged_from_where_each_page_stands() -> None:
    """Links are checked once per (starting folder, URL): a URL that works from one
    folder must still be refused from another, and a fragment from the page it is on."""
    def page(path: str, body: str) -> Page:
        return Page(path, body.encode(), "k")

    pages = [page("x.html", '<p id="top">'),
             page("p/index.html", '<a href="../x.html#top"></a><a href="#here" id="here">'),
             page("p/q/index.html", '<a href="../x.html#top"></a><a href="#here">'),
             page("p/q/r.html", '<a href="../../x.html#top"></a><a href="../../../x.html">'),
             page("s/index.html", '<a href="../x.html#top"></a><a href="../x.html#nope">')]
    assert [p.message for p in linkcheck.check_links(pages)] == [
        "broken link '../x.html#top': no file p/x.html in the site",
        "broken link '#here': no element with id 'here' in p/q/index.html",
        "broken link '../../../x.html': points outside the site",
        "broken link '../x.html#nope': no element with id 'nope' in x.html"]


def test_a_rebuild_checks_the_pages_linking_to_what_changed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages that passed before, unchanged, linking only to unchanged pages are not
    checked again; a page linking to a changed page is, and its broken link is found."""
    checked: list[str] = []
    real_check = linkcheck._check

    def counting(folder: str, page: str, *rest: Any) -> Any:
        checked.append(page)
        return real_check(folder, page, *rest)

    monkeypatch.setattr(linkcheck, "_check", counting)

    def site(b_body: str, c_body: str) -> list[Page]:
        return [Page("a.html", b'<a href="b.html#x"></a><a href="d.css"></a>', "a1"),
                Page("b.html", b_body.encode(), f"b:{b_body}"),
                Page("c.html", c_body.encode(), f"c:{c_body}"),
                Page("d.css", b"", "d.css")]

    cache = BuildCache()
    assert linkcheck.check_links(site('<p id="x">', "<p>"), cache=cache) == []
    assert sorted(set(checked)) == ["a.html"]
    checked.clear()
    assert linkcheck.check_links(site('<p id="x">', "<p>changed"), cache=cache) == []
    assert checked == []  # c changed, but nothing links to it
    problems = linkcheck.check_links(site('<p id="y">', "<p>changed"), cache=cache)
    assert [p.message for p in problems] == [
        "broken link 'b.html#x': no element with id 'x' in b.html"]
    checked.clear()
    # the failed site is not the one that last passed: a stays checked against it
    assert linkcheck.check_links(site('<p id="y">', "<p>changed"), cache=cache) != []
    assert linkcheck.check_links(site('<p id="x">', "<p>"), cache=cache) == []


def test_a_fragment_needs_an_id_even_on_a_page_without_any() -> None:
    """Only a file that is not HTML takes any fragment."""
    pages = [Page("a.html", b'<a href="b.html#x"></a><a href="c.css#x"></a>'),
             Page("b.html", b"<p>no ids here</p>"), Page("c.css", b"")]
    assert [p.message for p in linkcheck.check_links(pages)] == [
        "broken link 'b.html#x': no element with id 'x' in b.html"]
