"""Stage 4, write: pages in memory → the output folder, all or nothing.

Pages are written to a fresh sibling folder which then replaces the output
folder in two renames; if anything fails before the swap the previous site is
untouched and the temporary folder is removed. Ctrl-C is held back during the
swap itself (milliseconds), so no interruption can leave the output folder
missing or an old copy aside. A file the previous build wrote and this one kept
(:class:`~demodeck.render.Kept`) is hard-linked into the new folder, not copied:
rebuilding a large archive after a small edit writes only what changed. A folder
that demodeck did not make is never
replaced: the marker file tells ours apart. A write the system refuses (no
permission, a full disk) is a :class:`UsageError` that says so, not a crash.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath

from demodeck.errors import UsageError
from demodeck.render import Kept, Output

MARKER = ".demodeck-site"


def check_replaceable(out: Path) -> None:
    """Refuse to replace a folder that is not a site demodeck built (or empty)."""
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise UsageError(f"{out}: exists and is not a folder; choose another output folder")
    if out.is_dir() and not (out / MARKER).exists() and any(out.iterdir()):
        raise UsageError(f"{out}: this folder has files demodeck did not write; "
                         "refusing to replace it (empty it or choose another --out)")


def write_site(out: Path, pages: Iterable[Output]) -> None:
    """Write ``pages`` under ``out``, replacing its previous contents in one swap."""
    out = out.absolute()
    check_replaceable(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    except OSError as exc:
        raise _cannot_write(out, exc) from exc
    try:
        _write_all(tmp, pages)
        (tmp / MARKER).write_text("Built by demodeck; this folder is replaced on each build.\n")
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes 0700; a site must be readable
        _swap(tmp, out)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError):
            raise _cannot_write(out, exc) from exc
        raise


def _cannot_write(out: Path, exc: OSError) -> UsageError:
    return UsageError(f"cannot write the site to {out}: {exc.strerror or exc}; "
                      "the previous site is unchanged")


def _write_all(tmp: Path, pages: Iterable[Output]) -> None:
    made: set[Path] = {tmp}
    for page in pages:
        rel = PurePosixPath(page.path)
        if rel.is_absolute() or ".." in rel.parts:  # a page name never leaves the site
            raise ValueError(f"refusing to write outside the site: {page.path}")
        target = tmp.joinpath(*rel.parts)
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        if isinstance(page, Kept):
            _link(page.source, target)
        else:
            target.write_bytes(page.data)


def _link(source: Path, target: Path) -> None:
    """Share the previous build's file (the old folder is removed after the swap, so the
    data has one name again); copy where the file system has no hard links."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _swap(new: Path, out: Path) -> None:
    with _interrupts_held():
        if not out.exists():
            os.rename(new, out)
            return
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
        old.rmdir()
        os.rename(out, old)
        try:
            os.rename(new, out)
        except BaseException:
            os.rename(old, out)  # put the previous site back
            raise
        shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def _interrupts_held() -> Iterator[None]:
    """Ignore Ctrl-C for the few milliseconds of the swap: a KeyboardInterrupt between the
    two renames would leave no site at all, one during the clean-up a stray old copy. The
    build is complete by then, so a Ctrl-C that lands here simply comes a moment too late.
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

