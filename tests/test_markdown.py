"""markdown.py: what Markdown in a deck may and may not turn into."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from demodeck import markdown
from demodeck.markdown import _lexer, parser, render_block, render_inline
from tests.conftest import REPO


def test_raw_html_is_text() -> None:
    assert render_block("<script>alert(1)</script> <b>x</b>") == (
        "<p>&lt;script&gt;alert(1)&lt;/script&gt; &lt;b&gt;x&lt;/b&gt;</p>\n")


def test_only_safe_link_schemes_become_links() -> None:
    html = render_block("[a](https://x.org) [b](mailto:a@b.c) [c](../rel) [d](javascript:alert(1))"
                        " [e](JAVASCRIPT:alert(1)) [f](vbscript:x) [g](data:text/html,x)"
                        " <javascript:alert(1)>")
    assert '<a href="https://x.org" data-user-link="">a</a>' in html
    assert '<a href="mailto:a@b.c" data-user-link="">b</a>' in html
    assert '<a href="../rel" data-user-link="">c</a>' in html
    assert html.count("<a ") == 3
    assert "[d](javascript:alert(1))" in html


def test_images_in_markdown_do_not_load() -> None:
    assert "<img" not in render_block("![tracker](https://evil.example/pixel.png)")


def test_tables_strikethrough_tasks_and_quotes() -> None:
    html = render_block('| a | b |\n|---|---|\n| 1 | ~~2~~ |\n\n- [x] done\n- [ ] todo\n\n'
                        '"quoted" -- it\'s\n')
    assert "<table>" in html and "<s>2</s>" in html
    assert 'class="task-list-item-checkbox" checked="checked" disabled="disabled"' in html
    assert "“quoted” – it’s" in html


def test_fenced_code_is_highlighted_at_build_time() -> None:
    html = render_block('```python\ndef f():\n    return "<b>"\n```\n')
    assert html.startswith('<pre class="highlight" dir="ltr"><code class="language-python">')
    assert '<span class="k">def</span>' in html and "&lt;b&gt;" in html
    plain = render_block("```nosuchlang\n<b>\n```\n")
    assert plain == '<pre><code class="language-nosuchlang">&lt;b&gt;\n</code></pre>\n'


def test_only_pygments_own_lexers_are_looked_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """A language Pygments does not know stays plain without a search of the other
    installed packages' lexers, which imports them (all of IPython, where installed)."""
    import pygments.plugin

    def no_plugins(group: str) -> Iterator[Any]:
        raise AssertionError(f"looked for {group}")

    monkeypatch.setattr(pygments.plugin, "iter_entry_points", no_plugins)
    _lexer.cache_clear()
    try:
        plain = render_block("```mermaid\ngraph TD\n```\n")
        highlighted = render_block("```go\nfunc f() {}\n```\n")
    finally:
        _lexer.cache_clear()
    assert plain == '<pre><code class="language-mermaid">graph TD\n</code></pre>\n'
    assert '<span class="kd">func</span>' in highlighted


def test_preloading_loads_the_lexers_fenced_code_names() -> None:
    """A parallel build loads the lexers before it forks (once, not in each worker)."""
    _lexer.cache_clear()
    markdown.preload_highlighting(["No code here, only `inline` code.", "- a list"])
    assert _lexer.cache_info().currsize == 0
    markdown.preload_highlighting(["Intro\n\n```Python\nx = 1\n```", "  ~~~ go extra\nx\n~~~",
                                   "```\nno language\n```", "```sql\nselect 1\n```"])
    assert _lexer.cache_info().currsize == 3
    hits = _lexer.cache_info().hits
    for name in ("python", "go", "sql"):
        assert _lexer(name) is not None
    assert _lexer.cache_info().hits == hits + 3  # all three were loaded already


class _Store:
    """A HighlightStore over a dict, as the build cache is one."""

    def __init__(self) -> None:
        self.kept: dict[str, str] = {}

    def get_highlight(self, key: str) -> str | None:
        return self.kept.get(key)

    def put_highlight(self, key: str, html: str) -> None:
        self.kept[key] = html


def test_kept_highlights_are_used_again_by_language_code_and_pygments_version(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import pygments

    fence, other = "```go\nfunc f() {}\n```\n", "```go\nfunc g() {}\n```\n"
    plain = render_block(fence)
    store, made = _Store(), []
    real = markdown._highlight_now
    monkeypatch.setattr(markdown, "_highlight_now",
                        lambda *a: made.append(a[:2]) or real(*a))
    with markdown.highlights_kept_in(store):
        assert render_block(fence) == plain and len(store.kept) == 1
        assert render_block(fence) == plain  # from the store: not highlighted again
        assert render_block("```Go\nfunc f() {}\n```\n") != plain  # its class names "Go"
        render_block(other)
        render_block("```mermaid\ngraph TD\n```\n")  # "": markdown-it escapes it, kept too
    assert made == [("func f() {}\n", "go"), ("func f() {}\n", "Go"), ("func g() {}\n", "go"),
                    ("graph TD\n", "mermaid")]
    assert render_block(fence) == plain and len(made) == 5  # outside: no store
    monkeypatch.setattr(pygments, "__version__", "0.0")  # another Pygments: highlighted anew
    with markdown.highlights_kept_in(store):
        render_block(fence)
    assert len(made) == 6 and len(store.kept) == 5


def test_the_theme_styles_every_class_the_highlighter_writes() -> None:
    """The theme ships Pygments' stylesheet as a file (making it cost ~14 ms of imports on
    every build); it must still cover every class the installed Pygments writes."""
    from pygments.formatters import HtmlFormatter

    def selectors(css: str) -> set[str]:
        css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
        return {s.strip() for block in re.findall(r"([^{}]+)\{", css) for s in block.split(",")}

    shipped = selectors((REPO / "templates/static/pygments.css").read_text())
    wanted = selectors(HtmlFormatter(style="default").get_style_defs(".highlight"))
    assert len(wanted) > 50
    assert wanted <= shipped, sorted(wanted - shipped)


def test_code_language_cannot_break_out_of_the_attribute() -> None:
    html = render_block('```python" onmouseover="alert(1)\nx = 1\n```\n')
    assert 'onmouseover="' not in html


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
@example(",,")
@example("Really????")
@example("a\x00b")
def test_inline_fast_path_matches_markdown_it(text: str) -> None:
    assert render_inline(text) == parser().renderInline(text)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab -.,;:%/()'\"*_`[]!<>&~\\#|=+@^$é€\u05d0\n\t", max_size=30))
def test_inline_fast_path_matches_on_markdown_heavy_text(text: str) -> None:
    assert render_inline(text) == parser().renderInline(text)
