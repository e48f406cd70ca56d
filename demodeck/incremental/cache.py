"""A build cache keyed by content hashes: parsed decks and rendered pages.

Five stores, because they go stale for different reasons:

* ``models``: a validated :class:`~demodeck.model.Deck`, keyed by the bytes of the
  deck's files, the site settings and demodeck's version (:func:`deck_key`). The
  images it names are re-checked by (size, mtime) on every use. Only its head is kept
  here (:func:`~demodeck.model.split`: its dates, metrics, retro...); its demos, nine
  tenths of it, are kept apart (below) and read when a page first shows them (see
  :class:`~demodeck.model.PickledDemos`).
* ``pages``: rendered HTML, keyed by everything the page was rendered from (the
  deck, the other decks' data it shows, the templates, the settings). Pages live in
  memory only, for the preview's rebuilds: between CLI runs the previous output
  folder is the store (:mod:`demodeck.build` keeps its files whose key did not
  change), so the site's HTML is never pickled.
* ``parsed``: each page's links and ids, for the link check (:mod:`.links`); and each
  deck page's warnings and slide count, keyed by the page's own key (which covers all
  they depend on): both are what reading something again found out about it.
* ``shown``: each deck's part of the archive pages' keys (:mod:`.archive_keys`), keyed
  by the deck's content, the settings and the hashed names of its pictures: here in
  brief (:data:`~.parts.ShownBrief`), in full on a shelf (below); and the keys put
  together from the parts of all decks, by the parts' digests.
* ``code``: highlighted code blocks, keyed by their language, code and the Pygments
  version (:func:`demodeck.markdown.highlights_kept_in`): a deck rendered again after
  one of its demos changed does not load Pygments for the code that did not.

On disk (:mod:`.cache_files`): a pickle of the stores under ``.demodeck-cache/``, a
delta of what was added since, and a file per kind and year for what a build seldom
needs of a deck (its demos, its search part, its archive part in full), each signed.
"""

from __future__ import annotations

import json
import operator
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from demodeck import model
from demodeck.digest import digest as digest  # re-exported: cache.digest keys entries
from demodeck.errors import Problem
from demodeck.incremental.cache_files import (
    DELTA,
    FILE,
    MANIFEST,
    SHELF,
    WARNINGS,
    ImageStamp,
    Pending,
    PickledDeck,
    Shelf,
    compact_now,
    loads_stores,
    pickle_deck,
    read_json,
    stale_shelves,
    stamp,
    write_all,
)
from demodeck.incremental.parts import ArchiveKeys, DeckShown, ShownBrief
from demodeck.incremental.signed import (
    read_signed,
    reason,
    warn_unusable,
    write_signed,
)
from demodeck.incremental.signed import secret as _secret
from demodeck.model import Deck

if TYPE_CHECKING:
    from demodeck.search import DeckPart

CACHE_DIR = ".demodeck-cache"

# A deck as the cache keeps it: its head pickled (model.split), the stamps of its
# pictures, and its year (the shelf of its demos and search part)
DeckEntry = tuple[bytes, tuple[ImageStamp, ...], int]


@dataclass
class BuildCache:
    """In memory for the preview server; ``path`` set to persist between CLI runs."""

    path: Path | None = None
    models: dict[str, DeckEntry] = field(default_factory=dict)  # validated decks' heads
    pages: dict[str, bytes] = field(default_factory=dict)
    parsed: dict[str, Any] = field(default_factory=dict)  # link check: page digest -> links, ids
    shown: dict[str, Any] = field(default_factory=dict)  # archive keys: parts in brief, sums
    code: dict[str, str] = field(default_factory=dict)  # highlighted code blocks
    # (kind, year) -> the decks' demos ("demos"), search parts ("search") and archive parts
    # in full ("shown") of that year
    shelves: dict[tuple[str, int], Shelf] = field(default_factory=dict)
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
    def for_project(cls, root: Path) -> Self:
        """The project's on-disk cache, read on first use (a no-change build never reads it)."""
        return cls(root / CACHE_DIR / FILE)

    def _ensure_loaded(self) -> None:
        if not self._loaded:
            self._loaded = True
            self._load()

    def get_deck(self, key: str, reread: Callable[[], bytes]) -> Deck | None:
        """The deck kept by ``key``, its demos read from their shelf when first used; should
        the shelf have lost them, ``reread`` gives them (pickled) from the deck's files."""
        self._ensure_loaded()
        entry = self.models.get(key)
        if entry is None:
            return None
        head, images, year = entry
        if any(stamp(Path(p)) != (p, size, mtime) for p, size, mtime in images):
            return None  # an image moved, vanished or changed: validate again
        self._used_models.add(key)
        return self.read_deck(key, head, partial(self._demos, key, year, reread))

    def read_deck(self, key: str, head: bytes, demos: Callable[[], bytes]) -> Deck:
        """The deck kept under ``key``, read back from its pickled ``head``; its demos are
        read (``demos()``, pickled) when first used."""
        return model.joined(pickle.loads(head), demos)

    def _demos(self, key: str, year: int, reread: Callable[[], bytes]) -> bytes:
        demos = self._shelf("demos", year).get(key)
        if not isinstance(demos, bytes):
            demos = reread()
            self._shelf("demos", year).put(key, demos)
        return demos

    def put_deck(self, key: str, deck: Deck, images: tuple[ImageStamp, ...],
                 pickled: PickledDeck | None = None) -> None:
        """Keep ``deck``, given as ``pickled`` (pickle_deck) when it came so from a worker
        process: kept as it came, it is saved as it is, not pickled again."""
        self._ensure_loaded()
        head, demos = pickle_deck(deck) if pickled is None else pickled
        self.models[key] = (head, images, deck.date.year)
        self._used_models.add(key)
        self._new_models.add(key)
        self._dirty = True
        self._shelf("demos", deck.date.year).put(key, demos)

    def get_search(self, key: str, year: int) -> DeckPart | None:
        """The search part of the deck kept by ``key`` (deck_key), of ``year``."""
        part: DeckPart | None = self._shelf("search", year).get(key)
        return part

    def put_search(self, key: str, year: int, part: DeckPart) -> None:
        self._shelf("search", year).put(key, part)

    def _shelf(self, kind: str, year: int) -> Shelf:
        shelf = self.shelves.get((kind, year))
        if shelf is None:
            path = self.path.with_name(f"{kind}-{year}{SHELF}") if self.path else None
            shelf = self.shelves[kind, year] = Shelf(path)
        return shelf

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

    def get_warned(self, key: str) -> tuple[list[Problem], int] | None:
        """A deck page's warnings and slide count (see .rendering), kept in the ``parsed``
        store, each warning as its fields: a tuple unpickles in a fifth of the time a
        frozen dataclass does, and a large archive has thousands."""
        self._ensure_loaded()
        value = _get(self.parsed, self._used_parsed, "warned:" + key)
        if value is None:
            return None
        rows, slides = value
        return [Problem(*row) for row in rows], slides

    def put_warned(self, key: str, found: tuple[list[Problem], int]) -> None:
        self._ensure_loaded()
        problems, slides = found
        self._dirty |= _put(self.parsed, self._new_parsed, self._used_parsed, "warned:" + key,
                            ([_problem_fields(p) for p in problems], slides))

    def get_brief(self, key: str) -> ShownBrief | None:
        """A deck's part of the archive pages' keys, in brief."""
        self._ensure_loaded()
        value: ShownBrief | None = _get(self.shown, self._used_shown, key)
        return value

    def get_shown(self, key: str, year: int) -> DeckShown | None:
        """A deck's part of the archive pages' keys, in full (its brief is kept by key)."""
        part: DeckShown | None = self._shelf("shown", year).get(key)
        return part

    def put_shown(self, key: str, year: int, part: DeckShown, brief: ShownBrief) -> None:
        self._ensure_loaded()
        self._dirty |= _put(self.shown, self._new_shown, self._used_shown, key, brief)
        self._shelf("shown", year).put(key, part)

    def get_archive_keys(self, key: str) -> ArchiveKeys | None:
        """The archive pages' keys put together from the decks' parts whose digests give
        ``key``."""
        self._ensure_loaded()
        value: ArchiveKeys | None = _get(self.shown, self._used_shown, "sum:" + key)
        return value

    def put_archive_keys(self, key: str, keys: ArchiveKeys) -> None:
        self._ensure_loaded()
        self._dirty |= _put(self.shown, self._new_shown, self._used_shown, "sum:" + key, keys)

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
        """Keep only what the last build used, so the cache never outgrows the site; in
        the shelves read, the entries of the decks it used."""
        for (kind, _), shelf in self.shelves.items():
            shelf.keep(self._used_shown if kind == "shown" else self._used_models)
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

    def save(self, *, prune: bool = True) -> None:
        """Write what this build added to the delta, or everything when it is time to,
        and the shelves that changed. ``prune`` False: drop nothing, and write only the
        delta and the shelves, for a run that used part of the cache (export, announce:
        one deck rendered, no site) and must not take from the next build what it needs."""
        pending = self._pending(prune=prune)
        try:
            write_all(pending)
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
        check and write, which had the saving's time added after them with one core
        idle). Returns the function that waits for it; it saves again whatever was
        added meanwhile, and the whole of it if the other process failed. Only where no
        thread runs (forking one that does is unsafe): the command line's builds."""
        from demodeck.incremental.pool import in_background

        pending = self._pending()
        if pending and _secret() is None:  # made (or refused) here, not in the fork
            self._broken, pending = True, []
        if not pending:
            self._saved(pending)
            return lambda: None
        wait = in_background(partial(write_all, pending))
        self._saved(pending)

        def done() -> None:
            if not wait():  # write it all again, here
                self._dirty, self._base_sizes = True, ()
                for shelf in self.shelves.values():
                    shelf.changed |= any(shelf.path == file.path for file in pending)
            if self._dirty or any(shelf.changed for shelf in self.shelves.values()):
                self.save()

        return done

    def _pending(self, *, prune: bool = True) -> list[Pending]:
        """What save() writes, after dropping what this build did not use (``prune``): the
        shelves that changed, then the whole cache (when it is time to compact, and
        ``prune``) or the delta."""
        if prune:
            self.prune()
        if self.path is None or self._broken:
            return []
        pending = [Pending(shelf.path, shelf.entries, ()) for shelf in self.shelves.values()
                   if shelf.changed and shelf.path is not None and shelf.entries is not None]
        new = self._new()
        if self._dirty and prune and self._compact_now(new):
            pending.append(Pending(self.path, self._stores(), (DELTA, *self._stale_shelves())))
        elif self._dirty and new:
            stores: tuple[dict[str, Any], ...] = self._stores()
            models, parsed, shown, code = ({k: store[k] for k in added} for store, added
                                           in zip(stores, self._news(), strict=True))
            pending.append(Pending(self.path.with_name(DELTA), (models, parsed, shown, code),
                                    ()))
        return pending

    def _stale_shelves(self) -> list[str]:
        assert self.path is not None
        return stale_shelves(self.path.parent, {self.models[key][2] for key in self._used_models
                                                if key in self.models})

    def _saved(self, pending: list[Pending]) -> None:
        """Note that ``pending`` is on disk: the shelves in it, and the base, which now
        holds every entry, or the delta the new ones."""
        if any(file.path == self.path for file in pending):
            self._base_sizes = tuple(len(store) for store in self._stores())
            for added in self._news():
                added.clear()
        written = {file.path for file in pending}
        for shelf in self.shelves.values():
            shelf.changed &= shelf.path not in written
        self._dirty = False

    def _stores(self) -> Entries:
        return self.models, self.parsed, self.shown, self.code

    def _compact_now(self, new: int) -> bool:
        stores: tuple[dict[str, Any], ...] = self._stores()
        return compact_now(self._base_sizes, [len(store) - len(added) for store, added
                                              in zip(stores, self._news(), strict=True)], new)

    def _load(self) -> None:
        assert self.path is not None
        base = loads_stores(read_signed(self.path))
        if base is None:
            return  # missing, or not written by this user's demodeck: start over
        self.models, self.parsed, self.shown, self.code = base
        self._base_sizes = tuple(len(store) for store in base)
        delta = loads_stores(read_signed(self.path.with_name(DELTA)))
        if delta is not None:
            stores: tuple[dict[str, Any], ...] = base
            deltas: tuple[dict[str, Any], ...] = delta
            for store, added, entries in zip(stores, self._news(), deltas, strict=True):
                store.update(entries)
                added.update(entries)

    # -- the manifest: what the last build read and wrote, for the no-change fast path --

    def read_manifest(self) -> dict[str, Any] | None:
        return self._read_json(MANIFEST)

    def read_warnings(self) -> dict[str, Any] | None:
        """The file of the last good build's warnings (see manifest.record)."""
        return self._read_json(WARNINGS)

    def _read_json(self, name: str) -> dict[str, Any] | None:
        return read_json(self.path.with_name(name)) if self.path is not None else None

    def write_manifest(self, manifest: dict[str, Any], warnings: bytes | None = None) -> None:
        """Write ``manifest``, after the file of the ``warnings`` (its body; None: the file
        on disk is the one the manifest names)."""
        if self.path is None or self._broken:
            return
        try:
            if warnings is not None:
                write_signed(self.path.with_name(WARNINGS), warnings)
            write_signed(self.path.with_name(MANIFEST),
                         json.dumps(manifest, sort_keys=True).encode())
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


Entries = tuple[dict[str, DeckEntry], dict[str, Any], dict[str, Any], dict[str, str]]


_problem_fields = operator.attrgetter(*(f.name for f in fields(Problem)))  # Problem(*them)


