"""The archive around the decks (issue 5): people, metrics over time, feed, links."""

from __future__ import annotations

import datetime as dt
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from demodeck.digest import digest
from demodeck.incremental import archive_keys
from demodeck.model import Asset, Deck, Demo, Metric, Person
from tests.conftest import Project

Cap = pytest.CaptureFixture[str]
ATOM = "{http://www.w3.org/2005/Atom}"


def deck(title: str, people: list[str], metrics: str = "", retro: str = "") -> str:
    names = ", ".join(f'"{p}"' for p in people)
    return (f"demos:\n  - title: {title}\n    team: Search\n    people: [{names}]\n"
            "    features: [x]\n    why: y\n    could_be_better: z\n" + metrics + retro)


@pytest.fixture
def weeks(project: Project) -> Project:
    nfc = unicodedata.normalize("NFC", "Zoë Quinn")
    nfd = unicodedata.normalize("NFD", "Zoë Quinn")
    assert nfc != nfd
    project.write("decks/2026-11-23.yaml", deck("Third", [nfc, "נועה לוי"],
                  "metrics: {deployments: 12, p95_latency_ms: 180}\n"))
    project.write("decks/2026-11-16.yaml", deck("Second", [nfd],
                  "metrics: {deployments: 15, bugs_opened: 4}\n",
                  "retro: {actions: [{what: Write the runbook, owner: Ada}]}\n"))
    project.write("decks/2026-11-09.yaml", deck("First", ["zoë quinn", "Ada"],
                  "metrics: {deployments: 10}\n"))
    return project


def page(project: Project, rel: str) -> BeautifulSoup:
    return BeautifulSoup(project.site(rel), "html.parser")


def test_people_are_one_person_however_their_name_was_typed(weeks: Project,
                                                            capsys: Cap) -> None:
    assert weeks.run("build", capsys=capsys).code == 0
    index = page(weeks, "people/index.html")
    items = {" ".join(li.select_one(".person-name").get_text().split()):
             li.select_one(".count").get_text() for li in index.select(".people-item")}
    assert items == {"Zoë Quinn": "3", "Ada": "1", "נועה לוי": "1"}
    zoe = page(weeks, "people/zoe-quinn/index.html")
    links = [a["href"] for a in zoe.select(".appearance h2 a")]
    assert links == ["../../2026-11-23/index.html#third", "../../2026-11-16/index.html#second",
                     "../../2026-11-09/index.html#first"]
    noa = weeks.root / "site/people/נועה-לוי/index.html"
    assert noa.is_file()


def test_metrics_slide_shows_change_and_sparkline(weeks: Project, capsys: Cap) -> None:
    assert weeks.run("build", capsys=capsys).code == 0
    slide = page(weeks, "2026-11-23/index.html").select_one('[data-slide="metrics"]')
    assert slide is not None
    metric = slide.select_one('[data-metric="deployments"]')
    assert metric is not None, slide
    assert metric.select_one(".metric-number").get_text() == "12"
    assert metric.select_one(".metric-delta").get_text(" ", strip=True).startswith("−3")
    assert "metric-delta--neutral" not in str(metric)
    spark = metric.select_one("svg polyline")
    assert spark is not None and len(spark["points"].split()) == 3
    custom = slide.select_one('[data-metric="p95_latency_ms"]')
    assert custom.select_one(".metric-label").get_text() == "P95 latency"
    assert custom.select_one(".metric-value").get_text() == "180 ms"
    assert custom.select_one("svg") is None  # one value: nothing to draw a line through


def test_metrics_page_charts_every_metric_with_a_table(weeks: Project, capsys: Cap) -> None:
    assert weeks.run("build", capsys=capsys).code == 0
    metrics = page(weeks, "metrics/index.html")
    series = {s.select_one("h2").get_text(" ", strip=True): s
              for s in metrics.select(".metric-series")}
    assert list(series) == ["Deployments", "Bugs opened", "P95 latency (ms)"]
    deploys = series["Deployments"]
    assert len(deploys.select("svg circle")) == 3
    assert len(deploys.select("svg .chart-line")) == 2
    assert deploys.select_one(".chart-ticks").get_text(" ") == "15 0"  # a count, from zero
    assert deploys.select_one(".chart-latest").get_text() == "12"
    assert deploys.select_one(".chart-note") is None
    latency = series["P95 latency (ms)"]  # one value: shown as a number, not a chart
    assert latency.select_one("svg") is None
    assert latency.select_one(".metric-single").get_text(" ", strip=True).startswith(
        "180\u00a0ms on 2026-11-23")
    rows = [[td.get_text() for td in tr.select("td")] for tr in deploys.select("tbody tr")]
    assert rows == [["2026-11-23", "12"], ["2026-11-16", "15"], ["2026-11-09", "10"]]


def test_previous_retro_actions_come_back_a_week_later(weeks: Project, capsys: Cap) -> None:
    assert weeks.run("build", capsys=capsys).code == 0
    retro = page(weeks, "2026-11-23/index.html").select_one('[data-slide="retro"]')
    followup = retro.select_one(".retro-followup")
    assert followup is not None
    text = " ".join(followup.get_text(" ").split())
    assert "Following up" in text
    assert "Write the runbook" in text and "Ada" in text
    first = page(weeks, "2026-11-09/index.html").select_one('[data-slide="retro"]')
    assert first.select_one(".retro-followup") is None


def test_feed_is_atom(weeks: Project, capsys: Cap) -> None:
    assert weeks.run("build", capsys=capsys).code == 0
    root = ET.fromstring((weeks.root / "site/feed.xml").read_bytes())
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated", "author"):
        assert root.find(f"{ATOM}{name}") is not None, name
    entries = root.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}updated") for e in entries] == [
        "2026-11-23T00:00:00Z", "2026-11-16T00:00:00Z", "2026-11-09T00:00:00Z"]
    for entry in entries:
        assert entry.findtext(f"{ATOM}id", "").startswith("urn:uuid:")
        assert entry.find(f"{ATOM}link").get("href", "").endswith("/index.html")
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert len(set(ids)) == 3


def test_base_url_makes_feed_and_canonical_links_absolute(weeks: Project,
                                                          capsys: Cap) -> None:
    result = weeks.run("build", "--base-url", "https://intra.example.com/demos", capsys=capsys)
    assert result.code == 0
    root = ET.fromstring((weeks.root / "site/feed.xml").read_bytes())
    assert root.findtext(f"{ATOM}id") == "https://intra.example.com/demos/feed.xml"
    entry = root.find(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}id") == "https://intra.example.com/demos/2026-11-23/"
    deck_page = page(weeks, "2026-11-23/index.html")
    assert deck_page.select_one('link[rel="canonical"]')["href"] == (
        "https://intra.example.com/demos/2026-11-23/")
    assert deck_page.select_one('a[href="../index.html"]') is not None  # nav stays relative


def test_broken_internal_link_fails_the_build(project: Project, capsys: Cap) -> None:
    assert project.run("build", capsys=capsys).code == 0
    before = (project.root / "site/index.html").read_bytes()
    project.write("templates/index.html", '{% extends "!theme/index.html" %}'
                  '{% block body %}<a href="2026-01-01/index.html">old</a>'
                  '<a href="2026-11-23/index.html#nope">x</a>{% endblock %}')
    result = project.run("build", capsys=capsys)
    assert result.code == 1
    assert result.err.splitlines()[:2] == [  # at the template's line, not the site's page
        "templates/index.html:1:59: broken link '2026-01-01/index.html' on the page of "
        "index.html: no file 2026-01-01/index.html in the site",
        "templates/index.html:1:98: broken link '2026-11-23/index.html#nope' on the page "
        "of index.html: no element with id 'nope' in 2026-11-23/index.html"]
    assert (project.root / "site/index.html").read_bytes() == before


def test_links_to_people_are_escaped_and_match_how_each_name_was_written(
        project: Project, capsys: Cap) -> None:
    """Names written two ways ("Bob", "bob") are one person: both link to the one page,
    each shown as written; a name with markup in it is text."""
    project.write("decks/2026-11-23.yaml",
                  deck("Both", ["<b>Ann</b> & Co", "Bob", "bob"]) + deck("Again", ["Bob"])[6:])
    assert project.run("build", capsys=capsys).code == 0
    ann = ('<a href="{root}people/b-ann-b-co/index.html" dir="auto">'
           "&lt;b&gt;Ann&lt;/b&gt; &amp; Co</a>")
    bob = '<a href="{root}people/bob/index.html" dir="auto">Bob</a>'
    lower = '<a href="{root}people/bob/index.html" dir="auto">bob</a>'
    index = project.site("index.html")
    assert f"{ann}, {bob}, {lower}".format(root="") in index
    assert bob.format(root="") + "</span></span></li>" in index  # alone in "Again"
    assert (f"<span>with {bob}, {lower}</span>".format(root="../../")
            in project.site("people/b-ann-b-co/index.html"))
    bobs = project.site("people/bob/index.html")
    # listed twice in a demo, he appears twice, each time with everyone but himself
    assert bobs.count('<li class="appearance">') == 3
    assert bobs.count(f"<span>with {ann}</span>".format(root="../../")) == 2


def test_a_decks_part_of_the_archive_keys_sums_up_each_persons_demos() -> None:
    """Someone in two demos of a deck, listed twice in one: one part for them, counting
    every listing, their teams once each, the face they were first written with, the first
    picture they gave, and everyone they demoed with once each (not themselves)."""
    picture = Asset(Path("/p/ann.png"), "ann.png")
    first = Demo("one", "One", (Person("Ann", "Lead"), Person("Bob"), Person("ann")), (),
                 "w", "c", team="Search")
    second = Demo("two", "Two", (Person("Cy"), Person("ANN", avatar=picture), Person("bob")),
                  (), "w", "c", team="Search", minutes=5)
    deck = Deck(dt.date(2026, 11, 23), "Deck", (first, second))

    def image_path(asset: Asset) -> str:
        return f"assets/img/{asset.rel}"

    part = archive_keys.deck_shown(deck, image_path)
    one, two = (digest("2026-11-23", archive_keys.demo_shown(demo, image_path))
                for demo in (first, second))
    rows = f"\n{one} 'Lead'\n{one} None\n{two} None"
    assert list(part.people) == ["ann", "bob", "cy"]
    # ``others`` lists everyone in their demos, them too: summed up, they are left out
    assert part.people["ann"] == (rows, 3, ("Search",), ("Ann", "Lead", None),
                                  ("ANN", None, "assets/img/ann.png"), ("ann", "bob", "cy"))
    assert part.people["cy"] == (f"\n{two} None", 1, ("Search",),
                                 ("Cy", None, None), None, ("cy", "ann", "bob"))
    assert part.people["bob"][1:] == (2, ("Search",), ("Bob", None, None), None,
                                      ("ann", "bob", "cy"))
    assert "'assets/img/ann.png'" in archive_keys.demo_shown(second, image_path)
    assert "('Cy', None, None)" in archive_keys.demo_shown(second, image_path)
    keys = archive_keys.from_parts([deck], [part], precise=True)
    assert keys.persons["ann"].endswith(":[('bob', 'bob'), ('cy', 'cy')]")


def test_a_decks_brief_changes_whenever_its_part_of_the_archive_keys_does() -> None:
    """Any change to what a deck's part holds (a name, a role, a picture, a team, a title,
    who is in which demo, a metric, the date) gives another brief; equal parts, one."""
    ann, bob = Person("Ann", "Lead"), Person("Bob")
    shot = Asset(Path("/p/ann.png"), "ann.png")

    def deck_of(*demos: Demo, day: int = 23, title: str = "Deck") -> Deck:
        return Deck(dt.date(2026, 11, day), title, demos)

    def demo(*people_: Person, team: str | None = "Search", title: str = "One") -> Demo:
        return Demo("one", title, people_, (), "w", "c", team=team)

    base = deck_of(demo(ann, bob), demo(bob, team=None, title="Two"))
    variants = [
        base, deck_of(demo(ann, bob), demo(bob, team=None, title="Two")),  # equal to base
        deck_of(demo(Person("Ann"), bob), demo(bob, team=None, title="Two")),
        deck_of(demo(Person("ann", "Lead"), bob), demo(bob, team=None, title="Two")),
        deck_of(demo(Person("Ann", "Lead", shot), bob), demo(bob, team=None, title="Two")),
        deck_of(demo(ann, bob), demo(bob, team="Core", title="Two")),
        deck_of(demo(ann, bob), demo(ann, team=None, title="Two")),
        deck_of(demo(bob, ann), demo(bob, team=None, title="Two")),
        deck_of(demo(ann, bob), demo(bob, team=None, title="Three")),
        deck_of(demo(ann, bob), demo(bob, team=None, title="Two"), day=16),
        deck_of(demo(ann, bob), demo(bob, team=None, title="Two"), title="Other"),
        Deck(base.date, base.title, base.demos, metrics=(Metric("bugs", 3),)),
    ]
    parts = [archive_keys.deck_shown(d, lambda a: f"assets/{a.rel}") for d in variants]
    for a in parts:
        for b in parts:
            assert (archive_keys.brief(a) == archive_keys.brief(b)) == (a == b)
    assert parts[0] == parts[1] and len({repr(p) for p in parts}) == len(parts) - 1


def test_person_links_takes_any_iterable(project: Project, capsys: Cap) -> None:
    """A template may hand person_links what a filter yields (an iterator, read once)."""
    project.write("decks/2026-11-23.yaml", deck("Both", ["Ann", "Bob", "Cy"]))
    project.write("templates/index.html", '{% extends "!theme/index.html" %}'
                  '{% block content %}<p id="t">{{ person_links(decks[0].demos[0].people'
                  '|rejectattr("name", "eq", "Bob")) }}</p>{{ super() }}{% endblock %}')
    assert project.run("build", capsys=capsys).code == 0
    assert page(project, "index.html").find(id="t").decode_contents() == (
        '<a dir="auto" href="people/ann/index.html">Ann</a>, '
        '<a dir="auto" href="people/cy/index.html">Cy</a>')
