"""A build cache keyed by content hashes: parsed decks and rendered pages.

Two levels, because they go stale for different reasons:

* ``models``: a validated :class:`~demodeck.model.Deck`, keyed by the bytes of the
  deck's files, the site settings and demodeck's version. The images it names are
  re-checked by (size, mtime) on every use.
* ``pages``: rendered HTML, keyed by everything the page was rendered from (the
  deck, the other decks' data it shows, the templates, the settings).

On disk it is one pickle under ``.demodeck-cache/``, signed with a keyed BLAKE2
hash whose key lives in the user's cache folder, outside the project: a cache
file that was committed, copied from another machine, tampered with, truncated
or written by another version fails the check and is ignored, never unpickled.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pickle
import secrets
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from demodeck import __version__
from demodeck.model import Deck

CACHE_DIR = ".demodeck-cache"
_FILE = "build.pickle"
_MAGIC = b"demodeck-cache-1\n"
_SIG = 32

ImageStamp = tuple[str, int, int]  # (absolute path, size, mtime_ns)


def digest(*parts: str | bytes) -> str:
    h = hashlib.blake2b(digest_size=20)
    h.update(__version__.encode())
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


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
    models: dict[str, tuple[Deck, tuple[ImageStamp, ...]]] = field(default_factory=dict)
    pages: dict[str, bytes] = field(default_factory=dict)
    _used_models: set[str] = field(default_factory=set)
    _used_pages: set[str] = field(default_factory=set)

    @classmethod
    def for_project(cls, root: Path) -> BuildCache:
        cache = cls(root / CACHE_DIR / _FILE)
        cache._load()
        return cache

    def get_deck(self, key: str) -> Deck | None:
        entry = self.models.get(key)
        if entry is None:
            return None
        deck, images = entry
        if any(stamp(Path(p)) != (p, size, mtime) for p, size, mtime in images):
            return None  # an image moved, vanished or changed: validate again
        self._used_models.add(key)
        return deck

    def put_deck(self, key: str, deck: Deck, images: tuple[ImageStamp, ...]) -> None:
        self.models[key] = (deck, images)
        self._used_models.add(key)

    def get_page(self, key: str) -> bytes | None:
        data = self.pages.get(key)
        if data is not None:
            self._used_pages.add(key)
        return data

    def put_page(self, key: str, data: bytes) -> None:
        self.pages[key] = data
        self._used_pages.add(key)

    def begin(self) -> None:
        """Start a build: from now on, track which entries it uses."""
        self._used_models, self._used_pages = set(), set()

    def prune(self) -> None:
        """Keep only what the last build used, so the cache never outgrows the site."""
        self.models = {k: v for k, v in self.models.items() if k in self._used_models}
        self.pages = {k: v for k, v in self.pages.items() if k in self._used_pages}

    def save(self) -> None:
        self.prune()
        if self.path is None:
            return
        with contextlib.suppress(OSError):  # a cache that cannot be saved is just slower
            self.path.parent.mkdir(parents=True, exist_ok=True)
            gitignore = self.path.parent / ".gitignore"
            if not gitignore.exists():
                gitignore.write_text("*\n")
            body = pickle.dumps((self.models, self.pages), protocol=pickle.HIGHEST_PROTOCOL)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as f:
                f.write(_MAGIC + _sign(body) + body)
            os.replace(tmp, self.path)

    def _load(self) -> None:
        assert self.path is not None
        try:
            data = self.path.read_bytes()
        except OSError:
            return
        if not data.startswith(_MAGIC):
            return
        sig, body = data[len(_MAGIC):len(_MAGIC) + _SIG], data[len(_MAGIC) + _SIG:]
        if not secrets.compare_digest(sig, _sign(body)):
            return  # not written by this user's demodeck: never unpickle it
        try:
            models, pages = pickle.loads(body)
        except Exception:  # signed but unreadable (a class changed shape): start over
            return
        if isinstance(models, dict) and isinstance(pages, dict):
            self.models, self.pages = models, pages


def _sign(body: bytes) -> bytes:
    return hashlib.blake2b(body, key=_secret(), digest_size=_SIG).digest()


@functools.lru_cache(maxsize=1)
def _secret() -> bytes:
    """A per-user key, created once, kept outside every project."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "demodeck"
    key_file = base / "cache-key"
    try:
        return bytes.fromhex(key_file.read_text().strip())[:64] or _new_secret(key_file)
    except (OSError, ValueError):
        return _new_secret(key_file)


def _new_secret(key_file: Path) -> bytes:
    key = secrets.token_bytes(32)
    with contextlib.suppress(OSError):
        key_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(key.hex())
        return key
    try:  # another process created it first
        return bytes.fromhex(key_file.read_text().strip())
    except (OSError, ValueError):
        return key
