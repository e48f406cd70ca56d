"""Build the site into its folder: load → validate → render → check links → write.

Each stage is a plain function over plain data (:mod:`demodeck.load`,
:mod:`demodeck.decks`, :mod:`demodeck.pipeline` with :mod:`demodeck.warnings`,
:mod:`demodeck.linkcheck`, :mod:`demodeck.write`), and none knows of a cache or a pool:
how each is applied is decided behind one seam, :mod:`demodeck.incremental.seam`. Its
plain twin calls the stages' whole-stage functions; the accelerated one keeps the build
cache and the manifest of the last build, spreads work over a process pool and keeps
unchanged output. ``DEMODECK_PLAIN=1`` selects the plain one. One build of an output
folder runs at a time, and it first repairs what a killed one left
(:mod:`demodeck.outdir`). :func:`check` runs the same stages but the write;
:func:`validated` the first two, for the commands that need the decks but make no site
(announce, and :func:`export` for export and pdf). The CLI and the preview server are thin
shells over this.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sys
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from demodeck import outdir, warnings
from demodeck.incremental.cache import BuildCache
from demodeck.incremental.seam import Plain, for_build
from demodeck.load import Discovered
from demodeck.model import Deck, SiteConfig

if TYPE_CHECKING:
    from demodeck.pipeline import Exported, Rendered
    from demodeck.write import Staging, Written


@dataclass(frozen=True, slots=True)
class BuildResult:
    out: Path
    decks: int
    slides: int
    pages: int
    seconds: float
    rendered: int = 0  # deck pages rendered this time (the rest came from the cache)
    up_to_date: bool = False  # nothing changed since the last build: nothing was written
    # for stderr: what `demodeck check` warns about, files dropped from the site, a repair...
    warnings: tuple[str, ...] = ()

    def summary(self) -> str:
        what = "Up to date:" if self.up_to_date else "Built"
        return (f"{what} {self.decks} deck{'s' if self.decks != 1 else ''}, "
                f"{self.slides} slides, {self.pages} files in {self.seconds:.2f} s → {self.out}")


def build(site: SiteConfig, *, out: Path | None = None, cache: BuildCache | None = None,
          jobs: int = 1, self_contained: bool = False, strict: bool = False) -> BuildResult:
    """Build the whole site into ``out`` (default: the configured output folder), once
    no other build of it runs; the first waits, saying so once on stderr. ``strict``:
    a warning fails the build as an error does (BuildError, nothing written)."""
    target = out if out is not None else site.output_path
    shown = _shown(site.root, target)
    speed = for_build(cache, jobs)
    # signals are held back from the swap on (see write.write_site) until the lock is
    # released: a build stopped then would have changed the site while saying it did not
    with contextlib.ExitStack() as held, outdir.locked(target, partial(_say_waiting, shown)):
        notes = outdir.repair(target)
        try:
            result = _build(site, target, speed, self_contained, strict, held)
        except BaseException:  # also a folder made in the instant a signal came
            with contextlib.suppress(Exception):  # never in the way of what went wrong
                outdir.repair(target)
            raise
    return dataclasses.replace(result, warnings=(*notes, *result.warnings))


def check(site: SiteConfig, *, cache: BuildCache | None = None, jobs: int = 1) -> BuildResult:
    """`demodeck check`: every stage of a build but the write, so that what would fail a
    build fails here, with the same message: the pages rendered in memory, their links
    checked, the output folder looked at as the write would. Nothing is written into it
    and its lock is not taken: a check runs while a build or `serve` does. The ``cache``
    is used and saved as a build's is (not the record of a site it did not write)."""
    return _build(site, site.output_path, for_build(cache, jobs), False, False, None)


def validated(site: SiteConfig, *, cache: BuildCache | None = None,
              jobs: int = 1) -> list[Deck]:
    """Every deck, validated (newest first), as a build has them: a deck the ``cache``
    holds is not parsed again, the others are spread over ``jobs`` processes, and the
    cache keeps them (see Plain.validated). No output folder is looked at, and the last
    build's record of its site (the manifest) is only read, for its deck files' stamps."""
    return _validated(site, for_build(cache, jobs))


def export(site: SiteConfig, date_text: str | None, *, cache: BuildCache | None = None,
           jobs: int = 1) -> Exported:
    """`demodeck export` and `pdf`: one deck (the newest when no date is given) as a
    single self-contained page, its decks taken as :func:`validated` takes them."""
    speed = for_build(cache, jobs)
    return speed.export(site, _validated(site, speed), date_text)


def _validated(site: SiteConfig, speed: Plain) -> list[Deck]:
    """Stages 1–2 for a command that makes no site."""
    decks = speed.validate(site, speed.discover(site), renders_site=False)
    speed.validated()
    return decks


def _build(site: SiteConfig, target: Path, speed: Plain, self_contained: bool, strict: bool,
           held: contextlib.ExitStack | None) -> BuildResult:
    """The stages; ``held`` None: a check, which writes nothing (see check)."""
    started = time.perf_counter()
    # 1. load: find and read every deck file
    discovered = speed.discover(site)
    summary = speed.up_to_date(site, target, discovered, self_contained)
    if summary is not None:
        decks_made, slides_made, files, warned = summary
        if strict and warned:
            raise warnings.as_errors(warned)
        return BuildResult(out=target, decks=decks_made, slides=slides_made, pages=files,
                           seconds=time.perf_counter() - started, up_to_date=True,
                           warnings=tuple(map(str, warned)))
    from demodeck.write import Staging, check_replaceable, write_site

    staging = Staging(target)
    decks: list[Deck] = []
    rendered: Rendered | None = None
    written: Written | None = None
    try:
        # 2.–4. validate, render, check links
        decks, rendered = make_site(site, speed, discovered, strict=strict,
                                    self_contained=self_contained,
                                    staging=staging if held is not None else None)
        # 5. write: all or nothing, the old site swapped for the new
        if held is None:  # a check: only what the write would refuse
            check_replaceable(target)
            speed.checked()
        else:
            written = write_site(target, rendered.pages, staging, extra=site.extra,
                                 held=held, spare=speed.spare(target))
    finally:
        staging.discard()  # a failed build leaves no half-made folder behind
        speed.finish(target, decks, rendered, written)
    return BuildResult(out=target, decks=len(decks), slides=rendered.slides,
                       pages=len(rendered.pages), seconds=time.perf_counter() - started,
                       rendered=rendered.fresh,
                       warnings=(*map(str, rendered.warnings),
                                 *(written.warnings(_shown(site.root, target)) if written
                                   else ())))


def make_site(site: SiteConfig, speed: Plain, discovered: Discovered, *, strict: bool,
              self_contained: bool = False,
              staging: Staging | None = None) -> tuple[list[Deck], Rendered]:
    """Stages 2–4: the decks validated, every page rendered in memory (``staging``: the
    folder the site will be written in, which a process pool may write pages into), and
    its links checked. Raises BuildError on a problem, and with ``strict`` on a warning,
    before anything is written."""
    # 2. validate: every deck into its model, all problems at once
    decks = speed.validate(site, discovered)
    # 3. render: every page, and what `demodeck check` warns about (text too long for
    #    its slide...), from one plan of each deck's slides; then what the project's own
    #    templates missed of the built-in theme's changes
    rendered = speed.render(site, decks, self_contained=self_contained, staging=staging)
    rendered.warnings += warnings.template_warnings(site)  # after the decks' (file order)
    if strict and rendered.warnings:
        raise warnings.as_errors(rendered.warnings)
    # 4. check links: every local link and fragment resolves
    speed.check_links(site, decks, rendered)
    return decks, rendered


def _shown(root: Path, out: Path) -> str:
    """How messages name the output folder: ``site/``, or where it is outside the project."""
    out = out.absolute()
    return (out.relative_to(root).as_posix() if out.is_relative_to(root) else str(out)) + "/"


def _say_waiting(shown: str) -> None:
    print(f"waiting for another demodeck build of {shown} to finish…", file=sys.stderr,
          flush=True)
