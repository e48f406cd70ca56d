"""Every warning `demodeck check` knows, the one list `check`, `build` and `serve` print.

A warning is a :class:`~demodeck.errors.Problem` of severity "warning": the site is
built anyway, unless ``--strict`` makes it an error (:func:`as_errors`). A warning about
one deck comes from the plan of its slides (text too long for its slide) and from
validating it (a person's link that looks like a slip): :func:`deck_warnings`, which the
render stage calls with the plan it made the deck's page from, so each deck is planned
once (`check` renders too: it runs every stage of a build but the write).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from demodeck.errors import BuildError, Problem
from demodeck.model import Deck

if TYPE_CHECKING:
    from demodeck.sizes import Sizes
    from demodeck.slides import Plan

@dataclass(frozen=True, slots=True)
class Found:
    warnings: list[Problem]  # in file order
    slides: int  # how many slides the decks' pages show (slides.plan)


def deck_warnings(deck: Deck, planned: Plan, sizes: Sizes) -> list[Problem]:
    """The warnings about ``deck`` whose page shows ``planned`` (slides.plan, exact)."""
    from demodeck import slides  # Markdown: not for a build that has nothing to do

    return slides.warnings(deck, planned.crowded, sizes) + list(deck.link_warnings)


def gathered(per_deck: Iterable[tuple[list[Problem], int]]) -> Found:
    """The decks' warnings in file order, and their slides."""
    found: list[Problem] = []
    slides = 0
    for warned, count in per_deck:
        found.extend(warned)
        slides += count
    # warnings that concern several decks at once go here
    return Found(sorted(found, key=Problem.sort_key), slides)


def as_errors(warnings: Iterable[Problem]) -> BuildError:
    """What ``--strict`` raises: the warnings, each now an error (nothing is written)."""
    return BuildError(dataclasses.replace(p, severity="error") for p in warnings)
