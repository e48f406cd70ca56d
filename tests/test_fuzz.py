"""Fuzzing (issue 7): the YAML loader and the Markdown → HTML path, in bounded time.

Under pytest, hypothesis drives both with a few hundred examples each (a few
seconds in all; derandomised on CI so a run is repeatable):

* ``load.parse_yaml`` on arbitrary bytes and on YAML token soup never raises, and
  every problem it reports has a line;
* ``markdown.render_block``/``render_inline`` never raise, and their HTML holds
  only the tags and attributes the Markdown subset can produce: never a
  ``<script``, an ``on*=`` attribute, or a link whose scheme is not http(s) or
  mailto, however the input spells it;
* inputs known to be slow for parsers (deep brackets, long runs of quotes,
  wide tables...) render in bounded time.

For a longer, coverage-guided run by hand, the same checks are an atheris target
(``pip install atheris``; Linux, CPython 3.11):

    python tests/test_fuzz.py yaml -max_total_time=600      # or: markdown
    python tests/test_fuzz.py markdown -atheris_runs=1000000 corpus/

Any crash it finds is written to ``crash-<hash>`` and reproduces with
``python tests/test_fuzz.py yaml crash-<hash>``.
"""

from __future__ import annotations

import os
import re
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # when run as a script

from demodeck.load import parse_yaml
from demodeck.markdown import render_block, render_inline

CI = bool(os.environ.get("CI"))


def fuzz(examples: int) -> Any:
    return settings(max_examples=examples, deadline=None, derandomize=CI,
                    suppress_health_check=[HealthCheck.too_slow])


# --- the checks (shared by hypothesis and atheris) ----------------------------------------


def check_yaml(data: bytes) -> None:
    tree, problems = parse_yaml("decks/fuzz.yaml", data)
    if tree is None:
        assert problems, "refused without saying why"
    for problem in problems:
        assert problem.path == "decks/fuzz.yaml"
        assert problem.line >= 1, problem


# What markdown-it (commonmark + tables, strikethrough, task lists; no HTML, no images)
# and the Pygments highlighter can produce, and nothing else.
ALLOWED: dict[str, set[str]] = {
    "p": set(), "em": set(), "strong": set(), "s": set(), "code": {"class"}, "br": set(),
    "pre": {"class", "dir"}, "span": {"class"}, "a": {"href", "title", "data-user-link"},
    "ul": {"class"},
    "ol": {"start", "class"}, "li": {"class"}, "blockquote": set(), "hr": set(),
    "h1": set(), "h2": set(), "h3": set(), "h4": set(), "h5": set(), "h6": set(),
    "table": set(), "thead": set(), "tbody": set(), "tr": set(),
    "th": {"style"}, "td": {"style"}, "label": set(),
    "input": {"class", "type", "disabled", "checked"},
}
SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):", re.I)  # as a browser's URL parser reads it


class Audit(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.bad: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED:
            self.bad.append(f"<{tag}>")
            return
        for name, value in attrs:
            value = value or ""
            if name not in ALLOWED[tag]:
                self.bad.append(f"<{tag} {name}>")
            elif name == "href":
                # what a browser would see: entities decoded, C0 and space stripped
                scheme = SCHEME.match(re.sub(r"[\x00-\x20\x7f]", "", value))
                if scheme and scheme.group(1).lower() not in ("http", "https", "mailto"):
                    self.bad.append(f"href={value!r}")
            elif name == "style" and not re.fullmatch(r"text-align:(left|right|center)", value):
                self.bad.append(f"style={value!r}")
            elif name == "data-user-link" and value:  # a marker the link check reads, no more
                self.bad.append(f"data-user-link={value!r}")
            elif name == "type" and value != "checkbox":
                self.bad.append(f"type={value!r}")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def check_markdown(text: str) -> None:
    for out in (str(render_block(text)), str(render_inline(text))):
        assert "<script" not in out.lower(), out
        assert not re.search(r"<[^>]*\son\w+\s*=", out, re.I), out
        audit = Audit()
        audit.feed(out)
        audit.close()
        assert audit.bad == [], (text, audit.bad, out)


# --- hypothesis -----------------------------------------------------------------------------

YAML_TOKENS = st.sampled_from([
    b"\n", b" ", b"  ", b"\t", b"- ", b": ", b":", b"[", b"]", b"{", b"}", b",", b"&a ", b"*a",
    b"!!str ", b"!!python/object/apply:os.system ", b"!<tag:x> ", b"%TAG ! tag:x,2000:\n",
    b"'", b'"', b"\\", b"\\x00", b"\\u2028", b"#", b"|", b">-", b"? ", b"---\n", b"...\n",
    b"<<: *a", b"title", b"demos", b"2026-02-30", b"1e999", b"0b1", b".inf", b"~", b"yes",
    b"\xef\xbb\xbf", b"\xe9", b"\xc3\xa9", b"\xed\xa0\x80", b"\x00", b"\x1b", b"\x85",
    b"\r\n", b"\r", "\u2028".encode(), b"9" * 40,
])
YAML_BYTES = st.one_of(st.binary(max_size=200),
                       st.lists(YAML_TOKENS, max_size=60).map(b"".join),
                       st.text(max_size=100).map(lambda t: t.encode("utf-8", "surrogatepass")))


@fuzz(400)
@given(YAML_BYTES)
def test_parse_yaml_never_raises(data: bytes) -> None:
    check_yaml(data)


MD_TOKENS = st.sampled_from([
    "[", "]", "(", ")", "<", ">", "!", "*", "_", "`", "```", "~~", "#", "> ", "- ", "1. ",
    "|", "---", "\n", "\n\n", " ", "  \n", "\t", "\\", "&", "&#106;", "&#x6A;", "&colon;",
    "&#0;", "&amp;", "javascript:", "JaVaScRiPt:", "java\tscript:", "vbscript:", "data:",
    "data:text/html,", "mailto:", "https://e.com/", "//evil.example", "%6A", "\x00", "\x01",
    "<script>", "</script>", "<img src=x onerror=x()>", "onerror=", "onload=", '"', "'",
    "[x]: ", "[x]", "[ ] ", "[x] ", "<a href=", "<svg/onload=x()>", "{{", "}}", "\u2028",
    "\u202e", "é", "😀", "```python\n", "```js\" onload=\"x\n", "x", "alert(1)",
])
MARKDOWN = st.one_of(st.lists(MD_TOKENS, max_size=50).map("".join), st.text(max_size=80))


@fuzz(400)
@given(MARKDOWN)
def test_markdown_output_is_only_markdown(text: str) -> None:
    check_markdown(text)


def test_the_audit_catches_what_it_should() -> None:
    """The checker itself, on HTML the renderer must never produce."""
    for bad in ('<img src=x onerror="x()">', "<script>x</script>", '<a href="javascript:x">',
                '<a href=" JaVa&#x09;script:x">', '<a href="data:text/html,x">',
                '<p onclick="x">', '<td style="background:url(x)">', '<input type="text">'):
        audit = Audit()
        audit.feed(bad)
        assert audit.bad, bad
    for good in ('<a href="https://e.com/a:b">', '<a href="page.html#x:y">', '<a href="a/b:c">',
                 '<a href="mailto:a@b.c">', '<a href="java%09script:x">',
                 "<td style=\"text-align:right\">"):
        audit = Audit()
        audit.feed(good)
        assert audit.bad == [], good


PATHOLOGICAL = [  # 50-250 KB each: linear-time rendering takes well under a second
    ("brackets", "[" * 50_000),
    ("nested links", "[" * 20_000 + "a" + "](b)" * 20_000),
    ("emphasis", "*a _b " * 8_000 + "c_ d*" * 8_000),
    ("backticks", "`a" * 50_000),
    ("angle brackets", "<a" * 50_000),
    ("apostrophes", "don't " * 40_000),  # was 6.5 s: smartquotes is quadratic
    ("blockquotes", "> " * 50_000),
    ("nested lists", "".join("  " * i + "- x\n" for i in range(300))),
    ("wide table", "|a" * 1_000 + "\n" + "|-" * 1_000 + "\n" + ("|b" * 1_000 + "\n") * 40),
    ("reference definitions", "[a]: b\n" * 7_000 + "[a]" * 7_000),
    ("python code", "```python\n" + "x = (" * 20_000 + "\n```"),
]


@pytest.mark.parametrize(("name", "text"), PATHOLOGICAL, ids=[n for n, _ in PATHOLOGICAL])
def test_pathological_markdown_renders_in_bounded_time(name: str, text: str) -> None:
    started = time.process_time()  # CPU time: other work on a shared machine does not count
    render_block(text)
    render_inline(text)
    assert time.process_time() - started < 5, name  # measured: 0.02-1.3 s


# --- atheris, by hand -----------------------------------------------------------------------


def _atheris_main(argv: list[str]) -> None:  # pragma: no cover - run by hand
    import atheris  # type: ignore[import-not-found]

    target = argv[1] if len(argv) > 1 else "yaml"

    def one_input(data: bytes) -> None:
        if target == "yaml":
            check_yaml(data)
        else:
            check_markdown(atheris.FuzzedDataProvider(data).ConsumeUnicodeNoSurrogates(4096))

    atheris.instrument_all()
    atheris.Setup([argv[0], *argv[2:]], one_input)
    atheris.Fuzz()


if __name__ == "__main__":  # pragma: no cover
    if len(sys.argv) < 2 or sys.argv[1] not in ("yaml", "markdown"):
        sys.exit(f"usage: python {sys.argv[0]} yaml|markdown [libFuzzer options] [corpus]")
    _atheris_main(sys.argv)
