"""The Markdown fast path (markdown_fast.py) writes exactly the HTML markdown-it would.

``fast_inline`` and ``fast_block`` render a small Markdown grammar directly and
return None for anything else. These tests generate text that is mostly inside that
grammar and sits on its edges (flanking rules, typographer triggers, block starts,
unicode whitespace, fences that may or may not close) and require byte-identical
HTML from markdown-it whenever a fast path answers.
"""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from demodeck.markdown import SMARTQUOTES_MAX, fence_html, parser, render_block, render_inline
from demodeck.markdown_fast import _PLAIN_URL, _STRAY_QUOTE, fast_block, fast_blocks, fast_inline

# Small pieces: words, each character the grammar treats specially, typographer
# triggers, unicode whitespace and punctuation that the flanking rules look at.
_ATOMS = st.sampled_from([
    "a", "bc", "Zed", "é", "א", "7", "12", "٣", " ", "  ", "\n", ".", ",", ";", ":", "!", "?",
    "(", ")", "-", "/", "%", "#", "|", "=", "+", "@", "^", "$", "{", "}", "€", "—", "\xa0",
    "\u2000", "\u3000", "\ufeff", "\u200b", "\t", "\x0b", "\x85", "'", '"', "&", "&amp;", "<",
    ">", "~", "~~", "_", "\\", "*", "**", "***", "`", "``", "[", "]", "![", "](", "(c)", "(TM)",
    "...", "--", "---", "+-", ",,", "????", "!!!!", "1.", "1)", "[ ] ", "[x] ", "\r",
])
_URLS = st.sampled_from([
    "https://x.org/a", "https://Ex.ORG/p%20q", "https://x.org/%zz", "mailto:a@b.c", "../rel",
    "/a_b*c", "#frag", "?q=1;b=2", "javascript:alert(1)", "JAVASCRIPT:x", "data:text/html,x",
    "x:y", "HTTP://X.ORG", "https://xn--e-x.org/", "a(b)", "<https://x.org>", "https://x.org/ t",
    "https://x.org/\"q", "a&amp;b", "",
])
_GOOD_URLS = st.sampled_from(["https://docs.example.com/pilot-report/1808", "https://x.org/a?b=1#c",
                              "../rel", "mailto:a@b.c", "/p%20q"])
_WORDS = st.lists(_ATOMS, min_size=1, max_size=4).map("".join)


def _markup(draw: st.DrawFn) -> str:
    words = draw(_WORDS)
    return draw(st.sampled_from([
        f"**{words}**", f"*{words}*", f"`{words}`", f"[{words}]({draw(_URLS)})", f"[{words}]",
    ]))


_INLINE = st.lists(st.one_of(_ATOMS, _ATOMS, st.composite(_markup)()), max_size=12).map("".join)

# Deck-like inline text: words and spaces around markup, as features and paragraphs are.
_WORD = st.sampled_from(["Ship", "search", "v2", "to", "10%", "users;", "it", "works.", "a/b",
                         "(beta)", "p95:", "é", "ready?", "now!", "k€", "#42", "x|y", "3-4",
                         "didn't", "team's", "90's", "rock'n'roll", "'tis", "users'", "l'été",
                         "it's.", "'a'", '"a"', "O'Neil:", '"the', 'surprise":', 'it".', '"x',
                         'y"', '1"', '"é', 'é"', '(see', 'this)"', '"', 'a"b', 'done?"', '"2',
                         '."', 'end",', '""'])
_PROSE_PIECE = st.one_of(
    _WORD, _WORD,
    _WORD.map(lambda w: f"**{w}**"), _WORD.map(lambda w: f"*{w}*"), _WORD.map(lambda w: f"`{w}`"),
    st.tuples(_WORD, st.one_of(_GOOD_URLS, _GOOD_URLS, _URLS)).map(lambda p: f"[{p[0]}]({p[1]})"))
_PROSE = st.lists(_PROSE_PIECE, min_size=1, max_size=10).map(" ".join)


@settings(max_examples=5000, deadline=None)
@given(st.from_regex(_PLAIN_URL, fullmatch=True))
@example("https://docs.example.com/pilot-report/1808?a=1;b=c:d#x?y")
@example("HTTPS://Ex-1.example.COM/A/B~c/")
@example("/")
def test_links_taken_as_written_are_what_markdown_it_writes(url: str) -> None:
    assert parser().normalizeLink(url) == url
    assert parser().validateLink(url)  # markdown-it would make it a link too


@pytest.mark.parametrize("url", ["http://@", "//::", "///a", "https://x.org:80/", "#<", "?a=<",
                                 "https://x.org/%zz", "https://-x.org", "mailto:a@b.c", "../rel",
                                 "https://x.org/a&b", "https://x.org/(a)", "https://bücher.de"])
def test_links_with_anything_else_go_through_markdown_it(url: str) -> None:
    assert not _PLAIN_URL.fullmatch(url)


def _same_inline(text: str) -> None:
    fast = fast_inline(text)
    if fast is not None:
        assert fast == parser().renderInline(text), text
    assert render_inline(text) == parser().renderInline(text)


@settings(max_examples=1000, deadline=None)
@given(_INLINE)
@example("**a**.")
@example("a**b**")
@example("**a**b")
@example("`a``b`")
@example("![a](https://x.org)")
@example("[a](https://x.org)(c)")
@example("` a `")
@example("` a`")
@example("`  `")
@example("**b.**a")
@example("*b,*c")
@example("a\nb")
@example("a \nb")
@example("a\n b")
@example("*a\nb*")
@example("'a")  # a quote at either end of the text, or next to a space, may pair
@example("a'")
@example("it's o' clock")
@example("don't")
def test_fast_inline_matches_markdown_it(text: str) -> None:
    _same_inline(text)


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="a7é' \n.", max_size=12))
def test_stray_quotes_are_those_without_a_letter_or_digit_on_each_side(text: str) -> None:
    """_STRAY_QUOTE is written to start with the quote (so the regex engine jumps from
    quote to quote); it finds what the plain way to say it finds."""
    plain = re.search(r"(?<![A-Za-z0-9])'|'(?![A-Za-z0-9])", text)
    assert bool(_STRAY_QUOTE.search(text)) == bool(plain)


@settings(max_examples=500, deadline=None)
@given(_PROSE)
def test_fast_inline_matches_markdown_it_on_prose(text: str) -> None:
    _same_inline(text)


# Lines that mean something to the block parser, to put next to fast-path blocks.
_TRICKY = [
    "", " ", "  a", "    code", "\ta", "# h", "> q", "---", "===", "***", "- - -", "* a", "+ a",
    "-", "- ", "-  a", "1. a", "2) a", "12345. a", "| a | b |", "|---|---|", ":--", "<div>",
    "[a]: https://x.org", "~~~", "```", "````", "``` ", "   ```", "```py x", "- [ ] task",
    "- [x] done", "a  ", "a\\", "**a**", "`a`", "(a)", "[a](https://x.org) b", "\xa0a",
    "a\xa0", "a|b", "a | b", "--|--", ":-:", "|-|-|", ":-:|:-:", "-|-", "|a|b|",
    "\r", "a\rb", "=", "a=",
]
_TRICKY_LINES = st.sampled_from(_TRICKY)


def _fence(draw: st.DrawFn) -> str:
    lang = draw(st.sampled_from(["", "python", "js", "nosuchlang", "c++", "py x", "`", "&amp;"]))
    body = draw(st.lists(st.one_of(_INLINE, _TRICKY_LINES), max_size=4))
    close = draw(st.sampled_from(["```", "```", "``` ", "````", ""]))
    return "\n".join([f"```{lang}", *body, close])


_LINE = st.one_of(_PROSE, _PROSE, _INLINE)
_BLOCK = st.one_of(
    st.lists(_LINE, min_size=1, max_size=3).map("\n".join),
    st.lists(_LINE.map(lambda t: f"- {t}"), min_size=1, max_size=3).map("\n".join),
    st.composite(_fence)(),
    st.lists(_PROSE, max_size=3).map(lambda body: "\n".join(["```python", *body, "```"])),
    _TRICKY_LINES,
)
_DECK_BLOCK = st.one_of(  # what deck fields hold, so most documents take the fast path
    st.lists(_PROSE, min_size=1, max_size=3).map("\n".join),
    st.lists(_PROSE.map(lambda t: f"- {t}"), min_size=1, max_size=3).map("\n".join),
    st.lists(_PROSE, max_size=3).map(lambda body: "\n".join(["```python", *body, "```"])),
)


def _document(blocks: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(
        st.lists(st.tuples(blocks, st.sampled_from(["\n", "\n\n", "\n\n\n"])), max_size=5),
        st.sampled_from(["", "\n"]),
    ).map(lambda d: "".join(block + sep for block, sep in d[0]).rstrip("\n") + d[1])


_DOCUMENT = _document(_BLOCK)


def _fast_block_html(text: str) -> str | None:
    return fast_block(text, fence_html)


def _same_block(text: str) -> None:
    fast = _fast_block_html(text)
    if fast is not None:
        assert fast == parser().render(text), text
    assert render_block(text) == parser().render(text)


@settings(max_examples=1000, deadline=None)
@given(_DOCUMENT)
@example("a\n\n- b\n- c\n\nd\n")
@example("- a\n\n- b\n")
@example("- a\nb\n")
@example("a\n- b\n")
@example("- a\n\n1. b\n")
@example("```python\ndef f():\n\treturn '<b>'\n\n```\nafter\n")
@example("```\n```")
@example("a\r\nb")
@example("```\na\rb\n```\n")
@example("```\r\nx\r\n```")
def test_fast_block_matches_markdown_it(text: str) -> None:
    _same_block(text)


@settings(max_examples=700, deadline=None)
@given(_document(_DECK_BLOCK))
def test_fast_block_matches_markdown_it_on_deck_shaped_text(text: str) -> None:
    _same_block(text)


_CONTEXTS = ["{}", "a\n{}", "{}\na", "a\n\n{}", "{}\n\na", "- a\n{}", "- a\n\n{}", "{}\n- a",
             "- {}", "- a\n- {}", "```\n{}\n```", "```py\n{}\n```\n\na", "**a**\n{}", "`a`\n{}",
             "a | b\n{}", "{}\n|---|---|", "{}\n--|--", "{}\n:-:", "{}\n===", "{}\n---",
             "|a|b|\n{}", "{}\n|-|-|"]


@pytest.mark.parametrize("text", [
    "We didn't know the team's plan.", "**it's** here", "*90's*", "[Bo's page](https://x.org)",
    "`it's` stays straight", "rock'n'roll", "it's 'quoted' now", "'tis", "users'", "a'\nb",
    "O'Neil's **team's** `x'y` [it's](https://x.org/it's)", "don't\nstop"])
def test_apostrophes_inside_words_curl_like_markdown_it(text: str) -> None:
    _same_inline(text)
    _same_block(text)


@pytest.mark.parametrize("text", [
    'Support called it "the invoice PDFs surprise": we hadn\'t told them.', '"Ship it" he said',
    'a "b" c "d" e', 'a "b c', 'a b" c', '"a"', 'said "yes."', 'said "yes?" and "no!"',
    'a "**b**" c', '**"b"**', 'a "`b`" c', '`"b"` and "c"', '["b"](https://x.org)',
    '"a\nb"', 'a\n"b"\nc', '"a" b\n"c"', 'x "y"z', 'x"y" z', '1"" 2', '"b" 1"',
    '"a" **b** "c"', '"a **b** c"', 'it\'s "Bo\'s" day', '("a")', '"a"),', '- "a"', '"a "b" c"',
    '"été" "ete"'])
def test_double_quotes_curl_like_markdown_it(text: str) -> None:
    _same_inline(text)
    _same_block(text)
    for context in _CONTEXTS:
        _same_block(context.format(text))


_PLAIN_WORD = st.sampled_from(["Ship", "search", "v2", "to", "users;", "it", "works.", "a/b",
                               "(beta)", "p95:", "é", "ready?", "now!", "didn't", "**bold**",
                               "*em*", "`code`", "[link](https://x.org/a)", "10%", "#42"])


def _quotation(draw: st.DrawFn) -> str:
    """Prose with a quoted stretch of it, the quotes next to what smartquotes looks at."""
    words = draw(st.lists(st.one_of(_PLAIN_WORD, _PLAIN_WORD, _PROSE_PIECE), min_size=1,
                          max_size=6))
    start = draw(st.integers(0, len(words) - 1))
    stop = draw(st.integers(start + 1, len(words)))
    before = draw(st.sampled_from(["", "", "(", "\n", "x", "*"]))
    after = draw(st.sampled_from(["", "", ".", ",", ":", "?)", "!", "\n", "s", " -"]))
    quoted = f'{before}"{" ".join(words[start:stop])}"{after}'
    return " ".join([*words[:start], quoted, *words[stop:]])


_QUOTATIONS = st.lists(st.composite(_quotation)(), min_size=1, max_size=3).map(" ".join)


@settings(max_examples=1500, deadline=None)
@given(_QUOTATIONS)
def test_quotations_curl_like_markdown_it(text: str) -> None:
    _same_inline(text)
    _same_block(text)


def test_plain_quotations_take_the_fast_path() -> None:
    text = 'Support called it "the invoice PDFs surprise": we hadn\'t told them "early".'
    assert fast_inline(text) == ("Support called it \u201cthe invoice PDFs surprise\u201d: we "
                                  "hadn\u2019t told them \u201cearly\u201d.")
    assert _fast_block_html(f"{text}\n\n- \"One\" item\n") is not None


def test_past_the_smartquotes_cap_double_quotes_stay_straight() -> None:
    text = '"a" ' * (SMARTQUOTES_MAX // 2 + 1)
    assert "&quot;a&quot;" in render_block(text) and "\u201c" not in render_block(text)
    assert "&quot;a&quot;" in render_inline(text) and "\u201c" not in render_inline(text)


def test_past_the_smartquotes_cap_apostrophes_stay_straight() -> None:
    text = "it's " * (SMARTQUOTES_MAX + 1)
    assert "it's" in render_block(text) and "it’s" not in render_block(text)
    assert "it's" in render_inline(text) and "it’s" not in render_inline(text)


def test_fast_block_next_to_every_kind_of_line() -> None:
    for context, line in itertools.product(_CONTEXTS, _TRICKY):
        for end in ("", "\n"):
            _same_block(context.format(line) + end)


def test_deck_shaped_fields_take_the_fast_paths() -> None:
    """The shapes decks use most are the ones the fast paths exist for."""
    why = ("Customers kept telling support it was slow; this halves the bill. In the pilot"
           " with 20 teams, cost went from 512 to 302 k€, which is **enough**.\nSee"
           " [the report](https://docs.example.com/r/1) for *details*.\n\n- Logs every"
           " change\n- Uses `shift+e`\n- Translated into 12 languages\n\nNext week, everyone.\n"
           "\n```python\nprint(1)\n```\n")
    assert _fast_block_html(why) == parser().render(why)
    for item in ["Right-to-left layout, tested in 51 locales", "Ship **passkeys** to 80%",
                 "We didn't ship the team's **first** draft",
                 "Keyboard shortcut `shift+e` jumps to exports (3 most recent)",
                 "Links to [the runbook](https://x.example.com/runbook/2194)"]:
        assert fast_inline(item) == parser().renderInline(item)


def test_a_fields_blocks_are_found_once_and_shared_unchangeable() -> None:
    """The plan of a deck's slides measures a field and its page then renders it: both
    read the same blocks, found once, which nobody can change on the other's behalf."""
    why = "Cheaper **now**.\n\n- one\n- two\n\n```python\nprint(1)\n```\n"
    blocks = fast_blocks(why)
    assert blocks is not None and blocks is fast_blocks(why)
    assert hash(blocks)  # tuples all the way down: immutable
    assert fast_inline("Ship **it**") is fast_inline("Ship **it**")
