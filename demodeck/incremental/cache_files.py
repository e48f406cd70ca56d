"""The build cache's files under ``.demodeck-cache/`` (:mod:`.cache` holds what they hold).

On disk it is a pickle under ``.demodeck-cache/`` plus a small pickle of what was
added since (``delta.pickle``): a build that changed one deck writes that deck's
entries, not the whole archive's, and the two are merged into one again when the
additions (or entries no longer used) pass a quarter of the whole. Entries are
keyed by content, so a delta read over a newer base can never give a wrong value.

What a build seldom needs of a deck, its demos, its part of the search index and its
part of the archive pages' keys in full, is kept in a file per kind and year of decks
(``demos-2026.pickle``, ``search-2026.pickle``, ``shown-2026.pickle``: a
:class:`Shelf`), read when one of its entries is first asked for, and written whole when
one was added or dropped: a rebuild after a demo's text changed reads the heads of every
deck but the demos of none, and the search parts and archive parts of one year, and
writes three small files besides the delta. A shelf keeps the entries of the decks the
last build used, like the stores; a deck whose demos went missing (a shelf removed, or
written by another build meanwhile) has them read again from its files.

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

import json
import os
import pickle
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from demodeck import model
from demodeck.incremental.signed import read_signed, write_signed_with
from demodeck.model import Deck

FILE = "build.pickle"
DELTA = "delta.pickle"
MANIFEST = "manifest.json"
WARNINGS = "warnings.json"
SHELF = ".pickle"  # "demos-2026.pickle": a shelf's file, by its kind and year
SHELF_FILE = re.compile(r"(demos|search|shown)-(\d+)\.pickle")

ImageStamp = tuple[str, int, int]  # a picture of a kept deck: (absolute path, size, mtime_ns)
PickledDeck = tuple[bytes, bytes]  # a deck's head and its demos, each pickled (pickle_deck)
COMPACT_AT = 0.25  # rewrite the whole cache once additions + unused entries pass this share
COMPACT_STORE_MIN = 64  # or once this many of one store's entries, and that share of it, go unused

Stores = tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]


@dataclass
class Shelf:
    """One kind of entry of one year's decks, in a file of its own (see above): read when
    first asked for, and written whole when an entry was added or dropped."""

    path: Path | None  # None: in memory only
    entries: dict[str, Any] | None = None  # None: not read yet
    changed: bool = False

    def get(self, key: str) -> Any:
        return self._read().get(key)

    def put(self, key: str, value: Any) -> None:
        entries = self._read()
        if key not in entries:  # keyed by content: an entry never changes
            entries[key], self.changed = value, True

    def keep(self, used: set[str]) -> None:
        """Drop the entries of decks not in ``used``, if it was read."""
        if self.entries is not None and not self.entries.keys() <= used:
            self.entries = {k: v for k, v in self.entries.items() if k in used}
            self.changed = True

    def _read(self) -> dict[str, Any]:
        if self.entries is None:
            found = loads_one(read_signed(self.path)) if self.path is not None else None
            self.entries = found if isinstance(found, dict) else {}
        return self.entries


@dataclass(frozen=True)
class Pending:
    """A cache file to write: where, what, and the files of the same folder it makes
    obsolete (the base file: the delta, and the shelves of years no deck is of)."""

    path: Path
    body: object
    drop: tuple[str, ...]


def write_all(pending: list[Pending]) -> None:
    for file in pending:
        write(file)


def write(pending: Pending) -> None:
    # Pickled straight into the file, frame by frame, not into one bytes object first: a
    # cold build's body would cost the saving process page faults as it grows that buffer
    # in fresh memory, and the build waits for that process.
    write_signed_with(pending.path, partial(pickle.dump, pending.body,
                                            protocol=pickle.HIGHEST_PROTOCOL),
                      drop=pending.drop)


def pickle_deck(deck: Deck) -> PickledDeck:
    """``deck`` as the cache keeps it: its head and its demos, each pickled."""
    head, demos = model.split(deck)
    return pickle.dumps(head, protocol=pickle.HIGHEST_PROTOCOL), demos


def unpickle_deck(pickled: PickledDeck) -> Deck:
    head, demos = pickled
    return model.joined(pickle.loads(head), demos)


def loads_stores(body: memoryview | None) -> Stores | None:
    """A cache file's (models, parsed, shown, code), from its body as read_signed returned
    it: None, and nothing unpickled, unless this user's demodeck wrote it."""
    try:
        models, parsed, shown, code = loads_one(body)
    except (TypeError, ValueError):  # not four things
        return None
    if all(isinstance(store, dict) for store in (models, parsed, shown, code)):
        return models, parsed, shown, code
    return None


def loads_one(body: memoryview | None) -> Any:
    """What a cache file holds, None unless this user's demodeck wrote it."""
    if body is None:
        return None
    try:
        return pickle.loads(body)
    except Exception:  # signed but unreadable (a class changed shape): start over
        return None


def compact_now(base: Sequence[int], kept: Sequence[int], new: int) -> bool:
    """Whether to write the whole cache instead of a delta, from the sizes of its stores
    in the base file (``base``), the entries of each still used that are in it
    (``kept``) and how many entries were added since (``new``, the delta): there is no
    base yet; or the delta plus the entries no longer used (still in the base) pass
    COMPACT_AT of its entries; or the unused ones alone do in one store, and are at
    least COMPACT_STORE_MIN. Per store, because entries differ in size: after a template
    edit every page's link-check entry is replaced, a fifth of the entries of a 520-deck
    archive's cache but a third of its bytes, which every later build would load again.
    (A few entries, in a small project, are not worth a rewrite.)"""
    if not base:
        return True
    unused = [size - used for size, used in zip(base, kept, strict=True)]
    if new + sum(unused) > COMPACT_AT * sum(base):
        return True
    return any(n >= COMPACT_STORE_MIN and n > COMPACT_AT * size
               for n, size in zip(unused, base, strict=True))


def stale_shelves(folder: Path, years: set[int]) -> list[str]:
    """The shelves in ``folder`` of other years than ``years`` (no deck of this build is
    of them): removed when the whole cache is written, as a year's shelves are rewritten
    only when read."""
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    return [name for name in names if (found := SHELF_FILE.fullmatch(name))
            and int(found[2]) not in years]


def read_json(path: Path) -> dict[str, Any] | None:
    """A signed JSON object (the manifest, the warnings), None if it cannot be used."""
    body = read_signed(path)
    if body is None:
        return None
    try:
        value = json.loads(bytes(body))
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def image_stamps(deck: Deck) -> tuple[ImageStamp, ...]:
    return tuple(s for a in deck.assets if (s := stamp(a.source)) is not None)


def stamp(path: Path) -> ImageStamp | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (str(path), st.st_size, st.st_mtime_ns)
