"""Build the site into its folder: the pipeline's pages, written all or nothing.

The CLI and the preview server are thin shells over this, :mod:`demodeck.check` and
:mod:`demodeck.pipeline`.
A build whose inputs and output folder are exactly as the last build left them
stops after hashing the inputs, before importing Jinja, Markdown or Pygments; any
other build keeps every output file whose key did not change (see
:class:`~demodeck.render.Kept`) and renders the rest. One build of an output folder
runs at a time, and it first repairs what a killed one left (:mod:`demodeck.outdir`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from demodeck import cache as cache_mod
from demodeck import load, outdir, theme
from demodeck.cache import BuildCache
from demodeck.load import DeckSource
from demodeck.model import Deck, SiteConfig

if TYPE_CHECKING:
    from demodeck.pipeline import Rendered
    from demodeck.render import Output, Renderer
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
    warnings: tuple[str, ...] = ()  # for stderr: files dropped from the site, a repair...

    def summary(self) -> str:
        what = "Up to date:" if self.up_to_date else "Built"
        return (f"{what} {self.decks} deck{'s' if self.decks != 1 else ''}, "
                f"{self.slides} slides, {self.pages} files in {self.seconds:.2f} s → {self.out}")


def _fingerprint(site: SiteConfig, sources: list[DeckSource], out: Path,
                 self_contained: bool) -> str:
    return cache_mod.digest(theme.key(site), str(out.absolute()), str(self_contained),
                            "\0".join(site.extra), *(s.digest for s in sources))


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


def _written_stamps(out: Path, pages: list[Output], written: Written,
                    manifest: dict[str, Any] | None) -> Stamps:
    """The stamps _output_stamps(out) would find right after a write, without walking the
    whole site again: a file the write shared with the previous build (linked from the
    same path) is the very file whose stamp the manifest holds; the rest are new, or
    carried over (``extra:``)."""
    from demodeck.render import Kept
    from demodeck.write import MARKER

    before: Stamps = manifest.get("output", {}) if manifest is not None else {}
    stamps: Stamps = {}
    for page in (*pages, *written.carried, None):
        path = MARKER if page is None else page if isinstance(page, str) else page.path
        if (isinstance(page, Kept) and path in written.shared and path in before
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
    settled = manifest.get("read_at", 0) - SETTLE_NS
    if not all(_same_image(entry, settled) for entry in manifest.get("images", [])):
        return False
    return bool(_output_stamps(out) == manifest.get("output"))


ImageRecord = list[Any]  # [path, size, mtime_ns, ctime_ns, inode, its page in the site]


def _image_records(decks: list[Deck], pages: dict[Path, str]) -> list[ImageRecord]:
    """Each image the site shows, as _same_image checks it: its stamp, and the site path
    of what the build read, whose name carries a hash of the content."""
    records = []
    for source in sorted({a.source for d in decks for a in d.assets}):
        with contextlib.suppress(OSError, KeyError):
            st = os.stat(source)
            records.append([str(source), st.st_size, st.st_mtime_ns, st.st_ctime_ns,
                            st.st_ino, pages[source]])
    return records


def _same_image(record: ImageRecord, settled: int) -> bool:
    """Whether an image still holds what the last build read. Its stamp is enough only if
    nothing changed the file since that build read it (ctime, inode) and that was not
    within SETTLE_NS of the build (see _known_sources): a file written again in place
    with its size and mtime put back has another ctime. Otherwise it is read, and keyed
    by its content as the site is: the hash in its page's name."""
    if len(record) != 6:  # a manifest of an older demodeck
        return False
    path, size, mtime, ctime, ino, page = record
    try:
        st = os.stat(path)
    except OSError:
        return False
    if (st.st_size, st.st_mtime_ns) != (size, mtime):
        return False
    if (st.st_ctime_ns, st.st_ino) == (ctime, ino) and ctime < settled:
        return True
    try:
        data = Path(path).read_bytes()
    except OSError:
        return False
    return bool(PurePosixPath(page).stem.rsplit(".", 1)[-1]
                == hashlib.sha256(data).hexdigest()[:10])  # see render.hashed_name


def reusable_files(cache: BuildCache, out: Path) -> dict[str, tuple[str, Path]]:
    """Files the last ``demodeck build`` left in ``out`` that may be kept (see _reusable):
    the preview starts from them instead of rendering a whole archive again. A swap a
    killed build left half-done is repaired first, unless a build runs meanwhile."""
    with outdir.locked(out, lambda: None, wait=False) as mine:
        if mine:
            outdir.repair(out)
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
            rendered: Rendered, written: Written, counts: dict[str, int]) -> None:
    """The manifest of a good build: what it read (``read``: when, and the deck files) and
    wrote (see _unchanged, _reusable, _known_sources), and how many slides each deck page
    shows, with the key it was made from (see _slide_counts)."""
    pages = rendered.pages
    keys = {p.path: p.key for p in pages}
    cache.write_manifest({"fingerprint": fingerprint, "decks": len(decks), "slides": slides,
                          "slide_counts": {path: [keys.get(path), n]
                                           for path, n in counts.items()},
                          "pages": len(pages), "images": _image_records(decks, rendered.images),
                          "out": str(out.absolute()), "read_at": read[0],
                          "sources": _sources(read[1]),
                          "keys": {p.path: p.key for p in pages if p.key},
                          "output": _written_stamps(out, pages, written, before)})


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
    """Build the whole site into ``out`` (default: the configured output folder), once
    no other build of it runs; the first waits, saying so once on stderr."""
    target = out if out is not None else site.output_path
    shown = _shown(site.root, target)
    # signals are held back from the swap on (see write.write_site) until the lock is
    # released: a build stopped then would have changed the site while saying it did not
    with contextlib.ExitStack() as held, outdir.locked(target, partial(_say_waiting, shown)):
        notes = outdir.repair(target)
        try:
            result = _build(site, target, cache, jobs, self_contained, held)
        except BaseException:  # also a folder made in the instant a signal came
            with contextlib.suppress(Exception):  # never in the way of what went wrong
                outdir.repair(target)
            raise
    return dataclasses.replace(result, warnings=(*notes, *result.warnings))


def _shown(root: Path, out: Path) -> str:
    """How messages name the output folder: ``site/``, or where it is outside the project."""
    out = out.absolute()
    return (out.relative_to(root).as_posix() if out.is_relative_to(root) else str(out)) + "/"


def _spare(cache: BuildCache | None, out: Path) -> Path | None:
    """Where the site a build replaces is kept, for the next build to take unchanged
    folders from (see write.write_site): in the build cache, one per output folder."""
    if cache is None or cache.path is None:
        return None
    name = hashlib.blake2b(str(out.absolute()).encode(), digest_size=8).hexdigest()
    return cache.path.parent / f"previous-site-{name}"


def _say_waiting(shown: str) -> None:
    print(f"waiting for another demodeck build of {shown} to finish…", file=sys.stderr,
          flush=True)


def _build(site: SiteConfig, target: Path, cache: BuildCache | None, jobs: int,
           self_contained: bool, held: contextlib.ExitStack) -> BuildResult:
    started, read_at = time.perf_counter(), time.time_ns()
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
        written = write_site(target, rendered.pages, staging, extra=site.extra, held=held,
                             spare=_spare(cache, target))
    finally:
        staging.discard()  # a failed build leaves no half-made folder behind
        if saved is not None:
            saved()
    counts = _slide_counts(site, decks, rendered, manifest)
    slides = sum(counts.values())
    if cache is not None:
        if saved is None:
            cache.save()
        _record(cache, manifest, fingerprint, (read_at, discovered[0]), target, decks,
                slides, rendered, written, counts)
    return BuildResult(out=target, decks=len(decks), slides=slides, pages=len(rendered.pages),
                       seconds=time.perf_counter() - started, rendered=rendered.fresh,
                       warnings=(*rendered.warnings,
                                 *written.warnings(_shown(site.root, target))))


def _slide_counts(site: SiteConfig, decks: list[Deck], rendered: Rendered,
                  manifest: dict[str, Any] | None) -> dict[str, int]:
    """How many slides each deck page shows (by its path): as rendered now, or as the
    build that made a page of the same key counted; else planned again (slides.count)."""
    from demodeck import sizes as theme_sizes
    from demodeck import slides

    keys = {p.path: p.key for p in rendered.pages}
    before = manifest.get("slide_counts", {}) if manifest is not None else {}
    theme = functools.cache(partial(theme_sizes.of_project, site.root))
    whole = functools.cache(partial(slides.whole, site.root))
    counts: dict[str, int] = {}
    for i, deck in enumerate(decks):
        path = f"{deck.slug}/index.html"
        known = before.get(path) if isinstance(before, dict) else None
        if path in rendered.slides:
            counts[path] = rendered.slides[path]
        elif isinstance(known, list) and len(known) == 2 and known[0] == keys.get(path):
            counts[path] = int(known[1])
        else:
            counts[path] = slides.count(deck, decks[i + 1] if i + 1 < len(decks) else None,
                                        theme(), whole())
    return counts
