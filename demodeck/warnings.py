"""Every warning `demodeck check` knows, the one list `check`, `build` and `serve` print.

A warning is a :class:`~demodeck.errors.Problem` of severity "warning": the site is
built anyway, unless ``--strict`` makes it an error (:func:`as_errors`). A warning that
depends on one deck's files alone goes into :func:`deck_warnings`, which the build cache
keeps per deck (a rebuild after one deck changed looks at that deck only, not at the
whole archive again); one that depends on several decks goes into :func:`collect`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from demodeck import userlinks
from demodeck.errors import BuildError, Problem
from demodeck.incremental import cache as cache_mod
from demodeck.incremental.cache import BuildCache
from demodeck.incremental.pool import parallel_map
from demodeck.load import DeckSource
from demodeck.model import Deck, SiteConfig

if TYPE_CHECKING:
    from demodeck.actions import FollowUp
    from demodeck.sizes import Sizes

# the project folder, the theme's sizes, every deck (newest first), the indexes of those to
# look at, the project's blocks that show the agenda or retrospective whole (slides.whole),
# and each deck's follow-up of earlier decks' actions (actions.follow)
State = tuple[Path, "Sizes", Sequence[Deck], Sequence[int], frozenset[str],
              Sequence[Sequence["FollowUp"]]]


@dataclass(frozen=True, slots=True)
class Found:
    warnings: list[Problem]  # in file order
    slides: int  # how many slides the decks' pages show (slides.plan)


def collect(site: SiteConfig, decks: Sequence[Deck], *, jobs: int = 1,
            cache: BuildCache | None = None,
            sources: Sequence[DeckSource] = ()) -> Found:
    """Every warning about ``decks`` (validated, newest first), and their slides.

    With a ``cache`` and the decks' ``sources`` (what load.discover found), a deck whose
    files, earlier actions open, settings, theme sizes and pictures are as before gives the
    warnings it gave then; the others are looked at, spread over ``jobs`` processes when
    there are many."""
    per_deck = _per_deck(site, decks, jobs, cache, sources)
    found = [p for deck_found, _ in per_deck for p in deck_found]
    # warnings that concern several decks at once go here
    return Found(sorted(found, key=Problem.sort_key), sum(n for _, n in per_deck))


def deck_warnings(state: State, index: int) -> tuple[list[Problem], int]:
    """The warnings about one deck (``todo[index]``) that depend on its files, the earlier
    decks' actions open when it is presented (its retrospective follows them up) and the
    theme alone, and how many slides its page shows."""
    from demodeck import slides  # Markdown: not for a build that has nothing to do

    root, sizes, decks, todo, whole, carried = state
    at = todo[index]
    deck = decks[at]
    planned = slides.plan(deck, carried[at], sizes, exact=True, whole=whole)
    found = slides.warnings(root, deck, planned.crowded, sizes)
    return found + userlinks.deck_warnings(root, deck), len(planned.slides)


def _per_deck(site: SiteConfig, decks: Sequence[Deck], jobs: int, cache: BuildCache | None,
              sources: Sequence[DeckSource]) -> list[tuple[list[Problem], int]]:
    from demodeck import actions, slides
    from demodeck import sizes as theme_sizes  # not for a build that has nothing to do

    sizes = theme_sizes.of_project(site.root)
    whole = slides.whole(site.root)
    found: list[tuple[list[Problem], int] | None] = [None] * len(decks)
    keys: list[str | None] = [None] * len(decks)
    carried = actions.follow(decks).follow_ups
    if cache is not None and sources:
        common = cache_mod.digest("warnings", cache_mod.settings_key(site), repr(sizes),
                                  repr(sorted(whole)))
        digests = {source.path: source.digest for source in sources}
        for i, deck in enumerate(decks):
            # what its retrospective shows of other decks: the actions it follows up
            follow_ups = repr(carried[i])
            if deck.source in digests:
                key = cache_mod.digest(common, digests[deck.source], follow_ups,
                                       repr(cache_mod.image_stamps(deck)))
                keys[i], found[i] = key, cache.get_warned(key)
    todo = [i for i, f in enumerate(found) if f is None]
    state: State = (site.root, sizes, decks, todo, whole, carried)
    for i, made in zip(todo, parallel_map(deck_warnings, state, len(todo), jobs), strict=True):
        found[i] = made
        if cache is not None and (known := keys[i]) is not None:
            cache.put_warned(known, made)
    return [f or ([], 0) for f in found]


def as_errors(warnings: Iterable[Problem]) -> BuildError:
    """What ``--strict`` raises: the warnings, each now an error (nothing is written)."""
    return BuildError(dataclasses.replace(p, severity="error") for p in warnings)


def to_json(warnings: Iterable[Problem]) -> list[list[str | int]]:
    """The warnings as the build's manifest keeps them (see incremental/manifest.py)."""
    return [[p.path, p.line, p.column, p.message, p.field] for p in warnings]


def from_json(value: object) -> list[Problem] | None:
    """The warnings to_json gave; None when ``value`` is not such a list (an older
    manifest, which had none: the build then looks again)."""
    if not isinstance(value, list):
        return None
    try:
        return [Problem(str(path), int(line), int(column), str(message), str(field),
                        severity="warning") for path, line, column, message, field in value]
    except (TypeError, ValueError):
        return None
