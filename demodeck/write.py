"""Stage 5, write: pages in memory → the output folder, all or nothing.

Pages are written to a fresh sibling folder, which then takes the output folder's place
in one swap: until then the previous site is untouched, so a build stopped at any
instant, even by SIGKILL, leaves the old site or the new one, never a mix, and a failure
leaves the old one and removes the temporary folder. A folder that demodeck did not
make is never replaced: the marker file tells ours apart. A write the system refuses
(no permission, a full disk) is a :class:`UsageError` that says so, not a crash. In a
parallel build the render workers write the deck pages into the new folder themselves
(:class:`Staging`), and the rest joins them here.

This module is the stage's entry (:func:`write_site`); its parts live beside it: what
to make, write, link or move over in :mod:`demodeck.write_plan`, the files demodeck did
not write (``extra:``) in :mod:`demodeck.carry_over`, the atomic exchange and the held
signals in :mod:`demodeck.swap`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from demodeck import outdir
from demodeck.carry_over import Strays, carry_over, marker_text
from demodeck.errors import UsageError
from demodeck.outdir import MARKER as MARKER
from demodeck.pages import Output
from demodeck.swap import swap
from demodeck.write_plan import make_plan, move_over, site_tree, usable_spare, write_all


def check_replaceable(out: Path) -> None:
    """Refuse to replace a folder that is not a site demodeck built (or empty)."""
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise UsageError(f"{out}: exists and is not a folder; choose another output folder")
    if out.is_dir() and not (out / MARKER).exists() and any(out.iterdir()):
        raise UsageError(f"{out}: this folder has files demodeck did not write; "
                         "refusing to replace it (empty it or choose another --out)")


class Staging:
    """The folder the new site is written in, made before the write stage so that render
    workers can write pages into it themselves (:class:`~demodeck.pages.Staged`): the
    pages' bytes never travel back to the main process, and their writing happens in
    parallel. :func:`write_site` takes it over; a build that
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


@dataclass
class Written(Strays):
    """What a write did besides writing the pages: ``shared``, the paths whose file is the
    previous build's file itself (hard-linked: on disk exactly as it was); what it found
    in the previous site that demodeck did not write (see :class:`Strays`); and the copies
    of earlier sites it could not remove (``left``: path, why)."""

    shared: set[str] = field(default_factory=set)
    left: list[tuple[Path, str]] = field(default_factory=list)

    def warnings(self, shown: str) -> list[str]:
        """The user's side of it, ``shown`` naming the output folder (``site/``)."""
        return [*super().warnings(shown),
                *(f"warning: cannot remove {path}, a copy of an earlier site ({why}); "
                  "delete it by hand" for path, why in self.left)]


def write_site(out: Path, pages: Iterable[Output], staging: Staging | None = None, *,
               extra: Iterable[str] = (), held: contextlib.ExitStack | None = None,
               spare: Path | None = None) -> Written:
    """Write ``pages`` under ``out``, replacing its previous contents in one swap; in the
    ``staging`` folder, if it was made (it holds the Staged pages). What the previous
    site holds under the ``extra`` paths (relative to it) and demodeck did not write is
    carried over. Signals are held back from the swap on until ``held`` is closed, if
    given (a build, once it has recorded what it wrote), else until the swap is done.

    ``spare``: where the previous site is kept once replaced (a build keeps it in its
    cache), for the next write to take the folders it needs unchanged from, moved out of
    a copy nobody serves: made again instead, each would also have to be removed from the
    replaced site, one by one (dear on a file system mounted with ``discard``)."""
    out = out.absolute()
    check_replaceable(out)
    site = site_tree(pages)
    tmp = (staging.take() if staging is not None else None) or _new_folder(out)
    try:
        plan = make_plan(site, out, usable_spare(spare, out))
        written = Written(shared=write_all(tmp, plan) | set(plan.moved_files))
        move_over(plan, tmp)
        carry_over(out, tmp, site, tuple(extra), written)
        (tmp / MARKER).write_text(marker_text(site), encoding="utf-8")
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes 0700; a site must be readable
        written.left = swap(tmp, out, held, spare)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError):
            raise _cannot_write(out, exc) from exc
        raise
    return written


def _new_folder(out: Path) -> Path:
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=outdir.new_prefix(out), dir=out.parent))
    except OSError as exc:
        raise _cannot_write(out, exc) from exc


def _cannot_write(out: Path, exc: OSError) -> UsageError:
    return UsageError(f"cannot write the site to {out}: {exc.strerror or exc}; "
                      "the previous site is unchanged")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
