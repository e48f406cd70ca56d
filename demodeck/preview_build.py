"""The preview's one rebuild: a project's files → a :class:`Snapshot` of its pages in memory.

`demodeck serve` calls this on every save (:mod:`demodeck.serve`). It runs the same
stages as ``demodeck build`` (load → validate → warn → render) but keeps the pages in
memory and never writes into the project; a content-hashed cache, one per preview,
skips the decks whose files did not change. Kept apart from the server so a test or a
benchmark can build a snapshot, or fake the builder, without a socket.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from demodeck import warnings
from demodeck.config import load_config
from demodeck.decks import discover, validate_all
from demodeck.incremental.cache import BuildCache
from demodeck.incremental.manifest import reusable_files
from demodeck.model import SiteConfig
from demodeck.pages import Kept
from demodeck.pipeline import render_site


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One good build, in memory."""

    site: SiteConfig
    pages: Mapping[str, bytes]  # site-relative POSIX path → bytes
    decks: frozenset[str]  # deck slugs (their folder names in the site)
    images: frozenset[Path]  # every image the decks show, for the watcher
    warnings: tuple[str, ...] = ()  # what `demodeck check` warns about, as it prints them


Builder = Callable[[Path], Snapshot]


def build_snapshot(root: Path, *, cache: BuildCache | None = None,
                   strict: bool = False) -> Snapshot:
    """The one rebuild the preview does, from fresh settings; raises BuildError (also
    for a warning, when ``strict``).

    With a ``cache`` (content-hashed) an edit to one deck re-reads every deck
    file but validates and renders only that deck, plus the archive pages
    (index, people, metrics, feed) that show every deck.
    """
    site = load_config(root)
    reusable: dict[str, tuple[str, Path]] = {}
    if cache is not None:
        cache.begin()
        if not cache.pages:  # the first build: start from what `demodeck build` left
            reusable = reusable_files(cache, site.output_path)
    discovered = discover(site)
    decks = validate_all(site, cache=cache, discovered=discovered)
    warned = warnings.collect(site, decks, cache=cache, sources=discovered[0]).warnings
    if strict and warned:
        raise warnings.as_errors(warned)
    pages = render_site(site, decks, cache=cache, reusable=reusable).pages
    files = {p.path: p.data for p in pages}
    if cache is not None:
        for page in pages:
            if isinstance(page, Kept):  # read once from disk; from memory from now on
                cache.put_page(page.key, files[page.path])
        cache.prune()  # in memory only: keep what this build used, the size of the site
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
    return functools.partial(build_snapshot, cache=BuildCache.for_project(root), strict=strict)
