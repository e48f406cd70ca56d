"""Stages 1–2 for the whole site: every deck found, loaded and validated.

Spread over a process pool when there is enough work to pay for the fork; a deck whose
files, settings and pictures a :class:`~demodeck.incremental.cache.BuildCache` knows is not read
again. Light on purpose: no Jinja, Markdown or Pygments, so that a build can fork the
validation workers before importing those, and import them meanwhile.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from demodeck import actions, load, validate
from demodeck.errors import BuildError, Problem
from demodeck.incremental import cache as cache_mod
from demodeck.incremental.cache import BuildCache
from demodeck.incremental.pool import in_worker, parallel_map, will_fork
from demodeck.load import DeckSource
from demodeck.model import Asset, Deck, SiteConfig


def _validate_one(state: tuple[Sequence[DeckSource], SiteConfig, Path],
                  index: int) -> tuple[Deck | bytes | None, list[Problem]]:
    """A deck's model and problems; in a worker process, the model comes pickled: it has
    to be pickled to reach the parent anyway, and the cache keeps it in that form."""
    sources, site, root = state
    problems: list[Problem] = []
    deck = validate.validate_deck(sources[index], site, problems, root=root)
    return (cache_mod.pickle_deck(deck) if deck is not None and in_worker() else deck), problems


Discovered = tuple[list[DeckSource], list[Problem]]


def discover(site: SiteConfig) -> Discovered:
    return load.discover(site.root.resolve(), site.decks_path)


def validate_all(site: SiteConfig, *, cache: BuildCache | None = None, jobs: int = 1,
                discovered: Discovered | None = None,
                meanwhile: Callable[[Sequence[DeckSource]], None] | None = None) -> list[Deck]:
    """Load and validate every deck (newest first); raises BuildError with all problems.

    ``meanwhile``: called with the decks being validated when a worker process validates
    some of them, before this process takes its share (see pool.parallel_map)."""
    sources, found = discovered if discovered is not None else discover(site)
    problems = list(found)
    settings = cache_mod.settings_key(site)
    decks: list[Deck] = []
    misses: list[tuple[str, DeckSource]] = []
    for source in sources:
        key = cache_mod.digest(settings, source.digest)
        hit = cache.get_deck(key) if cache is not None else None
        if hit is None:
            misses.append((key, source))
        else:
            decks.append(hit)
    forked = will_fork(len(misses), jobs)
    todo = [s for _, s in misses]
    state = (todo, site, site.root.resolve())
    results = parallel_map(_validate_one, state, len(misses), jobs,
                           meanwhile=partial(meanwhile, todo) if meanwhile and forked
                           else lambda: None)
    for (key, _), (made, found) in zip(misses, results, strict=True):
        problems.extend(found)
        if made is not None:
            if isinstance(made, bytes):  # from a worker: the cache keeps it as it came
                pickled, deck = made, pickle.loads(made)
            else:
                pickled, deck = None, made
            decks.append(deck)
            if cache is not None:
                cache.put_deck(key, deck, cache_mod.image_stamps(deck), pickled)
    if not sources and not problems:
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
