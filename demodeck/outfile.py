"""The one file ``export`` and ``pdf`` write: never a deck source, never someone else's file.

``-o`` may name any path, so it is checked before anything is written. Inside the decks
folder or ``templates/``, or ``demodeck.yaml`` itself, it is refused outright: those are
the sources every deck is made from, and ``--force`` does not change that. A folder, or a
file in a folder that does not exist, gets a plain message. A file already there is
replaced only if the same command wrote it (it carries the command's mark) or with
``--force``. A regular file is written beside its target and renamed over it, so a full
disk leaves the previous file whole; a device or FIFO (``--force`` only) is written in
place. A write the system refuses is a :class:`UsageError` naming the path.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from demodeck.config import CONFIG_FILE
from demodeck.errors import UsageError
from demodeck.model import SiteConfig


@dataclass(frozen=True, slots=True)
class Target:
    shown: Path  # as the user gave it, for messages
    path: Path  # resolved: the file written (through a symlink, its target)
    mode: int | None  # the file's st_mode if it exists


def target(site: SiteConfig, out: Path, *, command: str, force: bool,
           made: Callable[[Path], bool], example: str) -> Target:
    """Where ``demodeck command -o out`` may write, or a UsageError saying why not.

    ``made``: whether an existing regular file is one ``command`` wrote; ``example``: a
    file name to suggest when ``out`` is a folder."""
    try:
        path = out.resolve()
        st = _stat(path)
    except (OSError, RuntimeError) as exc:  # a symlink loop, too long a name
        raise UsageError(f"cannot write {out}: {_reason(exc)}") from exc
    _refuse_sources(site, out, path, command)
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise UsageError(f"{out} is a folder; give a file name, such as {out / example}")
    if st is None:
        _check_folder(out, path.parent)
    elif not force and not (stat.S_ISREG(st.st_mode) and _made(made, path)):
        raise UsageError(f"{out} already exists and demodeck {command} did not write it; "
                         "choose another file, or pass --force to replace it")
    return Target(out, path, st.st_mode if st is not None else None)


def write(target: Target, body: Callable[[BinaryIO], int]) -> int:
    """Write the file ``body`` writes to the stream it is given; returns its size."""
    if target.mode is not None and not stat.S_ISREG(target.mode):
        return _write_in_place(target, body)
    path = target.path
    temp = path.with_name(f".{path.name[:200]}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # umask applies
        with os.fdopen(fd, "wb") as f:
            size = body(f)
        if target.mode is not None:  # keep the replaced file's permissions
            os.chmod(temp, stat.S_IMODE(target.mode))
        os.replace(temp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        kept = "; the previous file is unchanged" if target.mode is not None else ""
        raise UsageError(f"cannot write {target.shown}: {_reason(exc)}{kept}") from exc
    except BaseException:  # Ctrl-C: no half-written file left behind
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    return size


def _write_in_place(target: Target, body: Callable[[BinaryIO], int]) -> int:
    try:
        with target.path.open("wb") as f:
            return body(f)
    except OSError as exc:  # /dev/full: the write or the closing flush fails
        raise UsageError(f"cannot write {target.shown}: {_reason(exc)}") from exc


def _stat(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except FileNotFoundError:
        return None


def _refuse_sources(site: SiteConfig, out: Path, path: Path, command: str) -> None:
    """Refuse the decks folder, templates/ and demodeck.yaml, whatever the flags."""
    where = None
    for folder, name in ((site.decks_path.resolve(), f"{site.decks_dir}/"),
                         (site.templates_path.resolve(), "templates/")):
        if path == folder:
            where = f"the {name} folder itself"
        elif folder in path.parents:
            where = f"inside {name}"
    if path == site.root.resolve() / CONFIG_FILE:
        where = f"the project's {CONFIG_FILE}"
    if where is not None:
        raise UsageError(f"{out} is {where}: demodeck {command} never writes over the "
                         "project's sources, not even with --force; choose a file outside "
                         f"{site.decks_dir}/ and templates/")


def _check_folder(out: Path, folder: Path) -> None:
    if not folder.exists():
        raise UsageError(f"cannot write {out}: the folder {folder} does not exist")
    if not folder.is_dir():
        raise UsageError(f"cannot write {out}: {folder} is not a folder")


def _made(made: Callable[[Path], bool], path: Path) -> bool:
    try:
        return made(path)
    except OSError:  # unreadable: not known to be ours
        return False


def _reason(exc: BaseException) -> str:
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)


def default(site: SiteConfig, name: str) -> Path:
    """Where ``export`` and ``pdf`` write ``name`` without ``-o``: the project's exports/
    folder (which `demodeck init` git-ignores), made when missing. Shown relative to the
    current folder when the project is in it."""
    from demodeck.scaffold import EXPORTS_DIR

    folder = site.root / EXPORTS_DIR
    if not folder.exists() and not folder.is_symlink():  # anything else: target() says
        try:
            folder.mkdir()
        except OSError as exc:
            raise UsageError(f"cannot make the folder {folder}: {_reason(exc)}") from exc
    try:
        return (folder / name).relative_to(Path.cwd())
    except ValueError:
        return folder / name
