"""What the previous site holds that demodeck did not write: carried over or dropped.

The marker file of a site demodeck built lists every file it wrote, so that any other
file found in the output folder at the next build is named when it is dropped, or
carried over (hard-linked) when ``extra:`` in demodeck.yaml lists it. A symlink is never
carried: it could publish any file of this computer. Kept apart from
:mod:`demodeck.write` because it is a feature of its own (``extra:``) with its own rules.
"""

from __future__ import annotations

import json
import os
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from demodeck.outdir import MARKER
from demodeck.write_plan import Folder, files_in, link_or_copy


@dataclass
class Strays:
    """What a write found in the previous site that demodeck did not write: ``carried``
    over (listed under ``extra:``), ``refused`` (listed, but it cannot be: path, why) or
    ``dropped``; and the ``extra:`` paths that were ``missing``."""

    carried: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def warnings(self, shown: str) -> list[str]:
        """The user's side of it, ``shown`` naming the output folder (``site/``)."""
        return [*(f"warning: removed {shown}{rel}, which demodeck did not write; list it "
                  "under 'extra:' in demodeck.yaml to keep it" for rel in self.dropped),
                *(f"warning: did not keep {shown}{rel}, listed under 'extra:': {why}"
                  for rel, why in self.refused),
                *(f"warning: '{rel}' is listed under 'extra:' in demodeck.yaml but is not "
                  f"in {shown}; nothing to keep" for rel in self.missing)]


def marker_text(site: Folder) -> str:
    """The marker file: what it is, then every file demodeck wrote, one JSON string a line."""
    return ("Built by demodeck; this folder is replaced on each build. The files it wrote:\n"
            + "".join(json.dumps(rel, ensure_ascii=False) + "\n"
                      for rel in sorted(files_in(site, ""))))


def _written_before(out: Path) -> set[str] | None:
    """The files the previous build wrote, from its marker; None when it does not say (a
    site of an older demodeck, or no site)."""
    try:
        lines = (out / MARKER).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    if not lines or not lines[0].endswith("The files it wrote:"):
        return None
    try:
        files = {json.loads(line) for line in lines[1:]}
    except ValueError:
        return None
    return files if all(isinstance(f, str) for f in files) else None


@dataclass(frozen=True)
class _Known:
    """The paths the previous build wrote (files, and the folders they are in) and the
    ``extra:`` paths."""

    files: set[str]
    folders: set[str]
    extra: tuple[str, ...]

    def listed(self, rel: str) -> bool:
        return any(rel == e or rel.startswith(e + "/") for e in self.extra)

    def leads_to_extra(self, rel: str) -> bool:
        return any(e.startswith(rel + "/") for e in self.extra)


def carry_over(out: Path, tmp: Path, site: Folder, extra: tuple[str, ...],
                written: Strays) -> None:
    """Carry over into ``tmp`` what ``out`` holds under an ``extra`` path that demodeck
    did not write, and note the rest of what it did not write, which goes."""
    before = _written_before(out)
    if before is None and not extra:
        return  # nobody to tell what goes, nothing to keep
    extra = tuple(e.strip("/") for e in extra)
    folders = {parent for f in before or () for parent in _parents(f)}
    known = _Known(before or set(), folders, extra)
    for rel, entry in _strays(str(out), site, "", known):
        if known.listed(rel.rstrip("/")):
            _carry(entry, tmp, rel.rstrip("/"), written)
        elif before is not None:
            written.dropped.append(rel)
    written.dropped.sort()
    for rel in extra:
        page = _page_at(site, rel)
        if page:
            written.refused.append((rel, "demodeck writes this file itself"))
        elif out.is_dir() and not os.path.lexists(out / rel):
            written.missing.append(rel)


def _parents(rel: str) -> Iterator[str]:
    """The folders a site path is in, as PurePosixPath(rel).parents names them ("a/b",
    "a", "."): in strings, for the hundreds of files of a site's marker."""
    while rel:
        rel = posixpath.dirname(rel)
        yield rel or "."


def _strays(old: str, now: Folder | None, prefix: str,
            known: _Known) -> Iterator[tuple[str, os.DirEntry[str]]]:
    """What the folder ``old`` of the previous site holds that the previous build did
    not write and this one does not write: files, symlinks, and whole folders (named
    with a trailing slash) unless an ``extra:`` path is inside."""
    try:
        with os.scandir(old) as scan:
            entries = list(scan)
    except OSError:  # no previous site
        return
    for entry in entries:
        rel = prefix + entry.name
        if rel == MARKER:
            continue
        if entry.is_dir(follow_symlinks=False):
            sub = now.folders.get(entry.name) if now is not None else None
            if sub is not None or rel in known.folders or known.leads_to_extra(rel):
                yield from _strays(entry.path, sub, rel + "/", known)
            else:
                yield rel + "/", entry
        elif rel not in known.files and not (now is not None and entry.name in now.files):
            yield rel, entry


def _page_at(site: Folder, rel: str) -> bool:
    """Whether the new site has a file at ``rel``."""
    folder: Folder | None = site
    *parents, name = PurePosixPath(rel).parts or ("",)
    for part in parents:
        folder = folder.folders.get(part) if folder is not None else None
    return folder is not None and name in folder.files


def _carry(entry: os.DirEntry[str], tmp: Path, rel: str, written: Strays) -> None:
    """``entry`` of the previous site, at ``rel`` in the new one: a plain file is linked,
    a folder made again with what it holds; a symlink is never carried (it could publish
    any file of this computer)."""
    target = tmp / rel
    try:
        if entry.is_symlink():
            written.refused.append((rel, "it is a symlink, which demodeck never publishes"))
        elif entry.is_dir(follow_symlinks=False):
            target.mkdir(parents=True, exist_ok=True)
            with os.scandir(entry.path) as scan:
                inside = list(scan)
            for sub in inside:
                _carry(sub, tmp, f"{rel}/{sub.name}", written)
        elif not entry.is_file(follow_symlinks=False):
            written.refused.append((rel, "it is not a plain file"))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            link_or_copy(entry.path, target)
            written.carried.append(rel)
    except (FileExistsError, NotADirectoryError, IsADirectoryError):
        written.refused.append((rel, "demodeck writes a file or folder of that name itself"))
