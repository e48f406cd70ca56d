"""Stage 4, write: pages in memory → the output folder, all or nothing.

Pages are written to a fresh sibling folder which then replaces the output
folder in two renames; if anything fails before the swap the previous site is
untouched and the temporary folder is removed. A file the previous build wrote
and this one kept (:class:`~demodeck.render.Kept`) is hard-linked into the new
folder, not copied, and a whole folder of them (a deck nobody edited: the same
files, each kept from that very folder, and nothing else in it) is renamed into
the new folder instead of being made again file by file: rebuilding a large
archive after a small edit writes only what changed. Those renames come last,
right before the swap; should anything fail from the first of them until the
swap is done, every folder goes back where it was (one that cannot stays in the
temporary folder, which is then kept, and the error says where). Ctrl-C is held
back from then until the old copy is removed (milliseconds), so no interruption
can leave the output folder missing, part of it moved or an old copy aside. A folder
that demodeck did not make is never replaced: the marker file tells ours apart.
A write the system refuses (no permission, a full disk) is a :class:`UsageError`
that says so, not a crash. In a parallel build the render workers write the deck
pages into the new folder themselves (:class:`Staging`), and the rest joins them here.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from demodeck.errors import UsageError
from demodeck.render import Kept, Output, Staged

MARKER = ".demodeck-site"


def check_replaceable(out: Path) -> None:
    """Refuse to replace a folder that is not a site demodeck built (or empty)."""
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise UsageError(f"{out}: exists and is not a folder; choose another output folder")
    if out.is_dir() and not (out / MARKER).exists() and any(out.iterdir()):
        raise UsageError(f"{out}: this folder has files demodeck did not write; "
                         "refusing to replace it (empty it or choose another --out)")


class Staging:
    """The folder the new site is written in, made before the write stage so that render
    workers can write pages into it themselves (:class:`~demodeck.render.Staged`): the
    pages' bytes never travel back to the main process (44 MB for a 520-deck archive),
    and their writing happens in parallel. :func:`write_site` takes it over; a build that
    fails before that removes it with :meth:`discard`."""

    def __init__(self, out: Path) -> None:
        self.out = out.absolute()
        self.folder: Path | None = None

    def make(self) -> Path:
        if self.folder is None:
            check_replaceable(self.out)
            self.folder = _new_folder(self.out)
        return self.folder

    def write(self, path: str, data: bytes) -> Path:
        """Write one page into the folder :meth:`make` made (by a render worker, or by the
        main process while they work)."""
        assert self.folder is not None
        target = self.folder / path
        try:
            _make_folders(self.folder, PurePosixPath(path).parts[:-1])
            target.write_bytes(data)
        except OSError as exc:
            raise _cannot_write(self.out, exc) from exc
        return target

    def take(self) -> Path | None:
        folder, self.folder = self.folder, None
        return folder

    def discard(self) -> None:
        folder = self.take()
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def _make_folders(root: Path, parts: tuple[str, ...]) -> None:
    """Make the folders ``parts`` name below ``root``, each in turn: never ``root`` itself,
    which a failed build may have removed while a worker still writes."""
    folder = root
    for part in parts:
        folder = folder / part
        folder.mkdir(exist_ok=True)


def write_site(out: Path, pages: Iterable[Output], staging: Staging | None = None) -> set[str]:
    """Write ``pages`` under ``out``, replacing its previous contents in one swap; in the
    ``staging`` folder, if it was made (it holds the Staged pages).

    Returns the paths whose file is the previous build's file itself (hard-linked or in a
    folder that moved over): on disk they are exactly as they were."""
    out = out.absolute()
    check_replaceable(out)
    site = _tree(pages)
    tmp = (staging.take() if staging is not None else None) or _new_folder(out)
    try:
        plan = _plan(site, out)
        shared = _write_all(tmp, plan) | set(plan.moved_files)
        (tmp / MARKER).write_text("Built by demodeck; this folder is replaced on each build.\n")
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes 0700; a site must be readable
        _swap(tmp, out, plan.moves)
    except BaseException as exc:
        if not isinstance(exc, _Stranded):  # never delete what could not be put back
            shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError):
            raise _cannot_write(out, exc) from exc
        raise
    return shared


def _new_folder(out: Path) -> Path:
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    except OSError as exc:
        raise _cannot_write(out, exc) from exc


def _cannot_write(out: Path, exc: OSError) -> UsageError:
    return UsageError(f"cannot write the site to {out}: {exc.strerror or exc}; "
                      "the previous site is unchanged")


class _Stranded(UsageError):
    """A failed build could not move some folders of the previous site back: they stay in
    the temporary folder, which is kept, and the message says where."""


@dataclass
class _Folder:
    """One folder of the new site: its files and sub-folders by name; ``whole`` when the
    same folder of the current site holds exactly these files, kept from there, and
    nothing else, so it can move over as it is."""

    files: dict[str, Output] = field(default_factory=dict)
    folders: dict[str, _Folder] = field(default_factory=dict)
    whole: bool = False


@dataclass
class _Plan:
    """What the write does, as paths relative to the site root: folders to make (parents
    first), files to write or link, and folders of the current site to move over whole."""

    folders: list[str] = field(default_factory=list)
    files: list[tuple[str, Output]] = field(default_factory=list)
    moves: list[str] = field(default_factory=list)
    moved_files: list[str] = field(default_factory=list)  # every file inside those


def _tree(pages: Iterable[Output]) -> _Folder:
    root = _Folder()
    for page in pages:
        rel = PurePosixPath(page.path)
        if rel.is_absolute() or ".." in rel.parts:  # a page name never leaves the site
            raise ValueError(f"refusing to write outside the site: {page.path}")
        folder = root
        for part in rel.parts[:-1]:
            folder = folder.folders.setdefault(part, _Folder())
        folder.files[rel.name] = page
    return root


def _plan(site: _Folder, out: Path) -> _Plan:
    _mark_whole(site, str(out))
    plan = _Plan()
    _add_to_plan(site, "", plan)
    return plan


def _mark_whole(folder: _Folder, old: str) -> bool:
    """Whether ``old`` (a folder of the current site) could move over as ``folder``; marks
    each sub-folder likewise. Anything else in ``old`` (a stale or hand-made file, a
    symlink) keeps it where it is: what the new site needs from it is linked instead."""
    try:
        with os.scandir(old) as scan:
            found = {entry.name: entry for entry in scan}
    except OSError:  # not in the current site (a first build, a new deck)
        return False
    whole = found.keys() == folder.files.keys() | folder.folders.keys()
    for name, page in folder.files.items():
        entry = found.get(name)
        whole = whole and (isinstance(page, Kept) and entry is not None
                           and entry.is_file(follow_symlinks=False)
                           and str(page.source.absolute()) == entry.path)
    for name, sub in folder.folders.items():
        entry = found.get(name)
        sub.whole = (entry is not None and entry.is_dir(follow_symlinks=False)
                     and _mark_whole(sub, entry.path))
        whole = whole and sub.whole
    return whole


def _add_to_plan(folder: _Folder, prefix: str, plan: _Plan) -> None:
    """From the top: a folder that can move whole moves; any other is made, and each of
    its sub-folders is decided the same way."""
    plan.files.extend((prefix + name, page) for name, page in folder.files.items())
    for name, sub in folder.folders.items():
        if sub.whole:
            plan.moves.append(prefix + name)
            plan.moved_files.extend(_files_in(sub, f"{prefix}{name}/"))
        else:
            plan.folders.append(prefix + name)
            _add_to_plan(sub, f"{prefix}{name}/", plan)


def _files_in(folder: _Folder, prefix: str) -> Iterator[str]:
    yield from (prefix + name for name in folder.files)
    for name, sub in folder.folders.items():
        yield from _files_in(sub, f"{prefix}{name}/")


def _write_all(tmp: Path, plan: _Plan) -> set[str]:
    """Everything but the moves; returns the files hard-linked. Kept files are linked now,
    while every source is still where it was (a moved folder takes its files along)."""
    linked: set[str] = set()
    for rel in plan.folders:
        (tmp / rel).mkdir(exist_ok=True)  # a render worker may have made it (Staging)
    for rel, page in plan.files:
        if isinstance(page, Staged):
            if page.source != tmp / rel:
                raise ValueError(f"{page.source} is not in the folder being written, {tmp}")
        elif not isinstance(page, Kept):
            (tmp / rel).write_bytes(page.data)
        elif _link(page.source, tmp / rel):
            linked.add(rel)
    return linked


def _link(source: Path, target: Path) -> bool:
    """Share the previous build's file (the old folder is removed after the swap, so the
    data has one name again); copy where the file system has no hard links (False)."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
        return False
    return True


def _swap(new: Path, out: Path, moves: list[str]) -> None:
    """Move the unchanged folders from ``out`` into ``new``, then ``new`` into place; if
    anything fails before that is done, every moved folder goes back first."""
    with _interrupts_held():
        moved: list[str] = []
        try:
            for rel in moves:
                os.rename(out / rel, new / rel)
                moved.append(rel)
            old = _replace(new, out)
        except BaseException as exc:
            _put_back(new, out, moved, exc)
            raise
        if old is not None:  # now only what did not move: the changed folders, few files
            shutil.rmtree(old, ignore_errors=True)


def _replace(new: Path, out: Path) -> Path | None:
    """``new`` becomes ``out``; the previous ``out``, moved aside, is returned for removal."""
    if not out.exists():
        os.rename(new, out)
        return None
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    old.rmdir()
    os.rename(out, old)
    try:
        os.rename(new, out)
    except BaseException:
        os.rename(old, out)  # put the previous site back
        raise
    return old


def _put_back(new: Path, out: Path, moved: list[str], cause: BaseException) -> None:
    stranded: list[str] = []
    for rel in reversed(moved):
        try:
            os.rename(new / rel, out / rel)
        except OSError:
            stranded.append(rel)
    if stranded:
        why = cause.strerror if isinstance(cause, OSError) else None
        raise _Stranded(f"cannot write the site to {out} ({why or type(cause).__name__}), and "
                        f"{len(stranded)} folder(s) of the previous site could not be moved "
                        f"back ({', '.join(stranded[:3])}{', ...' if len(stranded) > 3 else ''}"
                        f"): they are in {new}; move them back into {out} by hand")


@contextlib.contextmanager
def _interrupts_held() -> Iterator[None]:
    """Ignore Ctrl-C for the few milliseconds of the swap: a KeyboardInterrupt while the
    unchanged folders move or the rollback moves them back would leave a site with holes,
    one between the two renames no site at all, one during the clean-up a stray old copy.
    The build is complete by then, so a Ctrl-C that lands here simply comes a moment too late.
    Only the main thread is ever interrupted, and only it may change signal handlers."""
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or previous is None:
        yield
        return
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask

