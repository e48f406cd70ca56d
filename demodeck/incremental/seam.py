"""The one interface between the build's stages and what makes them fast.

:class:`Plain` applies each stage the straightforward way: every deck read and
validated, every page rendered and its links checked, in this one process, by the
stages' own whole-stage functions (:func:`demodeck.decks.validate_all`,
:func:`demodeck.pipeline.render_all`, :func:`demodeck.linkcheck.verify`), the output
folder replaced whole. :class:`Accelerated` gives the same bytes sooner, from the same
per-item functions: it keeps the signed build cache and the manifest of the last build,
spreads the work over a process pool, and keeps the output files whose inputs did not
change. :class:`Preview` is the preview server's: the cache in memory, no pool.
``DEMODECK_PLAIN=1`` in the environment makes every build plain (see :func:`for_build`);
a test holds both to byte-identical output. The commands that need the decks but make
no site (export, pdf, announce) take them through the same seam (see
:func:`demodeck.build.validated`).
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from demodeck import load
from demodeck.errors import Problem
from demodeck.incremental import manifest
from demodeck.incremental.cache import BuildCache
from demodeck.load import DeckSource, Discovered
from demodeck.model import Deck, SiteConfig

if TYPE_CHECKING:
    import jinja2

    from demodeck.pipeline import Exported, Rendered
    from demodeck.render import Renderer
    from demodeck.write import Staging, Written

Summary = tuple[int, int, int, list[Problem]]  # decks, slides, files and warnings of a site


class Plain:
    """No cache, no pool, nothing kept: what every accelerator must give the same bytes as."""

    def discover(self, site: SiteConfig) -> Discovered:
        """Stage 1, load: every deck file, read."""
        from demodeck import decks

        return decks.discover(site)

    def up_to_date(self, site: SiteConfig, out: Path, discovered: Discovered,
                   self_contained: bool) -> Summary | None:
        """The last build's summary when it left ``out`` exactly as this one would."""
        return None

    def validate(self, site: SiteConfig, discovered: Discovered, *,
                 renders_site: bool = True) -> list[Deck]:
        """Stage 2: every deck's model (newest first); BuildError with every problem.
        ``renders_site`` False: no site is rendered next (export's one deck, announce)."""
        from demodeck import decks

        return decks.validate_all(site, discovered)

    def export(self, site: SiteConfig, decks: list[Deck], date_text: str | None) -> Exported:
        """Stage 3 for one deck: its page as a single self-contained file (``date_text``
        None: the newest deck's), for `demodeck export` and `pdf`."""
        from demodeck import pipeline

        return pipeline.export_deck(site, date_text, decks)

    def render(self, site: SiteConfig, decks: list[Deck], *, self_contained: bool = False,
               staging: Staging | None = None) -> Rendered:
        """Stage 3: every page, and the decks' warnings. ``staging``: the folder the site
        will be written in, for a pool that writes pages there itself."""
        from demodeck import pipeline

        return pipeline.render_all(site, decks, self_contained=self_contained)

    def check_links(self, site: SiteConfig, decks: Sequence[Deck], rendered: Rendered) -> None:
        """Stage 4: BuildError on a broken local link or fragment, each at the template
        line that wrote it (see linksource.place)."""
        from demodeck import linkcheck, linksource

        linkcheck.verify(rendered.pages, known=rendered.parsed,
                         place=functools.partial(linksource.place, site, decks))

    def spare(self, out: Path) -> Path | None:
        """Where the site a build replaces is kept for the next one (see write.write_site)."""
        return None

    def checked(self) -> None:
        """Called when a check (a build that writes nothing) passed every stage."""

    def validated(self) -> None:
        """Called when a command that makes no site (export, pdf, announce) has every
        deck validated."""

    def finish(self, out: Path, decks: list[Deck], rendered: Rendered | None,
               written: Written | None) -> None:
        """Called after the write (``written`` None: the build failed, or only checked)."""

    def in_memory(self, rendered: Rendered) -> dict[str, bytes]:
        """The preview's copy of the site: every file's bytes, by path."""
        return {page.path: page.data for page in rendered.pages}


class Accelerated(Plain):
    """The build cache, its manifest and the process pool (``cache`` None: the pool only)."""

    def __init__(self, cache: BuildCache | None, jobs: int) -> None:
        self.cache = cache
        self.jobs = jobs
        self.manifest: dict[str, Any] | None = None
        self.fingerprint = ""
        self.read_at = 0
        self.discovered: list[DeckSource] = []
        self.prepared: Renderer | None = None  # made while a worker validated (see validate)
        self.out: Path | None = None  # the output folder, whose unchanged files are kept
        self.waiting: Callable[[], None] | None = None  # for the cache saved meanwhile

    @functools.cached_property
    def compiled(self) -> jinja2.BytecodeCache | None:
        """Jinja's cache of compiled templates, in the user's cache folder."""
        from demodeck.incremental.templates import compiled_templates

        return compiled_templates()

    def discover(self, site: SiteConfig) -> Discovered:
        self.read_at = time.time_ns()
        self.manifest = self.cache.read_manifest() if self.cache is not None else None
        found = load.discover(site.root.resolve(), site.decks_path,
                              manifest.known_sources(self.manifest))
        self.discovered = found[0]
        return found

    def up_to_date(self, site: SiteConfig, out: Path, discovered: Discovered,
                   self_contained: bool) -> Summary | None:
        self.out = out
        self.fingerprint = manifest.fingerprint(site, discovered[0], out, self_contained)
        before = self.manifest
        if (before is not None and self.cache is not None and not discovered[1]
                and manifest.unchanged(before, self.fingerprint, out)):
            warned = manifest.warnings_of(self.cache, before)
            if warned is not None:
                return before["decks"], before["slides"], before["pages"], warned
            before.pop("warned", None)  # their file is not what it named: write it again
        if self.cache is not None:
            self.cache.begin()
            if before is not None and isinstance(before.get("keys"), dict):
                self.cache.checked = before["keys"]  # the last good build's pages passed
        return None

    def validate(self, site: SiteConfig, discovered: Discovered, *,
                 renders_site: bool = True) -> list[Deck]:
        from demodeck.incremental import validating

        def meanwhile(sources: Sequence[DeckSource]) -> None:
            """While a worker starts validating, this process gets the rendering ready
            (Jinja, Markdown, Pygments), which the render workers forked later inherit."""
            self.prepared = validating.prepare_render(site, sources, self.compiled)

        return validating.validate(site, discovered, self.cache, self.jobs,
                                   meanwhile if renders_site else None)

    def export(self, site: SiteConfig, decks: list[Deck], date_text: str | None) -> Exported:
        from demodeck import pipeline

        return pipeline.export_deck(site, date_text, decks, compiled=self.compiled)

    def reusable(self) -> dict[str, tuple[str, Path]]:
        """Files of the last build in the output folder that may be kept when their key
        matches."""
        return manifest.reusable(self.manifest, self.out) if self.out is not None else {}

    def render(self, site: SiteConfig, decks: list[Deck], *, self_contained: bool = False,
               staging: Staging | None = None) -> Rendered:
        from demodeck.incremental import links, rendering

        reusable = self.reusable()
        if staging is None and self.cache is not None:  # a check: no lock holds the
            reusable = links.unread(reusable, self.cache)  # folder still
        rendered = rendering.render_all(site, decks, cache=self.cache, jobs=self.jobs,
                                        self_contained=self_contained,
                                        reusable=reusable, renderer=self.prepared,
                                        staging=staging, compiled=self.compiled)
        if staging is not None:
            self.waiting = manifest.save_meanwhile(self.cache, staging)
        return rendered

    def check_links(self, site: SiteConfig, decks: Sequence[Deck], rendered: Rendered) -> None:
        if self.cache is None:
            super().check_links(site, decks, rendered)
            return
        from demodeck import linksource
        from demodeck.incremental import links

        links.verify(rendered.pages, self.cache, known=rendered.parsed,
                     place=functools.partial(linksource.place, site, decks))

    def spare(self, out: Path) -> Path | None:
        return manifest.spare(self.cache, out)

    def checked(self) -> None:
        if self.cache is not None:  # for the next check or build; no site to record
            self.cache.save()

    def validated(self) -> None:
        # the decks it validated are kept for the next run; nothing is dropped (this run
        # used no page, link or code block of the cache) and no site is recorded
        if self.cache is not None:
            self.cache.save(prune=False)

    def finish(self, out: Path, decks: list[Deck], rendered: Rendered | None,
               written: Written | None) -> None:
        if self.waiting is not None:
            self.waiting()
        if self.cache is None or rendered is None or written is None:
            return
        if self.waiting is None:
            self.cache.save()
        manifest.record(self.cache, self.manifest, self.fingerprint,
                        (self.read_at, self.discovered), out, decks, rendered, written)


@dataclass
class PreviewCache(BuildCache):
    """The build cache as the preview keeps it in memory between its rebuilds, with what
    only a process that stays can keep: the decks read back from it, unpickled once
    rather than on every save (fewer objects made, fewer garbage collections), and the
    stamps of the deck files read (see load.read_file), so that a save reads the file it
    changed and looks only at the others' stamps."""

    known: load.Known = field(default_factory=dict)
    _decks: dict[str, tuple[bytes, Deck]] = field(default_factory=dict)  # key -> its head, read

    def read_deck(self, key: str, head: bytes, demos: Callable[[], bytes]) -> Deck:
        kept = self._decks.get(key)
        if kept is not None and kept[0] is head:  # put_deck since: another bytes object
            return kept[1]
        deck = super().read_deck(key, head, demos)
        self._decks[key] = (head, deck)
        return deck

    def prune(self) -> None:
        super().prune()
        self._decks = {key: kept for key, kept in self._decks.items()
                       if key in self.models and self.models[key][0] is kept[0]}

    def read(self, site: SiteConfig) -> Discovered:
        """Stage 1: every deck file, read unless its stamp is that of a file read here
        before (and had settled then: see manifest.SETTLE_NS)."""
        read_at = time.time_ns()
        found = load.discover(site.root.resolve(), site.decks_path, self.known)
        self.known = manifest.settled_sources(found[0], read_at)
        return found


class Preview(Accelerated):
    """The preview server's rebuilds: its cache kept in memory between them (started from
    what the last ``demodeck build`` left), never saved; one process (it runs threads)."""

    def __init__(self, cache: PreviewCache) -> None:
        super().__init__(cache, jobs=1)
        self.cache: PreviewCache = cache

    def discover(self, site: SiteConfig) -> Discovered:
        if not self.cache.pages:  # the first build: start from what `demodeck build` left
            self.cache.pages.update(manifest.last_pages(self.cache, site.output_path))
        self.cache.begin()  # those this build does not use are pruned after it
        return self.cache.read(site)

    def reusable(self) -> dict[str, tuple[str, Path]]:
        return {}  # the last build's pages are in memory, read before any swap (see discover)

    def in_memory(self, rendered: Rendered) -> dict[str, bytes]:
        files = super().in_memory(rendered)
        self.cache.prune()  # in memory only: keep what this build used, the size of the site
        return files


def for_build(cache: BuildCache | None, jobs: int) -> Plain:
    """The accelerators a build asked for, or none when ``DEMODECK_PLAIN=1``."""
    if os.environ.get("DEMODECK_PLAIN") == "1":
        return Plain()
    return Accelerated(cache, jobs)


def for_preview(cache: PreviewCache | None) -> Plain:
    """The preview's accelerators (``cache`` None, or ``DEMODECK_PLAIN=1``: none)."""
    if cache is None or os.environ.get("DEMODECK_PLAIN") == "1":
        return Plain()
    return Preview(cache)
