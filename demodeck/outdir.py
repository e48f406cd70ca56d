"""The output folder between builds: one build at a time, and no swap left half-done.

A build holds a lock on its output folder (``fcntl.flock`` on ``.<name>.lock`` beside
it, never inside the published site) from before it looks at the previous site until
the new one is in place: two builds at once would each take files from a site the
other is replacing. The second waits. Where the system has no ``fcntl`` (Windows) no
lock is taken. Under the lock, :func:`repair` undoes what a killed build may have left:
the previous site moved aside and not put back (only where the swap takes two renames,
see :mod:`demodeck.write`), and temporary folders. Light on imports: every build takes
the lock, also one that finds nothing to do.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

from demodeck.errors import UsageError

MARKER = ".demodeck-site"


def new_prefix(out: Path) -> str:
    """The name a new site is written under, beside ``out``."""
    return f".{out.name}.new-"


def old_prefix(out: Path) -> str:
    """The name the previous site takes while a two-rename swap replaces it."""
    return f".{out.name}.old-"


@contextlib.contextmanager
def locked(out: Path, waiting: Callable[[], None], *, wait: bool = True) -> Iterator[bool]:
    """Hold the lock of the output folder ``out``, calling ``waiting`` once first if
    another build holds it. Yields False (and holds nothing) when ``wait`` is off and
    the lock is taken, or when the lock file cannot be made (a read-only folder: the
    build fails there anyway if it has anything to write)."""
    try:
        import fcntl
    except ImportError:  # Windows: no lock, see the module's docstring
        yield True
        return
    fd = _acquire(out.parent / f".{out.name}.lock", waiting, wait)
    if fd is None:
        yield False
        return
    try:
        yield True
    finally:
        with contextlib.suppress(OSError):  # before unlocking: see _acquire
            os.unlink(out.parent / f".{out.name}.lock")
        fcntl.flock(fd, fcntl.LOCK_UN)  # forked helpers may still hold the descriptor
        os.close(fd)


def _acquire(path: Path, waiting: Callable[[], None], wait: bool) -> int | None:
    """The locked descriptor of the lock file ``path``. Its holder removes the file before
    unlocking, so a build that got the lock of a file no longer there tries again."""
    import fcntl

    told = False
    while True:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC
                         | getattr(os, "O_NOFOLLOW", 0), 0o644)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise UsageError(f"{path} is a symlink; demodeck never follows one "
                                 "beside the site: remove it") from exc
            return None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if not wait:
                    os.close(fd)
                    return None
                if not told:
                    waiting()
                    told = True
                fcntl.flock(fd, fcntl.LOCK_EX)
            if _same_file(fd, path):
                return fd
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)


def _same_file(fd: int, path: Path) -> bool:
    try:
        here, there = os.fstat(fd), os.lstat(path)
    except FileNotFoundError:
        return False
    return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)


def repair(out: Path) -> list[str]:
    """Under the lock: put back the previous site a killed build had moved aside (the
    output folder is missing and a ``.<name>.old-…`` folder of ours is there), then remove
    every temporary folder of killed builds. Returns what the user should be told."""
    out = out.absolute()
    try:
        names = os.listdir(out.parent)
    except OSError:  # no parent yet: nothing was ever built here
        return []
    aside = [out.parent / n for n in names if n.startswith((old_prefix(out), new_prefix(out)))]
    aside = [p for p in aside if p.is_dir() and not p.is_symlink()]
    notes: list[str] = []
    if not os.path.lexists(out):
        whole = [p for p in aside if p.name.startswith(old_prefix(out)) and is_site(p)]
        if whole:  # the newest: a copy whose removal failed may be there too
            back = max(whole, key=lambda p: p.lstat().st_ctime_ns)
            try:
                os.rename(back, out)
            except OSError as exc:
                raise UsageError(f"cannot put back the previous site, {back}, which a "
                                 f"stopped build had moved aside, as {out}: "
                                 f"{exc.strerror or exc}; rename it by hand") from exc
            aside.remove(back)
            notes.append(f"note: put back the previous site in {out}: a build stopped between "
                         "the two renames of its swap had moved it aside")
    for folder in aside:
        failed = remove(folder)
        if failed:
            notes.append(f"warning: cannot remove {folder}, left by a build that was stopped "
                         f"({failed}); delete it by hand")
    return notes


def is_site(folder: Path) -> bool:
    """Whether ``folder`` is a site demodeck wrote (a folder, not a symlink, with the marker)."""
    return (not folder.is_symlink() and folder.is_dir() and (folder / MARKER).is_file()
            and not (folder / MARKER).is_symlink())


def remove(folder: Path) -> str | None:
    """Remove ``folder`` and everything in it; the reason if some of it stays. A read-only
    folder inside is made writable first: the whole tree is demodeck's own copy (its
    files may be hard-linked into the new site, so only folders are changed). A symlink
    found in its place is removed itself, never followed."""
    if os.path.islink(folder):
        with contextlib.suppress(OSError):
            os.unlink(folder)
        return None if not os.path.lexists(folder) else "it is a symlink"
    shutil.rmtree(folder, ignore_errors=True)
    if not os.path.lexists(folder):
        return None
    with contextlib.suppress(OSError):
        _writable_folders(folder)
    try:
        shutil.rmtree(folder)
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def _writable_folders(folder: Path) -> None:
    os.chmod(folder, 0o700)
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                _writable_folders(Path(entry.path))
