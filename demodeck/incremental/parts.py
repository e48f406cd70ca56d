"""The types of each deck's part of the archive pages' keys (see :mod:`.archive_keys`),
and of the keys put together from them.

Apart, so that the cache that keeps these and the module that makes them need not
import each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

Face = tuple[str, str | None, str | None]  # a person as shown: name, role, picture's file


# One person's demos in one deck, as the people page and their own page show them:
#   rows    those demos, each as their page lists it: a line of the digest of the deck's
#           slug and the demo as shown (:func:`demo_shown`), and their role in it
#   demos   how many there are
#   teams   their teams, each once, in order
#   face    the person as written in the first of them: (name, role, picture's file)
#   avatar  the person as written in the first of them that gives a picture, if any
#   others  keys of everyone in those demos, them included (any may come twice)
# A plain tuple, and ``others`` one too: a build loads thousands of these from the cache,
# and a class takes twice as long to unpickle, a frozenset longer still (it hashes again).
# Someone in one demo of a deck, as most are, gets the demo's own tuple of keys as
# ``others`` and its digest in ``rows``: each demo is hashed once, not once per person.
PersonShown = tuple[str, int, tuple[str, ...], Face, Face | None, tuple[str, ...]]


class DeckShown(NamedTuple):
    """One deck's part of the archive pages' keys (its part of the search index is kept
    apart, see cache.BuildCache.get_search: only the pages of the years that changed read it)."""

    listed: str  # digest of the deck as the archive index lists it
    metrics: str  # its metric values, as the metrics page charts them
    people: dict[str, PersonShown]  # person key -> their part, in order of first appearance
    feed: str  # digest of the deck as the feed shows it


# A deck's part in brief: the digest of all of it (equal digests, equal parts), and its
# ``feed``. All a rebuild needs of a deck whose part did not change (see
# rendering._Shown): the keys put together from the parts are kept, by their digests.
ShownBrief = tuple[str, str]


@dataclass(frozen=True, slots=True)
class ArchiveKeys:
    """What each archive page shows, as text: a page whose text is unchanged is kept."""

    slugs: dict[str, str]  # person key -> their page's slug
    index: str
    people: str
    metrics: str
    persons: dict[str, str]  # person key -> their page's key; most demos first, then by key
