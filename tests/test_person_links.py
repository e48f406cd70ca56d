"""A link a person writes is theirs; `check` warns about slips; `check` and `build` agree."""

from __future__ import annotations

import re

import pytest

from demodeck.userlinks import worth_a_look
from tests.conftest import MINIMAL_DECK, Project

DECK = "decks/2026-11-23.yaml"


def with_why(text: str) -> str:
    return MINIMAL_DECK.replace("12% of searches had a typo. See [the RFC](https://example.com/rfc/42).",
                                text)


def with_links(*urls: str) -> str:
    links = "".join(f"      - {{label: L{i}, url: {url!r}}}\n" for i, url in enumerate(urls))
    return MINIMAL_DECK.replace("    minutes: 5\n", f"    minutes: 5\n    links:\n{links}")


def test_a_link_to_another_app_on_the_same_host_or_beside_the_site_builds(
        project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    project.write(DECK, with_links("/grafana/d/123", "../wiki/Search").replace(
        "12% of searches had a typo.",
        "See [Grafana](/grafana/d/123), [the wiki](../wiki/Search)."))
    result = project.run("build", capsys=capsys)
    assert result.code == 0, result.err
    page = project.site("2026-11-23/index.html")
    assert 'href="/grafana/d/123" data-user-link' in page
    assert '<a href="../wiki/Search" data-user-link="">the wiki</a>' in page
    assert project.run("check", capsys=capsys).err == ""  # nothing to warn about


def test_check_warns_about_an_address_without_its_scheme_with_the_fix(
        project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    project.write(DECK, with_links("www.example.com/dash").replace(
        "12% of searches had a typo.", "12% had a typo.\n      See [dash](grafana.corp/d/1)."))
    result = project.run("check", capsys=capsys)
    assert result.code == 0
    assert result.err.splitlines() == [
        "decks/2026-11-23.yaml:12:18: warning: demos[0].why: 'grafana.corp/d/1' has no scheme, "
        "so it is read as a file of the site; did you mean https://grafana.corp/d/1?",
        "decks/2026-11-23.yaml:17:26: warning: demos[0].links[0].url: 'www.example.com/dash' "
        "has no scheme, so it is read as a file of the site; "
        "did you mean https://www.example.com/dash?"]
    assert "1 deck, 5 slides, 2 warnings" in result.out


def test_check_warns_about_a_relative_markdown_file_and_a_fragment_naming_no_slide(
        project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    project.write(DECK, with_why("Read [setup](../docs/setup.md), then [checkout](#faster-checkout)"
                                 " and [this](#nowhere)."))
    result = project.run("check", capsys=capsys)
    assert result.code == 0
    assert result.err.splitlines() == [
        "decks/2026-11-23.yaml:11:20: warning: demos[0].why: '../docs/setup.md' links to a "
        "Markdown file, which the site does not publish; link to where it is published "
        "(its https:// address)",
        "decks/2026-11-23.yaml:11:84: warning: demos[0].why: '#nowhere' names no slide of this "
        "deck; its slides are #title, #search-v2, #faster-checkout, #retro, #thanks"]
    assert project.run("build", capsys=capsys).code == 0  # a warning, not a failed build


BROKEN = {
    "a person's root-relative link": with_links("/grafana/d/123"),
    "a person's link beside the site": with_why("See [the wiki](../wiki/Search)."),
    "a person's link to a deck that is gone": with_why(
        "As [last time](../2026-01-05/index.html#x)."),
    "a fragment naming no slide": with_why("See [below](#nowhere)."),
    "a Markdown file": with_links("notes.md"),
    "a script link": with_links("javascript:alert(1)"),
    "a missing field": MINIMAL_DECK.replace("    why: Checkout took 9 steps.\n", ""),
    "a missing image": MINIMAL_DECK.replace(
        "    minutes: 5\n", "    minutes: 5\n    screenshot: {src: gone.png, alt: x}\n"),
    "a wrong type": MINIMAL_DECK.replace("minutes: 5", "minutes: five"),
}


@pytest.mark.parametrize("text", BROKEN.values(), ids=BROKEN.keys())
def test_whatever_fails_the_build_fails_the_check_at_the_decks_line(
        project: Project, text: str, capsys: pytest.CaptureFixture[str]) -> None:
    project.write(DECK, text)
    check = project.run("check", capsys=capsys)
    build = project.run("build", capsys=capsys)
    assert "site/" not in check.err + build.err
    if build.code:
        assert check.code == 1
        assert re.search(r"^decks/2026-11-23\.yaml:\d+:\d+: ", check.err, re.MULTILINE)
        assert re.search(r"^decks/2026-11-23\.yaml:\d+:\d+: ", build.err, re.MULTILINE)


@pytest.mark.parametrize("written", [
    b'url: "https://x.example/a"', b"url: 'mailto:a@example.com'", b"url:   https://x",
    b"[a](https://x.example)", b"[a](<https://x.example>)", b"[a](  mailto:a@b.c)",
])
def test_a_file_whose_every_link_has_its_scheme_is_not_looked_into(written: bytes) -> None:
    assert not worth_a_look(b"demos:\n  - links:\n      - label: a\n        " + written)


@pytest.mark.parametrize("written", [
    b'url: "docs/x"', b"url: www.example.com", b"url:\n  docs/x", b"[a](#retro)",
    b"[a](notes.md)", b"[a]: notes.md", b"[a](<docs/x>)", b"URL: docs/x", b"[a]( docs/x)",
])
def test_a_file_with_a_link_that_may_be_a_slip_is_looked_into(written: bytes) -> None:
    assert worth_a_look(written)
