"""What a build leaves for the next one: the manifest of what it read and wrote.

The next build compares it with the disk: inputs and output exactly as they were means
nothing to do (:func:`unchanged`); a deck file whose stamp held is not read again
(:func:`known_sources`); an output file nobody touched may be kept (:func:`reusable`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from demodeck import load, outdir
from demodeck.digest import digest
from demodeck.errors import Problem
from demodeck.incremental.cache import BuildCache
from demodeck.incremental.keys import theme_key
from demodeck.load import DeckSource
from demodeck.model import Deck, SiteConfig
from demodeck.outdir import MARKER
from demodeck.pages import Kept, Output

if TYPE_CHECKING:
    from demodeck.pipeline import Rendered
    from demodeck.write import Staging, Written


def fingerprint(site: SiteConfig, sources: list[DeckSource], out: Path,
                 self_contained: bool) -> str:
    return digest(theme_key(site), str(out.absolute()), str(self_contained),
                            "\0".join(site.extra), *(s.digest for s in sources))


Stamps = dict[str, list[int]]  # site path -> [size, mtime_ns, inode]


def _stamp(st: os.stat_result) -> list[int]:
    """An output file's stamp. The inode tells a file replaced by another of the same size
    and time apart; a kept (hard-linked) file keeps its stamp."""
    return [st.st_size, st.st_mtime_ns, st.st_ino]


def output_stamps(out: Path) -> Stamps:
    """What each output file looks like on disk (its _stamp)."""
    stamps: Stamps = {}

    def walk(folder: str, prefix: str) -> None:
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    walk(entry.path, f"{prefix}{entry.name}/")
                else:
                    stamps[prefix + entry.name] = _stamp(entry.stat(follow_symlinks=False))

    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        walk(str(out), "")
    return stamps


def _written_stamps(out: Path, pages: list[Output], written: Written,
                    manifest: dict[str, Any] | None) -> Stamps:
    """The stamps output_stamps(out) would find right after a write, without walking the
    whole site again: a file the write shared with the previous build (linked from the
    same path) is the very file whose stamp the manifest holds; the rest are new, or
    carried over (``extra:``)."""
    before: Stamps = manifest.get("output", {}) if manifest is not None else {}
    stamps: Stamps = {}
    for page in (*pages, *written.carried, None):
        path = MARKER if page is None else page if isinstance(page, str) else page.path
        if (isinstance(page, Kept) and path in written.shared and path in before
                and page.source == out / path):
            stamps[path] = before[path]
        else:
            stamps[path] = _stamp(os.stat(out / path, follow_symlinks=False))
    return stamps


def unchanged(manifest: dict[str, Any] | None, fingerprint: str, out: Path) -> bool:
    """Whether the inputs and the output folder are exactly as the last build left them:
    same deck bytes, templates and settings, same images, output files untouched."""
    if manifest is None or manifest.get("fingerprint") != fingerprint:
        return False
    settled = manifest.get("read_at", 0) - SETTLE_NS
    if not all(_same_image(entry, settled) for entry in manifest.get("images", [])):
        return False
    return bool(output_stamps(out) == manifest.get("output"))


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
    within SETTLE_NS of the build (see known_sources): a file written again in place
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


def last_pages(cache: BuildCache, out: Path) -> dict[str, bytes]:
    """The pages the last ``demodeck build`` left in ``out`` that may be kept (see
    reusable), their bytes by key: the preview starts from them instead of rendering a
    whole archive again. They are read under the folder's lock, so no build swaps it
    between the look and the read; if a build holds the lock (the preview never waits
    for it), none are kept: every page is rendered. A swap a killed build left half-done
    is repaired first. Theme files and images are left out: their key is their path, and
    the render has their bytes anyway."""
    with outdir.locked(out, lambda: None, wait=False) as mine:
        if not mine:
            return {}
        outdir.repair(out)
        found = reusable(cache.read_manifest(), out)
        return {key: data for path, (key, file) in found.items()
                if key != path and (data := _read(file)) is not None}


def _read(file: Path) -> bytes | None:
    """The bytes of an output file; None if it cannot be read (it is rendered again)."""
    try:
        return file.read_bytes()
    except OSError:
        return None


def reusable(manifest: dict[str, Any] | None, out: Path) -> dict[str, tuple[str, Path]]:
    """Output files the last build wrote into ``out`` that nobody touched since, with the key
    each was made from: the pipeline keeps those whose key it computes again. Each file
    the manifest names is looked at, not the whole folder walked (what else is there is
    the write's business, see demodeck.carry_over)."""
    if manifest is None or manifest.get("out") != str(out.absolute()):
        return {}
    before, keys = manifest.get("output", {}), manifest.get("keys", {})
    folder = os.path.join(out, "")
    return {path: (key, out / path) for path, key in keys.items()
            if (stamp := _stamp_at(folder + path)) is not None and before.get(path) == stamp}


def _stamp_at(path: str) -> list[int] | None:
    """The stamp of the file at ``path``; None if there is nothing by that name."""
    try:
        return _stamp(os.stat(path, follow_symlinks=False))
    except OSError:
        return None


# A deck file whose stamp is the same as when a build read it has the same bytes, unless it
# was written again within the file system's timestamp granularity of that read (two
# seconds on FAT, a few milliseconds on ext4): so only stamps older than this, when read,
# are trusted (git's "racily clean" rule).
SETTLE_NS = 3_000_000_000


def known_sources(manifest: dict[str, Any] | None) -> load.Known:
    """Deck files the last good build read, not to be read again while their stamp holds."""
    if manifest is None or not isinstance(manifest.get("sources"), dict):
        return {}
    before = manifest.get("read_at", 0) - SETTLE_NS
    return {path: ((size, mtime, ctime, ino), digest)
            for path, (size, mtime, ctime, ino, digest) in manifest["sources"].items()
            if ctime < before}


def settled_sources(discovered: list[DeckSource], read_at: int) -> load.Known:
    """The deck files just read (at ``read_at``), as known_sources gives them back from
    the manifest of a build that read them then."""
    before = read_at - SETTLE_NS
    return {path: (stamp, digest) for path, stamp, digest in _read_files(discovered)
            if stamp[2] < before}


def _sources(discovered: list[DeckSource]) -> dict[str, list[Any]]:
    return {path: [*stamp, digest] for path, stamp, digest in _read_files(discovered)}


def _read_files(discovered: list[DeckSource]) -> Iterator[tuple[str, load.Stamp, str]]:
    """Each deck file read, with its stamp (path, stamp, sha256)."""
    for source in discovered:
        for f in (source.main, *source.demo_files):
            if f is not None and f.stamp is not None:
                yield f.path, f.stamp, f.digest


def record(cache: BuildCache, before: dict[str, Any] | None, fingerprint: str,
           read: tuple[int, list[DeckSource]], out: Path, decks: list[Deck],
           rendered: Rendered, written: Written) -> None:
    """The manifest of a good build: what it read (``read``: when, and the deck files),
    wrote (see unchanged, reusable, known_sources) and warned about (a build with nothing
    to do says the same warnings again). The warnings, most of its bytes on a large
    archive, are in a file of their own, named in the manifest by their digest: written
    only when they changed, and read only by a build that has nothing to do."""
    pages = rendered.pages
    warnings = json.dumps(warnings_to_json(rendered.warnings), ensure_ascii=False)
    warned = digest(warnings)
    cache.write_manifest({"fingerprint": fingerprint, "decks": len(decks),
                          "slides": rendered.slides, "pages": len(pages),
                          "images": _image_records(decks, rendered.images),
                          "out": str(out.absolute()), "read_at": read[0],
                          "sources": _sources(read[1]),
                          "keys": {p.path: p.key for p in pages if p.key},
                          "output": _written_stamps(out, pages, written, before),
                          "warned": warned},
                         warnings=None if before is not None and before.get("warned") == warned
                         else f'{{"digest": "{warned}", "warnings": {warnings}}}'.encode())


def warnings_of(cache: BuildCache, manifest: dict[str, Any]) -> list[Problem] | None:
    """The warnings of the build whose ``manifest`` this is, from their file; None if that
    file is not the one it names (or not one at all)."""
    found = cache.read_warnings()
    if found is None or found.get("digest") != manifest.get("warned"):
        return None
    return warnings_from_json(found.get("warnings"))


def save_meanwhile(cache: BuildCache | None, staging: Staging) -> Callable[[], None] | None:
    """Save the cache in another process while this one checks the links and writes the
    site, when the pool rendered into ``staging`` (a parallel build, the command
    line's: no threads) and no earlier site passed the link check, so the check only adds
    to the cache what is in it already (see linkcheck.page_targets). Returns the function
    that waits for it; None: save the usual way, afterwards. The cache holds content
    hashes only, so one saved by a build that then fails is still right."""
    if cache is None or staging.folder is None or cache.checked:
        return None
    return cache.save_in_background()



def spare(cache: BuildCache | None, out: Path) -> Path | None:
    """Where the site a build replaces is kept, for the next build to take unchanged
    folders from (see write.write_site): in the build cache, one per output folder."""
    if cache is None or cache.path is None:
        return None
    name = hashlib.blake2b(str(out.absolute()).encode(), digest_size=8).hexdigest()
    return cache.path.parent / f"previous-site-{name}"


def warnings_to_json(warnings: Iterable[Problem]) -> list[list[str | int]]:
    """The warnings as the warnings file keeps them."""
    return [[p.path, p.line, p.column, p.message, p.field] for p in warnings]


def warnings_from_json(value: object) -> list[Problem] | None:
    """The warnings warnings_to_json gave; None when ``value`` is not such a list (an older
    manifest, which had none: the build then looks again)."""
    if not isinstance(value, list):
        return None
    try:
        return [Problem(str(path), int(line), int(column), str(message), str(field),
                        severity="warning") for path, line, column, message, field in value]
    except (TypeError, ValueError):
        return None
