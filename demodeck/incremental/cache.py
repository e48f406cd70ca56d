"""A build cache keyed by content hashes: parsed decks and rendered pages.

Five stores, because they go stale for different reasons:

* ``models``: a validated :class:`~demodeck.model.Deck`, keyed by the bytes of the
  deck's files, the site settings and demodeck's version. The images it names are
  re-checked by (size, mtime) on every use. Read back, a deck's demos, nine tenths of
  it, stay pickled until a page shows them (:class:`~demodeck.model.PickledDemos`), so
  loading the cache of a 520-deck archive unpickles the decks' dates, metrics and
  retros, and saving it pickles those again, not the demos. (The decks were each
  pickled on their own once, read back one by one: ~7 ms more per rebuild than in
  the one pickle of the whole file, which resolves each class once.)
* ``pages``: rendered HTML, keyed by everything the page was rendered from (the
  deck, the other decks' data it shows, the templates, the settings). Pages live in
  memory only, for the preview's rebuilds: between CLI runs the previous output
  folder is the store (:mod:`demodeck.build` keeps its files whose key did not
  change), so ~45 MB of HTML is never pickled.
* ``parsed``: each page's links and ids, for the link check.
* ``shown``: each deck's part of the archive pages' keys (:mod:`.archive_keys`), keyed
  by the deck's content, the settings and the hashed names of its pictures.
* ``code``: highlighted code blocks, keyed by their language, code and the Pygments
  version (:func:`demodeck.markdown.highlights_kept_in`): a deck rendered again after
  one of its demos changed does not load Pygments for the code that did not.

On disk it is a pickle under ``.demodeck-cache/`` plus a small pickle of what was
added since (``delta.pickle``): a build that changed one deck writes that deck's
entries, not the whole archive's, and the two are merged into one again when the
additions (or entries no longer used) pass a quarter of the whole. Entries are
keyed by content, so a delta read over a newer base can never give a wrong value.
Each file is signed with an HMAC-SHA256 (twice as fast as keyed BLAKE2b on these
CPUs, which have SHA instructions) whose key lives in the user's cache folder,
outside the project: a cache file that was committed, copied from another machine,
tampered with, truncated or written by another version fails the check and is
ignored, never unpickled. No key (one that cannot be read or made whole) signs or
passes anything: the build then goes without the cache. Cache files are read without
following links or waiting (read_cache_file) and written in place, never through a link
(a committed ``.demodeck-cache`` that is one, or holds some, cannot make a build write
outside the project). The caches are optional: one that cannot be read or written is
left aside with one warning line (warn_unusable), never a failed build.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hmac
import json
import os
import pickle
import secrets
import stat
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

from demodeck.digest import digest as digest  # re-exported: cache.digest keys entries
from demodeck.incremental.parts import DeckShown
from demodeck.model import Deck, SiteConfig

CACHE_DIR = ".demodeck-cache"
_FILE = "build.pickle"
_DELTA = "delta.pickle"
COMPACT_AT = 0.25  # rewrite the whole cache once additions + unused entries pass this share
COMPACT_STORE_MIN = 64  # or once this many of one store's entries, and that share of it, go unused
_MAGIC = b"demodeck-cache-13\n"
_SIG = 32
_KEY = 32  # bytes of the signing key; its file holds them as hex
MAX_FILE = 512 << 20  # at most this many bytes read from a cache file (a 520-deck archive's: 14 MB)

ImageStamp = tuple[str, int, int]  # (absolute path, size, mtime_ns)


def settings_key(site: SiteConfig) -> str:
    return digest(repr(site))


def image_stamps(deck: Deck) -> tuple[ImageStamp, ...]:
    return tuple(s for a in deck.assets if (s := stamp(a.source)) is not None)


def stamp(path: Path) -> ImageStamp | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (str(path), st.st_size, st.st_mtime_ns)


@dataclass
class BuildCache:
    """In memory for the preview server; ``path`` set to persist between CLI runs."""

    path: Path | None = None
    # validated decks, pickled (pickle_deck), and the stamps of their pictures
    models: dict[str, tuple[bytes, tuple[ImageStamp, ...]]] = field(default_factory=dict)
    pages: dict[str, bytes] = field(default_factory=dict)
    parsed: dict[str, Any] = field(default_factory=dict)  # link check: page digest -> links, ids
    shown: dict[str, DeckShown] = field(default_factory=dict)  # archive keys: deck's part
    code: dict[str, str] = field(default_factory=dict)  # highlighted code blocks
    _used_models: set[str] = field(default_factory=set)
    _used_pages: set[str] = field(default_factory=set)
    _used_parsed: set[str] = field(default_factory=set)
    _used_shown: set[str] = field(default_factory=set)
    _used_code: set[str] = field(default_factory=set)
    _new_models: set[str] = field(default_factory=set)  # not in the base file: in the delta
    _new_parsed: set[str] = field(default_factory=set)
    _new_shown: set[str] = field(default_factory=set)
    _new_code: set[str] = field(default_factory=set)
    # The last site whose link check passed, path -> page key (see linkcheck.broken_links).
    # Not saved: a CLI build takes it from the manifest, which only a good build writes.
    checked: dict[str, str] = field(default_factory=dict)
    _base_sizes: tuple[int, ...] = ()  # entries of each store read from the base file
    _dirty: bool = False  # anything added or dropped since loading: save() has work to do
    _loaded: bool = False  # a cache on disk is read on first use
    _broken: bool = False  # a write failed (said once): nothing more is written this run

    def __post_init__(self) -> None:
        self._loaded = self.path is None

    @classmethod
    def for_project(cls, root: Path) -> BuildCache:
        """The project's on-disk cache, read on first use (a no-change build never reads it)."""
        return cls(root / CACHE_DIR / _FILE)

    def _ensure_loaded(self) -> None:
        if not self._loaded:
            self._loaded = True
            self._load()

    def get_deck(self, key: str) -> Deck | None:
        self._ensure_loaded()
        entry = self.models.get(key)
        if entry is None:
            return None
        pickled, images = entry
        if any(stamp(Path(p)) != (p, size, mtime) for p, size, mtime in images):
            return None  # an image moved, vanished or changed: validate again
        self._used_models.add(key)
        deck: Deck = pickle.loads(pickled)  # its demos stay pickled until used
        return deck

    def put_deck(self, key: str, deck: Deck, images: tuple[ImageStamp, ...],
                 pickled: bytes | None = None) -> None:
        """Keep ``deck``, given as ``pickled`` (pickle_deck) when it came so from a worker
        process: kept as bytes, it is saved as it is, where pickling the decks of a
        520-deck archive again cost the saving ~20 ms of the build's last ~60."""
        self._ensure_loaded()
        self.models[key] = (pickle_deck(deck) if pickled is None else pickled, images)
        self._used_models.add(key)
        self._new_models.add(key)
        self._dirty = True

    def get_page(self, key: str) -> bytes | None:
        self._ensure_loaded()
        data = self.pages.get(key)
        if data is not None:
            self._used_pages.add(key)
        return data

    def put_page(self, key: str, data: bytes) -> None:
        """Kept in memory only (the preview's rebuilds reuse them; the same bytes objects as
        the pages, so no copy): on disk the output folder keeps pages, see above."""
        self.pages[key] = data
        self._used_pages.add(key)
        self._dirty = True

    def get_parsed(self, key: str) -> Any:
        self._ensure_loaded()
        return _get(self.parsed, self._used_parsed, key)

    def put_parsed(self, key: str, value: Any) -> None:
        self._ensure_loaded()
        self._dirty |= _put(self.parsed, self._new_parsed, self._used_parsed, key, value)

    def get_shown(self, key: str) -> DeckShown | None:
        self._ensure_loaded()
        value: DeckShown | None = _get(self.shown, self._used_shown, key)
        return value

    def put_shown(self, key: str, value: DeckShown) -> None:
        self._ensure_loaded()
        self._dirty |= _put(self.shown, self._new_shown, self._used_shown, key, value)

    def get_highlight(self, key: str) -> str | None:
        self._ensure_loaded()
        value: str | None = _get(self.code, self._used_code, key)
        return value

    def put_highlight(self, key: str, html: str) -> None:
        self._ensure_loaded()
        self._dirty |= _put(self.code, self._new_code, self._used_code, key, html)

    def begin(self) -> None:
        """Start a build: from now on, track which entries it uses."""
        self._used_models, self._used_pages, self._used_parsed = set(), set(), set()
        self._used_shown, self._used_code = set(), set()

    def _size(self) -> int:
        """Entries kept on disk."""
        return sum(len(store) for store in self._stores())

    def _news(self) -> tuple[set[str], ...]:
        """Each store's entries the base file lacks (the delta's), in _stores' order."""
        return self._new_models, self._new_parsed, self._new_shown, self._new_code

    def _new(self) -> int:
        return sum(len(added) for added in self._news())

    def prune(self) -> None:
        """Keep only what the last build used, so the cache never outgrows the site."""
        if not self._loaded:
            return
        before = self._size() + len(self.pages)
        self.models = {k: v for k, v in self.models.items() if k in self._used_models}
        self.pages = {k: v for k, v in self.pages.items() if k in self._used_pages}
        self.parsed = {k: v for k, v in self.parsed.items() if k in self._used_parsed}
        self.shown = {k: v for k, v in self.shown.items() if k in self._used_shown}
        self.code = {k: v for k, v in self.code.items() if k in self._used_code}
        self._new_models &= self.models.keys()
        self._new_parsed &= self.parsed.keys()
        self._new_shown &= self.shown.keys()
        self._new_code &= self.code.keys()
        if self._size() + len(self.pages) != before:
            self._dirty = True

    def save(self) -> None:
        """Write what this build added to the delta, or everything when it is time to."""
        pending = self._pending()
        try:
            if pending is not None:
                _write(pending)
        except OSError as exc:  # a cache that cannot be saved is just slower: say so
            self._unwritable(exc)
            return
        self._saved(pending)

    def _unwritable(self, exc: OSError) -> None:
        """A write failed: write nothing more this run, and say so once."""
        self._broken = True
        if self.path is not None:
            warn_unusable(self.path.parent, reason(exc), "the build cache")

    def save_in_background(self) -> Callable[[], None]:
        """save(), in a forked process while this one goes on (a parallel build's link
        check and write, ~60 ms, which had the saving's ~60 ms added after them with one
        core idle). Returns the function that waits for it; it saves again whatever was
        added meanwhile, and the whole of it if the other process failed. Only where no
        thread runs (forking one that does is unsafe): the command line's builds."""
        from demodeck.incremental.pool import in_background

        pending = self._pending()
        if pending is not None and _secret() is None:  # made (or refused) here, not in the fork
            self._broken, pending = True, None
        if pending is None:
            self._saved(None)
            return lambda: None
        wait = in_background(partial(_write, pending))
        self._saved(pending)

        def done() -> None:
            if not wait():
                self._dirty, self._base_sizes = True, ()  # write it all again, here
            if self._dirty:
                self.save()

        return done

    def _pending(self) -> _Pending | None:
        """What save() writes, after dropping what this build did not use: the whole cache
        (when it is time to compact) or the delta, None if nothing."""
        self.prune()
        if self.path is None or not self._dirty or self._broken:
            return None
        new = self._new()
        if self._compact_now(new):
            return _Pending(self.path, self._stores(), True)
        if new:
            stores: tuple[dict[str, Any], ...] = self._stores()
            models, parsed, shown, code = ({k: store[k] for k in added} for store, added
                                           in zip(stores, self._news(), strict=True))
            return _Pending(self.path.with_name(_DELTA), (models, parsed, shown, code), False)
        return None

    def _saved(self, pending: _Pending | None) -> None:
        """Note that ``pending`` is on disk: the base now holds every entry, or the delta
        the new ones."""
        if pending is not None and pending.whole:
            self._base_sizes = tuple(len(store) for store in self._stores())
            for added in self._news():
                added.clear()
        self._dirty = False

    def _stores(self) -> Entries:
        return self.models, self.parsed, self.shown, self.code

    def _compact_now(self, new: int) -> bool:
        """Whether to write the whole cache instead of a delta: there is none on disk yet;
        or the entries added since it was written (the delta) plus those no longer used
        (still in it) pass COMPACT_AT of its entries; or the unused ones alone do in one
        store, and are at least COMPACT_STORE_MIN. Per store, because entries differ in
        size: after a template edit every page's link-check entry is replaced, a fifth of
        the entries of a 520-deck archive's cache but a third of its bytes, which every
        later build would load again. (A few entries, in a small project, are not worth
        a rewrite.)"""
        if not self._base_sizes:
            return True
        base = sum(self._base_sizes)
        if new + base - (self._size() - new) > COMPACT_AT * base:
            return True
        stores: tuple[dict[str, Any], ...] = self._stores()
        unused = (size - (len(store) - len(added)) for size, store, added
                  in zip(self._base_sizes, stores, self._news(), strict=True))
        return any(n >= COMPACT_STORE_MIN and n > COMPACT_AT * size
                   for n, size in zip(unused, self._base_sizes, strict=True))

    def _load(self) -> None:
        assert self.path is not None
        base = _loads(read_signed(self.path))
        if base is None:
            return  # missing, or not written by this user's demodeck: start over
        self.models, self.parsed, self.shown, self.code = base
        self._base_sizes = tuple(len(store) for store in base)
        delta = _loads(read_signed(self.path.with_name(_DELTA)))
        if delta is not None:
            stores: tuple[dict[str, Any], ...] = base
            deltas: tuple[dict[str, Any], ...] = delta
            for store, added, entries in zip(stores, self._news(), deltas, strict=True):
                store.update(entries)
                added.update(entries)

    # -- the manifest: what the last build read and wrote, for the no-change fast path --

    def manifest_path(self) -> Path | None:
        return self.path.with_name("manifest.json") if self.path is not None else None

    def read_manifest(self) -> dict[str, Any] | None:
        path = self.manifest_path()
        body = read_signed(path) if path is not None else None
        if body is None:
            return None
        try:
            value = json.loads(bytes(body))
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        path = self.manifest_path()
        if path is None or self._broken:
            return
        try:
            write_signed(path, json.dumps(manifest, sort_keys=True).encode())
        except OSError as exc:
            self._unwritable(exc)


# The stores' entries (loaded first: loading replaces the stores and their sets)

def _get(store: dict[str, Any], used: set[str], key: str) -> Any:
    """An entry of ``store``, marked used by this build (so kept when saving)."""
    value = store.get(key)
    if value is not None:
        used.add(key)
    return value


def _put(store: dict[str, Any], new: set[str], used: set[str], key: str, value: Any) -> bool:
    """Put an entry into ``store``; whether it is one the cache on disk lacks (it goes
    into the next delta: ``new``)."""
    added = key not in store
    if added:
        new.add(key)
    store[key] = value
    used.add(key)
    return added


Entries = tuple[dict[str, tuple[bytes, tuple[ImageStamp, ...]]], dict[str, Any],
                dict[str, DeckShown], dict[str, str]]


@dataclass(frozen=True)
class _Pending:
    """A cache file to write: where, its stores' entries, and whether it is the whole
    cache (the base file, which makes the delta obsolete)."""

    path: Path
    entries: Entries
    whole: bool


def _write(pending: _Pending) -> None:
    # Pickled straight into the file, frame by frame, not into one bytes object first: a
    # cold build's 14 MB body cost the saving process ~3,700 page faults and ~10 ms more
    # (it grows that buffer in fresh memory), and the build waits for that process.
    _write_signed(pending.path, partial(pickle.dump, pending.entries,
                                        protocol=pickle.HIGHEST_PROTOCOL),
                  drop=_DELTA if pending.whole else None)


def pickle_deck(deck: Deck) -> bytes:
    return pickle.dumps(deck, protocol=pickle.HIGHEST_PROTOCOL)


def _loads(body: memoryview | None) -> Entries | None:
    """A cache file's (models, parsed, shown, code), from its body as read_signed returned
    it: None, and nothing unpickled, unless this user's demodeck wrote it."""
    if body is None:
        return None
    try:
        models, parsed, shown, code = pickle.loads(body)
    except Exception:  # signed but unreadable (a class changed shape): start over
        return None
    if all(isinstance(store, dict) for store in (models, parsed, shown, code)):
        return models, parsed, shown, code
    return None


def read_signed(path: Path) -> memoryview | None:
    """The body of a file write_signed wrote, if its signature holds (and there is a good
    key to check it with). A view into the file's bytes, not a copy of them (copying 14
    MB took ~7 ms in a fresh process)."""
    data = read_cache_file(path)
    if data is None or not data.startswith(_MAGIC):
        return None
    key = _secret()
    if key is None:
        return None
    sig, body = data[len(_MAGIC):len(_MAGIC) + _SIG], memoryview(data)[len(_MAGIC) + _SIG:]
    return body if secrets.compare_digest(sig, hmac.digest(key, body, "sha256")) else None


def write_signed(path: Path, body: bytes) -> None:
    _write_signed(path, lambda out: out.write(body))


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


def _write_signed(path: Path, write_body: Callable[[_Signing], object], *,
                  drop: str | None = None) -> None:
    """Write a file read_signed accepts, its body written by ``write_body``, atomically,
    then remove the file ``drop`` of the same folder, if any. Nothing is written without
    a key, nor through a link: the folder and the files in it are never followed."""
    key = _secret()
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
        if drop is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(drop, dir_fd=folder)
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
def _secret() -> bytes | None:
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
