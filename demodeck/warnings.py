"""Every warning `demodeck check` knows, the one list `check`, `build` and `serve` print.

A warning is a :class:`~demodeck.errors.Problem` of severity "warning": the site is
built anyway, unless ``--strict`` makes it an error (:func:`as_errors`). A warning about
one deck comes from the plan of its slides (text too long for its slide) and from
validating it (a person's link that looks like a slip): :func:`deck_warnings`, which the
render stage calls with the plan it made the deck's page from, so each deck is planned
once. `check`, which renders nothing, plans them here (:func:`of_deck`, :func:`collect`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from demodeck.errors import BuildError, Problem
from demodeck.model import Deck, SiteConfig

if TYPE_CHECKING:
    from demodeck.sizes import Sizes
    from demodeck.slides import Plan

# the theme's sizes, the project's blocks that show the agenda or retrospective whole
# (slides.whole), and every deck (newest first)
State = tuple["Sizes", frozenset[str], Sequence[Deck]]


@dataclass(frozen=True, slots=True)
class Found:
    warnings: list[Problem]  # in file order
    slides: int  # how many slides the decks' pages show (slides.plan)


def deck_warnings(deck: Deck, planned: Plan, sizes: Sizes) -> list[Problem]:
    """The warnings about ``deck`` whose page shows ``planned`` (slides.plan, exact)."""
    from demodeck import slides  # Markdown: not for a build that has nothing to do

    return slides.warnings(deck, planned.crowded, sizes) + list(deck.link_warnings)


def state(site: SiteConfig, decks: Sequence[Deck]) -> State:
    """What of_deck needs besides the deck: the theme's sizes and blocks."""
    from demodeck import sizes as theme_sizes
    from demodeck import slides

    return theme_sizes.of_project(site.root), slides.whole(site.root), decks


def of_deck(state: State, index: int) -> tuple[list[Problem], int]:
    """The warnings about ``decks[index]`` and how many slides its page shows, from its
    plan (the deck before it is the one whose actions its retrospective follows up)."""
    from demodeck import slides

    sizes, whole, decks = state
    deck, previous = decks[index], decks[index + 1] if index + 1 < len(decks) else None
    planned = slides.plan(deck, previous, sizes, exact=True, whole=whole)
    return deck_warnings(deck, planned, sizes), len(planned.slides)


def gathered(per_deck: Iterable[tuple[list[Problem], int]]) -> Found:
    """The decks' warnings in file order, and their slides."""
    found: list[Problem] = []
    slides = 0
    for warned, count in per_deck:
        found.extend(warned)
        slides += count
    # warnings that concern several decks at once go here
    return Found(sorted(found, key=Problem.sort_key), slides)


def collect(site: SiteConfig, decks: Sequence[Deck]) -> Found:
    """Every warning about ``decks`` (validated, newest first), and their slides."""
    looked = state(site, decks)
    return gathered(of_deck(looked, i) for i in range(len(decks)))


def as_errors(warnings: Iterable[Problem]) -> BuildError:
    """What ``--strict`` raises: the warnings, each now an error (nothing is written)."""
    return BuildError(dataclasses.replace(p, severity="error") for p in warnings)
