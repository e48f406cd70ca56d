"""`demodeck init` and `demodeck new`: start a project, start this week's deck."""

from __future__ import annotations

import datetime as dt
import json
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
# The weekly demo deck for {date}. Format: see README.md ("The deck format").
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
  actions: [{{what: One thing we will change, owner: Your Name}}]
"""

GITIGNORE = "site/\n.demodeck-cache/\n"


def next_demo_day(today: dt.date, weekday: str) -> dt.date:
    """The next ``weekday`` on or after ``today``."""
    ahead = (WEEKDAYS.index(weekday) - today.weekday()) % 7
    return today + dt.timedelta(days=ahead)


def schema_text(kind: str) -> str:
    from demodeck.schema import json_schema

    return json.dumps(json_schema(kind), indent=2, ensure_ascii=False) + "\n"


def write_schemas(decks_dir: Path) -> list[Path]:
    """decks/schema/{deck,folder,demo}.schema.json, for editors' YAML language servers.

    A deck file points at deck.schema.json; inside a deck folder, deck.yaml points at
    ../schema/folder.schema.json and each demo file at ../schema/demo.schema.json.
    """
    from demodeck.schema import SCHEMA_KINDS

    folder = decks_dir / SCHEMA_DIR
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in SCHEMA_KINDS:
        path = folder / f"{kind}.schema.json"
        text = schema_text(kind)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written


def new_deck(decks_dir: Path, day: dt.date) -> Path:
    """Create ``decks/YYYY-MM-DD.yaml`` from the template; never overwrites."""
    path = decks_dir / f"{day.isoformat()}.yaml"
    folder = decks_dir / day.isoformat()
    if path.exists() or folder.exists():
        existing = path if path.exists() else folder
        raise UsageError(f"{existing} already exists; edit it, or pass --date YYYY-MM-DD "
                         "for another day")
    decks_dir.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as f:  # "x": fail rather than overwrite
        f.write(DECK_TEMPLATE.format(schema=f"{SCHEMA_DIR}/deck.schema.json",
                                     date=day.isoformat()))
    write_schemas(decks_dir)
    return path


def init_project(target: Path, today: dt.date, *, title: str) -> list[Path]:
    """Scaffold a project folder; refuses a folder that already has a demodeck.yaml or decks."""
    if (target / "demodeck.yaml").exists() or (target / "decks").exists():
        raise UsageError(f"{target} already holds a demodeck project; nothing was changed")
    target.mkdir(parents=True, exist_ok=True)
    made = [target / "demodeck.yaml"]
    made[0].write_text(CONFIG_TEMPLATE.format(title=json.dumps(title)), encoding="utf-8")
    made.append(new_deck(target / "decks", next_demo_day(today, "monday")))
    made.extend(sorted((target / "decks" / SCHEMA_DIR).glob("*.json")))
    gitignore = target / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text(GITIGNORE, encoding="utf-8")
        made.append(gitignore)
    return made
