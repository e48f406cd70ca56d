"""Markdown → safe HTML, one configured markdown-it-py parser per process.

Raw HTML is off (it renders as text), links are limited to http(s), mailto and
relative URLs (anything else stays plain text) and marked ``data-user-link`` (a
person's link, which the link check leaves to them), images inside Markdown are off
(a published deck must not load anything from the network; use ``screenshot``),
and fenced code is highlighted at build time with Pygments.

plain_block and plain_inline always ask markdown-it; render_block and render_inline,
the template filters, first try the fast path of :mod:`demodeck.markdown_fast` (the
one place it is installed), which writes most fields' HTML without markdown-it.
"""

from __future__ import annotations

import contextlib
import functools
import html
import re
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Protocol, cast

from markupsafe import Markup

from demodeck.digest import digest
from demodeck.markdown_fast import fast_block, fast_inline
from demodeck.urls import url_is_safe

if TYPE_CHECKING:  # markdown-it is imported when a text needs it (see parser())
    from markdown_it import MarkdownIt


@functools.lru_cache(maxsize=64)
def _lexer(lang: str) -> Any:
    """Pygments' own lexer for ``lang``, or None. Only the lexers Pygments ships: for a
    language it does not know (```txt, ```mermaid) it would go on to import every other
    installed package that offers lexers (all of IPython, where it is installed: slow),
    and such a package would make the same deck come out differently on another machine."""
    from pygments.lexers import get_lexer_by_name

    return get_lexer_by_name(lang, stripnl=False) if lang in _builtin_aliases() else None


@functools.cache
def _builtin_aliases() -> frozenset[str]:
    from pygments.lexers import get_all_lexers

    return frozenset(a for _, aliases, _, _ in get_all_lexers(plugins=False) for a in aliases)


@functools.lru_cache(maxsize=1)
def _formatter() -> Any:
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(nowrap=True)


# The language of a fence as markdown-it reads it (the info string's first word), for
# names made of the characters Pygments' lexer names use.
_FENCE_LANGUAGE = re.compile(r"^ {0,3}(?:`{3,}|~{3,})[ \t]*([A-Za-z0-9_+#.-]+)", re.MULTILINE)


# The same in a deck file as written, where the Markdown sits indented in a YAML block
# scalar: a line of blanks, then three or more backticks or tildes, blanks and the name. A
# looser match (any indentation, any field) only ever names a lexer too many. After the
# mark (found with bytes.find, see source_fence_languages), the rest of the fence:
_SOURCE_FENCE_REST = {mark: re.compile(re.escape(mark[:1]) + rb"*[ \t]*([A-Za-z0-9_+#.-]+)")
                      for mark in (b"```", b"~~~")}


def preload_highlighting(texts: Iterable[str]) -> None:
    """Load Pygments and the lexers the fenced code in ``texts`` names. A build that
    renders in forked workers calls this before the fork, so the work is done once
    instead of once in each worker."""
    preload_languages({name.lower() for text in texts if "```" in text or "~~~" in text
                       for name in _FENCE_LANGUAGE.findall(text)})


def preload_highlighting_sources(files: Iterable[bytes]) -> None:
    """The same from the raw bytes of deck files, before their decks are even parsed."""
    preload_languages({name.decode().lower() for data in files
                       for name in source_fence_languages(data)})


def source_fence_languages(data: bytes) -> Iterator[bytes]:
    """The names of the fences in a deck file (see _SOURCE_FENCE_REST). Found from the
    fence marks with ``bytes.find``, not with one regex with "^" for the line start, which
    would try every line of every deck file."""
    for mark, rest in _SOURCE_FENCE_REST.items():
        at = data.find(mark)
        while at >= 0:
            line_start = data.rfind(b"\n", 0, at) + 1
            if not data[line_start:at].strip(b" \t"):  # only blanks before it on its line
                found = rest.match(data, at + len(mark))
                if found is not None:
                    yield found.group(1)
            line_end = data.find(b"\n", at)  # one fence a line, at its start: go on below
            at = data.find(mark, line_end) if line_end >= 0 else -1


def preload_languages(languages: set[str]) -> None:
    if languages:
        _formatter()
        for name in sorted(languages):
            _lexer(name)


class HighlightStore(Protocol):
    """Where highlighted code blocks are kept between builds (the build cache)."""

    def get_highlight(self, key: str) -> str | None: ...

    def put_highlight(self, key: str, html: str) -> None: ...


_kept: HighlightStore | None = None  # see highlights_kept_in


@contextlib.contextmanager
def highlights_kept_in(store: HighlightStore | None) -> Iterator[None]:
    """Highlight code through ``store`` while rendering. A deck rendered again after one
    of its demos changed then loads Pygments only if code in it changed: loading it is
    a large part of such a rebuild."""
    global _kept
    before, _kept = _kept, store
    try:
        yield
    finally:
        _kept = before


def _highlight(code: str, lang: str, attrs: str) -> str:
    """Highlighted ``<pre>`` for a known language, "" to let markdown-it escape it plainly."""
    store = _kept
    if store is None:
        return _highlight_now(code, lang, attrs)
    from pygments import __version__ as pygments_version  # the package alone, no lexers

    key = digest("code", pygments_version, lang, code)
    found = store.get_highlight(key)
    if found is None:
        found = _highlight_now(code, lang, attrs)
        store.put_highlight(key, found)
    return found


def _highlight_now(code: str, lang: str, _attrs: str) -> str:
    lexer = _lexer(lang.strip().lower()) if lang.strip() else None
    if lexer is None:
        return ""
    from pygments import highlight

    body = highlight(code, lexer, _formatter())
    return (f'<pre class="highlight" dir="ltr"><code class="language-{html.escape(lang)}">'
            f"{body}</code></pre>\n")


# markdown-it's smartquotes rule is quadratic in the quotes of one paragraph, so a
# pasted text with tens of thousands of apostrophes takes seconds, a 5 MB deck hours. Past
# this many quotes in a field they stay straight, which costs nothing but typography.
SMARTQUOTES_MAX = 5_000


@functools.lru_cache(maxsize=2)
def parser(*, smartquotes: bool = True) -> MarkdownIt:
    # Imported here, not at the top: the fast path writes most decks' Markdown without
    # markdown-it, and a rebuild after one demo changed then never loads it.
    from markdown_it import MarkdownIt
    from mdit_py_plugins.tasklists import tasklists_plugin

    md = MarkdownIt("commonmark", {"html": False, "typographer": True,
                                   "highlight": _highlight})
    md.enable(["table", "strikethrough", "replacements", "smartquotes"])
    md.disable(["image"] if smartquotes else ["image", "smartquotes"])
    md.use(tasklists_plugin, label=True)  # an unlabelled checkbox fails WCAG
    md.validateLink = url_is_safe  # type: ignore[method-assign]
    md.core.ruler.push("user_links", _mark_user_links)
    return md


# Every link in Markdown is one a person wrote: marked so, the link check leaves it to
# them (see demodeck/linkcheck.py); the fast path writes the same attribute.
USER_LINK = "data-user-link"


def _mark_user_links(state: Any) -> None:
    for token in state.tokens:
        for child in token.children or ():
            if child.type == "link_open":
                child.attrSet(USER_LINK, "")


def _parser_for(text: str) -> MarkdownIt:
    return parser(smartquotes=text.count("'") + text.count('"') <= SMARTQUOTES_MAX)


# Markup(html) for HTML demodeck made itself: what Markup's Python-level __new__ ends up
# doing, minus its checks (tens of thousands of fields and links per build).
trusted_markup = cast(Callable[[str], Markup], functools.partial(str.__new__, Markup))


def plain_block(text: str) -> Markup:
    """A Markdown field as HTML, from markdown-it: any Markdown."""
    return Markup(_parser_for(text).render(text))


def plain_inline(text: str) -> Markup:
    """One line of inline Markdown as HTML, from markdown-it."""
    return Markup(_parser_for(text).renderInline(text))


def fence_html(code: str, language: str) -> str:
    """A fenced code block as markdown-it's fence rule writes it, without parsing any
    Markdown: highlighted for a language Pygments knows (see _highlight), else escaped."""
    highlighted = _highlight(code, language, "") if language else ""
    if highlighted:  # markdown-it not even loaded
        return highlighted + "\n"
    from markdown_it.token import Token

    md = parser()
    token = Token("fence", "code", 0, info=language, content=code, markup="```")
    rendered: str = md.renderer.render([token], md.options, {})
    return rendered


# -- The renderers the templates use: the one place the fast path is installed ----------
# The fast path (demodeck/markdown_fast.py) writes most fields' HTML without markdown-it,
# and returns None for anything outside its small grammar, which then goes to the plain
# renderer above. It curls quotes as smartquotes does, so it takes a field only while
# markdown-it would curl them (SMARTQUOTES_MAX).

def render_block(text: str) -> Markup:
    fast = fast_block(text, fence_html) if _quotes_are_smart(text) else None
    return plain_block(text) if fast is None else trusted_markup(fast)


def render_inline(text: str) -> Markup:
    fast = fast_inline(text) if _quotes_are_smart(text) else None
    return plain_inline(text) if fast is None else trusted_markup(fast)


def _quotes_are_smart(text: str) -> bool:
    """Whether markdown-it would curl this field's quotes (SMARTQUOTES_MAX)."""
    return (("'" not in text and '"' not in text)
            or text.count("'") + text.count('"') <= SMARTQUOTES_MAX)
