"""Stages 1–2 for the whole site: every deck found, loaded and validated.

:func:`validate_one` checks one deck, :func:`validate_all` every deck in this process.
Light on purpose: no Jinja, Markdown or Pygments, so that a build can start validating
before importing those (how it spreads the work is its seam's business, see
:mod:`demodeck.build`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from demodeck import actions, load, validate
from demodeck.errors import BuildError, Problem
from demodeck.load import DeckSource
from demodeck.model import Asset, Deck, SiteConfig

Discovered = tuple[list[DeckSource], list[Problem]]  # the decks found, and the problems


def discover(site: SiteConfig) -> Discovered:
    """Stage 1, load: every deck file of the project, read (not parsed yet)."""
    return load.discover(site.root.resolve(), site.decks_path)


def validate_one(site: SiteConfig, source: DeckSource,
                 root: Path | None = None) -> tuple[Deck | None, list[Problem]]:
    """One deck's model (None if it has problems) and its problems. ``root``:
    ``site.root.resolve()``, from a caller that validates many."""
    problems: list[Problem] = []
    return validate.validate_deck(source, site, problems, root=root), problems


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
    problems.extend(actions.problems(decks, sources, complete=not problems))
    if problems:
        raise BuildError(problems)
    return decks


def unreadable_image(site: SiteConfig, decks: Sequence[Deck], asset: Asset,
                     reason: str) -> list[Problem]:
    """Where ``decks`` name ``asset``, an image that could not be read (``reason``) after
    it was validated: each place found by validating those decks again, the full way."""
    using = {deck.source for deck in decks if asset in deck.assets}
    sources, _ = discover(site)
    problems = [problem for source in sources if source.path in using
                for problem in validate.unreadable_images(source, site,
                                                          {asset.source: reason})]
    return problems or [Problem(asset.rel, 0, 0, f"cannot read this image: {reason}")]
