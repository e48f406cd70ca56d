"""Stage 1, load: the decks in the decks folder, read from disk, parsed on demand.

Finds ``YYYY-MM-DD.yaml`` files and ``YYYY-MM-DD/`` folders, reads them safely (never
outside the project, never a device or an endless file), and hands each file's bytes
to :mod:`demodeck.yaml_tree`, which turns them into raw trees that remember line and
column. Nothing here knows the deck format.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from demodeck.errors import Problem, reason
from demodeck.raw import Mark as Mark
from demodeck.raw import Raw as Raw
from demodeck.raw import RawMap as RawMap
from demodeck.raw import RawScalar as RawScalar
from demodeck.raw import RawSeq as RawSeq
from demodeck.yaml_tree import MAX_FILE_BYTES as MAX_FILE_BYTES
from demodeck.yaml_tree import parse_yaml as parse_yaml
from demodeck.yaml_tree import too_large

DECK_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})(\.ya?ml)?$", re.IGNORECASE)  # .YAML too


Stamp = tuple[int, int, int, int]  # a file's (size, mtime_ns, ctime_ns, inode)
Known = dict[str, tuple[Stamp, str]]  # project-relative path -> its stamp and sha256, as read


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One YAML file read from the project; parsed only when its deck is not cached."""

    path: str  # project-relative, POSIX separators, as shown in messages
    abspath: Path
    data: bytes | None  # None when the file could not be read (a problem says why), or
    # when it was not read: its stamp is the one it had when last read (see read_file)
    digest: str  # sha256 of the bytes, for caches; "" when it could not be read
    stamp: Stamp | None = None

    @property
    def readable(self) -> bool:
        return bool(self.digest)

    def read(self) -> tuple[bytes | None, list[Problem]]:
        """The file's bytes (None: unreadable, and why, unless discover said so already)."""
        data = self.data
        if data is None and self.readable:  # not read, as it had not changed: read it now
            read = _read_bytes(self.abspath, no_follow=True)
            if isinstance(read, str):
                return None, [Problem(self.path, 0, 0, read)]
            if hashlib.sha256(read[0]).hexdigest() != self.digest:
                return None, [Problem(self.path, 0, 0, "the file changed while demodeck was "
                                      "reading the decks; build again")]
            data = read[0]
        return data, []

    def parse(self) -> tuple[Raw | None, list[Problem]]:
        data, problems = self.read()
        if data is None:  # unreadable: said why, or discover did
            return None, problems
        return parse_yaml(self.path, data)


@dataclass(frozen=True, slots=True)
class DeckSource:
    """A deck as found on disk: one file, or a folder of deck.yaml plus one file per demo."""

    date_text: str  # from the file or folder name, e.g. "2026-11-23"
    path: str  # the file or folder, project-relative
    main: SourceFile | None  # the deck file, or the folder's deck.yaml (optional there)
    demo_files: tuple[SourceFile, ...] = ()
    is_folder: bool = False

    @property
    def digest(self) -> str:
        h = hashlib.sha256(self.path.encode())
        for f in ((self.main,) if self.main else ()) + self.demo_files:
            h.update(f.path.encode() + b"\0" + f.digest.encode())
        return h.hexdigest()


def read_file(root: Path, file: Path, real_root: Path | None = None,
              real: Path | None = None, rel: str | None = None, known: Known | None = None
              ) -> tuple[SourceFile, list[Problem]]:
    """Read a project file (not parsed yet); refuses files that resolve outside ``root``.

    ``real_root`` is ``root.resolve()``, from a caller that reads many files: resolving
    costs a system call per path component. ``real``: the file's resolved path, from a
    caller that knows it (a plain file, not a link, in a folder inside the project).
    ``rel``: ``relpath(root, file)``, when the caller has it. ``known``: files whose bytes
    need not be read again while their stamp is the same (see build._known_sources): their
    digest is taken from there, and their bytes read only if they must be parsed."""
    rel = relpath(root, file) if rel is None else rel
    trusted = real is not None
    if real is None:
        try:
            real = file.resolve()
        except (OSError, RuntimeError):  # Python 3.11 raises RuntimeError for a symlink loop
            return SourceFile(rel, file, None, ""), [Problem(rel, 0, 0,
                "cannot read the file: it is a symbolic link that loops")]
        if not is_inside(root.resolve() if real_root is None else real_root, real):
            return SourceFile(rel, file, None, ""), [Problem(rel, 0, 0,
                "this file is a link to a place outside the project; refusing to read it")]
    seen = known.get(rel) if known and trusted else None  # a plain file: see above
    if seen is not None:
        with contextlib.suppress(OSError):
            st = os.stat(real, follow_symlinks=False)
            if stat.S_ISREG(st.st_mode) and _stamp(st) == seen[0]:
                return SourceFile(rel, file, None, seen[1], seen[0]), []
    read = _read_bytes(real, no_follow=trusted)
    if isinstance(read, str):
        return SourceFile(rel, file, None, ""), [Problem(rel, 0, 0, read)]
    data, st = read
    return SourceFile(rel, file, data, hashlib.sha256(data).hexdigest(), _stamp(st)), []


def _stamp(st: os.stat_result) -> Stamp:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def _read_bytes(real: Path, *, no_follow: bool) -> tuple[bytes, os.stat_result] | str:
    """A regular file's bytes and its stat, or why it cannot be read."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer (regular files ignore it)
        # O_NOFOLLOW: a file the caller saw as plain must not have become a link since
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | (
            getattr(os, "O_NOFOLLOW", 0) if no_follow else 0)
        with os.fdopen(os.open(real, flags), "rb") as handle:
            # a FIFO or a device would block or never end; a huge file is refused unread
            st = os.fstat(handle.fileno())
            if not stat.S_ISREG(st.st_mode):
                return "this is not a regular file; refusing to read it"
            data = read_up_to(handle, st.st_size, MAX_FILE_BYTES + 1)
            if len(data) > MAX_FILE_BYTES:
                return too_large("", max(os.fstat(handle.fileno()).st_size, len(data))).message
    except OSError as exc:
        return f"cannot read the file: {exc.strerror}"
    return data, st


def read_up_to(handle: BinaryIO, size: int, limit: int) -> bytes:
    """``handle.read(limit)``: up to ``limit`` bytes, all of them unless the file ends first.

    Asking for ``limit`` (5 MB) at once makes Python allocate that much for every file and
    shrink it after the read, most of the cost of reading small files. So this first asks
    for the size fstat gave, plus one byte to see whether the file grew since, and only
    then for the rest."""
    data = handle.read(min(size, limit - 1) + 1)
    if len(data) > size and len(data) < limit:  # it grew: read on, up to the limit
        data += handle.read(limit - len(data))
    return data


def relpath(root: Path, file: Path) -> str:
    try:
        return file.relative_to(root).as_posix()
    except ValueError:
        return file.as_posix()


def is_inside(root: Path, path: Path) -> bool:
    return path == root or root in path.parents


def is_temp_file(name: str) -> bool:
    """Editor scratch files that must never be taken for decks."""
    return (name.startswith((".", "#", "~")) or name.endswith(("~", ".swp", ".swx", ".tmp"))
            or ".tmp" in name)


def _valid_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


# the decks found, and the problems finding them
Discovered = tuple[list[DeckSource], list[Problem]]


def discover(root: Path, decks_dir: Path, known: Known | None = None) -> Discovered:
    """Find and read (not parse) every deck; report misnamed, unreadable and duplicate decks.
    ``known``: deck files not to read again while unchanged (see read_file)."""
    problems: list[Problem] = []
    try:
        is_dir = decks_dir.is_dir()
    except OSError as exc:  # the folder it is in cannot be searched
        return [], [_unreadable_folder(root, decks_dir, exc)]
    if not is_dir:
        problems.append(Problem(relpath(root, decks_dir), 0, 0,
                                "the decks folder does not exist (set decks_dir in demodeck.yaml)"))
        return [], problems
    found: dict[str, str] = {}
    decks: list[DeckSource] = []
    real_root = root.resolve()
    real_decks = decks_dir.resolve()
    # A plain file (not a link) in a decks folder inside the project is inside it too:
    # no need to resolve each of hundreds of deck files, a system call per path part.
    plain_files_in = real_decks if is_inside(real_root, real_decks) else None
    entries = _folder_entries(root, decks_dir, problems)
    for entry in entries or ():
        deck = _read_entry(root, real_root, entry, problems, plain_files_in, known)
        if deck is None:
            continue
        if deck.date_text in found:
            problems.append(Problem(deck.path, 0, 0,
                f"two decks have the date {deck.date_text}: {found[deck.date_text]} and "
                f"{deck.path}; keep one"))
            continue
        found[deck.date_text] = deck.path
        decks.append(deck)
    return decks, problems


def _read_entry(root: Path, real_root: Path, found: os.DirEntry[str], problems: list[Problem],
                plain_files_in: Path | None, known: Known | None) -> DeckSource | None:
    name = found.name
    if is_temp_file(name):
        return None
    match = DECK_NAME.match(name)
    is_yaml = name.lower().endswith((".yaml", ".yml"))
    try:
        is_dir = found.is_dir()
    except OSError:
        is_dir = False
    entry = Path(found.path)
    if is_dir:
        if match is None or match.group(2):
            return None  # images/, shared assets and the like live here too
    elif not is_yaml:
        return None
    rel = relpath(root, entry)
    if match is None or not _valid_date(match.group(1)):
        problems.append(Problem(rel, 0, 0, "a deck file must be named after its date, "
                                "YYYY-MM-DD.yaml (or be a YYYY-MM-DD/ folder)"))
        return None
    if is_dir:
        inside = (plain_files_in / name if plain_files_in is not None
                  and not found.is_symlink() else None)
        return _read_folder(root, real_root, entry, match.group(1), problems, inside, known)
    real = None
    if plain_files_in is not None and not found.is_symlink():
        real = plain_files_in / name
    source, file_problems = read_file(root, entry, real_root, real, rel, known)
    problems.extend(file_problems)
    return DeckSource(match.group(1), rel, source)


def _read_folder(root: Path, real_root: Path, folder: Path, date_text: str,
                 problems: list[Problem], plain_files_in: Path | None,
                 known: Known | None) -> DeckSource | None:
    main: SourceFile | None = None
    demos: list[SourceFile] = []
    entries = _folder_entries(root, folder, problems)
    if entries is None:
        return None  # said why; no "this deck has no demos" on top of it
    for found in entries:
        name = found.name
        if is_temp_file(name) or not name.lower().endswith((".yaml", ".yml")):
            continue
        real = (plain_files_in / name if plain_files_in is not None
                and not found.is_symlink() else None)
        source, file_problems = read_file(root, folder / name, real_root, real, known=known)
        problems.extend(file_problems)
        if Path(name).stem == "deck":
            main = source
        else:
            demos.append(source)
    return DeckSource(date_text, relpath(root, folder), main, tuple(demos), is_folder=True)


def _folder_entries(root: Path, folder: Path,
                    problems: list[Problem]) -> list[os.DirEntry[str]] | None:
    """A folder's entries by name; None, and a problem saying why, if it cannot be listed."""
    try:
        with os.scandir(folder) as scan:
            return sorted(scan, key=lambda e: e.name)
    except OSError as exc:
        problems.append(_unreadable_folder(root, folder, exc))
        return None


def _unreadable_folder(root: Path, folder: Path, exc: OSError) -> Problem:
    return Problem(relpath(root, folder), 0, 0, f"cannot read this folder ({reason(exc)})")
