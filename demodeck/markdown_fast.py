"""The Markdown fast path: a small grammar written straight to HTML, else None.

markdown-it has a fixed cost for every field however simple the field is (state objects,
every core, block and inline rule, the generic renderer), and a deck field is nearly always
simple: paragraphs and a tight "- " list of text with **bold**, *em*, `code` and
[links](https://…), sometimes a fenced code block. For text that fits that small
grammar the HTML is written here; anything else gets None, and the caller asks
markdown-it. Every condition below is conservative, and property tests in
tests/test_markdown_fastpath.py hold both to the same HTML on generated and hostile text.
Quotes: an apostrophe inside a word ("didn't", "team's"), which markdown-it's
smartquotes turns into ’ whatever else the paragraph holds (it can neither open nor
close a quotation), and double quotes that plainly open and close in turn, "like
this" (see _fast_quotes).

Nothing here imports markdown-it or the rest of demodeck: :mod:`demodeck.markdown`
installs it in front of its plain renderers (the one place it is used for HTML), and
:mod:`demodeck.overflow` reads :func:`fast_blocks` to measure a field's text. What it
earns is in benchmarks/README.md.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

# Characters a text run may hold: none that starts Markdown syntax here (``\`*_[]<>&~``),
# that HTML escaping changes (``&<>"``), that smartquotes change (``"``; ``'`` is
# checked by _STRAY_QUOTE), nor control characters (markdown-it rewrites NUL and CR; the
# rest are whitespace to the emphasis rules). "\n" is allowed (a soft break renders as
# itself) but checked separately.
_TEXT = r"[^\x00-\x09\x0b-\x1f\x7f-\x9f\\`*_\[\]<>&~\"]"
# A text run may also hold double quotes, checked by _fast_quotes (not inside emphasis or
# a link's label, where they would pair at another nesting level).
_RUN = r"[^\x00-\x09\x0b-\x1f\x7f-\x9f\\`*_\[\]<>&~]"
# An apostrophe between two ASCII letters or digits, the only quote the fast path takes.
# (Both alternatives start with the quote, so the regex engine jumps from quote to quote.)
_STRAY_QUOTE = re.compile(r"'(?<![A-Za-z0-9]')|'(?![A-Za-z0-9])")
_INLINE_PIECE = re.compile(
    rf"(?P<text>{_RUN}+)"
    r"|`(?P<code>[^`\x00-\x1f\x7f]+)`"
    rf"|(?P<em>\*\*?)(?P<inner>{_TEXT}+?)(?P=em)"
    rf"|\[(?P<label>{_TEXT}+)\]\((?P<url>[A-Za-z0-9\-._~:/?#@!$*+,;=%]+)\)")
# The typographer's replacements (markdown-it's RARE_RE and SCOPED_ABBR_RE): a text
# run holding one of these goes to markdown-it.
_TYPOGRAPHY = re.compile(r"\+-|\.\.|\?\?\?\?|!!!!|,,|--|\((?:c|tm|r)\)", re.IGNORECASE)
# Emphasis: an opener needs whitespace (or the start) before it; a closer needs the end,
# whitespace or this punctuation after it, so both are unambiguous delimiter runs.
_AFTER_CLOSER = frozenset(" \n.,;:!?)")


def _is_edge_char(ch: str) -> bool:
    """Not whitespace for any of markdown-it's whitespace tests (trim, flanking, strip)."""
    return ("\x20" < ch < "\x7f") or (ch > "\x9f" and ch.isalnum())


# A deck's fields are each read twice in a build: measured for the plan of the deck's
# slides (measure.py), then rendered on its page. fast_inline and fast_blocks keep what
# they found for the fields seen last, so the page takes the plan's work as it is; both
# are pure functions of the text, and their results are immutable (str, tuples).
_SEEN = 4096


@functools.lru_cache(maxsize=_SEEN)
def fast_inline(text: str) -> str | None:
    """HTML for inline text in the fast grammar, else None (measure.py measures what it
    shows: see shown_text). The caller curls quotes only while markdown-it would."""
    return _inline(text)


def _inline(text: str) -> str | None:
    """fast_inline, for each paragraph and list item of a block (not kept one by one)."""
    if "\n" in text and (" \n" in text or "\n " in text):  # spaces around a soft break
        return None  # are dropped (most texts are one line: one quick look for "\n")
    if "'" in text and _STRAY_QUOTE.search(text):
        return None  # a quote that may open or close a quotation: markdown-it pairs them
    # the typographer's replacements, looked for piece by piece only if the text has any
    # (each piece is part of the text)
    typography = _TYPOGRAPHY.search(text) is not None
    out: list[str] = []
    pos, end = 0, len(text)
    quoted = False  # a double quote opened and not closed yet
    while pos < end:
        m = _match_piece(text, pos)
        if m is None:
            return None
        stop = m.end()
        kind = m.lastgroup  # the last group each alternative closes
        if kind == "text":  # most pieces, and the whole of half the texts: kept inline
            run: str = m[1]  # group "text"
            if '"' in run:
                curled, quoted = _fast_quotes(run, pos == 0, stop == end, quoted)
                if curled is None:
                    return None
                run = curled
            if typography and _TYPOGRAPHY.search(run):
                return None
            out.append(run.replace("'", "\u2019") if "'" in run else run)  # _curl, inline
            pos = stop
            continue
        if kind == "code":
            piece = _fast_code(m.group("code"), text, stop)
        elif kind == "inner":
            piece = _fast_emphasis(m.group("em"), m.group("inner"), text, pos, stop,
                                   typography)
        else:
            piece = _fast_link(m.group("label"), m.group("url"), typography)
        if piece is None:
            return None
        out.append(piece)
        pos = stop
    return None if quoted else "".join(out)  # markdown-it leaves an unclosed one straight


_match_piece = _INLINE_PIECE.match


# Markup in the fast paths' inline HTML: tags (no attribute holds a ">", escape_html
# sees to that) and the entities escape_html writes (only code and URLs have any; a text
# run holds no "&").
_FAST_TAG = re.compile(r"<[^>]*>")
_FAST_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&amp;", "&"))


def shown_text(html: str) -> str:
    """What inline HTML from fast_inline shows, as markdown-it's tokens hold it: the
    text and code, with each soft break (the only "\n" it can hold) as a space."""
    text = _FAST_TAG.sub("", html) if "<" in html else html
    if "&" in text:
        for entity, char in _FAST_ENTITIES:  # "&amp;" last: "&amp;lt;" is "&lt;"
            text = text.replace(entity, char)
    return text.replace("\n", " ")


# Around a double quote, what makes markdown-it's smartquotes take it for an opening one
# (a space, a line break or the start of the text before it, a letter or digit after)
# or a closing one (a letter, digit or .,!? before; a space, a line break, the end or
# .,;:!?) after), whatever the text beyond them holds.
_BEFORE_OPENING = frozenset(("", " ", "\n"))
_BEFORE_CLOSING = frozenset(".,!?")
_AFTER_CLOSING = frozenset(("", " ", "\n", ".", ",", ";", ":", "!", "?", ")"))


def _fast_quotes(run: str, at_start: bool, at_end: bool,
                 quoted: bool) -> tuple[str | None, bool]:
    """A text run's double quotes as “ and ”, when each plainly opens or closes a quotation
    and they take turns (``quoted``: one is open when the run starts), else None. At the
    edge of a run only the start or the end of the whole text is plain: next to markup,
    smartquotes looks at the neighbouring tokens."""
    out: list[str] = []
    done = 0
    at = run.find('"')
    while at != -1:
        before = run[at - 1] if at else ("" if at_start else None)
        after = run[at + 1] if at + 1 < len(run) else ("" if at_end else None)
        if before is None or after is None:
            return None, quoted
        if quoted:
            if not (_ascii_alnum(before) or before in _BEFORE_CLOSING) \
                    or after not in _AFTER_CLOSING:
                return None, quoted
            out += (run[done:at], "\u201d")
        else:
            if before not in _BEFORE_OPENING or not _ascii_alnum(after):
                return None, quoted
            out += (run[done:at], "\u201c")
        quoted = not quoted
        done = at + 1
        at = run.find('"', done)
    out.append(run[done:])
    return "".join(out), quoted


def _ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _curl(text: str) -> str:
    """Apostrophes (all inside words, see _STRAY_QUOTE) as smartquotes writes them."""
    return text.replace("'", "\u2019")


def escape_html(raw: str) -> str:
    """markdown-it's escapeHtml: like html.escape, but single quotes stay as they are."""
    return raw.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace(
        '"', "&quot;")


def _fast_code(code: str, text: str, end: int) -> str | None:
    # A longer backtick run after it would change which run closes the span; a space
    # at either end may be stripped.
    if text.startswith("`", end) or code[0] == " " or code[-1] == " ":
        return None
    return f"<code>{escape_html(code)}</code>"


def _fast_emphasis(marker: str, inner: str, text: str, start: int, end: int,
                   typography: bool) -> str | None:
    if start > 0 and text[start - 1] not in " \n":
        return None
    if end < len(text) and text[end] not in _AFTER_CLOSER:
        return None
    if not (_is_edge_char(inner[0]) and _is_edge_char(inner[-1])):
        return None
    if typography and _TYPOGRAPHY.search(inner):
        return None
    tag = "strong" if marker == "**" else "em"
    return f"<{tag}>{_curl(inner)}</{tag}>"


# URLs markdown-it's normalizeLink gives back unchanged and its validateLink (our
# url_is_safe) lets through (property tests hold both): an optional http(s)://host of plain
# labels, then path, query and fragment of characters it never encodes. Most links in decks
# are like this; any other goes to markdown-it with its field.
# A path may not start with "//", which would make what follows a host.
_URL_CHARS = r"A-Za-z0-9._~/!$*+,;=:"  # and "-", last in each class below
_PLAIN_URL = re.compile(rf"(?:https?://[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)?"
                        rf"(?:/(?!/)[{_URL_CHARS}-]*)?(?:\?[{_URL_CHARS}?-]*)?"
                        rf"(?:#[{_URL_CHARS}?#-]*)?", re.IGNORECASE)


def _fast_link(label: str, url: str, typography: bool) -> str | None:
    if "\n" in label or (typography and _TYPOGRAPHY.search(label)):
        return None
    if not _PLAIN_URL.fullmatch(url):
        return None
    return f'<a href="{escape_html(url)}" data-user-link="">{_curl(label)}</a>'


# A line may start a paragraph (or be a list item's text) in the fast grammar when its
# first character cannot open any other block: no indent, "#", ">", "-", "+", "=",
# "|", ":", "<", "~", "_", fence, ordered-list number, hr or list "* ".
_LINE_START = re.compile(r"""[A-Za-z(\["]|\d+(?![\d.)])|\*\*?[^\s*]|`[^`]""")
_FENCE_OPEN = re.compile(r"```([A-Za-z0-9_+.#-]*)")


def _fast_line(line: str) -> bool:
    """A paragraph line (or list item text) with no block meaning and nothing to strip."""
    if not line or not _is_edge_char(line[-1]):
        return False
    first = line[0]
    return _LINE_START.match(line) is not None or (first > "\x9f" and first.isalnum())


def fast_block(text: str, fence: Callable[[str, str], str]) -> str | None:
    """HTML for block text in the fast grammar, else None; ``fence(code, language)``
    writes a fenced code block's HTML (highlighted or not: the caller's business)."""
    blocks = fast_blocks(text)
    if blocks is None:
        return None
    out: list[str] = []
    for kind, html_, language, code in blocks:
        if kind == "p":
            out.append(f"<p>{html_[0]}</p>\n")
        elif kind == "ul":
            out.append("<ul>\n<li>" + "</li>\n<li>".join(html_) + "</li>\n</ul>\n")
        else:
            out.append(fence(code, language))
    return "".join(out)


# One block of text in the fast grammar, its inline Markdown already rendered:
# (kind, inline HTML, language, code). kind "p" is a paragraph (one inline HTML), "ul" a
# tight "- " list (each item's), "pre" a fenced code block (no HTML; its language, "" for
# none, and the lines between the fences, each ending in "\n"). A plain tuple, not a
# class: every build makes one for each paragraph of every field.
FastBlock = tuple[str, tuple[str, ...], str, str]


@functools.lru_cache(maxsize=_SEEN)
def fast_blocks(text: str) -> tuple[FastBlock, ...] | None:
    """The blocks of ``text`` when it is all in the fast grammar, else None. Besides
    fast_block, measure.py reads these to measure a field without markdown-it."""
    if "\r" in text or "\x00" in text:
        return None
    lines = text.split("\n")
    out: list[FastBlock] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line:
            i += 1
            continue
        if line.startswith("```"):
            i, block = _fast_fence(lines, i)
        elif line.startswith("- "):
            i, block = _fast_list(lines, i)
        else:
            i, block = _fast_paragraph(lines, i)
        if block is None:
            return None
        out.append(block)
    return tuple(out)


def _fast_paragraph(lines: list[str], i: int) -> tuple[int, FastBlock | None]:
    start = i
    while i < len(lines) and lines[i]:
        if not _fast_line(lines[i]):
            return i, None
        i += 1
    body = _inline("\n".join(lines[start:i]))
    return i, None if body is None else ("p", (body,), "", "")


def _fast_list(lines: list[str], i: int) -> tuple[int, FastBlock | None]:
    """A tight "- " list: no blank line inside, none of the lazy continuation lines."""
    items: list[str] = []
    while i < len(lines) and lines[i].startswith("- "):
        item = lines[i][2:]
        body = _inline(item) if _fast_line(item) else None
        if body is None:
            return i, None
        items.append(body)
        i += 1
    if i < len(lines) and lines[i]:
        return i, None  # a lazy continuation or a different block right after an item
    following = next((line for line in lines[i:] if line), "")
    if following.startswith(("-", "+", "*")) or following[:1].isdigit():
        return i, None  # after a blank line, another item would make the list loose
    return i, ("ul", tuple(items), "", "")


def _fast_fence(lines: list[str], i: int) -> tuple[int, FastBlock | None]:
    """A ``` fence with a plain language name, closed by a bare ``` line."""
    opening = _FENCE_OPEN.fullmatch(lines[i])
    if opening is None:
        return i, None
    body: list[str] = []
    i += 1
    while i < len(lines) and lines[i] != "```":
        if lines[i].lstrip(" \t").startswith("```"):
            return i, None  # might close the fence or not: markdown-it knows
        body.append(lines[i] + "\n")
        i += 1
    if i == len(lines):
        return i, None  # unclosed: it runs to the end of the text
    return i + 1, ("pre", (), opening.group(1), "".join(body))
