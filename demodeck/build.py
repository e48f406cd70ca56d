"""Build the site into its folder: the pipeline's pages, written all or nothing.

The CLI and the preview server are thin shells over this, :mod:`demodeck.check` and
:mod:`demodeck.pipeline`.
A build whose inputs and output folder are exactly as the last build left them
stops after hashing the inputs, before importing Jinja, Markdown or Pygments; any
other build keeps every output file whose key did not change (see
:class:`~demodeck.render.Kept`) and renders the rest.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from demodeck import cache as cache_mod
from demodeck import load, theme
from demodeck.cache import BuildCache
from demodeck.load import DeckSource
from demodeck.model import Deck, SiteConfig

if TYPE_CHECKING:
    from demodeck.render import Output, Renderer
    from demodeck.write import Staging


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


def _fingerprint(site: SiteConfig, sources: list[DeckSource], out: Path,
                 self_contained: bool) -> str:
    return cache_mod.digest(theme.key(site), str(out.absolute()), str(self_contained),
                            *(s.digest for s in sources))


Stamps = dict[str, list[int]]  # site path -> [size, mtime_ns, inode]


def _output_stamps(out: Path) -> Stamps:
    """What each output file looks like on disk. The inode tells a file replaced by another
    of the same size and time apart; a kept (hard-linked) file keeps its stamp."""
    stamps: Stamps = {}

    def walk(folder: str, prefix: str) -> None:
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    walk(entry.path, f"{prefix}{entry.name}/")
                else:
                    st = entry.stat(follow_symlinks=False)
                    stamps[prefix + entry.name] = [st.st_size, st.st_mtime_ns, st.st_ino]

    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        walk(str(out), "")
    return stamps


def _written_stamps(out: Path, pages: list[Output], shared: set[str],
                    manifest: dict[str, Any] | None) -> Stamps:
    """The stamps _output_stamps(out) would find right after a write, without walking the
    whole site again: a file the write shared with the previous build (linked, or moved
    with its folder, from the same path) is the very file whose stamp the manifest holds;
    the rest are new."""
    from demodeck.render import Kept
    from demodeck.write import MARKER

    before: Stamps = manifest.get("output", {}) if manifest is not None else {}
    stamps: Stamps = {}
    for page in (*pages, None):
        path = MARKER if page is None else page.path
        if (isinstance(page, Kept) and path in shared and path in before
                and page.source == out / path):
            stamps[path] = before[path]
        else:
            st = os.stat(out / path, follow_symlinks=False)
            stamps[path] = [st.st_size, st.st_mtime_ns, st.st_ino]
    return stamps


def _unchanged(manifest: dict[str, Any] | None, fingerprint: str, out: Path) -> bool:
    """Whether the inputs and the output folder are exactly as the last build left them:
    same deck bytes, templates and settings, same images, output files untouched."""
    if manifest is None or manifest.get("fingerprint") != fingerprint:
        return False
    for path, size, mtime in manifest.get("images", []):
        if cache_mod.stamp(Path(path)) != (path, size, mtime):
            return False
    return bool(_output_stamps(out) == manifest.get("output"))


def reusable_files(cache: BuildCache, out: Path) -> dict[str, tuple[str, Path]]:
    """Files the last ``demodeck build`` left in ``out`` that may be kept (see _reusable):
    the preview starts from them instead of rendering a whole archive again."""
    return _reusable(cache.read_manifest(), out)


def _reusable(manifest: dict[str, Any] | None, out: Path) -> dict[str, tuple[str, Path]]:
    """Output files the last build wrote into ``out`` that nobody touched since, with the key
    each was made from: the pipeline keeps those whose key it computes again."""
    if manifest is None or manifest.get("out") != str(out.absolute()):
        return {}
    before, keys = manifest.get("output", {}), manifest.get("keys", {})
    return {path: (keys[path], out / path) for path, stamp in _output_stamps(out).items()
            if path in keys and before.get(path) == stamp}


# A deck file whose stamp is the same as when a build read it has the same bytes, unless it
# was written again within the file system's timestamp granularity of that read (two
# seconds on FAT, a few milliseconds on ext4): so only stamps older than this, when read,
# are trusted (git's "racily clean" rule).
SETTLE_NS = 3_000_000_000


def _known_sources(manifest: dict[str, Any] | None) -> load.Known:
    """Deck files the last good build read, not to be read again while their stamp holds."""
    if manifest is None or not isinstance(manifest.get("sources"), dict):
        return {}
    before = manifest.get("read_at", 0) - SETTLE_NS
    return {path: ((size, mtime, ctime, ino), digest)
            for path, (size, mtime, ctime, ino, digest) in manifest["sources"].items()
            if ctime < before}


def _sources(discovered: list[DeckSource]) -> dict[str, list[Any]]:
    return {f.path: [*f.stamp, f.digest] for source in discovered
            for f in (source.main, *source.demo_files) if f is not None and f.stamp}


def _record(cache: BuildCache, before: dict[str, Any] | None, fingerprint: str,
            read: tuple[int, list[DeckSource]], out: Path, decks: list[Deck], slides: int,
            pages: list[Output], shared: set[str]) -> None:
    """The manifest of a good build: what it read (``read``: when, and the deck files) and
    wrote (see _unchanged, _reusable, _known_sources)."""
    images = sorted({s for d in decks for s in cache_mod.image_stamps(d)})
    cache.write_manifest({"fingerprint": fingerprint, "decks": len(decks), "slides": slides,
                          "pages": len(pages), "images": images, "out": str(out.absolute()),
                          "read_at": read[0], "sources": _sources(read[1]),
                          "keys": {p.path: p.key for p in pages if p.key},
                          "output": _written_stamps(out, pages, shared, before)})


def _prepare_render(site: SiteConfig, prepared: list[Renderer | None],
                    sources: Sequence[DeckSource]) -> None:
    """While a worker starts validating ``sources``, this process imports the rendering
    (Jinja, Markdown, Pygments) and gets a renderer ready, before it validates decks too;
    the render worker, forked later, inherits both."""
    from demodeck import pipeline

    prepared.append(pipeline.prepare_render(site, sources))


def _save_meanwhile(cache: BuildCache | None, staging: Staging) -> Callable[[], None] | None:
    """Save the cache in another process while this one checks the links and writes the
    site, when the pool rendered into ``staging`` (a parallel build, the command
    line's: no threads) and no earlier site passed the link check, so the check only adds
    to the cache what is in it already (see linkcheck.page_targets). Returns the function
    that waits for it; None: save the usual way, afterwards. The cache holds content
    hashes only, so one saved by a build that then fails is still right."""
    if cache is None or staging.folder is None or cache.checked:
        return None
    return cache.save_in_background()


def build(site: SiteConfig, *, out: Path | None = None, cache: BuildCache | None = None,
          jobs: int = 1, self_contained: bool = False) -> BuildResult:
    """Build the whole site into ``out`` (default: the configured output folder)."""
    started, read_at = time.perf_counter(), time.time_ns()
    target = out if out is not None else site.output_path
    manifest = cache.read_manifest() if cache is not None else None
    discovered = load.discover(site.root.resolve(), site.decks_path, _known_sources(manifest))
    fingerprint = _fingerprint(site, discovered[0], target, self_contained)
    if not discovered[1] and _unchanged(manifest, fingerprint, target):
        assert manifest is not None
        return BuildResult(out=target, decks=manifest["decks"], slides=manifest["slides"],
                           pages=manifest["pages"], seconds=time.perf_counter() - started,
                           up_to_date=True)
    from demodeck import check  # no Jinja or Markdown: those are imported meanwhile

    if cache is not None:
        cache.begin()
        if manifest is not None and isinstance(manifest.get("keys"), dict):
            cache.checked = manifest["keys"]  # the last good build's pages passed the check
    prepared: list[Renderer | None] = []
    decks = check.check_decks(site, cache=cache, jobs=jobs, discovered=discovered,
                              meanwhile=partial(_prepare_render, site, prepared))
    from demodeck import pipeline  # Jinja, Markdown: only when something changed
    from demodeck.write import Staging, write_site

    staging = Staging(target)
    saved: Callable[[], None] | None = None
    try:
        rendered = pipeline.render_pages(
            site, decks, cache=cache, jobs=jobs, self_contained=self_contained,
            reusable=_reusable(manifest, target), renderer=prepared[0] if prepared else None,
            staging=staging)
        saved = _save_meanwhile(cache, staging)
        pipeline.check_site(rendered, cache)
        shared = write_site(target, rendered.pages, staging)
    finally:
        staging.discard()  # a failed build leaves no half-made folder behind
        if saved is not None:
            saved()
    slides = sum(d.slide_count for d in decks)
    if cache is not None:
        if saved is None:
            cache.save()
        _record(cache, manifest, fingerprint, (read_at, discovered[0]), target, decks,
                slides, rendered.pages, shared)
    return BuildResult(out=target, decks=len(decks), slides=slides, pages=len(rendered.pages),
                       seconds=time.perf_counter() - started, rendered=rendered.fresh)
