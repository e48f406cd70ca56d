"""Markdown → safe HTML, one configured markdown-it-py parser per process.

Raw HTML is off (it renders as text), links are limited to http(s), mailto and
relative URLs (anything else stays plain text), images inside Markdown are off
(a published deck must not load anything from the network; use ``screenshot``),
and fenced code is highlighted at build time with Pygments.
"""

from __future__ import annotations

import functools
import html
import re
from typing import Any

from markdown_it import MarkdownIt
from markupsafe import Markup
from mdit_py_plugins.tasklists import tasklists_plugin

from demodeck.validate import url_is_safe

PYGMENTS_STYLE = "default"


@functools.lru_cache(maxsize=64)
def _lexer(lang: str) -> Any:
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        return get_lexer_by_name(lang, stripnl=False)
    except ClassNotFound:
        return None


@functools.lru_cache(maxsize=1)
def _formatter() -> Any:
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(nowrap=True)


def _highlight(code: str, lang: str, _attrs: str) -> str:
    """Highlighted ``<pre>`` for a known language, "" to let markdown-it escape it plainly."""
    lexer = _lexer(lang.strip().lower()) if lang.strip() else None
    if lexer is None:
        return ""
    from pygments import highlight

    body = highlight(code, lexer, _formatter())
    return (f'<pre class="highlight" dir="ltr"><code class="language-{html.escape(lang)}">'
            f"{body}</code></pre>\n")


def pygments_css() -> str:
    """Stylesheet for the highlighted code, scoped to ``.highlight``."""
    from pygments.formatters import HtmlFormatter

    css: str = HtmlFormatter(style=PYGMENTS_STYLE).get_style_defs(".highlight")  # type: ignore[no-untyped-call]
    return css + "\n"


# markdown-it's smartquotes rule is quadratic in the quotes of one paragraph: 40,000
# apostrophes ("don't " pasted 40,000 times, 240 KB) take 6.5 s, a 5 MB deck hours. Past
# this many quotes in a field they stay straight, which costs nothing but typography.
SMARTQUOTES_MAX = 5_000


@functools.lru_cache(maxsize=2)
def parser(*, smartquotes: bool = True) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "typographer": True,
                                   "highlight": _highlight})
    md.enable(["table", "strikethrough", "replacements", "smartquotes"])
    md.disable(["image"] if smartquotes else ["image", "smartquotes"])
    md.use(tasklists_plugin, label=True)  # an unlabelled checkbox fails WCAG
    md.validateLink = url_is_safe  # type: ignore[method-assign]
    return md


def _parser_for(text: str) -> MarkdownIt:
    return parser(smartquotes=text.count("'") + text.count('"') <= SMARTQUOTES_MAX)


def render_block(text: str) -> Markup:
    return Markup(_parser_for(text).render(text))


# Most inline items (features, retro items, goals) are plain words. Text with none of
# the characters Markdown, the typographer or HTML escaping react to renders as itself,
# so skip the parser for it (a property test checks this matches markdown-it exactly).
_PLAIN_INLINE = re.compile(r"[^\x00-\x20\x7f-\x9f\\`*_\[\]!<>&~\"'(+.\-:@|#=^$]*\Z")


def render_inline(text: str) -> Markup:
    if (_PLAIN_INLINE.match(text.replace(" ", "x"))  # spaces are plain, other space is not
            and ",," not in text and "????" not in text):  # typographer: ",," → ",", "????" → "???"
        return Markup(text)
    return Markup(_parser_for(text).renderInline(text))
