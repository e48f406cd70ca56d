"""The preview's one rebuild: a project's files → a :class:`Snapshot` of its pages in memory.

`demodeck serve` calls this on every save (:mod:`demodeck.serve`). It runs the same
stages as ``demodeck build`` (:func:`demodeck.build.make_site`) but keeps the pages in
memory and never writes into the project; a content-hashed cache kept in memory, one
per preview, skips the decks whose files did not change. Kept apart from the server so a test or a
benchmark can build a snapshot, or fake the builder, without a socket.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from demodeck.build import make_site
from demodeck.config import load_config
from demodeck.incremental.seam import PreviewCache, for_preview
from demodeck.model import SiteConfig


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One good build, in memory."""

    site: SiteConfig
    pages: Mapping[str, bytes]  # site-relative POSIX path → bytes
    decks: frozenset[str]  # deck slugs (their folder names in the site)
    images: frozenset[Path]  # every image the decks show, for the watcher
    warnings: tuple[str, ...] = ()  # what `demodeck check` warns about, as it prints them


Builder = Callable[[Path], Snapshot]


def build_snapshot(root: Path, *, cache: PreviewCache | None = None,
                   strict: bool = False) -> Snapshot:
    """The one rebuild the preview does, from fresh settings; raises BuildError (also
    for a warning, when ``strict``).

    With a ``cache`` (content-hashed) an edit to one deck re-reads every deck
    file but validates and renders only that deck, plus the archive pages
    (index, people, metrics, feed) that show every deck.
    """
    site = load_config(root)
    speed = for_preview(cache)
    decks, rendered = make_site(site, speed, speed.discover(site), strict=strict)
    files = speed.in_memory(rendered)
    warned = rendered.warnings
    return Snapshot(site=site, pages=files,
                    decks=frozenset(d.slug for d in decks),
                    images=frozenset(a.source for d in decks for a in d.assets),
                    warnings=tuple(map(str, warned)))


def cached_builder(root: Path, *, strict: bool = False) -> Builder:
    """A builder with its own cache, one per preview.

    It starts from the cache the last ``demodeck build`` left (if any, and only
    if it passes its signature check), so opening a big archive is quick; the
    preview never writes it back: it writes nothing into the project.
    """
    return functools.partial(build_snapshot, cache=PreviewCache.for_project(root),
                             strict=strict)
