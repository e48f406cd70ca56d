"""Stages 1–2 sped up: a deck the build cache knows is not validated again, and the rest
are spread over the process pool when there are enough of them to pay for the fork.

Gives what :func:`demodeck.decks.validate_all` gives, from the same
:func:`~demodeck.decks.validate_one`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from demodeck import decks as stage
from demodeck.errors import BuildError, Problem
from demodeck.incremental.cache import BuildCache
from demodeck.incremental.cache_files import PickledDeck, image_stamps, pickle_deck, unpickle_deck
from demodeck.incremental.keys import deck_key, settings_key
from demodeck.incremental.pool import in_worker, parallel_map, will_fork
from demodeck.load import DeckSource, Discovered
from demodeck.model import Deck, SiteConfig, split

if TYPE_CHECKING:  # Jinja is imported meanwhile, not before the workers start
    import jinja2

    from demodeck.render import Renderer

Result = tuple[Deck | None, list[Problem]]


def _validate_one(state: tuple[Sequence[DeckSource], SiteConfig, Path],
                  index: int) -> tuple[Deck | PickledDeck | None, list[Problem]]:
    """A deck's model and problems; in a worker process, the model comes pickled: it has
    to be pickled to reach the parent anyway, and the cache keeps it in that form."""
    sources, site, root = state
    deck, problems = stage.validate_one(site, sources[index], root)
    return (pickle_deck(deck) if deck is not None and in_worker() else deck), problems


def _demos_again(site: SiteConfig, source: DeckSource, root: Path) -> bytes:
    """The demos of a deck taken from the cache, pickled, should the cache have lost them:
    its files validated again (read again if they were not, and checked against the
    digest they had then: BuildError if they changed meanwhile)."""
    deck, problems = stage.validate_one(site, source, root)
    if deck is None:
        raise BuildError(problems)
    return split(deck)[1]


def validate(site: SiteConfig, discovered: Discovered, cache: BuildCache | None,
             jobs: int, meanwhile: Callable[[Sequence[DeckSource]], None] | None = None
             ) -> list[Deck]:
    """stage.validate_all, with a deck whose files, settings and pictures ``cache`` knows
    taken from it. ``meanwhile``: called with the decks being validated when a worker
    process validates some of them, before this process takes its share."""
    sources = discovered[0]
    settings = settings_key(site)
    root = site.root.resolve()
    results: list[Result | None] = []
    misses: list[tuple[int, str, DeckSource]] = []
    for source in sources:
        key = deck_key(settings, source.digest)
        hit = (cache.get_deck(key, partial(_demos_again, site, source, root))
               if cache is not None else None)
        if hit is None:
            misses.append((len(results), key, source))
        results.append((hit, []) if hit is not None else None)
    todo = [source for _, _, source in misses]
    forked = will_fork(len(todo), jobs)
    made = parallel_map(_validate_one, (todo, site, root), len(todo), jobs,
                        meanwhile=partial(meanwhile, todo) if meanwhile and forked
                        else lambda: None)
    for (at, key, _), (deck, problems) in zip(misses, made, strict=True):
        pickled = deck if isinstance(deck, tuple) else None  # from a worker: kept as it came
        model = unpickle_deck(deck) if isinstance(deck, tuple) else deck
        if model is not None and cache is not None:
            cache.put_deck(key, model, image_stamps(model), pickled)
        results[at] = (model, problems)
    return stage.settled(site, discovered, (r for r in results if r is not None))


def prepare_render(site: SiteConfig, sources: Sequence[DeckSource],
                   compiled: jinja2.BytecodeCache | None) -> Renderer | None:
    """A renderer made ready while a worker process starts validating ``sources`` (this
    process validates its share afterwards): deck.html compiled and the Pygments lexers
    the code fences in ``sources`` name loaded (see benchmarks/README.md for what that
    saves). The render worker forked later inherits both. None if the templates fail:
    the render stage then makes its own renderer and reports the problem."""
    from demodeck import markdown
    from demodeck.render import Renderer

    try:
        renderer = Renderer(site, compiled)
        renderer.env.get_template("deck.html")
    except Exception:  # reported when the render stage makes its own
        return None
    markdown.preload_highlighting_sources(
        f.data for source in sources for f in (source.main, *source.demo_files)
        if f is not None and f.data is not None)
    return renderer
