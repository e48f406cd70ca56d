"""Every internal link and asset in the output must resolve before anything is written.

Runs on the pages in memory: for each HTML page, every relative ``href``/``src``
of its tags (not text that looks like a tag, nor comments, scripts or styles)
must name a page or file of the site, and a ``#fragment`` on it must name an
``id`` in that page. External links (with a scheme) are not fetched, and a link a
person wrote (an ``<a>`` marked ``data-user-link``: a deck's ``links`` and the links
in its Markdown) is theirs to point anywhere, so only the links the site makes itself
are checked (``demodeck check`` warns about a person's link that looks like a slip,
see :mod:`demodeck.userlinks`). Plain: every page parsed and checked; what a rebuild
may skip is decided behind the build's seam (see :mod:`demodeck.build`).
"""

from __future__ import annotations

import html
import posixpath
import re
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import unquote

from demodeck.errors import BuildError, Problem
from demodeck.pages import Output

# A page's local URLs (each once, in the order they first appear) and its ids, each list
# joined by NUL (which no attribute value holds: HTML parsers read it as U+FFFD, and so
# does parse). Packed, because a rebuild unpickles these for every page of the site: ~570
# pairs of strings instead of ~100,000 small ones. Each URL once: a page repeats most of
# its links (the index links to each person's page hundreds of times; 98,000 links, 37,000
# distinct ones per page in a 520-deck site), and the check needs each once.
Parsed = tuple[str, str]

# Only attributes of real tags count: not text that looks like one (a code span showing
# `<a href='x'>` is escaped to "&lt;a href='x'&gt;"), nor comments, scripts or styles.
# Scanning every page of the site character by character for "whitespace, then a name" is the
# slow way (so is one pattern for the three names: the regex engine then tries every
# position instead of searching for a fixed string); each pattern below starts with its
# attribute's name, which the regex engine finds with a fast substring search, and each
# hit is then checked to sit inside a tag.
_ATTRS = {name: re.compile(name + rb"""[ \t\n\r\f]*=[ \t\n\r\f]*"""
                           rb"""(?:"([^"]*)"|'([^']*)'|([^ \t\n\r\f"'<>=`]+))""")
          for name in (b"href", b"src", b"id")}
# The mark on a link a person wrote (see the module's docstring), as an attribute name.
USER_LINK = "data-user-link"
_USER_LINK = re.compile(USER_LINK.encode() + rb"(?=[ \t\n\r\f/>=])")
_SEP = rb"[ \t\n\r\f/]"
# A start tag from its "<" up to where an attribute name may begin: the tag name, then
# whole attributes (a quoted value may be followed directly by the next name, as
# browsers accept), then separators.
_TAG_SO_FAR = re.compile(
    rb"<[a-z][^ \t\n\r\f/>]*"
    rb"(?:(?:" + _SEP + rb"+|(?<=[\"']))[^ \t\n\r\f/>\"'=]+"
    rb"""(?:[ \t\n\r\f]*=[ \t\n\r\f]*(?:"[^"]*"|'[^']*'|[^ \t\n\r\f>"'`=<]+))?)*"""
    + _SEP + rb"*(?<=[ \t\n\r\f/\"'])").fullmatch
_RAW_TEXT_END = {b"<!--": b"-->", b"<script": b"</script", b"<style": b"</style"}
_TAG_NAME_ENDS = frozenset((b">", b" ", b"\t", b"\n", b"\r", b"\f", b"/"))
_RAW_TEXT_START = re.compile(rb"<!--|<script|<style").search
_EXTERNAL = re.compile(r"[a-zA-Z][a-zA-Z0-9+.\-]*:|//").match


def parse(data: bytes) -> Parsed:
    """The local URLs a page links to and the ids it defines: the ``href``, ``src`` and
    ``id`` attributes of its tags (names in any case), as a browser reads them; each URL
    once, in the order of its first appearance in the document; not the ``href`` of a tag
    marked as a person's link (USER_LINK). One assumption: no raw
    "<" inside an attribute value, which autoescaped templates and the Markdown renderer
    never write ("&lt;"); an attribute after one is not seen (tests/test_linkcheck.py
    checks all else against Python's HTML tokenizer)."""
    lowered = data.lower()  # attribute names are case-insensitive; bytes keep their offsets
    spans = _raw_text_spans(lowered)
    tags: dict[bytes, bool] = {}
    hrefs = _values(_ATTRS[b"href"], data, lowered, spans, tags)
    srcs = _values(_ATTRS[b"src"], data, lowered, spans, tags)
    ids = _values(_ATTRS[b"id"], data, lowered, spans, tags)
    if hrefs and USER_LINK.encode() in lowered:  # most pages hold no link a person wrote
        hrefs = _unmarked(hrefs, _values(_USER_LINK, data, lowered, spans, tags), lowered)
    found = sorted(hrefs + srcs) if hrefs and srcs else hrefs or srcs  # document order
    # A URL with no ":" and no leading "/" has no scheme and does not start with "//": it
    # needs no regex to tell (most links; inline, as this runs for each of them).
    urls = [url for url in map(str.strip, _texts([raw for _, raw in found])) if url and (
        (":" not in url and url[0] != "/") or _EXTERNAL(url) is None)]
    return pack(dict.fromkeys(urls)), pack(sorted(set(_texts([raw for _, raw in ids]))))


def _values(pattern: re.Pattern[bytes], data: bytes, lowered: bytes,
            spans: list[tuple[int, int]], tags: dict[bytes, bool]) -> list[tuple[int, bytes]]:
    """Where each attribute that ``pattern`` finds starts, and its raw value, for the
    attributes of tags only. ``tags``: whether a page's text from a "<" up to a hit is
    the beginning of a start tag (see _TAG_SO_FAR), by that text: a page repeats a few
    such beginnings ("<a ") thousands of times. One loop, its steps inline: it runs for
    every link of the site (a finditer, cheaper per hit than a search call; it starts
    again after a hit in a comment, script or style, and after a hit not in a tag)."""
    found: list[tuple[int, bytes]] = []
    append, rfind, pos, end = found.append, lowered.rfind, 0, len(lowered)
    ahead = iter(spans)  # the comments, scripts and styles not yet passed
    span_start, span_end = next(ahead, (end, end))
    while True:
        for match in pattern.finditer(lowered, pos):
            start = match.start()
            if start >= span_start:
                while start >= span_end:  # past it: the next one
                    span_start, span_end = next(ahead, (end, end))
                if start >= span_start:  # no attributes in there: look on after it
                    pos = span_end
                    break
            # Most links come right after "<a ": in a tag, no need to look back for its
            # "<" (near the page's start the slice is shorter than 3 bytes: no match).
            if lowered[start - 3:start] != b"<a ":
                opening = rfind(b"<", 0, start)
                before = lowered[opening:start]
                in_tag = tags.get(before)
                if in_tag is None:
                    in_tag = tags[before] = opening >= 0 and _TAG_SO_FAR(before) is not None
                if not in_tag:  # text such as "id='": its "value" may hide a tag, look inside
                    pos = start + 1
                    break
            value_start, value_end = match.span(match.lastindex or 0)  # the group that matched
            append((start, data[value_start:value_end]))
        else:
            return found


def _unmarked(hrefs: list[tuple[int, bytes]], marks: list[tuple[int, bytes]],
              lowered: bytes) -> list[tuple[int, bytes]]:
    """``hrefs`` but those of the tags that carry a mark (``marks``: where each is): a tag
    is known by its "<", the one before both its attributes (see parse's assumption)."""
    marked = {lowered.rfind(b"<", 0, at) for at, _ in marks}
    return [(at, raw) for at, raw in hrefs if lowered.rfind(b"<", 0, at) not in marked]


def _texts(raws: list[bytes]) -> list[str]:
    """Attribute values as a browser reads them: UTF-8, NUL read as U+FFFD, entities
    decoded. Most values have neither NUL nor "&": they are only decoded."""
    try:  # the plain call, through map, is cheaper than one with arguments for each value
        texts = list(map(bytes.decode, raws))
    except UnicodeDecodeError:
        texts = [raw.decode("utf-8", "replace") for raw in raws]
    joined = b"".join(raws)
    if b"\0" in joined:
        texts = [text.replace("\0", "\ufffd") for text in texts]
    if b"&" in joined:
        texts = [html.unescape(text) if "&" in text else text for text in texts]
    return texts


def pack(values: Iterable[str]) -> str:
    return "\0".join(values)


def unpack(packed: str) -> list[str]:
    return packed.split("\0") if packed else []


def _raw_text_spans(lowered: bytes) -> list[tuple[int, int]]:
    """Comments and the bodies of scripts and styles, in order: no attributes in there
    (the attributes of a ``<script>`` or ``<style>`` tag itself do count)."""
    spans: list[tuple[int, int]] = []
    pos = 0
    while True:
        found = _RAW_TEXT_START(lowered, pos)
        if found is None:
            return spans
        at, after, opener = found.start(), found.end(), found.group()
        if opener == b"<!--":
            start = at
        elif lowered[after:after + 1] in _TAG_NAME_ENDS:
            start = lowered.find(b">", after)  # the body starts after the tag
            start = len(lowered) if start < 0 else start
        else:  # "<scripts", "<styled": some other tag
            pos = after
            continue
        end = lowered.find(_RAW_TEXT_END[opener], max(start, after))
        end = len(lowered) if end < 0 else end + len(_RAW_TEXT_END[opener])
        spans.append((start, end))
        pos = end


Broken = tuple[str, str, str]  # a page's path, a broken link on it, and why it is broken
Place = Callable[[list[Broken]], list[Problem]]  # where to report them (see linksource)


def in_site(broken: list[Broken]) -> list[Problem]:
    """Each broken link at its page in the site, for lack of anything better to name."""
    return [Problem(f"site/{page}", 0, 0, f"broken link '{url}': {why}")
            for page, url, why in broken]


def broken_links(pages: Iterable[Output], *, known: Mapping[str, Parsed] | None = None,
                 place: Place = in_site) -> list[Problem]:
    """Broken local links and fragments of ``pages``, as ``place`` reports them. ``known``:
    pages already parsed (where they were rendered), by path."""
    files = {p.path: p for p in pages}
    parsed = {path: (known or {}).get(path) or parse(page.data)
              for path, page in files.items() if path.endswith(".html")}
    links = Links(files, parsed)
    found = [broken for path in sorted(parsed) for broken in page_problems(links, path)[1]]
    return place(found) if found else []


def page_problems(links: Links, path: str) -> tuple[set[str], list[Broken]]:
    """The files the links of the page ``path`` point at, and its broken links."""
    urls = unpack(links.parsed[path][0])  # each once (see parse)
    targets, broken = links.of_page(path, urls)
    return targets, [(path, url, broken[url]) for url in urls if url in broken]


def verify(pages: Iterable[Output], *, known: Mapping[str, Parsed] | None = None,
           place: Place = in_site) -> None:
    """Stage 4: raises BuildError on a broken local link or fragment (see broken_links)."""
    broken = broken_links(pages, known=known, place=place)
    if broken:
        raise BuildError(broken)


class _Ids:
    """The ids of each HTML page, unpacked when a link first points at one of them."""

    def __init__(self, parsed: dict[str, Parsed]) -> None:
        self.parsed = parsed
        self.sets: dict[str, frozenset[str]] = {}

    def __call__(self, path: str) -> frozenset[str] | None:
        """None: not an HTML page (any fragment is fine)."""
        found = self.sets.get(path)
        if found is None and path in self.parsed:
            found = self.sets[path] = frozenset(unpack(self.parsed[path][1]))
        return found


class Links:
    """What the links of the site's pages point at, each worked out once: hundreds of
    pages link to the same files by the same URLs."""

    def __init__(self, files: dict[str, Output], parsed: dict[str, Parsed]) -> None:
        self.files = files
        self.parsed = parsed
        self.ids = _Ids(parsed)
        self.seen: dict[tuple[str, str], tuple[str | None, str | None]] = {}  # see _anchored
        self.resolved: dict[tuple[str, str], str | None] = {}  # (folder, path) -> _resolve

    def of_page(self, page: str, urls: Iterable[str]) -> tuple[set[str], dict[str, str]]:
        """The files ``urls`` (the distinct links of ``page``) point at, and why each
        broken one is broken. One loop, its steps inline: it runs for every link."""
        folder = posixpath.dirname(page)
        # Most URLs climb to the site's root first (assets, the index, people pages): such
        # a URL is keyed by the root and the rest of it, as _anchored keys it but without
        # its loop and call (5 in 6 distinct links of a page, in a 520-deck site).
        up = "../" * page.count("/")
        bases: list[str] | None = None
        own: frozenset[str] | None = None  # the page's ids
        targets: set[str] = set()
        broken: dict[str, str] = {}
        for url in urls:
            if url[0] == "#" and "%" not in url:  # most links: to an id of the same page
                if own is None:
                    own = self.ids(page) or frozenset()
                if url != "#" and url[1:] not in own:
                    broken[url] = f"no element with id '{url[1:]}' in {page}"
                continue
            if (url.startswith(up) and url[0] not in "#?"  # (on a page at the root, up is "")
                    and not url.startswith("/", len(up))):  # see _anchored
                key = ("", url[len(up):])
            else:
                key = _anchored(url, page, bases or (bases := _bases(folder)))
            found = self.seen.get(key)
            if found is None:
                found = self.seen[key] = _check(folder, page, url, self)
            target, reason = found
            if target is not None:
                targets.add(target)
            if reason is not None:
                broken[url] = reason
        return targets, broken


def _bases(folder: str) -> list[str]:
    """``folder`` and each folder above it, up to the site root: ``bases[n]`` is where a
    URL starting with n times "../" starts from."""
    parts = folder.split("/") if folder else []
    return ["/".join(parts[:len(parts) - n]) for n in range(len(parts) + 1)]


def _anchored(url: str, page: str, bases: list[str]) -> tuple[str, str]:
    """A key that decides what ``url`` on ``page`` points at: the folder it starts from
    (with its leading "../" applied) and the rest. Hundreds of pages link to the same
    file by the same relative URL; each such link is then checked once."""
    if url[0] in "#?":
        return page, url  # the page itself
    ups = 0
    while url.startswith("../", 3 * ups):
        ups += 1
    rest = url[3 * ups:]
    if ups and rest.startswith("/"):  # "..//x" names a file, "/x" (the same rest) none
        return page, url
    return (bases[ups] if ups < len(bases) else "\0outside"), rest


def resolve(folder: str, path: str) -> str | None:
    """``path`` relative to ``folder``, as a site path; None if it leaves the site."""
    rest, ups = path, 0
    while rest.startswith("../"):
        rest, ups = rest[3:], ups + 1
    parts = folder.split("/") if folder else []
    if ups > len(parts):
        return None
    joined = "/".join([*parts[:len(parts) - ups], rest])
    # Rare: do it fully. So for "../" (joined is "" at the root: its index.html) and
    # "..//a" (joined is "/a" at the root: "a").
    if rest[:1] in ("", "/") or "./" in joined or joined.endswith((".", "/")) or "//" in joined:
        joined = posixpath.normpath(posixpath.join(folder, path))
        if joined == ".." or joined.startswith("../"):
            return None
        if path.endswith("/") or joined == ".":
            joined = posixpath.join(joined, "index.html").removeprefix("./")
    return joined


def _check(folder: str, page: str, url: str,
           links: Links) -> tuple[str | None, str | None]:
    """The page ``url`` points at (None if none) and why the link is broken (None if not)."""
    if url.startswith("/"):
        return None, "root-relative links break when the site is served from a sub-path"
    path, _, fragment = url.partition("#")
    path = path.partition("?")[0]
    if not path:
        target: str | None = page
    elif (folder, path) in links.resolved:  # the same file, with another fragment
        target = links.resolved[folder, path]
    else:
        target = links.resolved[folder, path] = resolve(folder, unquote(path))  # once
    if target is None:
        return None, "points outside the site"
    return target, _missing(target, unquote(fragment), links.files, links.ids)


def _missing(target: str, fragment: str, files: dict[str, Output], ids: _Ids) -> str | None:
    """Why a link to ``target`` with ``fragment`` is broken, if it is. A fragment must name
    an id of an HTML page (a page with no ids has none to name); a file that is not HTML
    takes any."""
    if target not in files:
        return f"no file {target} in the site"
    if fragment and (found := ids(target)) is not None and fragment not in found:
        return f"no element with id '{fragment}' in {target}"
    return None
