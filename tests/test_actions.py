"""Retro actions followed until done (issue 23.1): ids, retro.done and retro.dropped.

An action stays on every later retrospective, with its age, until a later deck closes
it; a reference that closes nothing is an error at its place, with a did-you-mean; the
archive lists every action, and a person's page their open ones.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from bs4 import BeautifulSoup, Tag

from demodeck import actions
from demodeck.build import build
from demodeck.config import load_config
from demodeck.decks import validate_all
from demodeck.incremental.cache import BuildCache
from demodeck.schema import json_schema
from tests.conftest import Project

Cap = pytest.CaptureFixture[str]


def deck(title: str, person: str = "Ada Lovelace", retro: str = "") -> str:
    """A one-demo deck whose ``retro:`` block is ``retro`` (lines indented by two)."""
    return (f"demos:\n  - title: {title}\n    people: [{person}]\n    features: [x]\n"
            f"    why: y\n    could_be_better: z\n" + (f"retro:\n{retro}" if retro else ""))


def text(node: Tag | None) -> str:
    assert node is not None
    return " ".join(node.get_text(" ").split())


def follow_up(project: Project, day: str) -> list[str]:
    """The items of a deck's follow-up card, as read: the action, owner and status."""
    page = BeautifulSoup(project.site(f"{day}/index.html"), "html.parser")
    card = page.select_one(".card--followup")
    return [] if card is None else [text(li) for li in card.select("li")]


@pytest.fixture
def month(project: Project) -> Project:
    """Four weekly decks: two actions said in the first; the third closes one by id, the
    fourth drops the other by its text, typed in other case and spacing."""
    project.write("decks/2026-11-02.yaml", deck("One", retro=(
        "  actions:\n"
        "    - {id: flaky-ci, what: Quarantine the flaky CI job, owner: Grace Hopper}\n"
        "    - Write the <b>release</b> runbook\n")))
    project.write("decks/2026-11-09.yaml", deck("Two", person="Grace Hopper"))
    project.write("decks/2026-11-16.yaml", deck("Three", retro="  done: [flaky-ci]\n"))
    project.write("decks/2026-11-23.yaml", deck("Four", retro=(
        "  dropped: ['write the <b>RELEASE</b>   runbook']\n")))
    return project


def test_an_action_comes_back_week_after_week_with_its_age_until_closed(
        month: Project, capsys: Cap) -> None:
    assert month.run("build", capsys=capsys).code == 0
    assert follow_up(month, "2026-11-02") == []
    assert follow_up(month, "2026-11-09") == [
        "Quarantine the flaky CI job Owner: Grace Hopper Open for 1 week",
        "Write the <b>release</b> runbook Open for 1 week"]
    assert follow_up(month, "2026-11-16") == [
        "Write the <b>release</b> runbook Open for 2 weeks",
        "Quarantine the flaky CI job Owner: Grace Hopper done"]
    assert follow_up(month, "2026-11-23") == ["Write the <b>release</b> runbook dropped"]
    page = BeautifulSoup(month.site("2026-11-16/index.html"), "html.parser")
    done = page.select(".card--followup li")[1]
    assert done["class"] == ["is-done"]
    assert done.select_one(".action-status--done") is not None
    assert "<b>" not in str(done) or "&lt;b&gt;" in str(done)


def test_the_ledger_knows_what_each_deck_follows_up_and_how_each_action_ended(
        month: Project) -> None:
    decks = validate_all(load_config(month.root))
    ledger = actions.follow(decks)
    by_deck = {d.slug: [(f.action.what, f.days, f.status) for f in cards]
               for d, cards in zip(decks, ledger.follow_ups, strict=True)}
    runbook = "Write the <b>release</b> runbook"
    assert by_deck["2026-11-23"] == [(runbook, 21, "dropped")]
    assert by_deck["2026-11-16"] == [(runbook, 14, "open"),
                                     ("Quarantine the flaky CI job", 14, "done")]
    assert [(t.action.id, t.closed.how if t.closed else None,
             t.closed.on.isoformat() if t.closed else None) for t in ledger.actions] == [
        ("flaky-ci", "done", "2026-11-16"), (None, "dropped", "2026-11-23")]
    assert ledger.open == () and actions.age(1) == "1 day" and actions.age(20) == "2 weeks"


def test_a_reference_that_matches_no_open_action_is_placed_with_a_did_you_mean(
        month: Project, capsys: Cap) -> None:
    month.write("decks/2026-11-16.yaml", deck("Three", retro="  done: [flaky-cl]\n"))
    result = month.run("build", capsys=capsys)
    assert result.code == 1
    assert ("decks/2026-11-16.yaml:8:10: retro.done[0]: 'flaky-cl' matches no open action; "
            "did you mean 'flaky-ci'?") in result.err.splitlines()
    assert not (month.root / "site").exists()
    checked = month.run("check", capsys=capsys)
    assert checked.code == 1 and "'flaky-cl' matches no open action" in checked.err


def test_every_mistake_with_actions_is_reported_at_once(month: Project, capsys: Cap) -> None:
    """A duplicate id names the other place; closing an action closed already names the
    deck that closed it; an action cannot be closed by the deck that says it."""
    month.write("decks/2026-11-09.yaml", deck("Two", retro=(
        "  actions:\n"
        "    - {id: own, what: Our own}\n"
        "    - {what: Again, id: flaky-ci}\n"
        "  done: [own]\n")))
    month.write("decks/2026-11-16.yaml", deck("Three", retro=(
        "  done: [flaky-ci]\n"
        "  dropped:\n    - Write the <b>release</b> runbook\n")))
    result = month.run("check", capsys=capsys)
    assert result.code == 1
    lines = result.err.splitlines()
    assert ("decks/2026-11-09.yaml:10:25: retro.actions[1].id: the id 'flaky-ci' is already "
            "used by the action at decks/2026-11-02.yaml:9:12; give each action its own"
            ) in lines
    assert ("decks/2026-11-09.yaml:11:10: retro.done[0]: 'own' is an action of this deck: a "
            "later deck closes it, once it is done or dropped") in lines
    assert ("decks/2026-11-23.yaml:8:13: retro.dropped[0]: 'write the <b>RELEASE</b>   "
            "runbook' is closed already: dropped in the deck of 2026-11-16") in lines
    assert lines[-1].startswith("error: 3 problems found")


def test_the_same_action_closed_twice_by_one_deck_is_an_error(month: Project,
                                                              capsys: Cap) -> None:
    month.write("decks/2026-11-16.yaml", deck("Three", retro=(
        "  done: [flaky-ci]\n  dropped: [Quarantine the flaky CI job]\n")))
    result = month.run("build", capsys=capsys)
    assert result.code == 1
    assert ("decks/2026-11-16.yaml:9:13: retro.dropped[0]: 'Quarantine the flaky CI job' is "
            "closed twice by this deck (done and dropped); name it once") in result.err


def test_an_action_id_is_a_short_name(project: Project, capsys: Cap) -> None:
    project.write("decks/2026-11-16.yaml", deck("Three", retro=(
        "  actions: [{id: Flaky CI!, what: x}]\n")))
    result = project.run("check", capsys=capsys)
    assert result.code == 1
    assert ("decks/2026-11-16.yaml:8:18: retro.actions[0].id: 'Flaky CI!' is not a short "
            "name: use lowercase letters, digits and '-', up to 40 characters (did you mean "
            "'flaky-ci'?)") in result.err


def test_a_reference_is_not_blamed_while_another_deck_is_broken(month: Project,
                                                                capsys: Cap) -> None:
    """The action it names may be in the deck that did not validate: only that deck's
    problem is reported until it is fixed."""
    month.write("decks/2026-11-02.yaml", deck("One", retro=(
        "  actions: [{id: flaky-ci, what: Quarantine the flaky CI job, owner: [x]}]\n")))
    result = month.run("check", capsys=capsys)
    assert result.code == 1
    assert "retro.actions[0].owner" in result.err and "matches no open" not in result.err


def test_the_actions_page_lists_open_then_closed_actions_linked_to_their_decks(
        month: Project, capsys: Cap) -> None:
    month.write("decks/2026-11-23.yaml", deck("Four", retro=(
        "  actions: [{id: docs, what: 'Document *the* <script>x()</script> flow', "
        "owner: Grace Hopper}, {what: Pair more, owner: Nobody Who Demoed}]\n")))
    assert month.run("build", capsys=capsys).code == 0
    page = BeautifulSoup(month.site("actions/index.html"), "html.parser")
    assert page.select_one('.archive-nav a[aria-current="page"]').get_text() == "Actions"
    assert text(page.select_one(".masthead-meta")) == (
        "3 open · 1 closed · as of Monday 23 November 2026")
    still, closed = page.select(".action-group")
    assert [text(li) for li in still.select("li")] == [
        "Write the <b>release</b> runbook from Monday 2 November 2026 open for 3 weeks",
        "Document the <script>x()</script> flow Grace Hopper from Monday 23 November 2026 new",
        "Pair more Nobody Who Demoed from Monday 23 November 2026 new"]
    assert page.select_one("script:-soup-contains('x()')") is None
    assert still.select_one("li em").get_text() == "the"
    owners = {a.get_text(): a["href"] for a in still.select(".action-owner a")}
    assert owners == {"Grace Hopper": "../people/grace-hopper/index.html"}
    assert [a["href"] for a in still.select("li")[0].select("a")] == [
        "../2026-11-02/index.html#retro"]
    done = closed.select_one("li")
    assert text(done) == ("Quarantine the flaky CI job Grace Hopper from Monday 2 November "
                          "2026 done on Monday 16 November 2026")
    assert [a["href"] for a in done.select("a")] == [
        "../people/grace-hopper/index.html", "../2026-11-02/index.html#retro",
        "../2026-11-16/index.html#retro"]
    index = BeautifulSoup(month.site("index.html"), "html.parser")
    assert "actions/index.html" in [a["href"] for a in index.select(".archive-nav a")]


def test_an_archive_older_than_following_actions_shows_its_old_ones_once(
        project: Project, capsys: Cap) -> None:
    # follow_actions_from: decks before it said their actions for the week after only,
    # so upgrading an old archive does not bring back every action it ever had
    project.write("demodeck.yaml", "follow_actions_from: 2026-11-09\n")
    project.write("decks/2026-11-02.yaml", deck("One", retro=(
        "  actions: [Rotate the demo host, {what: Old promise, owner: Grace Hopper}]\n")))
    project.write("decks/2026-11-09.yaml", deck("Two", person="Grace Hopper", retro=(
        "  actions: [{id: load-test, what: Book the load test, owner: Grace Hopper}]\n")))
    project.write("decks/2026-11-16.yaml", deck("Three"))
    project.write("decks/2026-11-23.yaml", deck("Four", retro="  done: [load-test]\n"))
    assert project.run("build", capsys=capsys).code == 0
    assert follow_up(project, "2026-11-09") == [
        "Rotate the demo host Open for 1 week",
        "Old promise Owner: Grace Hopper Open for 1 week"]
    assert follow_up(project, "2026-11-16") == [
        "Book the load test Owner: Grace Hopper Open for 1 week"]
    assert follow_up(project, "2026-11-23") == [
        "Book the load test Owner: Grace Hopper done"]
    page = BeautifulSoup(project.site("actions/index.html"), "html.parser")
    assert "Old promise" not in page.get_text() and "Book the load test" in page.get_text()
    person = BeautifulSoup(project.site("people/grace-hopper/index.html"), "html.parser")
    assert "Old promise" not in person.get_text()
    project.write("decks/2026-11-16.yaml", deck("Three", retro="  done: [Old promise]\n"))
    result = project.run("check", capsys=capsys)
    assert result.code == 1 and ("decks/2026-11-16.yaml:8:10: retro.done[0]: 'Old promise' "
                                 "matches no open action") in result.err


def test_a_persons_page_lists_the_actions_they_still_own(month: Project, capsys: Cap) -> None:
    month.write("decks/2026-11-16.yaml", deck("Three", retro=(
        "  actions: [{what: Book the load test, owner: grace  HOPPER}]\n")))
    assert month.run("build", capsys=capsys).code == 0
    grace = BeautifulSoup(month.site("people/grace-hopper/index.html"), "html.parser")
    section = grace.select_one(".action-group")
    assert text(section.select_one("h2")) == "Open actions"
    assert [text(li) for li in section.select("li")] == [
        "Quarantine the flaky CI job from Monday 2 November 2026 open for 3 weeks",
        "Book the load test from Monday 16 November 2026 open for 1 week"]
    assert section.select_one("a")["href"] == "../../2026-11-02/index.html#retro"
    ada = BeautifulSoup(month.site("people/ada-lovelace/index.html"), "html.parser")
    assert ada.select_one(".action-group") is None


def test_too_many_open_actions_for_a_slide_are_a_warning_that_says_how_to_close_them(
        project: Project, capsys: Cap) -> None:
    many = "".join(f"    - {{what: Follow up on the long-running item number {n} of the "
                   f"quarter, owner: Grace Hopper}}\n" for n in range(30))
    project.write("decks/2026-11-16.yaml", deck("Three", retro="  actions:\n" + many))
    result = project.run("check", capsys=capsys)
    assert result.code == 0
    # the deck after them has no retro of its own: the warning names its file
    assert ("decks/2026-11-23.yaml: warning: the follow-up of earlier decks' open actions "
            "has more text than fits on a slide of the retrospective even at half size, so "
            "the slide will scroll; close those done or given up (retro.done, retro.dropped)"
            ) in result.err.splitlines()


def test_the_json_schema_takes_ids_and_closing_references() -> None:
    schema = json_schema("deck")
    demo = {"title": "t", "people": ["a"], "features": ["f"], "why": "w",
            "could_be_better": "c"}
    good = {"demos": [demo], "retro": {"actions": [{"id": "flaky-ci", "what": "x"}, "y"],
                                       "done": ["flaky-ci"], "dropped": ["y"]}}
    jsonschema.validate(good, schema)
    for bad_id in ("Flaky CI", "-x", "a" * 41):
        bad = json.loads(json.dumps(good))
        bad["retro"]["actions"][0]["id"] = bad_id
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)
    retro = schema["properties"]["retro"]["properties"]
    assert "id, or its text" in retro["done"]["description"]


def test_a_cached_rebuild_forgets_the_warning_once_an_older_deck_closes_the_actions(
        project: Project, tmp_path: Path) -> None:
    """Warnings are kept per deck, keyed on the actions each deck follows up: when the
    deck between drops them, the newest deck's warning goes, as in a cold build."""
    many = [f"Follow up on the long-running item number {n} of the quarter" for n in range(30)]
    project.write("decks/2026-11-09.yaml", deck("One", retro="  actions:\n" + "".join(
        f"    - {what}\n" for what in many)))
    project.write("decks/2026-11-16.yaml", deck("Two"))
    site, cache = load_config(project.root), tmp_path / "cache.pickle"
    first = build(site, cache=BuildCache(cache))
    crowded = [w for w in first.warnings if "open actions" in w]
    assert [w.split(":")[0] for w in crowded] == ["decks/2026-11-16.yaml",
                                                  "decks/2026-11-23.yaml"]
    project.write("decks/2026-11-16.yaml", deck("Two", retro="  dropped:\n" + "".join(
        f"    - {what}\n" for what in many)))
    again = build(site, cache=BuildCache(cache))
    # the deck that drops them shows them once more, as dropped; the newest, no more
    assert [w.split(":")[0] for w in again.warnings if "open actions" in w] == [
        "decks/2026-11-16.yaml"]
    assert again.warnings == build(site, out=tmp_path / "cold").warnings
