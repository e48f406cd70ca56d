"""The link check's scanner as it was before it became one loop per attribute name
(git 5acb908, demodeck/linkcheck.py, verbatim but for the imports): for each hit of
a name, a search back to the "<" before it and a match of the text in between. Kept
as an oracle: the faster ``linkcheck.parse`` must read every page, hostile ones
included, exactly as this did (tests/test_linkcheck.py)."""

from __future__ import annotations

import bisect
import html
import re
from collections.abc import Iterable

Parsed = tuple[str, str]

# Only attributes of real tags count: not text that looks like one (a code span showing
# `<a href='x'>` is escaped to "&lt;a href='x'&gt;"), nor comments, scripts or styles.
# Scanning ~45 MB of pages character by character for "whitespace, then a name" is the
# slow way; each pattern below starts with its attribute's name, which the regex engine
# finds with a fast substring search, and each hit is then checked to sit inside a tag.
_ATTRS = {name: re.compile(name + rb"""[ \t\n\r\f]*=[ \t\n\r\f]*"""
                           rb"""(?:"([^"]*)"|'([^']*)'|([^ \t\n\r\f"'<>=`]+))""")
          for name in (b"href", b"src", b"id")}
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
    ``id`` attributes of its tags (names in any case), in document order, as a browser
    reads them. One assumption: no raw "<" inside an attribute value, which autoescaped
    templates and the Markdown renderer never write ("&lt;"); an attribute after one is
    not seen (tests/test_linkcheck.py checks all else against Python's HTML tokenizer)."""
    lowered = data.lower()  # attribute names are case-insensitive; bytes keep their offsets
    outside = _OutsideTags(lowered)
    urls: list[tuple[int, str]] = []
    ids: set[str] = set()
    for name, pattern in _ATTRS.items():
        search, pos = pattern.search, 0
        while (match := search(lowered, pos)) is not None:
            if outside(match.start()):  # text such as "id='": its "value" may hide a tag
                pos = match.start() + 1
                continue
            pos = match.end()
            group = 1 if match.group(1) is not None else 2 if match.group(2) is not None else 3
            value = _text(data[match.start(group):match.end(group)])
            if name == b"id":
                ids.add(value)
            elif (url := value.strip()) and _EXTERNAL(url) is None:
                urls.append((match.start(), url))
    urls.sort()
    return _pack(url for _, url in urls), _pack(sorted(ids))


def _pack(values: Iterable[str]) -> str:
    return "\0".join(values)


def unpack(packed: str) -> list[str]:
    return packed.split("\0") if packed else []


class _OutsideTags:
    """Whether an attribute name found at some offset of a page is *not* one of a start
    tag's attributes: it is in text, or inside a comment, script or style."""

    def __init__(self, lowered: bytes) -> None:
        self.lowered = lowered
        self.skipped = _raw_text_spans(lowered)

    def __call__(self, pos: int) -> bool:
        opening = self.lowered.rfind(b"<", 0, pos)
        if opening < 0 or _TAG_SO_FAR(self.lowered, opening, pos) is None:
            return True
        if not self.skipped:
            return False
        i = bisect.bisect_right(self.skipped, (pos, len(self.lowered))) - 1
        return i >= 0 and self.skipped[i][0] <= pos < self.skipped[i][1]


def _text(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace")
    if "\0" in text:
        text = text.replace("\0", "\ufffd")
    return html.unescape(text) if "&" in text else text


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
