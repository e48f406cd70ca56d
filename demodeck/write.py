"""Stage 4, write: pages in memory → the output folder, all or nothing.

Pages are written to a fresh sibling folder, which then trades places with the output
folder in one atomic exchange of names (``renameat2(RENAME_EXCHANGE)`` on Linux,
``renamex_np(RENAME_SWAP)`` on macOS); the previous site, now under the temporary name,
is kept as the spare copy (or removed). A file the previous build wrote and this one kept
(:class:`~demodeck.render.Kept`) is hard-linked into the new folder, never moved out of
the old one, and a whole folder of them (a deck nobody edited) is moved over from the
spare copy, which holds the very same files and which nobody serves: until the exchange
the previous site is untouched, so a build stopped at any instant, even by SIGKILL,
leaves the old site or the new one, never a mix, and a failure leaves the old one and
removes the temporary folder. Where the file system has
no exchange, two renames do it (the old site aside, the new one in place) and the next
build puts the old site back should one have been killed between them
(:func:`demodeck.outdir.repair`). Ctrl-C, SIGTERM and SIGHUP are held back from the
swap until the old copy is removed: the build is complete by then. A folder that
demodeck did not make is never replaced: the marker file tells ours apart, and lists
the files demodeck wrote, so that any other file in the site is named when it is
dropped, or carried over when ``extra:`` in demodeck.yaml lists it. A write the system
refuses (no permission, a full disk) is a :class:`UsageError` that says so, not a
crash. In a parallel build the render workers write the deck pages into the new folder
themselves (:class:`Staging`), and the rest joins them here.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import json
import os
import shutil
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from demodeck import outdir
from demodeck.errors import UsageError
from demodeck.outdir import MARKER as MARKER
from demodeck.pages import Kept, Output, Staged


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


@dataclass
class Written:
    """What a write did besides writing the pages: ``shared``, the paths whose file is the
    previous build's file itself (hard-linked: on disk exactly as it was); what it found
    in the previous site that demodeck did not write, ``carried`` over (listed under
    ``extra:``), ``refused`` (listed, but it cannot be: path, why) or ``dropped``; the
    ``extra:`` paths that were ``missing``; and the copies of earlier sites it could not
    remove (``left``: path, why)."""

    shared: set[str] = field(default_factory=set)
    carried: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    left: list[tuple[Path, str]] = field(default_factory=list)

    def warnings(self, shown: str) -> list[str]:
        """The user's side of it, ``shown`` naming the output folder (``site/``)."""
        return [*(f"warning: removed {shown}{rel}, which demodeck did not write; list it "
                  "under 'extra:' in demodeck.yaml to keep it" for rel in self.dropped),
                *(f"warning: did not keep {shown}{rel}, listed under 'extra:': {why}"
                  for rel, why in self.refused),
                *(f"warning: '{rel}' is listed under 'extra:' in demodeck.yaml but is not "
                  f"in {shown}; nothing to keep" for rel in self.missing),
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
    site = _tree(pages)
    tmp = (staging.take() if staging is not None else None) or _new_folder(out)
    try:
        plan = _plan(site, out, _usable_spare(spare, out))
        written = Written(shared=_write_all(tmp, plan) | set(plan.moved_files))
        _move_over(plan, tmp)
        _carry_over(out, tmp, site, tuple(extra), written)
        (tmp / MARKER).write_text(_marker(site), encoding="utf-8")
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes 0700; a site must be readable
        written.left = _swap(tmp, out, held, spare)
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


@dataclass
class _Folder:
    """One folder of the new site: its files and sub-folders by name; ``whole`` when the
    spare copy's folder holds exactly these files, each the very file (a hard link) that
    is kept from the current site, and nothing else, so it can move over as it is."""

    files: dict[str, Output] = field(default_factory=dict)
    folders: dict[str, _Folder] = field(default_factory=dict)
    whole: bool = False


@dataclass
class _Plan:
    """What the write does, as paths relative to the site root: folders to make (parents
    first), files to write or link, and folders of the spare copy to move over whole."""

    folders: list[str] = field(default_factory=list)
    files: list[tuple[str, Output]] = field(default_factory=list)
    moves: list[str] = field(default_factory=list)
    moved_files: list[str] = field(default_factory=list)  # every file inside those
    spare: Path | None = None  # where they move from


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


def _plan(site: _Folder, out: Path, spare: Path | None) -> _Plan:
    if spare is not None:
        _mark_whole(site, str(out), str(spare))
    plan = _Plan(spare=spare)
    _add_to_plan(site, "", plan)
    return plan


def _move_over(plan: _Plan, tmp: Path) -> None:
    """The folders the spare copy gives, as they are."""
    for rel in plan.moves:
        assert plan.spare is not None  # only a spare gives whole folders
        os.rename(plan.spare / rel, tmp / rel)


def _usable_spare(spare: Path | None, out: Path) -> Path | None:
    """``spare`` if it is a site demodeck kept there, on the output folder's file system."""
    if spare is None or not outdir.is_site(spare):
        return None
    try:
        return spare if os.stat(spare).st_dev == os.stat(out.parent).st_dev else None
    except OSError:
        return None


def _mark_whole(folder: _Folder, old: str, spare: str) -> bool:
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
        elif _link(page.source, tmp / rel):
            linked.add(rel)
    return linked


def _link(source: Path | str, target: Path) -> bool:
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


# --- what the previous site holds that demodeck did not write ------------------------------


def _marker(site: _Folder) -> str:
    """The marker file: what it is, then every file demodeck wrote, one JSON string a line."""
    return ("Built by demodeck; this folder is replaced on each build. The files it wrote:\n"
            + "".join(json.dumps(rel, ensure_ascii=False) + "\n"
                      for rel in sorted(_files_in(site, ""))))


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


def _carry_over(out: Path, tmp: Path, site: _Folder, extra: tuple[str, ...],
                written: Written) -> None:
    """Carry over into ``tmp`` what ``out`` holds under an ``extra`` path that demodeck
    did not write, and note the rest of what it did not write, which goes."""
    before = _written_before(out)
    if before is None and not extra:
        return  # nobody to tell what goes, nothing to keep
    extra = tuple(e.strip("/") for e in extra)
    folders = {str(parent) for f in before or () for parent in PurePosixPath(f).parents}
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


def _strays(old: str, now: _Folder | None, prefix: str,
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


def _page_at(site: _Folder, rel: str) -> bool:
    """Whether the new site has a file at ``rel``."""
    folder: _Folder | None = site
    *parents, name = PurePosixPath(rel).parts or ("",)
    for part in parents:
        folder = folder.folders.get(part) if folder is not None else None
    return folder is not None and name in folder.files


def _carry(entry: os.DirEntry[str], tmp: Path, rel: str, written: Written) -> None:
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
            _link(entry.path, target)
            written.carried.append(rel)
    except (FileExistsError, NotADirectoryError, IsADirectoryError):
        written.refused.append((rel, "demodeck writes a file or folder of that name itself"))


# --- the swap --------------------------------------------------------------------------------


def _swap(new: Path, out: Path, held: contextlib.ExitStack | None,
          spare: Path | None) -> list[tuple[Path, str]]:
    """``new`` becomes ``out``, and the previous site the ``spare`` copy (or is removed);
    returns the copies that could not be removed, and why."""
    with contextlib.ExitStack() as own:
        (held or own).enter_context(interrupts_held())
        old = _replace(new, out)
        return _retire(old, spare) if old is not None else []


def _retire(old: Path, spare: Path | None) -> list[tuple[Path, str]]:
    """The replaced site becomes the spare copy, in place of what the write left of the
    last one (the folders it did not take); where it cannot, it is removed."""
    left = []
    if spare is not None and os.path.lexists(spare):
        failed = outdir.remove(spare)
        if failed:
            left.append((spare, failed))
            spare = None
    if spare is not None:
        with contextlib.suppress(OSError):  # another file system: remove it instead
            spare.parent.mkdir(parents=True, exist_ok=True)
            os.rename(old, spare)
            return left
    failed = outdir.remove(old)
    return [*left, (old, failed)] if failed else left


def _replace(new: Path, out: Path) -> Path | None:
    """``new`` becomes ``out``; the previous ``out``, under another name, is returned."""
    if not os.path.lexists(out):
        os.rename(new, out)
        return None
    if _exchange(new, out):
        return new  # the previous site is under the temporary name now
    old = Path(tempfile.mkdtemp(prefix=outdir.old_prefix(out), dir=out.parent))
    old.rmdir()
    os.rename(out, old)  # from here until the next rename there is no site: see outdir.repair
    try:
        os.rename(new, out)
    except BaseException:
        os.rename(old, out)  # put the previous site back
        raise
    return old


def _exchange(new: Path, out: Path) -> bool:
    """Swap the names of two folders in one step of the file system; False where it
    cannot (another system, an old kernel or C library, a file system without it)."""
    call = _exchange_call()
    if call is None:
        return False
    try:
        call(os.fsencode(new), os.fsencode(out))
    except OSError as exc:
        if exc.errno in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
            return False
        raise
    return True


@functools.cache
def _exchange_call() -> Callable[[bytes, bytes], None] | None:
    """The C library's atomic exchange of two paths, raising OSError; None if none."""
    if sys.platform not in ("linux", "darwin"):
        return None
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if sys.platform == "linux":  # glibc >= 2.28
        fn = getattr(libc, "renameat2", None)
        args = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    else:
        fn = getattr(libc, "renamex_np", None)
        args = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_uint]
    if fn is None:
        return None
    fn.argtypes, fn.restype = args, ctypes.c_int

    def exchange(a: bytes, b: bytes) -> None:
        at_fdcwd, rename_exchange, rename_swap = -100, 2, 2
        done = (fn(at_fdcwd, a, at_fdcwd, b, rename_exchange) if sys.platform == "linux"
                else fn(a, b, rename_swap))
        if done != 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code), os.fsdecode(b))

    return exchange


HELD_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP")
                     if hasattr(signal, name))


@contextlib.contextmanager
def interrupts_held() -> Iterator[None]:
    """Hold back Ctrl-C, SIGTERM and SIGHUP for the few milliseconds of the swap (and while
    the CLI reports a build that is done, see cli.cmd_build): one
    between the two renames (where the file system has no exchange) would leave no site,
    one during the clean-up a stray old copy. The build is complete by then, so a signal
    that lands here simply comes a moment too late: it is dropped. (A Python handler, not
    SIG_IGN: one already pending runs it instead of a "race condition" message.) Only the
    main thread is ever interrupted, and only it may change signal handlers."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = [(sig, handler) for sig in HELD_SIGNALS
            if (handler := signal.getsignal(sig)) is not None]
    for sig, _ in held:  # None: a handler set from C, which could not be put back
        signal.signal(sig, _too_late)
    try:
        yield
    finally:
        for sig, handler in held:
            signal.signal(sig, handler)


def _too_late(signum: int, frame: object) -> None:
    """A signal during the swap: dropped (see interrupts_held)."""

def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask

