"""The one interface between the build's stages and what makes them fast.

:class:`Plain` builds the straightforward way: every deck read and validated, every
page rendered and its links checked, in this one process, the output folder replaced
whole. :class:`Accelerated` gives the same bytes sooner: it keeps the signed build
cache and the manifest of the last build, forks a process pool, and keeps the output
files whose inputs did not change. ``DEMODECK_PLAIN=1`` in the environment makes every
build plain (see :func:`for_build`); a test holds both to byte-identical output.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from demodeck import load, warnings
from demodeck.errors import Problem
from demodeck.incremental import manifest
from demodeck.incremental.cache import BuildCache
from demodeck.load import DeckSource
from demodeck.model import Deck, SiteConfig
from demodeck.pages import Reusable

if TYPE_CHECKING:
    from demodeck.pipeline import Rendered
    from demodeck.write import Staging, Written

Discovered = tuple[list[DeckSource], list[Problem]]
Summary = tuple[int, int, int, list[Problem]]  # decks, slides, files and warnings of a site


class Plain:
    """No cache, no pool, nothing kept: what every accelerator must give the same bytes as."""

    cache: BuildCache | None = None
    jobs = 1

    def discover(self, site: SiteConfig) -> Discovered:
        """Every deck file, read (stage 1, load)."""
        self.read_at = time.time_ns()
        return load.discover(site.root.resolve(), site.decks_path)

    def up_to_date(self, site: SiteConfig, out: Path, discovered: Discovered,
                   self_contained: bool) -> Summary | None:
        """The last build's summary when it left ``out`` exactly as this one would."""
        return None

    def reusable(self, out: Path) -> Reusable:
        """Files of the last build in ``out`` that may be kept when their key matches."""
        return {}

    def rendered(self, staging: Staging) -> None:
        """Called once every page is rendered, before the link check."""

    def spare(self, out: Path) -> Path | None:
        """Where the site a build replaces is kept for the next one (see write.write_site)."""
        return None

    def checked(self) -> None:
        """Called when a check (a build that writes nothing) passed every stage."""

    def finish(self, out: Path, decks: list[Deck], slides: int, rendered: Rendered | None,
               written: Written | None, warned: list[Problem]) -> None:
        """Called after the write (``written`` None: the build failed, or only checked)."""


class Accelerated(Plain):
    """The build cache, its manifest and the process pool (``cache`` None: the pool only)."""

    def __init__(self, cache: BuildCache | None, jobs: int) -> None:
        self.cache = cache
        self.jobs = jobs
        self.manifest: dict[str, Any] | None = None
        self.fingerprint = ""
        self.discovered: list[DeckSource] = []
        self.waiting: Callable[[], None] | None = None

    def discover(self, site: SiteConfig) -> Discovered:
        self.read_at = time.time_ns()
        self.manifest = self.cache.read_manifest() if self.cache is not None else None
        found = load.discover(site.root.resolve(), site.decks_path,
                              manifest.known_sources(self.manifest))
        self.discovered = found[0]
        return found

    def up_to_date(self, site: SiteConfig, out: Path, discovered: Discovered,
                   self_contained: bool) -> Summary | None:
        self.fingerprint = manifest.fingerprint(site, discovered[0], out, self_contained)
        before = self.manifest
        warned = warnings.from_json(before.get("warnings")) if before is not None else None
        if (before is not None and warned is not None and not discovered[1]
                and manifest.unchanged(before, self.fingerprint, out)):
            return before["decks"], before["slides"], before["pages"], warned
        if self.cache is not None:
            self.cache.begin()
            if before is not None and isinstance(before.get("keys"), dict):
                self.cache.checked = before["keys"]  # the last good build's pages passed
        return None

    def reusable(self, out: Path) -> Reusable:
        return manifest.reusable(self.manifest, out)

    def rendered(self, staging: Staging) -> None:
        self.waiting = manifest.save_meanwhile(self.cache, staging)

    def spare(self, out: Path) -> Path | None:
        return manifest.spare(self.cache, out)

    def checked(self) -> None:
        if self.cache is not None:  # for the next check or build; no site to record
            self.cache.save()

    def finish(self, out: Path, decks: list[Deck], slides: int, rendered: Rendered | None,
               written: Written | None, warned: list[Problem]) -> None:
        if self.waiting is not None:
            self.waiting()
        if self.cache is None or rendered is None or written is None:
            return
        if self.waiting is None:
            self.cache.save()
        manifest.record(self.cache, self.manifest, self.fingerprint,
                        (self.read_at, self.discovered), out, decks, slides, rendered, written,
                        warned)


def for_build(cache: BuildCache | None, jobs: int) -> Plain:
    """The accelerators a build asked for, or none when ``DEMODECK_PLAIN=1``."""
    if os.environ.get("DEMODECK_PLAIN") == "1":
        return Plain()
    return Accelerated(cache, jobs)
