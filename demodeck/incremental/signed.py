"""Files only this user's demodeck can have written: signed, read and written safely.

Each file is signed with an HMAC-SHA256 whose key lives in the user's cache folder,
outside the project (:func:`secret`); a file that fails the check is never unpickled.
Files are read without following links or waiting (:func:`read_cache_file`) and written
in place, never through a link; one that cannot be used is left aside with one warning
line (:func:`warn_unusable`).
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hmac
import os
import secrets
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

_MAGIC = b"demodeck-cache-17\n"
_SIG = 32
_KEY = 32  # bytes of the signing key; its file holds them as hex
MAX_FILE = 512 << 20  # at most this many bytes read from a cache file (far more than any)


def read_signed(path: Path) -> memoryview | None:
    """The body of a file write_signed wrote, if its signature holds (and there is a good
    key to check it with). A view into the file's bytes, not a copy of them."""
    data = read_cache_file(path)
    if data is None or not data.startswith(_MAGIC):
        return None
    key = secret()
    if key is None:
        return None
    sig, body = data[len(_MAGIC):len(_MAGIC) + _SIG], memoryview(data)[len(_MAGIC) + _SIG:]
    return body if secrets.compare_digest(sig, hmac.digest(key, body, "sha256")) else None


def write_signed(path: Path, body: bytes) -> None:
    write_signed_with(path, lambda out: out.write(body))


class _Signing:
    """The file a body is written through, signed on the way (as read_signed checks)."""

    def __init__(self, file: BinaryIO, key: bytes) -> None:
        self._file = file
        self._mac = hmac.new(key, digestmod="sha256")

    def write(self, data: bytes | memoryview) -> int:
        self._mac.update(data)
        return self._file.write(data)

    def signature(self) -> bytes:
        return self._mac.digest()


class _NoKey(OSError):
    """No good signing key: nothing is signed (warn_unusable has said why)."""


def write_signed_with(path: Path, write_body: Callable[[_Signing], object], *,
                  drop: tuple[str, ...] = ()) -> None:
    """Write a file read_signed accepts, its body written by ``write_body``, atomically,
    then remove the files ``drop`` of the same folder, if there. Nothing is written without
    a key, nor through a link: the folder and the files in it are never followed."""
    key = secret()
    if key is None:
        raise _NoKey("no signing key")

    def write(f: BinaryIO) -> None:
        f.write(_MAGIC + bytes(_SIG))  # the signature's place: it is known at the end
        body = _Signing(f, key)
        write_body(body)
        f.seek(len(_MAGIC))
        f.write(body.signature())

    with contextlib.suppress(FileExistsError):  # a folder, or what open_folder refuses
        path.parent.mkdir(parents=True)
    folder = open_folder(path.parent)
    try:
        _add_gitignore(folder)
        _replace(folder, path.name, write)
        for name in drop:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name, dir_fd=folder)
    finally:
        os.close(folder)


def _add_gitignore(folder: int) -> None:
    """``*`` in the folder's .gitignore, unless there is one already (or anything else
    by that name, such as a link: never written through)."""
    try:
        fd = os.open(".gitignore", os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
                     | os.O_CLOEXEC, 0o644, dir_fd=folder)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as f:
        f.write(b"*\n")


def _replace(folder: int, name: str, write: Callable[[BinaryIO], object], *,
             sync: bool = False) -> None:
    """Make ``name`` in ``folder`` (a descriptor) a new file of what ``write`` writes: a
    temporary file first (new, mode 0600), renamed over it once whole (and synced, with
    ``sync``), so that it is never seen half-written and a link by that name is replaced,
    not followed. A full disk leaves no temporary file behind."""
    tmp = f".tmp-{secrets.token_hex(8)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                 0o600, dir_fd=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            if sync:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, name, src_dir_fd=folder, dst_dir_fd=folder)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=folder)
        raise


def open_folder(folder: Path) -> int:
    """A descriptor of ``folder``, which must be a real folder, not a link to one."""
    try:
        return os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:  # a link to a folder: ENOTDIR; to anything else: ELOOP
        if exc.errno in (errno.ELOOP, errno.ENOTDIR) and os.path.islink(folder):
            raise OSError(errno.ELOOP, "a symbolic link, not followed", str(folder)) from None
        raise


def read_cache_file(path: Path, limit: int = MAX_FILE) -> bytes | None:
    """The bytes of ``path``, if it is a regular file of at most ``limit`` bytes in a real
    folder; else None. Every cache read goes through here. Nothing is followed or waited
    for: a link (committed, it could point anywhere), a FIFO or a device (which can block
    for ever, or never end: /dev/zero) is refused without reading from it."""
    try:
        folder = open_folder(path.parent)
    except OSError:
        return None
    try:
        fd = os.open(path.name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC,
                     dir_fd=folder)
    except OSError:
        return None
    finally:
        os.close(folder)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
            return None
        with os.fdopen(fd, "rb", closefd=False) as f:
            return f.read(st.st_size)  # no more than that, should it grow meanwhile
    except OSError:
        return None
    finally:
        os.close(fd)


def reason(exc: OSError) -> str:
    """Why ``exc`` happened, in a few words (``No space left on device``)."""
    return exc.strerror or str(exc)


_warned: list[str] = []  # the warning warn_unusable printed, if any: one per process


def warn_unusable(what: Path, why: str, without: str) -> None:
    """Say once, on stderr, that an optional cache is left aside and why: the build goes
    on without it (a full or read-only disk is not a reason to fail one). Not from a
    pool worker, where the same would be said once per worker."""
    from demodeck.incremental import pool

    if _warned or pool.in_worker():
        return
    _warned.append(f"warning: {what} is not usable ({why}); building without {without}")
    print(_warned[0], file=sys.stderr, flush=True)


def cache_dir() -> Path:
    """The user's own demodeck folder, outside every project. A relative XDG_CACHE_HOME
    is ignored (as the XDG spec says): it would put the key into whatever folder
    demodeck runs in, a project perhaps."""
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    return (Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache") / "demodeck"


@functools.lru_cache(maxsize=1)
def secret() -> bytes | None:
    """The per-user key, kept outside every project, made once; None (said once) when
    there is no good one to be had: then nothing is signed, and nothing passes."""
    key_file = cache_dir() / "cache-key"
    key = _read_key(key_file)
    if key is not None:
        return key
    try:  # missing, empty, short or not a key: a new one replaces it
        _write_key(key_file)
    except OSError as exc:
        warn_unusable(key_file, reason(exc), "the build cache")
        return None
    key = _read_key(key_file)
    if key is None:
        warn_unusable(key_file, "it does not read back as written", "the build cache")
    return key


def _read_key(key_file: Path) -> bytes | None:
    """The key in ``key_file``, if it holds one of the right length."""
    data = read_cache_file(key_file, limit=4 * _KEY)
    try:
        key = bytes.fromhex(data.decode("ascii")) if data is not None else b""
    except ValueError:  # not ASCII (UnicodeDecodeError), not hex
        return None
    return key if len(key) == _KEY else None


def _write_key(key_file: Path) -> None:
    """A new random key in ``key_file``: written whole and synced under another name,
    then renamed into place, so that a full disk can never leave it short or empty."""
    key_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder = open_folder(key_file.parent)
    try:
        key = secrets.token_bytes(_KEY).hex().encode()
        _replace(folder, key_file.name, lambda f: f.write(key), sync=True)
    finally:
        os.close(folder)
