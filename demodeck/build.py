"""The pipeline: load → validate → render → write. The CLI and the preview server call this.

Everything is gathered and rendered in memory first; the output folder is
touched only when every deck and template rendered without a problem. Work that
a :class:`~demodeck.cache.BuildCache` already holds (a deck whose bytes did not
change, a page whose inputs did not change) is skipped, and what is left is
spread over a process pool when there is enough of it to pay for the fork.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.pool
import os
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import jinja2

from demodeck import cache as cache_mod
from demodeck import export, linkcheck, load, render, theme, validate
from demodeck.cache import BuildCache
from demodeck.errors import BuildError, Problem, UsageError
from demodeck.load import DeckSource
from demodeck.model import Deck, SiteConfig
from demodeck.render import Page, Renderer
from demodeck.write import write_site

PARALLEL_MIN = 24  # below this many decks a pool costs more than it saves

T = TypeVar("T")
S = TypeVar("S")


@dataclass(frozen=True, slots=True)
class BuildResult:
    out: Path
    decks: int
    slides: int
    pages: int
    seconds: float
    rendered: int = 0  # deck pages rendered this time (the rest came from the cache)
    up_to_date: bool = False  # nothing changed since the last build: nothing was written

    def summary(self) -> str:
        what = "Up to date:" if self.up_to_date else "Built"
        return (f"{what} {self.decks} deck{'s' if self.decks != 1 else ''}, "
                f"{self.slides} slides, {self.pages} files in {self.seconds:.2f} s → {self.out}")


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


# -- a fork-based pool: workers inherit the parent's state instead of unpickling it ----------

_FORKED: Any = None


def _call(fn: Callable[[Any, int], T], index: int) -> T:
    return fn(_FORKED, index)


def _worker_init() -> None:
    """Ctrl-C is the parent's to handle: it stops the pool. A worker that took it too would
    print its own traceback and could die holding the result queue's lock. Workers are
    born with SIGINT blocked (see _new_pool), so no Ctrl-C reaches them before this."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _new_pool(processes: int) -> multiprocessing.pool.Pool:
    """A fork pool whose workers never see Ctrl-C, not even in the instant after fork."""
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        return multiprocessing.get_context("fork").Pool(processes, initializer=_worker_init)
    finally:  # a Ctrl-C that arrived meanwhile is delivered to the parent here
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def parallel_map(fn: Callable[[S, int], T], state: S, count: int, jobs: int,
                 meanwhile: Callable[[], None] = lambda: None) -> list[T]:
    """``[fn(state, i) for i in range(count)]``, across ``jobs`` forked processes if worth it.

    ``meanwhile`` runs in this process while the workers work (or after, when serial).
    Callers that run threads (the preview server) pass ``jobs=1``: forking a threaded
    process is not safe.
    """
    global _FORKED
    if jobs <= 1 or count < PARALLEL_MIN or "fork" not in multiprocessing.get_all_start_methods():
        results = [fn(state, i) for i in range(count)]
        meanwhile()
        return results
    _FORKED = state
    try:
        with _new_pool(min(jobs, count)) as pool:
            pending = pool.map_async(partial(_call, fn), range(count),
                                     chunksize=max(1, count // (jobs * 8)))
            meanwhile()
            return pending.get()
    finally:
        _FORKED = None


# -- load + validate -------------------------------------------------------------------------

def settings_key(site: SiteConfig) -> str:
    return cache_mod.digest(repr(site))


def _validate_one(state: tuple[Sequence[DeckSource], SiteConfig],
                  index: int) -> tuple[Deck | None, list[Problem]]:
    sources, site = state
    problems: list[Problem] = []
    return validate.validate_deck(sources[index], site, problems), problems


def _stamps(deck: Deck) -> tuple[cache_mod.ImageStamp, ...]:
    return tuple(s for a in deck.assets if (s := cache_mod.stamp(a.source)) is not None)


Discovered = tuple[list[DeckSource], list[Problem]]


def discover(site: SiteConfig) -> Discovered:
    return load.discover(site.root.resolve(), site.decks_path)


def check_decks(site: SiteConfig, *, cache: BuildCache | None = None, jobs: int = 1,
                discovered: Discovered | None = None) -> list[Deck]:
    """Load and validate every deck (newest first); raises BuildError with all problems."""
    sources, found = discovered if discovered is not None else discover(site)
    problems = list(found)
    settings = settings_key(site)
    decks: list[Deck] = []
    misses: list[tuple[str, DeckSource]] = []
    for source in sources:
        key = cache_mod.digest(settings, source.digest)
        hit = cache.get_deck(key) if cache is not None else None
        if hit is None:
            misses.append((key, source))
        else:
            decks.append(hit)
    results = parallel_map(_validate_one, ([s for _, s in misses], site), len(misses), jobs)
    for (key, _), (deck, found) in zip(misses, results, strict=True):
        problems.extend(found)
        if deck is not None:
            decks.append(deck)
            if cache is not None:
                cache.put_deck(key, deck, _stamps(deck))
    if not sources and not problems:
        problems.append(Problem(site.decks_dir, 0, 0,
                                "no decks found; create one with `demodeck new`"))
    if problems:
        raise BuildError(problems)
    return sorted(decks, key=lambda d: d.date, reverse=True)


# -- render ----------------------------------------------------------------------------------

def theme_key(site: SiteConfig) -> str:
    """Everything besides the decks that shapes a page: templates, statics, settings."""
    parts: list[str | bytes] = [settings_key(site)]
    for path in theme.template_files(site.root):
        parts += [path.as_posix(), path.read_bytes()]
    return cache_mod.digest(*parts)


RenderState = tuple[Renderer, Sequence[Deck], Sequence[render.DeckContext], bool]


def _render_one(state: RenderState, index: int) -> bytes | Problem:
    renderer, decks, contexts, standalone = state
    try:
        return renderer.deck_page(decks[index], contexts[index], standalone=standalone).data
    except (jinja2.TemplateError, render.RetroMissing) as exc:
        return render.template_problem(renderer.site, exc)


@dataclass
class Rendered:
    pages: list[Page]
    fresh: int  # deck pages rendered (not from the cache)


def render_site(site: SiteConfig, decks: list[Deck], *, cache: BuildCache | None = None,
                jobs: int = 1, self_contained: bool = False) -> Rendered:
    """Every page, asset and image of the site, in memory; raises BuildError on problems.

    ``self_contained``: every HTML page carries its CSS, JS and images inline, and deck
    pages leave out links to the rest of the site, so each works as a single file.
    """
    try:
        renderer = Renderer(site)
        for deck in decks:  # hashed image names are part of each page's key
            for asset in deck.assets:
                renderer.image_page(asset)
        base = theme_key(site)
    except (jinja2.TemplateError, OSError) as exc:
        raise BuildError([render.template_problem(site, exc)]) from exc
    keys = [cache_mod.digest(base, deck.digest, render.context_key(decks, i), str(self_contained),
                             *(renderer.image_page(a).path for a in deck.assets))
            for i, deck in enumerate(decks)]
    cached = [cache.get_page(k) if cache is not None else None for k in keys]
    todo = [i for i, data in enumerate(cached) if data is None]
    state = (renderer, [decks[i] for i in todo], [render.deck_context(decks, i) for i in todo],
             self_contained)
    problems: list[Problem] = []
    archive: list[Page] = []

    def render_archive() -> None:  # in this process, while workers render the decks
        try:
            archive.extend(_archive_pages(renderer, decks, base, cache))
        except jinja2.TemplateError as exc:
            problems.append(render.template_problem(site, exc))

    results = parallel_map(_render_one, state, len(todo), jobs, meanwhile=render_archive)
    for i, result in zip(todo, results, strict=True):
        if isinstance(result, Problem):
            if result not in problems:
                problems.append(result)
            continue
        cached[i] = result
        if cache is not None:
            cache.put_page(keys[i], result)
    if problems:
        raise BuildError(problems)
    pages = [Page(f"{d.slug}/index.html", data) for d, data in zip(decks, cached, strict=True)
             if data is not None]
    everything = [*pages, *archive, *renderer.statics.values(), *renderer.images.values()]
    if self_contained:
        everything = _inline_all(everything)
    broken = linkcheck.check_links(everything, cache=cache)
    if broken:
        raise BuildError(broken)
    return Rendered(everything, len(todo))


def _archive_pages(renderer: Renderer, decks: list[Deck], base: str,
                   cache: BuildCache | None) -> list[Page]:
    pages = []
    for job in render.archive_jobs(renderer, decks):
        key = cache_mod.digest(base, job.path, job.key)
        data = cache.get_page(key) if cache is not None else None
        if data is None:
            data = job.make().data
            if cache is not None:
                cache.put_page(key, data)
        pages.append(Page(job.path, data))
    return pages


def _inline_all(pages: list[Page]) -> list[Page]:
    files = {p.path: p.data for p in pages}
    return [Page(p.path, export.inline_page(p.data.decode(), p.path, files).encode())
            if p.path.endswith(".html") else p for p in pages]


def export_deck(site: SiteConfig, date_text: str | None) -> tuple[Deck, bytes]:
    """One deck as a single self-contained HTML file (the newest when no date is given)."""
    decks = check_decks(site)
    if date_text is None:
        index = 0
    else:
        slugs = [d.slug for d in decks]
        if date_text not in slugs:
            raise UsageError(f"no deck dated {date_text}; decks: {', '.join(slugs[:8])}"
                             + (" ..." if len(slugs) > 8 else ""))
        index = slugs.index(date_text)
    renderer = Renderer(site)
    deck = decks[index]
    context = render.deck_context(decks, index)
    try:
        page = renderer.deck_page(deck, context, standalone=True)
    except (jinja2.TemplateError, render.RetroMissing) as exc:
        raise BuildError([render.template_problem(site, exc)]) from exc
    files = {p.path: p.data for p in (*renderer.statics.values(), *renderer.images.values())}
    return deck, export.inline_page(page.data.decode(), page.path, files).encode()


def _fingerprint(site: SiteConfig, sources: list[DeckSource], out: Path,
                 self_contained: bool) -> str:
    return cache_mod.digest(theme_key(site), str(out.absolute()), str(self_contained),
                            *(s.digest for s in sources))


def _output_stamps(out: Path) -> dict[str, list[int]]:
    stamps: dict[str, list[int]] = {}
    for folder, _, names in os.walk(out):
        for name in names:
            st = os.stat(os.path.join(folder, name))
            stamps[os.path.relpath(os.path.join(folder, name), out)] = [st.st_size,
                                                                        st.st_mtime_ns]
    return stamps


def _unchanged(cache: BuildCache, fingerprint: str, out: Path) -> dict[str, Any] | None:
    """The last build's manifest, if its inputs and the output folder are exactly as it left
    them: same deck bytes, templates and settings, same images, output files untouched."""
    manifest = cache.read_manifest()
    if manifest is None or manifest.get("fingerprint") != fingerprint:
        return None
    for path, size, mtime in manifest.get("images", []):
        if cache_mod.stamp(Path(path)) != (path, size, mtime):
            return None
    return manifest if _output_stamps(out) == manifest.get("output") else None


def build(site: SiteConfig, *, out: Path | None = None, cache: BuildCache | None = None,
          jobs: int = 1, self_contained: bool = False) -> BuildResult:
    """Build the whole site into ``out`` (default: the configured output folder)."""
    started = time.perf_counter()
    target = out if out is not None else site.output_path
    discovered = discover(site)
    fingerprint = _fingerprint(site, discovered[0], target, self_contained)
    if cache is not None and not discovered[1]:
        manifest = _unchanged(cache, fingerprint, target)
        if manifest is not None:
            return BuildResult(out=target, decks=manifest["decks"], slides=manifest["slides"],
                               pages=manifest["pages"], seconds=time.perf_counter() - started,
                               up_to_date=True)
    if cache is not None:
        cache.begin()
    decks = check_decks(site, cache=cache, jobs=jobs, discovered=discovered)
    rendered = render_site(site, decks, cache=cache, jobs=jobs, self_contained=self_contained)
    write_site(target, rendered.pages)
    slides = sum(len(d.slides) for d in decks)
    if cache is not None:
        cache.save()
        images = sorted({s for d in decks for s in _stamps(d)})
        cache.write_manifest({"fingerprint": fingerprint, "decks": len(decks), "slides": slides,
                              "pages": len(rendered.pages), "images": images,
                              "output": _output_stamps(target)})
    return BuildResult(out=target, decks=len(decks), slides=slides, pages=len(rendered.pages),
                       seconds=time.perf_counter() - started, rendered=rendered.fresh)
