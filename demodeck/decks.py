"""Stages 1–2 for the whole site: every deck found, loaded and validated.

:func:`validate_deck` turns one deck, a file or a folder of them, into its model (the
values checked by :mod:`demodeck.validate`'s walk of the schema, the demos given their
slide ids); :func:`validate_one` is that with its problems, :func:`validate_all` every
deck in this process, with what concerns several decks. Light on purpose: no Jinja,
Markdown or Pygments, so that a build can start validating before importing those (how
it spreads the work is its seam's business, see :mod:`demodeck.build`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from demodeck import actions, load, model, schema, validate, written
from demodeck.errors import BuildError, Problem
from demodeck.load import DeckSource, Discovered, Raw, RawMap, SourceFile, parse_yaml
from demodeck.model import Asset, Deck, SiteConfig


def discover(site: SiteConfig) -> Discovered:
    """Stage 1, load: every deck file of the project, read (not parsed yet)."""
    return load.discover(site.root.resolve(), site.decks_path)


def validate_one(site: SiteConfig, source: DeckSource,
                 root: Path | None = None) -> tuple[Deck | None, list[Problem]]:
    """One deck's model (None if it has problems) and its problems. ``root``:
    ``site.root.resolve()``, from a caller that validates many."""
    problems: list[Problem] = []
    return validate_deck(source, site, problems, root=root), problems


def validate_all(site: SiteConfig, discovered: Discovered | None = None) -> list[Deck]:
    """Load and validate every deck (newest first); raises BuildError with all problems."""
    sources, found = discovered if discovered is not None else discover(site)
    root = site.root.resolve()
    return settled(site, (sources, found),
                   [validate_one(site, source, root) for source in sources])


def settled(site: SiteConfig, discovered: Discovered,
            results: Iterable[tuple[Deck | None, list[Problem]]]) -> list[Deck]:
    """The decks validated (newest first), from what loading found (``discovered``) and
    each deck's validation gave; raises BuildError with every problem, also those that
    concern several decks (the actions later decks close), or when there is no deck."""
    sources, found = discovered
    problems = list(found)
    decks: list[Deck] = []
    for deck, deck_problems in results:
        problems.extend(deck_problems)
        if deck is not None:
            decks.append(deck)
    if not decks and not problems:
        problems.append(Problem(site.decks_dir, 0, 0,
                                "no decks found; create one with `demodeck new`"))
    decks.sort(key=lambda d: d.date, reverse=True)
    # what concerns several decks: the actions later decks close
    problems.extend(actions.problems(decks, sources, complete=not problems,
                                     since=site.follow_actions_from))
    if problems:
        raise BuildError(problems)
    return decks


# -- one deck, file or folder, into its model ------------------------------------------------

_NOTHING_UNREADABLE: Mapping[Path, str] = {}


def _file_ctx(source: SourceFile, data: bytes, site: model.SiteConfig, root: Path,
              problems: list[Problem], unreadable: Mapping[Path, str]) -> validate.Ctx:
    return validate.Ctx(source.path, source.abspath.parent, root, problems, site.max_image_mb,
               unreadable, site.max_video_mb, escapes=b"\\" in data)


def validate_deck(deck: DeckSource, site: model.SiteConfig, problems: list[Problem], *,
                  root: Path | None = None) -> model.Deck | None:
    """Parse and check one deck (file or folder); None if any problem was appended.
    ``root``: ``site.root.resolve()``, from a caller that checks many decks (resolving
    costs a system call per part of the path)."""
    root = site.root.resolve() if root is None else root
    return _check_deck(deck, site, root, problems)


def unreadable_images(deck: DeckSource, site: model.SiteConfig,
                      unreadable: Mapping[Path, str]) -> list[Problem]:
    """Every place ``deck`` names an image of ``unreadable`` (resolved path -> why it could
    not be read): an image that passed validation but failed when the site was made is
    reported at the deck line that names it, like any other problem with an image."""
    problems: list[Problem] = []
    _check_deck(deck, site, site.root.resolve(), problems, unreadable)
    return problems


def _check_deck(deck: DeckSource, site: model.SiteConfig, root: Path, problems: list[Problem],
                failed: Mapping[Path, str] = _NOTHING_UNREADABLE) -> model.Deck | None:
    """validate_deck: every problem found, each with its place; ``failed``: images that
    could not be read, reported where they are named (see unreadable_images)."""
    before = len(problems)
    values: dict[str, Any] = {}
    demos: list[tuple[model.Demo, str]] = []  # each with the file it came from
    trees: list[written.Tree] = []  # each file's, for what the warnings need (see written)
    if deck.main is not None and (parsed := _parse(deck.main, problems)) is not None:
        values = _check_main(deck, parsed[1], _file_ctx(deck.main, parsed[0], site, root,
                                                        problems, failed))
        demos = [(d, deck.main.path) for d in values.get("demos", ())]
        trees.append((deck.main.path, *parsed, _FOLDER_DECK if deck.is_folder else schema.DECK))
    for file in deck.demo_files:
        parsed = _parse(file, problems)
        if parsed is None:
            continue
        demo = validate.check_record(schema.DEMO, parsed[1], "",
                            _file_ctx(file, parsed[0], site, root, problems, failed))
        if demo is not validate.INVALID:
            demos.append((demo, file.path))
        trees.append((file.path, *parsed, schema.DEMO))
    if deck.is_folder and not deck.demo_files and not values.get("demos"):
        problems.append(Problem(deck.path, 0, 0, "this deck folder has no demos; add one "
                                "YAML file per demo (or a demos: list in deck.yaml)"))
    unreadable = any(not f.readable for f in (deck.main, *deck.demo_files) if f is not None)
    if len(problems) > before or unreadable:  # unreadable files were reported by discover
        return None
    return written.noted(_assemble(deck, site, values, demos), trees)


def _parse(file: SourceFile, problems: list[Problem]) -> tuple[bytes, Raw] | None:
    """The file's bytes and tree; None (and its problems added) if it has none."""
    data, found = file.read()
    tree = None
    if data is not None:
        tree, found = parse_yaml(file.path, data)
    problems.extend(found)
    return None if data is None or tree is None else (data, tree)


_FOLDER_DECK = schema.folder_deck()


def _check_main(deck: DeckSource, raw: Raw, ctx: validate.Ctx) -> dict[str, Any]:
    if not isinstance(raw, RawMap):
        ctx.error(raw.mark, "", f"a deck file must be a mapping (title:, demos: ...), "
                  f"got {validate.describe(raw)}")
        return {}
    # in a folder, demos come from the folder's other files; a list here is optional
    record = _FOLDER_DECK if deck.is_folder else schema.DECK
    values, ok = validate.field_values(record, raw, "", ctx)
    named = dt.date.fromisoformat(deck.date_text)
    if "date" in values and values["date"] != named:
        mark = raw.entries["date"][1].mark
        ctx.error(mark, "date", f"the date {values['date']} does not match the file name "
                  f"({deck.date_text}); make them agree")
    return values if ok else {}


def _assemble(deck: DeckSource, site: model.SiteConfig, values: dict[str, Any],
              demos: list[tuple[model.Demo, str]]) -> model.Deck:
    ids = model.unique_slugs([d.title for d, _ in demos])
    metrics = tuple(model.Metric(k, v) for k, v in (values.get("metrics") or {}).items())
    return model.Deck(
        date=dt.date.fromisoformat(deck.date_text),
        title=(values.get("title") or site.title).strip(),
        demos=tuple(dataclasses.replace(d, id=i, source=file)
                    for (d, file), i in zip(demos, ids, strict=True)),
        hosts=values.get("hosts", ()),
        sprint_goals=values.get("sprint_goals", ()),
        metrics=metrics,
        experiments=values.get("experiments", ()),
        retro=values.get("retro") or model.Retro(),
        source=deck.path,
        digest=deck.digest,
    )


def unreadable_image(site: SiteConfig, decks: Sequence[Deck], asset: Asset,
                     reason: str) -> list[Problem]:
    """Where ``decks`` name ``asset``, an image that could not be read (``reason``) after
    it was validated: each place found by validating those decks again, the full way."""
    using = {deck.source for deck in decks if asset in deck.assets}
    sources, _ = discover(site)
    problems = [problem for source in sources if source.path in using
                for problem in unreadable_images(source, site,
                                                          {asset.source: reason})]
    return problems or [Problem(asset.rel, 0, 0, f"cannot read this image: {reason}")]
