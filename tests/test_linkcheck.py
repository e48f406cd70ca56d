"""The link check reads the links and ids of real tags only, exactly as a browser would.

``linkcheck.parse`` is a fast scanner; Python's own HTML tokenizer (``html.parser``)
is the reference it must agree with, on generated markup and on every page a build
writes.
"""

from __future__ import annotations

import html
import posixpath
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from demodeck import linkcheck
from demodeck.incremental import links
from demodeck.incremental.cache import BuildCache
from demodeck.pages import Page
from tests import linkcheck_previous
from tests.conftest import MINIMAL_DECK, Project, copy_examples


class _Reference(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        marked = any(name == linkcheck.USER_LINK for name, _ in attrs)  # a person's link
        for name, value in attrs:
            if value is None:
                continue
            if name in ("href", "src") and not (marked and name == "href"):
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
    return "\0".join(dict.fromkeys(parser.urls)), "\0".join(sorted(parser.ids))  # URLs: once


NAMES = st.sampled_from(["href", "src", "id", "HREF", "Id", "class", "data-href", "title",
                         "alt", "srcset", "hidden", "data-user-link", "Data-User-Link"])
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


@st.composite
def tricky_element(draw: st.DrawFn) -> str:
    """Markup a page may hold that is easy to misread: names and tags in upper case,
    text that looks like attributes (quotes are not escaped in text), entities and
    character references in values, raw text that holds tags, and several comments,
    scripts and styles in a row."""
    kind = draw(st.sampled_from(["tag", "text", "raw", "comment"]))
    if kind == "text":  # "id=", "href='…'" as prose or a code span shows them
        words = draw(st.lists(st.sampled_from(
            ["id=x", "href='a.html'", 'src="b.png"', "ID = y", "valid=1", "&lt;a href=c&gt;",
             "data-user-link ",
             "grid", "&amp;", " ", "\n", "'", '"', "="]), max_size=6))
        return "".join(words)
    if kind == "comment":
        return f"<!--{draw(st.sampled_from(['', ' <a href=x.html>', ' id=z ', '-']))}-->"
    if kind == "raw":
        name = draw(st.sampled_from(["script", "SCRIPT", "style", "Style"]))
        body = draw(st.sampled_from(["", 'a = "<a href=\'x.html\'>"', "id=1 < 2", "/* href=y */"]))
        attrs = draw(st.sampled_from(["", ' src="s.js"', " ID=raw", ' data-x="1"']))
        return f"<{name}{attrs}>{body}</{name.lower()}>"
    parts = draw(st.lists(st.tuples(
        st.sampled_from(["href", "HREF", "Src", "id", "iD", "class", "data-id", "hidden",
                         "data-user-link"]),
        st.sampled_from(['"a.html"', "'#b'", "c.html", '"d&amp;e"', "'&#35;f'", '"g&quot;h"',
                         '"&#x2F;i"', '" j.html "', '""', "", '"https://example.com/"',
                         '"\u00e9.html"'])), max_size=4))
    inside = "".join(f" {name}={value}" if value else f" {name}" for name, value in parts)
    tag = draw(st.sampled_from(["a", "A", "img", "IMG", "section", "h2"]))
    return f"<{tag}{inside}{draw(st.sampled_from(['>', '/>', ' >']))}"


@settings(max_examples=400, deadline=None)
@given(st.lists(tricky_element(), max_size=12))
def test_reads_tricky_markup_as_the_html_tokenizer(parts: list[str]) -> None:
    data = "".join(parts).encode()
    assert linkcheck.parse(data) == reference(data)


# Bytes that build the cases where a fast path could go astray, put together at random:
# none of the assumptions parse makes about autoescaped output hold here.
SOUP = st.lists(st.sampled_from(
    ["<", ">", "<a", "<A", "<p ", "<b", "<!--", "-->", "<script", "</script", "<SCRIPT>",
     "<style", "</style>", "<scripts", "<!", "/", " ", "\n", "\t", "=", '"', "'", "`",
     "href", "HREF", "src", "Src", "id", "ID", "data-", "x", "#", "../", "http:", "//",
     "&amp;", "&", "\0", "\u00e9", "<a href=", "<img src=", ' id="']), max_size=40)


@settings(max_examples=1000, deadline=None)
@given(SOUP, st.binary(max_size=3))
def test_reads_any_bytes_as_the_previous_scanner_did(parts: list[str], tail: bytes) -> None:
    """Not a page any template writes: the scanner's answer on it is whatever the rules
    in parse's docstring give, and must not depend on how the scan is done."""
    data = "".join(parts).encode() + tail
    urls, ids = linkcheck_previous.parse(data)  # every URL; parse gives each once
    assert linkcheck.parse(data) == ("\0".join(dict.fromkeys(linkcheck.unpack(urls))), ids)


@pytest.mark.parametrize(("markup", "urls", "ids"), [
    # text whose "value" holds a tag: the tag's attribute is found
    ("<p>href='<a href=\"a.html\">'</p>", ("a.html",), set()),
    ("<p>id=\"<b id='b'>\"</p>", (), {"b"}),
    # after a comment, a script and a style, one after another
    ('<!-- <a href="x.html"> --><script>id="s"</script><style>#y{}</style><a href="c.html">',
     ("c.html",), set()),
    ('<SCRIPT src="j.js">var u = "<a href=\'k.html\'>"</SCRIPT><img src=d.png>',
     ("j.js", "d.png"), set()),
    ("<script>never closed <a href='e.html'>", (), set()),  # the rest of the page is script
    # href and src in document order, whatever the order of the scans
    ('<img src="1.png"><a href="2.html"><img SRC="3.png">', ("1.png", "2.html", "3.png"),
     set()),
    ('<a href="a&amp;b.html" id="x&#39;y">', ("a&b.html",), {"x'y"}),
    ('<a href=" spaced.html ">', ("spaced.html",), set()),
    ("<a href='' id=''><b id=z>", (), {"", "z"}),  # an empty value is a value
    ('<a href="\0.html">', ("\ufffd.html",), set()),
    # each URL once, where it first appears: the check needs no more
    ('<a href="a.html"><img src="b.png"><a href="a.html#x"><a href="a.html"><img src=b.png>',
     ("a.html", "b.png", "a.html#x"), set()),
])
def test_reads_edge_cases(markup: str, urls: tuple[str, ...], ids: set[str]) -> None:
    found = linkcheck.parse(markup.encode())
    assert (tuple(linkcheck.unpack(found[0])), set(linkcheck.unpack(found[1]))) == (urls, ids)
    if "\0" not in markup:  # the tokenizer keeps NUL; a browser (and parse) reads U+FFFD
        assert found == reference(markup.encode())


def test_reads_invalid_utf8_as_the_replacement_character() -> None:
    assert linkcheck.parse(b'<a href="\xff.html" id="\xe2\x82">') == ("\ufffd.html", "\ufffd")


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
    assert [p.message for p in linkcheck.broken_links(pages)] == [
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
    assert links.broken_links(site('<p id="x">', "<p>"), cache) == []
    assert sorted(set(checked)) == ["a.html"]
    checked.clear()
    assert links.broken_links(site('<p id="x">', "<p>changed"), cache) == []
    assert checked == []  # c changed, but nothing links to it
    problems = links.broken_links(site('<p id="y">', "<p>changed"), cache)
    assert [p.message for p in problems] == [
        "broken link 'b.html#x': no element with id 'x' in b.html"]
    checked.clear()
    # the failed site is not the one that last passed: a stays checked against it
    assert links.broken_links(site('<p id="y">', "<p>changed"), cache) != []
    assert links.broken_links(site('<p id="x">', "<p>"), cache) == []


def broken_links(pages: list[Page]) -> list[str]:
    """The problems broken_links reports, worked out the plain way: each distinct URL of
    each page, in order, resolved with posixpath.normpath."""
    files = {page.path: page for page in pages}
    html_pages = {page.path: linkcheck.parse(page.data) for page in pages
                  if page.path.endswith(".html")}
    problems = []
    for path in sorted(html_pages):
        for url in dict.fromkeys(linkcheck.unpack(html_pages[path][0])):
            part, _, fragment = url.partition("#")
            part = unquote(part.partition("?")[0])
            target = path
            if url.startswith("/"):
                reason = "root-relative links break when the site is served from a sub-path"
            elif part and (target := posixpath.normpath(posixpath.join(
                    posixpath.dirname(path), part))).split("/")[0] == "..":
                reason = "points outside the site"
            else:
                if part.endswith("/") or target == ".":
                    target = posixpath.join(target, "index.html").removeprefix("./")
                ids = linkcheck.unpack(html_pages[target][1]) if target in html_pages else None
                if target not in files:
                    reason = f"no file {target} in the site"
                elif fragment and ids is not None and unquote(fragment) not in ids:
                    reason = f"no element with id '{unquote(fragment)}' in {target}"
                else:
                    continue
            problems.append(f"broken link '{url}': {reason}")
    return problems


PATHS = ["index.html", "x.html", "a/index.html", "a/x.html", "b/index.html", "a/b/index.html",
         "a/b/x.html", "c.css", "a/c.css"]
URL_PARTS = st.lists(st.sampled_from(
    ["../", "../", "./", "a", "b/", "index.html", "x.html", "c.css", "#", "#t", "#u", "%2e",
     "%23", "?q", "/", "//", "a/", ".", "..", "%41", "#%74", "x.html#t", "b/index.html#u"]),
    min_size=1, max_size=4).map("".join)
# Small sites: pages at some of PATHS, each with links (URL, the id of the link's tag).
SITES = st.lists(st.tuples(st.sampled_from(PATHS), st.lists(st.tuples(
    URL_PARTS, st.sampled_from("tuv")), max_size=6)), max_size=len(PATHS),
    unique_by=lambda page: page[0])
Site = list[tuple[str, list[tuple[str, str]]]]


def _pages(site: Site) -> list[Page]:
    return [Page(path, "".join(f'<a href="{html.escape(url)}" id="{id_}"></a>'
                               for url, id_ in links).encode(), f"key-{path}")
            for path, links in site]


# Found by the targets test below: "..//" from a/b/ and "/" from a/ once shared a memo
# key, so the root-relative link passed and took the other's target.
_CLIMB_TO_A_SLASH: Site = [("a/index.html", [("/", "t")]), ("a/b/index.html", [("..//", "t")]),
                           ("index.html", [("/x", "t")]), ("a/x.html", [("..//x", "u")])]


@settings(max_examples=300, deadline=None)
@given(SITES)
@example(_CLIMB_TO_A_SLASH)
def test_finds_the_broken_links_a_plain_resolution_finds(
        site: Site) -> None:
    """Whatever the memos and fast paths: the same problems, in the same order."""
    pages = _pages(site)
    found = [p.message for p in links.broken_links(pages, BuildCache())]
    assert found == broken_links(pages)
    assert [p.message for p in linkcheck.broken_links(pages)] == found


@settings(max_examples=300, deadline=None)
@given(SITES)
@example(_CLIMB_TO_A_SLASH)
def test_a_page_alone_gives_the_targets_the_link_check_keeps(
        site: Site) -> None:
    """page_targets, worked out in a render worker from one page, is what broken_links
    keeps of that page after checking the whole site: a parallel build saves the cache
    while the check runs, and keep() then adds nothing to it."""
    pages = _pages(site)
    checked = BuildCache()
    links.broken_links(pages, checked)
    kept = BuildCache()
    for page in pages:
        if not page.path.endswith(".html"):
            continue  # only HTML pages have links (the workers render those)
        parsed = linkcheck.parse(page.data)
        links.keep(kept, page, parsed, links.page_targets(page.path, parsed))
    assert kept.parsed == checked.parsed


def test_a_link_up_to_the_root_resolves_as_a_browser_resolves_it() -> None:
    """"../" from a folder just below the root names the root's index.html ("no file  in
    the site", once), and "..//x" names x."""
    pages = [Page("index.html", b'<p id="top">'), Page("a/b.html", b""),
             Page("a/index.html", b'<a href="../"></a><a href="../#top"></a><a href="./">'
                                  b'</a><a href="..">\n<a href="..//index.html#top"></a>')]
    assert linkcheck.broken_links(pages) == []


def test_a_fragment_needs_an_id_even_on_a_page_without_any() -> None:
    """Only a file that is not HTML takes any fragment."""
    pages = [Page("a.html", b'<a href="b.html#x"></a><a href="c.css#x"></a>'),
             Page("b.html", b"<p>no ids here</p>"), Page("c.css", b"")]
    assert [p.message for p in linkcheck.broken_links(pages)] == [
        "broken link 'b.html#x': no element with id 'x' in b.html"]


def test_a_link_a_person_wrote_is_theirs_while_the_sites_own_links_are_checked() -> None:
    """A deck's link to another app on the same host or to a wiki beside the site is the
    person's choice (marked data-user-link); the same URLs written by a template fail."""
    person = (b'<a href="/grafana/d/123" data-user-link>g</a>'
              b'<a data-user-link="" href="../wiki/Search">w</a>'
              b'<a href="#nowhere" data-user-link>n</a>')
    site = b'<a href="/about.html">a</a><a href="../up.html">u</a><img src="gone.png">'
    pages = [Page("a.html", person + site)]
    assert [p.message for p in linkcheck.broken_links(pages)] == [
        "broken link '/about.html': root-relative links break when the site is served "
        "from a sub-path",
        "broken link '../up.html': points outside the site",
        "broken link 'gone.png': no file gone.png in the site"]


def pages_checked(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The HTML pages whose links each later check looks at, in order."""
    checked: list[list[str]] = []
    real = links._to_check

    def spy(*args: Any) -> list[str]:
        checked.append(real(*args))
        return checked[-1]

    monkeypatch.setattr(links, "_to_check", spy)
    return checked


# A small archive for the rebuild rule: an index linking to each deck (one by its folder,
# the others into an id), decks linking to the index, into one of its ids, and to the feed.
INDEX = '<p id="q1"><a href="d1/"></a><a href="d2/index.html#top"></a><a href="d3/index.html#top">'


def deck(body: str = '<p id="top">') -> str:
    return ('<a href="../index.html"></a><a href="../index.html#q1"></a>'
            '<a href="../feed.xml"></a>' + body)


class Archive:
    """The site as it stands, checked again and again with one cache, as rebuilds do.
    Each page's key changes with its bytes, as a real page's key changes with what it
    shows."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.bodies = {"index.html": INDEX, "d1/index.html": deck(), "d2/index.html": deck(),
                       "d3/index.html": deck(), "feed.xml": "<feed/>"}
        self.cache = BuildCache()
        self.checked = pages_checked(monkeypatch)
        assert self.check() == []
        assert self.checked[-1] == ["d1/index.html", "d2/index.html", "d3/index.html",
                                    "index.html"]

    @staticmethod
    def key(path: str, body: str) -> str:
        return f"{path}:{body}"

    def check(self, **changes: str | None) -> list[str]:
        """Problems of the site with ``changes`` (path -> body; None: removed), which stay."""
        for path, body in changes.items():
            if body is None:
                del self.bodies[path]
            else:
                self.bodies[path] = body
        pages = [Page(path, body.encode(), self.key(path, body))
                 for path, body in self.bodies.items()]
        return [p.message for p in links.broken_links(pages, self.cache)]


def test_a_rebuild_does_not_check_the_pages_linking_to_one_that_kept_its_ids(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Every deck links to the index: when it changes (one more deck listed) but keeps its
    ids, only the index is checked again, not every deck; the same for a deck."""
    site = Archive(monkeypatch)
    assert site.check() == [] and site.checked[-1] == []
    assert site.check(**{"index.html": INDEX + "<p>one more deck</p>"}) == []
    assert site.checked[-1] == ["index.html"]
    assert site.check(**{"index.html": INDEX + '<p id="q2">another, in a new quarter'}) == []
    assert site.checked[-1] == ["index.html"]  # an id more: every link still resolves
    assert site.check(**{"d2/index.html": deck('<p id="top">edited')}) == []
    assert site.checked[-1] == ["d2/index.html"]  # the index links into it: its id is there
    assert site.check(**{"feed.xml": "<feed>one more entry</feed>"}) == []
    assert site.checked[-1] == []  # any fragment is fine on a file that is not HTML


def test_a_rebuild_checks_the_pages_linking_to_a_page_that_lost_an_id(
        monkeypatch: pytest.MonkeyPatch) -> None:
    site = Archive(monkeypatch)
    assert site.check(**{"d2/index.html": deck('<p id="bottom">')}) == [
        "broken link 'd2/index.html#top': no element with id 'top' in d2/index.html"]
    assert site.checked[-1] == ["d2/index.html", "index.html"]
    # the failed site is not the one that last passed: the index stays checked against it
    assert site.check() == [
        "broken link 'd2/index.html#top': no element with id 'top' in d2/index.html"]
    assert site.check(**{"d2/index.html": deck('<p id="bottom"><p id="top">')}) == []
    assert site.checked[-1] == ["d2/index.html"]  # it has the ids it had when last passed
    # losing an id nobody links to is found out the same way: the pages linking there
    # are checked (and pass)
    assert site.check(**{"d2/index.html": deck()}) == []
    assert site.checked[-1] == ["d2/index.html", "index.html"]


def test_a_rebuild_checks_the_pages_linking_to_a_file_that_is_gone(
        monkeypatch: pytest.MonkeyPatch) -> None:
    site = Archive(monkeypatch)
    assert site.check(**{"d1/index.html": None}) == [
        "broken link 'd1/': no file d1/index.html in the site"]
    assert site.checked[-1] == ["index.html"]
    assert site.check(**{"d1/index.html": deck(), "feed.xml": None}) == [
        "broken link '../feed.xml': no file feed.xml in the site"] * 3
    assert site.checked[-1] == ["d1/index.html", "d2/index.html", "d3/index.html"]


def test_a_page_whose_old_ids_are_not_known_counts_as_changed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The ids a page had come from the cache's parse of its old key: without it, every
    page linking there is checked again."""
    site = Archive(monkeypatch)
    del site.cache.parsed[links._PARSED + site.key("d2/index.html", deck())]
    assert site.check(**{"d2/index.html": deck('<p id="top">edited')}) == []
    assert site.checked[-1] == ["d2/index.html", "index.html"]


def test_a_page_that_changed_is_checked_in_full(monkeypatch: pytest.MonkeyPatch) -> None:
    """However little changed around it: its links to unchanged pages and its own ids."""
    site = Archive(monkeypatch)
    assert site.check(**{"d3/index.html": deck('<a href="#top"></a><a href="../d1/#nope">'
                                                '</a><a href="../index.html#q9">')}) == [
        "broken link '#top': no element with id 'top' in d3/index.html",
        "broken link '../d1/#nope': no element with id 'nope' in d1/index.html",
        "broken link '../index.html#q9': no element with id 'q9' in index.html",
        "broken link 'd3/index.html#top': no element with id 'top' in d3/index.html"]
    assert site.checked[-1] == ["d3/index.html", "index.html"]


def test_a_page_back_as_it_was_before_is_checked_in_full(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """An edit undone: the page is as in a site that passed before the last one, but what
    it links to may have changed since then."""
    site = Archive(monkeypatch)
    linking = deck('<p id="top"><a href="../d1/index.html#top">')
    assert site.check(**{"d3/index.html": linking}) == []
    assert site.check(**{"d3/index.html": deck(), "d1/index.html": deck('<p id="up">')}) == []
    assert site.check(**{"d3/index.html": linking}) == [
        "broken link '../d1/index.html#top': no element with id 'top' in d1/index.html"]
    assert site.checked[-1] == ["d3/index.html"]


def linking_to(site: Path, target: str) -> set[str]:
    """The pages of a built site with a link to the page ``target``."""
    pages = set()
    for file in site.rglob("*.html"):
        page = file.relative_to(site).as_posix()
        for url in linkcheck.unpack(linkcheck.parse(file.read_bytes())[0]):
            path = url.partition("#")[0].partition("?")[0]
            if path and not path.startswith("/"):
                resolved = posixpath.normpath(posixpath.join(posixpath.dirname(page), path))
                if resolved == target or f"{resolved}/index.html" == target:
                    pages.add(page)
    return pages


def test_a_rebuild_checks_the_pages_that_changed_and_those_linking_to_one_that_lost_an_id(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """With a real build's keys: the index shows each deck's title, and every deck page
    links to the index; a deck page's ids are its demos'."""
    project = Project(copy_examples(tmp_path / "p"))
    checked = pages_checked(monkeypatch)
    assert project.run("build", capsys=capsys).code == 0

    def rebuild(old: str, new: str) -> tuple[set[str], set[str]]:
        """Edit the newest deck and build: the pages checked, the pages whose key changed."""
        cache = BuildCache.for_project(project.root)
        before = (cache.read_manifest() or {})["keys"]
        deck = project.root / "decks/2026-11-23.yaml"
        assert old in deck.read_text()
        deck.write_text(deck.read_text().replace(old, new, 1))
        assert project.run("build", capsys=capsys).code == 0
        after = (cache.read_manifest() or {})["keys"]
        return set(checked[-1]), {path for path, key in after.items()
                                  if path.endswith(".html") and before[path] != key}

    now, changed = rebuild("Demo · Week 48", "Demo · Week 48, with cake")
    assert "index.html" in changed and "2026-11-09/index.html" not in changed
    assert now == changed  # not the other decks: the index kept its ids
    now, changed = rebuild("title: The zero-results dashboard",
                           "title: The empty-results dashboard")
    assert "people/ben-carter/index.html" not in changed  # links to another demo of the deck
    assert now == changed | linking_to(project.root / "site", "2026-11-23/index.html")
    assert "people/ben-carter/index.html" in now


def test_a_persons_link_into_another_deck_stays_theirs_when_its_target_goes(
        project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    """A link a person wrote (issue 21: theirs to choose) is not the site's to check, even
    one into another deck of the site: the older deck's page is kept as it is, and the
    build neither fails nor blames a page inside site/ when the newer deck loses the id,
    or goes."""
    project.write("decks/2026-11-02.yaml", MINIMAL_DECK.replace(
        "See [the RFC](https://example.com/rfc/42).",
        "Later: [search, three weeks on](../2026-11-23/index.html#search-v2)."))
    assert project.run("build", capsys=capsys).code == 0
    older = (project.root / "site/2026-11-02/index.html").stat()
    newer = project.root / "decks/2026-11-23.yaml"
    newer.write_text(newer.read_text().replace("12% of searches", "11% of searches"))
    assert project.run("build", capsys=capsys).code == 0
    assert (project.root / "site/2026-11-02/index.html").stat().st_ino == older.st_ino  # kept
    newer.write_text(newer.read_text().replace("title: Search v2", "title: Search, again"))
    result = project.run("build", capsys=capsys)
    assert result.code == 0 and "site/" not in result.err
    newer.unlink()
    result = project.run("build", capsys=capsys)
    assert result.code == 0 and "site/" not in result.err
