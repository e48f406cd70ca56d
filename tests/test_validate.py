"""validate.py, through `demodeck check`: every content error a user can make, all at once."""

from __future__ import annotations

import pickle
import typing
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from demodeck import decks, load, model, schema, validate
from tests.conftest import Project

fuzz_settings = settings(max_examples=300, deadline=None,
                         suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                HealthCheck.too_slow])

CheckFn = pytest.CaptureFixture[str]


def check(project: Project, capsys: CheckFn) -> list[str]:
    result = project.run("check", capsys=capsys)
    lines = result.err.splitlines()
    assert result.code == (1 if lines else 0), result
    return lines[:-1] if lines else []


def test_valid_deck_passes(project: Project, capsys: CheckFn) -> None:
    result = project.run("check", capsys=capsys)
    assert result.code == 0
    assert result.out == "OK: 1 deck, 5 slides, no problems\n"


def test_missing_required_field_points_at_the_demo(project: Project, capsys: CheckFn) -> None:
    project.write("decks/2026-11-23.yaml", """\
        demos:
          - title: A
            people: [Ada]
            features: [x]
            could_be_better: y
          - title: B
            people: [Ada]
            features: [x]
            why: z
            could_be_better: y
          - title: C
            people: [Ada]
            features: [x]
            could_be_better: y
        """)
    assert check(project, capsys) == [
        "decks/2026-11-23.yaml:2:5: demos[0]: missing required field 'why'",
        "decks/2026-11-23.yaml:11:5: demos[2]: missing required field 'why'",
    ]


def test_unknown_key_suggests_the_right_one(project: Project, capsys: CheckFn) -> None:
    text = (project.root / "decks/2026-11-23.yaml").read_text()
    project.write("decks/2026-11-23.yaml",
                  text.replace("    could_be_better: Load", "    could_be_beter: Load"))
    assert check(project, capsys) == [
        "decks/2026-11-23.yaml:19:5: demos[1].could_be_beter: unknown field 'could_be_beter' "
        "(did you mean 'could_be_better'?)",
        "decks/2026-11-23.yaml:15:5: demos[1]: missing required field 'could_be_better'",
    ][::-1]


def test_wrong_types_say_what_was_expected(project: Project, capsys: CheckFn) -> None:
    project.write("decks/2026-11-23.yaml", """\
        hosts: 7
        demos:
          - title: 2026
            people: Ada
            features: [x]
            why: z
            could_be_better: y
            minutes: five
        """)
    assert check(project, capsys) == [
        "decks/2026-11-23.yaml:1:8: hosts: expected a list, got a number (7); "
        "write it as a list, one '- item' per line",
        "decks/2026-11-23.yaml:3:12: demos[0].title: expected text, got a number (2026); "
        "put it in quotes to make it text",
        "decks/2026-11-23.yaml:4:13: demos[0].people: expected a list, got text; "
        "write it as a list, one '- item' per line",
        "decks/2026-11-23.yaml:8:14: demos[0].minutes: expected a whole number, got text",
    ]


def test_every_kind_of_field_refuses_a_value_of_the_wrong_kind(project: Project,
                                                                 capsys: CheckFn) -> None:
    project.write("decks/2026-11-23.yaml", """\
        date: [2026]
        title: {a: 1}
        sprint_goals: ["  "]
        metrics: {deployments: lots, bad-name: 1}
        retro: [x]
        demos:
          - title: A
            people: [{name: [Ada]}]
            features: [x]
            why: z
            could_be_better: y
            minutes: 0
            links: [{label: L, url: {u: 1}}, {label: M, url: "javascript:x"}]
            screenshot: {src: 3, alt: "a\\0"}
        experiments:
          - {experiment: e, hypothesis: h, result: r, outcome: sucess}
        """)
    assert check(project, capsys) == [
        "decks/2026-11-23.yaml:1:7: date: expected a date (YYYY-MM-DD), got a list",
        "decks/2026-11-23.yaml:2:8: title: expected text, got a mapping",
        "decks/2026-11-23.yaml:3:16: sprint_goals[0]: must not be empty",
        "decks/2026-11-23.yaml:4:24: metrics.deployments: expected a number, got text",
        "decks/2026-11-23.yaml:4:30: metrics.bad-name: names may use letters, digits, spaces and _",
        "decks/2026-11-23.yaml:5:8: retro: expected a mapping, got a list",
        "decks/2026-11-23.yaml:8:21: demos[0].people[0].name: expected text, got a list",
        "decks/2026-11-23.yaml:12:14: demos[0].minutes: must be at least 1",
        "decks/2026-11-23.yaml:13:29: demos[0].links[0].url: expected a URL, got a mapping",
        "decks/2026-11-23.yaml:13:54: demos[0].links[1].url: only http(s), mailto and relative "
        "links are allowed",
        "decks/2026-11-23.yaml:14:23: demos[0].screenshot.src: expected an image path, got a "
        "number (3)",
        "decks/2026-11-23.yaml:14:31: demos[0].screenshot.alt: contains the control character "
        "U+0000, which a page cannot show; remove it",
        "decks/2026-11-23.yaml:16:56: experiments[0].outcome: 'sucess' is not one of: success, "
        "mixed, failed (did you mean 'success'?)",
    ]


def test_every_kind_of_spec_has_a_checker() -> None:
    assert set(validate._CHECKS) == set(typing.get_args(schema.Spec))


def test_empty_demos(project: Project, capsys: CheckFn) -> None:
    project.write("decks/2026-11-23.yaml", "title: Nothing yet\ndemos: []\n")
    assert check(project, capsys) == [
        "decks/2026-11-23.yaml:2:8: demos: is empty; list at least one item"]


def test_date_must_match_file_name(project: Project, capsys: CheckFn) -> None:
    text = (project.root / "decks/2026-11-23.yaml").read_text()
    project.write("decks/2026-11-23.yaml", "date: 2026-11-16\n" + text)
    assert check(project, capsys) == [
        "decks/2026-11-23.yaml:1:7: date: the date 2026-11-16 does not match the file name "
        "(2026-11-23); make them agree"]


def test_two_decks_with_the_same_date(project: Project, capsys: CheckFn) -> None:
    text = (project.root / "decks/2026-11-23.yaml").read_text()
    project.write("decks/2026-11-23.yml", text)
    assert check(project, capsys) == [
        "decks/2026-11-23.yml: two decks have the date 2026-11-23: decks/2026-11-23.yaml and "
        "decks/2026-11-23.yml; keep one"]


def test_misnamed_deck_file(project: Project, capsys: CheckFn) -> None:
    project.write("decks/2026-11-3.yaml", "demos: []\n")
    assert check(project, capsys) == [
        "decks/2026-11-3.yaml: a deck file must be named after its date, YYYY-MM-DD.yaml "
        "(or be a YYYY-MM-DD/ folder)"]


def test_images_must_exist_and_stay_inside(project: Project, capsys: CheckFn) -> None:
    project.write_bytes("outside.png", b"\x89PNG")  # inside the tmp dir, outside the project
    (project.root.parent / "outside.png").write_bytes(b"\x89PNG")
    project.write("decks/2026-11-23.yaml", """\
        demos:
          - title: A
            people:
              - {name: Ada, avatar: images/nope.png}
              - {name: Bob, avatar: ../../outside.png}
              - {name: Cy, avatar: /etc/passwd}
            features: [x]
            why: z
            could_be_better: y
            screenshot: {src: ../outside.png}
        """)
    assert check(project, capsys) == [
        "decks/2026-11-23.yaml:4:29: demos[0].people[0].avatar: image 'images/nope.png' does "
        "not exist (looked for decks/images/nope.png)",
        "decks/2026-11-23.yaml:5:29: demos[0].people[1].avatar: '../../outside.png' points "
        "outside the project; keep images inside the project folder",
        "decks/2026-11-23.yaml:6:28: demos[0].people[2].avatar: use a path relative to this "
        "file, not an absolute path",
        "decks/2026-11-23.yaml:10:17: demos[0].screenshot: missing required field 'alt'",
    ]


def test_symlinked_image_out_of_the_project_is_refused(project: Project,
                                                       capsys: CheckFn) -> None:
    secret = project.root.parent / "secret.png"
    secret.write_bytes(b"\x89PNG")
    (project.root / "decks").joinpath("leak.png").symlink_to(secret)
    text = (project.root / "decks/2026-11-23.yaml").read_text()
    project.write("decks/2026-11-23.yaml", text.replace(
        "    minutes: 5\n", "    minutes: 5\n    screenshot: {src: leak.png, alt: x}\n"))
    assert check(project, capsys) == [
        "decks/2026-11-23.yaml:15:23: demos[0].screenshot.src: 'leak.png' points outside the "
        "project; keep images inside the project folder"]


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JaVaScRiPt:alert(1)",
                                 " java\tscript:alert(1)", "vbscript:x", "data:text/html,x"])
def test_dangerous_link_urls_are_refused(project: Project, capsys: CheckFn, url: str) -> None:
    text = (project.root / "decks/2026-11-23.yaml").read_text()
    link = '    links: [{label: Try, url: "' + url.replace("\t", "\\t") + '"}]\n'
    project.write("decks/2026-11-23.yaml", text.replace("    minutes: 5\n",
                                                        "    minutes: 5\n" + link))
    lines = check(project, capsys)
    assert len(lines) == 1
    assert lines[0].startswith("decks/2026-11-23.yaml:15:31: ")
    assert lines[0].endswith("demos[0].links[0].url: only http(s), mailto and relative links "
                             "are allowed")


def test_every_error_of_every_file_is_reported_at_once(project: Project,
                                                       capsys: CheckFn) -> None:
    project.write("decks/2026-11-16.yaml", "demos:\n\t- title: A\n")
    project.write("decks/2026-11-09.yaml", "title: x\ntitle: y\ndemos: 3\n")
    assert check(project, capsys) == [
        "decks/2026-11-09.yaml:2:1: duplicate key 'title' (first given on line 1); "
        "keep only one",
        "decks/2026-11-09.yaml:3:8: demos: expected a list, got a number (3); "
        "write it as a list, one '- item' per line",
        "decks/2026-11-16.yaml:2:1: a tab character is used here; "
        "YAML indentation must use spaces",
    ]


def test_folder_deck_with_one_file_per_demo(project: Project, capsys: CheckFn) -> None:
    project.write("decks/2026-11-16/deck.yaml", "title: Folder week\nhosts: [Ada]\n")
    project.write("decks/2026-11-16/10-search.yaml", """\
        title: Search
        people: [Ada]
        features: [x]
        why: z
        could_be_better: y
        """)
    project.write("decks/2026-11-16/20-pay.yaml", "title: Pay\npeople: [Bob]\nfeatures: [x]\n"
                  "why: z\n")
    assert check(project, capsys) == [
        "decks/2026-11-16/20-pay.yaml:1:1: missing required field 'could_be_better'"]
    project.write("decks/2026-11-16/20-pay.yaml", "title: Pay\npeople: [Bob]\nfeatures: [x]\n"
                  "why: z\ncould_be_better: q\n")
    result = project.run("check", capsys=capsys)
    assert result.out == "OK: 2 decks, 10 slides, no problems\n"


def test_empty_folder_deck(project: Project, capsys: CheckFn) -> None:
    project.write("decks/2026-11-16/deck.yaml", "title: Folder week\n")
    assert check(project, capsys) == [
        "decks/2026-11-16: this deck folder has no demos; add one YAML file per demo "
        "(or a demos: list in deck.yaml)"]


def test_bad_config_is_reported(project: Project, capsys: CheckFn) -> None:
    project.write("demodeck.yaml", "titel: Our demos\noutput_dir: decks\n")
    assert check(project, capsys) == [
        "demodeck.yaml:1:1: titel: unknown field 'titel' (did you mean 'title'?)",
        "demodeck.yaml:2:13: output_dir: output folder 'decks' would overwrite your decks or "
        "templates; pick an empty folder such as 'site'",
    ]


def test_no_decks(project: Project, capsys: CheckFn) -> None:
    (project.root / "decks/2026-11-23.yaml").unlink()
    assert check(project, capsys) == ["decks: no decks found; create one with `demodeck new`"]


def test_upper_case_extension_is_a_deck(project: Project, capsys: CheckFn) -> None:
    text = (project.root / "decks/2026-11-23.yaml").read_text()
    project.write("decks/2026-11-16.YAML", text)
    assert project.run("check", capsys=capsys).out == "OK: 2 decks, 10 slides, no problems\n"


# -- whole decks through validate_deck: unusual ones, broken ones, mutated ones ------------

BASE_DECK = """\
title: Weekly Demo
date: 2026-11-23
hosts: [Grace Hopper]
sprint_goals: ["Ship **passkeys**"]
demos:
  - title: Search v2
    team: Discovery
    people:
      - Gur Shafriri
      - {name: Ada Lovelace, role: Backend, avatar: images/a.png}
    features: [Typo-tolerant matching]
    why: |
      12% of searches had a typo.
    could_be_better: We shipped late.
    links:
      - {label: RFC, url: "https://example.com/rfc/42"}
    screenshot: {src: images/a.png, alt: The new search page}
    notes: Log in first.
    minutes: 5
metrics:
  deployments: 12
  cycle_time_days: 2.5
experiments:
  - {experiment: Bigger button, hypothesis: More clicks, result: Same, outcome: mixed}
retro:
  went_well: [Pairing]
  could_be_better: [Estimates]
  actions:
    - Write it down
    - {what: Book a room, owner: Ada}
"""

# Values that are legal somewhere, illegal elsewhere, or legal YAML the fast path gives up on.
TRICKY = ["", "~", "null", "0", "-1", "7", "1.5", ".nan", ".inf", "0x1F", "1_000", "yes",
          "true", "2026-11-23", "'2026-11-23'", "2026-11-30", "2026-02-30", "2026-11-23 10:00",
          "[]", "{}", "[a]", "[a, b]", "{a: b}", "{name: Ada}", "!!str 5", "! 5", "!!int '5'",
          "!!binary aGk=", "!custom x", '"\\0x"', '"\\e"', '"a\\tb"', "'  '", "&x Ada", "*x",
          "&y [Ada]", "*y", "javascript:alert(1)", "mailto:a@b.c", "success", "failed",
          "images/a.png", "images/missing.png", "../outside.png", "/abs.png", '"Zoë"',
          "|\n      block", ">\n      folded", "a: b", "- a", "x # comment", "'quoted'"]
KEYS = ["title", "team", "name", "role", "why", "notes", "minutes", "url", "owner", "outcome",
        "tittle", "<<", "1", "'title'", "!!str title", "? title", "date", "demos"]


def _image(root: Path) -> None:
    (root / "decks" / "images").mkdir(parents=True)
    (root / "decks" / "images" / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n")


def _validate(root: Path, text: str) -> tuple[model.Deck | None, list[object]]:
    (root / "decks").mkdir(exist_ok=True)
    (root / "decks" / "2026-11-23.yaml").write_text(text, encoding="utf-8")
    site = model.SiteConfig(root=root)
    sources, found = load.discover(root, root / "decks")
    assert not found and len(sources) == 1
    problems: list[object] = []
    deck = decks.validate_deck(sources[0], site, problems)  # type: ignore[arg-type]
    return deck, problems


def _mutate(lines: list[str], edits: list[tuple[int, int, int]]) -> str:
    for kind, at, pick in edits:
        i = at % len(lines)
        line = lines[i]
        head, sep, _ = line.partition(": ")
        indent = line[: len(line) - len(line.lstrip())]
        if kind == 0 and sep:  # another value
            lines[i] = f"{head}: {TRICKY[pick % len(TRICKY)]}"
        elif kind == 1 and sep:  # another key
            lines[i] = f"{indent}{'- ' if line.lstrip().startswith('- ') else ''}" \
                       f"{KEYS[pick % len(KEYS)]}: {line.partition(': ')[2]}"
        elif kind == 2:  # a line twice (a duplicate key, an extra item)
            lines.insert(i, line)
        elif kind == 3 and len(lines) > 1:  # a line gone
            del lines[i]
        elif kind == 4:  # a list item made a scalar, or the other way round
            lines[i] = line.replace("- ", "", 1) if "- " in line else line.replace(": ", ": - ")
    return "\n".join(lines) + "\n"


@fuzz_settings
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 10**6), st.integers(0, 10**6)),
                max_size=3))
def test_a_mutated_deck_is_either_a_deck_or_problems_never_a_crash(
        tmp_path_factory: pytest.TempPathFactory, edits: list[tuple[int, int, int]]) -> None:
    """Whatever a typo does to a deck (another value, key or shape; a line twice or gone),
    validate_deck gives a deck exactly when it reports no problem, and that deck can go
    into the build cache (pickled) and come back equal."""
    root = tmp_path_factory.mktemp("mutated")
    _image(root)
    deck, problems = _validate(root, _mutate(BASE_DECK.splitlines(), edits))
    assert (deck is None) == bool(problems)
    if deck is not None:
        assert pickle.loads(pickle.dumps(deck)) == deck
    if not edits:
        assert deck is not None


@pytest.mark.parametrize("text", [
    BASE_DECK,
    BASE_DECK.replace("date: 2026-11-23", "date: '2026-11-23'"),
    BASE_DECK.replace("hosts: [Grace Hopper]", "hosts: [&h Grace Hopper, *h]"),
    BASE_DECK.replace("title: Weekly Demo", "title: !!str 2026"),
    BASE_DECK.replace("    notes: Log in first.", "    notes:"),
    BASE_DECK.replace("  deployments: 12", "  deployments: 0x0C"),
    BASE_DECK.replace("hosts: [Grace Hopper]", "hosts: &h [Grace Hopper]\nsprint_goals: *h")
    .replace('sprint_goals: ["Ship **passkeys**"]\n', ""),
    "\ufeff" + BASE_DECK,
])
def test_unusual_but_valid_decks_are_accepted(tmp_path: Path, text: str) -> None:
    _image(tmp_path)
    deck, problems = _validate(tmp_path, text)
    assert problems == [] and deck is not None


@pytest.mark.parametrize("text", [
    BASE_DECK.replace("title: Weekly Demo", "title: Weekly Demo\ntitle: Again"),
    BASE_DECK.replace("title: Weekly Demo", 'title: "Weekly \\0 Demo"'),
    BASE_DECK.replace("title: Weekly Demo", "title: '   '"),
    BASE_DECK.replace("title: Weekly Demo", "title: ! 2026"),  # libyaml: still a number
    BASE_DECK.replace("    minutes: 5", "    minutes: 0"),
    BASE_DECK.replace("    minutes: 5", "    minutes: true"),
    BASE_DECK.replace("  deployments: 12", "  deployments: .nan"),
    BASE_DECK.replace("  deployments: 12", "  bad-name: 12"),
    BASE_DECK.replace("date: 2026-11-23", "date: 2026-11-30"),
    BASE_DECK.replace("outcome: mixed", "outcome: mixd"),
    BASE_DECK.replace("https://example.com/rfc/42", "javascript:alert(1)"),
    BASE_DECK.replace("images/a.png, alt", "images/b.png, alt"),
    BASE_DECK.replace("title: Weekly Demo", "? [a]\n: b"),
    BASE_DECK.replace("title: Weekly Demo", "<<: {title: x}"),
    BASE_DECK.replace("title: Weekly Demo", "title: !!python/name:os.system x"),
    BASE_DECK.replace("    notes: Log in first.", "    notes: " + "[" * 300 + "]" * 300),
    BASE_DECK.replace("    notes: Log in first.", "    notes:\n" + " " * 6 + "- " * 300 + "x"),
    # valid but for its size: 300 aliases of a demo whose features alias 1,000 items
    "demos:\n  - &d {title: T, people: [A], why: W, could_be_better: C, features: &f ["
    + ", ".join(["x"] * 1000) + "]}\n" + "  - *d\n" * 300,
])
def test_each_of_these_decks_is_refused_with_a_problem(tmp_path: Path, text: str) -> None:
    _image(tmp_path)
    deck, problems = _validate(tmp_path, text)
    assert deck is None and problems
