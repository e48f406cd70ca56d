"""`demodeck init` and `demodeck new`: start a project, start this week's deck."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from demodeck.errors import UsageError

SCHEMA_DIR = "schema"  # inside the decks folder, beside the decks that point to it
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

CONFIG_TEMPLATE = """\
# demodeck settings; every key is optional.
title: {title}
language: en
# demo_day: monday       # weekday `demodeck new` picks
# decks_dir: decks
# output_dir: site
# base_url: https://intranet.example.com/demos/   # for canonical links and the feed
"""

DECK_TEMPLATE = """\
# yaml-language-server: $schema={schema}
# The weekly demo deck for {date}. `demodeck schema` prints the format (every field,
# which are required); `demodeck check` finds mistakes; `demodeck --help` lists commands.
hosts: [Your Name]
demos:
  - title: What we shipped
    team: Your team
    people:
      - Your Name
      - {{name: A Teammate, role: Backend}}
    features:
      - The first thing it does
      - The **second** thing it does
    why: |
      Why it matters to users or to us, with a number if you have one.
    could_be_better: |
      What could we have done better? Blameless and specific.
    minutes: 5
retro:
  went_well: ["Something that went well this week"]
  # An action comes back on every later retro until a deck closes it. Give it a short
  # id (id: flaky-ci) and list earlier actions, by id or text, under done: or dropped:.
  actions: [{{what: One thing we will change, owner: Your Name}}]
  # done: [flaky-ci]
"""

EXPORTS_DIR = "exports"  # where `export` and `pdf` write their file unless told (-o)
GITIGNORED = ("site/", f"{EXPORTS_DIR}/", ".demodeck-cache/")  # what a project's git skips
GITIGNORE = "".join(f"{line}\n" for line in GITIGNORED)


def next_demo_day(today: dt.date, weekday: str) -> dt.date:
    """The next ``weekday`` on or after ``today``."""
    ahead = (WEEKDAYS.index(weekday) - today.weekday()) % 7
    return today + dt.timedelta(days=ahead)


def schema_text(kind: str) -> str:
    from demodeck.schema import json_schema

    return json.dumps(json_schema(kind), indent=2, ensure_ascii=False) + "\n"


def schema_paths(decks_dir: Path) -> list[Path]:
    """Where write_schemas puts the JSON Schema of each kind of file (deck, folder, demo)."""
    from demodeck.schema import SCHEMA_KINDS

    return [decks_dir / SCHEMA_DIR / f"{kind}.schema.json" for kind in SCHEMA_KINDS]


def write_schemas(decks_dir: Path) -> list[Path]:
    """decks/schema/{deck,folder,demo}.schema.json, for editors' YAML language servers.

    A deck file points at deck.schema.json; inside a deck folder, deck.yaml points at
    ../schema/folder.schema.json and each demo file at ../schema/demo.schema.json.
    """
    from demodeck.schema import SCHEMA_KINDS

    (decks_dir / SCHEMA_DIR).mkdir(parents=True, exist_ok=True)
    written = []
    for kind, path in zip(SCHEMA_KINDS, schema_paths(decks_dir), strict=True):
        text = schema_text(kind)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written


def existing_deck(decks_dir: Path, day: dt.date) -> Path | None:
    """The deck for ``day`` if there is one: a file (``.yaml``, ``.yml``, any case) or a
    folder named by the date."""
    names = {day.isoformat() + suffix for suffix in ("", ".yaml", ".yml")}
    try:
        entries = os.listdir(decks_dir)
    except (FileNotFoundError, NotADirectoryError):
        return None
    found = sorted(name for name in entries if name.lower() in names)
    return decks_dir / found[0] if found else None


def next_free_demo_day(decks_dir: Path, today: dt.date,
                       weekday: str) -> tuple[dt.date, list[Path]]:
    """The first ``weekday`` on or after ``today`` that has no deck yet, and the decks of
    the ones before it: `demodeck new` on the day after `init` (which made next week's
    deck), or on demo day itself, prepares the deck after them."""
    day = next_demo_day(today, weekday)
    taken = []
    while (deck := existing_deck(decks_dir, day)) is not None:
        taken.append(deck)
        day += dt.timedelta(days=7)
    return day, taken


def new_deck(decks_dir: Path, day: dt.date) -> Path:
    """Create ``decks/YYYY-MM-DD.yaml`` from the template; never overwrites."""
    existing = existing_deck(decks_dir, day)
    if existing is not None:
        raise UsageError(f"{existing} already exists; edit it, or pass --date YYYY-MM-DD "
                         "for another day")
    path = decks_dir / f"{day.isoformat()}.yaml"
    decks_dir.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as f:  # "x": fail rather than overwrite
        f.write(DECK_TEMPLATE.format(schema=f"{SCHEMA_DIR}/deck.schema.json",
                                     date=day.isoformat()))
    write_schemas(decks_dir)
    return path


def is_project(target: Path) -> bool:
    """Whether ``target`` already holds a demodeck project (a demodeck.yaml or decks)."""
    return (target / "demodeck.yaml").exists() or (target / "decks").exists()


def init_project(target: Path, today: dt.date, *, title: str, ci: str | None = None,
                 spec: str = "") -> list[str]:
    """Scaffold a project folder; returns what was done, a line each.

    Refuses a folder that already has a demodeck.yaml or decks. Into a folder holding other
    files (an existing repository), it adds its own beside them and replaces none: an
    existing .gitignore gets the lines of GITIGNORED it lacks, appended. ``ci``: also the
    CI file of that platform (see demodeck/ci.py), installing demodeck by ``spec``."""
    from demodeck import ci as ci_files

    if is_project(target):
        raise UsageError(f"{target} already holds a demodeck project; nothing was changed")
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target} is a file, not a folder; nothing was changed")
    if ci is not None:
        ci_files.check_free(target, ci)  # refused before anything is written
    done = []
    if target.is_dir() and any(target.iterdir()):
        name = "this folder" if target == Path() else str(target)
        done.append(f"{name} is not empty: adding demodeck.yaml, decks/ and the "
                    ".gitignore lines it needs, replacing nothing")
    target.mkdir(parents=True, exist_ok=True)
    config = target / "demodeck.yaml"
    with config.open("x", encoding="utf-8") as f:  # "x": fail rather than overwrite
        f.write(CONFIG_TEMPLATE.format(title=json.dumps(title)))
    made = [config, new_deck(target / "decks", next_demo_day(today, "monday"))]
    made.extend(sorted((target / "decks" / SCHEMA_DIR).glob("*.json")))
    done.extend(f"created {path}" for path in made)
    done.extend(_ignore(target / ".gitignore"))
    if ci is not None:
        done.extend(ci_files.write_ci(target, ci, spec))
    return done


def _ignore(gitignore: Path) -> list[str]:
    """Make ``gitignore`` name every line of GITIGNORED: create it, or append the missing
    ones (``site``, ``/site`` and ``/site/`` count as ``site/``); returns what was done."""
    try:
        data = gitignore.read_bytes()
    except FileNotFoundError:
        with gitignore.open("x", encoding="utf-8") as f:
            f.write(GITIGNORE)
        return [f"created {gitignore}"]
    have = {line.strip().strip("/") for line in data.decode("utf-8", "replace").splitlines()}
    missing = [line for line in GITIGNORED if line.strip("/") not in have]
    if not missing:
        return []
    if gitignore.is_symlink():  # git reads no .gitignore through a link: leave it be
        return [f"{gitignore} is a symbolic link, left as it is: add {', '.join(missing)} "
                "to the file it points to"]
    with gitignore.open("ab") as f:
        if data and not data.endswith(b"\n"):
            f.write(b"\n")
        f.write("".join(f"{line}\n" for line in missing).encode())
    return [f"added {', '.join(missing)} to {gitignore}"]
