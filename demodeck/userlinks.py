"""Warnings for ``demodeck check``: a link a person wrote that looks like a slip.

A person's link (a demo's ``links[].url``, a link in a Markdown field) may point anywhere,
another app on the same host (``/grafana/d/123``) or a wiki beside the site
(``../wiki/Search``): the build's link check leaves it to them (see demodeck/linkcheck.py).
Three shapes are most likely a mistake, and each gets a warning at the deck's line:
a web address without its scheme (``www.example.com/dash``, which a browser reads as a
file of the site), a relative link to a ``.md`` file (the site publishes none), and a
``#fragment`` that names no slide of the deck. A link in a Markdown field is placed at
the first line from the field's start that holds it as written, else at the field.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import unquote

from demodeck import schema
from demodeck.errors import Problem
from demodeck.load import Raw, RawMap, RawScalar, RawSeq

_SCHEME = re.compile(r"[a-zA-Z][a-zA-Z0-9+.\-]*:|//")
# A first path segment that reads as a host name: "www." anything, or dotted labels whose
# last is a common top-level domain (not a file's extension: "notes.md", "shot.png").
_HOST = re.compile(r"www\.[^/?#]+|[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|org|net|io|dev|app|co|"
                   r"edu|gov|info|biz|cloud|tech|xyz|eu|uk|de|fr|nl|ch|se|dk|fi|no|es|"
                   r"il|jp|ca|au|us|internal|corp|local|lan|intra)(?::\d+)?",
                   re.IGNORECASE)
# Where a file may hold a link worth a closer look: a Markdown link or reference whose
# target has no scheme, or a url: value without one, quoted or not (a prefilter: the
# walk decides). Each lookahead takes the spaces and the quote or "<" itself: were they
# optional outside it, "url: \"https:" would match with the quote left out. Two patterns,
# not one with "|", each starting with a character that has no case ("url:" is found from
# its ":"): the regex engine then skips to those characters instead of trying every one.
_CANDIDATES = (re.compile(rb"\](?:\((?!\s*<?(?:https?:|mailto:))|:)", re.IGNORECASE),
               re.compile(rb":(?<=url:)(?!\s*[\"']?(?:https?:|mailto:))", re.IGNORECASE))


def worth_a_look(data: bytes) -> bool:
    """Whether a deck file (or one text of it) may hold a link without a scheme: those
    that do not are not walked, nor their Markdown parsed."""
    return any(candidate.search(data) is not None for candidate in _CANDIDATES)


def slip(url: str, slides: tuple[str, ...]) -> str | None:
    """Why ``url``, a link a person wrote on a deck with ``slides`` (their ids), looks like
    a mistake, with a hint; None when it does not."""
    if not url or _SCHEME.match(url):
        return None  # an address with a scheme, or one that names a host
    path, _, fragment = url.partition("#")
    path = path.partition("?")[0]
    if not path:
        name = unquote(fragment)
        if name and name not in slides:
            return (f"'{url}' names no slide of this deck; its slides are "
                    + ", ".join(f"#{s}" for s in slides))
        return None
    if _HOST.fullmatch(path.split("/", 1)[0]) and not path.startswith((".", "/")):
        return (f"'{url}' has no scheme, so it is read as a file of the site; "
                f"did you mean https://{url}?")
    if path.lower().endswith((".md", ".markdown")):
        return (f"'{url}' links to a Markdown file, which the site does not publish; "
                "link to where it is published (its https:// address)")
    return None


def file_warnings(path: str, data: bytes, tree: Raw, record: schema.Record,
                  slides: tuple[str, ...]) -> list[Problem]:
    """A warning for every person's link in one deck file (``path``, its bytes and its
    tree, checked against ``record`` already) that looks like a slip (see slip), on a
    deck whose slides have the ids ``slides``."""
    if not worth_a_look(data):  # most files: every link has its scheme
        return []
    found: list[Problem] = []
    lines = data.decode("utf-8", "replace").splitlines()
    for spec, raw, field in _values(record, tree, ""):
        if isinstance(spec, schema.Url):
            if (why := slip(raw.value.strip(), slides)) is not None:
                found.append(Problem(path, raw.mark.line, raw.mark.column, why, field,
                                     severity="warning"))
            continue
        for url in _markdown_links(raw.value, inline=spec.inline):
            if (why := slip(url, slides)) is not None:
                line, column = _place(lines, raw, url)
                found.append(Problem(path, line, column, why, field, severity="warning"))
    return found


def _values(spec: schema.Spec, raw: Raw,
            path: str) -> Iterator[tuple[schema.Url | schema.Text, RawScalar, str]]:
    """Every URL and Markdown value in ``raw`` (checked against ``spec`` already), with
    its field path."""
    if isinstance(spec, schema.Record) and isinstance(raw, RawMap):
        for f in spec.fields:
            entry = raw.entries.get(f.name)
            if entry is not None:
                yield from _values(f.spec, entry[1], f"{path}.{f.name}" if path else f.name)
    elif isinstance(spec, schema.ListOf) and isinstance(raw, RawSeq):
        for i, item in enumerate(raw.items):
            yield from _values(spec.item, item, f"{path}[{i}]")
    elif isinstance(spec, schema.MapOf) and isinstance(raw, RawMap):
        for key, (_, value) in raw.entries.items():
            yield from _values(spec.value, value, f"{path}.{key}")
    elif (isinstance(spec, schema.Url) or (isinstance(spec, schema.Text)
                                           and (spec.markdown or spec.inline))) and (
            isinstance(raw, RawScalar) and isinstance(raw.value, str)):
        yield spec, raw, path


def _markdown_links(text: str, *, inline: bool) -> list[str]:
    """The targets of the links markdown-it makes of ``text``, as written; only those
    that may be slips: a text whose every link has a scheme is not parsed at all."""
    if not worth_a_look(text.encode()):
        return []
    from demodeck.markdown import parser

    md = parser()
    tokens = md.parseInline(text) if inline else md.parse(text)
    return [md.normalizeLinkText(str(child.attrGet("href") or ""))
            for token in tokens for child in token.children or ()
            if child.type == "link_open"]


def _place(lines: list[str], raw: RawScalar, url: str) -> tuple[int, int]:
    """The first line from the field's start that holds ``url``, and its column there;
    else the field's own place."""
    for number in range(raw.mark.line - 1, len(lines)):
        at = lines[number].find(url)
        if at >= 0:
            return number + 1, at + 1
    return raw.mark.line, raw.mark.column
