"""The new site as a tree, and the plan for writing it: folders to make, files to write or
link, and whole folders to move over from the spare copy.

A file the previous build wrote and this one kept (:class:`~demodeck.pages.Kept`) is
hard-linked into the new folder, never moved out of the old one, and a whole folder of
them (a deck nobody edited) is moved over from the spare copy of the previous site,
which holds the very same files and which nobody serves. Planning is kept apart from
:mod:`demodeck.write` (which runs it and swaps the result in) because deciding what can
move whole is the intricate part, and testable on its own.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from demodeck import outdir
from demodeck.pages import Kept, Output, Staged


@dataclass
class Folder:
    """One folder of the new site: its files and sub-folders by name; ``whole`` when the
    spare copy's folder holds exactly these files, each the very file (a hard link) that
    is kept from the current site, and nothing else, so it can move over as it is."""

    files: dict[str, Output] = field(default_factory=dict)
    folders: dict[str, Folder] = field(default_factory=dict)
    whole: bool = False


@dataclass
class Plan:
    """What the write does, as paths relative to the site root: folders to make (parents
    first), files to write or link, and folders of the spare copy to move over whole."""

    folders: list[str] = field(default_factory=list)
    files: list[tuple[str, Output]] = field(default_factory=list)
    moves: list[str] = field(default_factory=list)
    moved_files: list[str] = field(default_factory=list)  # every file inside those
    spare: Path | None = None  # where they move from


def site_tree(pages: Iterable[Output]) -> Folder:
    """The pages as a tree of folders; a page whose path would leave the site is a bug."""
    root = Folder()
    for page in pages:
        rel = PurePosixPath(page.path)
        if rel.is_absolute() or ".." in rel.parts:  # a page name never leaves the site
            raise ValueError(f"refusing to write outside the site: {page.path}")
        folder = root
        for part in rel.parts[:-1]:
            folder = folder.folders.setdefault(part, Folder())
        folder.files[rel.name] = page
    return root


def make_plan(site: Folder, out: Path, spare: Path | None) -> Plan:
    """What to make, write, link and move to put ``site`` in place, given the ``spare`` copy."""
    if spare is not None:
        _mark_whole(site, str(out), str(spare))
    plan = Plan(spare=spare)
    _add_to_plan(site, "", plan)
    return plan


def move_over(plan: Plan, tmp: Path) -> None:
    """The folders the spare copy gives, as they are: each renamed relative to the two
    folders, opened once (a rebuild of a large archive moves hundreds)."""
    if not plan.moves:
        return
    assert plan.spare is not None  # only a spare gives whole folders
    if os.rename not in os.supports_dir_fd:
        for rel in plan.moves:
            os.rename(plan.spare / rel, tmp / rel)
        return
    with _opened(plan.spare) as spare, _opened(tmp) as new:
        for rel in plan.moves:
            os.rename(rel, rel, src_dir_fd=spare, dst_dir_fd=new)


@contextlib.contextmanager
def _opened(folder: Path) -> Iterator[int]:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        yield fd
    finally:
        os.close(fd)


def usable_spare(spare: Path | None, out: Path) -> Path | None:
    """``spare`` if it is a site demodeck kept there, on the output folder's file system."""
    if spare is None or not outdir.is_site(spare):
        return None
    try:
        return spare if os.stat(spare).st_dev == os.stat(out.parent).st_dev else None
    except OSError:
        return None


def _mark_whole(folder: Folder, old: str, spare: str) -> bool:
    """Whether ``spare`` (a folder of the spare copy) could move over as ``folder``, whose
    files ``old`` (the same folder of the current site) holds; marks each sub-folder
    likewise. Anything else in ``spare`` (a file the new site does not have, a symlink)
    keeps it where it is: the new folder is made, and its kept files are linked."""
    found, kept = _entries(old), _entries(spare)
    whole = kept.keys() == folder.files.keys() | folder.folders.keys()
    for name, page in folder.files.items():
        here, there = found.get(name), kept.get(name)
        whole = whole and (isinstance(page, Kept) and here is not None and there is not None
                           and str(page.source.absolute()) == here.path
                           and here.is_file(follow_symlinks=False)
                           and there.is_file(follow_symlinks=False)
                           and here.inode() == there.inode())
    for name, sub in folder.folders.items():
        here, there = found.get(name), kept.get(name)
        sub.whole = (here is not None and there is not None
                     and here.is_dir(follow_symlinks=False)
                     and there.is_dir(follow_symlinks=False)
                     and _mark_whole(sub, here.path, there.path))
        whole = whole and sub.whole
    return whole


def _entries(folder: str) -> dict[str, os.DirEntry[str]]:
    try:
        with os.scandir(folder) as scan:
            return {entry.name: entry for entry in scan}
    except OSError:  # not there (a new deck)
        return {}


def _add_to_plan(folder: Folder, prefix: str, plan: Plan) -> None:
    """From the top: a folder that can move whole moves; any other is made, and each of
    its sub-folders is decided the same way."""
    plan.files.extend((prefix + name, page) for name, page in folder.files.items())
    for name, sub in folder.folders.items():
        if sub.whole:
            plan.moves.append(prefix + name)
            plan.moved_files.extend(files_in(sub, f"{prefix}{name}/"))
        else:
            plan.folders.append(prefix + name)
            _add_to_plan(sub, f"{prefix}{name}/", plan)


def files_in(folder: Folder, prefix: str) -> Iterator[str]:
    yield from (prefix + name for name in folder.files)
    for name, sub in folder.folders.items():
        yield from files_in(sub, f"{prefix}{name}/")


def write_all(tmp: Path, plan: Plan) -> set[str]:
    """Everything but the moves; returns the files hard-linked."""
    linked: set[str] = set()
    for rel in plan.folders:
        (tmp / rel).mkdir(exist_ok=True)  # a render worker may have made it (Staging)
    for rel, page in plan.files:
        if isinstance(page, Staged):
            if page.source != tmp / rel:
                raise ValueError(f"{page.source} is not in the folder being written, {tmp}")
        elif not isinstance(page, Kept):
            (tmp / rel).write_bytes(page.data)
        elif link_or_copy(page.source, tmp / rel):
            linked.add(rel)
    return linked


def link_or_copy(source: Path | str, target: Path) -> bool:
    """Share the previous build's file (the old folder is removed after the swap, so the
    data has one name again); copy where the file system has no hard links (False). Only
    a plain file is shared: never what a symlink points to."""
    if not stat.S_ISREG(os.lstat(source).st_mode):
        raise OSError(errno.EINVAL, f"{source} is no longer a plain file")
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
        return False
    return True
